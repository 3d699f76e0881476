import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { IstioSecurityError } from '../src/errors';

const VALIDATOR = join(__dirname, '..', 'scripts', 'validate-manifests.mjs');

/** A fresh chart in a fresh app. */
export function newChart(id = 'test'): Chart {
  return new Chart(Testing.app(), id);
}

/** The objects a chart synthesizes. */
export function synth(chart: Chart): any[] {
  return Testing.synth(chart);
}

/** The one object of `kind` (and `name`, if given); fails when there is not exactly one. */
export function only(objects: any[], kind: string, name?: string): any {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/** Runs `build` and returns the IstioSecurityError it throws; fails if it throws nothing or something else. */
export function refusal(build: () => unknown): IstioSecurityError {
  try {
    build();
  } catch (err) {
    if (err instanceof IstioSecurityError) return err;
    throw new Error(`expected an IstioSecurityError, got: ${String(err)}`);
  }
  throw new Error('expected an IstioSecurityError, but nothing was thrown');
}

/** Schema-validates objects with scripts/validate-manifests.mjs; throws its report when any is invalid. */
export function validateSchemas(objects: any[]): string {
  const result = spawnSync(process.execPath, [VALIDATOR, '--json'], { input: JSON.stringify(objects), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`schema validation failed:\n${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

/**
 * Collects every object a test file synthesizes and validates them all in one run after the
 * file's tests (one validator process per file instead of one per test).
 */
export function schemaValidatedEachFile(): (objects: any[]) => any[] {
  const collected: any[] = [];
  afterAll(() => {
    if (collected.length > 0) validateSchemas(collected);
  });
  return (objects) => {
    collected.push(...objects);
    return objects;
  };
}

/** Synthesizes an app into memory: one entry per chart id. */
export function synthApp(app: App): Record<string, any[]> {
  return Object.fromEntries(app.charts.map((chart) => [chart.node.id, Testing.synth(chart)]));
}

/** Runs `build` with stderr captured; returns everything it wrote there (the library's warnings). */
export function stderrOf(build: () => void): string {
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    build();
    return spy.mock.calls.map((call) => String(call[0])).join('');
  } finally {
    spy.mockRestore();
  }
}
