/*
 * The hostile-input campaign (test/hostile-*.test.ts): fast-check arbitraries that give every prop
 * of every construct and value object hostile values of every type, and one oracle for all of them.
 *
 * Each case builds valid fixtures, then the step under test with the hostile input. It must end in
 *   - a refusal: an IstioSecurityError (recognised by Errors, also from its text as other
 *     languages see it) whose message starts with the construct path and stays short, that leaves
 *     the construct tree as it was (nothing created), after which the chart still synthesizes and
 *     a valid retry with the same ids works; or
 *   - output that passes the schemas (test/util.ts), `istioctl validate` (batched: every accepted
 *     case's objects in a file of its own, a few istioctl runs per test file, bisected on failure),
 *     and means what the props asked: the mesh model (src/model) re-reads the objects and the
 *     case's intent check compares sidecars, mTLS modes, principals, hosts and egress paths; the
 *     model finds nothing surely broken.
 * Anything else (a TypeError, a plain Error, an accepted input that is weaker than asked) fails.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs per property> npx jest test/hostile
 *   (HOSTILE_DEBUG=1 also prints every refusal, to see what the arbitraries hit)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import fc from 'fast-check';
import { Errors } from '../src';
import { IstioSecurityError } from '../src/errors';
import { MeshModel, findFindings } from '../src/model';
import type { FindingRule, ModelOptions } from '../src/model';
import { PeerAuthentications } from '../src/model/peer-authentication';
import { requireIstioctl, runIstioctl } from './istioctl-util';
import { SEED, SchemaBatch, checkObjects } from './property-util';

export { SEED };

/** Runs per property: HOSTILE_RUNS, or the property's own count. */
export function runs(defaultRuns: number): number {
  const n = Number(process.env.HOSTILE_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}

// ---------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------

const HUGE = 'a'.repeat(100_000);
const nullProto = (entries: [string, unknown][] = []) => Object.assign(Object.create(null), Object.fromEntries(entries));
const protoKey = () => JSON.parse('{"__proto__": {"polluted": "yes"}, "app": "web"}');
class LookAlike { public readonly name = 'x'; }

/** Values of every type a caller of any language (or a cast) can pass. */
export const junk: fc.Arbitrary<any> = fc.oneof(
  fc.constantFrom<any>(undefined, null, true, false, 0, -1, 1.5, NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 53, 1e21),
  fc.constantFrom<any>('', ' ', 'false', 'true', '80', '1e3', 'GET', 'null', HUGE, '名前', '😀', 'a\u0000b', 'a\nb', '\u202egnp.exe', 'A'.repeat(64),
    '\ud800', '../../etc/passwd', '${x}', '<b>x</b>', '\u001b[31mred'),
  fc.constantFrom<any>({}, [], ['a'], [null], [undefined], [[]], new Array(10_000).fill('a'), [, 'a'], { length: 1, 0: 'a' }, // eslint-disable-line no-sparse-arrays
    { constructor: 'x' }, { toString: 'x' }, new Date(0), /re/, new Map([['a', 'b']]), new Set(['a']), new LookAlike()),
  fc.constant(undefined).map(() => nullProto([['app', 'web']])),
  fc.constant(undefined).map(protoKey),
  fc.constantFrom<any>(Symbol.for('hostile'), 10n, () => 'called'),
);

/**
 * A field of a hostile input: valid values, and traps of its kind. As an arbitrary it is valid most
 * of the time, otherwise a trap or junk; `propsOf` uses the two parts to vary one field at a time.
 */
export interface Field<T = any> extends fc.Arbitrary<any> {
  readonly valid: fc.Arbitrary<T>;
  readonly bad: fc.Arbitrary<any>;
}

const validPart = (a: fc.Arbitrary<any>) => ('valid' in a ? (a as Field).valid : a);
const badPart = (a: fc.Arbitrary<any>) => ('bad' in a ? (a as Field).bad : a);

function field<T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<any>, weights: { valid: number; bad: number }): Field<T> {
  const arb = fc.oneof({ weight: weights.valid, arbitrary: valid }, { weight: weights.bad, arbitrary: bad }) as fc.Arbitrary<any> as Field<T>;
  return Object.assign(arb, { valid, bad });
}

function badOf(traps: readonly unknown[]): fc.Arbitrary<any> {
  return traps.length > 0 ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...traps) }, { weight: 1, arbitrary: junk }) : junk;
}

/** A valid value most of the time; otherwise a trap of the same kind or junk. */
export function hostile<T>(valid: fc.Arbitrary<T>, traps: readonly unknown[] = []): Field<T> {
  return field(valid, badOf(traps), { valid: 2, bad: 1 });
}

/** An optional prop: often absent, else valid, else a trap or junk. */
export function optional<T>(valid: fc.Arbitrary<T>, traps: readonly unknown[] = []): Field<T | undefined> {
  const ok = fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: validPart(valid) });
  const bad = 'bad' in valid ? fc.oneof((valid as unknown as Field).bad, badOf(traps)) : badOf(traps);
  return field(ok, bad, { valid: 2, bad: 1 });
}

export const validName: fc.Arbitrary<string> = fc.stringMatching(/^[a-z][a-z0-9]{0,7}(-[a-z0-9]{1,5})?$/);
export const nameTraps = ['Default', 'a_b', '-a', 'a-', 'a'.repeat(64), '0', '9z', 'a.b', '__proto__', 'constructor', 'istio-system', 'kube-system',
  'default', 'x'.repeat(63)];
export const validDomainName: fc.Arbitrary<string> = fc.constantFrom('cluster.local', 'corp.example', 'td.example.org', 'mesh.internal');
export const domainTraps = ['cluster.123', '127.1', 'a..b', 'Cluster.Local', 'cluster.local.', '.local', 'x'.repeat(254), `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`];
export const validPortNumber: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(80, 443, 8080, 8443, 9090, 15021), fc.integer({ min: 1, max: 65535 }));
export const portTraps = [0, 65536, '80', 80.5, NaN, -80, 2 ** 31, Infinity, 1e21];
export const boolTraps = ['false', 'true', 0, 1, 'yes', 'no', [], {}];
export const labelsValid: fc.Arbitrary<{ [key: string]: string }> = fc.dictionary(
  fc.constantFrom('team', 'tier', 'example.com/owner', 'app.kubernetes.io/part-of', 'toString', 'valueOf'),
  fc.constantFrom('a', 'b-1', '', 'x.y_z'), { maxKeys: 3 });
export const labelsTraps = [
  { 'istio-injection': 'disabled' }, { 'istio-injection': 'enabled' }, { 'istio.io/rev': 'canary' }, { 'istio.io/dataplane-mode': 'ambient' },
  { constructor: 'x' }, { '': 'x' }, { 'a*': 'b' }, { app: '*' }, { app: 5 }, { app: 'a b' }, { 'kubernetes.io/metadata.name': 'other' },
  ['app'], 'app=web', Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v'])),
];

/**
 * A list of `item`: valid, a short list of valid items (distinct when `distinct` tells them apart);
 * hostile, an empty list, 10,000 items, a duplicate, a bad item among good ones, or no list at all.
 */
export function listOf(item: fc.Arbitrary<any>, traps: readonly unknown[] = [], distinct: (v: any) => unknown = (v) => fc.stringify(v)): Field {
  const good = validPart(item);
  const valid = fc.uniqueArray(good, { minLength: 1, maxLength: 3, selector: distinct });
  const bad = fc.oneof(
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: good.map((v) => new Array(10_000).fill(v)) },
    { weight: 1, arbitrary: good.map((v) => [v, v]) },
    { weight: 2, arbitrary: fc.tuple(valid, badPart(item)).map(([list, b]) => [...list, b]) },
    { weight: 2, arbitrary: badOf(traps) },
  );
  return field(valid, bad, { valid: 2, bad: 1 });
}

/** A record (nested options): valid, every field valid; hostile, props with one or two bad fields, or none at all. */
export function recordOf(fields: { [key: string]: fc.Arbitrary<any> }): Field {
  const props = propsOf(fields);
  return field(props.valid, props.bad, { valid: 2, bad: 1 });
}

/**
 * Props: every field valid, or valid but for one or two hostile fields (so each field meets its
 * traps alone, and enough inputs get through to exercise synthesis), or every field hostile; now
 * and then a null-prototype object, one with an unknown key, or no object at all. As a field of
 * other props, its valid part is props whose every field is valid.
 */
export function propsOf(fields: { [key: string]: fc.Arbitrary<any> }): Field {
  const record = mostlyValid(fields);
  const weird = fc.oneof(
    { weight: 1, arbitrary: record.valid.map((r: any) => ({ ...r, sidcar: false })) },
    { weight: 1, arbitrary: record.valid.map((r: any) => nullProto(Object.entries(r))) },
    { weight: 1, arbitrary: fc.constantFrom<any>(null, 'props', [], 5) },
  );
  return field(record.valid, fc.oneof({ weight: 4, arbitrary: record.bad }, { weight: 1, arbitrary: weird }), { valid: 1, bad: 2 });
}

/** A record of fields: all valid, or valid but for one or two hostile fields, or all hostile. */
export function mostlyValid(fields: { [key: string]: fc.Arbitrary<any> }): Field {
  const keys = Object.keys(fields);
  const record = (bad: ReadonlySet<string>) => fc.record(Object.fromEntries(keys.map((k) => [k, bad.has(k) ? badPart(fields[k]) : validPart(fields[k])])));
  const some = (n: number) => fc.shuffledSubarray(keys, { minLength: Math.min(n, keys.length), maxLength: Math.min(n, keys.length) })
    .chain((bad) => record(new Set(bad)));
  const bad = fc.oneof({ weight: 6, arbitrary: some(1) }, { weight: 2, arbitrary: some(2) }, { weight: 1, arbitrary: record(new Set(keys)) });
  return field(record(new Set()), bad, { valid: 1, bad: 2 });
}

// ---------------------------------------------------------------------------------------------
// The campaign
// ---------------------------------------------------------------------------------------------

/** One property of the campaign. */
export interface CaseSpec<T, F> {
  /** Valid fixtures the step under test uses (must not throw). */
  readonly setup: (chart: Chart, input: T) => F;
  /** The step under test, with the hostile input. */
  readonly act: (chart: Chart, input: T, fixtures: F) => void;
  /** A valid step with the same construct ids as `act`, after a refusal. */
  readonly retry: (chart: Chart, input: T, fixtures: F) => void;
  /** Valid constructs that show what an accepted step means (a workload in a namespace, a caller...). */
  readonly probe?: (chart: Chart, input: T, fixtures: F) => void;
  /** What the output must mean when `act` is accepted. */
  readonly intent?: (result: Accepted<T, F>) => void;
  /** Model settings the chart needs (root namespace, domains). */
  readonly modelOptions?: (input: T, fixtures: F) => ModelOptions;
  /** Findings the chart may show by design. */
  readonly allowedFindings?: readonly FindingRule[] | ((input: T) => readonly FindingRule[]);
}

export interface Accepted<T, F> {
  readonly input: T;
  readonly fixtures: F;
  readonly objects: any[];
  readonly model: MeshModel;
  readonly modes: PeerAuthentications;
}

interface Counts { inputs: number; refused: number; refusedAtSynth: number; accepted: number; retried: number }

/** Longest refusal message: values are quoted cut, lists are shortened. */
const MAX_MESSAGE = 2_000;
const OUTDIR = join(tmpdir(), 'cdk8s-istio-security-hostile');

export class Campaign {
  private readonly counts: Counts = { inputs: 0, refused: 0, refusedAtSynth: 0, accepted: 0, retried: 0 };
  private readonly perProperty: string[] = [];
  private readonly istioctl = new IstioctlBatch();

  public constructor(private readonly file: string) {
    afterAll(() => {
      const checked = this.istioctl.validate();
      const c = this.counts;
      // eslint-disable-next-line no-console
      console.log(`${this.file}: fast-check seed ${SEED}; replay with FC_SEED=${SEED} npx jest ${this.file}\n`
        + `  hostile inputs: ${c.inputs}, refused: ${c.refused} (then synthesized and retried: ${c.retried}), refused at synth: ${c.refusedAtSynth}, `
        + `accepted: ${c.accepted}, istioctl-checked: ${checked === undefined ? 'skipped (no istioctl)' : checked}\n${this.perProperty.join('\n')}`);
    }, 600_000);
  }

  /** Runs `spec` on `numRuns` generated inputs. */
  public property<T, F>(name: string, arb: fc.Arbitrary<T>, spec: CaseSpec<T, F>, numRuns: number): void {
    const schema = new SchemaBatch(`${this.file}: ${name}`);
    const local: Counts = { inputs: 0, refused: 0, refusedAtSynth: 0, accepted: 0, retried: 0 };
    fc.assert(fc.property(arb, (input) => {
      const run = schema.nextRun();
      const label = `${name} #${run}`;
      local.inputs++;
      const outcome = this.runCase(label, input, spec);
      local[outcome.kind]++;
      if (outcome.kind === 'refused') local.retried++;
      for (const objects of outcome.outputs) {
        // The label names the case (replay with the seed); inputs are printed only for a failing case.
        schema.add(run, label, objects);
        this.istioctl.add(label, input, objects);
      }
    }), { seed: SEED, numRuns: runs(numRuns) });
    schema.validate();
    for (const key of Object.keys(local) as (keyof Counts)[]) this.counts[key] += local[key];
    this.perProperty.push(`    ${name}: ${local.inputs} inputs, ${local.refused} refused, ${local.refusedAtSynth} refused at synth, ${local.accepted} accepted`);
    expect(local.accepted).toBeGreaterThan(0);
    expect(local.refused + local.refusedAtSynth).toBeGreaterThan(0);
  }

  private runCase<T, F>(label: string, input: T, spec: CaseSpec<T, F>): { kind: 'refused' | 'refusedAtSynth' | 'accepted'; outputs: any[][] } {
    const show = () => `${label}, input ${fc.stringify(input).slice(0, 1500)}`;
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => {
      warnings.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const chart = new Chart(new App({ outdir: OUTDIR }), 'test');
      const fixtures = spec.setup(chart, input);
      const before = tree(chart);
      let refusal: IstioSecurityError | undefined;
      try {
        spec.act(chart, input, fixtures);
      } catch (err) {
        refusal = asRefusal(err, 'while building', show);
      }
      if (refusal) {
        if (process.env.HOSTILE_DEBUG) process.stdout.write(`REFUSED ${label}: ${refusal.message.slice(0, 160)}\n`);
        checkRefusal(refusal, show);
        const after = tree(chart);
        if (after !== before) throw new Error(`a refusal left constructs behind (${refusal.message.slice(0, 300)}):\n+ ${diff(after, before)}\n${show()}`);
        // The chart still synthesizes without the refused construct, and a retry with the same ids works.
        synthesize(chart, show);
        try {
          spec.retry(chart, input, fixtures);
        } catch (err) {
          throw new Error(`a retry with the same id failed after a refusal (${refusal.message.slice(0, 300)}): ${String(err)}\n${show()}`);
        }
        // The retried chart holds everything the refused one kept, and the retry: validating it covers both.
        return { kind: 'refused', outputs: [synthesize(chart, show)] };
      }
      try {
        spec.probe?.(chart, input, fixtures);
      } catch (err) {
        throw new Error(`a valid probe was refused after the step was accepted: ${String(err).slice(0, 500)}\n${show()}`);
      }
      let objects: any[];
      try {
        objects = Testing.synth(chart);
      } catch (err) {
        checkRefusal(asRefusal(err, 'at synth', show), show);
        return { kind: 'refusedAtSynth', outputs: [] };
      }
      checkObjects(objects, input);
      for (const line of warnings.join('').split('\n').filter((l) => l !== '')) {
        if (!/^WARNING: \S+: \S/.test(line)) throw new Error(`stderr line is not a "WARNING: <path>: " line: ${line.slice(0, 300)}\n${show()}`);
      }
      const model = MeshModel.of(objects, spec.modelOptions?.(input, fixtures));
      const modes = new PeerAuthentications(model.inventory, model.options.rootNamespace);
      // A campaign chart holds the construct under test and a few fixtures, not a whole platform: it
      // names identities and namespaces of callers it does not hold, and selects pods by labels on
      // purpose, so the findings that say "nothing in the input matches" are expected here.
      const allowed = new Set<FindingRule>(['egress-gateway-bypass', 'identity-not-found', 'selector-matches-no-pod',
        ...(typeof spec.allowedFindings === 'function' ? spec.allowedFindings(input) : spec.allowedFindings ?? [])]);
      const broken = findFindings(model).filter((f) => !allowed.has(f.rule));
      if (broken.length > 0) throw new Error(`accepted output the mesh model finds broken: ${broken.map((f) => `${f.rule}: ${f.message}`).join('; ')}\n${show()}`);
      try {
        spec.intent?.({ input, fixtures, objects, model, modes });
      } catch (err) {
        throw new Error(`accepted output is weaker than, or other than, what the props asked: ${(err as Error).message}\n${show()}`);
      }
      return { kind: 'accepted', outputs: [objects] };
    } finally {
      process.stderr.write = write;
    }
  }
}

function asRefusal(err: unknown, when: string, show: () => string): IstioSecurityError {
  if (err instanceof IstioSecurityError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  throw new Error(`a ${e.name} reached the user ${when} (not an IstioSecurityError): ${e.message.slice(0, 500)}\n${e.stack?.split('\n').slice(1, 6).join('\n')}\n${show()}`);
}

function checkRefusal(error: IstioSecurityError, show: () => string): void {
  const message = error.message;
  if (!Errors.isIstioSecurityError(error) || !Errors.isIstioSecurityErrorMessage(message) || !Errors.isIstioSecurityErrorMessage(`IstioSecurityError: ${message}`)) {
    throw new Error(`Errors does not recognise the refusal: ${message.slice(0, 300)}\n${show()}`);
  }
  if (!message.startsWith(`${error.constructPath}: `)) throw new Error(`refusal does not start with its construct path: ${message.slice(0, 300)}\n${show()}`);
  if (message.length > MAX_MESSAGE) throw new Error(`refusal of ${message.length} characters echoes too much: ${message.slice(0, 300)}…\n${show()}`);
}

function synthesize(chart: Chart, show: () => string): any[] {
  try {
    return Testing.synth(chart);
  } catch (err) {
    throw new Error(`the chart no longer synthesizes after a refusal: ${String(err).slice(0, 500)}\n${show()}`);
  }
}

/** The construct paths under `scope`, one per line: what a refusal must leave unchanged. */
function tree(scope: IConstruct): string {
  return scope.node.findAll().map((c) => c.node.path).join('\n');
}

function diff(after: string, before: string): string {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((p) => !old.has(p)).slice(0, 10).join('\n+ ');
}

// ---------------------------------------------------------------------------------------------
// istioctl validate, batched
// ---------------------------------------------------------------------------------------------

interface IstioCase { readonly label: string; readonly input: unknown; readonly file: string }

/** Istio's own checks (the validation webhook's) on every accepted output, in a few istioctl runs. */
class IstioctlBatch {
  private readonly istioctl = requireIstioctl('istioctl validate in the hostile-input campaign');
  private readonly dir = mkdtempSync(join(tmpdir(), 'hostile-istioctl-'));
  private readonly cases: IstioCase[] = [];

  public add(label: string, input: unknown, objects: any[]): void {
    if (!this.istioctl || !objects.some((o) => String(o.apiVersion).includes('istio.io'))) return;
    const file = join(this.dir, `case-${this.cases.length}.yaml`);
    // JSON documents (YAML is a superset of JSON): much faster to write than YAML.
    writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    this.cases.push({ label, input, file });
  }

  /** Validates every case; returns how many were checked (undefined without istioctl). */
  public validate(): number | undefined {
    try {
      if (!this.istioctl) return undefined;
      const bad: string[] = [];
      for (let i = 0; i < this.cases.length && bad.length < 3; i += 400) this.check(this.cases.slice(i, i + 400), bad);
      if (bad.length > 0) throw new Error(`istioctl validate rejects accepted output (seed ${SEED}):\n${bad.join('\n\n')}`);
      return this.cases.length;
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private check(cases: IstioCase[], bad: string[]): void {
    const problem = this.problem(cases);
    if (problem === undefined) return;
    if (cases.length === 1) {
      bad.push(`${cases[0].label}, input ${fc.stringify(cases[0].input).slice(0, 1000)}:\n${problem}`);
      return;
    }
    const half = Math.ceil(cases.length / 2);
    for (const part of [cases.slice(0, half), cases.slice(half)]) if (bad.length < 3) this.check(part, bad);
  }

  /** What istioctl says beyond "is valid" for these files, if anything. */
  private problem(cases: IstioCase[]): string | undefined {
    const { status, output } = runIstioctl(this.istioctl!, ['validate', ...cases.flatMap((c) => ['-f', c.file])]);
    const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^".*" is valid$/.test(l)
      // Advice, not a verdict: telemetry labels istioctl would like to see.
      && !/^deployment ".*" may not provide Istio metrics/.test(l) && !/^See https:\/\//.test(l));
    return status === 0 && lines.length === 0 ? undefined : `exit ${status}: ${lines.join('\n')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the model back
// ---------------------------------------------------------------------------------------------

/** The call from `from` to `to` on Service port `port`, as the model predicts it. */
export function callOutcome(model: MeshModel, from: string, to: string, port: number): string {
  for (const row of model.connectionsFrom(from)) if (row.to === to && row.port === port) return row.outcome;
  throw new Error(`the model has no call ${from} -> ${to}:${port}`);
}

/** The model's workload `<namespace>/<name>`. */
export function workloadOf(model: MeshModel, id: string) {
  const w = model.inventory.workloads.find((x) => x.id === id);
  if (!w) throw new Error(`the model has no workload ${id} (it has ${model.inventory.workloads.map((x) => x.id).join(', ')})`);
  return w;
}

export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  // A prop given as null is not given (jsii passes an absent optional as null in some languages).
  if (canonical(actual) !== canonical(expected === null ? undefined : expected)) {
    throw new Error(`${what}: the model says ${JSON.stringify(actual)}, the props asked for ${JSON.stringify(expected)}`);
  }
}

/** JSON with object keys sorted: objects that differ only in key order are equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}
