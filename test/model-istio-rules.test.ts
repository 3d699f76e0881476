// Rules of Istio's control plane that the differential suite (test/oracle-diff.test.ts, Istio's
// own code as the oracle) found the model getting wrong. Each test fails without its fix; the
// comments name the Istio function the rule follows.
import { decideSidecar, findFindings, MeshModel } from '../src/model';
import { authorizationPolicy, call, deployment, destinationRule, namespace, peerAuthentication, service } from './model-fixtures';

const client = (ns: string, name = 'client', options: Parameters<typeof deployment>[2] = {}) => deployment(ns, name, options);
const server = (ns: string, name = 'srv', options: Parameters<typeof deployment>[2] = {}) => deployment(ns, name, { ports: [80], ...options });
const svc = (ns: string, name = 'srv', extra: any = {}) => ({ ...service(ns, name, [{ port: 8000, targetPort: 80, name: 'http' }]), ...extra });

describe('sidecar injection follows the chart\'s webhook selectors and injectRequired', () => {
  test.each([
    ['kube-system is never injected (inject.IgnoredNamespaces)', {}, { 'sidecar.istio.io/inject': 'true' }, {}, 'kube-system', false],
    ['a pod label "yes" does not select the pod without a namespace label', {}, { 'sidecar.istio.io/inject': 'yes' }, {}, 'a', false],
    ['a pod label "yes" in an enabled namespace falls back to the policy: injected', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'yes' }, {}, 'a', true],
    ['an annotation "no" in an enabled namespace is not "false": injected', { 'istio-injection': 'enabled' }, {}, { 'sidecar.istio.io/inject': 'no' }, 'a', true],
    ['istio-injection=true is not "enabled": no webhook sees the pod', { 'istio-injection': 'true' }, { 'sidecar.istio.io/inject': 'true' }, {}, 'a', false],
    ['an istio-injection label of any value stops the revision webhook', { 'istio-injection': 'off', 'istio.io/rev': 'canary' }, {}, {}, 'a', false],
    ['istio-injection=enabled with a revision label still injects (the legacy webhook)', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }, {}, {}, 'a', true],
  ])('%s', (_name, ns, pod, annotations, namespaceName, expected) => {
    expect(decideSidecar(ns, pod, annotations, { namespace: namespaceName }).sidecar).toBe(expected);
  });

  test('hostNetwork pods are never injected', () => {
    expect(decideSidecar({ 'istio-injection': 'enabled' }, {}, {}, { hostNetwork: true }).sidecar).toBe(false);
  });
});

describe('traffic interception annotations (istio-iptables)', () => {
  test('a port excluded outbound bypasses the client\'s sidecar: plaintext, refused by STRICT', () => {
    const m = MeshModel.of([namespace('a'), server('a'), svc('a'), peerAuthentication('a', 'default', { mtls: { mode: 'STRICT' } }),
      client('a', 'client', { annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '8000' } }), client('a', 'other')]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'rejected' });
    expect(call(m, 'a/client', 'a/srv', 8000).reason).toContain('does not capture port 8000');
    expect(call(m, 'a/other', 'a/srv', 8000)).toMatchObject({ outcome: 'mtls' });
  });

  test('a port excluded inbound never reaches the server\'s sidecar: auto mTLS still sends mTLS, the app gets it', () => {
    const m = MeshModel.of([namespace('a'), server('a', 'srv', { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '80' } }), svc('a'),
      client('a'), authorizationPolicy('a', 'deny-all', { action: 'DENY', rules: [{}] })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'failed' });
  });
});

describe('authorization as Istio generates it', () => {
  const base = [namespace('a'), server('a'), svc('a'), client('a', 'client', { serviceAccount: 'robot' }), client('a', 'stranger')];

  test('serviceAccounts match the peer\'s namespace and service account (serviceAccountRegex)', () => {
    const m = MeshModel.of([...base, authorizationPolicy('a', 'allow', { selector: { matchLabels: { app: 'srv' } }, rules: [{ from: [{ source: { serviceAccounts: ['robot'] } }] }] })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'mtls' });
    expect(call(m, 'a/stranger', 'a/srv', 8000)).toMatchObject({ outcome: 'denied' });
  });

  test('trustDomains match the peer\'s trust domain', () => {
    const m = MeshModel.of([...base, authorizationPolicy('a', 'allow', { rules: [{ from: [{ source: { trustDomains: ['other.domain'] } }] }] })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'denied' });
  });

  test('a dry-run policy enforces nothing (isDryRun)', () => {
    const dryRun = { ...authorizationPolicy('a', 'deny', { action: 'DENY', rules: [{}] }) };
    dryRun.metadata = { ...dryRun.metadata, annotations: { 'istio.io/dry-run': 'true' } };
    expect(call(MeshModel.of([...base, dryRun]), 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'mtls' });
  });

  test('on a TCP port an ALLOW rule with one HTTP-only entry is dropped whole (Model.Generate fails)', () => {
    const objects = [namespace('a'), server('a'), service('a', 'srv', [{ port: 8000, targetPort: 80, name: 'tcp' }]), client('a'),
      authorizationPolicy('a', 'allow', { rules: [{ to: [{ operation: { ports: ['80'] } }, { operation: { methods: ['GET'] } }] }] })];
    expect(call(MeshModel.of(objects), 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'denied' });
  });

  test('on a port Istio sniffs, a rule with HTTP fields allows HTTP requests: not denied outright', () => {
    const objects = [namespace('a'), server('a'), service('a', 'srv', [{ port: 8000, targetPort: 80 }]), client('a'),
      authorizationPolicy('a', 'allow', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })];
    const row = call(MeshModel.of(objects), 'a/client', 'a/srv', 8000);
    expect(row.outcome).toBe('mtls');
    expect(row.reason).toContain('sniffs the protocol');
  });
});

describe('client TLS as the cluster and the endpoints carry it', () => {
  test('credentialName in a rule without workloadSelector gives sidecars no TLS: plaintext, a finding', () => {
    const m = MeshModel.of([namespace('a'), server('a'), svc('a'), client('a'),
      destinationRule('a', 'tls', { host: 'srv', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'ca' } } })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'plaintext' });
    expect(findFindings(m).map((f) => f.rule)).toContain('credential-name-in-sidecar-rule');
  });

  test('a namespace DISABLE turns auto mTLS off even to a STRICT workload (Istio issue 56084): rejected, a finding', () => {
    const m = MeshModel.of([namespace('a'), server('a'), svc('a'), client('a'),
      peerAuthentication('a', 'default', { mtls: { mode: 'DISABLE' } }),
      peerAuthentication('a', 'srv', { selector: { matchLabels: { app: 'srv' } }, mtls: { mode: 'STRICT' } })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'rejected' });
    expect(findFindings(m).map((f) => f.rule)).toContain('strict-under-disable');
  });

  test('a port-level entry without tls: the cluster does auto mTLS, the endpoints read the rule level (SIMPLE): plaintext', () => {
    const m = MeshModel.of([namespace('a'), server('a'), svc('a'), client('a'),
      destinationRule('a', 'dr', { host: 'srv', trafficPolicy: { tls: { mode: 'SIMPLE' }, portLevelSettings: [{ port: { number: 8000 }, connectionPool: { tcp: { maxConnections: 1 } } }] } })]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'plaintext' });
    expect(findFindings(m).map((f) => f.rule)).toContain('port-level-without-tls');
  });

  test('a pod without sidecar labelled tlsMode=istio gets mTLS from auto mTLS (and fails)', () => {
    const m = MeshModel.of([namespace('a'), namespace('legacy', {}), server('legacy', 'srv', { labels: { 'security.istio.io/tlsMode': 'istio' } }), svc('legacy'), client('a')]);
    expect(call(m, 'a/client', 'legacy/srv', 8000)).toMatchObject({ outcome: 'failed' });
  });

  test('a sidecar pod labelled tlsMode=disabled gets plaintext from auto mTLS', () => {
    const m = MeshModel.of([namespace('a'), server('a', 'srv', { labels: { 'security.istio.io/tlsMode': 'disabled' } }), svc('a'), client('a')]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'plaintext' });
  });

  test('a headless Service with an endpoint without sidecar gets no auto mTLS to any (BestEffortInferServiceMTLSMode)', () => {
    const headless = service('a', 'db', [{ port: 80, targetPort: 80, name: 'tcp' }], { role: 'db' } as any);
    headless.spec.clusterIP = 'None';
    const m = MeshModel.of([namespace('a'), client('a'), headless, peerAuthentication('a', 'default', { mtls: { mode: 'STRICT' } }),
      server('a', 'db-0', { labels: { role: 'db' } }), server('a', 'db-1', { labels: { role: 'db', 'sidecar.istio.io/inject': 'false' } })]);
    expect(call(m, 'a/client', 'a/db-0', 80)).toMatchObject({ outcome: 'rejected' });
  });

  test('a pod calling its own address through a headless Service bypasses both sidecars', () => {
    const headless = service('a', 'srv', [{ port: 80, targetPort: 80, name: 'tcp' }]);
    headless.spec.clusterIP = 'None';
    const m = MeshModel.of([namespace('a'), server('a'), headless, authorizationPolicy('a', 'deny', { action: 'DENY', rules: [{}] })]);
    expect(call(m, 'a/srv', 'a/srv', 80)).toMatchObject({ outcome: 'plaintext' });
  });

  test('a Service exported only to its namespace: other sidecars pass the call through as plaintext', () => {
    const exported = svc('b');
    exported.metadata = { ...exported.metadata, annotations: { 'networking.istio.io/exportTo': '.' } };
    const m = MeshModel.of([namespace('a'), namespace('b'), server('b'), exported, client('a'), client('b', 'local')]);
    expect(call(m, 'a/client', 'b/srv', 8000)).toMatchObject({ outcome: 'plaintext' });
    expect(call(m, 'b/local', 'b/srv', 8000)).toMatchObject({ outcome: 'mtls' });
  });
});

describe('DestinationRule lookup and merging (push_context.go destinationRule, mergeDestinationRule)', () => {
  const base = [namespace('a'), namespace('b'), server('b'), svc('b'), client('a')];

  test('two rules for one host in one namespace merge: the first by name gives the policy', () => {
    const m = MeshModel.of([...base,
      destinationRule('b', 'zz-disable', { host: 'srv', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      destinationRule('b', 'aa-mutual', { host: 'srv', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })]);
    expect(call(m, 'a/client', 'b/srv', 8000).reason).toContain('b/aa-mutual');
  });

  test('...unless one is older (creationTimestamp)', () => {
    const old = destinationRule('b', 'zz-disable', { host: 'srv', trafficPolicy: { tls: { mode: 'DISABLE' } } });
    old.metadata.creationTimestamp = '2020-01-01T00:00:00Z';
    const m = MeshModel.of([...base, destinationRule('b', 'aa-mutual', { host: 'srv', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }), old]);
    expect(call(m, 'a/client', 'b/srv', 8000).reason).toContain('b/zz-disable');
  });

  test('the most specific host is chosen before exportTo: a rule not exported to the client hides a wider one', () => {
    const m = MeshModel.of([...base,
      destinationRule('b', 'exact', { host: 'srv', exportTo: ['.'], trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      destinationRule('b', 'wide', { host: '*.b.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      destinationRule('b', 'exported', { host: 'srv', exportTo: ['b', 'c'], trafficPolicy: { tls: { mode: 'DISABLE' } } })]);
    // 'exported' is the most specific host in b's exported rules but is not exported to a; 'wide' is not consulted.
    expect(call(m, 'a/client', 'b/srv', 8000)).toMatchObject({ outcome: 'mtls' });
  });

  test('a rule with a workloadSelector that does not match the client ends the lookup in its namespace', () => {
    const m = MeshModel.of([...base,
      destinationRule('a', 'selected', { host: 'srv.b.svc.cluster.local', workloadSelector: { matchLabels: { app: 'someone-else' } }, trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      destinationRule('b', 'server-side', { host: 'srv', trafficPolicy: { tls: { mode: 'DISABLE' } } })]);
    expect(call(m, 'a/client', 'b/srv', 8000)).toMatchObject({ outcome: 'mtls' });
  });
});

describe('PeerAuthentication as ComposePeerAuthentication resolves it', () => {
  test('of two namespace-wide policies the first by name wins, `default` is not preferred', () => {
    const m = MeshModel.of([namespace('a'), server('a'), svc('a'), client('a', 'legacy', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      peerAuthentication('a', 'default', { mtls: { mode: 'PERMISSIVE' } }), peerAuthentication('a', 'aaa-strict', { mtls: { mode: 'STRICT' } })]);
    expect(call(m, 'a/legacy', 'a/srv', 8000)).toMatchObject({ outcome: 'rejected' });
    expect(findFindings(m).map((f) => f.rule)).toContain('decided-by-age');
  });

  test('a root-namespace policy with a selector applies to no workload, not even in the root namespace', () => {
    const m = MeshModel.of([namespace('a'), namespace('istio-system'), server('istio-system'), svc('istio-system'),
      client('a', 'legacy', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      peerAuthentication('istio-system', 'strict-srv', { selector: { matchLabels: { app: 'srv' } }, mtls: { mode: 'STRICT' } })]);
    expect(call(m, 'a/legacy', 'istio-system/srv', 8000)).toMatchObject({ outcome: 'plaintext' });
  });
});

describe('Kubernetes and protocol details', () => {
  test('a named targetPort no container port has: no endpoint, the call fails', () => {
    const m = MeshModel.of([namespace('a'), server('a'), service('a', 'srv', [{ port: 8000, targetPort: 'web', name: 'http' }]), client('a')]);
    expect(call(m, 'a/client', 'a/srv', 8000)).toMatchObject({ outcome: 'failed' });
  });

  test('the oldest Service targeting a pod port decides its inbound protocol: TCP bytes to an HTTP chain fail', () => {
    const older = service('a', 'web', [{ port: 80, targetPort: 80, name: 'http' }], { app: 'srv' });
    older.metadata.creationTimestamp = '2020-01-01T00:00:00Z';
    const m = MeshModel.of([namespace('a'), server('a'), older, service('a', 'srv', [{ port: 5000, targetPort: 80, name: 'tcp' }]), client('a')]);
    expect(call(m, 'a/client', 'a/srv', 5000)).toMatchObject({ outcome: 'failed' });
  });

  test('appProtocol kubernetes.io/wss is HTTPS, an unnamed MySQL port is TCP (kube.ConvertProtocol)', () => {
    const m = MeshModel.of([namespace('a'), server('a'), service('a', 'srv', [{ port: 443, targetPort: 80, name: 'web', appProtocol: 'kubernetes.io/wss' } as any, { port: 3306, targetPort: 80, name: 'db' }])]);
    const ports = m.inventory.services[0].ports;
    expect(ports.map((p) => p.istioProtocol)).toEqual(['https', 'tcp']);
  });
});

describe('gateway pods as servers (gateway.go buildGatewayListeners: only Gateway servers listen)', () => {
  const gatewayPods = () => [
    namespace('istio-system', {}),
    deployment('istio-system', 'istio-egressgateway', { labels: { istio: 'egressgateway' }, ports: [8080, 8443] }),
    service('istio-system', 'istio-egressgateway', [{ port: 80, targetPort: 8080, name: 'http2' }, { port: 443, targetPort: 8443, name: 'https' }],
      { app: 'istio-egressgateway' } as any),
  ];
  const gateway = (servers: any[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' },
    spec: { selector: { istio: 'egressgateway' }, servers } });
  const toGateway = (m: MeshModel, port: number) => call(m, 'a/client', 'istio-system/istio-egressgateway', port);

  test('a Service port no Gateway server listens on: the connection is refused, whatever PeerAuthentication says', () => {
    const m = MeshModel.of([...gatewayPods(), namespace('a'), client('a'),
      gateway([{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'ISTIO_MUTUAL' } }])]);
    expect(toGateway(m, 80)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/listens on port 8080 for no Gateway server/) });
  });

  test('a plaintext HTTP server takes plaintext (auto mTLS sends none to gateway pods); an ISTIO_MUTUAL one refuses it', () => {
    const m = MeshModel.of([...gatewayPods(), namespace('a'), client('a'), gateway([
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'ISTIO_MUTUAL' } },
    ])]);
    expect(toGateway(m, 80)).toMatchObject({ outcome: 'plaintext' });
    expect(toGateway(m, 443).outcome).not.toBe('mtls');
  });

  test('a TLS server without a VirtualService route visible to the gateway\'s namespace has no listener', () => {
    const m = MeshModel.of([...gatewayPods(), namespace('a'), client('a'),
      gateway([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['db.example.org'], tls: { mode: 'PASSTHROUGH' } }]),
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'db', namespace: 'a' },
        spec: { hosts: ['db.example.org'], gateways: ['istio-system/gw'], exportTo: ['.'],
          tls: [{ match: [{ port: 443, sniHosts: ['db.example.org'] }], route: [{ destination: { host: 'db.example.org', port: { number: 443 } } }] }] } }]);
    expect(toGateway(m, 443)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/for no Gateway server/) });
  });
});
