/*
 * Random platforms for the differential suite (test/oracle-diff.test.ts), as raw manifests a
 * platform team writes: namespaces with injection on, off, by revision or without a label (or not
 * declared at all); workloads with and without sidecars, by label or annotation; Services with
 * named, unnamed and appProtocol ports, targetPort != port, headless; PeerAuthentications at mesh,
 * namespace, workload and port level with every mode including UNSET, several at one level;
 * DestinationRules in every namespace with exportTo, wildcard and short hosts, subsets, port-level
 * settings, workloadSelector, two for one host; AuthorizationPolicies ALLOW and DENY with
 * principals, namespaces, service accounts, ports, notPrincipals, HTTP fields, empty rules and
 * empty spec, dry-run, in the root namespace; egress to external hosts (ServiceEntries with every
 * resolution, location and exportTo) directly, with TLS originated by the sidecar, or through
 * Istio's egress gateway (plain HTTP, TLS passthrough, TLS or mutual TLS originated by the gateway)
 * with Gateways, VirtualServices, DestinationRules and AuthorizationPolicies on the gateway pods as
 * Istio's egress tasks write them, wildcard hosts, and Sidecars with REGISTRY_ONLY. Every object is one Kubernetes and Istio accept.
 */
import fc from 'fast-check';

const ROOT = 'istio-system';
const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'];
const CONTAINER_PORTS = [80, 8080, 9090, 5432];
const SERVICE_PORTS = [80, 8000, 9000, 443, 5432];
const MODES = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'] as const;
const TIMES = ['2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'];

type Injection = 'enabled' | 'disabled' | 'none' | 'rev-canary' | 'rev-default' | 'odd-value' | 'enabled-and-rev' | 'undeclared';

interface ContainerPortSpec { readonly port: number; readonly named: boolean }
interface ServicePortSpec {
  readonly port: number;
  readonly name?: string;
  readonly appProtocol?: string;
  /** Index of the container port it targets, or the container port's name. */
  readonly target: number;
  readonly byName: boolean;
}
interface WorkloadSpec {
  readonly kind: 'Deployment' | 'StatefulSet' | 'Pod';
  readonly sa: 'own' | 'shared' | 'default';
  readonly podLabel?: string;
  readonly annotation?: string;
  readonly tlsModeLabel?: 'disabled' | 'istio';
  readonly version: 'v1' | 'v2';
  readonly tier: boolean;
  readonly ports: ContainerPortSpec[];
  readonly excludeInbound: boolean;
  readonly excludeOutbound: boolean;
  readonly service?: { readonly headless: boolean; readonly ports: ServicePortSpec[]; readonly exportTo?: string };
}
interface NamespaceSpec { readonly injection: Injection; readonly workloads: WorkloadSpec[]; readonly tierService: boolean }

/** A reference to a namespace (index into the platform's, or the root) and maybe a workload in it. */
interface Target { readonly ns: number; readonly workload: number }

interface PeerAuthSpec {
  readonly where: 'root' | 'namespace' | 'workload';
  readonly target: Target;
  readonly mode?: (typeof MODES)[number];
  readonly portModes: Array<{ readonly port: number; readonly mode: (typeof MODES)[number] }>;
  readonly name: string;
  readonly created?: string;
}
interface DestinationRuleSpec {
  readonly ns: number; // -1: root
  readonly host: { readonly form: 'fqdn' | 'short' | 'ns-wildcard' | 'svc-wildcard' | 'star'; readonly target: Target };
  readonly exportTo?: string;
  readonly tls?: 'DISABLE' | 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL' | 'SIMPLE-credential';
  readonly portLevel: Array<{ readonly port: number; readonly tls?: 'DISABLE' | 'ISTIO_MUTUAL' | 'SIMPLE' }>;
  readonly subset?: 'DISABLE' | 'ISTIO_MUTUAL' | 'none';
  readonly selectWorkload?: number;
  readonly name: string;
  readonly created?: string;
}
interface SourceSpec {
  readonly field: 'principals' | 'notPrincipals' | 'namespaces' | 'notNamespaces' | 'serviceAccounts';
  readonly value: 'identity' | 'wildcard-ns' | 'star' | 'spiffe' | 'nobody';
  readonly target: Target;
}
interface RuleSpec {
  readonly from: SourceSpec[];
  readonly ports: number[];
  readonly methods: boolean;
  readonly splitTo: boolean;
}
interface AuthzSpec {
  readonly root: boolean;
  readonly target: Target;
  readonly selector: boolean;
  readonly action: 'ALLOW' | 'DENY';
  readonly rules: 'empty-spec' | 'empty-rule' | RuleSpec[];
  readonly dryRun: boolean;
  readonly name: string;
}
type EgressPath = 'direct' | 'originate-sidecar' | 'http-gateway' | 'passthrough-gateway' | 'originate-gateway';
interface EgressSpec {
  readonly host: number;
  /** Namespace index of the ServiceEntry, -1: the root namespace. */
  readonly seNs: number;
  readonly seExportTo?: '.' | '*';
  readonly resolution: 'DNS' | 'NONE' | 'STATIC';
  readonly internal: boolean;
  readonly extraPorts: boolean;
  readonly path: EgressPath;
  /** TLS of the sidecar -> gateway hop (the gateway DestinationRule's subset), and whether the Gateway server disagrees with it. */
  readonly hop: 'auto' | 'ISTIO_MUTUAL' | 'DISABLE';
  readonly serverMismatch: boolean;
  /** Namespace index of the Gateway and VirtualService, -1: the root namespace. */
  readonly gwNs: number;
  readonly vsExportTo?: '.';
  readonly originate: 'SIMPLE' | 'MUTUAL';
  /** Namespace index of the origination DestinationRule, -1: the root namespace (then maybe selecting the gateway pods). */
  readonly ruleNs: number;
  readonly selectGateway: boolean;
  /** An AuthorizationPolicy on the egress gateway pods for this host's path, as Istio's egress tasks write them. */
  readonly gatewayAuthz?: { readonly action: 'ALLOW' | 'DENY'; readonly field: 'principals' | 'notPrincipals' | 'namespaces'; readonly who: Target; readonly sni: boolean };
  /** A wildcard host beside it (`*.<domain>`, resolution NONE): a direct path for any subdomain. */
  readonly wildcard?: 'HTTP' | 'TLS';
}
export interface PlatformSpec {
  readonly namespaces: NamespaceSpec[];
  readonly peerAuthentications: PeerAuthSpec[];
  readonly destinationRules: DestinationRuleSpec[];
  readonly authorizationPolicies: AuthzSpec[];
  readonly kubeSystemClient: boolean;
  readonly egress: EgressSpec[];
  /** Namespace index with a Sidecar setting REGISTRY_ONLY, if any. */
  readonly registryOnly?: number;
  /** Istio's egress gateway declared in the input (Deployment and Service), with its pod ports as Istio's chart or its own. */
  readonly egressGateway?: 'chart' | 'own-ports';
}

const target = fc.record({ ns: fc.nat(2), workload: fc.nat(2) });
const mode = fc.constantFrom(...MODES);
/** `arb` with probability `p` (in tenths), else undefined. */
const option = <T>(arb: fc.Arbitrary<T>, p = 0.5): fc.Arbitrary<T | undefined> => fc.oneof(
  { weight: Math.round(p * 10), arbitrary: arb },
  { weight: 10 - Math.round(p * 10), arbitrary: fc.constant(undefined) },
);

const servicePort: fc.Arbitrary<ServicePortSpec> = fc.record({
  port: fc.constantFrom(...SERVICE_PORTS),
  name: option(fc.constantFrom('http', 'http-web', 'tcp', 'tcp-db', 'grpc', 'https', 'mongo', 'redis', 'web', 'http2'), 0.75),
  appProtocol: option(fc.constantFrom('http', 'tcp', 'https', 'kubernetes.io/h2c', 'grpc'), 0.2),
  target: fc.nat(1),
  byName: fc.boolean(),
}, { requiredKeys: ['port', 'target', 'byName'] });

const workload: fc.Arbitrary<WorkloadSpec> = fc.record({
  kind: fc.constantFrom<WorkloadSpec['kind']>('Deployment', 'Deployment', 'StatefulSet', 'Pod'),
  sa: fc.constantFrom<WorkloadSpec['sa']>('own', 'own', 'shared', 'default'),
  podLabel: option(fc.constantFrom('true', 'false', 'yes'), 0.25),
  annotation: option(fc.constantFrom('true', 'false', 'no'), 0.25),
  tlsModeLabel: option(fc.constantFrom<'disabled' | 'istio'>('disabled', 'istio'), 0.15),
  version: fc.constantFrom<'v1' | 'v2'>('v1', 'v2'),
  tier: fc.boolean(),
  ports: fc.uniqueArray(fc.record({ port: fc.constantFrom(...CONTAINER_PORTS), named: fc.boolean() }), { minLength: 1, maxLength: 2, selector: (p) => p.port }),
  excludeInbound: fc.constant(false),
  excludeOutbound: fc.constant(false),
  service: option(fc.record({
    headless: fc.constantFrom(false, false, false, true),
    ports: fc.uniqueArray(servicePort, { minLength: 1, maxLength: 2, selector: (p) => p.port }),
    exportTo: option(fc.constantFrom('.', '*', 'ns-a', 'ns-b'), 0.15),
  }, { requiredKeys: ['headless', 'ports'] }), 0.75),
}, { requiredKeys: ['kind', 'sa', 'version', 'tier', 'ports', 'excludeInbound', 'excludeOutbound'] })
  .chain((w) => fc.record({ excludeInbound: fc.nat(9), excludeOutbound: fc.nat(9) })
    .map((x) => ({ ...w, excludeInbound: x.excludeInbound === 0, excludeOutbound: x.excludeOutbound === 0 })));

const namespaceSpec: fc.Arbitrary<NamespaceSpec> = fc.record({
  injection: fc.constantFrom<Injection>('enabled', 'enabled', 'enabled', 'disabled', 'none', 'rev-canary', 'rev-default', 'odd-value', 'enabled-and-rev', 'undeclared'),
  workloads: fc.array(workload, { minLength: 1, maxLength: 3 }),
  tierService: fc.boolean(),
});

const peerAuth: fc.Arbitrary<PeerAuthSpec> = fc.record({
  where: fc.constantFrom<PeerAuthSpec['where']>('root', 'namespace', 'workload', 'workload'),
  target,
  mode: option(mode, 0.8),
  portModes: fc.array(fc.record({ port: fc.constantFrom(...CONTAINER_PORTS), mode }), { maxLength: 2 }),
  name: fc.constantFrom('default', 'default', 'pa-one', 'pa-two'),
  created: option(fc.constantFrom(...TIMES), 0.4),
}, { requiredKeys: ['where', 'target', 'portModes', 'name'] });

const destinationRule: fc.Arbitrary<DestinationRuleSpec> = fc.record({
  ns: fc.integer({ min: -1, max: 2 }),
  host: fc.record({ form: fc.constantFrom<DestinationRuleSpec['host']['form']>('fqdn', 'fqdn', 'short', 'ns-wildcard', 'svc-wildcard', 'star'), target }),
  exportTo: option(fc.constantFrom('.', '*', 'ns-a', 'ns-b', 'ns-c'), 0.4),
  tls: option(fc.constantFrom<NonNullable<DestinationRuleSpec['tls']>>('DISABLE', 'ISTIO_MUTUAL', 'ISTIO_MUTUAL', 'SIMPLE', 'MUTUAL', 'SIMPLE-credential'), 0.7),
  portLevel: fc.array(fc.record({ port: fc.constantFrom(...SERVICE_PORTS), tls: option(fc.constantFrom<'DISABLE' | 'ISTIO_MUTUAL' | 'SIMPLE'>('DISABLE', 'ISTIO_MUTUAL', 'SIMPLE'), 0.6) }, { requiredKeys: ['port'] }), { maxLength: 2 }),
  subset: option(fc.constantFrom<'DISABLE' | 'ISTIO_MUTUAL' | 'none'>('DISABLE', 'ISTIO_MUTUAL', 'none'), 0.25),
  selectWorkload: option(fc.nat(2), 0.2),
  name: fc.constantFrom('dr-one', 'dr-two', 'dr-three'),
  created: option(fc.constantFrom(...TIMES), 0.4),
}, { requiredKeys: ['ns', 'host', 'portLevel', 'name'] });

const source: fc.Arbitrary<SourceSpec> = fc.record({
  field: fc.constantFrom<SourceSpec['field']>('principals', 'principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts'),
  value: fc.constantFrom<SourceSpec['value']>('identity', 'identity', 'wildcard-ns', 'star', 'spiffe', 'nobody'),
  target,
});

const rule: fc.Arbitrary<RuleSpec> = fc.record({
  from: fc.array(source, { maxLength: 2 }),
  ports: fc.uniqueArray(fc.constantFrom(...CONTAINER_PORTS), { maxLength: 2 }),
  methods: fc.nat(3).map((n) => n === 0),
  splitTo: fc.boolean(),
});

const authz: fc.Arbitrary<AuthzSpec> = fc.record({
  root: fc.nat(5).map((n) => n === 0),
  target,
  selector: fc.boolean(),
  action: fc.constantFrom<'ALLOW' | 'DENY'>('ALLOW', 'ALLOW', 'DENY'),
  rules: fc.oneof(
    { weight: 1, arbitrary: fc.constant<'empty-spec'>('empty-spec') },
    { weight: 1, arbitrary: fc.constant<'empty-rule'>('empty-rule') },
    { weight: 6, arbitrary: fc.array(rule, { minLength: 1, maxLength: 2 }) },
  ),
  dryRun: fc.nat(7).map((n) => n === 0),
  name: fc.constantFrom('authz-one', 'authz-two', 'authz-three'),
});

const egress: fc.Arbitrary<EgressSpec> = fc.record({
  host: fc.nat(1),
  seNs: fc.integer({ min: -1, max: 2 }),
  seExportTo: option(fc.constantFrom<'.' | '*'>('.', '*'), 0.3),
  resolution: fc.constantFrom<EgressSpec['resolution']>('DNS', 'DNS', 'NONE', 'STATIC'),
  internal: fc.nat(7).map((n) => n === 0),
  extraPorts: fc.boolean(),
  path: fc.constantFrom<EgressPath>('direct', 'originate-sidecar', 'http-gateway', 'passthrough-gateway', 'originate-gateway'),
  hop: fc.constantFrom<EgressSpec['hop']>('auto', 'ISTIO_MUTUAL', 'ISTIO_MUTUAL', 'DISABLE'),
  serverMismatch: fc.nat(5).map((n) => n === 0),
  gwNs: fc.integer({ min: -1, max: 2 }),
  vsExportTo: option(fc.constant<'.'>('.'), 0.2),
  originate: fc.constantFrom<EgressSpec['originate']>('SIMPLE', 'MUTUAL'),
  ruleNs: fc.integer({ min: -1, max: 2 }),
  selectGateway: fc.boolean(),
  gatewayAuthz: option(fc.record({
    action: fc.constantFrom<'ALLOW' | 'DENY'>('ALLOW', 'DENY'),
    field: fc.constantFrom<'principals' | 'notPrincipals' | 'namespaces'>('principals', 'notPrincipals', 'namespaces'),
    who: target,
    sni: fc.boolean(),
  }), 0.3),
  wildcard: option(fc.constantFrom<'HTTP' | 'TLS'>('HTTP', 'TLS'), 0.2),
}, { requiredKeys: ['host', 'seNs', 'resolution', 'internal', 'extraPorts', 'path', 'hop', 'serverMismatch', 'gwNs', 'originate', 'ruleNs', 'selectGateway'] });

export const platformArb: fc.Arbitrary<PlatformSpec> = fc.record({
  namespaces: fc.array(namespaceSpec, { minLength: 1, maxLength: 3 }),
  peerAuthentications: fc.array(peerAuth, { maxLength: 3 }),
  destinationRules: fc.array(destinationRule, { maxLength: 3 }),
  authorizationPolicies: fc.array(authz, { maxLength: 3 }),
  kubeSystemClient: fc.nat(5).map((n) => n === 0),
  egress: fc.oneof({ weight: 1, arbitrary: fc.constant<EgressSpec[]>([]) }, { weight: 1, arbitrary: fc.uniqueArray(egress, { minLength: 1, maxLength: 2, selector: (e) => e.host }) }),
  registryOnly: option(fc.nat(2), 0.15),
  egressGateway: option(fc.constantFrom<'chart' | 'own-ports'>('chart', 'own-ports'), 0.3),
}, { requiredKeys: ['namespaces', 'peerAuthentications', 'destinationRules', 'authorizationPolicies', 'kubeSystemClient', 'egress'] });

interface Built {
  readonly ns: string;
  readonly name: string;
  readonly sa: string;
  readonly spec: WorkloadSpec;
}

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length];
}

function meta(name: string, namespace: string | undefined, extra: { created?: string; labels?: any; annotations?: any } = {}): any {
  const m: any = { name };
  if (namespace !== undefined) m.namespace = namespace;
  if (extra.labels) m.labels = extra.labels;
  if (extra.annotations) m.annotations = extra.annotations;
  if (extra.created) m.creationTimestamp = extra.created;
  return m;
}

function namespaceLabels(injection: Injection): Record<string, string> {
  switch (injection) {
    case 'enabled': return { 'istio-injection': 'enabled' };
    case 'disabled': return { 'istio-injection': 'disabled' };
    case 'rev-canary': return { 'istio.io/rev': 'canary' };
    case 'rev-default': return { 'istio.io/rev': 'default' };
    case 'odd-value': return { 'istio-injection': 'true' };
    case 'enabled-and-rev': return { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' };
    default: return {};
  }
}

function portName(p: ContainerPortSpec): string {
  return `p${p.port}`;
}

/** The manifests of a platform, in the order a user would apply them. */
export function renderPlatform(spec: PlatformSpec): any[] {
  const out: any[] = [];
  const namespaces = spec.namespaces.map((_, i) => NAMESPACES[i]);
  const built: Built[][] = [];
  spec.namespaces.forEach((ns, i) => {
    const name = namespaces[i];
    if (ns.injection !== 'undeclared') {
      const labels = namespaceLabels(ns.injection);
      out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(name, undefined, { labels: Object.keys(labels).length ? labels : undefined }) });
    }
    const list: Built[] = [];
    ns.workloads.forEach((w, j) => {
      const wname = `w${j}`;
      const sa = w.sa === 'own' ? wname : w.sa === 'shared' ? 'shared' : 'default';
      list.push({ ns: name, name: wname, sa, spec: w });
      const labels: Record<string, string> = { app: wname, version: w.version };
      if (w.tier) labels.tier = 'back';
      if (w.podLabel !== undefined) labels['sidecar.istio.io/inject'] = w.podLabel;
      if (w.tlsModeLabel) labels['security.istio.io/tlsMode'] = w.tlsModeLabel;
      const annotations: Record<string, string> = {};
      if (w.annotation !== undefined) annotations['sidecar.istio.io/inject'] = w.annotation;
      if (w.excludeInbound) annotations['traffic.sidecar.istio.io/excludeInboundPorts'] = String(w.ports[0].port);
      if (w.excludeOutbound) annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] = '8000,9000';
      const podSpec = {
        ...(sa === 'default' ? {} : { serviceAccountName: sa }),
        containers: [{
          name: 'app',
          image: 'example.invalid/app:1',
          ports: w.ports.map((p) => (p.named ? { containerPort: p.port, name: portName(p) } : { containerPort: p.port })),
        }],
      };
      const podMeta = { labels, ...(Object.keys(annotations).length ? { annotations } : {}) };
      if (w.kind === 'Pod') {
        out.push({ apiVersion: 'v1', kind: 'Pod', metadata: { ...meta(wname, name), ...podMeta }, spec: podSpec });
      } else {
        out.push({
          apiVersion: 'apps/v1', kind: w.kind, metadata: meta(wname, name),
          spec: {
            ...(w.kind === 'StatefulSet' ? { serviceName: wname } : {}),
            selector: { matchLabels: { app: wname } },
            template: { metadata: podMeta, spec: podSpec },
          },
        });
      }
      if (w.service) {
        out.push(renderService(name, wname, { app: wname }, w.service.headless, w.service.ports, w.ports, w.service.exportTo));
      }
    });
    if (ns.tierService && list.some((b) => b.spec.tier)) {
      const first = list.find((b) => b.spec.tier)!;
      out.push(renderService(name, 'tier', { tier: 'back' }, false, [{ port: 9000, name: 'http-tier', target: 0, byName: false }], first.spec.ports));
    }
    built.push(list);
  });
  if (spec.kubeSystemClient) {
    out.push({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('probe', 'kube-system'),
      spec: {
        selector: { matchLabels: { app: 'probe' } },
        template: { metadata: { labels: { app: 'probe', 'sidecar.istio.io/inject': 'true' } }, spec: { containers: [{ name: 'probe', image: 'example.invalid/probe:1' }] } },
      },
    });
  }
  const ref = (t: Target): Built => {
    const list = pick(built, t.ns);
    return pick(list, t.workload);
  };
  const hasService = built.flat().filter((b) => b.spec.service);
  const serviceOf = (t: Target): { ns: string; name: string } => {
    const b = ref(t);
    if (b.spec.service) return { ns: b.ns, name: b.name };
    const any = hasService.length > 0 ? pick(hasService, t.workload) : b;
    return { ns: any.ns, name: any.name };
  };

  spec.peerAuthentications.forEach((pa, i) => {
    const b = ref(pa.target);
    const ns = pa.where === 'root' ? ROOT : b.ns;
    const selected = pa.where === 'workload';
    const s: any = {};
    if (selected) s.selector = { matchLabels: { app: b.name } };
    if (pa.mode) s.mtls = { mode: pa.mode };
    if (selected && pa.portModes.length > 0) {
      s.portLevelMtls = Object.fromEntries(pa.portModes.map((p) => [String(p.port), { mode: p.mode }]));
    }
    out.push({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta(uniqueName(out, 'PeerAuthentication', ns, pa.name, i), ns, { created: pa.created }), spec: s });
  });

  spec.destinationRules.forEach((dr, i) => {
    const ns = dr.ns < 0 ? ROOT : pick(namespaces, dr.ns);
    const svc = serviceOf(dr.host.target);
    const host = dr.host.form === 'fqdn' ? `${svc.name}.${svc.ns}.svc.cluster.local`
      : dr.host.form === 'short' ? svc.name
        : dr.host.form === 'ns-wildcard' ? `*.${svc.ns}.svc.cluster.local`
          : dr.host.form === 'svc-wildcard' ? '*.svc.cluster.local' : '*';
    const s: any = { host };
    const policy: any = {};
    if (dr.tls) policy.tls = clientTls(dr.tls);
    if (dr.portLevel.length > 0) {
      const seen = new Set<number>();
      policy.portLevelSettings = dr.portLevel.filter((p) => !seen.has(p.port) && seen.add(p.port)).map((p) => (p.tls
        ? { port: { number: p.port }, tls: clientTls(p.tls) }
        : { port: { number: p.port }, connectionPool: { tcp: { maxConnections: 100 } } }));
    }
    if (Object.keys(policy).length > 0) s.trafficPolicy = policy;
    if (dr.subset) {
      s.subsets = [{ name: 'v1', labels: { version: 'v1' }, ...(dr.subset === 'none' ? {} : { trafficPolicy: { tls: { mode: dr.subset } } }) }];
    }
    if (dr.selectWorkload !== undefined && dr.ns >= 0) {
      const list = built[dr.ns % built.length];
      s.workloadSelector = { matchLabels: { app: pick(list, dr.selectWorkload).name } };
      if (dr.exportTo && dr.exportTo !== '.') s.exportTo = ['.'];
      else if (dr.exportTo) s.exportTo = [dr.exportTo];
    } else if (dr.exportTo) {
      s.exportTo = [dr.exportTo];
    }
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(uniqueName(out, 'DestinationRule', ns, dr.name, i), ns, { created: dr.created }), spec: s });
  });

  spec.authorizationPolicies.forEach((ap, i) => {
    const b = ref(ap.target);
    const ns = ap.root ? ROOT : b.ns;
    const s: any = {};
    if (ap.selector) s.selector = { matchLabels: { app: b.name } };
    if (ap.rules !== 'empty-spec') s.action = ap.action;
    if (ap.rules === 'empty-rule') s.rules = [{}];
    else if (ap.rules !== 'empty-spec') s.rules = ap.rules.map((r) => renderRule(r, ref, ns));
    const annotations = ap.dryRun ? { 'istio.io/dry-run': 'true' } : undefined;
    out.push({
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
      metadata: meta(uniqueName(out, 'AuthorizationPolicy', ns, ap.name, i), ns, { annotations }),
      spec: JSON.parse(JSON.stringify(s)),
    });
  });
  const nsOf = (i: number) => (i < 0 ? ROOT : pick(namespaces, i));
  const identity = (t: Target) => { const b = ref(t); return { ns: b.ns, principal: `cluster.local/ns/${b.ns}/sa/${b.sa}` }; };
  for (const e of spec.egress) out.push(...renderEgress(e, nsOf, identity));
  if (spec.egressGateway && spec.egress.length > 0) out.push(...renderEgressGateway(spec.egressGateway));
  if (spec.registryOnly !== undefined) {
    out.push({
      apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta('default', nsOf(spec.registryOnly)),
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });
  }
  return out;
}

const EGRESS_HOSTS = ['api.example.com', 'db.example.org'];
const GATEWAY_HOST = 'istio-egressgateway.istio-system.svc.cluster.local';

/** Istio's egress gateway as its chart installs it (pods istio=egressgateway, ports 80 -> 8080, 443 -> 8443), or with other pod ports. */
function renderEgressGateway(form: 'chart' | 'own-ports'): any[] {
  const labels = { app: 'istio-egressgateway', istio: 'egressgateway' };
  const [http, https] = form === 'chart' ? [8080, 8443] : [9080, 9443];
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('istio-egressgateway', ROOT),
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
          spec: {
            serviceAccountName: 'istio-egressgateway-service-account',
            containers: [{ name: 'istio-proxy', image: 'auto', ports: [{ containerPort: http, name: 'http2' }, { containerPort: https, name: 'https' }] }],
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta('istio-egressgateway', ROOT, { labels }),
      spec: {
        selector: labels,
        ports: [{ name: 'http2', port: 80, targetPort: http, protocol: 'TCP' }, { name: 'https', port: 443, targetPort: form === 'chart' ? https : 'https', protocol: 'TCP' }],
      },
    },
  ];
}

/** One external host and the objects Istio's egress tasks use for its path. */
function renderEgress(e: EgressSpec, nsOf: (i: number) => string, identity: (t: Target) => { ns: string; principal: string }): any[] {
  const host = EGRESS_HOSTS[e.host];
  const slug = host.replace(/\./g, '-');
  const out: any[] = [];
  if (e.wildcard) {
    const wildcard = `*.${host.split('.').slice(1).join('.')}-wild.net`;
    const port = e.wildcard === 'HTTP' ? { number: 80, name: 'http', protocol: 'HTTP' } : { number: 443, name: 'tls', protocol: 'TLS' };
    out.push({
      apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(`wildcard-${slug}`, nsOf(e.seNs)),
      spec: { hosts: [wildcard], ports: [port], resolution: 'NONE', location: 'MESH_EXTERNAL' },
    });
  }
  const ports: any[] = [];
  const gateway = e.path.endsWith('-gateway');
  if (e.path === 'passthrough-gateway') ports.push({ number: 443, name: 'tls', protocol: 'TLS' });
  else ports.push({ number: 80, name: 'http', protocol: 'HTTP' });
  if (e.path === 'originate-gateway' || (e.extraPorts && e.path !== 'passthrough-gateway')) ports.push({ number: 443, name: 'https', protocol: 'HTTPS' });
  // One TCP port per host, none a Service's: a ServiceEntry without addresses on a TCP port gets
  // Istio's 0.0.0.0:<port> listener, which takes every connection to the port (not modelled).
  if (e.extraPorts) ports.push({ number: 27017 + e.host, name: 'tcp-db', protocol: 'TCP' });
  const se: any = { hosts: [host], ports, resolution: e.resolution, location: e.internal ? 'MESH_INTERNAL' : 'MESH_EXTERNAL' };
  if (e.resolution === 'STATIC') se.endpoints = [{ address: '198.51.100.7' }];
  if (e.resolution !== 'DNS') se.addresses = [`240.0.${e.host}.1`];
  if (e.seExportTo) se.exportTo = [e.seExportTo];
  out.push({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(slug, nsOf(e.seNs)), spec: se });
  const tls = (mode: 'SIMPLE' | 'MUTUAL') => (mode === 'MUTUAL'
    ? { mode, clientCertificate: '/etc/certs/client.pem', privateKey: '/etc/certs/key.pem', sni: host }
    : { mode, sni: host });
  if (e.path === 'originate-sidecar') {
    const ns = e.ruleNs < 0 ? ROOT : nsOf(e.ruleNs);
    out.push({
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`originate-${slug}`, ns),
      spec: { host, trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: tls(e.originate) }] } },
    });
  }
  if (!gateway) return out;
  const gwNs = nsOf(e.gwNs);
  const gwPort = e.path === 'passthrough-gateway' ? 443 : 80;
  const mtls = (e.hop === 'ISTIO_MUTUAL') !== e.serverMismatch;
  const server = e.path === 'passthrough-gateway'
    ? { port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: [host], tls: { mode: 'PASSTHROUGH' } }
    : mtls
      ? { port: { number: 80, name: 'https-80', protocol: 'HTTPS' }, hosts: [host], tls: { mode: 'ISTIO_MUTUAL' } }
      : { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] };
  out.push({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta(slug, gwNs), spec: { selector: { istio: 'egressgateway' }, servers: [server] } });
  const subset: any = { name: slug };
  if (e.hop !== 'auto') subset.trafficPolicy = { portLevelSettings: [{ port: { number: gwPort }, tls: { mode: e.hop, ...(e.hop === 'ISTIO_MUTUAL' ? { sni: host } : {}) } }] };
  out.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`egressgateway-for-${slug}`, gwNs), spec: { host: GATEWAY_HOST, subsets: [subset] } });
  const upPort = e.path === 'originate-gateway' ? 443 : gwPort;
  const toGateway = { destination: { host: GATEWAY_HOST, subset: slug, port: { number: gwPort } } };
  const toHost = { destination: { host, port: { number: upPort } } };
  const vs: any = { hosts: [host], gateways: [slug, 'mesh'] };
  if (e.vsExportTo) vs.exportTo = [e.vsExportTo];
  if (e.path === 'passthrough-gateway') {
    vs.tls = [
      { match: [{ gateways: ['mesh'], port: 443, sniHosts: [host] }], route: [toGateway] },
      { match: [{ gateways: [slug], port: 443, sniHosts: [host] }], route: [toHost] },
    ];
  } else {
    vs.http = [
      { match: [{ gateways: ['mesh'], port: 80 }], route: [toGateway] },
      { match: [{ gateways: [slug], port: 80 }], route: [toHost] },
    ];
  }
  out.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(slug, gwNs), spec: vs });
  if (e.gatewayAuthz) {
    const a = e.gatewayAuthz;
    const who = identity(a.who);
    const rule: any = { from: [{ source: { [a.field]: [a.field === 'namespaces' ? who.ns : who.principal] } }] };
    if (a.sni) rule.when = [{ key: 'connection.sni', values: [host] }];
    out.push({
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(`egress-clients-${slug}`, ROOT),
      spec: { selector: { matchLabels: { istio: 'egressgateway' } }, action: a.action, rules: [rule] },
    });
  }
  if (e.path === 'originate-gateway') {
    const ns = e.ruleNs < 0 ? ROOT : nsOf(e.ruleNs);
    const rule: any = { host, trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: tls(e.originate) }] } };
    if (e.ruleNs < 0 && e.selectGateway) {
      rule.workloadSelector = { matchLabels: { istio: 'egressgateway' } };
      rule.exportTo = ['.'];
    }
    out.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`originate-tls-for-${slug}`, ns), spec: rule });
  }
  return out;
}

function uniqueName(out: any[], kind: string, ns: string, name: string, i: number): string {
  const taken = out.some((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name);
  return taken ? `${name}-${i}` : name;
}

function clientTls(mode: NonNullable<DestinationRuleSpec['tls']>): any {
  switch (mode) {
    case 'MUTUAL': return { mode: 'MUTUAL', clientCertificate: '/etc/certs/client.pem', privateKey: '/etc/certs/key.pem' };
    case 'SIMPLE-credential': return { mode: 'SIMPLE', credentialName: 'server-ca' };
    default: return { mode };
  }
}

function renderService(ns: string, name: string, selector: Record<string, string>, headless: boolean,
  ports: ServicePortSpec[], containerPorts: ContainerPortSpec[], exportTo?: string): any {
  // A headless Service's clients connect to the pod port itself: its ports are container ports.
  const used = new Set<number>();
  const rendered = ports.map((p, k) => {
    const cp = containerPorts[p.target % containerPorts.length];
    const number = headless ? cp.port : p.port;
    if (used.has(number)) return undefined;
    used.add(number);
    const targetPort = headless ? cp.port : p.byName && cp.named ? portName(cp) : cp.port;
    const port: any = { port: number, targetPort, protocol: 'TCP' };
    if (p.name !== undefined || ports.length > 1) port.name = p.name !== undefined ? `${p.name}${ports.length > 1 ? `-${k}` : ''}` : `port-${k}`;
    if (p.appProtocol) port.appProtocol = p.appProtocol;
    return port;
  }).filter((p) => p !== undefined);
  const spec: any = { selector, ports: rendered };
  if (headless) spec.clusterIP = 'None';
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(name, ns, { annotations: exportTo ? { 'networking.istio.io/exportTo': exportTo } : undefined }),
    spec,
  };
}

function renderRule(r: RuleSpec, ref: (t: Target) => Built, policyNs: string): any {
  const out: any = {};
  const sources = r.from.map((f) => {
    const b = ref(f.target);
    const value = (() => {
      switch (f.field) {
        case 'principals':
        case 'notPrincipals':
          return f.value === 'identity' ? `cluster.local/ns/${b.ns}/sa/${b.sa}`
            : f.value === 'wildcard-ns' ? `cluster.local/ns/${b.ns}/*`
              : f.value === 'star' ? '*'
                : f.value === 'spiffe' ? `spiffe://cluster.local/ns/${b.ns}/sa/${b.sa}` : 'cluster.local/ns/nowhere/sa/nobody';
        case 'namespaces':
        case 'notNamespaces':
          return f.value === 'wildcard-ns' ? `${b.ns.slice(0, 4)}*` : f.value === 'star' ? '*' : f.value === 'nobody' ? 'nowhere' : b.ns;
        case 'serviceAccounts':
          return f.value === 'star' || f.value === 'nobody' ? `${b.ns}/nobody` : b.ns === policyNs && f.value === 'wildcard-ns' ? b.sa : `${b.ns}/${b.sa}`;
      }
    })();
    return { source: { [f.field]: [value] } };
  });
  // serviceAccounts may not share a source with principals or namespaces: one source each.
  if (sources.length > 0) out.from = sources;
  const ports = r.ports.map(String);
  if (r.splitTo && ports.length > 0 && r.methods) {
    out.to = [{ operation: { ports } }, { operation: { methods: ['GET'] } }];
  } else if (ports.length > 0 || r.methods) {
    const op: any = {};
    if (ports.length > 0) op.ports = ports;
    if (r.methods) op.methods = ['GET'];
    out.to = [{ operation: op }];
  }
  return out;
}
