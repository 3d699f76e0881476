/*
 * Differential tests: the mesh model against Istio's own control plane (the oracle, oracle/).
 * Every row of the model must agree with the outcome the Envoy configuration Istio generates
 * gives the same call. Without the oracle binary (a user's laptop) the suite skips, saying so;
 * CI builds it (.ci/install-oracle.sh) and sets REQUIRE_ORACLE=1.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildExampleApp } from '../example/main';
import { loadManifests } from '../src/model';
import { platformArb, renderPlatform } from './oracle-platforms';
import { compareRows, newComparison, oracleBinary, runOracle } from './oracle-util';
import { ROOT } from './model-fixtures';
import { SEED } from './property-util';
import { synthApp } from './util';

const BIN = oracleBinary();
/** Random platforms: FC_RUNS, or 1,000. */
const PLATFORMS = Number.isInteger(Number(process.env.FC_RUNS)) && Number(process.env.FC_RUNS) > 0 ? Number(process.env.FC_RUNS) : 1000;

if (!BIN) {
  if (process.env.REQUIRE_ORACLE === '1') {
    test('the oracle binary is built', () => {
      throw new Error('REQUIRE_ORACLE=1 but no oracle binary: run `bash .ci/install-oracle.sh` or set MESH_ORACLE');
    });
  } else {
    // eslint-disable-next-line no-console
    console.log('oracle-diff: skipped: no oracle binary (build it with `bash .ci/install-oracle.sh`, or set MESH_ORACLE)');
    test.skip('model agrees with the oracle (no oracle binary)', () => undefined);
  }
} else {
  const bin = BIN;
  test('every example chart: the model agrees with Istio row by row', () => {
    const charts = synthApp(buildExampleApp(mkdtempSync(join(tmpdir(), 'oracle-example-'))));
    const platforms = Object.entries(charts).map(([id, objects]) => ({ id, objects }));
    const started = Date.now();
    const results = runOracle(bin, platforms);
    const seconds = (Date.now() - started) / 1000;
    const cmp = newComparison();
    platforms.forEach((p, i) => compareRows(p.id, p.objects, results[i], cmp));
    // eslint-disable-next-line no-console
    console.log(`oracle-diff examples: ${platforms.length} charts, ${cmp.compared} connection rows and ${cmp.egressCompared} egress rows compared in ${seconds.toFixed(1)} s `
      + `(${(seconds / platforms.length).toFixed(2)} s per chart), ${cmp.undecidable.length} connection and ${cmp.egressUndecidable.length} egress rows undecidable`
      + cmp.undecidable.map((u) => `\n  undecidable ${u.platform}: ${u.row.from} -> ${u.row.to}:${u.row.port} (${u.row.reason}); model: ${u.model}`).join('')
      + cmp.egressUndecidable.map((u) => `\n  undecidable egress ${u.platform}: ${u.row.from} -> ${u.row.host}:${u.row.port} (${u.row.reason}); model: ${u.model}`).join(''));
    expect(cmp.disagreements).toEqual([]);
    expect(cmp.compared).toBeGreaterThan(0);
    // The egress charts (B1-B5, C) have egress paths: they must be compared.
    expect(cmp.egressCompared).toBeGreaterThan(0);
  });

  // Manifests nobody on this project wrote (../shared/real-apps, read when present, never copied),
  // with the namespace declaration a user gives the CLI (`--namespace default=istio-injection=enabled`).
  const apps = join(ROOT, '..', 'shared', 'real-apps');
  const realApps: Array<{ id: string; paths: string[] }> = [
    { id: 'bookinfo', paths: [join(apps, 'bookinfo', 'bookinfo.yaml')] },
    { id: 'online-boutique', paths: [join(apps, 'online-boutique')] },
  ];
  const present = realApps.every((a) => a.paths.every((p) => existsSync(p)));
  if (!present) console.log(`oracle-diff real apps: skipped: ${apps} (bookinfo, online-boutique) is not there`);
  (present ? test : test.skip)('bookinfo and Online Boutique, in an injected namespace and not: the model agrees with Istio row by row', () => {
    const injected = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'istio-injection': 'enabled' } } };
    const platforms = [
      ...realApps.map((a) => ({ id: a.id, objects: [injected, ...loadManifests(a.paths).map((o) => o.object)] })),
      // Without the declaration: the namespace has no labels, so nothing is injected.
      { id: 'bookinfo-uninjected', objects: loadManifests(realApps[0].paths).map((o) => o.object) },
    ];
    const results = runOracle(bin, platforms);
    const counts = platforms.map((p, i) => {
      const cmp = newComparison();
      compareRows(p.id, p.objects, results[i], cmp);
      expect(cmp.disagreements).toEqual([]);
      expect(results[i].notApplied).toEqual([]);
      return `${p.id} ${cmp.compared} rows and ${cmp.egressCompared} egress rows (${cmp.undecidable.length + cmp.egressUndecidable.length} undecidable)`;
    });
    // eslint-disable-next-line no-console
    console.log(`oracle-diff real apps: ${counts.join(', ')}`);
    expect(results.every((r) => r.connections.length > 0)).toBe(true);
  });

  test(`${PLATFORMS} random platforms: the model agrees with Istio row by row`, () => {
    const specs = fc.sample(platformArb, { seed: SEED, numRuns: PLATFORMS });
    const platforms = specs.map((spec, i) => ({ id: `platform-${i}`, objects: renderPlatform(spec) }));
    const started = Date.now();
    const results = runOracle(bin, platforms);
    const seconds = (Date.now() - started) / 1000;
    const cmp = newComparison();
    const notApplied: string[] = [];
    platforms.forEach((p, i) => {
      compareRows(p.id, p.objects, results[i], cmp);
      for (const n of results[i].notApplied) notApplied.push(`${p.id}: ${n}`);
    });
    const failing = new Set(cmp.disagreements.map((d) => d.split(':')[0]));
    // eslint-disable-next-line no-console
    console.log(`oracle-diff random: ${platforms.length} platforms, ${cmp.compared} connection rows and ${cmp.egressCompared} egress rows compared `
      + `(${platforms.filter((_, i) => results[i].egress.length > 0).length} platforms with egress), oracle ${seconds.toFixed(1)} s; `
      + `${cmp.undecidable.length} connection and ${cmp.egressUndecidable.length} egress rows the oracle could not decide; fast-check seed ${SEED}, replay with `
      + `FC_SEED=${SEED} FC_RUNS=${PLATFORMS} npx jest test/oracle-diff`
      + summarizeUndecidable([...cmp.undecidable, ...cmp.egressUndecidable].map((u) => u.row.reason))
      + (cmp.disagreements.length > 0 ? `\n${cmp.disagreements.length} disagreements in ${failing.size} platforms; first platform's manifests:\n`
        + JSON.stringify(platforms.find((p) => failing.has(p.id))?.objects) : ''));
    if (process.env.ORACLE_DUMP) {
      // Each disagreeing platform's manifests, to run the oracle and the report on by hand.
      mkdirSync(process.env.ORACLE_DUMP, { recursive: true });
      writeFileSync(join(process.env.ORACLE_DUMP, 'disagreements.txt'), cmp.disagreements.join('\n') + '\n');
      writeFileSync(join(process.env.ORACLE_DUMP, 'platforms.jsonl'), platforms.map((p) => JSON.stringify(p)).join('\n') + '\n');
      for (const p of platforms.filter((x) => failing.has(x.id))) {
        writeFileSync(join(process.env.ORACLE_DUMP, `${p.id}.json`), JSON.stringify(p.objects, null, 1));
      }
    }
    expect(notApplied).toEqual([]);
    expect(cmp.disagreements.slice(0, 30)).toEqual([]);
  }, 3_600_000);
}

/** Undecidable rows by reason (object names cut), most frequent first. */
function summarizeUndecidable(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) {
    const k = r.replace(/outbound\|[^ ]*/g, '<cluster>').replace(/cluster\.local\/ns\/[^ )]*/g, '<peer>').replace(/chain [^ ]*/g, 'chain');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, n]) => `\n  ${n} x ${k}`).join('');
}
