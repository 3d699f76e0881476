import { App } from 'cdk8s';
import { addAuthorizationCharts } from '../example/authz-charts';
import { only, synthApp, validateSchemas } from './util';

// Scenarios A4 and B5 of SCENARIOS.md, asserted on the example's own charts.
const charts = (() => {
  const app = new App();
  addAuthorizationCharts(app);
  return synthApp(app);
})();

const named = (objects: any[], kind: string, namespace: string, name: string) =>
  only(objects.filter((o) => o.metadata.namespace === namespace || (namespace === '' && !o.metadata.namespace)), kind, name);

describe('A4: identity and access', () => {
  const objects = charts['a4-identity-access'];

  test.each([
    ['photo-ns', 'photo-frontend'],
    ['photo-ns', 'photo-backend'],
    ['datastore-ns', 'datastore'],
  ])('%s/%s runs with its own service account, in the mesh', (ns, name) => {
    named(objects, 'ServiceAccount', ns, name);
    const pod = named(objects, 'Deployment', ns, name).spec.template;
    expect(pod.spec.serviceAccountName).toBe(name);
    expect(pod.metadata.annotations['sidecar.istio.io/inject']).toBe('true');
  });

  test.each(['photo-ns', 'datastore-ns'])('%s is injected, STRICT and denies by default', (ns) => {
    expect(named(objects, 'Namespace', '', ns).metadata.labels['istio-injection']).toBe('enabled');
    expect(named(objects, 'PeerAuthentication', ns, 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(named(objects, 'AuthorizationPolicy', ns, 'allow-nothing').spec).toEqual({});
  });

  test('photo-frontend may call photo-backend', () => {
    expect(named(objects, 'AuthorizationPolicy', 'photo-ns', 'photo-backend-allow').spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'photo-backend' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/photo-ns/sa/photo-frontend'] } }] }],
    });
  });

  test('photo-backend may call datastore on its Redis port; photo-frontend may not', () => {
    const spec = named(objects, 'AuthorizationPolicy', 'datastore-ns', 'datastore-allow').spec;
    expect(spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'datastore' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/photo-ns/sa/photo-backend'] } }], to: [{ operation: { ports: ['6379'] } }] }],
    });
    const principals = objects.filter((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'datastore-ns')
      .flatMap((o) => (o.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals ?? [])));
    expect(principals).not.toContain('cluster.local/ns/photo-ns/sa/photo-frontend');
  });

  test.each([
    ['photo-ns', 'photo-sre'],
    ['datastore-ns', 'datastore-sre'],
  ])('%s: the %s group may manage its namespace and nothing else', (ns, group) => {
    const role = named(objects, 'Role', ns, `team-${group}`);
    const binding = named(objects, 'RoleBinding', ns, `team-${group}`);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `team-${group}` });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }]);
    const verbs = (apiGroup: string, resource: string) => role.rules
      .filter((r: any) => r.apiGroups.includes(apiGroup) && r.resources.includes(resource)).flatMap((r: any) => r.verbs);
    for (const [apiGroup, resource] of [['apps', 'deployments'], ['apps', 'statefulsets'], ['batch', 'jobs'], ['', 'pods'], ['', 'services'],
      ['', 'configmaps'], ['', 'secrets'], ['', 'serviceaccounts'], ['networking.istio.io', 'virtualservices']]) {
      expect(verbs(apiGroup, resource)).toEqual(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);
    }
    for (const [apiGroup, resource] of [['security.istio.io', 'peerauthentications'], ['security.istio.io', 'authorizationpolicies'],
      ['security.istio.io', 'requestauthentications'], ['networking.istio.io', 'destinationrules'], ['networking.istio.io', 'sidecars']]) {
      expect(verbs(apiGroup, resource)).toEqual(['get', 'list', 'watch']);
    }
    expect(role.rules.flatMap((r: any) => [...r.resources, ...r.verbs, ...r.apiGroups])).not.toContain('*');
    expect(role.rules.flatMap((r: any) => r.resources)).not.toContain('namespaces');
  });

  test('RBAC only in the team namespaces: nothing cluster-scoped, nothing in the CA namespace', () => {
    const rbac = objects.filter((o) => o.apiVersion.startsWith('rbac.authorization.k8s.io/'));
    expect(rbac.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Role datastore-ns/team-datastore-sre', 'Role photo-ns/team-photo-sre',
      'RoleBinding datastore-ns/team-datastore-sre', 'RoleBinding photo-ns/team-photo-sre',
    ]);
    // istiod's plug-in CA is referenced, never written.
    expect(objects.filter((o) => o.metadata.namespace === 'istio-system')).toEqual([]);
  });

  test('only these four AuthorizationPolicies', () => {
    expect(objects.filter((o) => o.kind === 'AuthorizationPolicy').map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort())
      .toEqual(['datastore-ns/allow-nothing', 'datastore-ns/datastore-allow', 'photo-ns/allow-nothing', 'photo-ns/photo-backend-allow']);
  });
});

test('B5: default may reach only the egress gateway, DNS, istiod and its own pods', () => {
  const policy = named(charts['b5-egress-lockdown'], 'NetworkPolicy', 'default', 'egress-lockdown');
  expect(policy.spec.podSelector).toEqual({});
  expect(policy.spec.policyTypes).toEqual(['Egress']);
  expect(policy.spec.egress.map((rule: any) => ({ to: rule.to, ports: rule.ports.map((p: any) => `${p.protocol}/${p.port}`) }))).toEqual([
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'egressgateway' } } }], ports: ['TCP/8080', 'TCP/8443'] },
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: ['UDP/53', 'TCP/53'] },
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }], ports: ['TCP/15012'] },
    { to: [{ podSelector: {} }], ports: [] },
  ]);
  expect(named(charts['b5-egress-lockdown'], 'Deployment', 'default', 'sleep').spec.template.metadata.annotations['sidecar.istio.io/inject']).toBe('true');
});


test('every object validates against the Kubernetes and Istio schemas', () => {
  expect(validateSchemas(Object.values(charts).flat())).toMatch(/objects valid/);
});
