// Random platforms for the property tests of the mesh model: namespaces with and without
// sidecars, lock-downs and NetworkPolicies, default-deny, DestinationRules, Sidecar resources,
// external hosts with and without an egress gateway route, and a cluster Service outside the mesh.
import fc from 'fast-check';
import { authorizationPolicy, deployment, destinationRule, namespace, peerAuthentication, service } from './model-fixtures';
import { networkPolicy, NetRuleInput, netRuleArb } from './network-policy-arbitraries';

const GATEWAY = 'istio-egressgateway.istio-system.svc.cluster.local';

export interface NamespaceInput {
  readonly sidecar: boolean;
  readonly workloads: number;
  readonly lockdown: boolean;
  readonly defaultDeny: boolean;
  /** Allow the first workload of the namespace with this index (by identity), when default-deny. */
  readonly allowFrom: number;
  /** How the allow rule names that workload: principal, service account (with or without namespace), trust domain, namespace wildcard. */
  readonly allowBy?: 'principal' | 'service-account' | 'service-account-here' | 'trust-domain' | 'namespace-wildcard';
  /** A DENY policy: every caller but those of the namespace with `allowFrom`'s index (notNamespaces), or its first workload by service account. */
  readonly denyBy?: 'not-namespace' | 'service-account';
  readonly permissive: boolean;
  /** A namespace-wide Sidecar with REGISTRY_ONLY, or ALLOW_ANY for the first workload only (overriding a mesh-wide one). */
  readonly sidecarResource?: 'registry-only' | 'first-allow-any';
  /** Inputs the oracle found the model reading wrong (each tells clients or endpoints apart in a new way). */
  readonly twist?: 'exclude-outbound' | 'headless' | 'export-local' | 'tls-disabled-label' | 'disable-namespace';
  /** A DestinationRule here for the hosts of the namespace with this index, or for an external host. */
  readonly rule?: { readonly target: number; readonly mode: 'DISABLE' | 'ISTIO_MUTUAL' | 'SIMPLE'; readonly selectFirst: boolean };
  /** Label team=t<team> on the namespace, for namespaceSelectors. */
  readonly team: number;
  /** Container ports named `http` (for named ports in rules). */
  readonly namedPorts: boolean;
  readonly ingress?: NetRuleInput;
  readonly egress?: NetRuleInput;
}

export interface HostInput {
  readonly port: 80 | 443;
  readonly viaGateway: boolean;
  /** Namespace (index) of the VirtualService, or -1 for istio-system. */
  readonly routeNamespace: number;
  readonly exportHere: boolean;
  /** Export the ServiceEntry only to this namespace (index) and istio-system. */
  readonly entryExportTo?: number;
  /** Only the first workload of this namespace (index) may use the gateway route (a DENY policy on the gateway for the others). */
  readonly client?: number;
}

export interface PlatformInput {
  readonly namespaces: NamespaceInput[];
  readonly hosts: HostInput[];
  /** A cluster Service outside the mesh reached through the gateway, as in Istio's mTLS origination task. */
  readonly outsideService: boolean;
  /** A mesh-wide Sidecar in istio-system with REGISTRY_ONLY. */
  readonly meshRegistryOnly: boolean;
  /** An ingress gateway (in the input) with a route to the first workload of the namespace with this index. */
  readonly ingress?: number;
}

export const namespaceArb: fc.Arbitrary<NamespaceInput> = fc.record({
  sidecar: fc.boolean(),
  workloads: fc.integer({ min: 1, max: 3 }),
  lockdown: fc.boolean(),
  defaultDeny: fc.boolean(),
  allowFrom: fc.nat(5),
  allowBy: fc.option(fc.constantFrom<NonNullable<NamespaceInput['allowBy']>>('principal', 'service-account', 'service-account-here', 'trust-domain', 'namespace-wildcard'), { nil: undefined }),
  denyBy: fc.option(fc.constantFrom<NonNullable<NamespaceInput['denyBy']>>('not-namespace', 'service-account'), { nil: undefined, freq: 3 }),
  permissive: fc.boolean(),
  sidecarResource: fc.option(fc.constantFrom<'registry-only' | 'first-allow-any'>('registry-only', 'first-allow-any'), { nil: undefined }),
  twist: fc.option(fc.constantFrom<NonNullable<NamespaceInput['twist']>>('exclude-outbound', 'headless', 'export-local', 'tls-disabled-label', 'disable-namespace'), { nil: undefined }),
  rule: fc.option(fc.record({
    target: fc.nat(8), mode: fc.constantFrom<'DISABLE' | 'ISTIO_MUTUAL' | 'SIMPLE'>('DISABLE', 'ISTIO_MUTUAL', 'SIMPLE'), selectFirst: fc.boolean(),
  }), { nil: undefined }),
  team: fc.nat(2),
  namedPorts: fc.boolean(),
  ingress: fc.option(netRuleArb, { nil: undefined, freq: 2 }),
  egress: fc.option(netRuleArb, { nil: undefined, freq: 2 }),
}, { requiredKeys: ['sidecar', 'workloads', 'lockdown', 'defaultDeny', 'allowFrom', 'permissive', 'team', 'namedPorts'] });

export const hostArb: fc.Arbitrary<HostInput> = fc.record({
  port: fc.constantFrom<80 | 443>(80, 443),
  viaGateway: fc.boolean(),
  routeNamespace: fc.integer({ min: -1, max: 5 }),
  exportHere: fc.boolean(),
  entryExportTo: fc.option(fc.nat(5), { nil: undefined }),
  client: fc.option(fc.nat(5), { nil: undefined }),
}, { requiredKeys: ['port', 'viaGateway', 'routeNamespace', 'exportHere'] });

export const platformArb: fc.Arbitrary<PlatformInput> = fc.record({
  namespaces: fc.array(namespaceArb, { minLength: 1, maxLength: 6 }),
  hosts: fc.array(hostArb, { minLength: 0, maxLength: 3 }),
  outsideService: fc.boolean(),
  meshRegistryOnly: fc.boolean(),
  ingress: fc.option(fc.nat(5), { nil: undefined }),
});

function nsName(i: number): string {
  return `ns-${i}`;
}

function hostName(i: number): string {
  return `api-${i}.example.com`;
}

export function platform(input: PlatformInput): any[] {
  const n = input.namespaces.length;
  const objects: any[] = [peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } })];
  input.namespaces.forEach((ns, i) => {
    const name = nsName(i);
    objects.push(namespace(name, { 'istio-injection': ns.sidecar ? 'enabled' : 'disabled', team: `t${ns.team}` }));
    for (let w = 0; w < ns.workloads; w++) {
      const first = w === 0;
      const svc = service(name, `w-${w}`, ns.twist === 'headless' ? [{ port: 8080, targetPort: 8080, name: 'http' }]
        : [{ port: 80, targetPort: ns.namedPorts && first ? 'http' : 8080, name: 'http' }]);
      if (ns.twist === 'headless') svc.spec.clusterIP = 'None';
      if (ns.twist === 'export-local') svc.metadata.annotations = { 'networking.istio.io/exportTo': '.' };
      objects.push(deployment(name, `w-${w}`, {
        ports: [ns.namedPorts ? { port: 8080, name: 'http' } : 8080],
        annotations: ns.twist === 'exclude-outbound' && first ? { 'traffic.sidecar.istio.io/excludeOutboundPorts': '80' } : undefined,
        labels: ns.twist === 'tls-disabled-label' && first ? { 'security.istio.io/tlsMode': 'disabled' } : undefined,
      }), svc);
    }
    if (ns.twist === 'disable-namespace') {
      objects.push(peerAuthentication(name, 'aaa-disable', { mtls: { mode: 'DISABLE' } }),
        peerAuthentication(name, 'strict-w-0', { selector: { matchLabels: { app: 'w-0' } }, mtls: { mode: 'STRICT' } }));
    }
    if (ns.ingress) objects.push(networkPolicy(name, 'ingress', ns.ingress));
    if (ns.egress) objects.push(networkPolicy(name, 'egress', ns.egress));
    if (ns.permissive) objects.push(peerAuthentication(name, 'default', { mtls: { mode: 'PERMISSIVE' } }));
    const from = nsName(ns.allowFrom % n);
    if (ns.defaultDeny) {
      objects.push(authorizationPolicy(name, 'allow-nothing', {}));
      const source = {
        'principal': { principals: [`cluster.local/ns/${from}/sa/w-0`] },
        'service-account': { serviceAccounts: [`${from}/w-0`] },
        'service-account-here': { serviceAccounts: ['w-0'] },
        'trust-domain': { trustDomains: ['cluster.*'] },
        'namespace-wildcard': { namespaces: [`${from.slice(0, 2)}*${from.slice(-1)}`] },
      }[ns.allowBy ?? 'principal'];
      objects.push(authorizationPolicy(name, 'allow-one', { action: 'ALLOW', rules: [{ from: [{ source }] }] }));
    }
    if (ns.denyBy) {
      objects.push(authorizationPolicy(name, 'deny-some', {
        action: 'DENY', selector: { matchLabels: { app: 'w-0' } },
        rules: [{ from: [{ source: ns.denyBy === 'not-namespace' ? { notNamespaces: [from] } : { serviceAccounts: [`${from}/w-0`] } }] }],
      }));
    }
    if (ns.lockdown) {
      objects.push({
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-lockdown', namespace: name },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }] }] },
      });
    }
    if (ns.sidecarResource) {
      objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: name },
        spec: ns.sidecarResource === 'registry-only' ? { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }
          : { workloadSelector: { labels: { app: 'w-0' } }, outboundTrafficPolicy: { mode: 'ALLOW_ANY' } } });
    }
    if (ns.rule) {
      const external = input.hosts.length > 0 && ns.rule.target >= n;
      const host = external ? hostName(ns.rule.target % input.hosts.length) : `*.${nsName(ns.rule.target % n)}.svc.cluster.local`;
      const mode = !external && ns.rule.mode === 'SIMPLE' ? 'ISTIO_MUTUAL' : ns.rule.mode;
      objects.push(destinationRule(name, 'rule', {
        host, trafficPolicy: { tls: { mode } }, ...(ns.rule.selectFirst ? { workloadSelector: { matchLabels: { app: 'w-0' } } } : {}),
      }));
    }
  });
  objects.push(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istio-egressgateway', namespace: 'istio-system' },
      spec: { selector: { matchLabels: { istio: 'egressgateway' } }, template: { metadata: { labels: { istio: 'egressgateway' } }, spec: { containers: [{ name: 'proxy', image: 'proxyv2' }] } } } },
    service('istio-system', 'istio-egressgateway', [{ port: 80, name: 'http' }, { port: 443, name: 'tls' }], { istio: 'egressgateway' } as any),
  );
  if (input.ingress !== undefined) {
    const to = nsName(input.ingress % n);
    // The route goes to w-0's Service port (8080 for the headless twist).
    const toPort = input.namespaces[input.ingress % n].twist === 'headless' ? 8080 : 80;
    objects.push(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
        spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, template: { metadata: { labels: { istio: 'ingressgateway' } },
          spec: { serviceAccountName: 'istio-ingressgateway-service-account', containers: [{ name: 'proxy', image: 'proxyv2' }] } } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'in', namespace: to },
        spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['./app.example.com'], tls: { mode: 'SIMPLE', credentialName: 'c' } }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'in', namespace: to },
        spec: { hosts: ['app.example.com'], gateways: ['in'], http: [{ route: [{ destination: { host: 'w-0', port: { number: toPort } } }] }] } },
    );
  }
  if (input.meshRegistryOnly) {
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'istio-system' },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
  }
  const routed: Array<{ host: string; port: number; namespace: string; exportTo?: string[]; client?: string }> = [];
  input.hosts.forEach((h, i) => {
    const host = hostName(i);
    const protocol = h.port === 80 ? 'HTTP' : 'TLS';
    const exportTo = h.entryExportTo === undefined ? {} : { exportTo: [nsName(h.entryExportTo % n), 'istio-system'] };
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: `se-${i}`, namespace: 'istio-system' },
      spec: { hosts: [host], ports: [{ number: h.port, name: protocol.toLowerCase(), protocol }], resolution: 'DNS', location: 'MESH_EXTERNAL', ...exportTo } });
    if (!h.viaGateway) return;
    const ns = h.routeNamespace < 0 ? 'istio-system' : nsName(h.routeNamespace % n);
    routed.push({ host, port: h.port, namespace: ns, exportTo: h.exportHere ? ['.'] : undefined,
      client: h.client === undefined ? undefined : `cluster.local/ns/${nsName(h.client % n)}/sa/w-0` });
  });
  if (input.outsideService) {
    // With a second workload beside nginx, so that a client group holds both a pod of the host and a client of it.
    objects.push(namespace('mesh-external', { 'istio-injection': 'disabled' }), deployment('mesh-external', 'nginx', { ports: [80] }),
      service('mesh-external', 'nginx', [{ port: 80, name: 'http' }]), deployment('mesh-external', 'curl'));
    routed.push({ host: 'nginx.mesh-external.svc.cluster.local', port: 80, namespace: nsName(0) });
  }
  routed.forEach(({ host, port, namespace: ns, exportTo, client }, i) => {
    const kind = port === 80 ? 'http' : 'tls';
    const protocol = port === 80 ? 'HTTP' : 'TLS';
    // A route with a client: mesh mTLS to the gateway (a subset with ISTIO_MUTUAL and the host as SNI), a DENY for the others.
    const subset = client ? { subset: `s-${i}` } : {};
    if (client) {
      objects.push(
        destinationRule('istio-system', `egressgateway-for-${i}`, { host: GATEWAY,
          subsets: [{ name: `s-${i}`, trafficPolicy: { portLevelSettings: [{ port: { number: port }, tls: { mode: 'ISTIO_MUTUAL', sni: host } }] } }] }),
        authorizationPolicy('istio-system', `egress-clients-${i}`, { selector: { matchLabels: { istio: 'egressgateway' } }, action: 'DENY',
          rules: [{ from: [{ source: { notPrincipals: [client] } }], when: [{ key: 'connection.sni', values: [host] }] }] }),
      );
    }
    const serverTls = client ? { tls: { mode: 'ISTIO_MUTUAL' } } : port === 443 ? { tls: { mode: 'PASSTHROUGH' } } : {};
    objects.push(
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: `gw-${i}`, namespace: ns },
        spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: port, name: `p-${i}`, protocol: client && port === 80 ? 'HTTPS' : protocol }, hosts: [host], ...serverTls }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: `route-${i}`, namespace: ns },
        spec: {
          hosts: [host], gateways: ['mesh', `gw-${i}`], ...(exportTo ? { exportTo } : {}),
          [kind]: [
            { match: [{ gateways: ['mesh'], port, ...(kind === 'tls' ? { sniHosts: [host] } : {}) }], route: [{ destination: { host: GATEWAY, ...subset, port: { number: port } } }] },
            { match: [{ gateways: [`gw-${i}`], port, ...(kind === 'tls' ? { sniHosts: [host] } : {}) }], route: [{ destination: { host, port: { number: port } } }] },
          ],
        } },
    );
  });
  return objects;
}
