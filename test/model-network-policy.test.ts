// NetworkPolicies between workloads, as the NetworkPolicy API defines them: `blocked` calls with the
// policies named and the mesh outcome kept, policyTypes defaulted as the API server does, peers by
// pod, namespace or both, ipBlocks, numbered, named and ranged ports, protocols; and egress paths
// whose way to the egress gateway pods is itself blocked.
import { MeshModel } from '../src/model';
import { call, deployment, namespace, service } from './model-fixtures';

function np(ns: string, name: string, spec: any): any {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

/** shop (injected, team=a): web calls api (Service 80 -> container 8080 named http); ops (team=b): probe. */
function platform(...policies: any[]): MeshModel {
  return MeshModel.of([
    { ...namespace('shop'), metadata: { name: 'shop', labels: { 'istio-injection': 'enabled', 'team': 'a' } } },
    { ...namespace('ops'), metadata: { name: 'ops', labels: { 'istio-injection': 'enabled', 'team': 'b' } } },
    deployment('shop', 'web'), deployment('shop', 'api', { ports: [{ port: 8080, name: 'http' }] }),
    service('shop', 'api', [{ port: 80, targetPort: 8080, name: 'http' }]),
    deployment('ops', 'probe'),
    ...policies,
  ]);
}

const DENY_INGRESS = np('shop', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] });

describe('calls', () => {
  test('without policies nothing is blocked', () => {
    expect(call(platform(), 'shop/web', 'shop/api', 80).outcome).toBe('mtls');
  });

  test('an isolated server: blocked, the isolating policy named, the mesh outcome kept', () => {
    const m = platform(DENY_INGRESS);
    const row = [...m.connectionsFrom('shop/web')][0];
    expect(row).toMatchObject({ outcome: 'blocked', meshOutcome: 'mtls' });
    expect(row.reason).toBe('blocked by the network: no NetworkPolicy lets the client into port 8080 of the server (its ingress is isolated by shop/deny-all); '
      + 'if the network let it through: auto mTLS (server has a sidecar); server PERMISSIVE (no PeerAuthentication: Istio\'s default)');
    expect(m.outcomeCounts()).toMatchObject({ blocked: 3, mtls: 0 });
  });

  test('peers: podSelector (own namespace), namespaceSelector, both together', () => {
    const from = (peer: any) => platform(DENY_INGRESS, np('shop', 'allow', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [peer] }] }));
    const outcomes = (m: MeshModel) => ['shop/web', 'shop/api', 'ops/probe'].map((c) => call(m, c, 'shop/api', 80).outcome).join(' ');
    expect(outcomes(from({ podSelector: { matchLabels: { app: 'web' } } }))).toBe('mtls blocked blocked');
    // A podSelector alone means the policy's namespace: probe (ops) has no app=web... nor would it match if it had.
    expect(outcomes(from({ podSelector: { matchLabels: { app: 'probe' } } }))).toBe('blocked blocked blocked');
    expect(outcomes(from({ namespaceSelector: { matchLabels: { team: 'b' } } }))).toBe('blocked blocked mtls');
    expect(outcomes(from({ namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: { matchLabels: { app: 'web' } } }))).toBe('blocked blocked blocked');
    expect(outcomes(from({ namespaceSelector: {}, podSelector: { matchLabels: { app: 'probe' } } }))).toBe('blocked blocked mtls');
    expect(outcomes(from({ namespaceSelector: {} }))).toBe('mtls mtls mtls');
  });

  test('ports: the target port (not the Service port), named ports of the server pod, endPort, protocols', () => {
    const ports = (p: any[]) => call(platform(DENY_INGRESS, np('shop', 'allow', { podSelector: {}, ingress: [{ ports: p }] })), 'shop/web', 'shop/api', 80).outcome;
    expect(ports([{ port: 8080 }])).toBe('mtls');
    expect(ports([{ port: 80 }])).toBe('blocked');
    expect(ports([{ port: 'http' }])).toBe('mtls');
    expect(ports([{ port: 'grpc' }])).toBe('blocked');
    expect(ports([{ port: 8000, endPort: 8080 }])).toBe('mtls');
    expect(ports([{ port: 8081, endPort: 9000 }])).toBe('blocked');
    expect(ports([{ port: 8080, protocol: 'UDP' }])).toBe('blocked');
    expect(ports([{ protocol: 'TCP' }])).toBe('mtls');
  });

  test('egress: the client\'s policies count as much as the server\'s', () => {
    const m = platform(np('shop', 'lockdown', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }] }));
    const row = call(m, 'shop/web', 'shop/api', 80);
    expect(row.outcome).toBe('blocked');
    expect(row.reason).toMatch(/^blocked by the network: no NetworkPolicy lets the client's egress reach port 8080 of the server \(isolated by shop\/lockdown\)/);
    expect(call(m, 'ops/probe', 'shop/api', 80).outcome).toBe('mtls');
  });

  test('policyTypes as the API server defaults it: Ingress, plus Egress only with egress rules', () => {
    // No policyTypes and egress rules: both directions; the egress rule lets web out to ops only.
    const both = platform(np('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }] }));
    expect(call(both, 'shop/web', 'shop/api', 80).outcome).toBe('blocked');
    // `egress: []` is no egress section: Ingress only, so web may still call out (and api is not selected).
    const ingressOnly = platform(np('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [] }));
    expect(call(ingressOnly, 'shop/web', 'shop/api', 80).outcome).toBe('mtls');
    // An empty policyTypes list is defaulted too: Ingress, which isolates api.
    expect(call(platform(np('shop', 'p', { podSelector: {}, policyTypes: [] })), 'shop/web', 'shop/api', 80).outcome).toBe('blocked');
    // Egress only: api's ingress stays open.
    expect(call(platform(np('shop', 'p', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'] })), 'shop/web', 'shop/api', 80).outcome).toBe('mtls');
  });

  test('an ipBlock may or may not hold pod addresses: not blocked, and the reason says so', () => {
    const row = call(platform(DENY_INGRESS, np('shop', 'ips', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })), 'shop/web', 'shop/api', 80);
    expect(row.outcome).toBe('mtls');
    expect(row.reason).toContain('NetworkPolicy shop/deny-all, shop/ips let it through only by an ipBlock: only if the pod addresses are in it');
  });
});

describe('egress paths', () => {
  const external = {
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api', namespace: 'shop' },
    spec: { hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' },
  };
  const gatewayRoute = [
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'egress', namespace: 'shop' },
      spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['api.example.com'] }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: 'shop' },
      spec: { hosts: ['api.example.com'], gateways: ['mesh', 'egress'], http: [
        { match: [{ gateways: ['mesh'], port: 80 }], route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', port: { number: 80 } } }] },
        { match: [{ gateways: ['egress'], port: 80 }], route: [{ destination: { host: 'api.example.com', port: { number: 80 } } }] },
      ] } },
  ];
  const row = (m: MeshModel) => [...m.egress()].find((e) => e.from === 'shop/web')!;

  test('a lock-down that forgets the egress gateway blocks the gateway path itself', () => {
    const m = platform(external, ...gatewayRoute, np('shop', 'lockdown', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }] }));
    expect(row(m)).toMatchObject({ outcome: 'blocked', via: 'egress-gateway', bypassBlocked: true, gatewayBlocked: true });
    expect(row(m).reason).toContain('NetworkPolicy shop/lockdown stops the pod from reaching the egress gateway pods (istio-system: app=istio-egressgateway, istio=egressgateway, port 8080), so this path fails');
  });

  test('a lock-down that allows the gateway pods (their target port) keeps the path', () => {
    const toGateway = (port: number) => platform(external, ...gatewayRoute, np('shop', 'lockdown', { podSelector: {}, policyTypes: ['Egress'], egress: [{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'egressgateway' } } }],
      ports: [{ port }],
    }] }));
    expect(row(toGateway(8080))).toMatchObject({ outcome: 'allowed', via: 'egress-gateway', bypassBlocked: true, gatewayBlocked: false });
    // The Service port is not what the network sees.
    expect(row(toGateway(80))).toMatchObject({ gatewayBlocked: true });
  });

  test('ServiceEntry addresses decide ipBlocks exactly', () => {
    const metadata = { ...external, spec: { ...external.spec, hosts: ['metadata.internal'], addresses: ['169.254.169.254'] } };
    const to = (cidr: string) => row(platform(metadata, np('shop', 'lockdown', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr } }] }] }))).bypassBlocked;
    expect(to('169.254.0.0/16')).toBe(false);
    expect(to('10.0.0.0/8')).toBe(true);
  });
});
