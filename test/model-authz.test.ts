// The mesh model's authorization: allow-nothing plus one allow (scenario A4), DENY before ALLOW,
// principals only over mTLS, and principals that can never match.
import { Testing } from 'cdk8s';
import { identityAccessChart } from '../example/authz-charts';
import { findFindings, MeshModel } from '../src/model';
import { authorizationPolicy, call, deployment, namespace, peerAuthentication, service } from './model-fixtures';

describe('A4: allow-nothing in both namespaces plus one ALLOW per server', () => {
  const m = MeshModel.of(identityAccessChart(Testing.app()).toJson());

  test('photo-frontend -> photo-backend: mtls, allowed by the backend\'s policy', () => {
    expect(call(m, 'photo-ns/photo-frontend', 'photo-ns/photo-backend', 8000)).toMatchObject({
      outcome: 'mtls',
      reason: 'DestinationRule photo-ns/default sets ISTIO_MUTUAL; server STRICT (namespace PeerAuthentication photo-ns/default); '
        + 'allowed by AuthorizationPolicy photo-ns/photo-backend-allow',
    });
  });

  test('photo-backend -> datastore: mtls', () => {
    expect(call(m, 'photo-ns/photo-backend', 'datastore-ns/datastore', 6379)).toMatchObject({ outcome: 'mtls' });
  });

  test('photo-frontend -> datastore: denied, no rule matches its identity', () => {
    const c = call(m, 'photo-ns/photo-frontend', 'datastore-ns/datastore', 6379);
    expect(c.outcome).toBe('denied');
    expect(c.reason).toContain('denied: ALLOW policies datastore-ns/allow-nothing (allows nothing), datastore-ns/datastore-allow select the server');
  });

  test('everything else is denied by allow-nothing', () => {
    expect(m.outcomeCounts()).toEqual({ mtls: 2, plaintext: 0, rejected: 0, denied: 7, failed: 0, blocked: 0 });
    expect(call(m, 'photo-ns/photo-backend', 'photo-ns/photo-frontend', 8000).reason).toContain('photo-ns/allow-nothing (allows nothing) select the server');
    expect(findFindings(m)).toEqual([]);
  });
});

describe('rules', () => {
  const base = [
    namespace('app'), namespace('legacy', { 'istio-injection': 'disabled' }),
    deployment('app', 'api', { ports: [8080, 9000] }),
    service('app', 'api', [{ port: 80, targetPort: 8080, name: 'http' }, { port: 9000, name: 'tcp-admin' }]),
    deployment('app', 'web'), deployment('app', 'job'), deployment('legacy', 'old'),
  ];
  const principal = (name: string) => `cluster.local/ns/app/sa/${name}`;

  test('DENY wins over ALLOW; ALLOW by principal; ports are container ports', () => {
    const m = MeshModel.of([...base,
      authorizationPolicy('app', 'api-allow', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [principal('web'), principal('job')] } }] }] }),
      authorizationPolicy('app', 'no-job-admin', { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ from: [{ source: { principals: [principal('job')] } }], to: [{ operation: { ports: ['9000'] } }] }] }),
    ]);
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('mtls');
    expect(call(m, 'app/web', 'app/api', 9000).outcome).toBe('mtls');
    expect(call(m, 'app/job', 'app/api', 80).outcome).toBe('mtls');
    expect(call(m, 'app/job', 'app/api', 9000)).toMatchObject({ outcome: 'denied', reason: expect.stringContaining('denied by DENY AuthorizationPolicy app/no-job-admin') });
    expect(call(m, 'app/api', 'app/api', 80).outcome).toBe('denied');
  });

  test('a plaintext caller has no principal: PERMISSIVE lets it in, the ALLOW rule does not', () => {
    const m = MeshModel.of([...base,
      authorizationPolicy('app', 'api-allow', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['*'] } }] }] })]);
    expect(call(m, 'legacy/old', 'app/api', 80)).toMatchObject({
      outcome: 'denied', reason: expect.stringContaining('(a plaintext caller has no principal or namespace)'),
    });
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('mtls');
  });

  test('a STRICT server never sees the plaintext caller: rejected comes before authorization', () => {
    const m = MeshModel.of([...base, peerAuthentication('app', 'default', { mtls: { mode: 'STRICT' } }),
      authorizationPolicy('app', 'deny-all', { action: 'DENY', rules: [{}] })]);
    expect(call(m, 'legacy/old', 'app/api', 80).outcome).toBe('rejected');
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('denied');
  });

  test('methods and paths: allowed for some requests on HTTP, ignored rule on TCP', () => {
    const m = MeshModel.of([...base,
      authorizationPolicy('app', 'get-only', { selector: { matchLabels: { app: 'api' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })]);
    expect(call(m, 'app/web', 'app/api', 80)).toMatchObject({
      outcome: 'mtls', reason: expect.stringContaining('only requests matching the conditions of app/get-only are allowed'),
    });
    // Port 9000 is TCP: Istio drops an ALLOW rule with HTTP-only fields there, so nothing is allowed.
    expect(call(m, 'app/web', 'app/api', 9000).outcome).toBe('denied');
  });

  test('a DENY rule with HTTP-only fields on a TCP port denies every connection', () => {
    const m = MeshModel.of([...base,
      authorizationPolicy('app', 'deny-post', { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })]);
    expect(call(m, 'app/web', 'app/api', 9000).outcome).toBe('denied');
    expect(call(m, 'app/web', 'app/api', 80)).toMatchObject({ outcome: 'mtls', reason: expect.stringContaining('some requests are denied by DENY app/deny-post') });
  });

  test('a root-namespace policy applies to the whole mesh', () => {
    const m = MeshModel.of([...base, authorizationPolicy('istio-system', 'allow-nothing', {})]);
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('denied');
  });

  test('source namespaces', () => {
    const m = MeshModel.of([...base, namespace('other'), deployment('other', 'x'),
      authorizationPolicy('app', 'same-ns', { rules: [{ from: [{ source: { namespaces: ['app'] } }] }] })]);
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('mtls');
    expect(call(m, 'other/x', 'app/api', 80).outcome).toBe('denied');
  });
});

describe('principals that can never match', () => {
  const base = [
    namespace('app'), namespace('legacy', { 'istio-injection': 'disabled' }),
    deployment('app', 'api', { ports: [8080] }), service('app', 'api', [{ port: 80, targetPort: 8080, name: 'http' }]),
    deployment('app', 'cron', { labels: { 'sidecar.istio.io/inject': 'false' } }),
  ];
  const policy = (principals: string[], namespaces?: string[]) => authorizationPolicy('app', 'api-allow', {
    selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals, namespaces } }] }],
  });

  test.each([
    ['spiffe://cluster.local/ns/app/sa/cron', 'without the spiffe:// scheme'],
    ['cluster.local/ns/legacy/sa/old', 'namespace legacy has istio-injection=disabled'],
    ['cluster.local/ns/app/sa/cron', 'every workload running as app/cron is without a sidecar'],
  ])('%s', (principal, why) => {
    const findings = findFindings(MeshModel.of([...base, policy([principal])]));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'principal-never-matches', message: expect.stringContaining(why) });
    expect(findings[0].resources[0]).toMatchObject({
      ref: { kind: 'AuthorizationPolicy', namespace: 'app', name: 'api-allow' }, locations: ['spec.rules[0].from[0].source.principals[0]'],
    });
  });

  test('a source namespace with injection disabled', () => {
    const findings = findFindings(MeshModel.of([...base, policy(['cluster.local/ns/app/sa/api'], ['legacy'])]));
    expect(findings.map((f) => f.resources[0].locations[0])).toEqual(['spec.rules[0].from[0].source.namespaces[0]']);
  });

  test('identities of meshed workloads, or of workloads not in the input, are fine', () => {
    expect(findFindings(MeshModel.of([...base, policy(['cluster.local/ns/app/sa/api', 'cluster.local/ns/batch/sa/reporter', 'cluster.local/ns/*'])]))).toEqual([]);
  });
});
