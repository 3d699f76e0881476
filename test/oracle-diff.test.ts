/*
 * Differential tests: the mesh model against Istio's own control plane (the oracle, oracle/).
 * Every row of the model must agree with the outcome the Envoy configuration Istio generates
 * gives the same call. Without the oracle binary (a user's laptop) the suite skips, saying so;
 * CI builds it (.ci/install-oracle.sh) and sets REQUIRE_ORACLE=1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp } from '../example/main';
import { compareRows, newComparison, oracleBinary, runOracle } from './oracle-util';
import { synthApp } from './util';

const BIN = oracleBinary();

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
    console.log(`oracle-diff examples: ${platforms.length} charts, ${cmp.compared} rows compared in ${seconds.toFixed(1)} s `
      + `(${(seconds / platforms.length).toFixed(2)} s per chart), ${cmp.undecidable.length} undecidable`
      + cmp.undecidable.map((u) => `\n  undecidable ${u.platform}: ${u.row.from} -> ${u.row.to}:${u.row.port} (${u.row.reason}); model: ${u.model}`).join(''));
    expect(cmp.disagreements).toEqual([]);
    expect(cmp.compared).toBeGreaterThan(0);
  });
}
