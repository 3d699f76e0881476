// Whether Kubernetes NetworkPolicies surely stop a pod from opening a connection itself
// (bypassing its sidecar's routing). Conservative: a rule that might allow the destination
// (an ipBlock reaching beyond private ranges, a named port) counts as allowing it.

import { Inventory } from './inventory';
import { LabelSelector, matchesSelector } from './labels';
import { NamespaceInfo, NetworkPolicyInfo, NetworkPolicyPeer, NetworkPolicyRule, WorkloadInfo } from './resources';

/** Where a direct connection would go. */
export interface DirectTarget {
  /** Pods behind the host when it is a cluster Service; empty for an external host. */
  readonly pods: readonly WorkloadInfo[];
  /** Ports the connection could use. */
  readonly ports: readonly number[];
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

/** Whether every address of `cidr` is private (cluster, node or link-local), so no Internet host is in it. */
export function privateOnly(cidr: string): boolean {
  const [addr, lenText] = cidr.split('/');
  if (addr.includes(':')) return /^f[cd]/i.test(addr) && Number(lenText) >= 7;
  const ip = ip4(addr);
  const len = Number(lenText ?? 32);
  if (Number.isNaN(ip) || !Number.isInteger(len)) return false;
  return PRIVATE_V4.some(([net, bits]) => len >= bits && ((ip ^ net) >>> (32 - bits)) === 0);
}

export class NetworkPolicies {
  private readonly byWorkload = new Map<WorkloadInfo, NetworkPolicyInfo[]>();

  public constructor(private readonly inventory: Inventory) {
    for (const policy of inventory.networkPolicies) {
      if (!policy.egressIsolated) continue;
      for (const w of inventory.workloadIndex.selectFull(policy.namespace, policy.podSelector)) {
        const list = this.byWorkload.get(w);
        if (list) list.push(policy);
        else this.byWorkload.set(w, [policy]);
      }
    }
  }

  /** Egress-isolating policies that select the workload's pods. */
  public policiesFor(workload: WorkloadInfo): readonly NetworkPolicyInfo[] {
    return this.byWorkload.get(workload) ?? [];
  }

  /** Whether the policies surely stop the workload's pods from reaching `target` directly. */
  public blocks(workload: WorkloadInfo, target: DirectTarget): boolean {
    const policies = this.policiesFor(workload);
    if (policies.length === 0) return false;
    return target.ports.every((port) => !policies.some((p) => p.egress.some((rule) => this.allows(p, rule, target, port))));
  }

  private allows(policy: NetworkPolicyInfo, rule: NetworkPolicyRule, target: DirectTarget, port: number): boolean {
    const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => p.protocol === 'TCP' && (
      p.port === undefined
      || typeof p.port === 'string' // a named port: only the destination pod knows it
      || p.port === port
      || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
    if (!portOk) return false;
    if (!rule.to || rule.to.length === 0) return true;
    return rule.to.some((peer) => this.peerAllows(policy, peer, target));
  }

  private peerAllows(policy: NetworkPolicyInfo, peer: NetworkPolicyPeer, target: DirectTarget): boolean {
    if (peer.ipBlock) return target.pods.length > 0 || !privateOnly(peer.ipBlock.cidr);
    if (target.pods.length === 0) return false;
    return target.pods.some((pod) => this.namespaceMatches(policy, peer.namespaceSelector, pod.namespace)
      && matchesSelector(peer.podSelector, pod.podLabels));
  }

  private namespaceMatches(policy: NetworkPolicyInfo, selector: LabelSelector | undefined, namespace: string): boolean {
    if (!selector) return namespace === policy.namespace;
    const info: NamespaceInfo | undefined = this.inventory.namespaces.get(namespace);
    return matchesSelector(selector, info?.labels ?? { 'kubernetes.io/metadata.name': namespace });
  }
}
