// Label selectors and an index that finds the pods a selector matches without scanning them all.

export type Labels = { readonly [key: string]: string };

/** A Kubernetes LabelSelector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: string[] }>;
}

/** The value of label `key`, if the map itself has it. */
export function own(labels: Labels, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

/** Whether `labels` carry every pair of `selector` (a plain map, as Services and Istio use). */
export function matchesLabels(selector: Labels, labels: Labels): boolean {
  for (const key of Object.keys(selector)) {
    if (own(labels, key) !== selector[key]) return false;
  }
  return true;
}

/** Whether `labels` satisfy a full LabelSelector. An empty selector matches everything. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  if (selector.matchLabels && !matchesLabels(selector.matchLabels, labels)) return false;
  for (const expr of selector.matchExpressions ?? []) {
    // Own labels only: a label key may be `constructor` or `toString`, which every object inherits.
    const value = own(labels, expr.key);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In': if (value === undefined || !values.includes(value)) return false; break;
      case 'NotIn': if (value !== undefined && values.includes(value)) return false; break;
      case 'Exists': if (value === undefined) return false; break;
      case 'DoesNotExist': if (value !== undefined) return false; break;
      default: return false;
    }
  }
  return true;
}

/** Reads a `{ key: value }` map, keeping only string-able values. */
export function labelMap(value: unknown): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as object)) {
      if (v !== undefined && v !== null) setOwnLabel(out, k, String(v));
    }
  }
  return out;
}

/** Items with labels, indexed per namespace by `key=value`. */
export class LabelIndex<T extends { readonly namespace: string; readonly podLabels: Labels }> {
  private readonly byNamespace = new Map<string, T[]>();
  private readonly byPair = new Map<string, Map<string, T[]>>();

  public constructor(items: Iterable<T>) {
    for (const item of items) {
      push(this.byNamespace, item.namespace, item);
      let pairs = this.byPair.get(item.namespace);
      if (!pairs) this.byPair.set(item.namespace, pairs = new Map());
      for (const [k, v] of Object.entries(item.podLabels)) push(pairs, `${k}=${v}`, item);
    }
  }

  /** Every item of a namespace. */
  public inNamespace(namespace: string): readonly T[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  /** Namespaces that hold items. */
  public namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  /** Items of `namespace` (every namespace when undefined) whose labels carry every pair of `selector`. */
  public select(namespace: string | undefined, selector: Labels): T[] {
    if (namespace === undefined) return this.namespaces().flatMap((ns) => this.select(ns, selector));
    const keys = Object.keys(selector);
    if (keys.length === 0) return [...this.inNamespace(namespace)];
    const pairs = this.byPair.get(namespace);
    if (!pairs) return [];
    let smallest: T[] | undefined;
    for (const key of keys) {
      const list = pairs.get(`${key}=${selector[key]}`);
      if (!list) return [];
      if (!smallest || list.length < smallest.length) smallest = list;
    }
    return smallest!.filter((item) => matchesLabels(selector, item.podLabels));
  }

  /** Items of `namespace` matching a full LabelSelector. */
  public selectFull(namespace: string, selector: LabelSelector | undefined): T[] {
    if (!selector?.matchExpressions?.length) return this.select(namespace, selector?.matchLabels ?? {});
    return this.select(namespace, selector.matchLabels ?? {}).filter((item) => matchesSelector(selector, item.podLabels));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function setOwnLabel(o: { [key: string]: string }, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
