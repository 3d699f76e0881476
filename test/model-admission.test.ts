// The model evaluates only what the cluster would apply: objects the CRD schema, the API server
// or Istio's validation refuses are listed as not applied (with the field and who refuses them),
// and the API server's defaults are applied as it applies them. istioctl, where present, is the
// oracle for the Istio kinds: what the model refuses, `istioctl validate` refuses too, and what it
// accepts, istioctl accepts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { httpEgressChart } from '../example/egress-charts';
import { MeshReport, ReportFormat } from '../src';
import { findFindings, MeshModel, renderMarkdown, renderText, toDot, toJsonReport } from '../src/model';
import { admit } from '../src/model/admission';
import { labelMap, matchesSelector } from '../src/model/labels';
import { CEL_RULES, celRuleTexts } from '../src/model/schema';
import { findIstioctl } from './istioctl-path';
import { authorizationPolicy, call, deployment, destinationRule, namespace, peerAuthentication, ROOT, service } from './model-fixtures';

const istio = (apiVersion: string, kind: string, name: string, spec: any, metadata: any = {}) => ({ apiVersion, kind, metadata: { name, namespace: 'shop', ...metadata }, spec });
const ap = (name: string, spec: any) => authorizationPolicy('shop', name, spec);
const se = (name: string, spec: any) => istio('networking.istio.io/v1', 'ServiceEntry', name, spec);
const gw = (name: string, spec: any) => istio('networking.istio.io/v1', 'Gateway', name, spec);
const vs = (name: string, spec: any) => istio('networking.istio.io/v1', 'VirtualService', name, spec);
const np = (name: string, spec: any) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec });

interface Case {
  readonly what: string;
  readonly object: any;
  /** The field named, and a pattern of the reason; undefined: applied. */
  readonly refused?: readonly [string, RegExp];
}

const CASES: Case[] = [
  { what: 'lower-case mtls.mode', object: peerAuthentication('shop', 'p', { mtls: { mode: 'strict' } }), refused: ['spec.mtls.mode', /"strict" is not one of .*"STRICT" \(enum values are case-sensitive\)/] },
  { what: 'lower-case action', object: ap('a', { action: 'deny', rules: [{}] }), refused: ['spec.action', /"deny" is not one of "ALLOW", "DENY", "AUDIT", "CUSTOM"/] },
  { what: 'principals: [] alone', object: ap('a', { rules: [{ from: [{ source: { principals: [] } }] }] }), refused: ['spec.rules[0].from[0].source', /must not be empty.*Istio reads an empty list as no list/] },
  { what: 'ports: [] alone', object: ap('a', { rules: [{ to: [{ operation: { ports: [] } }] }] }), refused: ['spec.rules[0].to[0].operation', /must not be empty/] },
  { what: 'principals: [] with namespaces', object: ap('a', { rules: [{ from: [{ source: { principals: [], namespaces: ['foo'] } }] }] }) },
  { what: 'from: [] (the rule matches every request)', object: ap('a', { rules: [{ from: [] }] }) },
  { what: 'an unknown field', object: ap('a', { rules: [{}], priority: 1 }), refused: ['spec.priority', /unknown field/] },
  { what: 'a wrong type', object: peerAuthentication('shop', 'p', { selector: { matchLabels: 'app=web' }, mtls: { mode: 'STRICT' } }), refused: ['spec.selector.matchLabels', /must be an object, not string/] },
  { what: 'a path template Envoy cannot match', object: ap('a', { rules: [{ to: [{ operation: { paths: ['/a}'] } }] }] }), refused: ['spec.rules[0].to[0].operation.paths', /beyond a supported path template/] },
  { what: 'DENY without rules', object: ap('a', { action: 'DENY' }), refused: ['spec.rules', /DENY action without `rules` is meaningless/] },
  { what: 'CUSTOM without a provider', object: ap('a', { action: 'CUSTOM', rules: [{}] }), refused: ['spec.provider.name', /must not be empty/] },
  { what: 'an unknown condition key', object: ap('a', { rules: [{ when: [{ key: 'source.color', values: ['red'] }] }] }), refused: ['spec.rules[0].when[0].values', /unknown attribute/] },
  { what: 'port-level mTLS without a selector', object: peerAuthentication('shop', 'p', { portLevelMtls: { 8080: { mode: 'DISABLE' } } }), refused: ['spec', /portLevelMtls requires selector/] },
  { what: 'a port out of range', object: peerAuthentication('shop', 'p', { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 70000: { mode: 'DISABLE' } } }), refused: ['spec.portLevelMtls', /port must be between 1-65535/] },
  { what: 'an empty traffic policy', object: destinationRule('shop', 'd', { host: 'web', trafficPolicy: {} }), refused: ['spec.trafficPolicy', /traffic policy must have at least one field/] },
  { what: 'MUTUAL without a client certificate', object: destinationRule('shop', 'd', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'MUTUAL' } } }), refused: ['spec.trafficPolicy.tls.clientCertificate', /client certificate required/] },
  { what: 'a ServiceEntry for every host', object: se('s', { hosts: ['*'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }), refused: ['spec.hosts[0]', /hostname cannot be wildcard/] },
  { what: 'a ServiceEntry port protocol Istio does not know', object: se('s', { hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP3' }], resolution: 'DNS' }), refused: ['spec.ports[0].protocol', /unsupported protocol/] },
  { what: 'a Gateway without servers', object: gw('g', { selector: { istio: 'egressgateway' }, servers: [] }), refused: ['spec.servers', /gateway must have at least one server/] },
  { what: 'a VirtualService without routes', object: vs('v', { hosts: ['web'] }), refused: ['spec', /http, tcp or tls must be provided/] },
  { what: 'a negative weight', object: vs('v', { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' }, weight: -1 }] }] }), refused: ['spec.http[0].route[0].weight', /weight -1 < 0/] },
  { what: 'a 400,000-character path (checked in one pass)', object: ap('a', { rules: [{ to: [{ operation: { paths: [`${'/'.repeat(200_000)}x}${'/'.repeat(200_000)}`] } }] }] }), refused: ['spec.rules[0].to[0].operation.paths', /\.\.\. \(400,002 characters\), found in paths/] },
  { what: 'a 200,000-character host (checked in one pass)', object: se('s', { hosts: [`${'a.'.repeat(100_000)}!`], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }), refused: ['spec.hosts[0]', /too long \(max 255\)/] },
  { what: 'a valid VirtualService', object: vs('v', { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }] }] }) },
  { what: 'an apiVersion Istio does not serve', object: istio('security.istio.io/v2', 'PeerAuthentication', 'p', { mtls: { mode: 'STRICT' } }), refused: ['apiVersion', /does not serve PeerAuthentication \(served: security.istio.io\/v1, security.istio.io\/v1beta1\)/] },
];

const K8S_CASES: Case[] = [
  { what: 'a Service port named by a number', object: service('shop', 'web', [{ port: 80, name: 8080 as any }]), refused: ['spec.ports[0].name', /must be a string, not number 8080/] },
  { what: 'two unnamed Service ports', object: service('shop', 'web', [{ port: 80 }, { port: 81 }]), refused: ['spec.ports[0].name', /required when the Service has more than one port/] },
  { what: 'a Service port out of range', object: service('shop', 'web', [{ port: 0, name: 'http' }]), refused: ['spec.ports[0].port', /from 1 to 65535/] },
  { what: 'a Service name that is not a DNS-1035 label', object: service('shop', '1web', [{ port: 80 }]), refused: ['metadata.name', /DNS-1035 label/] },
  { what: 'a Deployment whose selector does not match its pods', object: { ...deployment('shop', 'web'), spec: { ...deployment('shop', 'web').spec, selector: { matchLabels: { app: 'other' } } } }, refused: ['spec.template.metadata.labels', /`selector` does not match template `labels`/] },
  { what: 'a Deployment without containers', object: { ...deployment('shop', 'web'), spec: { ...deployment('shop', 'web').spec, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } } }, refused: ['spec.template.spec.containers', /at least one container/] },
  { what: 'a Deployment in a removed apiVersion', object: { ...deployment('shop', 'web'), apiVersion: 'extensions/v1beta1' }, refused: ['apiVersion', /does not serve Deployment \(served: apps\/v1\)/] },
  { what: 'a container port out of range', object: deployment('shop', 'web', { ports: [70000] }), refused: ['spec.template.spec.containers[0].ports[0].containerPort', /from 1 to 65535/] },
  { what: 'a lower-case policy type', object: np('n', { podSelector: {}, policyTypes: ['egress'] }), refused: ['spec.policyTypes[0]', /"egress" is not Ingress or Egress/] },
  { what: 'an ipBlock that is not a CIDR', object: np('n', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0' } }] }] }), refused: ['spec.egress[0].to[0].ipBlock.cidr', /not a CIDR/] },
  { what: 'a Namespace name in upper case', object: namespace('Shop'), refused: ['metadata.name', /DNS-1123 label/] },
  { what: 'a label value too long', object: namespace('shop', { team: 'x'.repeat(64) }), refused: ['metadata.labels["team"]', /not a valid label value/] },
  { what: 'an object without a kind', object: { apiVersion: 'v1', metadata: { name: 'x' } }, refused: ['kind', /kind must be set/] },
];

function refusedBy(object: any) {
  return admit([{ object }]).notApplied;
}

describe.each([...CASES, ...K8S_CASES])('$what', ({ object, refused }) => {
  test(refused ? `refused at ${refused[0]}` : 'applied', () => {
    const notApplied = refusedBy(object);
    if (!refused) {
      expect(notApplied).toEqual([]);
      return;
    }
    expect(notApplied).toHaveLength(1);
    expect(notApplied[0].field).toBe(refused[0]);
    expect(notApplied[0].reason).toMatch(refused[1]);
  });
});

test('Istio reads an empty list as no list: principals: [] beside namespaces allows by namespace alone', () => {
  const objects = [
    namespace('shop'), namespace('foo'), deployment('shop', 'web', { ports: [80] }), service('shop', 'web', [{ port: 80, name: 'http' }]),
    deployment('foo', 'client'), peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
    ap('web', { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: [], namespaces: ['foo'] } }] }] }),
  ];
  const m = MeshModel.of(objects);
  expect(m.notApplied).toEqual([]);
  expect(call(m, 'foo/client', 'shop/web', 80).outcome).toBe('mtls');
  expect(call(m, 'shop/web', 'shop/web', 80).outcome).toBe('denied');
});

describe('NetworkPolicy policyTypes, defaulted as the API server does (SetDefaults_NetworkPolicy)', () => {
  const withPolicy = (spec: any) => MeshModel.of([...httpEgressChart(Testing.app()).toJson(),
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'lockdown', namespace: 'default' }, spec }]);
  const bypass = (m: MeshModel) => findFindings(m).some((f) => f.rule === 'egress-gateway-bypass');

  test('egress: [] without policyTypes is Ingress only: egress stays open, the bypass finding stays', () => {
    expect(bypass(withPolicy({ podSelector: {}, egress: [] }))).toBe(true);
    expect(bypass(withPolicy({ podSelector: {} }))).toBe(true);
  });

  test('policyTypes [Egress] with no rules isolates egress', () => {
    expect(bypass(withPolicy({ podSelector: {}, policyTypes: ['Egress'] }))).toBe(false);
    expect(bypass(withPolicy({ podSelector: {}, policyTypes: ['Egress'], egress: [] }))).toBe(false);
  });

  test('egress rules without policyTypes imply Egress', () => {
    const onlyDns = { podSelector: {}, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] };
    expect(bypass(withPolicy(onlyDns))).toBe(false);
    const stored = admit([{ object: np('n', onlyDns) }]).admitted[0].object;
    expect(stored.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });
});

test('Service defaults: protocol TCP, targetPort = port; the input object is not changed', () => {
  const svc = service('shop', 'web', [{ port: 80 }]);
  const stored = admit([{ object: svc }]).admitted[0].object;
  expect(stored.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  expect(svc.spec.ports).toEqual([{ port: 80 }]);
});

describe('one bad object never sinks the report', () => {
  const objects = [
    namespace('shop'), deployment('shop', 'web', { ports: [8080] }), service('shop', 'web', [{ port: 80, targetPort: 8080, name: 'http' }]),
    { ...service('shop', 'bad', [{ port: 80, name: 8080 as any }]) },
    { ...peerAuthentication('shop', 'default', { mtls: { mode: 'strict' } }), metadata: { name: 'default', namespace: 'shop' } },
  ];
  const model = MeshModel.of(objects.map((object, i) => ({ object, manifest: 'shop.yaml', document: i + 1 })));

  test('the rest is modelled; the bad objects are listed with their file, document and field', () => {
    expect(call(model, 'shop/web', 'shop/web', 80).outcome).toBe('mtls');
    expect(model.notApplied.map((n) => `${n.ref!.kind} ${n.ref!.name} ${n.manifest}#${n.document} ${n.field}`)).toEqual([
      'Service bad shop.yaml#4 spec.ports[0].name', 'PeerAuthentication default shop.yaml#5 spec.mtls.mode',
    ]);
  });

  test('in every format', () => {
    expect(renderText(model)).toContain('== Not applied (2) ==\n');
    expect(renderText(model)).toContain('  Service shop/bad (spec.ports[0].name): must be a string, not number 8080; refused by the API server\'s schema (shop.yaml, document 4)');
    expect(renderMarkdown(model)).toContain('## Not applied (2)');
    expect(toJsonReport(model).notApplied[1]).toEqual({
      kind: 'PeerAuthentication', namespace: 'shop', name: 'default', manifest: 'shop.yaml', document: 5, field: 'spec.mtls.mode',
      reason: '"strict" is not one of "UNSET", "DISABLE", "PERMISSIVE", "STRICT" (enum values are case-sensitive)', source: 'the CRD schema',
    });
    expect(toDot(model)).toContain('not applied (the cluster would refuse them; drawn as if absent): Service shop/bad, PeerAuthentication shop/default');
  });

  test('through MeshReport', () => {
    const report = MeshReport.fromManifests(objects);
    expect(report.notApplied.map((n) => `${n.kind} ${n.name} ${n.field} ${n.refusedBy}`)).toEqual([
      "Service bad spec.ports[0].name the API server's schema", 'PeerAuthentication default spec.mtls.mode the CRD schema',
    ]);
    expect(JSON.parse(report.render(ReportFormat.JSON)).notApplied).toHaveLength(2);
  });
});

test('label keys that every object inherits (constructor, toString) are not labels a pod has', () => {
  expect(matchesSelector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, labelMap({ app: 'web' }))).toBe(false);
  expect(matchesSelector({ matchLabels: { constructor: 'x' } }, labelMap({ app: 'web' }))).toBe(false);
  expect(matchesSelector({ matchExpressions: [{ key: 'constructor', operator: 'In', values: ['x'] }] }, labelMap({ constructor: 'x' }))).toBe(true);
});

test('every CEL rule of the CRDs the model reads has its meaning written out', () => {
  expect(celRuleTexts().filter((rule) => !CEL_RULES[rule])).toEqual([]);
});

test('src/model/schemas.generated.ts is what the generator makes from the pinned sources (skipped, saying so, without them)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-model-schemas.mjs'), '--check'], { encoding: 'utf8' });
  // eslint-disable-next-line no-console
  if (r.stdout.includes('skipped')) console.warn(r.stdout.trim());
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

const HOSTILE_VALUES = [null, 0, -1, 1.5, 70000, '', 'x'.repeat(300), 'strict', '\u001b[31m', '__proto__', true, [], [null], {}, { __proto__: 1 }, 'a\nb', '*'];

test('hostile values anywhere in valid objects: the model never throws, and every object is applied or listed', () => {
  const base = [
    namespace('shop'), deployment('shop', 'web', { ports: [8080] }), service('shop', 'web', [{ port: 80, targetPort: 8080, name: 'http' }]),
    peerAuthentication('shop', 'default', { mtls: { mode: 'STRICT' } }), destinationRule('shop', 'web', { host: 'web', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
    ap('web', { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { ports: ['8080'] } }] }] }),
    np('n', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }),
  ];
  const leaves = (o: any, path: string[] = []): string[][] => (o && typeof o === 'object'
    ? Object.keys(o).flatMap((k) => [[...path, k], ...leaves(o[k], [...path, k])]) : []);
  const seed = Number(process.env.FC_SEED ?? Date.now() % 100000);
  // eslint-disable-next-line no-console
  console.log(`hostile model values: seed ${seed} (replay with FC_SEED=${seed})`);
  fc.assert(fc.property(fc.nat(base.length - 1), fc.nat(1000), fc.constantFrom(...HOSTILE_VALUES), (i, at, value) => {
    const objects = JSON.parse(JSON.stringify(base));
    const paths = leaves(objects[i]);
    const path = paths[at % paths.length];
    let o = objects[i];
    for (const k of path.slice(0, -1)) o = o[k];
    o[path[path.length - 1]] = value;
    const m = MeshModel.of(objects);
    const text = renderText(m);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const applied = admit(objects.map((object: any) => ({ object }))).admitted.length;
    expect(applied + m.notApplied.length).toBe(objects.length);
  }), { seed, numRuns: Number(process.env.FC_RUNS ?? 300) });
});

const istioctl = findIstioctl();
(istioctl ? describe : describe.skip)('istioctl validate agrees on the Istio kinds', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mesh-admission-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  test.each(CASES.filter((c) => !c.object.apiVersion.endsWith('/v2')))('$what', ({ object, refused }) => {
    const file = join(dir, 'object.json');
    writeFileSync(file, JSON.stringify(object));
    const r = spawnSync(istioctl!, ['validate', '-f', file], { encoding: 'utf8' });
    expect({ refused: r.status !== 0, output: `${r.stdout}${r.stderr}`.trim() }).toMatchObject({ refused: !!refused });
  });
});
