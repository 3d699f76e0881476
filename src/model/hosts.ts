// Istio host names: short names, wildcards, and exportTo visibility.

/**
 * A host as Istio reads it in a rule of namespace `namespace`: a name without dots is a Service of
 * that namespace (`reviews` -> `reviews.<ns>.svc.<cluster domain>`); anything else is taken as written.
 */
export function resolveHost(host: string, namespace: string, clusterDomain: string): string {
  const h = String(host).toLowerCase();
  if (h === '*' || h.includes('.')) return h;
  return `${h}.${namespace}.svc.${clusterDomain}`;
}

/** Whether host pattern `pattern` (exact, `*`, or `*.suffix`) covers `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** Higher is more specific: an exact host beats any wildcard, a longer wildcard suffix beats a shorter one. */
export function hostSpecificity(pattern: string): number {
  if (!pattern.includes('*')) return Number.MAX_SAFE_INTEGER;
  return pattern.length;
}

/**
 * Whether a rule of namespace `ruleNamespace` with `exportTo` is visible to proxies in `namespace`.
 * No exportTo means every namespace; `.` is the rule's own namespace; `~` is none.
 */
export function visibleTo(exportTo: readonly string[] | undefined, ruleNamespace: string, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || e === namespace || (e === '.' && ruleNamespace === namespace));
}

/** The namespace of a cluster Service host `<svc>.<ns>.svc.<cluster domain>`, if it is one. */
export function serviceHostNamespace(host: string, clusterDomain: string): string | undefined {
  const suffix = `.svc.${clusterDomain}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split('.');
  return parts.length === 2 ? parts[1] : undefined;
}

/** The FQDN of Service `name` in `namespace`. */
export function serviceHost(name: string, namespace: string, clusterDomain: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** `name.ns` of a Service host, for short messages. */
export function shortHost(host: string, clusterDomain: string): string {
  const suffix = `.svc.${clusterDomain}`;
  return host.endsWith(suffix) ? host.slice(0, -suffix.length) : host;
}
