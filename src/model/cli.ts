// `cdk8s-istio-security report|check <files or folders>`: the command line of the mesh model.

import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { relative } from 'node:path';
import { forMarkdown, forTerminal, plural, wrap } from './escape';
import { findFindings } from './findings';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES, LoadLimits, manifestFiles, readFiles, readManifests } from './load';
import { MeshModel } from './model';
import { renderMarkdown } from './render-markdown';
import { renderDiffSvg, renderSvg } from './render-svg';
import { renderText } from './render-text';
import { toSnapshot } from './snapshot';
import { jsonChunks } from './render-json';
import { DetailMode, findingLines, inputNoteLines, namespaceLines, notAppliedLines } from './report-doc';
import { Finding, ModelOptions, NotApplied } from './types';
import { diffModels } from './diff';
import { checkIntents, IntentSpec, parseIntents } from './intents';
import { diffJson, FAIL_ON, FailOn, failing, renderDiffJson, renderDiffMarkdown, renderDiffText } from './render-diff';

const USAGE = `Usage:
  cdk8s-istio-security report <files or folders...> [options]
  cdk8s-istio-security check <files or folders...> [options]
  cdk8s-istio-security diff <before> <after> [options]

Predicts from Kubernetes and Istio manifests alone (cdk8s synth output, Helm or kustomize
output, any YAML or JSON) what Istio does with every call between workloads - mTLS, plaintext,
rejected, denied or failed - and every path to an external host.

  report   prints the report
  check    prints what the model knows is broken
  diff     what the change from <before> to <after> (files or folders) does: calls and egress
           paths whose outcome or reason changes, each an exposure, a breakage or other;
           workloads, Service ports and findings added and removed

Options:
  --format text|json|markdown|svg|snapshot
                                   report format (default: text; snapshot: the sorted behaviour
                                   text for snapshot tests); diff: text, json, markdown
                                   (a pull-request comment) or svg
  --output FILE                    write to FILE instead of standard output
  --detail auto|detailed|aggregated
                                   text and markdown: a matrix per namespace pair, or groups of
                                   calls treated alike (default: auto, detailed for small inputs)
  --each                           model each file on its own (e.g. one cdk8s chart per file);
                                   text, markdown, snapshot and check; diff: pairs the files of the two
                                   folders by their path in them
  --intents FILE                   report and check: intents that must hold (YAML or JSON: a
                                   document with intents: [{ mustAllow: { from, to, port } }, ...]);
                                   check exits 1 when one does not
  --fail-on CLASSES                diff: exit 1 when the diff has any of these (comma-separated):
                                   exposure, breakage, other, finding (a finding added)
  --root-namespace NS              Istio's root namespace (default: istio-system)
  --istiod-namespace NS            the namespace istiod and its CA Secret run in (default: istio-system)
  --trust-domain DOMAIN            trust domain of identities (default: cluster.local)
  --cluster-domain DOMAIN          cluster domain of Service hosts (default: cluster.local)
  --egress-gateway HOST            Service host of an egress gateway (repeatable; default:
                                   istio-egressgateway.istio-system.svc.cluster.local)
  --namespace NS=KEY=VALUE[,KEY=VALUE...]
                                   labels of a namespace the input does not hold (repeatable),
                                   e.g. --namespace default=istio-injection=enabled; NS= declares
                                   one without labels
  --assume-injected                take every namespace neither in the input nor declared as
                                   labelled istio-injection=enabled (default: without labels)
  --max-file-size SIZE             read no file larger than SIZE bytes (K, M, G: KiB, MiB, GiB;
                                   default: 64M)
  --max-total-size SIZE            read at most SIZE bytes in all (default: 256M)
  -h, --help                       this text

Only regular files are read (folders: their .yaml, .yml and .json files, symbolic links
followed). Input the cluster would refuse - a file that cannot be read, a document that is not
a Kubernetes object, an object the API server or Istio rejects - is listed as "not applied"
with the file and the field, and not evaluated.

Exit status: 0 nothing wrong; 1 check found a broken configuration; 2 a usage error, or no
Kubernetes object in any input; 3 some input was not applied (the report is still written).
`;

const FORMATS = ['text', 'json', 'markdown', 'svg', 'snapshot'];
const DIFF_FORMATS = ['text', 'json', 'markdown', 'svg'];
const DETAILS = ['auto', 'detailed', 'aggregated'];

interface Args {
  readonly command: string;
  readonly paths: string[];
  readonly format: string;
  readonly output?: string;
  readonly detail: DetailMode;
  readonly each: boolean;
  readonly failOn: readonly FailOn[];
  readonly intents?: string;
  readonly options: ModelOptions;
  readonly limits: LoadLimits;
}

class UsageError extends Error {}

/** `64M`, `1.5G`, `4096`: bytes (K, M, G are KiB, MiB, GiB). */
function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]i?B?)?$/i.exec(text);
  const n = m ? Number(m[1]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '')[0]?.toLowerCase() as 'k' | 'm' | 'g'] ?? 1) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new UsageError(`${flag} ${text}: give a size in bytes, e.g. 64M or 1G`);
  return Math.floor(n);
}

function parseArgs(argv: readonly string[]): Args | 'help' {
  if (argv.length === 0) throw new UsageError('give a command: report or check');
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'report' && command !== 'check' && command !== 'diff') throw new UsageError(`unknown command "${command}": use report, check or diff`);
  const paths: string[] = [];
  const gateways: string[] = [];
  let format = 'text';
  let output: string | undefined;
  let detail: DetailMode = 'auto';
  let each = false;
  const failOn: FailOn[] = [];
  let intents: string | undefined;
  const options: { -readonly [K in keyof ModelOptions]: ModelOptions[K] } = {};
  const limits: { -readonly [K in keyof LoadLimits]: LoadLimits[K] } = {};
  const namespaceLabels: { [namespace: string]: { [key: string]: string } } = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--format': format = value(); break;
      case '--output': case '-o': output = value(); break;
      case '--detail': detail = value() as DetailMode; break;
      case '--each': each = true; break;
      case '--intents': intents = value(); break;
      case '--fail-on':
        for (const c of value().split(',').map((x) => x.trim()).filter(Boolean)) {
          if (!(FAIL_ON as readonly string[]).includes(c)) throw new UsageError(`--fail-on ${c}: use ${FAIL_ON.join(', ')}`);
          failOn.push(c as FailOn);
        }
        break;
      case '--root-namespace': options.rootNamespace = value(); break;
      case '--istiod-namespace': options.istiodNamespace = value(); break;
      case '--trust-domain': options.trustDomain = value(); break;
      case '--cluster-domain': options.clusterDomain = value(); break;
      case '--egress-gateway': gateways.push(value()); break;
      case '--namespace': declareNamespace(namespaceLabels, value()); break;
      case '--assume-injected': options.assumeInjected = true; break;
      case '--max-file-size': limits.maxFileBytes = parseSize(flag, value()); break;
      case '--max-total-size': limits.maxTotalBytes = parseSize(flag, value()); break;
      default:
        if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
        paths.push(arg);
    }
  }
  if (!FORMATS.includes(format)) throw new UsageError(`--format ${format}: use one of ${FORMATS.join(', ')}`);
  if (!DETAILS.includes(detail)) throw new UsageError(`--detail ${detail}: use one of ${DETAILS.join(', ')}`);
  if (paths.length === 0) throw new UsageError('give at least one manifest file or folder');
  if (command === 'diff') {
    if (paths.length !== 2) throw new UsageError(`diff takes two files or folders, before and after; got ${paths.length}`);
    if (!DIFF_FORMATS.includes(format)) throw new UsageError(`diff --format ${format}: use one of ${DIFF_FORMATS.join(', ')}`);
  } else if (failOn.length > 0) {
    throw new UsageError('--fail-on works with diff');
  }
  if (each && (format === 'json' || format === 'svg') && command === 'report') throw new UsageError('--each works with --format text, markdown or snapshot');
  if (gateways.length > 0) options.egressGatewayHosts = gateways;
  if (Object.keys(namespaceLabels).length > 0) options.namespaceLabels = namespaceLabels;
  return { command, paths, format, output, detail, each, failOn, intents, options, limits };
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** `NS=KEY=VALUE[,KEY=VALUE...]` (or `NS=`): adds the labels to the namespace's declaration. */
function declareNamespace(into: { [namespace: string]: { [key: string]: string } }, text: string): void {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--namespace ${text}: write NAMESPACE=KEY=VALUE[,KEY=VALUE...], e.g. default=istio-injection=enabled`);
  const name = text.slice(0, eq);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    throw new UsageError(`--namespace ${text}: "${name}" is not a namespace name (a DNS label)`);
  }
  const labels = into[name] ?? (into[name] = {});
  const rest = text.slice(eq + 1);
  if (rest === '') return;
  for (const pair of rest.split(',')) {
    const at = pair.indexOf('=');
    const [key, val] = at < 0 ? [pair, undefined] : [pair.slice(0, at), pair.slice(at + 1)];
    if (val === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(val) || val.length > 63) {
      throw new UsageError(`--namespace ${text}: "${pair}" is not a label KEY=VALUE`);
    }
    labels[key] = val;
  }
}

/** What `check` says besides findings: what the cluster would not apply, the namespaces it assumed and what it did not evaluate. */
function formatInputNotes(model: MeshModel): string {
  const lines: string[] = [];
  if (model.notApplied.length > 0) {
    lines.push(`not applied (${model.notApplied.length}): the cluster would refuse these; the checks treat them as absent`, ...notAppliedLines(model.notApplied).map((l) => `    ${l}`));
  }
  if (model.namespaceAssumptions.length > 0) {
    lines.push(`namespaces not in the input (${model.namespaceAssumptions.length}):`, ...namespaceLines(model.namespaceAssumptions).map((l) => `    ${l}`));
  }
  if (model.notModelled.length > 0) {
    lines.push(`not modelled (${model.notModelled.length}): the checks treat these as absent`, ...inputNoteLines(model.notModelled).map((l) => `    ${l}`));
  }
  return terminalLines(lines);
}

/** Lines for a terminal: user strings escaped; `wrapped`: lines longer than 100 characters broken at spaces. */
function terminalLines(lines: readonly string[], wrapped = false): string {
  return lines.flatMap((l) => (wrapped ? wrap(forTerminal(l)) : [forTerminal(l)])).map((l) => `${l}\n`).join('');
}

function formatFindings(findings: readonly Finding[]): string {
  return terminalLines(findings.flatMap((f) => {
    const { head, resources, fix } = findingLines(f);
    return [head, ...resources.map((r) => `    ${r}`), `    ${fix}`];
  }), true);
}

const MAX_STDERR_NOTES = 20;

/** Tells on standard error what was not applied, naming the files (the report may go to a file). */
function tellNotApplied(notApplied: readonly NotApplied[], stderr: (s: string) => void): void {
  const lines = notAppliedLines(notApplied);
  for (const line of lines.slice(0, MAX_STDERR_NOTES)) stderr(`not applied: ${forTerminal(line)}\n`);
  if (lines.length > MAX_STDERR_NOTES) stderr(`not applied: ... and ${lines.length - MAX_STDERR_NOTES} more (see the report)\n`);
}

/** Writes to standard output, waiting while its buffer drains (a pipe to a slow reader). */
async function writeStdout(s: string): Promise<void> {
  if (!process.stdout.write(s)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: readonly string[], stdout: (s: string) => Promise<void> | void = writeStdout,
  stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr(`cdk8s-istio-security: ${forTerminal(err.message)}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    await stdout(USAGE);
    return 0;
  }
  const a = args;
  let fd: number | undefined;
  const write = async (s: string) => {
    if (fd === undefined) await stdout(s);
    else writeSync(fd, s);
  };
  try {
    if (a.command === 'diff') {
      if (a.output) fd = openSync(a.output, 'w');
      return await diffCommand(a, write, stderr);
    }
    const listed: NotApplied[] = [];
    const files = manifestFiles(a.paths, listed);
    const maxTotal = a.limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
    let read = 0;
    const units = a.each ? files.map((f) => [f]) : [files];
    const models = units.map((unit, i) => {
      const input = readFiles(unit, { maxFileBytes: a.limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, maxTotalBytes: maxTotal - read },
        i === 0 ? [...listed] : []);
      read += input.bytes;
      return { name: a.each ? unit[0] : a.paths.join(' '), objects: input.objects.length, model: new MeshModel(input.objects, a.options, input.problems) };
    });
    if (a.each && files.length === 0) models.push({ name: a.paths.join(' '), objects: 0, model: new MeshModel([], a.options, listed) });
    const notApplied = models.flatMap((m) => m.model.notApplied);
    for (const { model } of models) for (const w of model.warnings) stderr(`warning: ${forTerminal(w)}\n`);
    if (models.every((m) => m.objects === 0)) {
      tellNotApplied(notApplied, stderr);
      stderr(`cdk8s-istio-security: no Kubernetes objects in ${forTerminal(a.paths.join(', '))}${files.length > 0 ? ` (${plural(files.length, 'file')})` : ''}\n`);
      return 2;
    }
    const intents = a.intents === undefined ? [] : readIntents(a.intents);
    const checked = (model: MeshModel) => checkIntents(model, intents);
    if (a.output) fd = openSync(a.output, 'w');
    if (a.command === 'check') {
      let total = 0;
      for (const { name, model } of models) {
        const findings = findFindings(model);
        total += findings.length;
        const broken = checked(model).filter((r) => r.state !== 'holds');
        total += broken.length;
        for (const r of broken) await write(terminalLines([`intent ${r.state}: ${r.message}`]));
        await write(terminalLines([`${name}: ${findings.length === 0 ? 'no findings' : plural(findings.length, 'finding')}`]));
        if (findings.length > 0) await write(formatFindings(findings));
        await write(formatInputNotes(model));
      }
      if (notApplied.length > 0) {
        const files = [...new Set(notApplied.map((n) => n.manifest ?? 'input'))];
        stderr(`cdk8s-istio-security: ${plural(notApplied.length, 'input')} not applied (listed above), in ${forTerminal(files.slice(0, 5).join(', '))}${files.length > 5 ? ', ...' : ''}\n`);
      }
      return notApplied.length > 0 ? 3 : total > 0 ? 1 : 0;
    }
    tellNotApplied(notApplied, stderr);
    for (const { name, model } of models) {
      if (a.format === 'json') {
        for (const chunk of jsonChunks(model)) await write(chunk);
      } else if (a.format === 'svg') {
        await write(await renderSvg(model));
      } else if (a.format === 'snapshot') {
        await write((a.each ? `##### ${name}\n` : '') + toSnapshot(model));
      } else {
        const heading = a.each ? (a.format === 'markdown' ? `<!-- ${forMarkdown(name).replace(/--/g, '- -')} -->\n` : `##### ${forTerminal(name)}\n`) : '';
        await write(heading + (a.format === 'markdown' ? renderMarkdown(model, { detail: a.detail, intents: checked(model) }) : renderText(model, { detail: a.detail, intents: checked(model) })));
        if (a.each) await write('\n');
      }
    }
    return notApplied.length > 0 ? 3 : 0;
  } catch (err) {
    stderr(`cdk8s-istio-security: ${forTerminal(String((err as Error)?.message ?? err))}\n`);
    return 2;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The files of `root` (a folder, or one file) by their path in it. */
function filesByPath(root: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(root)) return files;
  const folder = statSync(root).isDirectory();
  for (const f of manifestFiles([root])) files.set(folder ? relative(root, f) : f, f);
  return files;
}

/**
 * `diff <before> <after>`: the whole of each side as one model, or with `--each` file by file,
 * paired by their path in the two folders (a file on one side only is all added or all removed).
 */
async function diffCommand(a: Args, write: (s: string) => Promise<void>, stderr: (s: string) => void): Promise<number> {
  const [before, after] = a.paths;
  for (const p of a.paths) if (!existsSync(p)) throw new Error(`${p}: no such file or folder`);
  const pairs: Array<{ name?: string; before: string[]; after: string[] }> = [];
  if (a.each) {
    const left = filesByPath(before);
    const right = filesByPath(after);
    for (const name of [...new Set([...left.keys(), ...right.keys()])].sort()) {
      pairs.push({ name, before: left.has(name) ? [left.get(name)!] : [], after: right.has(name) ? [right.get(name)!] : [] });
    }
  } else {
    pairs.push({ before: [before], after: [after] });
  }
  const found = new Set<FailOn>();
  const json: { [file: string]: object } = {};
  let changed = 0;
  for (const pair of pairs) {
    const model = (paths: string[]) => {
      const input = paths.length > 0 ? readManifests(paths, a.limits) : { objects: [], problems: [] };
      return new MeshModel(input.objects, a.options, input.problems);
    };
    const [ma, mb] = [model(pair.before), model(pair.after)];
    for (const w of new Set([...ma.warnings, ...mb.warnings])) stderr(`warning: ${w}\n`);
    const diff = diffModels(ma, mb);
    if (diff.hasChanges) changed++;
    for (const c of failing(diff, a.failOn)) found.add(c);
    const names = { before: pair.before[0] ?? `(no ${pair.name})`, after: pair.after[0] ?? `(no ${pair.name})` };
    if (a.each && a.format === 'json') {
      json[pair.name!] = diffJson(diff, names);
      continue;
    }
    if (a.each && !diff.hasChanges) continue;
    const heading = a.each ? (a.format === 'markdown' ? `<!-- ${pair.name} -->\n` : `##### ${pair.name}\n`) : '';
    const body = a.format === 'svg' ? await renderDiffSvg(diff) : a.format === 'json' ? renderDiffJson(diff, names) : a.format === 'markdown' ? renderDiffMarkdown(diff, names) : renderDiffText(diff, names);
    await write(heading + body + (a.each ? '\n' : ''));
  }
  if (a.each && a.format === 'json') await write(`${JSON.stringify({ files: json }, undefined, 2)}\n`);
  else if (a.each && changed === 0) {
    await write(a.format === 'markdown' ? '## Mesh diff: no changes\n\nNo file changes what the mesh does.\n' : 'No changes: no file changes what the mesh does.\n');
  }
  if (found.size > 0) {
    stderr(`cdk8s-istio-security: the diff has ${[...found].map((c) => (c === 'finding' ? 'added findings' : `${c} changes`)).join(', ')} (--fail-on ${a.failOn.join(',')})\n`);
    return 1;
  }
  return 0;
}

/** An intents file: YAML or JSON, a list of intents or documents with `intents:` (not Kubernetes objects, so not through the loader). */
function readIntents(path: string): IntentSpec[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as unknown);
  return parseIntents(docs.flatMap((d) => (Array.isArray(d) ? d : (d as { intents?: unknown[] } | null)?.intents ?? [])));
}
