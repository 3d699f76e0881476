// What a gateway proxy (ingress or egress gateway pod) listens on: only the ports of the Gateway
// servers that select its pods, never a sidecar's inbound listeners, so a call to any other port of
// its Service is refused, and PeerAuthentication does not apply to it.

import { byAge } from './age';
import { EgressAnalysis } from './egress';
import { resolveTargetPort } from './groups';
import { Inventory } from './inventory';
import { matchesLabels } from './labels';
import { GatewayInfo, GatewayServer, WorkloadInfo } from './resources';

/** A Gateway server as one gateway pod's listener sees it. */
export interface ListenerServer {
  readonly gateway: GatewayInfo;
  readonly server: GatewayServer;
}

/** Server protocols a gateway serves with its HTTP connection manager: a filter chain with or without routes. */
const GATEWAY_HTTP = ['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-WEB'];

export class GatewayListeners {
  private readonly byWorkload = new Map<WorkloadInfo, Map<number, ListenerServer[]>>();

  public constructor(private readonly inventory: Inventory, private readonly egress: EgressAnalysis) {}

  /** The servers listening on container port `port` of gateway workload `w` (none: the port is closed). */
  public serversOn(w: WorkloadInfo, port: number): readonly ListenerServer[] {
    let ports = this.byWorkload.get(w);
    if (!ports) this.byWorkload.set(w, ports = this.listen(w));
    return ports.get(port) ?? [];
  }

  // pilot/pkg/model/gateway.go MergeGateways and resolvePorts (legacy selector: the first Service
  // port of the proxy's targets with the server's number gives the targetPort, else the number itself).
  private listen(w: WorkloadInfo): Map<number, ListenerServer[]> {
    const targets = this.inventory.services
      .filter((s) => s.selector && s.namespace === w.namespace && matchesLabels(s.selector, w.podLabels))
      // pilot/pkg/model/context.go SetServiceTargets: oldest first, then by host.
      .sort((a, b) => (a.created ?? Infinity) - (b.created ?? Infinity) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    const out = new Map<number, ListenerServer[]>();
    for (const gateway of this.inventory.gateways.filter((g) => matchesLabels(g.selector, w.podLabels)).sort(byAge)) {
      const dropped = this.egress.mergedAway(gateway, w.namespace);
      for (const server of gateway.servers) {
        if (dropped.has(server)) continue;
        if (!GATEWAY_HTTP.includes(server.protocol.toUpperCase()) && !this.egress.serverHasRoute(gateway, server, w.namespace)) continue;
        let port = server.port;
        for (const svc of targets) {
          const sp = svc.ports.find((p) => p.port === server.port);
          const target = sp && resolveTargetPort(w, sp);
          if (target !== undefined) {
            port = target;
            break;
          }
        }
        const list = out.get(port);
        if (list) list.push({ gateway, server });
        else out.set(port, [{ gateway, server }]);
      }
    }
    return out;
  }
}
