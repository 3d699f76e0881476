/*
 * Hostile-input campaign, ingress and request authorization: IngressGateway, IngressRoute,
 * IngressTls, GatewayCertificate, JwtIssuer, JwtAuthentication (and requireToken), DENY rules
 * with conditions. See test/hostile-util.ts for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-ingress.test.ts
 */
import { Chart } from 'cdk8s';
import fc from 'fast-check';
import {
  AppProtocol, Condition, GatewayCertificate, IngressGateway, IngressRoute, IngressTls, JwtAuthentication, JwtIssuer, MeshNamespace, MeshWorkload, Peer,
  StrictNamespace, WorkloadIdentity,
} from '../src';
import { meshCaller } from './hostile-fixtures';
import {
  Campaign, Field, boolTraps, callOutcome, domainTraps, expectEqual, hostile, junk, labelsTraps, listOf, nameTraps, optional, portTraps, propsOf, recordOf,
  validDomainName, validName,
} from './hostile-util';
import { TEST_CA_CERT, TEST_CERT, TEST_KEY } from './test-keys';

const campaign = new Campaign('test/hostile-ingress.test.ts');
/** Props valid as often as hostile: the other fields of the case are hostile already. */
const moreOftenValid = (props: Field) => fc.oneof(props.valid, props);
const JWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}';

const hostTraps = ['*', '*.com', 'a.*.com', 'HTTPBIN.example.com', '10.0.0.1', 'localhost', 'httpbin', 'api.example.123', 'a..b', `${'a'.repeat(64)}.com`,
  '::1', 'ünï.example.com', 'x'.repeat(300)];
const hostArb = fc.constantFrom('httpbin.example.com', '*.example.org', 'api.example.com');

interface World { web: StrictNamespace; httpbin: MeshWorkload; tlsApp: MeshWorkload; caller: MeshWorkload; legacy: MeshWorkload }
function world(c: Chart): World {
  const web = new StrictNamespace(c, 'web', { defaultDeny: true });
  const httpbin = new MeshWorkload(c, 'httpbin', { namespace: web, image: 'docker.io/kennethreitz/httpbin', ports: [{ port: 8000, containerPort: 80 }] });
  const tlsApp = new MeshWorkload(c, 'tls-app', { namespace: web, image: 'nginx:1.27', ports: [{ port: 8443, protocol: AppProtocol.HTTPS }] });
  return { web, httpbin, tlsApp, caller: meshCaller(c), legacy: meshCaller(c, 'legacy', false) };
}

type TlsKind = 'plain' | 'simple' | 'mutual' | 'passthrough' | 'junk';
const certificateArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('secret', 'pem') },
  { weight: 1, arbitrary: fc.constantFrom('pem-no-ack', 'pem-wrong-key', 'pem-garbage', 'bad-name', 'junk') },
);
function certificate(d: string): any {
  switch (d) {
    case 'secret': return GatewayCertificate.fromSecret('httpbin-credential');
    case 'pem': return GatewayCertificate.fromPem({ secretName: 'httpbin-pem', certificate: TEST_CERT, privateKey: TEST_KEY, caCertificate: TEST_CA_CERT, acknowledgeKeyInManifest: true });
    case 'pem-no-ack': return GatewayCertificate.fromPem({ certificate: TEST_CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: 'true' as any });
    case 'pem-wrong-key': return GatewayCertificate.fromPem({ certificate: TEST_CA_CERT, privateKey: TEST_KEY, acknowledgeKeyInManifest: true });
    case 'pem-garbage': return GatewayCertificate.fromPem({ certificate: `-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n${TEST_CERT}`, privateKey: TEST_KEY, acknowledgeKeyInManifest: true });
    case 'bad-name': return GatewayCertificate.fromSecret('Httpbin_Credential');
    default: return 'httpbin-credential';
  }
}
const tlsArb = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<TlsKind>('plain'), options: propsOf({ acknowledgePlaintext: hostile(fc.constant(true), [false, 'true', 1]), gatewayPort: optional(fc.constant(80), [443, 8080, ...portTraps]) }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<TlsKind>('simple'), options: propsOf({
    certificate: hostile(certificateArb), gatewayPort: optional(fc.constant(443), [80, 8443, ...portTraps]),
    httpsRedirect: optional(fc.boolean(), boolTraps), redirectPort: optional(fc.constant(80), [443, 8080, ...portTraps]),
  }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant<TlsKind>('mutual'), options: propsOf({
    certificate: hostile(fc.constantFrom('secret', 'pem'), ['pem-no-ack', 'junk']),
    subjectAltNames: optional(listOf(fc.constantFrom('client.example.com', 'spiffe://corp.example/ns/a/sa/b')), [[], [' a'], ['']]),
    certificateHashes: optional(listOf(fc.constantFrom('ab'.repeat(32), `${'AB:'.repeat(31)}AB`)), [['abcd'], ['zz'.repeat(32)]]),
    spkiHashes: optional(listOf(fc.constant(`${'A'.repeat(43)}=`)), [['short'], [`${'A'.repeat(44)}`]]),
  }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<TlsKind>('passthrough'), options: optional(propsOf({ gatewayPort: optional(fc.constant(443), [80, ...portTraps]) })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<TlsKind>('junk'), options: junk }) },
);
function makeTls(d: { kind: TlsKind; options: any }): any {
  const o = d.options !== null && typeof d.options === 'object' && !Array.isArray(d.options) ? { ...d.options } : d.options;
  if (o && typeof o === 'object' && typeof o.certificate === 'string') o.certificate = certificate(o.certificate);
  switch (d.kind) {
    case 'plain': return IngressTls.plainHttp(o);
    case 'simple': return IngressTls.simple(o);
    case 'mutual': return IngressTls.mutual(o);
    case 'passthrough': return IngressTls.passthrough(o);
    default: return d.options;
  }
}
const gatewayArb = optional(propsOf({
  namespace: optional(fc.constant('istio-ingress'), nameTraps),
  selector: optional(fc.constantFrom({ istio: 'ingressgateway' }, { app: 'public-gw' }), [{}, ...labelsTraps]),
  serviceAccountName: optional(fc.constant('public-gw'), nameTraps),
  trustDomain: optional(validDomainName, domainTraps),
  ports: optional(fc.constant([{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }]), [[], [{ port: 443 }, { port: 443 }], [{ port: 0 }], 'x']),
}));
const validTlsArb = fc.oneof(
  fc.record({ kind: fc.constant<TlsKind>('plain'), options: fc.constant({ acknowledgePlaintext: true }) }),
  fc.record({ kind: fc.constant<TlsKind>('simple'), options: fc.record({ certificate: fc.constantFrom('secret', 'pem'), httpsRedirect: fc.option(fc.boolean(), { nil: undefined }) }) }),
  fc.record({ kind: fc.constant<TlsKind>('mutual'), options: fc.record({ certificate: fc.constantFrom('secret', 'pem'), subjectAltNames: fc.option(fc.constant(['client.example.com']), { nil: undefined }) }) }),
  fc.record({ kind: fc.constant<TlsKind>('passthrough'), options: fc.constant(undefined) }),
);
const routeArb = fc.record({
  gateway: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: gatewayArb }),
  tls: fc.oneof({ weight: 2, arbitrary: validTlsArb }, { weight: 1, arbitrary: tlsArb }),
  props: moreOftenValid(propsOf({
    hosts: hostile(listOf(hostArb, hostTraps), hostTraps),
    workload: hostile(fc.constant('httpbin'), ['tls-app', 'legacy', 'caller']),
    port: optional(fc.constant(8000), [8443, 80, ...portTraps]),
    namespace: optional(fc.constant('web'), nameTraps),
    name: optional(validName, nameTraps),
  })),
});

describe('hostile inputs: ingress and request authorization', () => {
  test('IngressRoute', () => {
    campaign.property('IngressRoute', routeArb, {
      setup: (c) => world(c),
      act: (c, input, w) => {
        const p = input.props;
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? { ...p, ingressGateway: IngressGateway.istio(input.gateway), tls: makeTls(input.tls), workload: typeof p.workload === 'string' ? (w as any)[p.workload] ?? p.workload : p.workload }
          : p;
        new IngressRoute(c, 'target', props);
      },
      // The chart holds no gateway pods: the model takes them as Istio's default gateway in
      // istio-system, so a route through a gateway of another namespace or account looks denied.
      allowedFindings: (input: any) => (input.gateway?.namespace !== undefined || input.gateway?.serviceAccountName !== undefined || input.gateway?.trustDomain !== undefined
        ? ['ingress-route-denied', 'gateway-credential-namespace'] : []),
      retry: (c, _input, w) => { new IngressRoute(c, 'target', { ingressGateway: IngressGateway.istio(), hosts: ['retry.example.com'], workload: w.httpbin, tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('retry') }) }); },
      intent: ({ input, objects }) => {
        const p = input.props;
        const kind = input.tls.kind;
        const o = input.tls.options ?? {};
        const gw = objects.find((x) => x.kind === 'Gateway');
        const vs = objects.find((x) => x.kind === 'VirtualService');
        const port = o.gatewayPort ?? (kind === 'plain' ? 80 : 443);
        const server = gw.spec.servers[0];
        expectEqual('gateway selector', gw.spec.selector, input.gateway?.selector ?? { istio: 'ingressgateway' });
        expectEqual('server port', server.port.number, port);
        expectEqual('server hosts', server.hosts, p.hosts.map((h: string) => `./${h}`));
        expectEqual('VirtualService hosts', vs.spec.hosts, p.hosts);
        const mode = { plain: undefined, simple: 'SIMPLE', mutual: 'MUTUAL', passthrough: 'PASSTHROUGH', junk: '?' }[kind];
        expectEqual('server TLS mode', server.tls?.mode, mode);
        if (kind === 'simple' || kind === 'mutual') {
          expectEqual('credentialName', server.tls.credentialName, o.certificate === 'pem' ? 'httpbin-pem' : 'httpbin-credential');
          const secret = objects.find((x) => x.kind === 'Secret');
          expectEqual('Secret created from PEM', secret ? `${secret.metadata.namespace}/${secret.metadata.name}` : undefined,
            o.certificate === 'pem' ? `${input.gateway?.namespace ?? 'istio-system'}/httpbin-pem` : undefined);
        }
        if (kind === 'mutual') expectEqual('subjectAltNames', server.tls.subjectAltNames, o.subjectAltNames);
        expectEqual('https redirect server', gw.spec.servers.length, kind === 'simple' && o.httpsRedirect === true ? 2 : 1);
        const route = (vs.spec.http ?? vs.spec.tls)[0].route[0].destination;
        const workload = p.workload === 'tls-app' ? 'tls-app' : 'httpbin';
        expectEqual('destination', route.host, `${workload}.web.svc.cluster.local`);
        // The default-deny namespace lets the gateway's identity in, to the route's container port only.
        const principal = `${input.gateway?.trustDomain ?? 'cluster.local'}/ns/${input.gateway?.namespace ?? 'istio-system'}/sa/${input.gateway?.serviceAccountName ?? 'istio-ingressgateway-service-account'}`;
        const policy = objects.find((x) => x.kind === 'AuthorizationPolicy' && x.metadata.name === `${workload}-allow`);
        expectEqual('gateway admitted', policy.spec.rules.map((r: any) => [r.from[0].source.principals, r.to[0].operation.ports]),
          [[[principal], [workload === 'httpbin' ? '80' : '8443']]]);
      },
    }, 500);
  });

  const issuerArb = fc.record({
    kind: fc.constantFrom('uri', 'uri', 'inline'),
    issuer: hostile(fc.constantFrom('https://auth.example.com', 'accounts.example.org'), ['', ' x', 'a*', 'https://a b']),
    jwksUri: hostile(fc.constant('https://auth.example.com/.well-known/jwks.json'), ['http://auth.example.com/jwks', 'ftp://x', 'not a url', '']),
    jwks: hostile(fc.constant(JWKS),
      ['{}', 'not json', '{"keys":[{"kty":"EC","d":"secret"}]}', '{"keys":[]}']),
    options: optional(propsOf({
      audiences: optional(listOf(fc.constantFrom('api', 'web')), [[], [''], ['a b']]),
      fromHeaders: optional(listOf(recordOf({ name: hostile(fc.constant('x-token'), ['', 'a b', 'x:y']), prefix: optional(fc.constant('Bearer '), [5]) })), [[]]),
      fromParams: optional(listOf(fc.constant('token')), [[], ['']]),
      forwardOriginalToken: optional(fc.boolean(), boolTraps),
      outputPayloadToHeader: optional(fc.constant('x-jwt-payload'), ['', 'a b']),
    })),
  });
  function makeIssuer(d: any): any {
    // A junk entry goes in as it is: the construct must refuse it.
    if (d === null || typeof d !== 'object' || !('kind' in d)) return d;
    return d.kind === 'inline' ? JwtIssuer.fromInlineJwks(d.issuer, d.jwks, d.options) : JwtIssuer.fromJwksUri(d.issuer, d.jwksUri, d.options);
  }
  const validIssuerArb = fc.record({
    kind: fc.constantFrom('uri', 'inline'), issuer: fc.constantFrom('https://auth.example.com', 'accounts.example.org'),
    jwksUri: fc.constant('https://auth.example.com/.well-known/jwks.json'), jwks: fc.constant(JWKS),
    options: fc.constant(undefined),
  });
  const jwtArb = fc.record({
    issuers: fc.oneof(
      { weight: 2, arbitrary: validIssuerArb.map((i) => [i]) },
      { weight: 1, arbitrary: hostile(fc.array(issuerArb, { minLength: 1, maxLength: 2 }).filter((l) => new Set(l.map((i) => i.issuer)).size === l.length), [[]]) },
    ),
    props: propsOf({
      target: hostile(fc.constantFrom('workload', 'gateway'), ['both', 'none', 'legacy']),
      name: optional(validName, nameTraps),
      tokenOptional: optional(fc.constant(false), [true, 'false', 1]),
    }),
  });
  test('JwtAuthentication', () => {
    campaign.property('JwtAuthentication', jwtArb, {
      setup: (c) => world(c),
      act: (c, input, w) => {
        const p = input.props;
        if (p === null || typeof p !== 'object' || Array.isArray(p)) {
          new JwtAuthentication(c, 'target', p);
          return;
        }
        const issuers = Array.isArray(input.issuers) ? input.issuers.map(makeIssuer) : input.issuers;
        const { target, ...rest } = p;
        const where = target === 'workload' ? { workload: w.httpbin } : target === 'gateway' ? { ingressGateway: IngressGateway.istio() }
          : target === 'both' ? { workload: w.httpbin, ingressGateway: IngressGateway.istio() } : target === 'legacy' ? { workload: w.legacy } : {};
        new JwtAuthentication(c, 'target', { ...rest, ...where, issuers });
      },
      retry: (c, _input, w) => { new JwtAuthentication(c, 'target', { workload: w.httpbin, issuers: [JwtIssuer.fromJwksUri('https://retry.example.com', 'https://retry.example.com/jwks')] }).requireToken(); },
      probe: (c, input) => { if (input.props.tokenOptional !== true) (c.node.findChild('target') as JwtAuthentication).requireToken(); },
      // tokenOptional: true asks for tokens checked when present and never required.
      allowedFindings: (input: any) => (input.props?.tokenOptional === true ? ['jwt-not-required'] : []),
      intent: ({ input, objects }) => {
        const ra = objects.find((x) => x.kind === 'RequestAuthentication');
        expectEqual('issuers', ra.spec.jwtRules.map((r: any) => [r.issuer, r.jwks_uri ?? r.jwksUri, r.jwks]),
          input.issuers.map((i: any) => [i.issuer, i.kind === 'inline' ? undefined : i.jwksUri, i.kind === 'inline' ? i.jwks : undefined]));
        expectEqual('selector', ra.spec.selector.matchLabels, input.props.target === 'workload' ? { app: 'httpbin' } : { istio: 'ingressgateway' });
        const deny = objects.find((x) => x.kind === 'AuthorizationPolicy' && x.spec.action === 'DENY');
        if (input.props.tokenOptional === true) {
          expectEqual('no token required', deny, undefined);
          return;
        }
        expectEqual('token required', deny.spec.rules[0].from[0].source.notRequestPrincipals, input.issuers.map((i: any) => `${i.issuer}/*`));
      },
    }, 250);
  });

  const requirementArb = propsOf({
    paths: optional(listOf(fc.constantFrom('/api/*', '/admin', '*.json', '/users/{*}/info'), ['/a}', '/api/v[0-9]+/.*', 'info', '/../x', '/a b']), ['/api']),
    methods: optional(listOf(fc.constantFrom('GET', 'POST')), ['get', '*', '', 'G E T']),
    hosts: optional(listOf(fc.constantFrom('httpbin.example.com', '*.example.com')), ['', '*', 'a b']),
    claims: optional(listOf(recordOf({ claim: hostile(fc.constantFrom('groups', 'scope')), values: hostile(listOf(fc.constantFrom('admin', 'read'))) })), [[]]),
    ports: optional(listOf(fc.constant(80), [8000, 0, '80']), portTraps),
  });
  test('JwtAuthentication.requireToken', () => {
    campaign.property('JwtAuthentication.requireToken', requirementArb, {
      setup: (c) => {
        const w = world(c);
        const jwt = new JwtAuthentication(c, 'jwt', { workload: w.httpbin, issuers: [JwtIssuer.fromJwksUri('https://auth.example.com', 'https://auth.example.com/jwks')] });
        jwt.requireToken({ paths: ['/setup'] });
        return jwt;
      },
      act: (_c, input, jwt) => jwt.requireToken(input),
      retry: (_c, _input, jwt) => jwt.requireToken({ paths: ['/retry'] }),
      intent: ({ input, objects }) => {
        const o = input ?? {};
        const deny = objects.find((x) => x.kind === 'AuthorizationPolicy' && x.spec.action === 'DENY');
        // Rule 0 is the setup's; the requirement's token rule comes next.
        const rule = deny.spec.rules[1];
        const op = rule.to?.[0]?.operation ?? {};
        expectEqual('paths', op.paths, o.paths ?? undefined);
        expectEqual('methods', op.methods, o.methods ?? undefined);
        expectEqual('hosts', op.hosts, o.hosts ?? undefined);
        expectEqual('ports', op.ports, (o.ports ?? [80]).map(String));
        expectEqual('claim rules', deny.spec.rules.length, 2 + (o.claims?.length ?? 0));
      },
    }, 250);
  });

  type PeerD = 'caller' | 'legacy' | 'namespace' | 'partner' | { junk: any };
  const peerArb: fc.Arbitrary<PeerD> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<PeerD>('caller', 'legacy', 'namespace', 'partner') },
    { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
  );
  function peer(w: World, d: PeerD): any {
    if (typeof d === 'object' && d !== null && 'junk' in d) return d.junk;
    switch (d) {
      case 'caller': return Peer.workload(w.caller);
      case 'legacy': return Peer.workload(w.legacy);
      case 'namespace': return Peer.namespace(MeshNamespace.fromName('callers', { sidecarInjection: true }));
      case 'partner': return Peer.identity(WorkloadIdentity.of('cluster.local', 'partner', 'bot'));
      default: return d;
    }
  }
  type ConditionD = { factory: 'of' | 'notOf' | 'claim' | 'notClaim' | 'header' | 'sourceIp'; key: any; values: any };
  const conditionArb: fc.Arbitrary<ConditionD> = fc.record({
    factory: fc.constantFrom('of', 'notOf', 'claim', 'notClaim', 'header', 'sourceIp'),
    key: hostile(fc.constantFrom('source.namespace', 'source.ip', 'request.headers[x-env]', 'connection.sni', 'groups', 'x-env'),
      ['request.auth.claims', 'source.unknown', '', 'request.headers[]', 'request.headers[a b]', 'x'.repeat(300)]),
    values: hostile(listOf(fc.constantFrom('prod', '10.0.0.0/8', 'callers')), [[], [''], ['10.0.0.0/33'], 'prod']),
  }) as fc.Arbitrary<ConditionD>;
  function condition(d: ConditionD): any {
    if (d === null || typeof d !== 'object' || !('factory' in d)) return d;
    switch (d.factory) {
      case 'of': return Condition.of(d.key, d.values);
      case 'notOf': return Condition.notOf(d.key, d.values);
      case 'claim': return Condition.claim(d.key, d.values);
      case 'notClaim': return Condition.notClaim(d.key, d.values);
      case 'header': return Condition.header(d.key, d.values);
      case 'sourceIp': return Condition.sourceIp(d.values);
    }
  }
  const denyArb = fc.record({
    peers: optional(fc.uniqueArray(fc.constantFrom<PeerD>('caller', 'namespace', 'partner'), { minLength: 1, maxLength: 2 }),
      [[], ['legacy'], ['caller', 'caller']]).chain((v) => (v === undefined ? fc.constant(v) : fc.oneof({ weight: 5, arbitrary: fc.constant(v) },
      { weight: 1, arbitrary: fc.array(peerArb, { minLength: 1, maxLength: 2 }) }))),
    exceptPeers: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: optional(fc.uniqueArray(fc.constantFrom<PeerD>('caller', 'partner'), { minLength: 1, maxLength: 2 }), [[], ['legacy']]) }),
    when: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: optional(fc.array(conditionArb, { minLength: 1, maxLength: 2 })) }),
    options: moreOftenValid(propsOf({
      methods: optional(listOf(fc.constantFrom('GET', 'DELETE')), ['get', '*']),
      notPaths: optional(listOf(fc.constantFrom('/healthz', '/public/*')), ['/a}', 'x']),
      ports: optional(listOf(fc.constantFrom(80, 5432)), [8000, 0, '80']),
    })),
  });
  /** Whether a peer descriptor names the `caller` workload. */
  const names = (d: PeerD) => d === 'caller' || d === 'namespace';
  test('deny with conditions', () => {
    campaign.property('deny', denyArb, {
      setup: (c) => {
        const w = world(c);
        const db = new MeshWorkload(c, 'db', { namespace: w.web, image: 'postgres:16', ports: [{ port: 80, containerPort: 80 }, { port: 5432, protocol: AppProtocol.TCP }] });
        db.allowPeers([Peer.namespace(MeshNamespace.fromName('callers', { sidecarInjection: true }))]);
        return { w, db };
      },
      act: (_c, input, { w, db }) => {
        const o = input.options;
        const options = o !== null && typeof o === 'object' && !Array.isArray(o)
          ? {
            ...o,
            ...(input.peers === undefined ? {} : { peers: Array.isArray(input.peers) ? input.peers.map((d: PeerD) => peer(w, d)) : input.peers }),
            ...(input.exceptPeers === undefined ? {} : { exceptPeers: Array.isArray(input.exceptPeers) ? input.exceptPeers.map((d: PeerD) => peer(w, d)) : input.exceptPeers }),
            ...(input.when === undefined ? {} : { when: Array.isArray(input.when) ? input.when.map(condition) : input.when }),
          }
          : o;
        db.deny(options);
      },
      retry: (_c, _input, { db }) => db.deny({ peers: [Peer.identity(WorkloadIdentity.of('cluster.local', 'retry', 'bot'))] }),
      intent: ({ input, model, objects }) => {
        const deny = objects.find((x) => x.kind === 'AuthorizationPolicy' && x.spec.action === 'DENY');
        expectEqual('DENY rules', deny.spec.rules.length, 1);
        const o = input.options;
        // Request-level fields and conditions deny only some requests: the rule is checked as rendered.
        if (input.when !== undefined || o.methods !== undefined || o.notPaths !== undefined) {
          if (o.methods) expectEqual('methods', deny.spec.rules[0].to[0].operation.methods, o.methods);
          return;
        }
        // null, like undefined, means no peers given: every caller.
        const listed = input.peers === undefined || input.peers === null || input.peers.some(names);
        const excepted = (input.exceptPeers ?? []).some(names);
        for (const [port, containerPort] of [[80, 80], [5432, 5432]]) {
          const covered = o.ports === undefined || o.ports.includes(containerPort);
          expectEqual(`caller -> db:${port}`, callOutcome(model, 'callers/caller', 'web/db', port) === 'denied', listed && !excepted && covered);
        }
      },
    }, 300);
  });
});
