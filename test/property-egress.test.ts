/*
 * Property-based tests: egress through the egress gateway (EgressGateway, EgressMode,
 * EgressGatewayRoute, OriginateMtls, ServerCa, ClientCredential, ExternalPort). Every case is
 * refused with an IstioSecurityError the oracle predicts, or synthesizes schema-valid objects
 * (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import fc from 'fast-check';
import {
  AppProtocol, ClientCredential, ClientTlsMode, EgressGateway, EgressGatewayRoute, EgressMode, MeshNamespace, MeshWorkload, OriginateMtls,
  ServerCa, SidecarInjection,
} from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, domainArb, enumArb, expectBothOutcomes, isDnsLabel, isDnsSubdomain, isHostDomain, isPort,
  labelViolations, labelsArb, mixed, nameArb, portArb, validDomain, validLabel, validPort, violation,
} from './property-util';
import { KEY_HEADER_ONLY, TEST_CERT, TEST_EC_KEY, TEST_KEY } from './test-keys';

announce('test/property-egress.test.ts');

const PROTOCOLS = Object.values(AppProtocol) as string[];
const CERT = TEST_CERT;
const KEY = TEST_KEY;
const EC_KEY = TEST_EC_KEY;

// ------------------------------------------------------------------------------------------------
// Inputs
// ------------------------------------------------------------------------------------------------

interface GatewayInput { namespace?: any; selector?: any; serviceName?: any; clusterDomain?: any; ports?: { port: any; targetPort?: any }[] }

const gatewayArb = mixed<GatewayInput>({
  namespace: fc.option(validLabel, { freq: 2, nil: undefined }),
  selector: fc.option(fc.constantFrom({ istio: 'egressgateway' }, { 'app': 'egw', 'example.com/tier': 'edge' }), { nil: undefined }),
  serviceName: fc.option(validLabel, { freq: 2, nil: undefined }),
  clusterDomain: fc.option(fc.constantFrom('cluster.local', 'corp.example'), { freq: 2, nil: undefined }),
  ports: fc.option(fc.constant([{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }, { port: 8443 }]), { freq: 2, nil: undefined }),
}, {
  namespace: fc.option(nameArb, { nil: undefined }),
  selector: fc.option(fc.oneof(labelsArb, fc.constantFrom<any>({ istio: 5 }, { '': 'x' })), { nil: undefined }),
  serviceName: fc.option(nameArb, { nil: undefined }),
  clusterDomain: fc.option(domainArb, { nil: undefined }),
  ports: fc.option(fc.oneof(
    fc.constant<{ port: any }[]>([]),
    fc.array(fc.record({ port: fc.oneof(fc.constantFrom(80, 443), portArb), targetPort: fc.option(portArb, { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
  ), { nil: undefined }),
});

function makeGateway(input: GatewayInput): EgressGateway {
  return EgressGateway.istio({ namespace: input.namespace, selector: input.selector, serviceName: input.serviceName, clusterDomain: input.clusterDomain, ports: input.ports });
}

function gatewayFacts(input: GatewayInput) {
  return {
    namespace: input.namespace ?? 'istio-system',
    serviceName: input.serviceName ?? 'istio-egressgateway',
    clusterDomain: input.clusterDomain ?? 'cluster.local',
    selector: input.selector ?? { istio: 'egressgateway' },
    ports: (input.ports ?? [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }]).map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port })),
  };
}

export function gatewayViolations(input: GatewayInput): Violation[] {
  const g = gatewayFacts(input);
  const found: Violation[] = [];
  if (!isDnsLabel(g.namespace)) found.push(violation('egress gateway namespace', g.namespace));
  if (!isDnsLabel(g.serviceName)) found.push(violation('egress gateway serviceName', g.serviceName));
  if (!isHostDomain(g.clusterDomain)) found.push(violation('egress gateway clusterDomain', g.clusterDomain));
  const host = `${g.serviceName}.${g.namespace}.svc.${g.clusterDomain}`;
  if (host.length > 253) found.push(violation('egress gateway host', host, ['characters long']));
  if (Object.keys(g.selector).length === 0) found.push(violation('egress gateway selector', {}, ['selector {}']));
  found.push(...labelViolations('egress gateway selector', g.selector));
  if (g.ports.length === 0) found.push(violation('egress gateway ports', [], ['has no ports']));
  for (const p of g.ports) {
    if (!isPort(p.port)) found.push(violation('egress gateway port', p.port));
    if (!isPort(p.targetPort)) found.push(violation('egress gateway targetPort', p.targetPort));
  }
  const numbers = g.ports.map((p) => p.port);
  const dup = numbers.find((n, i) => numbers.indexOf(n) !== i);
  if (dup !== undefined) found.push(violation('duplicate egress gateway port', dup));
  return found;
}

type CaInput = { kind: 'file'; path: any } | { kind: 'secret'; name: any };
type CredentialInput = { kind: 'secret'; name: any } | { kind: 'pem'; secretName?: any; certificate: any; privateKey: any; caCertificate?: any; ack: any } | { kind: 'none' };

interface ModeInput {
  kind: 'http' | 'passthrough' | 'tls' | 'mtls' | 'originate-mtls';
  port?: any; gatewayPort?: any; targetPort?: any; portName?: any; targetPortName?: any;
  hop?: any; subjectAltNames?: any[]; serverCa?: CaInput; credential: CredentialInput;
}

const validCa: fc.Arbitrary<CaInput> = fc.oneof(
  fc.record({ kind: fc.constant('file' as const), path: fc.constantFrom('/etc/ssl/certs/ca-certificates.crt', '/etc/certs/ca.pem', '/') }),
  fc.record({ kind: fc.constant('secret' as const), name: validDomain }),
);
const anyCa: fc.Arbitrary<CaInput> = fc.oneof(
  fc.record({ kind: fc.constant('file' as const), path: fc.constantFrom<any>('/etc/ssl/certs/ca-certificates.crt', 'certs/ca.crt', '', ' /etc/ca.pem', 5, 'C:\\ca.pem') }),
  fc.record({ kind: fc.constant('secret' as const), name: domainArb }),
);
const validCredential: fc.Arbitrary<CredentialInput> = fc.oneof(
  fc.record({ kind: fc.constant('secret' as const), name: validDomain }),
  fc.record({
    kind: fc.constant('pem' as const), secretName: fc.option(validDomain, { nil: undefined }), certificate: fc.constant(CERT),
    privateKey: fc.constantFrom(KEY, EC_KEY), caCertificate: fc.option(fc.constant(CERT), { nil: undefined }), ack: fc.constant(true),
  }),
);
const anyCredential: fc.Arbitrary<CredentialInput> = fc.oneof(
  fc.record({ kind: fc.constant('secret' as const), name: domainArb }),
  fc.record({
    kind: fc.constant('pem' as const), secretName: fc.option(domainArb, { nil: undefined }),
    certificate: fc.constantFrom<any>(CERT, '', 'MIIB', '-----BEGIN CERTIFICATE-----', KEY, 5),
    privateKey: fc.constantFrom<any>(KEY, EC_KEY, '', CERT, KEY_HEADER_ONLY, 5),
    caCertificate: fc.option(fc.constantFrom<any>(CERT, '', KEY, 5), { nil: undefined }),
    ack: fc.constantFrom<any>(true, false, 'true', undefined, 1),
  }),
  fc.constant({ kind: 'none' as const }),
);

const validSans = fc.uniqueArray(fc.constantFrom('api.example.com', '*.example.com', 'spiffe://corp/ns/a/sa/b', 'ünïcode.example'), { maxLength: 2 });
const anySans = fc.array(fc.oneof(fc.constantFrom('api.example.com', 'a.example.com'), fc.constantFrom<any>('', ' ', ' api.example.com', 'x\n', 5)), { maxLength: 3 });

const validModeArb: fc.Arbitrary<ModeInput> = fc.record({
  kind: fc.constantFrom('http', 'passthrough', 'tls', 'mtls', 'originate-mtls') as fc.Arbitrary<ModeInput['kind']>,
  port: fc.option(fc.oneof(fc.constantFrom(80, 8080, 8443), validPort), { nil: undefined }),
  gatewayPort: fc.option(fc.constantFrom(80, 443), { freq: 2, nil: undefined }),
  targetPort: fc.option(fc.oneof(fc.constantFrom(443, 8443), validPort), { nil: undefined }),
  portName: fc.option(validLabel, { freq: 4, nil: undefined }),
  targetPortName: fc.option(validLabel, { freq: 4, nil: undefined }),
  hop: fc.option(fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE), { nil: undefined }),
  subjectAltNames: fc.option(validSans, { nil: undefined }),
  serverCa: fc.option(validCa, { freq: 4, nil: undefined }),
  credential: validCredential,
});
const anyModeArb: fc.Arbitrary<ModeInput> = fc.record({
  kind: fc.constantFrom('http', 'passthrough', 'tls', 'mtls', 'originate-mtls') as fc.Arbitrary<ModeInput['kind']>,
  port: fc.option(fc.oneof(fc.constantFrom(80, 443, 8080), portArb), { nil: undefined }),
  gatewayPort: fc.option(fc.oneof(fc.constantFrom(80, 443, 8080), portArb), { nil: undefined }),
  targetPort: fc.option(fc.oneof(fc.constantFrom(443, 80), portArb), { nil: undefined }),
  portName: fc.option(nameArb, { freq: 3, nil: undefined }),
  targetPortName: fc.option(nameArb, { freq: 3, nil: undefined }),
  hop: fc.option(enumArb(Object.values(ClientTlsMode)), { nil: undefined }),
  subjectAltNames: fc.option(anySans, { nil: undefined }),
  serverCa: fc.option(anyCa, { nil: undefined }),
  credential: anyCredential,
});

function makeCredential(input: CredentialInput): ClientCredential | undefined {
  if (input.kind === 'none') return undefined;
  if (input.kind === 'secret') return ClientCredential.fromSecret(input.name);
  return ClientCredential.fromPem({
    secretName: input.secretName, certificate: input.certificate, privateKey: input.privateKey, caCertificate: input.caCertificate,
    acknowledgeKeyInManifest: input.ack,
  });
}

function makeMode(input: ModeInput): EgressMode {
  const origination = {
    port: input.port, gatewayPort: input.gatewayPort, targetPort: input.targetPort, portName: input.portName, targetPortName: input.targetPortName,
    sidecarToGatewayTls: input.hop, subjectAltNames: input.subjectAltNames,
  };
  switch (input.kind) {
    case 'http': return EgressMode.http({ port: input.port, gatewayPort: input.gatewayPort, portName: input.portName });
    case 'passthrough': return EgressMode.tlsPassthrough({ port: input.port, gatewayPort: input.gatewayPort, portName: input.portName });
    case 'tls': return EgressMode.originateTls({
      ...origination,
      serverCa: input.serverCa && (input.serverCa.kind === 'file' ? ServerCa.fromFile(input.serverCa.path) : ServerCa.fromSecret(input.serverCa.name)),
    });
    default: return EgressMode.originateMtls({ ...origination, clientCredential: makeCredential(input.credential)! });
  }
}

/** The mode's ports and ServiceEntry ports, as the egress task lays them out. */
function modeFacts(m: ModeInput) {
  const origination = m.kind === 'tls' || m.kind === 'mtls' || m.kind === 'originate-mtls';
  const port = m.port ?? (m.kind === 'passthrough' ? 443 : 80);
  const gatewayPort = m.gatewayPort ?? (m.kind === 'http' ? 80 : 443);
  const targetPort = origination ? (m.targetPort ?? 443) : port;
  const sePorts = m.kind === 'http' ? [{ number: port, name: m.portName ?? `http-${port}`, protocol: 'HTTP', what: 'portName' }]
    : m.kind === 'passthrough' ? [{ number: port, name: m.portName ?? `tls-${port}`, protocol: 'TLS', what: 'portName' }]
      : [{ number: port, name: m.portName ?? `http-${port}`, protocol: 'HTTP', what: 'portName' },
        { number: targetPort, name: m.targetPortName ?? `https-${targetPort}`, protocol: 'HTTPS', what: 'targetPortName' }];
  return { origination, port, gatewayPort, targetPort, sePorts };
}

interface DirectPortInput { port: any; protocol: any; name?: any }

interface RouteInput { gateway: GatewayInput; host: any; namespace?: any; directPorts?: DirectPortInput[]; mode: ModeInput }

const validHost = fc.oneof(
  fc.array(validLabel, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.')),
  fc.constantFrom('edition.cnn.com', 'api.github.com', 'my-nginx.mesh-external.svc.cluster.local', '1.2.3', `${'a'.repeat(63)}.example.com`),
  fc.integer({ min: 200, max: 253 }).map((n) => {
    const labels: string[] = [];
    let left = n;
    while (left > 0) {
      const len = Math.min(63, left);
      labels.push('h'.repeat(len));
      left -= len + 1;
    }
    return labels.join('.').slice(0, n).replace(/\.$/, 'x');
  }),
);
const anyHost = fc.oneof(
  validHost,
  fc.constantFrom<any>('', '*', '*.example.com', 'nginx', '10.0.0.1', '999.1.1.1', 'API.example.com', 'api..example.com', 'api.example.com.',
    '.example.com', 'a_b.example.com', 'ünï.example.com', 'a.b.ns.svc.cluster.local', 'ns.svc.cluster.local', 'x.ns.svc.corp.example',
    `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}com`, 5, null, {}),
  fc.tuple(validLabel, fc.constantFrom('-', '_', 'A', '*', ' ', 'é', '/', ':'), fc.nat()).map(([s, c, i]) => {
    const at = i % (s.length + 1);
    return `${s.slice(0, at)}${c}${s.slice(at)}.example.com`;
  }),
);

const routeArb = mixed<RouteInput>({
  gateway: gatewayArb,
  host: validHost,
  namespace: fc.option(validLabel, { freq: 2, nil: undefined }),
  directPorts: fc.option(fc.uniqueArray(fc.record({ port: fc.constantFrom(443, 8443, 9000), protocol: fc.constantFrom(...PROTOCOLS), name: fc.constant(undefined) }),
    { selector: (p) => p.port, maxLength: 2 }), { freq: 3, nil: undefined }),
  mode: validModeArb,
}, {
  gateway: gatewayArb,
  host: anyHost,
  namespace: fc.option(nameArb, { nil: undefined }),
  directPorts: fc.option(fc.array(fc.record({
    port: fc.oneof(fc.constantFrom(80, 443, 8443), portArb),
    protocol: enumArb(PROTOCOLS),
    name: fc.option(fc.oneof(fc.constantFrom('http-80', 'https-443', 'tls-443'), nameArb), { freq: 3, nil: undefined }),
  }), { maxLength: 3 }), { nil: undefined }),
  mode: anyModeArb,
});

const IPV4 = /^\d+(\.\d+){3}$/;

/** Whether the host names a Kubernetes Service (`<svc>.<ns>.svc.<cluster domain>`), and what is wrong with it. */
function hostFacts(host: any, clusterDomain: string, gatewayHost?: string): { kubernetesService: boolean; found: Violation[] } {
  const found: Violation[] = [];
  const refuse = (why: string, mention?: string[]) => ({ kubernetesService: false, found: [violation(why, host, mention)] });
  if (typeof host !== 'string' || host === '') return refuse('host', host === '' || host === null ? ['host is empty', 'host (null)'] : undefined);
  if (host.includes('*')) return refuse('wildcard host');
  if (IPV4.test(host)) return refuse('IP host');
  if (!isDnsSubdomain(host)) return refuse('host name');
  // Names that are IP addresses, or resolve to one, in disguise: an all-numeric last label (127.1),
  // a leading dotted quad (10.0.0.1.nip.io), the loopback names of RFC 6761.
  if (/(^|\.)[0-9]+$/.test(host) || /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\./.test(host)) return refuse('numeric host');
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain') return refuse('loopback host');
  if (!host.includes('.')) return refuse('short host');
  if (host === gatewayHost) return refuse('the gateway itself', ['own Service']);
  const suffix = `.svc.${clusterDomain}`;
  if (!host.endsWith(suffix)) return { kubernetesService: false, found };
  if (host.slice(0, -suffix.length).split('.').length !== 2) return refuse('service host');
  return { kubernetesService: true, found };
}

function routeViolations(input: RouteInput): Violation[] {
  const found = gatewayViolations(input.gateway);
  const g = gatewayFacts(input.gateway);
  const namespace = input.namespace ?? 'default';
  if (!isDnsLabel(namespace)) found.push(violation('namespace', namespace));
  const host = hostFacts(input.host, g.clusterDomain, `${g.serviceName}.${g.namespace}.svc.${g.clusterDomain}`);
  found.push(...host.found);
  const m = input.mode;
  const f = modeFacts(m);
  for (const [what, value] of [['port', f.port], ['gatewayPort', f.gatewayPort], ['targetPort', f.targetPort]] as const) {
    if (!isPort(value)) found.push(violation(what, value));
  }
  if (isPort(f.gatewayPort) && !g.ports.some((p) => p.port === f.gatewayPort)) found.push(violation('gatewayPort not on the gateway', f.gatewayPort));
  if (m.kind === 'passthrough') {
    if (f.port === 80) found.push(violation('passthrough port 80', 80, ['TLS passthrough on port 80']));
    if (f.gatewayPort === 80) found.push(violation('passthrough gateway port 80', 80, ['TLS passthrough on gateway port 80']));
  }
  if (f.origination) {
    if (f.targetPort === f.port) found.push(violation('targetPort = port', f.port, [`are both ${f.port}`]));
    const hop = m.hop ?? ClientTlsMode.ISTIO_MUTUAL;
    if (hop !== ClientTlsMode.ISTIO_MUTUAL && hop !== ClientTlsMode.DISABLE) found.push(violation('sidecarToGatewayTls', hop));
    const sans = m.subjectAltNames ?? [];
    for (const san of sans) if (typeof san !== 'string' || san.trim() === '' || san !== san.trim()) found.push(violation('subjectAltNames entry', san));
    const dupSan = sans.find((s, i) => sans.indexOf(s) !== i);
    if (dupSan !== undefined) found.push(violation('duplicate subjectAltNames entry', dupSan));
    if (m.kind === 'tls' && m.serverCa) {
      const ca = m.serverCa;
      if (ca.kind === 'secret' && !isDnsSubdomain(ca.name)) found.push(violation('serverCa Secret', ca.name));
      if (ca.kind === 'file' && (typeof ca.path !== 'string' || !ca.path.startsWith('/'))) found.push(violation('serverCa file', ca.path));
    }
    if (m.kind !== 'tls') {
      const c = m.credential;
      if (c.kind === 'none') found.push(violation('clientCredential', undefined, ['needs a clientCredential']));
      else {
        const secretName = c.kind === 'secret' ? c.name : c.secretName ?? 'client-credential';
        if (!isDnsSubdomain(secretName)) found.push(violation('client credential Secret', secretName));
        if (c.kind === 'pem') {
          if (c.ack !== true) found.push(violation('acknowledgeKeyInManifest', c.ack, ['acknowledgeKeyInManifest']));
          const cert = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
          const key = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----/;
          if (typeof c.certificate !== 'string' || !cert.test(c.certificate)) found.push(violation('certificate', 'PEM', ['certificate is not a PEM certificate']));
          if (typeof c.privateKey !== 'string' || !key.test(c.privateKey)) found.push(violation('privateKey', 'PEM', ['privateKey is not a PEM private key']));
          if (c.caCertificate !== undefined && (typeof c.caCertificate !== 'string' || !cert.test(c.caCertificate))) {
            found.push(violation('caCertificate', 'PEM', ['caCertificate is not a PEM certificate']));
          }
        }
      }
    }
  }
  const directPorts = input.directPorts ?? [];
  const customNames = m.portName !== undefined || (f.origination && m.targetPortName !== undefined);
  if (host.kubernetesService && (directPorts.length > 0 || customNames)) found.push(violation('ports for a Kubernetes Service', input.host));
  if (!host.kubernetesService) {
    for (const p of f.sePorts) if (!isDnsLabel(p.name)) found.push(violation(p.what, p.name));
    const declared = [...f.sePorts];
    for (const d of directPorts) {
      if (d.port === f.port) found.push(violation('directPorts port that is routed', d.port, ['is the port this route sends']));
      if (!isPort(d.port)) found.push(violation('directPorts port', d.port));
      if (!PROTOCOLS.includes(d.protocol)) found.push(violation('directPorts protocol', d.protocol));
      const name = d.name ?? `${d.protocol}-${d.port}`;
      if (!isDnsLabel(name)) found.push(violation('directPorts name', name));
      declared.push({ number: d.port, name, protocol: String(d.protocol).toUpperCase(), what: 'directPorts' });
    }
    // One number has one protocol and one name; one name has one number.
    const seen = new Map<unknown, { name: unknown; protocol: string }>();
    for (const p of declared) {
      const same = seen.get(p.number);
      if (same) {
        if (same.protocol !== p.protocol || same.name !== p.name) found.push(violation('ServiceEntry port', p.number));
        continue;
      }
      if ([...seen.values()].some((s) => s.name === p.name)) found.push(violation('ServiceEntry port name', p.name));
      seen.set(p.number, { name: p.name, protocol: p.protocol });
    }
  }
  return found;
}

function makeRoute(c: any, id: string, input: RouteInput): EgressGatewayRoute {
  const egressGateway = makeGateway(input.gateway);
  if (input.mode.kind === 'originate-mtls') {
    const m = input.mode;
    return new OriginateMtls(c, id, {
      egressGateway, host: input.host, namespace: input.namespace, directPorts: input.directPorts,
      port: m.port, gatewayPort: m.gatewayPort, targetPort: m.targetPort, portName: m.portName, targetPortName: m.targetPortName,
      sidecarToGatewayTls: m.hop, subjectAltNames: m.subjectAltNames, clientCredential: makeCredential(m.credential)!,
    });
  }
  return new EgressGatewayRoute(c, id, { egressGateway, host: input.host, namespace: input.namespace, directPorts: input.directPorts, mode: makeMode(input.mode) });
}

describe('property: egress', () => {
  test('one route: refused iff the gateway, host, namespace, mode, ports, CA or credential is invalid; otherwise the egress objects', () => {
    checkProperty('EgressGatewayRoute', routeArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        makeRoute(c, 'r', input);
        return c;
      });
      if (outcome.kind === 'ok') {
        const host = input.host as string;
        const g = gatewayFacts(input.gateway);
        const kinds = outcome.objects.map((o) => o.kind).sort();
        const f = modeFacts(input.mode);
        const kube = hostFacts(host, g.clusterDomain).kubernetesService;
        const expected = ['DestinationRule', 'Gateway', 'VirtualService', ...(kube ? [] : ['ServiceEntry']),
          ...(f.origination ? ['DestinationRule'] : []), ...(f.origination && input.mode.kind !== 'tls' && input.mode.credential.kind === 'pem' ? ['Secret'] : [])].sort();
        expect(kinds).toEqual(expected);
        const vs = outcome.objects.find((o) => o.kind === 'VirtualService');
        expect(vs.spec.hosts).toEqual([host]);
        for (const o of outcome.objects) {
          if (o.kind === 'Secret' || (o.kind === 'DestinationRule' && o.spec.host === `${g.serviceName}.${g.namespace}.svc.${g.clusterDomain}`)) {
            expect(o.metadata.namespace).toBe(g.namespace);
          }
        }
        if (f.origination) {
          const rule = outcome.objects.find((o) => o.kind === 'DestinationRule' && o.spec.host === host);
          expect(rule.metadata.namespace).toBe(g.namespace);
          expect(rule.spec.exportTo).toEqual(['.']);
          expect(rule.spec.trafficPolicy.portLevelSettings).toEqual([expect.objectContaining({ port: { number: f.targetPort } })]);
          expect(rule.spec.trafficPolicy.portLevelSettings[0].tls.sni).toBe(host);
        }
      }
      return { outcome, violations: routeViolations(input), path: 'test/r', when: 'build' };
    }, { after: expectBothOutcomes });
  });

  // Routes in one chart: conflicts between them, with a model of the shared per-host and per-gateway-port state.
  interface MultiRoute {
    host: string; kind: 'http' | 'passthrough' | 'tls'; port: number; gatewayPort: number; targetPort: number;
    namespace: string; gateway: 'a' | 'b' | 'c'; hop: ClientTlsMode; directPort?: { port: number; protocol: AppProtocol };
  }
  const multiRouteArb = fc.record({
    host: fc.constantFrom('a.example.com', 'a-example.com', 'b.example.com', 'c.example.com'),
    kind: fc.constantFrom('http' as const, 'passthrough' as const, 'tls' as const),
    port: fc.constantFrom(80, 443, 8080),
    gatewayPort: fc.constantFrom(80, 443),
    targetPort: fc.constantFrom(443, 8443),
    namespace: fc.oneof({ weight: 4, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: fc.constant('other') }),
    gateway: fc.oneof({ weight: 4, arbitrary: fc.constant('a' as const) }, { weight: 1, arbitrary: fc.constantFrom('b' as const, 'c' as const) }),
    hop: fc.oneof({ weight: 3, arbitrary: fc.constant(ClientTlsMode.ISTIO_MUTUAL) }, { weight: 1, arbitrary: fc.constant(ClientTlsMode.DISABLE) }),
    directPort: fc.option(fc.record({ port: fc.constantFrom(80, 443, 8443), protocol: fc.constantFrom(AppProtocol.HTTPS, AppProtocol.TLS, AppProtocol.HTTP) }),
      { freq: 4, nil: undefined }),
  });
  // Mostly the ports each kind of route is meant for (HTTP through gateway port 80, TLS through 443).
  const usualPorts = fc.tuple(multiRouteArb, fc.boolean()).map(([r, usual]) => (usual ? {
    ...r, gatewayPort: r.kind === 'http' ? 80 : 443, port: r.kind === 'passthrough' ? 443 : r.kind === 'tls' ? 80 : r.port,
  } : r));
  const multiArb = fc.oneof(
    fc.array(usualPorts, { minLength: 2, maxLength: 4 }),
    fc.uniqueArray(usualPorts, { selector: (r) => r.host, minLength: 2, maxLength: 4 }),
  );

  const GATEWAYS = {
    a: EgressGateway.istio(),
    b: EgressGateway.istio({ serviceName: 'second-egressgateway' }), // the same pods as a, another Service
    c: EgressGateway.istio({ serviceName: 'edge-egressgateway', selector: { istio: 'edge' } }),
  };
  const podsOf = (g: MultiRoute['gateway']) => (g === 'c' ? 'edge' : 'egressgateway');

  /** The first route the chart must refuse, and the host its message names; undefined when all fit together. */
  function firstConflict(routes: MultiRoute[]): { index: number; mention: string[] } | undefined {
    const routeClaims = new Set<string>();
    const serverClaims = new Set<string>();
    const gatewayPorts = new Map<string, boolean>();
    const names = new Map<string, string>();
    const hosts = new Map<string, {
      namespace: string; gateway: string; ports: Map<number, { name: string; protocol: string }>; targets: number[]; routed: number[]; direct: number[];
    }>();
    for (let index = 0; index < routes.length; index++) {
      const r = routes[index];
      const at = (mention: string[]) => ({ index, mention });
      const origination = r.kind === 'tls';
      const targetPort = origination ? r.targetPort : r.port;
      if (r.kind === 'passthrough' && r.port === 80) return at(['TLS passthrough on port 80']);
      if (r.kind === 'passthrough' && r.gatewayPort === 80) return at(['TLS passthrough on gateway port 80']);
      if (origination && targetPort === r.port) return at([`are both ${r.port}`]);
      if (r.directPort && r.directPort.port === r.port) return at(['is the port this route sends through the egress gateway']);
      const sePorts = r.kind === 'http' ? [{ number: r.port, name: `http-${r.port}`, protocol: 'HTTP' }]
        : r.kind === 'passthrough' ? [{ number: r.port, name: `tls-${r.port}`, protocol: 'TLS' }]
          : [{ number: r.port, name: `http-${r.port}`, protocol: 'HTTP' }, { number: targetPort, name: `https-${targetPort}`, protocol: 'HTTPS' }];
      if (r.directPort) sePorts.push({ number: r.directPort.port, name: `${r.directPort.protocol}-${r.directPort.port}`, protocol: r.directPort.protocol.toUpperCase() });
      const quoted = [`"${r.host}"`];
      if (routeClaims.has(`${r.host}:${r.port}`)) return at(quoted);
      routeClaims.add(`${r.host}:${r.port}`);
      const serverKey = `${podsOf(r.gateway)}:${r.gatewayPort}:${r.host}`;
      if (serverClaims.has(serverKey)) return at(quoted);
      serverClaims.add(serverKey);
      let state = hosts.get(r.host);
      if (state) {
        if (state.namespace !== r.namespace || state.gateway !== r.gateway) return at(quoted);
      } else {
        const name = r.host.replace(/\./g, '-');
        if (names.has(name)) return at(quoted);
        names.set(name, r.host);
        state = { namespace: r.namespace, gateway: r.gateway, ports: new Map(), targets: [], routed: [], direct: [] };
        hosts.set(r.host, state);
      }
      for (const p of sePorts) {
        const same = state.ports.get(p.number);
        if (same) {
          if (same.protocol !== p.protocol || same.name !== p.name) return at(quoted);
          continue;
        }
        if ([...state.ports.values()].some((s) => s.name === p.name)) return at(quoted);
        state.ports.set(p.number, { name: p.name, protocol: p.protocol });
      }
      // A port of a host is either routed through the gateway or called directly.
      if (r.directPort && state.routed.includes(r.directPort.port)) return at(quoted);
      if (state.direct.includes(r.port)) return at(quoted);
      const key = `${podsOf(r.gateway)}:${r.gatewayPort}`;
      const tls = r.kind === 'passthrough' || (origination && r.hop === ClientTlsMode.ISTIO_MUTUAL);
      if (gatewayPorts.has(key) && gatewayPorts.get(key) !== tls) return at(quoted);
      if (origination && state.targets.includes(targetPort)) return at(quoted);
      if (!gatewayPorts.has(key)) gatewayPorts.set(key, tls);
      if (origination) state.targets.push(targetPort);
      state.routed.push(r.port);
      if (r.directPort) state.direct.push(r.directPort.port);
    }
    return undefined;
  }

  test('routes in one chart: the first route that conflicts with an earlier one is refused, naming the host; otherwise one set of objects per host', () => {
    checkProperty('EgressGatewayRoute conflicts', multiArb, (routes) => {
      const outcome = attempt(() => {
        const c = chart();
        routes.forEach((r, i) => {
          const mode = r.kind === 'http' ? EgressMode.http({ port: r.port, gatewayPort: r.gatewayPort })
            : r.kind === 'passthrough' ? EgressMode.tlsPassthrough({ port: r.port, gatewayPort: r.gatewayPort })
              : EgressMode.originateTls({ port: r.port, gatewayPort: r.gatewayPort, targetPort: r.targetPort, sidecarToGatewayTls: r.hop, serverCa: ServerCa.fromSecret('corp-ca') });
          new EgressGatewayRoute(c, `r${i}`, { egressGateway: GATEWAYS[r.gateway], host: r.host, namespace: r.namespace, mode, directPorts: r.directPort ? [r.directPort] : undefined });
        });
        return c;
      });
      const conflict = firstConflict(routes);
      if (outcome.kind === 'ok') {
        const hosts = [...new Set(routes.map((r) => r.host))];
        for (const kind of ['VirtualService', 'Gateway', 'ServiceEntry']) expect(outcome.objects.filter((o) => o.kind === kind)).toHaveLength(hosts.length);
        for (const host of hosts) {
          const gateway = outcome.objects.find((o) => o.kind === 'Gateway' && o.spec.servers[0].hosts[0] === host);
          expect(gateway.spec.servers).toHaveLength(routes.filter((r) => r.host === host).length);
        }
      }
      return {
        outcome,
        violations: conflict ? [violation('conflicting route', conflict.index, conflict.mention)] : [],
        path: conflict ? `test/r${conflict.index}` : 'test',
        when: 'build',
      };
    }, { after: expectBothOutcomes });
  });

  test('route clients: refused iff a client is not a workload, has no sidecar or is listed twice, or the hop is plaintext; otherwise a DENY for everyone else', () => {
    type ClientInput = 'a' | 'b' | 'legacy' | 'junk';
    const arb = fc.record({
      clients: fc.option(fc.array(fc.constantFrom<ClientInput>('a', 'a', 'b', 'b', 'legacy', 'junk'), { minLength: 0, maxLength: 3 }), { nil: undefined }),
      kind: fc.constantFrom('http' as const, 'passthrough' as const, 'tls' as const),
      hop: fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE),
    });
    checkProperty('EgressGatewayRoute clients', arb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const shop = MeshNamespace.fromName('shop', { sidecarInjection: true });
        const workloads: { [k: string]: any } = {
          a: new MeshWorkload(c, 'a', { namespace: shop, image: 'x' }),
          b: new MeshWorkload(c, 'b', { namespace: MeshNamespace.fromName('web', { sidecarInjection: true }), image: 'x' }),
          legacy: new MeshWorkload(c, 'legacy', { namespace: shop, image: 'x', sidecar: false }),
          junk: { name: 'junk' },
        };
        const mode = input.kind === 'http' ? EgressMode.http() : input.kind === 'passthrough' ? EgressMode.tlsPassthrough()
          : EgressMode.originateTls({ sidecarToGatewayTls: input.hop, serverCa: ServerCa.fromSecret('corp-ca') });
        new EgressGatewayRoute(c, 'route', { egressGateway: EgressGateway.istio(), host: 'api.example.com', mode, clients: input.clients?.map((k) => workloads[k]) });
        return c;
      });
      const found: Violation[] = [];
      const list = input.clients;
      if (list !== undefined) {
        if (list.length === 0) found.push(violation('clients', '[]', ['clients']));
        // Every entry is checked to be a workload first, then each for its sidecar.
        if (list.includes('junk')) found.push(violation('client', 'junk', ['is not a mesh workload']));
        else if (list.includes('legacy')) found.push(violation('client', 'legacy', ['test/legacy has no sidecar']));
        else if (new Set(list).size !== list.length) found.push(violation('client', 'twice', ['is listed twice']));
        else if (list.length > 0 && input.kind === 'tls' && input.hop === ClientTlsMode.DISABLE) found.push(violation('sidecarToGatewayTls', 'DISABLE'));
      }
      if (outcome.kind === 'ok') {
        const policy = outcome.objects.find((o) => o.kind === 'AuthorizationPolicy');
        const principals = [...new Set(list ?? [])].map((k) => `cluster.local/ns/${k === 'a' ? 'shop' : 'web'}/sa/${k}`).sort();
        expect(policy?.spec.rules[0].from[0].source.notPrincipals).toEqual(list ? principals : undefined);
        expect(outcome.objects.find((o) => o.kind === 'VirtualService').spec.exportTo)
          .toEqual(list ? [...new Set(['istio-system', ...list.map((k) => (k === 'a' ? 'shop' : 'web'))])].sort() : undefined);
      }
      return { outcome, violations: found, path: 'test/route', when: 'build' };
    }, { runs: 150, after: expectBothOutcomes });
  });

  test('a Kubernetes Service host: refused when a workload with a sidecar, or a namespace with injection, serves it (at construction or at synth)', () => {
    const arb = fc.record({
      namespace: fc.constantFrom('none' as const, 'enabled' as const, 'disabled' as const),
      workload: fc.constantFrom('none' as const, 'sidecar' as const, 'no-sidecar' as const, 'default' as const),
      before: fc.boolean(),
    });
    checkProperty('EgressGatewayRoute to a Kubernetes Service', arb, (input) => {
      const host = 'my-nginx.shop.svc.cluster.local';
      const outcome = attempt(() => {
        const c = chart();
        const declare = () => {
          const ns = input.namespace === 'none' ? MeshNamespace.fromName('shop')
            : new MeshNamespace(c, 'shop', { injection: input.namespace === 'enabled' ? undefined : SidecarInjection.disabled() });
          if (input.workload !== 'none') {
            new MeshWorkload(c, 'my-nginx', { namespace: ns, image: 'nginx', ports: [{ port: 443, protocol: AppProtocol.HTTPS }],
              sidecar: input.workload === 'default' ? undefined : input.workload === 'sidecar' });
          }
        };
        if (input.before) declare();
        new EgressGatewayRoute(c, 'r', { egressGateway: EgressGateway.istio(), host, mode: EgressMode.tlsPassthrough() });
        if (!input.before) declare();
        return c;
      });
      // A sidecar cannot be asked for in a namespace the chart creates with injection disabled: the workload refuses it.
      if (input.workload === 'sidecar' && input.namespace === 'disabled') {
        return { outcome, violations: [violation('sidecar where injection is disabled', true, ['injection is disabled'])], path: 'test/my-nginx', when: 'build' };
      }
      const workloadSidecar = input.workload === 'sidecar' || (input.workload === 'default' && input.namespace === 'enabled');
      const inMesh = input.workload !== 'none' ? workloadSidecar : input.namespace === 'enabled';
      return {
        outcome,
        violations: inMesh ? [violation('in-mesh host', host)] : [],
        path: 'test/r',
        when: input.before ? 'build' : 'synth',
      };
    }, { runs: 24, after: expectBothOutcomes });
  });

  test('EgressGateway.istio: the reference keeps what it is given, defaults the rest, and validates only where it is used', () => {
    fc.assert(fc.property(gatewayArb, (input) => {
      const g = makeGateway(input);
      const facts = gatewayFacts(input);
      expect([g.namespace, g.serviceName, g.clusterDomain, g.selector, g.ports]).toEqual([facts.namespace, facts.serviceName, facts.clusterDomain, facts.selector, facts.ports]);
      expect(g.host).toBe(`${facts.serviceName}.${facts.namespace}.svc.${facts.clusterDomain}`);
      for (const p of facts.ports) if (p.port === p.port) expect(g.exposes(p.port)).toBe(true);
    }), { numRuns: 100 });
  });
});
