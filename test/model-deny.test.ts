import { MeshModel } from '../src/model';
import { api, DENY_BASE as base, DENY_CASES } from './deny-cases';
import { call } from './model-fixtures';

// DENY rules, negations and the identity fields of a source, as Istio's control plane builds them
// (pilot/pkg/security/authz/model and builder): on HTTP and TCP ports, for mTLS and plaintext callers.

function outcomes(m: MeshModel, port = 80): Record<string, string> {
  return Object.fromEntries(['app/web', 'team-a-prod/job', 'legacy/old'].map((c) => [c, call(m, c, 'app/api', port).outcome]));
}

test('every case of the oracle suite is one of the cases here', () => {
  expect(Object.keys(DENY_CASES).length).toBeGreaterThan(10);
});

describe('negations', () => {
  test('DENY notPrincipals: everyone but web, plaintext callers included (they have no principal)', () => {
    const m = MeshModel.of([...base, api('only-web', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/app/sa/web'] } }] }] })]);
    expect(outcomes(m)).toEqual({ 'app/web': 'mtls', 'team-a-prod/job': 'denied', 'legacy/old': 'denied' });
  });

  test('DENY by principal does not stop a plaintext caller on a PERMISSIVE port', () => {
    const m = MeshModel.of([...base, api('no-job', { action: 'DENY', rules: [{ from: [{ source: { principals: ['*'] } }] }] })]);
    expect(outcomes(m)).toEqual({ 'app/web': 'denied', 'team-a-prod/job': 'denied', 'legacy/old': 'plaintext' });
  });

  test('notNamespaces with a wildcard in the middle (any text, srcNamespaceGenerator)', () => {
    const m = MeshModel.of([...base, api('teams', { action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['team-*-prod'] } }] }] })]);
    expect(outcomes(m)).toEqual({ 'app/web': 'denied', 'team-a-prod/job': 'mtls', 'legacy/old': 'denied' });
  });

  test('notPaths and notMethods: some requests on HTTP; on TCP a DENY rule of only those denies everything', () => {
    const m = MeshModel.of([...base, api('admin', { action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/public/*'], notMethods: ['GET'] } }] }] })]);
    expect(call(m, 'app/web', 'app/api', 80)).toMatchObject({
      outcome: 'mtls', reason: expect.stringContaining('some requests are denied by DENY app/admin (requests methods other than GET, paths other than /public/*)'),
    });
    expect(call(m, 'app/web', 'app/api', 9000).outcome).toBe('denied');
  });

  test('notPorts', () => {
    const m = MeshModel.of([...base, api('only-80', { action: 'DENY', rules: [{ to: [{ operation: { notPorts: ['8080'] } }] }] })]);
    expect([call(m, 'app/web', 'app/api', 80).outcome, call(m, 'app/web', 'app/api', 9000).outcome]).toEqual(['mtls', 'denied']);
  });
});

describe('identity fields of a source', () => {
  test('serviceAccounts: `<sa>` is the policy\'s namespace, `<ns>/<sa>` another', () => {
    const here = MeshModel.of([...base, api('by-sa', { rules: [{ from: [{ source: { serviceAccounts: ['web'] } }] }] })]);
    expect(outcomes(here)).toEqual({ 'app/web': 'mtls', 'team-a-prod/job': 'denied', 'legacy/old': 'denied' });
    const there = MeshModel.of([...base, api('by-sa', { rules: [{ from: [{ source: { serviceAccounts: ['team-a-prod/job'] } }] }] })]);
    expect(outcomes(there)).toEqual({ 'app/web': 'denied', 'team-a-prod/job': 'mtls', 'legacy/old': 'denied' });
  });

  test('trustDomains and source.trustDomain', () => {
    const m = MeshModel.of([...base, api('td', { rules: [{ from: [{ source: { trustDomains: ['cluster.local'] } }] }] })]);
    expect(outcomes(m)).toEqual({ 'app/web': 'mtls', 'team-a-prod/job': 'mtls', 'legacy/old': 'denied' });
    const other = MeshModel.of([...base, api('td', { rules: [{ when: [{ key: 'source.trustDomain', values: ['partner.example'] }] }] })]);
    expect(outcomes(other)).toEqual({ 'app/web': 'denied', 'team-a-prod/job': 'denied', 'legacy/old': 'denied' });
  });

  test('source.serviceAccount and source.namespace conditions', () => {
    const m = MeshModel.of([...base, api('cond', { action: 'DENY', rules: [{ when: [{ key: 'source.serviceAccount', values: ['team-a-prod/job'] }] }] })]);
    expect(outcomes(m)).toEqual({ 'app/web': 'mtls', 'team-a-prod/job': 'denied', 'legacy/old': 'plaintext' });
  });
});

describe('conditions and what Istio does not enforce', () => {
  test('request headers and JWT claims: some requests on HTTP, every connection denied on TCP by DENY', () => {
    const m = MeshModel.of([...base, api('hdr', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-debug]', values: ['1'] }] }] })]);
    expect(call(m, 'app/web', 'app/api', 80).reason).toContain('some requests are denied by DENY app/hdr (requests request.headers[x-debug] in 1)');
    expect(call(m, 'app/web', 'app/api', 9000).outcome).toBe('denied');
  });

  test('Envoy metadata conditions work on TCP too: some connections only', () => {
    const m = MeshModel.of([...base, api('meta', { action: 'DENY', rules: [{ when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }] }] })]);
    expect(call(m, 'app/web', 'app/api', 9000)).toMatchObject({ outcome: 'mtls', reason: expect.stringContaining('some requests are denied by DENY app/meta') });
  });

  test('a dry-run policy is not enforced', () => {
    const dryRun = api('everything', { action: 'DENY', rules: [{}] });
    dryRun.metadata.annotations = { 'istio.io/dry-run': 'true' };
    expect(outcomes(MeshModel.of([...base, dryRun]))).toEqual({ 'app/web': 'mtls', 'team-a-prod/job': 'mtls', 'legacy/old': 'plaintext' });
    dryRun.metadata.annotations = { 'istio.io/dry-run': 'false' };
    expect(outcomes(MeshModel.of([...base, dryRun]))).toEqual({ 'app/web': 'denied', 'team-a-prod/job': 'denied', 'legacy/old': 'denied' });
  });

  test('a DENY policy without rules denies nothing; an unknown when key makes Istio refuse the policy', () => {
    expect(outcomes(MeshModel.of([...base, api('empty', { action: 'DENY', rules: [] })]))['app/web']).toBe('mtls');
    const m = MeshModel.of([...base, api('odd', { action: 'DENY', rules: [{ when: [{ key: 'destination.labels[app]', values: ['api'] }] }] })]);
    expect(m.notApplied.map((n) => n.ref?.name)).toEqual(['odd']);
    expect(call(m, 'app/web', 'app/api', 80).outcome).toBe('mtls');
  });
});
