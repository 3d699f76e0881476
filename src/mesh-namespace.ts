import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MtlsMode } from './mtls-mode';
import { SidecarInjection } from './sidecar-injection';
import { claimObjectName } from './private/registry';
import { assertDnsLabel, assertDnsSubdomain, assertLabels } from './private/validate';

/** Default Kubernetes cluster domain (`<svc>.<ns>.svc.<cluster domain>`). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** Default Istio trust domain (`spiffe://<trust domain>/ns/...`). */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/**
 * A namespace that workloads of this library can be placed in.
 */
export interface IMeshNamespace {
  /** The namespace name. */
  readonly name: string;
  /** Whether pods in this namespace get a sidecar unless they opt out. */
  readonly sidecarInjection: boolean;
  /** Cluster domain of the namespace's Service hosts. */
  readonly clusterDomain: string;
  /** Trust domain of the identities of the namespace's workloads. */
  readonly trustDomain: string;
  /** Namespace-wide PeerAuthentication mode, when this library knows it. */
  readonly mtlsMode?: MtlsMode;
}

/** What is known of a namespace that this app does not create. */
export interface MeshNamespaceReferenceOptions {
  /**
   * Whether the namespace carries a sidecar injection label.
   * @default false
   */
  readonly sidecarInjection?: boolean;
  /**
   * Cluster domain.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Trust domain.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Namespace-wide mTLS mode, if a PeerAuthentication `default` exists there.
   * @default - unknown
   */
  readonly mtlsMode?: MtlsMode;
}

export interface MeshNamespaceProps {
  /**
   * Namespace name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * How sidecars are injected.
   * @default SidecarInjection.enabled()
   */
  readonly injection?: SidecarInjection;
  /**
   * Cluster domain of Service hosts.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Trust domain of workload identities.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Extra namespace labels.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A Namespace with its sidecar injection setting and no policy of its own
 * (the mesh-wide policy, or none, applies). See StrictNamespace for one that requires mTLS.
 */
export class MeshNamespace extends Construct implements IMeshNamespace {
  /** A namespace that exists already (e.g. `default`), or is created elsewhere. */
  public static fromName(name: string, options: MeshNamespaceReferenceOptions = {}): IMeshNamespace {
    return {
      name,
      sidecarInjection: options.sidecarInjection ?? false,
      clusterDomain: options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
      trustDomain: options.trustDomain ?? DEFAULT_TRUST_DOMAIN,
      mtlsMode: options.mtlsMode,
    };
  }

  public readonly name: string;
  public readonly sidecarInjection: boolean;
  public readonly clusterDomain: string;
  public readonly trustDomain: string;
  /** The Namespace (child id `Resource`). */
  public readonly namespace: kplus.Namespace;

  /** Set by subclasses that declare a namespace-wide PeerAuthentication. */
  protected declaredMtlsMode?: MtlsMode;

  public constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    this.name = assertDnsLabel(this, 'namespace name', props.name ?? id);
    this.clusterDomain = assertDnsSubdomain(this, 'clusterDomain', props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    this.trustDomain = assertDnsSubdomain(this, 'trustDomain', props.trustDomain ?? DEFAULT_TRUST_DOMAIN);
    const injection = props.injection ?? SidecarInjection.enabled();
    if (injection.revisionName !== undefined) assertDnsLabel(this, 'injection revision', injection.revisionName);
    if (props.labels) assertLabels(this, 'labels', props.labels);
    this.sidecarInjection = injection.injectsSidecars;
    claimObjectName(this, 'Namespace', '', this.name);
    this.namespace = new kplus.Namespace(this, 'Resource', {
      metadata: { name: this.name, labels: { ...props.labels, ...injection.labels } },
    });
  }

  /** Namespace-wide mTLS mode this namespace declares, if any. */
  public get mtlsMode(): MtlsMode | undefined {
    return this.declaredMtlsMode;
  }
}
