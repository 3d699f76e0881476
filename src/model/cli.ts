// `cdk8s-istio-security report|check <files or folders>`: the command line of the mesh model.

import { closeSync, openSync, writeSync } from 'node:fs';
import { findFindings } from './findings';
import { loadManifests, manifestFiles } from './load';
import { MeshModel } from './model';
import { renderMarkdown } from './render-markdown';
import { renderSvg } from './render-svg';
import { renderText } from './render-text';
import { jsonChunks } from './render-json';
import { DetailMode, inputNoteLines, namespaceLines } from './report-doc';
import { Finding, ModelOptions, refText } from './types';

const USAGE = `Usage:
  cdk8s-istio-security report <files or folders...> [options]
  cdk8s-istio-security check <files or folders...> [options]

Predicts from Kubernetes and Istio manifests alone (cdk8s synth output, Helm or kustomize
output, any YAML or JSON) what Istio does with every call between workloads - mTLS, plaintext,
rejected, denied or failed - and every path to an external host.

  report   prints the report
  check    prints what the model knows is broken; exits 1 when it finds anything

Options:
  --format text|json|markdown|svg  report format (default: text)
  --output FILE                    write to FILE instead of standard output
  --detail auto|detailed|aggregated
                                   text and markdown: a matrix per namespace pair, or groups of
                                   calls treated alike (default: auto, detailed for small inputs)
  --each                           model each file on its own (e.g. one cdk8s chart per file);
                                   text, markdown and check only
  --root-namespace NS              Istio's root namespace (default: istio-system)
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
  -h, --help                       this text
`;

const FORMATS = ['text', 'json', 'markdown', 'svg'];
const DETAILS = ['auto', 'detailed', 'aggregated'];

interface Args {
  readonly command: string;
  readonly paths: string[];
  readonly format: string;
  readonly output?: string;
  readonly detail: DetailMode;
  readonly each: boolean;
  readonly options: ModelOptions;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args | 'help' {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'report' && command !== 'check') throw new UsageError(`unknown command "${command}": use report or check`);
  const paths: string[] = [];
  const gateways: string[] = [];
  let format = 'text';
  let output: string | undefined;
  let detail: DetailMode = 'auto';
  let each = false;
  const options: { -readonly [K in keyof ModelOptions]: ModelOptions[K] } = {};
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
      case '--root-namespace': options.rootNamespace = value(); break;
      case '--trust-domain': options.trustDomain = value(); break;
      case '--cluster-domain': options.clusterDomain = value(); break;
      case '--egress-gateway': gateways.push(value()); break;
      case '--namespace': declareNamespace(namespaceLabels, value()); break;
      case '--assume-injected': options.assumeInjected = true; break;
      default:
        if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
        paths.push(arg);
    }
  }
  if (!FORMATS.includes(format)) throw new UsageError(`--format ${format}: use one of ${FORMATS.join(', ')}`);
  if (!DETAILS.includes(detail)) throw new UsageError(`--detail ${detail}: use one of ${DETAILS.join(', ')}`);
  if (paths.length === 0) throw new UsageError('give at least one manifest file or folder');
  if (each && (format === 'json' || format === 'svg') && command === 'report') throw new UsageError('--each works with --format text or markdown');
  if (gateways.length > 0) options.egressGatewayHosts = gateways;
  if (Object.keys(namespaceLabels).length > 0) options.namespaceLabels = namespaceLabels;
  return { command, paths, format, output, detail, each, options };
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

/** What `check` says besides findings: the namespaces it assumed and what it did not evaluate. */
function formatInputNotes(model: MeshModel): string {
  const lines: string[] = [];
  if (model.namespaceAssumptions.length > 0) {
    lines.push(`namespaces not in the input (${model.namespaceAssumptions.length}):`, ...namespaceLines(model.namespaceAssumptions).map((l) => `    ${l}`));
  }
  if (model.notModelled.length > 0) {
    lines.push(`not modelled (${model.notModelled.length}): the checks treat these as absent`, ...inputNoteLines(model.notModelled).map((l) => `    ${l}`));
  }
  return lines.map((l) => `${l}\n`).join('');
}

function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => [
    `${f.rule} (${f.count}): ${f.message}`,
    ...f.resources.map((r) => `    ${refText(r.ref)}${r.ref.manifest ? ` in ${r.ref.manifest}` : ''}: ${r.locations.join(', ')}`),
    `    fix: ${f.fix}`,
  ].join('\n')).join('\n');
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
    stderr(`cdk8s-istio-security: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    stdout(USAGE);
    return 0;
  }
  const a = args;
  let fd: number | undefined;
  const write = async (s: string) => {
    if (fd === undefined) await stdout(s);
    else writeSync(fd, s);
  };
  try {
    const units = a.each ? manifestFiles(a.paths).map((f) => [f]) : [a.paths];
    const models = units.map((paths) => ({ name: paths.join(' '), model: new MeshModel(loadManifests(paths), a.options) }));
    for (const { model } of models) for (const w of model.warnings) stderr(`warning: ${w}\n`);
    if (a.output) fd = openSync(a.output, 'w');
    if (a.command === 'check') {
      let total = 0;
      for (const { name, model } of models) {
        const findings = findFindings(model);
        total += findings.length;
        await write(`${name}: ${findings.length === 0 ? 'no findings' : `${findings.length} finding(s)`}\n`);
        if (findings.length > 0) await write(`${formatFindings(findings)}\n`);
        await write(formatInputNotes(model));
      }
      return total > 0 ? 1 : 0;
    }
    for (const { name, model } of models) {
      if (a.format === 'json') {
        for (const chunk of jsonChunks(model)) await write(chunk);
      } else if (a.format === 'svg') {
        await write(await renderSvg(model));
      } else {
        const heading = a.each ? (a.format === 'markdown' ? `<!-- ${name} -->\n` : `##### ${name}\n`) : '';
        await write(heading + (a.format === 'markdown' ? renderMarkdown(model, { detail: a.detail }) : renderText(model, { detail: a.detail })));
        if (a.each) await write('\n');
      }
    }
    return 0;
  } catch (err) {
    stderr(`cdk8s-istio-security: ${(err as Error).message}\n`);
    return 2;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
