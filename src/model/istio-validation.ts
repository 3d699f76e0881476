// What Istio's validation (its admission webhook, and `istioctl validate`) refuses in the kinds the
// model reads, after the CRD schema (schema.ts) has passed: istio pkg/config/validation/validation.go
// at the pinned commit, one function per kind as named there. Warnings are not refusals and are
// left out; so are checks on fields the model never reads (retries, fault injection, CORS, ...),
// which docs/rejected-inputs.md lists as not checked.

import {
  fqdnError, isCidr, isIPAddress, isIstioDnsLabel, isLabelValue, isPort, isQualifiedName, partialWildcardError, quote, wildcardDomainError,
} from './names';
import { SchemaError } from './schema';

type Out = SchemaError[];

function push(out: Out, path: string, message: string | undefined): void {
  if (message) out.push({ path, message });
}

function list(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): string[] {
  return list(value).map(String);
}

const DRY_RUN = 'istio.io/dry-run';
const REFUSED_ANNOTATIONS = ['internal.istio.io/webhook-always-reject', 'internal.istio.io/parent-namespace', 'internal.istio.io/parents'];

/** validateMetadata: annotations every Istio kind is checked for. */
function validateMetadata(o: any, out: Out): void {
  const annotations = o.metadata?.annotations ?? {};
  for (const key of REFUSED_ANNOTATIONS) {
    if (Object.prototype.hasOwnProperty.call(annotations, key)) push(out, 'metadata.annotations', `annotation ${key} is refused by Istio's validation`);
  }
  if (Object.prototype.hasOwnProperty.call(annotations, DRY_RUN)) {
    if (o.kind !== 'AuthorizationPolicy') push(out, `metadata.annotations[${quote(DRY_RUN)}]`, `only AuthorizationPolicy supports ${DRY_RUN}`);
    else if (!['ALLOW', 'DENY'].includes(o.spec?.action ?? 'ALLOW')) push(out, `metadata.annotations[${quote(DRY_RUN)}]`, `${DRY_RUN} supports only action ALLOW or DENY`);
    else if (!['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(String(annotations[DRY_RUN]))) {
      push(out, `metadata.annotations[${quote(DRY_RUN)}]`, `${quote(annotations[DRY_RUN])} is not a boolean`);
    }
  }
}

/** validateWorkloadSelector (and labels.Instance.Validate for selectors given as labels). */
function validateWorkloadSelector(labels: unknown, path: string, out: Out): void {
  if (!labels || typeof labels !== 'object') return;
  for (const [key, value] of Object.entries(labels)) {
    if (key === '') push(out, path, 'empty key is not supported in selector');
    if (key.includes('*') || String(value).includes('*')) push(out, path, `wildcard is not supported in selector: ${quote(`${key}=${value}`)}`);
  }
}

/** labels.Instance.Validate: label keys and values. */
function validateLabelInstance(labels: unknown, path: string, out: Out): void {
  if (!labels || typeof labels !== 'object') return;
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) push(out, path, `invalid tag key: ${quote(key)}`);
    if (!isLabelValue(String(value))) push(out, path, `invalid tag value: ${quote(value)}`);
  }
}

/** validateExportTo. */
function validateExportTo(namespace: string, exportTo: unknown, serviceEntry: boolean, withSelector: boolean, out: Out): void {
  const entries = strings(exportTo);
  if (entries.length === 0) return;
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      push(out, 'spec.exportTo', key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${e}`);
      continue;
    }
    if (serviceEntry && e === '~') seen.add(key);
    else if (key === '~') push(out, 'spec.exportTo', 'exportTo ~ (none) is not allowed for Istio configuration objects');
    else if (key !== '*' && key !== '.' && !isIstioDnsLabel(key)) push(out, 'spec.exportTo', 'only .,*, or a valid DNS 1123 label is allowed as exportTo entry');
    else seen.add(key);
  }
  if (withSelector && seen.size > 0) {
    if (!seen.has(namespace)) push(out, 'spec.exportTo', 'destination rule with workload selector cannot have exportTo beyond current namespace');
    else if (seen.size > 1) push(out, 'spec.exportTo', 'destination rule with workload selector cannot have multiple entries in exportTo');
  }
  if (seen.has('*') && entries.length > 1) push(out, 'spec.exportTo', 'cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && entries.length > 1) push(out, 'spec.exportTo', 'cannot export service entry to no one (~) and someone');
}

/** ValidatePeerAuthentication. */
function validatePeerAuthentication(o: any, out: Out): void {
  const spec = o.spec ?? {};
  const selector = spec.selector?.matchLabels;
  const emptySelector = !selector || Object.keys(selector).length === 0;
  const ports = spec.portLevelMtls;
  if (ports !== undefined) {
    if (emptySelector && Object.keys(ports).length > 0) push(out, 'spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS');
    if (Object.keys(ports).length === 0) push(out, 'spec.portLevelMtls', 'port level mTLS, if defined, must have at least one element');
    for (const port of Object.keys(ports)) if (!/^\d+$/.test(port) || !isPort(Number(port))) push(out, `spec.portLevelMtls[${quote(port, 20)}]`, 'port must be in range 1..65535');
  }
  if (spec.selector) validateWorkloadSelector(selector, 'spec.selector.matchLabels', out);
}

/** ValidateRequestAuthentication and validateJwtRule (pkg/config/validation/validation.go). */
function validateRequestAuthentication(o: any, out: Out): void {
  const spec = o.spec ?? {};
  if (spec.selector) validateWorkloadSelector(spec.selector.matchLabels, 'spec.selector.matchLabels', out);
  (Array.isArray(spec.jwtRules) ? spec.jwtRules : []).forEach((rule: any, i: number) => {
    const at = `spec.jwtRules[${i}]`;
    if (!rule || typeof rule !== 'object') return;
    strings(rule.audiences).forEach((a, j) => { if (a === '') push(out, `${at}.audiences[${j}]`, 'audience must be non-empty string'); });
    const uri = typeof rule.jwks_uri === 'string' ? rule.jwks_uri : typeof rule.jwksUri === 'string' ? rule.jwksUri : '';
    if (!rule.issuer && uri === '') push(out, `${at}.issuer`, 'issuer or jwksUri must be non-empty string');
    if (uri !== '') {
      // security.ParseJwksURI: url.Parse, then only the http and https schemes.
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
      if (scheme !== 'http' && scheme !== 'https') push(out, `${at}.jwksUri`, `URI scheme ${quote(scheme)} is not supported`);
    }
    if (typeof rule.jwks === 'string' && rule.jwks !== '') {
      let keys: unknown;
      try { keys = JSON.parse(rule.jwks)?.keys; } catch { keys = undefined; }
      if (!Array.isArray(keys)) push(out, `${at}.jwks`, 'jwks parse error: not a JSON Web Key Set');
    }
    (Array.isArray(rule.fromHeaders) ? rule.fromHeaders : []).forEach((h: any, j: number) => {
      if (!h || typeof h.name !== 'string' || h.name === '') push(out, `${at}.fromHeaders[${j}].name`, 'location header name must be non-empty string');
    });
    strings(rule.fromParams).forEach((v, j) => { if (v === '') push(out, `${at}.fromParams[${j}]`, 'location query must be non-empty string'); });
    strings(rule.fromCookies).forEach((v, j) => { if (v === '') push(out, `${at}.fromCookies[${j}]`, 'cookie name must be non-empty string'); });
  });
}

/** security.CheckEmptyValues, CheckWildcardValues, CheckServiceAccount, ValidateIPs, ValidatePorts, CheckValidPathTemplate. */
const empty = (key: string, values: string[]) => (values.includes('') ? `empty value not allowed, found in ${key}` : undefined);
function ips(key: string, values: string[]): string | undefined {
  const bad = values.find((v) => !(v.includes('/') ? isCidr(v) : isIPAddress(v)));
  return bad === undefined ? undefined : `${bad.includes('/') ? 'bad CIDR range' : 'bad IP address'} (${quote(bad)}) in ${key}`;
}
function ports(key: string, values: string[]): string | undefined {
  const bad = values.find((v) => !/^\d{1,10}$/.test(v) || Number(v) > 65535);
  return bad === undefined ? undefined : `bad port (${quote(bad)}) in ${key}`;
}
function wildcards(key: string, values: string[]): string | undefined {
  const e = empty(key, values);
  if (e) return e;
  for (const v of values) {
    const count = v.split('*').length - 1;
    if (count > 1) return `at most one wildcard is allowed, found in ${key}: ${quote(v)}`;
    if (count === 1 && v !== '*' && !v.startsWith('*') && !v.endsWith('*')) return `wildcard is only allowed at the start or end, found in ${key}: ${quote(v)}`;
  }
  return undefined;
}
function trustDomains(key: string, values: string[]): string | undefined {
  return wildcards(key, values) ?? (values.some((v) => v.includes('/')) ? `trust domain must not contain '/', found in ${key}` : undefined);
}
function serviceAccounts(key: string, values: string[]): string | undefined {
  if (values.length > 16) return 'may not have more than 16 values';
  for (const v of values) {
    if (v === '') return `empty value not allowed, found in ${key}`;
    if (v.includes('*')) return `wildcard not allowed, found in ${key}`;
    const slashes = v.split('/').length - 1;
    if (slashes > 1) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${quote(v)} in ${key}`;
    if (v.length > 320) return `value cannot exceed 320 characters, found in ${key}`;
    if (slashes === 1 && (v.startsWith('/') || v.endsWith('/'))) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${quote(v)} in ${key}`;
  }
  return undefined;
}
const LITERAL = /^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$/;
/** strings.Trim(path, "/"), without a regex (`/\/+$/` is quadratic on a long run of slashes). */
function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === '/') start++;
  while (end > start && path[end - 1] === '/') end--;
  return path.slice(start, end);
}
function pathTemplates(key: string, paths: string[]): string | undefined {
  for (const original of paths) {
    const template = original.includes('{*}') || original.includes('{**}');
    let anySeen = false;
    for (const glob of trimSlashes(original).split('/')) {
      if (glob === '{*}' && !anySeen) continue;
      if (glob === '{**}' && !anySeen) { anySeen = true; continue; }
      if (glob === '{*}' || glob === '{**}') return `invalid or unsupported path ${quote(original)}, found in ${key}. {**} is not the last operator`;
      if (glob.includes('{') || glob.includes('}')) return `invalid or unsupported path ${quote(original)}, found in ${key}. Contains '{' or '}' beyond a supported path template`;
      if (template && !LITERAL.test(glob)) return `invalid or unsupported path ${quote(original)}, found in ${key}. Contains segment ${quote(glob)} with invalid string literal`;
    }
  }
  return undefined;
}
/** security.ValidateAttribute: the condition keys Istio knows. */
function attribute(key: string, values: string[]): string | undefined {
  const e = empty(key, values);
  if (e) return e;
  const mapKey = () => {
    const open = key.indexOf('[');
    return key.endsWith(']') && open > 0 && open < key.length - 2 ? undefined : `bad key (${quote(key)}): should have format a[b]`;
  };
  if (key.startsWith('request.headers')) return mapKey();
  if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') return ips(key, values);
  if (key === 'source.serviceAccount') return serviceAccounts(key, values);
  if (key === 'source.trustDomain') return wildcards(key, values);
  if (['source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'connection.sni'].includes(key)) return undefined;
  if (key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) return mapKey();
  if (key === 'destination.port') return ports(key, values);
  if (key === 'destination.namespace') return `attribute ${key} is replaced by the metadata.namespace`;
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  if (key === 'destination.name' || key === 'destination.user') return `deprecated attribute ${key}: only supported in v1alpha1`;
  return `unknown attribute: ${quote(key)}`;
}

const SOURCE_FIELDS = ['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'notPrincipals', 'notRequestPrincipals',
  'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'];
const OPERATION_FIELDS = ['ports', 'methods', 'paths', 'hosts', 'notPorts', 'notMethods', 'notPaths', 'notHosts'];

/** ValidateAuthorizationPolicy. `given`: the object as written, for hints about lists Istio reads as unset. */
function validateAuthorizationPolicy(o: any, given: any, out: Out): void {
  const spec = o.spec ?? {};
  const action = spec.action ?? 'ALLOW';
  const selectorTypes = [spec.selector !== undefined, spec.targetRef !== undefined, list(spec.targetRefs).length > 0].filter(Boolean).length;
  if (selectorTypes > 1) push(out, 'spec', 'only one of targetRefs or workloadSelector can be set');
  if (spec.selector) validateWorkloadSelector(spec.selector.matchLabels, 'spec.selector.matchLabels', out);
  for (const [i, ref] of [spec.targetRef, ...list(spec.targetRefs)].entries()) {
    if (!ref) continue;
    const at = i === 0 ? 'spec.targetRef' : `spec.targetRefs[${i - 1}]`;
    if (!ref.name) push(out, at, 'targetRef name must be set');
    if (ref.namespace) push(out, at, 'targetRef namespace must not be set; cross namespace referencing is not supported');
    const group = ref.group || 'core';
    const allowed = [['core', 'Service'], ['networking.istio.io', 'ServiceEntry'], ['gateway.networking.k8s.io', 'Gateway'], ['gateway.networking.k8s.io', 'GatewayClass']];
    if (!allowed.some(([g, k]) => g === group && k === ref.kind)) push(out, at, `targetRef must be to a Service, ServiceEntry, Gateway or GatewayClass, not ${ref.group ?? ''}/${ref.kind}`);
  }
  if (action === 'CUSTOM') {
    if (spec.rules === undefined) push(out, 'spec.rules', 'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
    else if (!spec.provider?.name) push(out, 'spec.provider.name', '`provider.name` must not be empty');
    list(spec.rules).forEach((rule: any, i: number) => {
      list(rule?.from).forEach((from: any, j: number) => {
        for (const field of ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals']) {
          if (list(from?.source?.[field]).length > 0) push(out, `spec.rules[${i}].from[${j}].source.${field}`, `From.${field[0].toUpperCase()}${field.slice(1)} is currently not supported with CUSTOM action`);
        }
      });
      list(rule?.when).forEach((when: any, j: number) => {
        const key = String(when?.key ?? '');
        if (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(key) || key.startsWith('request.auth.')) {
          push(out, `spec.rules[${i}].when[${j}].key`, `${key} is currently not supported with CUSTOM action`);
        }
      });
    });
  }
  if (spec.provider !== undefined && action !== 'CUSTOM') push(out, 'spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  if (action === 'DENY' && spec.rules === undefined) push(out, 'spec.rules', 'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
  list(spec.rules).forEach((rule: any, i: number) => {
    const at = `spec.rules[${i}]`;
    if (rule.from !== undefined && list(rule.from).length === 0) push(out, `${at}.from`, `\`from\` must not be empty, found at rule ${i}`);
    list(rule.from).forEach((from: any, j: number) => {
      const src = from.source;
      const fat = `${at}.from[${j}].source`;
      if (src === undefined) {
        push(out, fat, `\`from.source\` must not be nil, found at rule ${i}`);
        return;
      }
      if (SOURCE_FIELDS.every((f) => strings(src[f]).length === 0)) {
        const written = given?.spec?.rules?.[i]?.from?.[j]?.source ?? {};
        push(out, fat, `\`from.source\` must not be empty, found at rule ${i}${SOURCE_FIELDS.some((f) => written[f] !== undefined) ? ' (Istio reads an empty list as no list)' : ''}`);
      }
      const sa = strings(src.serviceAccounts).length + strings(src.notServiceAccounts).length;
      if (sa > 0 && ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((f) => strings(src[f]).length > 0)) {
        push(out, fat, `cannot set serviceAccounts with namespaces or principals, found at rule ${i}`);
      }
      for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) push(out, `${fat}.${f}`, ips(f, strings(src[f])));
      for (const f of ['principals', 'requestPrincipals', 'namespaces', 'notPrincipals', 'notRequestPrincipals', 'notNamespaces']) push(out, `${fat}.${f}`, empty(f, strings(src[f])));
      for (const f of ['serviceAccounts', 'notServiceAccounts']) push(out, `${fat}.${f}`, serviceAccounts(f, strings(src[f])));
      for (const f of ['trustDomains', 'notTrustDomains']) push(out, `${fat}.${f}`, trustDomains(f, strings(src[f])));
    });
    if (rule.to !== undefined && list(rule.to).length === 0) push(out, `${at}.to`, `\`to\` must not be empty, found at rule ${i}`);
    list(rule.to).forEach((to: any, j: number) => {
      const op = to.operation;
      const tat = `${at}.to[${j}].operation`;
      if (op === undefined) {
        push(out, tat, `\`to.operation\` must not be nil, found at rule ${i}`);
        return;
      }
      if (OPERATION_FIELDS.every((f) => strings(op[f]).length === 0)) {
        const written = given?.spec?.rules?.[i]?.to?.[j]?.operation ?? {};
        push(out, tat, `\`to.operation\` must not be empty, found at rule ${i}${OPERATION_FIELDS.some((f) => written[f] !== undefined) ? ' (Istio reads an empty list as no list)' : ''}`);
      }
      for (const f of ['ports', 'notPorts']) push(out, `${tat}.${f}`, ports(f, strings(op[f])));
      for (const f of OPERATION_FIELDS) push(out, `${tat}.${f}`, empty(f, strings(op[f])));
      for (const f of ['paths', 'notPaths']) push(out, `${tat}.${f}`, pathTemplates(f, strings(op[f])));
    });
    list(rule.when).forEach((when: any, j: number) => {
      const wat = `${at}.when[${j}]`;
      const key = String(when.key ?? '');
      if (key === '') push(out, `${wat}.key`, '`key` must not be empty');
      else if (strings(when.values).length === 0 && strings(when.notValues).length === 0) push(out, wat, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
      else {
        const v = attribute(key, strings(when.values));
        push(out, `${wat}.values`, v && `invalid \`value\` for \`key\` ${key}: ${v}`);
        const nv = attribute(key, strings(when.notValues));
        push(out, `${wat}.notValues`, nv && `invalid \`notValue\` for \`key\` ${key}: ${nv}`);
      }
    });
  });
}

/** agent.ValidateTLS (a DestinationRule's client TLS settings). */
function validateClientTls(tls: any, path: string, out: Out): void {
  if (!tls) return;
  const mode = tls.mode ?? 'DISABLE';
  const skip = tls.insecureSkipVerify === true;
  if (skip && mode === 'SIMPLE' && (tls.caCertificates || tls.credentialName || tls.subjectAltNames !== undefined)) {
    push(out, path, 'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true');
  }
  if (skip && mode === 'MUTUAL' && (tls.caCertificates || tls.subjectAltNames !== undefined)) push(out, path, 'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true');
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls.credentialName) {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) push(out, path, 'cannot specify client certificates or CA certificate or CA CRL If credentialName is set');
    return;
  }
  if (mode === 'MUTUAL') {
    if (!tls.clientCertificate) push(out, `${path}.clientCertificate`, 'client certificate required for mutual tls');
    if (!tls.privateKey) push(out, `${path}.privateKey`, 'private key required for mutual tls');
  }
}

const TRAFFIC_POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];

/** validateTrafficPolicy and validatePortTrafficPolicies (the TLS parts; the rest is not read by the model). */
function validateTrafficPolicy(policy: any, path: string, out: Out): void {
  if (policy === undefined) return;
  if (TRAFFIC_POLICY_FIELDS.every((f) => policy[f] === undefined)) {
    push(out, path, 'traffic policy must have at least one field');
    return;
  }
  if (policy.tunnel !== undefined && policy.proxyProtocol !== undefined) push(out, path, 'tunnel and proxyProtocol must not be set together');
  validateClientTls(policy.tls, `${path}.tls`, out);
  list(policy.portLevelSettings).forEach((p: any, i: number) => {
    const at = `${path}.portLevelSettings[${i}]`;
    if (p.port === undefined) push(out, `${at}.port`, 'portTrafficPolicy must have valid port');
    if (['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].every((f) => p[f] === undefined)) push(out, at, 'port traffic policy must have at least one field');
    else validateClientTls(p.tls, `${at}.tls`, out);
  });
}

function validateSubsetName(name: unknown): string | undefined {
  if (name === undefined || name === '') return 'subset name cannot be empty';
  return isIstioDnsLabel(String(name)) ? undefined : `subset name is invalid: ${quote(name)}`;
}

/** ValidateDestinationRule. */
function validateDestinationRule(o: any, out: Out): void {
  const spec = o.spec ?? {};
  const namespace = o.metadata?.namespace ?? 'default';
  push(out, 'spec.host', wildcardDomainError(String(spec.host ?? '')));
  validateTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', out);
  const names = new Set<string>();
  list(spec.subsets).forEach((s: any, i: number) => {
    const at = `spec.subsets[${i}]`;
    if (names.has(s.name)) push(out, `${at}.name`, `duplicate subset names: ${quote(s.name)}`);
    names.add(s.name);
    push(out, `${at}.name`, validateSubsetName(s.name));
    validateLabelInstance(s.labels, `${at}.labels`, out);
    validateTrafficPolicy(s.trafficPolicy, `${at}.trafficPolicy`, out);
  });
  validateExportTo(namespace, spec.exportTo, false, spec.workloadSelector !== undefined, out);
  if (spec.workloadSelector) validateWorkloadSelector(spec.workloadSelector.matchLabels, 'spec.workloadSelector.matchLabels', out);
}

const PROTOCOLS = ['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql'];
/** protocol.Parse: case-insensitive, `DoubleHBONE` exactly. */
export function istioProtocol(p: string): string | undefined {
  if (p === 'DoubleHBONE') return p;
  const lower = p.toLowerCase();
  return PROTOCOLS.includes(lower) ? lower : undefined;
}
const isHttp = (p: string | undefined) => p !== undefined && ['http', 'http2', 'grpc', 'grpc-web', 'http_proxy'].includes(p);
const isTls = (p: string | undefined) => p === 'https' || p === 'tls';

/** ValidateServiceEntry (hosts, ports, resolution and endpoints as far as the model reads them). */
function validateServiceEntry(o: any, out: Out): void {
  const spec = o.spec ?? {};
  const namespace = o.metadata?.namespace ?? 'default';
  if (spec.workloadSelector) validateWorkloadSelector(spec.workloadSelector.labels, 'spec.workloadSelector.labels', out);
  if (spec.workloadSelector !== undefined && spec.endpoints !== undefined) push(out, 'spec', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  const hosts = strings(spec.hosts);
  if (hosts.length === 0) push(out, 'spec.hosts', 'service entry must have at least one host');
  hosts.forEach((h, i) => push(out, `spec.hosts[${i}]`, h === '*' ? `invalid host ${h}` : wildcardDomainError(h)));
  const addresses = strings(spec.addresses);
  addresses.forEach((a, i) => {
    if (!(a.includes('/') ? isCidr(a) : isIPAddress(a))) push(out, `spec.addresses[${i}]`, `${quote(a)} is not a valid IP address or CIDR`);
  });
  const resolution = spec.resolution ?? 'NONE';
  if (addresses.some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC') push(out, 'spec.addresses', 'CIDR addresses are allowed only for NONE/STATIC resolution types');
  const names = new Set<string>();
  const numbers = new Set<number>();
  list(spec.ports).forEach((p: any, i: number) => {
    const at = `spec.ports[${i}]`;
    if (names.has(p.name)) push(out, `${at}.name`, `service entry port name ${quote(p.name)} already defined`);
    names.add(p.name);
    if (numbers.has(p.number)) push(out, `${at}.number`, `service entry port ${p.number} already defined`);
    numbers.add(p.number);
    if (p.targetPort !== undefined && p.targetPort !== 0 && !isPort(p.targetPort)) push(out, `${at}.targetPort`, `port number ${p.targetPort} must be in the range 1..65535`);
    if (!isIstioDnsLabel(String(p.name ?? ''))) push(out, `${at}.name`, `invalid port name: ${quote(p.name ?? '')}`);
    if (p.protocol !== undefined && p.protocol !== '' && !istioProtocol(String(p.protocol))) push(out, `${at}.protocol`, `unsupported protocol: ${quote(p.protocol)}`);
    if (!isPort(p.number)) push(out, `${at}.number`, `port number ${p.number} must be in the range 1..65535`);
  });
  const endpoints = list(spec.endpoints);
  if (resolution === 'NONE' && endpoints.length > 0) push(out, 'spec.endpoints', 'no endpoints should be provided for resolution type none');
  if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0) {
    const bad = hosts.find((h) => fqdnError(h));
    if (bad !== undefined) push(out, 'spec.hosts', `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${fqdnError(bad)}`);
  }
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) push(out, 'spec.endpoints', `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
    endpoints.forEach((e: any, i: number) => {
      const address = String(e.address ?? '');
      if (!isIPAddress(address) && fqdnError(address)) push(out, `spec.endpoints[${i}].address`, `endpoint address ${quote(address)} is not a valid FQDN or an IP address`);
      for (const name of Object.keys(e.ports ?? {})) if (!names.has(name)) push(out, `spec.endpoints[${i}].ports`, `endpoint port ${quote(name)} is not defined by the service entry`);
    });
  }
  if (resolution === 'DYNAMIC_DNS') {
    if (hosts.some((h) => !h.startsWith('*'))) push(out, 'spec.hosts', `host must be wildcarded for resolution mode ${resolution}`);
    if (addresses.length > 0) push(out, 'spec.addresses', `addresses cannot be set for resolution type ${resolution}`);
    if (endpoints.length > 0) push(out, 'spec.endpoints', `endpoints cannot be set for resolution type ${resolution}`);
    list(spec.ports).forEach((p: any, i: number) => {
      const proto = istioProtocol(String(p.protocol ?? ''));
      if (!['http', 'tls', 'grpc', 'http2'].includes(proto ?? '')) push(out, `spec.ports[${i}].protocol`, `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type ${resolution}`);
    });
  }
  if (resolution !== 'NONE' && hosts.length > 1 && list(spec.ports).some((p: any) => {
    const proto = istioProtocol(String(p.protocol ?? ''));
    return !isHttp(proto) && !isTls(proto);
  })) {
    push(out, 'spec.ports', 'multiple hosts provided with non-HTTP, non-TLS ports');
  }
  validateExportTo(namespace, spec.exportTo, true, false, out);
}

/** validateServer, validateServerPort, validateTLSOptions (the parts that refuse). */
function validateGatewayServer(s: any, path: string, out: Out): void {
  const hosts = strings(s.hosts);
  if (hosts.length === 0) push(out, `${path}.hosts`, 'server config must contain at least one host');
  hosts.forEach((h, i) => push(out, `${path}.hosts[${i}]`, gatewayHostError(h)));
  const port = s.port;
  if (!port) {
    push(out, `${path}.port`, 'port is required');
    return;
  }
  const proto = istioProtocol(String(port.protocol ?? ''));
  if (!proto) push(out, `${path}.port.protocol`, `invalid protocol ${quote(port.protocol ?? '')}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
  const unix = String(s.bind ?? '').startsWith('unix://');
  if ((port.number ?? 0) > 0 || !unix) {
    if (!isPort(port.number)) push(out, `${path}.port.number`, `port number ${port.number ?? 0} must be in the range 1..65535`);
  }
  if ((port.targetPort ?? 0) > 0) push(out, `${path}.port.targetPort`, 'targetPort has no impact on Gateways');
  if (!port.name) push(out, `${path}.port.name`, 'port name must be set');
  const tls = s.tls;
  if (proto && isTls(proto) && !tls) push(out, `${path}.tls`, 'server must have TLS settings for HTTPS/TLS protocols');
  else if (proto && !isTls(proto) && tls) {
    const redirectOnly = !tls.mode || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH';
    if (isHttp(proto)) {
      if (!redirectOnly || tls.caCertificates || tls.privateKey || tls.serverCertificate) push(out, `${path}.tls`, 'server cannot have TLS settings for plain text HTTP ports');
    } else {
      push(out, `${path}.tls`, 'server cannot have TLS settings for non HTTPS/TLS ports');
    }
  }
  if (!tls) return;
  const mode = tls.mode ?? 'PASSTHROUGH';
  if (mode === 'ISTIO_MUTUAL') {
    for (const [field, what] of [['serverCertificate', 'server certificate'], ['privateKey', 'private key'], ['caCertificates', 'CA bundle'], ['credentialName', 'credentialName']]) {
      if (tls[field]) push(out, `${path}.tls.${field}`, `ISTIO_MUTUAL TLS cannot have associated ${what}`);
    }
    if (list(tls.tlsCertificates).length > 0) push(out, `${path}.tls.tlsCertificates`, 'ISTIO_MUTUAL TLS cannot have associated tlsCertificates');
    if (list(tls.credentialNames).length > 0) push(out, `${path}.tls.credentialNames`, 'ISTIO_MUTUAL TLS cannot have associated credentialNames');
    return;
  }
  const sources = [tls.serverCertificate && tls.privateKey, tls.credentialName, list(tls.credentialNames).length > 0, list(tls.tlsCertificates).length > 0].filter(Boolean).length;
  if (sources > 1) push(out, `${path}.tls`, 'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified');
  const simpleOrMutual = ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(mode);
  if (simpleOrMutual && (tls.credentialName || list(tls.credentialNames).length > 0)) return;
  if (simpleOrMutual) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !tls.caCertificates) push(out, `${path}.tls.caCertificates`, `${prefix} requires a client CA bundle`);
    const certs = list(tls.tlsCertificates).length > 0 ? list(tls.tlsCertificates) : [tls];
    for (const c of certs) {
      if (!c.serverCertificate) push(out, `${path}.tls`, `${prefix} requires a server certificate`);
      if (!c.privateKey) push(out, `${path}.tls`, `${prefix} requires a private key`);
    }
  }
  if (tls.caCrl && tls.credentialName) push(out, `${path}.tls.caCrl`, 'CRL is not supported with credentialName. CRL has to be specified in the credential');
  if (tls.caCrl && mode === 'SIMPLE') push(out, `${path}.tls.caCrl`, 'CRL is not supported with SIMPLE TLS');
}

/** agent.ValidateNamespaceSlashWildcardHostname for a Gateway server host. */
function gatewayHostError(host: string): string | undefined {
  const slash = host.indexOf('/');
  const name = slash < 0 ? host : host.slice(slash + 1);
  if (slash >= 0) {
    const ns = host.slice(0, slash);
    if (ns === '' || name === '') return 'config namespace and dnsName in host entry cannot be empty';
    if (ns !== '*' && ns !== '.' && !isIstioDnsLabel(ns)) return `invalid namespace value ${quote(ns)} in gateway`;
  }
  if (name !== '*' && !name.includes('.')) return `short names (non FQDN) are not allowed: ${quote(name)}`;
  const domain = wildcardDomainError(name);
  if (domain && !isIPAddress(name)) return domain;
  return partialWildcardError(name);
}

/** ValidateGateway. */
function validateGateway(o: any, out: Out): void {
  const name = String(o.metadata?.name ?? '');
  if (!isIstioDnsLabel(name)) push(out, 'metadata.name', `invalid gateway name: ${quote(name)} (a DNS-1123 label, without dots)`);
  const servers = list(o.spec?.servers);
  if (servers.length === 0) push(out, 'spec.servers', 'gateway must have at least one server');
  const portNames = new Set<string>();
  servers.forEach((s: any, i: number) => {
    validateGatewayServer(s, `spec.servers[${i}]`, out);
    if (s.port) {
      if (portNames.has(s.port.name)) push(out, `spec.servers[${i}].port.name`, `port names in servers must be unique: duplicate name ${quote(s.port.name)}`);
      portNames.add(s.port.name);
    }
  });
}

/** validateGatewayNames. */
function gatewayNameError(name: string): string | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return fqdnError(name);
  const [ns, gw] = [name.slice(0, slash), name.slice(slash + 1)];
  if (ns === '' || gw === '') return 'config namespace and gateway name cannot be empty';
  if (!isIstioDnsLabel(ns)) return `invalid value for namespace: ${quote(ns)}`;
  if (!isIstioDnsLabel(gw)) return `invalid value for gateway name: ${quote(gw)}`;
  return undefined;
}

/** validateDestination and validateRouteDestinations / validateHTTPRouteDestinations. */
function validateDestinations(routes: unknown, path: string, out: Out): void {
  const list_ = list(routes);
  let total = 0;
  list_.forEach((r: any, i: number) => {
    const at = `${path}[${i}]`;
    const d = r.destination;
    if (d === undefined) push(out, `${at}.destination`, 'destination is required');
    else {
      const host = String(d.host ?? '');
      push(out, `${at}.destination.host`, host === '*' ? `invalid destination host ${host}` : wildcardDomainError(host));
      if (d.subset !== undefined && d.subset !== '') push(out, `${at}.destination.subset`, validateSubsetName(d.subset));
      if (d.port !== undefined && !isPort(d.port.number)) push(out, `${at}.destination.port.number`, `port number ${d.port.number ?? 0} must be in the range 1..65535`);
    }
    const weight = r.weight ?? 0;
    if (weight < 0) push(out, `${at}.weight`, `weight ${weight} < 0`);
    total += weight;
  });
  if (list_.length > 1 && total === 0) push(out, path, 'total destination weight = 0');
}

/** ValidateVirtualService (hosts, gateways, routes and their destinations). */
function validateVirtualService(o: any, out: Out): void {
  const spec = o.spec ?? {};
  const namespace = o.metadata?.namespace ?? 'default';
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  if (hosts.length === 0) {
    if (gateways.length > 0) push(out, 'spec.gateways', 'delegate virtual service must have no gateways specified');
    if (list(spec.tls).length > 0) push(out, 'spec.tls', 'delegate virtual service must have no tls route specified');
    if (list(spec.tcp).length > 0) push(out, 'spec.tcp', 'delegate virtual service must have no tcp route specified');
  }
  gateways.forEach((g, i) => {
    if (g !== 'mesh') push(out, `spec.gateways[${i}]`, gatewayNameError(g));
  });
  const appliesToMesh = gateways.length === 0 || gateways.includes('mesh');
  hosts.forEach((h, i) => {
    // ValidateWildcardDomainForVirtualServiceBoundToGateway also takes AUTO_PASSTHROUGH's outbound_.<port>_._.<host> SNI names.
    const err = !appliesToMesh && h.startsWith('outbound_') ? undefined : wildcardDomainError(h);
    if (err && !isIPAddress(h)) push(out, `spec.hosts[${i}]`, err);
    else if (!err && appliesToMesh && h === '*') push(out, `spec.hosts[${i}]`, 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
  });
  if (list(spec.http).length === 0 && list(spec.tcp).length === 0 && list(spec.tls).length === 0) push(out, 'spec', 'http, tcp or tls must be provided in virtual service');
  list(spec.http).forEach((r: any, i: number) => validateDestinations(r.route, `spec.http[${i}].route`, out));
  list(spec.tls).forEach((r: any, i: number) => {
    const at = `spec.tls[${i}]`;
    if (list(r.match).length === 0) push(out, `${at}.match`, 'TLS route must have at least one match condition');
    list(r.match).forEach((m: any, j: number) => {
      if (strings(m.sniHosts).length === 0) push(out, `${at}.match[${j}].sniHosts`, 'TLS match must have at least one SNI host');
      if (m.port !== undefined && m.port !== 0 && !isPort(m.port)) push(out, `${at}.match[${j}].port`, `port number ${m.port} must be in the range 1..65535`);
      strings(m.gateways).forEach((g, k) => {
        if (g !== 'mesh') push(out, `${at}.match[${j}].gateways[${k}]`, gatewayNameError(g));
      });
    });
    if (list(r.route).length === 0) push(out, `${at}.route`, 'TLS route is required');
    validateDestinations(r.route, `${at}.route`, out);
  });
  list(spec.tcp).forEach((r: any, i: number) => {
    const at = `spec.tcp[${i}]`;
    list(r.match).forEach((m: any, j: number) => {
      if (m.port !== undefined && m.port !== 0 && !isPort(m.port)) push(out, `${at}.match[${j}].port`, `port number ${m.port} must be in the range 1..65535`);
    });
    if (list(r.route).length === 0) push(out, `${at}.route`, 'TCP route is required');
    validateDestinations(r.route, `${at}.route`, out);
  });
  validateExportTo(namespace, spec.exportTo, false, false, out);
}

/** ValidateSidecar (the listeners' shape and the outbound traffic policy; the egress hosts' own checks are not repeated). */
function validateSidecar(o: any, out: Out): void {
  const spec = o.spec ?? {};
  if (spec.workloadSelector) validateWorkloadSelector(spec.workloadSelector.labels, 'spec.workloadSelector.labels', out);
  if (list(spec.egress).length === 0 && list(spec.ingress).length === 0 && spec.outboundTrafficPolicy === undefined && spec.inboundConnectionPool === undefined) {
    push(out, 'spec', 'sidecar: empty configuration provided');
  }
  const ports = new Set<number>();
  list(spec.ingress).forEach((l: any, i: number) => {
    const at = `spec.ingress[${i}]`;
    if (!l.port) {
      push(out, `${at}.port`, 'sidecar: port is required for ingress listeners');
      return;
    }
    if (!isPort(l.port.number)) push(out, `${at}.port.number`, `port number ${l.port.number ?? 0} must be in the range 1..65535`);
    if ((l.port.targetPort ?? 0) > 0) push(out, `${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
    if (ports.has(l.port.number)) push(out, `${at}.port`, 'sidecar: ports on IP bound listeners must be unique');
    ports.add(l.port.number);
  });
  const egressPorts = new Set<number>();
  const egress = list(spec.egress);
  egress.forEach((l: any, i: number) => {
    const at = `spec.egress[${i}]`;
    if (!l.port) {
      if (i !== egress.length - 1) push(out, `${at}.port`, 'sidecar: the egress listener with empty port should be the last listener in the list');
    } else {
      if ((l.port.targetPort ?? 0) > 0) push(out, `${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
      if (l.port.number) {
        if (egressPorts.has(l.port.number)) push(out, `${at}.port`, 'sidecar: ports on IP bound listeners must be unique');
        egressPorts.add(l.port.number);
      }
    }
    if (strings(l.hosts).length === 0) push(out, `${at}.hosts`, 'sidecar: egress listener must contain at least one host');
    strings(l.hosts).forEach((h, j) => {
      if (!h.includes('/')) push(out, `${at}.hosts[${j}]`, 'host must be of form namespace/dnsName');
    });
  });
  const policy = spec.outboundTrafficPolicy;
  if (policy?.egressProxy !== undefined) {
    if ((policy.mode ?? 'REGISTRY_ONLY') !== 'ALLOW_ANY') push(out, 'spec.outboundTrafficPolicy.egressProxy', 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode');
    if (policy.egressProxy.port === undefined) push(out, 'spec.outboundTrafficPolicy.egressProxy.port', 'sidecar: egress_proxy port must be non-nil');
  }
}

/** What Istio's validation refuses in an object of an Istio kind the model reads (`o` as stored, `given` as written). */
export function validateIstioObject(o: any, given: any = o): SchemaError[] {
  const out: Out = [];
  validateMetadata(o, out);
  switch (o.kind) {
    case 'PeerAuthentication': validatePeerAuthentication(o, out); break;
    case 'AuthorizationPolicy': validateAuthorizationPolicy(o, given, out); break;
    case 'RequestAuthentication': validateRequestAuthentication(o, out); break;
    case 'DestinationRule': validateDestinationRule(o, out); break;
    case 'ServiceEntry': validateServiceEntry(o, out); break;
    case 'Gateway': validateGateway(o, out); break;
    case 'VirtualService': validateVirtualService(o, out); break;
    case 'Sidecar': validateSidecar(o, out); break;
    default:
  }
  return out;
}
