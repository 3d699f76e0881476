/*
 * Hostile-input campaign, egress: EgressGateway, EgressMode (every factory), ServerCa,
 * ClientCredential (fromSecret, fromPem), ExternalPort, EgressGatewayRoute (alone, and next to a
 * route already in the chart), OriginateMtls, EgressLockdown, EgressDestination.
 * See test/hostile-util.ts for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-egress.test.ts
 */
import { ApiObject, Chart } from 'cdk8s';
import fc from 'fast-check';
import {
  AdoptedWorkload, AppProtocol, ClientCredential, ClientTlsMode, EgressDestination, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode,
  MeshNamespace, MeshService, MeshWorkload, OriginateMtls, RegistryOnlyEgress, ServerCa, StrictNamespace,
} from '../src';
import type { EgressTls } from '../src/model';
import { makeNamespace, namespaceArb, namespaceIntent } from './hostile-fixtures';
import {
  Campaign, domainTraps, expectEqual, hostile, junk, labelsTraps, listOf, mostlyValid, nameTraps, optional, portTraps, propsOf, recordOf, validName,
} from './hostile-util';
import { TEST_CA_CERT, TEST_CERT, TEST_EC_KEY, TEST_KEY } from './test-keys';

const campaign = new Campaign('test/hostile-egress.test.ts');

// ---------------------------------------------------------------------------------------------
// Value objects
// ---------------------------------------------------------------------------------------------

const gatewayArb = hostile(fc.oneof(fc.constant({ props: undefined }), mostlyValid({
  namespace: optional(fc.constantFrom('istio-system', 'istio-egress'), nameTraps),
  selector: optional(fc.constantFrom({ istio: 'egressgateway' }, { istio: 'egress', app: 'edge' }), [{}, ...labelsTraps]),
  serviceName: optional(fc.constantFrom('istio-egressgateway', 'edge-gateway'), nameTraps),
  clusterDomain: optional(fc.constantFrom('cluster.local', 'corp.example'), domainTraps),
  ports: optional(fc.constantFrom([{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }], [{ port: 80 }, { port: 443 }, { port: 8443 }]),
    [[], [{ port: 80 }, { port: 80 }], [{ port: '443' }], [{ port: 443, targetPort: 0 }], 'ports', [{ number: 443 }]]),
}).map((props) => ({ props }))), [
  { lookalike: { namespace: 'istio-system', selector: { istio: 'egressgateway' }, ports: [{ port: 443 }], host: 'x' } }, { junk: 'gw' },
  ...[null, 'props', [], { sidcar: 1 }].map((props) => ({ props })),
]);
/** A descriptor made by the arbitraries, or (a trap passed as it is) any other value. */
const has = (d: any, key: string) => typeof d === 'object' && d !== null && !Array.isArray(d) && Object.prototype.hasOwnProperty.call(d, key);
function makeGateway(d: any): any {
  return has(d, 'props') ? EgressGateway.istio(d.props) : has(d, 'lookalike') ? d.lookalike : has(d, 'junk') ? d.junk : d;
}
/** What the gateway is, as a human reads the props: its Service host, when the props are usable at all. */
function gatewayHost(d: any): string {
  const p = (has(d, 'props') ? d.props : undefined) ?? {};
  return `${p.serviceName ?? 'istio-egressgateway'}.${p.namespace ?? 'istio-system'}.svc.${p.clusterDomain ?? 'cluster.local'}`;
}

const PEM_TRAPS = [
  TEST_CERT + TEST_KEY, TEST_KEY, `${TEST_CERT}\nsubject=CN=client\n`, TEST_CERT.replace('MII', 'MII!garbage!'), TEST_CERT.replace(/-----END CERTIFICATE-----\n$/, ''),
  `-----BEGIN CERTIFICATE-----\n${'A'.repeat(800_000)}\n`, TEST_CERT.replace(/CERTIFICATE/g, 'CERTIFICATE REQUEST'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
  TEST_CA_CERT.repeat(1_400), 'MIIB', '', 5, TEST_CERT.replace('\n', '\nProc-Type: 4,ENCRYPTED\n'),
];
const KEY_TRAPS = [TEST_CERT, TEST_CERT + TEST_KEY, TEST_KEY + TEST_KEY, TEST_KEY.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY'), TEST_KEY.split('\n')[0], 'key', ''];
const credentialArb = fc.oneof(
  { weight: 4, arbitrary: hostile(fc.constantFrom('partner-client', 'cc'), nameTraps).map((name) => ({ secret: name })) },
  {
    weight: 4, arbitrary: propsOf({
      secretName: optional(fc.constantFrom('partner-pem', 'cc'), nameTraps),
      certificate: hostile(fc.constant(TEST_CERT), PEM_TRAPS),
      privateKey: hostile(fc.constantFrom(TEST_KEY, TEST_EC_KEY), KEY_TRAPS),
      caCertificate: optional(fc.constant(TEST_CA_CERT), PEM_TRAPS),
      acknowledgeKeyInManifest: hostile(fc.constant(true), [false, 'true', 1]),
    }).map((pem) => ({ pem })),
  },
  { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
);
function makeCredential(d: any): any {
  if (has(d, 'secret')) return ClientCredential.fromSecret(d.secret);
  if (has(d, 'pem')) return ClientCredential.fromPem(d.pem);
  return has(d, 'junk') ? d.junk : d;
}
const serverCaArb = fc.oneof(
  { weight: 3, arbitrary: hostile(fc.constant('/etc/ssl/certs/ca-certificates.crt'), ['certs/ca.pem', '', `/${TEST_CA_CERT}`, '/etc/\u0000ca', `/${'a'.repeat(5000)}`]).map((file) => ({ file })) },
  { weight: 2, arbitrary: hostile(fc.constantFrom('corp-ca', 'cc'), nameTraps).map((secret) => ({ secret })) },
  { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
);
function makeServerCa(d: any): any {
  if (has(d, 'file')) return ServerCa.fromFile(d.file);
  if (has(d, 'secret')) return ServerCa.fromSecret(d.secret);
  return has(d, 'junk') ? d.junk : d;
}

const KINDS = ['http', 'passthrough', 'tls', 'mtls'] as const;
const modeArb = mostlyValid({
  kind: fc.constantFrom(...KINDS),
  options: propsOf({
    port: optional(fc.constantFrom(80, 443, 8080, 8443), portTraps),
    gatewayPort: optional(fc.constantFrom(80, 443), [8443, ...portTraps]),
    targetPort: optional(fc.constantFrom(443, 8443), [80, ...portTraps]),
    portName: optional(fc.constant(undefined), ['web', 'HTTP', 'a'.repeat(64)]),
    targetPortName: optional(fc.constant(undefined), ['secure', 'a_b']),
    sidecarToGatewayTls: optional(fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE), [ClientTlsMode.SIMPLE, 'istio_mutual']),
    subjectAltNames: optional(listOf(fc.constantFrom('api.example.com', 'spiffe://partner/ns/x/sa/y'), [' x', '', 'a\nb'])),
    serverCa: optional(serverCaArb),
    clientCredential: hostile(credentialArb),
  }),
  shape: hostile(fc.constant('factory'), ['lookalike', 'junk']),
});
const KNOWN: { [kind: string]: string[] } = {
  http: ['port', 'gatewayPort', 'portName'],
  passthrough: ['port', 'gatewayPort', 'portName'],
  tls: ['port', 'gatewayPort', 'targetPort', 'portName', 'targetPortName', 'sidecarToGatewayTls', 'subjectAltNames', 'serverCa'],
  mtls: ['port', 'gatewayPort', 'targetPort', 'portName', 'targetPortName', 'sidecarToGatewayTls', 'subjectAltNames', 'clientCredential'],
};
/** The factory's options: only those it takes (the others are a typo the factory must refuse, kept now and then). */
function modeOptions(input: any): any {
  const o = input.options;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  const out: any = Object.getPrototypeOf(o) === null ? Object.create(null) : {};
  for (const key of Object.keys(o)) {
    if (!KNOWN[input.kind].includes(key) && key !== 'sidcar') continue;
    out[key] = key === 'serverCa' ? makeServerCa(o[key]) : key === 'clientCredential' ? makeCredential(o[key] ?? { secret: 'cc' }) : o[key];
  }
  if (input.kind === 'mtls' && out.clientCredential === undefined) out.clientCredential = ClientCredential.fromSecret('cc');
  return out;
}
function makeMode(input: any): any {
  if (input.shape === 'lookalike') return { kind: 'HTTP', port: 80, gatewayPort: 80, targetPort: 80, _settings: {}, originatesTls: false };
  if (input.shape === 'junk') return 'http';
  const o = modeOptions(input);
  switch (input.kind as typeof KINDS[number]) {
    case 'http': return EgressMode.http(o);
    case 'passthrough': return EgressMode.tlsPassthrough(o);
    case 'tls': return EgressMode.originateTls(o);
    case 'mtls': return EgressMode.originateMtls(o);
  }
}
const EXPECTED_TLS: { [kind: string]: EgressTls } = { http: 'none', passthrough: 'passthrough', tls: 'originated', mtls: 'mutual-originated' };

const hostArb = hostile(fc.constantFrom('api.example.com', 'edition.cnn.com', 'a.b.example.org', 'my-nginx.mesh-external.svc.cluster.local'), [
  '127.1', '10.0.0.1.nip.io', 'localhost', 'api.localhost', '0x7f.1', '2130706433', '::1', '[::1]', 'api.example.com.', 'API.example.com',
  '*.example.com', 'istio-egressgateway.istio-system.svc.cluster.local', 'a.b.c.svc.cluster.local', 'x.'.repeat(130) + 'com', 'api.example.123',
  'httpbin.apps.svc.cluster.local', 'a-example.com',
]);
const directPortArb = recordOf({
  port: hostile(fc.constantFrom(443, 8443, 9000), portTraps),
  protocol: hostile(fc.constantFrom(AppProtocol.HTTPS, AppProtocol.TLS, AppProtocol.TCP, AppProtocol.HTTP), ['HTTPS', 'h2']),
  name: optional(fc.constant(undefined), ['web', 'A']),
});
const routePropsArb = mostlyValid({
  gateway: gatewayArb,
  host: hostArb,
  namespace: optional(fc.constantFrom('default', 'egress'), nameTraps),
  directPorts: optional(listOf(directPortArb, [], (p) => p.port)),
  mode: modeArb,
  extra: hostile(fc.constant(undefined), [{ sidcar: 1 }]),
});
type RouteInput = typeof routePropsArb extends fc.Arbitrary<infer T> ? T : never;

function routeProps(input: RouteInput): any {
  return { egressGateway: makeGateway(input.gateway), host: input.host, namespace: input.namespace, directPorts: input.directPorts, mode: makeMode(input.mode), ...input.extra };
}
function options(input: RouteInput) {
  const p = (has(input.gateway, 'props') ? input.gateway.props : undefined) ?? {};
  // The chart's first routes use Istio's default gateway; a custom one is an egress gateway too.
  return { clusterDomain: p.clusterDomain ?? 'cluster.local', egressGatewayHosts: ['istio-egressgateway.istio-system.svc.cluster.local', gatewayHost(input.gateway)] };
}

/** The app's traffic to the host goes through the gateway with the TLS the mode names; direct ports stay direct. */
function checkEgress(model: any, input: RouteInput, client = 'clients/client'): void {
  const rows = [...model.egress()].filter((r: any) => r.from === client && r.host === input.host);
  const kind = input.mode.kind;
  const port = input.mode.options?.port ?? (kind === 'passthrough' ? 443 : 80);
  const routed = rows.find((r: any) => r.port === port);
  if (!routed) throw new Error(`the model has no egress path ${client} -> ${input.host}:${port} (it has ${rows.map((r: any) => r.port).join(', ')})`);
  expectEqual(`${input.host}:${port} via`, routed.via, 'egress-gateway');
  expectEqual(`${input.host}:${port} tls`, routed.tls, EXPECTED_TLS[kind]);
  for (const d of (input.directPorts ?? []) as any[]) {
    const row = rows.find((r: any) => r.port === d.port);
    if (row) expectEqual(`${input.host}:${d.port} via`, row.via, 'direct');
  }
}

function client(c: Chart, kind?: unknown): void {
  new MeshWorkload(c, 'client', { namespace: MeshNamespace.fromName('clients', { sidecarInjection: true }), image: 'curl:8.8.0' });
  // The Kubernetes Services the cluster-local hosts name exist there (the library emits no
  // ServiceEntry for them), with the ports the routes use, 8080 named for what the app sends
  // there (TLS for passthrough, else HTTP): without them a sidecar knows no such host, or port,
  // and sends it direct.
  const port8080 = kind === 'passthrough' ? 'tls-8080' : 'http-8080';
  for (const [name, namespace] of [['my-nginx', 'mesh-external'], ['httpbin', 'apps']]) {
    new ApiObject(c, `Service-${namespace}`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
      spec: { selector: { run: name }, ports: [{ name: 'http', port: 80, targetPort: 80 }, { name: 'https', port: 443, targetPort: 443 }, { name: 'https-8443', port: 8443, targetPort: 8443 }, { name: port8080, port: 8080, targetPort: 8080 }] },
    });
  }
}

describe('hostile inputs: egress', () => {
  test('EgressGatewayRoute, EgressMode, EgressGateway, ServerCa, ClientCredential, ExternalPort', () => {
    campaign.property('EgressGatewayRoute', routePropsArb, {
      setup: () => undefined,
      act: (c, input) => { new EgressGatewayRoute(c, 'target', routeProps(input)); },
      retry: (c) => { new EgressGatewayRoute(c, 'target', { egressGateway: EgressGateway.istio(), host: 'retried.example.com', mode: EgressMode.http() }); },
      probe: (c, input: any) => client(c, input?.mode?.kind),
      modelOptions: (input) => options(input),
      intent: ({ input, model }) => checkEgress(model, input),
    }, 900);
  });

  test('OriginateMtls', () => {
    const arb = fc.record({ gateway: gatewayArb, host: hostArb, credential: credentialArb, shape: fc.constantFrom('props', 'props', 'props', 'props', 'extra', 'null') });
    campaign.property('OriginateMtls', arb, {
      setup: () => undefined,
      act: (c, input) => {
        const props: any = input.shape === 'null' ? null
          : { egressGateway: makeGateway(input.gateway), host: input.host, clientCredential: makeCredential(input.credential), ...(input.shape === 'extra' ? { mode: EgressMode.http() } : {}) };
        new OriginateMtls(c, 'target', props);
      },
      retry: (c) => { new OriginateMtls(c, 'target', { egressGateway: EgressGateway.istio(), host: 'retried.example.com', clientCredential: ClientCredential.fromSecret('retried') }); },
      probe: (c) => client(c),
      modelOptions: (input) => options(input as any),
      intent: ({ input, model, objects }) => {
        checkEgress(model, { ...(input as any), mode: { kind: 'mtls', options: {} } });
        // Key material only where asked for, and only in the gateway's namespace.
        const secrets = objects.filter((o) => o.kind === 'Secret');
        expectEqual('Secrets', secrets.length, has(input.credential, 'pem') ? 1 : 0);
        for (const s of secrets) {
          expectEqual('Secret namespace', s.metadata.namespace, (has(input.gateway, 'props') ? (input.gateway as any).props?.namespace : undefined) ?? 'istio-system');
          if (String(s.stringData['tls.crt']).includes('PRIVATE KEY')) throw new Error('a private key is in tls.crt');
        }
      },
    }, 450);
  });

  test('a second route next to one already in the chart (shared objects, shared gateway ports)', () => {
    const arb = fc.record({ first: fc.constantFrom(...KINDS), second: routePropsArb });
    campaign.property('EgressGatewayRoute (second route)', arb, {
      setup: (c, input) => {
        const firstMode = { http: EgressMode.http(), passthrough: EgressMode.tlsPassthrough(), tls: EgressMode.originateTls({ serverCa: ServerCa.fromSecret('corp-ca') }),
          mtls: EgressMode.originateMtls({ clientCredential: ClientCredential.fromPem({ secretName: 'cc', certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true }) }) }[input.first];
        return new EgressGatewayRoute(c, 'first', { egressGateway: EgressGateway.istio(), host: 'api.example.com', mode: firstMode });
      },
      act: (c, input) => { new EgressGatewayRoute(c, 'target', routeProps(input.second)); },
      retry: (c) => { new EgressGatewayRoute(c, 'target', { egressGateway: EgressGateway.istio(), host: 'retried.example.com', mode: EgressMode.http() }); },
      probe: (c, input: any) => client(c, input?.second?.mode?.kind),
      modelOptions: (input) => options(input.second),
      intent: ({ input, model }) => {
        checkEgress(model, input.second);
        const first = { http: 80, passthrough: 443, tls: 80, mtls: 80 }[input.first];
        checkEgress(model, { ...input.second, host: 'api.example.com', directPorts: undefined, mode: { kind: input.first, options: { port: first } } } as any);
      },
    }, 700);
  });

  const lockdownArb = fc.record({
    namespace: namespaceArb,
    props: propsOf({
      name: optional(validName, nameTraps),
      dns: optional(recordOf({ namespace: optional(fc.constant('kube-system'), nameTraps), selector: optional(fc.constant({ 'k8s-app': 'kube-dns' }), [{}, ...labelsTraps]), port: optional(fc.constant(53), portTraps) })),
      controlPlane: optional(recordOf({ namespace: optional(fc.constant('istio-system'), nameTraps), selector: optional(fc.constant({ app: 'istiod' }), [{}]), ports: optional(listOf(fc.constantFrom(15012, 15010)), portTraps) })),
      allowSameNamespace: optional(fc.boolean(), ['false', 'true', 0]),
      destinations: optional(listOf(fc.constantFrom('shared', 'db'), ['junk'])),
    }),
  });
  test('EgressLockdown, EgressDestination', () => {
    campaign.property('EgressLockdown', lockdownArb, {
      setup: (c, input) => {
        const namespace = makeNamespace(c, input.namespace);
        const db = new MeshWorkload(c, 'db', { namespace: new StrictNamespace(c, 'data'), image: 'redis:7.4', ports: [{ port: 6379, protocol: AppProtocol.REDIS }] });
        new EgressGatewayRoute(c, 'route', { egressGateway: EgressGateway.istio(), host: 'api.example.com', mode: EgressMode.http() });
        return { namespace, db };
      },
      act: (c, input, { namespace, db }) => {
        const p = input.props;
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? { ...p, namespace, egressGateway: EgressGateway.istio(),
            destinations: Array.isArray(p.destinations) ? p.destinations.map((d: any) => d === 'shared' ? EgressDestination.namespace(MeshNamespace.fromName('shared')) : d === 'db' ? EgressDestination.workload(db) : d) : p.destinations }
          : p;
        new EgressLockdown(c, 'target', props);
      },
      retry: (c) => { new EgressLockdown(c, 'target', { namespace: MeshNamespace.fromName('retried'), egressGateway: EgressGateway.istio() }); },
      probe: (c, _input, { namespace }) => { new MeshWorkload(c, 'locked', { namespace, image: 'curl:8.8.0' }); },
      intent: ({ input, model }) => {
        const ns = namespaceIntent(input.namespace).name;
        // The locked-down pod cannot reach the host itself: only through the gateway.
        const row = [...model.egress()].find((r: any) => r.from === `${ns}/locked` && r.host === 'api.example.com' && r.port === 80);
        if (!row) throw new Error(`the model has no egress path ${ns}/locked -> api.example.com:80`);
        expectEqual('bypass blocked', row.bypassBlocked, true);
      },
    }, 450);
  });

  test('EgressLockdown.allowTo', () => {
    const arb = fc.oneof(
      { weight: 3, arbitrary: namespaceArb.map((namespace) => ({ namespace })) },
      { weight: 2, arbitrary: fc.constantFrom('db', 'no-ports').map((workload) => ({ workload })) },
      { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
    );
    campaign.property('EgressLockdown.allowTo', arb, {
      setup: (c, input: any) => {
        if (input.namespace) makeNamespace(c, input.namespace);
        const data = new StrictNamespace(c, 'data');
        const db = new MeshWorkload(c, 'db', { namespace: data, image: 'redis:7.4', ports: [{ port: 6379, protocol: AppProtocol.REDIS }] });
        const noPorts = new MeshWorkload(c, 'no-ports', { namespace: data, image: 'curl:8.8.0' });
        const lockdown = new EgressLockdown(c, 'lockdown', { namespace: MeshNamespace.fromName('apps'), egressGateway: EgressGateway.istio() });
        return { lockdown, db, noPorts };
      },
      act: (c, input: any, { lockdown, db, noPorts }) => {
        const destination = input.namespace ? EgressDestination.namespace(makeNamespace(c, input.namespace))
          : input.workload === 'db' ? EgressDestination.workload(db) : input.workload ? EgressDestination.workload(noPorts) : input.junk;
        lockdown.allowTo(destination);
      },
      retry: (_c, _input, { lockdown }) => lockdown.allowTo(EgressDestination.namespace(MeshNamespace.fromName('retried'))),
    }, 250);
  });
  // Per-client egress: the workloads that may use a route.
  type ClientD = 'caller' | 'other' | 'service' | 'adopted' | 'legacy' | 'deployment' | { junk: any };
  const clientArb: fc.Arbitrary<ClientD> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<ClientD>('caller', 'other', 'service', 'adopted') },
    { weight: 2, arbitrary: fc.constantFrom<ClientD>('legacy', 'deployment') },
    { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
  );
  const clientsArb = fc.record({
    clients: fc.oneof(
      { weight: 4, arbitrary: fc.uniqueArray(fc.constantFrom<ClientD>('caller', 'other', 'service', 'adopted'), { minLength: 1, maxLength: 3 }) },
      { weight: 2, arbitrary: fc.array(clientArb, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom<any>([], undefined, 'caller', null) },
    ),
    mode: fc.constantFrom('http', 'passthrough', 'originate'),
  });
  test('EgressGatewayRoute clients', () => {
    campaign.property('EgressGatewayRoute clients', clientsArb, {
      setup: (c) => {
        const apps = new StrictNamespace(c, 'apps');
        const team = new StrictNamespace(c, 'team');
        const make = (id: string, ns: StrictNamespace, sidecar = true) => new MeshWorkload(c, id, { namespace: ns, image: 'curl:8.8.0', sidecar, ...(sidecar ? {} : { clientTls: undefined }) });
        const world: any = {
          caller: make('caller', apps), other: make('other', team), legacy: new MeshWorkload(c, 'legacy', { namespace: MeshNamespace.fromName('legacy'), image: 'curl:8.8.0' }),
          service: new MeshService(c, 'svc', { namespace: team, ports: [{ port: 80, containerPort: 8080 }] }),
          adopted: AdoptedWorkload.fromSelector(c, 'adopted', { namespace: apps, selector: { app: 'helm-app' } }),
          deployment: undefined,
        };
        world.service.addVersion('v1', { image: 'nginx:1.27' });
        return world;
      },
      act: (c, input, world) => {
        const clients = Array.isArray(input.clients)
          ? input.clients.map((d: any) => (typeof d === 'object' && d !== null && 'junk' in d ? d.junk : typeof d === 'string' ? world[d] : d)) : input.clients;
        const mode = input.mode === 'http' ? EgressMode.http() : input.mode === 'passthrough' ? EgressMode.tlsPassthrough() : EgressMode.originateTls({ serverCa: ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt') });
        new EgressGatewayRoute(c, 'target', { egressGateway: EgressGateway.istio(), host: 'api.example.com', mode, clients });
      },
      retry: (c, _input, world) => { new EgressGatewayRoute(c, 'target', { egressGateway: EgressGateway.istio(), host: 'retry.example.com', mode: EgressMode.http(), clients: [world.caller] }); },
      intent: ({ input, objects }) => {
        if (input.clients === undefined || input.clients === null) {
          // Every workload may use the route: no client policy, exported everywhere.
          expectEqual('client policy', objects.some((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'istio-system'), false);
          return;
        }
        const names = input.clients as string[];
        const principals = [...new Set(names.map((n) => ({ caller: 'apps/sa/caller', other: 'team/sa/other', service: 'team/sa/svc', adopted: 'apps/sa/default' } as any)[n]))]
          .map((p) => `cluster.local/ns/${p}`).sort();
        const namespaces = [...new Set(names.map((n) => ({ caller: 'apps', other: 'team', service: 'team', adopted: 'apps' } as any)[n])), 'istio-system'].sort();
        const policy = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'istio-system');
        expectEqual('clients allowed by the gateway', policy.spec.rules[0].from[0].source.notPrincipals, principals);
        expectEqual('policy action', policy.spec.action, 'DENY');
        for (const kind of ['ServiceEntry', 'VirtualService']) {
          expectEqual(`${kind} exportTo`, objects.find((o) => o.kind === kind && o.spec.hosts?.includes('api.example.com')).spec.exportTo, namespaces);
        }
      },
    }, 300);
  });

  test('RegistryOnlyEgress', () => {
    const arb = fc.record({ namespace: namespaceArb, props: propsOf({ name: optional(validName, nameTraps) }) });
    campaign.property('RegistryOnlyEgress', arb, {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const p = input.props;
        new RegistryOnlyEgress(c, 'target', p !== null && typeof p === 'object' && !Array.isArray(p) ? { ...p, namespace } : p);
      },
      retry: (c) => { new RegistryOnlyEgress(c, 'target', { namespace: MeshNamespace.fromName('retried', { sidecarInjection: true }) }); },
      intent: ({ input, objects }) => {
        const ns = namespaceIntent(input.namespace);
        const sidecars = objects.filter((o) => o.kind === 'Sidecar');
        expectEqual('Sidecar', sidecars.map((o) => [o.metadata.namespace, o.metadata.name, o.spec.outboundTrafficPolicy.mode]),
          [[ns.name, input.props.name ?? 'default', 'REGISTRY_ONLY']]);
      },
    }, 150);
  });
});
