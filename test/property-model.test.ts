/*
 * Property-based tests of the mesh model's shortcuts. The model never lists every call or egress
 * row: it decides per group and counts spans of groups. On random platforms (namespaces with and
 * without sidecars, lock-downs, default-deny, DestinationRules, NetworkPolicies for ingress and
 * egress with pod, namespace and combined selectors, ipBlocks, numbered, named and ranged ports,
 * external hosts with and without an egress gateway route) the shortcuts must add up to the rows
 * the model streams one by one, and the rows must be the decisions made one by one.
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property-model
 */
import fc from 'fast-check';
import { aggregate, findFindings, MeshModel } from '../src/model';
import { decideEachCall, expectSameAggregateEitherWay } from './model-fixtures';
import { platform, platformArb } from './model-platforms';
import { announce, params } from './property-util';

announce('test/property-model.test.ts');

type PathTotals = Map<string, { count: number; namespaces: Set<string> }>;

function addPath(paths: PathTotals, key: string, count: number, namespaces: Iterable<string>): void {
  const p = paths.get(key) ?? { count: 0, namespaces: new Set<string>() };
  p.count += count;
  for (const ns of namespaces) p.namespaces.add(ns);
  paths.set(key, p);
}

describe('the mesh model on random platforms', () => {
  test('egress pairs (groups in namespaces that matter, spans for the rest) add up to the rows, path by path', () => {
    const outcomes = new Set<string>();
    fc.assert(fc.property(platformArb, (input) => {
      const model = MeshModel.of(platform(input));
      const rows = [...model.egress()];
      for (const r of rows) outcomes.add(r.outcome);
      // The reference: every client and target decided on its own, without memo or groups.
      // Paths by what they do; reasons may name each client's own NetworkPolicies.
      const fromRows: PathTotals = new Map();
      const reasons = new Map<string, string>();
      for (const w of model.inventory.workloads) {
        for (const t of model.egressTargets) {
          if (t.pods.includes(w)) continue;
          const v = model.egressAnalysis.decide(w, t);
          addPath(fromRows, `${t.host}:${t.port}|${v.outcome}|${v.via}|${v.tls}|${v.bypassBlocked}|${v.gatewayBlocked}|${v.summary}`, 1, [w.namespace]);
          reasons.set(`${w.id}|${t.host}:${t.port}`, v.reason);
        }
      }
      const fromPairs: PathTotals = new Map();
      for (const p of model.egressPairs()) {
        addPath(fromPairs, `${p.target.host}:${p.target.port}|${p.verdict.outcome}|${p.verdict.via}|${p.verdict.tls}|${p.verdict.bypassBlocked}|${p.verdict.gatewayBlocked}|${p.verdict.summary}`,
          p.count, p.namespaces());
        // A pair's reason is its first client's.
        expect(p.verdict.reason).toBe(reasons.get(`${p.example.id}|${p.target.host}:${p.target.port}`));
      }
      expect(fromPairs).toEqual(fromRows);
      // Every row is the decision for its own client.
      for (const r of rows) expect(r.reason).toBe(reasons.get(`${r.from}|${r.host}:${r.port}`));
      expect(model.egressCount()).toBe(rows.length);

      const agg = aggregate(model);
      expect(agg.egressRows).toBe(rows.length);
      expect(agg.egressGroups.reduce((n, g) => n + g.clients, 0)).toBe(rows.length);

      // The bypass finding of each routed host counts its open rows and lists its first clients, group by group.
      const findings = findFindings(model);
      for (const target of model.egressTargets.filter((t) => t.gatewayRoute)) {
        const open = new Set(rows.filter((r) => r.host === target.host && r.port === target.port && !r.bypassBlocked).map((r) => r.from));
        const finding = findings.find((f) => f.rule === 'egress-gateway-bypass' && f.message.startsWith(`${target.host}:${target.port} `));
        if (open.size === 0) {
          expect(finding).toBeUndefined();
          continue;
        }
        expect(finding?.count).toBe(open.size);
        const first = model.egressClientGroups.flatMap((g) => g.members).filter((w) => open.has(w.id)).slice(0, 10);
        expect(finding!.resources.slice(1).map((r) => `${r.ref.namespace}/${r.ref.name}`)).toEqual(first.map((w) => `${w.ref.namespace}/${w.ref.name}`));
      }
    }), params());
    // The platforms reach every outcome: gateways that refuse a caller, sidecars and networks that block one, routes
    // Istio's configuration cannot follow (no Gateway route visible to the gateway, ISTIO_MUTUAL to a host outside the mesh).
    if (params().numRuns! >= 100) expect([...outcomes].sort()).toEqual(['allowed', 'blocked', 'denied', 'failed']);
  });

  test('calls from outside end in the ingress gateway\'s own call to the workload, decided as any other', () => {
    let rows = 0;
    fc.assert(fc.property(platformArb, (input) => {
      const model = MeshModel.of(platform(input));
      const each = decideEachCall(model);
      for (const r of model.ingress()) {
        rows++;
        const own = each.get(`istio-system/istio-ingressgateway|${r.to}|${r.port}`)!;
        expect({ to: r.to, outcome: r.outcome }).toEqual({ to: r.to, outcome: own.outcome });
        expect(r.reason.endsWith(own.reason)).toBe(true);
      }
      const n = input.namespaces.length;
      const expected = input.ingress === undefined ? 0
        : model.endpoints.filter((e) => e.service.name === 'w-0' && e.service.namespace === `ns-${input.ingress! % n}`).length;
      expect(model.ingressCalls().length).toBe(expected);
    }), params());
    expect(rows).toBeGreaterThan(0);
  });

  test('call spans give the same aggregate as every (client group, endpoint group) pair', () => {
    fc.assert(fc.property(platformArb, (input) => {
      const split = expectSameAggregateEitherWay(platform(input));
      // The reference: every call decided on its own, without memo or groups.
      const each = decideEachCall(split);
      const decided: Record<string, number> = {};
      for (const v of each.values()) decided[v.outcome] = (decided[v.outcome] ?? 0) + 1;
      const counted = Object.fromEntries(Object.entries(split.outcomeCounts()).filter(([, v]) => v > 0));
      expect(counted).toEqual(decided);
      // The rows the model streams are those decisions, reasons and all.
      for (const row of split.connections()) {
        const { from, to, port, ...rest } = row;
        expect(rest).toEqual({ service: row.service, ...each.get(`${from}|${to}|${port}`) });
      }
    }), params());
  });
});
