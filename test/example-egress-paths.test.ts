// The egress paths each egress chart of the example creates, as the mesh model reports them for
// the chart's own client (`sleep` in `default`): every row asserted, so a chart that stops
// showing its paths, or shows another, fails here.
import { App, Chart, Testing } from 'cdk8s';
import { egressLockdownChart } from '../example/authz-charts';
import {
  httpEgressChart, manyRoutesChart, mtlsOriginationChart, tlsOriginationChart, tlsPassthroughChart,
} from '../example/egress-charts';
import { MeshModel } from '../src/model';

/** `host:port via tls [blocked-bypass]` for every egress row from default/sleep, in report order. */
function paths(build: (app: App) => Chart): string[] {
  const model = MeshModel.of(build(Testing.app()).toJson());
  const rows = [...model.egress()];
  expect(new Set(rows.map((r) => r.from))).toEqual(new Set(['default/sleep']));
  return rows.map((r) => `${r.host}:${r.port} ${r.via} ${r.tls}${r.bypassBlocked ? ' blocked-bypass' : ''}`);
}

test('b1-http-egress: port 80 through the gateway in plaintext, 443 (a direct port) straight out', () => {
  expect(paths(httpEgressChart)).toEqual([
    'edition.cnn.com:80 egress-gateway none',
    'edition.cnn.com:443 direct passthrough',
  ]);
});

test('b2-tls-passthrough: the app\'s TLS through the gateway', () => {
  expect(paths(tlsPassthroughChart)).toEqual(['edition.cnn.com:443 egress-gateway passthrough']);
});

test('b3-tls-origination: HTTP on 80, TLS originated by the gateway; the origination port stays direct', () => {
  expect(paths(tlsOriginationChart)).toEqual([
    'edition.cnn.com:80 egress-gateway originated',
    'edition.cnn.com:443 direct passthrough',
  ]);
});

test('b4-mtls-origination: mutual TLS originated by the gateway to the Service outside the mesh', () => {
  expect(paths(mtlsOriginationChart)).toEqual(['my-nginx.mesh-external.svc.cluster.local:80 egress-gateway mutual-originated']);
});

test('b5-egress-lockdown: through the gateway, every bypass blocked', () => {
  expect(paths(egressLockdownChart)).toEqual(['edition.cnn.com:80 egress-gateway none blocked-bypass']);
});

test('c-many-routes: every host through the one gateway in its mode', () => {
  expect(paths(manyRoutesChart)).toEqual([
    'api.github.com:443 egress-gateway passthrough',
    'api.partner-bank.example:80 egress-gateway mutual-originated',
    'api.partner-bank.example:443 direct passthrough',
    'api.stripe.com:80 egress-gateway originated',
    'api.stripe.com:443 direct passthrough',
    'edition.cnn.com:80 egress-gateway none',
    'files.pythonhosted.org:443 egress-gateway passthrough',
    'httpbin.org:80 egress-gateway none',
    'httpbin.org:443 egress-gateway passthrough',
    'login.microsoftonline.com:443 egress-gateway passthrough',
    'neverssl.com:80 egress-gateway none',
    'pypi.org:443 egress-gateway passthrough',
    'registry.npmjs.org:443 egress-gateway passthrough',
    'reporting-backend-for-the-finance-department.eu-west-1.analytics.example.com:80 egress-gateway originated',
    'reporting-backend-for-the-finance-department.eu-west-1.analytics.example.com:443 direct passthrough',
    'storage.googleapis.com:443 egress-gateway passthrough',
    'sts.amazonaws.com:443 egress-gateway passthrough',
    'www.google.com:80 egress-gateway originated',
    'www.google.com:443 direct passthrough',
  ]);
});

test('origination rules select the gateway pods: a rule for other pods originates nothing', () => {
  // The rule's workloadSelector is what makes the gateway (and only it) originate.
  const objects = tlsOriginationChart(Testing.app()).toJson().map((o: any) => (o.kind === 'DestinationRule' && o.metadata.name.startsWith('originate-tls-for-')
    ? { ...o, spec: { ...o.spec, workloadSelector: { matchLabels: { istio: 'some-other-gateway' } } } }
    : o));
  const row = [...MeshModel.of(objects).egress()].find((r) => r.port === 80)!;
  expect(row).toMatchObject({ via: 'egress-gateway', tls: 'none' });
});
