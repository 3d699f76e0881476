/*
 * Property-based tests: authorization by identity (MeshWorkload.allowFrom/allowPeers, Peer,
 * WorkloadIdentity, WorkloadAuthorization for workloads and for selected pods). Every case is
 * refused with an IstioSecurityError (or the synth-time refusal of a policy without rules) the
 * oracle predicts, or synthesizes schema-valid objects (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import { Chart } from 'cdk8s';
import fc from 'fast-check';
import {
  AppProtocol, IMeshNamespace, MeshNamespace, MeshWorkload, MtlsMode, Peer, SidecarInjection, StrictNamespace, WorkloadAuthorization,
  WorkloadIdentity,
} from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, domainArb, expectBothOutcomes, isDnsLabel, isDnsSubdomain, isPort, labelViolations,
  labelsArb, mixed, nameArb, portArb, validDomain, validLabel, validPort, violation,
} from './property-util';

announce('test/property-authorization.test.ts');

const HTTP = [AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.GRPC, AppProtocol.GRPC_WEB] as string[];

// ------------------------------------------------------------------------------------------------
// Peers
// ------------------------------------------------------------------------------------------------

type NsInput = { kind: 'ref'; name: any; trustDomain?: any } | { kind: 'strict' } | { kind: 'mesh-disabled' };
const nsArb = (name: fc.Arbitrary<any>, domain: fc.Arbitrary<any>, disabled = 1): fc.Arbitrary<NsInput> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ref' as const), name, trustDomain: fc.option(domain, { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'strict' as const }) },
  { weight: disabled, arbitrary: fc.constant({ kind: 'mesh-disabled' as const }) },
);

type PeerInput =
  | { kind: 'workload'; sidecar: boolean }
  | { kind: 'sa'; ns: NsInput; sa: any }
  | { kind: 'identity'; td: any; ns: any; sa: any }
  | { kind: 'namespace'; ns: NsInput };

function peerArb(name: fc.Arbitrary<any>, domain: fc.Arbitrary<any>, callerSidecar: fc.Arbitrary<boolean>, disabled = 1): fc.Arbitrary<PeerInput> {
  return fc.oneof(
    fc.record({ kind: fc.constant('workload' as const), sidecar: callerSidecar }),
    fc.record({ kind: fc.constant('sa' as const), ns: nsArb(name, domain, disabled), sa: name }),
    fc.record({ kind: fc.constant('identity' as const), td: domain, ns: name, sa: name }),
    fc.record({ kind: fc.constant('namespace' as const), ns: nsArb(name, domain, disabled) }),
  );
}
const validPeerArb = peerArb(validLabel, validDomain, fc.constant(true), 0);
const anyPeerArb = peerArb(nameArb, domainArb, fc.boolean());

/** The peers' world: namespaces and callers the chart declares. */
class PeerWorld {
  private readonly strict: StrictNamespace;
  private readonly disabled: MeshNamespace;
  private readonly inMesh: MeshWorkload;
  private readonly outside: MeshWorkload;

  public constructor(c: Chart) {
    this.strict = new StrictNamespace(c, 'callers', { name: 'callers' });
    this.disabled = new MeshNamespace(c, 'legacy', { name: 'legacy', injection: SidecarInjection.disabled() });
    this.inMesh = new MeshWorkload(c, 'caller', { namespace: this.strict, image: 'curl' });
    this.outside = new MeshWorkload(c, 'plain-caller', { namespace: this.disabled, image: 'curl' });
  }

  public caller(sidecar: boolean): MeshWorkload {
    return sidecar ? this.inMesh : this.outside;
  }

  public namespace(input: NsInput): IMeshNamespace {
    if (input.kind === 'strict') return this.strict;
    if (input.kind === 'mesh-disabled') return this.disabled;
    return MeshNamespace.fromName(input.name, { trustDomain: input.trustDomain });
  }

  public peer(input: PeerInput): Peer {
    switch (input.kind) {
      case 'workload': return Peer.workload(this.caller(input.sidecar));
      case 'sa': return Peer.serviceAccount(this.namespace(input.ns), input.sa);
      case 'identity': return Peer.identity(WorkloadIdentity.of(input.td, input.ns, input.sa));
      case 'namespace': return Peer.namespace(this.namespace(input.ns));
    }
  }
}

function nsFacts(input: NsInput): { name: any; trustDomain: any; disabled: boolean } {
  if (input.kind === 'strict') return { name: 'callers', trustDomain: 'cluster.local', disabled: false };
  if (input.kind === 'mesh-disabled') return { name: 'legacy', trustDomain: 'cluster.local', disabled: true };
  return { name: input.name, trustDomain: input.trustDomain ?? 'cluster.local', disabled: false };
}

function peerViolations(input: PeerInput): Violation[] {
  const found: Violation[] = [];
  const ns = (n: NsInput) => {
    const facts = nsFacts(n);
    if (!isDnsLabel(facts.name)) found.push(violation('caller namespace', facts.name));
    else if (!isDnsSubdomain(facts.trustDomain)) found.push(violation('caller trust domain', facts.trustDomain));
    if (facts.disabled) found.push(violation('caller namespace without injection', 'legacy'));
    return facts;
  };
  switch (input.kind) {
    case 'workload':
      if (!input.sidecar) found.push(violation('caller without sidecar', 'plain-caller', ['has no sidecar']));
      break;
    case 'sa': {
      const facts = ns(input.ns);
      if (!isDnsSubdomain(facts.trustDomain)) found.push(violation('caller trust domain', facts.trustDomain));
      if (!isDnsLabel(input.sa)) found.push(violation('caller service account', input.sa));
      break;
    }
    case 'identity':
      if (!isDnsSubdomain(input.td)) found.push(violation('caller trust domain', input.td));
      if (!isDnsLabel(input.ns)) found.push(violation('caller namespace', input.ns));
      if (!isDnsLabel(input.sa)) found.push(violation('caller service account', input.sa));
      break;
    case 'namespace':
      ns(input.ns);
      break;
  }
  return found;
}

function principalOf(input: PeerInput): string | undefined {
  switch (input.kind) {
    case 'workload': return 'cluster.local/ns/callers/sa/caller';
    case 'sa': { const f = nsFacts(input.ns); return `${f.trustDomain}/ns/${f.name}/sa/${input.sa}`; }
    case 'identity': return `${input.td}/ns/${input.ns}/sa/${input.sa}`;
    case 'namespace': return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// Allow options
// ------------------------------------------------------------------------------------------------

const METHOD = /^[A-Z][A-Z_-]*$/;

const validMethods = fc.uniqueArray(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PURGE', 'M-SEARCH', 'X_CUSTOM'), { minLength: 1, maxLength: 3 });
const anyMethods = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH') },
  { weight: 2, arbitrary: fc.constantFrom<any>('get', '*', '', 'G3T', 'GET ', 'ÄÖ', '-GET', 'G E', 5, null) },
), { maxLength: 3 });

const validPaths = fc.uniqueArray(fc.constantFrom('/info', '/api/*', '*.png', '*', '/users/{*}/info', '/files/{**}', '/%C3%BC', '/{*}', '/', "/a-b_c.d~e!$&'()+,;=:@"), { minLength: 1, maxLength: 3 });
const anyPaths = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('/info', '/api/*', '*.png', '*', '/users/{*}/info', '/files/{**}') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<any>('', 'info', '/a b', '/a?b', '/a#', '/a*b', '*a*', '**', '/files/{**}/x', '/x{*}', '{*}', '/a/{*', '/a\t', '/a\u00a0b', 5,
      '/a}', '/ünï', '/api/v[0-9]+/.*', '/api/.*', '/a|b', '/a\\b', '/a/../b', '/./a', '/a%zz', '/a%2F', '/{*}/b*', '/a//{*}', '/{*}/'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
), { maxLength: 3 });

/** What Istio accepts and a request path can match (the exact, prefix, suffix and template forms; no regular expressions). */
function isPath(p: unknown): boolean {
  if (typeof p !== 'string' || p === '' || p.length > 60 * 1024) return false;
  if (p === '*') return true;
  // RFC 3986 path characters, '*' and the braces of templates; no percent sign without two hex digits.
  if (!/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/{}]*$/.test(p) || /%(?![0-9A-Fa-f]{2})/.test(p)) return false;
  // Regular-expression idioms, and dot segments (Istio normalizes them away before matching).
  if (/\.\*|\.\+|\$$/.test(p) || p.split('/').some((s) => s === '.' || s === '..')) return false;
  if (/[{}]/.test(p)) {
    if (!p.startsWith('/')) return false;
    const segments = p.replace(/^\/+|\/+$/g, '').split('/');
    return segments.every((s, i) => s === '{*}' || (s === '{**}' && i === segments.length - 1) || /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(s));
  }
  const stars = p.split('*').length - 1;
  if (stars === 0) return p.startsWith('/');
  if (stars > 1) return false;
  return p.startsWith('*') || (p.endsWith('*') && p.startsWith('/'));
}

interface RuleInput { call: 'allowPeers' | 'allowFrom' | 'policy'; peers: PeerInput[]; methods?: any[]; paths?: any[]; ports?: any[] }

function optionViolations(rule: RuleInput, workloadPorts?: { containerPort: number; protocol: string }[]): Violation[] {
  const found: Violation[] = [];
  const dup = (values: unknown[]) => values.find((v, i) => values.indexOf(v) !== i);
  if (rule.methods !== undefined) {
    if (rule.methods.length === 0) found.push(violation('methods', [], ['methods []']));
    for (const m of rule.methods) if (typeof m !== 'string' || !METHOD.test(m)) found.push(violation('method', m));
    const d = dup(rule.methods);
    if (d !== undefined) found.push(violation('duplicate method', d));
  }
  if (rule.paths !== undefined) {
    if (rule.paths.length === 0) found.push(violation('paths', [], ['paths []']));
    for (const p of rule.paths) if (!isPath(p)) found.push(violation('path', p, p === '' ? ['path "" is empty'] : undefined));
    const d = dup(rule.paths);
    if (d !== undefined) found.push(violation('duplicate path', d));
  }
  const containerPorts = workloadPorts ? [...new Set(workloadPorts.map((p) => p.containerPort))] : undefined;
  if (rule.ports !== undefined) {
    if (rule.ports.length === 0) found.push(violation('ports', [], ['ports []']));
    for (const p of rule.ports) {
      if (!isPort(p)) found.push(violation('port', p));
      else if (containerPorts && !containerPorts.includes(p)) found.push(violation('port the workload does not serve', p));
    }
    const d = dup(rule.ports);
    if (d !== undefined) found.push(violation('duplicate port', d));
  }
  if ((rule.methods !== undefined || rule.paths !== undefined) && workloadPorts) {
    const isHttp = (port: number) => workloadPorts.some((p) => p.containerPort === port && HTTP.includes(p.protocol));
    const opaque = rule.ports ? rule.ports.filter((p) => !isHttp(p)) : containerPorts!.every((p) => !isHttp(p)) ? containerPorts! : [];
    if (opaque.length > 0) found.push(violation('methods or paths on a non-HTTP port', opaque[0], ['do not carry HTTP']));
  }
  return found;
}

function ruleArb(peer: fc.Arbitrary<PeerInput>, methods: fc.Arbitrary<any[]>, paths: fc.Arbitrary<any[]>, ports: fc.Arbitrary<any[]>,
  peerCount: { minLength: number; maxLength: number }): fc.Arbitrary<RuleInput> {
  return fc.record({
    call: fc.constantFrom<RuleInput['call']>('allowPeers', 'allowFrom', 'policy'),
    peers: fc.array(peer, peerCount),
    methods: fc.option(methods, { freq: 3, nil: undefined }),
    paths: fc.option(paths, { freq: 3, nil: undefined }),
    ports: fc.option(ports, { freq: 3, nil: undefined }),
  }).map((rule) => (rule.call === 'allowFrom' ? { ...rule, peers: [{ kind: 'workload' as const, sidecar: rule.peers[0]?.kind !== 'workload' || rule.peers[0].sidecar }] } : rule));
}

// ------------------------------------------------------------------------------------------------
// allowFrom / allowPeers on a MeshWorkload
// ------------------------------------------------------------------------------------------------

const targetPortArb = fc.record({ port: validPort, containerPort: fc.option(fc.constantFrom(80, 8080, 9090, 6379), { nil: undefined }),
  protocol: fc.constantFrom(...Object.values(AppProtocol)) });
const targetPortsArb = fc.uniqueArray(targetPortArb, { selector: (p) => p.port, maxLength: 3 });

interface TargetInput {
  name: string; namespace: 'strict' | 'permissive' | 'mesh' | 'ref-strict' | 'ref'; sidecar?: boolean;
  ports: { port: number; containerPort?: number; protocol: AppProtocol }[]; mtls?: MtlsMode; rules: RuleInput[];
}

const portsFor = (extra: fc.Arbitrary<any>) => fc.array(fc.oneof(fc.constantFrom(80, 8080, 9090, 6379), extra), { maxLength: 3 });

const allowArb = mixed<TargetInput>({
  name: fc.oneof({ weight: 4, arbitrary: fc.constant('target') }, { weight: 1, arbitrary: validLabel }),
  namespace: fc.constantFrom('strict', 'permissive', 'mesh', 'ref-strict', 'ref'),
  sidecar: fc.option(fc.constant(true), { nil: undefined }),
  ports: fc.uniqueArray(fc.record({
    port: validPort,
    containerPort: fc.constantFrom(80, 8080, 9090),
    protocol: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(AppProtocol.HTTP, AppProtocol.GRPC) }, { weight: 1, arbitrary: fc.constantFrom(...Object.values(AppProtocol)) }),
  }), { selector: (p) => p.port, minLength: 1, maxLength: 3 }),
  mtls: fc.option(fc.constantFrom(MtlsMode.STRICT, MtlsMode.PERMISSIVE), { freq: 3, nil: undefined }),
  rules: fc.array(ruleArb(validPeerArb, validMethods, validPaths, fc.uniqueArray(fc.constantFrom(80, 8080, 9090), { minLength: 1, maxLength: 2 }),
    { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
}, {
  name: fc.oneof(fc.constant('target'), validLabel),
  namespace: fc.constantFrom('strict', 'permissive', 'mesh', 'ref-strict', 'ref'),
  sidecar: fc.option(fc.boolean(), { nil: undefined }),
  ports: targetPortsArb,
  mtls: fc.option(fc.constantFrom(...Object.values(MtlsMode)), { nil: undefined }),
  rules: fc.array(ruleArb(anyPeerArb, anyMethods, anyPaths, portsFor(portArb), { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
});

describe('property: authorization', () => {
  test('allowFrom/allowPeers: refused iff the target, a peer or an option is invalid; otherwise one rule per call, principals ORed with namespaces', () => {
    checkProperty('allowFrom/allowPeers', allowArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const world = new PeerWorld(c);
        const namespace = input.namespace === 'strict' ? new StrictNamespace(c, 'apps', { name: 'apps' })
          : input.namespace === 'permissive' ? new StrictNamespace(c, 'apps', { name: 'apps', mtlsMode: MtlsMode.PERMISSIVE })
            : input.namespace === 'mesh' ? new MeshNamespace(c, 'apps', { name: 'apps' })
              : MeshNamespace.fromName('apps', { sidecarInjection: true, mtlsMode: input.namespace === 'ref-strict' ? MtlsMode.STRICT : undefined });
        const target = new MeshWorkload(c, 'target', {
          namespace, name: input.name, image: 'httpbin', ports: input.ports, sidecar: input.sidecar, mtls: input.mtls ? { mode: input.mtls } : undefined,
        });
        for (const rule of input.rules) {
          const options = { methods: rule.methods, paths: rule.paths, ports: rule.ports };
          if (rule.call === 'allowFrom') target.allowFrom(world.caller((rule.peers[0] as { sidecar: boolean }).sidecar), options);
          else if (rule.call === 'allowPeers') target.allowPeers(rule.peers.map((p) => world.peer(p)), options);
          else WorkloadAuthorization.of(target).allow(rule.peers.map((p) => world.peer(p)), options);
        }
        return c;
      });
      const found: Violation[] = [];
      const sidecar = input.sidecar ?? true;
      if (input.mtls && input.mtls !== MtlsMode.DISABLE && input.mtls !== MtlsMode.UNSET && !sidecar) found.push(violation('mtls without sidecar', input.mtls));
      // A StrictNamespace's ISTIO_MUTUAL DestinationRule cannot reach a DISABLE server.
      if (input.mtls === MtlsMode.DISABLE && sidecar && input.ports.length > 0 && (input.namespace === 'strict' || input.namespace === 'permissive')) {
        found.push(violation('ISTIO_MUTUAL to DISABLE', 'DISABLE', ['whose mTLS mode is DISABLE']));
      }
      // Kubernetes wants Service names to start with a letter (DNS-1035).
      if (input.ports.length > 0 && isDnsLabel(input.name) && !/^[a-z]/.test(input.name)) found.push(violation('Service name', input.name));
      const normalized = input.ports.map((p) => ({ containerPort: p.containerPort ?? p.port, protocol: p.protocol as string }));
      // One container port carries HTTP or not, for every Service port that targets it.
      const httpOf = new Map<number, boolean>();
      for (const p of normalized) {
        const http = HTTP.includes(p.protocol);
        if (httpOf.has(p.containerPort) && httpOf.get(p.containerPort) !== http) found.push(violation('container port protocols', p.containerPort));
        httpOf.set(p.containerPort, http);
      }
      if (found.length === 0) {
        if (!sidecar) found.push(violation('target without sidecar', 'test/target', ['has no sidecar']));
        if (input.ports.length === 0) found.push(violation('target without ports', 'test/target', ['serves no ports']));
        if (!isDnsLabel(`${input.name}-allow`)) found.push(violation('policy name', `${input.name}-allow`));
      }
      // The first refused call ends the case: only its violations (and those before it) count.
      if (found.length === 0) {
        for (const rule of input.rules) {
          const ruleFound: Violation[] = [];
          if (rule.peers.length === 0) ruleFound.push(violation('peers', [], ['at least one peer']));
          for (const p of rule.peers) ruleFound.push(...peerViolations(p));
          ruleFound.push(...optionViolations(rule, normalized));
          if (ruleFound.length > 0) {
            found.push(...ruleFound);
            break;
          }
        }
      }
      if (outcome.kind === 'ok') {
        const policy = outcome.objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === `${input.name}-allow`);
        // A rule the policy already has (same callers and requests, as sets) is kept once.
        const set = (values?: unknown[]) => values === undefined ? null : [...new Set(values.map(String))].sort();
        const keyOf = (rule: RuleInput) => JSON.stringify([set(rule.peers.map(principalOf).filter((p) => p !== undefined)),
          set(rule.peers.filter((p) => p.kind === 'namespace').map((p) => nsFacts((p as any).ns).name)), set(rule.methods), set(rule.paths), set(rule.ports)]);
        const distinct = input.rules.filter((rule, i) => input.rules.findIndex((other) => keyOf(other) === keyOf(rule)) === i);
        expect(policy.spec.rules).toHaveLength(distinct.length);
        distinct.forEach((rule, i) => {
          const principals = [...new Set(rule.peers.map(principalOf).filter((p) => p !== undefined))];
          const namespaces = [...new Set(rule.peers.filter((p) => p.kind === 'namespace').map((p) => nsFacts((p as any).ns).name))];
          expect(policy.spec.rules[i].from).toEqual([
            ...(principals.length > 0 ? [{ source: { principals } }] : []),
            ...(namespaces.length > 0 ? [{ source: { namespaces } }] : []),
          ]);
        });
      }
      return { outcome, violations: found, path: 'test/target' };
    }, { after: expectBothOutcomes });
  });

  interface PolicyInput {
    namespace?: NsInput | 'mesh-enabled'; selector?: any; name?: any; withWorkload: boolean; rules: RuleInput[];
  }
  const policyArb = mixed<PolicyInput>({
    namespace: fc.oneof(fc.constant<'mesh-enabled'>('mesh-enabled'), fc.record({ kind: fc.constant('ref' as const), name: validLabel })),
    selector: fc.constantFrom({ app: 'legacy-db' }, { 'app.kubernetes.io/name': 'db', 'tier': 'backend' }),
    name: validLabel,
    withWorkload: fc.constant(false),
    rules: fc.array(ruleArb(validPeerArb, validMethods, validPaths, fc.uniqueArray(validPort, { minLength: 1, maxLength: 2 }),
      { minLength: 1, maxLength: 2 }), { minLength: 0, maxLength: 2 }),
  }, {
    namespace: fc.option(nsArb(nameArb, domainArb), { freq: 6, nil: undefined }),
    selector: fc.option(fc.oneof(labelsArb, fc.constantFrom<any>({ app: '*' }, { '*': 'x' }, { app: 5 })), { freq: 6, nil: undefined }),
    name: fc.option(nameArb, { freq: 6, nil: undefined }),
    withWorkload: fc.boolean(),
    rules: fc.array(ruleArb(anyPeerArb, anyMethods, anyPaths, portsFor(portArb), { minLength: 0, maxLength: 2 }), { maxLength: 2 }),
  });

  test('WorkloadAuthorization for selected pods: namespace, selector labels, name; a policy without rules is refused at synth', () => {
    checkProperty('WorkloadAuthorization (selector)', policyArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const world = new PeerWorld(c);
        const namespace = input.namespace === undefined ? undefined
          : input.namespace === 'mesh-enabled' ? new MeshNamespace(c, 'db-ns', { name: 'db-ns' }) : world.namespace(input.namespace);
        const workload = input.withWorkload ? new MeshWorkload(c, 'w', { namespace: MeshNamespace.fromName('db-ns', { sidecarInjection: true }), image: 'x', ports: [{ port: 80 }] }) : undefined;
        const policy = new WorkloadAuthorization(c, 'policy', { namespace, selector: input.selector, name: input.name, workload });
        for (const rule of input.rules) {
          const peers = rule.peers.map((p) => world.peer(p));
          policy.allow(peers, { methods: rule.methods, paths: rule.paths, ports: rule.ports });
        }
        return c;
      });
      const found: Violation[] = [];
      if (input.withWorkload) {
        if (input.namespace !== undefined || input.selector !== undefined) found.push(violation('workload and selector', 'both', ['not both']));
        else if (!isDnsLabel(input.name ?? 'w-allow')) found.push(violation('policy name', input.name));
      } else if (input.namespace === undefined || input.selector === undefined) {
        found.push(violation('no pods', 'none', ['give workload, or namespace and selector']));
      } else {
        const ns = input.namespace === 'mesh-enabled' ? { name: 'db-ns', disabled: false } : nsFacts(input.namespace);
        if (!isDnsLabel(ns.name)) found.push(violation('namespace', ns.name));
        else if ('trustDomain' in ns && !isDnsSubdomain(ns.trustDomain)) found.push(violation('namespace trust domain', ns.trustDomain));
        const selector = input.selector;
        if (Object.keys(selector).length === 0) found.push(violation('selector', {}, ['selector {}']));
        for (const [k, v] of Object.entries(selector)) if (k.includes('*') || (typeof v === 'string' && v.includes('*'))) found.push(violation('wildcard selector', k));
        found.push(...labelViolations('selector', selector));
        if (input.name === undefined) found.push(violation('name', undefined, ['name is required']));
        else if (!isDnsLabel(input.name)) found.push(violation('name', input.name));
        if (ns.disabled) found.push(violation('namespace without injection', 'legacy', ['sidecar injection disabled']));
      }
      if (found.length === 0) {
        for (const rule of input.rules) {
          const ruleFound: Violation[] = [];
          if (rule.peers.length === 0) ruleFound.push(violation('peers', [], ['at least one peer']));
          for (const p of rule.peers) ruleFound.push(...peerViolations(p));
          ruleFound.push(...optionViolations(rule, input.withWorkload ? [{ containerPort: 80, protocol: 'http' }] : undefined));
          if (ruleFound.length > 0) {
            found.push(...ruleFound);
            break;
          }
        }
        if (found.length === 0 && input.rules.length === 0) found.push(violation('no rules', 'rules', ['has no rules']));
      }
      return { outcome, violations: found, path: 'test/policy' };
    }, { after: expectBothOutcomes });
  });
});
