import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp } from '../example/main';
import { synthApp, validateSchemas } from './util';

// The whole example platform (every chart of every scenario): snapshots, schema validity, determinism.
const charts = synthApp(buildExampleApp(mkdtempSync(join(tmpdir(), 'example-'))));

test.each(Object.keys(charts))('chart %s matches its snapshot', (chartId) => {
  expect(charts[chartId]).toMatchSnapshot();
});

test('every synthesized object validates against the Kubernetes and Istio schemas', () => {
  const all = Object.values(charts).flat();
  expect(all.length).toBeGreaterThan(0);
  expect(validateSchemas(all)).toMatch(/objects valid/);
});

test('no object is emitted twice within a chart', () => {
  for (const [chartId, objects] of Object.entries(charts)) {
    const ids = objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect({ chartId, duplicates: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({ chartId, duplicates: [] });
  }
});

test('synthesizing twice gives byte-identical files', () => {
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'synth-')));
  try {
    for (const dir of dirs) buildExampleApp(dir).synth();
    const [first, second] = dirs.map((dir) => readdirSync(dir).sort());
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    for (const file of first) {
      expect(readFileSync(join(dirs[1], file)).equals(readFileSync(join(dirs[0], file)))).toBe(true);
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
