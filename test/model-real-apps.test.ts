// Manifests nobody on this project wrote: Istio's bookinfo sample and Google's Online Boutique, as
// their projects publish them (read from ../shared/real-apps/ when it is there; never copied into
// the project), with the namespace declaration a user gives on the command line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findFindings, loadManifests, MeshModel } from '../src/model';
import { call, ROOT } from './model-fixtures';

const APPS = join(ROOT, '..', 'shared', 'real-apps');
const present = existsSync(join(APPS, 'bookinfo', 'bookinfo.yaml')) && existsSync(join(APPS, 'online-boutique', 'network-policies.yaml'));
if (!present) console.log(`test/model-real-apps.test.ts: skipped: ${APPS} (bookinfo, online-boutique) is not there`);
const whenPresent = present ? describe : describe.skip;
const INJECTED = { namespaceLabels: { default: { 'istio-injection': 'enabled' } } };

whenPresent('bookinfo', () => {
  test('alone: the namespace is assumed unlabelled, and the report says so', () => {
    const m = new MeshModel(loadManifests([join(APPS, 'bookinfo', 'bookinfo.yaml')]));
    expect(m.workloads().filter((w) => w.sidecar)).toEqual([]);
    expect(m.namespaceAssumptions).toEqual([expect.objectContaining({ name: 'default', source: 'assumed', labels: {} })]);
  });

  test('in an injected namespace: six workloads with sidecars, every call mTLS, nothing not modelled, no findings', () => {
    const m = new MeshModel(loadManifests([join(APPS, 'bookinfo', 'bookinfo.yaml')]), INJECTED);
    expect(m.workloads().map((w) => `${w.id} ${w.sidecar} ${w.serviceAccount}`)).toEqual([
      'default/details-v1 true bookinfo-details', 'default/productpage-v1 true bookinfo-productpage', 'default/ratings-v1 true bookinfo-ratings',
      'default/reviews-v1 true bookinfo-reviews', 'default/reviews-v2 true bookinfo-reviews', 'default/reviews-v3 true bookinfo-reviews',
    ]);
    expect(m.outcomeCounts()).toEqual({ mtls: 36, plaintext: 0, rejected: 0, denied: 0, failed: 0, blocked: 0 });
    expect(call(m, 'default/productpage-v1', 'default/reviews-v2', 9080).reason)
      .toBe('auto mTLS (server has a sidecar); server PERMISSIVE (no PeerAuthentication: Istio\'s default)');
    expect(m.notModelled).toEqual([]);
    expect(findFindings(m)).toEqual([]);
  });
});

whenPresent('Online Boutique with its NetworkPolicies and Istio manifests', () => {
  // describe.skip still runs this body: read the manifests only when they are there.
  const m = present ? new MeshModel(loadManifests([join(APPS, 'online-boutique')]), INJECTED) : (undefined as unknown as MeshModel);
  /** The call to Service `to` (frontend has a second Service, frontend-external, on the same port). */
  const row = (from: string, to: string, port: number) => [...m.connectionsFrom(`default/${from}`)].find((c) => c.service === `default/${to}` && c.port === port)!;
  const outcome = (from: string, to: string, port: number) => {
    const r = row(from, to, port);
    return r.outcome === 'blocked' ? `blocked (else ${r.meshOutcome})` : r.outcome;
  };

  test('deny-all plus one policy per service: only the calls the policies name get through', () => {
    expect(outcome('loadgenerator', 'adservice', 9555)).toBe('blocked (else mtls)');
    expect(row('loadgenerator', 'adservice', 9555).reason).toMatch(
      /^blocked by the network: no NetworkPolicy lets the client into port 9555 of the server \(its ingress is isolated by default\/adservice, default\/deny-all\)/);
    expect(outcome('loadgenerator', 'frontend', 80)).toBe('mtls');
    expect(outcome('loadgenerator', 'frontend-external', 80)).toBe('mtls');
    expect(outcome('frontend', 'adservice', 9555)).toBe('mtls');
    expect(outcome('frontend', 'cartservice', 7070)).toBe('mtls');
    expect(outcome('checkoutservice', 'cartservice', 7070)).toBe('mtls');
    expect(outcome('checkoutservice', 'emailservice', 5000)).toBe('mtls');
    expect(outcome('frontend', 'emailservice', 5000)).toBe('blocked (else mtls)');
    expect(outcome('cartservice', 'redis-cart', 6379)).toBe('mtls');
    expect(outcome('frontend', 'redis-cart', 6379)).toBe('blocked (else mtls)');
    expect(outcome('recommendationservice', 'productcatalogservice', 3550)).toBe('mtls');
    expect(outcome('shippingservice', 'paymentservice', 50051)).toBe('blocked (else mtls)');
    // 12 clients: each of the 12 Service ports lets in the clients its policy names.
    const allowed: Record<string, number> = { frontend: 24, adservice: 1, cartservice: 2, checkoutservice: 1, currencyservice: 2, emailservice: 1,
      paymentservice: 1, productcatalogservice: 3, recommendationservice: 1, 'redis-cart': 1, shippingservice: 2 };
    expect(m.outcomeCounts()).toEqual({ mtls: Object.values(allowed).reduce((a, b) => a + b), plaintext: 0, rejected: 0, denied: 0, failed: 0, blocked: 144 - 39 });
  });

  test('egress rows for the ServiceEntry hosts, the wildcard included; the Gateway API objects are listed as not modelled', () => {
    const hosts = [...new Set([...m.egress()].map((e) => `${e.host}:${e.port}`))];
    expect(hosts).toEqual(['*.googleapis.com:80', '*.googleapis.com:443', 'accounts.google.com:80', 'accounts.google.com:443',
      'metadata.google.internal:80', 'metadata.google.internal:443']);
    expect([...m.egress()].every((e) => e.outcome === 'allowed' && e.via === 'direct' && !e.bypassBlocked)).toBe(true);
    expect(m.notModelled.map((n) => `${n.ref.kind} ${n.ref.name}`)).toEqual(['Gateway istio-gateway', 'HTTPRoute frontend-route']);
    expect(findFindings(m)).toEqual([]);
  });
});
