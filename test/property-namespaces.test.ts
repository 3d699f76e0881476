/*
 * Property-based tests: namespaces and mTLS policies (MeshNamespace, MeshNamespace.fromName via
 * DefaultDeny, SidecarInjection, StrictNamespace, MeshWideMtls, PeerAuthenticationPolicy,
 * DefaultDeny). Every case is refused with an IstioSecurityError the oracle predicts, or
 * synthesizes schema-valid objects (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import fc from 'fast-check';
import {
  DefaultDeny, IMeshNamespace, MeshNamespace, MeshWideMtls, MtlsMode, PeerAuthenticationPolicy, SidecarInjection, StrictNamespace,
} from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, enumArb, expectBothOutcomes, idPath, isDnsLabel, isDnsSubdomain, isHostDomain, isPort,
  labelViolations, labelsArb, mixed, nameArb, optionalDomain, optionalName, portArb, validDomain, validLabel, validPort, violation,
} from './property-util';

announce('test/property-namespaces.test.ts');

const MTLS_MODES = Object.values(MtlsMode);

/** SidecarInjection: one of the three factories, the revision from nameArb. */
const injectionArb = fc.oneof(
  fc.constant({ kind: 'enabled' as const }),
  fc.constant({ kind: 'disabled' as const }),
  nameArb.map((revision) => ({ kind: 'revision' as const, revision })),
);
type InjectionInput = { kind: 'enabled' } | { kind: 'disabled' } | { kind: 'revision'; revision: any };

function injection(input: InjectionInput | undefined): SidecarInjection | undefined {
  if (!input) return undefined;
  return input.kind === 'enabled' ? SidecarInjection.enabled()
    : input.kind === 'disabled' ? SidecarInjection.disabled() : SidecarInjection.revision(input.revision);
}

interface MeshNamespaceInput {
  id: string; name?: any; injection?: InjectionInput; clusterDomain?: any; trustDomain?: any; labels?: { [key: string]: any };
}
const meshNamespaceArb = mixed<MeshNamespaceInput>({
  id: validLabel,
  name: fc.option(validLabel, { nil: undefined }),
  injection: fc.option(fc.oneof(fc.constant({ kind: 'enabled' as const }), fc.constant({ kind: 'disabled' as const }),
    validLabel.map((revision) => ({ kind: 'revision' as const, revision }))), { nil: undefined }),
  clusterDomain: fc.option(validDomain, { nil: undefined }),
  trustDomain: fc.option(validDomain, { nil: undefined }),
  labels: fc.option(fc.dictionary(fc.constantFrom('team', 'example.com/tier', 'app.kubernetes.io/name'), fc.constantFrom('a', 'B-1.x_y', '')), { nil: undefined }),
}, {
  id: fc.oneof({ weight: 4, arbitrary: validLabel }, { weight: 1, arbitrary: nameArb.filter((v) => typeof v === 'string' && v !== '') }),
  name: optionalName,
  injection: fc.option(injectionArb, { nil: undefined }),
  clusterDomain: optionalDomain,
  trustDomain: optionalDomain,
  labels: fc.option(labelsArb, { nil: undefined }),
});

/** What MeshNamespace refuses: names, domains, revisions and labels Kubernetes would reject. */
function meshNamespaceViolations(input: MeshNamespaceInput): Violation[] {
  const found: Violation[] = [];
  const name = input.name ?? input.id;
  if (!isDnsLabel(name)) found.push(violation('namespace name', name));
  for (const what of ['clusterDomain', 'trustDomain'] as const) {
    const domain = input[what] ?? 'cluster.local';
    if (!(what === 'clusterDomain' ? isHostDomain(domain) : isDnsSubdomain(domain))) found.push(violation(what, domain));
  }
  // Every Service host of the namespace, even a one-letter Service's, must fit DNS's 253 characters.
  const clusterDomain = input.clusterDomain ?? 'cluster.local';
  if (found.length === 0 && `a.${name}.svc.${clusterDomain}`.length > 253) found.push(violation('shortest Service host', clusterDomain, ['shortest Service host']));
  if (input.injection?.kind === 'revision' && !isDnsLabel(input.injection.revision)) {
    found.push(violation('injection revision', input.injection.revision));
  }
  found.push(...labelViolations('labels', input.labels));
  return found;
}

function meshNamespaceProps(input: MeshNamespaceInput) {
  return {
    name: input.name, injection: injection(input.injection), clusterDomain: input.clusterDomain,
    trustDomain: input.trustDomain, labels: input.labels,
  };
}

describe('property: namespaces', () => {
  test('MeshNamespace: refused iff a name, domain, revision or label is invalid; otherwise one valid Namespace', () => {
    checkProperty('MeshNamespace', meshNamespaceArb, (input) => {
      let ns: MeshNamespace | undefined;
      const outcome = attempt(() => {
        const c = chart();
        ns = new MeshNamespace(c, input.id, meshNamespaceProps(input));
        return c;
      });
      if (outcome.kind === 'ok') {
        // The Namespace carries the injection label, which wins over a user label of the same key.
        const [obj] = outcome.objects;
        expect(outcome.objects).toHaveLength(1);
        expect(obj.metadata.name).toBe(input.name ?? input.id);
        const expectedInjection = injection(input.injection) ?? SidecarInjection.enabled();
        expect(obj.metadata.labels).toEqual({ ...input.labels, ...expectedInjection.labels });
        expect(ns!.sidecarInjection).toBe(expectedInjection.injectsSidecars);
        expect(ns!.mtlsMode).toBeUndefined();
      }
      return { outcome, violations: meshNamespaceViolations(input), path: `test/${idPath(input.id)}` };
    }, { after: expectBothOutcomes });
  });

  const strictArb = mixed<{ base: MeshNamespaceInput; mtlsMode?: any; clientTls?: boolean; defaultDeny?: boolean }>({
    base: meshNamespaceArb,
    mtlsMode: fc.option(fc.constantFrom(MtlsMode.STRICT, MtlsMode.PERMISSIVE), { nil: undefined }),
    clientTls: fc.option(fc.boolean(), { nil: undefined }),
    defaultDeny: fc.option(fc.boolean(), { nil: undefined }),
  }, {
    base: meshNamespaceArb,
    mtlsMode: fc.option(enumArb(MTLS_MODES), { nil: undefined }),
    clientTls: fc.option(fc.boolean(), { nil: undefined }),
    defaultDeny: fc.option(fc.boolean(), { nil: undefined }),
  });

  test('StrictNamespace: STRICT or PERMISSIVE with injection only; Namespace, PeerAuthentication, DestinationRule, allow-nothing', () => {
    checkProperty('StrictNamespace', strictArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        new StrictNamespace(c, input.base.id, {
          ...meshNamespaceProps(input.base), mtlsMode: input.mtlsMode, clientTls: input.clientTls, defaultDeny: input.defaultDeny,
        });
        return c;
      });
      const found = meshNamespaceViolations(input.base);
      const mode = input.mtlsMode ?? MtlsMode.STRICT;
      if (mode !== MtlsMode.STRICT && mode !== MtlsMode.PERMISSIVE) found.push(violation('mtlsMode', mode));
      if (input.base.injection?.kind === 'disabled') found.push(violation('injection', 'disabled', ['sidecar injection']));
      const drHost = `*.${input.base.name ?? input.base.id}.svc.${input.base.clusterDomain ?? 'cluster.local'}`;
      if ((input.clientTls ?? true) && drHost.length > 253) found.push(violation('DestinationRule host', drHost, ['characters long']));
      if (outcome.kind === 'ok') {
        const kinds = outcome.objects.map((o) => o.kind);
        expect(kinds).toEqual(['Namespace', 'PeerAuthentication', ...(input.clientTls ?? true ? ['DestinationRule'] : []),
          ...(input.defaultDeny ? ['AuthorizationPolicy'] : [])]);
        const name = input.base.name ?? input.base.id;
        expect(outcome.objects[1].spec).toEqual({ mtls: { mode } });
        if (input.clientTls ?? true) {
          expect(outcome.objects[2].spec.host).toBe(`*.${name}.svc.${input.base.clusterDomain ?? 'cluster.local'}`);
        }
      }
      return { outcome, violations: found, path: `test/${idPath(input.base.id)}` };
    }, { after: expectBothOutcomes });
  });

  const meshWideArb = fc.record({
    rootNamespace: optionalName,
    mode: fc.option(enumArb(MTLS_MODES), { nil: undefined }),
    second: fc.option(fc.record({ rootNamespace: optionalName, sameChart: fc.boolean() }), { nil: undefined }),
  });

  test('MeshWideMtls: one per root namespace and chart; root namespace a DNS label; a known mode', () => {
    checkProperty('MeshWideMtls', meshWideArb, (input) => {
      let path = 'test/mesh';
      const outcome = attempt(() => {
        const c = chart();
        new MeshWideMtls(c, 'mesh', { rootNamespace: input.rootNamespace, mode: input.mode });
        if (!input.second) return c;
        path = input.second.sameChart ? 'test/second' : 'other/second';
        const c2 = input.second.sameChart ? c : chart('other');
        new MeshWideMtls(c2, 'second', { rootNamespace: input.second.rootNamespace });
        return [...new Set([c, c2])];
      });
      const found: Violation[] = [];
      const root = input.rootNamespace ?? 'istio-system';
      if (!isDnsLabel(root)) found.push(violation('rootNamespace', root));
      const mode = input.mode ?? MtlsMode.STRICT;
      if (!MTLS_MODES.includes(mode)) found.push(violation('mode', mode));
      if (found.length === 0 && input.second) {
        const root2 = input.second.rootNamespace ?? 'istio-system';
        if (!isDnsLabel(root2)) found.push(violation('rootNamespace', root2));
        else if (input.second.sameChart && root2 === root) found.push(violation('second mesh-wide policy', root2, ['test/mesh']));
      } else {
        path = 'test/mesh';
      }
      if (outcome.kind === 'ok') {
        for (const pa of outcome.objects) {
          expect(pa.kind).toBe('PeerAuthentication');
          expect(pa.spec.selector).toBeUndefined();
        }
      }
      return { outcome, violations: found, path };
    }, { after: expectBothOutcomes });
  });

  const overrideArb = fc.record({ port: fc.oneof(fc.constantFrom(80, 8080, 9090), portArb), mode: enumArb(MTLS_MODES) });
  const selectorArb = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 5, arbitrary: labelsArb.filter((l) => Object.keys(l).length > 0) },
  );
  interface PeerAuthInput { namespace: any; name?: any; mode?: any; selector?: any; portOverrides?: { port: any; mode: any }[] }
  const peerAuthArb = mixed<PeerAuthInput>({
    namespace: validLabel,
    name: fc.option(validLabel, { nil: undefined }),
    mode: fc.option(fc.constantFrom(...MTLS_MODES), { nil: undefined }),
    selector: fc.option(fc.constant({ app: 'httpbin' }), { nil: undefined }),
    portOverrides: fc.option(fc.uniqueArray(fc.record({ port: validPort, mode: fc.constantFrom(...MTLS_MODES) }), { selector: (o) => o.port, maxLength: 3 }), { nil: undefined }),
  }, {
    namespace: nameArb,
    name: optionalName,
    mode: fc.option(enumArb(MTLS_MODES), { nil: undefined }),
    selector: selectorArb,
    portOverrides: fc.option(fc.array(overrideArb, { maxLength: 4 }), { nil: undefined }),
  });

  test('PeerAuthenticationPolicy: names, mode, selector labels; port overrides only with a selector, valid and unique', () => {
    checkProperty('PeerAuthenticationPolicy', peerAuthArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        new PeerAuthenticationPolicy(c, 'pa', input as any);
        return c;
      });
      const found: Violation[] = [];
      if (!isDnsLabel(input.namespace)) found.push(violation('namespace', input.namespace));
      const name = input.name ?? 'default';
      if (!isDnsLabel(name)) found.push(violation('name', name));
      const mode = input.mode ?? MtlsMode.STRICT;
      if (!MTLS_MODES.includes(mode)) found.push(violation('mode', mode));
      if (input.selector && Object.keys(input.selector).length === 0) found.push(violation('selector', {}, ['{}']));
      found.push(...labelViolations('selector', input.selector));
      const seen = new Set<unknown>();
      for (const o of input.portOverrides ?? []) {
        if (!input.selector) found.push(violation('port override without selector', o.port, ['selector']));
        if (!isPort(o.port)) found.push(violation('port', o.port));
        if (!MTLS_MODES.includes(o.mode)) found.push(violation('port mode', o.mode));
        if (seen.has(o.port)) found.push(violation('duplicate port', o.port));
        seen.add(o.port);
      }
      if (outcome.kind === 'ok') {
        const spec = outcome.objects[0].spec;
        const overrides = input.portOverrides ?? [];
        expect(Object.keys(spec.portLevelMtls ?? {}).map(Number)).toEqual(overrides.map((o) => o.port).sort((a, b) => a - b));
      }
      return { outcome, violations: found, path: 'test/pa' };
    }, { after: expectBothOutcomes });
  });

  test('one object per kind/namespace/name in a chart: a second PeerAuthentication or allow-nothing is refused, naming the first', () => {
    const itemArb = fc.record({
      kind: fc.constantFrom('pa', 'deny', 'strict'),
      namespace: fc.constantFrom('a', 'b'),
      name: fc.constantFrom('default', 'allow-nothing', 'x'),
    });
    checkProperty('object identity claims', fc.array(itemArb, { minLength: 1, maxLength: 5 }), (items) => {
      const claimed = new Map<string, number>();
      let predictedIndex = -1;
      let holder = -1;
      items.forEach((item, index) => {
        if (predictedIndex >= 0) return;
        const keys = item.kind === 'pa' ? [`PeerAuthentication/${item.namespace}/${item.name}`]
          : item.kind === 'deny' ? [`AuthorizationPolicy/${item.namespace}/${item.name}`]
            : [`Namespace//${item.namespace}`, `PeerAuthentication/${item.namespace}/default`, `DestinationRule/${item.namespace}/default`,
              `AuthorizationPolicy/${item.namespace}/allow-nothing`];
        const clash = keys.find((k) => claimed.has(k));
        if (clash) {
          predictedIndex = index;
          holder = claimed.get(clash)!;
          return;
        }
        for (const k of keys) claimed.set(k, index);
      });
      const outcome = attempt(() => {
        const c = chart();
        items.forEach((item, index) => {
          if (item.kind === 'pa') new PeerAuthenticationPolicy(c, `i${index}`, { namespace: item.namespace, name: item.name });
          else if (item.kind === 'deny') new DefaultDeny(c, `i${index}`, { namespace: MeshNamespace.fromName(item.namespace), name: item.name });
          else new StrictNamespace(c, `i${index}`, { name: item.namespace, defaultDeny: true });
        });
        return c;
      });
      const found = predictedIndex < 0 ? [] : [violation('claimed', holder, [`test/i${holder}`])];
      return { outcome, violations: found, path: predictedIndex < 0 ? 'test' : `test/i${predictedIndex}` };
    }, { after: expectBothOutcomes });
  });

  const namespaceRefArb = fc.oneof(
    fc.record({ kind: fc.constant('ref' as const), name: nameArb }),
    fc.record({ kind: fc.constantFrom('strict' as const, 'mesh' as const, 'mesh-disabled' as const), name: validLabel }),
  );

  test('DefaultDeny: a DNS-label namespace with sidecar injection, a DNS-label name; an empty ALLOW policy', () => {
    checkProperty('DefaultDeny', fc.record({ namespace: namespaceRefArb, name: optionalName }), (input) => {
      const outcome = attempt(() => {
        const c = chart();
        let ns: IMeshNamespace;
        if (input.namespace.kind === 'ref') ns = MeshNamespace.fromName(input.namespace.name);
        else if (input.namespace.kind === 'strict') ns = new StrictNamespace(c, 'ns', { name: input.namespace.name });
        else ns = new MeshNamespace(c, 'ns', { name: input.namespace.name, injection: input.namespace.kind === 'mesh' ? undefined : SidecarInjection.disabled() });
        new DefaultDeny(c, 'deny', { namespace: ns, name: input.name });
        return c;
      });
      const found: Violation[] = [];
      if (!isDnsLabel(input.namespace.name)) found.push(violation('namespace', input.namespace.name));
      const name = input.name ?? 'allow-nothing';
      if (!isDnsLabel(name)) found.push(violation('name', name));
      if (input.namespace.kind === 'mesh-disabled') found.push(violation('injection', 'disabled', ['sidecar injection disabled']));
      if (input.namespace.name === 'istio-system') found.push(violation('root namespace', 'istio-system'));
      if (outcome.kind === 'ok') {
        const policy = outcome.objects.find((o) => o.kind === 'AuthorizationPolicy');
        expect(policy).toMatchObject({ metadata: { name, namespace: input.namespace.name }, spec: {} });
      }
      return { outcome, violations: found, path: 'test/deny' };
    }, { after: expectBothOutcomes });
  });

  test('SidecarInjection value objects: labels and flags follow the factory', () => {
    fc.assert(fc.property(fc.string(), (revision) => {
      const r = SidecarInjection.revision(revision);
      expect([r.injectsSidecars, r.labels, r.revisionName]).toEqual([true, { 'istio.io/rev': revision }, revision]);
      expect([SidecarInjection.enabled().labels, SidecarInjection.disabled().injectsSidecars]).toEqual([{ 'istio-injection': 'enabled' }, false]);
    }), { numRuns: 50 });
  });

  test('MeshNamespace.fromName: the reference carries the defaults and nothing is validated before use', () => {
    fc.assert(fc.property(nameArb, optionalDomain, (name, trustDomain) => {
      const ref = MeshNamespace.fromName(name, { trustDomain });
      expect(ref).toEqual({ name, sidecarInjection: false, clusterDomain: 'cluster.local', trustDomain: trustDomain ?? 'cluster.local', mtlsMode: undefined });
    }), { numRuns: 50 });
  });
});
