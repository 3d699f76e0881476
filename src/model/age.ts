// Object age, where Istio's choice depends on it. Manifests usually carry no creation time: an
// object without `metadata.creationTimestamp` counts as created when the input is applied (after
// every object that has one), and objects of equal age fall back to Istio's own tie-break.

import { ResourceRef } from './types';

/** `metadata.creationTimestamp` in ms, or undefined. */
export function creationTime(o: { metadata?: { creationTimestamp?: unknown } } | undefined): number | undefined {
  const t = o?.metadata?.creationTimestamp;
  if (typeof t !== 'string' && !(t instanceof Date)) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000; // Kubernetes keeps seconds
}

interface Aged {
  readonly created?: number;
  readonly ref: ResourceRef;
}

const age = (x: Aged) => x.created ?? Number.POSITIVE_INFINITY;

// pilot/pkg/model/config.go sortConfigByCreationTime: oldest first, then by name, then namespace.
export function byAge(a: Aged, b: Aged): number {
  return age(a) - age(b) || (a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0)
    || (a.ref.namespace < b.ref.namespace ? -1 : a.ref.namespace > b.ref.namespace ? 1 : 0);
}

/** Whether the first of `sorted` (by `byAge`) won over the second only by name: their age is the same. */
export function decidedByName(sorted: readonly Aged[]): boolean {
  return sorted.length > 1 && age(sorted[0]) === age(sorted[1]);
}
