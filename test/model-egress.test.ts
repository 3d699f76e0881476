// The mesh model's egress paths for the example's B1-B4 routes and the B5 lock-down.
import { App, Chart, Testing } from 'cdk8s';
import { egressLockdownChart } from '../example/authz-charts';
import { httpEgressChart, mtlsOriginationChart, tlsOriginationChart, tlsPassthroughChart } from '../example/egress-charts';
import { EgressRow, findFindings, MeshModel } from '../src/model';
import { deployment, destinationRule, namespace } from './model-fixtures';

/** B5's egress lock-down NetworkPolicy for `default`, where the charts' `sleep` client runs. */
function lockdownPolicy(): any[] {
  return egressLockdownChart(Testing.app()).toJson().filter((o: any) => o.kind === 'NetworkPolicy');
}

/** A route chart (with its own client) and, when asked, B5's lock-down. */
function route(chart: (app: App) => Chart, lockdown: boolean, extra: any[] = []): MeshModel {
  return MeshModel.of([...chart(Testing.app()).toJson(), ...(lockdown ? lockdownPolicy() : []), ...extra]);
}

function row(m: MeshModel, from: string, host: string, port: number): EgressRow {
  const rows = [...m.egress()].filter((e) => e.from === from && e.host === host && e.port === port);
  if (rows.length !== 1) throw new Error(`expected one egress row ${from} -> ${host}:${port}, found ${rows.length}`);
  return rows[0];
}

describe('B1: HTTP through the egress gateway', () => {
  test('port 80 goes through the gateway in plaintext; 443 (a direct port) goes straight out', () => {
    const m = route(httpEgressChart, true);
    expect(row(m, 'default/sleep', 'edition.cnn.com', 80)).toMatchObject({ via: 'egress-gateway', tls: 'none', bypassBlocked: true });
    expect(row(m, 'default/sleep', 'edition.cnn.com', 80).reason).toBe(
      'sidecar -> egress gateway istio-egressgateway.istio-system:80 subset edition-cnn-com (auto mTLS, VirtualService default/edition-cnn-com) '
      + '-> edition.cnn.com:80 (Gateway default/edition-cnn-com); plaintext from the gateway to the host; NetworkPolicy default/egress-lockdown blocks any bypass; '
      + 'NetworkPolicy lets it reach the egress gateway pods (not in the input: taken as Istio\'s chart makes them, in istio-system with labels '
      + 'app=istio-egressgateway, istio=egressgateway, ports 80->8080, 443->8443)');
    const direct = row(m, 'default/sleep', 'edition.cnn.com', 443);
    expect(direct).toMatchObject({ via: 'direct', tls: 'passthrough', bypassBlocked: true });
    expect(direct.reason).toContain('blocks direct connections, so this call fails');
    expect(findFindings(m)).toEqual([]);
  });

  test('without the lock-down the gateway can be bypassed: a finding naming the route and the client', () => {
    const m = route(httpEgressChart, false);
    expect(row(m, 'default/sleep', 'edition.cnn.com', 80)).toMatchObject({ via: 'egress-gateway', bypassBlocked: false });
    const findings = findFindings(m);
    expect(findings.map((f) => f.rule)).toEqual(['egress-gateway-bypass']);
    expect(findings[0].resources.map((r) => `${r.ref.kind} ${r.ref.namespace}/${r.ref.name}`)).toEqual([
      'VirtualService default/edition-cnn-com', 'Deployment default/sleep',
    ]);
  });
});

test('B2: the app\'s TLS passes through the gateway', () => {
  const m = route(tlsPassthroughChart, true);
  expect(row(m, 'default/sleep', 'edition.cnn.com', 443)).toMatchObject({ via: 'egress-gateway', tls: 'passthrough', bypassBlocked: true });
});

test('B3: the gateway originates TLS to port 443', () => {
  const m = route(tlsOriginationChart, true);
  const r = row(m, 'default/sleep', 'edition.cnn.com', 80);
  expect(r).toMatchObject({ via: 'egress-gateway', tls: 'originated', bypassBlocked: true });
  expect(r.reason).toContain('-> edition.cnn.com:443 (Gateway default/edition-cnn-com); TLS originated by the gateway '
    + '(DestinationRule istio-system/originate-tls-for-edition-cnn-com SIMPLE)');
  // The origination rule is exported to istio-system only: a sidecar calling 443 itself does not originate.
  expect(row(m, 'default/sleep', 'edition.cnn.com', 443)).toMatchObject({ via: 'direct', tls: 'passthrough' });
});

test('B4: the gateway originates mutual TLS to a Service outside the mesh', () => {
  const m = route(mtlsOriginationChart, true);
  const r = row(m, 'default/sleep', 'my-nginx.mesh-external.svc.cluster.local', 80);
  expect(r).toMatchObject({ via: 'egress-gateway', tls: 'mutual-originated', bypassBlocked: true });
  expect(r.reason).toContain('(mTLS, VirtualService default/my-nginx-mesh-external-svc-cluster-local)');
  expect(r.reason).toContain('credential client-credential');
  // nginx itself is not a client of its own host.
  expect([...m.egress()].map((e) => e.from)).toEqual(['default/sleep']);
  expect(findFindings(m)).toEqual([]);
});

describe('B5: the lock-down', () => {
  test('only pods of the locked-down namespace are blocked; a client without a sidecar bypasses the route', () => {
    const m = route(httpEgressChart, true, [
      namespace('team'), deployment('team', 'worker'),
      namespace('legacy', { 'istio-injection': 'disabled' }), deployment('legacy', 'batch'),
    ]);
    expect(row(m, 'team/worker', 'edition.cnn.com', 80)).toMatchObject({ via: 'egress-gateway', bypassBlocked: false });
    expect(row(m, 'legacy/batch', 'edition.cnn.com', 80)).toMatchObject({ via: 'direct', tls: 'none', bypassBlocked: false });
    expect(row(m, 'legacy/batch', 'edition.cnn.com', 80).reason).toContain('ignoring VirtualService default/edition-cnn-com');
    const [finding] = findFindings(m);
    expect(finding).toMatchObject({ rule: 'egress-gateway-bypass', count: 2 });
    expect(finding.resources.map((r) => r.ref.name)).toEqual(['edition-cnn-com', 'batch', 'worker']);
  });

  test('an ipBlock to the Internet reopens the bypass; one limited to private ranges does not', () => {
    const np = (cidr: string) => ({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'extra', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr } }] }] },
    });
    expect(row(route(httpEgressChart, true, [np('0.0.0.0/0')]), 'default/sleep', 'edition.cnn.com', 80).bypassBlocked).toBe(false);
    expect(row(route(httpEgressChart, true, [np('10.0.0.0/8')]), 'default/sleep', 'edition.cnn.com', 80).bypassBlocked).toBe(true);
  });
});

test('a sidecar that originates TLS itself (DestinationRule SIMPLE, no gateway route)', () => {
  const se = {
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'api', namespace: 'default' },
    spec: { hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' },
  };
  const dr = destinationRule('default', 'api', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE' } } });
  const sleepOnly = egressLockdownChart(Testing.app()).toJson().filter((o: any) => ['ServiceAccount', 'Deployment'].includes(o.kind));
  const m = MeshModel.of([...sleepOnly, se, dr]);
  expect(row(m, 'default/sleep', 'api.example.com', 80)).toMatchObject({ via: 'direct', tls: 'originated', bypassBlocked: false });
  expect(findFindings(m)).toEqual([]);
});

describe('egress pairs, target by target and class by class, stand for every row once', () => {
  /** Per path (host:port, via, TLS, bypass), how many rows and from which namespaces. */
  function byPath(entries: Iterable<{ host: string; port: number; via: string; tls: string; bypassBlocked: boolean; count: number; namespaces: Iterable<string> }>) {
    const paths = new Map<string, { count: number; namespaces: Set<string> }>();
    for (const e of entries) {
      const key = `${e.host}:${e.port}|${e.via}|${e.tls}|${e.bypassBlocked}`;
      const p = paths.get(key) ?? { count: 0, namespaces: new Set<string>() };
      p.count += e.count;
      for (const ns of e.namespaces) p.namespaces.add(ns);
      paths.set(key, p);
    }
    return paths;
  }

  test.each([
    ['B1 with locked-down, open and sidecar-less namespaces', () => route(httpEgressChart, true, [
      namespace('team'), deployment('team', 'worker'), deployment('team', 'cron'),
      namespace('legacy', { 'istio-injection': 'disabled' }), deployment('legacy', 'batch'),
      namespace('edge'), deployment('edge', 'proxy'), destinationRule('edge', 'direct-tls', { host: 'edition.cnn.com', trafficPolicy: { tls: { mode: 'SIMPLE' } } }),
    ])],
    ['B4, whose host is a Service with pods of its own', () => route(mtlsOriginationChart, false, [namespace('team'), deployment('team', 'worker')])],
  ])('%s', (_, build) => {
    const m = build();
    const rows = [...m.egress()].map((r) => ({ ...r, count: 1, namespaces: [r.from.split('/')[0]] }));
    const pairs = [...m.egressPairs()].map((p) => ({ ...p.target, ...p.verdict, count: p.count, namespaces: [...p.namespaces()] }));
    expect(byPath(pairs)).toEqual(byPath(rows));
    expect(m.egressCount()).toBe(rows.length);
    for (const p of m.egressPairs()) {
      const members = [...p.groups()].flatMap((g) => g.members).filter((w) => !p.target.pods.includes(w));
      expect(members).toHaveLength(p.count);
      expect(members[0]).toBe(p.example);
    }
  });
});
