/*
 * Property-based tests: MeshWorkload (ports, identity, sidecar, workload mTLS and client TLS) and
 * WorkloadIdentity. Every case is refused with an IstioSecurityError the oracle predicts, or
 * synthesizes schema-valid objects (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import fc from 'fast-check';
import {
  AppProtocol, ClientTlsMode, IMeshNamespace, MeshNamespace, MeshService, MeshServiceAccount, MeshWorkload, MtlsMode, SidecarInjection,
  StrictNamespace, WorkloadIdentity,
} from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, domainArb, enumArb, expectBothOutcomes, idPath, isDnsLabel, isDnsSubdomain, isHostDomain,
  isLabelValue, isPort, labelValueArb, mixed, nameArb, optionalDomain, optionalName, portArb, validDomain, validLabel, validPort, violation,
} from './property-util';

announce('test/property-workload.test.ts');

const PROTOCOLS = Object.values(AppProtocol);
const MTLS_MODES = Object.values(MtlsMode);
const CLIENT_TLS_MODES = Object.values(ClientTlsMode);
const HTTP_LIKE = [80, 8000, 8080, 9090];

/** The namespace a workload is placed in: created by the chart, or a reference. */
export const workloadNamespaceArb = fc.oneof(
  fc.record({ kind: fc.constantFrom('strict' as const, 'permissive' as const, 'mesh' as const, 'mesh-disabled' as const) }),
  fc.record({
    kind: fc.constant('ref' as const),
    name: fc.oneof({ weight: 4, arbitrary: validLabel }, { weight: 1, arbitrary: nameArb }),
    sidecarInjection: fc.option(fc.boolean(), { nil: undefined }),
    clusterDomain: optionalDomain,
    trustDomain: optionalDomain,
    mtlsMode: fc.option(fc.constantFrom(...MTLS_MODES), { nil: undefined }),
  }),
);
export type WorkloadNamespaceInput = typeof workloadNamespaceArb extends fc.Arbitrary<infer T> ? T : never;

/** A namespace whose name and domains are valid. */
export const validWorkloadNamespaceArb: fc.Arbitrary<WorkloadNamespaceInput> = fc.oneof(
  fc.record({ kind: fc.constantFrom('strict' as const, 'permissive' as const, 'mesh' as const, 'mesh-disabled' as const) }),
  fc.record({
    kind: fc.constant('ref' as const),
    name: validLabel,
    sidecarInjection: fc.option(fc.boolean(), { nil: undefined }),
    clusterDomain: fc.option(validDomain, { nil: undefined }),
    trustDomain: fc.option(validDomain, { nil: undefined }),
    mtlsMode: fc.option(fc.constantFrom(...MTLS_MODES), { nil: undefined }),
  }),
);

export function makeNamespace(c: any, input: WorkloadNamespaceInput, id = 'ns'): IMeshNamespace {
  switch (input.kind) {
    case 'strict': return new StrictNamespace(c, id, { name: id });
    case 'permissive': return new StrictNamespace(c, id, { name: id, mtlsMode: MtlsMode.PERMISSIVE });
    case 'mesh': return new MeshNamespace(c, id, { name: id });
    case 'mesh-disabled': return new MeshNamespace(c, id, { name: id, injection: SidecarInjection.disabled() });
    case 'ref': return MeshNamespace.fromName(input.name, {
      sidecarInjection: input.sidecarInjection, clusterDomain: input.clusterDomain, trustDomain: input.trustDomain, mtlsMode: input.mtlsMode,
    });
  }
}

/** What the namespace tells a workload: name, injection, domains and declared mode. */
export function namespaceFacts(input: WorkloadNamespaceInput, id = 'ns') {
  if (input.kind === 'ref') {
    return {
      name: input.name, injects: input.sidecarInjection ?? false, clusterDomain: input.clusterDomain ?? 'cluster.local',
      trustDomain: input.trustDomain ?? 'cluster.local', mtlsMode: input.mtlsMode as MtlsMode | undefined, created: false,
    };
  }
  return {
    name: id, injects: input.kind !== 'mesh-disabled', clusterDomain: 'cluster.local', trustDomain: 'cluster.local', created: true,
    mtlsMode: input.kind === 'strict' ? MtlsMode.STRICT : input.kind === 'permissive' ? MtlsMode.PERMISSIVE : undefined,
  };
}

/** A port: valid, or with any field at a boundary or wrong (names that don't match the protocol, aren't labels...). */
export const workloadPortArb = mixed<{ port: any; containerPort?: any; protocol?: any; name?: any }>({
  port: fc.oneof(fc.constantFrom(...HTTP_LIKE, 6379), validPort),
  containerPort: fc.option(fc.oneof(fc.constantFrom(80, 8080, 9090), validPort), { nil: undefined }),
  protocol: fc.option(fc.constantFrom(...PROTOCOLS), { nil: undefined }),
  name: fc.constant(undefined),
}, {
  port: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HTTP_LIKE, 6379) }, { weight: 2, arbitrary: portArb }),
  containerPort: fc.option(fc.oneof(fc.constantFrom(80, 8080, 9090), portArb), { nil: undefined }),
  protocol: fc.option(enumArb(PROTOCOLS), { nil: undefined }),
  name: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...PROTOCOLS), fc.option(validLabel, { nil: undefined })).map(([p, s]) => (s ? `${p}-${s}` : p)) },
    { weight: 1, arbitrary: fc.constantFrom('web', 'http', 'https-x', 'tcp', 'HTTP', 'http-', 'http-x'.padEnd(64, 'x'), '') },
    { weight: 1, arbitrary: nameArb },
  ),
});
type PortInput = typeof workloadPortArb extends fc.Arbitrary<infer T> ? T : never;

/** Ports, sometimes with a repeated entry. */
export const portsArb = fc.array(workloadPortArb, { maxLength: 4 }).chain((ports) =>
  ports.length === 0 ? fc.constant(ports) : fc.oneof(
    { weight: 4, arbitrary: fc.constant(ports) },
    { weight: 1, arbitrary: fc.nat(ports.length - 1).map((i) => [...ports, ports[i]]) },
  ));

const validOverridesArb = fc.array(fc.record({ port: fc.constantFrom(80, 8080, 9090), mode: fc.constantFrom(...MTLS_MODES) }), { maxLength: 2 });
const overridesArb = fc.array(fc.record({
  port: fc.oneof(fc.constantFrom(80, 8080, 9090), portArb),
  mode: enumArb(MTLS_MODES),
}), { maxLength: 3 });

interface WorkloadInput {
  namespace: WorkloadNamespaceInput;
  id: any; name: any; serviceAccountName: any; image: any; ports: any; sidecar: any; replicas: any; version: any;
  trustDomain: any; command: any; mtls: any; clientTls: any;
}

const workloadArb = mixed<WorkloadInput>({
  namespace: validWorkloadNamespaceArb,
  id: fc.constant<any>('w'),
  name: fc.option(validLabel, { nil: undefined }),
  serviceAccountName: fc.option(validLabel, { nil: undefined }),
  image: fc.constantFrom<any>('nginx', 'docker.io/kennethreitz/httpbin', 'redis:7.4', `ghcr.io/a/b@sha256:${'0123'.repeat(16)}`, 'ghcr.io/a/b@sha256:0123', 'ünïcode/imäge',
    'localhost:5000/team/app:v1.2_3', 'Registry.Example:443/x', 'UPPER/case'),
  ports: fc.option(fc.uniqueArray(fc.record({
    port: validPort,
    containerPort: fc.option(validPort, { nil: undefined }),
    protocol: fc.option(fc.constantFrom(...PROTOCOLS), { nil: undefined }),
  }), { selector: (p) => p.port, maxLength: 3 }), { freq: 5, nil: undefined }),
  sidecar: fc.option<any>(fc.boolean(), { nil: undefined }),
  replicas: fc.option<any>(fc.constantFrom(0, 1, 2, 3, 2 ** 31 - 1), { nil: undefined }),
  version: fc.option<any>(fc.constantFrom('v1', 'v2', '2.0.1-rc_1', ''), { nil: undefined }),
  trustDomain: fc.option<any>(validDomain, { freq: 4, nil: undefined }),
  command: fc.option<any[]>(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 3 }), { nil: undefined }),
  mtls: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, {
    weight: 1,
    arbitrary: fc.record({
      mode: fc.option(fc.constantFrom(...MTLS_MODES), { nil: undefined }),
      portOverrides: fc.option(validOverridesArb, { freq: 2, nil: undefined }),
      name: fc.option(validLabel, { nil: undefined }),
    }),
  }),
  clientTls: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, {
    weight: 1,
    arbitrary: fc.record({
      mode: fc.option(fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE), { nil: undefined }),
      name: fc.option(validLabel, { nil: undefined }),
    }),
  }),
}, {
  namespace: workloadNamespaceArb,
  id: fc.oneof({ weight: 3, arbitrary: fc.constant('w') }, { weight: 1, arbitrary: nameArb.filter((v) => typeof v === 'string' && v !== '') }),
  name: optionalName,
  serviceAccountName: optionalName,
  image: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('nginx', 'ünïcode/imäge') },
    { weight: 3, arbitrary: fc.constantFrom<any>('', ' ', ' nginx', 'nginx\n', 5, true, {}) },
  ),
  ports: fc.option(portsArb, { freq: 5, nil: undefined }),
  sidecar: fc.option(fc.oneof({ weight: 1, arbitrary: fc.boolean() }, { weight: 2, arbitrary: fc.constantFrom<any>('false', 0, 1, null) }), { nil: undefined }),
  replicas: fc.option(fc.oneof(fc.constantFrom(0, 1), fc.constantFrom<any>(-1, 1.5, NaN, Infinity, '2', 2 ** 31 - 1, 2 ** 31, null)), { nil: undefined }),
  version: fc.option(labelValueArb, { nil: undefined }),
  trustDomain: fc.option(domainArb, { freq: 4, nil: undefined }),
  command: fc.option(fc.array(fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom<any>(5, undefined, null, true) },
  ), { maxLength: 3 }), { nil: undefined }),
  mtls: fc.option(fc.record({
    mode: fc.option(enumArb(MTLS_MODES), { nil: undefined }),
    portOverrides: fc.option(overridesArb, { nil: undefined }),
    name: fc.option(fc.oneof(fc.constant('default'), nameArb), { nil: undefined }),
  }), { nil: undefined }),
  clientTls: fc.option(fc.record({
    mode: fc.option(enumArb(CLIENT_TLS_MODES), { nil: undefined }),
    name: fc.option(fc.oneof(fc.constant('default'), nameArb), { nil: undefined }),
  }), { nil: undefined }),
});

// The distribution/reference grammar as one regular expression (name at most 255 characters).
const IMAGE_REFERENCE = new RegExp('^(?:((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?)/)?'
  + '([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)'
  + '(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$');

export function isImageReference(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const m = IMAGE_REFERENCE.exec(v);
  if (!m) return false;
  const name = (m[1] ? `${m[1]}/` : '') + m[2];
  // A first component is a registry only if it looks like one (a dot, a port, localhost, upper case).
  const first = v.split('/')[0];
  const isRegistry = v.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (m[1] && !isRegistry && !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(m[1])) return false;
  return name.length <= 255;
}

/** Normalized ports and their violations, as the Service and the protocol selection need them. */
export function portViolations(ports: PortInput[]): { found: Violation[]; normalized: { port: any; containerPort: any; protocol: any; name: any }[] } {
  const found: Violation[] = [];
  const normalized = ports.map((p) => {
    const containerPort = p.containerPort ?? p.port;
    const protocol = p.protocol ?? AppProtocol.HTTP;
    const name = p.name ?? `${protocol}-${p.port}`;
    if (!isPort(p.port)) found.push(violation('port', p.port));
    if (!isPort(containerPort)) found.push(violation('containerPort', containerPort));
    if (!PROTOCOLS.includes(protocol)) found.push(violation('protocol', protocol));
    if (!isDnsLabel(name)) found.push(violation('port name', name));
    else if (name !== protocol && !name.startsWith(`${protocol}-`)) found.push(violation('port name prefix', name));
    return { port: p.port, containerPort, protocol, name };
  });
  const dup = (values: unknown[]) => values.find((v, i) => values.indexOf(v) !== i);
  const dupName = dup(normalized.map((p) => p.name));
  if (dupName !== undefined) found.push(violation('duplicate port name', dupName));
  const dupPort = dup(normalized.map((p) => p.port));
  if (dupPort !== undefined) found.push(violation('duplicate service port', dupPort));
  return { found, normalized };
}

/** The oracle: every input MeshWorkload must refuse, from the README and Kubernetes/Istio rules. */
function workloadViolations(input: WorkloadInput): Violation[] {
  const ns = namespaceFacts(input.namespace);
  const found: Violation[] = [];
  if (!isDnsLabel(ns.name)) found.push(violation('namespace', ns.name));
  const name = input.name ?? input.id;
  if (!isDnsLabel(name)) found.push(violation('workload name', name));
  const sa = input.serviceAccountName ?? name;
  if (!isDnsLabel(sa)) found.push(violation('serviceAccountName', sa));
  const trustDomain = input.trustDomain ?? ns.trustDomain;
  // The namespace reference is checked as a whole where the workload takes it.
  if (!isDnsSubdomain(ns.trustDomain)) found.push(violation('namespace trustDomain', ns.trustDomain));
  if (!isDnsSubdomain(trustDomain)) found.push(violation('trustDomain', trustDomain));
  if (!isHostDomain(ns.clusterDomain)) found.push(violation('clusterDomain', ns.clusterDomain));
  // The kubelet: an image reference ([registry[:port]/]path[:tag][@digest], the distribution grammar).
  if (input.image === '') found.push(violation('image', input.image, ['image is empty']));
  else if (!isImageReference(input.image)) found.push(violation('image', input.image));
  const badCommand = (input.command ?? []).findIndex((c: unknown) => typeof c !== 'string');
  if (badCommand >= 0) found.push(violation('command entry', input.command![badCommand]));
  // exec cannot pass NUL, and UTF-8 cannot carry an unpaired surrogate.
  const unsendable = (input.command ?? []).find((c: unknown) => typeof c === 'string' && (c.includes('\u0000') || /[\uD800-\uDFFF]/u.test(c.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))));
  if (badCommand < 0 && unsendable !== undefined) found.push(violation('command entry', unsendable));
  const replicas = input.replicas ?? 1;
  // Kubernetes: replicas is an int32.
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2 ** 31 - 1) found.push(violation('replicas', replicas));
  const version = input.version ?? 'v1';
  if (!isLabelValue(version)) found.push(violation('version', version));
  const { found: portFound, normalized } = portViolations(input.ports ?? []);
  found.push(...portFound);
  if (input.sidecar !== undefined && input.sidecar !== null && typeof input.sidecar !== 'boolean') found.push(violation('sidecar', input.sidecar));
  const sidecar = input.sidecar ?? ns.injects;
  // istio-injection=disabled on a namespace the chart creates wins over the pod's request.
  if (input.sidecar === true && input.namespace.kind === 'mesh-disabled') found.push(violation('sidecar in a namespace with injection disabled', true, ['injection is disabled']));
  if (normalized.length > 0 && isDnsLabel(name) && !/^[a-z]/.test(name)) found.push(violation('Service name', name));
  const host = `${name}.${ns.name}.svc.${ns.clusterDomain}`;
  if (typeof ns.clusterDomain === 'string' && typeof ns.name === 'string' && host.length > 253) found.push(violation('Service host', host, ['characters long']));
  // One container port is served with Istio's HTTP filters or with TCP ones, for every Service port that targets it.
  const httpOf = new Map<unknown, boolean>();
  for (const p of normalized) {
    const http = ['http', 'http2', 'grpc', 'grpc-web'].includes(p.protocol);
    if (httpOf.has(p.containerPort) && httpOf.get(p.containerPort) !== http) found.push(violation('container port protocols', p.containerPort));
    httpOf.set(p.containerPort, http);
  }
  const exposed = [...new Set(normalized.map((p) => p.containerPort))];
  const mtls = input.mtls;
  if (mtls) {
    if (mtls.mode !== undefined && !MTLS_MODES.includes(mtls.mode)) found.push(violation('mtls mode', mtls.mode));
    const seen = new Set<unknown>();
    for (const o of mtls.portOverrides ?? []) {
      if (!exposed.includes(o.port)) found.push(violation('mtls port override', o.port));
      if (!MTLS_MODES.includes(o.mode)) found.push(violation('mtls port override mode', o.mode));
      if (seen.has(o.port)) found.push(violation('duplicate mtls port override', o.port));
      seen.add(o.port);
    }
    // Any mode that is not DISABLE or UNSET needs a sidecar to enforce it (mtls: {} means STRICT).
    const enforced = [mtls.mode ?? MtlsMode.STRICT, ...(mtls.portOverrides ?? []).map((o: any) => o.mode)]
      .find((m) => m !== MtlsMode.DISABLE && m !== MtlsMode.UNSET);
    if (enforced !== undefined && !sidecar) found.push(violation('mtls without sidecar', enforced));
    const policyName = mtls.name ?? name;
    if (!isDnsLabel(policyName)) found.push(violation('mtls name', policyName));
    // A StrictNamespace already emits PeerAuthentication "default" in the namespace.
    if (policyName === 'default' && ns.created && ns.mtlsMode) found.push(violation('PeerAuthentication name', 'default', ['PeerAuthentication "']));
  }
  const clientTls = input.clientTls;
  // A StrictNamespace's DestinationRule sends ISTIO_MUTUAL to every host of the namespace.
  const strictNamespace = input.namespace.kind === 'strict' || input.namespace.kind === 'permissive';
  const ownMode = clientTls ? clientTls.mode ?? ClientTlsMode.ISTIO_MUTUAL : undefined;
  if (!sidecar && normalized.length > 0 && strictNamespace && ownMode !== ClientTlsMode.DISABLE) {
    found.push(violation('no sidecar under the namespace ISTIO_MUTUAL rule', 'ISTIO_MUTUAL', ['every call from the mesh would fail']));
  }
  const callerTls = ownMode ?? (strictNamespace ? ClientTlsMode.ISTIO_MUTUAL : undefined);
  const portMode = (port: unknown) => [
    (mtls?.portOverrides ?? []).find((o: any) => o.port === port)?.mode, mtls ? mtls.mode ?? MtlsMode.STRICT : undefined, ns.mtlsMode,
  ].find((m) => m !== undefined && m !== MtlsMode.UNSET) ?? MtlsMode.PERMISSIVE;
  if (callerTls === ClientTlsMode.ISTIO_MUTUAL && sidecar && exposed.some((p) => portMode(p) === MtlsMode.DISABLE)) {
    found.push(violation('ISTIO_MUTUAL to a DISABLE port', 'DISABLE', ['whose mTLS mode is DISABLE']));
  }
  if (clientTls) {
    const mode = clientTls.mode ?? ClientTlsMode.ISTIO_MUTUAL;
    if (!CLIENT_TLS_MODES.includes(mode)) found.push(violation('clientTls mode', mode));
    if (normalized.length === 0) found.push(violation('clientTls without ports', 'ports', ['no ports']));
    if (mode === ClientTlsMode.SIMPLE || mode === ClientTlsMode.MUTUAL) found.push(violation('clientTls mode', mode));
    if (mode === ClientTlsMode.ISTIO_MUTUAL && !sidecar) found.push(violation('clientTls ISTIO_MUTUAL without sidecar', mode));
    // Each container port's mode: its override, else the workload's mode, else the namespace's (UNSET inherits).
    const modeOf = (port: unknown) => [
      (mtls?.portOverrides ?? []).find((o: any) => o.port === port)?.mode, mtls ? mtls.mode ?? MtlsMode.STRICT : undefined, ns.mtlsMode,
    ].find((m) => m !== undefined && m !== MtlsMode.UNSET) ?? MtlsMode.PERMISSIVE;
    if (mode === ClientTlsMode.DISABLE && sidecar && exposed.some((p) => modeOf(p) === MtlsMode.STRICT)) found.push(violation('clientTls DISABLE to STRICT', mode));
    const ruleName = clientTls.name ?? name;
    if (!isDnsLabel(ruleName)) found.push(violation('clientTls name', ruleName));
    if (ruleName === 'default' && ns.created && ns.mtlsMode) found.push(violation('DestinationRule name', 'default', ['DestinationRule "']));
  }
  return found;
}

describe('property: MeshWorkload', () => {
  test('MeshWorkload: refused iff the oracle finds a bad name, domain, image, replica count, version, port, sidecar, mtls or clientTls', () => {
    checkProperty('MeshWorkload', workloadArb, (input) => {
      let workload: MeshWorkload | undefined;
      const outcome = attempt(() => {
        const c = chart();
        const namespace = makeNamespace(c, input.namespace);
        workload = new MeshWorkload(c, input.id, {
          namespace, image: input.image, name: input.name, serviceAccountName: input.serviceAccountName, ports: input.ports,
          sidecar: input.sidecar, replicas: input.replicas, version: input.version, trustDomain: input.trustDomain, command: input.command,
          mtls: input.mtls as any, clientTls: input.clientTls,
        });
        return c;
      });
      if (outcome.kind === 'ok') {
        const w = workload!;
        const ns = namespaceFacts(input.namespace);
        const name = input.name ?? input.id;
        const sa = input.serviceAccountName ?? name;
        expect(w.identity.principal).toBe(`${input.trustDomain ?? ns.trustDomain}/ns/${ns.name}/sa/${sa}`);
        expect(w.host).toBe(`${name}.${ns.name}.svc.${ns.clusterDomain}`);
        const deployment = outcome.objects.find((o) => o.kind === 'Deployment');
        const sidecar = String(input.sidecar ?? ns.injects);
        expect(deployment.spec.template.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': sidecar });
        expect(deployment.spec.template.metadata.labels).toMatchObject({ 'app': name, 'version': input.version ?? 'v1', 'sidecar.istio.io/inject': sidecar });
        expect(deployment.spec.replicas).toBe(input.replicas ?? 1);
        const service = outcome.objects.find((o) => o.kind === 'Service');
        const ports = portViolations(input.ports ?? []).normalized;
        expect(service === undefined).toBe(ports.length === 0);
        if (service) {
          expect(service.spec.ports).toEqual(ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.containerPort, appProtocol: p.protocol })));
        }
      }
      return { outcome, violations: workloadViolations(input), path: `test/${idPath(input.id)}` };
    }, { after: expectBothOutcomes });
  });

  test('two workloads: one Deployment per namespace/name in a chart', () => {
    const arb = fc.record({ a: fc.constantFrom('x', 'y'), b: fc.constantFrom('x', 'y'), sameChart: fc.boolean() });
    checkProperty('MeshWorkload claims', arb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const ns = MeshNamespace.fromName('apps', { sidecarInjection: true });
        new MeshWorkload(c, 'first', { namespace: ns, image: 'nginx', name: input.a });
        const c2 = input.sameChart ? c : chart('other');
        new MeshWorkload(c2, 'second', { namespace: ns, image: 'nginx', name: input.b });
        return [...new Set([c, c2])];
      });
      const clash = input.sameChart && input.a === input.b;
      return { outcome, violations: clash ? [violation('Deployment', input.a, ['test/first'])] : [], path: input.sameChart ? 'test/second' : 'other/second' };
    }, { runs: 20, after: expectBothOutcomes });
  });
});

describe('property: WorkloadIdentity', () => {
  test('principal and SPIFFE ID are built from trust domain, namespace and service account, whatever they are', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (td, ns, sa) => {
      const id = WorkloadIdentity.of(td, ns, sa);
      expect(id.principal).toBe(`${td}/ns/${ns}/sa/${sa}`);
      expect(id.spiffeId).toBe(`spiffe://${td}/ns/${ns}/sa/${sa}`);
      expect(String(id)).toBe(id.spiffeId);
      expect([id.trustDomain, id.namespace, id.serviceAccount]).toEqual([td, ns, sa]);
    }), { numRuns: 100 });
  });
});

describe('property: MeshService versions and shared identities', () => {
  const versionArb: fc.Arbitrary<any> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('v1', 'v2', 'v3', 'stable', 'canary') },
    { weight: 2, arbitrary: labelValueArb },
  );
  const serviceArb = fc.record({
    versions: fc.array(versionArb, { minLength: 1, maxLength: 4 }),
    account: fc.constantFrom('own' as const, 'named' as const, 'shared' as const, 'default' as const),
    subsets: fc.boolean(),
  });

  test('versions: refused iff a version is not a DNS label or given twice; otherwise <app>-<version> Deployments, one account, one subset each', () => {
    checkProperty('MeshService versions', serviceArb, (input) => {
      let service: MeshService | undefined;
      const outcome = attempt(() => {
        const c = chart();
        const ns = new StrictNamespace(c, 'shop');
        const account = input.account === 'shared' ? new MeshServiceAccount(c, 'workers', { namespace: ns })
          : input.account === 'default' ? MeshServiceAccount.fromName(ns, 'default') : undefined;
        service = new MeshService(c, 'reviews', {
          namespace: ns, ports: [{ port: 9080, name: 'http' }], subsets: input.subsets,
          serviceAccount: account, serviceAccountName: input.account === 'named' ? 'bookinfo-reviews' : undefined,
        });
        for (const v of input.versions) service.addVersion(v, { image: 'reviews' });
        return c;
      });
      const found: Violation[] = [];
      const seen = new Set<unknown>();
      for (const v of input.versions) {
        if (!isLabelValue(v)) found.push(violation('version', v));
        else if (!isDnsLabel(v) || `reviews-${v}`.length > 63) found.push(violation('version', v, [JSON.stringify(v), `reviews-${v}`]));
        else if (seen.has(v)) found.push(violation('version', v));
        seen.add(v);
        if (found.length > 0) break;
      }
      if (outcome.kind === 'ok') {
        const objects = outcome.objects;
        const deployments = objects.filter((o) => o.kind === 'Deployment');
        expect(deployments.map((d) => d.metadata.name)).toEqual(input.versions.map((v: string) => `reviews-${v}`));
        for (const [i, d] of deployments.entries()) {
          expect(d.spec.selector.matchLabels).toEqual({ app: 'reviews', version: input.versions[i] });
        }
        const account = { own: 'reviews', named: 'bookinfo-reviews', shared: 'workers', default: 'default' }[input.account as string];
        expect([...new Set(deployments.map((d) => d.spec.template.spec.serviceAccountName))]).toEqual([account]);
        expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(input.account === 'default' ? [] : [account]);
        expect(objects.filter((o) => o.kind === 'Service').map((o) => o.spec.selector)).toEqual([{ app: 'reviews' }]);
        const rule = objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === 'reviews');
        expect(rule?.spec.subsets?.map((s: any) => s.name)).toEqual(input.subsets ? input.versions : undefined);
        if (rule) expect(rule.spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
        expect(service!.identity.principal).toBe(`cluster.local/ns/shop/sa/${account}`);
      }
      return { outcome, violations: found, path: 'test/reviews' };
    }, { after: expectBothOutcomes });
  });

  test('workloads naming accounts: refused iff two of them name one account in one namespace of a chart without sharing it', () => {
    const arb = fc.array(fc.record({ account: fc.constantFrom('a', 'b'), ns: fc.constantFrom('x', 'y'), shared: fc.boolean() }), { minLength: 2, maxLength: 4 });
    checkProperty('service account claims', arb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const shared = new Map<string, MeshServiceAccount>();
        input.forEach((w, i) => {
          const ns = MeshNamespace.fromName(w.ns, { sidecarInjection: true });
          const key = `${w.ns}/${w.account}-shared`;
          if (w.shared && !shared.has(key)) shared.set(key, new MeshServiceAccount(c, `shared-${w.ns}-${w.account}`, { namespace: ns, name: `${w.account}-shared` }));
          new MeshWorkload(c, `w${i}`, {
            namespace: ns, image: 'x', ...(w.shared ? { serviceAccount: shared.get(key)! } : { serviceAccountName: w.account }),
          });
        });
        return c;
      });
      const own = input.filter((w) => !w.shared).map((w) => `${w.ns}/${w.account}`);
      const twice = own.find((k, i) => own.indexOf(k) !== i);
      return { outcome, violations: twice ? [violation('ServiceAccount', twice, [`ServiceAccount "${twice}"`])] : [], path: input.map((_, i) => `test/w${i}`) };
    }, { runs: 60, after: expectBothOutcomes });
  });
});
