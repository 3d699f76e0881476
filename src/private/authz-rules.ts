import { isIP } from 'node:net';
import { IConstruct } from 'constructs';
import { AppProtocol } from '../app-protocol';
import { Condition } from '../condition';
import { IstioSecurityError } from '../errors';
import { MtlsMode } from '../mtls-mode';
import { AuthorizationPolicySpecRules } from '../../imports/security.istio.io';
import { Peer } from '../peer';
import type { WorkloadPort } from '../workload-port';
import { assertInstance, assertList, assertPort, assertStringList, assertUnique, listText, quote } from './validate';

export type AuthzAction = 'ALLOW' | 'DENY';

/** A `when` condition, checked. */
export interface AuthzCondition {
  readonly key: string;
  readonly values?: string[];
  readonly notValues?: string[];
}

/** One rule, checked and ready to render. */
export interface AuthzRule {
  readonly action: AuthzAction;
  /** Descriptions of the peers (`from`), for messages. */
  readonly peers: string[];
  /** Descriptions of the excepted peers (`notPrincipals`, `notNamespaces`). */
  readonly exceptPeers: string[];
  readonly principals: string[];
  readonly namespaces: string[];
  readonly notPrincipals: string[];
  readonly notNamespaces: string[];
  readonly requestPrincipals?: string[];
  readonly notRequestPrincipals?: string[];
  readonly hosts?: string[];
  readonly methods?: string[];
  readonly notMethods?: string[];
  readonly paths?: string[];
  readonly notPaths?: string[];
  /** Container ports; undefined means every port. */
  readonly ports?: number[];
  readonly notPorts?: number[];
  readonly when: AuthzCondition[];
}

/** What a rule is made of, before it is checked. */
export interface RuleInput {
  readonly peers?: Peer[];
  readonly exceptPeers?: Peer[];
  readonly requestPrincipals?: string[];
  readonly notRequestPrincipals?: string[];
  readonly hosts?: string[];
  readonly methods?: string[];
  readonly notMethods?: string[];
  readonly paths?: string[];
  readonly notPaths?: string[];
  readonly ports?: number[];
  readonly notPorts?: number[];
  readonly when?: Condition[];
}

/** Protocols whose requests carry a method and a path the sidecar can see. */
export const HTTP_PROTOCOLS: readonly string[] = [AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.GRPC, AppProtocol.GRPC_WEB];
const METHOD = /^[A-Z][A-Z_-]*$/;
const TEMPLATE_SEGMENT = /^\{\*\*?\}$/;
/** A literal path segment of a template (Istio: pkg/config/security/security.go, IsValidLiteral: RFC 3986 pchar). */
const TEMPLATE_LITERAL = /^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$/;
/** Characters of a URL path (RFC 3986 pchar and '/'), and '*' for Istio's prefix and suffix matches. */
const PATH_CHARS = /^[a-zA-Z0-9\-._~%!$&'()*+,;=:@/]*$/;
/** Longest request line Envoy takes in by default (max_request_headers_kb: 60). */
const MAX_PATH = 60 * 1024;
const PATH_FORMS = 'Istio matches a path exactly ("/info"), by prefix ("/api/*"), by suffix ("*.png"), any path ("*"), '
  + 'or by template ("/users/{*}/info", "/files/{**}")';
const TEMPLATE_ADVICE = 'is not a valid path template (Istio refuses it): start with "/", use "{*}" for one whole segment and "{**}" only as '
  + 'the last segment, and only URL characters (no "*") in the other segments, e.g. "/users/{*}/info" or "/files/{**}"; '
  + 'a literal brace is percent-encoded ("%7B", "%7D").';

/**
 * Checks one rule. `workloadPorts` are the ports of the selected workload when this library
 * knows them (undefined for pods selected by labels only).
 */
export function checkRule(scope: IConstruct, action: AuthzAction, input: RuleInput, workloadPorts?: WorkloadPort[]): AuthzRule {
  const peers = checkPeers(scope, 'peers', input.peers);
  const exceptPeers = checkPeers(scope, 'exceptPeers', input.exceptPeers);
  if (action === 'ALLOW' && (peers === undefined || peers.length === 0)) {
    throw new IstioSecurityError(scope, 'an allow rule needs at least one peer: name the callers (Peer.workload, Peer.serviceAccount, Peer.namespace). '
      + 'A rule without peers would let every caller in, plaintext ones included.');
  }
  // An empty list renders no source, which matches every caller: the opposite of naming none.
  if (peers !== undefined && peers.length === 0) {
    throw new IstioSecurityError(scope, 'peers [] names no caller, and a rule without sources matches every caller: a deny rule with peers needs at least one peer; '
      + 'name the callers (Peer.workload, Peer.serviceAccount, Peer.namespace), or leave peers out to deny every caller.');
  }
  if (action === 'ALLOW' && exceptPeers) {
    throw new IstioSecurityError(scope, 'exceptPeers in an allow rule would also let in every plaintext caller (it has no identity, so it is '
      + '"not" every peer): allow the callers you mean, and deny the others with a DENY rule.');
  }
  const methods = optional(input.methods, (v) => checkMethods(scope, 'methods', v));
  const notMethods = optional(input.notMethods, (v) => checkMethods(scope, 'notMethods', v));
  const paths = optional(input.paths, (v) => checkPaths(scope, 'paths', v));
  const notPaths = optional(input.notPaths, (v) => checkPaths(scope, 'notPaths', v));
  let ports = optional(input.ports, (v) => checkPorts(scope, 'ports', v, workloadPorts));
  const notPorts = optional(input.notPorts, (v) => checkPorts(scope, 'notPorts', v, workloadPorts));
  const when = optional(input.when, (v) => checkConditions(scope, v)) ?? [];
  assertDisjoint(scope, 'methods', methods, notMethods);
  assertDisjoint(scope, 'paths', paths, notPaths);
  assertDisjoint(scope, 'ports', ports, notPorts);
  const requestFields = [
    ...named('methods', methods), ...named('notMethods', notMethods), ...named('paths', paths), ...named('notPaths', notPaths),
    ...named('hosts', input.hosts), ...named('requestPrincipals', input.requestPrincipals), ...named('notRequestPrincipals', input.notRequestPrincipals),
    ...when.filter((c) => isRequestKey(c.key)).map((c) => `when ${c.key}`),
  ];
  if (action === 'DENY' && !peers && !exceptPeers && !ports && !notPorts && requestFields.length === 0 && when.length === 0) {
    throw new IstioSecurityError(scope, 'a deny rule without peers, exceptPeers, ports, methods, paths or conditions would deny every request: '
      + 'say what to deny, e.g. { paths: ["/admin"] } or { peers: [Peer.namespace(ns)] }.');
  }
  if (requestFields.length > 0) {
    const tcpFields = !!peers || !!exceptPeers || when.some((c) => !isRequestKey(c.key));
    ports = checkRequestFieldsOnTcp(scope, action, requestFields, tcpFields, ports, notPorts, workloadPorts);
  }
  const rule = {
    action,
    peers: (peers ?? []).map((p) => p.description),
    exceptPeers: (exceptPeers ?? []).map((p) => p.description),
    principals: unique((peers ?? []).map((p) => p.principal)),
    namespaces: unique((peers ?? []).map((p) => p.namespaceName)),
    notPrincipals: unique((exceptPeers ?? []).map((p) => p.principal)),
    notNamespaces: unique((exceptPeers ?? []).map((p) => p.namespaceName)),
    requestPrincipals: input.requestPrincipals,
    notRequestPrincipals: input.notRequestPrincipals,
    hosts: input.hosts,
    methods,
    notMethods,
    paths,
    notPaths,
    ports,
    notPorts,
    when,
  };
  if (action === 'ALLOW' && rule.principals.length === 0 && rule.namespaces.length === 0) {
    // Every Peer names a principal or a namespace; a rule that names neither would admit anyone.
    throw new IstioSecurityError(scope, 'the allow rule names no principal and no namespace, so it would let every caller in: name the callers.');
  }
  return rule;
}

/** What makes two rules the same: the action, the callers and the requests, each as a set. */
export function ruleKey(rule: AuthzRule): string {
  const set = (values?: readonly (string | number)[]) => (values === undefined ? null : values.map(String).sort());
  return JSON.stringify([rule.action, set(rule.principals), set(rule.namespaces), set(rule.notPrincipals), set(rule.notNamespaces),
    set(rule.requestPrincipals), set(rule.notRequestPrincipals), set(rule.hosts), set(rule.methods), set(rule.notMethods), set(rule.paths),
    set(rule.notPaths), set(rule.ports), set(rule.notPorts), rule.when.map((c) => [c.key, set(c.values), set(c.notValues)])
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))]);
}

export function renderRule(rule: AuthzRule): AuthorizationPolicySpecRules {
  // Separate `from` entries are ORed; fields inside one source are ANDed, so the exceptions and
  // request principals go into every source.
  const shared = {
    notPrincipals: nonEmpty(rule.notPrincipals),
    notNamespaces: nonEmpty(rule.notNamespaces),
    requestPrincipals: rule.requestPrincipals,
    notRequestPrincipals: rule.notRequestPrincipals,
  };
  const sharedGiven = Object.values(shared).some((v) => v !== undefined);
  const from = [];
  if (rule.principals.length > 0) from.push({ source: { principals: rule.principals, ...shared } });
  if (rule.namespaces.length > 0) from.push({ source: { namespaces: rule.namespaces, ...shared } });
  if (from.length === 0 && sharedGiven) from.push({ source: shared });
  const operation = {
    hosts: rule.hosts,
    methods: rule.methods,
    notMethods: rule.notMethods,
    paths: rule.paths,
    notPaths: rule.notPaths,
    ports: rule.ports?.map(String),
    notPorts: rule.notPorts?.map(String),
  };
  const constrained = Object.values(operation).some((v) => v !== undefined);
  return {
    from: from.length > 0 ? from : undefined,
    to: constrained ? [{ operation }] : undefined,
    when: rule.when.length > 0 ? rule.when.map((c) => ({ key: c.key, values: c.values, notValues: c.notValues })) : undefined,
  };
}

/**
 * Warnings for rules by mTLS identity on ports that also take plaintext: a plaintext caller has
 * no principal, so an ALLOW rule cannot match it, and a DENY rule by peer does not stop it.
 */
export function plaintextWarnings(rules: readonly AuthzRule[], allPorts: number[] | undefined, modeFor: (port: number | undefined) => MtlsMode): string[] {
  const messages: string[] = [];
  rules.forEach((rule, index) => {
    if (rule.peers.length === 0) return;
    const byMode = new Map<MtlsMode, string[]>();
    const ports: (number | undefined)[] = rule.ports ?? allPorts ?? [undefined];
    for (const port of ports) {
      const mode = modeFor(port);
      if (mode === MtlsMode.STRICT) continue;
      byMode.set(mode, [...byMode.get(mode) ?? [], port === undefined ? 'every port' : `port ${port}`]);
    }
    for (const [mode, where] of byMode) {
      if (rule.action === 'DENY') {
        messages.push(`rule ${index + 1} denies ${listText(rule.peers)} by mTLS identity on ${listText(where)}, where mTLS is ${mode}: `
          + 'a plaintext caller has no identity, so the rule does not stop it. Make the port STRICT, or deny with exceptPeers '
          + '(every caller but the named ones, plaintext ones included).');
        continue;
      }
      const what = `rule ${index + 1} allows ${listText(rule.peers)} by mTLS identity on ${listText(where)}, where mTLS is ${mode}`;
      messages.push(mode === MtlsMode.DISABLE
        ? `${what}: no caller presents an identity there, so the rule never matches. Enable mTLS on the port, or drop the port from the rule.`
        : `${what}: a plaintext caller has no principal, so this rule cannot match it, while PERMISSIVE still lets plaintext in `
          + 'wherever another rule allows it. Make the port STRICT (a StrictNamespace, or mtls on the workload); '
          + 'if a mesh-wide policy already makes it STRICT, declare that mode on the namespace reference.');
    }
  });
  return messages;
}

function optional<T, R>(value: T | undefined, check: (value: T) => R): R | undefined {
  return value === undefined || value === null ? undefined : check(value);
}

function named(field: string, values: readonly unknown[] | undefined): string[] {
  return values === undefined ? [] : [field];
}

function nonEmpty(values: string[]): string[] | undefined {
  return values.length > 0 ? values : undefined;
}

function checkPeers(scope: IConstruct, field: string, value: unknown): Peer[] | undefined {
  if (value === undefined || value === null) return undefined;
  const peers = assertList(scope, field, value, { example: '[Peer.workload(frontend)]' });
  if (peers.length === 0 && field === 'exceptPeers') {
    throw new IstioSecurityError(scope, 'exceptPeers [] excepts nobody: leave it out, or name the callers to spare.');
  }
  // Peers of the library only: a look-alike object could name any principal, or none.
  const checked = peers.map((peer) => assertInstance(scope, `${field} entry`, peer, Peer,
    'Peer.workload(w), Peer.serviceAccount(ns, sa), Peer.identity(id) or Peer.namespace(ns)'));
  for (const peer of checked) peer.validate(scope);
  return checked;
}

function isRequestKey(key: string): boolean {
  return key.startsWith('request.');
}

/**
 * Request-time fields (methods, paths, JWT, request headers) exist only on HTTP ports. On TCP,
 * Istio drops an ALLOW rule that uses them (it admits nothing) and ignores them in a DENY rule
 * (it denies more). Returns the ports a DENY rule renders: without ports, the workload's HTTP
 * ports, stated explicitly (Istio's validation also warns about DENY rules with only HTTP fields).
 */
function checkRequestFieldsOnTcp(scope: IConstruct, action: AuthzAction, fields: string[], tcpFields: boolean,
  ports: number[] | undefined, notPorts: number[] | undefined, workloadPorts: WorkloadPort[] | undefined): number[] | undefined {
  const names = [...new Set(fields)];
  // Pods this library did not create: their ports may be known, their protocols are not.
  if (!workloadPorts || workloadPorts.some((p) => p.protocol === undefined)) {
    if (action === 'DENY' && !ports) {
      throw new IstioSecurityError(scope, `${fieldsAre(names)} HTTP-only, and Istio ignores them in a DENY rule on TCP ports, `
        + 'so there the rule would deny every connection: the pods\' protocols are unknown, so name the HTTP container ports (ports).');
    }
    return ports;
  }
  const isHttp = (port: number) => workloadPorts.some((p) => p.containerPort === port && HTTP_PROTOCOLS.includes(p.protocol!));
  const all = unique(workloadPorts.map((p) => p.containerPort));
  const covered = ports ?? all.filter((p) => !(notPorts ?? []).includes(p));
  if (action === 'ALLOW') {
    const opaque = ports ? covered.filter((p) => !isHttp(p)) : covered.every((p) => !isHttp(p)) ? covered : [];
    if (opaque.length > 0) {
      throw new IstioSecurityError(scope, `${fieldsAre(names)} HTTP-only, but port(s) ${listText(opaque)} do not carry HTTP: `
        + 'Istio drops such a rule on TCP traffic, so it would let nothing in. Leave them out for TCP ports, '
        + 'or limit the rule to the HTTP ports.');
    }
    return ports;
  }
  // Without ports, the rule is meant for the requests of the HTTP ports: say so in the rule.
  if (!ports && !notPorts && covered.some(isHttp)) return covered.filter(isHttp);
  const opaque = covered.filter((p) => !isHttp(p));
  if (opaque.length > 0) {
    const effect = tcpFields
      ? 'it would deny every connection its other fields match there (it denies more than you wrote)'
      : 'it would deny every connection on them';
    throw new IstioSecurityError(scope, `${fieldsAre(names)} HTTP-only, but port(s) ${listText(opaque)} do not carry HTTP, and Istio ignores `
      + `them in a DENY rule on TCP traffic: ${effect}. Limit the rule to the HTTP ports (ports).`);
  }
  return ports;
}

function fieldsAre(fields: string[]): string {
  const list = fields.length > 1 ? `${fields.slice(0, -1).join(', ')} and ${fields[fields.length - 1]}` : fields[0];
  return `${list} are`;
}

function checkMethods(scope: IConstruct, field: string, value: unknown): string[] {
  const methods = assertStringList(scope, field, value, { example: '["GET", "POST"]' });
  if (methods.length === 0) {
    throw new IstioSecurityError(scope, `${field} [] matches no request: leave ${field} out to match any method.`);
  }
  for (const method of methods) {
    if (METHOD.test(method)) continue;
    const hint = method === '*' ? `leave ${field} out to match any method.`
      : METHOD.test(method.toUpperCase()) ? `Istio compares methods case-sensitively: use "${method.toUpperCase()}".`
        : 'use an HTTP method in upper case, e.g. "GET" or "POST".';
    throw new IstioSecurityError(scope, `method ${quote(method)} is not an HTTP method: ${hint}`);
  }
  assertUnique(scope, 'method', methods);
  return methods;
}

function checkPaths(scope: IConstruct, field: string, value: unknown): string[] {
  const paths = assertStringList(scope, field, value, { example: '["/api/*"]' });
  if (paths.length === 0) {
    throw new IstioSecurityError(scope, `${field} [] matches no request: leave ${field} out to match any path.`);
  }
  for (const path of paths) checkPath(scope, path);
  assertUnique(scope, 'path', paths);
  return paths;
}

/**
 * A path Istio accepts (pkg/config/security/security.go, CheckValidPathTemplate) and that can
 * match a request path: Istio compares the normalized path exactly, by prefix or suffix, or with a
 * template; it has no regular expressions.
 */
function checkPath(scope: IConstruct, path: string): void {
  const refuse = (why: string) => new IstioSecurityError(scope, `path ${quote(path)} ${why}`);
  if (path === '') {
    throw refuse('is empty: use an exact path "/info", a prefix "/api/*", a suffix "*.png" or "*" for any path.');
  }
  if (path.length > MAX_PATH) throw refuse(`is longer than the ${MAX_PATH} characters Envoy takes in a request, so it never matches: use a shorter path.`);
  if (/[\s?#]/.test(path)) {
    throw refuse('contains whitespace, "?" or "#": paths match the URL path only, without query string or fragment; use the path alone, e.g. "/search".');
  }
  if (path === '*') return;
  if (/[[\]\\^|]|\.\*|\.\+|\$$/.test(path)) {
    throw refuse(`looks like a regular expression, which Istio does not use for paths: ${PATH_FORMS}. Write one of those forms, `
      + 'e.g. "/api/*" or "/api/{*}/items".');
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) throw refuse('has a "%" that does not start a percent-encoded byte (%XX): use "%25" for a literal "%".');
  const braces = path.includes('{') || path.includes('}');
  if (!PATH_CHARS.test(path.replace(/\{\*\*?\}/g, ''))) {
    throw refuse(braces ? TEMPLATE_ADVICE
      : 'has characters a URL path cannot carry (non-ASCII, quotes, "<", ">" or "`"): percent-encode them (e.g. "%C3%A9" for "é").');
  }
  if (path.split('/').some((s) => s === '.' || s === '..')) {
    throw refuse('has a "." or ".." segment: Istio normalizes request paths (removing those segments) before it matches, so this never matches; '
      + 'write the normalized path.');
  }
  if (braces) {
    // Path templates: "{*}" matches one segment, "{**}" the rest of the path.
    const inner = trimSlashes(path).split('/');
    const bad = !path.startsWith('/') || inner.some((s, i) =>
      TEMPLATE_SEGMENT.test(s) ? s === '{**}' && i !== inner.length - 1 : !TEMPLATE_LITERAL.test(s));
    if (bad) throw refuse(TEMPLATE_ADVICE);
    return;
  }
  const suffix = path.startsWith('*');
  const body = suffix ? path.slice(1) : path.endsWith('*') ? path.slice(0, -1) : path;
  if (body.includes('*')) {
    throw refuse(`has "*" in the middle or at both ends: ${PATH_FORMS}.`);
  }
  if (!suffix && !path.startsWith('/')) {
    throw refuse(`does not start with "/": request paths always do, so it would never match; use "/${path}".`);
  }
}

/** The path without leading and trailing slashes (strings.Trim(path, "/")), in linear time. */
function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === '/') start++;
  while (end > start && path[end - 1] === '/') end--;
  return path.slice(start, end);
}

function checkPorts(scope: IConstruct, field: string, value: unknown, workloadPorts?: WorkloadPort[]): number[] {
  const ports = assertList(scope, field, value, { example: '[8080]' }) as number[];
  if (ports.length === 0) {
    throw new IstioSecurityError(scope, `${field} [] matches no connection: leave ${field} out to match every port.`);
  }
  const containerPorts = workloadPorts ? new Set(workloadPorts.map((p) => p.containerPort!)) : undefined;
  for (const port of ports) {
    assertPort(scope, 'port', port);
    if (!containerPorts || containerPorts.has(port)) continue;
    const service = workloadPorts!.find((p) => p.port === port);
    throw new IstioSecurityError(scope, service
      ? `port ${port} is a Service port: Istio matches the port the workload listens on, so use its container port ${service.containerPort}.`
      : `port ${port} is not a port the workload serves: use one of its container ports [${listText([...containerPorts])}].`);
  }
  assertUnique(scope, 'port', ports);
  return ports;
}

function assertDisjoint<T>(scope: IConstruct, field: string, values: T[] | undefined, notValues: T[] | undefined): void {
  const both = (values ?? []).find((v) => (notValues ?? []).includes(v));
  if (both !== undefined) {
    throw new IstioSecurityError(scope, `${quote(both)} is in both ${field} and not${field[0].toUpperCase()}${field.slice(1)}: `
      + 'such a rule can never match it; keep it in one of them.');
  }
}

/** Attributes Istio accepts in `when` (pkg/config/security/security.go ValidateAttribute), and how to check their values. */
const ATTRIBUTES: { readonly [key: string]: (value: string) => string | undefined } = {
  'source.ip': ipOrCidr,
  'remote.ip': ipOrCidr,
  'destination.ip': ipOrCidr,
  'destination.port': (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'is not a port from 1 to 65535'),
  'source.namespace': () => undefined,
  'source.principal': () => undefined,
  'source.serviceAccount': (v) => (v.includes('*') ? 'has a wildcard, which Istio refuses for service accounts'
    : v.split('/').length > 2 || v.split('/').some((s) => s === '') ? 'is not "<service account>" or "<namespace>/<service account>"' : undefined),
  'source.trustDomain': (v) => ((v.match(/\*/g) ?? []).length > 1 || (v.includes('*') && v !== '*' && !v.startsWith('*') && !v.endsWith('*'))
    ? 'has "*" other than at the start or end' : undefined),
  'connection.sni': () => undefined,
  'request.auth.principal': () => undefined,
  'request.auth.audiences': () => undefined,
  'request.auth.presenter': () => undefined,
};
const MAP_ATTRIBUTES = ['request.headers', 'request.auth.claims'];

function ipOrCidr(value: string): string | undefined {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return 'is not an IP address or CIDR range';
  if (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128))) return 'has an invalid prefix length';
  return undefined;
}

function checkConditions(scope: IConstruct, value: unknown): AuthzCondition[] {
  const conditions = assertList(scope, 'when', value, { example: '[Condition.claim("groups", ["admin"])]' });
  if (conditions.length === 0) throw new IstioSecurityError(scope, 'when [] has no condition: leave it out.');
  return conditions.map((c) => checkCondition(scope, c));
}

function checkCondition(scope: IConstruct, value: unknown): AuthzCondition {
  const condition = assertInstance(scope, 'when entry', value, Condition, 'Condition.of, Condition.notOf, Condition.claim, ...');
  const key = condition.key;
  const mapBase = typeof key === 'string' ? MAP_ATTRIBUTES.find((base) => key.startsWith(`${base}[`)) : undefined;
  let valueCheck: ((value: string) => string | undefined) | undefined;
  if (mapBase) {
    // `a[b]` or nested `a[b][c]`: non-empty names in brackets (security.go validateMapKey).
    if (!/^(\[[^\[\]]+\])+$/.test(key.slice(mapBase.length))) {
      throw new IstioSecurityError(scope, `condition key ${quote(key)} is not "${mapBase}[<name>]": put the name in brackets, e.g. "${mapBase}[groups]".`);
    }
    valueCheck = () => undefined;
  } else if (typeof key === 'string') {
    valueCheck = ATTRIBUTES[key];
  }
  if (!valueCheck) {
    throw new IstioSecurityError(scope, `condition key ${quote(key)} is not an attribute Istio supports in "when" (Istio refuses the policy): `
      + `use one of ${[...Object.keys(ATTRIBUTES), ...MAP_ATTRIBUTES.map((b) => `${b}[<name>]`)].join(', ')}.`);
  }
  const { values, notValues } = condition;
  const given = [values, notValues].filter((v) => v !== undefined && v !== null);
  if (given.length !== 1) {
    throw new IstioSecurityError(scope, `condition ${quote(key)} needs either values or notValues: use Condition.of or Condition.notOf.`);
  }
  const list = given[0]!;
  if (!Array.isArray(list) || list.length === 0) {
    throw new IstioSecurityError(scope, `condition ${quote(key)} has no values: it would never match; give at least one value.`);
  }
  for (const value of list) {
    if (typeof value !== 'string' || value === '' || value !== value.trim()) {
      throw new IstioSecurityError(scope, `condition ${quote(key)} value ${quote(value)} is empty, padded or not a string: give the exact value.`);
    }
    const problem = valueCheck(value);
    if (problem) throw new IstioSecurityError(scope, `condition ${quote(key)} value ${quote(value)} ${problem}.`);
  }
  assertUnique(scope, `condition ${quote(key)} value`, list);
  return values !== undefined && values !== null ? { key, values: [...list] } : { key, notValues: [...list] };
}

function unique<T>(values: (T | undefined)[]): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}
