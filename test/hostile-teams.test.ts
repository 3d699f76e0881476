/*
 * Hostile-input campaign, the constructs of teams, keys and intents: TeamNamespace (with Team and
 * IstioKind), PluginCa (with CaCertificates), MeshIntent (with MeshParty). See test/hostile-util.ts
 * for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-teams.test.ts
 */
import { Chart } from 'cdk8s';
import fc from 'fast-check';
import {
  CaCertificates, IstioKind, MeshIntent, MeshNamespace, MeshParty, MeshWorkload, MtlsMode, PluginCa, StrictNamespace, Team, TeamNamespace, WorkloadIdentity,
} from '../src';
import {
  Campaign, boolTraps, expectEqual, hostile, junk, labelsTraps, labelsValid, listOf, nameTraps, optional, portTraps, propsOf, recordOf, validName,
  workloadOf,
} from './hostile-util';
import { hasOpenssl, makeTestCa } from './test-ca';

const campaign = new Campaign('test/hostile-teams.test.ts');

const TRAFFIC = IstioKind.all().filter((k) => !k.meshSecurity);
const SECURITY = IstioKind.all().filter((k) => k.meshSecurity);
const lookAlikeKind = { kind: 'VirtualService', apiGroup: 'networking.istio.io', resource: 'virtualservices', meshSecurity: false };

describe('hostile inputs: teams, keys and intents', () => {
  const memberArb = fc.constantFrom('photo-sre', 'oidc:platform', 'alice@example.com');
  const memberTraps = ['', ' a', 'system:authenticated', 'system:serviceaccounts', 'a\nb', 5, null];
  const teamArb = fc.oneof(
    { weight: 5, arbitrary: fc.record({ name: hostile(validName, nameTraps), members: recordOf({ groups: optional(listOf(memberArb, memberTraps)), users: optional(listOf(memberArb, memberTraps)) }) })
      .map((t) => ({ team: t })) },
    { weight: 1, arbitrary: junk.map((j) => ({ junk: j })) },
  );
  const teamPropsArb = propsOf({
    team: teamArb,
    name: optional(validName, nameTraps),
    istioTrafficKinds: optional(listOf(fc.constantFrom(...TRAFFIC), ['Gateway', lookAlikeKind, ...SECURITY], (k) => k.kind)),
    meshSecurityKinds: optional(listOf(fc.constantFrom(...SECURITY), ['AuthorizationPolicy', ...TRAFFIC], (k) => k.kind)),
    allowOwnNamespace: optional(fc.boolean(), boolTraps),
    defaultDeny: optional(fc.constant(true), [false, ...boolTraps]),
    istiodNamespace: optional(fc.constantFrom('istio-system', 'istiod-ns'), nameTraps),
    rootNamespace: optional(fc.constantFrom('istio-system', 'mesh-root'), nameTraps),
    mtlsMode: optional(fc.constantFrom(MtlsMode.STRICT, MtlsMode.PERMISSIVE), ['strict', MtlsMode.DISABLE, MtlsMode.UNSET, 5]),
    clientTls: optional(fc.boolean(), boolTraps),
    labels: optional(labelsValid, labelsTraps),
  });
  const makeTeam = (d: any) => (d && typeof d === 'object' && 'team' in d ? Team.of(d.team.name, d.team.members) : d?.junk);
  const teamProps = (p: any) => (p !== null && typeof p === 'object' && !Array.isArray(p)
    ? Object.assign(Object.getPrototypeOf(p) === null ? Object.create(null) : {}, p, p.team === undefined ? {} : { team: makeTeam(p.team) }) : p);

  test('TeamNamespace', () => {
    campaign.property('TeamNamespace', teamPropsArb, {
      setup: () => undefined,
      act: (c, input) => { new TeamNamespace(c, 'team', teamProps(input)); },
      retry: (c) => { new TeamNamespace(c, 'team', { name: 'retried', team: Team.of('retried', { groups: ['g'] }) }); },
      probe: (c) => {
        const ns = c.node.findChild('team') as TeamNamespace;
        new MeshWorkload(c, 'probe', { namespace: ns, image: 'nginx:1.27', ports: [{ port: 80, containerPort: 8080 }] });
      },
      allowedFindings: ['rbac-weakens-strict'],
      intent: ({ input, objects, model, modes }) => {
        const p = input as any;
        const name = p.name ?? 'team';
        const w = workloadOf(model, `${name}/probe`);
        expectEqual('sidecar', w.sidecar, true);
        expectEqual('mode of the probe port', modes.modeFor(w, 8080).mode, p.mtlsMode ?? 'STRICT');
        const team = p.team.team;
        const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === name);
        const subjects = (binding.subjects ?? []).map((s: any) => `${s.kind}:${s.name}`).sort();
        expectEqual('team members bound', subjects, [...(team.members?.groups ?? []).map((g: string) => `Group:${g}`), ...(team.members?.users ?? []).map((u: string) => `User:${u}`)].sort());
        const role = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === name);
        const granted = new Set((p.meshSecurityKinds ?? []).map((k: IstioKind) => k.resource));
        for (const rule of role.rules) {
          const writes = rule.verbs.some((v: string) => !['get', 'list', 'watch'].includes(v));
          for (const resource of rule.resources ?? []) {
            const security = SECURITY.find((k) => k.resource === resource && rule.apiGroups.includes(k.apiGroup));
            if (security && writes && !granted.has(resource)) throw new Error(`the Role writes ${resource}, which was not granted`);
          }
        }
        const sameNamespace = objects.some((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'allow-same-namespace');
        expectEqual('allow-same-namespace', sameNamespace, p.allowOwnNamespace ?? true);
        expectEqual('allow-nothing', objects.some((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'allow-nothing' && o.metadata.namespace === name), true);
      },
    }, 700);
  });

  (hasOpenssl ? test : test.skip)('PluginCa', () => {
    const ca = makeTestCa();
    const other = makeTestCa('Other Root CA');
    try {
      const good = ca.cluster('c1');
      const leaf = ca.leaf();
      const pemTraps = ['', 'root', good.caPrivateKey, `${good.caCertificate}junk`, `${good.caCertificate}${good.caPrivateKey}`,
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(200_000)}`, leaf.certificate,
        other.rootCertificate];
      const pemArb = recordOf({
        caCertificate: hostile(fc.constant(good.caCertificate), pemTraps),
        caPrivateKey: hostile(fc.constant(good.caPrivateKey), [good.caCertificate, other.cluster('c2').caPrivateKey, leaf.privateKey, '', 5]),
        rootCertificate: hostile(fc.constant(good.rootCertificate), pemTraps),
        certificateChain: hostile(fc.constant(good.certificateChain), pemTraps),
        acknowledgeKeyInManifest: hostile(fc.constant(true), [false, 'true', 1, null]),
      });
      const caPropsArb = propsOf({
        certificates: optional(fc.oneof(fc.constant('secret'), pemArb.map((pem) => ({ pem }))), [{ secretName: 'cacerts' }, 'cacerts']),
        istiodNamespace: optional(fc.constantFrom('istio-system', 'istiod-ns'), nameTraps),
      });
      const certificatesOf = (d: any) => (d === 'secret' ? CaCertificates.fromSecret()
        : d && typeof d === 'object' && 'pem' in d ? CaCertificates.fromPem(d.pem) : d);
      campaign.property('PluginCa', caPropsArb, {
        setup: () => undefined,
        act: (c, input) => {
          const p = input as any;
          const props = p !== null && typeof p === 'object' && !Array.isArray(p)
            ? Object.assign(Object.getPrototypeOf(p) === null ? Object.create(null) : {}, p, p.certificates === undefined ? {} : { certificates: certificatesOf(p.certificates) })
            : p;
          new PluginCa(c, 'ca', props);
        },
        retry: (c) => { new PluginCa(c, 'ca'); },
        intent: ({ input, objects }) => {
          const p = (input ?? {}) as any;
          const secret = objects.find((o) => o.kind === 'Secret');
          const fromPem = p.certificates !== undefined && p.certificates !== null && p.certificates !== 'secret';
          expectEqual('Secret created', secret !== undefined, fromPem);
          if (fromPem) {
            expectEqual('Secret namespace', secret.metadata.namespace, p.istiodNamespace ?? 'istio-system');
            expectEqual('ca-cert.pem', secret.stringData['ca-cert.pem'], p.certificates.pem.caCertificate);
            expectEqual('ca-key.pem', secret.stringData['ca-key.pem'], p.certificates.pem.caPrivateKey);
          }
        },
      }, 300);
    } finally {
      ca.dispose();
      other.dispose();
    }
  });

  // Parties that match calls of the fixture when valid: web (port 80 -> 8080, account web) and
  // caller in StrictNamespace shop, where every call is allowed and mTLS.
  type PartyD = { kind: 'workload'; w: any } | { kind: 'pods'; ns: any; labels: any } | { kind: 'account'; ns: any; sa: any }
    | { kind: 'identity'; id: any } | { kind: 'namespace'; ns: any };
  const nsArb = hostile(fc.constant('shop'), [{ name: 'shop' }, 'shop', MeshNamespace.fromName('Shop'), MeshNamespace.fromName('shop', { clusterDomain: 'cluster.1' })]);
  const partyArb: fc.Arbitrary<PartyD> = fc.oneof(
    fc.record({ kind: fc.constant('workload' as const), w: hostile(fc.constant('web'), ['caller-by-hand', { namespace: 'shop' }]) }),
    fc.record({ kind: fc.constant('pods' as const), ns: nsArb, labels: hostile(fc.constant({ app: 'web' }), [{}, ...labelsTraps]) }),
    fc.record({ kind: fc.constant('account' as const), ns: nsArb, sa: hostile(fc.constant('web'), ['Web', 'a b', '', 'x'.repeat(254), 5, null]) }),
    fc.record({ kind: fc.constant('identity' as const), id: hostile(fc.constant('web'), [{ principal: 'cluster.local/ns/shop/sa/web' }, 'cluster.local/ns/shop/sa/web']) }),
    fc.record({ kind: fc.constant('namespace' as const), ns: nsArb }),
  );
  const intentArb = fc.record({
    call: fc.constantFrom('mustBeMtls', 'mustAllow', 'mustLeaveVia'),
    party: partyArb,
    options: optional(recordOf({ port: optional(fc.constant(80), portTraps) }), ['80', 80]),
    host: hostile(fc.constant('api.example.com'), ['https://api.example.com', 'API.example.com', '', 'a'.repeat(300), 5, 'api.example.com:443']),
  });
  const junkGateway: any = { host: 'istio-egressgateway.istio-system.svc.cluster.local' };
  interface IntentFixtures { readonly shop: StrictNamespace; readonly web: MeshWorkload; readonly intent: MeshIntent }
  const resolveNs = (f: IntentFixtures, d: any) => (d === 'shop' ? f.shop : d);
  function partyOf(f: IntentFixtures, d: any): any {
    if (!d || typeof d !== 'object' || !('kind' in d)) return d;
    switch (d.kind) {
      case 'workload': return MeshParty.workload(d.w === 'web' ? f.web : d.w);
      case 'pods': return MeshParty.pods(resolveNs(f, d.ns), d.labels);
      case 'account': return MeshParty.serviceAccount(resolveNs(f, d.ns), d.sa);
      case 'identity': return MeshParty.identity(d.id === 'web' ? WorkloadIdentity.of('cluster.local', 'shop', 'web') : d.id);
      default: return MeshParty.namespace(resolveNs(f, d.ns));
    }
  }
  test('MeshIntent, MeshParty', () => {
    campaign.property('MeshIntent', intentArb, {
      setup: (c: Chart): IntentFixtures => {
        const shop = new StrictNamespace(c, 'shop');
        const web = new MeshWorkload(c, 'web', { namespace: shop, image: 'nginx:1.27', ports: [{ port: 80, containerPort: 8080 }] });
        new MeshWorkload(c, 'caller', { namespace: shop, image: 'curl' });
        const intent = new MeshIntent(c, 'intent');
        intent.mustBeMtls(MeshParty.workload(web));
        return { shop, web, intent };
      },
      act: (_c, input, f) => {
        const party = partyOf(f, input.party);
        if (input.call === 'mustBeMtls') f.intent.mustBeMtls(party, input.options);
        else if (input.call === 'mustAllow') f.intent.mustAllow(MeshParty.workloadNamed(f.shop, 'caller'), party, input.options);
        // Checked and refused before the intent is kept; a valid one would be violated (no egress route), so only bad ones are given.
        else f.intent.mustLeaveVia(party, input.host === 'api.example.com' ? 'API.example.com' : input.host, junkGateway, input.options);
      },
      retry: (_c, _input, f) => { f.intent.mustBeMtls(MeshParty.namespace(f.shop)); },
      intent: ({ fixtures }) => {
        expectEqual('intents kept', fixtures.intent.intents.length, 2);
      },
    }, 500);
  });
});
