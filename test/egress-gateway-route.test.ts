import {
  AppProtocol, ClientTlsMode, EgressGateway, EgressGatewayRoute, EgressMode, EgressModeKind, MeshNamespace, MeshWorkload,
  ServerCa, SidecarInjection,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();
const gateway = EgressGateway.istio();
const SYSTEM_CAS = ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt');

function warnings(route: EgressGatewayRoute): string[] {
  return route.node.metadata.filter((m) => m.type === 'istio-security:warning').map((m) => String(m.data));
}

describe('EgressMode', () => {
  test('defaults of each mode', () => {
    const http = EgressMode.http();
    expect([http.kind, http.port, http.gatewayPort, http.targetPort, http.originatesTls]).toEqual([EgressModeKind.HTTP, 80, 80, 80, false]);
    const tls = EgressMode.tlsPassthrough();
    expect([tls.kind, tls.port, tls.gatewayPort, tls.targetPort]).toEqual([EgressModeKind.TLS_PASSTHROUGH, 443, 443, 443]);
    const origin = EgressMode.originateTls();
    expect([origin.kind, origin.port, origin.gatewayPort, origin.targetPort, origin.originatesTls])
      .toEqual([EgressModeKind.TLS_ORIGINATION, 80, 443, 443, true]);
  });

  test('default ServiceEntry port names are <protocol>-<port>', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'a', { egressGateway: gateway, host: 'a.example.com', mode: EgressMode.http({ port: 8080 }) });
    new EgressGatewayRoute(chart, 'b', { egressGateway: gateway, host: 'b.example.com', mode: EgressMode.tlsPassthrough({ port: 8443 }) });
    new EgressGatewayRoute(chart, 'c', { egressGateway: gateway, host: 'c.example.com', mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }) });
    const objects = valid(synth(chart));
    expect(only(objects, 'ServiceEntry', 'a-example-com').spec.ports).toEqual([{ number: 8080, name: 'http-8080', protocol: 'HTTP' }]);
    expect(only(objects, 'ServiceEntry', 'b-example-com').spec.ports).toEqual([{ number: 8443, name: 'tls-8443', protocol: 'TLS' }]);
    expect(only(objects, 'ServiceEntry', 'c-example-com').spec.ports).toEqual([
      { number: 80, name: 'http-80', protocol: 'HTTP' }, { number: 443, name: 'https-443', protocol: 'HTTPS' },
    ]);
    // The mesh leg matches the app's port, the gateway leg the gateway port.
    expect(only(objects, 'VirtualService', 'a-example-com').spec.http.map((r: any) => r.match[0].port)).toEqual([8080, 80]);
    expect(only(objects, 'VirtualService', 'a-example-com').spec.http[1].route[0].destination.port.number).toBe(8080);
  });
});

describe('EgressGatewayRoute', () => {
  test('follows a custom egress gateway: namespace, selector, Service host and cluster domain', () => {
    const chart = newChart();
    const custom = EgressGateway.istio({
      namespace: 'istio-egress', selector: { app: 'egress', istio: 'egressgateway' }, serviceName: 'egress', clusterDomain: 'corp.example',
    });
    const route = new EgressGatewayRoute(chart, 'r', {
      egressGateway: custom, host: 'api.example.com', namespace: 'egress-config', mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }),
    });
    const objects = valid(synth(chart));
    expect(only(objects, 'Gateway').metadata.namespace).toBe('egress-config');
    expect(only(objects, 'Gateway').spec.selector).toEqual({ app: 'egress', istio: 'egressgateway' });
    const subsetRule = only(objects, 'DestinationRule', 'egressgateway-for-api-example-com');
    expect(subsetRule.metadata.namespace).toBe('istio-egress');
    expect(subsetRule.spec.host).toBe('egress.istio-egress.svc.corp.example');
    expect(only(objects, 'DestinationRule', 'originate-tls-for-api-example-com').metadata.namespace).toBe('istio-egress');
    expect(only(objects, 'VirtualService').spec.http[0].route[0].destination.host).toBe('egress.istio-egress.svc.corp.example');
    expect(route.subsetName).toBe('api-example-com');
    expect(route.namespace).toBe('egress-config');
  });

  test('exposes the objects it emits', () => {
    const chart = newChart();
    const route = new EgressGatewayRoute(chart, 'r', { egressGateway: gateway, host: 'api.example.com', mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }) });
    expect(route.serviceEntry?.kind).toBe('ServiceEntry');
    expect(route.gateway.kind).toBe('Gateway');
    expect(route.gatewayDestinationRule.kind).toBe('DestinationRule');
    expect(route.virtualService.kind).toBe('VirtualService');
    expect(route.virtualService.node.id).toBe('Resource');
    expect(route.originationDestinationRule?.name).toBe('originate-tls-for-api-example-com');
    expect(route.clientCredentialSecret).toBeUndefined();
    expect(route.kubernetesService).toBe(false);
  });

  test('routes on more ports of one host share its ServiceEntry, Gateway, subset and VirtualService', () => {
    const chart = newChart();
    const http = new EgressGatewayRoute(chart, 'http', { egressGateway: gateway, host: 'httpbin.org', mode: EgressMode.http() });
    const tls = new EgressGatewayRoute(chart, 'tls', { egressGateway: gateway, host: 'httpbin.org', mode: EgressMode.tlsPassthrough() });
    const objects = valid(synth(chart));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceEntry/httpbin-org', 'Gateway/httpbin-org', 'DestinationRule/egressgateway-for-httpbin-org', 'VirtualService/httpbin-org',
    ]);
    expect(only(objects, 'ServiceEntry').spec.ports).toEqual([
      { number: 80, name: 'http-80', protocol: 'HTTP' }, { number: 443, name: 'tls-443', protocol: 'TLS' },
    ]);
    expect(only(objects, 'Gateway').spec.servers.map((s: any) => s.port)).toEqual([
      { number: 80, name: 'http-80', protocol: 'HTTP' }, { number: 443, name: 'tls-443', protocol: 'TLS' },
    ]);
    const vs = only(objects, 'VirtualService').spec;
    expect(vs.http).toHaveLength(2);
    expect(vs.tls).toHaveLength(2);
    expect(tls.virtualService).toBe(http.virtualService);
    expect(tls.gateway).toBe(http.gateway);
  });

  test('HTTP, passthrough and origination share one gateway: plaintext on 80, TLS servers on 443', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'a', { egressGateway: gateway, host: 'a.example.com', mode: EgressMode.http() });
    new EgressGatewayRoute(chart, 'b', { egressGateway: gateway, host: 'b.example.com', mode: EgressMode.tlsPassthrough() });
    new EgressGatewayRoute(chart, 'c', { egressGateway: gateway, host: 'c.example.com', mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }) });
    // The article's plaintext hop is plaintext HTTP too, so it may share port 80 with the HTTP route.
    new EgressGatewayRoute(chart, 'd', {
      egressGateway: gateway, host: 'd.example.com',
      mode: EgressMode.originateTls({ gatewayPort: 80, sidecarToGatewayTls: ClientTlsMode.DISABLE, serverCa: SYSTEM_CAS }),
    });
    const servers = valid(synth(chart)).filter((o) => o.kind === 'Gateway').map((g) => g.spec.servers[0]);
    expect(servers.map((s) => `${s.port.number}/${s.port.protocol}/${s.tls?.mode ?? '-'}`))
      .toEqual(['80/HTTP/-', '443/TLS/PASSTHROUGH', '443/HTTPS/ISTIO_MUTUAL', '80/HTTP/-']);
  });

  test('a Kubernetes Service host gets no ServiceEntry', () => {
    const chart = newChart();
    const route = new EgressGatewayRoute(chart, 'r', {
      egressGateway: gateway, host: 'legacy.billing.svc.cluster.local', mode: EgressMode.http(),
    });
    const objects = valid(synth(chart));
    expect(objects.map((o) => o.kind)).toEqual(['Gateway', 'DestinationRule', 'VirtualService']);
    expect(route.kubernetesService).toBe(true);
    expect(route.serviceEntry).toBeUndefined();
  });

  test('directPorts add ServiceEntry ports that the VirtualService does not route', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'r', {
      egressGateway: gateway, host: 'edition.cnn.com', mode: EgressMode.http(),
      directPorts: [{ port: 443, protocol: AppProtocol.HTTPS }, { port: 8443, protocol: AppProtocol.TLS, name: 'tls-alt' }],
    });
    const objects = valid(synth(chart));
    expect(only(objects, 'ServiceEntry').spec.ports).toEqual([
      { number: 80, name: 'http-80', protocol: 'HTTP' },
      { number: 443, name: 'https-443', protocol: 'HTTPS' },
      { number: 8443, name: 'tls-alt', protocol: 'TLS' },
    ]);
    expect(only(objects, 'VirtualService').spec.http.map((r: any) => r.match[0].port)).toEqual([80, 80]);
  });

  test('object names longer than 63 characters are cut and end in a stable hash of the host', () => {
    const host = `${'segment.'.repeat(8)}end.example.com`;
    const build = () => {
      const chart = newChart();
      new EgressGatewayRoute(chart, 'r', { egressGateway: gateway, host, mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }) });
      return valid(synth(chart));
    };
    const objects = build();
    for (const o of objects) {
      expect(o.metadata.name.length).toBeLessThanOrEqual(63);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9a-f]{8}$/);
    }
    expect(only(objects, 'Gateway').metadata.name.startsWith('segment-segment-')).toBe(true);
    expect(build().map((o) => o.metadata.name)).toEqual(objects.map((o) => o.metadata.name));
  });

  test('ServerCa.fromSecret verifies the server with a CA Secret of the gateway namespace (credentialName)', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'r', {
      egressGateway: gateway, host: 'internal.corp.example', mode: EgressMode.originateTls({ serverCa: ServerCa.fromSecret('corp-ca'), subjectAltNames: ['internal.corp.example'] }),
    });
    const tls = only(valid(synth(chart)), 'DestinationRule', 'originate-tls-for-internal-corp-example').spec.trafficPolicy.portLevelSettings[0].tls;
    expect(tls).toEqual({ mode: 'SIMPLE', credentialName: 'corp-ca', sni: 'internal.corp.example', subjectAltNames: ['internal.corp.example'] });
  });
});

describe('server verification warnings', () => {
  let written: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  test('TLS origination without serverCa: recorded on the node, printed once at synth, naming IST0129', () => {
    const chart = newChart();
    const route = new EgressGatewayRoute(chart, 'r', { egressGateway: gateway, host: 'api.example.com', mode: EgressMode.originateTls() });
    expect(warnings(route)).toHaveLength(1);
    expect(warnings(route)[0]).toMatch(/TLS origination to "api.example.com:443" names no serverCa: .*IST0129 for DestinationRule istio-system\/originate-tls-for-api-example-com/);
    expect(written).toEqual([]);
    valid(synth(chart));
    synth(chart);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^WARNING: test\/r: TLS origination to "api.example.com:443" names no serverCa/);
  });

  test('no warning with a serverCa, for HTTP or passthrough', () => {
    const chart = newChart();
    const routes = [
      new EgressGatewayRoute(chart, 'a', { egressGateway: gateway, host: 'a.example.com', mode: EgressMode.originateTls({ serverCa: SYSTEM_CAS }) }),
      new EgressGatewayRoute(chart, 'b', { egressGateway: gateway, host: 'b.example.com', mode: EgressMode.http() }),
      new EgressGatewayRoute(chart, 'c', { egressGateway: gateway, host: 'c.example.com', mode: EgressMode.tlsPassthrough() }),
    ];
    synth(chart);
    expect(routes.flatMap(warnings)).toEqual([]);
    expect(written).toEqual([]);
  });
});

describe('hosts inside the mesh', () => {
  test('a MeshWorkload without a sidecar may be routed to (a server outside the mesh)', () => {
    const chart = newChart();
    const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    const server = new MeshWorkload(chart, 'server', { namespace: legacy, image: 'nginx', ports: [{ port: 443, protocol: AppProtocol.HTTPS }] });
    expect(() => new EgressGatewayRoute(chart, 'r', { egressGateway: gateway, host: server.host, mode: EgressMode.tlsPassthrough() })).not.toThrow();
    expect(() => synth(chart)).not.toThrow();
  });

  test('a MeshWorkload with a sidecar declared after the route fails at synth', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'r', { egressGateway: gateway, host: 'httpbin.shop.svc.cluster.local', mode: EgressMode.http() });
    new MeshWorkload(chart, 'httpbin', { namespace: MeshNamespace.fromName('shop', { sidecarInjection: true }), image: 'httpbin', ports: [{ port: 80 }] });
    expect(refusal(() => synth(chart)).message).toMatch(/^test\/r: host "httpbin.shop.svc.cluster.local" is the Service of MeshWorkload test\/httpbin, which runs a sidecar/);
  });
});
