// The mesh diff against seed 002: going mesh-wide -> namespace-wide -> workload STRICT changes
// exactly the sleep -> httpbin cells whose result the article's table changes, classified right.
import { Testing } from 'cdk8s';
import { PolicyScope, policyScopeChart } from '../example/mtls-charts';
import { ChangeClass, ChangeKind, ConnectionOutcome, DiffFormat, MeshReport } from '../src';
import { classifyCall, classifyEgress, diffModels, MeshModel } from '../src/model';
import { A2_FAILING as FAILING, A2_NAMESPACES as NAMESPACES, a2Model as model } from './model-a2-seed';
import { deployment, namespace, peerAuthentication, service } from './model-fixtures';

describe.each([
  [PolicyScope.MESH, PolicyScope.NAMESPACE],
  [PolicyScope.NAMESPACE, PolicyScope.WORKLOAD],
  [PolicyScope.MESH, PolicyScope.WORKLOAD],
])('A2 %s -> %s', (from, to) => {
  const diff = diffModels(model(from), model(to));
  const sleepToHttpbin = diff.callRows!.filter((r) => r.from.endsWith('/sleep') && r.to.endsWith('/httpbin'));
  const cell = (r: { from: string; to: string }) => `${r.from.split('/')[0]} -> ${r.to.split('/')[0]}`;

  test('the cells whose outcome changes are those of the article\'s table, classified by direction', () => {
    const expected = NAMESPACES.flatMap((c) => NAMESPACES.map((s) => `${c} -> ${s}`))
      .filter((c) => FAILING[from].includes(c) !== FAILING[to].includes(c))
      .map((c) => `${c} ${FAILING[from].includes(c) ? 'exposure' : 'breakage'}`)
      .sort();
    const changed = sleepToHttpbin.filter((r) => r.before!.outcome !== r.after!.outcome);
    expect(changed.map((r) => `${cell(r)} ${r.class}`).sort()).toEqual(expected);
    for (const r of changed) {
      // A refused call between legacy and the mesh is rejected; one that succeeds is plaintext.
      expect([r.before!.outcome, r.after!.outcome].sort()).toEqual(['plaintext', 'rejected']);
    }
  });

  test('every other reported change keeps its outcome and is `other` (the deciding policy changed)', () => {
    for (const r of diff.callRows!.filter((x) => x.before!.outcome === x.after!.outcome)) {
      expect(r.class).toBe('other');
      expect(r.before!.reason).not.toBe(r.after!.reason);
    }
    expect(diff.workloads).toEqual([]);
    expect(diff.servicePorts).toEqual({ added: [], removed: [] });
    expect(diff.findings).toEqual({ added: [], resolved: [] });
  });

  test('groups count the same calls as the rows, by class', () => {
    for (const cls of ['exposure', 'breakage', 'other'] as const) {
      expect(diff.counts[cls].calls).toBe(diff.callRows!.filter((r) => r.class === cls).length);
    }
    // httpbin is a client as well: every workload calls every Service port.
    expect(diff.counts.exposure.calls + diff.counts.breakage.calls).toBe(
      2 * NAMESPACES.flatMap((c) => NAMESPACES.map((s) => `${c} -> ${s}`)).filter((c) => FAILING[from].includes(c) !== FAILING[to].includes(c)).length);
  });
});

test('namespace-wide -> workload: the groups say it in one line each', () => {
  const diff = diffModels(model(PolicyScope.NAMESPACE), model(PolicyScope.WORKLOAD));
  const outcomes = diff.calls.filter((g) => g.outcomeChanged).map((g) => `${g.class} ${g.namespacePairs.join(',')} ${g.before!.outcome}->${g.after!.outcome} ${g.calls}`);
  expect(outcomes).toEqual(['exposure legacy -> foo rejected->plaintext 2', 'breakage legacy -> bar plaintext->rejected 2']);
});

test('a model against itself: no changes', () => {
  const diff = diffModels(model(PolicyScope.MESH), model(PolicyScope.MESH));
  expect(diff.hasChanges).toBe(false);
  expect(diff.calls).toEqual([]);
  expect(diff.callRows).toEqual([]);
});

describe('classes', () => {
  test.each([
    ['rejected', 'mtls', 'exposure'], ['denied', 'plaintext', 'exposure'], ['mtls', 'plaintext', 'exposure'],
    ['mtls', 'denied', 'breakage'], ['plaintext', 'failed', 'breakage'], ['mtls', 'blocked', 'breakage'], ['blocked', 'mtls', 'exposure'],
    ['plaintext', 'mtls', 'other'], ['denied', 'rejected', 'other'], ['mtls', 'mtls', 'other'],
    [undefined, 'mtls', 'other'], ['mtls', undefined, 'other'],
  ])('call %s -> %s: %s', (before, after, cls) => {
    expect(classifyCall(before as any, after as any)).toBe(cls);
  });

  const gw = { via: 'egress-gateway', tls: 'none', bypassBlocked: true };
  test.each([
    [gw, { ...gw, via: 'direct' }, 'exposure'],
    [gw, { ...gw, bypassBlocked: false }, 'exposure'],
    [{ ...gw, tls: 'originated' }, gw, 'exposure'],
    // A direct path the lock-down blocks fails; a gateway route now makes it succeed.
    [{ ...gw, via: 'direct' }, gw, 'exposure'],
    [{ via: 'direct', tls: 'none', bypassBlocked: false }, { via: 'direct', tls: 'none', bypassBlocked: true }, 'breakage'],
    [gw, { ...gw, gatewayBlocked: true }, 'breakage'],
    [gw, { ...gw, outcome: 'denied' }, 'breakage'],
    [gw, { ...gw, tls: 'originated' }, 'other'],
    [gw, { ...gw, someNewField: 'x' }, 'other'],
  ])('egress %j -> %j: %s', (before, after, cls) => {
    expect(classifyEgress(before as any, after as any)).toBe(cls);
  });
});

test('workloads, Service ports and findings added and removed', () => {
  const before = MeshModel.of([namespace('shop'), deployment('shop', 'web'), deployment('shop', 'cart', { ports: [8080] }),
    service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }])]);
  const after = MeshModel.of([namespace('shop'), deployment('shop', 'cart', { ports: [8080, 9090] }), deployment('shop', 'api'),
    service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }, { port: 90, targetPort: 9090, name: 'http-admin' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }),
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'cart-plain', namespace: 'shop' },
      spec: { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } } }]);
  const diff = diffModels(before, after);
  expect(diff.workloads.map((w) => `${w.id} ${w.kind}`)).toEqual(['shop/api added', 'shop/web removed']);
  expect(diff.servicePorts).toEqual({ added: ['shop/cart:90'], removed: [] });
  expect(diff.findings.added.map((f) => f.rule)).toEqual(['plaintext-to-strict']);
  expect(diff.findings.resolved).toEqual([]);
  // Calls of new workloads and ports are `added`, not exposures; the DISABLE rule breaks shop/cart:80.
  expect(diff.calls.filter((g) => g.kind === 'added').every((g) => g.class === 'other')).toBe(true);
  expect(diff.calls.find((g) => g.class === 'breakage')).toMatchObject({ kind: 'changed', before: { outcome: 'mtls' }, after: { outcome: 'rejected' } });
});

describe('MeshReport.diff (jsii)', () => {
  const before = MeshReport.fromChart(policyScopeChart(Testing.app(), PolicyScope.MESH));
  const after = MeshReport.fromChart(policyScopeChart(Testing.app(), PolicyScope.NAMESPACE));
  const diff = MeshReport.diff(before, after);

  test('typed groups and rows', () => {
    expect(diff.hasChanges).toBe(true);
    expect(diff.has(ChangeClass.EXPOSURE)).toBe(true);
    expect(diff.has(ChangeClass.BREAKAGE)).toBe(false);
    expect(diff.callsOf(ChangeClass.EXPOSURE)).toBe(2);
    expect(diff.callChanges[0]).toMatchObject({
      changeClass: ChangeClass.EXPOSURE, kind: ChangeKind.CHANGED, beforeOutcome: ConnectionOutcome.REJECTED,
      afterOutcome: ConnectionOutcome.PLAINTEXT, namespacePairs: ['legacy -> bar'], calls: 2, clients: 2, serverPorts: 1,
    });
    expect(diff.changedCallsListed).toBe(true);
    expect(diff.changedCalls).toContainEqual(expect.objectContaining({ from: 'legacy/sleep', to: 'bar/httpbin', port: 8000, changeClass: ChangeClass.EXPOSURE }));
    expect(diff.workloadsAdded).toEqual([]);
  });

  test('renders', () => {
    expect(diff.render(DiffFormat.TEXT)).toMatch(/^MESH DIFF\n/);
    expect(diff.render(DiffFormat.MARKDOWN)).toMatch(/^## Mesh diff: 1 exposure, no breakages, 3 other changes\n/);
    expect(JSON.parse(diff.render(DiffFormat.JSON)).counts.exposure).toEqual({ calls: 2, egressPaths: 0, groups: 1 });
    expect(MeshReport.diff(before, before).render(DiffFormat.TEXT)).toContain('No changes');
  });
});
