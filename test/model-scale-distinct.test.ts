// The mesh model when every workload's identity is distinct to some policy: each namespace is
// default-deny and each workload allows only the workload before it. Client and endpoint groups
// are then about one per workload; the model must still decide far fewer than N^2 calls.
// Counts only, no timings.
import { aggregate, MeshModel, renderText } from '../src/model';
import { authorizationPolicy, decideEachCall, deployment, destinationRule, expectSameAggregateEitherWay, namespace, peerAuthentication, service } from './model-fixtures';

const PER_NAMESPACE = 10;

function principal(ns: string, name: string): string {
  return `cluster.local/ns/${ns}/sa/${name}`;
}

/**
 * `namespaces` namespaces of 10 workloads (Service 80 -> 8080, own service account): mesh-wide
 * STRICT; every namespace default-deny; workload i allows workload i-1 on 8080. Variety: ns-1
 * sends plaintext (DISABLE) to ns-2's hosts, ns-3 has a workload-selected ISTIO_MUTUAL rule for
 * ns-4, ns-5 has no sidecars, ns-6 lets in any caller from ns-7, ns-8 is PERMISSIVE.
 */
function platform(namespaces: number): any[] {
  const objects: any[] = [peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } })];
  let previous: string | undefined;
  for (let n = 0; n < namespaces; n++) {
    const ns = `ns-${n}`;
    objects.push(namespace(ns, { 'istio-injection': n === 5 ? 'disabled' : 'enabled' }));
    objects.push(authorizationPolicy(ns, 'deny-all', {}));
    for (let i = 0; i < PER_NAMESPACE; i++) {
      const name = `w-${i}`;
      objects.push(deployment(ns, name, { ports: [8080], serviceAccount: name }), service(ns, name, [{ port: 80, targetPort: 8080, name: 'http' }]));
      if (previous) {
        objects.push(authorizationPolicy(ns, `allow-${name}`, {
          selector: { matchLabels: { app: name } },
          action: 'ALLOW',
          rules: [{ from: [{ source: { principals: [previous] } }], to: [{ operation: { ports: ['8080'] } }] }],
        }));
      }
      previous = principal(ns, name);
    }
  }
  objects.push(destinationRule('ns-1', 'plain-to-2', { host: '*.ns-2.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } } }));
  objects.push(destinationRule('ns-3', 'w0-to-4', { host: '*.ns-4.svc.cluster.local', workloadSelector: { matchLabels: { app: 'w-0' } },
    trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }));
  objects.push(authorizationPolicy('ns-6', 'from-7', { rules: [{ from: [{ source: { namespaces: ['ns-7'] } }] }] }));
  objects.push(peerAuthentication('ns-8', 'default', { mtls: { mode: 'PERMISSIVE' } }));
  return objects;
}

function counts(rows: Iterable<{ outcome: string }>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of rows) c[r.outcome] = (c[r.outcome] ?? 0) + 1;
  return c;
}

function byGroupPairs(model: MeshModel): Record<string, number> {
  const c: Record<string, number> = {};
  for (const p of model.groupPairs()) c[p.verdict.outcome] = (c[p.verdict.outcome] ?? 0) + p.count;
  for (const k of Object.keys(c)) if (c[k] === 0) delete c[k];
  return c;
}

describe('200 workloads, each allowing only the one before: against a brute-force reference', () => {
  const objects = platform(20);
  const reference = decideEachCall(MeshModel.of(objects));
  const expected = counts(reference.values());

  test('the reference has every outcome of the platform', () => {
    expect(reference.size).toBe(200 * 200);
    expect(Object.keys(expected).sort()).toEqual(['denied', 'mtls', 'plaintext', 'rejected']);
  });

  test.each([['every group pair', Infinity], ['pairs per endpoint group', 0]])('%s: same calls, outcomes and reasons', (_, limit) => {
    const model = MeshModel.of(objects);
    model.pairEnumerationLimit = limit;
    expect(byGroupPairs(model)).toEqual(expected);
    expect(model.outcomeCounts()).toMatchObject(expected);
    for (const row of model.connections()) expect(reference.get(`${row.from}|${row.to}|${row.port}`)).toEqual({ outcome: row.outcome, reason: row.reason });
  });

  test('the aggregate is the same either way', () => {
    expectSameAggregateEitherWay(objects);
  });
});

describe('10,000 workloads in 1,000 default-deny namespaces, each allowing only the one before', () => {
  const n = 1000 * PER_NAMESPACE;
  const model = MeshModel.of(platform(1000));

  test('every workload is told apart, yet decisions grow about linearly', () => {
    expect(model.inventory.workloads).toHaveLength(n);
    expect(model.endpoints).toHaveLength(n);
    expect(model.clientGroups.length).toBeGreaterThan(n * 0.9);
    expect(model.endpointGroups.length).toBeGreaterThan(n * 0.9);
    const counts = model.outcomeCounts();
    expect(Object.values(counts).reduce((a, b) => a + b)).toBe(n * n);
    // Legacy clients (ns-5) are rejected by every STRICT server (all but ns-5 and ns-8).
    expect(counts.rejected).toBeGreaterThanOrEqual(PER_NAMESPACE * (n - 2 * PER_NAMESPACE));
    // About one allowed caller per server, plus ns-7 into ns-6 and the plaintext servers (ns-5).
    expect(counts.mtls).toBeLessThan(3 * n);
    expect(model.decisions).toBeLessThan(n * 50);
  });

  test('the aggregate stays small', () => {
    const before = model.decisions;
    const agg = aggregate(model);
    expect(agg.namespaceMatrixOmitted).toBe(true);
    expect(agg.namespaceMatrix.size).toBe(0);
    expect(agg.callGroups.length).toBeLessThanOrEqual(20);
    for (const g of agg.callGroups) expect(g.namespacePairs.length).toBeLessThanOrEqual(500);
    expect(agg.callGroups.reduce((s, g) => s + g.count, 0)).toBe(n * n);
    const denied = agg.callGroups.find((g) => g.outcome === 'denied')!;
    expect(denied.clients).toBeGreaterThan(n * 0.9);
    expect(renderText(model)).toContain('too many for a matrix');
    expect(model.decisions - before).toBeLessThan(n * 50);
  });

  test('calls stream with the same verdicts', () => {
    let seen = 0;
    for (const c of model.connectionsFrom('ns-0/w-0')) {
      seen++;
      if (c.to === 'ns-0/w-1') expect(c.outcome).toBe('mtls');
      if (c.to === 'ns-0/w-2') expect(c.outcome).toBe('denied');
    }
    expect(seen).toBe(n);
  });
});
