/*
 * Differential tests: DENY rules, negations, source identity fields and calls from the ingress
 * gateway, the model against Istio's own control plane (the oracle, oracle/), row by row. Skipped,
 * saying so, without the oracle binary (CI builds it and sets REQUIRE_ORACLE=1).
 */
import { Testing } from 'cdk8s';
import { ingressMtlsChart, ingressTlsChart, jwtChart } from '../example/ingress-charts';
import { DENY_BASE, DENY_CASES } from './deny-cases';
import { compareRows, newComparison, oracleBinary, runOracle } from './oracle-util';

const BIN = oracleBinary();

/** Istio's ingress gateway as pods of the input, so that its calls to the workloads are rows the oracle decides too. */
const INGRESS_GATEWAY = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'istio-ingressgateway-service-account', namespace: 'istio-system' } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
    spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, template: { metadata: { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } },
      spec: { serviceAccountName: 'istio-ingressgateway-service-account', containers: [{ name: 'istio-proxy', image: 'proxyv2', ports: [{ containerPort: 8080 }, { containerPort: 8443 }] }] } } } },
];

if (!BIN) {
  if (process.env.REQUIRE_ORACLE === '1') {
    test('the oracle binary is built', () => {
      throw new Error('REQUIRE_ORACLE=1 but no oracle binary: run `bash .ci/install-oracle.sh` or set MESH_ORACLE');
    });
  } else {
    // eslint-disable-next-line no-console
    console.log('oracle-deny: skipped: no oracle binary (build it with `bash .ci/install-oracle.sh`, or set MESH_ORACLE)');
    test.skip('model agrees with the oracle (no oracle binary)', () => undefined);
  }
} else {
  const bin = BIN;
  test('DENY rules, negations and identity fields: the model agrees with Istio row by row', () => {
    const platforms = Object.entries(DENY_CASES).map(([id, policies]) => ({ id, objects: [...DENY_BASE, ...policies] }));
    const results = runOracle(bin, platforms);
    const cmp = newComparison();
    platforms.forEach((p, i) => compareRows(p.id, p.objects, results[i], cmp));
    expect(cmp.disagreements).toEqual([]);
    expect(cmp.compared).toBeGreaterThan(platforms.length * 6);
  });

  test('the ingress gateway\'s calls (D1-D3 with the gateway\'s pods in the input): the model agrees with Istio', () => {
    const platforms = [ingressTlsChart, ingressMtlsChart, jwtChart].map((chart) => ({
      id: chart.name, objects: [...INGRESS_GATEWAY, ...Testing.synth(chart(Testing.app()))],
    }));
    const results = runOracle(bin, platforms);
    const cmp = newComparison();
    platforms.forEach((p, i) => compareRows(p.id, p.objects, results[i], cmp));
    expect(cmp.disagreements).toEqual([]);
    // The gateway's call to httpbin is among them.
    expect(results.every((r) => r.connections.some((c) => c.from === 'istio-system/istio-ingressgateway' && c.to === 'web/httpbin'))).toBe(true);
  });
}
