import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ClientTlsMode, MeshNamespace, MeshService, MeshServiceAccount, MeshWorkload, MtlsMode, Peer, StrictNamespace,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

function reviews(chart: Chart, props: Partial<ConstructorParameters<typeof MeshService>[2]> = {}): MeshService {
  return new MeshService(chart, 'reviews', {
    namespace: props.namespace ?? new StrictNamespace(chart, 'bookinfo'),
    ports: [{ port: 9080, name: 'http' }],
    serviceAccountName: 'bookinfo-reviews',
    ...props,
  });
}

describe('MeshService: versions behind one Service', () => {
  test('Deployments <app>-<version> selecting { app, version }, one Service selecting app, one shared ServiceAccount', () => {
    const chart = newChart();
    const service = reviews(chart);
    const v1 = service.addVersion('v1', { image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.1' });
    service.addVersion('v2', { image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.20.1' });
    service.addVersion('v3', { image: 'docker.io/istio/examples-bookinfo-reviews-v3:1.20.1', replicas: 2 });
    const objects = valid(synth(chart));

    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['reviews-v1', 'reviews-v2', 'reviews-v3']);
    for (const [i, d] of deployments.entries()) {
      const version = `v${i + 1}`;
      expect(d.spec.selector).toEqual({ matchLabels: { app: 'reviews', version } });
      expect(d.spec.template.metadata.labels).toMatchObject({ 'app': 'reviews', version, 'sidecar.istio.io/inject': 'true' });
      expect(d.spec.template.spec.serviceAccountName).toBe('bookinfo-reviews');
      expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'reviews', ports: [{ containerPort: 9080 }] });
    }
    expect(deployments[2].spec.replicas).toBe(2);
    const svc = only(objects, 'Service');
    expect(svc.metadata).toMatchObject({ name: 'reviews', namespace: 'bookinfo' });
    expect(svc.spec.selector).toEqual({ app: 'reviews' });
    expect(svc.spec.ports).toEqual([{ name: 'http', appProtocol: 'http', port: 9080, targetPort: 9080 }]);
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata)).toEqual([{ name: 'bookinfo-reviews', namespace: 'bookinfo' }]);

    expect(service.identity.principal).toBe('cluster.local/ns/bookinfo/sa/bookinfo-reviews');
    expect(v1.identity.principal).toBe(service.identity.principal);
    expect(v1.host).toBe('reviews.bookinfo.svc.cluster.local');
    expect(v1.selectorLabels).toEqual({ app: 'reviews', version: 'v1' });
    expect(service.versions.map((v) => v.name)).toEqual(['reviews-v1', 'reviews-v2', 'reviews-v3']);
  });

  test('subsets per version keep the StrictNamespace\'s ISTIO_MUTUAL; canary style works the same', () => {
    const chart = newChart();
    const service = reviews(chart, { name: 'ratings', serviceAccountName: undefined, subsets: true });
    service.addVersion('stable', { image: 'ratings:1' });
    service.addVersion('canary', { image: 'ratings:2' });
    const objects = valid(synth(chart));
    const rule = only(objects, 'DestinationRule', 'ratings');
    expect(rule.spec).toEqual({
      host: 'ratings.bookinfo.svc.cluster.local',
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [{ name: 'stable', labels: { version: 'stable' } }, { name: 'canary', labels: { version: 'canary' } }],
    });
    expect(objects.filter((o) => o.kind === 'Deployment').map((d) => d.metadata.name)).toEqual(['ratings-stable', 'ratings-canary']);
    expect(only(objects, 'ServiceAccount').metadata.name).toBe('ratings');
  });

  test('subsets in a namespace without a client TLS rule leave TLS to auto mTLS; clientTls sets it', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('shop', { sidecarInjection: true });
    const a = new MeshService(chart, 'a', { namespace: ns, ports: [{ port: 80 }], subsets: true });
    a.addVersion('v1', { image: 'a' });
    const b = new MeshService(chart, 'b', { namespace: ns, ports: [{ port: 80 }], clientTls: { mode: ClientTlsMode.ISTIO_MUTUAL, name: 'b-tls' } });
    b.addVersion('v1', { image: 'b' });
    const objects = valid(synth(chart));
    expect(only(objects, 'DestinationRule', 'a').spec).toEqual({ host: 'a.shop.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
    expect(only(objects, 'DestinationRule', 'b-tls').spec).toEqual({ host: 'b.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  test('allowFrom on the service selects every version; on a version only that version', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'bookinfo');
    const productpage = new MeshService(chart, 'productpage', { namespace: ns, ports: [{ port: 9080, name: 'http' }], serviceAccountName: 'bookinfo-productpage' });
    productpage.addVersion('v1', { image: 'pp' });
    const service = reviews(chart, { namespace: ns });
    const v1 = service.addVersion('v1', { image: 'r1' });
    service.addVersion('v2', { image: 'r2' });
    service.allowFrom(productpage);
    v1.allowPeers([Peer.workload(productpage)], { methods: ['GET'] });
    const objects = valid(synth(chart));
    const all = only(objects, 'AuthorizationPolicy', 'reviews-allow');
    expect(all.spec.selector).toEqual({ matchLabels: { app: 'reviews' } });
    expect(all.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-productpage'] } }] }]);
    const one = only(objects, 'AuthorizationPolicy', 'reviews-v1-allow');
    expect(one.spec.selector).toEqual({ matchLabels: { app: 'reviews', version: 'v1' } });
  });

  test('a version as MeshWorkload with `service` is the same as addVersion', () => {
    const chart = newChart();
    const service = reviews(chart);
    const ns = new StrictNamespace(chart, 'other');
    const v2 = new MeshWorkload(chart, 'reviews-v2', { namespace: MeshNamespace.fromName('bookinfo', { sidecarInjection: true }), service, version: 'v2', image: 'r2' });
    expect(v2.name).toBe('reviews-v2');
    expect(v2.meshService).toBe(service);
    expect(refusal(() => new MeshWorkload(chart, 'x', { namespace: ns, service, version: 'v3', image: 'r3' })).message)
      .toMatch(/namespace "other" is not the namespace "bookinfo" of service test\/reviews: a version runs beside its Service/);
    valid(synth(chart));
  });

  test.each([
    ['a version that is not a label value', (s: MeshService) => s.addVersion('v1/beta', { image: 'x' }), /version "v1\/beta" is not a valid label value/],
    ['a version that is a label value but not a DNS label', (s: MeshService) => s.addVersion('V1', { image: 'x' }), /version "V1" is not a valid DNS-1123 label/],
    ['two versions with one name', (s: MeshService) => { s.addVersion('v1', { image: 'x' }); s.addVersion('v1', { image: 'y' }); },
      /version "v1" of service test\/reviews is already test\/reviews\/Version-v1: give each version its own name/],
    // Versions that are one string after String() (property-workload seed 896488903 crashed here
    // with constructs' plain "There is already a Construct with name 'Version-0'").
    ['"0" then the number 0', (s: MeshService) => { s.addVersion('0', { image: 'x' }); s.addVersion(0 as any, { image: 'y' }); },
      /version 0 is not a valid label value/],
    ['the number 0 then "0"', (s: MeshService) => { s.addVersion(0 as any, { image: 'x' }); }, /version 0 is not a valid label value/],
    ['"0" twice', (s: MeshService) => { s.addVersion('0', { image: 'x' }); s.addVersion('0', { image: 'y' }); },
      /version "0" of service test\/reviews is already test\/reviews\/Version-0/],
    ['a version whose construct id is taken by hand', (s: MeshService) => { new MeshServiceAccount(s, 'Version-v9', { namespace: MeshNamespace.fromName('bookinfo'), name: 'x' }); s.addVersion('v9', { image: 'y' }); },
      /version "v9" of service test\/reviews cannot be added: test\/reviews\/Version-v9 exists already/],
    ['ports on a version', (s: MeshService) => new MeshWorkload(s, 'x', { namespace: MeshNamespace.fromName('bookinfo'), service: s, image: 'x', ports: [{ port: 1 }] }),
      /ports is set on a version of service test\/reviews: versions share the service's ports/],
    ['another account on a version', (s: MeshService) => new MeshWorkload(s, 'x', {
      namespace: MeshNamespace.fromName('bookinfo'), service: s, image: 'x',
      serviceAccount: MeshServiceAccount.fromName(MeshNamespace.fromName('bookinfo'), 'other'),
    }), /serviceAccount "other" differs from the account "bookinfo-reviews" of service test\/reviews/],
    ['clientTls on a version', (s: MeshService) => new MeshWorkload(s, 'x', { namespace: MeshNamespace.fromName('bookinfo'), service: s, image: 'x', clientTls: {} }),
      /clientTls is set on a version .*set clientTls on the MeshService/],
    ['a sidecar setting that differs from the service', (s: MeshService) => new MeshWorkload(s, 'x', { namespace: MeshNamespace.fromName('bookinfo'), service: s, image: 'x', sidecar: false }),
      /sidecar false differs from service test\/reviews \(true\): set sidecar on the MeshService/],
  ])('refuses %s', (_what, build, message) => {
    const chart = newChart();
    const service = reviews(chart);
    expect(refusal(() => build(service)).message).toMatch(message);
    // The refusal left the service usable: a new version still synthesizes.
    service.addVersion('v8', { image: 'z' });
    valid(synth(chart));
  });

  test('refuses a service without ports, or with an account in another namespace; a service without versions fails synth', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'bookinfo');
    expect(refusal(() => new MeshService(chart, 'a', { namespace: ns, ports: [] })).message).toMatch(/ports \[\] gives the Service nothing to expose/);
    expect(refusal(() => new MeshService(chart, 'b', {
      namespace: ns, ports: [{ port: 80 }], serviceAccount: MeshServiceAccount.fromName(MeshNamespace.fromName('other'), 'x'),
    })).message).toMatch(/serviceAccount "other\/x" is in another namespace: pods run only as accounts of their own namespace "bookinfo"/);
    new MeshService(chart, 'c', { namespace: ns, ports: [{ port: 80 }] });
    expect(() => synth(chart)).toThrow(/service test\/c has no versions, so its Service selects no pods/);
  });

  test('the weakest mTLS mode of the versions is the service\'s', () => {
    const chart = newChart();
    const service = reviews(chart);
    expect(service.mtlsModeForPort(9080)).toBe(MtlsMode.STRICT);
    service.addVersion('v1', { image: 'x' });
    service.addVersion('v2', { image: 'x', mtls: { mode: MtlsMode.PERMISSIVE } });
    expect(service.mtlsModeForPort(9080)).toBe(MtlsMode.PERMISSIVE);
  });
});

describe('identities as their own thing', () => {
  test('a MeshServiceAccount shared by two workloads is one object; Peer.workload of either names it', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const account = new MeshServiceAccount(chart, 'workers', { namespace: ns });
    const a = new MeshWorkload(chart, 'a', { namespace: ns, image: 'a', serviceAccount: account });
    const b = new MeshWorkload(chart, 'b', { namespace: ns, image: 'b', serviceAccount: account });
    const objects = valid(synth(chart));
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['workers']);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.spec.template.spec.serviceAccountName)).toEqual(['workers', 'workers']);
    expect(a.identity.principal).toBe('cluster.local/ns/shop/sa/workers');
    expect(Peer.workload(b).principal).toBe(account.identity.principal);
  });

  test('an account that exists already (the namespace default) emits nothing', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const w = new MeshWorkload(chart, 'redis', { namespace: ns, image: 'redis', serviceAccount: MeshServiceAccount.fromName(ns, 'default') });
    const objects = valid(synth(chart));
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect(only(objects, 'Deployment').spec.template.spec.serviceAccountName).toBe('default');
    expect(w.identity.principal).toBe('cluster.local/ns/shop/sa/default');
  });

  test('two workloads naming one account are refused, with how to share it', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'bookinfo');
    new MeshWorkload(chart, 'reviews-v1', { namespace: ns, image: 'x', serviceAccountName: 'bookinfo-reviews' });
    expect(refusal(() => new MeshWorkload(chart, 'reviews-v2', { namespace: ns, image: 'x', serviceAccountName: 'bookinfo-reviews' })).message)
      .toMatch(/ServiceAccount "bookinfo\/bookinfo-reviews" is already emitted by test\/reviews-v1\/ServiceAccount: one name is one identity: .*new MeshServiceAccount/);
    expect(refusal(() => new MeshServiceAccount(chart, 'again', { namespace: ns, name: 'bookinfo-reviews' })).message)
      .toMatch(/ServiceAccount "bookinfo\/bookinfo-reviews" is already emitted/);
  });

  test('refuses an account from another namespace, or with serviceAccountName beside it', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const other = new MeshServiceAccount(chart, 'x', { namespace: MeshNamespace.fromName('other') });
    expect(refusal(() => new MeshWorkload(chart, 'a', { namespace: ns, image: 'a', serviceAccount: other })).message)
      .toMatch(/serviceAccount "other\/x" is in another namespace/);
    expect(refusal(() => new MeshWorkload(chart, 'b', { namespace: ns, image: 'a', serviceAccount: MeshServiceAccount.fromName(ns, 'y'), serviceAccountName: 'z' })).message)
      .toMatch(/serviceAccount is given, so serviceAccountName and trustDomain come from it/);
    expect(refusal(() => new MeshServiceAccount(chart, 'Bad', { namespace: ns })).message).toMatch(/service account name "Bad" is not a valid DNS-1123 label/);
  });

  test('every kind the library emits is claimed: a second Service of one name is refused', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    new MeshWorkload(chart, 'cart', { namespace: ns, image: 'x', ports: [{ port: 80 }] });
    const service = new MeshService(chart, 'svc', { namespace: ns, name: 'cart2', ports: [{ port: 80 }] });
    service.addVersion('v1', { image: 'x' });
    expect(refusal(() => new MeshService(chart, 'again', { namespace: ns, name: 'cart', ports: [{ port: 80 }], serviceAccountName: 'other' })).message)
      .toMatch(/host "cart.shop.svc.cluster.local" is already the Service of test\/cart|Service "shop\/cart" is already emitted/);
    // kplus objects next to the library's are not checked by it, but the kinds the library emits are.
    new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'cart', namespace: 'shop' } });
    valid(synth(chart));
  });
});
