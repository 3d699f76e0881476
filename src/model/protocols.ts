// Istio's protocol selection for a Service port: `appProtocol`, else the port name's prefix.

const PROTOCOLS = ['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql'];
/** Ports Istio never sniffs (SMTP, DNS, MySQL, MongoDB): TCP unless named otherwise. */
const WELL_KNOWN_TCP_PORTS = [25, 53, 3306, 27017];

// pkg/config/kube/conversion.go ConvertProtocol (and pkg/config/protocol Parse).
/** The protocol Istio infers for a Service port (lowercase), or `unknown` (Istio sniffs it). */
export function istioProtocol(name: string | undefined, appProtocol: string | undefined, port?: number, protocol = 'TCP'): string {
  if (protocol.toUpperCase() === 'UDP') return 'udp';
  let value = name ?? '';
  if (appProtocol !== undefined) {
    value = appProtocol;
    if (value === 'kubernetes.io/h2c') return 'http2';
    if (value === 'kubernetes.io/ws') return 'http';
    if (value === 'kubernetes.io/wss') return 'https';
  }
  if (value.toLowerCase().startsWith('grpc-web')) return 'grpc-web';
  const prefix = (value.includes('-') ? value.slice(0, value.indexOf('-')) : value).toLowerCase();
  if (PROTOCOLS.includes(prefix)) return prefix;
  return port !== undefined && WELL_KNOWN_TCP_PORTS.includes(port) ? 'tcp' : 'unknown';
}

/** Ports whose traffic Istio's sidecar parses as HTTP (protocol.Instance IsHTTP). */
export function isHttpProtocol(protocol: string): boolean {
  return ['http', 'http2', 'http_proxy', 'grpc', 'grpc-web'].includes(protocol.toLowerCase());
}

/** Ports Istio sniffs: HTTP or not, decided per connection (protocol.Instance IsUnsupported). */
export function isSniffedProtocol(protocol: string): boolean {
  return protocol === 'unknown';
}

/** Ports whose traffic is TLS from the app itself (protocol.Instance IsTLS). */
export function isTlsProtocol(protocol: string): boolean {
  return ['https', 'tls'].includes(protocol.toLowerCase());
}
