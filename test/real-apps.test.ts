// The bookinfo and Online Boutique charts of the example against the manifests their projects
// publish (../shared/real-apps, read at test time when present; never copied into the project), and
// the mesh model's report on each chart: exactly the intended call graph.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { BOOKINFO_NAMESPACE, bookinfoChart } from '../example/bookinfo';
import { BOUTIQUE_CALLERS, BOUTIQUE_EGRESS_HOSTS, BOUTIQUE_NAMESPACE, onlineBoutiqueChart } from '../example/online-boutique';
import { MeshReport } from '../src';
import { validateSchemas } from './util';

// REAL_APPS_DIR points elsewhere (or nowhere, to see the skip).
const REAL_APPS = process.env.REAL_APPS_DIR ?? join(__dirname, '..', '..', 'shared', 'real-apps');
const present = existsSync(REAL_APPS);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`${REAL_APPS} not found: skipping the comparison with the published bookinfo and Online Boutique manifests.`);
}

const bookinfo = Testing.synth(bookinfoChart(new App()));
const boutique = Testing.synth(onlineBoutiqueChart(new App()));

function published(file: string): any[] {
  return parseAllDocuments(readFileSync(join(REAL_APPS, file), 'utf8')).map((d) => d.toJS()).filter((o) => o && o.kind);
}

/** What matters to the mesh about a Deployment: name, pod labels, selector, service account, container ports. */
function deploymentFacts(d: any) {
  const pod = d.spec.template;
  return {
    name: d.metadata.name,
    selector: d.spec.selector.matchLabels,
    serviceAccount: pod.spec.serviceAccountName ?? 'default',
    containerPorts: pod.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)).sort(),
  };
}

/** What matters to the mesh about a Service: name, selector, ports with their names and target ports. */
function serviceFacts(s: any) {
  return {
    name: s.metadata.name,
    selector: s.spec.selector,
    ports: s.spec.ports.map((p: any) => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port })),
  };
}

function byName<T extends { name: string }>(list: T[]): { [name: string]: T } {
  return Object.fromEntries(list.map((x) => [x.name, x]));
}

function of(objects: any[], kind: string): any[] {
  return objects.filter((o) => o.kind === kind);
}

(present ? describe : describe.skip)('the charts match the published manifests in what matters to the mesh', () => {
  // The Service Online Boutique publishes for a cloud load balancer: in the mesh the ingress gateway
  // replaces it (a LoadBalancer straight to a STRICT pod would carry plaintext the sidecar refuses).
  const NOT_REPRODUCED = new Set(['frontend-external']);

  test.each([
    ['bookinfo', 'bookinfo/bookinfo.yaml', bookinfo, BOOKINFO_NAMESPACE],
    ['online-boutique', 'online-boutique/kubernetes-manifests.yaml', boutique, BOUTIQUE_NAMESPACE],
  ])('%s: Deployments, Services and ServiceAccounts', (_app, file, ours, namespace) => {
    const theirs = published(file as string);
    const mine = ours as any[];
    // The published manifests carry no namespace (they are applied into one); ours are all in one.
    expect(theirs.filter((o) => o.metadata.namespace)).toEqual([]);
    expect([...new Set(mine.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'istio-system').map((o) => o.metadata.namespace))]).toEqual([namespace]);

    const theirDeployments = byName(of(theirs, 'Deployment').map(deploymentFacts));
    const myDeployments = byName(of(mine, 'Deployment').map(deploymentFacts));
    expect(Object.keys(myDeployments).sort()).toEqual(Object.keys(theirDeployments).sort());
    for (const [name, facts] of Object.entries(theirDeployments)) expect(myDeployments[name]).toEqual(facts);
    // Pod labels: every published label, and the same `app`/`version` pairs.
    for (const d of of(theirs, 'Deployment')) {
      const myPod = of(mine, 'Deployment').find((m) => m.metadata.name === d.metadata.name).spec.template.metadata.labels;
      expect(myPod).toMatchObject(d.spec.template.metadata.labels);
    }

    const theirServices = byName(of(theirs, 'Service').filter((s) => !NOT_REPRODUCED.has(s.metadata.name)).map(serviceFacts));
    const myServices = byName(of(mine, 'Service').map(serviceFacts));
    expect(Object.keys(myServices).sort()).toEqual(Object.keys(theirServices).sort());
    for (const [name, facts] of Object.entries(theirServices)) expect(myServices[name]).toEqual(facts);

    // One ServiceAccount per published one; `default` exists in every namespace and is not emitted.
    expect(of(mine, 'ServiceAccount').map((s) => s.metadata.name).sort()).toEqual(of(theirs, 'ServiceAccount').map((s) => s.metadata.name).sort());
  });
});

/** The app of a workload id `<namespace>/<deployment>`: bookinfo's versions share their app. */
function appOf(id: string): string {
  return id.split('/')[1].replace(/-v\d+$/, '');
}

describe('the model shows exactly the intended call graph', () => {
  test('bookinfo: productpage -> details, reviews; reviews (every version) -> ratings; everything else denied', () => {
    const allowed = new Set(['productpage->details', 'productpage->reviews', 'reviews->ratings']);
    const report = MeshReport.fromManifests(bookinfo);
    const calls = report.connections();
    expect(calls).toHaveLength(6 * 6);
    for (const c of calls) {
      const edge = `${appOf(c.from)}->${c.service.split('/')[1]}`;
      expect({ edge, from: c.from, outcome: c.outcome }).toEqual({ edge, from: c.from, outcome: allowed.has(edge) ? 'mtls' : 'denied' });
    }
    expect(calls.filter((c) => c.outcome === 'mtls').map((c) => `${c.from} -> ${c.to}`).sort()).toEqual([
      'bookinfo/productpage-v1 -> bookinfo/details-v1',
      'bookinfo/productpage-v1 -> bookinfo/reviews-v1', 'bookinfo/productpage-v1 -> bookinfo/reviews-v2', 'bookinfo/productpage-v1 -> bookinfo/reviews-v3',
      'bookinfo/reviews-v1 -> bookinfo/ratings-v1', 'bookinfo/reviews-v2 -> bookinfo/ratings-v1', 'bookinfo/reviews-v3 -> bookinfo/ratings-v1',
    ]);
    expect(report.findings()).toEqual([]);
  });

  test('Online Boutique: the published call graph, redis only from cartservice, everything else denied', () => {
    const allowed = new Set(Object.entries(BOUTIQUE_CALLERS).flatMap(([server, callers]) => callers.map((c) => `${c}->${server}`)));
    const report = MeshReport.fromManifests(boutique);
    const calls = report.connections();
    expect(calls).toHaveLength(12 * 11);
    for (const c of calls) {
      const edge = `${appOf(c.from)}->${c.service.split('/')[1]}`;
      expect({ edge, outcome: c.outcome }).toEqual({ edge, outcome: allowed.has(edge) ? 'mtls' : 'denied' });
    }
    expect(calls.filter((c) => c.service.endsWith('/redis-cart') && c.outcome === 'mtls').map((c) => c.from)).toEqual([`${BOUTIQUE_NAMESPACE}/cartservice`]);
    expect(calls.filter((c) => c.outcome === 'mtls')).toHaveLength(16);
    expect(report.findings()).toEqual([]);
  });

  test('Online Boutique egress: the services through the gateway; the load generator and redis denied there; no bypass', () => {
    const report = MeshReport.fromManifests(boutique);
    const rows = report.egress();
    expect(rows).toHaveLength(12 * BOUTIQUE_EGRESS_HOSTS.length);
    for (const r of rows) {
      const client = !['loadgenerator', 'redis-cart'].includes(appOf(r.from));
      expect({ from: r.from, host: r.host, outcome: r.outcome, via: r.via, tls: r.tls, bypassBlocked: r.bypassBlocked })
        .toEqual({ from: r.from, host: r.host, outcome: client ? 'allowed' : 'denied', via: 'egress-gateway', tls: 'passthrough', bypassBlocked: true });
      if (!client) expect(r.reason).toContain(`denied by DENY AuthorizationPolicy istio-system/egress-clients-${r.host.replace(/\./g, '-')}`);
    }
    expect([...new Set(rows.map((r) => r.host))].sort()).toEqual([...BOUTIQUE_EGRESS_HOSTS].sort());
  });

  test('both charts are schema-valid', () => {
    expect(validateSchemas([...bookinfo, ...boutique])).toMatch(/objects valid/);
  });
});
