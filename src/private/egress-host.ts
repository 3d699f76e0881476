import { ApiObject, Chart, Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  DestinationRule, DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode, Gateway, GatewaySpecServersTlsMode, ServiceEntry,
  ServiceEntrySpecResolution, VirtualService,
} from '../../imports/networking.istio.io';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import { EgressGateway } from '../egress-gateway';
import { EgressModeKind } from '../egress-mode';
import { IstioSecurityError } from '../errors';
import type { IMeshWorkload } from '../mesh-workload-interface';
import { checkServerPort, gatewayPodsKey, recordServerHost, serverHostHolder } from './gateway-servers';
import { hostObjectName } from './names';
import { assertObjectNameFree, claimObjectName, objectKey, releaseClaim } from './registry';
import { onRollback } from './transaction';

/** A port the host's ServiceEntry declares. */
export interface ServiceEntryPortSpec {
  readonly number: number;
  readonly name: string;
  /** Upper case, as Istio writes it: HTTP, HTTPS, TLS... */
  readonly protocol: string;
}

/** The TLS the gateway opens to the host on one of its ports. */
export interface OriginationTlsSpec {
  readonly mode: 'SIMPLE' | 'MUTUAL';
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly subjectAltNames?: string[];
}

/** One route's way through the gateway: the mesh leg and the gateway leg. */
export interface EgressLeg {
  readonly route: IConstruct;
  readonly kind: EgressModeKind;
  /** Port the app calls (the mesh leg's match). */
  readonly port: number;
  /** Gateway Service port (the gateway leg's match and the Gateway server). */
  readonly gatewayPort: number;
  /** Port of the host the gateway calls. */
  readonly targetPort: number;
  /** Whether the sidecar reaches the gateway over mesh mTLS. */
  readonly meshTls: boolean;
  /** The origination, for origination modes. */
  readonly origination?: OriginationTlsSpec;
}

interface PortHolder { readonly spec: ServiceEntryPortSpec; readonly holder: IConstruct }

/** The workloads that may use a host's routes. */
export interface RouteClients {
  readonly workloads: IMeshWorkload[];
  /** Their principals, sorted, each once. */
  readonly principals: string[];
  /** Their namespaces, sorted, each once. */
  readonly namespaces: string[];
}

/** What all egress routes of one chart share. */
interface ChartEgressState {
  readonly hosts: Map<string, EgressHost>;
  /** Object base name → host, to catch two hosts that map to one name. */
  readonly names: Map<string, string>;
}

const stateByChart = new WeakMap<IConstruct, ChartEgressState>();

function chartState(scope: IConstruct): ChartEgressState {
  const chart = Chart.of(scope);
  let state = stateByChart.get(chart);
  if (!state) {
    state = { hosts: new Map(), names: new Map() };
    stateByChart.set(chart, state);
  }
  return state;
}

function gatewayKey(gateway: EgressGateway): string {
  return `${gateway.host}|${gatewayPodsKey(gateway.selector)}`;
}

/** Who may use a host, as messages name it. */
function describeClients(clients: RouteClients | undefined): string {
  return clients ? `clients [${clients.principals.join(', ')}]` : 'no clients (every workload)';
}

const clientsKey = (c: RouteClients | undefined) => (c ? c.principals.join(',') : 'every workload');

/** Most ports a ServiceEntry may declare (the CRD's `ports` maxItems). */
const MAX_SERVICE_ENTRY_PORTS = 256;

export interface EgressHostOptions {
  readonly host: string;
  readonly namespace: string;
  readonly gateway: EgressGateway;
  /** The host is a Kubernetes Service (no ServiceEntry: Istio knows it already). */
  readonly kubernetesService: boolean;
}

/** Everything one route adds to its host's objects, checked before anything is created. */
export interface EgressPlan {
  readonly options: EgressHostOptions;
  readonly ports: readonly ServiceEntryPortSpec[];
  /** Numbers of `ports` that sidecars call directly (not through the gateway). */
  readonly directPorts: readonly number[];
  readonly leg: EgressLeg;
  /** The workloads that may use the route; undefined for every workload. */
  readonly clients?: RouteClients;
}

/**
 * The Istio objects of one external host, shared by every route to it in a chart: the
 * ServiceEntry, the Gateway, the egress gateway's DestinationRule subset, the VirtualService
 * and the origination DestinationRule. Istio wants exactly one VirtualService per host on the
 * `mesh` gateway (IST0109), so routes on different ports of a host add to the same objects.
 * The first route to the host owns them; their specs are rendered lazily from every leg.
 *
 * A route first checks its plan (`check`), which changes nothing, then adds it (`add`), which
 * cannot fail: a refused route leaves the host's objects as they were.
 */
export class EgressHost {
  /** Refuses a plan that conflicts with the chart's other routes, naming them; changes nothing. */
  public static check(route: IConstruct, plan: EgressPlan): void {
    const state = chartState(route);
    const { options, leg } = plan;
    const existing = state.hosts.get(options.host);
    const gw = options.gateway;
    if (existing) {
      existing.checkCompatible(route, options);
    } else {
      const name = hostObjectName('', options.host);
      const clash = state.names.get(name);
      if (clash !== undefined) {
        const holder = state.hosts.get(clash)!.owner;
        throw new IstioSecurityError(route, `hosts "${options.host}" and "${clash}" (routed by ${holder.node.path}) both give the object name "${name}": `
          + 'route one of them in another chart, or through a host name that differs in more than dots and dashes.');
      }
      if (!options.kubernetesService) assertObjectNameFree(route, 'ServiceEntry', options.namespace, name);
      assertObjectNameFree(route, 'Gateway', options.namespace, name);
      assertObjectNameFree(route, 'DestinationRule', gw.namespace, hostObjectName('egressgateway-for-', options.host));
      assertObjectNameFree(route, 'VirtualService', options.namespace, name);
    }
    const declared = new Map(existing ? existing.sePorts : []);
    for (const spec of plan.ports) checkPort(route, options.host, declared, { spec, holder: route });
    if (declared.size > MAX_SERVICE_ENTRY_PORTS) {
      throw new IstioSecurityError(route, `host "${options.host}" would have ${declared.size} ServiceEntry ports, more than the ${MAX_SERVICE_ENTRY_PORTS} `
        + 'Istio\'s CRD allows: declare fewer directPorts.');
    }
    for (const number of plan.directPorts) {
      const routed = existing?.legs.find((l) => l.port === number);
      if (routed) {
        throw new IstioSecurityError(route, `directPorts port ${number} of "${options.host}" is routed through the egress gateway by ${routed.route.node.path}: `
          + 'a port is either routed or called directly; leave it out of directPorts.');
      }
    }
    if (existing?.directPortNumbers.has(leg.port)) {
      throw new IstioSecurityError(route, `port ${leg.port} of "${options.host}" is declared as a direct port (called without the gateway) by another route: `
        + 'a port is either routed or called directly; remove it from that route\'s directPorts, or route another port.');
    }
    // Who may use the host first: a route naming other clients is refused for that, whatever its ports.
    if (existing?.clients && clientsKey(existing.clients.value) !== clientsKey(plan.clients)) {
      throw new IstioSecurityError(route, `host "${options.host}" is routed by ${existing.clients.holder.node.path} with ${describeClients(existing.clients.value)}, `
        + `but this route names ${describeClients(plan.clients)}: the gateway tells a host's callers apart by SNI, not by port, so every route `
        + 'of a host names the same clients.');
    }
    if (plan.clients && !existing?.clients) assertObjectNameFree(route, 'AuthorizationPolicy', gw.namespace, hostObjectName('egress-clients-', options.host));
    const twin = serverHostHolder(route, gw.selector, leg.gatewayPort, options.host);
    if (twin) {
      throw new IstioSecurityError(route, `gateway port ${leg.gatewayPort} already has a server for "${options.host}" (route ${twin.node.path}) `
        + 'on the same gateway pods: the gateway could not tell the two routes apart; give this route another gatewayPort.');
    }
    const tls = leg.kind === EgressModeKind.TLS_PASSTHROUGH || leg.meshTls;
    checkServerPort(route, gw.selector, leg.gatewayPort, tls, options.host, 'Give this route another gatewayPort (plain HTTP on 80, TLS on 443).');
    const sameTarget = leg.origination && existing?.legs.find((other) => other.origination && other.targetPort === leg.targetPort);
    if (sameTarget) {
      throw new IstioSecurityError(route, `port ${leg.targetPort} of "${options.host}" already has its TLS origination from `
        + `${sameTarget.route.node.path}: a host port has one TLS setting; send both app ports through one route, or originate to another targetPort.`);
    }
    if (leg.origination && !existing?.originationRuleResource) {
      assertObjectNameFree(route, 'DestinationRule', gw.namespace, hostObjectName('originate-tls-for-', options.host));
    }
  }

  /** Adds a checked plan: creates the host's objects for its first route, then the ports and the legs. */
  public static add(route: IConstruct, plan: EgressPlan): EgressHost {
    const state = chartState(route);
    let host = state.hosts.get(plan.options.host);
    if (!host) {
      const name = hostObjectName('', plan.options.host);
      host = new EgressHost(route, plan.options, name);
      state.hosts.set(plan.options.host, host);
      state.names.set(name, plan.options.host);
      onRollback(route, () => {
        state.hosts.delete(plan.options.host);
        state.names.delete(name);
      });
    }
    host.setClients(route, plan.clients);
    for (const spec of plan.ports) host.declarePort(route, spec);
    const added = plan.directPorts.filter((n) => !host!.directPortNumbers.has(n));
    for (const n of added) host.directPortNumbers.add(n);
    onRollback(route, () => added.forEach((n) => host!.directPortNumbers.delete(n)));
    host.addLeg(plan.leg);
    return host;
  }

  public readonly host: string;
  public readonly namespace: string;
  public readonly gateway: EgressGateway;
  public readonly owner: IConstruct;
  /** Base name of the host's objects and the gateway subset, e.g. `edition-cnn-com`. */
  public readonly name: string;
  public readonly serviceEntry?: ApiObject;
  public readonly gatewayResource: ApiObject;
  public readonly gatewayRule: ApiObject;
  public readonly virtualService: ApiObject;
  private originationRuleResource?: ApiObject;
  private clientPolicyResource?: ApiObject;
  /** Set by the first route to the host: its clients, or undefined for every workload. */
  private clients?: { readonly value: RouteClients | undefined; readonly holder: IConstruct };
  private readonly legs: EgressLeg[] = [];
  private readonly sePorts = new Map<number, PortHolder>();
  private readonly directPortNumbers = new Set<number>();

  private constructor(owner: IConstruct, options: EgressHostOptions, name: string) {
    this.owner = owner;
    this.host = options.host;
    this.namespace = options.namespace;
    this.gateway = options.gateway;
    this.name = name;
    const gw = this.gateway;

    if (!options.kubernetesService) {
      claimObjectName(owner, 'ServiceEntry', this.namespace, name);
      this.serviceEntry = new ServiceEntry(owner, 'ServiceEntry', {
        metadata: { name, namespace: this.namespace },
        spec: {
          hosts: [this.host],
          exportTo: Lazy.any({ produce: () => this.exportTo() }),
          ports: Lazy.any({ produce: () => [...this.sePorts.values()].map((p) => ({ ...p.spec })) }),
          // DNS: the gateway resolves the host itself (Istio refuses wildcard hosts with DNS resolution).
          resolution: ServiceEntrySpecResolution.DNS,
        },
      });
    }

    claimObjectName(owner, 'Gateway', this.namespace, name);
    this.gatewayResource = new Gateway(owner, 'Gateway', {
      metadata: { name, namespace: this.namespace },
      spec: {
        selector: { ...gw.selector },
        servers: Lazy.any({ produce: () => this.legs.map((leg) => this.renderServer(leg)) }),
      },
    });

    // The subset lives in the gateway's namespace: sidecars of every namespace look up rules for
    // the gateway's host there, while a rule in the route's namespace would reach only its own.
    const gatewayRuleName = hostObjectName('egressgateway-for-', this.host);
    claimObjectName(owner, 'DestinationRule', gw.namespace, gatewayRuleName);
    this.gatewayRule = new DestinationRule(owner, 'GatewayDestinationRule', {
      metadata: { name: gatewayRuleName, namespace: gw.namespace },
      spec: {
        host: gw.host,
        subsets: Lazy.any({ produce: () => [this.renderSubset()] }),
      },
    });

    claimObjectName(owner, 'VirtualService', this.namespace, name);
    this.virtualService = new VirtualService(owner, 'Resource', {
      metadata: { name, namespace: this.namespace },
      spec: {
        hosts: [this.host],
        gateways: [name, 'mesh'],
        exportTo: Lazy.any({ produce: () => this.exportTo() }),
        http: Lazy.any({ produce: () => this.renderHttpRules() }),
        tls: Lazy.any({ produce: () => this.renderTlsRules() }),
        tcp: Lazy.any({ produce: () => this.renderTcpRules() }),
      },
    });
  }

  /** The DestinationRule with the gateway's origination TLS, once a route originates. */
  public get originationRule(): ApiObject | undefined {
    return this.originationRuleResource;
  }

  /** The gateway's DENY policy for callers other than the clients, once a route names clients. */
  public get clientPolicy(): ApiObject | undefined {
    return this.clientPolicyResource;
  }

  /**
   * Records who may use the host's routes (checked by `check`). Every route of a host names the
   * same clients: the gateway tells the host's traffic apart by SNI, not by port.
   */
  private setClients(route: IConstruct, clients: RouteClients | undefined): void {
    if (this.clients) return;
    this.clients = { value: clients, holder: route };
    if (clients) this.clientPolicyResource = this.renderClientPolicy(clients);
    onRollback(route, () => {
      this.clients = undefined;
      if (!this.clientPolicyResource) return;
      this.owner.node.tryRemoveChild('ClientPolicy');
      releaseClaim(this.owner, objectKey('AuthorizationPolicy', this.gateway.namespace, hostObjectName('egress-clients-', this.host)), this.owner);
      this.clientPolicyResource = undefined;
    });
  }

  /** Declares a checked port in the host's ServiceEntry. */
  private declarePort(route: IConstruct, spec: ServiceEntryPortSpec): void {
    if (this.sePorts.has(spec.number)) return;
    this.sePorts.set(spec.number, { spec, holder: route });
    onRollback(route, () => this.sePorts.delete(spec.number));
  }

  /** Adds one checked route's legs. */
  private addLeg(leg: EgressLeg): void {
    const tls = leg.kind === EgressModeKind.TLS_PASSTHROUGH || leg.meshTls;
    checkServerPort(leg.route, this.gateway.selector, leg.gatewayPort, tls, this.host, '')();
    recordServerHost(leg.route, this.gateway.selector, leg.gatewayPort, this.host);
    this.legs.push(leg);
    onRollback(leg.route, () => {
      const at = this.legs.indexOf(leg);
      if (at >= 0) this.legs.splice(at, 1);
    });
    if (leg.origination) this.ensureOriginationRule(leg.route);
  }

  private checkCompatible(route: IConstruct, options: EgressHostOptions): void {
    if (options.namespace !== this.namespace) {
      throw new IstioSecurityError(route, `host "${this.host}" is already routed from namespace "${this.namespace}" by ${this.owner.node.path}: `
        + `a host has one VirtualService for the mesh (IST0109), so put this route in namespace "${this.namespace}" too.`);
    }
    if (gatewayKey(options.gateway) !== gatewayKey(this.gateway)) {
      throw new IstioSecurityError(route, `host "${this.host}" already leaves through egress gateway ${this.gateway.host} (route `
        + `${this.owner.node.path}): a host leaves the mesh through one gateway; use that gateway for this route too.`);
    }
  }

  private ensureOriginationRule(route: IConstruct): void {
    if (this.originationRuleResource) return;
    const gw = this.gateway;
    const name = hostObjectName('originate-tls-for-', this.host);
    claimObjectName(this.owner, 'DestinationRule', gw.namespace, name);
    // In the gateway's namespace, exported only there and selecting the gateway pods: the gateway
    // is the proxy that originates TLS and reads the credential Secrets of its own namespace;
    // sidecars that saw this rule would try to originate too. The workloadSelector says exactly
    // who originates (Istio applies `credentialName` at a sidecar only through one).
    this.originationRuleResource = new DestinationRule(this.owner, 'OriginationDestinationRule', {
      metadata: { name, namespace: gw.namespace },
      spec: {
        host: this.host,
        exportTo: ['.'],
        workloadSelector: { matchLabels: { ...gw.selector } },
        trafficPolicy: { portLevelSettings: Lazy.any({ produce: () => this.renderOriginations() }) },
      },
    });
    if (route !== this.owner) {
      // Made on behalf of another route: undone with it.
      onRollback(route, () => {
        this.owner.node.tryRemoveChild('OriginationDestinationRule');
        releaseClaim(this.owner, objectKey('DestinationRule', gw.namespace, name), this.owner);
        this.originationRuleResource = undefined;
      });
    }
  }

  private renderServer(leg: EgressLeg): object {
    const port = leg.gatewayPort;
    const hosts = [this.host];
    if (leg.kind === EgressModeKind.TLS_PASSTHROUGH) {
      // With mesh mTLS the gateway terminates the sidecar's mTLS and forwards the app's TLS as TCP.
      const mode = leg.meshTls ? GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL : GatewaySpecServersTlsMode.PASSTHROUGH;
      return { port: { number: port, name: `tls-${port}`, protocol: 'TLS' }, hosts, tls: { mode } };
    }
    if (leg.meshTls) {
      return { port: { number: port, name: `https-${port}`, protocol: 'HTTPS' }, hosts, tls: { mode: GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL } };
    }
    return { port: { number: port, name: `http-${port}`, protocol: 'HTTP' }, hosts };
  }

  private renderSubset(): object {
    const mtlsPorts = this.legs.filter((leg) => leg.meshTls).map((leg) => leg.gatewayPort);
    if (mtlsPorts.length === 0) return { name: this.name };
    return {
      name: this.name,
      trafficPolicy: {
        portLevelSettings: mtlsPorts.map((port) => ({
          port: { number: port },
          // The SNI selects this host's ISTIO_MUTUAL server among the TLS servers on the port.
          tls: { mode: DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode.ISTIO_UNDERSCORE_MUTUAL, sni: this.host },
        })),
      },
    };
  }

  private meshLeg(leg: EgressLeg, sni: object): object {
    return {
      match: [{ gateways: ['mesh'], port: leg.port, ...sni }],
      route: [{ destination: { host: this.gateway.host, subset: this.name, port: { number: leg.gatewayPort } } }],
    };
  }

  private gatewayLeg(leg: EgressLeg, sni: object): object {
    return {
      match: [{ gateways: [this.name], port: leg.gatewayPort, ...sni }],
      route: [{ destination: { host: this.host, port: { number: leg.targetPort } } }],
    };
  }

  private renderHttpRules(): object[] | undefined {
    const legs = this.legs.filter((leg) => leg.kind !== EgressModeKind.TLS_PASSTHROUGH);
    return legs.length === 0 ? undefined : legs.flatMap((leg) => [this.meshLeg(leg, {}), this.gatewayLeg(leg, {})]);
  }

  /** Passthrough: the sidecar routes the app's TLS by SNI; without mesh mTLS the gateway does too. */
  private renderTlsRules(): object[] | undefined {
    const legs = this.legs.filter((leg) => leg.kind === EgressModeKind.TLS_PASSTHROUGH);
    const sni = { sniHosts: [this.host] };
    return legs.length === 0 ? undefined
      : legs.flatMap((leg) => (leg.meshTls ? [this.meshLeg(leg, sni)] : [this.meshLeg(leg, sni), this.gatewayLeg(leg, sni)]));
  }

  /** Passthrough inside mesh mTLS: once the gateway has terminated the mTLS, the app's TLS is opaque TCP. */
  private renderTcpRules(): object[] | undefined {
    const legs = this.legs.filter((leg) => leg.kind === EgressModeKind.TLS_PASSTHROUGH && leg.meshTls);
    return legs.length === 0 ? undefined : legs.map((leg) => this.gatewayLeg(leg, {}));
  }

  /** The namespaces that must see the host's ServiceEntry and VirtualService: every one, unless the routes name clients. */
  private exportTo(): string[] | undefined {
    const clients = this.clients?.value;
    return clients ? [...new Set([...clients.namespaces, this.gateway.namespace])].sort() : undefined;
  }

  private renderClientPolicy(clients: RouteClients): ApiObject {
    const gw = this.gateway;
    const name = hostObjectName('egress-clients-', this.host);
    claimObjectName(this.owner, 'AuthorizationPolicy', gw.namespace, name);
    // DENY, not ALLOW: an ALLOW policy on the shared gateway would deny every host it does not
    // name, those of other charts included. The SNI the sidecar sets for the host's subset says
    // which host a connection is for, whatever Host header the app sends.
    return new AuthorizationPolicy(this.owner, 'ClientPolicy', {
      metadata: { name, namespace: gw.namespace },
      spec: {
        selector: { matchLabels: { ...gw.selector } },
        action: AuthorizationPolicySpecAction.DENY,
        rules: [{
          from: [{ source: { notPrincipals: [...clients.principals] } }],
          when: [{ key: 'connection.sni', values: [this.host] }],
        }],
      },
    });
  }

  private renderOriginations(): object[] {
    return this.legs.filter((leg) => leg.origination).map((leg) => {
      const o = leg.origination!;
      return {
        port: { number: leg.targetPort },
        tls: {
          mode: o.mode as string as DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
          credentialName: o.credentialName,
          caCertificates: o.caCertificates,
          subjectAltNames: o.subjectAltNames && o.subjectAltNames.length > 0 ? [...o.subjectAltNames] : undefined,
          sni: this.host,
        },
      };
    });
  }
}

/** One number has one protocol and one name; one name one number. Adds the port to `declared`. */
function checkPort(route: IConstruct, host: string, declared: Map<number, PortHolder>, port: PortHolder): void {
  const spec = port.spec;
  const same = declared.get(spec.number);
  if (same) {
    if (same.spec.protocol !== spec.protocol) {
      throw new IstioSecurityError(route, `port ${spec.number} of "${host}" is declared ${spec.protocol}, but ${describeHolder(route, same.holder)} `
        + `declares it ${same.spec.protocol}: one port carries one protocol; use another port for one of them.`);
    }
    if (same.spec.name !== spec.name) {
      throw new IstioSecurityError(route, `port ${spec.number} of "${host}" is named "${spec.name}", but ${describeHolder(route, same.holder)} `
        + `names it "${same.spec.name}": give the port one name.`);
    }
    return;
  }
  const named = [...declared.values()].find((p) => p.spec.name === spec.name);
  if (named) {
    throw new IstioSecurityError(route, `ServiceEntry port name "${spec.name}" for port ${spec.number} of "${host}" is already `
      + `used for port ${named.spec.number} by ${describeHolder(route, named.holder)}: port names must be unique; pick another name.`);
  }
  declared.set(spec.number, port);
}

function describeHolder(_route: IConstruct, holder: IConstruct): string {
  return holder.node.path;
}
