import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AppProtocol } from './app-protocol';
import { ClientTlsMode } from './client-tls-mode';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { PeerAuthenticationPolicy, PortMtls } from './peer-authentication-policy';
import { WorkloadPort } from './workload-port';
import { AllowOptions, WorkloadAuthorization } from './workload-authorization';
import { clientTlsRule } from './private/destination-rules';
import { claim, claimObjectName, meshHostKey } from './private/registry';
import { assertDnsLabel, assertDnsSubdomain, assertEnumValue, assertLabelValue, assertPort, assertUnique, quote, assertRequired } from './private/validate';

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

export interface MeshWorkloadProps {
  /** The namespace: a StrictNamespace, or `MeshNamespace.fromName(...)`. */
  readonly namespace: IMeshNamespace;
  /** Container image. */
  readonly image: string;
  /**
   * Name of the Deployment, Service and the `app` label.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Service account, and so the workload's identity.
   * @default - the workload name
   */
  readonly serviceAccountName?: string;
  /**
   * Ports the workload serves. Without ports no Service is emitted (a client-only workload).
   * @default - none
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
   * Container command.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Container arguments.
   * @default - the image's cmd
   */
  readonly args?: string[];
  /**
   * Container security context. cdk8s-plus's defaults are kept: non-root, read-only root
   * filesystem, no privilege escalation. Images that need root or a writable filesystem
   * (httpbin, nginx) turn them off here.
   * @default - cdk8s-plus defaults
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
  /**
   * Container resources.
   * @default - cdk8s-plus defaults (requests 1000m CPU / 512Mi, limits 1500m / 2048Mi)
   */
  readonly resources?: kplus.ContainerResources;
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
   * The pod's `version` label, which Istio's telemetry reads beside `app`.
   * @default "v1"
   */
  readonly version?: string;
  /**
   * Trust domain of the workload's identity.
   * @default - the namespace's trust domain
   */
  readonly trustDomain?: string;
}

/**
 * One workload in (or beside) the mesh: ServiceAccount, Deployment and Service, with its
 * sidecar setting, Istio port naming and SPIFFE identity.
 */
export class MeshWorkload extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  public readonly serviceAccountName: string;
  /** Whether the pod runs an Istio sidecar. */
  public readonly sidecar: boolean;
  /** The workload's identity, e.g. `spiffe://cluster.local/ns/foo/sa/sleep`. */
  public readonly identity: WorkloadIdentity;
  /** Fully qualified Service host, e.g. `httpbin.foo.svc.cluster.local`. */
  public readonly host: string;
  /** Pod labels, also the selector of workload-level policies. */
  public readonly selectorLabels: { [key: string]: string };
  public readonly ports: WorkloadPort[];
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The Deployment (child id `Resource`). */
  public readonly deployment: kplus.Deployment;
  public readonly container: kplus.Container;
  /** The Service, when the workload has ports. */
  public readonly service?: kplus.Service;
  public readonly peerAuthentication?: PeerAuthenticationPolicy;
  /** The DestinationRule for the Service host, when `clientTls` is set. */
  public readonly destinationRule?: ApiObject;
  private readonly meshNamespace: IMeshNamespace;

  public constructor(scope: Construct, id: string, props: MeshWorkloadProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace', 'image']);
    this.meshNamespace = props.namespace;
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    this.name = assertDnsLabel(this, 'workload name', props.name ?? id);
    this.serviceAccountName = assertDnsLabel(this, 'serviceAccountName', props.serviceAccountName ?? this.name);
    const trustDomain = assertDnsSubdomain(this, 'trustDomain', props.trustDomain ?? props.namespace.trustDomain);
    assertDnsSubdomain(this, 'clusterDomain', props.namespace.clusterDomain);
    if (!props.image) throw new IstioSecurityError(this, 'image is empty: name the container image to run.');
    if (typeof props.image !== 'string' || props.image !== props.image.trim()) {
      throw new IstioSecurityError(this, `image ${quote(props.image)} is not a container image reference: `
        + 'use a string without leading or trailing whitespace, e.g. "nginx:1.27".');
    }
    for (const [what, list] of [['command', props.command], ['args', props.args]] as const) {
      const bad = (list ?? []).findIndex((item) => typeof item !== 'string');
      if (bad >= 0) throw new IstioSecurityError(this, `${what} entry ${quote(list![bad])} is not a string: give ${what} as a list of strings.`);
    }
    const replicas = props.replicas ?? 1;
    // Kubernetes stores replicas as an int32.
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2147483647) {
      throw new IstioSecurityError(this, `replicas ${quote(replicas)} is not a whole number of 0 or more (at most 2147483647).`);
    }
    if (props.sidecar !== undefined && props.sidecar !== null && typeof props.sidecar !== 'boolean') {
      throw new IstioSecurityError(this, `sidecar ${quote(props.sidecar)} is not a boolean: use true, false, or leave it out for the namespace's setting.`);
    }
    const version = assertLabelValue(this, 'version', props.version ?? 'v1');
    this.ports = normalizePorts(this, props.ports ?? []);
    this.sidecar = props.sidecar ?? props.namespace.sidecarInjection;
    this.identity = WorkloadIdentity.of(trustDomain, this.namespace, this.serviceAccountName);
    this.host = `${this.name}.${this.namespace}.svc.${props.namespace.clusterDomain}`;
    this.selectorLabels = { app: this.name };
    validateMtls(this, props.mtls);
    validateClientTls(this, props);
    claimObjectName(this, 'Deployment', this.namespace, this.name);
    claim(this, meshHostKey(this.host), (holder) => `host "${this.host}" is already the Service of ${holder.node.path}.`);

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.serviceAccountName, namespace: this.namespace },
    });
    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.selectorLabels },
      replicas,
      select: false,
      serviceAccount: this.serviceAccount,
      podMetadata: {
        // The label is what the injection webhook selects on; the annotation is the long-standing form.
        labels: { ...this.selectorLabels, version, [SIDECAR_INJECT]: String(this.sidecar) },
        annotations: { [SIDECAR_INJECT]: String(this.sidecar) },
      },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    this.container = this.deployment.addContainer({
      name: this.name,
      image: props.image,
      command: props.command,
      args: props.args,
      securityContext: props.securityContext,
      resources: props.resources,
      ports: uniqueContainerPorts(this.ports).map((number) => ({ number })),
    });

    if (this.ports.length > 0) this.service = this.renderService();
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
  }

  /**
   * Lets `caller` call this workload, identified by its mTLS identity. The first call creates
   * the workload's ALLOW policy (`<name>-allow`); every call adds one rule.
   */
  public allowFrom(caller: MeshWorkload, options: AllowOptions = {}): void {
    this.allowPeers([Peer.workload(caller)], options);
  }

  /** Lets any of `peers` (service accounts, namespaces, identities) call this workload; adds one rule. */
  public allowPeers(peers: Peer[], options: AllowOptions = {}): void {
    WorkloadAuthorization.of(this).allow(peers, options);
  }

  /** The mTLS mode the workload's server side accepts on a container port, as far as this app declares it. */
  public mtlsModeForPort(containerPort: number): MtlsMode {
    const policy = this.peerAuthentication;
    for (const mode of [policy?.portMode(containerPort), policy?.mode, this.meshNamespace.mtlsMode]) {
      if (mode !== undefined && mode !== MtlsMode.UNSET) return mode;
    }
    return MtlsMode.PERMISSIVE;
  }

  private renderService(): kplus.Service {
    const service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.selectorLabels },
      ports: this.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.containerPort })),
    });
    for (const [key, value] of Object.entries(this.selectorLabels)) service.selectLabel(key, value);
    // cdk8s-plus has no appProtocol; Istio reads it before the port name.
    this.ports.forEach((p, index) => {
      ApiObject.of(service).addJsonPatch(JsonPatch.add(`/spec/ports/${index}/appProtocol`, p.protocol));
    });
    return service;
  }
}

function normalizePorts(scope: Construct, ports: WorkloadPort[]): Required<WorkloadPort>[] {
  const normalized = ports.map((p) => {
    const port = assertPort(scope, 'port', p.port);
    const containerPort = assertPort(scope, 'containerPort', p.containerPort ?? p.port);
    const protocol = assertEnumValue(scope, 'port protocol', p.protocol ?? AppProtocol.HTTP, AppProtocol);
    const name = p.name ?? `${protocol}-${port}`;
    assertDnsLabel(scope, 'port name', name);
    if (name !== protocol && !name.startsWith(`${protocol}-`)) {
      throw new IstioSecurityError(scope, `port name ${quote(name)} does not match protocol ${protocol}: `
        + `Istio selects the protocol from the name, so use "${protocol}" or "${protocol}-<suffix>".`);
    }
    return { port, containerPort, protocol, name };
  });
  assertUnique(scope, 'port name', normalized.map((p) => p.name));
  assertUnique(scope, 'service port', normalized.map((p) => p.port));
  return normalized;
}

function uniqueContainerPorts(ports: WorkloadPort[]): number[] {
  return [...new Set(ports.map((p) => p.containerPort!))];
}

function validateMtls(workload: MeshWorkload, mtls: WorkloadMtlsOptions | undefined): void {
  if (!mtls) return;
  if (mtls.mode !== undefined) assertEnumValue(workload, 'mtls mode', mtls.mode, MtlsMode);
  const exposed = uniqueContainerPorts(workload.ports);
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
  if (workload.ports.length === 0) {
    throw new IstioSecurityError(workload, 'clientTls needs a Service host, but the workload has no ports: add ports, or leave clientTls out.');
  }
  if (mode !== ClientTlsMode.ISTIO_MUTUAL && mode !== ClientTlsMode.DISABLE) {
    throw new IstioSecurityError(workload, `clientTls mode ${mode} is for servers outside the mesh: use ISTIO_MUTUAL or DISABLE for a MeshWorkload.`);
  }
  if (mode === ClientTlsMode.ISTIO_MUTUAL && !workload.sidecar) {
    throw new IstioSecurityError(workload, 'clientTls ISTIO_MUTUAL to a workload without a sidecar makes every call fail: '
      + 'enable the sidecar, or use ClientTlsMode.DISABLE.');
  }
  const declaredStrict = props.mtls ? (props.mtls.mode ?? MtlsMode.STRICT) === MtlsMode.STRICT
    : props.namespace.mtlsMode === MtlsMode.STRICT;
  if (mode === ClientTlsMode.DISABLE && workload.sidecar && declaredStrict) {
    throw new IstioSecurityError(workload, 'clientTls DISABLE sends plaintext to a server whose mTLS mode is STRICT, so every call is rejected: '
      + 'use ISTIO_MUTUAL, or make the server PERMISSIVE.');
  }
}
