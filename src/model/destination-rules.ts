// Which DestinationRule a client proxy applies to a host: Istio looks in the client's namespace,
// then the namespace of the service (or ServiceEntry), then the root namespace, taking rules
// exported to the client's namespace; in the first namespace that has one, the most specific host
// wins (an exact host beats a wildcard). A rule with a workloadSelector applies only to the
// matching pods of its own namespace, and before the namespace's other rules.

import { hostMatches, hostSpecificity, visibleTo } from './hosts';
import { Labels, matchesLabels } from './labels';
import { DestinationRuleInfo, TlsSettings, TrafficTls } from './resources';

export class DestinationRules {
  private readonly exact = new Map<string, DestinationRuleInfo[]>();
  private readonly wildcard: DestinationRuleInfo[] = [];
  private readonly selectorRules: DestinationRuleInfo[];
  private readonly lookups = new WeakMap<readonly DestinationRuleInfo[], Map<string, DestinationRuleInfo | undefined>>();
  private readonly candidatesByHost = new Map<string, DestinationRuleInfo[]>();
  private readonly byNamespace = new WeakMap<readonly DestinationRuleInfo[], Map<string, DestinationRuleInfo[]>>();
  /** Subsets of the rules Istio merges, by namespace, host and what must agree for a merge. */
  private readonly mergedSubsets = new Map<string, Map<string, TrafficTls>>();

  public constructor(rules: readonly DestinationRuleInfo[], private readonly rootNamespace: string) {
    for (const rule of rules) {
      if (rule.host.includes('*')) this.wildcard.push(rule);
      else {
        const list = this.exact.get(rule.host);
        if (list) list.push(rule);
        else this.exact.set(rule.host, [rule]);
      }
    }
    this.selectorRules = rules.filter((r) => r.workloadSelector);
  }

  /** Every rule whose host covers `host` (any namespace, any visibility). */
  public candidates(host: string): DestinationRuleInfo[] {
    let list = this.candidatesByHost.get(host);
    if (!list) this.candidatesByHost.set(host, list = [...(this.exact.get(host) ?? []), ...this.wildcard.filter((r) => hostMatches(r.host, host))]);
    return list;
  }

  /** Candidates per namespace (memoised per candidate list). */
  private perNamespace(candidates: readonly DestinationRuleInfo[]): Map<string, DestinationRuleInfo[]> {
    let map = this.byNamespace.get(candidates);
    if (!map) {
      map = new Map();
      for (const r of candidates) {
        const list = map.get(r.namespace);
        if (list) list.push(r);
        else map.set(r.namespace, [r]);
      }
      this.byNamespace.set(candidates, map);
    }
    return map;
  }

  /** Rules with a workloadSelector that select a pod with `labels` in `namespace`. */
  public selectorRulesFor(namespace: string, labels: Labels): DestinationRuleInfo[] {
    return this.selectorRules.filter((r) => r.namespace === namespace && matchesLabels(r.workloadSelector!, labels));
  }

  /**
   * The rule a proxy in `clientNamespace` (pod labels `clientLabels`) applies to `host`, whose
   * service or ServiceEntry lives in `hostNamespace`. `candidates` may be passed when known.
   */
  public lookup(clientNamespace: string, clientLabels: Labels, host: string, hostNamespace: string | undefined,
    candidates: readonly DestinationRuleInfo[] = this.candidates(host)): DestinationRuleInfo | undefined {
    if (candidates.length === 0) return undefined;
    const perNamespace = this.perNamespace(candidates);
    // Pod labels matter only through workload-selected rules of the client's namespace.
    const labelFree = !(perNamespace.get(clientNamespace) ?? []).some((r) => r.workloadSelector);
    const key = `${clientNamespace}|${hostNamespace ?? ''}`;
    let memo = this.lookups.get(candidates);
    if (labelFree && memo?.has(key)) return memo.get(key);
    const found = this.find(perNamespace, clientNamespace, clientLabels, hostNamespace);
    if (labelFree) {
      if (!memo) this.lookups.set(candidates, memo = new Map());
      memo.set(key, found);
    }
    return found;
  }

  /**
   * A subset of `rule`'s host as the proxy sees it: Istio merges the rules of one namespace for
   * one host (without selectors, or with equal ones, and the same exportTo), concatenating their
   * subsets (the first rule's subset wins a name), so a subset may come from a later rule.
   */
  // Follows pilot/pkg/model/destination_rule.go (PushContext).mergeDestinationRule.
  public mergedSubset(rule: DestinationRuleInfo, name: string): TrafficTls | undefined {
    const own = rule.subsets.get(name);
    if (own) return own;
    const key = `${rule.namespace}|${rule.host}|${mergeKey(rule)}`;
    let merged = this.mergedSubsets.get(key);
    if (!merged) {
      merged = new Map();
      // Candidates are in input order: the first rule's subset wins a name.
      for (const other of this.candidates(rule.host)) {
        if (other.host !== rule.host || other.namespace !== rule.namespace || mergeKey(other) !== mergeKey(rule)) continue;
        for (const [subset, tls] of other.subsets) if (!merged.has(subset)) merged.set(subset, tls);
      }
      this.mergedSubsets.set(key, merged);
    }
    return merged.get(name);
  }

  private find(perNamespace: Map<string, DestinationRuleInfo[]>, clientNamespace: string, clientLabels: Labels,
    hostNamespace: string | undefined): DestinationRuleInfo | undefined {
    const order = [clientNamespace];
    if (hostNamespace && !order.includes(hostNamespace)) order.push(hostNamespace);
    if (!order.includes(this.rootNamespace)) order.push(this.rootNamespace);
    for (const namespace of order) {
      const usable = (perNamespace.get(namespace) ?? []).filter((r) => visibleTo(r.exportTo, r.namespace, clientNamespace)
        && (!r.workloadSelector || (namespace === clientNamespace && matchesLabels(r.workloadSelector, clientLabels))));
      if (usable.length === 0) continue;
      return usable.sort((a, b) => hostSpecificity(b.host) - hostSpecificity(a.host)
        || Number(!!b.workloadSelector) - Number(!!a.workloadSelector)
        || a.index - b.index)[0];
    }
    return undefined;
  }
}

/** What two rules of one namespace and host must share to be merged: their selector and exportTo. */
function mergeKey(r: DestinationRuleInfo): string {
  return `${JSON.stringify(r.workloadSelector ?? {})}|${[...new Set(r.exportTo ?? [])].sort().join(',')}`;
}

/** The TLS settings a rule gives one port (of a subset, when routed to one): port level beats rule level. */
export function tlsForPort(rule: DestinationRuleInfo, port: number, subset?: string, subsetPolicy?: TrafficTls): TlsSettings | undefined {
  let tls = rule.policy.portTls.get(port) ?? rule.policy.tls;
  const s = subsetPolicy ?? (subset ? rule.subsets.get(subset) : undefined);
  if (s) tls = s.portTls.get(port) ?? s.tls ?? tls;
  return tls;
}
