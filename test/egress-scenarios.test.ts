import { App, Testing } from 'cdk8s';
import {
  addEgressCharts, httpEgressChart, manyRoutesChart, mtlsOriginationChart, tlsOriginationChart, tlsPassthroughChart,
} from '../example/egress-charts';
import { ClientTlsMode, EgressGateway, EgressGatewayRoute, EgressMode, ServerCa } from '../src';
import { newChart, only, schemaValidatedEachFile, synth, synthApp } from './util';

const valid = schemaValidatedEachFile();
const GATEWAY_HOST = 'istio-egressgateway.istio-system.svc.cluster.local';

function chartObjects(build: (app: App) => unknown): any[] {
  const app = Testing.app();
  build(app);
  return valid(synth(app.charts[0]));
}

function istioObjects(objects: any[]): any[] {
  return objects.filter((o) => o.apiVersion.includes('istio.io'));
}

describe('B1: HTTP via the egress gateway', () => {
  const objects = chartObjects(httpEgressChart);

  test('every Istio object is networking.istio.io/v1', () => {
    expect(istioObjects(objects).map((o) => o.apiVersion)).toEqual(Array(4).fill('networking.istio.io/v1'));
    // sleep (ServiceAccount, Deployment) is the chart's client.
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Deployment', 'ServiceEntry', 'Gateway', 'DestinationRule', 'VirtualService']);
  });

  test('ServiceEntry: edition.cnn.com, ports 80 http-port HTTP and 443 https HTTPS, DNS resolution', () => {
    const se = only(objects, 'ServiceEntry');
    expect(se.metadata).toEqual({ name: 'edition-cnn-com', namespace: 'default' });
    expect(se.spec).toEqual({
      hosts: ['edition.cnn.com'],
      ports: [{ number: 80, name: 'http-port', protocol: 'HTTP' }, { number: 443, name: 'https', protocol: 'HTTPS' }],
      resolution: 'DNS',
    });
  });

  test('Gateway: selector istio=egressgateway, server port 80 HTTP for edition.cnn.com', () => {
    const gw = only(objects, 'Gateway');
    expect(gw.metadata).toEqual({ name: 'edition-cnn-com', namespace: 'default' });
    expect(gw.spec).toEqual({
      selector: { istio: 'egressgateway' },
      servers: [{ port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['edition.cnn.com'] }],
    });
  });

  test('DestinationRule for the egress gateway host with a subset for the route', () => {
    const dr = only(objects, 'DestinationRule');
    expect(dr.metadata).toEqual({ name: 'egressgateway-for-edition-cnn-com', namespace: 'istio-system' });
    expect(dr.spec).toEqual({ host: GATEWAY_HOST, subsets: [{ name: 'edition-cnn-com' }] });
  });

  test('VirtualService: mesh port 80 to the gateway subset port 80, the Gateway port 80 to edition.cnn.com:80', () => {
    const vs = only(objects, 'VirtualService');
    expect(vs.metadata).toEqual({ name: 'edition-cnn-com', namespace: 'default' });
    expect(vs.spec).toEqual({
      hosts: ['edition.cnn.com'],
      gateways: ['edition-cnn-com', 'mesh'],
      http: [
        {
          match: [{ gateways: ['mesh'], port: 80 }],
          route: [{ destination: { host: GATEWAY_HOST, subset: 'edition-cnn-com', port: { number: 80 } } }],
        },
        {
          match: [{ gateways: ['edition-cnn-com'], port: 80 }],
          route: [{ destination: { host: 'edition.cnn.com', port: { number: 80 } } }],
        },
      ],
    });
    // The Gateway the VirtualService names is the one emitted next to it.
    expect(vs.spec.gateways[0]).toBe(only(objects, 'Gateway').metadata.name);
    expect(vs.spec.http[0].route[0].destination.subset).toBe(only(objects, 'DestinationRule').spec.subsets[0].name);
  });
});

describe('B2: HTTPS passthrough via the egress gateway', () => {
  const objects = chartObjects(tlsPassthroughChart);

  test('ServiceEntry port 443 tls TLS', () => {
    expect(only(objects, 'ServiceEntry').spec).toEqual({
      hosts: ['edition.cnn.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS',
    });
  });

  test('Gateway server port 443 TLS with tls.mode PASSTHROUGH', () => {
    expect(only(objects, 'Gateway').spec.servers).toEqual([{
      port: { number: 443, name: 'tls-443', protocol: 'TLS' }, hosts: ['edition.cnn.com'], tls: { mode: 'PASSTHROUGH' },
    }]);
  });

  test('VirtualService tls routes by SNI: mesh to the gateway subset 443, the Gateway to edition.cnn.com:443', () => {
    const vs = only(objects, 'VirtualService').spec;
    expect(vs.http).toBeUndefined();
    expect(vs.gateways).toEqual(['edition-cnn-com', 'mesh']);
    expect(vs.tls).toEqual([
      {
        match: [{ gateways: ['mesh'], port: 443, sniHosts: ['edition.cnn.com'] }],
        route: [{ destination: { host: GATEWAY_HOST, subset: 'edition-cnn-com', port: { number: 443 } } }],
      },
      {
        match: [{ gateways: ['edition-cnn-com'], port: 443, sniHosts: ['edition.cnn.com'] }],
        route: [{ destination: { host: 'edition.cnn.com', port: { number: 443 } } }],
      },
    ]);
    expect(only(objects, 'DestinationRule').spec).toEqual({ host: GATEWAY_HOST, subsets: [{ name: 'edition-cnn-com' }] });
  });
});

describe('B3: TLS origination at the egress gateway', () => {
  const objects = chartObjects(tlsOriginationChart);
  const rule = (name: string) => only(objects, 'DestinationRule', name);

  test('the app sends plain HTTP to port 80: ServiceEntry HTTP 80 next to the host\'s HTTPS 443; the mesh leg matches port 80', () => {
    expect(only(objects, 'ServiceEntry').spec.ports).toEqual([
      { number: 80, name: 'http-port', protocol: 'HTTP' },
      { number: 443, name: 'https-port', protocol: 'HTTPS' },
    ]);
    const mesh = only(objects, 'VirtualService').spec.http[0];
    expect(mesh).toEqual({
      match: [{ gateways: ['mesh'], port: 80 }],
      route: [{ destination: { host: GATEWAY_HOST, subset: 'edition-cnn-com', port: { number: 80 } } }],
    });
  });

  test('the Gateway takes the app\'s HTTP on port 80, inside mesh mTLS (ISTIO_MUTUAL, sni = the host)', () => {
    expect(only(objects, 'Gateway').spec.servers).toEqual([{
      port: { number: 80, name: 'https-80', protocol: 'HTTPS' }, hosts: ['edition.cnn.com'], tls: { mode: 'ISTIO_MUTUAL' },
    }]);
    expect(rule('egressgateway-for-edition-cnn-com').spec.subsets).toEqual([{
      name: 'edition-cnn-com',
      trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL', sni: 'edition.cnn.com' } }] },
    }]);
  });

  test('the VirtualService sends the gateway\'s traffic to edition.cnn.com port 443', () => {
    expect(only(objects, 'VirtualService').spec.http[1]).toEqual({
      match: [{ gateways: ['edition-cnn-com'], port: 80 }],
      route: [{ destination: { host: 'edition.cnn.com', port: { number: 443 } } }],
    });
  });

  test('DestinationRule for edition.cnn.com: port 443 SIMPLE with server name and CA checks, for the gateway only', () => {
    const dr = rule('originate-tls-for-edition-cnn-com');
    expect(dr.metadata.namespace).toBe('istio-system');
    expect(dr.spec).toEqual({
      host: 'edition.cnn.com',
      exportTo: ['.'],
      workloadSelector: { matchLabels: { istio: 'egressgateway' } },
      trafficPolicy: {
        portLevelSettings: [{
          port: { number: 443 },
          tls: {
            mode: 'SIMPLE',
            sni: 'edition.cnn.com',
            caCertificates: '/etc/ssl/certs/ca-certificates.crt',
            subjectAltNames: ['edition.cnn.com'],
          },
        }],
      },
    });
  });

  test('the article\'s plaintext hop is expressible: Gateway port 80 protocol HTTP, no mesh TLS in the subset', () => {
    const chart = newChart();
    new EgressGatewayRoute(chart, 'cnn', {
      egressGateway: EgressGateway.istio(),
      host: 'edition.cnn.com',
      mode: EgressMode.originateTls({ gatewayPort: 80, sidecarToGatewayTls: ClientTlsMode.DISABLE, serverCa: ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt') }),
    });
    const plain = valid(synth(chart));
    expect(only(plain, 'Gateway').spec.servers).toEqual([{
      port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['edition.cnn.com'],
    }]);
    expect(only(plain, 'DestinationRule', 'egressgateway-for-edition-cnn-com').spec.subsets).toEqual([{ name: 'edition-cnn-com' }]);
    expect(only(plain, 'VirtualService').spec.http[1].route[0].destination).toEqual({ host: 'edition.cnn.com', port: { number: 443 } });
    expect(only(plain, 'DestinationRule', 'originate-tls-for-edition-cnn-com').spec.trafficPolicy.portLevelSettings[0].tls.mode).toBe('SIMPLE');
  });
});

describe('B4: mutual TLS origination at the egress gateway', () => {
  const objects = chartObjects(mtlsOriginationChart);
  const HOST = 'my-nginx.mesh-external.svc.cluster.local';

  test('the client credential Secret is referenced by name, not synthesized', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const dr = only(objects, 'DestinationRule', 'originate-tls-for-my-nginx-mesh-external-svc-cluster-local');
    expect(dr.spec.trafficPolicy.portLevelSettings[0].tls.credentialName).toBe('client-credential');
  });

  test('Gateway server port 443 HTTPS for the host with tls.mode ISTIO_MUTUAL', () => {
    expect(only(objects, 'Gateway').spec).toEqual({
      selector: { istio: 'egressgateway' },
      servers: [{ port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: [HOST], tls: { mode: 'ISTIO_MUTUAL' } }],
    });
  });

  test('DestinationRule for the gateway host: subset with port 443 ISTIO_MUTUAL and sni = the host', () => {
    const dr = only(objects, 'DestinationRule', 'egressgateway-for-my-nginx-mesh-external-svc-cluster-local');
    expect(dr.spec).toEqual({
      host: GATEWAY_HOST,
      subsets: [{
        name: 'my-nginx-mesh-external-svc-cluster-local',
        trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'ISTIO_MUTUAL', sni: HOST } }] },
      }],
    });
  });

  test('VirtualService: mesh port 80 to the gateway subset port 443; the Gateway port 443 to the host port 443', () => {
    const vs = only(objects, 'VirtualService').spec;
    expect(vs.hosts).toEqual([HOST]);
    expect(vs.http).toEqual([
      {
        match: [{ gateways: ['mesh'], port: 80 }],
        route: [{ destination: { host: GATEWAY_HOST, subset: 'my-nginx-mesh-external-svc-cluster-local', port: { number: 443 } } }],
      },
      {
        match: [{ gateways: ['my-nginx-mesh-external-svc-cluster-local'], port: 443 }],
        route: [{ destination: { host: HOST, port: { number: 443 } } }],
      },
    ]);
  });

  test('DestinationRule for the host: port 443 MUTUAL, credentialName client-credential, sni, in the gateway namespace', () => {
    const dr = only(objects, 'DestinationRule', 'originate-tls-for-my-nginx-mesh-external-svc-cluster-local');
    expect(dr.metadata.namespace).toBe('istio-system');
    expect(dr.spec).toEqual({
      host: HOST,
      exportTo: ['.'],
      workloadSelector: { matchLabels: { istio: 'egressgateway' } },
      trafficPolicy: {
        portLevelSettings: [{
          port: { number: 443 },
          tls: { mode: 'MUTUAL', credentialName: 'client-credential', sni: HOST, subjectAltNames: [HOST] },
        }],
      },
    });
  });

  test('the host is a Kubernetes Service: no ServiceEntry', () => {
    expect(objects.filter((o) => o.kind === 'ServiceEntry')).toEqual([]);
  });

  test('the test server: mesh-external without injection, nginx.conf with ssl_verify_client on, Service and Deployment my-nginx', () => {
    expect(only(objects, 'Namespace').metadata).toEqual({ name: 'mesh-external', labels: { 'istio-injection': 'disabled' } });
    const conf = only(objects, 'ConfigMap', 'nginx-configmap');
    expect(conf.metadata.namespace).toBe('mesh-external');
    expect(conf.data['nginx.conf']).toContain('listen 443 ssl;');
    expect(conf.data['nginx.conf']).toContain('ssl_verify_client on;');
    expect(conf.data['nginx.conf']).toContain('ssl_client_certificate /etc/nginx-ca-certs/example.com.crt;');
    expect(conf.data['nginx.conf']).toContain(`server_name ${HOST};`);

    const service = only(objects, 'Service', 'my-nginx');
    expect(service.metadata.namespace).toBe('mesh-external');
    expect(service.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 443 }]);
    expect(service.spec.selector).toEqual({ run: 'my-nginx' });

    const deployment = only(objects, 'Deployment', 'my-nginx');
    expect(deployment.metadata.namespace).toBe('mesh-external');
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata.labels).toMatchObject({ run: 'my-nginx' });
    expect(pod.containers[0].ports).toEqual([{ containerPort: 443 }]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { mountPath: '/etc/nginx', name: 'nginx-config', readOnly: true },
      { mountPath: '/etc/nginx-server-certs', name: 'nginx-server-certs', readOnly: true },
      { mountPath: '/etc/nginx-ca-certs', name: 'nginx-ca-certs', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'nginx-config', configMap: { name: 'nginx-configmap' } },
      { name: 'nginx-server-certs', secret: { secretName: 'nginx-server-certs' } },
      { name: 'nginx-ca-certs', secret: { secretName: 'nginx-ca-certs' } },
    ]);
  });
});

describe('the example egress charts', () => {
  const app = Testing.app();
  addEgressCharts(app);
  const charts = synthApp(app);

  test('one chart per scenario', () => {
    expect(Object.keys(charts)).toEqual(['b1-http-egress', 'b2-tls-passthrough', 'b3-tls-origination', 'b4-mtls-origination', 'c-many-routes']);
  });


  test('the example emits no synth-time warnings (every origination verifies its server)', () => {
    const warnings = app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'istio-security:warning'));
    expect(warnings).toEqual([]);
  });

  test('C routes at least ten hosts through one gateway in every mode', () => {
    const objects = chartObjects(manyRoutesChart);
    const gateways = objects.filter((o) => o.kind === 'Gateway');
    expect(gateways.length).toBeGreaterThanOrEqual(10);
    expect(new Set(gateways.map((g) => JSON.stringify(g.spec.selector)))).toEqual(new Set(['{"istio":"egressgateway"}']));
    const servers = gateways.flatMap((g) => g.spec.servers);
    expect(new Set(servers.map((s) => s.tls?.mode ?? s.port.protocol))).toEqual(new Set(['HTTP', 'PASSTHROUGH', 'ISTIO_MUTUAL']));
    const modes = objects.filter((o) => o.kind === 'DestinationRule' && o.spec.exportTo)
      .flatMap((o) => o.spec.trafficPolicy.portLevelSettings.map((p: any) => p.tls.mode));
    expect(new Set(modes)).toEqual(new Set(['SIMPLE', 'MUTUAL']));
  });
});
