import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { onRollback } from './transaction';

// Istio merges the servers of every Gateway whose selector matches a gateway pod, port by port
// (pilot/pkg/model/gateway.go MergeGateways). What egress and ingress routes of one chart must
// agree on, per gateway pods and port. Two selectors that could match one pod count as the same
// pods: a pod may carry more labels than either names.

type Selector = { readonly [key: string]: string };

/** Identifies the gateway pods a Gateway selects (its selector, sorted). */
export function gatewayPodsKey(selector: Selector): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
}

/** Whether two label selectors can select one pod: they do unless they ask for different values of one key. */
export function selectorsOverlap(a: Selector, b: Selector): boolean {
  return Object.keys(a).every((key) => !Object.prototype.hasOwnProperty.call(b, key) || b[key] === a[key]);
}

interface PortUse { readonly selector: Selector; readonly tls: boolean; readonly holder: IConstruct; readonly what: string }
interface ServerUse { readonly selector: Selector; readonly holder: IConstruct }

interface ChartServers {
  /** Gateway port → the gateway pods serving it, with plaintext or TLS. */
  readonly ports: Map<number, PortUse[]>;
  /** `<gateway port>:<host>` → the gateway pods with a server for the host on that port. */
  readonly hosts: Map<string, ServerUse[]>;
}

const serversByChart = new WeakMap<IConstruct, ChartServers>();

function chartServers(scope: IConstruct): ChartServers {
  const chart = Chart.of(scope);
  let servers = serversByChart.get(chart);
  if (!servers) {
    servers = { ports: new Map(), hosts: new Map() };
    serversByChart.set(chart, servers);
  }
  return servers;
}

function pushUndoable<K, V>(scope: IConstruct, map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key) ?? [];
  map.set(key, list);
  list.push(value);
  onRollback(scope, () => {
    const at = list.indexOf(value);
    if (at >= 0) list.splice(at, 1);
  });
}

/** The route that already has a server for `host` on gateway `port` of pods `selector` may match, if any. */
export function serverHostHolder(scope: IConstruct, selector: Selector, port: number, host: string): IConstruct | undefined {
  const uses = chartServers(scope).hosts.get(`${port}:${host}`) ?? [];
  return uses.find((use) => selectorsOverlap(use.selector, selector))?.holder;
}

/** Records a server for `host` on gateway `port` (checked with `serverHostHolder` first); undone if `scope` is rolled back. */
export function recordServerHost(scope: IConstruct, selector: Selector, port: number, host: string): void {
  pushUndoable(scope, chartServers(scope).hosts, `${port}:${host}`, { selector: { ...selector }, holder: scope });
}

/**
 * Refuses a server that would mix TLS (HTTPS, TLS) and plaintext (HTTP) on gateway `port` of
 * pods `selector` may match: Istio drops one of two such servers. Returns the record, to call
 * once every other check passed.
 */
export function checkServerPort(scope: IConstruct, selector: Selector, port: number, tls: boolean, host: string, hint: string): () => void {
  const servers = chartServers(scope);
  const what = tls ? 'a TLS server' : 'a plaintext HTTP server';
  const mixed = (servers.ports.get(port) ?? []).find((use) => use.tls !== tls && selectorsOverlap(use.selector, selector));
  if (mixed) {
    const same = gatewayPodsKey(mixed.selector) === gatewayPodsKey(selector);
    throw new IstioSecurityError(scope, `gateway port ${port} would get ${what} for "${host}", but ${mixed.holder.node.path} `
      + `already serves ${mixed.what} on it${same ? '' : ' on gateway pods this selector also matches'}: Istio merges the Gateways of one `
      + `gateway workload and drops one of two servers that mix plaintext and TLS on a port. ${hint}`);
  }
  return () => pushUndoable(scope, servers.ports, port, { selector: { ...selector }, tls, holder: scope, what });
}
