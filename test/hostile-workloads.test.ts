/*
 * Hostile-input campaign, workloads and authorization: MeshWorkload (namespace references, ports,
 * sidecar, container settings, mtls, clientTls), allowFrom / allowPeers, Peer, WorkloadIdentity,
 * WorkloadAuthorization. See test/hostile-util.ts for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-workloads.test.ts
 */
import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import fc from 'fast-check';
import {
  AppProtocol, ClientTlsMode, MeshNamespace, MeshWorkload, MtlsMode, Peer, StrictNamespace, WorkloadAuthorization, WorkloadIdentity,
} from '../src';
import { NamespaceDescriptor, makeNamespace, meshCaller, namespaceArb, namespaceIntent, readBoolean } from './hostile-fixtures';
import {
  Campaign, recordOf, boolTraps, callOutcome, domainTraps, expectEqual, hostile, junk, listOf, nameTraps, optional, portTraps, propsOf, validDomainName,
  validName, workloadOf,
} from './hostile-util';

const campaign = new Campaign('test/hostile-workloads.test.ts');
const MODES = Object.values(MtlsMode);
const PROTOCOLS = Object.values(AppProtocol);
const HTTP = ['http', 'http2', 'grpc', 'grpc-web'];

const portArb = recordOf({
  port: hostile(fc.constantFrom(80, 8000, 9090, 5432), portTraps),
  containerPort: optional(fc.constantFrom(8080, 9090, 5432), portTraps),
  protocol: optional(fc.constantFrom(...PROTOCOLS), ['HTTP', 'h2', 'tcp ']),
  name: optional(fc.constant(undefined), ['web', 'HTTP', 'http_web', 'a'.repeat(64), 'http-web', 'tcp-db']),
});
const overrideArb = recordOf({ port: hostile(fc.constantFrom(8080, 9090, 5432), portTraps), mode: hostile(fc.constantFrom(...MODES), ['strict', 5]) });
const securityContextArb = recordOf({
  user: optional(fc.constantFrom(1000, 65532), [0, 1337, -1, 1.5, '1000', 2 ** 31]),
  group: optional(fc.constantFrom(1000, 3000), [1337, -5]),
  ensureNonRoot: optional(fc.boolean(), boolTraps),
  privileged: optional(fc.constant(false), [true, 'false']),
  allowPrivilegeEscalation: optional(fc.boolean(), boolTraps),
  readOnlyRootFilesystem: optional(fc.boolean(), boolTraps),
  capabilities: optional(fc.constantFrom({ drop: [kplus.Capability.ALL] }, { add: [kplus.Capability.NET_BIND_SERVICE] }),
    [{ add: [kplus.Capability.NET_ADMIN] }, { add: ['CAP_FOO'] }, { add: 'NET_ADMIN' }, { add: [kplus.Capability.SYS_ADMIN] }]),
});
const resourcesArb = hostile(fc.constantFrom<any>(
  { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) } },
  { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
  { ephemeralStorage: { limit: Size.gibibytes(1) } },
), [
  { memory: { request: Size.mebibytes(256), limit: Size.mebibytes(128) } },
  { memory: { request: Size.kibibytes(1500) } },
  { cpu: { request: kplus.Cpu.units(NaN) } },
  { cpu: { request: '100m' } },
]);

const workloadPropsArb = propsOf({
  image: hostile(fc.constantFrom('nginx:1.27', 'docker.io/kennethreitz/httpbin', `ghcr.io/a/b@sha256:${'ab'.repeat(32)}`, 'localhost:5000/x:y'),
    ['', ' nginx', 'nginx:', 'NGINX', 'ünïcode', 'a'.repeat(300), 'x@sha256:1']),
  name: optional(validName, nameTraps),
  serviceAccountName: optional(validName, nameTraps),
  ports: optional(listOf(portArb, [], (p) => p.port)),
  sidecar: optional(fc.boolean(), boolTraps),
  replicas: optional(fc.constantFrom(0, 1, 3), [-1, 1.5, '2', 2 ** 31, NaN]),
  command: optional(listOf(fc.constantFrom('sleep', '3600', 'ünï', '')), ['sleep 3600', ['a\u0000b'], ['\ud800']]),
  args: optional(listOf(fc.constantFrom('--port', '8080'))),
  securityContext: optional(securityContextArb),
  resources: optional(resourcesArb),
  mtls: optional(recordOf({
    mode: optional(fc.constantFrom(...MODES), ['strict', 5]),
    portOverrides: optional(listOf(overrideArb, [], (o) => o.port)),
    name: optional(validName, nameTraps),
  })),
  clientTls: optional(recordOf({
    mode: optional(fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE), ['SIMPLE', 'istio_mutual', 5]),
    name: optional(validName, nameTraps),
  })),
  version: optional(fc.constantFrom('v1', 'v2', '1.0.0'), ['', 'v 1', 'a'.repeat(64)]),
  trustDomain: optional(validDomainName, domainTraps),
});

interface WorkloadCase { readonly namespace: NamespaceDescriptor; readonly props: any }

/** The mode each container port gets, from the props as a human reads them. */
function expectedMode(props: any, d: NamespaceDescriptor, containerPort: number): string {
  const override = (props.mtls?.portOverrides ?? []).find((o: any) => o.port === containerPort)?.mode;
  // A reference's mtlsMode states a policy made elsewhere, which the model of this chart cannot see.
  const chartMode = d.kind === 'strict' ? 'STRICT' : d.kind === 'permissive' ? 'PERMISSIVE' : undefined;
  return [override, props.mtls ? props.mtls.mode ?? 'STRICT' : undefined, chartMode].find((m) => m !== undefined && m !== 'UNSET') ?? 'PERMISSIVE';
}

describe('hostile inputs: workloads and authorization', () => {
  test('MeshWorkload', () => {
    const arb = fc.record({ namespace: namespaceArb, props: workloadPropsArb });
    campaign.property<WorkloadCase, any>('MeshWorkload', arb, {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const props = input.props !== null && typeof input.props === 'object' && !Array.isArray(input.props)
          ? Object.assign(Object.getPrototypeOf(input.props) === null ? Object.create(null) : {}, input.props, { namespace }) : input.props;
        new MeshWorkload(c, 'target', props);
      },
      retry: (c) => { new MeshWorkload(c, 'target', { namespace: MeshNamespace.fromName('retried'), image: 'nginx:1.27' }); },
      probe: (c) => { meshCaller(c); meshCaller(c, 'legacy', false); },
      // One cluster, one cluster domain: the namespace's.
      modelOptions: (input) => ({ clusterDomain: namespaceIntent(input.namespace).clusterDomain }),
      intent: ({ input, model, modes }) => {
        const p = input.props;
        const ns = namespaceIntent(input.namespace);
        const name = p.name ?? 'target';
        const w = workloadOf(model, `${ns.name}/${name}`);
        const sidecar = readBoolean(p.sidecar) ?? ns.injects;
        expectEqual('sidecar', w.sidecar, sidecar);
        expectEqual('service account', w.serviceAccount, p.serviceAccountName ?? name);
        const ports: any[] = p.ports ?? [];
        for (const port of ports) {
          const containerPort = port.containerPort ?? port.port;
          if (sidecar) expectEqual(`mode of container port ${containerPort}`, modes.modeFor(w, containerPort).mode, expectedMode(p, input.namespace, containerPort));
          const mode = expectedMode(p, input.namespace, containerPort);
          const clientTls = p.clientTls ? p.clientTls.mode ?? 'ISTIO_MUTUAL' : undefined;
          // Callers use the workload's rule, else the StrictNamespace's ISTIO_MUTUAL rule, else auto mTLS (plaintext to a DISABLE port).
          const strictRule = input.namespace.kind === 'strict' || input.namespace.kind === 'permissive';
          const meshCall = !sidecar || clientTls === 'DISABLE' || (!clientTls && !strictRule && mode === 'DISABLE') ? 'plaintext' : 'mtls';
          expectEqual(`mesh caller -> port ${port.port}`, callOutcome(model, 'callers/caller', w.id, port.port), meshCall);
          expectEqual(`plaintext caller -> port ${port.port}`, callOutcome(model, 'callers/legacy', w.id, port.port), sidecar && mode === 'STRICT' ? 'rejected' : 'plaintext');
        }
      },
    }, 900);
  });

  // --------------------------------------------------------------------------------------------
  // Authorization: the target `apps/web` (HTTP 80 -> 8080, TCP 5432), callers in `callers`.
  // --------------------------------------------------------------------------------------------

  type PeerDescriptor =
    | { kind: 'workload'; who: 'caller' | 'legacy' | 'junk'; value?: any }
    | { kind: 'serviceAccount'; namespace: NamespaceDescriptor | 'callers'; sa: any }
    | { kind: 'identity'; td: any; ns: any; sa: any }
    | { kind: 'namespace'; namespace: NamespaceDescriptor | 'callers' }
    | { kind: 'junk'; value: any };
  const peerArb: fc.Arbitrary<PeerDescriptor> = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('caller' as const, 'caller' as const, 'caller' as const, 'legacy' as const).map((who) => ({ kind: 'workload' as const, who })) },
    { weight: 1, arbitrary: junk.map((value) => ({ kind: 'workload' as const, who: 'junk' as const, value })) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('serviceAccount' as const), namespace: fc.oneof(fc.constant('callers' as const), namespaceArb), sa: hostile(fc.constantFrom('caller', 'other'), nameTraps) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('identity' as const), td: hostile(validDomainName, domainTraps), ns: hostile(fc.constantFrom('callers', 'partner'), nameTraps), sa: hostile(fc.constantFrom('caller', 'bot'), nameTraps) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('namespace' as const), namespace: fc.oneof(fc.constant('callers' as const), namespaceArb) }) },
    { weight: 1, arbitrary: junk.map((value) => ({ kind: 'junk' as const, value })) },
  );
  const methodTraps = ['get', '*', '', 'G E T', 5, null, 'GET\n'];
  const pathTraps = ['/a}', '/api/v[0-9]+/.*', 'info', '/a b', '/a?b', '/../x', '/ünï', '/x/{*}y', '/{**}/a', '*a*', '', '/a%zz', 'x'.repeat(70_000)];
  const optionsArb = propsOf({
    methods: optional(listOf(fc.constantFrom('GET', 'POST', 'PUT'), methodTraps), methodTraps),
    paths: optional(listOf(fc.constantFrom('/info', '/api/*', '*.png', '/users/{*}/info', '/files/{**}', '*'), pathTraps), pathTraps),
    ports: optional(listOf(fc.constantFrom(8080, 5432), [80, 0, '8080', 9999]), portTraps),
  });

  interface World { target: MeshWorkload; caller: MeshWorkload; other: MeshWorkload; legacy: MeshWorkload; callers: MeshNamespace }
  /** The namespaces the peers name, created before the step under test (only the step may add constructs). */
  function prepare(c: Chart, peers: PeerDescriptor[]): void {
    for (const d of peers) {
      const ns = d.kind === 'serviceAccount' || d.kind === 'namespace' ? d.namespace : 'callers';
      if (ns !== 'callers' && ['strict', 'permissive', 'mesh', 'disabled', 'revision'].includes(ns.kind)) makeNamespace(c, ns);
    }
  }
  function world(c: Chart, peers: PeerDescriptor[] = []): World {
    const apps = new StrictNamespace(c, 'apps');
    const callers = new MeshNamespace(c, 'callers');
    const target = new MeshWorkload(c, 'web', { namespace: apps, image: 'nginx:1.27', ports: [{ port: 80, containerPort: 8080 }, { port: 5432, protocol: AppProtocol.TCP }] });
    const make = (name: string, sidecar: boolean) => new MeshWorkload(c, name, { namespace: callers, image: 'curl:8.8.0', sidecar });
    prepare(c, peers);
    return { target, callers, caller: make('caller', true), other: make('other', true), legacy: make('legacy', false) };
  }
  function peer(c: Chart, w: World, d: PeerDescriptor): any {
    const ns = (n: NamespaceDescriptor | 'callers') => (n === 'callers' ? w.callers : makeNamespace(c, n));
    switch (d.kind) {
      case 'workload': return Peer.workload(d.who === 'junk' ? d.value : w[d.who]);
      case 'serviceAccount': return Peer.serviceAccount(ns(d.namespace), d.sa);
      case 'identity': return Peer.identity(WorkloadIdentity.of(d.td, d.ns, d.sa));
      case 'namespace': return Peer.namespace(ns(d.namespace));
      case 'junk': return d.value;
    }
  }
  /** Which chart callers a peer lets in, as a human reads it. */
  function admits(d: PeerDescriptor, caller: 'caller' | 'other'): boolean {
    switch (d.kind) {
      case 'workload': return d.who === caller;
      case 'serviceAccount': return d.namespace === 'callers' && d.sa === caller;
      case 'identity': return d.td === 'cluster.local' && d.ns === 'callers' && d.sa === caller;
      case 'namespace': return d.namespace === 'callers';
      case 'junk': return false;
    }
  }
  /** Whether the rules let `caller` in on container port `port`. */
  function allowed(rules: { peers: PeerDescriptor[]; options: any }[], caller: 'caller' | 'other', port: number): boolean {
    return rules.some(({ peers, options }) => peers.some((d) => admits(d, caller))
      && (options?.ports == null || options.ports.includes(port))
      // Methods and paths apply only to HTTP: on the TCP port such a rule admits nothing.
      && (port === 8080 || (options?.methods == null && options?.paths == null)));
  }
  function checkRules(model: any, rules: { peers: PeerDescriptor[]; options: any }[]): void {
    for (const [port, containerPort] of [[80, 8080], [5432, 5432]]) {
      for (const caller of ['caller', 'other'] as const) {
        const outcome = callOutcome(model, `callers/${caller}`, 'apps/web', port);
        expectEqual(`${caller} -> web:${port}`, outcome === 'denied' ? 'denied' : 'allowed', allowed(rules, caller, containerPort) ? 'allowed' : 'denied');
      }
    }
  }

  const ruleArb = fc.record({
    call: fc.constantFrom('allowFrom' as const, 'allowPeers' as const, 'allowPeers' as const),
    peers: fc.oneof({ weight: 14, arbitrary: fc.array(peerArb, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([] as PeerDescriptor[]) }),
    options: optionsArb,
    twice: fc.boolean(),
  });
  test('allowFrom / allowPeers / Peer', () => {
    campaign.property('allowFrom / allowPeers', ruleArb, {
      setup: (c, input) => world(c, input.peers),
      act: (c, input, w) => {
        const first = input.peers[0];
        const callerArg = first?.kind === 'workload' ? (first.who === 'junk' ? first.value : w[first.who]) : w.caller;
        const peers = input.call === 'allowPeers' ? input.peers.map((d) => peer(c, w, d)) : [];
        for (let i = 0; i < (input.twice ? 2 : 1); i++) {
          if (input.call === 'allowFrom') w.target.allowFrom(callerArg, input.options);
          else w.target.allowPeers(peers, input.options);
        }
      },
      retry: (_c, _input, w) => w.target.allowFrom(w.caller),
      intent: ({ input, model, objects }) => {
        const peers = input.call === 'allowFrom' ? [input.peers[0]?.kind === 'workload' ? input.peers[0] : { kind: 'workload' as const, who: 'caller' as const }] : input.peers;
        checkRules(model, [{ peers, options: input.options }]);
        // The same rule twice is one rule.
        const policy = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'web-allow');
        expectEqual('rules', policy.spec.rules.length, 1);
      },
    }, 700);
  });

  test('WorkloadAuthorization (pods by selector)', () => {
    const arb = fc.oneof(
      propsOf({
        namespace: hostile(fc.constant('apps' as const), ['callers', 'Apps']),
        selector: hostile(fc.constantFrom({ app: 'web' }, { app: 'web', version: 'v1' }, { tier: 'db' }), [{}, { app: 'web*' }, { 'istio-injection': 'enabled' }, 'app=web', { constructor: 'x' }]),
        name: hostile(validName, nameTraps),
      }),
      propsOf({ workload: hostile(fc.constant('web' as const)), name: optional(validName, nameTraps), selector: optional(fc.constant(undefined), [{ app: 'web' }]) }),
    );
    campaign.property('WorkloadAuthorization', arb, {
      setup: (c) => world(c),
      act: (c, p: any, w) => {
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? { ...p, namespace: p.namespace === 'apps' ? MeshNamespace.fromName('apps', { sidecarInjection: true }) : p.namespace, workload: p.workload === 'web' ? w.target : p.workload }
          : p;
        new WorkloadAuthorization(c, 'target', props);
      },
      retry: (c, _input, w) => new WorkloadAuthorization(c, 'target', { workload: w.target, name: 'retried' }).allowFrom(w.caller),
      probe: (c, _input, w) => (c.node.findChild('target') as WorkloadAuthorization).allowFrom(w.caller),
      intent: ({ input, model }) => {
        const p = input as any;
        const selects = p.workload === 'web' || Object.entries(p.selector ?? {}).every(([k, v]) => ({ app: 'web', version: 'v1' } as any)[k] === v);
        if (selects) checkRules(model, [{ peers: [{ kind: 'workload', who: 'caller' }], options: undefined }]);
      },
    }, 300);
  });

  test('WorkloadAuthorization.allow', () => {
    const partner = () => Peer.identity(WorkloadIdentity.of('cluster.local', 'partner', 'bot'));
    campaign.property('WorkloadAuthorization.allow', fc.record({ peers: ruleArb.map((r) => r.peers), options: optionsArb }), {
      setup: (c, input) => {
        const w = world(c, input.peers);
        const policy = new WorkloadAuthorization(c, 'policy', { namespace: MeshNamespace.fromName('apps', { sidecarInjection: true }), selector: { app: 'web' }, name: 'web-policy' });
        policy.allow([partner()]);
        return { w, policy };
      },
      act: (c, input, { w, policy }) => policy.allow(input.peers.map((d) => peer(c, w, d)), input.options),
      retry: (_c, _input, { w, policy }) => policy.allowFrom(w.caller),
      intent: ({ input, model }) => checkRules(model, [{ peers: input.peers, options: input.options }]),
    }, 400);
  });
});

export { HTTP };
