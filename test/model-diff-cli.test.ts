// `cdk8s-istio-security diff`, run as a CI job runs it: node bin/... on the example synthesized to
// two folders, `--fail-on` exit codes, and the Markdown comment read back by a CommonMark parser.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp } from '../example/main';
import { ensureBuilt, ROOT } from './model-fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const commonmark = require('commonmark');

const BIN = join(ROOT, 'bin', 'cdk8s-istio-security.js');
let dir: string;
const dist = () => join(dir, 'dist');
const file = (name: string) => join(dist(), `${name}.k8s.yaml`);

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mesh-diff-cli-'));
  buildExampleApp(dist()).synth();
  // Two branches' dist/: A2 goes from namespace-wide to workload STRICT, A3 is dropped, A4 is new.
  mkdirSync(join(dir, 'main'));
  mkdirSync(join(dir, 'pr'));
  copyFileSync(file('a2-namespace-wide'), join(dir, 'main', 'a2.k8s.yaml'));
  copyFileSync(file('a2-workload'), join(dir, 'pr', 'a2.k8s.yaml'));
  for (const name of ['a1-strict-namespace', 'a3-sidecar-annotation']) copyFileSync(file(name), join(dir, 'main', `${name}.k8s.yaml`));
  for (const name of ['a1-strict-namespace', 'a4-identity-access']) copyFileSync(file(name), join(dir, 'pr', `${name}.k8s.yaml`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--fail-on exit codes', () => {
  test('namespace-wide -> workload has an exposure and a breakage', () => {
    const args = ['diff', file('a2-namespace-wide'), file('a2-workload')];
    expect(run(...args).status).toBe(0);
    expect(run(...args, '--fail-on', 'exposure')).toMatchObject({ status: 1, stderr: expect.stringContaining('the diff has exposure changes') });
    expect(run(...args, '--fail-on', 'breakage').status).toBe(1);
    expect(run(...args, '--fail-on=exposure,breakage').status).toBe(1);
    expect(run(...args, '--fail-on', 'finding').status).toBe(0);
  });

  test('mesh-wide -> namespace-wide has an exposure and no breakage', () => {
    const args = ['diff', file('a2-mesh-wide'), file('a2-namespace-wide')];
    expect(run(...args, '--fail-on', 'breakage').status).toBe(0);
    expect(run(...args, '--fail-on', 'exposure').status).toBe(1);
  });

  test('a finding added fails `finding`', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `${readFileSync(file('a2-workload'), 'utf8')}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: plain, namespace: foo }
spec: { host: httpbin.foo.svc.cluster.local, trafficPolicy: { tls: { mode: DISABLE } } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: foo }
spec: { mtls: { mode: STRICT } }
`);
    const r = run('diff', file('a2-workload'), broken, '--fail-on', 'finding');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Findings: 1 added, 0 resolved/);
    expect(r.stdout).toContain('added: plaintext-to-strict');
  });

  test('no changes: says so and exits 0, whatever --fail-on', () => {
    const r = run('diff', file('a4-identity-access'), file('a4-identity-access'), '--fail-on', 'exposure,breakage,other,finding');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No changes: every call and egress path, workload, Service port and finding is the same.');
    const md = run('diff', file('a4-identity-access'), file('a4-identity-access'), '--format', 'markdown');
    expect(md.stdout).toMatch(/^## Mesh diff: no changes\n/);
  });

  test('usage errors exit 2', () => {
    expect(run('diff', file('a2-mesh-wide'))).toMatchObject({ status: 2, stderr: expect.stringContaining('diff takes two files or folders') });
    expect(run('diff', file('a2-mesh-wide'), file('a2-workload'), '--fail-on', 'typo')).toMatchObject({ status: 2, stderr: expect.stringContaining('--fail-on typo: use exposure, breakage, other, finding') });
    expect(run('diff', file('a2-mesh-wide'), file('a2-workload'), '--format', 'snapshot').status).toBe(2);
    expect(run('diff', file('a2-mesh-wide'), file('a2-workload'), '--format', 'svg').stdout).toContain('<svg');
    expect(run('diff', file('a2-mesh-wide'), join(dir, 'nothing-here')).status).toBe(2);
    expect(run('report', file('a2-mesh-wide'), '--fail-on', 'exposure').status).toBe(2);
  });
});

describe('folders', () => {
  test('--each pairs files by name; a file on one side only is all added or removed', () => {
    const r = run('diff', join(dir, 'main'), join(dir, 'pr'), '--each', '--fail-on', 'breakage');
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('##### a1-strict-namespace.k8s.yaml');
    expect(r.stdout).toContain('##### a2.k8s.yaml');
    expect(r.stdout).toMatch(/##### a3-sidecar-annotation\.k8s\.yaml\nMESH DIFF\nBefore \S+a3-sidecar-annotation\.k8s\.yaml: 2 workloads[^\n]*\nAfter \(no a3-sidecar-annotation\.k8s\.yaml\): 0 workloads/);
    expect(r.stdout).toMatch(/Workloads: 3 added, 0 removed/);
    const json = JSON.parse(run('diff', join(dir, 'main'), join(dir, 'pr'), '--each', '--format', 'json').stdout);
    expect(Object.keys(json.files)).toEqual(['a1-strict-namespace.k8s.yaml', 'a2.k8s.yaml', 'a3-sidecar-annotation.k8s.yaml', 'a4-identity-access.k8s.yaml']);
    expect(json.files['a1-strict-namespace.k8s.yaml'].hasChanges).toBe(false);
  });
});

/** The Markdown's blocks as CommonMark parses them: [type, text] of each top-level block. */
function blocks(md: string): Array<[string, string]> {
  const doc = new commonmark.Parser().parse(md);
  const out: Array<[string, string]> = [];
  for (let node = doc.firstChild; node; node = node.next) {
    let text = '';
    const walker = node.walker();
    for (let e = walker.next(); e; e = walker.next()) if (e.entering && (e.node.type === 'text' || e.node.type === 'code')) text += e.node.literal;
    out.push([node.type === 'heading' ? `heading${node.level}` : node.type, node.type === 'html_block' ? node.literal.trim() : text]);
  }
  return out;
}

describe('markdown, as a pull-request comment', () => {
  const md = () => run('diff', file('a2-namespace-wide'), file('a2-workload'), '--format', 'markdown').stdout;

  test('the summary comes first: a heading with the classes, the versions, a count table, the exposures and breakages', () => {
    const b = blocks(md());
    expect(b[0]).toEqual(['heading2', 'Mesh diff: 1 exposure, 1 breakage, 2 other changes']);
    expect(b[1][0]).toBe('paragraph');
    expect(b[1][1]).toMatch(/^Before \S+a2-namespace-wide\.k8s\.yaml: 6 workloads, 18 calls, 0 egress paths, 0 findings\.After /);
    // commonmark parses GFM tables as a paragraph of pipes; the rows are there in order.
    expect(b[2][1]).toContain('| exposure | 1 | 2 | 0 |');
    const titles = b.filter(([type]) => type === 'paragraph').map(([, t]) => t);
    expect(titles).toContain('Exposures (something refused now succeeds, or is less protected)');
    expect(titles).toContain('Breakages (something that succeeded now fails)');
    const firstDetails = b.findIndex(([type, t]) => type === 'html_block' && t.startsWith('<details>'));
    const exposures = b.findIndex(([, t]) => t.startsWith('Exposures'));
    expect(exposures).toBeGreaterThan(0);
    expect(exposures).toBeLessThan(firstDetails);
    expect(b[exposures + 1]).toEqual(['list', expect.stringContaining('2 calls (legacy -> foo): rejected -> plaintext, e.g. legacy/httpbin -> foo/httpbin:8000')]);
  });

  test('details are folded: every <details> has a <summary> and is closed; tables inside parse as GFM rows', () => {
    const text = md();
    const b = blocks(text);
    const opens = b.filter(([type, t]) => type === 'html_block' && t.startsWith('<details>'));
    const closes = b.filter(([type, t]) => type === 'html_block' && t === '</details>');
    expect(opens.length).toBeGreaterThanOrEqual(2);
    expect(closes).toHaveLength(opens.length);
    for (const [, t] of opens) expect(t).toMatch(/^<details>\n<summary>[^<]+<\/summary>$/);
    expect(opens.map(([, t]) => t.split('\n')[1])).toEqual([
      '<summary>Calls: 4 groups of calls changed alike, 12 calls</summary>',
      '<summary>Changed calls, one by one (12)</summary>',
    ]);
    // A blank line after <summary> so that GitHub renders the Markdown inside.
    expect(text).toContain('</summary>\n\n| CLASS |');
    const table = text.split('\n').filter((l) => l.startsWith('| exposure | legacy/'));
    expect(table).toEqual([
      '| exposure | legacy/httpbin | foo/httpbin:8000 | rejected -> plaintext | [1] |',
      '| exposure | legacy/sleep | foo/httpbin:8000 | rejected -> plaintext | [1] |',
    ]);
  });
});

test('report and check --intents FILE: intents as data, for manifests made elsewhere', () => {
  const intents = join(dir, 'intents.yaml');
  writeFileSync(intents, 'intents:\n  - mustAllow: { from: photo-ns/photo-frontend, to: datastore-ns/datastore }\n  - mustDeny: { from: photo-ns/photo-frontend, to: datastore-ns/datastore }\n');
  const check = run('check', file('a4-identity-access'), '--intents', intents);
  expect(check.status).toBe(1);
  expect(check.stdout).toMatch(/^intent violated: mustAllow workload:photo-ns\/photo-frontend -> workload:datastore-ns\/datastore: violated by 1 of 1 call: .* predicted denied: /);
  const report = run('report', file('a4-identity-access'), '--intents', intents);
  expect(report.stdout).toContain('== Intents (2, 1 not holding) ==\n  VIOLATED mustAllow');
  expect(report.stdout).toContain('  HOLDS mustDeny workload:photo-ns/photo-frontend -> workload:datastore-ns/datastore: holds (1 call)');
  writeFileSync(intents, 'intents: [{ mustAllow: { from: photo-ns/photo-frontend } }]\n');
  expect(run('check', file('a4-identity-access'), '--intents', intents)).toMatchObject({ status: 2, stderr: expect.stringContaining('intents[0].mustAllow.to: required') });
});
