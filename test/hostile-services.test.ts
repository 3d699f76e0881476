/*
 * Hostile-input campaign, shared identities and adopted pods: MeshService (props, addVersion),
 * MeshServiceAccount (and fromName), AdoptedWorkload (fromSelector, fromWorkload). See
 * test/hostile-util.ts for the oracle.
 *
 *   FC_SEED=<seed> HOSTILE_RUNS=<runs> npx jest test/hostile-services.test.ts
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import fc from 'fast-check';
import {
  AdoptedWorkload, AppProtocol, ClientTlsMode, MeshNamespace, MeshService, MeshServiceAccount, MeshWorkload, MtlsMode, StrictNamespace, WorkloadIdentity,
} from '../src';
import { NamespaceDescriptor, makeNamespace, meshCaller, namespaceArb, namespaceIntent, readBoolean } from './hostile-fixtures';
import {
  Campaign, boolTraps, callOutcome, domainTraps, expectEqual, hostile, junk, labelsTraps, labelsValid, listOf, nameTraps, optional, portTraps, propsOf,
  recordOf, validDomainName, validName, workloadOf,
} from './hostile-util';

const campaign = new Campaign('test/hostile-services.test.ts');
const MODES = Object.values(MtlsMode);

const portArb = recordOf({
  port: hostile(fc.constantFrom(80, 9080, 5432), portTraps),
  containerPort: optional(fc.constantFrom(8080, 9080, 5432), portTraps),
  protocol: optional(fc.constantFrom(AppProtocol.HTTP, AppProtocol.GRPC, AppProtocol.TCP), ['HTTP', 'h2']),
});
const imageArb = hostile(fc.constantFrom('nginx:1.27', 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2'), ['', ' nginx', 'NGINX', 'a'.repeat(300)]);

/** A service account argument: one the case makes (by kind), or junk. */
type AccountDescriptor = 'ref' | 'foreign' | 'stolen-identity' | 'lookalike' | { junk: any };
const accountArb: fc.Arbitrary<AccountDescriptor> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('ref' as const) },
  { weight: 1, arbitrary: fc.constantFrom('foreign' as const, 'stolen-identity' as const, 'lookalike' as const) },
  { weight: 1, arbitrary: junk.map((value) => ({ junk: value })) },
);
function makeAccount(namespace: any, d: AccountDescriptor | unknown): any {
  if (typeof d === 'object' && d !== null && 'junk' in d) return (d as { junk: unknown }).junk;
  const name = typeof namespace?.name === 'string' ? namespace.name : 'x';
  switch (d) {
    case 'ref': return MeshServiceAccount.fromName(namespace, 'shared');
    case 'foreign': return MeshServiceAccount.fromName(MeshNamespace.fromName('elsewhere'), 'shared');
    // An account of this namespace that claims another namespace's identity.
    case 'stolen-identity': return { name: 'shared', namespace: name, identity: WorkloadIdentity.of('cluster.local', 'kube-system', 'admin') };
    case 'lookalike': return { name: 'shared', namespace: name, identity: { principal: `cluster.local/ns/${name}/sa/shared` } };
    default: return d;
  }
}

/** Whether the account descriptor gives the construct an account (junk undefined or null gives none). */
function givenAccount(d: unknown): boolean {
  if (d === undefined || d === null) return false;
  if (typeof d === 'object' && 'junk' in d) return (d as { junk: unknown }).junk !== undefined && (d as { junk: unknown }).junk !== null;
  return true;
}

/** The mode of a container port, from the version's mtls and the namespace, as a human reads them. */
function modeOf(mtls: any, d: NamespaceDescriptor, containerPort: number): string {
  const override = (mtls?.portOverrides ?? []).find((o: any) => o.port === containerPort)?.mode;
  const chartMode = d.kind === 'strict' ? 'STRICT' : d.kind === 'permissive' ? 'PERMISSIVE' : undefined;
  return [override, mtls ? mtls.mode ?? 'STRICT' : undefined, chartMode].find((m) => m !== undefined && m !== 'UNSET') ?? 'PERMISSIVE';
}

describe('hostile inputs: services, accounts, adopted pods', () => {
  const servicePropsArb = propsOf({
    name: optional(validName, nameTraps),
    ports: hostile(listOf(portArb, [], (p) => p.port), [[]]),
    serviceAccount: optional(accountArb),
    serviceAccountName: optional(validName, nameTraps),
    sidecar: optional(fc.boolean(), boolTraps),
    subsets: optional(fc.boolean(), boolTraps),
    clientTls: optional(recordOf({
      mode: optional(fc.constantFrom(ClientTlsMode.ISTIO_MUTUAL, ClientTlsMode.DISABLE), ['SIMPLE', 'istio_mutual', 5]),
      name: optional(validName, nameTraps),
    })),
  });
  test('MeshService', () => {
    campaign.property('MeshService', fc.record({ namespace: namespaceArb, props: servicePropsArb }), {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const p = input.props;
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? Object.assign(Object.getPrototypeOf(p) === null ? Object.create(null) : {}, p, { namespace },
            p.serviceAccount === undefined ? {} : { serviceAccount: makeAccount(namespace, p.serviceAccount) })
          : p;
        new MeshService(c, 'target', props);
      },
      retry: (c) => { new MeshService(c, 'target', { namespace: MeshNamespace.fromName('retried'), ports: [{ port: 80 }] }).addVersion('v1', { image: 'nginx:1.27' }); },
      probe: (c, input) => {
        // A namespace declared DISABLE under ISTIO_MUTUAL client TLS needs versions that accept mTLS
        // (addVersion refuses one without, saying so): the probe's version says PERMISSIVE then.
        const p = input.props as any;
        const acceptsMtls = namespaceIntent(input.namespace).mode === 'DISABLE' && p?.clientTls?.mode === ClientTlsMode.ISTIO_MUTUAL;
        (c.node.findChild('target') as MeshService).addVersion('v1', { image: 'nginx:1.27', ...(acceptsMtls ? { mtls: { mode: MtlsMode.PERMISSIVE } } : {}) });
        meshCaller(c);
        meshCaller(c, 'legacy', false);
      },
      modelOptions: (input) => ({ clusterDomain: namespaceIntent(input.namespace).clusterDomain }),
      intent: ({ input, model, objects, modes }) => {
        const p = input.props;
        const ns = namespaceIntent(input.namespace);
        const name = p.name ?? 'target';
        const w = workloadOf(model, `${ns.name}/${name}-v1`);
        const sidecar = readBoolean(p.sidecar) ?? ns.injects;
        expectEqual('sidecar', w.sidecar, sidecar);
        expectEqual('service account', w.serviceAccount, givenAccount(p.serviceAccount) ? 'shared' : p.serviceAccountName ?? name);
        const rule = objects.find((o) => o.kind === 'DestinationRule' && o.spec.host === `${name}.${ns.name}.svc.${ns.clusterDomain}`);
        // null, like undefined, gives no clientTls (the construct reads both as not given).
        const wantsRule = readBoolean(p.subsets) === true || (p.clientTls !== undefined && p.clientTls !== null);
        expectEqual('service DestinationRule', rule !== undefined, wantsRule);
        if (readBoolean(p.subsets)) expectEqual('subsets', rule.spec.subsets, [{ name: 'v1', labels: { version: 'v1' } }]);
        for (const port of p.ports) {
          const containerPort = port.containerPort ?? port.port;
          const mode = modeOf(undefined, input.namespace, containerPort);
          if (sidecar) expectEqual(`mode of container port ${containerPort}`, modes.modeFor(w, containerPort).mode, mode);
          const strictRule = input.namespace.kind === 'strict' || input.namespace.kind === 'permissive';
          const clientTls = p.clientTls ? p.clientTls.mode ?? (strictRule ? 'ISTIO_MUTUAL' : undefined) : undefined;
          const meshCall = !sidecar || clientTls === 'DISABLE' || (!clientTls && !strictRule && mode === 'DISABLE') ? 'plaintext' : 'mtls';
          expectEqual(`mesh caller -> port ${port.port}`, callOutcome(model, 'callers/caller', w.id, port.port), meshCall);
          expectEqual(`plaintext caller -> port ${port.port}`, callOutcome(model, 'callers/legacy', w.id, port.port), sidecar && mode === 'STRICT' ? 'rejected' : 'plaintext');
        }
      },
    }, 500);
  });

  const versionArb = fc.record({
    version: hostile(fc.constantFrom('v2', 'v3', 'canary'), ['v1', '', 'V2', 'v1/beta', '1.0', 'a'.repeat(64), '-v', 'v_1']),
    options: propsOf({
      image: imageArb,
      replicas: optional(fc.constantFrom(0, 1, 3), [-1, 1.5, '2', 2 ** 31, NaN]),
      mtls: optional(recordOf({
        mode: optional(fc.constantFrom(MtlsMode.STRICT, MtlsMode.PERMISSIVE), ['strict', 5, MtlsMode.DISABLE]),
        portOverrides: optional(listOf(recordOf({ port: hostile(fc.constantFrom(8080, 5432), [80, 9999, ...portTraps]), mode: hostile(fc.constantFrom(...MODES)) }), [], (o) => o.port)),
      })),
      sidecar: optional(fc.constant(undefined), [false, 'false', true]),
      ports: optional(fc.constant(undefined), [[{ port: 81 }]]),
      serviceAccountName: optional(fc.constant(undefined), ['other']),
    }),
  });
  test('MeshService.addVersion', () => {
    campaign.property('MeshService.addVersion', versionArb, {
      setup: (c) => {
        const service = new MeshService(c, 'reviews', {
          namespace: new StrictNamespace(c, 'shop'), subsets: true,
          ports: [{ port: 9080, containerPort: 8080 }, { port: 5432, protocol: AppProtocol.TCP }],
        });
        service.addVersion('v1', { image: 'nginx:1.27' });
        return service;
      },
      act: (_c, input, service) => { service.addVersion(input.version, input.options); },
      retry: (_c, _input, service) => { service.addVersion('v9', { image: 'nginx:1.27' }); },
      probe: (c) => { meshCaller(c); meshCaller(c, 'legacy', false); },
      intent: ({ input, model, objects }) => {
        const v = input.version;
        const w = workloadOf(model, `shop/reviews-${v}`);
        expectEqual('sidecar', w.sidecar, true);
        expectEqual('service account', w.serviceAccount, 'reviews');
        const rule = objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === 'reviews');
        expectEqual('subsets', rule.spec.subsets.map((s: any) => s.name), ['v1', v]);
        for (const [port, containerPort] of [[9080, 8080], [5432, 5432]]) {
          const mode = modeOf(input.options.mtls, { kind: 'strict' }, containerPort);
          expectEqual(`plaintext caller -> ${v}:${port}`, callOutcome(model, 'callers/legacy', w.id, port), mode === 'STRICT' ? 'rejected' : 'plaintext');
          expectEqual(`mesh caller -> ${v}:${port}`, callOutcome(model, 'callers/caller', w.id, port), 'mtls');
        }
      },
    }, 300);
  });

  test('MeshServiceAccount', () => {
    const arb = fc.record({
      namespace: namespaceArb,
      props: propsOf({ name: optional(validName, nameTraps), trustDomain: optional(validDomainName, domainTraps), labels: optional(labelsValid, labelsTraps) }),
    });
    campaign.property('MeshServiceAccount', arb, {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const p = input.props;
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? Object.assign(Object.getPrototypeOf(p) === null ? Object.create(null) : {}, p, { namespace }) : p;
        new MeshServiceAccount(c, 'target', props);
      },
      retry: (c) => { new MeshServiceAccount(c, 'target', { namespace: MeshNamespace.fromName('retried') }); },
      // Two workloads running as the account.
      probe: (c, _input, namespace) => {
        const account = c.node.findChild('target') as MeshServiceAccount;
        for (const id of ['one', 'two']) new MeshWorkload(c, id, { namespace, image: 'nginx:1.27', serviceAccount: account, ports: [{ port: 80 }] });
      },
      modelOptions: (input) => ({ clusterDomain: namespaceIntent(input.namespace).clusterDomain }),
      intent: ({ input, model, objects }) => {
        const p = input.props;
        const ns = namespaceIntent(input.namespace);
        const name = p.name ?? 'target';
        const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
        expectEqual('ServiceAccounts', accounts.map((a) => `${a.metadata.namespace}/${a.metadata.name}`), [`${ns.name}/${name}`]);
        expectEqual('labels', accounts[0].metadata.labels ?? {}, p.labels ?? {});
        for (const id of ['one', 'two']) expectEqual(`service account of ${id}`, workloadOf(model, `${ns.name}/${id}`).serviceAccount, name);
      },
    }, 250);
  });

  const selectedArb = fc.record({
    namespace: namespaceArb,
    props: propsOf({
      selector: hostile(fc.constantFrom({ app: 'legacy' }, { app: 'legacy', tier: 'db' }), [{}, ...labelsTraps]),
      serviceAccountName: optional(validName, nameTraps),
      sidecar: optional(fc.boolean(), boolTraps),
      containerPorts: optional(listOf(fc.constantFrom(8080, 9090)), portTraps),
      name: optional(validName, nameTraps),
    }),
  });
  test('AdoptedWorkload.fromSelector', () => {
    campaign.property('AdoptedWorkload.fromSelector', selectedArb, {
      setup: (c, input) => makeNamespace(c, input.namespace),
      act: (c, input, namespace) => {
        const p = input.props;
        const props = p !== null && typeof p === 'object' && !Array.isArray(p)
          ? Object.assign(Object.getPrototypeOf(p) === null ? Object.create(null) : {}, p, { namespace }) : p;
        AdoptedWorkload.fromSelector(c, 'target', props);
      },
      retry: (c) => { AdoptedWorkload.fromSelector(c, 'target', { namespace: MeshNamespace.fromName('retried'), selector: { app: 'x' } }); },
      // A policy for the pods, where a sidecar enforces one.
      probe: (c) => {
        const target = c.node.findChild('target') as AdoptedWorkload;
        if (target.sidecar) target.allowFrom(meshCaller(c));
      },
      modelOptions: (input) => ({ clusterDomain: namespaceIntent(input.namespace).clusterDomain }),
      intent: ({ input, objects }) => {
        const p = input.props;
        const ns = namespaceIntent(input.namespace);
        const sidecar = readBoolean(p.sidecar) ?? ns.injects;
        const policies = objects.filter((o) => o.kind === 'AuthorizationPolicy');
        expectEqual('policies', policies.length, sidecar ? 1 : 0);
        if (!sidecar) return;
        const policy = policies[0];
        expectEqual('policy namespace', policy.metadata.namespace, ns.name);
        expectEqual('policy selector', policy.spec.selector.matchLabels, p.selector);
        expectEqual('principals', policy.spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals)), ['cluster.local/ns/callers/sa/caller']);
      },
    }, 300);
  });

  type AdoptKind = 'deployment' | 'statefulset' | 'job' | 'no-namespace' | 'no-selector' | 'junk';
  const adoptArb = fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<AdoptKind>('deployment', 'statefulset', 'job') },
      { weight: 1, arbitrary: fc.constantFrom<AdoptKind>('no-namespace', 'no-selector', 'junk') }),
    // Labels of the adopted workload itself (the user's cdk8s-plus object): strings.
    label: fc.option(fc.constantFrom('true', 'false', 'yes', 'True', ''), { nil: undefined }),
    junk,
    options: propsOf({
      namespace: optional(fc.constantFrom('same', 'strict'), ['other', ...[MeshNamespace.fromName('Bad')]]),
      sidecar: optional(fc.boolean(), boolTraps),
    }),
  });
  function adoptable(c: Chart, input: { kind: AdoptKind; label?: any; junk: any }): any {
    if (input.kind === 'junk') return input.junk;
    const metadata = input.kind === 'no-namespace' ? {} : { namespace: 'legacy' };
    const podMetadata = input.label === undefined ? {} : { labels: { 'sidecar.istio.io/inject': input.label } };
    const containers = [{ image: 'nginx:1.27', portNumber: 8080, securityContext: { ensureNonRoot: false } }];
    switch (input.kind) {
      case 'statefulset': return new kplus.StatefulSet(c, 'pods', { metadata, podMetadata, containers, service: new kplus.Service(c, 'headless', { ports: [{ port: 80, name: 'http-web' }] }) });
      case 'job': return new kplus.Job(c, 'pods', { metadata, podMetadata, containers });
      case 'no-selector': return new kplus.Deployment(c, 'pods', { metadata, podMetadata, containers, select: false });
      default: return new kplus.Deployment(c, 'pods', { metadata, podMetadata, containers });
    }
  }
  test('AdoptedWorkload.fromWorkload', () => {
    campaign.property('AdoptedWorkload.fromWorkload', adoptArb, {
      setup: (c, input) => ({ workload: adoptable(c, input), strict: new StrictNamespace(c, 'legacy-ns', { name: 'legacy' }) }),
      act: (_c, input, { workload, strict }) => {
        const o = input.options;
        const options = o !== null && typeof o === 'object' && !Array.isArray(o)
          ? { ...o, namespace: o.namespace === 'same' ? MeshNamespace.fromName('legacy', { sidecarInjection: true }) : o.namespace === 'strict' ? strict : o.namespace === 'other' ? MeshNamespace.fromName('other') : o.namespace }
          : o;
        AdoptedWorkload.fromWorkload(workload, options);
      },
      retry: (c) => { AdoptedWorkload.fromWorkload(new kplus.Deployment(c, 'retried', { metadata: { namespace: 'legacy' }, containers: [{ image: 'nginx:1.27', securityContext: { ensureNonRoot: false } }] })); },
      probe: (c, _input, { workload }) => {
        const adopted = workload.node.findChild('MeshWorkload') as AdoptedWorkload;
        if (adopted.sidecar) adopted.allowFrom(meshCaller(c));
      },
      // The StrictNamespace's defaults deny everything its policies do not allow.
      intent: ({ input, model, objects }) => {
        const pods = objects.find((o) => o.metadata.name?.startsWith('test-pods') && ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
        const given = readBoolean(input.options?.sidecar);
        const label = pods.spec.template.metadata.labels['sidecar.istio.io/inject'];
        if (given !== undefined) expectEqual('inject label', label, String(given));
        const w = model.inventory.workloads.find((x) => x.id.startsWith('legacy/'));
        if (!w) throw new Error('the model has no adopted workload');
        const sidecar = given ?? (input.label === 'true' ? true : input.label === 'false' ? false : true);
        expectEqual('sidecar', w.sidecar, sidecar);
        if (sidecar) {
          const policy = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.spec.action !== 'DENY' && o.spec.selector);
          expectEqual('principals', policy.spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals)), ['cluster.local/ns/callers/sa/caller']);
        }
      },
    }, 200);
  });
});
