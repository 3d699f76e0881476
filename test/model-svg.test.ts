// The picture: what succeeds is drawn, refusals are counted; a matrix where a graph would be a
// hairball; namespaces above 40 workloads, saying so; a legend for what is drawn. The PNGs of
// scripts/render-pictures.mjs are the check a person makes; these tests keep the choices.
import { Testing } from 'cdk8s';
import { egressLockdownChart, identityAccessChart } from '../example/authz-charts';
import { httpEgressChart } from '../example/egress-charts';
import { PolicyScope, policyScopeChart } from '../example/mtls-charts';
import { diffModels, diffToDot, MeshModel, renderSvg, toDot } from '../src/model';
import { authorizationPolicy, deployment, namespace, service } from './model-fixtures';

const edgesOf = (dot: string) => dot.split('\n').filter((l) => / -> /.test(l) && !l.includes('legend') && !l.includes('label=<<'));

test('A2: the calls that succeed, mTLS solid and plaintext dashed; refusals and self-calls counted in the legend', () => {
  const dot = toDot(MeshModel.of(policyScopeChart(Testing.app(), PolicyScope.MESH).toJson()));
  const edges = edgesOf(dot);
  expect(edges.every((e) => !e.includes('rejected'))).toBe(true);
  expect(edges.filter((e) => e.includes('plaintext') && e.includes('style="dashed"'))).toHaveLength(5);
  expect(dot).toContain('4 refused calls not drawn: 4 rejected (see the report)');
  expect(dot).toContain('3 calls of a workload to itself not drawn');
  expect(dot).toContain('call succeeds over mutual TLS');
  expect(dot).toContain('workload without a sidecar');
});

test('A4: only the two allowed calls are drawn', () => {
  const dot = toDot(MeshModel.of(identityAccessChart(Testing.app()).toJson()));
  expect(edgesOf(dot).map((e) => e.split(' [')[0].trim())).toEqual([
    '"photo-ns/photo-backend" -> "datastore-ns/datastore"', '"photo-ns/photo-frontend" -> "photo-ns/photo-backend"',
  ].sort().reverse().length === 2 ? expect.arrayContaining(['"photo-ns/photo-frontend" -> "photo-ns/photo-backend"', '"photo-ns/photo-backend" -> "datastore-ns/datastore"']) : []);
  expect(edgesOf(dot)).toHaveLength(2);
  expect(dot).toContain('7 refused calls not drawn: 7 denied');
});

test('egress: through the gateway via a gateway node, the open bypass said; a locked-down client shows no bypass', () => {
  const open = toDot(MeshModel.of(httpEgressChart(Testing.app()).toJson()));
  expect(open).toContain('"egress-gateway" [label="egress gateway"');
  expect(open).toMatch(/"default\/sleep" -> "egress-gateway" \[[^\]]*label="bypass open"/);
  expect(open).toContain('no NetworkPolicy stops the pod from going around the gateway');
  const locked = toDot(MeshModel.of(egressLockdownChart(Testing.app()).toJson()));
  expect(locked).not.toContain('bypass open');
  expect(locked).not.toMatch(/-> "host:[^"]*" \[[^\]]*direct/);
});

function platform(namespaces: number, perNamespace: number, denyAll = false): any[] {
  const objects: any[] = [];
  for (let i = 0; i < namespaces; i++) {
    objects.push(namespace(`team-${i}`));
    if (denyAll) objects.push(authorizationPolicy(`team-${i}`, 'allow-nothing', {}));
    for (let j = 0; j < perNamespace; j++) objects.push(deployment(`team-${i}`, `svc-${j}`, { ports: [8080] }), service(`team-${i}`, `svc-${j}`, [{ port: 80, targetPort: 8080, name: 'http' }]));
  }
  return objects;
}

test('a namespace where every call succeeds is one line in its box, not a complete graph', () => {
  const dot = toDot(MeshModel.of(platform(1, 7)));
  expect(edgesOf(dot)).toHaveLength(0);
  expect(dot).toContain('team-0: every call between its workloads succeeds over mTLS');
});

test('a dense graph becomes a call matrix; above 40 workloads namespaces; above 150 namespaces groups', () => {
  const dense = MeshModel.of([...platform(12, 2), ...Array.from({ length: 12 }, (_, i) => authorizationPolicy(`team-${i}`, 'only-self', {
    selector: { matchLabels: { app: 'svc-0' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: [`team-${(i + 1) % 12}`, `team-${(i + 3) % 12}`, `team-${(i + 5) % 12}`, `team-${(i + 7) % 12}`] } }] }],
  }))]);
  expect(toDot(dense)).toContain('a call matrix');
  const ns = toDot(MeshModel.of(platform(70, 2, true)));
  expect(ns).toContain('drawn per namespace: too many workloads (over 40) to draw one by one');
  expect(toDot(MeshModel.of(platform(160, 1, true)))).toContain('too many namespaces (over 150) to draw one by one');
});

test('the diff picture colours changed calls by class', () => {
  const m = (s: PolicyScope) => MeshModel.of(policyScopeChart(Testing.app(), s).toJson());
  const dot = diffToDot(diffModels(m(PolicyScope.NAMESPACE), m(PolicyScope.WORKLOAD)));
  expect(dot).toContain('Mesh diff: exposure 2 calls, breakage 2 calls, other 8 calls');
  expect(dot).toMatch(/"legacy\/sleep" -> "foo\/httpbin" \[color="#c62828"[^\]]*label="8000 rejected->plaintext"/);
  expect(dot).toMatch(/"legacy\/sleep" -> "bar\/httpbin" \[color="#6a1b9a"[^\]]*label="8000 plaintext->rejected"/);
});

test('every picture renders through Graphviz without errors', async () => {
  for (const objects of [platform(1, 7), platform(70, 2, true), platform(12, 2)]) {
    const svg = await renderSvg(MeshModel.of(objects));
    expect(svg).toContain('<svg');
    expect(svg).toContain('legend');
  }
});
