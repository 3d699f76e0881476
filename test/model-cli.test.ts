// The command line `cdk8s-istio-security report|check`, run as a user runs it: node bin/... on
// manifests written to a temporary folder (the example app synthesized there, as `npm run synth` does).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { buildExampleApp } from '../example/main';
import { deployment, destinationRule, ensureBuilt, namespace, peerAuthentication, ROOT, service } from './model-fixtures';

const BIN = join(ROOT, 'bin', 'cdk8s-istio-security.js');
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
  buildExampleApp(join(dir, 'dist')).synth();
  Yaml.save(join(dir, 'broken.yaml'), [
    namespace('shop'), deployment('shop', 'web'), deployment('shop', 'cart', { ports: [8080] }),
    service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }),
    destinationRule('shop', 'cart-plain', { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const A2 = () => join(dir, 'dist', 'a2-mesh-wide.k8s.yaml');

test('text', () => {
  const r = run('report', A2());
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('ISTIO MESH MODEL');
  expect(r.stdout).toContain('Calls: mtls 8, plaintext 6, rejected 4, denied 0, failed 0, blocked 0.');
  expect(r.stdout).toMatch(/legacy\/sleep\s+rejected \[\d+\]/);
});

test('json', () => {
  const r = run('report', A2(), '--format', 'json');
  expect(r.status).toBe(0);
  const json = JSON.parse(r.stdout);
  expect(json.workloads).toHaveLength(6);
  expect(json.connections).toHaveLength(18);
  expect(json.connections.filter((c: any) => c.outcome === 'rejected').map((c: any) => `${c.from} -> ${c.to}`)).toEqual([
    'legacy/httpbin -> bar/httpbin', 'legacy/httpbin -> foo/httpbin', 'legacy/sleep -> bar/httpbin', 'legacy/sleep -> foo/httpbin',
  ]);
});

test('markdown, to a file', () => {
  const out = join(dir, 'report.md');
  const r = run('report', A2(), '--format=markdown', '--output', out);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('');
  const md = readFileSync(out, 'utf8');
  expect(md).toMatch(/^# Istio mesh model\n/);
  expect(md).toContain('### legacy -> foo');
});

test('svg', () => {
  const r = run('report', A2(), '--format', 'svg');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('<svg');
  // Refusals are counted in the legend, not drawn.
  expect(r.stdout).toContain('4 refused calls not drawn: 4 rejected');
});

test('a folder of charts, each on its own', () => {
  const r = run('report', join(dir, 'dist'), '--each');
  expect(r.status).toBe(0);
  const charts = readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.k8s.yaml'));
  expect(charts.length).toBeGreaterThanOrEqual(14);
  expect(r.stdout.match(/^##### /gm)).toHaveLength(charts.length);
  expect(r.stdout).toContain('ISTIO MESH MODEL');
});

test('a folder modelled as one deployment warns about objects given twice', () => {
  const r = run('report', join(dir, 'dist'), '--detail', 'aggregated');
  expect(r.status).toBe(0);
  expect(r.stderr).toContain('warning: Namespace foo appears more than once');
  expect(r.stdout).toContain('== Calls (aggregated) ==');
});

test('check: the example\'s only findings are the bypasses its charts without a lock-down allow; a DISABLE DestinationRule against STRICT fails', () => {
  const example = run('check', join(dir, 'dist'), '--each');
  expect(example.status).toBe(1);
  const withFindings = example.stdout.split('\n').filter((l) => /^\S+\.k8s\.yaml: \d+ finding/.test(l)).map((l) => l.replace(/^.*\//, ''));
  expect(withFindings.map((l) => l.replace(/:.*/, ''))).toEqual([
    'b1-http-egress.k8s.yaml', 'b2-tls-passthrough.k8s.yaml', 'b3-tls-origination.k8s.yaml', 'b4-mtls-origination.k8s.yaml', 'c-many-routes.k8s.yaml',
  ]);
  const rules = example.stdout.split('\n').filter((l) => /^[a-z-]+ \(\d+\): /.test(l)).map((l) => l.replace(/ .*/, ''));
  expect(new Set(rules)).toEqual(new Set(['egress-gateway-bypass']));
  const r = run('check', join(dir, 'broken.yaml'));
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/plaintext-to-strict \(2\): shop\/\w+ -> shop\/cart:80 rejected: DestinationRule shop\/cart-plain sets\s+DISABLE/);
  expect(r.stdout).toContain('DestinationRule shop/cart-plain in');
  expect(r.stdout).toContain('PeerAuthentication shop/default in');
});

test('usage errors exit 2', () => {
  expect(run('report', A2(), '--format', 'pdf')).toMatchObject({ status: 2, stderr: expect.stringContaining('--format pdf: use one of text, json, markdown, svg') });
  expect(run('report').status).toBe(2);
  expect(run('report', join(dir, 'missing.yaml')).status).toBe(2);
  expect(run('--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('Usage:') });
});

test('JSON input works as well as YAML', () => {
  const file = join(dir, 'objects.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [namespace('a'), deployment('a', 'x', { ports: [80] }), service('a', 'x', [{ port: 80 }])] }));
  const json = JSON.parse(run('report', file, '--format', 'json').stdout);
  expect(json.connections).toEqual([expect.objectContaining({ from: 'a/x', to: 'a/x', outcome: 'mtls' })]);
});

describe('what a newcomer trips over (issue 14)', () => {
  test('without arguments: the usage on standard error, exit 2', () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('give a command: report or check');
    expect(r.stderr).toContain('Usage:');
  });

  test('inputs without Kubernetes objects are named; none at all exits 2', () => {
    const pkg = join(dir, 'package.json');
    writeFileSync(pkg, JSON.stringify({ name: 'app', version: '1.0.0' }));
    const none = run('report', pkg);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(`not applied: ${pkg}, document 1: a mapping without apiVersion and kind: not a Kubernetes object`);
    expect(none.stderr).toContain(`no Kubernetes objects in ${pkg}`);
    const some = run('report', A2(), pkg);
    expect(some.status).toBe(3);
    expect(some.stdout).toContain(`== Not applied (1) ==`);
    expect(some.stdout).toContain(`${pkg}, document 1: a mapping without apiVersion and kind`);
  });

  test('counts in the right number, saying what they count', () => {
    const one = join(dir, 'one.yaml');
    Yaml.save(one, [namespace('a'), deployment('a', 'x', { ports: [80] }), service('a', 'x', [{ port: 80, name: 'http' }])]);
    const text = run('report', one, '--detail', 'aggregated').stdout;
    expect(text).toContain('1 workload (1 with a sidecar) in 1 namespace, 1 server port (a Service port on a workload it selects), 1 call, 0 egress paths.');
    expect(text).toContain('1 call in 1 group of calls that every policy treats alike.');
    expect(run('check', join(dir, 'broken.yaml')).stdout).toMatch(/broken\.yaml: 1 finding\n/);
  });

  test('text findings are laid out and wrapped as check prints them', () => {
    const text = run('report', join(dir, 'broken.yaml')).stdout;
    const findings = text.slice(text.indexOf('== Findings (1) =='), text.indexOf('\n\n', text.indexOf('== Findings (1) ==')));
    expect(findings).toMatch(/\n {2}plaintext-to-strict \(2\): shop\/\w+ -> shop\/cart:80 rejected:/);
    expect(findings).toMatch(/\n {6}DestinationRule shop\/cart-plain in \S+broken\.yaml:\s+spec\.trafficPolicy\.tls\.mode/);
    expect(findings).toMatch(/\n {6}fix: Drop tls\.mode DISABLE/);
    expect(findings.split('\n').filter((l) => l.length > 100 && l.trim().includes(' '))).toEqual([]);
  });
});
