import * as kplus from 'cdk8s-plus-28';
import { Chart } from 'cdk8s';
import {
  AdoptedWorkload, EgressDestination, EgressGateway, EgressLockdown, MeshNamespace, MeshWorkload, Peer, SidecarInjection, StrictNamespace, WorkloadAuthorization,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

/** A Deployment written with cdk8s-plus alone, as an app that never heard of this library would. */
function plainDeployment(chart: Chart, namespace = 'shop'): kplus.Deployment {
  const account = new kplus.ServiceAccount(chart, 'frontend-sa', { metadata: { name: 'frontend', namespace } });
  const deployment = new kplus.Deployment(chart, 'frontend', {
    metadata: { name: 'frontend', namespace },
    serviceAccount: account,
    select: false,
    podMetadata: { labels: { app: 'frontend' } },
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: 'frontend' } }));
  deployment.addContainer({ image: 'frontend:1', portNumber: 8080 });
  return deployment;
}

function plainStatefulSet(chart: Chart): kplus.StatefulSet {
  const service = new kplus.Service(chart, 'db-svc', { metadata: { name: 'db', namespace: 'shop' }, clusterIP: 'None', ports: [{ port: 5432, name: 'tcp-postgres' }] });
  const set = new kplus.StatefulSet(chart, 'db', {
    metadata: { name: 'db', namespace: 'shop' },
    service,
    podMetadata: { labels: { app: 'db' } },
    select: false,
  });
  set.select(kplus.LabelSelector.of({ labels: { app: 'db' } }));
  set.addContainer({ image: 'postgres:16', ports: [{ number: 5432 }] });
  return set;
}

describe('AdoptedWorkload.fromWorkload: cdk8s-plus workloads', () => {
  test('a Deployment: namespace, labels, service account and ports read from the L2; sidecar label set when asked', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const deployment = plainDeployment(chart);
    const frontend = AdoptedWorkload.fromWorkload(deployment, { namespace: ns, sidecar: true });
    expect(frontend.namespace).toBe('shop');
    expect(frontend.selectorLabels).toEqual({ app: 'frontend' });
    expect(frontend.identity.principal).toBe('cluster.local/ns/shop/sa/frontend');
    expect(frontend.sidecar).toBe(true);
    expect(frontend.containerPorts).toEqual([8080]);
    expect(AdoptedWorkload.fromWorkload(deployment)).toBe(frontend);

    const cart = new MeshWorkload(chart, 'cart', { namespace: ns, image: 'cart', ports: [{ port: 7070, protocol: undefined }] });
    cart.allowFrom(frontend);
    frontend.allowFrom(cart, { ports: [8080] });
    const objects = valid(synth(chart));
    const pod = only(objects, 'Deployment', 'frontend').spec.template;
    expect(pod.metadata.labels).toMatchObject({ 'app': 'frontend', 'sidecar.istio.io/inject': 'true' });
    expect(only(objects, 'AuthorizationPolicy', 'cart-allow').spec.rules)
      .toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }] }]);
    const own = only(objects, 'AuthorizationPolicy', 'frontend-allow');
    expect(own.metadata.namespace).toBe('shop');
    expect(own.spec.selector).toEqual({ matchLabels: { app: 'frontend' } });
    expect(own.spec.rules[0].to).toEqual([{ operation: { ports: ['8080'] } }]);
  });

  test('a StatefulSet as caller, policy target and lock-down destination', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const db = AdoptedWorkload.fromWorkload(plainStatefulSet(chart), { namespace: ns });
    const api = new MeshWorkload(chart, 'api', { namespace: ns, image: 'api', ports: [{ port: 80 }] });
    new WorkloadAuthorization(chart, 'db-authz', { workload: db }).allow([Peer.workload(api)], { ports: [5432] });
    api.allowPeers([Peer.workload(db)]);
    const lockdown = new EgressLockdown(chart, 'lockdown', { namespace: MeshNamespace.fromName('web'), egressGateway: EgressGateway.istio() });
    lockdown.allowTo(EgressDestination.workload(db));
    const objects = valid(synth(chart));
    // The namespace injects sidecars and the pods do not opt out.
    expect(db.sidecar).toBe(true);
    expect(db.identity.principal).toBe('cluster.local/ns/shop/sa/default');
    const policy = only(objects, 'AuthorizationPolicy', 'db-allow');
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'db' } });
    expect(policy.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }], to: [{ operation: { ports: ['5432'] } }] }]);
    const np = only(objects, 'NetworkPolicy');
    expect(np.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'db' } } }],
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
  });

  test('sidecar read from the pod template label, or the namespace; an existing label is kept, a conflicting one refused', () => {
    const chart = newChart();
    const deployment = plainDeployment(chart);
    deployment.podMetadata.addLabel('sidecar.istio.io/inject', 'false');
    expect(AdoptedWorkload.fromWorkload(deployment, { namespace: MeshNamespace.fromName('shop', { sidecarInjection: true })}).sidecar).toBe(false);
    const other = plainDeployment(new Chart(chart, 'two'));
    other.podMetadata.addLabel('sidecar.istio.io/inject', 'false');
    expect(refusal(() => AdoptedWorkload.fromWorkload(other, { sidecar: true })).message)
      .toMatch(/pods are labelled sidecar.istio.io\/inject: "false", but sidecar is true/);
    const third = plainDeployment(new Chart(chart, 'three'));
    expect(AdoptedWorkload.fromWorkload(third).sidecar).toBe(false); // a reference namespace: no injection label known
  });

  test('refuses a workload without labels, without namespace, or in another namespace than given', () => {
    const chart = newChart();
    const bare = new kplus.Deployment(chart, 'bare', { metadata: { namespace: 'shop' }, select: false });
    bare.addContainer({ image: 'x' });
    expect(refusal(() => AdoptedWorkload.fromWorkload(bare)).message).toMatch(/Deployment test\/bare has no selector labels, so no policy could single out its pods/);
    const noNs = new kplus.Deployment(chart, 'nons');
    noNs.addContainer({ image: 'x' });
    expect(refusal(() => AdoptedWorkload.fromWorkload(noNs)).message).toMatch(/has no metadata.namespace/);
    expect(refusal(() => AdoptedWorkload.fromWorkload(plainDeployment(new Chart(chart, 'c')), { namespace: MeshNamespace.fromName('other') })).message)
      .toMatch(/namespace "other" is not the namespace "shop" of Deployment/);
  });

  test('a job and a daemon set are workloads too', () => {
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { metadata: { namespace: 'shop' } });
    job.addContainer({ image: 'migrate' });
    const ds = new kplus.DaemonSet(chart, 'agent', { metadata: { namespace: 'shop' } });
    ds.addContainer({ image: 'agent', portNumber: 9100 });
    const adoptedJob = AdoptedWorkload.fromWorkload(job, { sidecar: true });
    const adoptedDs = AdoptedWorkload.fromWorkload(ds, { sidecar: true });
    expect(Object.keys(adoptedJob.selectorLabels)).toEqual(['cdk8s.io/metadata.addr']);
    expect(adoptedDs.containerPorts).toEqual([9100]);
    valid(synth(chart));
  });
});

describe('AdoptedWorkload.fromSelector: pods known only by labels', () => {
  test('as a caller and a policy target (ports unknown: not checked)', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const helm = AdoptedWorkload.fromSelector(chart, 'grafana', { namespace: MeshNamespace.fromName('monitoring', { sidecarInjection: true }), selector: { 'app.kubernetes.io/name': 'grafana' }, serviceAccountName: 'grafana' });
    const api = new MeshWorkload(chart, 'api', { namespace: ns, image: 'api', ports: [{ port: 80 }] });
    api.allowFrom(helm);
    const target = AdoptedWorkload.fromSelector(chart, 'legacy-api', { namespace: ns, selector: { app: 'legacy-api' } });
    target.allowFrom(api, { ports: [8443], methods: ['GET'] });
    const objects = valid(synth(chart));
    expect(only(objects, 'AuthorizationPolicy', 'api-allow').spec.rules[0].from).toEqual([{ source: { principals: ['cluster.local/ns/monitoring/sa/grafana'] } }]);
    expect(only(objects, 'AuthorizationPolicy', 'legacy-api-allow').spec.selector).toEqual({ matchLabels: { app: 'legacy-api' } });
  });

  test.each([
    [{ selector: {} }, /selector \{\} names no pod labels/],
    [{ selector: { app: 'a b' } }, /selector "app": value "a b" is not a valid label value/],
    [{ selector: { app: 'x' }, serviceAccountName: 'Bad' }, /serviceAccountName "Bad" is not a valid DNS-1123 label/],
    [{ selector: { app: 'x' }, containerPorts: [0] }, /container port 0 is not a valid port/],
    [{ selector: { app: 'x' }, sidecar: 'yes' }, /sidecar "yes" is not a boolean/],
  ])('refuses %j', (props, message) => {
    const chart = newChart();
    expect(refusal(() => AdoptedWorkload.fromSelector(chart, 'x', { namespace: MeshNamespace.fromName('shop'), ...(props as any) })).message).toMatch(message);
  });

  test('refuses sidecar true where the namespace disables injection; a caller without a sidecar is refused where used', () => {
    const chart = newChart();
    const off = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    expect(refusal(() => AdoptedWorkload.fromSelector(chart, 'a', { namespace: off, selector: { app: 'a' }, sidecar: true })).message)
      .toMatch(/sidecar true in namespace "legacy" \(test\/legacy\), whose injection is disabled/);
    const plain = AdoptedWorkload.fromSelector(chart, 'b', { namespace: MeshNamespace.fromName('legacy2'), selector: { app: 'b' } });
    const api = new MeshWorkload(chart, 'api', { namespace: new StrictNamespace(chart, 'shop'), image: 'api', ports: [{ port: 80 }] });
    expect(refusal(() => api.allowFrom(plain)).message).toMatch(/caller test\/b has no sidecar/);
  });
});

describe('anything else where a workload is taken: an IstioSecurityError, not a TypeError', () => {
  const anything: [string, unknown][] = [
    ['undefined', undefined],
    ['a string', 'frontend'],
    ['a plain object', { namespace: 'shop', selectorLabels: { app: 'x' } }],
  ];

  test.each(anything)('%s', (_what, value) => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const api = new MeshWorkload(chart, 'api', { namespace: ns, image: 'api', ports: [{ port: 80 }] });
    const lockdown = new EgressLockdown(chart, 'lockdown', { namespace: MeshNamespace.fromName('web'), egressGateway: EgressGateway.istio() });
    const bad = value as any;
    expect(refusal(() => api.allowFrom(bad)).message).toMatch(/caller .* is not a mesh workload .*pass a MeshWorkload, a MeshService, or an AdoptedWorkload/);
    expect(refusal(() => api.allowPeers([Peer.workload(bad)])).message).toMatch(/is not a mesh workload/);
    expect(refusal(() => lockdown.allowTo(EgressDestination.workload(bad))).message).toMatch(/destination workload .* is not a mesh workload/);
    if (bad !== undefined) {
      expect(refusal(() => new WorkloadAuthorization(chart, 'p', { workload: bad, name: 'p' })).message).toMatch(/workload .* is not a mesh workload/);
    }
    expect(refusal(() => WorkloadAuthorization.of(bad)).message).toMatch(/workload .* is not a mesh workload/);
    expect(refusal(() => AdoptedWorkload.fromWorkload(bad)).message).toMatch(/is not a cdk8s-plus workload/);
  });

  test('a cdk8s-plus Deployment passed directly names the adapter', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const api = new MeshWorkload(chart, 'api', { namespace: ns, image: 'api', ports: [{ port: 80 }] });
    const deployment = plainDeployment(chart) as any;
    expect(refusal(() => api.allowFrom(deployment)).message)
      .toMatch(/caller Deployment test\/frontend is a cdk8s-plus workload, not a mesh workload: adopt it first with AdoptedWorkload.fromWorkload/);
  });
});
