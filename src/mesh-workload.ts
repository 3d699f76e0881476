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
import { AllowOptions, AuthorizationAction, DenyOptions, WorkloadAuthorization } from './workload-authorization';
import { MeshWideMtls } from './mesh-wide-mtls';
import { StrictNamespace } from './strict-namespace';
import { CONTAINER_OPTIONS, containerProps } from './private/container';
import { clientTlsRule } from './private/destination-rules';
import { NamespaceFacts, namespaceFacts } from './private/namespace-facts';
import { portMtls } from './private/port-mtls';
import { claim, claimObjectName, holderOf, meshHostKey } from './private/registry';
import { containerPortsOf, normalizePorts, renderService } from './private/service';
import { checkServiceAccount } from './private/service-account';
import { assertNoMutualForAll, checkSidecar } from './private/sidecar-checks';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertComposedHost, assertDnsLabel, assertDnsSubdomain, assertEnumValue, assertLabelValue, assertList, assertPort, assertProps,
  assertRequired, assertServiceName, assertUnique, listText, quote,
} from './private/validate';
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

const MESH_WORKLOAD_PROPS: KnownKeys<MeshWorkloadProps> = {
  ...CONTAINER_OPTIONS, namespace: true, name: true, serviceAccount: true, serviceAccountName: true, ports: true, sidecar: true, replicas: true,
  mtls: true, clientTls: true, version: true, trustDomain: true, service: true,
};
const WORKLOAD_MTLS_KEYS: KnownKeys<WorkloadMtlsOptions> = { mode: true, portOverrides: true, name: true };
const CLIENT_TLS_KEYS: KnownKeys<WorkloadClientTlsOptions> = { mode: true, name: true };

/** The workload-level PeerAuthentication as checked. */
interface CheckedMtls {
  readonly mode: MtlsMode;
  readonly portOverrides: PortMtls[];
  readonly name: string;
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
  private readonly meshNamespace: NamespaceFacts;
  private readonly mtlsOptions?: CheckedMtls;

  public constructor(scope: Construct, id: string, props: MeshWorkloadProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, MESH_WORKLOAD_PROPS);
      assertRequired(this, p, ['namespace', 'image']);
      const meshService = p.service === undefined || p.service === null ? undefined : p.service;
      const ns = namespaceFacts(this, 'namespace', p.namespace);
      this.meshNamespace = ns;
      this.namespace = ns.name;
      const replicas = p.replicas ?? 1;
      // Kubernetes stores replicas as an int32.
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > 2147483647) {
        throw new IstioSecurityError(this, `replicas ${quote(replicas)} is not a whole number of 0 or more (at most 2147483647).`);
      }
      this.version = assertLabelValue(this, 'version', p.version ?? 'v1');
      if (meshService) {
        checkVersionProps(this, meshService, p, this.version);
        this.name = assertDnsLabel(this, 'workload name', p.name ?? `${meshService.name}-${this.version}`);
        this.ports = meshService.ports;
        this.sidecar = meshService.sidecar;
        this.host = meshService.host;
        this.selectorLabels = { ...meshService.selectorLabels, version: this.version };
        this.meshService = meshService;
      } else {
        this.name = assertDnsLabel(this, 'workload name', p.name ?? id);
        this.ports = normalizePorts(this, p.ports ?? []);
        this.sidecar = checkSidecar(this, p.sidecar, ns);
        this.host = assertComposedHost(this, 'Service host', `${this.name}.${this.namespace}.svc.${ns.clusterDomain}`,
          'workload name, namespace name or cluster domain');
        if (this.ports.length > 0) assertServiceName(this, 'workload name', this.name);
        this.selectorLabels = { app: this.name };
      }
      if (!meshService && !p.serviceAccount) {
        assertDnsLabel(this, 'serviceAccountName', p.serviceAccountName ?? this.name);
        assertDnsSubdomain(this, 'trustDomain', p.trustDomain ?? ns.trustDomain);
      }
      this.mtlsOptions = checkMtls(this, p.mtls, this.ports);
      const clientTls = meshService ? undefined : checkClientTls(this, p.clientTls, this.ports);
      if (!meshService && !this.sidecar && this.ports.length > 0 && clientTls?.mode !== ClientTlsMode.DISABLE) assertNoMutualForAll(this, ns);
      // The TLS callers use for the host: the workload's (or its service's) own rule, else its StrictNamespace's ISTIO_MUTUAL rule.
      const ownTls = meshService ? meshService._clientTlsMode : clientTls?.mode;
      const callerTls = ownTls ?? (ns.construct instanceof StrictNamespace && ns.construct.destinationRule ? ClientTlsMode.ISTIO_MUTUAL : undefined);
      if (callerTls !== undefined && this.sidecar) {
        const source = { own: ownTls !== undefined, holder: meshService ? `the MeshService ${meshService.node.path}` : 'the workload' };
        assertClientTlsFits(this, callerTls, source);
        // A MeshWideMtls may be declared after the workload: check again at synth.
        this.node.addValidation({ validate: () => { assertClientTlsFits(this, callerTls, source); return []; } });
      }
      const container = containerProps(this, meshService?.name ?? this.name, p, this.containerPorts, this.sidecar);
      claimObjectName(this, 'Deployment', this.namespace, this.name);
      if (meshService) meshService._addVersion(this, this.version);
      else claim(this, meshHostKey(this.host), (holder) => `host "${this.host}" is already the Service of ${holder.node.path}: give one of them another name or namespace.`);

      this.serviceAccount = meshService?.serviceAccount ?? ownAccount(this, p);
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
      const mtls = this.mtlsOptions;
      if (mtls) {
        this.peerAuthentication = new PeerAuthenticationPolicy(this, 'PeerAuthentication', {
          namespace: this.namespace,
          name: mtls.name,
          mode: mtls.mode,
          selector: this.selectorLabels,
          portOverrides: mtls.portOverrides,
        });
      }
      if (clientTls) {
        this.destinationRule = clientTlsRule(this, 'DestinationRule', {
          namespace: this.namespace,
          name: clientTls.name,
          host: this.host,
          mode: clientTls.mode,
        });
      }
      registerWorkloadTraits(this, {
        servicePorts: () => this.ports,
        mtlsModeForPort: (port) => this.mtlsModeForPort(port),
        portsMayBeUndeclared: false,
      });
    } catch (error) {
      throw rollback(this, error);
    }
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

  /** Lets any of `peers` (service accounts, namespaces, identities) call this workload; adds one rule (the same rule twice is kept once). */
  public allowPeers(peers: Peer[], options: AllowOptions = {}): void {
    WorkloadAuthorization._ruleOn(this, AuthorizationAction.ALLOW, (policy) => policy.allow(peers, options));
  }

  /**
   * Refuses the requests `options` describe, whoever else allows them. The first call creates the
   * workload's DENY policy (`<name>-deny`); every call adds one rule.
   */
  public deny(options: DenyOptions): void {
    WorkloadAuthorization._ruleOn(this, AuthorizationAction.DENY, (policy) => policy.deny(options));
  }

  /**
   * The mTLS mode the workload's server side accepts on a container port, as far as this app
   * declares it: the port's own mode, the workload's, the namespace's, the chart's mesh-wide
   * policy (MeshWideMtls in istio-system), else Istio's default PERMISSIVE. UNSET inherits.
   */
  public mtlsModeForPort(containerPort: number): MtlsMode {
    return effectiveMode(this, this.mtlsOptions, this.meshNamespace, containerPort);
  }

  /** @internal The port's own mode in the workload's PeerAuthentication, if it has one. */
  public _peerAuthenticationPortMode(containerPort: number): MtlsMode | undefined {
    return this.mtlsOptions?.portOverrides.find((o) => o.port === containerPort)?.mode;
  }

  /** @internal What the workload's namespace is known to be. */
  public get _namespaceFacts(): NamespaceFacts {
    return this.meshNamespace;
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
    if (value !== undefined && value !== null) {
      throw new IstioSecurityError(workload, `${what} is set on a version of service ${service.node.path}: versions share the service's `
        + `${what === 'clientTls' ? 'DestinationRule (set clientTls on the MeshService)' : what === 'ports' ? 'ports' : 'account'}; leave ${what} out here.`);
    }
  }
  if (props.serviceAccount !== undefined && props.serviceAccount !== null && props.serviceAccount !== service.serviceAccount) {
    throw new IstioSecurityError(workload, `serviceAccount ${quote((props.serviceAccount as any)?.name)} differs from the account "${service.serviceAccount.name}" of service `
      + `${service.node.path}: every version runs as the service's account, so that policies naming the service hold for all of them. `
      + 'Declare another MeshService for pods with another identity.');
  }
  if (props.sidecar !== undefined && props.sidecar !== null && props.sidecar !== service.sidecar) {
    throw new IstioSecurityError(workload, `sidecar ${quote(props.sidecar)} differs from service ${service.node.path} (${service.sidecar}): `
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
  return checkServiceAccount(workload, 'serviceAccount', given, workload.namespace);
}

/** The mode a container port gets, from the most specific policy the app declares. */
function effectiveMode(scope: Construct, mtls: CheckedMtls | undefined, ns: NamespaceFacts, containerPort: number): MtlsMode {
  const port = mtls?.portOverrides.find((o) => o.port === containerPort)?.mode;
  const meshWide = holderOf(scope, 'mesh-wide-mtls:istio-system');
  const mesh = meshWide instanceof MeshWideMtls ? meshWide.mode : undefined;
  for (const mode of [port, mtls?.mode, ns.mtlsMode, mesh]) {
    if (mode !== undefined && mode !== MtlsMode.UNSET) return mode;
  }
  return MtlsMode.PERMISSIVE;
}

function checkMtls(workload: MeshWorkload, value: unknown, ports: WorkloadPort[]): CheckedMtls | undefined {
  if (value === undefined || value === null) return undefined;
  const mtls = assertProps(workload, 'mtls', value as WorkloadMtlsOptions, WORKLOAD_MTLS_KEYS);
  const mode = assertEnumValue(workload, 'mtls mode', mtls.mode ?? MtlsMode.STRICT, MtlsMode);
  const name = assertDnsLabel(workload, 'mtls name', mtls.name ?? workload.name);
  const exposed = new Set(containerPortsOf(ports));
  const overrides = mtls.portOverrides === undefined || mtls.portOverrides === null ? []
    : assertList(workload, 'mtls portOverrides', mtls.portOverrides, { example: '[{ port: 9090, mode: MtlsMode.PERMISSIVE }]' })
      .map((entry) => portMtls(workload, 'mtls portOverrides entry', entry));
  for (const override of overrides) {
    assertPort(workload, 'mtls port override port', override.port);
    assertEnumValue(workload, `mtls port override mode for port ${override.port}`, override.mode, MtlsMode);
    if (!exposed.has(override.port)) {
      throw new IstioSecurityError(workload, `mtls port override for port ${quote(override.port)} names a port the workload does not expose: `
        + (exposed.size > 0 ? `use one of its container ports [${listText([...exposed])}].` : 'declare the port in ports, or leave portOverrides out.'));
    }
  }
  assertUnique(workload, 'mtls port override port', overrides.map((o) => o.port));
  if (!workload.sidecar) {
    const effective = [mode, ...overrides.map((o) => o.mode)].find((m) => m !== MtlsMode.DISABLE && m !== MtlsMode.UNSET);
    if (effective !== undefined) {
      throw new IstioSecurityError(workload, `mtls mode ${effective} on a workload without a sidecar has no effect (no sidecar enforces it): `
        + `${enableSidecar(workload)}, or leave mtls out.`);
    }
  }
  return { mode, portOverrides: overrides, name };
}

function checkClientTls(workload: MeshWorkload, value: unknown, ports: WorkloadPort[]): { mode: ClientTlsMode; name: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const clientTls = assertProps(workload, 'clientTls', value as WorkloadClientTlsOptions, CLIENT_TLS_KEYS);
  const mode = assertEnumValue(workload, 'clientTls mode', clientTls.mode ?? ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode);
  const name = assertDnsLabel(workload, 'clientTls name', clientTls.name ?? workload.name);
  if (ports.length === 0) {
    throw new IstioSecurityError(workload, 'clientTls needs a Service host, but the workload has no ports: add ports, or leave clientTls out.');
  }
  if (mode !== ClientTlsMode.ISTIO_MUTUAL && mode !== ClientTlsMode.DISABLE) {
    throw new IstioSecurityError(workload, `clientTls mode ${mode} is for servers outside the mesh: use ISTIO_MUTUAL or DISABLE for a MeshWorkload.`);
  }
  if (mode === ClientTlsMode.ISTIO_MUTUAL && !workload.sidecar) {
    throw new IstioSecurityError(workload, 'clientTls ISTIO_MUTUAL to a workload without a sidecar makes every call fail: '
      + `${enableSidecar(workload)}, or use ClientTlsMode.DISABLE.`);
  }
  return { mode, name };
}

/**
 * The client TLS every caller uses for the host must fit every container port: plaintext
 * (DISABLE) is rejected by a STRICT port, and ISTIO_MUTUAL is not terminated by a DISABLE port.
 */
function assertClientTlsFits(workload: MeshWorkload, mode: ClientTlsMode, source: { own: boolean; holder: string }): void {
  const ports = containerPortsOf(workload.ports);
  const misfit = mode === ClientTlsMode.DISABLE ? MtlsMode.STRICT : mode === ClientTlsMode.ISTIO_MUTUAL ? MtlsMode.DISABLE : undefined;
  const bad = ports.filter((port) => workload.mtlsModeForPort(port) === misfit);
  if (misfit === undefined || bad.length === 0) return;
  // Name the setting that gives the ports their mode: a port override beats the workload's mode, which beats the namespace's.
  const overridden = bad.filter((port) => workload._peerAuthenticationPortMode(port) === misfit);
  if (mode === ClientTlsMode.DISABLE) {
    const fix = overridden.length > 0 ? `set the mtls port override of port(s) ${listText(overridden)} to PERMISSIVE`
      : 'make the ports PERMISSIVE with mtls: { mode: MtlsMode.PERMISSIVE }';
    throw new IstioSecurityError(workload, `clientTls DISABLE sends plaintext to container port(s) ${listText(bad)}, whose mTLS mode is STRICT, `
      + `so every call there is rejected: use ISTIO_MUTUAL, or ${fix}.`);
  }
  const from = source.own ? `clientTls ISTIO_MUTUAL of ${source.holder}` : `the ISTIO_MUTUAL DestinationRule of StrictNamespace ${workload._namespaceFacts.construct?.node.path}`;
  const fix = overridden.length > 0 ? `set the mtls port override of port(s) ${listText(overridden)} to PERMISSIVE` : 'set mtls mode PERMISSIVE';
  throw new IstioSecurityError(workload, `${from} sends mutual TLS to container port(s) ${listText(bad)}, whose mTLS mode is DISABLE, so the sidecar `
    + `does not terminate it and every call there fails: ${fix}, or give ${source.holder} clientTls: { mode: ClientTlsMode.DISABLE }.`);
}

/** How to give `workload` a sidecar: from the pod, unless its namespace disables injection. */
function enableSidecar(workload: MeshWorkload): string {
  const ns = workload._namespaceFacts;
  return ns.construct && !ns.sidecarInjection ? `enable injection in namespace "${ns.name}" (${ns.construct.node.path}) and set sidecar: true`
    : 'set sidecar: true';
}
