// Findings about mistakes the library's constructs refuse, found in manifests written by hand.
import { findFindings, MeshModel } from '../src/model';
import { authorizationPolicy, deployment, destinationRule, namespace, peerAuthentication, service } from './model-fixtures';

const BASE = [
  namespace('shop'), namespace('legacy', { 'istio-injection': 'disabled' }),
  deployment('shop', 'web'), deployment('shop', 'api', { ports: [8080] }), service('shop', 'api', [{ port: 80, targetPort: 8080, name: 'http' }]),
  deployment('legacy', 'old', { ports: [80] }),
];

function findings(...objects: any[]): Array<{ rule: string; message: string; resources: string[]; count: number }> {
  return findFindings(MeshModel.of([...BASE, ...objects])).map((f) => ({
    rule: f.rule, message: f.message, count: f.count, resources: f.resources.map((r) => `${r.ref.kind} ${r.ref.namespace}/${r.ref.name}: ${r.locations.join(', ')}`),
  }));
}

const allowWeb = (extra: any = {}) => authorizationPolicy('shop', 'api', {
  selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], ...extra }],
});

test('a port of the Service, not of the container, in an AuthorizationPolicy', () => {
  expect(findings(allowWeb({ to: [{ operation: { ports: ['80'] } }] }))).toEqual([{
    rule: 'service-port-in-authorization', count: 1,
    message: 'ALLOW AuthorizationPolicy shop/api: ports 80 is a port of Service shop/api, not a container port of the pods it selects (shop/api): it never matches',
    resources: ['AuthorizationPolicy shop/api: spec.rules[0].to[0].operation.ports[0]'],
  }]);
  expect(findings(allowWeb({ to: [{ operation: { ports: ['8080'] } }] }))).toEqual([]);
});

test('a principal, trust domain or namespace no workload has', () => {
  const policy = authorizationPolicy('shop', 'api', {
    selector: { matchLabels: { app: 'api' } },
    rules: [{ from: [{ source: {
      principals: ['cluster.local/ns/shop/sa/wbe', 'example.org/ns/shop/sa/web', 'cluster.local/ns/shop/sa/*', 'cluster.local/ns/batch/sa/reporter'],
      namespaces: ['empty', 'shop', 'elsewhere'],
    } }] }],
  });
  // batch and elsewhere are not in the input: their workloads may be deployed from other manifests.
  expect(findings(namespace('empty'), policy).map((f) => `${f.rule}: ${f.message} @ ${f.resources}`)).toEqual([
    'identity-not-found: ALLOW AuthorizationPolicy shop/api: namespaces "empty" is a namespace of the input without a workload: no caller comes from it @ AuthorizationPolicy shop/api: spec.rules[0].from[0].source.namespaces[0]',
    'identity-not-found: ALLOW AuthorizationPolicy shop/api: principals "cluster.local/ns/shop/sa/wbe" is no workload\'s identity: no workload of namespace shop runs as service account wbe @ AuthorizationPolicy shop/api: spec.rules[0].from[0].source.principals[0]',
    'identity-not-found: ALLOW AuthorizationPolicy shop/api: principals "example.org/ns/shop/sa/web" names trust domain example.org, but the mesh\'s is cluster.local (--trust-domain): no workload has it @ AuthorizationPolicy shop/api: spec.rules[0].from[0].source.principals[1]',
  ]);
});

test('selectors that match no pod: PeerAuthentication, DestinationRule workloadSelector, AuthorizationPolicy, NetworkPolicy', () => {
  const none = { matchLabels: { app: 'apii' } };
  const f = findings(
    peerAuthentication('shop', 'api-strict', { selector: none, mtls: { mode: 'STRICT' } }),
    destinationRule('shop', 'from-api', { host: 'api', workloadSelector: none, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
    authorizationPolicy('shop', 'api', { selector: none, rules: [{}] }),
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'shop' }, spec: { podSelector: none, policyTypes: ['Ingress'] } },
    // Selectors that do match, and namespaces whose pods are not in the input, are no finding.
    peerAuthentication('shop', 'web', { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'STRICT' } }),
    peerAuthentication('elsewhere', 'x', { selector: none, mtls: { mode: 'STRICT' } }),
  );
  expect(f.map((x) => `${x.message} @ ${x.resources}`)).toEqual([
    'AuthorizationPolicy shop/api: its selector matches no pod of namespace shop, so it protects nothing @ AuthorizationPolicy shop/api: spec.selector.matchLabels',
    'DestinationRule shop/from-api: its selector matches no pod of namespace shop, so no client uses its traffic policy @ DestinationRule shop/from-api: spec.workloadSelector.matchLabels',
    'NetworkPolicy shop/api: its selector matches no pod of namespace shop, so it isolates and allows nothing @ NetworkPolicy shop/api: spec.podSelector',
    'PeerAuthentication shop/api-strict: its selector matches no pod of namespace shop, so its mTLS mode applies to nothing @ PeerAuthentication shop/api-strict: spec.selector.matchLabels',
  ]);
  expect(f.every((x) => x.rule === 'selector-matches-no-pod')).toBe(true);
});

test('an ALLOW or DENY policy on pods without a sidecar: nothing enforces it', () => {
  expect(findings(authorizationPolicy('legacy', 'old', { selector: { matchLabels: { app: 'old' } }, action: 'DENY', rules: [{}] }))).toEqual([{
    rule: 'policy-without-sidecar', count: 1,
    message: 'DENY AuthorizationPolicy legacy/old applies to legacy/old, which runs without a sidecar (namespace label istio-injection=disabled): '
      + 'nothing enforces it there, so every call it denies gets through',
    resources: ['AuthorizationPolicy legacy/old: spec.selector.matchLabels', 'Deployment legacy/old: spec.template.metadata (sidecar injection)'],
  }]);
  // A mesh-wide policy (root namespace, no selector) is about the mesh, not about legacy pods.
  expect(findings(authorizationPolicy('istio-system', 'allow-nothing', {})).filter((f) => f.rule === 'policy-without-sidecar')).toEqual([]);
});

test('a workload STRICT policy under a DISABLE namespace policy (Istio issue 56084)', () => {
  const f = findings(peerAuthentication('shop', 'default', { mtls: { mode: 'DISABLE' } }),
    peerAuthentication('shop', 'api', { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' } }));
  expect(f.filter((x) => x.rule === 'strict-under-disable')).toEqual([{
    rule: 'strict-under-disable', count: 1,
    message: 'PeerAuthentication shop/api makes shop/api STRICT, but the namespace PeerAuthentication shop/default is DISABLE: '
      + 'clients\' auto mTLS follows the namespace mode and sends plaintext, which the workload refuses (Istio issue 56084)',
    resources: ['PeerAuthentication shop/api: spec.mtls.mode', 'PeerAuthentication shop/default: spec.mtls.mode'],
  }]);
  // Port-level STRICT under a mesh-wide DISABLE, with no namespace policy.
  const port = findings(peerAuthentication('istio-system', 'default', { mtls: { mode: 'DISABLE' } }),
    peerAuthentication('shop', 'api', { selector: { matchLabels: { app: 'api' } }, portLevelMtls: { 8080: { mode: 'STRICT' } } }));
  expect(port.find((x) => x.rule === 'strict-under-disable')?.resources).toEqual([
    'PeerAuthentication shop/api: spec.portLevelMtls.8080.mode', 'PeerAuthentication istio-system/default: spec.mtls.mode',
  ]);
});

test('namespaces not in the input: no finding rests on their assumed labels', () => {
  // web asks for a sidecar itself; api's sidecar depends on the namespace's labels.
  const objects = [deployment('default', 'web', { labels: { 'sidecar.istio.io/inject': 'true' } }), deployment('default', 'api', { ports: [8080] }),
    service('default', 'api', [{ port: 80, targetPort: 8080, name: 'http' }]),
    authorizationPolicy('istio-system', 'api', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/api'] } }] }] }),
    destinationRule('istio-system', 'api', { host: 'api.default.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })];
  expect(findFindings(MeshModel.of(objects))).toEqual([]);
  // Declared without injection, the same objects are surely broken.
  const declared = findFindings(MeshModel.of(objects, { namespaceLabels: { default: {} } })).map((f) => f.rule);
  expect(declared).toEqual(expect.arrayContaining(['istio-mutual-without-sidecar', 'principal-never-matches']));
});
