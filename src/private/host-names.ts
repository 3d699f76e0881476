import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { isDnsSubdomain, quote } from './validate';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

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
}

/**
 * Checks a host name the way Istio's VirtualServices read it: lowercase DNS names with at least
 * one dot (a single label is read as a Service short name), no IP addresses, and wildcards only
 * as a whole leading label (`*.example.com`) where `rules` allow them.
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
    if (!host.startsWith('*.') || host.slice(2).includes('*') || !isDnsSubdomain(host.slice(2)) || !host.slice(2).includes('.')) {
      throw new IstioSecurityError(scope, `${what} ${quote(host)} is not a valid wildcard host: Istio matches "*" only as the whole first label, `
        + 'followed by a domain of at least two labels, e.g. "*.example.com".');
    }
    return host;
  }
  if (IPV4.test(host)) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is an IP address: ${rules.router} routes by host name (HTTP Host, TLS SNI); `
      + 'use the host name the clients call.');
  }
  if (!isDnsSubdomain(host)) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is not a valid host name: use lowercase dot-separated DNS labels, e.g. "${example}".`);
  }
  if (!host.includes('.')) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} is a short name: Istio reads a single-label host in a VirtualService or `
      + `DestinationRule as "${host}.<namespace>.svc.${rules.clusterDomain}". Use the fully qualified name.`);
  }
  return host;
}
