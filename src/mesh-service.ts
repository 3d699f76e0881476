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
import { AllowOptions, AuthorizationAction, WorkloadAuthorization } from './workload-authorization';
import { WorkloadContainerOptions } from './workload-container';
import { WorkloadPort } from './workload-port';
import { checkMeshClientTls } from './private/destination-rules';
import { claim, claimObjectName, meshHostKey } from './private/registry';
import { containerPortsOf, normalizePorts, renderService } from './private/service';
import { NamespaceFacts, namespaceFacts } from './private/namespace-facts';
import { checkServiceAccount } from './private/service-account';
import { assertNoMutualForAll, checkSidecar } from './private/sidecar-checks';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertComposedHost, assertDnsLabel, assertEnumValue, assertLabelValue, assertProps, assertRequired, assertServiceName, isRecord, optionalBoolean, quote,
} from './private/validate';
import { refuseAtSynth } from './private/warnings';
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
  /** @internal The TLS mode the service's clientTls gives its DestinationRule, if any. */
  public readonly _clientTlsMode?: ClientTlsMode;
  private readonly meshNamespace: NamespaceFacts;
  private readonly versionWorkloads = new Map<string, MeshWorkload>();

  public constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, MESH_SERVICE_PROPS);
      assertRequired(this, p, ['namespace', 'ports']);
      const ns = namespaceFacts(this, 'namespace', p.namespace);
      this.meshNamespace = ns;
      this.namespace = ns.name;
      this.name = assertDnsLabel(this, 'service name', p.name ?? id);
      assertServiceName(this, 'service name', this.name);
      // Every version is a Deployment "<name>-<version>", a DNS label of at most 63 characters.
      if (this.name.length > 61) {
        throw new IstioSecurityError(this, `service name ${quote(this.name)} has ${this.name.length} characters: each version's Deployment is `
          + 'named "<name>-<version>" (at most 63), so use a name of at most 61 characters, shorter by the longest version name plus one.');
      }
      this.host = assertComposedHost(this, 'Service host', `${this.name}.${this.namespace}.svc.${ns.clusterDomain}`,
        'service name, namespace name or cluster domain');
      const ports = normalizePorts(this, p.ports);
      if (ports.length === 0) throw new IstioSecurityError(this, 'ports [] gives the Service nothing to expose: list the ports every version serves.');
      this.ports = ports;
      this.sidecar = checkSidecar(this, p.sidecar, ns);
      const subsets = optionalBoolean(this, 'subsets', p.subsets, false);
      const clientTls = checkServiceClientTls(this, p.clientTls, ns, this.sidecar, ports);
      if (!this.sidecar && clientTls.given !== ClientTlsMode.DISABLE) assertNoMutualForAll(this, ns);
      this._clientTlsMode = clientTls.given;
      this.selectorLabels = { app: this.name };
      const account = p.serviceAccount === undefined || p.serviceAccount === null ? undefined
        : checkServiceAccount(this, 'serviceAccount', p.serviceAccount, this.namespace);
      if (account && p.serviceAccountName !== undefined && p.serviceAccountName !== null) {
        throw new IstioSecurityError(this, 'give either serviceAccount or serviceAccountName, not both: serviceAccount already names the account.');
      }
      const accountName = account ? undefined : assertDnsLabel(this, 'serviceAccountName', p.serviceAccountName ?? this.name);
      claim(this, meshHostKey(this.host), (holder) => `host "${this.host}" is already the Service of ${holder.node.path}: give one of them another name or namespace.`);
      this.serviceAccount = account ?? new MeshServiceAccount(this, 'ServiceAccount', { namespace: p.namespace, name: accountName });
      this.identity = this.serviceAccount.identity;
      this.service = renderService(this, 'Resource', { name: this.name, namespace: this.namespace, selector: this.selectorLabels, ports });
      if (subsets || p.clientTls !== undefined && p.clientTls !== null) this.destinationRule = this.renderDestinationRule(clientTls, subsets);
      registerWorkloadTraits(this, {
        servicePorts: () => this.ports,
        mtlsModeForPort: (port) => this.mtlsModeForPort(port),
        portsMayBeUndeclared: false,
      });
      refuseAtSynth(this, () => (this.versionWorkloads.size > 0 ? [] : [`service ${this.node.path} has no versions, so its Service selects no pods: `
        + 'add one with addVersion("v1", { image }).']));
    } catch (error) {
      throw rollback(this, error);
    }
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
    // The version names a child construct, a Deployment and a subset: checked before any of them.
    assertLabelValue(this, 'version', version);
    assertDnsLabel(this, 'version', version);
    if (!isRecord(options)) {
      throw new IstioSecurityError(this, `addVersion options ${quote(options)} are not an object: pass the version's container, e.g. { image: "nginx:1.27" }.`);
    }
    this.checkNewVersion(this, version);
    const id = `Version-${version}`;
    const taken = this.node.tryFindChild(id);
    if (taken) {
      throw new IstioSecurityError(this, `version ${quote(version)} of service ${this.node.path} cannot be added: ${taken.node.path} exists already `
        + '(a child added by hand): give the version another name, or that child another id.');
    }
    return new MeshWorkload(this, id, {
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
    WorkloadAuthorization._ruleOn(this, AuthorizationAction.ALLOW, (policy) => policy.allow(peers, options));
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

  private renderDestinationRule(clientTls: CheckedClientTls | undefined, subsets: boolean): ApiObject {
    const name = clientTls?.name ?? this.name;
    claimObjectName(this, 'DestinationRule', this.namespace, name);
    const mode = clientTls?.mode;
    return new DestinationRule(this, 'DestinationRule', {
      metadata: { name, namespace: this.namespace },
      spec: {
        host: this.host,
        trafficPolicy: mode ? { tls: { mode: mode as string as DestinationRuleSpecTrafficPolicyTlsMode } } : undefined,
        subsets: subsets
          // Without a traffic policy of their own, subsets inherit the rule's TLS mode.
          ? Lazy.any({ produce: () => [...this.versionWorkloads.keys()].map((version) => ({ name: version, labels: { version } })) })
          : undefined,
      },
    });
  }
}

interface CheckedClientTls {
  /** The rule's mode: the given one, else the StrictNamespace's. */
  readonly mode?: ClientTlsMode;
  readonly given?: ClientTlsMode;
  readonly name: string;
}

const CLIENT_TLS_KEYS: KnownKeys<WorkloadClientTlsOptions> = { mode: true, name: true };
const MESH_SERVICE_PROPS: KnownKeys<MeshServiceProps> = {
  namespace: true, name: true, ports: true, serviceAccount: true, serviceAccountName: true, sidecar: true, subsets: true, clientTls: true,
};

/**
 * The client TLS of the service's DestinationRule: the given mode, else the StrictNamespace's
 * (a host-specific rule replaces the namespace's `*.<ns>.svc` rule, so it keeps its mode).
 */
function checkServiceClientTls(service: MeshService, value: unknown, ns: NamespaceFacts, sidecar: boolean,
  ports: readonly WorkloadPort[]): CheckedClientTls {
  const o = assertProps(service, 'clientTls', value as WorkloadClientTlsOptions, CLIENT_TLS_KEYS);
  const given = o.mode === undefined || o.mode === null ? undefined : assertEnumValue(service, 'clientTls mode', o.mode, ClientTlsMode);
  const inherited = ns.construct instanceof StrictNamespace && ns.construct.destinationRule ? ClientTlsMode.ISTIO_MUTUAL : undefined;
  const mode = given ?? inherited;
  if (given !== undefined) checkMeshClientTls(service, given, { sidecar, strict: ns.mtlsMode === MtlsMode.STRICT, hasPorts: ports.length > 0 });
  return { mode, given, name: assertDnsLabel(service, 'clientTls name', o.name ?? service.name) };
}
