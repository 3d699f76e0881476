// Egress: for a client and an external host and port, whether its traffic goes directly or through
// the egress gateway, where TLS is originated, whether NetworkPolicy stops a direct bypass, and
// whether it stops the path to the gateway pods itself.
// External destinations are the ServiceEntry hosts outside the mesh (location MESH_EXTERNAL) and
// the hosts VirtualServices send from the mesh to an egress gateway (e.g. a cluster Service
// outside the mesh, as in Istio's mutual TLS origination task).

import { byAge } from './age';
import { AuthorizationPolicies } from './authorization';
import { DestinationRules, tlsForPort } from './destination-rules';
import { HostPatternIndex, hostMatches, serviceHostNamespace, shortHost, visibleTo } from './hosts';
import { Inventory, unmodelledWildcard } from './inventory';
import { Labels, matchesLabels } from './labels';
import { NetMatch, NetPod, NetPolicy, NetworkPolicies, policyNames } from './network-policy';
import { isHttpProtocol, isTlsProtocol } from './protocols';
import { AuthorizationPolicyInfo, GatewayInfo, GatewayServer, Route, RouteDestination, RouteKind, ServiceEntryInfo, ServiceInfo, VirtualServiceInfo, WorkloadInfo } from './resources';
import { Sidecars } from './sidecars';
import { EgressOutcome, EgressTls, EgressVia, ResolvedOptions } from './types';

export interface EgressTarget {
  readonly host: string;
  readonly port: number;
  /** Upper-case protocol (HTTP, HTTPS, TLS, TCP, ...), or UNKNOWN. */
  readonly protocol: string;
  /** Namespace of the ServiceEntry or Service that declares the host. */
  readonly hostNamespace?: string;
  readonly serviceEntry?: ServiceEntryInfo;
  /** Pods behind the host when it is a cluster Service. */
  readonly pods: readonly WorkloadInfo[];
  /** A VirtualService that sends mesh traffic for this host and port to an egress gateway. */
  readonly gatewayRoute?: VirtualServiceInfo;
}

export interface EgressVerdict {
  /** Whether the traffic gets out: `denied` by the gateway's authorization, `blocked` by the sidecar or the network. */
  readonly outcome: EgressOutcome;
  readonly via: EgressVia;
  readonly tls: EgressTls;
  readonly bypassBlocked: boolean;
  /** Through the gateway: whether NetworkPolicies stop the client from reaching the gateway pods. */
  readonly gatewayBlocked: boolean;
  readonly reason: string;
  /** The same without the client's details, for aggregation. */
  readonly summary: string;
}

/** The pods behind an egress gateway's Service, and the pod port its Service ports lead to. */
interface GatewayPods {
  readonly pods: readonly NetPod[];
  targetPort(pod: NetPod, port: number): number;
  /** Set when the pods are not in the input: what the model assumed of them. */
  readonly assumed?: string;
}

/** Labels and ports of Istio's egress gateway chart, for gateway pods the input does not hold. */
const ISTIO_GATEWAY_LABELS = { app: 'istio-egressgateway', istio: 'egressgateway' };
const ISTIO_GATEWAY_PORTS: { readonly [port: number]: number } = { 80: 8080, 443: 8443 };

interface RouteChoice {
  readonly vs: VirtualServiceInfo;
  readonly route: Route;
  readonly destination: RouteDestination;
}

function kindsFor(protocol: string): RouteKind[] {
  if (['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'].includes(protocol)) return ['http'];
  if (['HTTPS', 'TLS'].includes(protocol)) return ['tls'];
  if (protocol === 'UNKNOWN') return ['http', 'tls', 'tcp'];
  return ['tcp'];
}

function heaviest(destinations: readonly RouteDestination[]): RouteDestination | undefined {
  return [...destinations].sort((a, b) => b.weight - a.weight)[0];
}

/** The first route of `vs` that `gateway` traffic for host:port takes. */
function pickRoute(vs: VirtualServiceInfo, gateway: string, host: string, port: number, kinds: RouteKind[]): Route | undefined {
  for (const kind of kinds) {
    for (const route of vs.routes.filter((r) => r.kind === kind)) {
      if (route.matches.length === 0 && vs.gateways.includes(gateway)) return route;
      if (route.matches.some((m) => (m.gateways ?? vs.gateways).includes(gateway)
        && (m.port === undefined || m.port === port)
        && (!m.sniHosts || m.sniHosts.some((p) => hostMatches(p, host))))) return route;
    }
  }
  return undefined;
}

export class EgressAnalysis {
  public readonly targets: readonly EgressTarget[];
  private usedGatewayHosts?: Set<string>;
  private readonly gatewayHosts: Set<string>;
  /** Mesh VirtualServices per host, in meshRoute's order before visibility (memoised). */
  private readonly meshServicesByHost = new Map<string, VirtualServiceInfo[]>();
  private readonly gatewayLegs = new Map<string, ReturnType<EgressAnalysis['findGatewayLeg']>>();
  private readonly relevantNamespaces: Array<Set<string> | undefined> = [];
  private readonly gatewayPolicyCache = new Map<string, readonly AuthorizationPolicyInfo[]>();
  private readonly mergedAwayCache = new Map<string, Set<GatewayServer>>();
  private entryIndex?: { readonly exact: Map<string, ServiceEntryInfo[]>; readonly wildcard: ServiceEntryInfo[] };
  private readonly gatewayPodsByHost = new Map<string, GatewayPods>();
  private readonly serviceByHost = new Map<string, ServiceInfo>();
  /** VirtualServices by host, in input order: all, and those for sidecars (the `mesh` gateway). */
  private readonly virtualServicesByHost = new HostPatternIndex<VirtualServiceInfo>();
  private readonly meshVirtualServicesByHost = new HostPatternIndex<VirtualServiceInfo>();
  /** Gateways by the hosts of their servers, in input order. */
  private readonly gatewaysByHost = new HostPatternIndex<GatewayInfo>();
  /** Per host, the namespaces its DestinationRules live in or are exported to by name, each once. */
  private readonly ruleScopes = new Map<string, string[]>();

  public constructor(private readonly inventory: Inventory, private readonly options: ResolvedOptions,
    private readonly destinationRules: DestinationRules, private readonly networkPolicies: NetworkPolicies,
    private readonly authorization: AuthorizationPolicies, private readonly sidecars: Sidecars) {
    this.gatewayHosts = new Set(options.egressGatewayHosts);
    for (const s of inventory.services) if (!this.serviceByHost.has(s.host)) this.serviceByHost.set(s.host, s);
    for (const vs of [...inventory.virtualServices].sort((a, b) => a.index - b.index)) {
      this.virtualServicesByHost.add(vs.hosts, vs);
      if (vs.gateways.includes('mesh') || vs.routes.some((r) => r.matches.some((m) => m.gateways?.includes('mesh')))) this.meshVirtualServicesByHost.add(vs.hosts, vs);
    }
    for (const gateway of inventory.gateways) this.gatewaysByHost.add(gateway.servers.flatMap((s) => s.hosts), gateway);
    for (const svc of inventory.services) {
      if (svc.selector && inventory.workloadIndex.select(svc.namespace, svc.selector).some((w) => w.gateway)) this.gatewayHosts.add(svc.host);
    }
    this.targets = this.findTargets();
  }

  /** The mesh route a sidecar in `namespace` uses for host:port, if a VirtualService has one. */
  public meshRoute(namespace: string, host: string, port: number, protocol: string): RouteChoice | undefined {
    let forHost = this.meshServicesByHost.get(host);
    if (!forHost) {
      forHost = this.meshVirtualServicesByHost.match(host);
      this.meshServicesByHost.set(host, forHost);
    }
    const candidates = forHost
      .filter((vs) => visibleTo(vs.exportTo, vs.namespace, namespace))
      .sort((a, b) => Number(b.namespace === namespace) - Number(a.namespace === namespace) || a.index - b.index);
    for (const vs of candidates) {
      const route = pickRoute(vs, 'mesh', host, port, kindsFor(protocol));
      const destination = route && heaviest(route.destinations);
      if (route && destination) return { vs, route, destination };
    }
    return undefined;
  }

  /**
   * Client namespaces whose traffic to a target may take another path than from anywhere else:
   * where a mesh VirtualService for the host, or a DestinationRule for a host the traffic may
   * reach (the target, a route's destination, an egress gateway), lives or is exported by name.
   */
  public namespacesThatMatter(targetIndex: number): Set<string> {
    let found = this.relevantNamespaces[targetIndex];
    if (found) return found;
    found = new Set();
    const target = this.targets[targetIndex];
    const hosts = new Set<string>([target.host, ...this.gatewayHosts]);
    this.meshRoute('', target.host, target.port, target.protocol); // fills the per-host cache
    for (const vs of this.meshServicesByHost.get(target.host) ?? []) {
      addScope(found, vs.namespace, vs.exportTo);
      for (const route of vs.routes) for (const d of route.destinations) hosts.add(d.host);
    }
    for (const host of hosts) for (const ns of this.ruleScope(host)) found.add(ns);
    // Where the host is registered decides what a REGISTRY_ONLY sidecar lets out.
    for (const se of this.entriesFor(target.host)) addScope(found, se.namespace, se.exportTo);
    this.relevantNamespaces[targetIndex] = found;
    return found;
  }

  /** The namespaces of the DestinationRules for `host` and those they are exported to by name, each once, in order (memoised). */
  private ruleScope(host: string): string[] {
    let scope = this.ruleScopes.get(host);
    if (!scope) {
      const found = new Set<string>();
      for (const rule of this.destinationRules.candidates(host)) addScope(found, rule.namespace, rule.exportTo);
      this.ruleScopes.set(host, scope = [...found]);
    }
    return scope;
  }

  /** Whether `host` is an egress gateway's Service. */
  public isGateway(host: string): boolean {
    return this.gatewayHosts.has(host);
  }

  /** Namespaces of the egress gateways' Services: where policies on gateway pods live (with the root namespace). */
  public gatewayNamespaces(): Set<string> {
    const found = new Set<string>([this.options.rootNamespace]);
    for (const host of this.gatewayHosts) found.add(serviceHostNamespace(host, this.options.clusterDomain) ?? this.options.rootNamespace);
    return found;
  }

  /** The path one client's traffic to `target` takes. */
  public decide(client: WorkloadInfo, target: EgressTarget): EgressVerdict {
    const { host, port } = target;
    const appTls: EgressTls = isTlsProtocol(target.protocol) ? 'passthrough' : 'none';
    if (!client.sidecar) {
      const ignored = target.gatewayRoute ? `, ignoring VirtualService ${target.gatewayRoute.namespace}/${target.gatewayRoute.ref.name} (it routes sidecars through the egress gateway)` : '';
      return this.finish(client, target, [port], {
        via: 'direct', tls: appTls,
        reason: `no sidecar: the app connects to ${host}:${port} itself${ignored}`,
        summary: `no sidecar: direct${target.gatewayRoute ? ', bypassing the gateway route' : ''}`,
      });
    }
    let choice = this.meshRoute(client.namespace, host, port, target.protocol);
    // pilot/pkg/networking/core/listener.go (ListenerBuilder).buildSidecarOutboundListeners: TLS and TCP routes are built on the
    // listeners of the services the sidecar knows; for a host it does not know, the route is not there.
    if (choice && choice.route.kind !== 'http' && !this.sidecars.registered(client.namespace, host, port)) choice = undefined;
    if (choice && this.isGateway(choice.destination.host)) return this.viaGateway(client, target, choice);
    const destHost = choice?.destination.host ?? host;
    const destPort = choice?.destination.port ?? port;
    const hostNs = destHost === host ? target.hostNamespace : serviceHostNamespace(destHost, this.options.clusterDomain);
    const rule = this.destinationRules.lookup(client.namespace, client.podLabels, destHost, hostNs);
    const ruleTls = rule ? tlsForPort(rule, destPort, choice?.destination.subset) : undefined;
    // pilot/pkg/networking/core/cluster_tls.go (ClusterBuilder).buildUpstreamClusterTLSContext: a credentialName in a rule
    // without a workloadSelector gives sidecars no TLS at all.
    const credentialIgnored = (ruleTls?.mode === 'SIMPLE' || ruleTls?.mode === 'MUTUAL') && !!ruleTls.credentialName
      && !ruleTls.credentialName.startsWith('configmap://') && !rule?.workloadSelector;
    const mode = credentialIgnored ? undefined : ruleTls?.mode;
    const routed = choice ? ` (VirtualService ${choice.vs.namespace}/${choice.vs.ref.name} sends it to ${destHost}:${destPort})` : '';
    const dr = rule ? `DestinationRule ${rule.namespace}/${rule.ref.name}` : '';
    const outbound = this.sidecars.outboundFor(client);
    if (outbound.mode === 'REGISTRY_ONLY' && !this.sidecars.registered(client.namespace, destHost, destPort)) {
      const by = outbound.source ? `Sidecar ${outbound.source.namespace}/${outbound.source.ref.name}` : 'the mesh config';
      return this.finish(client, target, [port, destPort], {
        outcome: 'blocked', via: 'direct', tls: appTls,
        // No namespace in the reason: the verdict stands for clients of every namespace that does not matter to the target.
        reason: `${destHost}:${destPort} is not in the sidecar's registry (no ServiceEntry for it is exported to the client's namespace)${routed}, `
          + `and ${by} sets REGISTRY_ONLY: the sidecar drops the connection`,
        summary: 'sidecar REGISTRY_ONLY: host not registered',
      });
    }
    if (!choice && !this.sidecars.registered(client.namespace, destHost, destPort)) {
      // pilot/pkg/networking/core/cluster.go (ConfigGeneratorImpl).buildOutboundClusters: no cluster (and no DestinationRule)
      // for a host the sidecar does not know; ALLOW_ANY sends it to PassthroughCluster.
      return this.finish(client, target, [port], {
        via: 'direct', tls: appTls,
        reason: `${host}:${port} is not in the sidecar's registry (no ServiceEntry for it is exported to the client's namespace): `
          + `the sidecar passes the app's bytes through (PassthroughCluster, outbound traffic policy ALLOW_ANY), no DestinationRule applies`,
        summary: 'sidecar passthrough: host not registered',
      });
    }
    const subset = choice?.destination.subset;
    if (subset && !rule?.subsets.has(subset)) {
      // pilot/pkg/networking/core/cluster_builder.go (ClusterBuilder).buildSubsetCluster: subset clusters come only from the rule the proxy applies.
      return this.finish(client, target, [port, destPort], {
        outcome: 'failed', via: 'direct', tls: appTls,
        reason: `sidecar routes to subset ${subset} of ${destHost}${routed}, which ${rule ? `the DestinationRule the sidecar applies (${dr})` : 'no DestinationRule the sidecar applies'} defines: Envoy has no such cluster`,
        summary: 'sidecar route to an undefined subset',
      });
    }
    if (mode === 'ISTIO_MUTUAL') {
      // pilot/pkg/networking/core/cluster_tls.go (ClusterBuilder).buildUpstreamTLSSettings: ISTIO_MUTUAL verifies the peer against the mesh's root.
      return this.finish(client, target, [port, destPort], {
        outcome: 'failed', via: 'direct', tls: appTls,
        reason: `sidecar connects directly${routed} with Istio mTLS (${dr} ISTIO_MUTUAL): a host outside the mesh presents no mesh certificate, the handshake fails`,
        summary: 'sidecar direct; ISTIO_MUTUAL to a host outside the mesh',
      });
    }
    if (mode === 'SIMPLE' || mode === 'MUTUAL') {
      return this.finish(client, target, [port, destPort], {
        via: 'direct', tls: mode === 'SIMPLE' ? 'originated' : 'mutual-originated',
        reason: `sidecar connects directly${routed}; ${mode === 'SIMPLE' ? 'TLS' : 'mutual TLS'} originated by the sidecar (${dr} ${mode})`,
        summary: `sidecar direct; sidecar originates ${mode}`,
      });
    }
    const tls: EgressTls = appTls === 'passthrough' || choice?.route.kind === 'tls' ? 'passthrough' : 'none';
    const ignored = credentialIgnored ? ` (${dr} sets ${ruleTls!.mode} with credentialName ${ruleTls!.credentialName} but no workloadSelector: Istio gives sidecars no TLS for it)` : '';
    return this.finish(client, target, [port, destPort], {
      via: 'direct', tls,
      reason: `sidecar connects directly${routed}; ${tls === 'passthrough' ? 'the app\'s own TLS passes through' : 'plaintext to the host'}${ignored}`,
      summary: `sidecar direct; ${tls}`,
    });
  }

  private viaGateway(client: WorkloadInfo, target: EgressTarget, choice: RouteChoice): EgressVerdict {
    const { host, port } = target;
    const gwHost = choice.destination.host;
    const gwPort = choice.destination.port ?? port;
    const gwNamespace = serviceHostNamespace(gwHost, this.options.clusterDomain) ?? this.options.rootNamespace;
    const hopRule = this.destinationRules.lookup(client.namespace, client.podLabels, gwHost, gwNamespace);
    const subset = choice.destination.subset;
    const hopTls = hopRule ? tlsForPort(hopRule, gwPort, subset, subset ? this.destinationRules.mergedSubset(hopRule, subset) : undefined) : undefined;
    const hopMode = hopTls?.mode;
    const hop = hopMode === 'ISTIO_MUTUAL' ? 'mTLS' : hopMode === 'DISABLE' ? 'plaintext' : hopMode ? hopMode : 'auto mTLS';
    const toGateway = `sidecar -> egress gateway ${shortHost(gwHost, this.options.clusterDomain)}:${gwPort}`
      + `${choice.destination.subset ? ` subset ${choice.destination.subset}` : ''} (${hop}, VirtualService ${choice.vs.namespace}/${choice.vs.ref.name})`;
    if (subset && !hopRule?.subsets.has(subset)) {
      // pilot/pkg/networking/core/cluster_builder.go (ClusterBuilder).buildSubsetCluster: subset clusters come only from the rule the proxy applies.
      return this.finish(client, target, [port], {
        outcome: 'failed', via: 'egress-gateway', tls: 'none',
        reason: `${toGateway}, but subset ${subset} is defined by ${hopRule ? `no subset of the DestinationRule the sidecar applies (${hopRule.namespace}/${hopRule.ref.name})` : 'no DestinationRule the sidecar applies'}: Envoy has no such cluster`,
        summary: 'egress gateway route to an undefined subset',
      }, { host: gwHost, port: gwPort });
    }
    const leg = this.gatewayLeg(host, gwPort, gwNamespace);
    if (!leg) {
      // pilot/pkg/model/push_context.go (PushContext).VirtualServicesForGateway: only routes visible to the gateway pods' namespace bind.
      return this.finish(client, target, [port], {
        outcome: 'failed', via: 'egress-gateway', tls: 'none',
        reason: `${toGateway}, but no Gateway route for ${host} on port ${gwPort} visible to the gateway in ${gwNamespace}: the gateway has nowhere to send it`,
        summary: 'egress gateway without a Gateway route',
      }, { host: gwHost, port: gwPort });
    }
    const mismatch = hopServerMismatch(hopMode, leg.server.tlsMode);
    if (mismatch) {
      return this.finish(client, target, [port], {
        outcome: 'failed', via: 'egress-gateway', tls: 'none',
        reason: `${toGateway}, but ${mismatch} (Gateway ${leg.gateway.namespace}/${leg.gateway.ref.name} port ${leg.server.port})`,
        summary: 'egress gateway: TLS to the gateway does not match its server',
      }, { host: gwHost, port: gwPort });
    }
    const upHost = leg.destination.host;
    const upPort = leg.destination.port ?? gwPort;
    const upNs = upHost === host ? target.hostNamespace : serviceHostNamespace(upHost, this.options.clusterDomain);
    if (!this.sidecars.registered(gwNamespace, upHost, upPort)) {
      // pilot/pkg/networking/core/cluster.go (ConfigGeneratorImpl).buildOutboundClusters: a gateway has clusters only for the
      // services exported to its namespace.
      return this.finish(client, target, [port], {
        outcome: 'failed', via: 'egress-gateway', tls: 'none',
        reason: `${toGateway} -> ${upHost}:${upPort} (Gateway ${leg.gateway.namespace}/${leg.gateway.ref.name}), but no ServiceEntry or Service for ${upHost}:${upPort} is exported to the gateway's namespace ${gwNamespace}: the gateway has no cluster for it`,
        summary: 'egress gateway: the host is not exported to the gateway',
      }, { host: gwHost, port: gwPort });
    }
    // The gateway proxy looks up rules as its pods: their labels (at least the Gateway's selector).
    const rule = this.destinationRules.lookup(gwNamespace, this.gatewayPodLabels(leg.gateway, gwNamespace), upHost, upNs);
    const mode = rule ? tlsForPort(rule, upPort)?.mode : undefined;
    const dr = rule ? `DestinationRule ${rule.namespace}/${rule.ref.name}` : '';
    let tls: EgressTls;
    let how: string;
    if (mode === 'SIMPLE') {
      tls = 'originated'; how = `TLS originated by the gateway (${dr} SIMPLE)`;
    } else if (mode === 'MUTUAL') {
      const credential = tlsForPort(rule!, upPort)?.credentialName;
      tls = 'mutual-originated'; how = `mutual TLS originated by the gateway (${dr} MUTUAL${credential ? `, credential ${credential}` : ''})`;
    } else if (mode === 'ISTIO_MUTUAL') {
      // pilot/pkg/networking/core/cluster_tls.go (ClusterBuilder).buildUpstreamTLSSettings: ISTIO_MUTUAL verifies the peer against the mesh's root.
      return this.finish(client, target, [port, upPort], {
        outcome: 'failed', via: 'egress-gateway', tls: 'none',
        reason: `${toGateway} -> ${upHost}:${upPort} (Gateway ${leg.gateway.namespace}/${leg.gateway.ref.name}); the gateway sends Istio mTLS (${dr} ISTIO_MUTUAL): a host outside the mesh presents no mesh certificate, the handshake fails`,
        summary: 'egress gateway; ISTIO_MUTUAL to a host outside the mesh',
      }, { host: gwHost, port: gwPort });
    } else if (leg.server.tlsMode === 'PASSTHROUGH' || leg.route.kind === 'tls' || isTlsProtocol(target.protocol)) {
      tls = 'passthrough'; how = 'the app\'s own TLS passes through the gateway (SNI routing)';
    } else {
      tls = 'none'; how = 'plaintext from the gateway to the host';
    }
    const path = `${toGateway} -> ${upHost}:${upPort} (Gateway ${leg.gateway.namespace}/${leg.gateway.ref.name})`;
    const authz = this.authorizeAtGateway(client, target, leg, gwNamespace, { host: gwHost, port: gwPort, subset, mode: hopMode, sni: hopTls?.sni });
    if (!authz.allowed) {
      return this.finish(client, target, [port, upPort], {
        outcome: 'denied', via: 'egress-gateway', tls,
        reason: `${path}; the gateway refuses it: ${authz.reason}`,
        summary: `egress gateway; ${tls}; ${authz.summary}`,
      }, { host: gwHost, port: gwPort });
    }
    return this.finish(client, target, [port, upPort], {
      via: 'egress-gateway', tls,
      reason: `${path}; ${how}${authz.reason ? `; at the gateway: ${authz.reason}` : ''}`,
      summary: `egress gateway; ${tls}${authz.summary ? `; ${authz.summary}` : ''}`,
    }, { host: gwHost, port: gwPort });
  }

  /**
   * The AuthorizationPolicies of the gateway pods on a connection from a client's sidecar. The
   * gateway knows the caller's principal only over mesh mTLS: an explicit ISTIO_MUTUAL, since
   * auto mTLS sends plaintext to gateway pods (Istio's gateway injection template sets no
   * `security.istio.io/tlsMode` label). The SNI is the rule's `sni`, else Istio's generated one;
   * passthrough without mTLS carries the app's SNI, the target host.
   */
  // Follows pilot/pkg/networking/core/cluster_tls.go (ClusterBuilder).buildUpstreamTLSSettings (auto mTLS only
  // to endpoints labelled tlsMode=istio) and pilot/pkg/security/authz/model/model.go (connection.sni).
  private authorizeAtGateway(client: WorkloadInfo, target: EgressTarget, leg: NonNullable<ReturnType<EgressAnalysis['findGatewayLeg']>>,
    gwNamespace: string, hop: { host: string; port: number; subset?: string; mode?: string; sni?: string }) {
    const policies = this.gatewayPolicies(leg.gateway, gwNamespace);
    if (policies.length === 0) return { allowed: true, reason: '', summary: '' };
    const mtls = hop.mode === 'ISTIO_MUTUAL';
    const passthrough = leg.server.tlsMode === 'PASSTHROUGH';
    const sni = mtls ? hop.sni ?? `outbound_.${hop.port}_.${hop.subset ?? ''}_.${hop.host}` : passthrough ? target.host : '';
    // An HTTP or HTTPS server (TLS terminated there) parses HTTP; a TLS server forwards bytes.
    const http = leg.route.kind === 'http' && (isHttpProtocol(leg.server.protocol) || leg.server.protocol === 'HTTPS');
    return this.authorization.evaluate(policies, {
      principal: mtls ? client.principal : undefined,
      namespace: mtls ? client.namespace : undefined,
      port: this.gatewayPodPort(hop.host, hop.port),
      http,
      sni,
      host: http ? target.host : undefined,
    });
  }

  /** ServiceEntries whose hosts cover `host`: those naming it, then wildcards (indexed on first use). */
  private entriesFor(host: string): ServiceEntryInfo[] {
    if (!this.entryIndex) {
      const exact = new Map<string, ServiceEntryInfo[]>();
      const wildcard: ServiceEntryInfo[] = [];
      for (const se of this.inventory.serviceEntries) {
        for (const h of new Set(se.hosts)) {
          if (h.includes('*')) wildcard.push(se);
          else exact.set(h, [...exact.get(h) ?? [], se]);
        }
      }
      this.entryIndex = { exact, wildcard };
    }
    return [...this.entryIndex.exact.get(host) ?? [], ...this.entryIndex.wildcard.filter((se) => se.hosts.some((h) => hostMatches(h, host)))];
  }

  /** The AuthorizationPolicies of a Gateway's pods in the gateway's namespace (memoised per pod labels). */
  private gatewayPolicies(gateway: GatewayInfo, namespace: string): readonly AuthorizationPolicyInfo[] {
    // Keyed by the pods' labels: the Gateways of many hosts select the same gateway pods.
    const labels = this.gatewayPodLabels(gateway, namespace);
    const key = `${namespace}|${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}`;
    let policies = this.gatewayPolicyCache.get(key);
    if (!policies) this.gatewayPolicyCache.set(key, policies = this.authorization.policiesForPods(namespace, labels));
    return policies;
  }

  /**
   * The port the gateway pods listen on for a gateway Service port: its targetPort, or as Istio's
   * chart makes it (80 -> 8080, 443 -> 8443) when the gateway is not in the input.
   */
  // pilot/pkg/security/authz/model/generator.go destPortGenerator: RBAC matches the port the pod's listener has.
  private gatewayPodPort(gwHost: string, gwPort: number): number {
    const gw = this.gatewayPods(gwHost);
    const pod = gw.pods[0];
    return pod ? gw.targetPort(pod, gwPort) : gwPort;
  }


  /** Labels of the gateway's pods: those of a pod in the input it selects, else its selector. */
  private gatewayPodLabels(gateway: GatewayInfo, namespace: string): Labels {
    const pod = this.inventory.workloadIndex.select(namespace, gateway.selector).find((w) => w.gateway);
    return pod?.podLabels ?? gateway.selector;
  }

  /**
   * The servers Istio drops when it merges the Gateways of one gateway's pods: after a plaintext
   * server takes a port, a later server on it (Gateways oldest first, then by name) whose
   * protocol cannot merge with it (both HTTP) is skipped (memoised per pod labels).
   */
  // pilot/pkg/model/gateway.go mergeGateways (canMergeProtocols; pkg/config/gateway/gateway.go IsTLSServer).
  public mergedAway(gateway: GatewayInfo, namespace: string): Set<GatewayServer> {
    const labels = this.gatewayPodLabels(gateway, namespace);
    const key = `${namespace}|${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}`;
    let skipped = this.mergedAwayCache.get(key);
    if (skipped) return skipped;
    skipped = new Set();
    const plain = new Map<number, string>();
    const http = (protocol: string) => isHttpProtocol(protocol);
    for (const gw of this.inventory.gateways.filter((g) => matchesLabels(g.selector, labels)).sort(byAge)) {
      for (const s of gw.servers) {
        const current = plain.get(s.port);
        if (current !== undefined) {
          if (!((http(s.protocol) || s.protocol === current) && http(current))) skipped.add(s);
        } else if (!((s.tlsMode !== undefined || s.httpsRedirect) && !http(s.protocol))) {
          plain.set(s.port, s.protocol);
        }
      }
    }
    this.mergedAwayCache.set(key, skipped);
    return skipped;
  }

  /**
   * Whether a Gateway server that is not HTTP gets a filter chain on gateway pods in `gwNamespace`:
   * a VirtualService visible there, bound to the Gateway, with a tls or tcp route for one of its hosts.
   */
  // pilot/pkg/networking/core/gateway.go buildGatewayListeners (a listener without filter chains is skipped) and createGatewayTCPFilterChainOpts.
  public serverHasRoute(gateway: GatewayInfo, server: GatewayServer, gwNamespace: string): boolean {
    return this.inventory.virtualServices.some((vs) => visibleTo(vs.exportTo, vs.namespace, gwNamespace)
      && vs.hosts.some((vh) => server.hosts.some((sh, i) => {
        const host = hostMatches(sh, vh) ? vh : hostMatches(vh, sh) ? sh : undefined;
        return host !== undefined && admitsNamespace(server.hostNamespaces[i], gateway.namespace, vs.namespace)
          && pickRoute(vs, gateway.key, host, server.port, ['tls', 'tcp']) !== undefined;
      })));
  }

  /** The gateway's route for `host` arriving on gateway port `gwPort`, for gateway pods in `gwNamespace` (memoised). */
  private gatewayLeg(host: string, gwPort: number, gwNamespace: string): ReturnType<EgressAnalysis['findGatewayLeg']> {
    const key = `${host}|${gwPort}|${gwNamespace}`;
    if (!this.gatewayLegs.has(key)) this.gatewayLegs.set(key, this.findGatewayLeg(host, gwPort, gwNamespace));
    return this.gatewayLegs.get(key);
  }

  // pilot/pkg/model/push_context.go (PushContext).VirtualServicesForGateway: routes exported to the gateway pods' namespace,
  // whose namespace the server's host (`ns/host`) admits.
  private findGatewayLeg(host: string, gwPort: number, gwNamespace: string): { gateway: GatewayInfo; server: GatewayServer; route: Route; destination: RouteDestination } | undefined {
    for (const vs of this.virtualServicesByHost.match(host)) {
      if (!visibleTo(vs.exportTo, vs.namespace, gwNamespace)) continue;
      for (const gateway of this.gatewaysByHost.match(host)) {
        const server = gateway.servers.find((s) => s.port === gwPort && s.hosts.some((h, i) => hostMatches(h, host)
          && admitsNamespace(s.hostNamespaces[i], gateway.namespace, vs.namespace)) && !this.mergedAway(gateway, gwNamespace).has(s));
        if (!server) continue;
        const route = pickRoute(vs, gateway.key, host, gwPort, ['http', 'tls', 'tcp']);
        const destination = route && heaviest(route.destinations);
        if (route && destination) return { gateway, server, route, destination };
      }
    }
    return undefined;
  }

  /**
   * Adds what NetworkPolicies do: whether they stop the pod from reaching the host itself (on every
   * port it could use), and, through the gateway, whether they stop it from reaching the gateway pods.
   */
  private finish(client: WorkloadInfo, target: EgressTarget, ports: number[],
    v: { outcome?: EgressOutcome; via: EgressVia; tls: EgressTls; reason: string; summary: string }, gateway?: { host: string; port: number }): EgressVerdict {
    const reason = `${wildcardNote(target)}${v.reason}`;
    const direct = [...new Set(ports)].map((p) => this.direct(client, target, p));
    const blocked = direct.every((d) => d.match === 'no');
    const names = policyNames(unique(direct.flatMap((d) => d.policies)));
    let note: string;
    if (!blocked) {
      const own = policyNames(this.networkPolicies.egressPolicies(client));
      note = own ? `NetworkPolicy ${own} still lets the pod reach ${target.host} directly` : 'no NetworkPolicy stops the pod from reaching it directly';
    } else {
      note = v.via === 'direct' ? `NetworkPolicy ${names} blocks direct connections, so this call fails` : `NetworkPolicy ${names} blocks any bypass`;
    }
    let gatewayBlocked = false;
    if (gateway) {
      const path = this.toGateway(client, gateway.host, gateway.port);
      gatewayBlocked = path.match === 'no';
      if (gatewayBlocked) {
        note = `NetworkPolicy ${policyNames(path.policies)} stops the pod from reaching the egress gateway pods ${path.where}, so this path fails; ${note}`;
      } else if (path.assumed && path.policies.length + this.networkPolicies.egressPolicies(client).length > 0) {
        // Only where NetworkPolicies look at the gateway pods does what the model assumed of them matter.
        note = `${note}; NetworkPolicy lets it reach the egress gateway pods (${path.assumed})`;
      }
    }
    // A connection the network drops does not get out (directly, or to the gateway); a refusal elsewhere stands.
    const outcome: EgressOutcome = v.outcome ?? ((v.via === 'direct' ? blocked : gatewayBlocked) ? 'blocked' : 'allowed');
    return {
      ...v, outcome, bypassBlocked: blocked, gatewayBlocked, reason: `${reason}; ${note}`,
      summary: `${v.summary}; ${gatewayBlocked ? 'gateway blocked; ' : ''}${blocked ? 'bypass blocked' : 'bypass open'}`,
    };
  }

  /** Whether the pod reaches the target itself on `port`, and the policies that decide it. */
  private direct(client: WorkloadInfo, target: EgressTarget, port: number): { match: NetMatch; policies: NetPolicy[] } {
    const np = this.networkPolicies;
    const egress = np.egressPolicies(client);
    if (target.pods.length === 0) {
      return { match: np.egressToHost(egress, { host: target.host, addresses: target.serviceEntry?.addresses ?? [] }, port), policies: [...egress] };
    }
    const svc = this.serviceByHost.get(target.host);
    return this.toPods(client, target.pods, (pod) => servicePodPort(svc, pod, port));
  }

  /** Whether the pod reaches some of `pods`, and the policies (its egress, their ingress) that decide it. */
  private toPods(client: WorkloadInfo, pods: readonly NetPod[], portOf: (pod: NetPod) => number): { match: NetMatch; policies: NetPolicy[] } {
    // `policies`: those that stop it (empty when it gets through).
    const np = this.networkPolicies;
    const egress = np.egressPolicies(client);
    const from = np.signature(client);
    const policies = new Set<NetPolicy>();
    let match: NetMatch = 'no';
    for (const pod of pods) {
      const port = np.destPort(pod, portOf(pod));
      const out = np.egressToPod(egress, np.signature(pod), port);
      const ingress = np.ingressPolicies(pod);
      const inn = np.ingressFromPod(ingress, from, port);
      const m: NetMatch = out === 'no' || inn === 'no' ? 'no' : out === 'yes' && inn === 'yes' ? 'yes' : 'maybe';
      if (out === 'no') for (const p of egress) policies.add(p);
      if (inn === 'no') for (const p of ingress) policies.add(p);
      if (m === 'yes') return { match: 'yes', policies: [] };
      if (m === 'maybe') match = 'maybe';
    }
    return { match, policies: [...policies] };
  }

  /** Whether the pod reaches the gateway pods of `gwHost` on Service port `gwPort`. */
  private toGateway(client: WorkloadInfo, gwHost: string, gwPort: number): { match: NetMatch; policies: NetPolicy[]; where: string; assumed?: string } {
    const gw = this.gatewayPods(gwHost);
    const result = this.toPods(client, gw.pods, (pod) => gw.targetPort(pod, gwPort));
    if (result.match !== 'no') result.policies = gw.pods.flatMap((pod) => [...this.networkPolicies.ingressPolicies(pod)]);
    const pod = gw.pods[0];
    const where = pod ? `(${pod.namespace}: ${Object.entries(pod.podLabels).map(([k, val]) => `${k}=${val}`).join(', ')}, port ${gw.targetPort(pod, gwPort)})` : '';
    return { ...result, where, assumed: gw.assumed };
  }

  /**
   * The pods of an egress gateway Service: those of the input it selects, else pods with its
   * selector, else (no Service in the input) pods as Istio's gateway chart makes them.
   */
  public gatewayPods(gwHost: string): GatewayPods {
    let found = this.gatewayPodsByHost.get(gwHost);
    if (found) return found;
    const svc = this.serviceByHost.get(gwHost);
    const pods = svc?.selector ? this.inventory.workloadIndex.select(svc.namespace, svc.selector) : [];
    if (pods.length > 0) {
      found = { pods, targetPort: (pod, port) => servicePodPort(svc, pod, port) };
    } else {
      const namespace = svc?.namespace ?? serviceHostNamespace(gwHost, this.options.clusterDomain) ?? this.options.rootNamespace;
      const podLabels = svc?.selector ?? ISTIO_GATEWAY_LABELS;
      const pod: NetPod = { namespace, podLabels, containerPorts: [] };
      found = svc
        ? { pods: [pod], targetPort: (p, port) => servicePodPort(svc, p, port), assumed: `not in the input: taken as pods of ${namespace} with the Service's selector` }
        : {
          pods: [pod], targetPort: (_p, port) => ISTIO_GATEWAY_PORTS[port] ?? port,
          assumed: `not in the input: taken as Istio's chart makes them, in ${namespace} with labels app=istio-egressgateway, istio=egressgateway, ports 80->8080, 443->8443`,
        };
    }
    this.gatewayPodsByHost.set(gwHost, found);
    return found;
  }

  /** Whether a Gateway with `selector` selects the pods of an egress gateway (so its servers are egress, not ingress). */
  public selectsEgressGatewayPods(selector: Labels): boolean {
    // The gateways sidecars send to: the configured ones, and those mesh routes name (any Service of
    // gateway pods counts as a gateway host here, ingress gateways' too, so those alone do not tell).
    if (!this.usedGatewayHosts) {
      const used = new Set<string>(this.options.egressGatewayHosts);
      for (const vs of this.inventory.virtualServices) {
        if (!vs.gateways.includes('mesh') && !vs.routes.some((r) => r.matches.some((m) => m.gateways?.includes('mesh')))) continue;
        for (const r of vs.routes) for (const d of r.destinations) if (this.gatewayHosts.has(d.host)) used.add(d.host);
      }
      this.usedGatewayHosts = used;
    }
    for (const host of this.usedGatewayHosts) {
      if (this.gatewayPods(host).pods.some((p) => matchesLabels(selector, p.podLabels))) return true;
    }
    return false;
  }

  /** Every gateway pod and every pod behind an egress target: the pods whose NetworkPolicies matter to egress. */
  public egressPods(): NetPod[] {
    const pods = new Set<NetPod>();
    for (const host of this.gatewayHosts) for (const p of this.gatewayPods(host).pods) pods.add(p);
    for (const t of this.targets) for (const p of t.pods) pods.add(p);
    return [...pods];
  }

  private findTargets(): EgressTarget[] {
    const byKey = new Map<string, EgressTarget>();
    const serviceByHost = new Map<string, ServiceInfo>();
    for (const s of this.inventory.services) if (!serviceByHost.has(s.host)) serviceByHost.set(s.host, s);
    const add = (t: Omit<EgressTarget, 'gatewayRoute' | 'pods'>) => {
      const key = `${t.host}:${t.port}`;
      if (byKey.has(key)) return;
      const svc = serviceByHost.get(t.host);
      const pods = svc?.selector ? this.inventory.workloadIndex.select(svc.namespace, svc.selector) : [];
      // A cluster Service whose pods are in the mesh is not egress.
      if (pods.length > 0 && pods.every((p) => p.sidecar)) return;
      byKey.set(key, { ...t, pods, hostNamespace: t.hostNamespace ?? svc?.namespace, gatewayRoute: this.gatewayRouteFor(t.host, t.port, t.protocol) });
    };
    for (const se of this.inventory.serviceEntries) {
      if (se.location === 'MESH_INTERNAL') continue;
      for (const host of se.hosts) {
        if (unmodelledWildcard(host, se.resolution, se.hasEndpoints)) continue;
        for (const p of se.ports) add({ host, port: p.number, protocol: p.protocol, hostNamespace: se.namespace, serviceEntry: se });
      }
    }
    for (const vs of this.inventory.virtualServices) {
      for (const route of vs.routes) {
        const dest = heaviest(route.destinations);
        if (!dest || !this.isGateway(dest.host)) continue;
        for (const match of route.matches) {
          if (!(match.gateways ?? vs.gateways).includes('mesh') || match.port === undefined) continue;
          for (const host of vs.hosts) {
            if (host.includes('*') || this.isGateway(host)) continue;
            const protocol = route.kind === 'http' ? 'HTTP' : route.kind === 'tls' ? 'TLS' : 'TCP';
            // The namespace Istio gives the host's service: its ServiceEntry's (even one inside the mesh), else its Service's.
            const entry = this.entriesFor(host).find((se) => se.hosts.includes(host));
            add({ host, port: match.port, protocol, hostNamespace: entry?.namespace ?? serviceHostNamespace(host, this.options.clusterDomain) });
          }
        }
      }
    }
    return [...byKey.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
  }

  private gatewayRouteFor(host: string, port: number, protocol: string): VirtualServiceInfo | undefined {
    for (const vs of this.virtualServicesByHost.match(host)) {
      const route = pickRoute(vs, 'mesh', host, port, kindsFor(protocol));
      const dest = route && heaviest(route.destinations);
      if (dest && this.isGateway(dest.host)) return vs;
    }
    return undefined;
  }
}


/**
 * What Istio does with a wildcard ServiceEntry host: one route for every subdomain without a host of
 * its own, to the address the app resolved (resolution NONE: an ORIGINAL_DST cluster; DYNAMIC_DNS:
 * Envoy resolves the name) - pilot/pkg/networking/core/cluster.go, convertResolution.
 */
function wildcardNote(target: EgressTarget): string {
  if (!target.host.includes('*')) return '';
  const resolution = target.serviceEntry?.resolution ?? 'NONE';
  const how = resolution === 'NONE' ? 'to the address the app resolved (resolution NONE)'
    : resolution === 'DYNAMIC_DNS' ? 'to the address Envoy resolves for the requested name (resolution DYNAMIC_DNS)'
      : `to the ServiceEntry's endpoints (resolution ${resolution})`;
  return `wildcard host ${target.host} (any subdomain without a ServiceEntry host of its own) goes ${how}: `;
}

/**
 * Why the TLS a sidecar sends to an egress gateway cannot meet the Gateway server's, if it cannot:
 * an ISTIO_MUTUAL server takes only Istio mTLS; a server without TLS of its own (plain, or
 * PASSTHROUGH) forwards the sidecar's TLS or fails to parse it. Auto mTLS sends plaintext to gateway pods.
 */
// pilot/pkg/networking/core/gateway.go (ConfigGeneratorImpl).buildGatewayListeners and buildGatewayListenerTLSContext.
function hopServerMismatch(hopMode: string | undefined, serverTls: string | undefined): string | undefined {
  const sends = hopMode === 'ISTIO_MUTUAL' ? 'Istio mTLS' : hopMode === 'SIMPLE' || hopMode === 'MUTUAL' ? `TLS (${hopMode})` : 'plaintext';
  if (serverTls === 'ISTIO_MUTUAL' && hopMode !== 'ISTIO_MUTUAL') return `the Gateway server wants Istio mTLS (tls.mode ISTIO_MUTUAL) and the sidecar sends ${sends}`;
  if ((serverTls === undefined || serverTls === 'PASSTHROUGH') && sends !== 'plaintext') {
    return `the Gateway server terminates no TLS (${serverTls === 'PASSTHROUGH' ? 'PASSTHROUGH' : 'no tls'}) and the sidecar sends ${sends}`;
  }
  return undefined;
}

/** Whether a Gateway server host's `ns/` prefix admits a VirtualService of `vsNamespace` (`.`: the Gateway's own). */
function admitsNamespace(prefix: string | undefined, gatewayNamespace: string, vsNamespace: string): boolean {
  if (prefix === undefined || prefix === '*') return true;
  return (prefix === '.' ? gatewayNamespace : prefix) === vsNamespace;
}

/** The pod port a Service port leads to on `pod` (a named targetPort resolved by the pod's container ports). */
function servicePodPort(svc: ServiceInfo | undefined, pod: NetPod, port: number): number {
  const sp = svc?.ports.find((p) => p.port === port);
  if (!sp) return port;
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  return pod.containerPorts.find((c) => c.name === sp.targetPort)?.port ?? port;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function addScope(into: Set<string>, namespace: string, exportTo: readonly string[] | undefined): void {
  into.add(namespace);
  for (const e of exportTo ?? []) if (e !== '*' && e !== '.') into.add(e);
}
