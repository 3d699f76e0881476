import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';

// Claims are kept per chart: a chart is one deployable manifest, so two charts may hold
// alternatives (e.g. policy variants) of the same object.
const claimsByChart = new WeakMap<IConstruct, Map<string, IConstruct>>();

function deployUnit(scope: IConstruct): IConstruct {
  return scope.node.scopes.slice().reverse().find((c) => Chart.isChart(c)) ?? scope.node.root;
}

/**
 * Claims a key (e.g. an object identity) for `scope` within its chart.
 * Throws naming both constructs when another construct already holds it.
 */
export function claim(scope: IConstruct, key: string, conflict: (holder: IConstruct) => string): void {
  const unit = deployUnit(scope);
  let claims = claimsByChart.get(unit);
  if (!claims) {
    claims = new Map();
    claimsByChart.set(unit, claims);
  }
  const holder = claims.get(key);
  if (holder && holder !== scope) {
    throw new IstioSecurityError(scope, conflict(holder));
  }
  claims.set(key, scope);
}

/**
 * Releases the claims of constructs that are being removed (a construct refused while it was
 * being built), so a retry with the same names works.
 */
export function releaseClaims(scope: IConstruct, holders: ReadonlySet<IConstruct>): void {
  const claims = claimsByChart.get(deployUnit(scope));
  if (!claims) return;
  for (const [key, holder] of claims) {
    if (holders.has(holder)) claims.delete(key);
  }
}

/** The construct holding `key` in `scope`'s chart, if any: an index instead of walking the tree. */
export function holderOf(scope: IConstruct, key: string): IConstruct | undefined {
  return claimsByChart.get(deployUnit(scope))?.get(key);
}

/** The key under which a chart's PluginCa is claimed: team namespaces read its istiod namespace. */
export const PLUGIN_CA_KEY = 'plugin-ca';

/** Releases one claim of `holder` (undoing a change a refused construct made on another's behalf). */
export function releaseClaim(scope: IConstruct, key: string, holder: IConstruct): void {
  const claims = claimsByChart.get(deployUnit(scope));
  if (claims?.get(key) === holder) claims.delete(key);
}

/** Throws, as `claim` would, when another construct holds `key`; claims nothing. */
export function assertUnclaimed(scope: IConstruct, key: string, conflict: (holder: IConstruct) => string): void {
  const holder = claimsByChart.get(deployUnit(scope))?.get(key);
  if (holder && holder !== scope) throw new IstioSecurityError(scope, conflict(holder));
}

/** Throws, as `claimObjectName` would, when another construct emits the object; claims nothing. */
export function assertObjectNameFree(scope: IConstruct, kind: string, namespace: string, name: string): void {
  assertUnclaimed(scope, objectKey(kind, namespace, name), (holder) =>
    `${kind} "${namespace}/${name}" is already emitted by ${holder.node.path}: give one of them another name or namespace.`);
}

/** The key under which a MeshWorkload claims its Service host. */
export function meshHostKey(host: string): string {
  return `mesh-host:${host}`;
}

/** The key under which an object identity is claimed. */
export function objectKey(kind: string, namespace: string, name: string): string {
  return `object:${kind}/${namespace}/${name}`;
}

/** Claims the identity (kind, namespace, name) of an object this construct emits. */
export function claimObjectName(scope: IConstruct, kind: string, namespace: string, name: string, hint?: string): void {
  claim(scope, objectKey(kind, namespace, name), (holder) =>
    `${kind} "${namespace}/${name}" is already emitted by ${holder.node.path}: ${hint ?? 'give one of them another name or namespace.'}`);
}
