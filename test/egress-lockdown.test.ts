import { AppProtocol, EgressDestination, EgressGateway, EgressLockdown, MeshNamespace, MeshWorkload, StrictNamespace } from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

const inNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

describe('EgressLockdown', () => {
  test('defaults: only the egress gateway pods, DNS, istiod and the own namespace are reachable', () => {
    const chart = newChart();
    const lockdown = new EgressLockdown(chart, 'lockdown', {
      namespace: MeshNamespace.fromName('default', { sidecarInjection: true }),
      egressGateway: EgressGateway.istio(),
    });
    const policy = only(valid(synth(chart)), 'NetworkPolicy');

    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy.metadata).toEqual({ name: 'egress-lockdown', namespace: 'default' });
    expect(policy.spec.podSelector).toEqual({});
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    expect(policy.spec.ingress).toBeUndefined();
    expect(policy.spec.egress).toEqual([
      {
        // The gateway pods' target ports, not the Service's 80/443.
        to: [{ ...inNamespace('istio-system'), podSelector: { matchLabels: { istio: 'egressgateway' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }],
      },
      {
        to: [{ ...inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      },
      {
        to: [{ ...inNamespace('istio-system'), podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ port: 15012, protocol: 'TCP' }],
      },
      // Same namespace: a pod selector without a namespace selector, every port.
      { to: [{ podSelector: {} }], ports: [] },
    ]);
    expect([lockdown.name, lockdown.namespace]).toEqual(['egress-lockdown', 'default']);
  });

  test('a custom gateway, DNS and control plane; in-mesh destinations; no same-namespace rule', () => {
    const chart = newChart();
    const apps = new StrictNamespace(chart, 'apps');
    const data = new StrictNamespace(chart, 'data');
    const db = new MeshWorkload(chart, 'db', {
      namespace: data,
      image: 'postgres',
      ports: [{ port: 5432, protocol: AppProtocol.TCP }, { port: 9187, containerPort: 9100, protocol: AppProtocol.HTTP }],
    });
    const lockdown = new EgressLockdown(chart, 'lockdown', {
      namespace: apps,
      name: 'only-via-gateway',
      egressGateway: EgressGateway.istio({
        namespace: 'egress',
        selector: { app: 'egress-gw', istio: 'egressgateway' },
        ports: [{ port: 443, targetPort: 8443 }, { port: 80, targetPort: 8080 }, { port: 8443 }],
      }),
      dns: { namespace: 'dns', selector: { app: 'coredns' }, port: 5353 },
      controlPlane: { namespace: 'istio-control', selector: { app: 'istiod', 'istio.io/rev': 'canary' }, ports: [15012, 15010] },
      allowSameNamespace: false,
      destinations: [EgressDestination.namespace(MeshNamespace.fromName('shared'))],
    });
    lockdown.allowTo(EgressDestination.workload(db));
    const policy = only(valid(synth(chart)), 'NetworkPolicy');

    expect(policy.metadata).toEqual({ name: 'only-via-gateway', namespace: 'apps' });
    expect(policy.spec.egress).toEqual([
      {
        to: [{ ...inNamespace('egress'), podSelector: { matchLabels: { app: 'egress-gw', istio: 'egressgateway' } } }],
        // One entry per distinct target port.
        ports: [{ port: 8443, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }],
      },
      {
        to: [{ ...inNamespace('dns'), podSelector: { matchLabels: { app: 'coredns' } } }],
        ports: [{ port: 5353, protocol: 'UDP' }, { port: 5353, protocol: 'TCP' }],
      },
      {
        to: [{ ...inNamespace('istio-control'), podSelector: { matchLabels: { 'app': 'istiod', 'istio.io/rev': 'canary' } } }],
        ports: [{ port: 15012, protocol: 'TCP' }, { port: 15010, protocol: 'TCP' }],
      },
      { to: [{ ...inNamespace('shared'), podSelector: {} }], ports: [] },
      {
        // The workload's container ports: sidecars connect to pod endpoints.
        to: [{ ...inNamespace('data'), podSelector: { matchLabels: { app: 'db' } } }],
        ports: [{ port: 5432, protocol: 'TCP' }, { port: 9100, protocol: 'TCP' }],
      },
    ]);
  });

  test('two namespaces locked down against one gateway in one chart', () => {
    const chart = newChart();
    const gateway = EgressGateway.istio();
    for (const name of ['team-a', 'team-b']) {
      new EgressLockdown(chart, name, { namespace: MeshNamespace.fromName(name), egressGateway: gateway });
    }
    const objects = valid(synth(chart));
    expect(objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['team-a/egress-lockdown', 'team-b/egress-lockdown']);
  });

  describe('refuses', () => {
    const gateway = EgressGateway.istio();
    const lockdown = (props: Partial<ConstructorParameters<typeof EgressLockdown>[2]> = {}) =>
      new EgressLockdown(newChart(), 'lockdown', { namespace: MeshNamespace.fromName('default'), egressGateway: gateway, ...props });

    test('the egress gateway\'s own namespace', () => {
      expect(refusal(() => lockdown({ namespace: MeshNamespace.fromName('istio-system') })).message).toBe('test/lockdown: namespace "istio-system" '
        + 'is the egress gateway\'s own namespace, which must keep reaching the outside: lock down application namespaces only.');
      expect(refusal(() => lockdown({ namespace: MeshNamespace.fromName('egress'), egressGateway: EgressGateway.istio({ namespace: 'egress' }) })).message)
        .toMatch(/namespace "egress" is the egress gateway's own namespace/);
    });

    test('the control plane\'s and the DNS namespace', () => {
      expect(refusal(() => lockdown({ namespace: MeshNamespace.fromName('istiod-ns'), controlPlane: { namespace: 'istiod-ns' } })).message)
        .toMatch(/namespace "istiod-ns" is the control plane's namespace: istiod must reach the Kubernetes API server/);
      expect(refusal(() => lockdown({ namespace: MeshNamespace.fromName('kube-system') })).message)
        .toMatch(/namespace "kube-system" is the DNS namespace: the DNS servers must reach upstream resolvers/);
    });

    test.each([
      [{ dns: { selector: {} } }, /dns selector \{\} would select every pod of the namespace/],
      [{ controlPlane: { selector: {} } }, /controlPlane selector \{\} would select every pod/],
      [{ dns: { port: 0 } }, /dns port 0 is not a valid port/],
      [{ dns: { namespace: 'Kube_System' } }, /dns namespace "Kube_System" is not a valid DNS-1123 label/],
      [{ controlPlane: { ports: [] } }, /controlPlane ports \[\] would cut sidecars off the control plane/],
      [{ controlPlane: { ports: [15012, 15012] } }, /controlPlane port "?15012"? is given twice/],
      [{ controlPlane: { ports: [99999] } }, /controlPlane port 99999 is not a valid port/],
      [{ name: 'Lock Down' }, /name "Lock Down" is not a valid DNS-1123 label/],
      [{ namespace: MeshNamespace.fromName('Default') }, /namespace "Default" is not a valid DNS-1123 label/],
      [{ egressGateway: EgressGateway.istio({ selector: {} }) }, /egress gateway selector \{\} would select every pod/],
      [{ egressGateway: EgressGateway.istio({ ports: [{ port: 443, targetPort: 0 }] }) }, /egress gateway targetPort 0 is not a valid port/],
      [{ destinations: [EgressDestination.namespace(MeshNamespace.fromName('bad_ns'))] }, /destination namespace "bad_ns" is not a valid DNS-1123 label/],
    ])('%j', (props, message) => {
      expect(refusal(() => lockdown(props as any)).message).toMatch(message);
    });

    test('a destination twice, and a workload destination without ports', () => {
      const chart = newChart();
      const ns = MeshNamespace.fromName('apps');
      const worker = new MeshWorkload(chart, 'worker', { namespace: MeshNamespace.fromName('jobs'), image: 'busybox' });
      const l = new EgressLockdown(chart, 'lockdown', { namespace: ns, egressGateway: gateway, destinations: [EgressDestination.namespace(MeshNamespace.fromName('shared'))] });
      expect(refusal(() => l.allowTo(EgressDestination.namespace(MeshNamespace.fromName('shared')))).message)
        .toMatch(/destination namespace shared is allowed twice: allow each destination once./);
      expect(refusal(() => l.allowTo(EgressDestination.workload(worker))).message)
        .toMatch(/destination workload test\/worker serves no ports, so there is nothing to reach/);
    });

    test('two lock-downs with the same name in one namespace', () => {
      const chart = newChart();
      new EgressLockdown(chart, 'first', { namespace: MeshNamespace.fromName('apps'), egressGateway: gateway });
      expect(refusal(() => new EgressLockdown(chart, 'second', { namespace: MeshNamespace.fromName('apps'), egressGateway: gateway })).message)
        .toBe('test/second: NetworkPolicy "apps/egress-lockdown" is already emitted by test/first: give one of them another name or namespace.');
    });
  });
});
