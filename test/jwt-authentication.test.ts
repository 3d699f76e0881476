import { Chart } from 'cdk8s';
import {
  AppProtocol, IngressGateway, IngressRoute, IngressTls, JwtAuthentication, JwtAuthenticationProps, JwtIssuer,
  MeshNamespace, MeshWorkload, MeshWorkloadProps, SidecarInjection, StrictNamespace,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth, stderrOf } from './util';

const valid = schemaValidatedEachFile();
const ISSUER = 'https://auth.example.com';
const JWKS_URI = 'https://auth.example.com/.well-known/jwks.json';
const issuer = JwtIssuer.fromJwksUri(ISSUER, JWKS_URI);
const PUBLIC_JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] });

function httpbin(chart: Chart, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(chart, 'httpbin', {
    namespace: new StrictNamespace(chart, 'web'), image: 'docker.io/kennethreitz/httpbin', ports: [{ port: 8000, containerPort: 80 }], ...props,
  });
}

function jwt(chart: Chart, props: Partial<JwtAuthenticationProps> = {}, id = 'jwt'): JwtAuthentication {
  return new JwtAuthentication(chart, id, { issuers: [issuer], ...props, workload: props.workload ?? (props.ingressGateway ? undefined : httpbin(chart)) });
}


describe('JwtAuthentication on a workload', () => {
  test('a RequestAuthentication, and a DENY policy that refuses requests without a valid token', () => {
    const chart = newChart();
    const auth = jwt(chart);
    auth.requireToken();
    const objects = valid(synth(chart));
    const ra = only(objects, 'RequestAuthentication');
    expect(ra.apiVersion).toBe('security.istio.io/v1');
    expect(ra.metadata).toEqual({ name: 'httpbin-jwt', namespace: 'web' });
    expect(ra.spec).toEqual({ selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: ISSUER, jwks_uri: JWKS_URI }] });
    const policy = only(objects, 'AuthorizationPolicy', 'httpbin-jwt-required');
    expect(policy.spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'httpbin' } },
      rules: [{ from: [{ source: { notRequestPrincipals: [`${ISSUER}/*`] } }], to: [{ operation: { ports: ['80'] } }] }],
    });
    expect(auth.requirementCount).toBe(1);
  });

  test('by path and method, with claims: one rule for the token, one per claim', () => {
    const chart = newChart();
    const auth = jwt(chart, { issuers: [issuer, JwtIssuer.fromInlineJwks('other-issuer', PUBLIC_JWKS, { audiences: ['httpbin'] })] });
    auth.requireToken({ paths: ['/headers'] });
    auth.requireToken({ paths: ['/admin/*'], methods: ['POST'], claims: [{ claim: 'groups', values: ['admin'] }] });
    const objects = valid(synth(chart));
    expect(only(objects, 'RequestAuthentication').spec.jwtRules[1]).toEqual({ issuer: 'other-issuer', jwks: PUBLIC_JWKS, audiences: ['httpbin'] });
    const principals = [`${ISSUER}/*`, 'other-issuer/*'];
    expect(only(objects, 'AuthorizationPolicy', 'httpbin-jwt-required').spec.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: principals } }], to: [{ operation: { paths: ['/headers'], ports: ['80'] } }] },
      { from: [{ source: { notRequestPrincipals: principals } }], to: [{ operation: { methods: ['POST'], paths: ['/admin/*'], ports: ['80'] } }] },
      { to: [{ operation: { methods: ['POST'], paths: ['/admin/*'], ports: ['80'] } }], when: [{ key: 'request.auth.claims[groups]', notValues: ['admin'] }] },
    ]);
  });

  test('where the token is read from, and whether it is forwarded', () => {
    const chart = newChart();
    const custom = JwtIssuer.fromJwksUri(ISSUER, JWKS_URI, {
      fromHeaders: [{ name: 'x-jwt-assertion', prefix: 'Bearer ' }], fromParams: ['token'], fromCookies: ['session'],
      forwardOriginalToken: true, outputPayloadToHeader: 'x-jwt-payload',
    });
    jwt(chart, { issuers: [custom] }).requireToken();
    expect(only(valid(synth(chart)), 'RequestAuthentication').spec.jwtRules).toEqual([{
      issuer: ISSUER, jwks_uri: JWKS_URI, fromHeaders: [{ name: 'x-jwt-assertion', prefix: 'Bearer ' }], fromParams: ['token'],
      fromCookies: ['session'], forwardOriginalToken: true, outputPayloadToHeader: 'x-jwt-payload',
    }]);
  });

  test('only the HTTP ports of a workload that also serves TCP', () => {
    const chart = newChart();
    jwt(chart, { workload: httpbin(chart, { ports: [{ port: 8000, containerPort: 80 }, { port: 6379, protocol: AppProtocol.REDIS }] }) }).requireToken();
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').spec.rules[0].to).toEqual([{ operation: { ports: ['80'] } }]);
  });

  test('no requirement fails synth; tokenOptional emits only the RequestAuthentication, with a warning', () => {
    const chart = newChart();
    jwt(chart);
    expect(() => synth(chart)).toThrow(/JwtAuthentication "web\/httpbin-jwt" requires no token: a RequestAuthentication alone lets requests without a token through/);
    const optional = newChart();
    const auth = jwt(optional, { tokenOptional: true });
    let objects: any[] = [];
    expect(stderrOf(() => { objects = valid(synth(optional)); })).toMatch(/WARNING: test\/jwt: RequestAuthentication "web\/httpbin-jwt" has no requirement \(tokenOptional\)/);
    expect(objects.filter((o) => o.kind === 'AuthorizationPolicy')).toEqual([]);
    expect(auth.requirementPolicy).toBeUndefined();
    expect(refusal(() => auth.requireToken()).message).toMatch(/requireToken on a JwtAuthentication with tokenOptional: true/);
  });
});

describe('JwtAuthentication on the ingress gateway', () => {
  test('in the gateway\'s namespace, selecting its pods, on its pod ports', () => {
    const chart = newChart();
    jwt(chart, { ingressGateway: IngressGateway.istio() }).requireToken({ hosts: ['httpbin.example.com'] });
    const objects = valid(synth(chart));
    expect(only(objects, 'RequestAuthentication').metadata).toEqual({ name: 'istio-ingressgateway-jwt', namespace: 'istio-system' });
    const policy = only(objects, 'AuthorizationPolicy');
    expect(policy.spec.selector).toEqual({ matchLabels: { istio: 'ingressgateway' } });
    expect(policy.spec.rules[0].to).toEqual([{ operation: { hosts: ['httpbin.example.com'], ports: ['8080', '8443'] } }]);
  });

  test('a requirement on a pod port that also passes TLS through fails synth', () => {
    const chart = newChart();
    const gateway = IngressGateway.istio();
    const app = new MeshWorkload(chart, 'app', { namespace: new StrictNamespace(chart, 'web'), image: 'x', ports: [{ port: 8443, protocol: AppProtocol.HTTPS }] });
    new IngressRoute(chart, 'tls', { ingressGateway: gateway, hosts: ['app.example.com'], workload: app, tls: IngressTls.passthrough() });
    jwt(chart, { ingressGateway: gateway }).requireToken();
    expect(() => synth(chart)).toThrow(/the token requirement covers gateway pod port 8443, where test\/tls passes TLS through/);
    const fine = newChart();
    const app2 = new MeshWorkload(fine, 'app', { namespace: new StrictNamespace(fine, 'web'), image: 'x', ports: [{ port: 8443, protocol: AppProtocol.HTTPS }] });
    new IngressRoute(fine, 'tls', { ingressGateway: gateway, hosts: ['app.example.com'], workload: app2, tls: IngressTls.passthrough() });
    jwt(fine, { ingressGateway: gateway }).requireToken({ ports: [8080] });
    expect(only(valid(synth(fine)), 'AuthorizationPolicy').spec.rules[0].to).toEqual([{ operation: { ports: ['8080'] } }]);
  });
});

describe('JwtAuthentication refuses', () => {
  test.each([
    ['an empty issuer list', { issuers: [] }, /issuers \[\] is empty: name at least one JwtIssuer/],
    ['a JWKS URI that is not https', { issuers: [JwtIssuer.fromJwksUri(ISSUER, 'http://auth.example.com/jwks.json')] }, /jwksUri "http:\/\/auth.example.com\/jwks.json" is not an https URL/],
    ['a JWKS URI that is no URL', { issuers: [JwtIssuer.fromJwksUri(ISSUER, 'jwks.json')] }, /jwksUri "jwks.json" is not an https URL/],
    ['an empty issuer', { issuers: [JwtIssuer.fromJwksUri('', JWKS_URI)] }, /issuer "" is empty, has whitespace or "\*"/],
    ['an issuer with a wildcard', { issuers: [JwtIssuer.fromJwksUri('https://*.example.com', JWKS_URI)] }, /issuer "https:\/\/\*.example.com" is empty, has whitespace or "\*"/],
    ['one issuer twice', { issuers: [issuer, JwtIssuer.fromJwksUri(ISSUER, JWKS_URI)] }, /issuer "https:\/\/auth.example.com" is given twice/],
    ['inline JWKS that is not a key set', { issuers: [JwtIssuer.fromInlineJwks(ISSUER, '{"kty":"EC"}')] }, /jwks is not a JSON Web Key Set/],
    ['inline JWKS with a private key', { issuers: [JwtIssuer.fromInlineJwks(ISSUER, JSON.stringify({ keys: [{ kty: 'EC', d: 'secret' }] }))] }, /jwks key 1 holds private or symmetric key material/],
    ['an empty audience', { issuers: [JwtIssuer.fromJwksUri(ISSUER, JWKS_URI, { audiences: [''] })] }, /audiences entry "" is empty/],
    ['no audiences', { issuers: [JwtIssuer.fromJwksUri(ISSUER, JWKS_URI, { audiences: [] })] }, /audiences \[\] is empty/],
    ['a header name with a space', { issuers: [JwtIssuer.fromJwksUri(ISSUER, JWKS_URI, { fromHeaders: [{ name: 'x jwt' }] })] }, /fromHeaders name "x jwt" is not an HTTP header name/],
    ['a value that is not an issuer', { issuers: [ISSUER as any] }, /issuers entry "https:\/\/auth.example.com" is not a JwtIssuer/],
    ['tokenOptional that is not a boolean', { tokenOptional: 'yes' as any }, /tokenOptional "yes" is not a boolean/],
    ['a name that is not a DNS label', { name: 'Jwt' }, /name "Jwt" is not a valid DNS-1123 label/],
  ])('%s', (_, props, message) => {
    const chart = newChart();
    expect(refusal(() => jwt(chart, props as any)).message).toMatch(message);
  });

  test('both or neither of workload and ingressGateway; a workload without a sidecar or without HTTP', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    expect(refusal(() => new JwtAuthentication(chart, 'a', { workload, ingressGateway: IngressGateway.istio(), issuers: [issuer] })).message)
      .toMatch(/give exactly one of workload and ingressGateway/);
    expect(refusal(() => new JwtAuthentication(chart, 'b', { issuers: [issuer] })).message).toMatch(/give exactly one of workload and ingressGateway/);
    const other = newChart();
    const noSidecar = httpbin(other, { sidecar: false, namespace: new MeshNamespace(other, 'legacy', { injection: SidecarInjection.disabled() }) });
    expect(refusal(() => new JwtAuthentication(other, 'c', { workload: noSidecar, issuers: [issuer] })).message).toMatch(/has no sidecar, so nothing would check its tokens/);
    const third = newChart();
    const redis = httpbin(third, { ports: [{ port: 6379, protocol: AppProtocol.REDIS }] });
    expect(refusal(() => new JwtAuthentication(third, 'd', { workload: redis, issuers: [issuer] })).message).toMatch(/has no HTTP port, and tokens travel in HTTP requests/);
  });

  test('requirements: bad paths, methods, claims, TCP ports', () => {
    const chart = newChart();
    const auth = jwt(chart, { workload: httpbin(chart, { ports: [{ port: 8000, containerPort: 80 }, { port: 6379, protocol: AppProtocol.REDIS }] }) });
    expect(refusal(() => auth.requireToken({ paths: ['headers'] })).message).toMatch(/path "headers" does not start with "\/"/);
    expect(refusal(() => auth.requireToken({ methods: ['get'] })).message).toMatch(/Istio compares methods case-sensitively: use "GET"/);
    expect(refusal(() => auth.requireToken({ claims: [{ claim: '', values: ['a'] }] })).message).toMatch(/claim "" is empty/);
    expect(refusal(() => auth.requireToken({ claims: [{ claim: 'groups', values: [] }] })).message).toMatch(/condition "request.auth.claims\[groups\]" has no values/);
    expect(refusal(() => auth.requireToken({ ports: [6379] })).message)
      .toMatch(/notRequestPrincipals are HTTP-only, but port\(s\) 6379 do not carry HTTP, and Istio ignores them in a DENY rule on TCP traffic/);
    expect(auth.requirementCount).toBe(0);
  });

  test('a second JwtAuthentication with the same names', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    new JwtAuthentication(chart, 'a', { workload, issuers: [issuer] }).requireToken();
    expect(refusal(() => new JwtAuthentication(chart, 'b', { workload, issuers: [issuer] })).message)
      .toMatch(/RequestAuthentication "web\/httpbin-jwt" is already emitted by test\/a: give this JwtAuthentication another name/);
    new JwtAuthentication(chart, 'b', { workload, issuers: [issuer], name: 'second' }).requireToken();
    expect(valid(synth(chart)).filter((o) => o.kind === 'RequestAuthentication').map((o) => o.metadata.name)).toEqual(['httpbin-jwt', 'second']);
  });
});
