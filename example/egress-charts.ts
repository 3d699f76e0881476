// Scenarios B1-B4 and C of SCENARIOS.md: egress through Istio's egress gateway.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AppProtocol, ClientCredential, EgressGateway, EgressGatewayRoute, EgressMode, MeshNamespace, MeshWorkload, OriginateMtls, ServerCa,
} from '../src';
import { MeshExternalNginx } from './mesh-external';
import { sleep } from './workloads';

/**
 * The client of Istio's egress tasks: `sleep` in `default`, with a sidecar (its pod label asks for
 * one), from which the task's `curl` runs. The report shows the egress paths it gets.
 */
export function egressClient(scope: Construct): MeshWorkload {
  return sleep(scope, MeshNamespace.fromName('default', { sidecarInjection: true }));
}

/** The CA bundle of the gateway image (istio/proxyv2), for public servers. */
const SYSTEM_CAS = ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt');

/** B1: plain HTTP to edition.cnn.com through the egress gateway. */
export function httpEgressChart(app: App): Chart {
  const chart = new Chart(app, 'b1-http-egress');
  egressClient(chart);
  new EgressGatewayRoute(chart, 'cnn', {
    egressGateway: EgressGateway.istio(),
    host: 'edition.cnn.com',
    mode: EgressMode.http({ portName: 'http-port' }),
    // The article also declares 443, so the HTTPS page the site redirects to is reachable (directly).
    directPorts: [{ port: 443, protocol: AppProtocol.HTTPS, name: 'https' }],
  });
  return chart;
}

/** B2: the app's own HTTPS passed through the egress gateway, routed by SNI. */
export function tlsPassthroughChart(app: App): Chart {
  const chart = new Chart(app, 'b2-tls-passthrough');
  egressClient(chart);
  new EgressGatewayRoute(chart, 'cnn', {
    egressGateway: EgressGateway.istio(),
    host: 'edition.cnn.com',
    mode: EgressMode.tlsPassthrough({ portName: 'tls' }),
  });
  return chart;
}

/**
 * B3: the app sends plain HTTP to port 80; the gateway takes it on its port 80 (over mesh
 * mTLS, as Istio's current task does) and opens TLS to edition.cnn.com:443, verifying it.
 */
export function tlsOriginationChart(app: App): Chart {
  const chart = new Chart(app, 'b3-tls-origination');
  egressClient(chart);
  new EgressGatewayRoute(chart, 'cnn', {
    egressGateway: EgressGateway.istio(),
    host: 'edition.cnn.com',
    mode: EgressMode.originateTls({
      gatewayPort: 80,
      serverCa: SYSTEM_CAS,
      subjectAltNames: ['edition.cnn.com'],
      portName: 'http-port',
      targetPortName: 'https-port',
    }),
  });
  return chart;
}

/**
 * The client credential of B4: the Secret `client-credential` that scripts/make-example-certs.sh
 * writes. With EXAMPLE_CERTS_DIR set to that script's output, the app creates the Secret from
 * the PEM files instead (key material then lands in dist/, with a warning).
 */
function b4ClientCredential(): ClientCredential {
  const dir = process.env.EXAMPLE_CERTS_DIR;
  if (!dir) return ClientCredential.fromSecret('client-credential');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return ClientCredential.fromPem({
    secretName: 'client-credential',
    certificate: read('client.example.com.crt'),
    privateKey: read('client.example.com.key'),
    caCertificate: read('example.com.crt'),
    acknowledgeKeyInManifest: true,
  });
}

/** B4: mutual TLS from the egress gateway to an nginx outside the mesh that requires client certificates. */
export function mtlsOriginationChart(app: App): Chart {
  const chart = new Chart(app, 'b4-mtls-origination');
  egressClient(chart);
  const nginx = new MeshExternalNginx(chart, 'mesh-external');
  new OriginateMtls(chart, 'nginx', {
    egressGateway: EgressGateway.istio(),
    host: nginx.host,
    clientCredential: b4ClientCredential(),
    // scripts/make-example-certs.sh puts the host into the server certificate's SAN.
    subjectAltNames: [nginx.host],
  });
  return chart;
}

/** C: many external hosts through one egress gateway, every mode mixed. */
export function manyRoutesChart(app: App): Chart {
  const chart = new Chart(app, 'c-many-routes');
  egressClient(chart);
  const egressGateway = EgressGateway.istio();
  const route = (host: string, mode: EgressMode) =>
    new EgressGatewayRoute(chart, host, { egressGateway, host, mode });

  for (const host of ['neverssl.com', 'edition.cnn.com', 'httpbin.org']) route(host, EgressMode.http());
  for (const host of [
    'api.github.com', 'registry.npmjs.org', 'pypi.org', 'files.pythonhosted.org',
    'login.microsoftonline.com', 'storage.googleapis.com', 'sts.amazonaws.com',
  ]) route(host, EgressMode.tlsPassthrough());
  // A second port of a host that already has a route: both legs share its objects.
  new EgressGatewayRoute(chart, 'httpbin.org-tls', { egressGateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough() });
  route('www.google.com', EgressMode.originateTls({ serverCa: SYSTEM_CAS }));
  route('api.stripe.com', EgressMode.originateTls({ serverCa: SYSTEM_CAS, subjectAltNames: ['api.stripe.com'] }));
  // Longer than an object name may be: the names are cut and end in a hash of the host.
  route('reporting-backend-for-the-finance-department.eu-west-1.analytics.example.com',
    EgressMode.originateTls({ serverCa: ServerCa.fromSecret('analytics-ca') }));
  new OriginateMtls(chart, 'api.partner-bank.example', {
    egressGateway,
    host: 'api.partner-bank.example',
    clientCredential: ClientCredential.fromSecret('partner-bank-client'),
    subjectAltNames: ['api.partner-bank.example'],
  });
  return chart;
}

export function addEgressCharts(app: App): void {
  httpEgressChart(app);
  tlsPassthroughChart(app);
  tlsOriginationChart(app);
  mtlsOriginationChart(app);
  manyRoutesChart(app);
}
