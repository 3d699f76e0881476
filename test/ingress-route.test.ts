import { Chart } from 'cdk8s';
import {
  AdoptedWorkload, AppProtocol, DefaultDeny, IMeshNamespace, IMeshWorkload, MeshService, EgressGateway, EgressGatewayRoute, EgressMode, GatewayCertificate, IngressGateway, IngressRoute, IngressRouteProps,
  IngressTls, MeshNamespace, MeshWorkload, MeshWorkloadProps, MtlsMode, Peer, StrictNamespace, WorkloadAuthorization,
} from '../src';
import { KEY_HEADER_ONLY, TEST_CA_CERT, TEST_CERT, TEST_KEY } from './test-keys';
import { newChart, only, refusal, schemaValidatedEachFile, synth, stderrOf } from './util';

const valid = schemaValidatedEachFile();
const CERT = TEST_CERT;
const gateway = IngressGateway.istio();
const simple = (secret = 'httpbin-credential') => IngressTls.simple({ certificate: GatewayCertificate.fromSecret(secret) });

function httpbin(chart: Chart, props: Partial<MeshWorkloadProps> = {}, namespace: IMeshNamespace = new StrictNamespace(chart, 'web')): MeshWorkload {
  return new MeshWorkload(chart, props.name ?? 'httpbin', {
    namespace, image: 'docker.io/kennethreitz/httpbin', ports: [{ port: 8000, containerPort: 80 }], ...props,
  });
}

function route(chart: Chart, id: string, props: Partial<IngressRouteProps> & { workload: IMeshWorkload }): IngressRoute {
  return new IngressRoute(chart, id, { ingressGateway: gateway, hosts: ['httpbin.example.com'], tls: simple(), ...props });
}


describe('IngressGateway', () => {
  test('Istio\'s ingress gateway: namespace, pods, service account as identity, ports', () => {
    expect(gateway.namespace).toBe('istio-system');
    expect(gateway.selector).toEqual({ istio: 'ingressgateway' });
    expect(gateway.host).toBe('istio-ingressgateway.istio-system.svc.cluster.local');
    expect(gateway.identity.principal).toBe('cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    expect(gateway.peer.principal).toBe(gateway.identity.principal);
    expect(gateway.ports).toEqual([{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }]);
  });

  test('every part configurable', () => {
    const custom = IngressGateway.istio({
      namespace: 'edge', selector: { app: 'public-gw' }, serviceName: 'public', serviceAccountName: 'public-gw',
      trustDomain: 'corp.example', ports: [{ port: 8443 }],
    });
    expect(custom.identity.spiffeId).toBe('spiffe://corp.example/ns/edge/sa/public-gw');
    expect(custom.targetPortOf(8443)).toBe(8443);
    const chart = newChart();
    const r = route(chart, 'r', { workload: httpbin(chart), ingressGateway: custom, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), gatewayPort: 8443 }) });
    const gw = only(valid(synth(chart)), 'Gateway');
    expect(gw.spec.selector).toEqual({ app: 'public-gw' });
    expect(r.name).toBe('httpbin-example-com-8443');
  });
});

test('a gateway in another namespace that keeps the default pod labels: a warning, since Istio applies its servers to the default gateway too', () => {
  const chart = newChart();
  const elsewhere = IngressGateway.istio({ namespace: 'edge' });
  route(chart, 'r', { workload: httpbin(chart), ingressGateway: elsewhere });
  expect(stderrOf(() => valid(synth(chart)))).toMatch(
    /WARNING: test\/r: the ingress gateway in namespace edge selects pods labelled istio=ingressgateway, the label of Istio's default ingress gateway in istio-system/);
  const own = newChart();
  route(own, 'r', { workload: httpbin(own), ingressGateway: IngressGateway.istio({ namespace: 'edge', selector: { istio: 'edge-gateway' } }) });
  expect(stderrOf(() => valid(synth(own)))).not.toContain('WARNING');
});

describe('IngressRoute', () => {
  test('SIMPLE: a Gateway on the gateway pods with the certificate Secret, a VirtualService bound to it', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    const r = route(chart, 'route', { workload });
    const objects = valid(synth(chart));
    const gw = only(objects, 'Gateway');
    expect(gw.metadata).toEqual({ name: 'httpbin-example-com', namespace: 'web' });
    expect(gw.spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{
        port: { number: 443, name: 'https-443', protocol: 'HTTPS' },
        hosts: ['./httpbin.example.com'],
        tls: { mode: 'SIMPLE', credentialName: 'httpbin-credential' },
      }],
    });
    const vs = only(objects, 'VirtualService');
    expect(vs.metadata).toEqual({ name: 'httpbin-example-com', namespace: 'web' });
    expect(vs.spec).toEqual({
      hosts: ['httpbin.example.com'],
      gateways: ['httpbin-example-com'],
      http: [{ match: [{ port: 443 }], route: [{ destination: { host: 'httpbin.web.svc.cluster.local', port: { number: 8000 } } }] }],
    });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect([r.servicePort, r.containerPort]).toEqual([8000, 80]);
    expect(r.virtualService.node.id).toBe('Resource');
  });

  test('httpsRedirect adds a plain-HTTP server that only redirects', () => {
    const chart = newChart();
    route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), httpsRedirect: true }) });
    expect(only(valid(synth(chart)), 'Gateway').spec.servers[1]).toEqual({
      port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['./httpbin.example.com'], tls: { httpsRedirect: true },
    });
  });

  test('MUTUAL: client certificates required, with SAN and fingerprint checks', () => {
    const chart = newChart();
    const hash = 'ab'.repeat(32);
    const spki = `${'A'.repeat(43)}=`;
    route(chart, 'r', {
      workload: httpbin(chart),
      tls: IngressTls.mutual({ certificate: GatewayCertificate.fromSecret('c'), subjectAltNames: ['client.example.com'], certificateHashes: [hash], spkiHashes: [spki] }),
    });
    expect(only(valid(synth(chart)), 'Gateway').spec.servers[0].tls).toEqual({
      mode: 'MUTUAL', credentialName: 'c', subjectAltNames: ['client.example.com'], verifyCertificateHash: [hash], verifyCertificateSpki: [spki],
    });
  });

  test('PASSTHROUGH: a TLS server and a tls route by SNI to a port that speaks TLS', () => {
    const chart = newChart();
    const app = httpbin(chart, { name: 'tls-app', ports: [{ port: 8443, protocol: AppProtocol.HTTPS }] });
    route(chart, 'r', { workload: app, hosts: ['app.example.com', '*.app.example.com'], tls: IngressTls.passthrough() });
    const objects = valid(synth(chart));
    expect(only(objects, 'Gateway').spec.servers).toEqual([{
      port: { number: 443, name: 'tls-443', protocol: 'TLS' }, hosts: ['./app.example.com', './*.app.example.com'], tls: { mode: 'PASSTHROUGH' },
    }]);
    expect(only(objects, 'VirtualService').spec.tls).toEqual([{
      match: [{ port: 443, sniHosts: ['app.example.com', '*.app.example.com'] }],
      route: [{ destination: { host: 'tls-app.web.svc.cluster.local', port: { number: 8443 } } }],
    }]);
  });

  test('plain HTTP only on explicit opt-in, with a synth-time warning', () => {
    const chart = newChart();
    route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.plainHttp({ acknowledgePlaintext: true }) });
    let objects: any[] = [];
    expect(stderrOf(() => { objects = valid(synth(chart)); })).toMatch(/^WARNING: test\/r: "httpbin.example.com" served in plain HTTP on ingress gateway port 80/);
    expect(only(objects, 'Gateway').spec.servers).toEqual([{ port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['./httpbin.example.com'] }]);
  });

  test('a certificate from PEM: a kubernetes.io/tls Secret in the gateway\'s namespace, with a warning', () => {
    const chart = newChart();
    const certificate = GatewayCertificate.fromPem({ secretName: 'httpbin-credential', certificate: CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true });
    const r = route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.mutual({ certificate }) });
    let objects: any[] = [];
    expect(stderrOf(() => { objects = valid(synth(chart)); })).toMatch(/GatewayCertificate "httpbin-credential" writes a private key into Secret istio-system\/httpbin-credential/);
    const secret = only(objects, 'Secret');
    expect(secret.metadata).toEqual({ name: 'httpbin-credential', namespace: 'istio-system' });
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.stringData).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(r.certificateSecret?.name).toBe('httpbin-credential');
    expect(only(objects, 'Gateway').metadata.namespace).toBe('web');
  });

  test('many routes on one gateway: one Gateway and VirtualService each, named after the first host', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'web');
    const a = httpbin(chart, { name: 'a' }, ns);
    const b = httpbin(chart, { name: 'b' }, ns);
    route(chart, 'route-a', { workload: a, hosts: ['a.example.com'] });
    route(chart, 'route-b', { workload: b, hosts: ['*.b.example.com', 'b.example.com'] });
    route(chart, 'a-mtls', { workload: a, hosts: ['a.example.com'], tls: IngressTls.mutual({ certificate: GatewayCertificate.fromSecret('c'), gatewayPort: 80 }), ingressGateway: IngressGateway.istio({ ports: [{ port: 80 }, { port: 443 }, { port: 9443 }] }) });
    const objects = valid(synth(chart)).filter((o) => o.kind === 'Gateway' || o.kind === 'VirtualService');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Gateway/a-example-com', 'Gateway/a-example-com-80', 'Gateway/wildcard-b-example-com',
      'VirtualService/a-example-com', 'VirtualService/a-example-com-80', 'VirtualService/wildcard-b-example-com',
    ].sort());
  });

  test('the Gateway and VirtualService in another namespace when asked; the destination stays the workload\'s Service', () => {
    const chart = newChart();
    route(chart, 'r', { workload: httpbin(chart), namespace: 'edge', name: 'public' });
    const objects = valid(synth(chart));
    expect(only(objects, 'Gateway').metadata).toEqual({ name: 'public', namespace: 'edge' });
    expect(only(objects, 'VirtualService').spec.http[0].route[0].destination.host).toBe('httpbin.web.svc.cluster.local');
  });
});

describe('targets: versioned services and adopted pods', () => {
  test('a MeshService: every version behind its Service; the gateway let in to all of them', () => {
    const chart = newChart();
    const reviews = new MeshService(chart, 'reviews', { namespace: new StrictNamespace(chart, 'bookinfo', { defaultDeny: true }), ports: [{ port: 9080 }] });
    reviews.addVersion('v1', { image: 'reviews:1' });
    const v2 = reviews.addVersion('v2', { image: 'reviews:2' });
    route(chart, 'r', { workload: reviews, hosts: ['reviews.example.com'] });
    const objects = valid(synth(chart));
    expect(only(objects, 'VirtualService').spec.http[0].route).toEqual([{ destination: { host: 'reviews.bookinfo.svc.cluster.local', port: { number: 9080 } } }]);
    const allow = only(objects, 'AuthorizationPolicy', 'reviews-allow');
    expect(allow.spec.selector).toEqual({ matchLabels: { app: 'reviews' } });
    expect(allow.spec.rules).toEqual([{ from: [{ source: { principals: [gateway.identity.principal] } }], to: [{ operation: { ports: ['9080'] } }] }]);
    expect(refusal(() => route(chart, 'v2', { workload: v2, hosts: ['v2.example.com'] })).message)
      .toMatch(/workload test\/reviews\/Version-v2 is one version of MeshService test\/reviews, whose Service selects every version: route to the MeshService/);
  });

  test('an AdoptedWorkload: its Service named, the container port behind it', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('legacy', { sidecarInjection: true });
    const pods = AdoptedWorkload.fromSelector(chart, 'legacy-api', { namespace: ns, selector: { app: 'legacy-api' } });
    WorkloadAuthorization.of(pods).allow([Peer.namespace(ns)]);
    const r = route(chart, 'r', { workload: pods, service: { name: 'legacy-api', port: 80, containerPort: 8080 } });
    const objects = valid(synth(chart));
    expect(r.serviceHost).toBe('legacy-api.legacy.svc.cluster.local');
    expect(only(objects, 'VirtualService').spec.http[0].route[0].destination).toEqual({ host: 'legacy-api.legacy.svc.cluster.local', port: { number: 80 } });
    expect(only(objects, 'AuthorizationPolicy').spec.rules[1]).toEqual({ from: [{ source: { principals: [gateway.identity.principal] } }], to: [{ operation: { ports: ['8080'] } }] });
    expect(refusal(() => route(chart, 'r2', { workload: pods, hosts: ['b.example.com'] })).message)
      .toMatch(/the Service of workload test\/legacy-api is not known to this library: name it and its port \(service: \{ name, port \}\)/);
    expect(refusal(() => route(chart, 'r3', { workload: httpbin(chart), hosts: ['c.example.com'], service: { name: 'x', port: 1 } })).message)
      .toMatch(/has its own Service \(httpbin.web.svc.cluster.local\): leave service out/);
    expect(refusal(() => route(chart, 'r4', { workload: pods, hosts: ['d.example.com'], service: { name: 'Bad', port: 80 } })).message).toMatch(/service name "Bad"/);
  });
});

describe('the gateway\'s identity is let in where it must be', () => {
  const gatewayRule = { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }], to: [{ operation: { ports: ['80'] } }] };

  test('no ALLOW policy and no default deny: nothing added', () => {
    const chart = newChart();
    route(chart, 'r', { workload: httpbin(chart) });
    expect(valid(synth(chart)).filter((o) => o.kind === 'AuthorizationPolicy')).toEqual([]);
  });

  test('a default-deny namespace: the workload\'s ALLOW policy lets the gateway in, to the route\'s container port only', () => {
    const chart = newChart();
    const workload = httpbin(chart, {}, new StrictNamespace(chart, 'web', { defaultDeny: true }));
    route(chart, 'r', { workload });
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy', 'httpbin-allow');
    expect(policy.spec).toEqual({ action: 'ALLOW', selector: { matchLabels: { app: 'httpbin' } }, rules: [gatewayRule] });
  });

  test('DefaultDeny declared after the route', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('web', { sidecarInjection: true, mtlsMode: MtlsMode.STRICT });
    const workload = httpbin(chart, {}, ns);
    route(chart, 'r', { workload });
    new DefaultDeny(chart, 'deny', { namespace: ns });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy', 'httpbin-allow').spec.rules).toEqual([gatewayRule]);
  });

  test('ALLOW rules before or after the route: the gateway rule joins them, once', () => {
    for (const order of ['before', 'after']) {
      const chart = newChart();
      const ns = new StrictNamespace(chart, 'web');
      const workload = httpbin(chart, {}, ns);
      const client = httpbin(chart, { name: 'client' }, ns);
      if (order === 'before') workload.allowFrom(client);
      route(chart, 'r', { workload });
      route(chart, 'r2', { workload, hosts: ['other.example.com'] });
      if (order === 'after') workload.allowFrom(client);
      const rules = only(valid(synth(chart)), 'AuthorizationPolicy', 'httpbin-allow').spec.rules;
      expect({ order, rules: rules.length, gateway: rules.filter((r: any) => JSON.stringify(r) === JSON.stringify(gatewayRule)).length })
        .toEqual({ order, rules: 2, gateway: 1 });
    }
  });

  test('a DENY rule that refuses the gateway fails synth, naming the policy', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    route(chart, 'r', { workload });
    workload.deny({ exceptPeers: [Peer.namespace(MeshNamespace.fromName('web'))] });
    expect(() => synth(chart)).toThrow(/test\/r: rule 1 of DENY AuthorizationPolicy "web\/httpbin-deny" \(test\/httpbin\/Deny\) refuses the ingress gateway \(cluster.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account\) on port 80/);
  });

  test('a DENY rule that spares the gateway, or denies only some requests, is fine', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    route(chart, 'r', { workload });
    workload.deny({ exceptPeers: [Peer.namespace(MeshNamespace.fromName('web')), gateway.peer] });
    workload.deny({ paths: ['/admin'] });
    const deny = only(valid(synth(chart)), 'AuthorizationPolicy', 'httpbin-deny');
    expect(deny.spec.rules[0]).toEqual({ from: [{ source: { notPrincipals: [gateway.identity.principal], notNamespaces: ['web'] } }] });
  });

  test('a DISABLE port behind ALLOW policies: the gateway has no identity there', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('web', { sidecarInjection: true });
    const workload = httpbin(chart, { mtls: { mode: MtlsMode.DISABLE } }, ns);
    WorkloadAuthorization.of(workload).allow([Peer.namespace(ns)]);
    route(chart, 'r', { workload });
    expect(() => stderrOf(() => synth(chart))).toThrow(/port 80 of test\/httpbin is DISABLE, so the ingress gateway calls it in plaintext/);
  });

  test('a workload without a sidecar: the hop is plaintext, with a warning', () => {
    const chart = newChart();
    const workload = httpbin(chart, { sidecar: false }, MeshNamespace.fromName('legacy'));
    route(chart, 'r', { workload });
    expect(stderrOf(() => valid(synth(chart)))).toMatch(/test\/httpbin has no sidecar, so the ingress gateway calls it in plaintext/);
  });
});

describe('IngressRoute refuses', () => {
  test.each([
    ['', /hosts entry is empty: name the host clients call/],
    ['*', /hosts entry "\*" is not a valid wildcard host/],
    ['*.com', /hosts entry "\*.com" is not a valid wildcard host/],
    ['a.*.example.com', /hosts entry "a.\*.example.com" is not a valid wildcard host/],
    ['httpbin', /hosts entry "httpbin" is a short name/],
    ['10.0.0.1', /hosts entry "10.0.0.1" is an IP address: the ingress gateway routes by host name/],
    ['HTTPBIN.example.com', /hosts entry "HTTPBIN.example.com" is not a valid host name/],
    ['example.com.', /hosts entry "example.com." is not a valid host name/],
  ])('host %j', (host, message) => {
    const chart = newChart();
    expect(refusal(() => route(chart, 'r', { workload: httpbin(chart), hosts: [host] })).message).toMatch(message);
  });

  test('hosts: empty, a host twice, not a list', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    expect(refusal(() => route(chart, 'a', { workload, hosts: [] })).message).toMatch(/hosts \[\] names no host/);
    expect(refusal(() => route(chart, 'b', { workload, hosts: ['a.example.com', 'a.example.com'] })).message).toMatch(/hosts entry "a.example.com" is given twice/);
    expect(refusal(() => route(chart, 'c', { workload, hosts: 'a.example.com' as any })).message).toMatch(/hosts "a.example.com" names no host/);
  });

  test.each([
    [8001, /port 8001 is not a Service port of test\/httpbin: use one of 8000/],
    [80, /port 80 is a container port of test\/httpbin: the gateway calls its Service, so use the Service port 8000/],
    [0, /port 0 is not a valid port/],
  ])('a route to port %j', (port, message) => {
    const chart = newChart();
    expect(refusal(() => route(chart, 'r', { workload: httpbin(chart), port })).message).toMatch(message);
  });

  test('no port given for a workload with several; a workload without ports', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'web');
    const two = httpbin(chart, { ports: [{ port: 8000 }, { port: 9000, protocol: AppProtocol.GRPC }] }, ns);
    expect(refusal(() => route(chart, 'r', { workload: two })).message).toMatch(/has several Service ports \(8000, 9000\): name the one to route to/);
    const none = httpbin(chart, { name: 'none', ports: [] }, ns);
    expect(refusal(() => route(chart, 'r2', { workload: none })).message).toMatch(/serves no ports, so there is nothing to route to/);
  });

  test('a gateway port the gateway does not expose; a redirect on the TLS port', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    expect(refusal(() => route(chart, 'a', { workload, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), gatewayPort: 8443 }) })).message)
      .toMatch(/gatewayPort 8443 is not a port of the ingress gateway Service istio-ingressgateway.istio-system.svc.cluster.local \(it exposes 80, 443\)/);
    expect(refusal(() => route(chart, 'b', { workload, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), httpsRedirect: true, redirectPort: 443 }) })).message)
      .toMatch(/redirectPort and gatewayPort are both 443/);
    expect(refusal(() => route(chart, 'c', { workload, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), httpsRedirect: 'yes' as any }) })).message)
      .toMatch(/httpsRedirect "yes" is not a boolean/);
  });

  test('protocols: TLS termination to a TCP port, passthrough to an HTTP port', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'web');
    const redis = httpbin(chart, { name: 'redis', ports: [{ port: 6379, protocol: AppProtocol.REDIS }] }, ns);
    expect(refusal(() => route(chart, 'a', { workload: redis })).message).toMatch(/the gateway sends HTTP on to port 6379 of test\/redis, which speaks redis/);
    expect(refusal(() => route(chart, 'b', { workload: httpbin(chart, {}, ns), tls: IngressTls.passthrough() })).message)
      .toMatch(/passthrough sends the client's TLS untouched to port 8000 of test\/httpbin, which speaks http, not TLS/);
  });

  test('plain HTTP without the acknowledgement', () => {
    const chart = newChart();
    expect(refusal(() => route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.plainHttp({ acknowledgePlaintext: false }) })).message)
      .toMatch(/IngressTls.plainHttp serves the hosts without TLS.*Pass acknowledgePlaintext: true/);
  });

  test.each([
    ['a Secret name that is not a DNS name', GatewayCertificate.fromSecret('Httpbin_Credential'), /gateway certificate Secret "Httpbin_Credential" is not a valid Secret name/],
    ['PEM without the acknowledgement', GatewayCertificate.fromPem({ certificate: CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: false }),
      /GatewayCertificate.fromPem would write the private key of "gateway-certificate" into the synthesized manifests/],
    ['a certificate that is not PEM', GatewayCertificate.fromPem({ certificate: 'nope', privateKey: TEST_KEY, acknowledgeKeyInManifest: true }),
      /gateway certificate certificate is not a PEM certificate/],
    ['a key header only', GatewayCertificate.fromPem({ certificate: CERT, privateKey: KEY_HEADER_ONLY, acknowledgeKeyInManifest: true }),
      /gateway certificate privateKey is not a PEM private key/],
  ])('%s', (_, certificate, message) => {
    const chart = newChart();
    expect(refusal(() => route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.simple({ certificate }) })).message).toMatch(message);
  });

  test('a certificate that is not a GatewayCertificate', () => {
    const chart = newChart();
    expect(refusal(() => route(chart, 'r', { workload: httpbin(chart), tls: IngressTls.simple({ certificate: 'httpbin-credential' as any }) })).message)
      .toMatch(/certificate "httpbin-credential" is not a GatewayCertificate: use GatewayCertificate.fromSecret\(name\)/);
  });

  test('mutual TLS: PEM without a client CA; bad SANs, fingerprints and SPKI hashes', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    const mutual = (extra: object, certificate = GatewayCertificate.fromSecret('c')) => () => route(chart, 'r', { workload, tls: IngressTls.mutual({ certificate, ...extra }) });
    expect(refusal(mutual({}, GatewayCertificate.fromPem({ certificate: CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: true }))).message)
      .toMatch(/mutual TLS checks client certificates against a CA, but GatewayCertificate "gateway-certificate" has no caCertificate/);
    expect(refusal(mutual({ subjectAltNames: [] })).message).toMatch(/subjectAltNames \[\] is empty/);
    expect(refusal(mutual({ subjectAltNames: [' a'] })).message).toMatch(/subjectAltNames entry " a" is not valid/);
    expect(refusal(mutual({ certificateHashes: ['abcd'] })).message).toMatch(/certificateHashes entry "abcd" is not valid: list SHA-256 fingerprints/);
    expect(refusal(mutual({ spkiHashes: ['nope'] })).message).toMatch(/spkiHashes entry "nope" is not valid/);
  });

  test('conflicts on one gateway: a host twice on a port, plaintext next to TLS, a host both plain and TLS', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'web');
    const a = httpbin(chart, { name: 'a' }, ns);
    const b = httpbin(chart, { name: 'b' }, ns);
    route(chart, 'ra', { workload: a, hosts: ['a.example.com'] });
    expect(refusal(() => route(chart, 'rb', { workload: b, hosts: ['a.example.com'], name: 'other' })).message)
      .toMatch(/^test\/rb: gateway port 443 already has a server for "a.example.com" \(route test\/ra\)/);
    const plain = IngressTls.plainHttp({ acknowledgePlaintext: true, gatewayPort: 443 });
    expect(refusal(() => route(chart, 'c', { workload: b, hosts: ['c.example.com'], tls: plain })).message)
      .toMatch(/^test\/c: gateway port 443 would get a plaintext HTTP server for "c.example.com", but test\/ra already serves a TLS server on it/);
    expect(refusal(() => route(chart, 'd', { workload: b, hosts: ['*.example.com'], tls: IngressTls.plainHttp({ acknowledgePlaintext: true }) })).message)
      .toMatch(/^test\/d: "\*.example.com" would be served in plaintext on gateway port 80 and "a.example.com" with TLS on port 443 .*add httpsRedirect: true/);
    expect(refusal(() => route(chart, 'e', { workload: b, hosts: ['b.example.com'], name: 'a-example-com' })).message)
      .toMatch(/Gateway "web\/a-example-com" is already emitted by test\/ra: give this route another name/);
  });

  test('egress and ingress routes on the same gateway pods share the port rules', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    new EgressGatewayRoute(chart, 'egress', { egressGateway: EgressGateway.istio({ selector: { istio: 'ingressgateway' } }), host: 'edition.cnn.com', mode: EgressMode.http({ gatewayPort: 80 }) });
    expect(refusal(() => route(chart, 'r', { workload, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('c'), gatewayPort: 80 }) })).message)
      .toMatch(/gateway port 80 would get a TLS server for "httpbin.example.com", but test\/egress already serves a plaintext HTTP server on it/);
  });

  test('bad gateway references and values that are not the library\'s types', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    expect(refusal(() => route(chart, 'a', { workload, ingressGateway: IngressGateway.istio({ selector: {} }) })).message).toMatch(/ingress gateway selector \{\} would select every pod/);
    expect(refusal(() => route(chart, 'b', { workload, ingressGateway: IngressGateway.istio({ serviceAccountName: 'Bad' }) })).message)
      .toMatch(/ingress gateway serviceAccountName "Bad" is not a valid DNS-1123 label/);
    expect(refusal(() => route(chart, 'c', { workload, ingressGateway: {} as any })).message).toMatch(/ingressGateway \[object Object\] is not an IngressGateway|is not an IngressGateway/);
    expect(refusal(() => route(chart, 'd', { workload, tls: 'SIMPLE' as any })).message).toMatch(/tls "SIMPLE" is not an IngressTls/);
    expect(refusal(() => route(chart, 'e', { workload: {} as any })).message).toMatch(/workload an object is not a mesh workload/);
    expect(refusal(() => new IngressRoute(chart, 'f', {} as any)).message).toMatch(/required props are missing: ingressGateway/);
  });

  test('a refused route claims nothing: the same route then succeeds', () => {
    const chart = newChart();
    const workload = httpbin(chart);
    refusal(() => route(chart, 'r', { workload, hosts: ['ok.example.com', 'BAD'] }));
    refusal(() => route(chart, 'r', { workload, hosts: ['ok.example.com'], tls: IngressTls.mutual({ certificate: GatewayCertificate.fromSecret('c'), spkiHashes: ['x'] }) }));
    expect(refusal(() => route(chart, 'r', { workload, hosts: ['ok.example.com'], port: 1 })).message).toMatch(/port 1 is not a Service port/);
    route(chart, 'r', { workload, hosts: ['ok.example.com'] });
    expect(only(valid(synth(chart)), 'Gateway').metadata.name).toBe('ok-example-com');
    expect(chart.node.findChild('r')).toBeInstanceOf(IngressRoute);
  });
});
