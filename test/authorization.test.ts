import { Chart } from 'cdk8s';
import {
  AppProtocol, DefaultDeny, IMeshNamespace, MeshNamespace, MeshWorkload, MeshWorkloadProps, MtlsMode, Peer, SidecarInjection,
  StrictNamespace, WorkloadAuthorization, WorkloadIdentity,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

function workload(chart: Chart, id: string, namespace: IMeshNamespace, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(chart, id, {
    namespace,
    image: 'docker.io/kennethreitz/httpbin',
    ports: [{ port: 8000, containerPort: 80 }],
    ...props,
  });
}

const policies = (objects: any[]) => objects.filter((o) => o.kind === 'AuthorizationPolicy');

/** Runs `build`, then returns every line written to stderr. */
function stderrOf(build: () => void): string[] {
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    build();
    return spy.mock.calls.map((call) => String(call[0]));
  } finally {
    spy.mockRestore();
  }
}

describe('MeshWorkload.allowFrom', () => {
  test('one ALLOW policy per workload, selecting it, with the caller\'s principal', () => {
    const chart = newChart();
    const photo = new StrictNamespace(chart, 'photo-ns');
    const frontend = workload(chart, 'photo-frontend', photo);
    const backend = workload(chart, 'photo-backend', photo);
    backend.allowFrom(frontend);
    const objects = valid(synth(chart));

    const policy = only(objects, 'AuthorizationPolicy');
    expect(policy.apiVersion).toBe('security.istio.io/v1');
    expect(policy.metadata).toEqual({ name: 'photo-backend-allow', namespace: 'photo-ns' });
    expect(policy.spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'photo-backend' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/photo-ns/sa/photo-frontend'] } }] }],
    });
  });

  test('each call adds a rule to the same policy, also after the first synth input is built', () => {
    const chart = newChart();
    const shop = new StrictNamespace(chart, 'shop');
    const api = workload(chart, 'api', shop, { ports: [{ port: 8000, containerPort: 80 }, { port: 9000, containerPort: 9090, protocol: AppProtocol.GRPC }] });
    const web = workload(chart, 'web', shop, { serviceAccountName: 'web-sa' });
    const admin = workload(chart, 'admin', shop);
    api.allowFrom(web, { methods: ['GET', 'POST'], paths: ['/api/*', '/healthz'], ports: [80] });
    api.allowFrom(admin, { ports: [80, 9090] });
    api.allowPeers([Peer.namespace(MeshNamespace.fromName('monitoring'))], { paths: ['*/metrics'] });

    expect(WorkloadAuthorization.of(api).ruleCount).toBe(3);
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy');
    expect(policy.spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/web-sa'] } }],
        to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/*', '/healthz'], ports: ['80'] } }],
      },
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/admin'] } }],
        to: [{ operation: { ports: ['80', '9090'] } }],
      },
      {
        from: [{ source: { namespaces: ['monitoring'] } }],
        to: [{ operation: { paths: ['*/metrics'] } }],
      },
    ]);
  });

  test('peers: service accounts and identities become principals, namespaces a separate (ORed) source', () => {
    const chart = newChart();
    const corp = new StrictNamespace(chart, 'payments', { trustDomain: 'corp.example' });
    const target = workload(chart, 'ledger', corp);
    const batch = MeshNamespace.fromName('batch', { trustDomain: 'corp.example' });
    target.allowPeers([
      Peer.serviceAccount(batch, 'reconciler'),
      Peer.identity(WorkloadIdentity.of('partner.example', 'billing', 'exporter')),
      Peer.namespace(corp),
      Peer.namespace(MeshNamespace.fromName('audit')),
      Peer.serviceAccount(batch, 'reconciler'),
    ]);
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy');
    expect(policy.metadata).toEqual({ name: 'ledger-allow', namespace: 'payments' });
    expect(policy.spec.rules).toEqual([{
      from: [
        { source: { principals: ['corp.example/ns/batch/sa/reconciler', 'partner.example/ns/billing/sa/exporter'] } },
        { source: { namespaces: ['payments', 'audit'] } },
      ],
    }]);
  });

  test('the caller\'s identity follows its service account and trust domain', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo', { trustDomain: 'mesh.example' });
    const server = workload(chart, 'server', ns);
    const client = workload(chart, 'client', MeshNamespace.fromName('bar', { sidecarInjection: true, mtlsMode: MtlsMode.STRICT }),
      { serviceAccountName: 'client-sa', trustDomain: 'other.example' });
    server.allowFrom(client);
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').spec.rules[0].from)
      .toEqual([{ source: { principals: ['other.example/ns/bar/sa/client-sa'] } }]);
  });

  test('a caller from another chart is referred to by its identity', () => {
    const callers = newChart('callers');
    const client = workload(callers, 'client', new StrictNamespace(callers, 'bar'));
    const chart = newChart('servers');
    const server = workload(chart, 'server', new StrictNamespace(chart, 'foo'));
    server.allowFrom(client);
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').spec.rules[0].from)
      .toEqual([{ source: { principals: ['cluster.local/ns/bar/sa/client'] } }]);
  });

  test('no policy until allowFrom is called', () => {
    const chart = newChart();
    workload(chart, 'server', new StrictNamespace(chart, 'foo'));
    expect(policies(synth(chart))).toHaveLength(0);
  });
});

describe('WorkloadAuthorization for pods selected by labels', () => {
  test('namespace, selector and name', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('legacy-apps', { sidecarInjection: true, mtlsMode: MtlsMode.STRICT });
    const authz = new WorkloadAuthorization(chart, 'reports', { namespace: ns, selector: { app: 'reports', tier: 'web' }, name: 'reports-callers' });
    authz.allow([Peer.serviceAccount(ns, 'frontend')], { methods: ['GET'] });
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy');
    expect(policy.metadata).toEqual({ name: 'reports-callers', namespace: 'legacy-apps' });
    expect(policy.spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'reports', tier: 'web' } },
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/legacy-apps/sa/frontend'] } }],
        to: [{ operation: { methods: ['GET'] } }],
      }],
    });
  });

  test('explicit WorkloadAuthorization for a MeshWorkload, with its own name', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo');
    const server = workload(chart, 'server', ns);
    const authz = new WorkloadAuthorization(chart, 'authz', { workload: server, name: 'server-callers' });
    authz.allowFrom(workload(chart, 'client', ns));
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy');
    expect(policy.metadata.name).toBe('server-callers');
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'server' } });
  });
});

describe('DefaultDeny', () => {
  test('StrictNamespace defaultDeny: allow-nothing with an empty spec', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'photo-ns', { defaultDeny: true });
    const objects = valid(synth(chart));
    const policy = only(objects, 'AuthorizationPolicy');
    expect(policy.apiVersion).toBe('security.istio.io/v1');
    expect(policy.metadata).toEqual({ name: 'allow-nothing', namespace: 'photo-ns' });
    expect(policy.spec).toEqual({});
    expect(ns.defaultDenyPolicy?.name).toBe('allow-nothing');
  });

  test('off by default', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo');
    expect(policies(synth(chart))).toHaveLength(0);
    expect(ns.defaultDenyPolicy).toBeUndefined();
  });

  test('standalone, for a namespace created elsewhere, with another name', () => {
    const chart = newChart();
    new DefaultDeny(chart, 'deny', { namespace: MeshNamespace.fromName('default'), name: 'deny-by-default' });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').metadata).toEqual({ name: 'deny-by-default', namespace: 'default' });
  });

  test('with allow rules beside it', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo', { defaultDeny: true });
    workload(chart, 'server', ns).allowFrom(workload(chart, 'client', ns));
    expect(policies(valid(synth(chart))).map((p) => p.metadata.name)).toEqual(['allow-nothing', 'server-allow']);
  });
});

describe('plaintext warnings', () => {
  test('PERMISSIVE port: one WARNING line naming the construct, the port and why, printed once', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo', { mtlsMode: MtlsMode.PERMISSIVE });
    workload(chart, 'server', ns).allowFrom(workload(chart, 'client', ns));
    const lines = stderrOf(() => {
      synth(chart);
      synth(chart);
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^WARNING: test\/server\/Authorization: rule 1 allows workload test\/client by mTLS identity on port 80, where mTLS is PERMISSIVE: /);
    expect(lines[0]).toMatch(/a plaintext caller has no principal, so this rule cannot match it, while PERMISSIVE still lets plaintext in/);
    expect(lines[0]).toMatch(/\n$/);
  });

  test('a port override to DISABLE: the rule never matches there', () => {
    const chart = newChart();
    // Without the namespace's ISTIO_MUTUAL DestinationRule, which the DISABLE port could not terminate.
    const ns = new StrictNamespace(chart, 'foo', { clientTls: false });
    const server = workload(chart, 'server', ns, {
      ports: [{ port: 8000, containerPort: 80 }, { port: 9090, protocol: AppProtocol.HTTP }],
      mtls: { portOverrides: [{ port: 9090, mode: MtlsMode.DISABLE }] },
    });
    server.allowFrom(workload(chart, 'client', ns));
    const lines = stderrOf(() => synth(chart));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/rule 1 allows workload test\/client by mTLS identity on port 9090, where mTLS is DISABLE: no caller presents an identity there/);
  });

  test('a namespace this app does not create is PERMISSIVE unless its mode is declared', () => {
    const undeclared = newChart();
    const def = MeshNamespace.fromName('default', { sidecarInjection: true });
    workload(undeclared, 'server', def).allowFrom(workload(undeclared, 'client', def));
    expect(stderrOf(() => synth(undeclared)).join('')).toMatch(/where mTLS is PERMISSIVE/);

    const declared = newChart();
    const strict = MeshNamespace.fromName('default', { sidecarInjection: true, mtlsMode: MtlsMode.STRICT });
    workload(declared, 'server', strict).allowFrom(workload(declared, 'client', strict));
    expect(stderrOf(() => synth(declared))).toEqual([]);
  });

  test('STRICT everywhere, or rules limited to STRICT ports: no warning', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo');
    const server = workload(chart, 'server', ns, {
      ports: [{ port: 8000, containerPort: 80 }, { port: 9090, protocol: AppProtocol.HTTP }],
      mtls: { portOverrides: [{ port: 9090, mode: MtlsMode.PERMISSIVE }] },
    });
    server.allowFrom(workload(chart, 'client', ns), { ports: [80] });
    expect(stderrOf(() => synth(chart))).toEqual([]);
  });
});

describe('refuses', () => {
  function setup() {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo');
    const server = workload(chart, 'server', ns, {
      ports: [{ port: 8000, containerPort: 80 }, { port: 6379, protocol: AppProtocol.REDIS }],
    });
    const client = workload(chart, 'client', ns);
    return { chart, ns, server, client };
  }

  test('a caller without a sidecar', () => {
    const { chart, server } = setup();
    const legacy = workload(chart, 'legacy', MeshNamespace.fromName('legacy'));
    expect(refusal(() => server.allowFrom(legacy)).message).toBe('test/server/Authorization: caller test/legacy has no sidecar, '
      + 'so it sits outside the mesh and has no mTLS identity: a rule by principal can never match its requests. '
      + 'Give the caller a sidecar (sidecar: true, or a namespace with injection).');
  });

  test('callers in a namespace with injection disabled', () => {
    const { chart, server } = setup();
    const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    expect(refusal(() => server.allowPeers([Peer.namespace(legacy)])).message)
      .toMatch(/caller namespace "legacy" has sidecar injection disabled, so its workloads have no mTLS identity/);
    expect(refusal(() => server.allowPeers([Peer.serviceAccount(legacy, 'sleep')])).message)
      .toMatch(/caller namespace "legacy" has sidecar injection disabled/);
  });

  test('a protected workload without a sidecar', () => {
    const { chart, client } = setup();
    const legacy = workload(chart, 'legacy', MeshNamespace.fromName('legacy'));
    expect(refusal(() => legacy.allowFrom(client)).message)
      .toMatch(/^test\/legacy\/Authorization: workload test\/legacy has no sidecar, so nothing enforces an AuthorizationPolicy on it/);
  });

  test('a protected workload without ports', () => {
    const { chart, ns, client } = setup();
    const worker = new MeshWorkload(chart, 'worker', { namespace: ns, image: 'busybox' });
    expect(refusal(() => worker.allowFrom(client)).message).toMatch(/workload test\/worker serves no ports, so there is nothing to allow/);
  });

  test('a rule with no peers', () => {
    const { server } = setup();
    expect(refusal(() => server.allowPeers([])).message).toMatch(/an allow rule needs at least one peer: name the callers/);
  });

  test.each([
    [() => Peer.namespace(MeshNamespace.fromName('Not_A_Namespace')), /caller namespace "Not_A_Namespace" is not a valid DNS-1123 label/],
    [() => Peer.namespace(MeshNamespace.fromName('')), /caller namespace "" is not a valid DNS-1123 label/],
    [() => Peer.serviceAccount(MeshNamespace.fromName('bar'), 'Sleep'), /caller service account "Sleep" is not a valid DNS-1123 label/],
    [() => Peer.serviceAccount(MeshNamespace.fromName('bar', { trustDomain: 'spiffe://x' }), 'sleep'), /caller trust domain "spiffe:\/\/x" is not a valid domain/],
    [() => Peer.identity(WorkloadIdentity.of('cluster.local', 'bar/x', 'sleep')), /caller namespace "bar\/x" is not a valid DNS-1123 label/],
  ])('peer %#', (peer, message) => {
    const { server } = setup();
    expect(refusal(() => server.allowPeers([peer()])).message).toMatch(message);
  });

  test.each([
    [['get'], /method "get" is not an HTTP method: Istio compares methods case-sensitively: use "GET"./],
    [['*'], /method "\*" is not an HTTP method: leave methods out to match any method./],
    [['GET /x'], /method "GET \/x" is not an HTTP method: use an HTTP method in upper case/],
    [[], /methods \[\] matches no request/],
    [['GET', 'GET'], /method "GET" is given twice/],
  ])('methods %j', (methods, message) => {
    const { server, client } = setup();
    expect(refusal(() => server.allowFrom(client, { methods, ports: [80] })).message).toMatch(message);
  });

  test.each([
    ['api/v1', /path "api\/v1" does not start with "\/": request paths always do, so it would never match; use "\/api\/v1"./],
    ['/api/*/items', /path "\/api\/\*\/items" has "\*" in the middle or at both ends/],
    ['*api*', /path "\*api\*" has "\*" in the middle or at both ends/],
    ['', /path "" is empty/],
    ['/search?q=1', /path "\/search\?q=1" contains whitespace, "\?" or "#"/],
    ['/files/{**}/meta', /path "\/files\/\{\*\*\}\/meta" is not a valid path template/],
    ['/users/x{*}', /is not a valid path template/],
    ['users/{*}', /is not a valid path template/],
  ])('path %j', (path, message) => {
    const { server, client } = setup();
    expect(refusal(() => server.allowFrom(client, { paths: [path], ports: [80] })).message).toMatch(message);
  });

  test('valid path forms are accepted', () => {
    const { chart, server, client } = setup();
    const paths = ['/exact', '/prefix/*', '*.png', '*', '/users/{*}/info', '/files/{**}'];
    server.allowFrom(client, { paths, ports: [80] });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').spec.rules[0].to[0].operation.paths).toEqual(paths);
  });

  test.each([
    [[8000], /port 8000 is a Service port: Istio matches the port the workload listens on, so use its container port 80./],
    [[81], /port 81 is not a port the workload serves: use one of its container ports \[80, 6379\]./],
    [[0], /port 0 is not a valid port/],
    [[70000], /port 70000 is not a valid port/],
    [[], /ports \[\] matches no connection/],
    [[80, 80], /port 80 is given twice/],
  ])('ports %j', (ports, message) => {
    const { server, client } = setup();
    expect(refusal(() => server.allowFrom(client, { ports })).message).toMatch(message);
  });

  test('methods or paths on a TCP port', () => {
    const { server, client } = setup();
    expect(refusal(() => server.allowFrom(client, { methods: ['GET'], ports: [6379] })).message)
      .toMatch(/methods are HTTP-only, but port\(s\) 6379 do not carry HTTP: Istio drops such a rule on TCP traffic/);
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'foo');
    const redis = workload(chart, 'redis', ns, { ports: [{ port: 6379, protocol: AppProtocol.REDIS }] });
    expect(refusal(() => redis.allowFrom(workload(chart, 'client', ns), { paths: ['/'] })).message)
      .toMatch(/port\(s\) 6379 do not carry HTTP/);
  });

  test('a selector that names no labels, or wildcards', () => {
    const ns = MeshNamespace.fromName('apps');
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'a', { namespace: ns, selector: {}, name: 'x' })).message)
      .toMatch(/^test\/a: selector \{\} names no pod labels, so the policy would not single out any workload/);
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'a', { namespace: ns, selector: { app: 'web*' }, name: 'x' })).message)
      .toMatch(/selector "app": "web\*" is not a label match/);
  });

  test('props that name no pods, or both forms', () => {
    const ns = MeshNamespace.fromName('apps');
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'a', {})).message).toMatch(/name the pods to protect/);
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'a', { namespace: ns })).message).toMatch(/name the pods to protect/);
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'a', { namespace: ns, selector: { app: 'x' } })).message)
      .toMatch(/name is required with selector/);
    const { chart, server } = setup();
    expect(refusal(() => new WorkloadAuthorization(chart, 'a', { workload: server, selector: { app: 'x' } })).message)
      .toMatch(/give either workload, or namespace and selector, not both/);
  });

  test('a namespace with injection disabled as the protected namespace', () => {
    const chart = newChart();
    const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    expect(refusal(() => new WorkloadAuthorization(chart, 'a', { namespace: legacy, selector: { app: 'x' }, name: 'x' })).message)
      .toMatch(/namespace "legacy" has sidecar injection disabled, so nothing enforces an AuthorizationPolicy there/);
    expect(refusal(() => new DefaultDeny(chart, 'deny', { namespace: legacy })).message)
      .toMatch(/namespace "legacy" has sidecar injection disabled, so no sidecar would enforce the policy/);
  });

  test('a policy that is still without rules at synth', () => {
    const chart = newChart();
    new WorkloadAuthorization(chart, 'a', { namespace: MeshNamespace.fromName('apps'), selector: { app: 'x' }, name: 'x-allow' });
    expect(refusal(() => synth(chart)).message).toMatch(/^test\/a: AuthorizationPolicy "apps\/x-allow" has no rules, so it would deny every request to its pods/);
  });

  test('two policies with the same name, naming both constructs', () => {
    const { chart, server, client } = setup();
    server.allowFrom(client);
    expect(refusal(() => new WorkloadAuthorization(chart, 'again', { workload: server })).message)
      .toBe('test/again: AuthorizationPolicy "foo/server-allow" is already emitted by test/server/Authorization: give one of them another name or namespace.');
    new DefaultDeny(chart, 'deny', { namespace: MeshNamespace.fromName('foo') });
    expect(refusal(() => new DefaultDeny(chart, 'deny2', { namespace: MeshNamespace.fromName('foo') })).message)
      .toMatch(/AuthorizationPolicy "foo\/allow-nothing" is already emitted by test\/deny/);
  });

  test('invalid policy names', () => {
    const { chart, server } = setup();
    expect(refusal(() => new WorkloadAuthorization(chart, 'a', { workload: server, name: 'Server_Allow' })).message)
      .toMatch(/policy name "Server_Allow" is not a valid DNS-1123 label/);
    expect(refusal(() => new DefaultDeny(chart, 'd', { namespace: MeshNamespace.fromName('BAD') })).message)
      .toMatch(/namespace "BAD" is not a valid DNS-1123 label/);
  });
});

test('the default policy name of a long workload name is cut and hashed, not refused', () => {
  const { MeshWorkload, StrictNamespace } = require('../src');
  const { newChart, synth } = require('./util');
  const chart = newChart();
  const ns = new StrictNamespace(chart, 'ns');
  const name = 'w'.repeat(60);
  const caller = new MeshWorkload(chart, 'caller', { namespace: ns, image: 'x', ports: [{ port: 80 }] });
  const server = new MeshWorkload(chart, 'server', { namespace: ns, name, image: 'x', ports: [{ port: 80 }] });
  server.allowFrom(caller);
  const policy = synth(chart).find((o: any) => o.kind === 'AuthorizationPolicy' && o.metadata.name !== 'allow-nothing');
  expect(policy.metadata.name).toHaveLength(63);
  expect(policy.metadata.name).toMatch(/^w{54}-[0-9a-f]{8}$/);
});
