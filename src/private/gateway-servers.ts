import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { claim } from './registry';

// Istio merges the servers of every Gateway that selects one set of gateway pods, port by port.
// What egress and ingress routes of one chart must agree on, per gateway pods and port.

/** Identifies the gateway pods a Gateway selects (its selector, sorted). */
export function gatewayPodsKey(selector: { [key: string]: string }): string {
  return Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
}

interface PortUse { readonly tls: boolean; readonly holder: IConstruct; readonly what: string }

const portsByChart = new WeakMap<IConstruct, Map<string, PortUse>>();

/**
 * Claims `host` on gateway `port` of the pods `pods` for `scope`: one server per host and port,
 * or the gateway could not tell the routes apart.
 */
export function claimServerHost(scope: IConstruct, pods: string, port: number, host: string, conflict: (holder: IConstruct) => string): void {
  claim(scope, serverHostKey(pods, port, host), conflict);
}

/** The registry key of a server for `host` on gateway `port` of `pods`. */
export function serverHostKey(pods: string, port: number, host: string): string {
  return `gateway-server:${pods}:${port}:${host}`;
}

/**
 * Refuses a server that would mix TLS (HTTPS, TLS) and plaintext (HTTP) on gateway `port` of
 * `pods`: Istio drops one of two such servers. Returns the claim, to record once every other check passed.
 */
export function checkServerPort(scope: IConstruct, pods: string, port: number, tls: boolean, host: string, hint: string): () => void {
  const chart = Chart.of(scope);
  const ports = portsByChart.get(chart) ?? new Map<string, PortUse>();
  portsByChart.set(chart, ports);
  const key = `${pods}:${port}`;
  const what = tls ? 'a TLS server' : 'a plaintext HTTP server';
  const use = ports.get(key);
  if (use && use.tls !== tls) {
    throw new IstioSecurityError(scope, `gateway port ${port} would get ${what} for "${host}", but ${use.holder.node.path} `
      + `already serves ${use.what} on it: Istio merges the Gateways of one gateway workload and drops one of two servers `
      + `that mix plaintext and TLS on a port. ${hint}`);
  }
  return () => {
    if (!ports.has(key)) ports.set(key, { tls, holder: scope, what });
  };
}
