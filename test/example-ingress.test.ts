import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { INGRESS_HOST, ingressMtlsChart, ingressTlsChart, jwtChart, SAMPLE_ISSUER } from '../example/ingress-charts';
import { only, schemaValidatedEachFile, synth } from './util';

// Scenarios D1-D3: the security-critical fields of what the example emits.
const valid = schemaValidatedEachFile();
const GATEWAY_PRINCIPAL = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const d1 = valid(synth(ingressTlsChart(Testing.app())));
const d2 = valid(synth(ingressMtlsChart(Testing.app())));
const d3 = valid(synth(jwtChart(Testing.app())));

describe.each([['d1', d1], ['d2', d2], ['d3', d3]])('%s', (_, objects) => {
  test('httpbin in a STRICT, default-deny namespace; the gateway let in to its port only', () => {
    expect(only(objects, 'PeerAuthentication').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(only(objects, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({});
    expect(only(objects, 'AuthorizationPolicy', 'httpbin-allow').spec.rules).toEqual([
      { from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }], to: [{ operation: { ports: ['80'] } }] },
    ]);
  });

  test('the VirtualService binds only its Gateway and sends the host to httpbin:8000', () => {
    const vs = only(objects, 'VirtualService');
    expect(vs.metadata.namespace).toBe('web');
    expect(vs.spec.gateways).toEqual(['httpbin-example-com']);
    expect(vs.spec.hosts).toEqual([INGRESS_HOST]);
    expect(vs.spec.http).toEqual([{ match: [{ port: 443 }], route: [{ destination: { host: 'httpbin.web.svc.cluster.local', port: { number: 8000 } } }] }]);
    expect(only(objects, 'Gateway').spec.selector).toEqual({ istio: 'ingressgateway' });
  });

  test('no key material without EXAMPLE_CERTS_DIR', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

test('d1: SIMPLE with httpbin-credential, http:// redirected', () => {
  expect(only(d1, 'Gateway').spec.servers).toEqual([
    { port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: [`./${INGRESS_HOST}`], tls: { mode: 'SIMPLE', credentialName: 'httpbin-credential' } },
    { port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: [`./${INGRESS_HOST}`], tls: { httpsRedirect: true } },
  ]);
});

test('d2: MUTUAL, client certificates checked for their SAN', () => {
  expect(only(d2, 'Gateway').spec.servers).toEqual([{
    port: { number: 443, name: 'https-443', protocol: 'HTTPS' },
    hosts: [`./${INGRESS_HOST}`],
    tls: { mode: 'MUTUAL', credentialName: 'httpbin-credential', subjectAltNames: ['client.example.com'] },
  }]);
});

test('d3: a token of the sample issuer required on /headers; /admin denied unless groups says admin', () => {
  expect(only(d3, 'RequestAuthentication').spec).toEqual({
    selector: { matchLabels: { app: 'httpbin' } },
    jwtRules: [{ issuer: SAMPLE_ISSUER, jwks_uri: 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json' }],
  });
  expect(only(d3, 'AuthorizationPolicy', 'httpbin-jwt-required').spec).toEqual({
    action: 'DENY',
    selector: { matchLabels: { app: 'httpbin' } },
    rules: [{ from: [{ source: { notRequestPrincipals: [`${SAMPLE_ISSUER}/*`] } }], to: [{ operation: { paths: ['/headers'], ports: ['80'] } }] }],
  });
  expect(only(d3, 'AuthorizationPolicy', 'httpbin-deny').spec).toEqual({
    action: 'DENY',
    selector: { matchLabels: { app: 'httpbin' } },
    rules: [{
      to: [{ operation: { paths: ['/admin', '/admin/*'], ports: ['80'] } }],
      when: [{ key: 'request.auth.claims[groups]', notValues: ['admin'] }],
    }],
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
(hasOpenssl ? test : test.skip)('EXAMPLE_CERTS_DIR: the gateway certificate from the PEM files, in istio-system, with the CA for D2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingress-certs-'));
  const before = process.env.EXAMPLE_CERTS_DIR;
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(spawnSync('bash', [join(__dirname, '..', 'scripts', 'make-example-certs.sh'), dir]).status).toBe(0);
    process.env.EXAMPLE_CERTS_DIR = dir;
    const simple = only(valid(synth(ingressTlsChart(Testing.app()))), 'Secret');
    expect([simple.metadata, simple.type, Object.keys(simple.stringData).sort()])
      .toEqual([{ name: 'httpbin-credential', namespace: 'istio-system' }, 'kubernetes.io/tls', ['tls.crt', 'tls.key']]);
    expect(simple.stringData['tls.crt']).toBe(readFileSync(join(dir, 'httpbin.example.com.crt'), 'utf8'));
    const mutual = only(valid(synth(ingressMtlsChart(Testing.app()))), 'Secret');
    expect(mutual.stringData['ca.crt']).toBe(readFileSync(join(dir, 'example.com.crt'), 'utf8'));
  } finally {
    spy.mockRestore();
    if (before === undefined) delete process.env.EXAMPLE_CERTS_DIR; else process.env.EXAMPLE_CERTS_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
