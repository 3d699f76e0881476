import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { addEgressCharts } from '../example/egress-charts';
import { ClientCredential, EgressGateway, EgressGatewayRoute, EgressMode, OriginateMtls, ServerCa } from '../src';
import { schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** 50 hosts through one gateway, every mode, some hosts on two ports, some names too long to keep. */
function fiftyRoutes(chart: Chart): EgressGatewayRoute[] {
  const egressGateway = EgressGateway.istio();
  const serverCa = ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt');
  const routes: EgressGatewayRoute[] = [];
  for (let i = 0; i < 50; i++) {
    const host = i % 10 === 9
      ? `service-${i}.a-rather-long-subdomain-that-pushes-names-past-the-limit.example.com`
      : `service-${i}.example.com`;
    switch (i % 4) {
      case 0: routes.push(new EgressGatewayRoute(chart, `http-${i}`, { egressGateway, host, mode: EgressMode.http() })); break;
      case 1: routes.push(new EgressGatewayRoute(chart, `tls-${i}`, { egressGateway, host, mode: EgressMode.tlsPassthrough() })); break;
      case 2: routes.push(new EgressGatewayRoute(chart, `origin-${i}`, { egressGateway, host, mode: EgressMode.originateTls({ serverCa }) })); break;
      default: routes.push(new OriginateMtls(chart, `mtls-${i}`, { egressGateway, host, clientCredential: ClientCredential.fromSecret(`client-${i}`) }));
    }
    // Every fifth HTTP host also goes out on 443 by passthrough, sharing its objects.
    if (i % 20 === 0) routes.push(new EgressGatewayRoute(chart, `http-${i}-tls`, { egressGateway, host, mode: EgressMode.tlsPassthrough() }));
  }
  return routes;
}

describe('50 routes on one gateway', () => {
  const chart = new Chart(Testing.app(), 'many');
  const routes = fiftyRoutes(chart);
  const objects = valid(synth(chart));

  test('every route is there, every object once', () => {
    expect(routes.length).toBeGreaterThanOrEqual(52);
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'VirtualService')).toHaveLength(50);
    expect(objects.filter((o) => o.kind === 'Gateway')).toHaveLength(50);
    expect(objects.filter((o) => o.kind === 'ServiceEntry')).toHaveLength(50);
  });

  test('object names and subsets are DNS labels of at most 63 characters', () => {
    for (const o of objects) expect(o.metadata.name).toMatch(DNS_LABEL);
    for (const o of objects) expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    const subsets = objects.filter((o) => o.kind === 'DestinationRule' && o.spec.subsets).flatMap((o) => o.spec.subsets.map((s: any) => s.name));
    expect(new Set(subsets).size).toBe(50);
    for (const s of subsets) expect(s).toMatch(DNS_LABEL);
  });

  test('no two Gateway servers share a port and host; port names are unique within each Gateway', () => {
    const gateways = objects.filter((o) => o.kind === 'Gateway');
    const serverKeys = gateways.flatMap((g) => g.spec.servers.flatMap((s: any) => s.hosts.map((h: string) => `${s.port.number}/${h}`)));
    expect(new Set(serverKeys).size).toBe(serverKeys.length);
    for (const g of gateways) {
      const names = g.spec.servers.map((s: any) => s.port.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  test('each gateway port serves either plaintext or TLS, never both', () => {
    const byPort = new Map<number, Set<string>>();
    for (const s of objects.filter((o) => o.kind === 'Gateway').flatMap((g) => g.spec.servers)) {
      const kinds = byPort.get(s.port.number) ?? new Set<string>();
      kinds.add(s.tls ? 'tls' : 'plaintext');
      byPort.set(s.port.number, kinds);
    }
    expect([...byPort.entries()].map(([port, kinds]) => [port, [...kinds].sort()]).sort()).toEqual([[443, ['tls']], [80, ['plaintext']]]);
  });

  test('every VirtualService names its own Gateway and its own subset', () => {
    const gatewayNames = new Set(objects.filter((o) => o.kind === 'Gateway').map((g) => g.metadata.name));
    for (const vs of objects.filter((o) => o.kind === 'VirtualService')) {
      expect(vs.spec.gateways).toEqual([vs.metadata.name, 'mesh']);
      expect(gatewayNames.has(vs.metadata.name)).toBe(true);
      const rules = [...(vs.spec.http ?? []), ...(vs.spec.tls ?? [])];
      for (const rule of rules.filter((r: any) => r.match[0].gateways[0] === 'mesh')) {
        expect(rule.route[0].destination.subset).toBe(vs.metadata.name);
      }
    }
  });
});

function synthToDir(build: (app: App) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'egress-synth-'));
  const app = new App({ outdir: dir });
  build(app);
  app.synth();
  return dir;
}

test('synthesizing twice gives byte-identical files (50 routes and the example charts)', () => {
  const build = (app: App) => {
    fiftyRoutes(new Chart(app, 'many'));
    addEgressCharts(app);
  };
  const dirs = [synthToDir(build), synthToDir(build)];
  try {
    const files = readdirSync(dirs[0]).sort();
    expect(files).toEqual(['b1-http-egress.k8s.yaml', 'b2-tls-passthrough.k8s.yaml', 'b3-tls-origination.k8s.yaml',
      'b4-mtls-origination.k8s.yaml', 'c-many-routes.k8s.yaml', 'many.k8s.yaml']);
    expect(readdirSync(dirs[1]).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(dirs[1], file)).equals(readFileSync(join(dirs[0], file)))).toBe(true);
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
