// The mesh model against seed 002: which sleep -> httpbin calls succeed under the mesh-wide,
// namespace-wide and workload-level STRICT policies of the example's A2 charts.
import { Testing } from 'cdk8s';
import { PolicyScope, policyScopeChart } from '../example/mtls-charts';
import { findFindings, MeshModel } from '../src/model';
import { call } from './model-fixtures';

const NAMESPACES = ['foo', 'bar', 'legacy'];

/**
 * The article's results, per variant: the calls that fail. "All requests from legacy fail" under
 * mesh-wide STRICT means every request from legacy into the mesh (foo and bar): sleep.legacy ->
 * httpbin.legacy runs between two pods without a sidecar, where no Istio proxy could refuse it.
 */
const FAILING: Record<PolicyScope, string[]> = {
  [PolicyScope.MESH]: ['legacy -> foo', 'legacy -> bar'],
  [PolicyScope.NAMESPACE]: ['legacy -> foo'],
  [PolicyScope.WORKLOAD]: ['legacy -> bar'],
};

function model(scope: PolicyScope): MeshModel {
  return MeshModel.of(policyScopeChart(Testing.app(), scope).toJson());
}

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
