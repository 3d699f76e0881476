import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { isDnsSubdomain, numericTopLevelDomain, quote } from './validate';

const IPV4 = /^\d+(\.\d+){3}$/;

export interface HostNameRules {
  /** What the host is, for messages: "host", "hosts entry". */
  readonly what: string;
  /** An example of a good host, for messages. */
  readonly example: string;
  /** What to name instead, for messages: "the external host". */
  readonly noun: string;
  /** Why a wildcard is refused; undefined when `*.<domain>` is allowed. */
  readonly wildcardRefusal?: string;
  /** What routes by the host name, for the IP address message. */
  readonly router: string;
  readonly clusterDomain: string;
  /**
   * Whether the host is one the gateway connects to: then loopback names and IP addresses in
   * disguise (`10.0.0.1.nip.io`) are refused too, since the gateway would call that address.
   */
  readonly connectsTo?: boolean;
}

/**
 * Checks a host name the way Istio's VirtualServices read it: lowercase DNS names with at least
 * one dot (a single label is read as a Service short name), no IP addresses (IPv4, IPv6, or an
 * all-numeric last label, which resolvers read as an address: pkg/config/validation/agent/validation.go
 * ValidateFQDN), and wildcards only as a whole leading label (`*.example.com`) where `rules` allow them.
 */
export function checkHostName(scope: IConstruct, host: unknown, rules: HostNameRules): string {
  const { what, example } = rules;
  if (typeof host !== 'string' || host.length === 0) {
    throw new IstioSecurityError(scope, typeof host === 'string' || host === undefined || host === null
      ? `${what} is empty: name ${rules.noun}, e.g. "${example}".`
      : `${what} ${quote(host)} is not a string: name ${rules.noun}, e.g. "${example}".`);
  }
  if (host.includes('*')) {
    if (rules.wildcardRefusal !== undefined) throw new IstioSecurityError(scope, `${what} ${quote(host)} is a wildcard: ${rules.wildcardRefusal}`);
    const domain = host.slice(2);
    if (!host.startsWith('*.') || domain.includes('*') || !isDnsSubdomain(domain) || !domain.includes('.') || numericTopLevelDomain(domain)) {
      throw new IstioSecurityError(scope, `${what} ${quote(host)} is not a valid wildcard host: Istio matches "*" only as the whole first label, `
        + 'followed by a domain of at least two labels whose last is not all digits, e.g. "*.example.com".');
    }
    return host;
  }
  if (IPV4.test(host) || host.includes(':') || host.startsWith('[')) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is an IP address: ${rules.router} routes by host name (HTTP Host, TLS SNI); `
      + 'use the host name the clients call.');
  }
  if (host.length > 253) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is ${host.length} characters long, more than the 253 DNS allows: use the host's real name.`);
  }
  if (!isDnsSubdomain(host)) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is not a valid host name: use lowercase dot-separated DNS labels, e.g. "${example}".`);
  }
  const tld = numericTopLevelDomain(host);
  if (tld !== undefined) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} ends in the all-numeric label "${tld}": resolvers read such a name as an IP address `
      + `(127.1 is 127.0.0.1) and Istio refuses it; use the host name the clients call, e.g. "${example}".`);
  }
  const labels = host.split('.');
  if (rules.connectsTo && labels.length > 4 && labels.slice(0, 4).every((l) => /^[0-9]+$/.test(l))) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} starts with the IP address ${labels.slice(0, 4).join('.')}: wildcard DNS services `
      + '(nip.io, sslip.io) resolve such names to that address, so it is an IP address in disguise; use the host\'s own name.');
  }
  if (rules.connectsTo && (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain')) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is a loopback name (RFC 6761): ${rules.router} would call itself; use ${rules.noun}'s name.`);
  }
  if (labels.length === 1) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is a short name: Istio reads a single-label host in a VirtualService or `
      + `DestinationRule as "${host}.<namespace>.svc.${rules.clusterDomain}". Use the fully qualified name.`);
  }
  return host;
}
