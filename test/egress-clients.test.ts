import { Chart } from 'cdk8s';
import {
  ClientTlsMode, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode, MeshNamespace, MeshReport, MeshWorkload,
  RegistryOnlyEgress, ServerCa, SidecarInjection, StrictNamespace,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();
const egressGateway = EgressGateway.istio();

interface Shop {
  readonly chart: Chart;
  readonly shop: StrictNamespace;
  readonly web: StrictNamespace;
  readonly payments: MeshWorkload;
  readonly cart: MeshWorkload;
  readonly frontend: MeshWorkload;
}

function shop(): Shop {
  const chart = newChart();
  const shopNs = new StrictNamespace(chart, 'shop');
  const web = new StrictNamespace(chart, 'web');
  const client = (id: string, namespace: StrictNamespace) => new MeshWorkload(chart, id, {
    namespace, image: 'docker.io/curlimages/curl:8.11.1', command: ['/bin/sleep', 'infinity'],
  });
  return { chart, shop: shopNs, web, payments: client('payments', shopNs), cart: client('cart', shopNs), frontend: client('frontend', web) };
}

describe('egress routes with clients', () => {
  test('HTTP: exported to the clients\' namespaces, mesh mTLS to the gateway\'s 443, a DENY policy for everyone else', () => {
    const s = shop();
    const route = new EgressGatewayRoute(s.chart, 'cnn', { egressGateway, host: 'edition.cnn.com', mode: EgressMode.http(), clients: [s.payments] });
    const objects = valid(synth(s.chart));
    expect(route.gatewayPort).toBe(443);
    expect(only(objects, 'ServiceEntry').spec.exportTo).toEqual(['istio-system', 'shop']);
    const vs = only(objects, 'VirtualService');
    expect(vs.spec.exportTo).toEqual(['istio-system', 'shop']);
    expect(vs.spec.http).toEqual([
      { match: [{ gateways: ['mesh'], port: 80 }], route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'edition-cnn-com', port: { number: 443 } } }] },
      { match: [{ gateways: ['edition-cnn-com'], port: 443 }], route: [{ destination: { host: 'edition.cnn.com', port: { number: 80 } } }] },
    ]);
    expect(only(objects, 'Gateway').spec.servers).toEqual([
      { port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: ['edition.cnn.com'], tls: { mode: 'ISTIO_MUTUAL' } },
    ]);
    expect(only(objects, 'DestinationRule', 'egressgateway-for-edition-cnn-com').spec.subsets[0].trafficPolicy.portLevelSettings)
      .toEqual([{ port: { number: 443 }, tls: { mode: 'ISTIO_MUTUAL', sni: 'edition.cnn.com' } }]);
    const policy = only(objects, 'AuthorizationPolicy', 'egress-clients-edition-cnn-com');
    expect(policy.metadata.namespace).toBe('istio-system');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { istio: 'egressgateway' } },
      action: 'DENY',
      rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/shop/sa/payments'] } }], when: [{ key: 'connection.sni', values: ['edition.cnn.com'] }] }],
    });
    expect(route.clientPolicy).toBeDefined();
    expect(route.clients).toEqual([s.payments]);
  });

  test('TLS passthrough: the app\'s TLS inside mesh mTLS, a TCP route at the gateway', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'stripe', { egressGateway, host: 'api.stripe.com', mode: EgressMode.tlsPassthrough(), clients: [s.payments, s.frontend] });
    const objects = valid(synth(s.chart));
    const vs = only(objects, 'VirtualService');
    expect(vs.spec.exportTo).toEqual(['istio-system', 'shop', 'web']);
    expect(vs.spec.tls).toEqual([{
      match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.stripe.com'] }],
      route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'api-stripe-com', port: { number: 443 } } }],
    }]);
    expect(vs.spec.tcp).toEqual([{ match: [{ gateways: ['api-stripe-com'], port: 443 }], route: [{ destination: { host: 'api.stripe.com', port: { number: 443 } } }] }]);
    expect(only(objects, 'Gateway').spec.servers).toEqual([
      { port: { number: 443, name: 'tls-443', protocol: 'TLS' }, hosts: ['api.stripe.com'], tls: { mode: 'ISTIO_MUTUAL' } },
    ]);
    expect(only(objects, 'AuthorizationPolicy').spec.rules[0].from[0].source.notPrincipals)
      .toEqual(['cluster.local/ns/shop/sa/payments', 'cluster.local/ns/web/sa/frontend']);
  });

  test('routes without clients keep today\'s objects: no exportTo, no policy', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'cnn', { egressGateway, host: 'edition.cnn.com', mode: EgressMode.http() });
    const objects = valid(synth(s.chart));
    expect(only(objects, 'VirtualService').spec.exportTo).toBeUndefined();
    expect(only(objects, 'ServiceEntry').spec.exportTo).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'AuthorizationPolicy')).toEqual([]);
  });

  test('origination with clients; an explicit HTTP gateway port is kept', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'google', {
      egressGateway, host: 'www.google.com', clients: [s.cart],
      mode: EgressMode.originateTls({ serverCa: ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt') }),
    });
    const route = new EgressGatewayRoute(s.chart, 'neverssl', { egressGateway, host: 'neverssl.com', mode: EgressMode.http({ gatewayPort: 80 }), clients: [s.cart] });
    expect(route.gatewayPort).toBe(80);
    const objects = valid(synth(s.chart));
    expect(objects.filter((o) => o.kind === 'AuthorizationPolicy').map((o) => o.metadata.name)).toEqual(['egress-clients-www-google-com', 'egress-clients-neverssl-com']);
  });

  test.each([
    ['an empty client list', (_s: Shop) => ({ clients: [] }), /clients \[\] names no workload|clients .* names no workload/],
    ['a client without a sidecar', (s: Shop) => ({ clients: [new MeshWorkload(s.chart, 'legacy', { namespace: MeshNamespace.fromName('legacy'), image: 'x' })] }),
      /client test\/legacy has no sidecar, so it neither takes the route nor shows the gateway an mTLS identity/],
    ['a client that is not a workload', (_s: Shop) => ({ clients: [{ name: 'x' }] }), /client an object is not a mesh workload/],
    ['a client listed twice', (s: Shop) => ({ clients: [s.cart, s.cart] }), /client test\/cart is listed twice/],
    ['a plaintext hop with clients', (s: Shop) => ({ clients: [s.cart], mode: EgressMode.originateTls({ sidecarToGatewayTls: ClientTlsMode.DISABLE, serverCa: ServerCa.fromSecret('ca') }) }),
      /sidecarToGatewayTls DISABLE with clients: over plaintext the gateway cannot tell who calls/],
  ])('refuses %s', (_what, extra, message) => {
    const s = shop();
    const props = { egressGateway, host: 'api.example.com', mode: EgressMode.http(), ...extra(s) } as any;
    expect(refusal(() => new EgressGatewayRoute(s.chart, 'r', props)).message).toMatch(message);
  });

  test('refuses two routes of one host with different clients; HTTP and TLS with clients cannot share the gateway\'s 443', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'http', { egressGateway, host: 'httpbin.org', mode: EgressMode.http(), clients: [s.cart] });
    expect(refusal(() => new EgressGatewayRoute(s.chart, 'tls0', { egressGateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough(), clients: [s.cart] })).message)
      .toMatch(/gateway port 443 already has a server for "httpbin.org" \(route test\/http\)/);
    const t = shop();
    new EgressGatewayRoute(t.chart, 'http', { egressGateway, host: 'httpbin.org', mode: EgressMode.http({ gatewayPort: 80 }), clients: [t.cart] });
    new EgressGatewayRoute(t.chart, 'tls1', { egressGateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough(), clients: [t.cart] });
    valid(synth(t.chart));
    expect(refusal(() => new EgressGatewayRoute(s.chart, 'tls', { egressGateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough({ port: 8443 }), clients: [s.payments] })).message)
      .toMatch(/host "httpbin.org" is routed by test\/http with clients \[cluster.local\/ns\/shop\/sa\/cart\], but this route names clients \[cluster.local\/ns\/shop\/sa\/payments\]/);
    expect(refusal(() => new EgressGatewayRoute(s.chart, 'tls2', { egressGateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough({ port: 9443 }) })).message)
      .toMatch(/but this route names no clients \(every workload\)/);
  });
});

describe('RegistryOnlyEgress', () => {
  test('a namespace-wide Sidecar with REGISTRY_ONLY', () => {
    const chart = newChart();
    const shopNs = new StrictNamespace(chart, 'shop');
    new RegistryOnlyEgress(chart, 'registry-only', { namespace: shopNs });
    const sidecar = only(valid(synth(chart)), 'Sidecar');
    expect(sidecar).toEqual({
      apiVersion: 'networking.istio.io/v1', kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'shop' },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });
  });

  test('refuses a namespace without sidecars, a second one in a namespace, a bad name', () => {
    const chart = newChart();
    const off = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    expect(refusal(() => new RegistryOnlyEgress(chart, 'a', { namespace: off })).message).toMatch(/sidecar injection disabled, so no sidecar would apply the policy/);
    const shopNs = new StrictNamespace(chart, 'shop');
    new RegistryOnlyEgress(chart, 'b', { namespace: shopNs });
    expect(refusal(() => new RegistryOnlyEgress(chart, 'c', { namespace: shopNs, name: 'other' })).message)
      .toMatch(/namespace "shop" already has a namespace-wide Sidecar from test\/b: Istio applies only one/);
    expect(refusal(() => new RegistryOnlyEgress(chart, 'd', { namespace: shopNs, name: 'Bad' })).message).toMatch(/name "Bad" is not a valid DNS-1123 label/);
  });
});

describe('the mesh model follows per-client egress', () => {
  function rows(chart: Chart) {
    return Object.fromEntries(MeshReport.fromChart(chart).egress().map((e) => [`${e.from} ${e.host}:${e.port}`, e]));
  }

  test('the client gets out; a non-client of its namespace is denied at the gateway, with the policy named', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'stripe', { egressGateway, host: 'api.stripe.com', mode: EgressMode.tlsPassthrough(), clients: [s.payments] });
    new EgressGatewayRoute(s.chart, 'cnn', { egressGateway, host: 'edition.cnn.com', mode: EgressMode.http(), clients: [s.payments] });
    const r = rows(s.chart);
    for (const port of ['api.stripe.com:443', 'edition.cnn.com:80']) {
      expect(r[`shop/payments ${port}`]).toMatchObject({ outcome: 'allowed', via: 'egress-gateway' });
      expect(r[`shop/cart ${port}`]).toMatchObject({ outcome: 'denied', via: 'egress-gateway' });
    }
    expect(r['shop/payments api.stripe.com:443'].tls).toBe('passthrough');
    expect(r['shop/cart api.stripe.com:443'].reason).toMatch(/the gateway refuses it: denied by DENY AuthorizationPolicy istio-system\/egress-clients-api-stripe-com/);
    expect(r['shop/payments edition.cnn.com:80'].reason).toMatch(/sidecar -> egress gateway istio-egressgateway.istio-system:443 subset edition-cnn-com \(mTLS/);
    // Another namespace does not see the route: it goes direct (nothing stops it here).
    expect(r['web/frontend api.stripe.com:443']).toMatchObject({ outcome: 'allowed', via: 'direct', bypassBlocked: false });
  });

  test('REGISTRY_ONLY: a namespace the host is not exported to cannot reach it directly; one it is exported to can', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'stripe', { egressGateway, host: 'api.stripe.com', mode: EgressMode.tlsPassthrough(), clients: [s.payments] });
    new RegistryOnlyEgress(s.chart, 'web-registry-only', { namespace: s.web });
    new RegistryOnlyEgress(s.chart, 'shop-registry-only', { namespace: s.shop });
    const r = rows(s.chart);
    expect(r['web/frontend api.stripe.com:443']).toMatchObject({ outcome: 'blocked', via: 'direct' });
    expect(r['web/frontend api.stripe.com:443'].reason)
      .toMatch(/api.stripe.com:443 is not in the sidecar's registry \(no ServiceEntry for it is exported to the client's namespace\), and Sidecar web\/default sets REGISTRY_ONLY: the sidecar drops the connection/);
    expect(r['shop/payments api.stripe.com:443']).toMatchObject({ outcome: 'allowed', via: 'egress-gateway' });
    expect(r['shop/cart api.stripe.com:443']).toMatchObject({ outcome: 'denied' });
  });

  test('a lock-down makes a direct connection blocked, and the denied client stays denied', () => {
    const s = shop();
    new EgressGatewayRoute(s.chart, 'stripe', { egressGateway, host: 'api.stripe.com', mode: EgressMode.tlsPassthrough(), clients: [s.payments] });
    new EgressLockdown(s.chart, 'web-lockdown', { namespace: s.web, egressGateway });
    new EgressLockdown(s.chart, 'shop-lockdown', { namespace: s.shop, egressGateway });
    const r = rows(s.chart);
    expect(r['web/frontend api.stripe.com:443']).toMatchObject({ outcome: 'blocked', via: 'direct', bypassBlocked: true });
    expect(r['shop/cart api.stripe.com:443']).toMatchObject({ outcome: 'denied', bypassBlocked: true });
    expect(MeshReport.fromChart(s.chart).findings()).toEqual([]);
  });
});
