// The mesh model: reads manifests, predicts every call and every egress path.

import { AuthorizationPolicies } from './authorization';
import { DestinationRules } from './destination-rules';
import { EgressAnalysis, EgressTarget, EgressVerdict } from './egress';
import { ClientGroup, Endpoint, EndpointGroup, groupClients, groupEgressClients, groupEndpoints, selectorRuleIds } from './groups';
import { GatewayListeners } from './gateway-listeners';
import { outboundCaptureKey } from './interception';
import { IngressAnalysis, IngressPath } from './ingress';
import { buildInventory, Inventory } from './inventory';
import { NetMatch, NetPod, NetworkPolicies } from './network-policy';
import { PeerAuthentications } from './peer-authentication';
import { Sidecars } from './sidecars';
import { RbacAccess } from './rbac';
import { ServicePortInfo, WorkloadInfo } from './resources';
import {
  ConnectionRow, EgressRow, IngressRow, K8sObject, ModelOptions, NamespaceAssumption, NotApplied, NotModelled, Outcome, OUTCOMES, ResolvedOptions, resolveOptions,
  ResourceRef, SourcedObject, WorkloadRow,
} from './types';
import { ClientFacts, decideCall, Verdict, VerdictContext } from './verdict';

/** A decided way in from outside: a path through an ingress gateway to one endpoint, and its verdict. */
export interface IngressDecision {
  readonly path: IngressPath;
  readonly endpoint: Endpoint;
  readonly verdict: Verdict;
  /** Whether the gateway's own policies refused the call (before it reached the workload). */
  readonly deniedAtGateway: boolean;
}

/**
 * Clients alike but for their authorization signature and the NetworkPolicy rules that name them:
 * same namespace, sidecar, workload-selected DestinationRules and NetworkPolicy egress class.
 */
export interface BaseGroup {
  readonly id: number;
  readonly namespace: string;
  readonly sidecar: boolean;
  /** See `NetworkPolicies.openness`. */
  readonly egressClass: number;
  /** Its client groups. */
  readonly groups: ClientGroup[];
  size: number;
}

/** The clients a pair stands for when they are more than one client group: members of `bases` but those of `named`. */
export interface PairSpan {
  readonly bases: readonly BaseGroup[];
  readonly named: ReadonlySet<ClientGroup>;
  /** Members of `named` per base group. */
  readonly namedCount: ReadonlyMap<BaseGroup, number>;
  /** Calls per base group the span does not stand for (pods calling their own address). */
  readonly excluded?: ReadonlyMap<BaseGroup, number>;
}

/**
 * A decided pair of clients and an endpoint group, and how many calls it stands for. Without
 * `span` the clients are `client`'s members; with it, those of the span (`client` is one of them).
 */
export interface GroupPair {
  readonly client: ClientGroup;
  readonly endpoint: EndpointGroup;
  readonly verdict: Verdict;
  readonly count: number;
  readonly span?: PairSpan;
}

/**
 * A decided egress path for some clients: one egress client group, or (a span) every group of an
 * egress class outside the namespaces that matter to the target, which all take the same path.
 */
export interface EgressPair {
  /** The first client group it stands for. */
  readonly client: ClientGroup;
  readonly target: EgressTarget;
  readonly verdict: EgressVerdict;
  /** How many workloads take this path (those behind the host itself are left out). */
  readonly count: number;
  /** The first of them. */
  readonly example: WorkloadInfo;
  /** The client groups it stands for, in order. */
  groups(): Iterable<ClientGroup>;
  /** The namespaces of those groups, each once. */
  namespaces(): Iterable<string>;
}

/** Egress client groups alike but for their namespace (same sidecar, NetworkPolicies, selector rules). */
interface EgressClass {
  readonly groups: ClientGroup[];
  /** Members per namespace, namespaces in order of their first group. */
  readonly sizeByNs: Map<string, number>;
  size: number;
}

const CACHE_LIMIT = 100_000;

export class MeshModel {
  /** A model of plain objects (e.g. `chart.toJson()`), or of objects with the manifest they came from. */
  public static of(objects: ReadonlyArray<K8sObject | SourcedObject>, options?: ModelOptions): MeshModel {
    return new MeshModel(objects.map((o) => (isSourced(o) ? o : { object: o })), options);
  }

  public readonly options: ResolvedOptions;
  public readonly inventory: Inventory;
  public readonly clientGroups: readonly ClientGroup[];
  /** Sorted by server workload, Service and port. */
  public readonly endpoints: readonly Endpoint[];
  public readonly endpointGroups: readonly EndpointGroup[];
  public readonly egressClientGroups: readonly ClientGroup[];
  public readonly egressAnalysis: EgressAnalysis;
  public readonly peerAuthentications: PeerAuthentications;
  /** How many calls the model has decided (verdicts computed, not looked up). */
  public decisions = 0;
  /**
   * Up to this many (client group x endpoint group) pairs, `groupPairs()` lists them all, client
   * group by client group; beyond, it lists per endpoint group the clients its policies tell apart.
   */
  public pairEnumerationLimit = 250_000;
  /** Where Istio's choice between objects rests on their age and the input does not tell it. */
  public readonly ageTies: readonly AgeTie[];
  public readonly baseGroups: readonly BaseGroup[];
  private readonly baseOf = new Map<ClientGroup, BaseGroup>();
  private readonly signatureOf = new Map<ClientGroup, readonly number[]>();
  private readonly byPattern = new Map<number, ClientGroup[]>();
  /** Client groups by the NetworkPolicy ingress patterns that select them, and by their egress policies. */
  private readonly byNetPattern = new Map<number, ClientGroup[]>();
  private readonly endpointNetNaming: Array<NetNaming | undefined> = [];
  /** NetworkPolicies of the input, as the verdicts use them. */
  public readonly network: NetworkPolicies;
  /** The gateway pods and the pods behind egress targets. */
  private readonly egressPods: readonly NetPod[];
  private readonly endpointPatterns: Array<Set<number> | undefined> = [];
  private readonly endpointNamespaces: Array<Set<string> | undefined> = [];
  /** Per port, the namespaces of clients whose sidecar does not capture it (their calls differ there). */
  private readonly excludingNamespaces = new Map<number, Set<string>>();
  /** Namespaces with clients whose sidecar blocks hosts outside its registry (REGISTRY_ONLY). */
  private readonly registryOnlyNamespaces = new Set<string>();
  /** Namespaces of gateway pods (clients that are Envoys of their own). */
  private readonly gatewayClientNamespaces = new Set<string>();
  private context: VerdictContext;
  private readonly clientGroupOf = new Map<WorkloadInfo, ClientGroup>();
  private readonly egressGroupOf = new Map<WorkloadInfo, ClientGroup>();
  private readonly verdicts = new Map<string, Verdict>();
  /** Per target, verdicts by base id (clients outside the namespaces that matter) or `base|namespace`. */
  private egressVerdicts: Array<Map<number | string, EgressVerdict> | undefined> = [];
  private egressVerdictCount = 0;
  /**
   * Per egress client group (by id), what tells it apart from groups of other namespaces (sidecar,
   * NetworkPolicies, selector rules), numbered.
   */
  private readonly egressBaseId: number[] = [];
  private readonly egressClasses: EgressClass[] = [];
  private readonly egressGroupsByNs = new Map<string, ClientGroup[]>();
  private rbacAccess?: RbacAccess;
  private sidecarBasesByNs?: Map<string, BaseGroup[]>;

  /** Input not evaluated: what the loader could not read (`inputProblems`), then objects the cluster would refuse. */
  public readonly notApplied: readonly NotApplied[];
  /** Calls from outside through ingress gateways. */
  public readonly ingressAnalysis: IngressAnalysis;
  private ingressDecisions?: IngressDecision[];

  /** `inputProblems`: what the loader could not read (readManifests), listed with the objects the cluster would refuse. */
  public constructor(objects: readonly SourcedObject[], options?: ModelOptions, inputProblems: readonly NotApplied[] = []) {
    this.options = resolveOptions(options);
    this.inventory = buildInventory(objects, this.options);
    this.notApplied = [...inputProblems, ...this.inventory.notApplied];
    const destinationRules = new DestinationRules(this.inventory.destinationRules, this.options.rootNamespace);
    const authorization = new AuthorizationPolicies(this.inventory, this.options.rootNamespace);
    const peerAuthentications = new PeerAuthentications(this.inventory, this.options.rootNamespace);
    this.peerAuthentications = peerAuthentications;
    const networkPolicies = new NetworkPolicies(this.inventory);
    this.network = networkPolicies;
    this.context = { destinationRules, authorization, network: networkPolicies };
    const sidecars = new Sidecars(this.inventory, this.options.rootNamespace, this.options.outboundTrafficPolicy);
    const registryOnly = (w: WorkloadInfo) => w.sidecar && !w.gateway && sidecars.outboundFor(w).mode === 'REGISTRY_ONLY';
    const headlessServers = new Set<WorkloadInfo>();
    for (const svc of this.inventory.services) {
      if (svc.headless && svc.selector) for (const w of this.inventory.workloadIndex.select(svc.namespace, svc.selector)) headlessServers.add(w);
    }
    const alone = (w: WorkloadInfo) => headlessServers.has(w);
    this.clientGroups = groupClients(this.inventory.workloads, authorization, destinationRules, networkPolicies, registryOnly, alone);
    for (const g of this.clientGroups) for (const m of g.members) this.clientGroupOf.set(m, g);
    const bases = new Map<string, BaseGroup>();
    for (const g of this.clientGroups) {
      const r = g.representative;
      const net = g.facts.network;
      // Exact egress policies: a rule that names a destination then names whole base groups.
      const key = r.sidecar
        ? `${r.namespace}|s|${selectorRuleIds(destinationRules, r)}|${r.gateway}|${outboundCaptureKey(r.capture)}|${g.facts.registryOnly}|${net.egressKey}${alone(r) ? `|${r.id}` : ''}`
        : `${r.namespace}|n|${net.egressKey}${alone(r) ? `|${r.id}` : ''}`;
      let base = bases.get(key);
      if (!base) bases.set(key, base = { id: bases.size, namespace: r.namespace, sidecar: r.sidecar, egressClass: net.egressClass, groups: [], size: 0 });
      base.groups.push(g);
      base.size += g.members.length;
      this.baseOf.set(g, base);
      const signature = r.sidecar ? authorization.callerSignatureIds(r.principal, r.namespace) : [];
      this.signatureOf.set(g, signature);
      for (const id of signature) pushTo(this.byPattern, id, g);
      for (const id of net.fromSignature) pushTo(this.byNetPattern, id, g);
    }
    this.baseGroups = [...bases.values()];
    for (const w of this.inventory.workloads) {
      if (registryOnly(w)) this.registryOnlyNamespaces.add(w.namespace);
      if (w.gateway) this.gatewayClientNamespaces.add(w.namespace);
      if (!w.sidecar) continue;
      for (const port of w.capture.excludeOutbound) {
        let set = this.excludingNamespaces.get(port);
        if (!set) this.excludingNamespaces.set(port, set = new Set());
        set.add(w.namespace);
      }
    }
    const { endpoints, groups, contested } = groupEndpoints(this.inventory.services,
      (svc) => this.inventory.workloadIndex.select(svc.namespace, svc.selector!), peerAuthentications, authorization, destinationRules, networkPolicies);
    this.endpoints = endpoints;
    this.endpointGroups = groups;
    this.ageTies = [
      ...peerAuthentications.ties
        .filter((t) => t.others.some((o) => o.mode !== t.chosen.mode || JSON.stringify([...o.portModes]) !== JSON.stringify([...t.chosen.portModes])))
        .map((t) => ({ chosen: t.chosen.ref, others: t.others.map((o) => o.ref), what: `${t.level}-level PeerAuthentications` })),
      ...destinationRules.ties.map((t) => ({ chosen: t.chosen.ref, others: [t.other.ref], what: `DestinationRules for ${t.chosen.host} (merged: the first one's trafficPolicy applies)` })),
      ...contested.map((c) => ({ chosen: c.service.ref, others: c.rival ? [c.rival.ref] : [], what: `Services targeting one pod port with different protocols (the first one's protocol applies)` })),
    ];
    this.egressAnalysis = new EgressAnalysis(this.inventory, this.options, destinationRules, networkPolicies, authorization, sidecars);
    this.context = { ...this.context, gatewayListeners: new GatewayListeners(this.inventory, this.egressAnalysis) };
    this.ingressAnalysis = new IngressAnalysis(this.inventory, this.options, this.egressAnalysis);
    // What tells egress clients apart besides their namespace: sidecar, NetworkPolicies, selector
    // rules, Sidecar resource, and the identity patterns of policies that may apply to egress gateways.
    const gatewayNamespaces = this.egressAnalysis.gatewayNamespaces();
    const gatewayPatterns = authorization.patternIds(this.inventory.authorizationPolicies.filter((p) => gatewayNamespaces.has(p.namespace)));
    const egressKey = (w: WorkloadInfo): string => {
      if (!w.sidecar) return 'n';
      const sidecar = sidecars.resourceFor(w)?.index ?? '';
      const named = gatewayPatterns.size === 0 ? '' : authorization.callerSignatureIds(w.principal, w.namespace).filter((id) => gatewayPatterns.has(id)).join(',');
      return `s|${selectorRuleIds(destinationRules, w)}|${sidecar}|${named}`;
    };
    const egressPods = this.egressAnalysis.egressPods();
    this.egressPods = egressPods;
    this.egressClientGroups = groupEgressClients(this.inventory.workloads, networkPolicies, egressPods, egressKey);
    const egressBases = new Map<string, number>();
    for (const g of this.egressClientGroups) {
      const r = g.representative;
      const np = networkPolicies.any ? networkPolicies.egressPathKey(r, egressPods) : '';
      const baseKey = `${np}|${egressKey(r)}`;
      let id = egressBases.get(baseKey);
      if (id === undefined) {
        egressBases.set(baseKey, id = egressBases.size);
        this.egressClasses.push({ groups: [], sizeByNs: new Map(), size: 0 });
      }
      this.egressBaseId[g.id] = id;
      const cls = this.egressClasses[id];
      cls.groups.push(g);
      cls.size += g.members.length;
      cls.sizeByNs.set(g.namespace, (cls.sizeByNs.get(g.namespace) ?? 0) + g.members.length);
      pushTo(this.egressGroupsByNs, g.namespace, g);
    }
    for (const g of this.egressClientGroups) for (const m of g.members) this.egressGroupOf.set(m, g);
  }

  /** What tells a client group apart for the network on every call: its egress NetworkPolicies ('' without any). */
  public netClassOf(group: ClientGroup): string {
    return this.network.any ? group.facts.network.egressKey : '';
  }

  /** The client group of a workload of this model. */
  public clientGroupFor(workload: WorkloadInfo): ClientGroup {
    return this.clientGroupOf.get(workload)!;
  }

  /** The egress client group of a workload of this model. */
  public egressGroupFor(workload: WorkloadInfo): ClientGroup {
    return this.egressGroupOf.get(workload)!;
  }

  /**
   * The egress class of an egress client group: groups of one class take the same path to a
   * target from every namespace that does not matter to it (`namespacesThatMatter`).
   */
  public egressClassOf(group: ClientGroup): string {
    // As in `egressVerdict`'s key: the class, and the client's own NetworkPolicies its reason names.
    const net = group.facts.network;
    const own = net.egressKey === '' && net.fromSignature.length === 0 ? '' : `|${net.egressKey}|${net.fromSignature.join(',')}`;
    return `${this.egressBaseId[group.id]}${own}`;
  }

  /**
   * The client groups whose calls to `endpoint` this model may decide otherwise than those of
   * the other groups: the groups its policies and NetworkPolicy rules name, and the sidecar groups
   * in a namespace whose DestinationRules matter to its host. Every other client group with a
   * sidecar and the same `netClassOf` gets one and the same verdict, and so does every group
   * without one and the same `netClassOf` (the cache key of `verdict` says why).
   */
  public distinguishedClients(endpoint: EndpointGroup): Set<ClientGroup> {
    const found = new Set<ClientGroup>(this.netNaming(endpoint).named);
    for (const id of this.patternsOf(endpoint)) for (const g of this.byPattern.get(id) ?? []) found.add(g);
    const relevant = this.namespacesOf(endpoint);
    if (relevant.size > 0) {
      if (!this.sidecarBasesByNs) {
        this.sidecarBasesByNs = new Map();
        for (const b of this.baseGroups) if (b.sidecar) pushTo(this.sidecarBasesByNs, b.namespace, b);
      }
      for (const ns of relevant) for (const b of this.sidecarBasesByNs.get(ns) ?? []) for (const g of b.groups) found.add(g);
    }
    return found;
  }

  /** Who the input's RBAC lets change mesh security or read the CA, computed on first use. */
  public get rbac(): RbacAccess {
    this.rbacAccess ??= new RbacAccess(this.inventory, this.options);
    return this.rbacAccess;
  }

  /** The AuthorizationPolicies of the input, as the verdicts evaluate them. */
  public get authorization(): AuthorizationPolicies {
    return this.context.authorization;
  }

  /** Notes about the input. */
  public get warnings(): readonly string[] {
    return this.inventory.warnings;
  }

  /** What the input holds that the model does not evaluate. */
  public get notModelled(): readonly NotModelled[] {
    return this.ingressAnalysis.notModelled.length === 0 ? this.inventory.notModelled : [...this.inventory.notModelled, ...this.ingressAnalysis.notModelled];
  }

  /** Namespaces the input does not hold, and the labels the model gave them. */
  public get namespaceAssumptions(): readonly NamespaceAssumption[] {
    return this.inventory.namespaceAssumptions;
  }

  /** Every workload, sorted by id. */
  public workloads(): WorkloadRow[] {
    return this.inventory.workloads.map((w) => ({
      id: w.id, namespace: w.namespace, name: w.name, kind: w.kind, serviceAccount: w.serviceAccount,
      identity: w.identity, sidecar: w.sidecar, sidecarReason: w.sidecarReason,
    }));
  }

  /** How many connection rows there are (clients x endpoints), without listing them. */
  public connectionCount(): number {
    return this.inventory.workloads.length * this.endpoints.length;
  }

  /**
   * The verdict for calls from `client` to `endpoint`, memoised (within a bounded cache) per what
   * tells clients apart for this endpoint group: the patterns of its policies that the client's
   * identity matches and, where one of the DestinationRules that may apply to its host lives in
   * the client's namespace (or is exported to it by name), the namespace and workload-selected
   * rules. A client without a sidecar sends plaintext wherever it is.
   */
  public verdict(client: ClientGroup, endpoint: EndpointGroup): Verdict {
    const key = this.relativeKey(client, endpoint);
    let v = this.verdicts.get(key);
    if (!v) {
      if (this.verdicts.size >= CACHE_LIMIT) this.verdicts.clear();
      v = decideCall(this.context, client.facts, endpoint.facts);
      this.decisions++;
      this.verdicts.set(key, v);
    }
    return v;
  }

  private relativeKey(client: ClientGroup, endpoint: EndpointGroup): string {
    const net = this.netKey(client, endpoint);
    if (!client.facts.sidecar) return `${endpoint.id}|n${net}`;
    const patterns = this.patternsOf(endpoint);
    let named = '';
    if (patterns.size > 0) for (const id of this.signatureOf.get(client)!) if (patterns.has(id)) named += `,${id}`;
    const base = this.baseOf.get(client)!;
    return `${endpoint.id}|${this.namespacesOf(endpoint).has(base.namespace) ? base.id : client.facts.gateway ? '*g' : '*'}|${named}${net}`;
  }

  /**
   * What tells clients apart for the network on calls to an endpoint group: their egress policies
   * (named in the reason) and which of the patterns of its ingress rules select them.
   */
  private netKey(client: ClientGroup, endpoint: EndpointGroup): string {
    if (!this.network.any) return '';
    const net = client.facts.network;
    const ingress = this.netNaming(endpoint).ingress;
    let from = '';
    if (ingress && ingress.size > 0) for (const id of net.fromSignature) if (ingress.has(id)) from += `,${id}`;
    return `|${net.egressKey}|${from}`;
  }

  /**
   * What NetworkPolicy rules name for an endpoint group: client groups by the patterns of its
   * ingress rules, and the namespaces of egress policies with a rule to it (their clients' base
   * groups hold those policies, so they are told apart base by base).
   */
  private netNaming(endpoint: EndpointGroup): NetNaming {
    let found = this.endpointNetNaming[endpoint.id];
    if (!found) {
      const named = new Set<ClientGroup>();
      const namespaces = new Set<string>();
      const net = endpoint.facts.network;
      const ingress = this.network.any ? this.network.ingressNaming(net) : undefined;
      for (const id of ingress ?? []) for (const g of this.byNetPattern.get(id) ?? []) named.add(g);
      if (this.network.any) for (const policy of this.network.egressNaming(net)) namespaces.add(policy.info.namespace);
      this.endpointNetNaming[endpoint.id] = found = { ingress, named, namespaces };
    }
    return found;
  }

  /** Pattern ids the policies of an endpoint group reference. */
  private patternsOf(endpoint: EndpointGroup): Set<number> {
    let ids = this.endpointPatterns[endpoint.id];
    if (!ids) this.endpointPatterns[endpoint.id] = ids = this.context.authorization.patternIds(endpoint.facts.policies);
    return ids;
  }

  /**
   * Client namespaces where calls to an endpoint group may go otherwise than from elsewhere: where
   * the DestinationRule lookup for its host may differ, or an egress NetworkPolicy names it.
   */
  private namespacesOf(endpoint: EndpointGroup): Set<string> {
    let ns = this.endpointNamespaces[endpoint.id];
    if (!ns) {
      // Gateways' Envoys differ from sidecars (no iptables, credentialName kept): their namespaces always count.
      ns = new Set([...this.netNaming(endpoint).namespaces, ...this.excludingNamespaces.get(endpoint.facts.port.port) ?? [], ...this.gatewayClientNamespaces]);
      // A Service exported to some namespaces only: those differ from the rest, and so do
      // registry-only clients elsewhere (their sidecar drops what it cannot route).
      const exportTo = endpoint.facts.service.exportTo;
      if (exportTo && !exportTo.includes('*')) {
        ns.add(endpoint.facts.service.namespace);
        for (const e of exportTo) if (e !== '.' && e !== '~') ns.add(e);
        for (const r of this.registryOnlyNamespaces) ns.add(r);
      }
      for (const r of endpoint.facts.drCandidates) {
        ns.add(r.namespace);
        for (const e of r.exportTo ?? []) if (e !== '*' && e !== '.') ns.add(e);
      }
      this.endpointNamespaces[endpoint.id] = ns;
    }
    return ns;
  }

  /** Every call, one row per client workload and Service port of a server workload; generated, not stored. */
  public* connections(): IterableIterator<ConnectionRow> {
    for (const client of this.inventory.workloads) {
      const cg = this.clientGroupOf.get(client)!;
      for (const e of this.endpoints) {
        const v = client === e.workload && e.service.headless ? selfCallVerdict(e.group) : this.verdict(cg, e.group);
        yield row(client, e, v);
      }
    }
  }

  /**
   * Every way in from outside, decided: per ingress path and endpoint of its Service port, first
   * the gateway's own AuthorizationPolicies (the external client has no mesh identity), then the
   * gateway's call to the workload, decided as any client's (decideCall). Memoised.
   */
  public ingressCalls(): readonly IngressDecision[] {
    if (this.ingressDecisions) return this.ingressDecisions;
    const decisions: IngressDecision[] = [];
    const hops = new Map<string, Verdict>();
    const clients = new Map<string, ClientFacts>();
    const byPort = new Map<ServicePortInfo, Endpoint[]>();
    if (this.ingressAnalysis.paths.length > 0) for (const e of this.endpoints) pushTo(byPort, e.port, e);
    for (const path of this.ingressAnalysis.paths) {
      const pods = path.pods;
      const edge = this.decideEdge(path);
      let client = clients.get(pods.id);
      if (!client) {
        const netPod = pods.workload ?? { namespace: pods.namespace, podLabels: pods.labels, containerPorts: [] };
        client = { namespace: pods.namespace, sidecar: true, gateway: true, labels: pods.labels, principal: pods.principal, network: this.network.client(netPod) };
        clients.set(pods.id, client);
      }
      for (const endpoint of byPort.get(path.servicePort) ?? []) {
        const key = `${pods.id}|${endpoint.group.id}`;
        let hop = hops.get(key);
        if (!hop) {
          this.decisions++;
          hops.set(key, hop = decideCall(this.context, client, endpoint.group.facts));
        }
        decisions.push(ingressDecision(path, endpoint, edge, hop));
      }
    }
    this.ingressDecisions = decisions;
    return decisions;
  }

  /** The gateway's own policies on the external call (pilot/pkg/security/authz/builder: as on any proxy; no peer identity). */
  private decideEdge(path: IngressPath): { allowed: boolean; reason: string } {
    const pods = path.pods;
    const policies = pods.workload ? this.context.authorization.policiesFor(pods.workload)
      : this.context.authorization.policiesForPods(pods.namespace, pods.labels);
    if (policies.length === 0) return { allowed: true, reason: '' };
    const wildcard = path.host.includes('*');
    const decision = this.context.authorization.evaluate(policies, {
      port: pods.podPort(path.server.port),
      http: path.http,
      // A TLS client names the host in its SNI; a plaintext one sends none.
      sni: path.edgeTls === 'none' ? '' : wildcard ? undefined : path.host,
      host: path.http && !wildcard ? path.host : undefined,
    });
    return { allowed: decision.allowed, reason: decision.reason };
  }

  /** Every call from outside through an ingress gateway, one row per path and endpoint. */
  public* ingress(): IterableIterator<IngressRow> {
    for (const d of this.ingressCalls()) {
      const { path, endpoint, verdict } = d;
      yield {
        from: 'external',
        gateway: path.pods.id,
        gatewayResource: path.gateway.key,
        host: path.host,
        gatewayPort: path.server.port,
        edgeTls: path.edgeTls,
        to: endpoint.workload.id,
        service: `${endpoint.service.namespace}/${endpoint.service.name}`,
        port: endpoint.port.port,
        outcome: verdict.outcome,
        ...(verdict.meshOutcome ? { meshOutcome: verdict.meshOutcome } : {}),
        reason: verdict.reason,
      };
    }
  }

  /** The calls from one workload. */
  public* connectionsFrom(workloadId: string): IterableIterator<ConnectionRow> {
    const client = this.inventory.workloads.find((w) => w.id === workloadId);
    if (!client) return;
    const cg = this.clientGroupOf.get(client)!;
    for (const e of this.endpoints) {
        const v = client === e.workload && e.service.headless ? selfCallVerdict(e.group) : this.verdict(cg, e.group);
        yield row(client, e, v);
    }
  }

  /**
   * Pairs of clients and endpoint groups with their verdict and the number of calls they stand for,
   * together every call once. Small models: every (client group, endpoint group) pair. Larger
   * ones: per endpoint group, the client groups its policies name, then the other clients of a
   * base group in a namespace whose DestinationRules matter to it, then all other clients with a
   * sidecar, and all without (see `PairSpan`): about (named + a few) pairs per endpoint group.
   */
  public* groupPairs(): IterableIterator<GroupPair> {
    for (const pair of this.decidedPairs()) {
      const headless = pair.endpoint.facts.service.headless ? pair.endpoint.members : undefined;
      if (!headless) {
        yield pair;
        continue;
      }
      // A pod calling its own address (a headless Service) takes another path: count those calls apart.
      const belongs = this.pairClients(pair);
      const self = new Map<ClientGroup, number>();
      for (const e of headless) {
        const cg = this.clientGroupOf.get(e.workload)!;
        if (belongs(cg)) self.set(cg, (self.get(cg) ?? 0) + 1);
      }
      let selfCount = 0;
      for (const n of self.values()) selfCount += n;
      if (pair.count > selfCount) yield this.withoutSelf(pair, self, selfCount);
      for (const [client, count] of self) yield { client, endpoint: pair.endpoint, verdict: selfCallVerdict(pair.endpoint), count };
    }
  }

  /**
   * A pair less its calls of pods to their own address; a span also drops the base groups left
   * with no call, so that the namespaces it stands for stay exact.
   */
  private withoutSelf(pair: GroupPair, self: ReadonlyMap<ClientGroup, number>, selfCount: number): GroupPair {
    if (!pair.span) return { ...pair, count: pair.count - selfCount };
    const size = pair.endpoint.members.length;
    const selfByBase = new Map<BaseGroup, number>();
    for (const [cg, n] of self) {
      const base = this.baseOf.get(cg)!;
      selfByBase.set(base, (selfByBase.get(base) ?? 0) + n);
    }
    const bases = pair.span.bases.filter((b) => (b.size - (pair.span!.namedCount.get(b) ?? 0)) * size > (selfByBase.get(b) ?? 0));
    const client = bases.includes(this.baseOf.get(pair.client)!) ? pair.client
      : bases.flatMap((b) => b.groups).find((g) => !pair.span!.named.has(g)) ?? pair.client;
    return { ...pair, client, count: pair.count - selfCount, span: { ...pair.span, bases, excluded: selfByBase } };
  }

  /** Whether a client group is one of those a pair stands for. */
  private pairClients(pair: GroupPair): (cg: ClientGroup) => boolean {
    if (!pair.span) return (cg) => cg === pair.client;
    const bases = new Set(pair.span.bases);
    const named = pair.span.named;
    return (cg) => bases.has(this.baseOf.get(cg)!) && !named.has(cg);
  }

  /** The pairs as decided, before calls of pods to their own address are counted apart. */
  private* decidedPairs(): IterableIterator<GroupPair> {
    if (this.clientGroups.length * this.endpointGroups.length <= this.pairEnumerationLimit) {
      for (const client of this.clientGroups) {
        for (const endpoint of this.endpointGroups) {
          yield { client, endpoint, verdict: this.verdict(client, endpoint), count: client.members.length * endpoint.members.length };
        }
      }
      return;
    }
    const sidecarBases = this.baseGroups.filter((b) => b.sidecar);
    const plainBases = this.baseGroups.filter((b) => !b.sidecar);
    const othersCache = new Map<string, Span>();
    const partitions = new Map<Span, Map<string, Span[]>>();
    const everySidecar = spanOf(sidecarBases);
    const everyPlain = spanOf(plainBases);
    const sidecarBasesByNs = new Map<string, BaseGroup[]>();
    for (const b of sidecarBases) pushTo(sidecarBasesByNs, b.namespace, b);
    const plainBasesByNs = new Map<string, BaseGroup[]>();
    for (const b of plainBases) pushTo(plainBasesByNs, b.namespace, b);
    const plainCache = new Map<string, Span>();
    if (everyPlain.size > 0) {
      // Without a sidecar a client sends plaintext: its namespace and identity do not matter, only
      // the NetworkPolicy rules that name it and its egress class.
      for (const endpoint of this.endpointGroups) {
        const naming = this.netNaming(endpoint);
        const named = new Set([...naming.named].filter((g) => !g.facts.sidecar));
        const inNamed: BaseGroup[] = [];
        for (const ns of naming.namespaces) inNamed.push(...plainBasesByNs.get(ns) ?? []);
        const others = inNamed.length > 0 ? this.basesOutside(naming.namespaces, plainBases, plainCache) : everyPlain;
        yield* this.spanPairs(endpoint, named, inNamed.sort((a, b) => a.id - b.id).map((b) => spanOf([b])), this.partition(others, endpoint, partitions),
          (base) => !naming.namespaces.has(base.namespace));
      }
    }
    for (const endpoint of this.endpointGroups) {
      const named = new Set<ClientGroup>();
      for (const id of this.patternsOf(endpoint)) for (const g of this.byPattern.get(id) ?? []) named.add(g);
      for (const g of this.netNaming(endpoint).named) if (g.facts.sidecar) named.add(g);
      const relevant = this.namespacesOf(endpoint);
      let others: Span = everySidecar;
      const inRelevant: BaseGroup[] = [];
      if (relevant.size > 0) {
        for (const ns of relevant) inRelevant.push(...sidecarBasesByNs.get(ns) ?? []);
        if (inRelevant.length > 0) others = this.basesOutside(relevant, sidecarBases, othersCache);
      }
      yield* this.spanPairs(endpoint, named, inRelevant.sort((a, b) => a.id - b.id).map((b) => spanOf([b])), this.partition(others, endpoint, partitions),
        (base) => base.sidecar && !relevant.has(base.namespace));
    }
  }

  /**
   * The pairs of one endpoint group: each named client group alone, then the rest of each span in
   * `singles` (one base group each) and in `shared` (spans of base groups `inShared` tells apart).
   */
  private* spanPairs(endpoint: EndpointGroup, named: ReadonlySet<ClientGroup>, singles: readonly Span[], shared: readonly Span[],
    inShared: (base: BaseGroup) => boolean = () => true): IterableIterator<GroupPair> {
    const size = endpoint.members.length;
    const namedCount = new Map<BaseGroup, number>();
    for (const client of named) {
      const base = this.baseOf.get(client)!;
      namedCount.set(base, (namedCount.get(base) ?? 0) + client.members.length);
      yield { client, endpoint, verdict: this.verdict(client, endpoint), count: client.members.length * size };
    }
    for (const span of singles) {
      const base = span.bases[0];
      const rest = base.size - (namedCount.get(base) ?? 0);
      if (rest === 0) continue;
      const client = base.groups.find((g) => !named.has(g))!;
      yield { client, endpoint, verdict: this.verdict(client, endpoint), count: rest * size, span: { named, namedCount, bases: span.bases } };
    }
    for (const span of shared) {
      // The clients of the span but the named ones, without walking every base group.
      let rest = span.size;
      const members = shared.length === 1 ? undefined : span.members ?? (span.members = new Set(span.bases));
      for (const [base, n] of namedCount) if (inShared(base) && (!members || members.has(base))) rest -= n;
      if (rest === 0) continue;
      let client: ClientGroup | undefined;
      for (const base of span.bases) {
        if (base.size === (namedCount.get(base) ?? 0)) continue;
        client = base.groups.find((g) => !named.has(g));
        if (client) break;
      }
      yield { client: client!, endpoint, verdict: this.verdict(client!, endpoint), count: rest * size, span: { named, namedCount, bases: span.bases } };
    }
  }

  /**
   * A span split by how its base groups' egress classes reach the endpoint group's port (see
   * `NetworkPolicies.openness`); one shared array per part, as `basesOutside` keeps them.
   */
  private partition(span: Span, endpoint: EndpointGroup, cache: Map<Span, Map<string, Span[]>>): Span[] {
    if (!this.network.any || span.bases.length === 0) return [span];
    const port = endpoint.facts.network.port;
    const portKey = `${port.port}|${[...port.names].sort().join(',')}`;
    let byPort = cache.get(span);
    if (!byPort) cache.set(span, byPort = new Map());
    let parts = byPort.get(portKey);
    if (!parts) {
      const byOpenness = new Map<NetMatch, BaseGroup[]>();
      const openness = new Map<number, NetMatch>();
      for (const base of span.bases) {
        let o = openness.get(base.egressClass);
        if (o === undefined) openness.set(base.egressClass, o = this.network.openness(base.egressClass, port));
        pushTo(byOpenness, o, base);
      }
      parts = byOpenness.size === 1 ? [span] : [...byOpenness.values()].map(spanOf);
      byPort.set(portKey, parts);
    }
    return parts;
  }

  /**
   * The sidecar base groups outside `relevant`, one shared array per distinct set of namespaces,
   * so that `aggregate()` can tell a span it has walked already by its identity.
   */
  private basesOutside(relevant: ReadonlySet<string>, bases: readonly BaseGroup[], cache: Map<string, Span>): Span {
    const key = [...relevant].sort().join(',');
    let span = cache.get(key);
    if (!span) cache.set(key, span = spanOf(bases.filter((b) => !relevant.has(b.namespace))));
    return span;
  }

  /** Calls per outcome. */
  public outcomeCounts(): Record<Outcome, number> {
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const pair of this.groupPairs()) counts[pair.verdict.outcome] += pair.count;
    return counts;
  }

  /** The external destinations. */
  public get egressTargets(): readonly EgressTarget[] {
    return this.egressAnalysis.targets;
  }

  /**
   * The path a group's traffic to a target takes, memoised per what tells clients apart for that
   * target: sidecar, NetworkPolicies and selector rules, and the namespace only where a
   * VirtualService or DestinationRule for the target lives or is exported by name. `client` is
   * one of `egressClientGroups`.
   */
  public egressVerdict(client: ClientGroup, targetIndex: number): EgressVerdict {
    const relevant = this.egressAnalysis.namespacesThatMatter(targetIndex);
    const ns = client.representative.namespace;
    const base = this.egressBaseId[client.id];
    // The reason names the client's own NetworkPolicies: clients of one class with other policies get their own.
    const net = client.facts.network;
    const from = this.network.egressFromKey(client.representative, this.egressPods);
    const own = net.egressKey === '' && from === '' ? '' : `|${net.egressKey}|${from}`;
    const key = relevant.has(ns) ? `${base}|${ns}${own}` : own ? `${base}${own}` : base;
    let verdicts = this.egressVerdicts[targetIndex];
    let v = verdicts?.get(key);
    if (!v) {
      this.decisions++;
      if (this.egressVerdictCount >= CACHE_LIMIT) {
        this.egressVerdicts = [];
        this.egressVerdictCount = 0;
        verdicts = undefined;
      }
      v = this.egressAnalysis.decide(client.representative, this.egressTargets[targetIndex]);
      if (!verdicts) this.egressVerdicts[targetIndex] = verdicts = new Map();
      verdicts.set(key, v);
      this.egressVerdictCount++;
    }
    return v;
  }

  /** One row per client workload and external host:port (a workload behind the host itself is left out). */
  public* egress(): IterableIterator<EgressRow> {
    const targets = this.egressTargets;
    for (const client of this.inventory.workloads) {
      const group = this.egressGroupOf.get(client)!;
      for (let i = 0; i < targets.length; i++) {
        if (targets[i].pods.includes(client)) continue;
        const v = this.egressVerdict(group, i);
        yield {
          from: client.id, host: targets[i].host, port: targets[i].port, outcome: v.outcome, via: v.via, tls: v.tls,
          bypassBlocked: v.bypassBlocked, gatewayBlocked: v.gatewayBlocked, reason: v.reason,
        };
      }
    }
  }

  /**
   * Decided egress paths that together stand for every egress row once, target by target and,
   * within a target, by their first client group. Per target: each group in a namespace that
   * matters to it, then one span per egress class for the rest (see `EgressPair`), so a platform
   * of many namespaces costs targets x (classes + a few), not targets x namespaces.
   */
  public* egressPairs(): IterableIterator<EgressPair> {
    const targets = this.egressTargets;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (target.pods.length > 0) {
        // A cluster Service outside the mesh: its own pods are left out, group by group.
        for (const client of this.egressClientGroups) {
          const members = client.members.filter((m) => !target.pods.includes(m));
          if (members.length > 0) yield this.singlePair(client, i, members);
        }
        continue;
      }
      const relevant = this.egressAnalysis.namespacesThatMatter(i);
      const pairs: EgressPair[] = [];
      for (const ns of relevant) for (const g of this.egressGroupsByNs.get(ns) ?? []) pairs.push(this.singlePair(g, i, g.members));
      for (const cls of this.egressClasses) {
        let count = cls.size;
        for (const ns of relevant) count -= cls.sizeByNs.get(ns) ?? 0;
        if (count === 0) continue;
        const outside = (g: ClientGroup) => !relevant.has(g.namespace);
        const client = cls.groups.find(outside)!;
        pairs.push({
          client, target, verdict: this.egressVerdict(client, i), count, example: client.members[0],
          // Generated, not listed: the findings stop after their first few clients.
          groups: function* () { for (const g of cls.groups) if (outside(g)) yield g; },
          namespaces: () => [...cls.sizeByNs.keys()].filter((ns) => !relevant.has(ns)),
        });
      }
      yield* pairs.sort((a, b) => a.client.id - b.client.id);
    }
  }

  private singlePair(client: ClientGroup, targetIndex: number, members: readonly WorkloadInfo[]): EgressPair {
    return {
      client, target: this.egressTargets[targetIndex], verdict: this.egressVerdict(client, targetIndex), count: members.length,
      example: members[0], groups: () => [client], namespaces: () => [client.namespace],
    };
  }

  /** Number of egress rows. */
  public egressCount(): number {
    let n = 0;
    for (const pair of this.egressPairs()) n += pair.count;
    return n;
  }
}

function row(client: WorkloadInfo, e: Endpoint, v: Verdict): ConnectionRow {
  const base = { from: client.id, to: e.workload.id, service: `${e.service.namespace}/${e.service.name}`, port: e.port.port, outcome: v.outcome };
  return v.meshOutcome ? { ...base, meshOutcome: v.meshOutcome, reason: v.reason } : { ...base, reason: v.reason };
}

interface NetNaming {
  /** Pattern ids of the ingress rules that tell clients apart (undefined: all are let in alike). */
  readonly ingress?: Set<number>;
  /** Client groups those patterns select. */
  readonly named: Set<ClientGroup>;
  /** Namespaces of egress policies with a rule that names the endpoints. */
  readonly namespaces: Set<string>;
}

/** Objects of the same age (none has a creationTimestamp, or the same one) of which Istio picks one by name. */
export interface AgeTie {
  readonly what: string;
  readonly chosen: ResourceRef;
  readonly others: readonly ResourceRef[];
}

/** Base groups and how many clients they have. */
interface Span {
  readonly bases: BaseGroup[];
  readonly size: number;
  /** `bases` as a set, made when needed. */
  members?: Set<BaseGroup>;
}

function spanOf(bases: BaseGroup[]): Span {
  return { bases, size: bases.reduce((n, b) => n + b.size, 0) };
}

const EDGE_TEXT: Record<IngressPath['edgeTls'], string> = {
  none: 'plain HTTP at the edge',
  simple: 'TLS terminated at the gateway',
  mutual: 'mutual TLS at the gateway (client certificates)',
  passthrough: 'the client\'s TLS passed through (SNI)',
};

/** The verdict of one way in: refused at the gateway, or the hop's verdict, with the way described. */
function ingressDecision(path: IngressPath, endpoint: Endpoint, edge: { allowed: boolean; reason: string }, hop: Verdict): IngressDecision {
  const pods = path.pods;
  const via = `external client -> ${path.host}:${path.server.port} (${EDGE_TEXT[path.edgeTls]}; Gateway ${path.gateway.key}, `
    + `VirtualService ${path.vs.namespace}/${path.vs.ref.name}${path.conditional ? ', for the requests its match selects' : ''}) `
    + `-> ingress gateway ${pods.id}${pods.assumed ? ` (${pods.assumed})` : ''}`;
  if (!edge.allowed) {
    return {
      path, endpoint, deniedAtGateway: true,
      verdict: { outcome: 'denied', reason: `${via}: refused at the gateway: ${edge.reason}`, summary: 'ingress: denied at the gateway' },
    };
  }
  const atGateway = edge.reason ? `; at the gateway: ${edge.reason}` : '';
  return {
    path, endpoint, deniedAtGateway: false,
    verdict: {
      ...hop,
      reason: `${via}${atGateway}; the gateway calls ${endpoint.workload.id}:${endpoint.port.port} as ${pods.principal}: ${hop.reason}`,
      summary: `ingress ${path.edgeTls}; ${hop.summary}`,
    },
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A pod calling its own address through a headless Service: over loopback, which istio-iptables
 * neither redirects outbound nor captures inbound (tools/istio-iptables/pkg/capture/run.go Run).
 */
export function selfCallVerdict(endpoint: EndpointGroup): Verdict {
  if (endpoint.facts.noEndpoint) {
    return {
      outcome: 'failed',
      reason: `targetPort ${endpoint.facts.port.targetPort} is no container port of ${endpoint.facts.workload.id}: Kubernetes makes no endpoint for it`,
      summary: 'no endpoint (named targetPort not on the pod)',
    };
  }
  return {
    outcome: 'plaintext',
    reason: 'the pod calls its own address (headless Service): over loopback, neither its sidecar nor any policy sees the call',
    summary: 'own address over loopback',
  };
}

function isSourced(o: K8sObject | SourcedObject): o is SourcedObject {
  return typeof o === 'object' && o !== null && 'object' in o && !('kind' in o);
}
