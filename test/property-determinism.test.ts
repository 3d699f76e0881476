/*
 * Property-based tests: determinism. The same app built twice synthesizes byte-identical YAML;
 * constructs whose order should not matter (namespaces, charts, workloads, routes for different
 * hosts) give the same objects in any order; and refusals do not depend on the order either.
 * Lists that follow the order of calls (rules, servers, ports of one host, lock-down destinations)
 * are compared as sets, and whether their order changes the bytes is printed as a finding.
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import { App, Chart, Testing, Yaml } from 'cdk8s';
import fc from 'fast-check';
import * as kplus from 'cdk8s-plus-28';
import {
  AdoptedWorkload, IMeshWorkload, MeshService, RegistryOnlyEgress,
  AppProtocol, EgressDestination, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode, MeshNamespace, MeshWorkload, MtlsMode, Peer,
  PeerAuthenticationPolicy, ServerCa, StrictNamespace,
} from '../src';
import { RUNS, SEED, attempt, newApp, params, sortedObjects, validLabel } from './property-util';

const findings: string[] = [];
afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`test/property-determinism.test.ts: fast-check seed ${SEED}; replay with FC_SEED=${SEED} FC_RUNS=${RUNS} npx jest test/property-determinism\n`
    + `  order-dependent output (same objects, lists in call order):\n${findings.map((f) => `    - ${f}`).join('\n')}`);
});

/** Fewer runs than the validity properties: every run builds and synthesizes several apps. */
const runs = (n: number) => params(Math.max(10, Math.round((RUNS * n) / 300)));

/** A permutation of 0..n-1. */
const permutationArb = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

/** Arrays compared as sets (sorted by content), recursively. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

const chartYaml = (chart: Chart) => Yaml.stringify(...Testing.synth(chart));

function quietly<T>(build: () => T): T {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return build();
  } finally {
    process.stderr.write = write;
  }
}

// ------------------------------------------------------------------------------------------------
// A small platform: namespaces, workloads with identity-based rules, routes, a lock-down.
// ------------------------------------------------------------------------------------------------

const HOSTS = ['edition.cnn.com', 'api.github.com', 'api.stripe.com', `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`, 'my-nginx.mesh-external.svc.cluster.local'];
const platformArb = fc.record({
  namespaces: fc.uniqueArray(validLabel.filter((n) => n !== 'default' && n !== 'istio-system' && n !== 'kube-system'), { minLength: 1, maxLength: 3 }),
  workloads: fc.uniqueArray(fc.record({ name: validLabel.filter((n) => /^[a-z]/.test(n)), ns: fc.nat(2), port: fc.constantFrom(80, 8000, 9090), protocol: fc.constantFrom(AppProtocol.HTTP, AppProtocol.TCP) }),
    { selector: (w) => w.name, maxLength: 4 }),
  allows: fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 4 }),
  routes: fc.uniqueArray(fc.record({ host: fc.constantFrom(...HOSTS), kind: fc.constantFrom('http', 'passthrough', 'tls'), clients: fc.boolean() }),
    { selector: (r) => r.host, maxLength: 4 }),
  /** A service with versions, callers of it, and a cdk8s-plus Deployment adopted as a caller. */
  versions: fc.uniqueArray(fc.constantFrom('v1', 'v2', 'v3', 'stable', 'canary'), { maxLength: 3 }),
  adopted: fc.boolean(),
  registryOnly: fc.boolean(),
  lockdown: fc.boolean(),
  mtls: fc.boolean(),
});
type Platform = typeof platformArb extends fc.Arbitrary<infer T> ? T : never;

function buildPlatform(app: App, p: Platform): void {
  const chart = new Chart(app, 'platform');
  const namespaces = p.namespaces.map((name) => new StrictNamespace(chart, `ns-${name}`, { name, defaultDeny: true }));
  const workloads = p.workloads.map((w) => new MeshWorkload(chart, `w-${w.name}`, {
    name: w.name,
    namespace: namespaces[w.ns % namespaces.length], image: 'nginx', ports: [{ port: w.port, protocol: w.protocol }],
    mtls: p.mtls ? { portOverrides: [{ port: w.port, mode: MtlsMode.PERMISSIVE }] } : undefined,
  }));
  if (workloads.length > 0) {
    for (const [to, from] of p.allows) workloads[to % workloads.length].allowFrom(workloads[from % workloads.length]);
    for (const w of workloads) if (!w.node.tryFindChild('Authorization')) w.allowPeers([Peer.namespace(MeshNamespace.fromName('monitoring'))]);
  }
  const callers: IMeshWorkload[] = [...workloads];
  if (p.adopted) {
    const deployment = new kplus.Deployment(chart, 'adopted', { metadata: { name: 'adopted', namespace: namespaces[0].name } });
    deployment.addContainer({ image: 'nginx', portNumber: 8080 });
    callers.push(AdoptedWorkload.fromWorkload(deployment, { namespace: namespaces[0], sidecar: true }));
  }
  if (p.versions.length > 0) {
    const service = new MeshService(chart, 'versioned', { namespace: namespaces[0], ports: [{ port: 9080, name: 'http' }], subsets: true });
    for (const v of p.versions) service.addVersion(v, { image: 'nginx', writablePaths: ['/tmp'] });
    // Rules follow the order of calls (see the test on allowFrom order): call in an order of their own.
    for (const caller of [...callers].sort((a, b) => a.node.path.localeCompare(b.node.path))) service.allowFrom(caller);
    callers.push(service);
  }
  const egressGateway = EgressGateway.istio();
  for (const r of p.routes) {
    const mode = r.kind === 'http' ? EgressMode.http() : r.kind === 'passthrough' ? EgressMode.tlsPassthrough()
      : EgressMode.originateTls({ serverCa: ServerCa.fromSecret('corp-ca'), subjectAltNames: [r.host] });
    const clients = r.clients && callers.length > 0 && !r.host.endsWith('.svc.cluster.local') ? { clients: callers } : {};
    new EgressGatewayRoute(chart, `route-${r.host}`, { egressGateway, host: r.host, mode, ...clients });
  }
  if (p.registryOnly) new RegistryOnlyEgress(chart, 'registry-only', { namespace: namespaces[0] });
  if (p.lockdown) {
    const lockdown = new EgressLockdown(chart, 'lockdown', { namespace: namespaces[0], egressGateway });
    for (const ns of namespaces.slice(1)) lockdown.allowTo(EgressDestination.namespace(ns));
  }
}

describe('property: determinism', () => {
  test('the same app built twice synthesizes byte-identical YAML', () => {
    fc.assert(fc.property(platformArb, (p) => {
      const yaml = [0, 1].map(() => {
        const app = newApp();
        return quietly(() => {
          buildPlatform(app, p);
          return app.synthYaml();
        });
      });
      expect(yaml[1]).toBe(yaml[0]);
    }), runs(100));
  });

  test('StrictNamespaces: any order in one chart gives the same objects; charts added in any order give the same YAML per chart', () => {
    const arb = fc.uniqueArray(validLabel, { minLength: 2, maxLength: 5 }).chain((names) => fc.tuple(fc.constant(names), permutationArb(names.length)));
    fc.assert(fc.property(arb, ([names, order]) => {
      const oneChart = (sequence: string[]) => {
        const c = new Chart(newApp(), 'namespaces');
        for (const name of sequence) new StrictNamespace(c, name, { defaultDeny: name.length % 2 === 0 });
        return sortedObjects(Testing.synth(c));
      };
      const permuted = order.map((i) => names[i]);
      expect(oneChart(permuted)).toEqual(oneChart(names));
      const chartPerNamespace = (sequence: string[]) => {
        const app = newApp();
        for (const name of sequence) new StrictNamespace(new Chart(app, `ns-${name}`), name);
        return Object.fromEntries(app.charts.map((c) => [c.node.id, chartYaml(c)]));
      };
      expect(chartPerNamespace(permuted)).toEqual(chartPerNamespace(names));
    }), runs(150));
  });

  test('workloads, their rules and routes for different hosts: any order of construction gives the same objects', () => {
    const arb = platformArb.chain((p) => fc.tuple(fc.constant(p), permutationArb(p.workloads.length), permutationArb(p.routes.length)));
    fc.assert(fc.property(arb, ([p, workloadOrder, routeOrder]) => {
      const synthOne = (q: Platform) => {
        const app = newApp();
        return quietly(() => {
          buildPlatform(app, q);
          return sortedObjects(Testing.synth(app.charts[0]));
        });
      };
      // Workloads permuted with their rules' indices following them; routes of different hosts permuted.
      const inverse = workloadOrder.map((_, i) => workloadOrder.indexOf(i));
      const permuted: Platform = {
        ...p,
        workloads: workloadOrder.map((i) => p.workloads[i]),
        allows: p.allows.map(([to, from]) => [inverse[to % Math.max(1, p.workloads.length)] ?? to, inverse[from % Math.max(1, p.workloads.length)] ?? from]),
        routes: routeOrder.map((i) => p.routes[i]),
      };
      expect(synthOne(permuted)).toEqual(synthOne(p));
    }), runs(100));
  });

  test('routes in one chart: whether a set of routes is refused does not depend on their order', () => {
    const routeArb = fc.record({
      host: fc.constantFrom('a.example.com', 'a-example.com', 'b.example.com'),
      kind: fc.constantFrom('http', 'passthrough', 'tls'),
      port: fc.constantFrom(80, 443, 8080),
      gatewayPort: fc.constantFrom(80, 443),
    });
    const arb = fc.array(routeArb, { minLength: 2, maxLength: 4 }).chain((routes) => fc.tuple(fc.constant(routes), permutationArb(routes.length)));
    fc.assert(fc.property(arb, ([routes, order]) => {
      const outcomeOf = (sequence: typeof routes) => attempt(() => {
        const c = new Chart(newApp(), 'routes');
        sequence.forEach((r, i) => {
          const mode = r.kind === 'http' ? EgressMode.http({ port: r.port, gatewayPort: r.gatewayPort })
            : r.kind === 'passthrough' ? EgressMode.tlsPassthrough({ port: r.port, gatewayPort: r.gatewayPort })
              : EgressMode.originateTls({ port: r.port, gatewayPort: r.gatewayPort, serverCa: ServerCa.fromSecret('ca') });
          new EgressGatewayRoute(c, `r${i}`, { egressGateway: EgressGateway.istio(), host: r.host, mode });
        });
        return c;
      });
      const a = outcomeOf(routes);
      const b = outcomeOf(order.map((i) => routes[i]));
      expect(b.kind).toBe(a.kind);
      if (a.kind === 'ok' && b.kind === 'ok') expect(normalize(sortedObjects(b.objects).map((o) => JSON.parse(o)))).toEqual(normalize(sortedObjects(a.objects).map((o) => JSON.parse(o))));
    }), runs(300));
  });

  test('PeerAuthentication port overrides are rendered sorted by port: any order, the same YAML', () => {
    const arb = fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 65535 }), mode: fc.constantFrom(...Object.values(MtlsMode)) }),
      { selector: (o) => o.port, minLength: 2, maxLength: 5 }).chain((o) => fc.tuple(fc.constant(o), permutationArb(o.length)));
    fc.assert(fc.property(arb, ([overrides, order]) => {
      const yamlOf = (list: typeof overrides) => {
        const c = new Chart(newApp(), 'pa');
        new PeerAuthenticationPolicy(c, 'pa', { namespace: 'apps', selector: { app: 'x' }, portOverrides: list });
        return chartYaml(c);
      };
      expect(yamlOf(order.map((i) => overrides[i]))).toBe(yamlOf(overrides));
    }), runs(200));
  });

  // Lists rendered in the order of calls: compared as sets; whether the bytes differ is reported.
  function reportOrder(what: string, differs: boolean[]): void {
    const n = differs.filter(Boolean).length;
    findings.push(`${what}: ${n > 0 ? `order-dependent (${n} of ${differs.length} permutations changed the YAML)` : `order-independent in ${differs.length} permutations`}`);
  }

  test('one host on several ports: Gateway servers, VirtualService routes and ServiceEntry ports are the same set in any order (order reported)', () => {
    // A gateway with more ports: one host has one server per gateway port.
    const egressGateway = EgressGateway.istio({ ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }, { port: 8443 }, { port: 9443 }] });
    const legs = [
      { id: 'http', mode: () => EgressMode.http() },
      { id: 'passthrough', mode: () => EgressMode.tlsPassthrough() },
      { id: 'tls', mode: () => EgressMode.originateTls({ port: 8080, targetPort: 8443, gatewayPort: 8443, serverCa: ServerCa.fromSecret('ca') }) },
      { id: 'tls2', mode: () => EgressMode.originateTls({ port: 8081, targetPort: 9443, gatewayPort: 9443, serverCa: ServerCa.fromSecret('ca') }) },
    ];
    const differs: boolean[] = [];
    fc.assert(fc.property(permutationArb(legs.length), (order) => {
      const build = (sequence: number[]) => {
        const c = new Chart(newApp(), 'host');
        for (const i of sequence) new EgressGatewayRoute(c, legs[i].id, { egressGateway, host: 'api.example.com', mode: legs[i].mode() });
        return Testing.synth(c);
      };
      const a = build([0, 1, 2, 3]);
      const b = build(order);
      const key = (o: any) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
      const byKey = (objects: any[]) => Object.fromEntries(objects.map((o) => [key(o), o]));
      expect(normalize(byKey(b))).toEqual(normalize(byKey(a)));
      differs.push(JSON.stringify(sortedObjects(a)) !== JSON.stringify(sortedObjects(b)));
    }), runs(30));
    reportOrder('EgressGatewayRoute legs of one host (Gateway spec.servers, VirtualService spec.http/tls, ServiceEntry spec.ports, origination portLevelSettings)', differs);
  });

  test('allowFrom calls and peers within a call: the same rules in any order (order reported)', () => {
    const differs: boolean[] = [];
    const peers = ['a', 'b', 'c'].map((sa) => (ns: MeshNamespace) => Peer.serviceAccount(ns, sa));
    fc.assert(fc.property(permutationArb(3), permutationArb(3), (callOrder, peerOrder) => {
      const build = (calls: number[], within: number[]) => {
        const c = new Chart(newApp(), 'authz');
        const ns = new StrictNamespace(c, 'apps');
        const target = new MeshWorkload(c, 'target', { namespace: ns, image: 'nginx', ports: [{ port: 80 }] });
        const callers = new MeshNamespace(c, 'callers');
        const options = [{ ports: [80] }, { methods: ['GET'] }, { paths: ['/info'] }];
        for (const i of calls) target.allowPeers(within.map((j) => peers[j](callers)), options[i]);
        return Testing.synth(c);
      };
      const a = build([0, 1, 2], [0, 1, 2]);
      const b = build(callOrder, peerOrder);
      expect(normalize(b)).toEqual(normalize(a));
      differs.push(JSON.stringify(a) !== JSON.stringify(b));
    }), runs(30));
    reportOrder('AuthorizationPolicy spec.rules (one per allow call) and source.principals (peer order)', differs);
  });

  test('EgressLockdown destinations: the same egress rules in any order (order reported)', () => {
    const differs: boolean[] = [];
    fc.assert(fc.property(permutationArb(3), (order) => {
      const build = (sequence: number[]) => {
        const c = new Chart(newApp(), 'lockdown');
        const ns = new StrictNamespace(c, 'apps');
        const db = new MeshWorkload(c, 'db', { namespace: ns, image: 'redis', ports: [{ port: 6379, protocol: AppProtocol.REDIS }] });
        const destinations = [EgressDestination.namespace(MeshNamespace.fromName('shared')), EgressDestination.workload(db),
          EgressDestination.namespace(MeshNamespace.fromName('monitoring'))];
        const lockdown = new EgressLockdown(c, 'lockdown', { namespace: ns, egressGateway: EgressGateway.istio() });
        for (const i of sequence) lockdown.allowTo(destinations[i]);
        return Testing.synth(c);
      };
      const a = build([0, 1, 2]);
      const b = build(order);
      expect(normalize(b)).toEqual(normalize(a));
      differs.push(JSON.stringify(a) !== JSON.stringify(b));
    }), runs(30));
    reportOrder('NetworkPolicy spec.egress (one rule per allowTo, in call order)', differs);
  });
});
