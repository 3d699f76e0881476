/*
 * Property-based tests: EgressLockdown and EgressDestination. Every case is refused with an
 * IstioSecurityError the oracle predicts, or synthesizes a schema-valid NetworkPolicy
 * (see test/property-util.ts).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/property
 */
import fc from 'fast-check';
import { EgressDestination, EgressGateway, EgressLockdown, MeshNamespace, MeshWorkload, StrictNamespace } from '../src';
import {
  Violation, announce, attempt, chart, checkProperty, expectBothOutcomes, isDnsLabel, isPort, labelViolations, labelsArb, mixed, nameArb,
  portArb, validLabel, validPort, violation,
} from './property-util';

announce('test/property-lockdown.test.ts');

type DestinationInput = { kind: 'namespace'; name: any } | { kind: 'workload'; ports: boolean };

interface LockdownInput {
  namespace: { kind: 'ref'; name: any } | { kind: 'strict' };
  name?: any;
  gatewayNamespace?: any;
  gatewayTargetPorts?: any[];
  dns?: { namespace?: any; selector?: any; port?: any };
  controlPlane?: { namespace?: any; selector?: any; ports?: any[] };
  allowSameNamespace?: boolean;
  destinations?: DestinationInput[];
  allowTo?: DestinationInput[];
}

const validDestination: fc.Arbitrary<DestinationInput> = fc.oneof(
  fc.record({ kind: fc.constant('namespace' as const), name: fc.constantFrom('shared', 'monitoring', 'db') }),
  fc.record({ kind: fc.constant('workload' as const), ports: fc.constant(true) }),
);
const anyDestination: fc.Arbitrary<DestinationInput> = fc.oneof(
  fc.record({ kind: fc.constant('namespace' as const), name: fc.oneof(fc.constantFrom('shared', 'db'), nameArb) }),
  fc.record({ kind: fc.constant('workload' as const), ports: fc.boolean() }),
);
const validSelector = fc.constantFrom({ 'k8s-app': 'kube-dns' }, { app: 'istiod' }, { 'app.kubernetes.io/name': 'coredns', 'tier': 'dns' });
const anySelector = fc.oneof(labelsArb, fc.constantFrom<any>({}, { app: 5 }, { '': 'x' }, { app: 'a b' }));

const lockdownArb = mixed<LockdownInput>({
  namespace: fc.oneof(fc.record({ kind: fc.constant('ref' as const), name: validLabel.filter((n) => !['istio-system', 'kube-system'].includes(n)) }),
    fc.constant({ kind: 'strict' as const })),
  name: fc.option(validLabel, { nil: undefined }),
  gatewayNamespace: fc.option(fc.constantFrom('istio-egress', 'istio-system'), { nil: undefined }),
  gatewayTargetPorts: fc.option(fc.uniqueArray(validPort, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  dns: fc.option(fc.record({ namespace: fc.option(fc.constant('dns'), { nil: undefined }), selector: fc.option(validSelector, { nil: undefined }),
    port: fc.option(fc.constantFrom(53, 5353), { nil: undefined }) }), { nil: undefined }),
  controlPlane: fc.option(fc.record({ namespace: fc.option(fc.constant('istio-cp'), { nil: undefined }), selector: fc.option(validSelector, { nil: undefined }),
    ports: fc.option(fc.uniqueArray(fc.constantFrom(15012, 15010, 15017), { minLength: 1, maxLength: 2 }), { nil: undefined }) }), { nil: undefined }),
  allowSameNamespace: fc.option(fc.boolean(), { nil: undefined }),
  destinations: fc.option(fc.uniqueArray(validDestination, { selector: (d) => (d.kind === 'namespace' ? d.name : 'workload'), maxLength: 2 }), { nil: undefined }),
  allowTo: fc.option(fc.uniqueArray(validDestination, { selector: (d) => (d.kind === 'namespace' ? d.name : 'workload'), maxLength: 1 }), { nil: undefined }),
}, {
  namespace: fc.oneof(fc.record({ kind: fc.constant('ref' as const), name: fc.oneof(nameArb, fc.constantFrom('istio-system', 'kube-system', 'istio-egress')) }),
    fc.constant({ kind: 'strict' as const })),
  name: fc.option(nameArb, { nil: undefined }),
  gatewayNamespace: fc.option(fc.oneof(fc.constant('istio-egress'), nameArb), { nil: undefined }),
  gatewayTargetPorts: fc.option(fc.array(portArb, { maxLength: 3 }), { nil: undefined }),
  dns: fc.option(fc.record({ namespace: fc.option(fc.oneof(fc.constant('apps'), nameArb), { nil: undefined }), selector: fc.option(anySelector, { nil: undefined }),
    port: fc.option(portArb, { nil: undefined }) }), { nil: undefined }),
  controlPlane: fc.option(fc.record({ namespace: fc.option(fc.oneof(fc.constant('apps'), nameArb), { nil: undefined }), selector: fc.option(anySelector, { nil: undefined }),
    ports: fc.option(fc.array(fc.oneof(fc.constant(15012), portArb), { maxLength: 3 }), { nil: undefined }) }), { nil: undefined }),
  allowSameNamespace: fc.option(fc.boolean(), { nil: undefined }),
  destinations: fc.option(fc.array(anyDestination, { maxLength: 3 }), { nil: undefined }),
  allowTo: fc.option(fc.array(anyDestination, { maxLength: 2 }), { nil: undefined }),
});

function destinationKey(d: DestinationInput): string {
  return d.kind === 'namespace' ? `${d.name}/{}` : `apps/${JSON.stringify({ app: d.ports ? 'db' : 'client' })}`;
}

function lockdownViolations(input: LockdownInput): Violation[] {
  const found: Violation[] = [];
  const namespace = input.namespace.kind === 'strict' ? 'apps' : input.namespace.name;
  if (!isDnsLabel(namespace)) found.push(violation('namespace', namespace));
  const name = input.name ?? 'egress-lockdown';
  if (!isDnsLabel(name)) found.push(violation('name', name));
  const gatewayNamespace = input.gatewayNamespace ?? 'istio-system';
  if (!isDnsLabel(gatewayNamespace)) found.push(violation('egress gateway namespace', gatewayNamespace));
  const targetPorts = input.gatewayTargetPorts;
  if (targetPorts) {
    if (targetPorts.length === 0) found.push(violation('egress gateway ports', [], ['has no ports']));
    // A missing (or null) targetPort is the Service port, here 1000 + index.
    targetPorts.forEach((p, i) => {
      if (!isPort(p ?? 1000 + i)) found.push(violation('egress gateway targetPort', p));
    });
  }
  const check = (what: string, ns: any, selector: any) => {
    if (!isDnsLabel(ns)) found.push(violation(`${what} namespace`, ns));
    if (Object.keys(selector).length === 0) found.push(violation(`${what} selector`, {}, [`${what} selector {}`]));
    found.push(...labelViolations(`${what} selector`, selector));
  };
  const dnsNamespace = input.dns?.namespace ?? 'kube-system';
  check('dns', dnsNamespace, input.dns?.selector ?? { 'k8s-app': 'kube-dns' });
  const dnsPort = input.dns?.port ?? 53;
  if (!isPort(dnsPort)) found.push(violation('dns port', dnsPort));
  const cpNamespace = input.controlPlane?.namespace ?? 'istio-system';
  check('controlPlane', cpNamespace, input.controlPlane?.selector ?? { app: 'istiod' });
  const cpPorts = input.controlPlane?.ports ?? [15012];
  if (cpPorts.length === 0) found.push(violation('controlPlane ports', [], ['controlPlane ports []']));
  for (const p of cpPorts) if (!isPort(p)) found.push(violation('controlPlane port', p));
  const dup = cpPorts.find((p, i) => cpPorts.indexOf(p) !== i);
  if (dup !== undefined) found.push(violation('duplicate controlPlane port', dup));
  for (const infra of [gatewayNamespace, cpNamespace, dnsNamespace]) if (namespace === infra) found.push(violation('infrastructure namespace', infra));
  const keys = new Set<string>();
  for (const d of [...input.destinations ?? [], ...input.allowTo ?? []]) {
    if (d.kind === 'namespace' && !isDnsLabel(d.name)) found.push(violation('destination namespace', d.name));
    if (d.kind === 'workload' && !d.ports) found.push(violation('destination workload without ports', 'test/client', ['serves no ports']));
    const key = destinationKey(d);
    if (keys.has(key)) found.push(violation('destination allowed twice', d.kind === 'namespace' ? d.name : 'workload', [d.kind === 'namespace' ? `namespace ${d.name}` : 'workload test/']));
    keys.add(key);
  }
  return found;
}

describe('property: EgressLockdown', () => {
  test('refused iff a namespace, name, selector, port or destination is invalid, repeated, or locks down infrastructure; otherwise one NetworkPolicy', () => {
    checkProperty('EgressLockdown', lockdownArb, (input) => {
      const outcome = attempt(() => {
        const c = chart();
        const apps = new StrictNamespace(c, 'apps');
        const namespace = input.namespace.kind === 'strict' ? apps : MeshNamespace.fromName(input.namespace.name);
        const db = new MeshWorkload(c, 'db', { namespace: apps, image: 'redis', ports: [{ port: 6379, containerPort: 6379 }] });
        const client = new MeshWorkload(c, 'client', { namespace: apps, image: 'curl' });
        const destination = (d: DestinationInput) => (d.kind === 'namespace' ? EgressDestination.namespace(MeshNamespace.fromName(d.name))
          : EgressDestination.workload(d.ports ? db : client));
        const lockdown = new EgressLockdown(c, 'lockdown', {
          namespace,
          egressGateway: EgressGateway.istio({ namespace: input.gatewayNamespace, ports: input.gatewayTargetPorts?.map((targetPort, i) => ({ port: 1000 + i, targetPort })) }),
          name: input.name, dns: input.dns, controlPlane: input.controlPlane, allowSameNamespace: input.allowSameNamespace,
          destinations: input.destinations?.map(destination),
        });
        for (const d of input.allowTo ?? []) lockdown.allowTo(destination(d));
        return c;
      });
      if (outcome.kind === 'ok') {
        const policy = outcome.objects.find((o) => o.kind === 'NetworkPolicy');
        expect(policy.spec.policyTypes).toEqual(['Egress']);
        expect(policy.spec.podSelector).toEqual({});
        const destinations = (input.destinations?.length ?? 0) + (input.allowTo?.length ?? 0);
        expect(policy.spec.egress).toHaveLength(3 + (input.allowSameNamespace ?? true ? 1 : 0) + destinations);
      }
      return { outcome, violations: lockdownViolations(input), path: 'test/lockdown', when: 'build' };
    }, { after: expectBothOutcomes });
  });
});
