import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ClientTlsMode } from './client-tls-mode';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { PeerAuthenticationPolicy, PortMtls } from './peer-authentication-policy';
import { IMeshServiceAccount, MeshServiceAccount } from './mesh-service-account';
import { IMeshWorkload } from './mesh-workload-interface';
import { WorkloadContainerOptions } from './workload-container';
import { WorkloadPort } from './workload-port';
import { AllowOptions, DenyOptions, WorkloadAuthorization } from './workload-authorization';
import { containerProps } from './private/container';
import { checkMeshClientTls, clientTlsRule } from './private/destination-rules';
import { claim, claimObjectName, meshHostKey } from './private/registry';
import { containerPortsOf, normalizePorts, renderService } from './private/service';
import { assertDnsLabel, assertDnsSubdomain, assertEnumValue, assertLabelValue, quote, assertRequired } from './private/validate';
import { registerWorkloadTraits } from './private/workload-check';
// Type-only: mesh-service.ts imports this file at run time.
import type { MeshService } from './mesh-service';

/** Pod label and annotation Istio's injector reads on a pod. */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';

/** A workload-level PeerAuthentication. */
export interface WorkloadMtlsOptions {
  /**
   * Mode for the workload's ports.
   * @default MtlsMode.STRICT
   */
  readonly mode?: MtlsMode;
  /**
   * Modes for single container ports (e.g. a metrics port left PERMISSIVE).
   * @default - none
   */
  readonly portOverrides?: PortMtls[];
  /**
   * Policy name.
   * @default - the workload name
   */
  readonly name?: string;
}

/** A DestinationRule for the workload's Service host. */
export interface WorkloadClientTlsOptions {
  /**
   * How clients connect: ISTIO_MUTUAL, or DISABLE for a server that cannot do mTLS.
   * @default ClientTlsMode.ISTIO_MUTUAL
   */
  readonly mode?: ClientTlsMode;
  /**
   * Rule name.
   * @default - the workload name
   */
  readonly name?: string;
}

export interface MeshWorkloadProps extends WorkloadContainerOptions {
  /** The namespace: a StrictNamespace, or `MeshNamespace.fromName(...)`. */
  readonly namespace: IMeshNamespace;
  /**
   * Name of the Deployment, Service and the `app` label.
   * @default - the construct id; `<service name>-<version>` for a version of a `service`
   */
  readonly name?: string;
  /**
   * The account the pods run as, when several workloads share it (a `MeshServiceAccount`, or
   * `MeshServiceAccount.fromName` for one that exists already).
   * @default - a ServiceAccount of its own, named `serviceAccountName`
   */
  readonly serviceAccount?: IMeshServiceAccount;
  /**
   * Name of the workload's own ServiceAccount, and so of its identity.
   * @default - the workload name
   */
  readonly serviceAccountName?: string;
  /**
   * Ports the workload serves. Without ports no Service is emitted (a client-only workload).
   * @default - none (the service's ports for a version of a `service`)
   */
  readonly ports?: WorkloadPort[];
  /**
   * Whether the pod gets an Istio sidecar. `false` places it outside the mesh (a legacy plaintext client).
   * @default - the namespace's injection setting
   */
  readonly sidecar?: boolean;
  /**
   * Replicas. cdk8s-plus would default to 2; one is enough for most mesh examples.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * A workload-level PeerAuthentication selecting this workload.
   * @default - none: the namespace or mesh-wide policy applies
   */
  readonly mtls?: WorkloadMtlsOptions;
  /**
   * A DestinationRule for the workload's Service host.
   * @default - none
   */
  readonly clientTls?: WorkloadClientTlsOptions;
  /**
   * The pod's `version` label, which Istio's telemetry reads beside `app`. For a version of a
   * `service` it also names the Deployment and joins the pod selector.
   * @default "v1"
   */
  readonly version?: string;
  /**
   * Trust domain of the workload's own account.
   * @default - the namespace's trust domain
   */
  readonly trustDomain?: string;
  /**
   * The MeshService this workload is a version of: the Deployment is `<service>-<version>`,
   * its pods carry `{ app: <service>, version }`, the ports and account are the service's, and
   * no Service of its own is emitted. `MeshService.addVersion` does the same.
   * @default - a workload of its own, with its own Service
   */
  readonly service?: MeshService;
}

/**
 * One workload in (or beside) the mesh: ServiceAccount, Deployment and Service, with its
 * sidecar setting, Istio port naming and SPIFFE identity.
 */
export class MeshWorkload extends Construct implements IMeshWorkload {
  public readonly name: string;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  /** The account the pods run as (their own, or one they share). */
  public readonly serviceAccount: IMeshServiceAccount;
  /** Whether the pod runs an Istio sidecar. */
  public readonly sidecar: boolean;
  /** The workload's identity, e.g. `spiffe://cluster.local/ns/foo/sa/sleep`. */
  public readonly identity: WorkloadIdentity;
  /** Fully qualified Service host, e.g. `httpbin.foo.svc.cluster.local` (the service's for a version). */
  public readonly host: string;
  /** Pod labels that select this workload's pods, also the selector of workload-level policies. */
  public readonly selectorLabels: { [key: string]: string };
  public readonly ports: WorkloadPort[];
  /** The version label of the pods. */
  public readonly version: string;
  /** The Deployment (child id `Resource`). */
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  /** The Service, when the workload has ports of its own (not for a version of a MeshService). */
  public readonly service?: kplus.Service;
  /** The MeshService this workload is a version of. */
  public readonly meshService?: MeshService;
  public readonly peerAuthentication?: PeerAuthenticationPolicy;
  /** The DestinationRule for the Service host, when `clientTls` is set. */
  public readonly destinationRule?: ApiObject;
  private readonly meshNamespace: IMeshNamespace;

  public constructor(scope: Construct, id: string, props: MeshWorkloadProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace', 'image']);
    const meshService = props.service;
    this.meshNamespace = props.namespace;
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    assertDnsSubdomain(this, 'clusterDomain', props.namespace.clusterDomain);
    const replicas = props.replicas ?? 1;
    // Kubernetes stores replicas as an int32.
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2147483647) {
      throw new IstioSecurityError(this, `replicas ${quote(replicas)} is not a whole number of 0 or more (at most 2147483647).`);
    }
    if (props.sidecar !== undefined && props.sidecar !== null && typeof props.sidecar !== 'boolean') {
      throw new IstioSecurityError(this, `sidecar ${quote(props.sidecar)} is not a boolean: use true, false, or leave it out for the namespace's setting.`);
    }
    this.version = assertLabelValue(this, 'version', props.version ?? 'v1');
    if (meshService) {
      checkVersionProps(this, meshService, props, this.version);
      this.name = assertDnsLabel(this, 'workload name', props.name ?? `${meshService.name}-${this.version}`);
      this.ports = meshService.ports;
      this.sidecar = meshService.sidecar;
      this.host = meshService.host;
      this.selectorLabels = { ...meshService.selectorLabels, version: this.version };
      this.meshService = meshService;
    } else {
      this.name = assertDnsLabel(this, 'workload name', props.name ?? id);
      this.ports = normalizePorts(this, props.ports ?? []);
      this.sidecar = props.sidecar ?? props.namespace.sidecarInjection;
      this.host = `${this.name}.${this.namespace}.svc.${props.namespace.clusterDomain}`;
      this.selectorLabels = { app: this.name };
    }
    if (!meshService && !props.serviceAccount) {
      assertDnsLabel(this, 'serviceAccountName', props.serviceAccountName ?? this.name);
      assertDnsSubdomain(this, 'trustDomain', props.trustDomain ?? props.namespace.trustDomain);
    }
    validateMtls(this, props.mtls);
    validateClientTls(this, props);
    const container = containerProps(this, meshService?.name ?? this.name, props, this.containerPorts);
    claimObjectName(this, 'Deployment', this.namespace, this.name);
    if (meshService) meshService._addVersion(this, this.version);
    else claim(this, meshHostKey(this.host), (holder) => `host "${this.host}" is already the Service of ${holder.node.path}.`);

    this.serviceAccount = meshService?.serviceAccount ?? ownAccount(this, props);
    this.serviceAccountName = this.serviceAccount.name;
    this.identity = this.serviceAccount.identity;
    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.selectorLabels },
      replicas,
      select: false,
      serviceAccount: this.serviceAccount instanceof MeshServiceAccount ? this.serviceAccount.resource
        : kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccountRef', this.serviceAccount.name),
      podMetadata: {
        // The label is what the injection webhook selects on; the annotation is the long-standing form.
        labels: { ...this.selectorLabels, version: this.version, [SIDECAR_INJECT]: String(this.sidecar) },
        annotations: { [SIDECAR_INJECT]: String(this.sidecar) },
      },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    this.container = this.deployment.addContainer(container);

    if (this.ports.length > 0 && !meshService) {
      this.service = renderService(this, 'Service', { name: this.name, namespace: this.namespace, selector: this.selectorLabels, ports: this.ports as Required<WorkloadPort>[] });
    }
    if (props.mtls) {
      this.peerAuthentication = new PeerAuthenticationPolicy(this, 'PeerAuthentication', {
        namespace: this.namespace,
        name: props.mtls.name ?? this.name,
        mode: props.mtls.mode ?? MtlsMode.STRICT,
        selector: this.selectorLabels,
        portOverrides: props.mtls.portOverrides,
      });
    }
    if (props.clientTls) {
      this.destinationRule = clientTlsRule(this, 'DestinationRule', {
        namespace: this.namespace,
        name: assertDnsLabel(this, 'clientTls name', props.clientTls.name ?? this.name),
        host: this.host,
        mode: props.clientTls.mode ?? ClientTlsMode.ISTIO_MUTUAL,
      });
    }
    registerWorkloadTraits(this, {
      servicePorts: () => this.ports,
      mtlsModeForPort: (port) => this.mtlsModeForPort(port),
      portsMayBeUndeclared: false,
    });
  }

  /** The container ports the workload listens on. */
  public get containerPorts(): number[] {
    return containerPortsOf(this.ports);
  }

  /**
   * Lets `caller` call this workload, identified by its mTLS identity. The first call creates
   * the workload's ALLOW policy (`<name>-allow`); every call adds one rule.
   */
  public allowFrom(caller: IMeshWorkload, options: AllowOptions = {}): void {
    this.allowPeers([Peer.workload(caller)], options);
  }

  /** Lets any of `peers` (service accounts, namespaces, identities) call this workload; adds one rule. */
  public allowPeers(peers: Peer[], options: AllowOptions = {}): void {
    WorkloadAuthorization.of(this).allow(peers, options);
  }

  /**
   * Refuses the requests `options` describe, whoever else allows them. The first call creates the
   * workload's DENY policy (`<name>-deny`); every call adds one rule.
   */
  public deny(options: DenyOptions): void {
    WorkloadAuthorization.denyOf(this).deny(options);
  }

  /** The mTLS mode the workload's server side accepts on a container port, as far as this app declares it. */
  public mtlsModeForPort(containerPort: number): MtlsMode {
    const policy = this.peerAuthentication;
    for (const mode of [policy?.portMode(containerPort), policy?.mode, this.meshNamespace.mtlsMode]) {
      if (mode !== undefined && mode !== MtlsMode.UNSET) return mode;
    }
    return MtlsMode.PERMISSIVE;
  }
}

/** What a version of a MeshService takes from the service, and so may not set itself. */
function checkVersionProps(workload: MeshWorkload, service: MeshService, props: MeshWorkloadProps, version: string): void {
  assertDnsLabel(workload, 'version', version);
  if (props.namespace.name !== service.namespace) {
    throw new IstioSecurityError(workload, `namespace "${props.namespace.name}" is not the namespace "${service.namespace}" of service ${service.node.path}: `
      + 'a version runs beside its Service.');
  }
  const taken: [string, unknown][] = [['ports', props.ports], ['serviceAccountName', props.serviceAccountName],
    ['trustDomain', props.trustDomain], ['clientTls', props.clientTls]];
  for (const [what, value] of taken) {
    if (value !== undefined) {
      throw new IstioSecurityError(workload, `${what} is set on a version of service ${service.node.path}: versions share the service's `
        + `${what === 'clientTls' ? 'DestinationRule (set clientTls on the MeshService)' : what === 'ports' ? 'ports' : 'account'}; leave ${what} out here.`);
    }
  }
  if (props.serviceAccount !== undefined && props.serviceAccount !== service.serviceAccount) {
    throw new IstioSecurityError(workload, `serviceAccount "${props.serviceAccount.name}" differs from the account "${service.serviceAccount.name}" of service `
      + `${service.node.path}: every version runs as the service's account, so that policies naming the service hold for all of them. `
      + 'Declare another MeshService for pods with another identity.');
  }
  if (props.sidecar !== undefined && props.sidecar !== service.sidecar) {
    throw new IstioSecurityError(workload, `sidecar ${props.sidecar} differs from service ${service.node.path} (${service.sidecar}): `
      + 'set sidecar on the MeshService, for every version.');
  }
}

function ownAccount(workload: MeshWorkload, props: MeshWorkloadProps): IMeshServiceAccount {
  const given = props.serviceAccount;
  if (!given) {
    return new MeshServiceAccount(workload, 'ServiceAccount', {
      namespace: props.namespace,
      name: assertDnsLabel(workload, 'serviceAccountName', props.serviceAccountName ?? workload.name),
      trustDomain: props.trustDomain,
    });
  }
  if (props.serviceAccountName !== undefined || props.trustDomain !== undefined) {
    throw new IstioSecurityError(workload, 'serviceAccount is given, so serviceAccountName and trustDomain come from it: leave them out.');
  }
  if (typeof given.name !== 'string' || typeof given.namespace !== 'string' || !given.identity) {
    throw new IstioSecurityError(workload, `serviceAccount ${quote(given)} is not a service account: pass a MeshServiceAccount or MeshServiceAccount.fromName(...).`);
  }
  if (given.namespace !== workload.namespace) {
    throw new IstioSecurityError(workload, `serviceAccount "${given.namespace}/${given.name}" is in another namespace: `
      + `pods run only as accounts of their own namespace "${workload.namespace}".`);
  }
  return given;
}

function validateMtls(workload: MeshWorkload, mtls: WorkloadMtlsOptions | undefined): void {
  if (!mtls) return;
  if (mtls.mode !== undefined) assertEnumValue(workload, 'mtls mode', mtls.mode, MtlsMode);
  const exposed = workload.containerPorts;
  for (const override of mtls.portOverrides ?? []) {
    if (!exposed.includes(override.port)) {
      throw new IstioSecurityError(workload, `mtls port override for port ${quote(override.port)} names a port the workload does not expose: `
        + `use one of its container ports [${exposed.join(', ')}].`);
    }
  }
  if (mtls.mode !== undefined && mtls.mode !== MtlsMode.DISABLE && !workload.sidecar) {
    throw new IstioSecurityError(workload, `mtls mode ${mtls.mode} on a workload without a sidecar has no effect: `
      + 'enable the sidecar, or leave mtls out.');
  }
}

function validateClientTls(workload: MeshWorkload, props: MeshWorkloadProps): void {
  const clientTls = props.clientTls;
  if (!clientTls) return;
  const mode = assertEnumValue(workload, 'clientTls mode', clientTls.mode ?? ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode);
  const strict = props.mtls ? (props.mtls.mode ?? MtlsMode.STRICT) === MtlsMode.STRICT
    : props.namespace.mtlsMode === MtlsMode.STRICT;
  checkMeshClientTls(workload, mode, { sidecar: workload.sidecar, strict, hasPorts: workload.ports.length > 0 });
}
