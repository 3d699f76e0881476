/*
 * Property-based tests: IngressRoute (hosts, ports, every IngressTls mode, certificates, names),
 * DENY rules with negations and conditions, and JwtAuthentication. Every case is refused with an
 * IstioSecurityError the oracle predicts, or synthesizes schema-valid objects (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property-ingress
 */
import fc from 'fast-check';
import {
  AppProtocol, Condition, GatewayCertificate, IngressGateway, IngressRoute, IngressTls, JwtAuthentication, JwtIssuer, MeshNamespace, MeshWorkload,
  Peer, StrictNamespace,
} from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, domainArb, expectBothOutcomes, isDnsLabel, isDnsSubdomain, isPort, mixed, nameArb,
  nonsenseScalar, portArb, validDomain, validLabel, violation,
} from './property-util';
import { TEST_CA_CERT, TEST_CERT, TEST_KEY } from './test-keys';

announce('test/property-ingress.test.ts');


/** httpbin in STRICT `web`, Service 8000 -> 80 (http), and redis 6379 (tcp) on a second Service port. */
function target(c: ReturnType<typeof chart>): MeshWorkload {
  return new MeshWorkload(c, 'httpbin', {
    namespace: new StrictNamespace(c, 'web'), image: 'httpbin',
    ports: [{ port: 8000, containerPort: 80 }, { port: 6379, protocol: AppProtocol.REDIS }],
  });
}

// ------------------------------------------------------------------------------------------------
// IngressRoute
// ------------------------------------------------------------------------------------------------

type Mode = 'simple' | 'mutual' | 'passthrough' | 'plain';

interface RouteInput {
  hosts: any;
  port?: any;
  mode: Mode;
  gatewayPort?: any;
  secretName: any;
  pem: boolean;
  ack: any;
  redirect?: any;
  name?: any;
  namespace?: any;
}

const validIngressHost = fc.oneof(
  fc.array(validLabel, { minLength: 2, maxLength: 3 }).map((labels) => labels.join('.')),
  fc.array(validLabel, { minLength: 2, maxLength: 3 }).map((labels) => `*.${labels.join('.')}`),
  fc.constantFrom('httpbin.example.com', '*.example.com', `${'a'.repeat(63)}.example.com`),
);
const anyIngressHost = fc.oneof(validIngressHost, fc.constantFrom<any>('', '*', '*.com', 'a.*.com', '**.example.com', 'httpbin', '10.0.0.1',
  'HTTPBIN.example.com', 'example.com.', 'a..example.com', 'x_y.example.com', ' a.example.com'), nonsenseScalar);

const routeArb = mixed<RouteInput>({
  hosts: fc.uniqueArray(validIngressHost, { minLength: 1, maxLength: 3 }),
  port: fc.constantFrom(undefined, 8000),
  mode: fc.constantFrom<Mode>('simple', 'mutual', 'plain'),
  gatewayPort: fc.constantFrom(undefined, 443),
  secretName: validDomain,
  pem: fc.boolean(),
  ack: fc.constant(true),
  redirect: fc.constantFrom(undefined, false, true),
  name: fc.option(validLabel, { nil: undefined }),
  namespace: fc.option(validLabel, { nil: undefined }),
}, {
  hosts: fc.oneof(fc.array(anyIngressHost, { maxLength: 3 }), fc.constant<any>('a.example.com')),
  port: fc.oneof(fc.constantFrom<any>(undefined, 8000, 80, 6379, 9999), portArb),
  mode: fc.constantFrom<Mode>('simple', 'mutual', 'passthrough', 'plain'),
  gatewayPort: fc.oneof(fc.constantFrom<any>(undefined, 80, 443, 8443), portArb),
  secretName: domainArb,
  pem: fc.boolean(),
  ack: fc.constantFrom<any>(true, false, 'true', undefined),
  redirect: fc.constantFrom<any>(undefined, false, true, 'yes'),
  name: fc.option(nameArb, { nil: undefined }),
  namespace: fc.option(nameArb, { nil: undefined }),
});

function makeTls(input: RouteInput): IngressTls {
  const certificate = input.pem
    ? GatewayCertificate.fromPem({ secretName: input.secretName, certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: input.ack })
    : GatewayCertificate.fromSecret(input.secretName);
  switch (input.mode) {
    case 'plain': return IngressTls.plainHttp({ acknowledgePlaintext: input.ack, gatewayPort: input.gatewayPort });
    case 'passthrough': return IngressTls.passthrough({ gatewayPort: input.gatewayPort });
    case 'simple': return IngressTls.simple({ certificate, gatewayPort: input.gatewayPort, httpsRedirect: input.redirect });
    default: return IngressTls.mutual({ certificate, gatewayPort: input.gatewayPort, httpsRedirect: input.redirect });
  }
}

function routeViolations(input: RouteInput): Violation[] {
  const found: Violation[] = [];
  const hosts = input.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0) {
    found.push(violation('hosts', hosts, ['names no host']));
  } else {
    for (const h of hosts) {
      // Istio refuses a domain whose last label is all digits (agent.ValidateFQDN: top level domain).
      const numericTld = typeof h === 'string' && /(^|\.)[0-9]+$/.test(h);
      const wildcard = typeof h === 'string' && h.startsWith('*.') && isDnsSubdomain(h.slice(2)) && h.slice(2).includes('.') && !numericTld;
      const exact = typeof h === 'string' && isDnsSubdomain(h) && h.includes('.') && !numericTld;
      if (!wildcard && !exact) found.push(violation('hosts entry', h, typeof h === 'string' && h !== '' ? undefined : ['hosts entry']));
    }
    if (new Set(hosts).size !== hosts.length) found.push(violation('hosts entry twice', hosts.find((h: any, i: number) => hosts.indexOf(h) !== i)));
  }
  const gatewayPort = input.gatewayPort ?? (input.mode === 'plain' ? 80 : 443);
  if (!isPort(gatewayPort)) found.push(violation('gatewayPort', gatewayPort));
  else if (![80, 443].includes(gatewayPort)) found.push(violation('gatewayPort not exposed', gatewayPort));
  if (input.port === undefined || input.port === null) {
    found.push(violation('several ports', 'port', ['several Service ports']));
  } else if (!isPort(input.port)) {
    found.push(violation('port', input.port));
  } else if (input.port !== 8000 && input.port !== 6379) {
    found.push(violation('port not a Service port', input.port));
  } else {
    const protocol = input.port === 8000 ? 'http' : 'redis';
    if (input.mode === 'passthrough') found.push(violation('passthrough to non-TLS', protocol));
    else if (protocol !== 'http') found.push(violation('termination to non-HTTP', protocol));
  }
  if (input.mode === 'plain' && input.ack !== true) found.push(violation('acknowledgePlaintext', 'acknowledgePlaintext', ['acknowledgePlaintext']));
  if (input.mode === 'simple' || input.mode === 'mutual') {
    if (!isDnsSubdomain(input.secretName)) found.push(violation('secretName', input.secretName));
    if (input.pem && input.ack !== true) found.push(violation('acknowledgeKeyInManifest', 'acknowledgeKeyInManifest', ['acknowledgeKeyInManifest']));
    if (input.redirect !== undefined && input.redirect !== null && typeof input.redirect !== 'boolean') found.push(violation('httpsRedirect', input.redirect));
    if (input.redirect === true && gatewayPort === 80) found.push(violation('redirect on its own port', 80, ['both 80']));
  }
  if (input.namespace !== undefined && input.namespace !== null && !isDnsLabel(input.namespace)) found.push(violation('namespace', input.namespace));
  // An all-digit name: the VirtualService's short gateway reference would be validated as a domain.
  if (input.name !== undefined && input.name !== null && (!isDnsLabel(input.name) || /^[0-9]+$/.test(input.name))) found.push(violation('name', input.name));
  return found;
}

describe('IngressRoute', () => {
  test('hosts, ports, TLS modes, certificates and names', () => {
    checkProperty('IngressRoute', routeArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        new IngressRoute(c, 'route', {
          ingressGateway: IngressGateway.istio(), hosts: input.hosts, workload: target(c), port: input.port, tls: makeTls(input),
          name: input.name, namespace: input.namespace,
        });
        return c;
      });
      if (outcome.kind === 'ok') {
        const gateway = outcome.objects.find((o) => o.kind === 'Gateway');
        const server = gateway.spec.servers[0];
        expect(server.hosts).toEqual(input.hosts.map((h: string) => `./${h}`));
        expect(server.tls?.mode).toBe({ simple: 'SIMPLE', mutual: 'MUTUAL', passthrough: 'PASSTHROUGH', plain: undefined }[input.mode]);
        if (input.mode === 'simple' || input.mode === 'mutual') expect(server.tls.credentialName).toBe(input.secretName);
        const secret = outcome.objects.find((o) => o.kind === 'Secret');
        if (secret) expect(secret.metadata.namespace).toBe('istio-system');
        const vs = outcome.objects.find((o) => o.kind === 'VirtualService');
        expect(vs.spec.gateways).toEqual([gateway.metadata.name]);
        expect(vs.metadata.namespace).toBe(gateway.metadata.namespace);
      }
      return { outcome, violations: routeViolations(input), path: 'test/route', when: 'build' };
    }, { after: expectBothOutcomes });
  });
});

// ------------------------------------------------------------------------------------------------
// DENY rules
// ------------------------------------------------------------------------------------------------

type PeerChoice = 'namespace' | 'service-account' | 'no-sidecar';
interface DenyInput {
  peers?: PeerChoice[];
  exceptPeers?: PeerChoice[];
  paths?: any;
  methods?: any;
  ports?: any;
  when?: Array<'claim' | 'bad-key' | 'bad-ip' | 'ip'>;
}

const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad });
const peerChoice = often(fc.constantFrom<PeerChoice>('namespace', 'service-account'), fc.constant<PeerChoice>('no-sidecar'));
const denyArb: fc.Arbitrary<DenyInput> = fc.record({
  peers: fc.option(fc.array(peerChoice, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  exceptPeers: fc.option(often(fc.array(peerChoice, { minLength: 1, maxLength: 2 }), fc.constant<PeerChoice[]>([])), { nil: undefined }),
  paths: fc.option(often(fc.constantFrom<any>(['/admin'], ['/api/*', '*.png']), fc.constantFrom<any>([], ['admin'], ['/a?b'], ['/a', '/a'])), { nil: undefined }),
  methods: fc.option(often(fc.constant<any>(['POST']), fc.constantFrom<any>(['get'], [], ['*'])), { nil: undefined }),
  ports: fc.option(often(fc.constantFrom<any>([80], [6379]), fc.constantFrom<any>([80, 6379], [], [8000], [0])), { nil: undefined }),
  when: fc.option(fc.array(often(fc.constantFrom<'claim' | 'ip'>('claim', 'ip'), fc.constantFrom<'bad-key' | 'bad-ip'>('bad-key', 'bad-ip')),
    { minLength: 1, maxLength: 2 }), { nil: undefined }),
}, { requiredKeys: [] });

function denyViolations(input: DenyInput): Violation[] {
  const found: Violation[] = [];
  const peersOf = (list: PeerChoice[] | undefined, what: string) => {
    if (list === undefined) return;
    if (what === 'exceptPeers' && list.length === 0) found.push(violation('exceptPeers', [], ['excepts nobody']));
    if (list.includes('no-sidecar')) found.push(violation(`${what} without sidecar`, 'legacy', ['has no sidecar']));
  };
  peersOf(input.peers, 'peers');
  peersOf(input.exceptPeers, 'exceptPeers');
  const p = input.paths;
  if (p !== undefined) {
    if (p.length === 0) found.push(violation('paths', [], ['paths [] matches']));
    else if (p.includes('admin')) found.push(violation('path', 'admin'));
    else if (p.includes('/a?b')) found.push(violation('path', '/a?b'));
    else if (p.length === 2 && p[0] === p[1]) found.push(violation('path twice', p[0]));
  }
  const m = input.methods;
  if (m !== undefined) {
    if (m.length === 0) found.push(violation('methods', [], ['methods [] matches']));
    else if (m[0] !== 'POST') found.push(violation('method', m[0]));
  }
  const ports = input.ports;
  if (ports !== undefined) {
    if (ports.length === 0) found.push(violation('ports', [], ['ports [] matches']));
    else if (ports.includes(8000)) found.push(violation('Service port', 8000));
    else if (ports.includes(0)) found.push(violation('port', 0));
  }
  for (const w of input.when ?? []) {
    if (w === 'bad-key') found.push(violation('condition key', 'destination.labels[app]'));
    if (w === 'bad-ip') found.push(violation('condition value', '10.0.0.999'));
  }
  const requestFields = p !== undefined || m !== undefined || (input.when ?? []).includes('claim');
  const anything = input.peers !== undefined || input.exceptPeers !== undefined || ports !== undefined || requestFields || input.when !== undefined;
  if (!anything) found.push(violation('empty deny rule', 'deny', ['would deny every request']));
  if (requestFields && ports !== undefined && ports.includes(6379)) found.push(violation('request fields on TCP', 6379));
  return found;
}

function peer(choice: PeerChoice, legacy: MeshWorkload): Peer {
  if (choice === 'namespace') return Peer.namespace(MeshNamespace.fromName('batch'));
  if (choice === 'service-account') return Peer.serviceAccount(MeshNamespace.fromName('batch'), 'reporter');
  return Peer.workload(legacy);
}

const CONDITIONS = {
  'claim': Condition.notClaim('groups', ['admin']),
  'bad-key': Condition.of('destination.labels[app]', ['x']),
  'bad-ip': Condition.sourceIp(['10.0.0.999']),
  'ip': Condition.sourceIp(['10.0.0.0/8']),
};

describe('DENY rules', () => {
  test('peers, exceptions, paths, methods, ports and conditions', () => {
    checkProperty('MeshWorkload.deny', denyArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const workload = target(c);
        const legacy = new MeshWorkload(c, 'legacy', { namespace: MeshNamespace.fromName('legacy'), image: 'x', sidecar: false });
        workload.deny({
          peers: input.peers?.map((p) => peer(p, legacy)), exceptPeers: input.exceptPeers?.map((p) => peer(p, legacy)),
          paths: input.paths, methods: input.methods, ports: input.ports, when: input.when?.map((w) => CONDITIONS[w]),
        });
        return c;
      });
      if (outcome.kind === 'ok') {
        const rule = outcome.objects.find((o) => o.kind === 'AuthorizationPolicy' && o.spec.action === 'DENY').spec.rules[0];
        const requestFields = input.paths !== undefined || input.methods !== undefined || (input.when ?? []).includes('claim');
        // Request-time fields reach only the HTTP container port, stated in the rule.
        if (requestFields) expect(rule.to[0].operation.ports).toEqual(['80']);
      }
      return { outcome, violations: denyViolations(input), path: ['test/httpbin', 'test/httpbin/Deny'] };
    }, { after: expectBothOutcomes });
  });
});

// ------------------------------------------------------------------------------------------------
// JwtAuthentication
// ------------------------------------------------------------------------------------------------

interface JwtInput { issuer: any; jwksUri: any; audiences?: any; tokenOptional?: any; require: boolean; claims?: any }

const jwtArb = mixed<JwtInput>({
  issuer: fc.constantFrom('https://auth.example.com', 'testing@secure.istio.io'),
  jwksUri: fc.constantFrom('https://auth.example.com/jwks.json', 'https://keys.example.com:8443/k'),
  audiences: fc.option(fc.constantFrom(['httpbin'], ['a', 'b']), { nil: undefined }),
  tokenOptional: fc.constantFrom(undefined, false),
  require: fc.constant(true),
  claims: fc.option(fc.constant([{ claim: 'groups', values: ['admin'] }]), { nil: undefined }),
}, {
  issuer: fc.constantFrom<any>('https://auth.example.com', '', ' x', 'https://*.example.com', 5),
  jwksUri: fc.constantFrom<any>('https://auth.example.com/jwks.json', 'http://auth.example.com/jwks', 'jwks.json', '', 5),
  audiences: fc.option(fc.constantFrom<any>(['httpbin'], [], [''], ['a', 'a']), { nil: undefined }),
  tokenOptional: fc.constantFrom<any>(undefined, false, true, 'yes'),
  require: fc.boolean(),
  claims: fc.option(fc.constantFrom<any>([{ claim: 'groups', values: ['admin'] }], [], [{ claim: '', values: ['a'] }], [{ claim: 'g', values: [] }]), { nil: undefined }),
});

function jwtViolations(input: JwtInput): Violation[] {
  const found: Violation[] = [];
  if (typeof input.issuer !== 'string' || input.issuer === '' || /[\s*]/.test(input.issuer)) found.push(violation('issuer', input.issuer));
  if (typeof input.jwksUri !== 'string' || !input.jwksUri.startsWith('https://')) found.push(violation('jwksUri', input.jwksUri));
  const a = input.audiences;
  if (a !== undefined) {
    if (a.length === 0) found.push(violation('audiences', [], ['audiences [] is empty']));
    else if (a.includes('')) found.push(violation('audience', ''));
    else if (new Set(a).size !== a.length) found.push(violation('audience twice', a[0]));
  }
  const optional = input.tokenOptional;
  if (optional !== undefined && typeof optional !== 'boolean') found.push(violation('tokenOptional', optional));
  if (found.length > 0) return found;
  if (optional === true && input.require) return [violation('requireToken with tokenOptional', 'tokenOptional', ['tokenOptional: true'])];
  if (input.require) {
    const c = input.claims;
    if (c !== undefined) {
      if (c.length === 0) found.push(violation('claims', [], ['claims [] is empty']));
      else if (c[0].claim === '') found.push(violation('claim', ''));
      else if (c[0].values.length === 0) found.push(violation('claim values', 'request.auth.claims[g]'));
    }
  } else if (optional !== true) {
    found.push(violation('no requirement', 'requires no token', ['requires no token']));
  }
  return found;
}

describe('JwtAuthentication', () => {
  test('issuers, key URIs, audiences and requirements', () => {
    checkProperty('JwtAuthentication', jwtArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const jwt = new JwtAuthentication(c, 'jwt', {
          workload: target(c), issuers: [JwtIssuer.fromJwksUri(input.issuer, input.jwksUri, { audiences: input.audiences })], tokenOptional: input.tokenOptional,
        });
        if (input.require) jwt.requireToken({ paths: ['/headers'], claims: input.claims });
        return c;
      });
      if (outcome.kind === 'ok' && input.require) {
        const policy = outcome.objects.find((o) => o.kind === 'AuthorizationPolicy');
        expect(policy.spec.action).toBe('DENY');
        expect(policy.spec.rules[0].from[0].source.notRequestPrincipals).toEqual([`${input.issuer}/*`]);
        expect(policy.spec.rules.every((r: any) => JSON.stringify(r.to) === JSON.stringify([{ operation: { paths: ['/headers'], ports: ['80'] } }]))).toBe(true);
      }
      return { outcome, violations: jwtViolations(input), path: 'test/jwt' };
    }, { after: expectBothOutcomes });
  });
});
