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

/**
 * Items by the host patterns they name, found for a host as `hostMatches` would find them, in the
 * order they were added, without testing every pattern: a pattern starting with `*` is the
 * suffix after it, looked up once per distinct suffix length; any other is an exact name.
 */
export class HostPatternIndex<T> {
  private readonly exact = new Map<string, number[]>();
  private readonly suffixes = new Map<string, number[]>();
  private readonly suffixLengths: number[] = [];
  private readonly items: T[] = [];

  public add(patterns: Iterable<string>, item: T): void {
    const seq = this.items.length;
    this.items.push(item);
    for (const pattern of new Set(patterns)) {
      const suffix = pattern.startsWith('*') ? pattern.slice(1) : undefined;
      const map = suffix === undefined ? this.exact : this.suffixes;
      const key = suffix ?? pattern;
      const list = map.get(key);
      if (list) list.push(seq);
      else map.set(key, [seq]);
      if (suffix !== undefined && !this.suffixLengths.includes(suffix.length)) this.suffixLengths.push(suffix.length);
    }
  }

  /** The items with a pattern that covers `host`, each once, in the order they were added. */
  public match(host: string): T[] {
    let found: number[] | undefined = this.exact.get(host);
    let copied = false;
    for (const length of this.suffixLengths) {
      if (length > host.length) continue;
      const list = this.suffixes.get(length === 0 ? '' : host.slice(host.length - length));
      if (!list) continue;
      if (!found) {
        found = list;
        continue;
      }
      if (!copied) {
        found = [...found];
        copied = true;
      }
      found.push(...list);
    }
    if (!found) return [];
    if (copied) found = [...new Set(found)].sort((a, b) => a - b);
    return found.map((seq) => this.items[seq]);
  }
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
