import { Chart } from 'cdk8s';
import {
  AppProtocol, ClientCredential, ClientTlsMode, EgressGateway, EgressGatewayRoute, EgressGatewayRouteProps, EgressMode,
  MeshNamespace, MeshWorkload, OriginateMtls, ServerCa,
} from '../src';
import { newChart, refusal } from './util';
import { TEST_CERT, TEST_KEY } from './test-keys';

const gateway = EgressGateway.istio();
const CA = ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt');
const CERT = TEST_CERT;
const KEY = TEST_KEY;

function route(props: Partial<EgressGatewayRouteProps>, chart: Chart = newChart(), id = 'r'): EgressGatewayRoute {
  return new EgressGatewayRoute(chart, id, { egressGateway: gateway, host: 'api.example.com', mode: EgressMode.http(), ...props });
}

describe('EgressGatewayRoute refuses', () => {
  describe('hosts Istio cannot route by DNS', () => {
    test.each([
      ['*.example.com', /host "\*.example.com" is a wildcard: the ServiceEntry resolves its host by DNS/],
      ['*', /host "\*" is a wildcard/],
      ['nginx', /host "nginx" is a short name: Istio reads a single-label host .* as "nginx.<namespace>.svc.cluster.local". Use the fully qualified name./],
      ['10.0.0.1', /host "10.0.0.1" is an IP address: the egress gateway routes by host name/],
      ['API.example.com', /host "API.example.com" is not a valid host name: use lowercase dot-separated DNS labels/],
      ['api..example.com', /host "api..example.com" is not a valid host name/],
      ['', /host is empty: name the external host/],
      ['a.b.ns.svc.cluster.local', /host "a.b.ns.svc.cluster.local" ends in ".svc.cluster.local" but is not a Service host: use "<service>.<namespace>.svc.cluster.local"/],
    ])('%j', (host, message) => {
      const err = refusal(() => route({ host }));
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/^test\/r: /);
    });
  });

  test('a gateway port the gateway Service does not expose', () => {
    expect(refusal(() => route({ mode: EgressMode.http({ gatewayPort: 8080 }) })).message).toBe(
      'test/r: gatewayPort 8080 is not a port of the egress gateway Service istio-egressgateway.istio-system.svc.cluster.local '
      + '(it exposes 80, 443): use one of them, or list the port in EgressGateway.istio({ ports }).');
  });

  test.each([0, 65536, 1.5])('port %p', (port) => {
    expect(refusal(() => route({ mode: EgressMode.http({ port }) })).message).toMatch(new RegExp(`port ${port} is not a valid port`));
  });

  test('TLS passthrough on port 80 (plain HTTP), and on the gateway\'s port 80', () => {
    expect(refusal(() => route({ mode: EgressMode.tlsPassthrough({ port: 80 }) })).message)
      .toMatch(/TLS passthrough on port 80: passthrough routes by the SNI of the TLS the app opens, and port 80 carries plain HTTP/);
    expect(refusal(() => route({ mode: EgressMode.tlsPassthrough({ gatewayPort: 80 }) })).message)
      .toMatch(/TLS passthrough on gateway port 80: that is the gateway's plain-HTTP port; use its TLS port \(gatewayPort 443\)/);
  });

  test('origination without a TLS port on the host (targetPort = port)', () => {
    expect(refusal(() => route({ mode: EgressMode.originateTls({ port: 443, targetPort: 443, serverCa: CA }) })).message)
      .toMatch(/TLS origination needs the host's TLS port apart from the app's HTTP port, but targetPort and port are both 443/);
  });

  test.each([ClientTlsMode.SIMPLE, ClientTlsMode.MUTUAL])('sidecarToGatewayTls %s', (mode) => {
    expect(refusal(() => route({ mode: EgressMode.originateTls({ sidecarToGatewayTls: mode, serverCa: CA }) })).message)
      .toMatch(new RegExp(`sidecarToGatewayTls "${mode}" is not one of ISTIO_MUTUAL, DISABLE`));
  });

  test('empty or repeated subjectAltNames', () => {
    expect(refusal(() => route({ mode: EgressMode.originateTls({ serverCa: CA, subjectAltNames: [''] }) })).message).toMatch(/subjectAltNames entry "" is empty/);
    expect(refusal(() => route({ mode: EgressMode.originateTls({ serverCa: CA, subjectAltNames: ['a.example.com', 'a.example.com'] }) })).message)
      .toMatch(/subjectAltNames entry "a.example.com" is given twice/);
  });

  test('a relative CA file and a CA Secret name that is not DNS-1123', () => {
    expect(refusal(() => route({ mode: EgressMode.originateTls({ serverCa: ServerCa.fromFile('certs/ca.crt') }) })).message)
      .toMatch(/serverCa file "certs\/ca.crt" is not an absolute path in the gateway pod/);
    expect(refusal(() => route({ mode: EgressMode.originateTls({ serverCa: ServerCa.fromSecret('Corp_CA') }) })).message)
      .toMatch(/serverCa Secret "Corp_CA" is not a valid Secret name/);
  });

  describe('client credentials', () => {
    test.each(['Client_Credential', 'client credential', '-client', 'a'.repeat(254)])('Secret name %j that is not DNS-1123', (name) => {
      expect(refusal(() => new OriginateMtls(newChart(), 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential: ClientCredential.fromSecret(name) })).message)
        .toMatch(/client credential Secret ".*"( \(\d+ characters\))? is not a valid Secret name: use lowercase letters, digits, '-' and '.'/);
    });

    test('PEM without acknowledging the key in the manifest', () => {
      const clientCredential = ClientCredential.fromPem({ certificate: CERT, privateKey: KEY, acknowledgeKeyInManifest: false });
      expect(refusal(() => new OriginateMtls(newChart(), 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential })).message)
        .toMatch(/ClientCredential.fromPem would write the private key of "client-credential" into the synthesized manifests: pass acknowledgeKeyInManifest: true/);
    });

    test.each([
      [{ certificate: 'not a cert', privateKey: KEY }, /certificate is not a PEM certificate/],
      [{ certificate: CERT, privateKey: CERT }, /privateKey is not a PEM private key/],
      [{ certificate: CERT, privateKey: KEY, caCertificate: KEY }, /caCertificate is not a PEM certificate/],
    ])('PEM material of the wrong kind %#', (pem, message) => {
      const clientCredential = ClientCredential.fromPem({ ...pem, acknowledgeKeyInManifest: true });
      expect(refusal(() => new OriginateMtls(newChart(), 'r', { egressGateway: gateway, host: 'api.example.com', clientCredential })).message).toMatch(message);
    });

    test('two different PEM credentials for one Secret, naming both constructs', () => {
      const chart = newChart();
      const pem = { certificate: CERT, privateKey: KEY, caCertificate: CERT, acknowledgeKeyInManifest: true };
      new OriginateMtls(chart, 'a', { egressGateway: gateway, host: 'a.example.com', clientCredential: ClientCredential.fromPem(pem) });
      expect(refusal(() => new OriginateMtls(chart, 'b', { egressGateway: gateway, host: 'b.example.com', clientCredential: ClientCredential.fromPem(pem) })).message)
        .toBe('test/b: a different client credential already creates Secret "istio-system/client-credential" (test/a): '
          + 'reuse that ClientCredential, or give this one another secretName.');
    });
  });

  describe('collisions, naming both constructs', () => {
    test('two routes for the same host and port', () => {
      const chart = newChart();
      route({}, chart, 'first');
      expect(refusal(() => route({ mode: EgressMode.http({ gatewayPort: 443 }) }, chart, 'second')).message).toBe(
        'test/second: host "api.example.com" port 80 is already routed through the egress gateway by test/first: '
        + 'a host port has one route; remove one of them, or route another port.');
    });

    test('two routes for one host on one gateway port', () => {
      const chart = newChart();
      route({}, chart, 'first');
      expect(refusal(() => route({ mode: EgressMode.http({ port: 8080 }) }, chart, 'second')).message)
        .toMatch(/^test\/second: gateway port 80 already has a server for "api.example.com" \(route test\/first\)/);
    });

    test('plaintext and TLS servers on one gateway port, across hosts', () => {
      const chart = newChart();
      route({ host: 'a.example.com' }, chart, 'http');
      const err = refusal(() => route({ host: 'b.example.com', mode: EgressMode.originateTls({ gatewayPort: 80, serverCa: CA }) }, chart, 'origination'));
      expect(err.message).toMatch(/^test\/origination: gateway port 80 would get a TLS server for "b.example.com", but test\/http already serves a plaintext HTTP server on it/);
      expect(err.message).toMatch(/Give this route another gatewayPort/);
    });

    test('one host from two namespaces', () => {
      const chart = newChart();
      route({ namespace: 'team-a' }, chart, 'a');
      expect(refusal(() => route({ namespace: 'team-b', mode: EgressMode.tlsPassthrough() }, chart, 'b')).message)
        .toMatch(/^test\/b: host "api.example.com" is already routed from namespace "team-a" by test\/a: a host has one VirtualService for the mesh \(IST0109\)/);
    });

    test('one host through two egress gateways', () => {
      const chart = newChart();
      route({}, chart, 'a');
      const other = EgressGateway.istio({ namespace: 'istio-egress' });
      expect(refusal(() => route({ egressGateway: other, mode: EgressMode.tlsPassthrough() }, chart, 'b')).message)
        .toMatch(/^test\/b: host "api.example.com" already leaves through egress gateway istio-egressgateway.istio-system.svc.cluster.local \(route test\/a\)/);
    });

    test('one host port declared with two protocols', () => {
      const chart = newChart();
      const egressGateway = EgressGateway.istio({ ports: [{ port: 80 }, { port: 443 }, { port: 8443 }] });
      route({ egressGateway, mode: EgressMode.originateTls({ targetPort: 8443, serverCa: CA }) }, chart, 'origination');
      expect(refusal(() => route({ egressGateway, mode: EgressMode.tlsPassthrough({ port: 8443, gatewayPort: 8443 }) }, chart, 'passthrough')).message)
        .toBe('test/passthrough: port 8443 of "api.example.com" is declared TLS, but test/origination declares it HTTPS: '
          + 'one port carries one protocol; use another port for one of them.');
    });

    test('one ServiceEntry port name for two ports', () => {
      expect(refusal(() => route({ mode: EgressMode.http({ portName: 'web' }), directPorts: [{ port: 443, protocol: AppProtocol.HTTPS, name: 'web' }] })).message)
        .toMatch(/ServiceEntry port name "web" for port 443 of "api.example.com" is already used for port 80 by test\/r/);
    });

    test('one ServiceEntry port with two names', () => {
      const chart = newChart();
      route({ mode: EgressMode.originateTls({ serverCa: CA }) }, chart, 'a');
      const second = EgressMode.originateTls({ port: 8080, gatewayPort: 80, sidecarToGatewayTls: ClientTlsMode.DISABLE, targetPortName: 'secure', serverCa: CA });
      expect(refusal(() => route({ mode: second }, chart, 'b')).message)
        .toMatch(/port 443 of "api.example.com" is named "secure", but test\/a names it "https-443": give the port one name/);
    });

    test('a direct port that is also routed', () => {
      expect(refusal(() => route({ directPorts: [{ port: 80, protocol: AppProtocol.HTTP, name: 'web' }] })).message)
        .toMatch(/directPorts port 80 is the port this route sends through the egress gateway: a port is either routed or called directly/);
    });

    test('two originations to one port of the host', () => {
      const chart = newChart();
      route({ mode: EgressMode.originateTls({ serverCa: CA }) }, chart, 'a');
      expect(refusal(() => route({ mode: EgressMode.originateTls({ port: 8080, gatewayPort: 80, sidecarToGatewayTls: ClientTlsMode.DISABLE, serverCa: CA }) }, chart, 'b')).message)
        .toMatch(/^test\/b: port 443 of "api.example.com" already has its TLS origination from test\/a/);
    });

    test('two hosts that give the same object name', () => {
      const chart = newChart();
      route({ host: 'a-b.example.com' }, chart, 'a');
      expect(refusal(() => route({ host: 'a.b-example.com' }, chart, 'b')).message)
        .toMatch(/^test\/b: hosts "a.b-example.com" and "a-b.example.com" \(routed by test\/a\) both give the object name "a-b-example-com"/);
    });
  });

  test('an external host that is a mesh workload with a sidecar', () => {
    const chart = newChart();
    const shop = new MeshNamespace(chart, 'shop');
    const workload = new MeshWorkload(chart, 'httpbin', { namespace: shop, image: 'httpbin', ports: [{ port: 80 }] });
    expect(refusal(() => route({ host: workload.host }, chart)).message)
      .toMatch(/host "httpbin.shop.svc.cluster.local" is the Service of MeshWorkload test\/httpbin, which runs a sidecar/);
  });

  test('a Service host in a namespace that injects sidecars', () => {
    const chart = newChart();
    new MeshNamespace(chart, 'shop');
    expect(refusal(() => route({ host: 'billing.shop.svc.cluster.local' }, chart)).message)
      .toMatch(/host "billing.shop.svc.cluster.local" is a Service in namespace "shop" \(test\/shop\), which injects sidecars/);
  });

  test('directPorts or port names for a Kubernetes Service host', () => {
    expect(refusal(() => route({ host: 'nginx.legacy.svc.cluster.local', directPorts: [{ port: 443, protocol: AppProtocol.HTTPS }] })).message)
      .toMatch(/host "nginx.legacy.svc.cluster.local" is a Kubernetes Service: .* directPorts, portName and targetPortName do not apply/);
    expect(refusal(() => route({ host: 'nginx.legacy.svc.cluster.local', mode: EgressMode.http({ portName: 'web' }) })).message)
      .toMatch(/is a Kubernetes Service/);
  });

  test('bad directPorts and port names', () => {
    expect(refusal(() => route({ directPorts: [{ port: 443, protocol: 'HTTPS' as AppProtocol }] })).message).toMatch(/directPorts protocol "HTTPS" is not one of http, http2/);
    expect(refusal(() => route({ directPorts: [{ port: 443, protocol: AppProtocol.HTTPS, name: 'Web_Port' }] })).message).toMatch(/directPorts name "Web_Port" is not a valid DNS-1123 label/);
    expect(refusal(() => route({ mode: EgressMode.tlsPassthrough({ portName: 'TLS' }) })).message).toMatch(/portName "TLS" is not a valid DNS-1123 label/);
  });

  test('an invalid namespace and an invalid egress gateway', () => {
    expect(refusal(() => route({ namespace: 'Team_A' })).message).toMatch(/namespace "Team_A" is not a valid DNS-1123 label/);
    expect(refusal(() => route({ egressGateway: EgressGateway.istio({ selector: {} }) })).message).toMatch(/egress gateway selector \{\} would select every pod/);
  });
});
