import { App } from 'cdk8s';
import { addMtlsCharts } from '../example/mtls-charts';
import { only, synthApp } from './util';

// Scenarios A1-A3 of SCENARIOS.md, asserted field by field on the example's own charts.
const charts = (() => {
  const app = new App();
  addMtlsCharts(app);
  return synthApp(app);
})();

const named = (objects: any[], kind: string, namespace: string, name: string) =>
  only(objects.filter((o) => o.metadata.namespace === namespace || (namespace === '' && !o.metadata.namespace)), kind, name);

test('A1: project-space is injected, STRICT, and its clients use ISTIO_MUTUAL', () => {
  const objects = charts['a1-strict-namespace'];
  expect(named(objects, 'Namespace', '', 'project-space').metadata.labels['istio-injection']).toBe('enabled');
  expect(named(objects, 'PeerAuthentication', 'project-space', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
  expect(named(objects, 'DestinationRule', 'project-space', 'default').spec)
    .toEqual({ host: '*.project-space.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
});

describe.each(['a2-mesh-wide', 'a2-namespace-wide', 'a2-workload'])('A2 %s: the shared setup', (chartId) => {
  const objects = charts[chartId];

  test('foo and bar are injected, legacy is not', () => {
    expect(named(objects, 'Namespace', '', 'foo').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(named(objects, 'Namespace', '', 'bar').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(named(objects, 'Namespace', '', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'disabled' });
  });

  test.each(['foo', 'bar', 'legacy'])('httpbin and sleep in %s', (ns) => {
    const service = named(objects, 'Service', ns, 'httpbin');
    expect(service.spec.ports).toEqual([{ name: 'http-8000', appProtocol: 'http', port: 8000, targetPort: 80 }]);
    expect(service.spec.selector).toEqual({ app: 'httpbin' });
    expect(named(objects, 'Deployment', ns, 'httpbin').spec.template.spec.serviceAccountName).toBe('httpbin');
    expect(named(objects, 'Deployment', ns, 'sleep').spec.template.spec.serviceAccountName).toBe('sleep');
    named(objects, 'ServiceAccount', ns, 'httpbin');
    named(objects, 'ServiceAccount', ns, 'sleep');
    const sidecar = ns === 'legacy' ? 'false' : 'true';
    expect(named(objects, 'Deployment', ns, 'sleep').spec.template.metadata.annotations['sidecar.istio.io/inject']).toBe(sidecar);
  });
});

test('A2 mesh-wide: only PeerAuthentication default in istio-system, STRICT, no selector', () => {
  const policies = charts['a2-mesh-wide'].filter((o) => o.kind === 'PeerAuthentication');
  expect(policies).toHaveLength(1);
  expect(policies[0].metadata).toEqual({ name: 'default', namespace: 'istio-system' });
  expect(policies[0].spec).toEqual({ mtls: { mode: 'STRICT' } });
  expect(charts['a2-mesh-wide'].filter((o) => o.kind === 'DestinationRule')).toHaveLength(0);
});

test('A2 namespace-wide: only PeerAuthentication default in foo, STRICT', () => {
  const policies = charts['a2-namespace-wide'].filter((o) => o.kind === 'PeerAuthentication');
  expect(policies).toHaveLength(1);
  expect(policies[0].metadata).toEqual({ name: 'default', namespace: 'foo' });
  expect(policies[0].spec).toEqual({ mtls: { mode: 'STRICT' } });
  expect(charts['a2-namespace-wide'].filter((o) => o.kind === 'DestinationRule')).toHaveLength(0);
});

test('A2 workload: PeerAuthentication in bar selecting app: httpbin, and ISTIO_MUTUAL for httpbin.bar', () => {
  const objects = charts['a2-workload'];
  const policies = objects.filter((o) => o.kind === 'PeerAuthentication');
  expect(policies).toHaveLength(1);
  expect(policies[0].metadata.namespace).toBe('bar');
  expect(policies[0].spec).toEqual({ selector: { matchLabels: { app: 'httpbin' } }, mtls: { mode: 'STRICT' } });
  const rules = objects.filter((o) => o.kind === 'DestinationRule');
  expect(rules).toHaveLength(1);
  expect(rules[0].metadata.namespace).toBe('bar');
  expect(rules[0].spec).toEqual({ host: 'httpbin.bar.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
});

test('A3: service-a and service-b ask for a sidecar; enable-mtls for service-a', () => {
  const objects = charts['a3-sidecar-annotation'];
  for (const name of ['service-a', 'service-b']) {
    const pod = named(objects, 'Deployment', 'default', name).spec.template;
    expect(pod.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': 'true' });
    expect(pod.metadata.labels.app).toBe(name);
  }
  expect(objects.filter((o) => o.kind === 'Namespace')).toHaveLength(0);
  const dr = named(objects, 'DestinationRule', 'default', 'enable-mtls');
  expect(dr.apiVersion).toBe('networking.istio.io/v1');
  expect(dr.spec).toEqual({ host: 'service-a.default.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
});
