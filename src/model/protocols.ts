// Istio's protocol selection for a port: `appProtocol`, else the port name's prefix.

const KNOWN = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'mongo', 'mysql', 'redis', 'udp'];

/** The protocol Istio infers for a Service port (lowercase), or `unknown`. */
export function istioProtocol(name: string | undefined, appProtocol: string | undefined): string {
  if (appProtocol) {
    const p = appProtocol.toLowerCase();
    if (p === 'kubernetes.io/h2c') return 'http2';
    if (p === 'kubernetes.io/ws' || p === 'kubernetes.io/wss') return 'http';
    return p;
  }
  if (!name) return 'unknown';
  const lower = name.toLowerCase();
  for (const p of [...KNOWN].sort((a, b) => b.length - a.length)) {
    if (lower === p || lower.startsWith(`${p}-`)) return p;
  }
  return 'unknown';
}

/** Ports whose traffic Istio's sidecar parses as HTTP (authorization can see methods and paths). */
export function isHttpProtocol(protocol: string): boolean {
  return ['http', 'http2', 'grpc', 'grpc-web', 'h2c'].includes(protocol.toLowerCase());
}

/** Ports whose traffic is TLS from the app itself. */
export function isTlsProtocol(protocol: string): boolean {
  return ['https', 'tls'].includes(protocol.toLowerCase());
}
