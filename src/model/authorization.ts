// AuthorizationPolicy evaluation on a server's sidecar: CUSTOM, then DENY, then ALLOW.
// Policies apply from the root namespace (every workload, or those its selector matches in any
// namespace) and from the server's namespace (every workload, or those the selector matches).
// Once an ALLOW policy applies, a request must match one of its rules; an ALLOW policy without
// rules (`spec: {}`) allows nothing. Principals and source namespaces come from the peer's mTLS
// certificate: a plaintext caller has neither. On a TCP port an ALLOW rule with HTTP-only fields
// never matches, while a DENY rule ignores those fields (it matches more).
// Request fields the model cannot know (methods, paths, IPs, JWTs) make a rule match "maybe".

import { Inventory } from './inventory';
import { own } from './labels';
import { AuthorizationPolicyInfo, WorkloadInfo } from './resources';

export type Match = 'yes' | 'maybe' | 'no';

/** What the model knows about one request. */
export interface RequestFacts {
  /** The caller's principal: only over mTLS. */
  readonly principal?: string;
  /** The caller's namespace: only over mTLS. */
  readonly namespace?: string;
  /** The server's container port. */
  readonly port: number;
  /** Whether the port is parsed as HTTP. */
  readonly http: boolean;
  /**
   * The TLS SNI of the connection, when the model knows it ('' for none: plaintext); undefined
   * when it does not (then `connection.sni` matches "maybe").
   */
  readonly sni?: string;
  /** The HTTP Host the request carries, when the model knows it (egress to a named host). */
  readonly host?: string;
}

export interface AuthzDecision {
  readonly allowed: boolean;
  /** One clause naming the policies. */
  readonly reason: string;
  /** The same without names, for aggregation. */
  readonly summary: string;
}

const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const UNKNOWN_SOURCE_FIELDS = ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'];

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` (any non-empty value). */
export function stringMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function and(parts: Match[]): Match {
  if (parts.includes('no')) return 'no';
  return parts.includes('maybe') ? 'maybe' : 'yes';
}

function or(parts: Match[]): Match {
  if (parts.includes('yes')) return 'yes';
  return parts.includes('maybe') ? 'maybe' : 'no';
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** An HTTP-only field: unknown on HTTP; on TCP an ALLOW rule is dropped, a DENY rule ignores the field. */
function httpOnly(facts: RequestFacts, action: string): Match {
  if (facts.http) return 'maybe';
  return action === 'DENY' ? 'yes' : 'no';
}

function listMatch(patterns: string[] | undefined, notPatterns: string[] | undefined, value: string | undefined): Match[] {
  const parts: Match[] = [];
  if (patterns) parts.push(patterns.some((p) => stringMatches(p, value)) ? 'yes' : 'no');
  if (notPatterns) parts.push(notPatterns.some((p) => stringMatches(p, value)) ? 'no' : 'yes');
  return parts;
}

function evalSource(source: any, facts: RequestFacts, action: string): Match {
  const parts: Match[] = [
    ...listMatch(strings(source.principals), strings(source.notPrincipals), facts.principal),
    ...listMatch(strings(source.namespaces), strings(source.notNamespaces), facts.namespace),
  ];
  for (const field of HTTP_SOURCE_FIELDS) if (source[field]) parts.push(httpOnly(facts, action));
  for (const field of UNKNOWN_SOURCE_FIELDS) if (source[field]) parts.push('maybe');
  return and(parts);
}

function evalOperation(operation: any, facts: RequestFacts, action: string): Match {
  const port = String(facts.port);
  const parts: Match[] = [...listMatch(strings(operation.ports), strings(operation.notPorts), port)];
  for (const field of HTTP_OPERATION_FIELDS) {
    if (!operation[field]) continue;
    // Hosts compare case-insensitively with the request's Host (pilot/pkg/security/authz/matcher/header.go HostMatcher).
    if (facts.http && facts.host !== undefined && (field === 'hosts' || field === 'notHosts')) {
      const host = facts.host.toLowerCase();
      const lower = strings(operation[field])!.map((h) => h.toLowerCase());
      parts.push(...(field === 'hosts' ? listMatch(lower, undefined, host) : listMatch(undefined, lower, host)));
    } else {
      parts.push(httpOnly(facts, action));
    }
  }
  return and(parts);
}

function evalCondition(condition: any, facts: RequestFacts, action: string): Match {
  const key = String(condition?.key ?? '');
  const values = strings(condition?.values);
  const notValues = strings(condition?.notValues);
  switch (key) {
    case 'source.principal': return and(listMatch(values, notValues, facts.principal));
    case 'source.namespace': return and(listMatch(values, notValues, facts.namespace));
    case 'destination.port': return and(listMatch(values, notValues, String(facts.port)));
    // The downstream TLS SNI; unknown unless the model knows how the connection was opened.
    case 'connection.sni': return facts.sni === undefined ? 'maybe' : and(listMatch(values, notValues, facts.sni));
    default:
      if (key.startsWith('request.') || key.startsWith('experimental.')) return httpOnly(facts, action);
      return 'maybe';
  }
}

/** Whether one rule of a policy with `action` matches the request. */
export function evalRule(rule: any, facts: RequestFacts, action: string): Match {
  const parts: Match[] = [];
  const from = Array.isArray(rule?.from) ? rule.from : [];
  if (from.length > 0) parts.push(or(from.map((f: any) => evalSource(f?.source ?? {}, facts, action))));
  const to = Array.isArray(rule?.to) ? rule.to : [];
  if (to.length > 0) parts.push(or(to.map((t: any) => evalOperation(t?.operation ?? {}, facts, action))));
  for (const condition of Array.isArray(rule?.when) ? rule.when : []) parts.push(evalCondition(condition, facts, action));
  return and(parts);
}

function policyMatch(policy: AuthorizationPolicyInfo, facts: RequestFacts): Match {
  return or(policy.rules.map((rule) => evalRule(rule, facts, policy.action)));
}

function names(policies: readonly AuthorizationPolicyInfo[]): string {
  return policies.map((p) => `${p.namespace}/${p.ref.name}${p.rules.length === 0 ? ' (allows nothing)' : ''}`).join(', ');
}

export class AuthorizationPolicies {
  private readonly meshWide: AuthorizationPolicyInfo[] = [];
  private readonly byNamespace = new Map<string, AuthorizationPolicyInfo[]>();
  private readonly byWorkload = new Map<WorkloadInfo, AuthorizationPolicyInfo[]>();
  private readonly exactPatterns = new Map<string, number>();
  private readonly wildcardPatterns: Array<{ pattern: string; id: number }> = [];
  private readonly policyPatterns = new Map<AuthorizationPolicyInfo, number[]>();
  private readonly selectorPolicies: AuthorizationPolicyInfo[] = [];

  public constructor(inventory: Inventory, private readonly rootNamespace: string) {
    for (const policy of inventory.authorizationPolicies) {
      if (policy.action === 'AUDIT') continue;
      const root = policy.namespace === rootNamespace;
      if (!policy.selector) {
        if (root) this.meshWide.push(policy);
        else push(this.byNamespace, policy.namespace, policy);
      } else {
        this.selectorPolicies.push(policy);
        for (const w of inventory.workloadIndex.select(root ? undefined : policy.namespace, policy.selector)) push(this.byWorkload, w, policy);
      }
      const ids = new Set<number>();
      for (const rule of policy.rules) this.collectPatterns(rule, ids);
      this.policyPatterns.set(policy, [...ids]);
    }
  }

  /** Policies that apply to a workload, in input order. */
  public policiesFor(workload: WorkloadInfo): AuthorizationPolicyInfo[] {
    const ns = workload.namespace === this.rootNamespace ? [] : this.byNamespace.get(workload.namespace) ?? [];
    return [...this.meshWide, ...ns, ...this.byWorkload.get(workload) ?? []].sort((a, b) => a.index - b.index);
  }

  /**
   * Policies that apply to pods with `labels` in `namespace` that need not be in the input (an
   * egress gateway's pods, known by the labels a Gateway selects): as `policiesFor`.
   */
  public policiesForPods(namespace: string, labels: { readonly [key: string]: string }): AuthorizationPolicyInfo[] {
    const ns = namespace === this.rootNamespace ? [] : this.byNamespace.get(namespace) ?? [];
    const selected = this.selectorPolicies.filter((p) => (p.namespace === namespace || p.namespace === this.rootNamespace)
      && Object.entries(p.selector!).every(([k, v]) => own(labels, k) === v));
    return [...this.meshWide, ...ns, ...selected].sort((a, b) => a.index - b.index);
  }

  /**
   * Which principal and namespace patterns of all policies a caller's identity matches: two callers
   * with the same signature are treated alike by every policy.
   */
  public callerSignature(principal: string, namespace: string): string {
    const ids: number[] = [];
    for (const value of [`p:${principal}`, `n:${namespace}`]) {
      const id = this.exactPatterns.get(value);
      if (id !== undefined) ids.push(id);
    }
    for (const { pattern, id } of this.wildcardPatterns) {
      const value = pattern.startsWith('p:') ? principal : namespace;
      if (stringMatches(pattern.slice(2), value)) ids.push(id);
    }
    return ids.sort((a, b) => a - b).join(',');
  }

  /** Ids of the principal and namespace patterns that `policies` reference (as in `callerSignatureIds`). */
  public patternIds(policies: readonly AuthorizationPolicyInfo[]): Set<number> {
    const ids = new Set<number>();
    for (const p of policies) for (const id of this.policyPatterns.get(p) ?? []) ids.add(id);
    return ids;
  }

  /** `callerSignature` as sorted pattern ids. */
  public callerSignatureIds(principal: string, namespace: string): number[] {
    const s = this.callerSignature(principal, namespace);
    return s === '' ? [] : s.split(',').map(Number);
  }

  /** The decision for a request to a server with `policies`. */
  public evaluate(policies: readonly AuthorizationPolicyInfo[], facts: RequestFacts): AuthzDecision {
    const notes: string[] = [];
    for (const policy of policies.filter((p) => p.action === 'CUSTOM')) {
      if (policyMatch(policy, facts) !== 'no') {
        notes.push(`the external authorizer ${policy.provider ?? '?'} of CUSTOM ${policy.namespace}/${policy.ref.name} decides too`);
      }
    }
    for (const policy of policies.filter((p) => p.action === 'DENY')) {
      const m = policyMatch(policy, facts);
      if (m === 'yes') {
        return { allowed: false, reason: `denied by DENY AuthorizationPolicy ${policy.namespace}/${policy.ref.name}`, summary: 'denied by a DENY policy' };
      }
      if (m === 'maybe') notes.push(`some requests are denied by DENY ${policy.namespace}/${policy.ref.name}`);
    }
    const allows = policies.filter((p) => p.action === 'ALLOW');
    const tail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    if (allows.length === 0) {
      return { allowed: true, reason: tail.slice(2), summary: notes.length > 0 ? 'allowed (with conditions)' : '' };
    }
    const matches = allows.map((p) => ({ p, m: policyMatch(p, facts) }));
    const yes = matches.find((x) => x.m === 'yes');
    if (yes) {
      return { allowed: true, reason: `allowed by AuthorizationPolicy ${yes.p.namespace}/${yes.p.ref.name}${tail}`, summary: 'allowed by an ALLOW policy' };
    }
    const maybe = matches.filter((x) => x.m === 'maybe');
    if (maybe.length > 0) {
      return {
        allowed: true,
        reason: `only requests matching the conditions of ${names(maybe.map((x) => x.p))} are allowed${tail}`,
        summary: 'allowed for some requests only',
      };
    }
    const why = facts.principal === undefined ? ' (a plaintext caller has no principal or namespace)' : '';
    return {
      allowed: false,
      reason: `denied: ALLOW policies ${names(allows)} select the server and no rule matches this caller on container port ${facts.port}${why}`,
      summary: 'denied: no ALLOW rule matches',
    };
  }

  private collectPatterns(rule: any, ids: Set<number>): void {
    const add = (prefix: string, values: unknown) => {
      for (const v of strings(values) ?? []) {
        const key = `${prefix}${v}`;
        if (v.includes('*')) {
          let w = this.wildcardPatterns.find((x) => x.pattern === key);
          if (!w) {
            w = { pattern: key, id: this.exactPatterns.size + this.wildcardPatterns.length };
            this.wildcardPatterns.push(w);
          }
          ids.add(w.id);
        } else {
          let id = this.exactPatterns.get(key);
          if (id === undefined) this.exactPatterns.set(key, id = this.exactPatterns.size + this.wildcardPatterns.length);
          ids.add(id);
        }
      }
    };
    for (const f of Array.isArray(rule?.from) ? rule.from : []) {
      const s = f?.source ?? {};
      add('p:', s.principals); add('p:', s.notPrincipals); add('n:', s.namespaces); add('n:', s.notNamespaces);
    }
    for (const c of Array.isArray(rule?.when) ? rule.when : []) {
      if (c?.key === 'source.principal') { add('p:', c.values); add('p:', c.notValues); }
      if (c?.key === 'source.namespace') { add('n:', c.values); add('n:', c.notValues); }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
