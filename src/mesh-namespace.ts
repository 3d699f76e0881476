import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IstioSecurityError } from './errors';
import { MtlsMode } from './mtls-mode';
import { SidecarInjection } from './sidecar-injection';
import { recordGivenOptions } from './private/namespace-reference';
import { claimObjectName } from './private/registry';
import { assertInjectable } from './private/injectable';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertComposedHost, assertDnsLabel, assertDnsSubdomain, assertHostDomain, assertInstance, assertLabels, assertProps, quote, readOptions, recordProblem,
} from './private/validate';

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

const REFERENCE_OPTIONS: KnownKeys<MeshNamespaceReferenceOptions> = { sidecarInjection: true, clusterDomain: true, trustDomain: true, mtlsMode: true };


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
   * Extra namespace labels. Injection is set with `injection`, so `istio-injection` and
   * `istio.io/rev` are refused here, and so are the ambient-mode labels this library does not model.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

const MESH_NAMESPACE_PROPS: KnownKeys<MeshNamespaceProps> = { name: true, injection: true, clusterDomain: true, trustDomain: true, labels: true };

/** Namespace labels that decide sidecars or the data plane: set through `injection`, or not supported. */
const RESERVED_LABELS: { [key: string]: string } = {
  'istio-injection': 'it decides sidecar injection: set it with injection (SidecarInjection.enabled(), .revision(...), .disabled())',
  'istio.io/rev': 'it decides sidecar injection: set it with injection: SidecarInjection.revision(name)',
  'istio.io/dataplane-mode': 'ambient mode moves enforcement out of the sidecars, which this library does not model: leave it out',
  'istio.io/use-waypoint': 'waypoints enforce policies this library does not emit: leave it out',
};

/**
 * A Namespace with its sidecar injection setting and no policy of its own
 * (the mesh-wide policy, or none, applies). See StrictNamespace for one that requires mTLS.
 */
export class MeshNamespace extends Construct implements IMeshNamespace {
  /**
   * A namespace that exists already (e.g. `default`), or is created elsewhere. The construct that
   * uses the reference checks it.
   */
  public static fromName(name: string, options: MeshNamespaceReferenceOptions = {}): IMeshNamespace {
    return new NamespaceReference(name, options);
  }

  public readonly name: string;
  public readonly sidecarInjection: boolean;
  public readonly clusterDomain: string;
  public readonly trustDomain: string;
  /** The Namespace (child id `Resource`). */
  public readonly namespace: kplus.Namespace;

  /** Set by subclasses that declare a namespace-wide PeerAuthentication. */
  protected declaredMtlsMode?: MtlsMode;
  /** @internal The props as checked (read once), for subclasses. */
  protected readonly _checkedProps: MeshNamespaceProps;

  public constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, this._knownProps()) as MeshNamespaceProps;
      this._checkedProps = p;
      this.name = assertDnsLabel(this, 'namespace name', p.name ?? id);
      this.clusterDomain = assertHostDomain(this, 'clusterDomain', p.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
      this.trustDomain = assertDnsSubdomain(this, 'trustDomain', p.trustDomain ?? DEFAULT_TRUST_DOMAIN);
      // Service hosts are `<service>.<namespace>.svc.<cluster domain>`: even a one-letter Service must fit DNS.
      assertComposedHost(this, 'the shortest Service host of the namespace', `a.${this.name}.svc.${this.clusterDomain}`, 'namespace name or clusterDomain');
      const injection = p.injection === undefined || p.injection === null ? SidecarInjection.enabled()
        : assertInstance(this, 'injection', p.injection, SidecarInjection, 'SidecarInjection.enabled(), .revision(name) or .disabled()');
      if (injection.revisionName !== undefined) assertDnsLabel(this, 'injection revision', injection.revisionName);
      const labels = p.labels === undefined || p.labels === null ? {} : assertLabels(this, 'labels', p.labels);
      for (const key of Object.keys(labels)) {
        const why = RESERVED_LABELS[key];
        if (why) throw new IstioSecurityError(this, `labels key ${quote(key)} is not allowed here: ${why}.`);
        if (key === kplus.Namespace.NAME_LABEL && labels[key] !== this.name) {
          throw new IstioSecurityError(this, `labels ${quote(key)}: ${quote(labels[key])} differs from the namespace name "${this.name}": `
            + 'Kubernetes sets this label to the name; leave it out.');
        }
      }
      this.sidecarInjection = injection.injectsSidecars;
      if (this.sidecarInjection) assertInjectable(this, 'namespace', this.name);
      this._checkBeforeCreating(p);
      claimObjectName(this, 'Namespace', '', this.name);
      this.namespace = new kplus.Namespace(this, 'Resource', {
        metadata: { name: this.name, labels: { ...labels, ...injection.labels } },
      });
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** Namespace-wide mTLS mode this namespace declares, if any. */
  public get mtlsMode(): MtlsMode | undefined {
    return this.declaredMtlsMode;
  }

  /** @internal The props this construct takes (subclasses add theirs). */
  protected _knownProps(): KnownKeys<any> {
    return MESH_NAMESPACE_PROPS;
  }

  /**
   * @internal Checks a subclass's props before any child is created (the base props are checked
   * and `name`, `sidecarInjection`, `clusterDomain` set).
   */
  protected _checkBeforeCreating(_props: MeshNamespaceProps): void {
    // Nothing more for a plain MeshNamespace.
  }
}

/** What `MeshNamespace.fromName` returns: the name and options as given, checked by the construct that uses them. */
class NamespaceReference implements IMeshNamespace {
  public readonly name: string;
  public readonly sidecarInjection: boolean;
  public readonly clusterDomain: string;
  public readonly trustDomain: string;
  public readonly mtlsMode?: MtlsMode;

  public constructor(name: string, options: MeshNamespaceReferenceOptions | undefined | null) {
    this.name = name;
    const { options: o, problem } = readOptions('MeshNamespace.fromName', options, REFERENCE_OPTIONS, '{ sidecarInjection: true }');
    if (problem !== undefined) recordProblem(this, problem);
    recordGivenOptions(this, o);
    this.sidecarInjection = o.sidecarInjection ?? false;
    this.clusterDomain = o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.trustDomain = o.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.mtlsMode = o.mtlsMode ?? undefined;
  }
}
