// The mesh model at scale: 10,000 workloads (100 million calls) must be modelled without listing
// the calls, and the aggregated report must stay short enough to read. Counts only, no timings.
import { aggregate, findFindings, MeshModel, renderMarkdown, renderText, toDot } from '../src/model';
import { authorizationPolicy, deployment, destinationRule, namespace, peerAuthentication, service } from './model-fixtures';

const NAMESPACES = 100;
const PER_NAMESPACE = 100;

/**
 * 100 namespaces of 100 workloads, each with a Service (80 -> 8080): mesh-wide STRICT; ns-00..04
 * PERMISSIVE; ns-10..19 with an ISTIO_MUTUAL DestinationRule; ns-20..29 closed to other namespaces;
 * ns-90..99 without sidecars; two external hosts, one through the egress gateway; ns-00..49 locked
 * down (egress only to istio-system, so their calls to workloads are blocked).
 */
function platform(): any[] {
  const objects: any[] = [peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } })];
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `ns-${String(n).padStart(2, '0')}`;
    objects.push(namespace(ns, { 'istio-injection': n >= 90 ? 'disabled' : 'enabled' }));
    for (let i = 0; i < PER_NAMESPACE; i++) {
      const name = `w-${i}`;
      objects.push(deployment(ns, name, { ports: [8080] }), service(ns, name, [{ port: 80, targetPort: 8080, name: 'http' }]));
    }
    if (n < 5) objects.push(peerAuthentication(ns, 'default', { mtls: { mode: 'PERMISSIVE' } }));
    if (n >= 10 && n < 20) objects.push(destinationRule(ns, 'default', { host: `*.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }));
    if (n >= 20 && n < 30) objects.push(authorizationPolicy(ns, 'same-namespace', { rules: [{ from: [{ source: { namespaces: [ns] } }] }] }));
    if (n < 50) {
      objects.push({
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-lockdown', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }] }] },
      });
    }
  }
  objects.push(
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'istio-system' },
      spec: { hosts: ['api.example.com', 'files.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' } },
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'egress', namespace: 'istio-system' },
      spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['api.example.com'], tls: { mode: 'PASSTHROUGH' } }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: 'istio-system' },
      spec: {
        hosts: ['api.example.com'], gateways: ['mesh', 'egress'],
        tls: [
          { match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', port: { number: 443 } } }] },
          { match: [{ gateways: ['egress'], port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'api.example.com', port: { number: 443 } } }] },
        ],
      } },
  );
  return objects;
}

describe('10,000 workloads', () => {
  const model = MeshModel.of(platform());
  const n = NAMESPACES * PER_NAMESPACE;

  test('counts every call without listing them', () => {
    expect(model.inventory.workloads).toHaveLength(n);
    expect(model.endpoints).toHaveLength(n);
    expect(model.connectionCount()).toBe(n * n);
    // Groups, not workloads, are what the model decides: a few per namespace.
    expect(model.clientGroups.length).toBeLessThanOrEqual(NAMESPACES);
    expect(model.endpointGroups.length).toBeLessThanOrEqual(NAMESPACES);
    const counts = model.outcomeCounts();
    const legacyClients = 10 * PER_NAMESPACE;
    const strictEndpoints = 85 * PER_NAMESPACE; // meshed and not PERMISSIVE
    expect(counts.rejected).toBe(legacyClients * strictEndpoints);
    // Closed namespaces let in only their own callers; legacy callers are rejected before authorization,
    // locked-down callers (ns-00..49) never get through the network.
    expect(counts.denied).toBe(10 * PER_NAMESPACE * (40 * PER_NAMESPACE));
    expect(counts.blocked).toBe(50 * PER_NAMESPACE * n);
    expect(Object.values(counts).reduce((a, b) => a + b)).toBe(n * n);
  });

  test('the aggregated text report stays short', () => {
    const text = renderText(model);
    const lines = text.split('\n');
    expect(text).toContain('== Calls (aggregated) ==');
    expect(lines.length).toBeLessThan(200);
    const agg = aggregate(model);
    expect(agg.callGroups.length).toBeLessThanOrEqual(12);
    expect(agg.egressRows).toBe(2 * n);
    expect(agg.egressGroups.length).toBeLessThanOrEqual(8);
    expect(renderMarkdown(model).split('\n').length).toBeLessThan(250);
    // 100 namespaces are too many for a namespace matrix; the groups carry the story.
    expect(text).toContain('too many for a matrix');
  });

  test('findings: the open egress route, once, with its clients counted', () => {
    const findings = findFindings(model);
    expect(findings.map((f) => f.rule)).toEqual(['egress-gateway-bypass']);
    expect(findings[0].count).toBe(50 * PER_NAMESPACE);
    expect(findings[0].resources.length).toBeLessThanOrEqual(11);
  });

  test('the picture: 100 namespaces are a namespace matrix, and say so', () => {
    const dot = toDot(model);
    expect(dot).toContain('a namespace matrix');
    expect(dot).toContain('drawn per namespace: too many workloads (over 40) to draw one by one');
    expect(dot).toContain('100 ns-99');
    expect(dot).not.toContain('w-1');
  });

  test('calls can be streamed one by one', () => {
    let seen = 0;
    for (const c of model.connections()) {
      if (++seen === 1) expect(c).toMatchObject({ from: 'ns-00/w-0', to: 'ns-00/w-0', port: 80, outcome: 'blocked', meshOutcome: 'mtls' });
      if (seen === 250_000) break;
    }
    expect(seen).toBe(250_000);
  });
});
