import { Chart } from 'cdk8s';
import {
  AppProtocol, AuthorizationAction, Condition, MeshNamespace, MeshWorkload, MeshWorkloadProps, MtlsMode, Peer, StrictNamespace, WorkloadAuthorization,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth, stderrOf } from './util';

const valid = schemaValidatedEachFile();

function workload(chart: Chart, id: string, namespace: MeshNamespace | ReturnType<typeof MeshNamespace.fromName>, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(chart, id, { namespace, image: 'docker.io/kennethreitz/httpbin', ports: [{ port: 8000, containerPort: 80 }], ...props });
}

function setup() {
  const chart = newChart();
  const ns = new StrictNamespace(chart, 'shop');
  const api = workload(chart, 'api', ns, { ports: [{ port: 8000, containerPort: 80 }, { port: 6379, protocol: AppProtocol.REDIS }] });
  const web = workload(chart, 'web', ns);
  return { chart, ns, api, web };
}


describe('DENY rules', () => {
  test('MeshWorkload.deny: a DENY policy <name>-deny, one rule per call, before any ALLOW', () => {
    const { chart, ns, api, web } = setup();
    api.deny({ peers: [Peer.workload(web)], ports: [6379] });
    api.deny({ peers: [Peer.namespace(MeshNamespace.fromName('batch'))], methods: ['DELETE'], ports: [80] });
    api.deny({ exceptPeers: [Peer.namespace(ns)], ports: [6379] });
    api.deny({ paths: ['/admin', '/admin/*'], notMethods: ['GET'] });
    expect(WorkloadAuthorization.denyOf(api).ruleCount).toBe(4);
    const policy = only(valid(synth(chart)), 'AuthorizationPolicy', 'api-deny');
    expect(policy.spec.action).toBe('DENY');
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(policy.spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['6379'] } }] },
      { from: [{ source: { namespaces: ['batch'] } }], to: [{ operation: { methods: ['DELETE'], ports: ['80'] } }] },
      { from: [{ source: { notNamespaces: ['shop'] } }], to: [{ operation: { ports: ['6379'] } }] },
      // The HTTP port stated explicitly: the rule must not reach the TCP port.
      { to: [{ operation: { paths: ['/admin', '/admin/*'], notMethods: ['GET'], ports: ['80'] } }] },
    ]);
  });

  test('peers and exceptions together: the exceptions go into every source (ANDed)', () => {
    const { chart, api, web } = setup();
    api.deny({ peers: [Peer.namespace(MeshNamespace.fromName('shop')), Peer.serviceAccount(MeshNamespace.fromName('x'), 'y')], exceptPeers: [Peer.workload(web)] });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy', 'api-deny').spec.rules[0].from).toEqual([
      { source: { principals: ['cluster.local/ns/x/sa/y'], notPrincipals: ['cluster.local/ns/shop/sa/web'] } },
      { source: { namespaces: ['shop'], notPrincipals: ['cluster.local/ns/shop/sa/web'] } },
    ]);
  });

  test('when conditions, negations of paths and ports', () => {
    const { chart, api } = setup();
    api.deny({ notPaths: ['/public/*'], ports: [80], when: [Condition.notClaim('groups', ['admin']), Condition.header('x-debug', ['1'])] });
    api.deny({ notPorts: [80], when: [Condition.of('source.ip', ['10.0.0.0/8', '2001:db8::/32']), Condition.notOf('source.namespace', ['shop'])] });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy', 'api-deny').spec.rules).toEqual([
      { to: [{ operation: { notPaths: ['/public/*'], ports: ['80'] } }], when: [
        { key: 'request.auth.claims[groups]', notValues: ['admin'] }, { key: 'request.headers[x-debug]', values: ['1'] },
      ] },
      { to: [{ operation: { notPorts: ['80'] } }], when: [
        { key: 'source.ip', values: ['10.0.0.0/8', '2001:db8::/32'] }, { key: 'source.namespace', notValues: ['shop'] },
      ] },
    ]);
  });

  test('a DENY WorkloadAuthorization for pods selected by labels, with its ports named', () => {
    const chart = newChart();
    const policy = new WorkloadAuthorization(chart, 'p', {
      namespace: MeshNamespace.fromName('apps'), selector: { app: 'legacy' }, name: 'legacy-deny', action: AuthorizationAction.DENY,
    });
    policy.deny({ paths: ['/admin'], ports: [8080] });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy').spec).toEqual({
      action: 'DENY', selector: { matchLabels: { app: 'legacy' } }, rules: [{ to: [{ operation: { paths: ['/admin'], ports: ['8080'] } }] }],
    });
    expect(refusal(() => policy.deny({ paths: ['/admin'] })).message)
      .toMatch(/paths are HTTP-only, and Istio ignores them in a DENY rule on TCP ports.*name the HTTP container ports/);
  });

  test('a DENY rule by peer on a PERMISSIVE port warns: plaintext callers are not stopped', () => {
    const chart = newChart();
    const ns = MeshNamespace.fromName('legacy', { sidecarInjection: true, mtlsMode: MtlsMode.PERMISSIVE });
    const api = workload(chart, 'api', ns);
    api.deny({ peers: [Peer.namespace(MeshNamespace.fromName('batch'))] });
    expect(stderrOf(() => valid(synth(chart)))).toMatch(/rule 1 denies namespace batch by mTLS identity on port 80, where mTLS is PERMISSIVE: a plaintext caller has no identity, so the rule does not stop it/);
  });

  test('negations and conditions in ALLOW rules too', () => {
    const { chart, api, web } = setup();
    api.allowFrom(web, { notPaths: ['/admin/*'], ports: [80], when: [Condition.sourceIp(['10.0.0.0/8'])] });
    expect(only(valid(synth(chart)), 'AuthorizationPolicy', 'api-allow').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }],
      to: [{ operation: { notPaths: ['/admin/*'], ports: ['80'] } }],
      when: [{ key: 'source.ip', values: ['10.0.0.0/8'] }],
    }]);
  });
});

describe('DENY rules refuse', () => {
  test('a rule that would deny every request', () => {
    const { api } = setup();
    expect(refusal(() => api.deny({})).message).toMatch(/a deny rule without peers, exceptPeers, ports, methods, paths or conditions would deny every request/);
  });

  test('request-time fields on a TCP port: only them (denies everything), or with peers (denies more)', () => {
    const { api, web } = setup();
    const redis = workload(api.node.scope as Chart, 'redis', MeshNamespace.fromName('shop', { sidecarInjection: true }), { ports: [{ port: 6380, protocol: AppProtocol.REDIS }] });
    expect(refusal(() => redis.deny({ paths: ['/admin'] })).message).toMatch(/port\(s\) 6380 do not carry HTTP.*it would deny every connection on them/);
    expect(refusal(() => api.deny({ paths: ['/admin'], ports: [6379] })).message)
      .toMatch(/paths are HTTP-only, but port\(s\) 6379 do not carry HTTP, and Istio ignores them in a DENY rule on TCP traffic: it would deny every connection on them/);
    expect(refusal(() => api.deny({ peers: [Peer.workload(web)], methods: ['POST'], ports: [80, 6379] })).message)
      .toMatch(/methods are HTTP-only, but port\(s\) 6379 do not carry HTTP.*it would deny every connection its other fields match there/);
    expect(refusal(() => api.deny({ when: [Condition.claim('groups', ['x'])], ports: [6379] })).message)
      .toMatch(/when request.auth.claims\[groups\] are HTTP-only, but port\(s\) 6379/);
    expect(refusal(() => api.deny({ notPorts: [80], paths: ['/x'] })).message).toMatch(/port\(s\) 6379 do not carry HTTP/);
  });

  test('allow on a DENY policy, deny on an ALLOW policy', () => {
    const { api, web } = setup();
    expect(refusal(() => WorkloadAuthorization.denyOf(api).allow([Peer.workload(web)])).message).toMatch(/allow on the DENY policy "shop\/api-deny"/);
    expect(refusal(() => WorkloadAuthorization.of(api).deny({ ports: [80] })).message).toMatch(/deny on the ALLOW policy "shop\/api-allow"/);
  });

  test('exceptPeers in an allow rule would let plaintext callers in', () => {
    const { api, web } = setup();
    expect(refusal(() => WorkloadAuthorization.of(api).allow([Peer.workload(web)], { exceptPeers: [Peer.workload(web)] } as any)).message)
      .toMatch(/exceptPeers in an allow rule would also let in every plaintext caller/);
  });

  test('a peer without a sidecar, an empty exception list', () => {
    const { chart, api } = setup();
    const legacy = workload(chart, 'legacy', MeshNamespace.fromName('legacy'), { sidecar: false });
    expect(refusal(() => api.deny({ peers: [Peer.workload(legacy)] })).message).toMatch(/caller test\/legacy has no sidecar/);
    expect(refusal(() => api.deny({ exceptPeers: [] })).message).toMatch(/exceptPeers \[\] excepts nobody/);
  });

  test('a value in both a list and its negation', () => {
    const { api } = setup();
    expect(refusal(() => api.deny({ ports: [80], notPorts: [80] })).message).toMatch(/80 is in both ports and notPorts/);
    expect(refusal(() => api.deny({ methods: ['GET'], notMethods: ['GET'], ports: [80] })).message).toMatch(/"GET" is in both methods and notMethods/);
    expect(refusal(() => api.deny({ paths: ['/a'], notPaths: ['/a'], ports: [80] })).message).toMatch(/"\/a" is in both paths and notPaths/);
  });

  test.each([
    [Condition.of('destination.labels[app]', ['x']), /condition key "destination.labels\[app\]" is not an attribute Istio supports/],
    [Condition.of('request.headers', ['x']), /is not an attribute Istio supports/],
    [Condition.of('request.headers[]', ['x']), /condition key "request.headers\[\]" is not "request.headers\[<name>\]"/],
    [Condition.of('source.ip', ['10.0.0.300']), /condition "source.ip" value "10.0.0.300" is not an IP address or CIDR range/],
    [Condition.of('source.ip', ['10.0.0.0/33']), /has an invalid prefix length/],
    [Condition.of('destination.port', ['http']), /condition "destination.port" value "http" is not a port/],
    [Condition.of('source.serviceAccount', ['ns/*']), /has a wildcard, which Istio refuses for service accounts/],
    [Condition.of('source.trustDomain', ['a*b']), /has "\*" other than at the start or end/],
    [Condition.of('source.namespace', []), /condition "source.namespace" has no values/],
    [Condition.of('source.namespace', [' shop']), /value " shop" is empty, padded or not a string/],
    [Condition.of('source.namespace', ['a', 'a']), /value "a" is given twice/],
  ])('condition %#', (condition, message) => {
    const { api } = setup();
    expect(refusal(() => api.deny({ ports: [80], when: [condition] })).message).toMatch(message);
  });

  test('DENY without rules fails synth', () => {
    const chart = newChart();
    new WorkloadAuthorization(chart, 'p', { namespace: MeshNamespace.fromName('apps'), selector: { app: 'x' }, name: 'x-deny', action: AuthorizationAction.DENY });
    expect(() => synth(chart)).toThrow(/AuthorizationPolicy "apps\/x-deny" \(DENY\) has no rules, so it would deny nothing/);
  });

  test('an action that is not one', () => {
    expect(refusal(() => new WorkloadAuthorization(newChart(), 'p', { namespace: MeshNamespace.fromName('apps'), selector: { app: 'x' }, name: 'x', action: 'AUDIT' as any })).message)
      .toMatch(/action "AUDIT" is not one of ALLOW, DENY/);
  });
});
