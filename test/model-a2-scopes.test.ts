// The mesh model against seed 002: which sleep -> httpbin calls succeed under the mesh-wide,
// namespace-wide and workload-level STRICT policies of the example's A2 charts.
import { PolicyScope } from '../example/mtls-charts';
import { findFindings } from '../src/model';
import { A2_FAILING as FAILING, A2_NAMESPACES as NAMESPACES, a2Model as model } from './model-a2-seed';
import { call } from './model-fixtures';

describe.each([PolicyScope.MESH, PolicyScope.NAMESPACE, PolicyScope.WORKLOAD])('A2 %s STRICT', (scope) => {
  const m = model(scope);

  test.each(NAMESPACES.flatMap((from) => NAMESPACES.map((to) => [from, to])))('sleep.%s -> httpbin.%s', (from, to) => {
    const c = call(m, `${from}/sleep`, `${to}/httpbin`, 8000);
    if (FAILING[scope].includes(`${from} -> ${to}`)) {
      expect(c.outcome).toBe('rejected');
      expect(c.reason).toMatch(/client has no sidecar: plaintext; server STRICT .* refuses plaintext/);
    } else if (from === 'legacy' || to === 'legacy') {
      // Either side without a sidecar: plaintext, and it works.
      expect(c.outcome).toBe('plaintext');
    } else {
      expect(c.outcome).toBe('mtls');
    }
  });

  test('names the policy that decides', () => {
    const strictTarget = FAILING[scope][0].split(' -> ')[1];
    const { reason } = call(m, 'legacy/sleep', `${strictTarget}/httpbin`, 8000);
    const expected = {
      [PolicyScope.MESH]: 'mesh-wide PeerAuthentication istio-system/default',
      [PolicyScope.NAMESPACE]: 'namespace PeerAuthentication foo/default',
      [PolicyScope.WORKLOAD]: 'workload PeerAuthentication bar/httpbin',
    }[scope];
    expect(reason).toContain(expected);
  });

  test('a legacy client refused by a STRICT server is an expected outcome, not a finding', () => {
    expect(findFindings(m)).toEqual([]);
  });
});

test('workload variant: clients use the DestinationRule of the service namespace (ISTIO_MUTUAL)', () => {
  const m = model(PolicyScope.WORKLOAD);
  expect(call(m, 'foo/sleep', 'bar/httpbin', 8000)).toMatchObject({
    outcome: 'mtls',
    reason: 'DestinationRule bar/httpbin sets ISTIO_MUTUAL; server STRICT (workload PeerAuthentication bar/httpbin)',
  });
  expect(call(m, 'foo/sleep', 'foo/httpbin', 8000).reason).toBe(
    'auto mTLS (server has a sidecar); server PERMISSIVE (no PeerAuthentication: Istio\'s default)');
});

test('every client has a row for every Service port: 6 workloads x 3 ports', () => {
  const m = model(PolicyScope.MESH);
  expect([...m.connections()]).toHaveLength(18);
  expect(m.connectionCount()).toBe(18);
  expect(m.outcomeCounts()).toEqual({ mtls: 8, plaintext: 6, rejected: 4, denied: 0, failed: 0, blocked: 0 });
  expect(m.workloads().find((w) => w.id === 'legacy/sleep')).toMatchObject({
    sidecar: false, sidecarReason: 'namespace label istio-injection=disabled', identity: 'spiffe://cluster.local/ns/legacy/sa/sleep',
  });
});
