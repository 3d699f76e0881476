// Checks on user strings (names, labels, hosts, addresses, durations) as Kubernetes and Istio make
// them. Each checks the length before any pattern, and every pattern is anchored and linear, so a
// 100,000-character value costs one pass.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_ANY_CASE = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** RFC 1123 label, lower case (k8s.io/apimachinery validation.IsDNS1123Label). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

/** RFC 1123 label of any case (Istio pkg/config/labels IsDNS1123Label). */
export function isIstioDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL_ANY_CASE.test(s);
}

/** RFC 1035 label: starts with a letter (k8s.io/apimachinery validation.IsDNS1035Label; Service names). */
export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS_1035_LABEL.test(s);
}

/** RFC 1123 subdomain (k8s.io/apimachinery validation.IsDNS1123Subdomain). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every(isDns1123Label);
}

/** A label or annotation key: `[prefix/]name` (k8s.io/apimachinery validation.IsQualifiedName). */
export function isQualifiedName(s: string): boolean {
  const slash = s.indexOf('/');
  const name = slash < 0 ? s : s.slice(slash + 1);
  if (slash >= 0 && !isDns1123Subdomain(s.slice(0, slash))) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** A label value: empty, or up to 63 of `A-Za-z0-9-_.` starting and ending alphanumeric (validation.IsValidLabelValue). */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && QUALIFIED_NAME.test(s));
}

/** A named port (validation.IsValidPortName): 1-15 of `a-z0-9-`, a letter somewhere, no `--`, no hyphen at either end. */
export function isIanaSvcName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

/** A port number 1-65535. */
export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Istio's DNS-1123 labels of a domain; the last may be empty (`istio.io.`) and may not be all-numeric (agent.ValidateDNS1123Labels). */
function dnsLabelsError(domain: string, whole: string): string | undefined {
  const parts = domain.split('.');
  if (/^\d+$/.test(parts[parts.length - 1])) return `domain name ${quote(whole)} invalid (top level domain ${quote(parts[parts.length - 1])} cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === '') return undefined;
    if (!isIstioDnsLabel(parts[i])) return `domain name ${quote(whole)} invalid (label ${quote(parts[i])} invalid)`;
  }
  return undefined;
}

function dnsPreconditionError(name: string): string | undefined {
  if (name.length > 255) return `domain name ${quote(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

/** Istio agent.ValidateFQDN. */
export function fqdnError(name: string): string | undefined {
  return dnsPreconditionError(name) ?? dnsLabelsError(name, name);
}

/** Istio agent.ValidateWildcardDomain: a wildcard only in the first label. */
export function wildcardDomainError(name: string): string | undefined {
  const pre = dnsPreconditionError(name);
  if (pre) return pre;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  if (!(first.length <= 63 && WILDCARD_LABEL.test(first))) return `domain name ${quote(name)} invalid (label ${quote(first)} invalid)`;
  return dot < 0 ? undefined : dnsLabelsError(name.slice(dot + 1), name);
}

/** Istio agent.ValidatePartialWildCard. */
export function partialWildcardError(host: string): string | undefined {
  return host.includes('*') && host.length !== 1 && !host.startsWith('*.') ? `partial wildcard ${quote(host)} not allowed` : undefined;
}

/** An IPv4 address in dotted-decimal form (Go netip.ParseAddr: no leading zeros). */
function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** Words of colon-separated hex groups (an IPv4 tail counts two); -1 if malformed. */
function ipv6Words(part: string, tail: boolean): number {
  if (part === '') return 0;
  const groups = part.split(':');
  let words = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (tail && i === groups.length - 1 && g.includes('.')) {
      if (!isIPv4(g)) return -1;
      words += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      words++;
    } else {
      return -1;
    }
  }
  return words;
}

/** An IPv6 address (Go netip.ParseAddr, zones included). */
function isIPv6(s: string): boolean {
  if (s.length > 64) return false;
  const zone = s.indexOf('%');
  if (zone === s.length - 1) return false;
  const halves = (zone >= 0 ? s.slice(0, zone) : s).split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) return ipv6Words(halves[0], true) === 8;
  const head = ipv6Words(halves[0], false);
  const tail = ipv6Words(halves[1], true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

/** An IP address (Go netip.ParseAddr). */
export function isIPAddress(s: string): boolean {
  return isIPv4(s) || (s.includes(':') && isIPv6(s));
}

/** A CIDR prefix `address/bits` (Go netip.ParsePrefix). */
export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  if (isIPv4(addr)) return Number(bits) <= 32;
  return !addr.includes('%') && isIPv6(addr) && Number(bits) <= 128;
}

const DURATION_UNITS: { readonly [unit: string]: number } = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h2m3.5s`, `10ms`) in milliseconds, as CEL's duration() reads it; undefined if malformed. */
export function parseDuration(s: string): number | undefined {
  if (s.length > 100) return undefined;
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** A user value for a message: JSON-quoted, at most `max` characters of it, saying how long it was. */
export function quote(value: unknown, max = 80): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) return 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    if (typeof value !== 'object') return text.length <= max ? text : `${text.slice(0, max)}...`;
    return text.length <= max ? text : `${text.slice(0, max)}... (${text.length.toLocaleString('en-US')} characters)`;
  }
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}... (${text.length.toLocaleString('en-US')} characters)`;
}
