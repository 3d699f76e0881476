// Who can weaken the mesh: the model's reading of Roles, ClusterRoles and their bindings, and the
// RBAC findings (Kubernetes' RBAC authorizer semantics, cluster defaults where the input lacks them).
import { Chart, Testing } from 'cdk8s';
import { identityAccessChart } from '../example/authz-charts';
import { IstioKind, MeshReport, MeshSecurityResource, RbacSubjectClass, ReportFormat, Team, TeamNamespace } from '../src';
import { findFindings, MeshModel } from '../src/model';
import { namespace, peerAuthentication } from './model-fixtures';

const RBAC = 'rbac.authorization.k8s.io/v1';
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

function rule(apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) {
  return { apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) };
}
function clusterRole(name: string, rules: any[], labels?: Record<string, string>, aggregate?: Record<string, string>) {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, ...(labels ? { labels } : {}) }, rules,
    ...(aggregate ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregate }] } } : {}) };
}
function role(ns: string, name: string, rules: any[]) {
  return { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns }, rules };
}
const group = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });
const user = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
const sa = (name: string, ns?: string) => ({ kind: 'ServiceAccount', name, ...(ns ? { namespace: ns } : {}) });
function clusterBinding(name: string, roleName: string, subjects: any[]) {
  return { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects };
}
function binding(ns: string, name: string, roleRef: { kind: string; name: string }, subjects: any[]) {
  return { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects };
}

const strictPhoto = [namespace('photo-ns'), peerAuthentication('photo-ns', 'default', { mtls: { mode: 'STRICT' } })];
/** What an Istio install typically adds so that `edit` covers Istio's kinds. */
const istioEdit = clusterRole('istio-edit', [rule(['security.istio.io', 'networking.istio.io'], ['peerauthentications', 'authorizationpolicies', 'destinationrules'], ['get', 'list', 'watch', ...WRITE])],
  { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });

const grantsOf = (m: MeshModel) => m.rbac.grants.map((g) => `${g.namespace} ${g.target} ${g.subject} ${g.subjectClass}: ${g.verbs.join(',')}${g.names ? ` (${g.names.join(',')})` : ''}`);
const rulesOf = (m: MeshModel) => findFindings(m).map((f) => `${f.rule} (${f.count})`);

describe('a ClusterRoleBinding of edit', () => {
  const m = MeshModel.of([...strictPhoto, istioEdit, clusterBinding('photo-edit', 'edit', [group('photo-sre')])]);

  test('gives the team the right to delete its PeerAuthentication, through the aggregated ClusterRole', () => {
    const pa = m.rbac.grants.find((g) => g.target === 'PeerAuthentication')!;
    expect(pa).toMatchObject({ namespace: '*', subject: 'Group photo-sre', subjectClass: 'other', verbs: WRITE, names: undefined, wildcard: false });
    expect(pa.via).toBe('ClusterRoleBinding photo-edit -> ClusterRole edit (Kubernetes default) (aggregates istio-edit, system:aggregate-to-edit)');
    expect(pa.verbs).toContain('delete');
  });

  test('and, through edit\'s default Secrets rule, the right to read istiod\'s CA everywhere edit reaches', () => {
    expect(grantsOf(m)).toEqual([
      '* PeerAuthentication Group photo-sre other: create,update,patch,delete,deletecollection',
      '* AuthorizationPolicy Group photo-sre other: create,update,patch,delete,deletecollection',
      '* DestinationRule Group photo-sre other: create,update,patch,delete,deletecollection',
      'istio-system CA Secret Group photo-sre other: get,list,watch,create pods,create pods/exec,create replicationcontrollers,'
        + 'create deployments,create statefulsets,create daemonsets,create replicasets,create jobs,create cronjobs',
    ]);
  });

  test('findings: it can weaken STRICT photo-ns, and read the CA', () => {
    const findings = findFindings(m);
    expect(findings.map((f) => f.rule).sort()).toEqual(['rbac-reads-ca', 'rbac-weakens-strict']);
    const weaken = findings.find((f) => f.rule === 'rbac-weakens-strict')!;
    expect(weaken.message).toMatch(/^Group photo-sre can weaken STRICT namespace photo-ns: PeerAuthentication \(every namespace\) create, update, patch, delete, deletecollection; /);
    expect(weaken.resources.map((r) => `${r.ref.kind} ${r.ref.name} ${r.locations.join(',')}`)).toEqual([
      'ClusterRoleBinding photo-edit subjects,roleRef', 'ClusterRole istio-edit rules[0]',
    ]);
    expect(weaken.count).toBe(1);
    expect(findings.find((f) => f.rule === 'rbac-reads-ca')!.message).toMatch(/^Group photo-sre can read istiod's CA Secret istio-system\/cacerts and istio-ca-secret/);
  });

  test('the report says which defaults it assumed and what it cannot see', () => {
    expect(m.rbac.notes).toEqual([
      expect.stringMatching(/^ClusterRole edit is not in the input: the model assumes Kubernetes' default \(it aggregates every ClusterRole labelled rbac.authorization.k8s.io\/aggregate-to-edit: "true"\)/),
      expect.stringMatching(/^ClusterRole system:aggregate-to-edit is not in the input/),
      expect.stringMatching(/^Not seen: roles and bindings outside the input, who is in which group .* other authorizers \(Node, webhooks such as cloud IAM\)/),
    ]);
  });
});

describe('bindings and rules, as the RBAC authorizer reads them', () => {
  test('a RoleBinding of edit reaches its own namespace only; a PERMISSIVE namespace gives no weakening finding', () => {
    const m = MeshModel.of([...strictPhoto, namespace('lab'), istioEdit,
      binding('photo-ns', 'photo-edit', { kind: 'ClusterRole', name: 'edit' }, [group('photo-sre')]),
      binding('lab', 'lab-edit', { kind: 'ClusterRole', name: 'edit' }, [group('lab')])]);
    expect(grantsOf(m).filter((g) => g.includes('PeerAuthentication'))).toEqual([
      'lab PeerAuthentication Group lab other: create,update,patch,delete,deletecollection',
      'photo-ns PeerAuthentication Group photo-sre other: create,update,patch,delete,deletecollection',
    ]);
    expect(m.rbac.grants.filter((g) => g.target === 'CA Secret')).toEqual([]);
    expect(findFindings(m).map((f) => f.message)).toEqual([expect.stringMatching(/^Group photo-sre can weaken STRICT namespace photo-ns/)]);
  });

  test('a Role that grants namespaces in namespace N can change Namespace N itself (its injection label), and only N', () => {
    const m = MeshModel.of([...strictPhoto, namespace('other'),
      role('photo-ns', 'ns-editor', [rule([''], ['namespaces'], ['get', 'patch'])]),
      binding('photo-ns', 'ns-editor', { kind: 'Role', name: 'ns-editor' }, [user('bob')])]);
    expect(grantsOf(m)).toEqual(['photo-ns Namespace User bob other: patch']);
    expect(findFindings(m)[0].message).toBe('User bob can weaken STRICT namespace photo-ns: Namespace patch (RoleBinding photo-ns/ns-editor -> Role photo-ns/ns-editor)');
  });

  test('resourceNames: a ClusterRoleBinding limited to one Namespace; create never matches a named rule', () => {
    const m = MeshModel.of([...strictPhoto, namespace('other'),
      clusterRole('label-photo', [rule([''], ['namespaces'], ['update', 'patch'], ['photo-ns']), rule(['security.istio.io'], ['peerauthentications'], ['create', 'patch'], ['default'])]),
      clusterBinding('label-photo', 'label-photo', [group('ops')])]);
    expect(grantsOf(m)).toEqual(['* PeerAuthentication Group ops other: patch (default)', 'photo-ns Namespace Group ops other: update,patch']);
  });

  test('wildcards: `*` verbs, `*/exec` subresources; `pods/*` is not a wildcard', () => {
    const m = MeshModel.of([...strictPhoto,
      role('photo-ns', 'mesh-all', [rule(['security.istio.io'], ['*'], ['*'])]),
      binding('photo-ns', 'mesh-all', { kind: 'Role', name: 'mesh-all' }, [group('photo-sre')]),
      role('istio-system', 'execs', [rule([''], ['*/exec'], ['create']), rule([''], ['pods/*'], ['create'])]),
      binding('istio-system', 'execs', { kind: 'Role', name: 'execs' }, [user('eve')])]);
    expect(grantsOf(m)).toEqual([
      'istio-system CA Secret User eve other: create pods/exec',
      'photo-ns PeerAuthentication Group photo-sre other: create,update,patch,delete,deletecollection',
      'photo-ns AuthorizationPolicy Group photo-sre other: create,update,patch,delete,deletecollection',
      'photo-ns RequestAuthentication Group photo-sre other: create,update,patch,delete,deletecollection',
    ]);
    expect(rulesOf(m)).toEqual(['rbac-wildcard (3)', 'rbac-weakens-strict (1)', 'rbac-reads-ca (1)', 'rbac-wildcard (1)']);
    expect(findFindings(m).filter((f) => f.rule === 'rbac-wildcard').map((f) => f.message)).toEqual([
      'rule 0 of Role photo-ns/mesh-all (verbs [*], resources [*]) covers PeerAuthentication, AuthorizationPolicy, RequestAuthentication, and is bound to Group photo-sre',
      'rule 0 of Role istio-system/execs (verbs [create], resources [*/exec]) covers CA Secret, and is bound to User eve',
    ]);
  });

  test('the root namespace: DestinationRules and Sidecars there apply to every namespace, so writing them weakens a STRICT one', () => {
    const m = MeshModel.of([...strictPhoto, namespace('istio-system'),
      role('istio-system', 'mesh-traffic', [rule(['networking.istio.io'], ['destinationrules', 'sidecars'], ['create', 'patch'])]),
      binding('istio-system', 'mesh-traffic', { kind: 'Role', name: 'mesh-traffic' }, [group('net-team')])]);
    const weakens = findFindings(m).filter((f) => f.rule === 'rbac-weakens-strict');
    expect(weakens.map((f) => f.message)).toEqual([expect.stringMatching(/^Group net-team can weaken STRICT namespace photo-ns: DestinationRule create, patch; Sidecar create, patch/)]);
  });

  test('the CA Secret: read by name, or not at all when the names are others', () => {
    const m = MeshModel.of([
      role('istio-system', 'ca-reader', [rule([''], ['secrets'], ['get'], ['cacerts'])]),
      role('istio-system', 'other-secret', [rule([''], ['secrets'], ['get', 'list'], ['istio-ingressgateway-certs'])]),
      binding('istio-system', 'ca-reader', { kind: 'Role', name: 'ca-reader' }, [sa('backup', 'ops')]),
      binding('istio-system', 'other-secret', { kind: 'Role', name: 'other-secret' }, [user('carol')])]);
    expect(grantsOf(m)).toEqual(['istio-system CA Secret ServiceAccount ops/backup other: get (cacerts)']);
    expect(findFindings(m).map((f) => f.message)).toEqual([
      'ServiceAccount ops/backup can read istiod\'s CA Secret istio-system/cacerts, and with its key issue any identity of the mesh: get '
        + '(RoleBinding istio-system/ca-reader -> Role istio-system/ca-reader)',
    ]);
  });

  test('a custom istiod namespace', () => {
    const objects = [role('istiod-ns', 'r', [rule([''], ['secrets'], ['list'])]), binding('istiod-ns', 'r', { kind: 'Role', name: 'r' }, [user('u')])];
    expect(grantsOf(MeshModel.of(objects))).toEqual([]);
    expect(grantsOf(MeshModel.of(objects, { istiodNamespace: 'istiod-ns' }))).toEqual(['istiod-ns CA Secret User u other: list']);
  });

  test('who is an admin, Kubernetes, the control plane, or someone else', () => {
    const everything = clusterRole('reader-writer', [rule(['*'], ['secrets', 'peerauthentications'], ['get', 'delete'])]);
    const m = MeshModel.of([...strictPhoto, everything,
      clusterBinding('admins', 'cluster-admin', [group('platform-admins')]),
      clusterBinding('rw', 'reader-writer', [group('system:masters'), user('platform-admins'), user('system:kube-controller-manager'), sa('generic-gc', 'kube-system'),
        sa('istiod', 'istio-system'), user('system:serviceaccount:istio-system:istio-reader'), group('system:authenticated'), user('system:serviceaccount:ci:deployer')])]);
    const classes = Object.fromEntries(m.rbac.grants.filter((g) => g.target === 'PeerAuthentication').map((g) => [g.subject, g.subjectClass]));
    expect(classes).toEqual({
      'Group platform-admins': 'admin', 'Group system:masters': 'admin', 'User platform-admins': 'other', 'User system:kube-controller-manager': 'system',
      'ServiceAccount kube-system/generic-gc': 'system', 'ServiceAccount istio-system/istiod': 'control-plane',
      'User system:serviceaccount:istio-system:istio-reader': 'control-plane', 'Group system:authenticated': 'other',
      'User system:serviceaccount:ci:deployer': 'other',
    });
    expect(m.rbac.notes[0]).toMatch(/^ClusterRole cluster-admin is not in the input: the model assumes Kubernetes' default \(every verb on every resource\)/);
    // Findings for the three "other" subjects only: a weakening, a CA read, and cluster-admin's wildcard is an admin's.
    expect(findFindings(m).filter((f) => f.rule === 'rbac-weakens-strict').map((f) => f.message.split(' can ')[0]).sort())
      .toEqual(['Group system:authenticated', 'User platform-admins', 'User system:serviceaccount:ci:deployer']);
    expect(rulesOf(m).filter((r) => r.startsWith('rbac-wildcard'))).toEqual([]);
  });

  test('a ServiceAccount without a namespace: the RoleBinding\'s namespace; in a ClusterRoleBinding, refused by the API server', () => {
    const edit = clusterRole('pa-edit', [rule(['security.istio.io'], ['peerauthentications'], ['delete'])]);
    const m = MeshModel.of([...strictPhoto, edit, binding('photo-ns', 'ci', { kind: 'ClusterRole', name: 'pa-edit' }, [sa('deployer')]),
      clusterBinding('nobody', 'pa-edit', [sa('deployer')])]);
    expect(grantsOf(m)).toEqual(['photo-ns PeerAuthentication ServiceAccount photo-ns/deployer other: delete']);
    expect(m.notApplied.map((n) => `${n.ref?.kind} ${n.ref?.name} ${n.field}: ${n.reason}`)).toEqual(['ClusterRoleBinding nobody subjects[0].namespace: required']);
  });

  test('RBAC objects the API server refuses are not applied', () => {
    const m = MeshModel.of([
      { ...role('photo-ns', 'no-verbs', [{ apiGroups: [''], resources: ['pods'], verbs: [] }]) },
      role('photo-ns', 'bad/name', [rule([''], ['pods'], ['get'])]),
      { ...binding('photo-ns', 'b', { kind: 'Role', name: 'r' }, [{ kind: 'Robot', name: 'x' }]) },
      { ...clusterBinding('c', 'edit', [group('g')]), apiVersion: 'rbac.authorization.k8s.io/v1beta1' },
      clusterRole('system:aggregate-to-mesh', [rule(['security.istio.io'], ['*'], ['get'])]),
    ]);
    expect(m.notApplied.map((n) => `${n.ref?.kind} ${n.ref?.name} ${n.field}`)).toEqual([
      'Role no-verbs rules[0].verbs', 'Role bad/name metadata.name', 'RoleBinding b subjects[0].kind', 'ClusterRoleBinding c apiVersion',
    ]);
    expect(m.inventory.roles.map((r) => r.name)).toEqual(['system:aggregate-to-mesh']);
  });

  test('aggregation: transitive (view into edit into admin), by any selector, and replacing the role\'s own rules', () => {
    const m = MeshModel.of([...strictPhoto,
      clusterRole('odd-view', [rule(['networking.istio.io'], ['envoyfilters'], ['patch'])], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }),
      clusterRole('mesh-ops', [rule(['networking.istio.io'], ['sidecars'], ['delete'])], undefined, { 'example.com/mesh-ops': 'true' }),
      clusterRole('sidecar-admin', [rule(['networking.istio.io'], ['sidecars'], ['create'])], { 'example.com/mesh-ops': 'true' }),
      binding('photo-ns', 'a', { kind: 'ClusterRole', name: 'admin' }, [group('photo-sre')]),
      binding('photo-ns', 'b', { kind: 'ClusterRole', name: 'mesh-ops' }, [group('mesh-ops')])]);
    expect(grantsOf(m).filter((g) => !g.includes('CA Secret'))).toEqual([
      'photo-ns Sidecar Group mesh-ops other: create',
      'photo-ns EnvoyFilter Group photo-sre other: patch',
    ]);
    expect(m.rbac.grants.find((g) => g.subject === 'Group photo-sre')!.via)
      .toBe('RoleBinding photo-ns/a -> ClusterRole admin (Kubernetes default) (aggregates odd-view, system:aggregate-to-edit)');
  });

  test('root-namespace policies weaken every STRICT namespace; a root PeerAuthentication only those STRICT by the mesh-wide one', () => {
    const m = MeshModel.of([...strictPhoto, namespace('shop'), namespace('istio-system', {}),
      peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
      role('istio-system', 'mesh-policy', [rule(['security.istio.io'], ['authorizationpolicies', 'peerauthentications'], ['create'])]),
      binding('istio-system', 'mesh-policy', { kind: 'Role', name: 'mesh-policy' }, [group('netsec')])]);
    const finding = findFindings(m).find((f) => f.rule === 'rbac-weakens-strict')!;
    expect(finding.message).toMatch(/^Group netsec can weaken STRICT namespaces istio-system, photo-ns, shop: /);
    expect(finding.count).toBe(3);
    // shop is STRICT by the mesh-wide policy, photo-ns by its own: a root PeerAuthentication changes only shop.
    const onlyPa = MeshModel.of([...strictPhoto, namespace('shop'), peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
      role('istio-system', 'pa', [rule(['security.istio.io'], ['peerauthentications'], ['create'])]),
      binding('istio-system', 'pa', { kind: 'Role', name: 'pa' }, [group('netsec')])]);
    expect(findFindings(onlyPa).map((f) => f.message)).toEqual([
      'Group netsec can weaken STRICT namespace shop: PeerAuthentication create (RoleBinding istio-system/pa -> Role istio-system/pa)',
    ]);
  });

  test('bound but missing roles are named; a ClusterRoleBinding to a Role is not applied', () => {
    const m = MeshModel.of([...strictPhoto, role('photo-ns', 'r', [rule(['*'], ['*'], ['*'])]),
      binding('photo-ns', 'gone', { kind: 'Role', name: 'gone' }, [group('g')]),
      binding('photo-ns', 'gone-cluster', { kind: 'ClusterRole', name: 'team-custom' }, [group('g')]),
      { ...clusterBinding('bad', 'r', [group('g')]), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' } }]);
    expect(m.rbac.grants).toEqual([]);
    expect(m.rbac.notes.slice(0, 2)).toEqual([
      'ClusterRole team-custom is bound but not in the input: what it grants is not known.',
      'Role photo-ns/gone is bound but not in the input: what it grants is not known.',
    ]);
    expect(m.notApplied.map((n) => `${n.ref?.kind} ${n.ref?.name} ${n.field}`)).toEqual(['ClusterRoleBinding bad roleRef.kind']);
  });
});

describe('the library\'s own team namespaces', () => {
  test('A4: no team can change mesh security, nobody reads the CA, no RBAC finding', () => {
    const m = MeshModel.of(identityAccessChart(Testing.app()).toJson());
    expect(m.rbac.counts).toEqual({ roles: 2, clusterRoles: 0, roleBindings: 2, clusterRoleBindings: 0 });
    expect(m.rbac.grants).toEqual([]);
    expect(findFindings(m)).toEqual([]);
  });

  test('a mesh-security kind granted on purpose shows up, and is a finding for a STRICT namespace', () => {
    const chart = new Chart(Testing.app(), 't');
    new TeamNamespace(chart, 'photo-ns', { team: Team.of('photo-sre', { groups: ['photo-sre'] }), meshSecurityKinds: [IstioKind.PEER_AUTHENTICATION] });
    const report = MeshReport.fromChart(chart);
    expect(report.meshSecurityAccess()).toEqual([{
      namespace: 'photo-ns', resource: MeshSecurityResource.PEER_AUTHENTICATION, subject: 'Group photo-sre', subjectClass: RbacSubjectClass.OTHER,
      verbs: WRITE, names: undefined, via: 'RoleBinding photo-ns/team-photo-sre -> Role photo-ns/team-photo-sre',
    }]);
    expect(report.meshSecurityAccessIn('photo-ns')).toHaveLength(1);
    expect(report.meshSecurityAccessIn('other')).toEqual([]);
    expect(report.findings().map((f) => f.rule)).toEqual(['rbac-weakens-strict']);
    expect(report.meshSecurityNotes).toEqual([expect.stringMatching(/^Not seen: /)]);
  });

  test('the reports show the grants per namespace and what the model cannot see', () => {
    const report = MeshReport.fromManifests([...strictPhoto, istioEdit, clusterBinding('photo-edit', 'edit', [group('photo-sre')])]);
    const text = report.render(ReportFormat.TEXT);
    expect(text).toContain('== Who can change mesh security ==\nFrom 0 Roles, 1 ClusterRoles, 0 RoleBindings and 1 ClusterRoleBindings: ');
    expect(text).toMatch(/\* \(every namespace\)\s+PeerAuthentication\s+Group photo-sre\s+other\s+create, update, patch, delete, deletecollection\s+ClusterRoleBinding photo-edit -> ClusterRole edit/);
    expect(text).toMatch(/istio-system\s+CA Secret\s+Group photo-sre\s+other\s+get, list, watch, create pods, pods\/exec, replicationcontrollers, \+6 more/);
    expect(text).toContain('  Not seen: roles and bindings outside the input');
    expect(report.render(ReportFormat.MARKDOWN)).toContain('## Who can change mesh security');
    const json = JSON.parse(report.render(ReportFormat.JSON));
    expect(json.meshSecurityAccess[0]).toEqual({
      namespace: '*', resource: 'PeerAuthentication', subject: 'Group photo-sre', subjectClass: 'other', verbs: WRITE,
      via: 'ClusterRoleBinding photo-edit -> ClusterRole edit (Kubernetes default) (aggregates istio-edit, system:aggregate-to-edit)',
    });
    expect(json.meshSecurityNotes).toHaveLength(3);
    const none = MeshReport.fromManifests(strictPhoto).render(ReportFormat.TEXT);
    expect(none).toContain('From 0 Roles, 0 ClusterRoles, 0 RoleBindings and 0 ClusterRoleBindings');
    expect(none).toContain('The input grants nobody these rights.');
  });
});
