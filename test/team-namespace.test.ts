import { Testing } from 'cdk8s';
import {
  AppProtocol, IstioKind, MeshWorkload, MtlsMode, PluginCa, SidecarInjection, Team, TeamNamespace,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();
const photo = Team.of('photo-sre', { groups: ['photo-sre'], users: ['alice@example.com'] });

const RW = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const R = ['get', 'list', 'watch'];
const rule = (apiGroup: string, resource: string, verbs: string[]) => ({ apiGroups: [apiGroup], resources: [resource], verbs });

/** Every rule of the default team Role, in order. */
const DEFAULT_RULES = [
  rule('apps', 'deployments', RW), rule('apps', 'statefulsets', RW), rule('batch', 'jobs', RW), rule('batch', 'cronjobs', RW),
  rule('apps', 'deployments/scale', ['get', 'update', 'patch']), rule('apps', 'statefulsets/scale', ['get', 'update', 'patch']),
  rule('', 'pods', RW), rule('', 'services', RW), rule('', 'configmaps', RW), rule('', 'secrets', RW), rule('', 'serviceaccounts', RW),
  rule('', 'persistentvolumeclaims', RW),
  rule('apps', 'replicasets', R), rule('', 'events', R), rule('', 'endpoints', R), rule('', 'pods/log', ['get']),
  rule('networking.istio.io', 'virtualservices', RW),
  rule('security.istio.io', 'peerauthentications', R), rule('security.istio.io', 'authorizationpolicies', R),
  rule('security.istio.io', 'requestauthentications', R), rule('networking.istio.io', 'destinationrules', R),
  rule('networking.istio.io', 'sidecars', R), rule('networking.istio.io', 'envoyfilters', R), rule('extensions.istio.io', 'wasmplugins', R),
];

const MESH_SECURITY_RESOURCES = ['peerauthentications', 'authorizationpolicies', 'requestauthentications', 'destinationrules', 'sidecars', 'envoyfilters', 'wasmplugins'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];

describe('TeamNamespace', () => {
  test('defaults: a StrictNamespace that denies by default and lets its own namespace in, and the team bound to its Role', () => {
    const chart = newChart();
    const ns = new TeamNamespace(chart, 'photo-ns', { team: photo });
    const objects = valid(synth(chart));
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace /photo-ns', 'PeerAuthentication photo-ns/default', 'DestinationRule photo-ns/default', 'AuthorizationPolicy photo-ns/allow-nothing',
      'Role photo-ns/team-photo-sre', 'RoleBinding photo-ns/team-photo-sre', 'AuthorizationPolicy photo-ns/allow-same-namespace',
    ]);
    expect(only(objects, 'Namespace').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(only(objects, 'PeerAuthentication').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(only(objects, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({});
    expect(only(objects, 'AuthorizationPolicy', 'allow-same-namespace').spec).toEqual({
      action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['photo-ns'] } }] }],
    });

    const role = only(objects, 'Role');
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(role.metadata).toEqual({ name: 'team-photo-sre', namespace: 'photo-ns' });
    expect(role.rules).toEqual(DEFAULT_RULES);

    const binding = only(objects, 'RoleBinding');
    expect(binding.metadata).toEqual({ name: 'team-photo-sre', namespace: 'photo-ns' });
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'team-photo-sre' });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'photo-sre' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' },
    ]);
    expect([ns.name, ns.sidecarInjection, ns.mtlsMode, ns.clusterDomain, ns.trustDomain]).toEqual(['photo-ns', true, MtlsMode.STRICT, 'cluster.local', 'cluster.local']);
    expect(ns.grantedKinds).toEqual([IstioKind.VIRTUAL_SERVICE]);
  });

  test('nothing cluster-scoped, no wildcard, no write on a mesh-security kind unless granted', () => {
    const chart = newChart();
    new TeamNamespace(chart, 'photo-ns', { team: photo });
    const rules: any[] = only(synth(chart), 'Role').rules;
    for (const r of rules) {
      expect(r.apiGroups).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('namespaces');
      if (r.resources.some((res: string) => MESH_SECURITY_RESOURCES.includes(res))) expect(r.verbs).toEqual(R);
    }
    expect(synth(chart).filter((o) => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind))).toEqual([]);
  });

  test('mesh-security kinds granted one by one; traffic kinds as given; identity-only isolation', () => {
    const chart = newChart();
    new TeamNamespace(chart, 'canary', {
      team: Team.of('canary', { groups: ['canary-devs'] }),
      meshSecurityKinds: [IstioKind.DESTINATION_RULE, IstioKind.AUTHORIZATION_POLICY],
      istioTrafficKinds: [IstioKind.VIRTUAL_SERVICE, IstioKind.SERVICE_ENTRY],
      allowOwnNamespace: false,
    });
    const objects = valid(synth(chart));
    const rules: any[] = only(objects, 'Role').rules;
    const verbsOf = (resource: string) => rules.filter((r) => r.resources.includes(resource)).map((r) => r.verbs);
    expect(verbsOf('destinationrules')).toEqual([RW]);
    expect(verbsOf('authorizationpolicies')).toEqual([RW]);
    expect(verbsOf('serviceentries')).toEqual([RW]);
    expect(verbsOf('peerauthentications')).toEqual([R]);
    expect(verbsOf('sidecars')).toEqual([R]);
    expect(verbsOf('gateways')).toEqual([]);
    for (const r of rules) {
      const writes = r.verbs.some((v: string) => WRITE.includes(v));
      if (writes && r.resources.some((res: string) => MESH_SECURITY_RESOURCES.includes(res))) {
        expect(['destinationrules', 'authorizationpolicies']).toContain(r.resources[0]);
      }
    }
    expect(objects.filter((o) => o.kind === 'AuthorizationPolicy').map((o) => o.metadata.name)).toEqual(['allow-nothing']);
    expect(only(objects, 'RoleBinding').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'canary-devs' }]);
  });

  test('the StrictNamespace options pass through; calls between teams are allowed one by one', () => {
    const chart = newChart();
    const a = new TeamNamespace(chart, 'a', {
      team: Team.of('team-a', { users: ['bob'] }), injection: SidecarInjection.revision('canary'), mtlsMode: MtlsMode.PERMISSIVE,
      clusterDomain: 'corp.example', labels: { tier: 'front' }, clientTls: false,
    });
    const b = new TeamNamespace(chart, 'b', { team: Team.of('team-b', { groups: ['team-b'] }) });
    const client = new MeshWorkload(chart, 'web', { namespace: a, image: 'nginx:1.27' });
    const server = new MeshWorkload(chart, 'api', { namespace: b, image: 'nginx:1.27', ports: [{ port: 8080, protocol: AppProtocol.HTTP }] });
    server.allowFrom(client);
    const objects = valid(synth(chart));
    expect(only(objects.filter((o) => o.metadata.name === 'a'), 'Namespace').metadata.labels).toEqual({ 'istio.io/rev': 'canary', 'tier': 'front' });
    expect(objects.filter((o) => o.kind === 'DestinationRule').map((o) => o.metadata.namespace)).toEqual(['b']);
    expect(objects.find((o) => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'a').spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
    expect(only(objects, 'AuthorizationPolicy', 'api-allow').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/a/sa/web'] } }] }]);
    expect(objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/team-team-a', 'b/team-team-b']);
  });

  test('one team, two namespaces; the same output on every synth', () => {
    const build = () => {
      const chart = newChart();
      new TeamNamespace(chart, 'photo-ns', { team: photo });
      new TeamNamespace(chart, 'photo-staging', { team: photo, meshSecurityKinds: [IstioKind.PEER_AUTHENTICATION] });
      return JSON.stringify(Testing.synth(chart));
    };
    expect(build()).toEqual(build());
  });

  describe('refuses', () => {
    const chart = () => newChart();
    test.each<[string, () => unknown, RegExp]>([
      ['no team', () => new TeamNamespace(chart(), 'ns', {} as any), /required props are missing: team/],
      ['a team that is not a Team', () => new TeamNamespace(chart(), 'ns', { team: { name: 'x', groups: ['x'] } as any }), /team .* is not a Team: use Team.of/],
      ['an empty group name', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { groups: [''] }) }), /groups entry "" is not a name/],
      ['a group name with whitespace', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { groups: [' ops'] }) }), /groups entry " ops" is not a name/],
      ['a group that is not a string', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { groups: [5 as any] }) }), /groups entry 5 is not a name/],
      ['groups that are not a list', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { groups: 'ops' as any }) }), /groups "ops" is not a list/],
      ['system:authenticated', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { groups: ['system:authenticated'] }) }), /"system:authenticated" is a name Kubernetes keeps/],
      ['a system user', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { users: ['system:anonymous'] }) }), /users entry "system:anonymous"/],
      ['a duplicate user', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', { users: ['bob', 'bob'] }) }), /users entry "bob" is given twice/],
      ['a team without members', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', {}) }), /has no groups and no users/],
      ['members that are not an object', () => new TeamNamespace(chart(), 'ns', { team: Team.of('t', undefined as any) }), /members undefined are not \{ groups, users \}/],
      ['an invalid team name', () => new TeamNamespace(chart(), 'ns', { team: Team.of('Photo SRE', { groups: ['g'] }) }), /team name "Photo SRE" is not a valid DNS-1123 label/],
      ['a kind that does not exist', () => new TeamNamespace(chart(), 'ns', { team: photo, meshSecurityKinds: ['Gateway' as any] }), /meshSecurityKinds entry "Gateway" is not an Istio kind a team can be granted: use one of IstioKind.PEER_AUTHENTICATION/],
      ['a look-alike of a kind', () => new TeamNamespace(chart(), 'ns', { team: photo, istioTrafficKinds: [{ kind: 'VirtualService' } as any] }), /istioTrafficKinds entry \{"kind":"VirtualService"\} is not an Istio kind/],
      ['a mesh-security kind among traffic kinds', () => new TeamNamespace(chart(), 'ns', { team: photo, istioTrafficKinds: [IstioKind.PEER_AUTHENTICATION] }), /istioTrafficKinds entry PeerAuthentication decides mesh security: use meshSecurityKinds to grant it explicitly/],
      ['a traffic kind among mesh-security kinds', () => new TeamNamespace(chart(), 'ns', { team: photo, meshSecurityKinds: [IstioKind.GATEWAY] }), /meshSecurityKinds entry Gateway is a traffic kind/],
      ['a kind given twice', () => new TeamNamespace(chart(), 'ns', { team: photo, meshSecurityKinds: [IstioKind.SIDECAR, IstioKind.SIDECAR] }), /meshSecurityKinds entry "Sidecar" is given twice/],
      ['kinds that are not a list', () => new TeamNamespace(chart(), 'ns', { team: photo, meshSecurityKinds: IstioKind.SIDECAR as any }), /meshSecurityKinds Sidecar is not a list/],
      ['defaultDeny false', () => new TeamNamespace(chart(), 'ns', { team: photo, defaultDeny: false }), /defaultDeny false would open the team's namespace/],
      ['allowOwnNamespace not a boolean', () => new TeamNamespace(chart(), 'ns', { team: photo, allowOwnNamespace: 'yes' as any }), /allowOwnNamespace "yes" is not a boolean/],
      ['the istiod namespace', () => new TeamNamespace(chart(), 'istio-system', { team: photo }), /namespace "istio-system" cannot be a team's namespace: istiod and its CA Secret \(cacerts\) run there/],
      ['a custom istiod namespace', () => new TeamNamespace(chart(), 'ns', { team: photo, name: 'istiod-ns', istiodNamespace: 'istiod-ns' }), /namespace "istiod-ns" cannot be a team's namespace: istiod/],
      ['the root namespace', () => new TeamNamespace(chart(), 'mesh-root', { team: photo, rootNamespace: 'mesh-root' }), /Istio's root namespace/],
      ['kube-system', () => new TeamNamespace(chart(), 'kube-system', { team: photo }), /it belongs to Kubernetes itself/],
      ['an invalid namespace name', () => new TeamNamespace(chart(), 'ns', { team: photo, name: 'Photo' }), /namespace name "Photo" is not a valid DNS-1123 label/],
      ['disabled injection', () => new TeamNamespace(chart(), 'ns', { team: photo, injection: SidecarInjection.disabled() }), /needs sidecar injection/],
    ])('%s', (_, build, message) => {
      expect(refusal(build).message).toMatch(message);
    });

    test('no object is created before the checks pass', () => {
      const c = newChart();
      refusal(() => new TeamNamespace(c, 'ns', { team: Team.of('t', { groups: [''] }) }));
      expect(synth(c)).toEqual([]);
    });

    test('two team namespaces of one name', () => {
      const c = newChart();
      new TeamNamespace(c, 'a', { team: photo, name: 'photo-ns' });
      expect(refusal(() => new TeamNamespace(c, 'b', { team: photo, name: 'photo-ns' })).message).toMatch(/Role "photo-ns\/team-photo-sre" is already emitted by test\/a/);
    });

    test.each<[string, (ns: TeamNamespace) => void, RegExp]>([
      ['a wildcard rule added to the Role', (ns) => ns.role.allow(['*'], ...[{ apiGroup: 'apps', resourceType: 'deployments' }]), /a rule on apps deployments with verbs \[\*\] uses a wildcard: list the API group/],
      ['a rule on every resource', (ns) => ns.role.allow(['get'], { apiGroup: '*', resourceType: '*' }), /uses a wildcard/],
      ['a rule on namespaces', (ns) => ns.role.allow(['patch'], { apiGroup: '', resourceType: 'namespaces' }), /grants core namespaces: leave namespaces out, because a Role in namespace "photo-ns" that grants them can change that Namespace itself/],
    ])('at synth: %s', (_, change, message) => {
      const c = newChart();
      change(new TeamNamespace(c, 'photo-ns', { team: photo }));
      expect(() => synth(c)).toThrow(message);
    });

    test('at synth: Secrets in the namespace a PluginCa of the chart names as istiod\'s', () => {
      const c = newChart();
      new TeamNamespace(c, 'photo-ns', { team: photo });
      new PluginCa(c, 'ca', { istiodNamespace: 'photo-ns' });
      expect(() => synth(c)).toThrow(/Role "photo-ns\/team-photo-sre" of team "photo-sre": a rule grants Secrets in "photo-ns", the namespace of istiod and its CA Secret \(cacerts\): keep that namespace to cluster admins/);
    });
  });
});
