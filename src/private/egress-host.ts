import { ApiObject, Chart, Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  DestinationRule, DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode, Gateway, GatewaySpecServersTlsMode, ServiceEntry,
  ServiceEntrySpecResolution, VirtualService,
} from '../../imports/networking.istio.io';
import { EgressGateway } from '../egress-gateway';
import { EgressModeKind } from '../egress-mode';
import { IstioSecurityError } from '../errors';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import type { IMeshWorkload } from '../mesh-workload-interface';
import { checkServerPort, gatewayPodsKey } from './gateway-servers';
import { hostObjectName } from './names';
import { claimObjectName } from './registry';

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

/** The workloads that may use a host's routes. */
export interface RouteClients {
  readonly workloads: IMeshWorkload[];
  /** Their principals, sorted, each once. */
  readonly principals: string[];
  /** Their namespaces, sorted, each once. */
  readonly namespaces: string[];
}

interface PortHolder { readonly spec: ServiceEntryPortSpec; readonly holder: IConstruct }

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

export interface EgressHostOptions {
  readonly host: string;
  readonly namespace: string;
  readonly gateway: EgressGateway;
  /** The host is a Kubernetes Service (no ServiceEntry: Istio knows it already). */
  readonly kubernetesService: boolean;
}

/**
 * The Istio objects of one external host, shared by every route to it in a chart: the
 * ServiceEntry, the Gateway, the egress gateway's DestinationRule subset, the VirtualService
 * and the origination DestinationRule. Istio wants exactly one VirtualService per host on the
 * `mesh` gateway (IST0109), so routes on different ports of a host add to the same objects.
 * The first route to the host owns them; their specs are rendered lazily from every leg.
 */
export class EgressHost {
  /** The host's objects for `route`: creates them for the first route, checks the others agree. */
  public static of(route: IConstruct, options: EgressHostOptions): EgressHost {
    const state = chartState(route);
    const existing = state.hosts.get(options.host);
    if (existing) {
      existing.checkCompatible(route, options);
      return existing;
    }
    const name = hostObjectName('', options.host);
    const clash = state.names.get(name);
    if (clash !== undefined) {
      const holder = state.hosts.get(clash)!.owner;
      throw new IstioSecurityError(route, `hosts "${options.host}" and "${clash}" (routed by ${holder.node.path}) both give the object name "${name}": `
        + 'route one of them in another chart, or through a host name that differs in more than dots and dashes.');
    }
    const created = new EgressHost(route, options, name);
    state.hosts.set(options.host, created);
    state.names.set(name, options.host);
    return created;
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
  /** Set by the first route to the host: its clients, or null for every workload. */
  private clients?: { readonly value: RouteClients | undefined; readonly holder: IConstruct };
  private readonly legs: EgressLeg[] = [];
  private readonly sePorts = new Map<number, PortHolder>();
  private readonly options: EgressHostOptions;

  private constructor(owner: IConstruct, options: EgressHostOptions, name: string) {
    this.owner = owner;
    this.options = options;
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
          ports: Lazy.any({ produce: () => [...this.sePorts.values()].map((p) => ({ ...p.spec })) }),
          // DNS: the gateway resolves the host itself (Istio refuses wildcard hosts with DNS resolution).
          resolution: ServiceEntrySpecResolution.DNS,
          exportTo: Lazy.any({ produce: () => this.exportTo() }),
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
   * Records who may use the host's routes. Every route of a host names the same clients: the
   * gateway tells the host's traffic apart by SNI, not by port.
   */
  public setClients(route: IConstruct, clients: RouteClients | undefined): void {
    if (this.clients) {
      const key = (c: RouteClients | undefined) => (c ? c.principals.join(',') : 'every workload');
      if (key(this.clients.value) !== key(clients)) {
        const describe = (c: RouteClients | undefined) => (c ? `clients [${c.principals.join(', ')}]` : 'no clients (every workload)');
        throw new IstioSecurityError(route, `host "${this.host}" is routed by ${this.clients.holder.node.path} with ${describe(this.clients.value)}, `
          + `but this route names ${describe(clients)}: the gateway tells a host's callers apart by SNI, not by port, so every route `
          + 'of a host names the same clients.');
      }
      return;
    }
    this.clients = { value: clients, holder: route };
    if (clients) this.clientPolicyResource = this.renderClientPolicy(clients);
  }

  /** Declares a port in the host's ServiceEntry; one number has one protocol and one name. */
  public declarePort(route: IConstruct, spec: ServiceEntryPortSpec): void {
    if (this.options.kubernetesService) {
      throw new IstioSecurityError(route, `host "${this.host}" is a Kubernetes Service, so its ports come from the Service `
        + `and no ServiceEntry is emitted: leave out the port declaration for ${spec.number}.`);
    }
    const same = this.sePorts.get(spec.number);
    if (same) {
      if (same.spec.protocol !== spec.protocol) {
        throw new IstioSecurityError(route, `port ${spec.number} of "${this.host}" is declared ${spec.protocol}, but ${same.holder.node.path} `
          + `declares it ${same.spec.protocol}: one port carries one protocol; use another port for one of them.`);
      }
      if (same.spec.name !== spec.name) {
        throw new IstioSecurityError(route, `port ${spec.number} of "${this.host}" is named "${spec.name}", but ${same.holder.node.path} `
          + `names it "${same.spec.name}": give the port one name.`);
      }
      return;
    }
    const named = [...this.sePorts.values()].find((p) => p.spec.name === spec.name);
    if (named) {
      throw new IstioSecurityError(route, `ServiceEntry port name "${spec.name}" for port ${spec.number} of "${this.host}" is already `
        + `used for port ${named.spec.number} by ${named.holder.node.path}: port names must be unique; pick another name.`);
    }
    this.sePorts.set(spec.number, { spec, holder: route });
  }

  /** Adds one route's legs; the caller has claimed the route's host and ports. */
  public addLeg(leg: EgressLeg): void {
    const tls = leg.kind === EgressModeKind.TLS_PASSTHROUGH || leg.meshTls;
    const recordPort = checkServerPort(leg.route, gatewayPodsKey(this.gateway.selector), leg.gatewayPort, tls, this.host,
      'Give this route another gatewayPort (plain HTTP on 80, TLS on 443).');
    const sameTarget = leg.origination && this.legs.find((other) => other.origination && other.targetPort === leg.targetPort);
    if (sameTarget) {
      throw new IstioSecurityError(leg.route, `port ${leg.targetPort} of "${this.host}" already has its TLS origination from `
        + `${sameTarget.route.node.path}: a host port has one TLS setting; send both app ports through one route, or originate to another targetPort.`);
    }
    recordPort();
    this.legs.push(leg);
    if (leg.origination) this.ensureOriginationRule();
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

  private ensureOriginationRule(): void {
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
