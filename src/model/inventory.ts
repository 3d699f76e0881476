// Reads the input objects into the typed resources the model works on.

import { CLUSTER_SCOPED, isMeshConfig, notModelledReason } from './coverage';
import { admit, modelKind } from './admission';
import { creationTime } from './age';
import { captureOf, FULL_CAPTURE } from './interception';
import { resolveHost, serviceHost } from './hosts';
import { decideSidecar } from './injection';
import { LabelIndex, labelMap, Labels, matchesLabels } from './labels';
import { istioProtocol } from './protocols';
import { parseRole, parseRoleBinding } from './rbac-objects';
import {
  AuthorizationPolicyInfo, ContainerPort, DestinationRuleInfo, GatewayInfo, GatewayServer, NamespaceInfo, NetworkPolicyInfo,
  NetworkPolicyPeer, NetworkPolicyRule, PeerAuthenticationInfo, RoleBindingInfo, RoleInfo, Route, RouteKind, RouteMatch, ServiceEntryInfo,
  RequestAuthenticationInfo, SecretInfo, ServiceInfo, SidecarInfo, TlsSettings, TrafficTls, VirtualServiceInfo, WorkloadInfo,
} from './resources';
import { K8sObject, NamespaceAssumption, NotApplied, NotModelled, ResolvedOptions, ResourceRef, SourcedObject } from './types';

/** Kinds that run pods, and where their pod template is. */
const WORKLOAD_KINDS: { readonly [kind: string]: (o: K8sObject) => K8sObject | undefined } = {
  Deployment: (o) => o.spec?.template,
  StatefulSet: (o) => o.spec?.template,
  DaemonSet: (o) => o.spec?.template,
  ReplicaSet: (o) => o.spec?.template,
  ReplicationController: (o) => o.spec?.template,
  Job: (o) => o.spec?.template,
  CronJob: (o) => o.spec?.jobTemplate?.spec?.template,
  Pod: (o) => o,
};

export interface Inventory {
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** Sorted by id. */
  readonly workloads: readonly WorkloadInfo[];
  readonly workloadIndex: LabelIndex<WorkloadInfo>;
  readonly services: readonly ServiceInfo[];
  readonly peerAuthentications: readonly PeerAuthenticationInfo[];
  readonly destinationRules: readonly DestinationRuleInfo[];
  readonly authorizationPolicies: readonly AuthorizationPolicyInfo[];
  readonly serviceEntries: readonly ServiceEntryInfo[];
  readonly gateways: readonly GatewayInfo[];
  readonly virtualServices: readonly VirtualServiceInfo[];
  readonly networkPolicies: readonly NetworkPolicyInfo[];
  readonly sidecars: readonly SidecarInfo[];
  /** Roles and ClusterRoles. */
  readonly roles: readonly RoleInfo[];
  /** RoleBindings and ClusterRoleBindings. */
  readonly roleBindings: readonly RoleBindingInfo[];
  readonly requestAuthentications: readonly RequestAuthenticationInfo[];
  /** Secrets by name (a Gateway's certificates). */
  readonly secrets: readonly SecretInfo[];
  /** Notes about the input (duplicates). */
  readonly warnings: readonly string[];
  /** What the input holds that the model does not evaluate, in input order. */
  readonly notModelled: readonly NotModelled[];
  /** Namespaces the input does not hold, with the labels the model gave them, by name. */
  readonly namespaceAssumptions: readonly NamespaceAssumption[];
  /** Objects the cluster would refuse: not evaluated. */
  readonly notApplied: readonly NotApplied[];
}

function refOf(o: K8sObject, manifest: string | undefined, clusterScoped = false): ResourceRef {
  return {
    kind: String(o.kind),
    namespace: clusterScoped ? '' : namespaceOf(o),
    name: String(o.metadata?.name ?? ''),
    manifest,
  };
}

function namespaceOf(o: K8sObject): string {
  return String(o.metadata?.namespace ?? 'default');
}

function list<T = any>(value: unknown): T[] {
  return Array.isArray(value) ? value : [];
}

function portNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Removes duplicates (same kind, namespace and name): the later object wins, as with `kubectl apply`. */
function dedupe(objects: readonly SourcedObject[], warnings: string[]): SourcedObject[] {
  const byKey = new Map<string, SourcedObject>();
  for (const item of objects) {
    const o = item.object;
    if (!o || typeof o !== 'object' || !o.kind) continue;
    dedupeAdd(byKey, item, warnings);
  }
  return [...byKey.values()];
}

function dedupeAdd(byKey: Map<string, SourcedObject>, item: SourcedObject, warnings: string[]): void {
  const o = item.object;
  if (!o || typeof o !== 'object' || !o.kind) return;
  const name = CLUSTER_SCOPED.has(o.kind) ? String(o.metadata?.name ?? '') : `${namespaceOf(o)}/${o.metadata?.name ?? ''}`;
  const key = `${o.kind}/${name}`;
  const previous = byKey.get(key);
  if (previous) {
    warnings.push(`${o.kind} ${name} appears more than once${item.manifest ? ` (last in ${item.manifest})` : ''}: the last one is used`);
    byKey.delete(key);
  }
  byKey.set(key, item);
}

function tlsSettings(value: any): TlsSettings | undefined {
  if (!value || typeof value !== 'object' || !value.mode) return undefined;
  return { mode: String(value.mode).toUpperCase(), sni: value.sni, credentialName: value.credentialName };
}

function trafficTls(policy: any): TrafficTls {
  const portTls = new Map<number, TlsSettings>();
  const ports = new Set<number>();
  for (const setting of list(policy?.portLevelSettings)) {
    const port = portNumber(setting?.port?.number);
    if (port === undefined || ports.has(port)) continue; // the first entry for a port counts (GetPortLevelTrafficPolicy)
    ports.add(port);
    const tls = tlsSettings(setting?.tls);
    if (tls) portTls.set(port, tls);
  }
  return { tls: tlsSettings(policy?.tls), portTls, ports };
}

function resolveGatewayRef(ref: string, namespace: string): string {
  if (ref === 'mesh') return 'mesh';
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

function routeMatches(kind: RouteKind, route: any, namespace: string): RouteMatch[] {
  return list(route?.match).map((m: any) => {
    const { gateways, port, sniHosts, ...rest } = m ?? {};
    const conditional = Object.keys(rest).some((k) => !['name', 'ignoreUriCase', 'sourceNamespace'].includes(k));
    return {
      gateways: Array.isArray(gateways) && gateways.length > 0 ? gateways.map((g: string) => resolveGatewayRef(String(g), namespace)) : undefined,
      port: portNumber(port),
      sniHosts: kind === 'tls' && Array.isArray(sniHosts) ? sniHosts.map((h: string) => String(h).toLowerCase()) : undefined,
      conditional,
    };
  });
}

function parseVirtualService(o: K8sObject, manifest: string | undefined, index: number, clusterDomain: string): VirtualServiceInfo {
  const namespace = namespaceOf(o);
  const spec = o.spec ?? {};
  const gateways = list<string>(spec.gateways).map((g) => resolveGatewayRef(String(g), namespace));
  const routes: Route[] = [];
  for (const kind of ['http', 'tls', 'tcp'] as RouteKind[]) {
    list(spec[kind]).forEach((route: any, i: number) => {
      routes.push({
        kind,
        index: i,
        matches: routeMatches(kind, route, namespace),
        destinations: list(route?.route).map((r: any) => ({
          host: resolveHost(String(r?.destination?.host ?? ''), namespace, clusterDomain),
          port: portNumber(r?.destination?.port?.number),
          subset: r?.destination?.subset,
          weight: typeof r?.weight === 'number' ? r.weight : 100,
        })),
      });
    });
  }
  return {
    ref: refOf(o, manifest),
    index,
    namespace,
    hosts: list<string>(spec.hosts).map((h) => resolveHost(String(h), namespace, clusterDomain)),
    gateways: gateways.length > 0 ? gateways : ['mesh'],
    exportTo: Array.isArray(spec.exportTo) ? spec.exportTo.map(String) : undefined,
    routes,
  };
}

/**
 * policyTypes as the API server defaults it: absent (or empty) means Ingress, plus Egress when the
 * spec has egress rules (k8s.io/kubernetes pkg/apis/networking/v1/defaults.go, SetDefaults_NetworkPolicy).
 */
function policyTypes(spec: any): string[] {
  if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) return spec.policyTypes.map(String);
  return list(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function networkPolicyRules(rules: unknown, peersField: 'from' | 'to'): NetworkPolicyRule[] {
  return list(rules).map((rule: any) => ({
    ports: Array.isArray(rule?.ports) ? rule.ports.map((p: any) => ({
      port: portNumber(p?.port) ?? (typeof p?.port === 'string' ? p.port : undefined),
      endPort: portNumber(p?.endPort),
      protocol: String(p?.protocol ?? 'TCP').toUpperCase(),
    })) : undefined,
    peers: Array.isArray(rule?.[peersField]) ? rule[peersField].map((peer: any): NetworkPolicyPeer => ({
      podSelector: peer?.podSelector ?? undefined,
      namespaceSelector: peer?.namespaceSelector ?? undefined,
      ipBlock: peer?.ipBlock?.cidr ? { cidr: String(peer.ipBlock.cidr), except: list<string>(peer.ipBlock.except).map(String) } : undefined,
    })) : undefined,
  }));
}

function parseNetworkPolicy(o: K8sObject, manifest: string | undefined, index: number): NetworkPolicyInfo {
  const spec = o.spec ?? {};
  const types = policyTypes(spec);
  return {
    ref: refOf(o, manifest),
    index,
    namespace: namespaceOf(o),
    podSelector: spec.podSelector ?? {},
    ingressIsolated: types.includes('Ingress'),
    egressIsolated: types.includes('Egress'),
    ingress: networkPolicyRules(spec.ingress, 'from'),
    egress: networkPolicyRules(spec.egress, 'to'),
  };
}

interface PendingWorkload {
  readonly id: string;
  readonly object: K8sObject;
  readonly template: K8sObject;
  readonly manifest?: string;
}

/** Reads the objects into the model's resources. Unknown kinds are ignored. */
export function buildInventory(input: readonly SourcedObject[], options: ResolvedOptions): Inventory {
  const warnings: string[] = [];
  // What the cluster would refuse is left out before anything else; of the same object given twice, the last it accepts wins.
  const { admitted, notApplied } = admit(input);
  const objects = dedupe(admitted, warnings);
  const { clusterDomain, trustDomain } = options;
  const namespaces = new Map<string, NamespaceInfo>();
  const pending: PendingWorkload[] = [];
  const services: ServiceInfo[] = [];
  const peerAuthentications: PeerAuthenticationInfo[] = [];
  const destinationRules: DestinationRuleInfo[] = [];
  const authorizationPolicies: AuthorizationPolicyInfo[] = [];
  const serviceEntries: ServiceEntryInfo[] = [];
  const gateways: GatewayInfo[] = [];
  const virtualServices: VirtualServiceInfo[] = [];
  const networkPolicies: NetworkPolicyInfo[] = [];
  const notModelled: NotModelled[] = [];
  const meshRouteEffects: Array<{ vs: VirtualServiceInfo; spec: any }> = [];
  const referenced = new Set<string>();
  const sidecars: SidecarInfo[] = [];
  const roles: RoleInfo[] = [];
  const roleBindings: RoleBindingInfo[] = [];
  const requestAuthentications: RequestAuthenticationInfo[] = [];
  const secrets: SecretInfo[] = [];
  const ids = new Set<string>();

  for (const { object: o, manifest } of objects) {
    // Only objects of a kind (and served apiVersion) the model reads take a branch below; the rest are for the last one.
    const kind = modelKind(o) ?? '';
    const spec = o.spec ?? {};
    const namespace = namespaceOf(o);
    if (kind === 'Namespace') {
      const name = String(o.metadata?.name ?? '');
      namespaces.set(name, {
        name,
        labels: { ...labelMap(o.metadata?.labels), 'kubernetes.io/metadata.name': name },
        ref: refOf(o, manifest, true),
        source: 'input',
      });
    } else if (WORKLOAD_KINDS[kind]) {
      const template = WORKLOAD_KINDS[kind](o);
      if (!template) continue;
      const name = String(o.metadata?.name ?? '');
      let id = `${namespace}/${name}`;
      if (ids.has(id)) id = `${namespace}/${kind.toLowerCase()}/${name}`;
      ids.add(id);
      pending.push({ id, object: o, template, manifest });
    } else if (kind === 'Service') {
      serviceNotModelled(o, refOf(o, manifest), notModelled);
      services.push({
        ref: refOf(o, manifest),
        namespace,
        name: String(o.metadata?.name ?? ''),
        host: serviceHost(String(o.metadata?.name ?? ''), namespace, clusterDomain),
        selector: spec.selector && Object.keys(spec.selector).length > 0 ? labelMap(spec.selector) : undefined,
        ports: list(spec.ports).filter((p: any) => String(p?.protocol ?? 'TCP').toUpperCase() !== 'UDP' && portNumber(p?.port) !== undefined)
          .map((p: any) => ({
            port: portNumber(p.port)!,
            name: p.name,
            targetPort: portNumber(p.targetPort) ?? (typeof p.targetPort === 'string' ? p.targetPort : portNumber(p.port)!),
            appProtocol: p.appProtocol,
            istioProtocol: istioProtocol(p.name, p.appProtocol === undefined || p.appProtocol === null ? undefined : String(p.appProtocol), portNumber(p.port)),
          })),
       created: creationTime(o),
        headless: spec.clusterIP === 'None',
        exportTo: typeof o.metadata?.annotations?.['networking.istio.io/exportTo'] === 'string'
          ? String(o.metadata.annotations['networking.istio.io/exportTo']).split(',').map((e: string) => e.trim()).filter((e: string) => e !== '')
          : undefined,
      });
    } else if (kind === 'PeerAuthentication') {
      const portModes = new Map<number, string>();
      for (const [port, setting] of Object.entries(spec.portLevelMtls ?? {})) {
        const n = portNumber(port);
        const mode = (setting as any)?.mode;
        if (n !== undefined && mode) portModes.set(n, String(mode).toUpperCase());
      }
      const selector = labelMap(spec.selector?.matchLabels);
      peerAuthentications.push({
        ref: refOf(o, manifest),
        index: peerAuthentications.length,
        namespace,
        selector: Object.keys(selector).length > 0 ? selector : undefined,
        mode: spec.mtls?.mode ? String(spec.mtls.mode).toUpperCase() : undefined,
        portModes,
        created: creationTime(o),
      });
    } else if (kind === 'DestinationRule') {
      const subsets = new Map<string, TrafficTls>();
      for (const subset of list(spec.subsets)) {
        if (subset?.name) subsets.set(String(subset.name), trafficTls(subset.trafficPolicy));
      }
      const selector = labelMap(spec.workloadSelector?.matchLabels);
      destinationRules.push({
        ref: refOf(o, manifest),
        index: destinationRules.length,
        namespace,
        host: resolveHost(String(spec.host ?? ''), namespace, clusterDomain),
        exportTo: Array.isArray(spec.exportTo) ? spec.exportTo.map(String) : undefined,
        workloadSelector: Object.keys(selector).length > 0 ? selector : undefined,
        policy: trafficTls(spec.trafficPolicy),
        hasTrafficPolicy: spec.trafficPolicy !== undefined && spec.trafficPolicy !== null,
        subsets,
        created: creationTime(o),
      });
    } else if (kind === 'RequestAuthentication') {
      if (spec.targetRef || spec.targetRefs) {
        notModelled.push({
          ref: refOf(o, manifest), field: spec.targetRefs ? 'spec.targetRefs' : 'spec.targetRef',
          reason: 'applies to gateways or waypoints (ambient mode), not to sidecars: the policy is not evaluated',
        });
        continue;
      }
      const selector = labelMap(spec.selector?.matchLabels);
      requestAuthentications.push({
        ref: refOf(o, manifest),
        namespace,
        selector: Object.keys(selector).length > 0 ? selector : undefined,
        issuers: list(spec.jwtRules).map((r: any) => String(r?.issuer ?? '')).filter((i) => i !== ''),
      });
    } else if (kind === 'Secret') {
      secrets.push({ ref: refOf(o, manifest), namespace, name: String(o.metadata?.name ?? '') });
    } else if (kind === 'AuthorizationPolicy') {
      const selector = labelMap(spec.selector?.matchLabels);
      if (spec.targetRef || spec.targetRefs) {
        notModelled.push({
          ref: refOf(o, manifest), field: spec.targetRefs ? 'spec.targetRefs' : 'spec.targetRef',
          reason: 'applies to gateways or waypoints (ambient mode), not to sidecars: the policy is not evaluated',
        });
        continue;
      }
      authorizationPolicies.push({
        ref: refOf(o, manifest),
        index: authorizationPolicies.length,
        namespace,
        selector: Object.keys(selector).length > 0 ? selector : undefined,
        action: String(spec.action ?? 'ALLOW').toUpperCase(),
        provider: spec.provider?.name,
        rules: list(spec.rules),
        // pilot/pkg/security/authz/builder/builder.go isDryRun: strconv.ParseBool of istio.io/dry-run.
        dryRun: ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(String(o.metadata?.annotations?.['istio.io/dry-run'] ?? '')),
      });
    } else if (kind === 'ServiceEntry') {
      serviceEntryNotModelled(o, refOf(o, manifest), notModelled);
      serviceEntries.push({
        ref: refOf(o, manifest),
        namespace,
        hosts: list<string>(spec.hosts).map((h) => String(h).toLowerCase()),
        ports: list(spec.ports).filter((p: any) => portNumber(p?.number) !== undefined).map((p: any) => ({
          number: portNumber(p.number)!,
          name: p.name,
          protocol: String(p.protocol ?? 'TCP').toUpperCase(),
          targetPort: portNumber(p.targetPort),
        })),
        location: String(spec.location ?? 'MESH_EXTERNAL').toUpperCase(),
        resolution: String(spec.resolution ?? 'NONE').toUpperCase(),
        hasEndpoints: list(spec.endpoints).length > 0 || spec.workloadSelector !== undefined,
        addresses: list(spec.addresses).map(String),
        exportTo: Array.isArray(spec.exportTo) ? spec.exportTo.map(String) : undefined,
      });
    } else if (kind === 'Gateway') {
      const servers: GatewayServer[] = list(spec.servers).map((s: any, index: number) => ({ s, index }))
        .filter(({ s }) => portNumber(s?.port?.number) !== undefined).map(({ s, index }) => ({
          port: portNumber(s.port.number)!,
          protocol: String(s.port.protocol ?? 'TCP').toUpperCase(),
          hosts: list<string>(s.hosts).map((h) => String(h).toLowerCase().replace(/^[^/]*\//, '')),
          hostNamespaces: list<string>(s.hosts).map((h) => (String(h).includes('/') ? String(h).slice(0, String(h).indexOf('/')) : undefined)),
          tlsMode: s.tls?.mode ? String(s.tls.mode).toUpperCase() : undefined,
          httpsRedirect: s.tls?.httpsRedirect === true,
          credentialNames: [...new Set([s.tls?.credentialName, ...list<string>(s.tls?.credentialNames)].filter((n) => typeof n === 'string' && n !== ''))],
          index,
        }));
      gateways.push({
        ref: refOf(o, manifest),
        namespace,
        created: creationTime(o),
        key: `${namespace}/${o.metadata?.name}`,
        selector: labelMap(spec.selector),
        servers,
      });
    } else if (kind === 'VirtualService') {
      const vs = parseVirtualService(o, manifest, virtualServices.length, clusterDomain);
      virtualServices.push(vs);
      meshRouteEffects.push({ vs, spec });
    } else if (kind === 'NetworkPolicy') {
      networkPolicies.push(parseNetworkPolicy(o, manifest, networkPolicies.length));
    } else if (kind === 'Sidecar') {
      const selector = labelMap(spec.workloadSelector?.labels);
      const narrowing = ['egress', 'ingress'].filter((field) => list(spec[field]).length > 0);
      for (const field of narrowing) {
        notModelled.push({
          ref: refOf(o, manifest), field: `spec.${field}`,
          reason: `limits the ${field === 'egress' ? 'hosts a sidecar sees' : 'ports a sidecar serves'}: only its outboundTrafficPolicy is modelled, `
            + 'so calls and egress paths the report shows may fail',
        });
      }
      const narrowsConfig = narrowing.length > 0;
      sidecars.push({
        ref: refOf(o, manifest),
        index: sidecars.length,
        namespace,
        selector: Object.keys(selector).length > 0 ? selector : undefined,
        outboundMode: spec.outboundTrafficPolicy?.mode ? String(spec.outboundTrafficPolicy.mode).toUpperCase() : undefined,
        narrowsConfig,
      });
    } else if (isMeshConfig(o, options.rootNamespace)) {
      notModelled.push({
        ref: refOf(o, manifest), field: 'data.mesh',
        reason: 'Istio\'s mesh configuration (outbound traffic policy, auto mTLS, trust domain): the model uses Istio\'s defaults and its own options instead',
      });
    } else if (kind === 'Role' || kind === 'ClusterRole' || kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      if (kind === 'Role' || kind === 'ClusterRole') roles.push(parseRole(o, refOf(o, manifest, kind === 'ClusterRole')));
      else if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') roleBindings.push(parseRoleBinding(o, refOf(o, manifest, kind === 'ClusterRoleBinding')));
    } else {
      const reason = notModelledReason(o);
      if (reason) notModelled.push({ ref: refOf(o, manifest, CLUSTER_SCOPED.has(String(o.kind))), reason });
    }
  }
  // Labels matter only where pods run: namespaces of workloads are listed when assumed.
  for (const p of pending) referenced.add(namespaceOf(p.object));
  const namespaceAssumptions = assumeNamespaces(namespaces, referenced, options, warnings);

  const gatewaySelectors = distinctSelectors(gateways);
  const workloads = pending
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((p, index) => toWorkload(p, index, namespaces, gatewaySelectors, trustDomain));
  const workloadIndex = new LabelIndex(workloads);
  const gatewayHosts = new Set([...options.egressGatewayHosts, ...services
    .filter((svc) => svc.selector && workloadIndex.select(svc.namespace, svc.selector).some((w) => w.gateway)).map((svc) => svc.host)]);
  const meshHosts = new Set(services.map((svc) => svc.host).filter((h) => !gatewayHosts.has(h)));
  for (const { vs, spec } of meshRouteEffects) virtualServiceNotModelled(vs, spec, meshHosts, gatewayHosts, notModelled);
  return {
    namespaces,
    workloads,
    workloadIndex,
    services,
    peerAuthentications,
    destinationRules,
    authorizationPolicies,
    serviceEntries,
    gateways,
    virtualServices,
    networkPolicies,
    sidecars,
    roles,
    roleBindings,
    requestAuthentications,
    secrets,
    warnings,
    notModelled,
    namespaceAssumptions,
    notApplied,
  };
}

/**
 * Gives every namespace objects live in, or the options declare, labels: its own when the input
 * holds it, else the declared ones, else none (or `istio-injection=enabled` with `assumeInjected`).
 */
function assumeNamespaces(namespaces: Map<string, NamespaceInfo>, referenced: ReadonlySet<string>, options: ResolvedOptions,
  warnings: string[]): NamespaceAssumption[] {
  const assumptions: NamespaceAssumption[] = [];
  for (const [name, labels] of Object.entries(options.namespaceLabels)) {
    if (namespaces.has(name)) {
      warnings.push(`namespace ${name} is in the input: its own labels are used, not the declared ones`);
      continue;
    }
    const declared = labelMap(labels);
    namespaces.set(name, { name, labels: { ...declared, 'kubernetes.io/metadata.name': name }, source: 'declared' });
    assumptions.push({ name, source: 'declared', labels: declared, how: `declared ${describeLabels(declared)}` });
  }
  for (const name of [...referenced].sort()) {
    if (namespaces.has(name)) continue;
    const labels: { [key: string]: string } = options.assumeInjected ? { 'istio-injection': 'enabled' } : {};
    namespaces.set(name, { name, labels: { ...labels, 'kubernetes.io/metadata.name': name }, source: 'assumed' });
    assumptions.push({
      name, source: 'assumed', labels,
      how: options.assumeInjected
        ? 'not in the input: assumed istio-injection=enabled (assume injected)'
        : 'not in the input: assumed without labels, so Istio injects no sidecar unless a pod asks for one; declare its labels if it has any',
    });
  }
  return assumptions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeLabels(labels: { readonly [key: string]: string }): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? 'without labels' : `with labels ${pairs.join(', ')}`;
}

/** Ports and Services the calls leave out. */
function serviceNotModelled(o: K8sObject, ref: ResourceRef, into: NotModelled[]): void {
  const spec = o.spec ?? {};
  if (spec.type === 'ExternalName') {
    into.push({ ref, field: 'spec.externalName', reason: `an ExternalName Service (a DNS alias of ${spec.externalName ?? '?'}): calls to it are not in the report` });
    return;
  }
  const ports = list(spec.ports);
  if (ports.length > 0 && !(spec.selector && Object.keys(spec.selector).length > 0)) {
    into.push({ ref, field: 'spec.selector', reason: 'no selector: its endpoints (EndpointSlices) are not modelled, so calls to it are not in the report' });
  }
  ports.forEach((p: any, i: number) => {
    const protocol = String(p?.protocol ?? 'TCP').toUpperCase();
    if (protocol !== 'TCP') {
      into.push({ ref, field: `spec.ports[${i}].protocol`, reason: `${protocol} port ${p?.port}: Istio's sidecars proxy TCP only, and the model predicts TCP calls only` });
    }
  });
}

/** ServiceEntry settings the egress paths leave out. */
function serviceEntryNotModelled(o: K8sObject, ref: ResourceRef, into: NotModelled[]): void {
  const spec = o.spec ?? {};
  if (String(spec.location ?? 'MESH_EXTERNAL').toUpperCase() === 'MESH_INTERNAL') {
    into.push({ ref, field: 'spec.location', reason: 'MESH_INTERNAL: its hosts are mesh services, but calls to them are not in the report (only Kubernetes Services are)' });
  }
  if (spec.workloadSelector) {
    into.push({ ref, field: 'spec.workloadSelector', reason: 'pods (or WorkloadEntries) as endpoints of its hosts: calls to them are not in the report' });
  }
  list<string>(spec.hosts).map(String).forEach((host, i) => {
    const why = unmodelledWildcard(host, String(spec.resolution ?? 'NONE').toUpperCase(), list(spec.endpoints).length > 0);
    if (why) into.push({ ref, field: `spec.hosts[${i}]`, reason: why });
  });
  // pilot/pkg/networking/core/listener.go buildSidecarOutboundListeners: a TCP port of hosts without
  // addresses (and without endpoints to list) gets a wildcard listener 0.0.0.0:<port> in every sidecar.
  if (list(spec.addresses).length === 0 && list(spec.endpoints).length === 0 && !spec.workloadSelector) {
    list(spec.ports).forEach((port: any, i: number) => {
      const protocol = String(port?.protocol ?? 'TCP').toUpperCase();
      if (!['TCP', 'MONGO', 'MYSQL', 'REDIS'].includes(protocol) || portNumber(port?.number) === undefined) return;
      into.push({
        ref, field: `spec.ports[${i}]`,
        reason: `${protocol} port ${port.number} without addresses: every sidecar it is exported to listens on 0.0.0.0:${port.number} for it, `
          + `so connections on port ${port.number} that no more specific listener takes (other external hosts, pod IPs, headless Services) `
          + 'go to its hosts too; the model does not follow that (give the ServiceEntry addresses)',
      });
    });
  }
}

/**
 * Why a ServiceEntry host gets no egress rows: `*` alone, or a wildcard Istio can only resolve
 * through endpoints (pkg/config/validation/validation.go, ValidateServiceEntry, at the pinned commit).
 */
export function unmodelledWildcard(host: string, resolution: string, hasEndpoints: boolean): string | undefined {
  if (host === '*') return 'host "*": Istio\'s validation refuses it (invalid host), so it would not be applied';
  if (host.includes('*') && (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && !hasEndpoints) {
    return `wildcard host ${host} with resolution ${resolution} and no endpoints: Istio's validation refuses it (hosts must be FQDNs), so it would not be applied`;
  }
  return undefined;
}

/**
 * Mesh routes between mesh services (`meshHosts`: Services but egress gateways): the calls are per
 * Service as addressed, so routing them elsewhere is not modelled. Routes to an egress gateway are
 * egress paths, which the model follows.
 */
function virtualServiceNotModelled(vs: VirtualServiceInfo, spec: any, meshHosts: ReadonlySet<string>, gatewayHosts: ReadonlySet<string>,
  into: NotModelled[]): void {
  if (!vs.gateways.includes('mesh') && !vs.routes.some((r) => r.matches.some((m) => m.gateways?.includes('mesh')))) return;
  const hosts = vs.hosts.filter((h) => meshHosts.has(h));
  if (hosts.length === 0) return;
  for (const route of vs.routes) {
    if (route.matches.length > 0 && !route.matches.some((m) => (m.gateways ?? vs.gateways).includes('mesh'))) continue;
    const raw = list(spec[route.kind])[route.index] ?? {};
    const field = `spec.${route.kind}[${route.index}]`;
    const effects = ['fault', 'mirror', 'mirrors', 'redirect', 'directResponse', 'rewrite'].filter((k) => raw[k] !== undefined);
    if (route.destinations.some((d) => gatewayHosts.has(d.host))) continue;
    const elsewhere = route.destinations.filter((d) => !hosts.includes(d.host) || d.subset !== undefined);
    if (effects.length > 0) {
      into.push({ ref: vs.ref, field: `${field}.${effects[0]}`, reason: `${effects.join(', ')} on mesh calls to ${hosts.join(', ')}: the calls show the Service as addressed` });
    } else if (elsewhere.length > 0) {
      into.push({
        ref: vs.ref, field: `${field}.route`,
        reason: `sends mesh calls to ${hosts.join(', ')} on to ${elsewhere.map((d) => `${d.host}${d.subset ? ` subset ${d.subset}` : ''}`).join(', ')}: `
          + 'the calls show the Service as addressed, its endpoints and its DestinationRule',
      });
    }
  }
}

/**
 * The Gateways with a selector, one per distinct selector (the first in input order): the first
 * Gateway that selects a pod is the first of these that does (many Gateways select the same pods).
 */
function distinctSelectors(gateways: readonly GatewayInfo[]): GatewayInfo[] {
  const byKey = new Map<string, GatewayInfo>();
  for (const g of gateways) {
    const keys = Object.keys(g.selector);
    if (keys.length === 0) continue;
    const key = JSON.stringify(keys.sort().map((k) => [k, g.selector[k]]));
    if (!byKey.has(key)) byKey.set(key, g);
  }
  return [...byKey.values()];
}

/** `gateways`: those of `distinctSelectors`. */
function toWorkload(p: PendingWorkload, index: number, namespaces: Map<string, NamespaceInfo>,
  gateways: readonly GatewayInfo[], trustDomain: string): WorkloadInfo {
  const o = p.object;
  const namespace = namespaceOf(o);
  const podLabels: Labels = labelMap(p.template.metadata?.labels);
  const annotations: Labels = labelMap(p.template.metadata?.annotations);
  const podSpec = p.template.spec ?? {};
  const serviceAccount = String(podSpec.serviceAccountName ?? podSpec.serviceAccount ?? 'default');
  const containerPorts: ContainerPort[] = [];
  for (const c of [...list(podSpec.containers), ...list(podSpec.initContainers).filter((i: any) => i?.restartPolicy === 'Always')]) {
    for (const port of list(c?.ports)) {
      const n = portNumber(port?.containerPort);
      if (n !== undefined) containerPorts.push({ port: n, name: port.name, protocol: String(port.protocol ?? 'TCP').toUpperCase() });
    }
  }
  const ns = namespaces.get(namespace);
  const nsLabels = ns?.labels ?? {};
  const gateway = gateways.find((g) => matchesLabels(g.selector, podLabels));
  const decided = gateway
    ? { sidecar: true, reason: `Istio gateway proxy (pods of ${gateway.ref.namespace}/${gateway.ref.name})` }
    : decideSidecar(nsLabels, podLabels, annotations, { namespace, hostNetwork: podSpec.hostNetwork === true });
  const assumed = gateway || !ns || ns.source === 'input' ? ''
    : ns.source === 'declared' ? ` (namespace ${namespace} as declared)` : ` (namespace ${namespace} is not in the input: labels assumed)`;
  const decision = { sidecar: decided.sidecar, reason: decided.reason + assumed };
  const principal = `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  // pilot/pkg/model/service.go GetTLSModeFromEndpointLabels; the injection template sets `istio` unless the pod has a value.
  const ownTlsMode = podLabels['security.istio.io/tlsMode'];
  const tlsMode = decision.sidecar && !gateway ? ownTlsMode || 'istio' : ownTlsMode ?? 'disabled';
  return {
    index,
    id: p.id,
    namespace,
    name: String(o.metadata?.name ?? ''),
    kind: String(o.kind),
    ref: refOf(o, p.manifest),
    serviceAccount,
    podLabels,
    annotations,
    sidecar: decision.sidecar,
    sidecarReason: decision.reason,
    gateway: gateway !== undefined,
    containerPorts,
    tlsMode,
    capture: decision.sidecar && !gateway ? captureOf(annotations) : FULL_CAPTURE,
    principal,
    identity: `spiffe://${principal}`,
  };
}
