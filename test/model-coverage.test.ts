// What the model does not know is said, never dropped: objects and fields it does not evaluate
// ("not modelled", in every format and in `check`), namespaces the input does not hold (assumed or
// declared), and wildcard ServiceEntry hosts (egress rows of their own).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, Yaml } from 'cdk8s';
import { mtlsOriginationChart } from '../example/egress-charts';
import { MeshReport, NamespaceLabelSource, ReportFormat } from '../src';
import { MeshModel, renderMarkdown, renderText, toDot, toJsonReport } from '../src/model';
import { authorizationPolicy, deployment, ensureBuilt, namespace, ROOT, service } from './model-fixtures';

const BIN = join(ROOT, 'bin', 'cdk8s-istio-security.js');

function obj(apiVersion: string, kind: string, ns: string | undefined, name: string, spec: any = {}, extra: any = {}): any {
  return { apiVersion, kind, metadata: { name, ...(ns ? { namespace: ns } : {}) }, spec, ...extra };
}

const SKIPPED = [
  namespace('shop'), deployment('shop', 'web', { ports: [8080] }), service('shop', 'web', [{ port: 80, targetPort: 8080, name: 'http' }]),
  obj('networking.istio.io/v1', 'Sidecar', 'shop', 'default', { egress: [{ hosts: ['./*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }),
  obj('networking.istio.io/v1alpha3', 'EnvoyFilter', 'shop', 'lua'),
  obj('networking.istio.io/v1', 'WorkloadEntry', 'shop', 'vm-1', { address: '10.0.0.9' }),
  obj('gateway.networking.k8s.io/v1', 'HTTPRoute', 'shop', 'web-route'),
  obj('extensions.istio.io/v1alpha1', 'WasmPlugin', 'shop', 'jwt'),
  authorizationPolicy('shop', 'waypoint-only', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], rules: [{}] }),
  obj('example.com/v1', 'Widget', 'shop', 'w'),
  obj('telemetry.istio.io/v1', 'Telemetry', 'shop', 'logs'),
  obj('v1', 'ConfigMap', 'shop', 'settings', undefined, { data: { a: 'b' } }),
  obj('v1', 'ConfigMap', 'istio-system', 'istio', undefined, { data: { mesh: 'outboundTrafficPolicy: {mode: REGISTRY_ONLY}' } }),
  obj('v1', 'Service', 'shop', 'dns', { selector: { app: 'web' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  obj('v1', 'Service', 'shop', 'manual', { ports: [{ name: 'http', port: 80 }] }),
  obj('v1', 'Service', 'shop', 'alias', { type: 'ExternalName', externalName: 'db.example.com' }),
  obj('networking.istio.io/v1', 'VirtualService', 'shop', 'web-faults', {
    hosts: ['web'], http: [{ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, route: [{ destination: { host: 'web' } }] }],
  }),
];

describe('not modelled: listed with a reason, kind by kind', () => {
  const model = MeshModel.of(SKIPPED);
  const entries = model.notModelled.map((n) => `${n.ref.kind} ${n.ref.namespace}/${n.ref.name}${n.field ? ` ${n.field}` : ''}`);

  test('kinds that change traffic, targetRef policies, unknown kinds, mesh config, ports and Services the calls leave out', () => {
    expect(entries).toEqual([
      'Sidecar shop/default spec.egress', 'EnvoyFilter shop/lua', 'WorkloadEntry shop/vm-1', 'HTTPRoute shop/web-route', 'WasmPlugin shop/jwt',
      'AuthorizationPolicy shop/waypoint-only spec.targetRefs', 'Widget shop/w', 'ConfigMap istio-system/istio data.mesh',
      'Service shop/dns spec.ports[0].protocol', 'Service shop/manual spec.selector', 'Service shop/alias spec.externalName',
      'VirtualService shop/web-faults spec.http[0].fault',
    ]);
    const reason = (kind: string) => model.notModelled.find((n) => n.ref.kind === kind)!.reason;
    expect(reason('Sidecar')).toMatch(/limits the hosts a sidecar sees: only its outboundTrafficPolicy is modelled/);
    expect(reason('HTTPRoute')).toMatch(/Gateway API/);
    expect(reason('Widget')).toMatch(/a kind the model does not know \(example\.com\/v1\)/);
    // Harmless kinds (Telemetry, an ordinary ConfigMap) are not listed; targetRef policies are not evaluated either.
    expect(entries.some((e) => e.startsWith('Telemetry') || e.includes('settings'))).toBe(false);
    expect(model.inventory.authorizationPolicies).toEqual([]);
    expect(model.warnings).toEqual([]);
  });

  test('a section in text, markdown, JSON and the SVG legend', () => {
    const text = renderText(model);
    expect(text).toContain('== Not modelled (12) ==');
    expect(text).toMatch(/\n {2}Sidecar shop\/default \(spec.egress\): limits the hosts/);
    expect(text).toContain('AuthorizationPolicy shop/waypoint-only (spec.targetRefs): applies to gateways or waypoints');
    expect(renderMarkdown(model)).toMatch(/## Not modelled \(12\)\n\n.*\n\n- Sidecar shop\/default \(spec.egress\): /);
    const json = toJsonReport(model);
    expect(json.notModelled).toContainEqual({
      kind: 'EnvoyFilter', namespace: 'shop', name: 'lua', manifest: undefined, field: undefined, reason: expect.stringMatching(/patches the generated Envoy/),
    });
    expect(JSON.parse(MeshReport.fromManifests(SKIPPED).render(ReportFormat.JSON)).notModelled).toHaveLength(12);
    expect(toDot(model)).toMatch(/not modelled \(drawn as if absent\): Sidecar \(1\), EnvoyFilter \(1\), WorkloadEntry \(1\), HTTPRoute \(1\), WasmPlugin \(1\), AuthorizationPolicy \(1\), \+4 more; see the text report/);
  });

  test('objects of one kind and reason share a line', () => {
    const many = MeshModel.of([namespace('a'), ...['x', 'y', 'z', 'u', 'v', 'w', 't'].map((n) => obj('networking.istio.io/v1', 'Sidecar', 'a', n, { egress: [{ hosts: ['./*'] }] }))]);
    expect(renderText(many)).toMatch(/ {2}Sidecar a\/x, a\/y, a\/z, a\/u, a\/v, \+2 more \(spec.egress\): limits/);
    // A Sidecar with nothing but an outbound policy is modelled, not listed.
    expect(MeshModel.of([namespace('a'), obj('networking.istio.io/v1', 'Sidecar', 'a', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })]).notModelled).toEqual([]);
  });

  test('MeshReport lists them', () => {
    expect(MeshReport.fromManifests(SKIPPED).notModelled[0]).toEqual({
      kind: 'Sidecar', namespace: 'shop', name: 'default', field: 'spec.egress', reason: expect.stringMatching(/^limits the hosts/),
    });
  });

  test('mesh routes between mesh services are listed; routes to the egress gateway are egress paths, modelled', () => {
    const routed = MeshModel.of([...SKIPPED.slice(0, 3), obj('networking.istio.io/v1', 'VirtualService', 'shop', 'canary', {
      hosts: ['web'], http: [{ route: [{ destination: { host: 'web', subset: 'v1' }, weight: 90 }, { destination: { host: 'web', subset: 'v2' }, weight: 10 }] }],
    })]);
    expect(routed.notModelled.map((n) => `${n.field}: ${n.reason}`)).toEqual([
      'spec.http[0].route: sends mesh calls to web.shop.svc.cluster.local on to web.shop.svc.cluster.local subset v1, web.shop.svc.cluster.local subset v2: '
      + 'the calls show the Service as addressed, its endpoints and its DestinationRule',
    ]);
    expect(MeshModel.of(mtlsOriginationChart(Testing.app()).toJson()).notModelled).toEqual([]);
  });

  test('with nothing skipped there is no section', () => {
    expect(renderText(MeshModel.of(SKIPPED.slice(0, 3)))).not.toContain('Not modelled');
  });
});

describe('namespaces the input does not hold', () => {
  const objects = [deployment('default', 'productpage', { ports: [9080] }), service('default', 'productpage', [{ port: 9080, name: 'http' }]),
    deployment('default', 'reviews', { ports: [9080] }), service('default', 'reviews', [{ port: 9080, name: 'http' }]),
    deployment('legacy', 'sleep')];

  test('without a declaration they are assumed unlabelled (no injection), and the report says so', () => {
    const model = MeshModel.of(objects);
    expect(model.namespaceAssumptions.map((a) => `${a.name} ${a.source}`)).toEqual(['default assumed', 'legacy assumed']);
    expect(model.workloads().every((w) => !w.sidecar)).toBe(true);
    expect(model.workloads()[0].sidecarReason).toBe('no injection label on the namespace or the pod (namespace default is not in the input: labels assumed)');
    const text = renderText(model);
    expect(text).toContain('== Namespaces not in the input (2) ==\n  default: not in the input: assumed without labels, so Istio injects no sidecar');
    expect(renderMarkdown(model)).toContain('## Namespaces not in the input (2)\n\n- default: not in the input: assumed without labels');
    expect(toJsonReport(model).namespaces).toEqual([
      { name: 'default', source: 'assumed', labels: {}, how: expect.stringMatching(/^not in the input: assumed without labels/) },
      { name: 'legacy', source: 'assumed', labels: {}, how: expect.stringMatching(/^not in the input/) },
    ]);
    expect(toDot(model)).toContain('namespaces not in the input: default (assumed, no labels), legacy (assumed, no labels)');
  });

  test('declared labels are used; assumeInjected injects the rest; a Namespace in the input wins over its declaration', () => {
    const model = MeshModel.of([...objects, namespace('shop', {})], {
      namespaceLabels: { default: { 'istio-injection': 'enabled', team: 'books' }, shop: { 'istio-injection': 'enabled' } }, assumeInjected: true,
    });
    expect(model.namespaceAssumptions).toEqual([
      { name: 'default', source: 'declared', labels: { 'istio-injection': 'enabled', 'team': 'books' }, how: 'declared with labels istio-injection=enabled, team=books' },
      { name: 'legacy', source: 'assumed', labels: { 'istio-injection': 'enabled' }, how: 'not in the input: assumed istio-injection=enabled (assume injected)' },
    ]);
    expect(model.workloads().map((w) => `${w.id} ${w.sidecar}`)).toEqual(['default/productpage true', 'default/reviews true', 'legacy/sleep true']);
    expect(model.workloads()[0].sidecarReason).toBe('namespace label istio-injection=enabled (namespace default as declared)');
    expect(model.inventory.namespaces.get('default')!.labels).toEqual({ 'istio-injection': 'enabled', 'team': 'books', 'kubernetes.io/metadata.name': 'default' });
    expect(model.warnings).toEqual(['namespace shop is in the input: its own labels are used, not the declared ones']);
    expect(model.outcomeCounts().mtls).toBe(6);
  });

  test('MeshReport options', () => {
    const report = MeshReport.fromManifests(objects, { namespaceLabels: { default: { 'istio-injection': 'enabled' } } });
    expect(report.assumedNamespaces.map((a) => `${a.name} ${a.source}`)).toEqual(['default declared', 'legacy assumed']);
    expect(report.assumedNamespaces[0].source).toBe(NamespaceLabelSource.DECLARED);
    expect(report.workloads.filter((w) => w.sidecar).map((w) => w.id)).toEqual(['default/productpage', 'default/reviews']);
  });
});

describe('wildcard ServiceEntry hosts', () => {
  const se = (name: string, hosts: string[], spec: any = {}) => obj('networking.istio.io/v1', 'ServiceEntry', 'shop', name, {
    hosts, ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'https', protocol: 'HTTPS' }], ...spec,
  });

  test('get egress rows of their own, saying what Istio does with them', () => {
    const model = MeshModel.of([namespace('shop'), deployment('shop', 'web'), se('google', ['accounts.google.com', '*.googleapis.com'])]);
    const rows = [...model.egress()];
    expect(rows.map((r) => `${r.host}:${r.port} ${r.via} ${r.tls}`)).toEqual([
      '*.googleapis.com:80 direct none', '*.googleapis.com:443 direct passthrough', 'accounts.google.com:80 direct none', 'accounts.google.com:443 direct passthrough',
    ]);
    expect(rows[1].reason).toMatch(/^wildcard host \*\.googleapis\.com \(any subdomain without a ServiceEntry host of its own\) goes to the address the app resolved \(resolution NONE\): sidecar connects directly/);
    expect(rows[2].reason).not.toContain('wildcard');
    expect(model.notModelled).toEqual([]);
  });

  test('a TCP port without addresses takes the other connections on its port (a wildcard listener): listed as not modelled', () => {
    const tcp = (name: string, spec: any = {}) => obj('networking.istio.io/v1', 'ServiceEntry', 'shop', name, {
      hosts: [`${name}.example.com`], ports: [{ number: 27017, name: 'mongo', protocol: 'MONGO' }, { number: 443, name: 'tls', protocol: 'TLS' }], ...spec,
    });
    const model = MeshModel.of([namespace('shop'), deployment('shop', 'web'), tcp('db'), tcp('pinned', { addresses: ['240.0.0.9'] })]);
    expect(model.notModelled.map((n) => `${n.ref.name} ${n.field}`)).toEqual(['db spec.ports[0]']);
    expect(model.notModelled[0].reason).toMatch(/^MONGO port 27017 without addresses: every sidecar it is exported to listens on 0\.0\.0\.0:27017/);
  });

  test('hosts Istio refuses are listed as not applied', () => {
    const model = MeshModel.of([namespace('shop'), deployment('shop', 'web'), se('dns', ['*.example.com'], { resolution: 'DNS' }), se('all', ['*'])]);
    expect([...model.egress()]).toEqual([]);
    expect(model.notModelled).toEqual([]);
    expect(model.notApplied.map((n) => `${n.ref!.name} ${n.field}: ${n.reason} (${n.source})`)).toEqual([
      'dns spec.hosts: hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode DNS, '
        + 'domain name "*.example.com" invalid (label "*" invalid) (Istio\'s validation)',
      'all spec.hosts[0]: hostname cannot be wildcard (the CRD schema)',
    ]);
  });
});

describe('the command line', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mesh-coverage-'));
    Yaml.save(join(dir, 'skipped.yaml'), SKIPPED);
    Yaml.save(join(dir, 'bare.yaml'), [deployment('default', 'web', { ports: [80] }), service('default', 'web', [{ port: 80, name: 'http' }]),
      deployment('default', 'client'), authorizationPolicy('default', 'web', { selector: { matchLabels: { app: 'web' } }, rules: [{}] })]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

  test('check lists what it did not evaluate and the namespaces it assumed', () => {
    const r = run('check', join(dir, 'skipped.yaml'));
    expect(r.stdout).toContain('not modelled (12): the checks treat these as absent\n    Sidecar shop/default (spec.egress): limits the hosts');
    // istio-system holds no pod: its labels change nothing, so it is not listed.
    expect(r.stdout).not.toContain('namespaces not in the input');
    expect(run('check', join(dir, 'bare.yaml')).stdout).toContain('namespaces not in the input (1):\n    default: not in the input: assumed without labels');
  });

  test('--namespace declares labels (repeatable, several per namespace); --assume-injected injects the rest', () => {
    const declared = JSON.parse(run('report', join(dir, 'bare.yaml'), '--format', 'json', '--namespace', 'default=istio-injection=enabled,team=web',
      '--namespace=default=tier=1').stdout);
    expect(declared.namespaces).toEqual([{ name: 'default', source: 'declared', labels: { 'istio-injection': 'enabled', 'team': 'web', 'tier': '1' }, how: expect.any(String) }]);
    expect(declared.workloads.map((w: any) => w.sidecar)).toEqual([true, true]);
    const injected = JSON.parse(run('report', join(dir, 'bare.yaml'), '--format', 'json', '--assume-injected').stdout);
    expect(injected.namespaces[0]).toMatchObject({ name: 'default', source: 'assumed', labels: { 'istio-injection': 'enabled' } });
    expect(injected.connections.every((c: any) => c.outcome === 'mtls')).toBe(true);
    const text = run('report', join(dir, 'bare.yaml'), '--namespace', 'default=').stdout;
    expect(text).toContain('default: declared without labels');
  });

  test.each([
    ['default', /--namespace default: write NAMESPACE=KEY=VALUE/],
    ['Default=a=b', /"Default" is not a namespace name/],
    ['default=istio-injection', /"istio-injection" is not a label KEY=VALUE/],
    ['default=a=b c', /"a=b c" is not a label KEY=VALUE/],
  ])('--namespace %s is refused', (value, message) => {
    const r = run('report', join(dir, 'bare.yaml'), '--namespace', value);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
