/*
 * Hostile-input campaign, namespaces and mTLS policies: MeshNamespace, SidecarInjection,
 * StrictNamespace, MeshWideMtls, PeerAuthenticationPolicy (and addPortOverride), DefaultDeny,
 * MeshNamespace.fromName. See test/hostile-util.ts for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-namespaces.test.ts
 */
import { ApiObject, Chart } from 'cdk8s';
import fc from 'fast-check';
import {
  DefaultDeny, MeshNamespace, MeshWideMtls, MeshWorkload, MtlsMode, PeerAuthenticationPolicy, SidecarInjection, StrictNamespace,
} from '../src';
import { NamespaceDescriptor, makeNamespace, meshCaller, namespaceArb, namespaceIntent, readBoolean } from './hostile-fixtures';
import {
  Campaign, recordOf, boolTraps, callOutcome, domainTraps, expectEqual, hostile, junk, labelsTraps, labelsValid, listOf, nameTraps, optional, portTraps,
  propsOf, validDomainName, validName, validPortNumber, workloadOf,
} from './hostile-util';

const campaign = new Campaign('test/hostile-namespaces.test.ts');
const MODES = Object.values(MtlsMode);
const modeTraps = ['strict', 'Strict', ' STRICT', 'STRICT ', '', 5, 'ENABLED'];

/** How sidecars are asked for: a factory, a look-alike object, or junk. */
const injectionArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('enabled', 'disabled').map((k) => ({ factory: k })) },
  { weight: 2, arbitrary: hostile(validName, nameTraps).map((revision) => ({ factory: 'revision', revision })) },
  {
    weight: 1, arbitrary: fc.constantFrom<any>(
      { lookalike: { injectsSidecars: true, labels: { 'istio-injection': 'disabled' } } },
      { lookalike: { injectsSidecars: 'false', labels: {} } },
      { lookalike: { injectsSidecars: true, labels: { 'istio-injection': 'enabled' }, revisionName: undefined } },
    ),
  },
  { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
);

function makeInjection(d: any): any {
  if (typeof d !== 'object' || d === null || !('factory' in d || 'lookalike' in d || 'junk' in d)) return d;
  if (d.factory === 'enabled') return SidecarInjection.enabled();
  if (d.factory === 'disabled') return SidecarInjection.disabled();
  if (d.factory === 'revision') return SidecarInjection.revision(d.revision);
  return d.lookalike ?? d.junk;
}

/** Whether a namespace asked for with this injection injects sidecars, as a human reads it. */
function injects(d: any): boolean {
  const value = makeInjection(d);
  if (value === undefined || value === null) return true;
  if (d.factory) return d.factory !== 'disabled';
  return readBoolean(d.lookalike?.injectsSidecars) ?? false;
}

const namespacePropsArb = {
  name: optional(validName, nameTraps),
  injection: optional(injectionArb),
  clusterDomain: optional(validDomainName, domainTraps),
  trustDomain: optional(validDomainName, domainTraps),
  labels: optional(labelsValid, labelsTraps),
};

function materialize(props: any): any {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) return props;
  const copy = Object.getPrototypeOf(props) === null ? Object.create(null) : {};
  for (const key of Object.keys(props)) copy[key] = key === 'injection' ? makeInjection(props[key]) : props[key];
  return copy;
}

/** A probe workload with the namespace's default sidecar setting and one HTTP port. */
function probe(chart: Chart, namespace: any, id = 'p', extra: object = {}): MeshWorkload {
  return new MeshWorkload(chart, id, { namespace, name: id, image: 'nginx:1.27', ports: [{ port: 80, containerPort: 8080 }], ...extra });
}

describe('hostile inputs: namespaces and mTLS policies', () => {
  test('MeshNamespace', () => {
    campaign.property('MeshNamespace', propsOf(namespacePropsArb), {
      setup: () => undefined,
      act: (c, props) => { new MeshNamespace(c, 'target', materialize(props)); },
      retry: (c) => { new MeshNamespace(c, 'target', { name: 'retried' }); },
      probe: (c) => { probe(c, c.node.findChild('target')); },
      intent: ({ input, model }) => {
        const name = (input as any)?.name ?? 'target';
        // Sidecars exactly where the namespace asked for them: hand-made labels cannot switch injection off.
        expectEqual('probe sidecar', workloadOf(model, `${name}/p`).sidecar, injects((input as any)?.injection));
      },
    }, 450);
  });

  test('StrictNamespace', () => {
    const arb = propsOf({
      ...namespacePropsArb,
      mtlsMode: optional(fc.constantFrom(...MODES), modeTraps),
      clientTls: optional(fc.boolean(), boolTraps),
      defaultDeny: optional(fc.boolean(), boolTraps),
    });
    campaign.property('StrictNamespace', arb, {
      setup: () => undefined,
      act: (c, props) => { new StrictNamespace(c, 'target', materialize(props)); },
      retry: (c) => { new StrictNamespace(c, 'target', { name: 'retried' }); },
      probe: (c) => {
        probe(c, c.node.findChild('target'));
        meshCaller(c);
        meshCaller(c, 'legacy', false);
      },
      intent: ({ input, model, modes }) => {
        const p = input as any;
        const name = p?.name ?? 'target';
        const mode = p?.mtlsMode ?? 'STRICT';
        const server = workloadOf(model, `${name}/p`);
        expectEqual('probe sidecar', server.sidecar, true);
        expectEqual('probe mode', modes.modeFor(server, 8080).mode, mode);
        const deny = readBoolean(p?.defaultDeny) === true;
        expectEqual('mesh caller', callOutcome(model, 'callers/caller', `${name}/p`, 80), deny ? 'denied' : 'mtls');
        expectEqual('plaintext caller', callOutcome(model, 'callers/legacy', `${name}/p`, 80), mode === 'STRICT' ? 'rejected' : deny ? 'denied' : 'plaintext');
        const rule = model.inventory.destinationRules.find((r) => r.ref.namespace === name && r.ref.name === 'default');
        expectEqual('client-side DestinationRule', rule !== undefined, readBoolean(p?.clientTls) ?? true);
      },
    }, 450);
  });

  test('MeshWideMtls', () => {
    const arb = propsOf({ mode: optional(fc.constantFrom(...MODES), modeTraps), rootNamespace: optional(fc.constantFrom('istio-system', 'istio-config'), nameTraps) });
    campaign.property('MeshWideMtls', arb, {
      setup: () => undefined,
      act: (c, props) => { new MeshWideMtls(c, 'target', props); },
      retry: (c) => { new MeshWideMtls(c, 'target', { rootNamespace: 'retried' }); },
      probe: (c) => { probe(c, new MeshNamespace(c, 'plain')); },
      modelOptions: (input: any) => ({ rootNamespace: input?.rootNamespace ?? 'istio-system' }),
      intent: ({ input, model, modes }) => {
        const mode = (input as any)?.mode ?? 'STRICT';
        expectEqual('mode of a workload without policies of its own', modes.modeFor(workloadOf(model, 'plain/p'), 8080).mode, mode === 'UNSET' ? 'PERMISSIVE' : mode);
      },
      allowedFindings: [],
    }, 250);
  });

  const overrideArb = recordOf({ port: hostile(fc.constantFrom(8080, 9090, 15090), portTraps), mode: hostile(fc.constantFrom(...MODES), modeTraps) });
  test('PeerAuthenticationPolicy', () => {
    const arb = propsOf({
      namespace: hostile(fc.constantFrom('shop', 'db'), nameTraps),
      name: optional(validName, nameTraps),
      mode: optional(fc.constantFrom(...MODES), modeTraps),
      selector: optional(fc.constantFrom({ app: 'probe' }, { app: 'probe', version: 'v1' }), [{}, ...labelsTraps]),
      portOverrides: optional(listOf(overrideArb, [], (o) => o.port)),
    });
    campaign.property('PeerAuthenticationPolicy', arb, {
      setup: () => undefined,
      act: (c, props) => { new PeerAuthenticationPolicy(c, 'target', props); },
      retry: (c) => { new PeerAuthenticationPolicy(c, 'target', { namespace: 'retried' }); },
      probe: (c, props: any) => { rawWorkload(c, props.namespace, [8080, 9090, 15090, 7070]); },
      intent: ({ input, model, modes }) => {
        const p = input as any;
        const w = workloadOf(model, `${p.namespace}/probe`);
        const policyMode = p.mode ?? 'STRICT';
        const podLabels: { [k: string]: string } = { 'app': 'probe', 'version': 'v1', 'sidecar.istio.io/inject': 'true' };
        const selects = !p.selector || Object.entries(p.selector).every(([k, v]) => podLabels[k] === v);
        for (const port of [8080, 9090, 15090, 7070]) {
          const own = p.selector ? (p.portOverrides ?? []).find((o: any) => o.port === port)?.mode : undefined;
          const expected = selects ? [own, policyMode].find((m) => m !== undefined && m !== 'UNSET') ?? 'PERMISSIVE' : 'PERMISSIVE';
          expectEqual(`mode of port ${port}`, modes.modeFor(w, port).mode, expected);
        }
      },
    }, 400);
  });

  test('PeerAuthenticationPolicy.addPortOverride', () => {
    const arb = fc.record({ port: hostile(validPortNumber, portTraps), mode: hostile(fc.constantFrom(...MODES), modeTraps) });
    campaign.property('PeerAuthenticationPolicy.addPortOverride', arb, {
      setup: (c) => new PeerAuthenticationPolicy(c, 'policy', { namespace: 'shop', selector: { app: 'probe' }, portOverrides: [{ port: 9999, mode: MtlsMode.DISABLE }] }),
      act: (_c, input, policy) => policy.addPortOverride(input.port, input.mode),
      retry: (_c, _input, policy) => policy.addPortOverride(9998, MtlsMode.PERMISSIVE),
      probe: (c, input) => { rawWorkload(c, 'shop', [typeof input.port === 'number' ? input.port : 1, 9999]); },
      intent: ({ input, model, modes }) => {
        const w = workloadOf(model, 'shop/probe');
        expectEqual(`mode of port ${input.port}`, modes.modeFor(w, input.port).mode, input.mode === 'UNSET' ? 'STRICT' : input.mode);
        expectEqual('mode of port 9999', modes.modeFor(w, 9999).mode, 'DISABLE');
      },
    }, 200);
  });

  test('DefaultDeny', () => {
    const arb = fc.record({ namespace: namespaceArb, name: optional(validName, nameTraps), shape: fc.constantFrom('props', 'props', 'props', 'null', 'extra') });
    campaign.property('DefaultDeny', arb, {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const props: any = input.shape === 'null' ? null : { namespace, name: input.name, ...(input.shape === 'extra' ? { selector: { app: 'x' } } : {}) };
        new DefaultDeny(c, 'target', props);
      },
      retry: (c) => { new DefaultDeny(c, 'target', { namespace: MeshNamespace.fromName('retried') }); },
      probe: (c, _input, namespace) => {
        probe(c, namespace, 'p', { sidecar: true });
        meshCaller(c);
      },
      intent: ({ input, model }) => {
        const ns = namespaceIntent(input.namespace as NamespaceDescriptor);
        // Every call into the namespace is denied once allow-nothing is there.
        expectEqual('call into the closed namespace', callOutcome(model, 'callers/caller', `${ns.name}/p`, 80), 'denied');
      },
    }, 300);
  });
});

/** A plain Deployment (not a MeshWorkload) with the pod labels PeerAuthenticationPolicy selects and a sidecar. */
function rawWorkload(chart: Chart, namespace: string, ports: number[]): void {
  new ApiObject(chart, 'probe', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe', namespace },
    spec: {
      selector: { matchLabels: { app: 'probe' } },
      template: {
        metadata: { labels: { 'app': 'probe', 'version': 'v1', 'sidecar.istio.io/inject': 'true' } },
        spec: { containers: [{ name: 'probe', image: 'nginx:1.27', ports: [...new Set(ports)].map((containerPort) => ({ containerPort })) }] },
      },
    },
  });
}
