import { Testing } from 'cdk8s';
import { bookinfoChart } from '../example/bookinfo';
import { ingressMtlsChart, ingressTlsChart, jwtChart } from '../example/ingress-charts';
import { findFindings, MeshModel, renderText, toJsonReport } from '../src/model';
import { authorizationPolicy, deployment, namespace, peerAuthentication, service } from './model-fixtures';

// Calls from outside through the ingress gateway: the rows of the example's D charts and bookinfo,
// then the rules one by one on raw manifests.

const GATEWAY = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

function gatewayObject(ns: string, name: string, servers: any[], selector: Record<string, string> = { istio: 'ingressgateway' }): any {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace: ns }, spec: { selector, servers } };
}

function virtualService(ns: string, name: string, spec: any): any {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns }, spec };
}

const https = (hosts: string[], credentialName = 'web-cert') => ({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName } });
const http = (hosts: string[], tls?: any) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts, ...(tls ? { tls } : {}) });
const route = (gw: string, host: string, port = 8000) => ({ hosts: [host], gateways: [gw], http: [{ route: [{ destination: { host, port: { number: port } } }] }] });

/** A STRICT namespace `web` with httpbin (Service 8000 -> 80). */
function web(): any[] {
  return [
    namespace('web'),
    peerAuthentication('web', 'default', { mtls: { mode: 'STRICT' } }),
    deployment('web', 'httpbin', { ports: [80] }),
    service('web', 'httpbin', [{ port: 8000, targetPort: 80, name: 'http' }]),
  ];
}

function model(objects: any[]): MeshModel {
  return MeshModel.of(objects);
}

describe('the example\'s ways in', () => {
  test.each([
    ['d1-ingress-tls', ingressTlsChart, 'simple'],
    ['d2-ingress-mtls', ingressMtlsChart, 'mutual'],
    ['d3-jwt', jwtChart, 'simple'],
  ])('%s: external -> httpbin.example.com:443 -> web/httpbin:8000 over mTLS, allowed by the gateway rule', (_, chart, edgeTls) => {
    const m = model(Testing.synth(chart(Testing.app())));
    const rows = [...m.ingress()];
    expect(rows.map(({ reason, ...r }) => r)).toEqual([{
      from: 'external', gateway: 'istio-system/istio-ingressgateway', gatewayResource: 'web/httpbin-example-com', host: 'httpbin.example.com',
      gatewayPort: 443, edgeTls, to: 'web/httpbin', service: 'web/httpbin', port: 8000, outcome: 'mtls',
    }]);
    expect(rows[0].reason).toContain(`the gateway calls web/httpbin:8000 as ${GATEWAY}`);
    expect(rows[0].reason).toContain('server STRICT');
    expect(rows[0].reason).toContain('allowed by AuthorizationPolicy web/httpbin-allow');
    expect(findFindings(m)).toEqual([]);
    // Nothing else may call httpbin: the namespace denies by default.
    expect(m.notModelled.filter((n) => n.ref.kind === 'RequestAuthentication')).toEqual([]);
  });

  test('d3: the JWT requirement and the /admin rule make the outcome depend on the request, and say which requests', () => {
    const [row] = [...model(Testing.synth(jwtChart(Testing.app()))).ingress()];
    expect(row.outcome).toBe('mtls');
    expect(row.reason).toContain('some requests are denied by DENY web/httpbin-jwt-required (requests without a valid JWT of testing@secure.istio.io, paths /headers)');
    expect(row.reason).toContain('some requests are denied by DENY web/httpbin-deny (requests paths /admin, /admin/*, JWT claim [groups] not in admin)');
  });

  test('bookinfo: bookinfo.example.com -> productpage, and the rest of the call graph unchanged', () => {
    const m = model(Testing.synth(bookinfoChart(Testing.app())));
    expect([...m.ingress()].map((r) => [r.host, r.gatewayPort, r.edgeTls, r.to, r.port, r.outcome]))
      .toEqual([['bookinfo.example.com', 443, 'simple', 'bookinfo/productpage-v1', 9080, 'mtls']]);
    expect(findFindings(m)).toEqual([]);
  });

  test('the reports list them: JSON, text', () => {
    const m = model(Testing.synth(ingressTlsChart(Testing.app())));
    expect(toJsonReport(m).ingress).toHaveLength(1);
    const text = renderText(m);
    expect(text).toContain('== Ingress ==');
    expect(text).toMatch(/external\s+httpbin\.example\.com:443\s+simple\s+istio-system\/istio-ingressgateway\s+web\/httpbin\s+8000\s+mtls/);
    expect(text).toContain('1 call from outside');
  });
});

describe('ingress rows', () => {
  test('without ALLOW policies the gateway gets in; a DENY rule for its identity denies it, with a finding', () => {
    const base = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]), virtualService('web', 'a', route('gw', 'httpbin.web.svc.cluster.local'))];
    base[base.length - 1].spec.hosts = ['a.example.com'];
    expect([...model(base).ingress()][0].outcome).toBe('mtls');
    const denied = model([...base, authorizationPolicy('web', 'no-gateway', {
      action: 'DENY', selector: { matchLabels: { app: 'httpbin' } }, rules: [{ from: [{ source: { namespaces: ['istio-system'] } }] }],
    })]);
    const [row] = [...denied.ingress()];
    expect(row.outcome).toBe('denied');
    expect(row.reason).toContain('denied by DENY AuthorizationPolicy web/no-gateway');
    const findings = findFindings(denied);
    expect(findings.map((f) => f.rule)).toEqual(['ingress-route-denied']);
    expect(findings[0].message).toMatch(/^every call from outside to a.example.com:443 is denied by web\/httpbin/);
    expect(findings[0].resources.map((r) => `${r.ref.kind} ${r.ref.name}: ${r.locations.join(', ')}`))
      .toEqual(['VirtualService a: spec.http[0]', 'Deployment httpbin: spec.template (its AuthorizationPolicies)']);
  });

  test('ALLOW policies without a rule for the gateway: denied', () => {
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] }),
      authorizationPolicy('web', 'allow-nothing', {})];
    const [row] = [...model(objects).ingress()];
    expect(row.outcome).toBe('denied');
    expect(row.reason).toContain('ALLOW policies web/allow-nothing (allows nothing) select the server');
  });

  test('the gateway\'s own policies decide first: a DENY on the gateway pods refuses every call at the edge', () => {
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] }),
      authorizationPolicy('istio-system', 'block-a', { action: 'DENY', selector: { matchLabels: { istio: 'ingressgateway' } }, rules: [{ to: [{ operation: { hosts: ['a.example.com'] } }] }] })];
    const m = model(objects);
    const [row] = [...m.ingress()];
    expect(row.outcome).toBe('denied');
    expect(row.reason).toContain('refused at the gateway: denied by DENY AuthorizationPolicy istio-system/block-a');
    expect(findFindings(m)[0].message).toMatch(/is denied at the ingress gateway/);
  });

  test('a JWT required at the gateway: some requests only, the requirement named', () => {
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] }),
      { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'istio-system' },
        spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, jwtRules: [{ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' }] } },
      authorizationPolicy('istio-system', 'require-jwt', {
        action: 'DENY', selector: { matchLabels: { istio: 'ingressgateway' } },
        rules: [{ from: [{ source: { notRequestPrincipals: ['https://auth.example.com/*'] } }], to: [{ operation: { ports: ['8443'] } }] }],
      })];
    const m = model(objects);
    const [row] = [...m.ingress()];
    expect(row.outcome).toBe('mtls');
    expect(row.reason).toContain('at the gateway: some requests are denied by DENY istio-system/require-jwt (requests without a valid JWT of https://auth.example.com)');
    expect(findFindings(m)).toEqual([]);
  });

  test('passthrough: by SNI to a TLS port; the hop is TCP for authorization', () => {
    const objects = [namespace('web'), deployment('web', 'app', { ports: [8443] }), service('web', 'app', [{ port: 8443, name: 'https' }]),
      gatewayObject('web', 'gw', [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['app.example.com'], tls: { mode: 'PASSTHROUGH' } }]),
      virtualService('web', 'app', { hosts: ['app.example.com'], gateways: ['gw'], tls: [{ match: [{ port: 443, sniHosts: ['app.example.com'] }], route: [{ destination: { host: 'app', port: { number: 8443 } } }] }] }),
      authorizationPolicy('web', 'app', { selector: { matchLabels: { app: 'app' } }, rules: [{ from: [{ source: { principals: [GATEWAY] } }], to: [{ operation: { paths: ['/x'] } }] }] })];
    const [row] = [...model(objects).ingress()];
    expect([row.edgeTls, row.outcome]).toEqual(['passthrough', 'denied']);
    expect(row.reason).toContain('the client\'s TLS passed through (SNI)');
  });

  test('gateway pods in the input: their identity and pod ports', () => {
    const objects = [...web(), namespace('edge'),
      deployment('edge', 'public-gw', { labels: { istio: 'public' }, serviceAccount: 'public-gw', ports: [8443] }),
      service('edge', 'public-gw', [{ port: 443, targetPort: 8443, name: 'https' }], { app: 'public-gw' } as any),
      gatewayObject('web', 'gw', [https(['a.example.com'])], { istio: 'public' }),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] }),
      authorizationPolicy('web', 'httpbin', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/edge/sa/public-gw'] } }] }] })];
    const [row] = [...model(objects).ingress()];
    expect([row.gateway, row.outcome]).toEqual(['edge/public-gw', 'mtls']);
  });

  test('a Gateway whose pods the model cannot know is not modelled, saying so', () => {
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])], { app: 'someone-elses-gateway' }),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] })];
    const m = model(objects);
    expect([...m.ingress()]).toEqual([]);
    expect(m.notModelled.map((n) => `${n.ref.kind} ${n.ref.name} ${n.field}: ${n.reason}`))
      .toEqual([expect.stringMatching(/^Gateway gw spec.selector: selects gateway pods the input does not hold and that are not Istio's default ingress gateway/)]);
  });

  test('hosts scoped with ./ bind only VirtualServices of the Gateway\'s namespace; redirect servers route nothing', () => {
    const objects = [...web(), namespace('other'),
      gatewayObject('web', 'gw', [https(['./a.example.com']), http(['./a.example.com'], { httpsRedirect: true })]),
      virtualService('other', 'a', { ...route('web/gw', 'httpbin.web.svc.cluster.local'), hosts: ['a.example.com'] })];
    expect([...model(objects).ingress()]).toEqual([]);
    objects[objects.length - 1] = virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] });
    expect([...model(objects).ingress()].map((r) => r.gatewayPort)).toEqual([443]);
  });

  test('a route to a host that is no Service of the input is not modelled', () => {
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]),
      virtualService('web', 'a', { ...route('gw', 'nothing.web.svc.cluster.local'), hosts: ['a.example.com'] })];
    const m = model(objects);
    expect([...m.ingress()]).toEqual([]);
    expect(m.notModelled[0].reason).toMatch(/sends calls from outside through Gateway web\/gw to nothing.web.svc.cluster.local:8000, which is no Service port of the input/);
  });

  test('egress gateways stay egress: their Gateways make no ingress rows', () => {
    const objects = [...web(), gatewayObject('default', 'cnn', [http(['edition.cnn.com'])], { istio: 'egressgateway' }),
      virtualService('default', 'cnn', { hosts: ['edition.cnn.com'], gateways: ['cnn'], http: [{ route: [{ destination: { host: 'httpbin.web.svc.cluster.local', port: { number: 8000 } } }] }] })];
    expect([...model(objects).ingress()]).toEqual([]);
  });
});

describe('ingress and JWT findings', () => {
  const ra = (ns: string, selector?: Record<string, string>) => ({
    apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: ns },
    spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), jwtRules: [{ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' }] },
  });

  test('a RequestAuthentication no rule requires', () => {
    const found = findFindings(model([...web(), ra('web', { app: 'httpbin' })]));
    expect(found.map((f) => [f.rule, f.message])).toEqual([['jwt-not-required',
      'RequestAuthentication web/jwt checks tokens of https://auth.example.com on web/httpbin, but no AuthorizationPolicy requires one: requests without a token pass']]);
    const required = [...web(), ra('web', { app: 'httpbin' }), authorizationPolicy('web', 'req', {
      selector: { matchLabels: { app: 'httpbin' } }, rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }],
    })];
    expect(findFindings(model(required))).toEqual([]);
  });

  test('a certificate Secret in the Gateway\'s namespace instead of the gateway pods\'', () => {
    const secret = (ns: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-cert', namespace: ns }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } });
    const objects = [...web(), gatewayObject('web', 'gw', [https(['a.example.com'])]),
      virtualService('web', 'a', { ...route('gw', 'httpbin'), hosts: ['a.example.com'] })];
    const wrong = findFindings(model([...objects, secret('web')]));
    expect(wrong.map((f) => f.rule)).toEqual(['gateway-credential-namespace']);
    expect(wrong[0].message).toMatch(/Gateway web\/gw names credential web-cert for a.example.com:443, but the Secret is in web, not in istio-system/);
    expect(findFindings(model([...objects, secret('istio-system')]))).toEqual([]);
    expect(findFindings(model(objects))).toEqual([]);
  });

  test('a host served in plaintext and with TLS on one gateway', () => {
    const objects = [...web(), gatewayObject('web', 'tls', [https(['a.example.com'])]), gatewayObject('web', 'plain', [http(['*.example.com'])])];
    const found = findFindings(model(objects));
    expect(found.map((f) => f.rule)).toEqual(['host-plaintext-and-tls']);
    expect(found[0].message).toMatch(/ingress gateway istio-system\/istio-ingressgateway serves \*.example.com in plaintext on port 80 \(Gateway web\/plain\) and a.example.com with TLS on port 443/);
    const redirect = [...web(), gatewayObject('web', 'tls', [https(['a.example.com']), http(['a.example.com'], { httpsRedirect: true })])];
    expect(findFindings(model(redirect))).toEqual([]);
  });
});
