// The cdk8s validation plugin: through cdk8s-cli's own ValidationContext, and under `cdk8s synth`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { buildExampleApp } from '../example/main';
import { MeshValidation } from '../src';
import { deployment, destinationRule, ensureBuilt, namespace, peerAuthentication, ROOT, service } from './model-fixtures';

// cdk8s-cli's own context class: `cdk8s-cli/plugins` at run time (its exports map), typed from the file behind it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidationContext } = require('cdk8s-cli/plugins') as typeof import('cdk8s-cli/lib/plugins');

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mesh-plugin-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BROKEN = [
  namespace('shop'), namespace('legacy', { 'istio-injection': 'disabled' }),
  deployment('shop', 'web'), deployment('shop', 'cart', { ports: [8080] }), service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }]),
  deployment('legacy', 'old', { ports: [80] }), service('legacy', 'old', [{ port: 80, name: 'http' }]),
  peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }),
  destinationRule('shop', 'old-mtls', { host: 'old.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
];

function context(manifests: string[]): any {
  return new ValidationContext(manifests, 'cdk8s-istio-security', '0.1.0', {}, false);
}

async function validate(manifests: string[], props = {}): Promise<any> {
  const ctx = context(manifests);
  const logged: string[] = [];
  ctx.logger.log = (m: string) => logged.push(m);
  await new MeshValidation(props).validate(ctx);
  return { report: ctx.report, logged };
}

test('the example app passes: its legacy clients refused by STRICT servers are expected outcomes', async () => {
  const out = join(dir, 'example');
  buildExampleApp(out).synth();
  const manifests = ['a1-strict-namespace', 'a2-mesh-wide', 'a2-namespace-wide', 'a2-workload', 'a4-identity-access', 'b1-http-egress', 'b5-egress-lockdown']
    .map((c) => join(out, `${c}.k8s.yaml`));
  // As in cdk8s.yaml: B1's client may bypass the gateway (B5 locks egress down), logged only.
  const { report, logged } = await validate(manifests, { ignore: ['egress-gateway-bypass'] });
  expect(report.success).toBe(true);
  expect(logged).toContainEqual(expect.stringMatching(/a2-mesh-wide\.k8s\.yaml: 18 calls \(8 mtls, 6 plaintext, 4 rejected, 0 denied, 0 failed, 0 blocked\), 0 egress paths, 0 findings$/));
  expect(logged).toContainEqual(expect.stringMatching(/b5-egress-lockdown\.k8s\.yaml: 0 calls .*, 1 egress path, 0 findings$/));
  expect(logged.filter((m: string) => m.startsWith('istio mesh model: ignored egress-gateway-bypass'))).toEqual([
    expect.stringContaining('edition.cnn.com:80 goes through the egress gateway (VirtualService default/edition-cnn-com), but default/sleep can reach it directly'),
  ]);
});

test('a broken configuration fails, naming the resources', async () => {
  const file = join(dir, 'broken.k8s.yaml');
  Yaml.save(file, BROKEN);
  const { report } = await validate([file]);
  expect(report.success).toBe(false);
  const json = report.toJson();
  expect(json.violations).toHaveLength(1);
  expect(json.violations[0]).toMatchObject({
    ruleName: 'istio-mutual-without-sidecar',
    recommendation: expect.stringContaining('DestinationRule shop/old-mtls sets ISTIO_MUTUAL, but the server has no sidecar'),
    violatingConstructs: [
      { resourceName: 'old-mtls', manifestPath: file, locations: ['DestinationRule shop/old-mtls: spec.trafficPolicy.tls.mode'] },
      { resourceName: 'old', manifestPath: file, locations: ['Deployment legacy/old: spec.template.metadata (sidecar injection)'] },
    ],
  });
});

test('ignored rules are logged, not failed; unknown properties are refused', async () => {
  const file = join(dir, 'broken-ignored.k8s.yaml');
  Yaml.save(file, BROKEN);
  const { report, logged } = await validate([file], { ignore: ['istio-mutual-without-sidecar'], summary: false });
  expect(report.success).toBe(true);
  expect(logged).toEqual([expect.stringMatching(/^istio mesh model: ignored istio-mutual-without-sidecar: /)]);
  expect(() => new MeshValidation({ ignore: ['no-such-rule'] })).toThrow(/not a rule/);
  expect(() => new MeshValidation({ scope: 'cluster' })).toThrow(/scope "cluster"/);
});

test('scope app models the manifests together', async () => {
  const a = join(dir, 'part-a.k8s.yaml');
  const b = join(dir, 'part-b.k8s.yaml');
  Yaml.save(a, BROKEN.slice(0, 5));
  Yaml.save(b, BROKEN.slice(5));
  expect((await validate([a, b])).report.success).toBe(true);
  expect((await validate([a, b], { scope: 'app' })).report.success).toBe(false);
});

test('cdk8s synth runs the plugin and fails on a broken app', () => {
  ensureBuilt();
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'main.js'), `
const { App, Chart, ApiObject } = require(${JSON.stringify(join(ROOT, 'node_modules', 'cdk8s'))});
const app = new App();
const chart = new Chart(app, 'broken');
const objects = ${JSON.stringify(BROKEN)};
objects.forEach((o, i) => new ApiObject(chart, o.kind + '-' + i, o));
app.synth();
`);
  writeFileSync(join(app, 'cdk8s.yaml'), [
    'language: typescript',
    'app: node main.js',
    'output: dist',
    'validations:',
    `  - package: ${join(ROOT, 'lib', 'src', 'validation-plugin.js')}`,
    '    version: 0.1.0',
    '    class: MeshValidation',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'), 'synth', '--no-check-upgrade'],
    { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status).toBe(2);
  expect(output).toContain('istio-mutual-without-sidecar');
  expect(output).toContain('Construct Path: broken/DestinationRule-8');
  expect(output).toContain('Resource Name: old-mtls');
  expect(output).toContain('Validation failed');
}, 120_000);

test('objects of one name: the construct path is given only where cdk8s\'s metadata surely names the object', () => {
  ensureBuilt();
  const app = join(dir, 'clash');
  mkdirSync(app);
  // cdk8s keys its construct metadata by object name: `default` maps to the DestinationRule (the last one).
  const objects = [
    namespace('shop'), deployment('shop', 'web'), deployment('shop', 'cart', { ports: [8080] }), service('shop', 'cart', [{ port: 80, targetPort: 8080, name: 'http' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }),
    destinationRule('shop', 'default', { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
  ];
  writeFileSync(join(app, 'main.js'), `
const { App, Chart, ApiObject } = require(${JSON.stringify(join(ROOT, 'node_modules', 'cdk8s'))});
const app = new App();
const chart = new Chart(app, 'clash');
${JSON.stringify(objects)}.forEach((o, i) => new ApiObject(chart, o.kind + '-' + i, o));
app.synth();
`);
  writeFileSync(join(app, 'cdk8s.yaml'), ['language: typescript', 'app: node main.js', 'output: dist', 'validations:',
    `  - package: ${join(ROOT, 'lib', 'src', 'validation-plugin.js')}`, '    version: 0.1.0', '    class: MeshValidation', ''].join('\n'));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'), 'synth', '--no-check-upgrade'],
    { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const output = `${r.stdout}${r.stderr}`;
  expect(output).toContain('plaintext-to-strict');
  const occurrences = output.split('- Construct Path: ').slice(1).map((o) => o.split('\n').slice(0, 3).join(' | '));
  expect(occurrences).toEqual([
    expect.stringMatching(/^clash\/DestinationRule-5 \| .*- Resource Name: default$/),
    expect.stringMatching(/^N\/A \| .*- Resource Name: PeerAuthentication shop\/default$/),
  ]);
}, 120_000);

test('objects the cluster would refuse fail synthesis as not-applied (or are logged when ignored)', async () => {
  const file = join(dir, 'refused.k8s.yaml');
  Yaml.save(file, [namespace('shop'), deployment('shop', 'web', { ports: [80] }), service('shop', 'web', [{ port: 80, name: 'http' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'strict' } })]);
  const { report, logged } = await validate([file]);
  expect(report.success).toBe(false);
  expect(report.toJson().violations).toEqual([expect.objectContaining({
    ruleName: 'not-applied',
    recommendation: expect.stringContaining('PeerAuthentication shop/default (spec.mtls.mode): "strict" is not one of'),
    violatingConstructs: [expect.objectContaining({ manifestPath: file, locations: ['PeerAuthentication shop/default: spec.mtls.mode'] })],
  })]);
  expect(logged).toContainEqual(expect.stringMatching(/refused\.k8s\.yaml: 1 call .*, 0 egress paths, 0 findings, 1 not applied$/));
  const ignored = await validate([file], { ignore: ['not-applied'], summary: false });
  expect(ignored.report.success).toBe(true);
  expect(ignored.logged).toEqual([expect.stringMatching(/^istio mesh model: ignored not-applied: PeerAuthentication shop\/default/)]);
});
