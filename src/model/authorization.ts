// AuthorizationPolicy evaluation on a server's sidecar: CUSTOM, then DENY, then ALLOW.
// Policies apply from the root namespace (every workload, or those its selector matches in any
// namespace) and from the server's namespace (every workload, or those the selector matches).
// Once an ALLOW policy applies, a request must match one of its rules; an ALLOW policy without
// rules (`spec: {}`) allows nothing, a DENY policy without rules denies nothing. Principals,
// source namespaces, service accounts and trust domains come from the peer's mTLS certificate: a
// plaintext caller has none, so it never matches them and always matches their negations. On a
// TCP port an ALLOW rule with any HTTP-only field is dropped whole, while a DENY rule ignores those
// fields (it matches more). A rule with a `when` key Istio does not know is skipped whatever the
// action. Policies annotated `istio.io/dry-run` (true) are not enforced. Request fields the model
// cannot know (methods, paths, JWTs, headers, IPs) make a rule match "maybe", and the reason says
// which requests.

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
/** `when` keys of the request, HTTP only (pilot/pkg/security/authz/model/generator.go: their generators fail on TCP). */
const HTTP_KEYS = ['request.auth.principal', 'request.auth.audiences', 'request.auth.presenter'];
const HTTP_KEY_PREFIXES = ['request.headers[', 'request.auth.claims['];
/** `when` keys Istio knows that the model cannot decide (pilot/pkg/security/authz/model/model.go New). */
const UNKNOWN_KEYS = ['source.ip', 'remote.ip', 'destination.ip'];

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` (any non-empty value). */
export function stringMatches(pattern: string, value: string | undefined): boolean {
  // pilot/pkg/security/authz/matcher/string.go StringMatcherWithPrefix.
  if (value === undefined || value === '') return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// pilot/pkg/security/authz/model/generator.go srcNamespaceGenerator: regex `.*/ns/<ns, * as .*>/.*` on the peer URI.
export function namespaceMatches(pattern: string, principal: string | undefined): boolean {
  if (principal === undefined) return false;
  return new RegExp(`^.*/ns/${pattern.split('*').map(quote).join('.*')}/.*$`).test(`spiffe://${principal}`);
}

// generator.go serviceAccountRegex: `<ns>/<sa>`, or `<sa>` in the policy's namespace, any trust domain.
export function serviceAccountMatches(value: string, policyNamespace: string, principal: string | undefined): boolean {
  if (principal === undefined) return false;
  const [ns, sa] = value.includes('/') ? [value.slice(0, value.indexOf('/')), value.slice(value.indexOf('/') + 1)] : [policyNamespace, value];
  return new RegExp(`^spiffe://.+/ns/${quote(ns)}/(.+/|)sa/${quote(sa)}(/.+)?$`).test(`spiffe://${principal}`);
}

// generator.go srcTrustDomainGenerator: `*` any, exact, or one `*` matching within the domain.
export function trustDomainMatches(value: string, principal: string | undefined): boolean {
  if (principal === undefined) return false;
  const uri = `spiffe://${principal}`;
  if (value === '*') return true;
  if (!value.includes('*')) return uri.startsWith(`spiffe://${value}/`);
  const [a, b] = [value.slice(0, value.indexOf('*')), value.slice(value.indexOf('*') + 1)];
  return new RegExp(`^spiffe://${quote(a)}[^/]*${quote(b)}/.*$`).test(uri);
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
  return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
}

/** An HTTP-only field: unknown on HTTP; on TCP a DENY rule ignores the field (ALLOW rules with one are dropped before). */
function httpOnly(facts: RequestFacts): Match {
  return facts.http ? 'maybe' : 'yes';
}

function listMatch(patterns: string[] | undefined, notPatterns: string[] | undefined, matches: (p: string) => boolean): Match[] {
  const parts: Match[] = [];
  if (patterns) parts.push(patterns.some(matches) ? 'yes' : 'no');
  if (notPatterns) parts.push(notPatterns.some(matches) ? 'no' : 'yes');
  return parts;
}

function evalSource(source: any, facts: RequestFacts, policyNamespace: string): Match {
  const p = facts.principal;
  const parts: Match[] = [
    ...listMatch(strings(source.principals), strings(source.notPrincipals), (x) => stringMatches(x, p)),
    ...listMatch(strings(source.namespaces), strings(source.notNamespaces), (x) => namespaceMatches(x, p)),
    ...listMatch(strings(source.serviceAccounts), strings(source.notServiceAccounts), (x) => serviceAccountMatches(x, policyNamespace, p)),
    ...listMatch(strings(source.trustDomains), strings(source.notTrustDomains), (x) => trustDomainMatches(x, p)),
  ];
  for (const field of HTTP_SOURCE_FIELDS) if (strings(source[field])) parts.push(httpOnly(facts));
  for (const field of UNKNOWN_SOURCE_FIELDS) if (strings(source[field])) parts.push('maybe');
  return and(parts);
}

function evalOperation(operation: any, facts: RequestFacts): Match {
  const port = String(facts.port);
  const parts: Match[] = [...listMatch(strings(operation.ports), strings(operation.notPorts), (x) => x === port)];
  for (const field of HTTP_OPERATION_FIELDS) {
    const values = strings(operation[field]);
    if (!values) continue;
    // Hosts compare case-insensitively with the request's Host (pilot/pkg/security/authz/matcher/header.go HostMatcher).
    if (facts.http && facts.host !== undefined && (field === 'hosts' || field === 'notHosts')) {
      const host = facts.host.toLowerCase();
      const lower = values.map((h) => h.toLowerCase());
      parts.push(...(field === 'hosts' ? listMatch(lower, undefined, (x) => stringMatches(x, host)) : listMatch(undefined, lower, (x) => stringMatches(x, host))));
    } else {
      parts.push(httpOnly(facts));
    }
  }
  return and(parts);
}

/** A `when` key whose generator fails on TCP (generator.go: request headers, claims and JWT fields; Envoy metadata works on TCP). */
function isHttpCondition(key: string): boolean {
  return HTTP_KEYS.includes(key) || HTTP_KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Whether Istio knows a `when` key (pilot/pkg/security/authz/model/model.go New: an unknown one skips the rule). */
function knownKey(key: string): boolean {
  return ['source.principal', 'source.namespace', 'source.serviceAccount', 'source.trustDomain', 'destination.port', 'connection.sni',
    ...HTTP_KEYS, ...UNKNOWN_KEYS].includes(key)
    || HTTP_KEY_PREFIXES.some((prefix) => key.startsWith(prefix)) || key.startsWith('experimental.envoy.filters.');
}

function evalCondition(condition: any, facts: RequestFacts, policyNamespace: string): Match {
  const key = String(condition?.key ?? '');
  const values = strings(condition?.values);
  const notValues = strings(condition?.notValues);
  const p = facts.principal;
  switch (key) {
    case 'source.principal': return and(listMatch(values, notValues, (x) => stringMatches(x, p)));
    case 'source.namespace': return and(listMatch(values, notValues, (x) => namespaceMatches(x, p)));
    case 'source.serviceAccount': return and(listMatch(values, notValues, (x) => serviceAccountMatches(x, policyNamespace, p)));
    case 'source.trustDomain': return and(listMatch(values, notValues, (x) => trustDomainMatches(x, p)));
    case 'destination.port': return and(listMatch(values, notValues, (x) => x === String(facts.port)));
    // The downstream TLS SNI; unknown unless the model knows how the connection was opened.
    case 'connection.sni': return facts.sni === undefined ? 'maybe' : and(listMatch(values, notValues, (x) => stringMatches(x, facts.sni)));
    default:
      if (isHttpCondition(key)) return httpOnly(facts);
      // IP addresses, and Envoy metadata (generator.go envoyFilterGenerator: a permission that works on TCP too).
      return 'maybe';
  }
}

/** Whether a rule uses a field that exists only for HTTP (the TCP filter cannot generate it). */
function hasHttpField(rule: any): boolean {
  const from = Array.isArray(rule?.from) ? rule.from : [];
  const to = Array.isArray(rule?.to) ? rule.to : [];
  const when = Array.isArray(rule?.when) ? rule.when : [];
  return from.some((f: any) => HTTP_SOURCE_FIELDS.some((k) => strings(f?.source?.[k])))
    || to.some((t: any) => HTTP_OPERATION_FIELDS.some((k) => strings(t?.operation?.[k])))
    || when.some((c: any) => isHttpCondition(String(c?.key ?? '')));
}

/** Whether one rule of a policy with `action` (in `policyNamespace`) matches the request. */
// pilot/pkg/security/authz/builder/builder.go build: on a TCP chain an ALLOW rule whose
// Model.Generate fails (an HTTP-only field anywhere in it) is skipped; DENY ignores the field (rule.checkError).
export function evalRule(rule: any, facts: RequestFacts, action: string, policyNamespace = ''): Match {
  const when: any[] = Array.isArray(rule?.when) ? rule.when : [];
  // builder.go Builder.build: a rule model.New refuses (a `when` key it does not know) is skipped.
  if (when.some((c) => !knownKey(String(c?.key ?? '')))) return 'no';
  if (!facts.http && action === 'ALLOW' && hasHttpField(rule)) return 'no';
  const parts: Match[] = [];
  // model.go New: `from` entries ORed, `to` entries ORed, conditions ANDed with both.
  const from = Array.isArray(rule?.from) ? rule.from : [];
  if (from.length > 0) parts.push(or(from.map((f: any) => evalSource(f?.source ?? {}, facts, policyNamespace))));
  const to = Array.isArray(rule?.to) ? rule.to : [];
  if (to.length > 0) parts.push(or(to.map((t: any) => evalOperation(t?.operation ?? {}, facts))));
  for (const condition of when) parts.push(evalCondition(condition, facts, policyNamespace));
  return and(parts);
}

/**
 * The requests a "maybe" rule is about, for reasons: `without a valid JWT of <issuers>`, `/admin`,
 * `claim groups` ... (the request-time fields the model cannot decide).
 */
export function describeRequests(rule: any): string {
  const parts: string[] = [];
  for (const f of Array.isArray(rule?.from) ? rule.from : []) {
    const s = f?.source ?? {};
    const issuers = (values: string[] | undefined) => (values ?? []).map((v) => (v.endsWith('/*') ? v.slice(0, -2) : v)).join(', ');
    if (strings(s.requestPrincipals)?.length) parts.push(`with a valid JWT of ${issuers(strings(s.requestPrincipals))}`);
    if (strings(s.notRequestPrincipals)?.length) parts.push(`without a valid JWT of ${issuers(strings(s.notRequestPrincipals))}`);
    if (strings(s.ipBlocks)?.length || strings(s.remoteIpBlocks)?.length) parts.push('from some addresses');
  }
  for (const t of Array.isArray(rule?.to) ? rule.to : []) {
    const o = t?.operation ?? {};
    if (strings(o.methods)?.length) parts.push(`methods ${strings(o.methods)!.join(', ')}`);
    if (strings(o.notMethods)?.length) parts.push(`methods other than ${strings(o.notMethods)!.join(', ')}`);
    if (strings(o.paths)?.length) parts.push(`paths ${strings(o.paths)!.join(', ')}`);
    if (strings(o.notPaths)?.length) parts.push(`paths other than ${strings(o.notPaths)!.join(', ')}`);
    if (strings(o.hosts)?.length) parts.push(`hosts ${strings(o.hosts)!.join(', ')}`);
  }
  for (const c of Array.isArray(rule?.when) ? rule.when : []) {
    const key = String(c?.key ?? '');
    if (key.startsWith('request.auth.claims[')) {
      const claim = key.slice('request.auth.claims'.length);
      parts.push(strings(c.values) ? `JWT claim ${claim} in ${strings(c.values)!.join(', ')}` : `JWT claim ${claim} not in ${strings(c.notValues)?.join(', ')}`);
    } else if (key.startsWith('request.') || UNKNOWN_KEYS.includes(key) || key.startsWith('experimental.')) {
      parts.push(`${key} ${strings(c.values) ? 'in' : 'not in'} ${(strings(c.values) ?? strings(c.notValues) ?? []).join(', ')}`);
    }
  }
  return parts.join(', ');
}

function policyMatch(policy: AuthorizationPolicyInfo, facts: RequestFacts): Match {
  // builder.go Builder.build: the rules of a policy ORed; a policy without rules matches nothing.
  return or(policy.rules.map((rule) => evalRule(rule, facts, policy.action, policy.namespace)));
}

/** What the "maybe" rules of a policy are about, for reasons (`(requests without a valid JWT of x, paths /a)`). */
function maybeRequests(policy: AuthorizationPolicyInfo, facts: RequestFacts): string {
  const about = policy.rules.filter((rule) => evalRule(rule, facts, policy.action, policy.namespace) === 'maybe')
    .map(describeRequests).filter((d) => d !== '');
  return about.length > 0 ? ` (requests ${[...new Set(about)].join('; ')})` : '';
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
      // builder.go Builder.build: AUDIT only logs; a dry-run policy goes to the shadow rules, never enforced.
      if (policy.action === 'AUDIT' || policy.dryRun) continue;
      const root = policy.namespace === rootNamespace;
      if (!policy.selector) {
        if (root) this.meshWide.push(policy);
        else push(this.byNamespace, policy.namespace, policy);
      } else {
        this.selectorPolicies.push(policy);
        for (const w of inventory.workloadIndex.select(root ? undefined : policy.namespace, policy.selector)) push(this.byWorkload, w, policy);
      }
      const ids = new Set<number>();
      for (const rule of policy.rules) this.collectPatterns(rule, ids, policy.namespace);
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
    const [trustDomain, , , , serviceAccount] = principal.split('/');
    for (const value of [`p:${principal}`, `n:${namespace}`, `s:${namespace}/${serviceAccount}`, `t:${trustDomain}`]) {
      const id = this.exactPatterns.get(value);
      if (id !== undefined) ids.push(id);
    }
    for (const { pattern, id } of this.wildcardPatterns) {
      const value = pattern.slice(2);
      const kind = pattern[0];
      if (kind === 'p' ? stringMatches(value, principal) : kind === 'n' ? namespaceMatches(value, principal) : trustDomainMatches(value, principal)) ids.push(id);
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
      if (m === 'maybe') notes.push(`some requests are denied by DENY ${policy.namespace}/${policy.ref.name}${maybeRequests(policy, facts)}`);
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
        reason: `only requests matching the conditions of ${names(maybe.map((x) => x.p))} are allowed`
          + `${maybe.map((x) => maybeRequests(x.p, facts)).join('')}${tail}`,
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

  /** Patterns of identity fields (principals `p:`, namespaces `n:`, service accounts `s:<ns>/<sa>`, trust domains `t:`). */
  private collectPatterns(rule: any, ids: Set<number>, policyNamespace: string): void {
    const add = (prefix: string, values: unknown) => {
      for (const raw of strings(values) ?? []) {
        // A service account without a namespace is one of the policy's namespace (generator.go serviceAccountRegex).
        const v = prefix === 's:' && !raw.includes('/') ? `${policyNamespace}/${raw}` : raw;
        const key = `${prefix}${v}`;
        if (v.includes('*') && prefix !== 's:') {
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
      add('s:', s.serviceAccounts); add('s:', s.notServiceAccounts); add('t:', s.trustDomains); add('t:', s.notTrustDomains);
    }
    for (const c of Array.isArray(rule?.when) ? rule.when : []) {
      if (c?.key === 'source.principal') { add('p:', c.values); add('p:', c.notValues); }
      if (c?.key === 'source.namespace') { add('n:', c.values); add('n:', c.notValues); }
      if (c?.key === 'source.serviceAccount') { add('s:', c.values); add('s:', c.notValues); }
      if (c?.key === 'source.trustDomain') { add('t:', c.values); add('t:', c.notValues); }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
