// `cdk8s-istio-security report|check <files or folders>`: the command line of the mesh model.

import { closeSync, openSync, writeSync } from 'node:fs';
import { findFindings } from './findings';
import { loadManifests, manifestFiles } from './load';
import { MeshModel } from './model';
import { renderMarkdown } from './render-markdown';
import { renderSvg } from './render-svg';
import { renderText } from './render-text';
import { jsonChunks } from './render-json';
import { DetailMode } from './report-doc';
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
  return { command, paths, format, output, detail, each, options };
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
