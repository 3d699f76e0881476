// The PeerAuthentication mode a server's sidecar applies to one container port, as
// pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication computes it: PERMISSIVE,
// overridden by the mesh-wide policy (root namespace, no selector), the namespace-wide policy, the
// workload policy (a selector, outside the root namespace: a root-namespace policy with a
// selector applies to no workload), then the workload policy's port-level mode (container port).
// UNSET inherits from the level above. Of several policies at one level the oldest wins
// (sortConfigByCreationTime: creation time, then name).

import { byAge, decidedByName } from './age';
import { Inventory } from './inventory';
import { PeerAuthenticationInfo, WorkloadInfo } from './resources';
import { ResourceRef } from './types';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
export type ModeScope = 'port' | 'workload' | 'namespace' | 'mesh' | 'default';

export interface EffectiveMode {
  readonly mode: MtlsMode;
  readonly scope: ModeScope;
  readonly source?: ResourceRef;
}

function isSet(mode: string | undefined): mode is MtlsMode {
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE';
}

/** Several policies at one level where Istio's choice between them rests on age the input does not tell. */
export interface PolicyTie {
  readonly chosen: PeerAuthenticationInfo;
  readonly others: readonly PeerAuthenticationInfo[];
  readonly level: 'mesh' | 'namespace' | 'workload';
}

export class PeerAuthentications {
  private readonly byWorkload = new Map<WorkloadInfo, PeerAuthenticationInfo>();
  private readonly byNamespace = new Map<string, PeerAuthenticationInfo>();
  private readonly mesh?: PeerAuthenticationInfo;
  /** Ties decided by name, one per level and scope. */
  public readonly ties: PolicyTie[] = [];

  public constructor(inventory: Inventory, private readonly rootNamespace: string) {
    const sorted = [...inventory.peerAuthentications].sort(byAge);
    const namespaceWide = new Map<string, PeerAuthenticationInfo[]>();
    const perWorkload = new Map<WorkloadInfo, PeerAuthenticationInfo[]>();
    for (const pa of sorted) {
      if (!pa.selector) {
        push(namespaceWide, pa.namespace, pa);
        continue;
      }
      if (pa.namespace === rootNamespace) continue;
      for (const workload of inventory.workloadIndex.select(pa.namespace, pa.selector)) push(perWorkload, workload, pa);
    }
    for (const [ns, list] of namespaceWide) {
      this.byNamespace.set(ns, list[0]);
      if (decidedByName(list)) this.ties.push({ chosen: list[0], others: list.slice(1), level: ns === rootNamespace ? 'mesh' : 'namespace' });
    }
    const seen = new Set<string>();
    for (const [workload, list] of perWorkload) {
      this.byWorkload.set(workload, list[0]);
      const key = list.map((p) => p.index).join(',');
      if (decidedByName(list) && !seen.has(key)) {
        seen.add(key);
        this.ties.push({ chosen: list[0], others: list.slice(1), level: 'workload' });
      }
    }
    this.mesh = this.byNamespace.get(rootNamespace);
  }

  /** The workload-level policy of a workload, if one selects it. */
  public workloadPolicy(workload: WorkloadInfo): PeerAuthenticationInfo | undefined {
    return this.byWorkload.get(workload);
  }

  /** The mode a namespace's workloads get when no workload policy selects them (mesh, then namespace). */
  public namespaceMode(namespace: string): EffectiveMode {
    let out: EffectiveMode = { mode: 'PERMISSIVE', scope: 'default' };
    if (this.mesh && isSet(this.mesh.mode)) out = { mode: this.mesh.mode, scope: 'mesh', source: this.mesh.ref };
    const np = namespace === this.rootNamespace ? undefined : this.byNamespace.get(namespace);
    if (np && isSet(np.mode)) out = { mode: np.mode, scope: 'namespace', source: np.ref };
    return out;
  }

  /**
   * The namespace-level mode auto mTLS reads for the Services of a namespace
   * (pilot/pkg/model/authentication.go GetNamespaceMutualTLSMode): the namespace-wide policy (UNSET
   * inherits the mesh's), else the mesh-wide one (UNSET is PERMISSIVE); undefined without either.
   */
  public autoMtlsNamespaceMode(namespace: string): EffectiveMode | undefined {
    const mesh = this.mesh && { mode: isSet(this.mesh.mode) ? this.mesh.mode : 'PERMISSIVE' as MtlsMode, scope: 'mesh' as ModeScope, source: this.mesh.ref };
    const np = namespace === this.rootNamespace ? undefined : this.byNamespace.get(namespace);
    if (np) {
      if (isSet(np.mode)) return { mode: np.mode, scope: 'namespace', source: np.ref };
      return mesh ?? { mode: 'PERMISSIVE', scope: 'namespace', source: np.ref };
    }
    return mesh;
  }

  /** The mode for `containerPort` of `workload`. */
  public modeFor(workload: WorkloadInfo, containerPort: number): EffectiveMode {
    let out: EffectiveMode = { mode: 'PERMISSIVE', scope: 'default' };
    if (this.mesh && isSet(this.mesh.mode)) out = { mode: this.mesh.mode, scope: 'mesh', source: this.mesh.ref };
    const np = workload.namespace === this.rootNamespace ? undefined : this.byNamespace.get(workload.namespace);
    if (np && isSet(np.mode)) out = { mode: np.mode, scope: 'namespace', source: np.ref };
    const wp = this.byWorkload.get(workload);
    if (wp) {
      if (isSet(wp.mode)) out = { mode: wp.mode, scope: 'workload', source: wp.ref };
      const portMode = wp.portModes.get(containerPort);
      if (isSet(portMode)) out = { mode: portMode, scope: 'port', source: wp.ref };
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `STRICT (PeerAuthentication bar/httpbin, port 80)`-style description. */
export function describeMode(m: EffectiveMode, containerPort: number): string {
  switch (m.scope) {
    case 'default': return 'PERMISSIVE (no PeerAuthentication: Istio\'s default)';
    case 'port': return `${m.mode} (port ${containerPort} of PeerAuthentication ${m.source!.namespace}/${m.source!.name})`;
    case 'workload': return `${m.mode} (workload PeerAuthentication ${m.source!.namespace}/${m.source!.name})`;
    case 'namespace': return `${m.mode} (namespace PeerAuthentication ${m.source!.namespace}/${m.source!.name})`;
    case 'mesh': return `${m.mode} (mesh-wide PeerAuthentication ${m.source!.namespace}/${m.source!.name})`;
  }
}

/** The same without object names, for aggregation. */
export function describeModeScope(m: EffectiveMode): string {
  return m.scope === 'default' ? 'PERMISSIVE (default)' : `${m.mode} (${m.scope} policy)`;
}
