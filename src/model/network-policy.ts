// Kubernetes NetworkPolicies, as the NetworkPolicy API defines them (k8s.io/api networking/v1
// types.go, NetworkPolicySpec and NetworkPolicyPeer): a pod that a policy of a direction selects
// is isolated in that direction, and then only what some rule of those policies allows gets
// through; a connection needs both the client's egress and the server's ingress to allow it.
// A sidecar's own connections are its pod's: a call goes from the client pod to the server pod's
// address and target port, and a path through the egress gateway to the gateway pods.
//
// Pod addresses are not in manifests: an ipBlock matches a pod "maybe" (CNIs differ: Calico
// applies ipBlocks to pod addresses, Cilium does not), which never counts as blocked.

import { Inventory } from './inventory';
import { LabelSelector, Labels, matchesSelector } from './labels';
import { NetworkPolicyInfo, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule } from './resources';

export type NetMatch = 'yes' | 'maybe' | 'no';

/** A pod as NetworkPolicies see it: its namespace, labels and named container ports. */
export interface NetPod {
  readonly namespace: string;
  readonly podLabels: Labels;
  readonly containerPorts: ReadonlyArray<{ readonly port: number; readonly name?: string; readonly protocol: string }>;
}

/** A destination port: the number and the container port names (TCP) that stand for it on the pod. */
export interface DestPort {
  readonly port: number;
  readonly names: ReadonlySet<string>;
}

/** An external destination: its addresses when its ServiceEntry lists them. */
export interface ExternalHost {
  readonly host: string;
  readonly addresses: readonly string[];
}

interface IpBlock {
  readonly cidr: string;
  readonly except: readonly string[];
}

/** A rule with its peers sorted out. */
interface Rule {
  readonly ports?: readonly NetworkPolicyPort[];
  /** No peers: every source or destination, pods and beyond. */
  readonly everywhere: boolean;
  /** A peer that selects every pod (`namespaceSelector: {}` with no or an empty podSelector). */
  readonly allPods: boolean;
  /** Ids of the other pod-selecting peers. */
  readonly patterns: readonly number[];
  readonly ipBlocks: readonly IpBlock[];
}

export interface NetPolicy {
  readonly info: NetworkPolicyInfo;
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
}

/** A peer selector: the pods it selects carry its id in their signature. */
interface Pattern {
  readonly id: number;
  /** The policy's namespace when the peer has no namespaceSelector. */
  readonly namespace?: string;
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
}

/** What tells a client apart for NetworkPolicies. */
export interface ClientNet {
  /** Policies that isolate its egress, by index. */
  readonly egress: readonly NetPolicy[];
  /** `egress` as a key. */
  readonly egressKey: string;
  /** Ids of the patterns of ingress rules that select it. */
  readonly fromSignature: readonly number[];
  /** Clients with one class are alike to every destination no rule names them for (see `openness`). */
  readonly egressClass: number;
}

/** What tells a server port apart for NetworkPolicies. */
export interface EndpointNet {
  /** Policies that isolate its ingress. */
  readonly ingress: readonly NetPolicy[];
  /** Ids of the patterns of egress rules that select it. */
  readonly toSignature: readonly number[];
  readonly port: DestPort;
  /** Everything above, as a key. */
  readonly key: string;
}

/** What the network does with one connection. */
export interface NetDecision {
  readonly result: NetMatch;
  /** Empty when the network allows it for sure. */
  readonly reason: string;
  readonly summary: string;
}

const ALLOWED: NetDecision = { result: 'yes', reason: '', summary: '' };

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as any)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return !!s && Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

function ids(list: readonly { readonly info: NetworkPolicyInfo }[]): string {
  return list.map((p) => p.info.index).join(',');
}

/** `ns/a, ns/b`. */
export function policyNames(list: readonly NetPolicy[]): string {
  return list.map((p) => `${p.info.namespace}/${p.info.ref.name}`).join(', ');
}

function or(parts: Iterable<NetMatch>): NetMatch {
  let best: NetMatch = 'no';
  for (const p of parts) {
    if (p === 'yes') return 'yes';
    if (p === 'maybe') best = 'maybe';
  }
  return best;
}

/** Whether a rule's ports let TCP traffic to `dest` through (a named port stands for the pod's container port of that name). */
function portAllows(ports: readonly NetworkPolicyPort[] | undefined, dest: DestPort): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => p.protocol === 'TCP' && (p.port === undefined
    || (typeof p.port === 'string' ? dest.names.has(p.port)
      : p.endPort !== undefined ? dest.port >= p.port && dest.port <= p.endPort : dest.port === p.port)));
}

export class NetworkPolicies {
  public readonly policies: readonly NetPolicy[];
  private readonly patterns: Pattern[] = [];
  private readonly patternByKey = new Map<string, number>();
  /** Patterns without a namespaceSelector, by namespace; the others apart. */
  private readonly localPatterns = new Map<string, Pattern[]>();
  private readonly selectorPatterns: Pattern[] = [];
  private readonly ingressPatternIds = new Set<number>();
  private readonly egressPatternIds = new Set<number>();
  /** Container port names any rule uses. */
  private readonly portNames = new Set<string>();
  private readonly egressOf = new Map<NetPod, NetPolicy[]>();
  private readonly ingressOf = new Map<NetPod, NetPolicy[]>();
  private readonly signatures = new Map<NetPod, Set<number>>();
  private readonly namespacePatterns = new Map<string, Pattern[]>();
  private readonly classIds = new Map<string, number>();
  private readonly classRules: Array<readonly Rule[] | undefined> = [];
  private readonly classByPolicies = new Map<string, number>();
  private readonly pathKeys = new Map<string, string>();
  private readonly clients = new Map<NetPod, ClientNet>();
  /** Per pattern id, the egress policies whose rules name it. */
  private readonly egressByPattern = new Map<number, Set<NetPolicy>>();
  private readonly known: ReadonlySet<NetPod>;
  private egressPathPatterns?: { readonly to: ReadonlySet<number>; readonly from: ReadonlySet<number> };

  public constructor(private readonly inventory: Inventory) {
    this.known = new Set(inventory.workloads);
    this.policies = inventory.networkPolicies.map((info) => ({
      info,
      ingress: info.ingressIsolated ? info.ingress.map((r) => this.rule(info, r, this.ingressPatternIds)) : [],
      egress: info.egressIsolated ? info.egress.map((r) => this.rule(info, r, this.egressPatternIds)) : [],
    }));
    for (const policy of this.policies) {
      const { info } = policy;
      for (const w of inventory.workloadIndex.selectFull(info.namespace, info.podSelector)) {
        if (info.ingressIsolated) push(this.ingressOf, w, policy);
        if (info.egressIsolated) push(this.egressOf, w, policy);
      }
      for (const rule of policy.egress) {
        for (const id of rule.patterns) {
          let set = this.egressByPattern.get(id);
          if (!set) this.egressByPattern.set(id, set = new Set());
          set.add(policy);
        }
      }
    }
  }

  /** Whether any policy is in the input (without, the network allows everything). */
  public get any(): boolean {
    return this.policies.length > 0;
  }

  private rule(info: NetworkPolicyInfo, rule: NetworkPolicyRule, used: Set<number>): Rule {
    for (const p of rule.ports ?? []) if (typeof p.port === 'string') this.portNames.add(p.port);
    const peers = rule.peers ?? [];
    const patterns: number[] = [];
    const ipBlocks: IpBlock[] = [];
    let allPods = false;
    for (const peer of peers) {
      if (peer.ipBlock) {
        ipBlocks.push({ cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] });
      } else if (peer.namespaceSelector && isEmptySelector(peer.namespaceSelector) && (!peer.podSelector || isEmptySelector(peer.podSelector))) {
        allPods = true;
      } else if (peer.namespaceSelector || peer.podSelector) {
        const id = this.pattern(info.namespace, peer);
        used.add(id);
        if (!patterns.includes(id)) patterns.push(id);
      }
      // A peer with no field selects nothing (the API server refuses it).
    }
    return { ports: rule.ports, everywhere: peers.length === 0, allPods, patterns, ipBlocks };
  }

  private pattern(namespace: string, peer: NetworkPolicyPeer): number {
    const p = {
      namespace: peer.namespaceSelector ? undefined : namespace,
      namespaceSelector: peer.namespaceSelector,
      podSelector: peer.podSelector && !isEmptySelector(peer.podSelector) ? peer.podSelector : undefined,
    };
    const key = canonical(p);
    let id = this.patternByKey.get(key);
    if (id === undefined) {
      id = this.patterns.length;
      this.patternByKey.set(key, id);
      const pattern: Pattern = { id, ...p };
      this.patterns.push(pattern);
      if (pattern.namespace !== undefined) push(this.localPatterns, pattern.namespace, pattern);
      else this.selectorPatterns.push(pattern);
    }
    return id;
  }

  /** Policies isolating the pod's egress. */
  public egressPolicies(pod: NetPod): readonly NetPolicy[] {
    return this.egressOf.get(pod) ?? this.lookupPolicies(pod, this.egressOf, (i) => i.egressIsolated);
  }

  /** Policies isolating the pod's ingress. */
  public ingressPolicies(pod: NetPod): readonly NetPolicy[] {
    return this.ingressOf.get(pod) ?? this.lookupPolicies(pod, this.ingressOf, (i) => i.ingressIsolated);
  }

  /** For pods not in the inventory (assumed gateway pods): the policies of their namespace that select them. */
  private lookupPolicies(pod: NetPod, into: Map<NetPod, NetPolicy[]>, isolates: (i: NetworkPolicyInfo) => boolean): NetPolicy[] {
    if (this.known.has(pod)) return [];
    const found = this.policies.filter((p) => isolates(p.info) && p.info.namespace === pod.namespace && matchesSelector(p.info.podSelector, pod.podLabels));
    into.set(pod, found);
    return found;
  }

  /** Ids of every pattern that selects the pod. */
  public signature(pod: NetPod): Set<number> {
    let sig = this.signatures.get(pod);
    if (sig) return sig;
    sig = new Set();
    const nsLabels = this.inventory.namespaces.get(pod.namespace)?.labels ?? { 'kubernetes.io/metadata.name': pod.namespace };
    for (const p of this.localPatterns.get(pod.namespace) ?? []) if (matchesSelector(p.podSelector, pod.podLabels)) sig.add(p.id);
    let inNamespace = this.namespacePatterns.get(pod.namespace);
    if (!inNamespace) this.namespacePatterns.set(pod.namespace, inNamespace = this.selectorPatterns.filter((p) => matchesSelector(p.namespaceSelector, nsLabels)));
    for (const p of inNamespace) if (matchesSelector(p.podSelector, pod.podLabels)) sig.add(p.id);
    this.signatures.set(pod, sig);
    return sig;
  }

  /** The destination port `port` of a pod, with the names its container ports give it. */
  public destPort(pod: NetPod | undefined, port: number): DestPort {
    const names = new Set<string>();
    for (const c of pod?.containerPorts ?? []) if (c.name && c.port === port && c.protocol === 'TCP' && this.portNames.has(c.name)) names.add(c.name);
    return { port, names };
  }

  /** The client facts of a pod. */
  public client(pod: NetPod): ClientNet {
    let net = this.clients.get(pod);
    if (net) return net;
    const egress = this.egressPolicies(pod);
    const fromSignature = [...this.signature(pod)].filter((id) => this.ingressPatternIds.has(id)).sort((a, b) => a - b);
    net = { egress, egressKey: ids(egress), fromSignature, egressClass: this.egressClass(egress) };
    this.clients.set(pod, net);
    return net;
  }

  /** The server facts of one target port of a pod. */
  public endpoint(pod: NetPod, targetPort: number): EndpointNet {
    const ingress = this.ingressPolicies(pod);
    const toSignature = [...this.signature(pod)].filter((id) => this.egressPatternIds.has(id)).sort((a, b) => a - b);
    const port = this.destPort(pod, targetPort);
    return { ingress, toSignature, port, key: `${ids(ingress)}|${toSignature.join(',')}|${[...port.names].sort().join(',')}` };
  }

  /**
   * Egress classes: the rules of a client's egress policies that reach beyond named pods (no
   * peers, every pod, an ipBlock), by their ports. Clients of one class that no rule names for a
   * destination (see `egressNaming`) are let through to it alike.
   */
  private egressClass(egress: readonly NetPolicy[]): number {
    const memoKey = ids(egress);
    const known = this.classByPolicies.get(memoKey);
    if (known !== undefined) return known;
    const broad = egress.length === 0 ? undefined : egress.flatMap((p) => p.egress).filter((r) => r.everywhere || r.allPods || r.ipBlocks.length > 0);
    const key = broad === undefined ? 'open' : canonical(broad.map((r) => ({ ports: r.ports, e: r.everywhere, a: r.allPods, i: r.ipBlocks.length > 0 }))
      .map((r) => canonical(r)).sort().filter((r, i, all) => all.indexOf(r) === i));
    let id = this.classIds.get(key);
    if (id === undefined) {
      this.classIds.set(key, id = this.classIds.size);
      this.classRules[id] = broad;
    }
    this.classByPolicies.set(memoKey, id);
    return id;
  }

  /** How a client of egress class `classId` that no rule names for the destination gets to a pod's `port`. */
  public openness(classId: number, port: DestPort): NetMatch {
    const rules = this.classRules[classId];
    if (rules === undefined) return 'yes';
    return or(rules.filter((r) => portAllows(r.ports, port)).map((r) => (r.everywhere || r.allPods ? 'yes' : 'maybe')));
  }

  /** Egress policies with a rule that names (by a pattern) a destination pod's port: their clients are not alike to it. */
  public egressNaming(endpoint: EndpointNet): Set<NetPolicy> {
    const found = new Set<NetPolicy>();
    for (const id of endpoint.toSignature) {
      for (const policy of this.egressByPattern.get(id) ?? []) {
        if (policy.egress.some((r) => r.patterns.includes(id) && portAllows(r.ports, endpoint.port))) found.add(policy);
      }
    }
    return found;
  }

  /**
   * Pattern ids of the ingress rules (of `endpoint`'s policies, on its port) that let some clients
   * in and not others; undefined when every client is let in alike (not isolated, or a rule for all).
   */
  public ingressNaming(endpoint: EndpointNet): Set<number> | undefined {
    if (endpoint.ingress.length === 0) return undefined;
    const found = new Set<number>();
    for (const policy of endpoint.ingress) {
      for (const r of policy.ingress) {
        if (!portAllows(r.ports, endpoint.port)) continue;
        if (r.everywhere || r.allPods) return undefined;
        for (const id of r.patterns) found.add(id);
      }
    }
    return found;
  }

  /** Whether the pod's egress lets it reach a destination pod's port. */
  public egressToPod(egress: readonly NetPolicy[], destination: ReadonlySet<number> | readonly number[], port: DestPort): NetMatch {
    if (egress.length === 0) return 'yes';
    const has = toHas(destination);
    return or(egress.flatMap((p) => p.egress).filter((r) => portAllows(r.ports, port)).map((r) => this.peerMatch(r, has)));
  }

  /** Whether a pod's ingress policies let a source pod in on `port`. */
  public ingressFromPod(ingress: readonly NetPolicy[], source: ReadonlySet<number> | readonly number[], port: DestPort): NetMatch {
    if (ingress.length === 0) return 'yes';
    const has = toHas(source);
    return or(ingress.flatMap((p) => p.ingress).filter((r) => portAllows(r.ports, port)).map((r) => this.peerMatch(r, has)));
  }

  private peerMatch(r: Rule, has: (id: number) => boolean): NetMatch {
    if (r.everywhere || r.allPods || r.patterns.some(has)) return 'yes';
    return r.ipBlocks.length > 0 ? 'maybe' : 'no';
  }

  /** Whether the pod's egress lets it reach an external host's port. */
  public egressToHost(egress: readonly NetPolicy[], host: ExternalHost, port: number): NetMatch {
    if (egress.length === 0) return 'yes';
    const dest = { port, names: new Set<string>() };
    return or(egress.flatMap((p) => p.egress).filter((r) => portAllows(r.ports, dest)).map((r) => {
      if (r.everywhere) return 'yes';
      return or(r.ipBlocks.map((b) => ipBlockHolds(b, host)));
    }));
  }

  /**
   * What tells a client apart on its way out of the cluster: its egress rules as far as they can
   * matter to external hosts and to `pods` (the gateway pods and the pods behind egress targets),
   * and the ingress rules of those pods that select it. Not the policies' names: clients of one
   * key take the same paths, though their reasons name their own policies.
   */
  public egressPathKey(client: NetPod, pods: readonly NetPod[]): string {
    const { to } = this.egressPatterns(pods);
    const egress = this.egressPolicies(client);
    const memoKey = ids(egress);
    let rules = this.pathKeys.get(memoKey);
    if (rules === undefined) {
      rules = egress.length === 0 ? 'open' : canonical(egress.flatMap((p) => p.egress)
        .map((r) => canonical({ ports: r.ports, e: r.everywhere, a: r.allPods, i: r.ipBlocks, p: r.patterns.filter((id) => to.has(id)) }))
        .sort().filter((r, i, all) => all.indexOf(r) === i));
      this.pathKeys.set(memoKey, rules);
    }
    return `${rules}|${this.egressFromKey(client, pods)}`;
  }

  /** The ids of the patterns of ingress rules of `pods` (egress pods) that select the client, as a key. */
  public egressFromKey(client: NetPod, pods: readonly NetPod[]): string {
    const { from } = this.egressPatterns(pods);
    if (from.size === 0) return '';
    return [...this.signature(client)].filter((id) => from.has(id)).sort((a, b) => a - b).join(',');
  }

  /** Patterns that select some of `pods` (computed once: `pods` are the egress pods, always the same). */
  private egressPatterns(pods: readonly NetPod[]): { readonly to: ReadonlySet<number>; readonly from: ReadonlySet<number> } {
    let relevant = this.egressPathPatterns;
    if (!relevant) {
      const to = new Set<number>();
      const from = new Set<number>();
      for (const pod of pods) {
        for (const id of this.signature(pod)) to.add(id);
        for (const policy of this.ingressPolicies(pod)) for (const r of policy.ingress) for (const id of r.patterns) from.add(id);
      }
      this.egressPathPatterns = relevant = { to, from };
    }
    return relevant;
  }

  /** The network's decision on a call from a client to a server port. */
  public decide(client: ClientNet, endpoint: EndpointNet): NetDecision {
    const out = this.egressToPod(client.egress, endpoint.toSignature, endpoint.port);
    const inn = this.ingressFromPod(endpoint.ingress, client.fromSignature, endpoint.port);
    if (out === 'yes' && inn === 'yes') return ALLOWED;
    const port = endpoint.port.port;
    const blocked: string[] = [];
    if (out === 'no') blocked.push(`no NetworkPolicy lets the client's egress reach port ${port} of the server (isolated by ${policyNames(client.egress)})`);
    if (inn === 'no') blocked.push(`no NetworkPolicy lets the client into port ${port} of the server (its ingress is isolated by ${policyNames(endpoint.ingress)})`);
    if (blocked.length > 0) {
      return {
        result: 'no',
        reason: `blocked by the network: ${blocked.join('; ')}`,
        summary: `NetworkPolicy blocks ${out === 'no' && inn === 'no' ? 'egress and ingress' : out === 'no' ? 'the client\'s egress' : 'the server\'s ingress'}`,
      };
    }
    const via = [...(out === 'maybe' ? client.egress : []), ...(inn === 'maybe' ? endpoint.ingress : [])];
    return {
      result: 'maybe',
      reason: `NetworkPolicy ${policyNames(via)} let${via.length === 1 ? 's' : ''} it through only by an ipBlock: only if the pod addresses are in it `
        + '(CNIs differ on ipBlocks for pods; manifests carry no pod addresses)',
      summary: 'NetworkPolicy allows it by an ipBlock only',
    };
  }
}

function toHas(ids: ReadonlySet<number> | readonly number[]): (id: number) => boolean {
  if (ids instanceof Set) return (id) => ids.has(id);
  const list = ids as readonly number[];
  return list.length < 8 ? (id) => list.includes(id) : ((set) => (id: number) => set.has(id))(new Set(list));
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const PRIVATE_V4: Array<[number, number]> = [
  [ip4('10.0.0.0'), 8], [ip4('172.16.0.0'), 12], [ip4('192.168.0.0'), 16], [ip4('127.0.0.0'), 8],
  [ip4('169.254.0.0'), 16], [ip4('100.64.0.0'), 10],
];

function ip4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** `[network, prefix length]` of an IPv4 CIDR or address; undefined for anything else. */
function v4(cidr: string): [number, number] | undefined {
  const [addr, lenText] = cidr.split('/');
  const ip = ip4(addr);
  const len = lenText === undefined ? 32 : Number(lenText);
  if (Number.isNaN(ip) || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  return [ip, len];
}

/** Whether IPv4 range `inner` lies inside `outer`. */
function within(inner: [number, number], outer: [number, number]): boolean {
  const [ip, len] = inner;
  const [net, bits] = outer;
  return len >= bits && (bits === 0 || ((ip ^ net) >>> (32 - bits)) === 0);
}

/** Whether every address of `cidr` is private (cluster, node or link-local), so no Internet host is in it. */
export function privateOnly(cidr: string): boolean {
  const [addr, lenText] = cidr.split('/');
  if (addr.includes(':')) return /^f[cd]/i.test(addr) && Number(lenText) >= 7;
  const range = v4(cidr);
  return range !== undefined && PRIVATE_V4.some(([net, bits]) => within(range, [net, bits]));
}

/**
 * Whether an ipBlock holds an external host: exactly when its ServiceEntry lists IPv4 addresses,
 * else "maybe" unless the block is private only (no Internet host is in it).
 */
function ipBlockHolds(block: IpBlock, host: ExternalHost): NetMatch {
  const outer = v4(block.cidr);
  const addresses = host.addresses.map(v4);
  if (outer && addresses.length > 0 && addresses.every((a) => a !== undefined)) {
    const excepts = block.except.map(v4);
    const holds = (a: [number, number]) => within(a, outer) && !excepts.some((e) => e !== undefined && (within(a, e) || within(e, a)));
    const all = addresses.every((a) => holds(a!));
    return all ? 'yes' : addresses.some((a) => holds(a!)) ? 'maybe' : 'no';
  }
  return privateOnly(block.cidr) ? 'no' : 'maybe';
}
