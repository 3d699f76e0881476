// Scenarios D1-D3: calls from outside the mesh through Istio's ingress gateway.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import {
  Condition, GatewayCertificate, IngressGateway, IngressRoute, IngressTls, JwtAuthentication, JwtIssuer, MeshWorkload, StrictNamespace,
} from '../src';
import { httpbin } from './workloads';

/** The host clients call; scripts/make-example-certs.sh puts it into the gateway certificate's SAN. */
export const INGRESS_HOST = 'httpbin.example.com';

/**
 * The certificate the ingress gateway presents for httpbin.example.com: the Secret
 * `httpbin-credential` in istio-system that scripts/make-example-certs.sh writes. With
 * EXAMPLE_CERTS_DIR set to that script's output, the app creates it from the PEM files instead
 * (the key then lands in dist/, with a warning), with the CA as `ca.crt` for mutual TLS.
 */
function httpbinCertificate(withClientCa: boolean): GatewayCertificate {
  const dir = process.env.EXAMPLE_CERTS_DIR;
  if (!dir) return GatewayCertificate.fromSecret('httpbin-credential');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return GatewayCertificate.fromPem({
    secretName: 'httpbin-credential',
    certificate: read(`${INGRESS_HOST}.crt`),
    privateKey: read(`${INGRESS_HOST}.key`),
    caCertificate: withClientCa ? read('example.com.crt') : undefined,
    acknowledgeKeyInManifest: true,
  });
}

/** httpbin in a namespace that accepts only mTLS and, by default, lets nobody in. */
function httpbinBehindIngress(chart: Chart): MeshWorkload {
  const web = new StrictNamespace(chart, 'web', { defaultDeny: true });
  return httpbin(chart, web);
}

/**
 * D1: httpbin.example.com with TLS terminated at the ingress gateway (SIMPLE, the certificate in
 * istio-system), http:// redirected to https://. Inside, STRICT mTLS and default deny: the route
 * lets the gateway's identity in, to httpbin's port only.
 */
export function ingressTlsChart(app: App): Chart {
  const chart = new Chart(app, 'd1-ingress-tls');
  new IngressRoute(chart, 'httpbin', {
    ingressGateway: IngressGateway.istio(),
    hosts: [INGRESS_HOST],
    workload: httpbinBehindIngress(chart),
    tls: IngressTls.simple({ certificate: httpbinCertificate(false), httpsRedirect: true }),
  });
  return chart;
}

/**
 * D2: as D1, and clients must present a certificate signed by the example CA (the Secret
 * `httpbin-credential-cacert`, or `ca.crt` of the credential) carrying the name client.example.com.
 */
export function ingressMtlsChart(app: App): Chart {
  const chart = new Chart(app, 'd2-ingress-mtls');
  new IngressRoute(chart, 'httpbin', {
    ingressGateway: IngressGateway.istio(),
    hosts: [INGRESS_HOST],
    workload: httpbinBehindIngress(chart),
    tls: IngressTls.mutual({ certificate: httpbinCertificate(true), subjectAltNames: ['client.example.com'] }),
  });
  return chart;
}

/** Istio's sample issuer for its JWT tasks (its tokens and keys are public test material). */
export const SAMPLE_ISSUER = 'testing@secure.istio.io';
const SAMPLE_JWKS = 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json';

/**
 * D3: as D1, and end users authenticate: a token of Istio's sample issuer is required on
 * /headers, and /admin is denied unless the token's `groups` claim says admin.
 */
export function jwtChart(app: App): Chart {
  const chart = new Chart(app, 'd3-jwt');
  const workload = httpbinBehindIngress(chart);
  new IngressRoute(chart, 'httpbin', {
    ingressGateway: IngressGateway.istio(),
    hosts: [INGRESS_HOST],
    workload,
    tls: IngressTls.simple({ certificate: httpbinCertificate(false) }),
  });
  const jwt = new JwtAuthentication(chart, 'jwt', {
    workload,
    issuers: [JwtIssuer.fromJwksUri(SAMPLE_ISSUER, SAMPLE_JWKS)],
  });
  jwt.requireToken({ paths: ['/headers'] });
  workload.deny({ paths: ['/admin', '/admin/*'], when: [Condition.notClaim('groups', ['admin'])] });
  return chart;
}

export function addIngressCharts(app: App): void {
  ingressTlsChart(app);
  ingressMtlsChart(app);
  jwtChart(app);
}
