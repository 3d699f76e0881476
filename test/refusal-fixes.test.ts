/*
 * Every message family says how to fix the input: for each, a refused input, the part of the
 * message that names the fix, and the input with that fix applied, which must synthesize
 * (schema-validated). A message that suggests a value the library would refuse in turn fails here.
 */
import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AppProtocol, ClientCredential, ClientTlsMode, DefaultDeny, EgressDestination, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode,
  MeshNamespace, MeshWideMtls, MeshWorkload, MeshWorkloadProps, MtlsMode, OriginateMtls, Peer, PeerAuthenticationPolicy, ServerCa,
  SidecarInjection, StrictNamespace, WorkloadAuthorization,
  CaCertificates, GatewayCertificate, IngressGateway, IngressRoute, IngressTls, IstioKind, MeshIntent, MeshParty, MeshService, PluginCa, Team, TeamNamespace,
} from '../src';
import { TEST_CA_CERT, TEST_CERT, TEST_KEY } from './test-keys';
import { newChart, refusal, schemaValidatedEachFile, synth } from './util';

const validated = schemaValidatedEachFile();
const gateway = EgressGateway.istio();
const CA = ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt');
const cast = (v: unknown) => v as any;

function workload(c: Chart, props: Partial<MeshWorkloadProps> = {}, id = 'w'): MeshWorkload {
  const namespace = props.namespace ?? new StrictNamespace(c, 'apps');
  return new MeshWorkload(c, id, { image: 'nginx:1.27', ports: [{ port: 80, containerPort: 8080 }], ...props, namespace });
}
function route(c: Chart, mode: EgressMode, extra: object = {}, id = 'r'): EgressGatewayRoute {
  return new EgressGatewayRoute(c, id, { egressGateway: gateway, host: 'api.example.com', mode, ...extra });
}
function caller(c: Chart, sidecar = true): MeshWorkload {
  return new MeshWorkload(c, 'caller', { namespace: MeshNamespace.fromName('callers', { sidecarInjection: true }), image: 'curl', sidecar });
}

interface Family {
  /** The input the library refuses. */
  readonly bad: (c: Chart) => unknown;
  /** What the message says to do. */
  readonly fix: RegExp;
  /** The same input with that done. */
  readonly fixed: (c: Chart) => unknown;
}

const FAMILIES: { [name: string]: Family } = {
  'DNS label': { bad: (c) => new MeshNamespace(c, 'Shop'), fix: /use 1-63 lowercase letters/, fixed: (c) => new MeshNamespace(c, 'shop') },
  'domain': { bad: (c) => new MeshNamespace(c, 'shop', { trustDomain: 'Corp..Example' }), fix: /use dot-separated DNS-1123 labels/, fixed: (c) => new MeshNamespace(c, 'shop', { trustDomain: 'corp.example' }) },
  'all-numeric cluster domain': { bad: (c) => new MeshNamespace(c, 'shop', { clusterDomain: 'cluster.1' }), fix: /use a domain whose last label has a letter/, fixed: (c) => new MeshNamespace(c, 'shop', { clusterDomain: 'cluster.local' }) },
  'port as a string': { bad: (c) => workload(c, { ports: [{ port: cast('80') }] }), fix: /write the number 80 without quotes/, fixed: (c) => workload(c, { ports: [{ port: 80 }] }) },
  'enum in lower case': { bad: (c) => new StrictNamespace(c, 'shop', { mtlsMode: cast('permissive') }), fix: /use PERMISSIVE/, fixed: (c) => new StrictNamespace(c, 'shop', { mtlsMode: MtlsMode.PERMISSIVE }) },
  'boolean as a string': { bad: (c) => workload(c, { sidecar: cast('false') }), fix: /write false without quotes/, fixed: (c) => workload(c, { sidecar: false, namespace: new MeshNamespace(c, 'legacy') }) },
  'string where a list goes': { bad: (c) => workload(c).allowFrom(caller(c), { methods: cast('GET') }), fix: /a single value goes in a list too: \["GET"\]/, fixed: (c) => workload(c).allowFrom(caller(c), { methods: ['GET'] }) },
  'unknown property': { bad: (c) => workload(c, cast({ sidcar: false })), fix: /use one of .*namespace.*sidecar/, fixed: (c) => workload(c, { sidecar: false, namespace: new MeshNamespace(c, 'legacy') }) },
  'label value': { bad: (c) => new MeshNamespace(c, 'shop', { labels: { team: 'a b' } }), fix: /use at most 63 letters, digits/, fixed: (c) => new MeshNamespace(c, 'shop', { labels: { team: 'a-b' } }) },
  'injection label by hand': {
    bad: (c) => new MeshNamespace(c, 'shop', { labels: { 'istio-injection': 'disabled' } }), fix: /set it with injection \(SidecarInjection.enabled\(\), .revision\(...\), .disabled\(\)\)/,
    fixed: (c) => new MeshNamespace(c, 'shop', { injection: SidecarInjection.disabled() }),
  },
  'label key constructor': { bad: (c) => new MeshNamespace(c, 'shop', { labels: { constructor: 'x' } }), fix: /use another key/, fixed: (c) => new MeshNamespace(c, 'shop', { labels: { builder: 'x' } }) },
  'Service name': { bad: (c) => workload(c, { name: '9web' }), fix: /e\.g\. "svc-9web"/, fixed: (c) => workload(c, { name: 'svc-9web' }) },
  'composed host too long': {
    bad: (c) => workload(c, { name: 'w'.repeat(30), namespace: MeshNamespace.fromName('shop', { clusterDomain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(28)}` }) }),
    fix: /use a shorter workload name, namespace name or cluster domain/,
    fixed: (c) => workload(c, { name: 'w', namespace: MeshNamespace.fromName('shop', { clusterDomain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(28)}` }) }),
  },
  'namespace whose Services cannot fit DNS': {
    bad: (c) => new MeshNamespace(c, 'shop', { clusterDomain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(55)}` }),
    fix: /use a shorter namespace name or clusterDomain/,
    fixed: (c) => new MeshNamespace(c, 'shop', { clusterDomain: `${'a'.repeat(63)}.example` }),
  },
  'image reference': { bad: (c) => workload(c, { image: 'Nginx Latest' }), fix: /use \[registry\[:port\]\/\]name\[:tag\]\[@digest\]/, fixed: (c) => workload(c, { image: 'docker.io/library/nginx:1.27' }) },
  'command with NUL': { bad: (c) => workload(c, { command: ['sleep\u00003600'] }), fix: /remove it/, fixed: (c) => workload(c, { command: ['sleep', '3600'] }) },
  'replicas': { bad: (c) => workload(c, { replicas: -1 }), fix: /a whole number of 0 or more/, fixed: (c) => workload(c, { replicas: 0 }) },
  'sidecar in a namespace without injection': {
    bad: (c) => workload(c, { namespace: new MeshNamespace(c, 'legacy', { injection: SidecarInjection.disabled() }), sidecar: true }),
    fix: /Enable injection in the namespace/, fixed: (c) => workload(c, { namespace: new MeshNamespace(c, 'legacy'), sidecar: true }),
  },
  'port name': { bad: (c) => workload(c, { ports: [{ port: 80, name: 'web' }] }), fix: /use "http" or "http-<suffix>"/, fixed: (c) => workload(c, { ports: [{ port: 80, name: 'http-web' }] }) },
  'one container port, two protocols': {
    bad: (c) => workload(c, { ports: [{ port: 80, containerPort: 8080 }, { port: 81, containerPort: 8080, protocol: AppProtocol.TCP }] }),
    fix: /use one protocol for both Service ports, or another container port/,
    fixed: (c) => workload(c, { ports: [{ port: 80, containerPort: 8080 }, { port: 81, containerPort: 8081, protocol: AppProtocol.TCP }] }),
  },
  'port override for a port not served': { bad: (c) => workload(c, { mtls: { portOverrides: [{ port: 80, mode: MtlsMode.PERMISSIVE }] } }), fix: /use one of its container ports \[8080\]/, fixed: (c) => workload(c, { mtls: { portOverrides: [{ port: 8080, mode: MtlsMode.PERMISSIVE }] } }) },
  'port override without ports': { bad: (c) => workload(c, { ports: [], mtls: { portOverrides: [{ port: 80, mode: MtlsMode.PERMISSIVE }] } }), fix: /declare the port in ports/, fixed: (c) => workload(c, { ports: [{ port: 80 }], mtls: { portOverrides: [{ port: 80, mode: MtlsMode.PERMISSIVE }] } }) },
  'mtls without a sidecar': { bad: (c) => workload(c, { sidecar: false, mtls: {}, namespace: new MeshNamespace(c, 'legacy') }), fix: /set sidecar: true, or leave mtls out/, fixed: (c) => workload(c, { sidecar: true, mtls: {}, namespace: new MeshNamespace(c, 'legacy') }) },
  'mtls where injection is disabled': {
    bad: (c) => workload(c, { namespace: new MeshNamespace(c, 'legacy', { injection: SidecarInjection.disabled() }), mtls: {} }),
    fix: /enable injection in namespace "legacy" \(test\/legacy\) and set sidecar: true/,
    fixed: (c) => workload(c, { namespace: new MeshNamespace(c, 'legacy'), sidecar: true, mtls: {} }),
  },
  'clientTls ISTIO_MUTUAL without a sidecar': { bad: (c) => workload(c, { sidecar: false, clientTls: {}, namespace: new MeshNamespace(c, 'legacy') }), fix: /or use ClientTlsMode.DISABLE/, fixed: (c) => workload(c, { sidecar: false, clientTls: { mode: ClientTlsMode.DISABLE }, namespace: new MeshNamespace(c, 'legacy') }) },
  'clientTls DISABLE to a STRICT namespace': {
    bad: (c) => workload(c, { clientTls: { mode: ClientTlsMode.DISABLE } }), fix: /mtls: \{ mode: MtlsMode.PERMISSIVE \}/,
    fixed: (c) => workload(c, { clientTls: { mode: ClientTlsMode.DISABLE }, mtls: { mode: MtlsMode.PERMISSIVE } }),
  },
  'clientTls DISABLE to a STRICT port override': {
    bad: (c) => workload(c, { clientTls: { mode: ClientTlsMode.DISABLE }, mtls: { mode: MtlsMode.PERMISSIVE, portOverrides: [{ port: 8080, mode: MtlsMode.STRICT }] } }),
    fix: /set the mtls port override of port\(s\) 8080 to PERMISSIVE/,
    fixed: (c) => workload(c, { clientTls: { mode: ClientTlsMode.DISABLE }, mtls: { mode: MtlsMode.PERMISSIVE, portOverrides: [{ port: 8080, mode: MtlsMode.PERMISSIVE }] } }),
  },
  'clientTls DISABLE under a mesh-wide STRICT': {
    bad: (c) => { new MeshWideMtls(c, 'mesh'); workload(c, { namespace: new MeshNamespace(c, 'shop'), clientTls: { mode: ClientTlsMode.DISABLE } }); },
    fix: /mtls: \{ mode: MtlsMode.PERMISSIVE \}/,
    fixed: (c) => { new MeshWideMtls(c, 'mesh'); workload(c, { namespace: new MeshNamespace(c, 'shop'), clientTls: { mode: ClientTlsMode.DISABLE }, mtls: { mode: MtlsMode.PERMISSIVE } }); },
  },
  'clientTls ISTIO_MUTUAL to a DISABLE port': {
    bad: (c) => workload(c, { mtls: { mode: MtlsMode.DISABLE }, clientTls: {} }), fix: /set mtls mode PERMISSIVE, or give the workload clientTls: \{ mode: ClientTlsMode.DISABLE \}/,
    fixed: (c) => workload(c, { mtls: { mode: MtlsMode.DISABLE }, clientTls: { mode: ClientTlsMode.DISABLE } }),
  },
  'a DISABLE port under the StrictNamespace rule': {
    bad: (c) => workload(c, { mtls: { mode: MtlsMode.PERMISSIVE, portOverrides: [{ port: 8080, mode: MtlsMode.DISABLE }] } }),
    fix: /set the mtls port override of port\(s\) 8080 to PERMISSIVE/,
    fixed: (c) => workload(c, { mtls: { mode: MtlsMode.PERMISSIVE, portOverrides: [{ port: 8080, mode: MtlsMode.PERMISSIVE }] } }),
  },
  'no sidecar under the StrictNamespace rule': {
    bad: (c) => workload(c, { sidecar: false }), fix: /or set clientTls: \{ mode: ClientTlsMode.DISABLE \} for its own host/,
    fixed: (c) => workload(c, { sidecar: false, clientTls: { mode: ClientTlsMode.DISABLE } }),
  },
  'clientTls for a server outside the mesh': { bad: (c) => workload(c, { clientTls: { mode: ClientTlsMode.SIMPLE } }), fix: /use ISTIO_MUTUAL or DISABLE/, fixed: (c) => workload(c, { clientTls: { mode: ClientTlsMode.ISTIO_MUTUAL } }) },
  'clientTls without ports': { bad: (c) => workload(c, { ports: [], clientTls: {} }), fix: /add ports/, fixed: (c) => workload(c, { ports: [{ port: 80 }], clientTls: {} }) },
  'StrictNamespace mode': { bad: (c) => new StrictNamespace(c, 'shop', { mtlsMode: MtlsMode.DISABLE }), fix: /use STRICT, or PERMISSIVE while migrating/, fixed: (c) => new StrictNamespace(c, 'shop', { mtlsMode: MtlsMode.PERMISSIVE }) },
  'StrictNamespace without injection': { bad: (c) => new StrictNamespace(c, 'shop', { injection: SidecarInjection.disabled() }), fix: /use SidecarInjection.enabled\(\)/, fixed: (c) => new StrictNamespace(c, 'shop', { injection: SidecarInjection.enabled() }) },
  'port-level mTLS without selector': {
    bad: (c) => new PeerAuthenticationPolicy(c, 'p', { namespace: 'shop', portOverrides: [{ port: 9090, mode: MtlsMode.PERMISSIVE }] }), fix: /Set selector/,
    fixed: (c) => new PeerAuthenticationPolicy(c, 'p', { namespace: 'shop', selector: { app: 'web' }, portOverrides: [{ port: 9090, mode: MtlsMode.PERMISSIVE }] }),
  },
  'empty selector': { bad: (c) => new PeerAuthenticationPolicy(c, 'p', { namespace: 'shop', selector: {} }), fix: /leave selector out for a namespace-wide policy/, fixed: (c) => new PeerAuthenticationPolicy(c, 'p', { namespace: 'shop' }) },
  'two mesh-wide policies': { bad: (c) => { new MeshWideMtls(c, 'a'); new MeshWideMtls(c, 'b'); }, fix: /keep a single MeshWideMtls per root namespace/, fixed: (c) => new MeshWideMtls(c, 'a') },
  'DefaultDeny in the root namespace': { bad: (c) => new DefaultDeny(c, 'd', { namespace: MeshNamespace.fromName('istio-system') }), fix: /Use DefaultDeny in application namespaces/, fixed: (c) => new DefaultDeny(c, 'd', { namespace: MeshNamespace.fromName('shop') }) },
  'DefaultDeny without injection': {
    bad: (c) => new DefaultDeny(c, 'd', { namespace: new MeshNamespace(c, 'shop', { injection: SidecarInjection.disabled() }) }), fix: /enable injection/,
    fixed: (c) => new DefaultDeny(c, 'd', { namespace: new MeshNamespace(c, 'shop') }),
  },
  'rule without peers': { bad: (c) => workload(c).allowPeers([]), fix: /name the callers \(Peer.workload/, fixed: (c) => workload(c).allowPeers([Peer.workload(caller(c))]) },
  'caller without a sidecar': { bad: (c) => workload(c).allowFrom(caller(c, false)), fix: /Give the caller a sidecar \(sidecar: true/, fixed: (c) => workload(c).allowFrom(caller(c, true)) },
  'method in lower case': { bad: (c) => workload(c).allowFrom(caller(c), { methods: ['get'] }), fix: /use "GET"/, fixed: (c) => workload(c).allowFrom(caller(c), { methods: ['GET'] }) },
  'method *': { bad: (c) => workload(c).allowFrom(caller(c), { methods: ['*'] }), fix: /leave methods out to match any method/, fixed: (c) => workload(c).allowFrom(caller(c)) },
  'regular expression as a path': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/api/v[0-9]+/.*'] }), fix: /e\.g\. "\/api\/\*" or "\/api\/\{\*\}\/items"/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/api/*'] }) },
  'path without /': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['info'] }), fix: /use "\/info"/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/info'] }) },
  'path with a query': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/search?q=1'] }), fix: /use the path alone, e\.g\. "\/search"/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/search'] }) },
  'path template': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/users/{id}/info'] }), fix: /e\.g\. "\/users\/\{\*\}\/info"/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/users/{*}/info'] }) },
  'brace outside a template (istioctl refuses)': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/a}'] }), fix: /a literal brace is percent-encoded \("%7B", "%7D"\)/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/a%7D'] }) },
  'dot segments': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/a/../b'] }), fix: /write the normalized path/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/b'] }) },
  'non-ASCII path': { bad: (c) => workload(c).allowFrom(caller(c), { paths: ['/café'] }), fix: /percent-encode them \(e\.g\. "%C3%A9" for "é"\)/, fixed: (c) => workload(c).allowFrom(caller(c), { paths: ['/caf%C3%A9'] }) },
  'Service port in a rule': { bad: (c) => workload(c).allowFrom(caller(c), { ports: [80] }), fix: /use its container port 8080/, fixed: (c) => workload(c).allowFrom(caller(c), { ports: [8080] }) },
  'methods on a TCP port': {
    bad: (c) => workload(c, { ports: [{ port: 5432, protocol: AppProtocol.TCP }] }).allowFrom(caller(c), { methods: ['GET'] }), fix: /Leave them out for TCP ports/,
    fixed: (c) => workload(c, { ports: [{ port: 5432, protocol: AppProtocol.TCP }] }).allowFrom(caller(c)),
  },
  'too many rules': {
    bad: (c) => { const w = workload(c); for (let i = 0; i < 513; i++) w.allowPeers([Peer.serviceAccount(MeshNamespace.fromName('callers'), `sa-${i}`)]); },
    fix: /allow more callers per rule \(allowPeers with several peers\)/,
    fixed: (c) => workload(c).allowPeers(Array.from({ length: 513 }, (_, i) => Peer.serviceAccount(MeshNamespace.fromName('callers'), `sa-${i}`))),
  },
  'workload and selector': {
    bad: (c) => new WorkloadAuthorization(c, 'a', { workload: workload(c), selector: { app: 'w' } }).allowFrom(caller(c)), fix: /give either workload, or namespace and selector, not both/,
    fixed: (c) => new WorkloadAuthorization(c, 'a', { workload: workload(c) }).allowFrom(caller(c)),
  },
  'selector without a name': {
    bad: (c) => new WorkloadAuthorization(c, 'a', { namespace: MeshNamespace.fromName('db'), selector: { app: 'db' } }).allowFrom(caller(c)), fix: /name the policy/,
    fixed: (c) => new WorkloadAuthorization(c, 'a', { namespace: MeshNamespace.fromName('db'), selector: { app: 'db' }, name: 'db-allow' }).allowFrom(caller(c)),
  },
  'policy without rules (at synth)': { bad: (c) => WorkloadAuthorization.of(workload(c)), fix: /add rules with allow\/allowFrom/, fixed: (c) => WorkloadAuthorization.of(workload(c)).allowFrom(caller(c)) },
  'wildcard host': { bad: (c) => route(c, EgressMode.http(), { host: '*.example.com' }), fix: /Route each host \(e\.g\. "api\.example\.com"\) on its own/, fixed: (c) => route(c, EgressMode.http(), { host: 'api.example.com' }) },
  'IP host': { bad: (c) => route(c, EgressMode.http(), { host: '93.184.216.34' }), fix: /use the host name the clients call/, fixed: (c) => route(c, EgressMode.http(), { host: 'example.com' }) },
  'IP in disguise': { bad: (c) => route(c, EgressMode.http(), { host: '127.1' }), fix: /use the host name the clients call/, fixed: (c) => route(c, EgressMode.http(), { host: 'example.com' }) },
  'IP behind a wildcard DNS name': { bad: (c) => route(c, EgressMode.http(), { host: '10.0.0.1.nip.io' }), fix: /use the host's own name/, fixed: (c) => route(c, EgressMode.http(), { host: 'internal.example.com' }) },
  'loopback host': { bad: (c) => route(c, EgressMode.http(), { host: 'api.localhost' }), fix: /use the external host's name/, fixed: (c) => route(c, EgressMode.http(), { host: 'api.example.com' }) },
  'short host': { bad: (c) => route(c, EgressMode.http(), { host: 'api' }), fix: /Use the fully qualified name/, fixed: (c) => route(c, EgressMode.http(), { host: 'api.example.com' }) },
  'Service host': { bad: (c) => route(c, EgressMode.http(), { host: 'a.b.c.svc.cluster.local' }), fix: /use "<service>\.<namespace>\.svc\.cluster\.local"/, fixed: (c) => route(c, EgressMode.http(), { host: 'b.c.svc.cluster.local' }) },
  'passthrough on port 80': { bad: (c) => route(c, EgressMode.tlsPassthrough({ port: 80 })), fix: /Use the host's TLS port \(443\)/, fixed: (c) => route(c, EgressMode.tlsPassthrough({ port: 443 })) },
  'passthrough on gateway port 80': { bad: (c) => route(c, EgressMode.tlsPassthrough({ gatewayPort: 80 })), fix: /use its TLS port \(gatewayPort 443\)/, fixed: (c) => route(c, EgressMode.tlsPassthrough({ gatewayPort: 443 })) },
  'origination with port 443 (issue 14)': {
    bad: (c) => route(c, EgressMode.originateTls({ port: 443, serverCa: CA })), fix: /set port to the app's plain-HTTP port \(80 by default\)/,
    fixed: (c) => route(c, EgressMode.originateTls({ port: 80, serverCa: CA })),
  },
  'origination with targetPort 80': {
    bad: (c) => route(c, EgressMode.originateTls({ targetPort: 80, serverCa: CA })), fix: /set targetPort to the host's TLS port \(443 by default\)/,
    fixed: (c) => route(c, EgressMode.originateTls({ targetPort: 443, serverCa: CA })),
  },
  'origination with both ports equal': {
    bad: (c) => route(c, EgressMode.originateTls({ port: 8443, targetPort: 8443, serverCa: CA })), fix: /set port to the app's plain-HTTP port \(e\.g\. 80\) and targetPort to the host's TLS port \(e\.g\. 443\)/,
    fixed: (c) => route(c, EgressMode.originateTls({ port: 80, targetPort: 443, serverCa: CA })),
  },
  'gateway port the gateway lacks': {
    bad: (c) => route(c, EgressMode.http({ gatewayPort: 8080 })), fix: /or list the port in EgressGateway.istio\(\{ ports \}\)/,
    fixed: (c) => new EgressGatewayRoute(c, 'r', {
      egressGateway: EgressGateway.istio({ ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }, { port: 8080 }] }),
      host: 'api.example.com', mode: EgressMode.http({ gatewayPort: 8080 }),
    }),
  },
  'mutual TLS without a credential': {
    bad: (c) => route(c, EgressMode.originateMtls(cast({}))), fix: /use ClientCredential.fromSecret\(name\)/,
    fixed: (c) => route(c, EgressMode.originateMtls({ clientCredential: ClientCredential.fromSecret('partner') })),
  },
  'PEM without acknowledging the key': {
    bad: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: false }) }),
    fix: /pass acknowledgeKeyInManifest: true to accept that/,
    fixed: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) }),
  },
  'key in the certificate field': {
    bad: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CERT + TEST_KEY, privateKey: TEST_KEY, acknowledgeKeyInManifest: true }) }),
    fix: /private key material must never go into a certificate field/,
    fixed: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) }),
  },
  'key of another certificate': {
    bad: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CA_CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: true }) }),
    fix: /give the key that belongs to that certificate/,
    fixed: (c) => new OriginateMtls(c, 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromPem({ certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) }),
  },
  'CA file that is a relative path': { bad: (c) => route(c, EgressMode.originateTls({ serverCa: ServerCa.fromFile('certs/ca.pem') })), fix: /use e\.g\. "\/etc\/ssl\/certs\/ca-certificates\.crt"/, fixed: (c) => route(c, EgressMode.originateTls({ serverCa: ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt') })) },
  'CA file that is PEM': { bad: (c) => route(c, EgressMode.originateTls({ serverCa: ServerCa.fromFile(`/${TEST_CA_CERT}`) })), fix: /use ServerCa\.fromSecret\(name\)/, fixed: (c) => route(c, EgressMode.originateTls({ serverCa: ServerCa.fromSecret('corp-ca') })) },
  'Secret created and referred to': {
    bad: (c) => {
      route(c, EgressMode.originateMtls({ clientCredential: ClientCredential.fromSecret('cc') }), { host: 'a.example.com' }, 'a');
      new OriginateMtls(c, 'b', { egressGateway: gateway, host: 'b.example.com', clientCredential: ClientCredential.fromPem({ secretName: 'cc', certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) });
    },
    fix: /give the PEM client credential another secretName/,
    fixed: (c) => {
      route(c, EgressMode.originateMtls({ clientCredential: ClientCredential.fromSecret('cc') }), { host: 'a.example.com' }, 'a');
      new OriginateMtls(c, 'b', { egressGateway: gateway, host: 'b.example.com', clientCredential: ClientCredential.fromPem({ secretName: 'cc-pem', certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) });
    },
  },
  'two routes for one host port': { bad: (c) => { route(c, EgressMode.http(), {}, 'a'); route(c, EgressMode.http({ gatewayPort: 443 }), {}, 'b'); }, fix: /or route another port/, fixed: (c) => { route(c, EgressMode.http(), {}, 'a'); route(c, EgressMode.tlsPassthrough(), {}, 'b'); } },
  'plaintext next to TLS on a gateway port': {
    bad: (c) => { route(c, EgressMode.http(), { host: 'a.example.com' }, 'a'); route(c, EgressMode.originateTls({ gatewayPort: 80, serverCa: CA }), { host: 'b.example.com' }, 'b'); },
    fix: /Give this route another gatewayPort \(plain HTTP on 80, TLS on 443\)/,
    fixed: (c) => { route(c, EgressMode.http(), { host: 'a.example.com' }, 'a'); route(c, EgressMode.originateTls({ gatewayPort: 443, serverCa: CA }), { host: 'b.example.com' }, 'b'); },
  },
  'one host from two namespaces': {
    bad: (c) => { route(c, EgressMode.http(), {}, 'a'); route(c, EgressMode.tlsPassthrough(), { namespace: 'other' }, 'b'); }, fix: /put this route in namespace "default" too/,
    fixed: (c) => { route(c, EgressMode.http(), {}, 'a'); route(c, EgressMode.tlsPassthrough(), { namespace: 'default' }, 'b'); },
  },
  'a direct port that is routed': {
    bad: (c) => route(c, EgressMode.http(), { directPorts: [{ port: 80, protocol: AppProtocol.HTTP }] }), fix: /leave it out of directPorts/,
    fixed: (c) => route(c, EgressMode.http(), { directPorts: [{ port: 443, protocol: AppProtocol.HTTPS }] }),
  },
  'direct ports for a Kubernetes Service': {
    bad: (c) => route(c, EgressMode.http(), { host: 'nginx.ext.svc.cluster.local', directPorts: [{ port: 443, protocol: AppProtocol.HTTPS }] }), fix: /leave them out/,
    fixed: (c) => route(c, EgressMode.http(), { host: 'nginx.ext.svc.cluster.local' }),
  },
  'in-mesh host (at synth)': {
    bad: (c) => { route(c, EgressMode.http(), { host: 'web.apps.svc.cluster.local' }); workload(c, { name: 'web', ports: [{ port: 80 }] }); },
    fix: /or run it without a sidecar/, fixed: (c) => { route(c, EgressMode.http(), { host: 'web.apps.svc.cluster.local' }); workload(c, { name: 'web', namespace: new MeshNamespace(c, 'apps'), ports: [{ port: 80 }], sidecar: false }); },
  },
  'lock-down of the gateway namespace': { bad: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('istio-system'), egressGateway: gateway }), fix: /lock down application namespaces only/, fixed: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway }) },
  'two lock-downs of one namespace': {
    bad: (c) => { new EgressLockdown(c, 'a', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway }); new EgressLockdown(c, 'b', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway, name: 'more', destinations: [EgressDestination.namespace(MeshNamespace.fromName('db'))] }); },
    fix: /add destinations to that one with allowTo/,
    fixed: (c) => new EgressLockdown(c, 'a', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway }).allowTo(EgressDestination.namespace(MeshNamespace.fromName('db'))),
  },
  'a destination twice': {
    bad: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway, destinations: [EgressDestination.namespace(MeshNamespace.fromName('db')), EgressDestination.namespace(MeshNamespace.fromName('db'))] }),
    fix: /allow each destination once/, fixed: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway, destinations: [EgressDestination.namespace(MeshNamespace.fromName('db'))] }),
  },
  'no control-plane port': { bad: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway, controlPlane: { ports: [] } }), fix: /list at least 15012/, fixed: (c) => new EgressLockdown(c, 'l', { namespace: MeshNamespace.fromName('shop'), egressGateway: gateway, controlPlane: { ports: [15012] } }) },
  'the sidecar\'s own UID': { bad: (c) => workload(c, { securityContext: { user: 1337 } }), fix: /Use another id/, fixed: (c) => workload(c, { securityContext: { user: 1000 } }) },
  'privileged': { bad: (c) => workload(c, { securityContext: { privileged: true, allowPrivilegeEscalation: true } }), fix: /leave privileged out/, fixed: (c) => workload(c, { securityContext: { allowPrivilegeEscalation: true } }) },
  'NET_ADMIN': { bad: (c) => workload(c, { securityContext: { capabilities: { add: [kplus.Capability.NET_ADMIN] } } }), fix: /drop it, or run the workload without a sidecar/, fixed: (c) => workload(c, { securityContext: { capabilities: { add: [kplus.Capability.NET_ADMIN] } }, sidecar: false, namespace: new MeshNamespace(c, 'legacy') }) },
  'root with ensureNonRoot': { bad: (c) => workload(c, { securityContext: { user: 0 } }), fix: /set ensureNonRoot: false/, fixed: (c) => workload(c, { securityContext: { user: 0, ensureNonRoot: false } }) },
  'request above the limit': {
    bad: (c) => workload(c, { resources: { memory: { request: Size.mebibytes(1024), limit: Size.mebibytes(512) } } }), fix: /raise the limit or lower the request/,
    fixed: (c) => workload(c, { resources: { memory: { request: Size.mebibytes(512), limit: Size.mebibytes(1024) } } }),
  },
  'memory not in whole MiB': { bad: (c) => workload(c, { resources: { memory: { request: Size.kibibytes(1500) } } }), fix: /use Size.mebibytes\(n\)/, fixed: (c) => workload(c, { resources: { memory: { request: Size.mebibytes(2) } } }) },
  'reference contradicting the chart': {
    bad: (c) => { new StrictNamespace(c, 'shop'); workload(c, { namespace: MeshNamespace.fromName('shop', { sidecarInjection: false }) }); }, fix: /pass that MeshNamespace itself/,
    fixed: (c) => workload(c, { namespace: new StrictNamespace(c, 'shop') }),
  },
  // Families added with the refusals of teams, keys, intents, and what Istio ignores.
  'MeshService name too long for its versions': {
    bad: (c) => new MeshService(c, 's', { namespace: new StrictNamespace(c, 'shop'), name: 'a'.repeat(62), ports: [{ port: 80 }] }).addVersion('v1', { image: 'nginx:1.27' }),
    fix: /use a name of at most 61 characters/,
    fixed: (c) => new MeshService(c, 's', { namespace: new StrictNamespace(c, 'shop'), name: 'a'.repeat(58), ports: [{ port: 80 }] }).addVersion('v1', { image: 'nginx:1.27' }),
  },
  'IngressRoute name of digits': {
    bad: (c) => new IngressRoute(c, 'r', { ingressGateway: IngressGateway.istio(), hosts: ['web.example.com'], workload: workload(c), tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('web-cert') }), name: '0' }),
    fix: /e\.g\. "route-0"/,
    fixed: (c) => new IngressRoute(c, 'r', { ingressGateway: IngressGateway.istio(), hosts: ['web.example.com'], workload: workload(c), tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('web-cert') }), name: 'route-0' }),
  },
  'selector in the root namespace': {
    bad: (c) => new PeerAuthenticationPolicy(c, 'p', { namespace: 'istio-system', selector: { app: 'web' } }),
    fix: /Leave selector out for a mesh-wide mode \(MeshWideMtls\), or put the policy in the namespace of the pods it selects/,
    fixed: (c) => { workload(c, { name: 'web' }); new PeerAuthenticationPolicy(c, 'p', { namespace: 'apps', name: 'web', selector: { app: 'web' } }); },
  },
  'injection where Istio never injects': {
    bad: (c) => workload(c, { namespace: new MeshNamespace(c, 'kube-system') }), fix: /Run the workloads in a namespace of their own/,
    fixed: (c) => workload(c, { namespace: new MeshNamespace(c, 'apps') }),
  },
  'TeamNamespace kinds as one kind': {
    bad: (c) => new TeamNamespace(c, 'ns', { team: Team.of('photo', { groups: ['photo-sre'] }), meshSecurityKinds: cast(IstioKind.SIDECAR) }),
    fix: /\[IstioKind.SIDECAR\]/,
    fixed: (c) => new TeamNamespace(c, 'ns', { team: Team.of('photo', { groups: ['photo-sre'] }), meshSecurityKinds: [IstioKind.SIDECAR] }),
  },
  'PluginCa certificates of another kind': {
    bad: (c) => new PluginCa(c, 'ca', { certificates: cast({ secretName: 'cacerts' }) }), fix: /create it with CaCertificates.fromSecret\(\)/,
    // fromSecret references the Secret and emits nothing: a workload beside it gives the chart objects.
    fixed: (c) => { new PluginCa(c, 'ca', { certificates: CaCertificates.fromSecret() }); workload(c); },
  },
  'intent party of another kind': {
    bad: (c) => { const w = workload(c); new MeshIntent(c, 'i').mustBeMtls(cast(w)); }, fix: /create it with MeshParty.workload\(w\)/,
    fixed: (c) => { const w = workload(c); new MeshIntent(c, 'i').mustBeMtls(MeshParty.workload(w)); },
  },
};

describe('every refusal says how to fix the input, and the fix is accepted', () => {
  test.each(Object.keys(FAMILIES))('%s', (name) => {
    const family = FAMILIES[name];
    const bad = newChart();
    const error = refusal(() => {
      family.bad(bad);
      synth(bad);
    });
    expect(error.message).toMatch(family.fix);
    const fixed = newChart();
    family.fixed(fixed);
    expect(validated(synth(fixed)).length).toBeGreaterThan(0);
  });
});
