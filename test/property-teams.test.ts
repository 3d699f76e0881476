/*
 * Property-based tests: teams and keys (TeamNamespace with Team and IstioKind, PluginCa with
 * CaCertificates). Every case is refused with an IstioSecurityError the oracle predicts, or
 * synthesizes schema-valid objects whose RBAC grants the team what it may have and nothing else
 * (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property-teams
 */
import { Testing } from 'cdk8s';
import fc from 'fast-check';
import { CaCertificates, IstioKind, MtlsMode, PluginCa, Team, TeamNamespace } from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, enumArb, expectBothOutcomes, idPath, isDnsLabel, mixed, nameArb, nonsenseScalar,
  optionalName, validLabel, violation,
} from './property-util';
import { hasOpenssl, makeTestCa } from './test-ca';

announce('test/property-teams.test.ts');

const KINDS = IstioKind.all();
const SECURITY = KINDS.filter((k) => k.meshSecurity);
const TRAFFIC = KINDS.filter((k) => !k.meshSecurity);
const RESOURCE_OF = new Map(KINDS.map((k) => [k.resource, k]));
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** A group or user name: valid (as authenticators name them), at a boundary, or nonsense. */
const memberArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(validLabel, validLabel.map((n) => `${n}@example.com`), fc.constantFrom('Photo SRE', 'oidc:photo-sre', 'CN=ops,O=corp')) },
  { weight: 3, arbitrary: fc.constantFrom('', ' ', ' ops', 'ops ', 'a\nb', '\u0000', 'system:authenticated', 'system:masters', 'system:serviceaccounts', 'system:anonymous', 'system:') },
  { weight: 1, arbitrary: fc.constantFrom<any>(5, null, true, {}, ['a']) },
);
const membersListArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.array(memberArb, { maxLength: 3 }) },
  { weight: 1, arbitrary: nonsenseScalar },
);
/** A kind list: IstioKind values, often of the wrong category, sometimes look-alikes. */
const kindsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KINDS) },
    { weight: 1, arbitrary: fc.constantFrom<any>('PeerAuthentication', { kind: 'Sidecar' }, 5, null) }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom<any>(IstioKind.SIDECAR, 'VirtualService', 5) },
);

interface TeamInput {
  id: string; name?: any; teamName: any; members: any; groups?: any; users?: any; traffic?: any; security?: any;
  allowOwnNamespace?: any; defaultDeny?: any; istiodNamespace?: any; rootNamespace?: any; mtlsMode?: any;
}

const validMember = fc.oneof(validLabel, validLabel.map((n) => `${n}@example.com`), fc.constantFrom('Photo SRE', 'oidc:photo-sre', 'CN=ops,O=corp'));
const teamArb: fc.Arbitrary<TeamInput> = mixed<TeamInput>({
  id: validLabel.filter((n) => !['istio-system', 'kube-system', 'kube-public', 'kube-node-lease'].includes(n)),
  name: fc.constant(undefined),
  teamName: validLabel,
  members: fc.constant('object'),
  groups: fc.uniqueArray(validMember, { minLength: 1, maxLength: 3 }),
  users: fc.option(fc.uniqueArray(validMember, { maxLength: 2 }), { nil: undefined }),
  traffic: fc.option(fc.uniqueArray(fc.constantFrom(...TRAFFIC), { maxLength: 3 }), { nil: undefined }),
  security: fc.option(fc.uniqueArray(fc.constantFrom(...SECURITY), { maxLength: 3 }), { nil: undefined }),
  allowOwnNamespace: fc.option(fc.boolean(), { nil: undefined }),
  defaultDeny: fc.constantFrom(undefined, true),
  istiodNamespace: fc.constant(undefined),
  rootNamespace: fc.constant(undefined),
  mtlsMode: fc.option(fc.constantFrom(MtlsMode.STRICT, MtlsMode.PERMISSIVE), { nil: undefined }),
}, {
  id: fc.oneof({ weight: 6, arbitrary: validLabel }, { weight: 1, arbitrary: fc.constantFrom('istio-system', 'kube-system', 'kube-public', 'mesh-root') }),
  name: optionalName,
  teamName: nameArb,
  members: fc.constantFrom<any>('object', undefined, null, 'text'),
  groups: membersListArb,
  users: membersListArb,
  traffic: kindsArb,
  security: kindsArb,
  allowOwnNamespace: fc.constantFrom<any>(undefined, true, false, null, 'yes'),
  defaultDeny: fc.constantFrom<any>(undefined, true, false, null, 1),
  istiodNamespace: optionalName,
  rootNamespace: fc.constantFrom(undefined, 'mesh-root', 'Bad Root'),
  mtlsMode: fc.option(enumArb(Object.values(MtlsMode)), { nil: undefined }),
});

function teamOf(input: TeamInput): Team {
  const members = input.members === 'object' ? { groups: input.groups, users: input.users } : input.members;
  return Team.of(input.teamName, members);
}

const isName = (v: unknown) => typeof v === 'string' && v.trim() !== '' && v === v.trim() && !/[\u0000-\u001f]/.test(v);
const given = (v: unknown) => v !== undefined && v !== null;

/** What TeamNamespace refuses, as its documentation says. */
function teamViolations(input: TeamInput): Violation[] {
  const found: Violation[] = [];
  if (!isDnsLabel(input.teamName)) found.push(violation('team name', input.teamName));
  let count = 0;
  if (input.members !== 'object') {
    found.push(violation('team members', input.members, [String(input.members === 'text' ? '"text"' : input.members)]));
  } else {
    for (const what of ['groups', 'users'] as const) {
      const list = input[what];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        found.push(violation(what, list));
        continue;
      }
      count += list.length;
      for (const m of list) {
        if (!isName(m) || m.startsWith('system:')) found.push(violation(`${what} entry`, m));
      }
      const dup = list.find((m, i) => list.indexOf(m) !== i);
      if (dup !== undefined) found.push(violation(`${what} entry twice`, dup));
    }
    if (count === 0) found.push(violation('members', 'none', ['has no groups and no users']));
  }
  for (const [what, list, security] of [['istioTrafficKinds', input.traffic, false], ['meshSecurityKinds', input.security, true]] as const) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      found.push(violation(what, list, [String(list), JSON.stringify(list)]));
      continue;
    }
    for (const k of list) {
      if (!KINDS.includes(k)) found.push(violation(`${what} entry`, k, [JSON.stringify(k), String(k)]));
      else if (k.meshSecurity !== security) found.push(violation(`${what} entry`, k.kind, [k.kind]));
    }
    const kinds = list.map((k: any) => k?.kind);
    const dup = kinds.find((k: any, i: number) => k !== undefined && kinds.indexOf(k) !== i);
    if (dup !== undefined) found.push(violation(`${what} entry twice`, dup));
  }
  for (const what of ['allowOwnNamespace', 'defaultDeny'] as const) {
    if (given(input[what]) && typeof input[what] !== 'boolean') found.push(violation(what, input[what]));
  }
  if (input.defaultDeny === false) found.push(violation('defaultDeny', false, ['defaultDeny false']));
  const istiod = input.istiodNamespace ?? 'istio-system';
  const root = input.rootNamespace ?? 'istio-system';
  if (!isDnsLabel(istiod)) found.push(violation('istiodNamespace', istiod));
  if (!isDnsLabel(root)) found.push(violation('rootNamespace', root));
  const name = input.name ?? input.id;
  if (!isDnsLabel(name)) found.push(violation('namespace name', name));
  else if ([istiod, root, 'kube-system', 'kube-public', 'kube-node-lease'].includes(name)) found.push(violation('namespace', name));
  const mode = input.mtlsMode ?? MtlsMode.STRICT;
  if (mode !== MtlsMode.STRICT && mode !== MtlsMode.PERMISSIVE) found.push(violation('mtlsMode', mode));
  return found;
}

function buildTeam(input: TeamInput) {
  const c = chart();
  new TeamNamespace(c, input.id, {
    name: input.name, team: teamOf(input), istioTrafficKinds: input.traffic, meshSecurityKinds: input.security,
    allowOwnNamespace: input.allowOwnNamespace, defaultDeny: input.defaultDeny, istiodNamespace: input.istiodNamespace,
    rootNamespace: input.rootNamespace, mtlsMode: input.mtlsMode,
  });
  return c;
}

describe('property: teams and keys', () => {
  test('TeamNamespace: refused iff the team, a kind or a setting is invalid; otherwise RBAC for exactly what the team may do', () => {
    checkProperty('TeamNamespace', teamArb, (input) => {
      const outcome = attempt(() => buildTeam(input));
      if (outcome.kind === 'ok') {
        const name = input.name ?? input.id;
        const objects = outcome.objects;
        // Nothing cluster-scoped but the Namespace; every namespaced object in the team's namespace.
        for (const o of objects) {
          if (o.kind === 'Namespace') expect(o.metadata.name).toBe(name);
          else expect(o.metadata.namespace).toBe(name);
        }
        expect(objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
        const [role] = objects.filter((o) => o.kind === 'Role');
        const granted = new Set([...(input.traffic ?? [IstioKind.VIRTUAL_SERVICE]), ...(input.security ?? [])]);
        for (const r of role.rules) {
          expect(r.apiGroups).toHaveLength(1);
          expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
          expect(r.resources).not.toContain('namespaces');
          const kind = RESOURCE_OF.get(r.resources[0]);
          if (kind && r.verbs.some((v: string) => WRITE.includes(v))) expect(granted.has(kind)).toBe(true);
        }
        for (const k of SECURITY) {
          const verbs = role.rules.filter((r: any) => r.resources[0] === k.resource).flatMap((r: any) => r.verbs);
          expect(verbs.some((v: string) => WRITE.includes(v))).toBe(granted.has(k));
          expect(verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
        }
        for (const k of TRAFFIC) expect(role.rules.some((r: any) => r.resources[0] === k.resource)).toBe(granted.has(k));
        const [binding] = objects.filter((o) => o.kind === 'RoleBinding');
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
        expect(binding.subjects.map((s: any) => `${s.kind} ${s.name}`)).toEqual([
          ...(input.groups ?? []).map((g: string) => `Group ${g}`), ...(input.users ?? []).map((u: string) => `User ${u}`)]);
        expect(objects.filter((o) => o.kind === 'AuthorizationPolicy').map((o) => o.metadata.name))
          .toEqual(['allow-nothing', ...(input.allowOwnNamespace === false ? [] : ['allow-same-namespace'])]);
        // The same output on every synth.
        expect(JSON.stringify(Testing.synth(buildTeam(input)))).toBe(JSON.stringify(objects));
      }
      return { outcome, violations: teamViolations(input), path: `test/${idPath(input.id)}` };
    }, { after: expectBothOutcomes });
  });

  (hasOpenssl ? test : test.skip)('PluginCa: referenced by default; created from PEM only with the acknowledgement and a chain istiod accepts', () => {
    const ca = makeTestCa();
    const other = makeTestCa('Other Root');
    try {
      const good = ca.cluster('cluster1');
      const pems = {
        good, otherCluster: ca.cluster('cluster2'),
        wrongKey: { ...good, caPrivateKey: ca.cluster('cluster3').caPrivateKey },
        wrongRoot: { ...good, rootCertificate: other.rootCertificate },
        notPem: { ...good, certificateChain: 'chain' },
        leaf: { ...good, caCertificate: ca.leaf().certificate },
      };
      type PemName = keyof typeof pems;
      const arb = fc.record({
        certificates: fc.oneof(fc.constant({ kind: 'secret' as const }), fc.constant({ kind: 'none' as const }),
          fc.constant({ kind: 'bogus' as const }),
          fc.record({ kind: fc.constant('pem' as const), pem: fc.constantFrom<PemName>(...Object.keys(pems) as PemName[]),
            ack: fc.constantFrom<any>(true, true, true, false, undefined, 'true', 1) })),
        istiodNamespace: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: optionalName }),
      });
      checkProperty('PluginCa', arb, (input) => {
        const c = input.certificates;
        const certificates = c.kind === 'secret' ? CaCertificates.fromSecret() : c.kind === 'none' ? undefined
          : c.kind === 'bogus' ? ({ secretName: 'cacerts' } as any) : CaCertificates.fromPem({ ...pems[c.pem], acknowledgeKeyInManifest: c.ack });
        const outcome = attempt(() => {
          const ch = chart();
          new PluginCa(ch, 'ca', { certificates, istiodNamespace: input.istiodNamespace });
          return ch;
        });
        const found: Violation[] = [];
        const ns = input.istiodNamespace ?? 'istio-system';
        if (c.kind === 'bogus') found.push(violation('certificates', certificates, ['{"secretName": "cacerts"}']));
        if (!isDnsLabel(ns)) found.push(violation('istiodNamespace', ns));
        if (c.kind === 'pem' && c.ack !== true) found.push(violation('acknowledgeKeyInManifest', c.ack, ['acknowledgeKeyInManifest']));
        if (c.kind === 'pem' && !['good', 'otherCluster'].includes(c.pem)) found.push(violation('PEM', c.pem, ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem']));
        if (outcome.kind === 'ok') {
          if (c.kind === 'pem') {
            expect(outcome.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([`Secret ${ns}/cacerts`]);
            expect(outcome.warnings).toEqual([expect.stringMatching(/^WARNING: test\/ca: CaCertificates.fromPem writes a private key into Secret /)]);
          } else {
            expect(outcome.objects).toEqual([]);
          }
        }
        return { outcome, violations: found, path: 'test/ca' };
      }, { runs: 100, after: expectBothOutcomes });
    } finally {
      ca.dispose();
      other.dispose();
    }
  });
});
