/*
 * Property-based tests of the mesh diff's shortcut. The diff compares joint classes of client and
 * endpoint groups of both versions, never every call; on random pairs of platforms (one changed
 * in one namespace, or two unrelated ones) its groups must add up to the rows decided one by one.
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property-diff
 */
import fc from 'fast-check';
import { MeshModel } from '../src/model';
import { classifyCall, classifyEgress, diffModels, egressFields } from '../src/model/diff';
import { decideOneCall } from './model-fixtures';
import { namespaceArb, platform, platformArb, PlatformInput } from './model-platforms';
import { announce, params } from './property-util';

announce('test/property-diff.test.ts');

/** A platform and a second one: the first with one namespace replaced, or an unrelated one. */
const pairArb: fc.Arbitrary<[PlatformInput, PlatformInput]> = fc.oneof(
  fc.tuple(platformArb, fc.nat(5), namespaceArb).map(([p, i, ns]): [PlatformInput, PlatformInput] => {
    const namespaces = [...p.namespaces];
    namespaces[i % namespaces.length] = ns;
    return [p, { ...p, namespaces }];
  }),
  fc.tuple(platformArb, platformArb),
);

interface Totals {
  calls: number;
  clients: Set<string>;
  endpoints: Set<string>;
  pairs: Set<string>;
  cls: string;
}

type Decided = { outcome: string; summary: string; reason: string } | undefined;

/** Every call of both versions decided on its own, with no grouping and no memo. */
function rowsByChange(a: MeshModel, b: MeshModel): Map<string, Totals> {
  const decide = (m: MeshModel, client: string, endpoint: string): Decided => {
    const w = m.inventory.workloads.find((x) => x.id === client);
    const e = m.endpoints.find((x) => `${x.workload.id}|${x.service.name}|${x.port.port}` === endpoint);
    return w && e ? decideOneCall(m, w, e) : undefined;
  };
  const clients = new Set([...a.inventory.workloads, ...b.inventory.workloads].map((w) => w.id));
  const endpoints = new Map<string, string>();
  for (const e of [...a.endpoints, ...b.endpoints]) endpoints.set(`${e.workload.id}|${e.service.name}|${e.port.port}`, e.service.namespace);
  const totals = new Map<string, Totals>();
  for (const c of clients) {
    for (const [e, serverNs] of endpoints) {
      const va = decide(a, c, e);
      const vb = decide(b, c, e);
      if (va?.outcome === vb?.outcome && va?.reason === vb?.reason) continue;
      const key = `${va?.outcome ?? '-'}|${va?.summary ?? ''}|${vb?.outcome ?? '-'}|${vb?.summary ?? ''}`;
      let t = totals.get(key);
      if (!t) totals.set(key, t = { calls: 0, clients: new Set(), endpoints: new Set(), pairs: new Set(), cls: classifyCall(va?.outcome as any, vb?.outcome as any) });
      t.calls++;
      t.clients.add(c);
      t.endpoints.add(e);
      t.pairs.add(`${c.split('/')[0]} -> ${serverNs}`);
    }
  }
  return totals;
}

function egressByChange(a: MeshModel, b: MeshModel): Map<string, { paths: number; hosts: Set<string>; namespaces: Set<string>; cls: string }> {
  const decide = (m: MeshModel, client: string, hostPort: string) => {
    const w = m.inventory.workloads.find((x) => x.id === client);
    const t = m.egressTargets.find((x) => `${x.host}:${x.port}` === hostPort);
    if (!w || !t || t.pods.includes(w)) return undefined;
    return m.egressAnalysis.decide(w, t);
  };
  const clients = new Set([...a.inventory.workloads, ...b.inventory.workloads].map((w) => w.id));
  const targets = new Set([...a.egressTargets, ...b.egressTargets].map((t) => `${t.host}:${t.port}`));
  const totals = new Map<string, { paths: number; hosts: Set<string>; namespaces: Set<string>; cls: string }>();
  for (const c of clients) {
    for (const hp of targets) {
      const va = decide(a, c, hp);
      const vb = decide(b, c, hp);
      const fa = va && egressFields(va);
      const fb = vb && egressFields(vb);
      if (JSON.stringify(fa) === JSON.stringify(fb) && va?.reason === vb?.reason) continue;
      const key = `${JSON.stringify(fa)}|${va?.summary ?? ''}|${JSON.stringify(fb)}|${vb?.summary ?? ''}`;
      let t = totals.get(key);
      if (!t) totals.set(key, t = { paths: 0, hosts: new Set(), namespaces: new Set(), cls: classifyEgress(fa, fb) });
      t.paths++;
      t.hosts.add(hp);
      t.namespaces.add(c.split('/')[0]);
    }
  }
  return totals;
}

describe('the mesh diff on random pairs of platforms', () => {
  test('call changes: groups add up to the calls decided one by one, with their clients, server ports and namespace pairs', () => {
    fc.assert(fc.property(pairArb, ([pa, pb]) => {
      const a = MeshModel.of(platform(pa));
      const b = MeshModel.of(platform(pb));
      const diff = diffModels(a, b);
      const expected = rowsByChange(a, b);
      const actual = new Map(diff.calls.map((g) => [
        `${g.before?.outcome ?? '-'}|${g.before?.summary ?? ''}|${g.after?.outcome ?? '-'}|${g.after?.summary ?? ''}`,
        { calls: g.calls, clients: g.clients, endpoints: g.serverPorts, pairs: [...g.namespacePairs].sort(), cls: g.class },
      ]));
      expect(actual).toEqual(new Map([...expected].map(([k, t]) => [k,
        { calls: t.calls, clients: t.clients.size, endpoints: t.endpoints.size, pairs: [...t.pairs].sort(), cls: t.cls }])));
      // The rows the diff lists for small inputs are the same calls.
      expect(diff.callRows!.length).toBe([...expected.values()].reduce((n, t) => n + t.calls, 0));
    }), params(100));
  });

  test('egress changes: groups add up to the paths decided one by one', () => {
    fc.assert(fc.property(pairArb, ([pa, pb]) => {
      const a = MeshModel.of(platform(pa));
      const b = MeshModel.of(platform(pb));
      const diff = diffModels(a, b);
      const expected = egressByChange(a, b);
      const actual = new Map(diff.egress.map((g) => [
        `${JSON.stringify(g.before?.fields)}|${g.before?.summary ?? ''}|${JSON.stringify(g.after?.fields)}|${g.after?.summary ?? ''}`,
        { paths: g.paths, hosts: [...g.hosts].sort(), namespaces: [...g.namespaces].sort(), cls: g.class },
      ]));
      expect(actual).toEqual(new Map([...expected].map(([k, t]) => [k,
        { paths: t.paths, hosts: [...t.hosts].sort(), namespaces: [...t.namespaces].sort(), cls: t.cls }])));
      expect(diff.egressRows!.length).toBe([...expected.values()].reduce((n, t) => n + t.paths, 0));
    }), params(100));
  });

  test('a platform against itself has no changes', () => {
    fc.assert(fc.property(platformArb, (p) => {
      const diff = diffModels(MeshModel.of(platform(p)), MeshModel.of(platform(p)));
      expect(diff.hasChanges).toBe(false);
    }), params(50));
  });
});
