// Hostile files for the command line and the loaders, made at test time in a temporary folder
// (FIFOs, devices behind symbolic links, huge and sparse files, UTF-16, link loops, escape
// sequences and HTML in names, ...). Each has its expected exit status and message: the CLI never
// hangs (every run has a time limit), stays within a small heap (--max-old-space-size), and exits
// non-zero naming the file on every bad input. The same files through MeshReport.fromFiles list
// the problem in notApplied instead of throwing. The counts are printed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errors, MeshReport } from '../src';
import { deployment, ensureBuilt, namespace, peerAuthentication, ROOT, service } from './model-fixtures';

const BIN = join(ROOT, 'bin', 'cdk8s-istio-security.js');
const HEAP_MB = 256;
const TIME_LIMIT_MS = 90_000;

interface Fixture {
  readonly name: string;
  /** Writes the files; returns the CLI arguments after the command. */
  readonly make: (dir: string) => string[];
  readonly command?: 'report' | 'check';
  readonly status: number;
  /** What standard error must say (the file, and why). */
  readonly stderr?: RegExp;
  /** What standard output must (or must not) hold. */
  readonly stdout?: RegExp;
  readonly stdoutNot?: RegExp;
  /** For the loader: a pattern one `notApplied` reason (with its file) must match; undefined: no problem expected. */
  readonly loader?: RegExp;
  /** Skip when the platform lacks what the fixture needs. */
  readonly needs?: () => boolean;
}

const yaml = (...objects: any[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');
const GOOD = yaml(namespace('shop'), deployment('shop', 'web', { ports: [8080] }), service('shop', 'web', [{ port: 80, targetPort: 8080, name: 'http' }]));
const write = (dir: string, name: string, text: string | Buffer) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const hasMkfifo = () => spawnSync('mkfifo', ['--version']).status === 0;
const fifo = (path: string) => {
  spawnSync('mkfifo', [path]);
  return path;
};
const sparse = (path: string, bytes: number) => {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return path;
};
const evil = (name: string) => ({ ...service('shop', 'web', [{ port: 80 }]), metadata: { name, namespace: 'shop' } });

const FIXTURES: Fixture[] = [
  { name: 'no arguments', make: () => [], command: undefined, status: 2, stderr: /give a command: report or check\n\nUsage:/ },
  { name: 'an unknown option', make: (d) => [write(d, 'a.yaml', GOOD), '--colour'], status: 2, stderr: /unknown option --colour/ },
  { name: 'a size that is not one', make: (d) => [write(d, 'a.yaml', GOOD), '--max-file-size', 'lots'], status: 2, stderr: /--max-file-size lots: give a size in bytes/ },
  { name: 'a missing file', make: (d) => [join(d, 'missing.yaml')], status: 2, stderr: /missing\.yaml: cannot read: no such file or folder/, loader: /missing\.yaml: cannot read: no such file or folder/ },
  { name: 'a FIFO given as a file', make: (d) => [fifo(join(d, 'pipe.yaml'))], status: 2, stderr: /pipe\.yaml: a FIFO \(named pipe\): only regular files are read/, loader: /a FIFO/, needs: hasMkfifo },
  {
    name: 'a FIFO in a manifest folder',
    make: (d) => { mkdirSync(join(d, 'f')); write(join(d, 'f'), 'a.yaml', GOOD); fifo(join(d, 'f', 'b.yaml')); return [join(d, 'f')]; },
    status: 3, stderr: /f\/b\.yaml: a FIFO/, stdout: /== Not applied \(1\) ==/, loader: /b\.yaml: a FIFO/, needs: hasMkfifo,
  },
  { name: '/dev/zero behind a symbolic link', make: (d) => { symlinkSync('/dev/zero', join(d, 'zero.yaml')); return [join(d, 'zero.yaml')]; }, command: 'check', status: 2, stderr: /zero\.yaml: a character device: only regular files are read/, loader: /a character device/, needs: () => existsSync('/dev/zero') },
  {
    name: '/dev/urandom behind a symbolic link in a folder',
    make: (d) => { mkdirSync(join(d, 'r')); write(join(d, 'r'), 'a.yaml', GOOD); symlinkSync('/dev/urandom', join(d, 'r', 'random.yml')); return [join(d, 'r')]; },
    status: 3, stderr: /random\.yml: a character device/, loader: /random\.yml: a character device/, needs: () => existsSync('/dev/urandom'),
  },
  { name: 'a 100 MiB (sparse) file', make: (d) => [sparse(join(d, 'huge.yaml'), 100 * 1024 * 1024)], status: 2, stderr: /huge\.yaml: 104,857,600 bytes: over the limit of 67,108,864 bytes a file/, loader: /over the limit of 67,108,864 bytes a file/ },
  { name: 'a file over --max-file-size', make: (d) => [write(d, 'a.yaml', GOOD), '--max-file-size', '0.1K'], status: 2, stderr: /a\.yaml: \d[\d,]* bytes: over the limit of 102 bytes a file/ },
  {
    name: 'files over --max-total-size together',
    make: (d) => [write(d, 'a.yaml', GOOD), write(d, 'b.yaml', GOOD.replace(/shop/g, 'shop2')), '--max-total-size', String(GOOD.length + 10)],
    status: 3, stderr: /b\.yaml: \d[\d,]* bytes: over the limit for all files together \(10 bytes were left of it\)/,
  },
  { name: 'a document over 3 MiB', make: (d) => [write(d, 'big.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: "${'x'.repeat(3.2 * 1024 * 1024)}"\n`)], status: 2, stderr: /big\.yaml, document 1: [\d,]+ characters: larger than the 3 MiB the API server accepts/, loader: /larger than the 3 MiB/ },
  { name: 'a document of a million tiny nodes', make: (d) => [write(d, 'nodes.yaml', `a: [${'0,'.repeat(1_000_000)}0]\n`)], status: 2, stderr: /nodes\.yaml, document 1: more than 300,000 YAML tokens/, loader: /more than 300,000 YAML tokens/ },
  {
    name: 'a mapping of 30,000 keys (the YAML library checks duplicates in quadratic time)',
    make: (d) => [write(d, 'keys.yaml', `${GOOD}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: keys, namespace: shop}\ndata:\n${Array.from({ length: 30_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`)],
    status: 0, stdout: /ISTIO MESH MODEL/,
  },
  { name: 'a key given twice', make: (d) => [write(d, 'dup.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nmetadata: {name: b}\n')], status: 2, stderr: /dup\.yaml, document 1: the key "metadata" appears twice in one mapping/, loader: /appears twice/ },
  { name: 'an alias bomb', make: (d) => [write(d, 'bomb.yaml', `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\n`)], status: 2, stderr: /bomb\.yaml, document 1: YAML error: Excessive alias count/, loader: /Excessive alias count/ },
  { name: 'a YAML syntax error', make: (d) => [write(d, 'bad.yaml', 'apiVersion: v1\nkind: [Namespace\n')], status: 2, stderr: /bad\.yaml, document 1: YAML error: /, loader: /YAML error/ },
  { name: 'JSON nested 100,000 deep', make: (d) => [write(d, 'deep.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)], status: 2, stderr: /deep\.json, document 1: a list, not a Kubernetes object/ },
  { name: 'YAML nested 200,000 deep', make: (d) => [write(d, 'deep.yaml', `a: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`)], status: 2, stderr: /deep\.yaml, document 1: /, loader: /deep\.yaml/ },
  { name: 'UTF-16 LE with a byte-order mark', make: (d) => [write(d, 'u16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]))], status: 2, stderr: /u16\.yaml: UTF-16 text \(byte-order mark FF FE\): kubectl reads at most its first document/, loader: /UTF-16/ },
  { name: 'UTF-16 BE with a byte-order mark', make: (d) => [write(d, 'u16be.yaml', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(GOOD, 'utf16le').swap16()]))], status: 2, stderr: /u16be\.yaml: UTF-16 text \(byte-order mark FE FF\)/ },
  { name: 'UTF-16 without a byte-order mark', make: (d) => [write(d, 'u16nobom.yaml', Buffer.from(GOOD, 'utf16le'))], status: 2, stderr: /u16nobom\.yaml, document 1: control character U\+0000/ },
  { name: 'a binary file', make: (d) => [write(d, 'bin.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0x00]))], status: 2, stderr: /bin\.yaml: not UTF-8 text \(invalid byte at offset 3\)/, loader: /not UTF-8 text/ },
  { name: 'UTF-8 with a byte-order mark (kubectl reads it)', make: (d) => [write(d, 'bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)]))], status: 0, stdout: /1 workload \(1 with a sidecar\) in 1 namespace, 1 server port/ },
  { name: 'an empty file', make: (d) => [write(d, 'empty.yaml', '')], status: 2, stderr: /empty\.yaml: empty file: no Kubernetes objects/, loader: /empty file/ },
  { name: 'only null documents', make: (d) => [write(d, 'null.yaml', '---\n~\n---\nnull\n')], status: 2, stderr: /null\.yaml: no Kubernetes objects \(2 empty documents\)/ },
  { name: 'only comments', make: (d) => [write(d, 'comments.yaml', '# nothing here\n\n# at all\n')], status: 2, stderr: /comments\.yaml: no Kubernetes objects \(only comments or blank lines\)/ },
  { name: 'a scalar document', make: (d) => [write(d, 'scalar.yaml', 'hello\n')], status: 2, stderr: /scalar\.yaml, document 1: a string \("hello"\), not a Kubernetes object/, loader: /a string/ },
  { name: 'package.json', make: (d) => [write(d, 'package.json', JSON.stringify({ name: 'app', version: '1.0.0' }))], status: 2, stderr: /package\.json, document 1: a mapping without apiVersion and kind: not a Kubernetes object\ncdk8s-istio-security: no Kubernetes objects in [^\n]*package\.json/ },
  { name: 'a folder without manifests', make: (d) => { mkdirSync(join(d, 'docs')); write(join(d, 'docs'), 'README.md', '# hi'); return [join(d, 'docs')]; }, status: 2, stderr: /no Kubernetes objects in [^\n]*docs\n/ },
  { name: 'an escape sequence in a raw YAML name', make: (d) => [write(d, 'esc.yaml', `${GOOD}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: "a\u001b[2Jb"}\n`)], status: 3, stderr: /esc\.yaml, document 4: control character U\+001B on line \d+: YAML does not allow it/ },
  {
    name: 'an escape sequence and a newline in a JSON-escaped name',
    make: (d) => [write(d, 'good.yaml', GOOD), write(d, 'esc.json', JSON.stringify(evil('x\u001b[31mred\nFAKE: line\u202e')))],
    status: 3, stderr: /Service shop\/x\\x1b\[31mred\\nFAKE: line\\u202e \(metadata\.name\): "x\\u001b\[31mred\\nFAKE: line\\u202e" is not a valid name/, stdoutNot: /[\u001b\u202e]|\nFAKE/,
  },
  {
    name: 'HTML and pipes in a name, in Markdown',
    make: (d) => [write(d, 'good.yaml', GOOD), write(d, 'html.json', JSON.stringify(evil('<img src=x onerror=alert(1)>|`x`|'))), '--format', 'markdown'],
    status: 3, stdout: /Service shop\/&lt;img src=x onerror=alert\(1\)>\\\|\\`x\\`\\\|/, stdoutNot: /<img/,
  },
  { name: 'a 100,000-character name', make: (d) => [write(d, 'good.yaml', GOOD), write(d, 'long.json', JSON.stringify(evil('a'.repeat(100_000))))], status: 3, stderr: /"a{80}"\.\.\. \(100,000 characters\) is not a valid name/ },
  { name: 'a Service port named by a number', make: (d) => [write(d, 'svc.yaml', `${GOOD}\n---\n${yaml(service('shop', 'api', [{ port: 80, name: 8080 as any }]))}`)], status: 3, stderr: /Service shop\/api \(spec\.ports\[0\]\.name\): must be a string, not number 8080; refused by the API server's schema \([^\n]*svc\.yaml, document 4\)/, stdout: /== Not applied \(1\) ==/, loader: /must be a string, not number 8080/ },
  { name: 'a lower-case mTLS mode, in check', make: (d) => [write(d, 'pa.yaml', `${GOOD}\n---\n${yaml(peerAuthentication('shop', 'default', { mtls: { mode: 'strict' } }))}`)], command: 'check', status: 3, stdout: /not applied \(1\): the cluster would refuse these[^\n]*\n {4}PeerAuthentication shop\/default \(spec\.mtls\.mode\): "strict" is not one of/, stderr: /1 input not applied \(listed above\), in [^\n]*pa\.yaml/ },
  {
    name: 'a symbolic link loop between folders',
    make: (d) => { mkdirSync(join(d, 'l')); write(join(d, 'l'), 'a.yaml', GOOD); symlinkSync('..', join(d, 'l', 'up')); mkdirSync(join(d, 'l', 'sub')); symlinkSync(join(d, 'l'), join(d, 'l', 'sub', 'back')); return [join(d, 'l')]; },
    status: 3, stderr: /l\/sub\/back: the folder "[^"]*l" again \(a symbolic link loop\): read once/,
  },
  {
    name: 'a symbolic link to a folder elsewhere (followed)',
    make: (d) => { mkdirSync(join(d, 'elsewhere')); write(join(d, 'elsewhere'), 'a.yaml', GOOD); mkdirSync(join(d, 'here')); symlinkSync(join(d, 'elsewhere'), join(d, 'here', 'linked')); return [join(d, 'here')]; },
    status: 0, stdout: /1 workload /,
  },
  { name: 'a dangling symbolic link', make: (d) => { mkdirSync(join(d, 'dl')); write(join(d, 'dl'), 'a.yaml', GOOD); symlinkSync(join(d, 'nowhere.yaml'), join(d, 'dl', 'gone.yaml')); return [join(d, 'dl')]; }, status: 3, stderr: /gone\.yaml: cannot read: no such file or folder/ },
  { name: 'a /proc file (says it is empty, is not)', make: (d) => { symlinkSync('/proc/self/status', join(d, 'status.yaml')); return [join(d, 'status.yaml')]; }, status: 2, stderr: /status\.yaml/, needs: () => existsSync('/proc/self/status') },
  { name: 'the report written to a file, the problem still told', make: (d) => [write(d, 'good.yaml', GOOD), write(d, 'svc2.json', JSON.stringify(service('shop', 'api', [{ port: 80, name: 8080 as any }]))), '--output', join(d, 'out.txt')], status: 3, stderr: /not applied: Service shop\/api/ },
];

interface Run { readonly status: number | null; readonly signal: string | null; readonly stdout: string; readonly stderr: string }

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: TIME_LIMIT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { if (stdout.length < 4_000_000) stdout += c; });
    child.stderr.on('data', (c) => { if (stderr.length < 4_000_000) stderr += c; });
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

const active = FIXTURES.filter((f) => !f.needs || f.needs());
const runs = new Map<string, Run>();
const loaderResults = new Map<string, string[] | Error>();
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mesh-hostile-'));
  const jobs = active.map((f, i) => {
    const d = join(dir, String(i));
    mkdirSync(d);
    const args = f.make(d);
    const command = 'command' in f ? f.command : 'report';
    return { f, args: command ? [command, ...args] : args, paths: args.filter((a, j) => !a.startsWith('-') && !(args[j - 1] ?? '').startsWith('-')) };
  });
  // The loaders, in this process: MeshReport.fromFiles never throws on a bad file.
  for (const { f, paths } of jobs) {
    if (!f.loader) continue;
    try {
      loaderResults.set(f.name, MeshReport.fromFiles(paths).notApplied.map((n) => `${n.manifest}: ${n.reason}`));
    } catch (err) {
      loaderResults.set(f.name, err as Error);
    }
  }
  // The CLI, three at a time.
  let next = 0;
  await Promise.all([0, 1, 2].map(async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      runs.set(job.f.name, await runCli(job.args));
    }
  }));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  const statuses = new Map<number, number>();
  for (const f of active) statuses.set(f.status, (statuses.get(f.status) ?? 0) + 1);
  const cliOk = active.filter((f) => runs.get(f.name)?.status === f.status).length;
  const loaders = active.filter((f) => f.loader);
  const loaderOk = loaders.filter((f) => {
    const r = loaderResults.get(f.name);
    return Array.isArray(r) && r.some((line) => f.loader!.test(line));
  }).length;
  // eslint-disable-next-line no-console
  console.log(`hostile files: ${active.length} fixtures (${FIXTURES.length - active.length} skipped on this platform); `
    + `CLI ${cliOk}/${active.length} with the expected exit status (${[...statuses].sort().map(([s, n]) => `exit ${s}: ${n}`).join(', ')}), `
    + `each under ${TIME_LIMIT_MS / 1000} s and a ${HEAP_MB} MB heap; loaders ${loaderOk}/${loaders.length} listing the problem without throwing`);
});

describe.each(active)('$name', (f) => {
  test(`exits ${f.status}${f.stderr ? ', naming the file' : ''}`, () => {
    const r = runs.get(f.name)!;
    expect({ status: r.status, signal: r.signal }).toEqual({ status: f.status, signal: null });
    if (f.stderr) expect(r.stderr).toMatch(f.stderr);
    if (f.stdout) expect(r.stdout).toMatch(f.stdout);
    if (f.stdoutNot) expect(r.stdout).not.toMatch(f.stdoutNot);
    expect(r.stderr).not.toMatch(/\u001b|TypeError|at .*\.js:\d+/);
    if (f.status !== 0 && f.status !== 1) expect(r.stderr).not.toBe('');
  });
  if (f.loader) {
    test('MeshReport.fromFiles lists it in notApplied', () => {
      const r = loaderResults.get(f.name);
      expect(r).toBeInstanceOf(Array);
      expect((r as string[]).join('\n')).toMatch(f.loader!);
    });
  }
});

describe('MeshReport.fromFiles refuses what is not a list of paths', () => {
  test.each([
    ['a string (it walked the filesystem from /)', '/x.yaml', /paths must be a list of files or folders, not the string "\/x\.yaml": pass \["\/x\.yaml"\]/],
    ['a number', 42, /paths must be a list of files or folders, not 42/],
    ['a list holding a number', [42], /paths\[0\] must be a file or folder name, not 42/],
  ])('%s', (_, paths, message) => {
    let error: unknown;
    try {
      MeshReport.fromFiles(paths as any);
    } catch (err) {
      error = err;
    }
    expect(Errors.isIstioSecurityError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(message);
  });

  test('limits that are not sizes', () => {
    expect(() => MeshReport.fromFiles([], { maxFileBytes: -1 })).toThrow(/maxFileBytes must be a whole number of bytes, not -1/);
    expect(() => MeshReport.fromFiles([], { maxTotalBytes: '1G' as any })).toThrow(/maxTotalBytes must be a whole number of bytes, not "1G"/);
  });
});
