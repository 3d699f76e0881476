// Calls from outside the mesh through an ingress gateway: an external client, the TLS at the edge
// (the Gateway server), the gateway's own AuthorizationPolicies, the VirtualService bound to the
// Gateway, then the hop from the gateway to the workload: the gateway is a proxy with its own
// identity, so auto mTLS, DestinationRules and the workload's policies apply as for any client.
// Gateways whose pods are egress gateways are left to egress.ts.

import { EgressAnalysis } from './egress';
import { hostMatches } from './hosts';
import { Inventory } from './inventory';
import { Labels, matchesLabels } from './labels';
import { GatewayInfo, GatewayServer, Route, RouteKind, ServiceInfo, ServicePortInfo, VirtualServiceInfo, WorkloadInfo } from './resources';
import { EdgeTls, NotModelled, ResolvedOptions } from './types';

/** The pods of an ingress gateway: in the input, or Istio's default gateway as its chart makes it. */
export interface IngressGatewayPods {
  /** How rows name the gateway: the workload id, or `<namespace>/istio-ingressgateway` when assumed. */
  readonly id: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly principal: string;
  /** The gateway workload, when the input holds it. */
  readonly workload?: WorkloadInfo;
  /** Set when the pods are not in the input: what the model assumed of them. */
  readonly assumed?: string;
  /** The port the pods listen on behind a Service port of the gateway. */
  readonly podPort: (port: number) => number;
}

/** One way in: a server and host of a Gateway, the route a VirtualService gives it, and the Service port it ends at. */
export interface IngressPath {
  readonly gateway: GatewayInfo;
  readonly server: GatewayServer;
  readonly pods: IngressGatewayPods;
  /** The host clients call (the more specific of the server's and the VirtualService's). */
  readonly host: string;
  readonly edgeTls: EdgeTls;
  /** Whether the gateway sees HTTP requests (it terminates TLS, or there is none). */
  readonly http: boolean;
  readonly vs: VirtualServiceInfo;
  readonly route: Route;
  /** Whether the route matches only some requests (URI, headers, ...). */
  readonly conditional: boolean;
  readonly service: ServiceInfo;
  readonly servicePort: ServicePortInfo;
}

/** Istio's default ingress gateway (manifests/charts/gateway, istio-ingressgateway in istio-system). */
const ISTIO_INGRESS = {
  namespace: 'istio-system',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
  serviceAccount: 'istio-ingressgateway-service-account',
  ports: { 80: 8080, 443: 8443 } as { readonly [port: number]: number },
};

/** What a Gateway server does with the client's TLS (networking/v1alpha3 ServerTLSSettings.TLSmode). */
function edgeTlsOf(server: GatewayServer): EdgeTls {
  switch (server.tlsMode) {
    case 'SIMPLE': return 'simple';
    case 'MUTUAL':
    case 'ISTIO_MUTUAL':
    case 'OPTIONAL_MUTUAL': return 'mutual';
    case 'PASSTHROUGH':
    case 'AUTO_PASSTHROUGH': return 'passthrough';
    default: return 'none';
  }
}

/** The route kinds of a server: HTTP routes where the gateway sees requests, TLS routes for passthrough, else TCP. */
function routeKindOf(server: GatewayServer, edgeTls: EdgeTls): RouteKind {
  if (edgeTls === 'passthrough') return 'tls';
  return ['HTTP', 'HTTPS', 'HTTP2', 'GRPC'].includes(server.protocol) ? 'http' : 'tcp';
}

/** Whether a VirtualService of `vsNamespace` may bind host `index` of the server (`ns/host`, pilot/pkg/model/gateway.go). */
function hostScopeAllows(server: GatewayServer, index: number, gateway: GatewayInfo, vsNamespace: string): boolean {
  const scope = server.hostNamespaces[index];
  if (scope === undefined || scope === '*') return true;
  return scope === '.' ? vsNamespace === gateway.namespace : scope === vsNamespace;
}

/** The host both a server host and a VirtualService host cover (the more specific), if any. */
function intersect(serverHost: string, vsHost: string): string | undefined {
  if (hostMatches(serverHost, vsHost)) return vsHost;
  if (hostMatches(vsHost, serverHost)) return serverHost;
  return undefined;
}

export class IngressAnalysis {
  public readonly paths: readonly IngressPath[];
  /** The Gateways of ingress gateways whose pods the model knows, in input order. */
  public readonly gateways: readonly GatewayInfo[];
  /** What the model cannot follow: Gateways whose pods it does not know, routes to hosts that are no Service of the input. */
  public readonly notModelled: readonly NotModelled[];
  private readonly podsByGateway = new Map<GatewayInfo, IngressGatewayPods | undefined>();

  public constructor(private readonly inventory: Inventory, private readonly options: ResolvedOptions, egress: EgressAnalysis) {
    const notes: NotModelled[] = [];
    const paths: IngressPath[] = [];
    const serviceByHost = new Map<string, ServiceInfo>();
    for (const s of inventory.services) if (!serviceByHost.has(s.host)) serviceByHost.set(s.host, s);
    const egressTargets = new Set(egress.targets.map((t) => t.host));
    const gateways: GatewayInfo[] = [];
    for (const gateway of inventory.gateways) {
      if (Object.keys(gateway.selector).length === 0 || egress.selectsEgressGatewayPods(gateway.selector)) continue;
      if (this.gatewayPods(gateway)) gateways.push(gateway);
      const bound = inventory.virtualServices.filter((vs) => vs.gateways.includes(gateway.key)
        || vs.routes.some((r) => r.matches.some((m) => m.gateways?.includes(gateway.key))));
      if (bound.length === 0) continue;
      const pods = this.gatewayPods(gateway);
      if (!pods) {
        notes.push({
          ref: gateway.ref, field: 'spec.selector',
          reason: 'selects gateway pods the input does not hold and that are not Istio\'s default ingress gateway (istio=ingressgateway): '
            + 'their identity is unknown, so calls from outside through this Gateway are not in the report',
        });
        continue;
      }
      for (const server of gateway.servers) {
        // A redirect server answers every request itself: nothing reaches a workload.
        if (server.httpsRedirect) continue;
        const edgeTls = edgeTlsOf(server);
        const kind = routeKindOf(server, edgeTls);
        server.hosts.forEach((serverHost, hostIndex) => {
          for (const vs of bound) {
            if (!hostScopeAllows(server, hostIndex, gateway, vs.namespace)) continue;
            for (const vsHost of vs.hosts) {
              const host = intersect(serverHost, vsHost);
              if (host === undefined) continue;
              for (const { route, conditional } of routesFor(vs, gateway.key, host, server.port, kind)) {
                for (const d of route.destinations) {
                  if (d.weight <= 0) continue;
                  const service = serviceByHost.get(d.host);
                  const servicePort = service && (d.port !== undefined ? service.ports.find((p) => p.port === d.port)
                    : service.ports.length === 1 ? service.ports[0] : undefined);
                  if (!service || !servicePort) {
                    if (!egressTargets.has(d.host)) {
                      notes.push({
                        ref: vs.ref, field: `spec.${route.kind}[${route.index}].route`,
                        reason: `sends calls from outside through Gateway ${gateway.key} to ${d.host}${d.port !== undefined ? `:${d.port}` : ''}, `
                          + 'which is no Service port of the input: those calls are not in the report',
                      });
                    }
                    continue;
                  }
                  paths.push({ gateway, server, pods, host, edgeTls, http: kind === 'http', vs, route, conditional, service, servicePort });
                }
              }
            }
          }
        });
      }
    }
    this.paths = paths;
    this.gateways = gateways;
    this.notModelled = dedupeNotes(notes);
  }

  /**
   * The pods a Gateway selects: gateway workloads of the input (in any namespace, as Istio's
   * default PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false allows), else Istio's default ingress gateway
   * when the selector fits its labels, else unknown.
   */
  public gatewayPods(gateway: GatewayInfo): IngressGatewayPods | undefined {
    if (this.podsByGateway.has(gateway)) return this.podsByGateway.get(gateway);
    let pods: IngressGatewayPods | undefined;
    const inInput = this.inventory.workloadIndex.select(undefined, gateway.selector).filter((w) => w.gateway);
    if (inInput.length > 0) {
      const w = inInput[0];
      const svc = this.inventory.services.find((s) => s.namespace === w.namespace && s.selector && matchesLabels(s.selector, w.podLabels));
      pods = {
        id: w.id, namespace: w.namespace, labels: w.podLabels, principal: w.principal, workload: w,
        podPort: (port) => {
          const target = svc?.ports.find((p) => p.port === port)?.targetPort;
          return typeof target === 'number' ? target : port;
        },
      };
    } else if (matchesLabels(gateway.selector, ISTIO_INGRESS.labels)) {
      const ns = ISTIO_INGRESS.namespace;
      pods = {
        id: `${ns}/istio-ingressgateway`, namespace: ns, labels: ISTIO_INGRESS.labels,
        principal: `${this.options.trustDomain}/ns/${ns}/sa/${ISTIO_INGRESS.serviceAccount}`,
        assumed: `not in the input: taken as Istio's chart makes them, in ${ns} as ${ISTIO_INGRESS.serviceAccount}, ports 80->8080, 443->8443`,
        podPort: (port) => ISTIO_INGRESS.ports[port] ?? port,
      };
    }
    this.podsByGateway.set(gateway, pods);
    return pods;
  }
}

/**
 * The routes of `vs` that calls for host:port on `gateway` may take, in order, up to the first one
 * that takes every call (pilot/pkg/networking/core/route: the first matching route wins).
 */
function routesFor(vs: VirtualServiceInfo, gateway: string, host: string, port: number, kind: RouteKind): Array<{ route: Route; conditional: boolean }> {
  const found: Array<{ route: Route; conditional: boolean }> = [];
  for (const route of vs.routes.filter((r) => r.kind === kind)) {
    if (route.matches.length === 0) {
      if (vs.gateways.includes(gateway)) {
        found.push({ route, conditional: false });
        break;
      }
      continue;
    }
    const applying = route.matches.filter((m) => (m.gateways ?? vs.gateways).includes(gateway)
      && (m.port === undefined || m.port === port)
      && (!m.sniHosts || m.sniHosts.some((p) => hostMatches(p, host))));
    if (applying.length === 0) continue;
    const conditional = applying.every((m) => m.conditional);
    found.push({ route, conditional });
    if (!conditional) break;
  }
  return found;
}

function dedupeNotes(notes: NotModelled[]): NotModelled[] {
  const seen = new Set<string>();
  return notes.filter((n) => {
    const key = `${n.ref.kind}/${n.ref.namespace}/${n.ref.name}|${n.field}|${n.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
