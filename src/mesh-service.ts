import { ApiObject, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode } from '../imports/networking.istio.io';
import { ClientTlsMode } from './client-tls-mode';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { IMeshServiceAccount, MeshServiceAccount } from './mesh-service-account';
import { MeshWorkload, WorkloadClientTlsOptions, WorkloadMtlsOptions } from './mesh-workload';
import { IMeshWorkload } from './mesh-workload-interface';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { StrictNamespace } from './strict-namespace';
import { WorkloadAuthorization, AllowOptions } from './workload-authorization';
import { WorkloadContainerOptions } from './workload-container';
import { WorkloadPort } from './workload-port';
import { checkMeshClientTls } from './private/destination-rules';
import { claim, claimObjectName, meshHostKey } from './private/registry';
import { containerPortsOf, normalizePorts, renderService } from './private/service';
import { assertDnsLabel, assertEnumValue, assertRequired, quote } from './private/validate';
import { registerWorkloadTraits } from './private/workload-check';

export interface MeshServiceProps {
  /** The namespace: a StrictNamespace, or `MeshNamespace.fromName(...)`. */
  readonly namespace: IMeshNamespace;
  /**
   * Name of the Service and the `app` label every version carries.
   * @default - the construct id
   */
  readonly name?: string;
  /** Ports the Service exposes; every version serves them. */
  readonly ports: WorkloadPort[];
  /**
   * The account every version runs as (a `MeshServiceAccount`, or `MeshServiceAccount.fromName`).
   * @default - a ServiceAccount named `serviceAccountName`, shared by every version
   */
  readonly serviceAccount?: IMeshServiceAccount;
  /**
   * Name of the ServiceAccount the service creates for its versions.
   * @default - the service name
   */
  readonly serviceAccountName?: string;
  /**
   * Whether the versions' pods get an Istio sidecar.
   * @default - the namespace's injection setting
   */
  readonly sidecar?: boolean;
  /**
   * A DestinationRule for the Service host with one subset per version (`labels: { version }`),
   * for routing by version. It keeps the namespace's client TLS mode (ISTIO_MUTUAL in a
   * StrictNamespace), which a host-specific rule would otherwise replace.
   * @default false
   */
  readonly subsets?: boolean;
  /**
   * The DestinationRule's client TLS mode and name (with or without subsets).
   * @default - the namespace's client TLS mode, in a rule named after the service, when `subsets` is set
   */
  readonly clientTls?: WorkloadClientTlsOptions;
}

/** One version of a MeshService. */
export interface ServiceVersionOptions extends WorkloadContainerOptions {
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * A PeerAuthentication selecting this version's pods.
   * @default - none: the namespace or mesh-wide policy applies
   */
  readonly mtls?: WorkloadMtlsOptions;
}

/**
 * A Kubernetes Service that several versions of one app sit behind (bookinfo's reviews v1-v3,
 * or `stable` and `canary`): the Service selects `app` only; each version is a Deployment
 * `<app>-<version>` selecting and labelling its pods `{ app, version }`, all running as one
 * ServiceAccount by default.
 *
 * As a workload (`allowFrom`, `Peer.workload`, ...) it stands for every version: policies
 * select `app`. A single version is a `MeshWorkload` of its own.
 */
export class MeshService extends Construct implements IMeshWorkload {
  public readonly name: string;
  public readonly namespace: string;
  /** Fully qualified Service host, e.g. `reviews.bookinfo.svc.cluster.local`. */
  public readonly host: string;
  public readonly ports: WorkloadPort[];
  /** The account every version runs as. */
  public readonly serviceAccount: IMeshServiceAccount;
  public readonly identity: WorkloadIdentity;
  /** Whether the versions run an Istio sidecar. */
  public readonly sidecar: boolean;
  /** `{ app: <name> }`: the Service's selector, and of policies for the whole service. */
  public readonly selectorLabels: { [key: string]: string };
  /** The Service (child id `Resource`). */
  public readonly service: kplus.Service;
  /** The DestinationRule for the host, when `subsets` or `clientTls` is set. */
  public readonly destinationRule?: ApiObject;
  private readonly meshNamespace: IMeshNamespace;
  private readonly versionWorkloads = new Map<string, MeshWorkload>();

  public constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace', 'ports']);
    this.meshNamespace = props.namespace;
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    this.name = assertDnsLabel(this, 'service name', props.name ?? id);
    const ports = normalizePorts(this, props.ports);
    if (ports.length === 0) throw new IstioSecurityError(this, 'ports [] gives the Service nothing to expose: list the ports every version serves.');
    this.ports = ports;
    if (props.sidecar !== undefined && props.sidecar !== null && typeof props.sidecar !== 'boolean') {
      throw new IstioSecurityError(this, `sidecar ${quote(props.sidecar)} is not a boolean: use true, false, or leave it out for the namespace's setting.`);
    }
    this.sidecar = props.sidecar ?? props.namespace.sidecarInjection;
    this.host = `${this.name}.${this.namespace}.svc.${props.namespace.clusterDomain}`;
    this.selectorLabels = { app: this.name };
    this.serviceAccount = resolveAccount(this, props);
    this.identity = this.serviceAccount.identity;
    claim(this, meshHostKey(this.host), (holder) => `host "${this.host}" is already the Service of ${holder.node.path}.`);
    this.service = renderService(this, 'Resource', { name: this.name, namespace: this.namespace, selector: this.selectorLabels, ports });
    if (props.subsets || props.clientTls) this.destinationRule = this.renderDestinationRule(props);
    registerWorkloadTraits(this, {
      servicePorts: () => this.ports,
      mtlsModeForPort: (port) => this.mtlsModeForPort(port),
      portsMayBeUndeclared: false,
    });
    this.node.addValidation({
      validate: () => (this.versionWorkloads.size > 0 ? [] : [`service ${this.node.path} has no versions, so its Service selects no pods: `
        + 'add one with addVersion("v1", { image }).']),
    });
  }

  /** Container ports behind the Service ports. */
  public get containerPorts(): number[] {
    return containerPortsOf(this.ports);
  }

  /** The versions so far, in the order they were added. */
  public get versions(): MeshWorkload[] {
    return [...this.versionWorkloads.values()];
  }

  /**
   * Adds a version: a Deployment `<app>-<version>` whose pods carry `{ app, version }`, running as
   * the service's account. `version` becomes part of the Deployment name and of the subset name.
   */
  public addVersion(version: string, options: ServiceVersionOptions): MeshWorkload {
    this.checkNewVersion(this, version);
    return new MeshWorkload(this, `Version-${version}`, {
      ...options,
      namespace: this.meshNamespace,
      service: this,
      version,
    });
  }

  /**
   * Lets `caller` call every version, identified by its mTLS identity. The first call creates the
   * service's ALLOW policy (`<name>-allow`, selecting `app`); every call adds one rule.
   */
  public allowFrom(caller: IMeshWorkload, options: AllowOptions = {}): void {
    this.allowPeers([Peer.workload(caller)], options);
  }

  /** Lets any of `peers` call every version; adds one rule. */
  public allowPeers(peers: Peer[], options: AllowOptions = {}): void {
    WorkloadAuthorization.of(this).allow(peers, options);
  }

  /** The weakest mTLS mode a version accepts on a container port, as far as this app declares it. */
  public mtlsModeForPort(containerPort: number): MtlsMode {
    const modes = this.versions.map((v) => v.mtlsModeForPort(containerPort));
    if (modes.length === 0) {
      const mode = this.meshNamespace.mtlsMode;
      return mode === undefined || mode === MtlsMode.UNSET ? MtlsMode.PERMISSIVE : mode;
    }
    return [MtlsMode.DISABLE, MtlsMode.PERMISSIVE].find((mode) => modes.includes(mode)) ?? MtlsMode.STRICT;
  }

  /** @internal Called by a MeshWorkload that is a version of this service. */
  public _addVersion(workload: MeshWorkload, version: string): void {
    this.checkNewVersion(workload, version);
    this.versionWorkloads.set(version, workload);
  }

  private checkNewVersion(scope: Construct, version: string): void {
    const existing = this.versionWorkloads.get(version);
    if (existing) {
      throw new IstioSecurityError(scope, `version ${quote(version)} of service ${this.node.path} is already ${existing.node.path}: `
        + 'give each version its own name.');
    }
  }

  private renderDestinationRule(props: MeshServiceProps): ApiObject {
    const given = props.clientTls?.mode;
    if (given !== undefined) assertEnumValue(this, 'clientTls mode', given, ClientTlsMode);
    const strict = this.meshNamespace.mtlsMode === MtlsMode.STRICT;
    // A host-specific rule replaces the namespace's `*.<ns>.svc` rule: keep its TLS mode.
    const inherited = this.meshNamespace instanceof StrictNamespace && this.meshNamespace.destinationRule ? ClientTlsMode.ISTIO_MUTUAL : undefined;
    const mode = given ?? inherited;
    if (mode !== undefined) checkMeshClientTls(this, mode, { sidecar: this.sidecar, strict, hasPorts: true });
    const name = assertDnsLabel(this, 'clientTls name', props.clientTls?.name ?? this.name);
    claimObjectName(this, 'DestinationRule', this.namespace, name);
    return new DestinationRule(this, 'DestinationRule', {
      metadata: { name, namespace: this.namespace },
      spec: {
        host: this.host,
        trafficPolicy: mode ? { tls: { mode: mode as string as DestinationRuleSpecTrafficPolicyTlsMode } } : undefined,
        subsets: props.subsets
          // Without a traffic policy of their own, subsets inherit the rule's TLS mode.
          ? Lazy.any({ produce: () => [...this.versionWorkloads.keys()].map((version) => ({ name: version, labels: { version } })) })
          : undefined,
      },
    });
  }
}

function resolveAccount(service: MeshService, props: MeshServiceProps): IMeshServiceAccount {
  if (props.serviceAccount) {
    if (props.serviceAccountName !== undefined) {
      throw new IstioSecurityError(service, 'give either serviceAccount or serviceAccountName, not both: serviceAccount already names the account.');
    }
    if (props.serviceAccount.namespace !== service.namespace) {
      throw new IstioSecurityError(service, `serviceAccount "${props.serviceAccount.namespace}/${props.serviceAccount.name}" is in another namespace: `
        + `pods run only as accounts of their own namespace "${service.namespace}".`);
    }
    return props.serviceAccount;
  }
  return new MeshServiceAccount(service, 'ServiceAccount', { namespace: props.namespace, name: props.serviceAccountName ?? service.name });
}
