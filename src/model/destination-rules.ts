// Which DestinationRule a client proxy applies to a host, as Istio's push context computes it.
// - pilot/pkg/model/push_context.go setDestinationRules: rules sorted workload-selector first, then
//   by age (sortConfigBySelectorAndCreationTime), indexed per namespace twice: the rules visible in
//   their own namespace (exportTo empty, `*`, `.` or the namespace; a selector makes a rule
//   private) and the rules exported beyond it; private rules of the root namespace apart.
// - destination_rule.go mergeDestinationRule: rules of one index for one host merge when their
//   exportTo sets are equal and neither or both have (equal) selectors: subsets are concatenated
//   (the first keeps a name) and the first rule with a trafficPolicy gives the policy.
// - push_context.go destinationRule: the client's namespace first (root-namespace proxies: the root
//   namespace's private rules), then the Service's namespace, then the root namespace; in each, the
//   most specific host is chosen first (MostSpecificHostMatch) and only then filtered by exportTo,
//   so a more specific rule not exported to the client hides a wider one that is.
// - sidecar.go (SidecarScope).DestinationRule: of the rules found, the first whose workloadSelector
//   matches the proxy (rules of its own namespace only), else the last without selector; a found
//   rule with a selector that does not match ends the lookup without a rule.

import { byAge } from './age';
import { HostPatternIndex, hostMatches, hostSpecificity } from './hosts';
import { Labels, matchesLabels } from './labels';
import { DestinationRuleInfo, TlsSettings, TrafficTls } from './resources';

/** Rules merged for one host in one index, with the exportTo set they share. */
interface Consolidated {
  readonly exportTo: ReadonlySet<string>;
  rule: DestinationRuleInfo;
}

/** One index: consolidated rules per host. */
type HostIndex = Map<string, Consolidated[]>;

function labelsEqual(a: Labels | undefined, b: Labels | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

function setEquals(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Two rules merged where the first one's policy wins only by name: their age is the same. */
export interface RuleTie {
  readonly chosen: DestinationRuleInfo;
  readonly other: DestinationRuleInfo;
}

// pilot/pkg/model/destination_rule.go mergeDestinationRule (ENABLE_ENHANCED_DESTINATIONRULE_MERGE on).
function merge(index: HostIndex, rule: DestinationRuleInfo, exportTo: ReadonlySet<string>, ties: RuleTie[]): void {
  const list = index.get(rule.host);
  if (!list) {
    index.set(rule.host, [{ exportTo, rule }]);
    return;
  }
  let appendSeparately = true;
  for (const mdr of list) {
    if (setEquals(exportTo, mdr.exportTo)) {
      appendSeparately = false;
    } else if (mdr.exportTo.size > 0 && [...mdr.exportTo].every((e) => exportTo.has(e))) {
      appendSeparately = true;
    } else {
      appendSeparately = true;
      continue;
    }
    const existing = mdr.rule;
    const bothWithout = !rule.workloadSelector && !existing.workloadSelector;
    const bothWith = !!rule.workloadSelector && !!existing.workloadSelector;
    const selectorsMatch = labelsEqual(existing.workloadSelector, rule.workloadSelector);
    if (bothWith && !selectorsMatch) {
      appendSeparately = true;
      continue;
    }
    if (bothWithout || (bothWith && selectorsMatch)) appendSeparately = false;
    const subsets = new Map(existing.subsets);
    for (const [name, policy] of rule.subsets) if (!subsets.has(name)) subsets.set(name, policy);
    const takePolicy = !existing.hasTrafficPolicy && rule.hasTrafficPolicy;
    if (existing.hasTrafficPolicy && rule.hasTrafficPolicy && (existing.created ?? Infinity) === (rule.created ?? Infinity)
      && !ties.some((t) => t.other === rule)) {
      ties.push({ chosen: existing, other: rule });
    }
    mdr.rule = {
      ...existing,
      subsets,
      policy: takePolicy ? rule.policy : existing.policy,
      hasTrafficPolicy: existing.hasTrafficPolicy || rule.hasTrafficPolicy,
      mergedFrom: [...(existing.mergedFrom ?? [existing.ref]), rule.ref],
    };
  }
  if (appendSeparately) list.push({ exportTo, rule });
}

// pilot/pkg/model/config.go MostSpecificHostMatch: the exact host, else the most specific wildcard.
function mostSpecific(index: HostIndex | undefined, host: string): Consolidated[] | undefined {
  if (!index) return undefined;
  const exact = host.includes('*') ? undefined : index.get(host);
  if (exact) return exact;
  let best: string | undefined;
  for (const h of index.keys()) {
    if (!h.startsWith('*') || !hostMatches(h, host)) continue;
    if (best === undefined || hostSpecificity(h) > hostSpecificity(best) || (hostSpecificity(h) === hostSpecificity(best) && h < best)) best = h;
  }
  return best === undefined ? undefined : index.get(best);
}

export class DestinationRules {
  /** Every rule by its host pattern, in input order (a scan of every rule per host is quadratic at scale). */
  private readonly byHost = new HostPatternIndex<DestinationRuleInfo>();
  private readonly namespaceLocal = new Map<string, HostIndex>();
  private readonly exported = new Map<string, HostIndex>();
  private readonly rootLocal: HostIndex = new Map();
  private readonly selectorRules: DestinationRuleInfo[];
  private readonly candidatesByHost = new Map<string, DestinationRuleInfo[]>();
  private readonly lookups = new Map<string, DestinationRuleInfo | undefined>();
  /** Merges decided by name between rules of the same age (Istio takes the older one's policy). */
  public readonly ties: RuleTie[] = [];

  public constructor(rules: readonly DestinationRuleInfo[], private readonly rootNamespace: string) {
    // push_context.go sortConfigBySelectorAndCreationTime
    const sorted = [...rules].sort((a, b) => Number(!!b.workloadSelector) - Number(!!a.workloadSelector) || byAge(a, b));
    for (const rule of sorted) {
      const exportTo = new Set(rule.workloadSelector ? ['.'] : rule.exportTo ?? []);
      if (exportTo.size === 0 || exportTo.has('*') || exportTo.has('.') || exportTo.has(rule.namespace)) {
        let local = this.namespaceLocal.get(rule.namespace);
        if (!local) this.namespaceLocal.set(rule.namespace, local = new Map());
        merge(local, rule, exportTo, this.ties);
      }
      const privateOnly = exportTo.size === 1 && (exportTo.has('.') || exportTo.has(rule.namespace));
      if (!privateOnly) {
        let out = this.exported.get(rule.namespace);
        if (!out) this.exported.set(rule.namespace, out = new Map());
        merge(out, rule, exportTo, this.ties);
      } else if (rule.namespace === rootNamespace) {
        merge(this.rootLocal, rule, exportTo, this.ties);
      }
    }
    for (const rule of rules) this.byHost.add([rule.host], rule);
    this.selectorRules = rules.filter((r) => r.workloadSelector);
  }

  /** Every rule whose host covers `host` (any namespace, any visibility). */
  public candidates(host: string): DestinationRuleInfo[] {
    let list = this.candidatesByHost.get(host);
    if (!list) this.candidatesByHost.set(host, list = this.byHost.match(host));
    return list;
  }

  /** Rules with a workloadSelector that select a pod with `labels` in `namespace`. */
  public selectorRulesFor(namespace: string, labels: Labels): DestinationRuleInfo[] {
    return this.selectorRules.filter((r) => r.namespace === namespace && matchesLabels(r.workloadSelector!, labels));
  }

  /**
   * The (merged) rule a proxy in `clientNamespace` (pod labels `clientLabels`) applies to `host`,
   * whose Service or ServiceEntry lives in `hostNamespace`. `candidates` is accepted for callers
   * that know them; an empty list means no rule.
   */
  public lookup(clientNamespace: string, clientLabels: Labels, host: string, hostNamespace: string | undefined,
    candidates?: readonly DestinationRuleInfo[]): DestinationRuleInfo | undefined {
    if (candidates !== undefined && candidates.length === 0) return undefined;
    const found = this.found(clientNamespace, host, hostNamespace);
    if (!found) return undefined;
    // Pod labels matter only through selector rules of the client's namespace.
    if (!found.some((c) => c.rule.workloadSelector && c.rule.namespace === clientNamespace)) {
      const key = `${clientNamespace}|${host}|${hostNamespace ?? ''}`;
      if (this.lookups.has(key)) return this.lookups.get(key);
      const rule = pick(found, clientNamespace, clientLabels);
      this.lookups.set(key, rule);
      return rule;
    }
    return pick(found, clientNamespace, clientLabels);
  }

  // pilot/pkg/model/push_context.go (PushContext).destinationRule
  private found(clientNamespace: string, host: string, hostNamespace: string | undefined): Consolidated[] | undefined {
    if (clientNamespace !== this.rootNamespace) {
      const local = mostSpecific(this.namespaceLocal.get(clientNamespace), host);
      if (local) return local;
    } else {
      const local = mostSpecific(this.rootLocal, host);
      if (local) return local;
    }
    const exportedFrom = (ns: string) => {
      const list = mostSpecific(this.exported.get(ns), host);
      const visible = (list ?? []).filter((c) => c.exportTo.size === 0 || c.exportTo.has('*') || c.exportTo.has(clientNamespace));
      return visible.length > 0 ? visible : undefined;
    };
    return (hostNamespace ? exportedFrom(hostNamespace) : undefined) ?? exportedFrom(this.rootNamespace);
  }

  /** A subset of a (merged) rule, as the proxy sees it. */
  public mergedSubset(rule: DestinationRuleInfo, name: string): TrafficTls | undefined {
    return rule.subsets.get(name);
  }
}

// pilot/pkg/model/sidecar.go (SidecarScope).DestinationRule
function pick(found: readonly Consolidated[], clientNamespace: string, labels: Labels): DestinationRuleInfo | undefined {
  let catchAll: DestinationRuleInfo | undefined;
  for (const c of found) {
    if (!c.rule.workloadSelector) catchAll = c.rule;
    if (c.rule.namespace === clientNamespace && c.rule.workloadSelector && matchesLabels(c.rule.workloadSelector, labels)) return c.rule;
  }
  return catchAll;
}

/**
 * The TLS settings a rule gives one port (of a subset, when routed to one), as
 * pilot/pkg/networking/util/util.go GetPortLevelTrafficPolicy and MergeSubsetTrafficPolicy merge
 * them: a port-level entry replaces the whole policy for its port (without `tls` there is none,
 * whatever the rule level says); a subset's policy overrides what it sets, its port-level entry everything.
 */
export function tlsForPort(rule: DestinationRuleInfo, port: number, subset?: string, subsetPolicy?: TrafficTls): TlsSettings | undefined {
  let tls = rule.policy.ports?.has(port) || rule.policy.portTls.has(port) ? rule.policy.portTls.get(port) : rule.policy.tls;
  const s = subsetPolicy ?? (subset ? rule.subsets.get(subset) : undefined);
  if (s) {
    if (s.ports?.has(port) || s.portTls.has(port)) tls = s.portTls.get(port);
    else if (s.tls) tls = s.tls;
  }
  return tls;
}
