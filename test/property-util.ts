/*
 * Helpers of the property-based tests (test/property-*.test.ts).
 *
 * Every generated case ends in one of:
 *   - `refused`: an IstioSecurityError thrown while the constructs are built (or at synth), whose
 *     message starts with a construct path, names the offending value and says what is allowed;
 *   - `refusedAtSynth`: one of the library's synth-time checks (a construct validation, which cdk8s
 *     reports as "Validation failed with the following errors:\n  [<path>] <message>");
 *   - `ok`: a synth whose objects carry no undefined/null/NaN and pass schema validation, which is
 *     batched: every property collects the objects of all its cases and validates them in one run
 *     of scripts/validate-manifests.mjs (bisected down to the cases that produced a bad object).
 * Anything else (a TypeError, a cdk8s-plus error, ...) fails the property, and fast-check prints
 * the seed and the counterexample.
 *
 * Replay: FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import fc from 'fast-check';
import { Errors } from '../src';
import { IstioSecurityError } from '../src/errors';
import { validateSchemas } from './util';

/** Runs per property: FC_RUNS, or 300. */
export const RUNS = positiveInt(process.env.FC_RUNS) ?? 300;
/** One seed per test file: FC_SEED, or a fresh one that every failure message repeats. */
export const SEED = process.env.FC_SEED !== undefined && process.env.FC_SEED !== ''
  ? Number(process.env.FC_SEED)
  : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff;

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** fast-check parameters: the file's seed, `runs` runs (scaled by FC_RUNS when it is set). */
export function params(runs?: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: runs ?? RUNS };
}

const summaries: string[] = [];

/**
 * Prints the seed and how to replay the file, and after it how each property's cases ended;
 * call once at the top of each property test file.
 */
export function announce(file: string): void {
  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`${file}: fast-check seed ${SEED}; replay with FC_SEED=${SEED} FC_RUNS=${RUNS} npx jest ${file}\n${summaries.join('\n')}`);
  });
}

// Apps never write: the output directory is created only by App.synth(), which the tests do not call.
const OUTDIR = join(tmpdir(), 'cdk8s-istio-security-property');

/** A fresh app (no temp directory per case, unlike Testing.app()). */
export function newApp(): App {
  return new App({ outdir: OUTDIR });
}

/** A fresh chart in a fresh app. */
export function chart(id = 'test'): Chart {
  return new Chart(newApp(), id);
}

export type Outcome =
  | { readonly kind: 'ok'; readonly objects: any[]; readonly warnings: string[] }
  | { readonly kind: 'refused'; readonly message: string; readonly path: string }
  | { readonly kind: 'refusedAtSynth'; readonly errors: { path: string; message: string }[] };

const SYNTH_VALIDATION = 'Validation failed with the following errors:\n';

/**
 * Builds constructs, then synthesizes the charts `build` returns (all charts of their apps), with
 * stderr captured as warnings. Library refusals become outcomes; any other error propagates.
 */
export function attempt(build: () => Chart | Chart[]): Outcome {
  const warnings: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown) => {
    warnings.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    let charts: Chart[];
    try {
      charts = [build()].flat();
    } catch (err) {
      return refusal(err, 'while building');
    }
    try {
      const objects = charts.flatMap((c) => Testing.synth(c));
      return { kind: 'ok', objects, warnings: warnings.join('').split('\n').filter((l) => l !== '') };
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(SYNTH_VALIDATION) && !(err instanceof IstioSecurityError)) {
        const errors = err.message.slice(SYNTH_VALIDATION.length).split('\n  ').map((line) => {
          const match = /^\s*\[([^\]]+)\] ([\s\S]+)$/.exec(line);
          if (!match) throw new Error(`unparsable synth validation error: ${line}`);
          return { path: match[1], message: match[2] };
        });
        return { kind: 'refusedAtSynth', errors };
      }
      // The library's synth-time checks throw IstioSecurityError themselves.
      if (err instanceof IstioSecurityError) {
        return { kind: 'refusedAtSynth', errors: [{ path: err.constructPath, message: err.message.slice(err.constructPath.length + 2) }] };
      }
      return refusal(err, 'at synth');
    }
  } finally {
    process.stderr.write = write;
  }
}

function refusal(err: unknown, when: string): Outcome {
  if (err instanceof IstioSecurityError) {
    if (!Errors.isIstioSecurityError(err)) throw new Error('Errors.isIstioSecurityError does not recognise an IstioSecurityError');
    return { kind: 'refused', message: err.message, path: err.constructPath };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  throw new Error(`crashed ${when} with ${e.name} (not an IstioSecurityError): ${e.message}\n${e.stack ?? ''}`);
}

/** Why the oracle expects a refusal: the offending value and how a message may name it. */
export interface Violation {
  readonly what: string;
  readonly value: unknown;
  /** Texts one of which the message must contain; by default the value as the library quotes it. */
  readonly mention?: string[];
}

export function violation(what: string, value: unknown, mention?: string[]): Violation {
  return { what, value, mention };
}

function mentions(v: Violation): string[] {
  if (v.mention) return v.mention;
  const value = v.value;
  if (typeof value === 'string') {
    // Long values are quoted cut (the first 60 characters, then "…" and the length).
    if (value.length > 80) return [JSON.stringify(value.slice(0, 60)).slice(0, -1)];
    return value.trim() === '' ? [JSON.stringify(value)] : [JSON.stringify(value), value];
  }
  if (typeof value === 'object' && value !== null) return [JSON.stringify(value), String(value)];
  return [String(value)];
}

// "…what is allowed": refusals end with advice or the allowed values.
const ADVICE = /\b(use|used|allowed|must|leave|give|name|set|enable|add|declare|remove|pick|reuse|route|call|make|put|lock|drop|keep|limit|send|originate|list|not an?|not one of|matches|such as)\b|e\.g\./i;

/**
 * Compares an outcome with the oracle's prediction. `violations` empty: the case must synthesize;
 * otherwise it must be refused, by a construct at or under `path`, naming one offending value.
 * `synthTime` lists refusals the library makes only at synth (construct validations).
 * Returns the synthesized objects (or [] for a refusal).
 */
export function expectOutcome(outcome: Outcome, violations: Violation[], path: string | string[], input: unknown): any[] {
  const paths = [path].flat();
  const show = () => `input ${fc.stringify(input)}; predicted ${violations.length === 0 ? 'success' : `refusal (${violations.map((v) => `${v.what} ${fc.stringify(v.value)}`).join('; ')})`}`;
  const under = (p: string) => paths.some((root) => p === root || p.startsWith(`${root}/`));
  switch (outcome.kind) {
    case 'ok':
      if (violations.length > 0) throw new Error(`accepted input the oracle refuses: ${show()}`);
      checkObjects(outcome.objects, input);
      for (const warning of outcome.warnings) {
        const match = /^WARNING: ([^:\s]+): \S/.exec(warning);
        if (!match || !under(match[1])) throw new Error(`warning does not start with "WARNING: <construct path>: ": ${warning}`);
      }
      return outcome.objects;
    case 'refused': {
      if (violations.length === 0) throw new Error(`refused input the oracle accepts: ${outcome.message}; ${show()}`);
      const message = outcome.message;
      if (!under(outcome.path) || !message.startsWith(`${outcome.path}: `)) {
        throw new Error(`refusal does not start with the construct path (${paths.join(' or ')}): ${message}; ${show()}`);
      }
      checkMessage(message, violations, show);
      return [];
    }
    case 'refusedAtSynth': {
      if (violations.length === 0) throw new Error(`refused at synth input the oracle accepts: ${JSON.stringify(outcome.errors)}; ${show()}`);
      for (const e of outcome.errors) {
        if (!under(e.path)) throw new Error(`synth refusal names no construct under ${paths.join(' or ')}: [${e.path}] ${e.message}`);
      }
      checkMessage(outcome.errors.map((e) => e.message).join('\n'), violations, show);
      return [];
    }
  }
}

function checkMessage(message: string, violations: Violation[], show: () => string): void {
  if (!violations.some((v) => mentions(v).some((m) => message.includes(m)))) {
    throw new Error(`refusal names none of the offending values: ${message}; ${show()}`);
  }
  if (!ADVICE.test(message)) throw new Error(`refusal does not say what is allowed: ${message}`);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes: a DNS-1123 label (namespace and most object names). */
export function isDnsLabel(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 63 && DNS_LABEL.test(v);
}

/** Kubernetes: a DNS-1123 subdomain (Secret names, domains). */
export function isDnsSubdomain(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= 253 && v.split('.').every(isDnsLabel);
}

/** A domain Service hosts end in (a cluster domain): a DNS subdomain whose last label is not all digits (Istio refuses those hosts). */
export function isHostDomain(v: unknown): boolean {
  return isDnsSubdomain(v) && !/(^|\.)[0-9]+$/.test(v as string);
}

export function isPort(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** Kubernetes: a label key, `[prefix/]name` (prefix a DNS subdomain, name 1-63 characters). */
export function isLabelKey(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const slash = v.lastIndexOf('/');
  const prefix = slash >= 0 ? v.slice(0, slash) : undefined;
  const name = slash >= 0 ? v.slice(slash + 1) : v;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** Kubernetes: a label value, at most 63 characters, possibly empty. */
export function isLabelValue(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 63 && LABEL_VALUE.test(v);
}

/** Violations of a map of labels (Kubernetes label syntax). */
export function labelViolations(what: string, labels: unknown): Violation[] {
  if (labels === undefined || labels === null) return [];
  const found: Violation[] = [];
  for (const [key, value] of Object.entries(labels as object)) {
    if (!isLabelKey(key)) found.push(violation(`${what} key`, key));
    if (!isLabelValue(value)) found.push(violation(`${what} value`, value));
  }
  return found;
}

/**
 * What the API server would check and the published schemas do not: object names and
 * namespaces, label syntax, no undefined/null/NaN/Infinity, no "undefined"/"NaN"/"[object Object]"
 * leaking from a template string (unless the input itself contains that text).
 */
export function checkObjects(objects: any[], input: unknown): void {
  const inputText = fc.stringify(input);
  for (const obj of objects) {
    const where = `${obj?.kind} ${obj?.metadata?.namespace ?? ''}/${obj?.metadata?.name}`;
    walk(obj, where, (path, value) => {
      if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))) {
        throw new Error(`${where}: ${path} is ${String(value)}; input ${inputText}`);
      }
      if (typeof value === 'string') {
        for (const token of ['undefined', 'NaN', '[object Object]', 'null']) {
          if (value.includes(token) && !inputText.includes(token)) {
            throw new Error(`${where}: ${path} is ${JSON.stringify(value)}, with "${token}" from nowhere; input ${inputText}`);
          }
        }
      }
    });
    const meta = obj.metadata ?? {};
    if (!isDnsSubdomain(meta.name)) throw new Error(`${where}: metadata.name is not a DNS-1123 subdomain`);
    if (obj.kind !== 'Secret' && !isDnsLabel(meta.name)) throw new Error(`${where}: metadata.name is not a DNS-1123 label`);
    if (meta.namespace !== undefined && !isDnsLabel(meta.namespace)) throw new Error(`${where}: metadata.namespace is not a DNS-1123 label`);
    for (const [path, labels] of labelMaps(obj)) {
      const bad = labelViolations(path, labels);
      if (bad.length > 0) throw new Error(`${where}: ${path} has invalid labels ${fc.stringify(bad.map((b) => b.value))}; input ${inputText}`);
    }
  }
}

function labelMaps(obj: any): [string, unknown][] {
  const maps: [string, unknown][] = [['metadata.labels', obj.metadata?.labels]];
  const spec = obj.spec ?? {};
  maps.push(['spec.selector.matchLabels', spec.selector?.matchLabels]);
  if (obj.kind === 'Deployment') maps.push(['spec.template.metadata.labels', spec.template?.metadata?.labels]);
  if (obj.kind === 'Service') maps.push(['spec.selector', spec.selector]);
  if (obj.kind === 'Gateway') maps.push(['spec.selector', spec.selector]);
  if (obj.kind === 'NetworkPolicy') {
    (spec.egress ?? []).forEach((rule: any, i: number) => (rule.to ?? []).forEach((peer: any, j: number) => {
      maps.push([`spec.egress[${i}].to[${j}].podSelector.matchLabels`, peer.podSelector?.matchLabels]);
      maps.push([`spec.egress[${i}].to[${j}].namespaceSelector.matchLabels`, peer.namespaceSelector?.matchLabels]);
    }));
  }
  return maps.filter(([, labels]) => labels !== undefined);
}

function walk(value: unknown, path: string, visit: (path: string, value: unknown) => void): void {
  visit(path, value);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`, visit);
  }
}

interface BatchCase { readonly run: number; readonly input: string; readonly objects: any[] }

/**
 * The objects of one property's cases, validated together in one validator run. Each object
 * stays with the run number and input of the case that produced it, so a failure names them.
 */
export class SchemaBatch {
  private readonly cases: BatchCase[] = [];
  private runs = 0;

  public constructor(private readonly property: string) {}

  /** Counts a run of the property; returns its 1-based number (the same for the same seed). */
  public nextRun(): number {
    return ++this.runs;
  }

  public add(run: number, input: unknown, objects: any[]): void {
    if (objects.length > 0) this.cases.push({ run, input: fc.stringify(input), objects });
  }

  public get objectCount(): number {
    return this.cases.reduce((n, c) => n + c.objects.length, 0);
  }

  /** Validates everything collected; on failure, finds (up to three of) the cases at fault. */
  public validate(): void {
    if (this.cases.length === 0) return;
    const error = validationError(this.cases);
    if (!error) return;
    const bad = suspects(this.cases, error) ?? bisect(this.cases, error, 3);
    throw new Error(`${this.property}: schema validation failed (seed ${SEED}, FC_RUNS=${RUNS}; replay with `
      + `FC_SEED=${SEED} FC_RUNS=${RUNS} npx jest test/property -t '${this.property}'):\n`
      + bad.map(({ c, report }) => `run #${c.run}, input ${c.input}:\n${report}`).join('\n\n'));
  }
}

function validationError(cases: BatchCase[]): string | undefined {
  try {
    validateSchemas(cases.flatMap((c) => c.objects));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The cases whose objects the validator's report names ("<kind> <namespace>/<name>: ..."),
 * when there are few enough to confirm one by one; undefined when bisection must find them.
 */
function suspects(cases: BatchCase[], error: string): { c: BatchCase; report: string }[] | undefined {
  const named = new Set(error.split('\n').map((line) => /^(\S+) (\S*\/\S+?): /.exec(line)).filter((m) => m !== null).map((m) => `${m![1]} ${m![2]}`));
  const where = (o: any) => `${o?.kind ?? '?'} ${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? '?'}`;
  const candidates = cases.filter((c) => c.objects.some((o) => named.has(where(o))));
  if (candidates.length === 0 || candidates.length > 3) return undefined;
  const confirmed = candidates.map((c) => ({ c, report: validationError([c]) })).filter((r): r is { c: BatchCase; report: string } => r.report !== undefined);
  return confirmed.length > 0 ? confirmed : undefined;
}

function bisect(cases: BatchCase[], error: string, limit: number): { c: BatchCase; report: string }[] {
  if (cases.length === 1) return [{ c: cases[0], report: error }];
  const half = Math.ceil(cases.length / 2);
  const found: { c: BatchCase; report: string }[] = [];
  for (const part of [cases.slice(0, half), cases.slice(half)]) {
    if (found.length >= limit) break;
    const partError = validationError(part);
    if (partError) found.push(...bisect(part, partError, limit - found.length));
  }
  return found;
}

/**
 * Runs a property: `build` makes the constructs from the input, `predict` says what must be
 * refused; the objects of accepted cases are schema-validated together at the end.
 */
export interface CaseResult {
  readonly outcome: Outcome;
  /** The oracle's prediction: empty for an input that must synthesize. */
  readonly violations: Violation[];
  /** The construct (or constructs) a refusal must come from, or from under. */
  readonly path: string | string[];
  /** When the refusal must come: while building, or from a synth-time check; either if not given. */
  readonly when?: 'build' | 'synth';
}

export function checkProperty<T>(name: string, arb: fc.Arbitrary<T>, run: (input: T) => CaseResult,
  options: { runs?: number; after?: (stats: Stats) => void } = {}): void {
  const batch = new SchemaBatch(name);
  const stats: Stats = { ok: 0, refused: 0, refusedAtSynth: 0, childPathRefusals: [] };
  fc.assert(fc.property(arb, (input) => {
    const runNumber = batch.nextRun();
    const { outcome, violations, path, when } = run(input);
    const objects = expectOutcome(outcome, violations, path, input);
    if (violations.length > 0 && when !== undefined && outcome.kind !== (when === 'build' ? 'refused' : 'refusedAtSynth')) {
      throw new Error(`expected a refusal ${when === 'build' ? 'while building' : 'at synth'}, got ${outcome.kind}; input ${fc.stringify(input)}`);
    }
    stats[outcome.kind]++;
    if (outcome.kind === 'refused' && ![path].flat().includes(outcome.path)) stats.childPathRefusals.push(outcome.message);
    batch.add(runNumber, input, objects);
  }), params(options.runs));
  batch.validate();
  summaries.push(`  ${name}: ${stats.ok} synthesized (${batch.objectCount} objects schema-validated), ${stats.refused} refused, `
    + `${stats.refusedAtSynth} refused at synth${stats.childPathRefusals.length > 0 ? `, ${stats.childPathRefusals.length} by a child construct` : ''}`);
  options.after?.(stats);
}

type Arbs<T> = { [K in keyof T]: fc.Arbitrary<T[K]> };

/**
 * Records that are valid field by field, or valid but for one field drawn from `any`, or drawn
 * wholly from `any`: enough cases get through to exercise synthesis, and each field still meets
 * its boundary and nonsense values alone (so the oracle is checked field by field).
 */
export function mixed<T extends object>(valid: Arbs<T>, any: Arbs<T>): fc.Arbitrary<T> {
  const keys = Object.keys(valid) as (keyof T)[];
  return fc.oneof(
    { weight: 2, arbitrary: fc.record(valid) as fc.Arbitrary<T> },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.record(valid) as fc.Arbitrary<T>, fc.constantFrom(...keys))
        .chain(([record, key]) => any[key].map((value) => ({ ...record, [key]: value }))),
    },
    { weight: 1, arbitrary: fc.record(any) as fc.Arbitrary<T> },
  );
}

export interface Stats {
  ok: number;
  refused: number;
  refusedAtSynth: number;
  /** Refusals thrown by a child construct (path below the construct under test). */
  childPathRefusals: string[];
}

/** Both outcomes occur: a property that only ever refuses (or never does) tests little. */
export function expectBothOutcomes(stats: Stats): void {
  expect(stats.ok).toBeGreaterThan(0);
  expect(stats.refused + stats.refusedAtSynth).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: valid values, boundary values and nonsense (wrong types via casts).
// ---------------------------------------------------------------------------------------------

/** Wrong types a JavaScript caller (or a cast) can pass where a string is expected. */
export const nonsenseScalar: fc.Arbitrary<any> = fc.constantFrom<any>(5, 0, -1, 1.5, NaN, Infinity, true, false, {}, ['a']);

/** A valid DNS-1123 label. */
export const validLabel: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/) },
);

const odd = ['-', '.', '_', 'A', 'Z', '*', ' ', '/', 'é', 'ß', '名', '😀', '\n', ':', '\u0000'];

/** A label with one odd character at some position, or a length at the 63/64 boundary. */
export const boundaryLabel: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(validLabel, fc.constantFrom(...odd), fc.nat()).map(([s, c, i]) => {
    const at = i % (s.length + 1);
    return s.slice(0, at) + c + s.slice(at);
  }),
  fc.integer({ min: 61, max: 66 }).chain((n) => fc.constantFrom('a'.repeat(n), `a${'-'.repeat(n - 2)}a`, `${'ab'.repeat(n)}`.slice(0, n))),
  fc.constantFrom('', ' ', '-', 'a-', '-a', 'A', 'a.b', 'a_b', '*', 'ñ', 'x'.repeat(300), 'default ', '0', '9z'),
);

/** A name field: mostly valid, often at a boundary, sometimes the wrong type. */
export const nameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: validLabel },
  { weight: 3, arbitrary: boundaryLabel },
  { weight: 1, arbitrary: nonsenseScalar },
);

/** An optional name field: absent, null (both mean the default) or a name. */
export const optionalName: fc.Arbitrary<any> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: nameArb },
);

/** A valid DNS-1123 subdomain. */
export const validDomain: fc.Arbitrary<string> = fc.array(validLabel, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));

/** A domain (cluster or trust domain, Secret name): valid, at a boundary, or nonsense. */
export const domainArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: validDomain },
  { weight: 1, arbitrary: fc.constantFrom('cluster.local', 'corp.example') },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.tuple(validDomain, boundaryLabel).map(([d, l]) => `${d}.${l}`),
      fc.constantFrom('', '.', 'cluster.local.', '.cluster.local', 'cluster..local', 'Cluster.Local', '*.cluster.local', 'cluster_local',
        'clüster.local', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
        `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, `${'a'.repeat(64)}.local`),
    ),
  },
  { weight: 1, arbitrary: nonsenseScalar },
);

export const optionalDomain: fc.Arbitrary<any> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 5, arbitrary: domainArb },
);

/** A port number: valid, at a boundary, or nonsense. */
export const portArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 80, 443, 8080, 65535, 65536, -1, -80) },
  { weight: 1, arbitrary: fc.constantFrom<any>(NaN, 1.5, '80', Infinity, -Infinity, 2 ** 31, -0, null) },
);

/** A valid port, often a well-known one. */
export const validPort: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(80, 443, 8080, 9090, 1, 65535), fc.integer({ min: 1, max: 65535 }));

/** A value of `values` (an enum), or something that is not one. */
export function enumArb<T>(values: T[]): fc.Arbitrary<any> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...values) },
    { weight: 2, arbitrary: fc.constantFrom<any>('BOGUS', String(values[0]).toLowerCase(), ` ${String(values[0])}`, '', 5, NaN, true) },
  );
}

/** A label value: valid, boundary, or nonsense. */
export const labelValueArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/) },
  { weight: 1, arbitrary: fc.constantFrom('', 'v1.2_3-RC', 'a'.repeat(63)) },
  { weight: 3, arbitrary: fc.constantFrom('a'.repeat(64), '-v1', 'v1-', 'v 1', 'v/1', 'é', '*', '.', 'v1\n') },
  { weight: 1, arbitrary: fc.constantFrom<any>(1, 0, true, NaN, {}) },
);

/** A label key: valid (with or without prefix), boundary, or nonsense. */
export const labelKeyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/) },
  { weight: 2, arbitrary: fc.constantFrom('app', 'team', 'example.com/team', 'app.kubernetes.io/name', 'A_b.c', 'a'.repeat(63)) },
  { weight: 3, arbitrary: fc.constantFrom('', '*', 'a*', 'team name', '-team', 'team-', 'Example.com/team', '/team', 'example.com/', 'a'.repeat(64), 'é', 'a/b/c') },
);

/** A map of labels: mostly valid, sometimes with bad keys or values. */
export const labelsArb: fc.Arbitrary<{ [key: string]: any }> = fc.dictionary(labelKeyArb, labelValueArb, { minKeys: 0, maxKeys: 3 });

/** Objects sorted by kind/namespace/name, as JSON: compares output independently of tree order. */
export function sortedObjects(objects: any[]): string[] {
  const key = (o: any) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b))).map((o) => JSON.stringify(o));
}

/** The path segment constructs make of an id (they replace the path and address separators '/' and newline by '--'). */
export function idPath(id: string): string {
  return id.replace(/[/\n]/g, '--');
}
