// The mesh model's mTLS semantics: sidecar injection, PeerAuthentication scopes and port-level
// modes, DestinationRule lookup and the outcomes that break calls.
import { Chart, Testing } from 'cdk8s';
import { MeshNamespace, MeshWorkload, MtlsMode, SidecarInjection, StrictNamespace } from '../src';
import { decideSidecar, findFindings, MeshModel } from '../src/model';
import { call, deployment, destinationRule, namespace, peerAuthentication, service } from './model-fixtures';

describe('sidecar injection follows Istio\'s injection policy', () => {
  test.each([
    ['namespace disabled beats the pod label', { 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' }, {}, false],
    ['the pod label false beats an enabled namespace', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' }, {}, false],
    ['the pod label true injects in an unlabelled namespace', {}, { 'sidecar.istio.io/inject': 'true' }, {}, true],
    ['the pod label wins over the annotation', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' }, true],
    ['an enabled namespace injects', { 'istio-injection': 'enabled' }, {}, {}, true],
    ['a revision label injects', { 'istio.io/rev': 'canary' }, {}, {}, true],
    ['the annotation false opts out of an enabled namespace', { 'istio-injection': 'enabled' }, {}, { 'sidecar.istio.io/inject': 'false' }, false],
    ['the annotation alone does not call the injector', {}, {}, { 'sidecar.istio.io/inject': 'true' }, false],
    ['no label anywhere: no sidecar', {}, {}, {}, false],
  ])('%s', (_name, ns, pod, annotations, expected) => {
    expect(decideSidecar(ns, pod, annotations).sidecar).toBe(expected);
  });
});

describe('port-level PeerAuthentication (keyed by container port)', () => {
  // STRICT for the workload, PERMISSIVE on the metrics port 9090 (Service port 19090).
  const chart = new Chart(Testing.app(), 'ports');
  const shop = new MeshNamespace(chart, 'shop');
  const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
  const image = 'docker.io/kennethreitz/httpbin';
  new MeshWorkload(chart, 'api', {
    namespace: shop, image,
    ports: [{ port: 8000, containerPort: 80 }, { port: 19090, containerPort: 9090 }],
    mtls: { mode: MtlsMode.STRICT, portOverrides: [{ port: 9090, mode: MtlsMode.PERMISSIVE }] },
  });
  new MeshWorkload(chart, 'client', { namespace: legacy, image });
  const m = MeshModel.of(chart.toJson());

  test('the overridden port accepts the legacy client in plaintext', () => {
    expect(call(m, 'legacy/client', 'shop/api', 19090)).toEqual(expect.objectContaining({
      outcome: 'plaintext',
      reason: 'client has no sidecar: plaintext; server PERMISSIVE (port 9090 of PeerAuthentication shop/api)',
    }));
  });

  test('the other port stays STRICT', () => {
    expect(call(m, 'legacy/client', 'shop/api', 8000)).toMatchObject({ outcome: 'rejected' });
    expect(call(m, 'legacy/client', 'shop/api', 8000).reason).toContain('STRICT (workload PeerAuthentication shop/api)');
  });

  test('UNSET on a port inherits the workload mode, and a workload without mode inherits the namespace', () => {
    const objects = [
      namespace('a'), deployment('a', 'srv', { ports: [80, 81] }), service('a', 'srv', [{ port: 80, name: 'p80' }, { port: 81, name: 'p81' }]),
      deployment('a', 'legacy-client', { labels: { 'sidecar.istio.io/inject': 'false' } }),
      peerAuthentication('a', 'default', { mtls: { mode: 'STRICT' } }),
      peerAuthentication('a', 'srv', { selector: { matchLabels: { app: 'srv' } }, portLevelMtls: { 80: { mode: 'UNSET' }, 81: { mode: 'DISABLE' } } }),
    ];
    const mm = MeshModel.of(objects);
    expect(call(mm, 'a/legacy-client', 'a/srv', 80).reason).toContain('STRICT (namespace PeerAuthentication a/default)');
    expect(call(mm, 'a/legacy-client', 'a/srv', 81)).toMatchObject({ outcome: 'plaintext' });
    // auto mTLS sends plaintext to a DISABLE port
    expect(call(mm, 'a/srv', 'a/srv', 81)).toMatchObject({ outcome: 'plaintext', reason: expect.stringContaining('auto mTLS sends plaintext (server port is DISABLE)') });
  });
});

describe('PERMISSIVE with a legacy client', () => {
  const chart = new Chart(Testing.app(), 'permissive');
  const payments = new StrictNamespace(chart, 'payments', { mtlsMode: MtlsMode.PERMISSIVE, clientTls: false });
  const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
  const image = 'docker.io/kennethreitz/httpbin';
  new MeshWorkload(chart, 'ledger', { namespace: payments, image, ports: [{ port: 8000, containerPort: 80 }] });
  new MeshWorkload(chart, 'batch', { namespace: legacy, image });
  new MeshWorkload(chart, 'billing', { namespace: payments, image });
  const m = MeshModel.of(chart.toJson());

  test('the legacy client gets in over plaintext, the meshed one over mTLS', () => {
    expect(call(m, 'legacy/batch', 'payments/ledger', 8000)).toMatchObject({
      outcome: 'plaintext', reason: 'client has no sidecar: plaintext; server PERMISSIVE (namespace PeerAuthentication payments/default)',
    });
    expect(call(m, 'payments/billing', 'payments/ledger', 8000)).toMatchObject({ outcome: 'mtls' });
    expect(findFindings(m)).toEqual([]);
  });
});

describe('client DestinationRules that break calls', () => {
  const base = [
    namespace('shop'), namespace('legacy', { 'istio-injection': 'disabled' }),
    deployment('shop', 'web'), deployment('shop', 'cart', { ports: [8080] }), service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }]),
    deployment('legacy', 'old', { ports: [80] }), service('legacy', 'old', [{ port: 80, name: 'http' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }),
  ];

  test('DISABLE against a STRICT server: rejected, and a finding naming both policies', () => {
    const m = MeshModel.of([...base, destinationRule('shop', 'cart-plain', { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } })]);
    expect(call(m, 'shop/web', 'shop/cart', 80)).toEqual(expect.objectContaining({
      outcome: 'rejected',
      reason: 'DestinationRule shop/cart-plain sets DISABLE: plaintext; server STRICT (namespace PeerAuthentication shop/default) refuses plaintext',
    }));
    const findings = findFindings(m);
    expect(findings.map((f) => f.rule)).toEqual(['plaintext-to-strict']);
    expect(findings[0].resources.map((r) => `${r.ref.kind} ${r.ref.namespace}/${r.ref.name} ${r.locations}`)).toEqual([
      'DestinationRule shop/cart-plain spec.trafficPolicy.tls.mode',
      'PeerAuthentication shop/default spec.mtls.mode',
    ]);
    // shop/web, shop/cart (its own service) and legacy/old call it; only the two sidecar clients are findings.
    expect(findings[0].count).toBe(2);
  });

  test('ISTIO_MUTUAL to a server without a sidecar: failed, and a finding', () => {
    const m = MeshModel.of([...base, destinationRule('shop', 'old-mtls', { host: 'old.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })]);
    expect(call(m, 'shop/web', 'legacy/old', 80)).toMatchObject({
      outcome: 'failed',
      reason: 'DestinationRule shop/old-mtls sets ISTIO_MUTUAL, but the server has no sidecar to terminate mTLS: the handshake fails',
    });
    // The rule lives in shop: clients in legacy have no sidecar and never read it.
    expect(call(m, 'legacy/old', 'legacy/old', 80)).toMatchObject({ outcome: 'plaintext' });
    const [finding] = findFindings(m);
    expect(finding).toMatchObject({ rule: 'istio-mutual-without-sidecar', count: 2 });
    expect(finding.resources.map((r) => r.ref.kind)).toEqual(['DestinationRule', 'Deployment']);
  });

  test('ISTIO_MUTUAL to a DISABLE port: failed (client-tls-mismatch)', () => {
    const m = MeshModel.of([...base,
      peerAuthentication('shop', 'cart', { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'DISABLE' } }),
      destinationRule('shop', 'cart', { host: 'cart.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })]);
    expect(call(m, 'shop/web', 'shop/cart', 80).outcome).toBe('failed');
    expect(findFindings(m).map((f) => f.rule)).toEqual(['client-tls-mismatch']);
  });

  test('port-level settings override the rule-level mode', () => {
    const m = MeshModel.of([...base, destinationRule('shop', 'cart', {
      host: 'cart.shop.svc.cluster.local',
      trafficPolicy: { tls: { mode: 'DISABLE' }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL' } }] },
    })]);
    expect(call(m, 'shop/web', 'shop/cart', 80)).toMatchObject({ outcome: 'mtls' });
  });
});

describe('DestinationRule lookup: client namespace, service namespace, root namespace', () => {
  const objects = [
    namespace('client'), namespace('server'),
    deployment('client', 'c'), deployment('server', 's', { ports: [80] }), service('server', 's', [{ port: 80, name: 'http' }]),
    peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
  ];
  const dr = (ns: string, name: string, host: string, mode: string, exportTo?: string[]) =>
    destinationRule(ns, name, { host, exportTo, trafficPolicy: { tls: { mode } } });

  test('the client namespace wins over the service namespace', () => {
    const m = MeshModel.of([...objects, dr('server', 'server-side', 's', 'ISTIO_MUTUAL'), dr('client', 'client-side', 's.server.svc.cluster.local', 'DISABLE')]);
    expect(call(m, 'client/c', 'server/s', 80).reason).toContain('DestinationRule client/client-side sets DISABLE');
  });

  test('a rule not exported to the client is skipped; the root namespace comes last', () => {
    const m = MeshModel.of([...objects, dr('server', 'private', 's', 'DISABLE', ['.']), dr('istio-system', 'mesh', '*.local', 'ISTIO_MUTUAL')]);
    expect(call(m, 'client/c', 'server/s', 80).reason).toContain('DestinationRule istio-system/mesh sets ISTIO_MUTUAL');
    expect(call(m, 'server/s', 'server/s', 80).reason).toContain('DestinationRule server/private sets DISABLE');
  });

  test('within a namespace the most specific host wins', () => {
    const m = MeshModel.of([...objects, dr('server', 'wide', '*.server.svc.cluster.local', 'DISABLE'), dr('server', 'exact', 's.server.svc.cluster.local', 'ISTIO_MUTUAL')]);
    expect(call(m, 'client/c', 'server/s', 80).reason).toContain('DestinationRule server/exact');
  });

  test('a short host is a Service of the rule\'s namespace', () => {
    const m = MeshModel.of([...objects, dr('client', 'short', 's', 'DISABLE')]);
    // `s` in namespace client is s.client.svc.cluster.local, not the server's host: auto mTLS applies.
    expect(call(m, 'client/c', 'server/s', 80).reason).toMatch(/^auto mTLS/);
  });
});

test('a Service selects pods by labels and forwards to a named container port', () => {
  const m = MeshModel.of([
    namespace('n'),
    deployment('n', 'app', { ports: [{ port: 9000, name: 'web' }] }),
    deployment('n', 'caller'),
    service('n', 'front', [{ port: 80, targetPort: 'web', name: 'http-front' }], { app: 'app' }),
    peerAuthentication('n', 'app', { selector: { matchLabels: { app: 'app' } }, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 9000: { mode: 'STRICT' } } }),
  ]);
  const rows = [...m.connectionsFrom('n/caller')];
  expect(rows).toEqual([expect.objectContaining({ to: 'n/app', service: 'n/front', port: 80, outcome: 'mtls' })]);
  expect(rows[0].reason).toContain('port 9000 of PeerAuthentication n/app');
});
