// The PeerAuthentication mode a server's sidecar applies to one container port:
// a port-level mode of the workload policy, else the workload policy's mode, else the namespace-wide
// policy, else the mesh-wide policy (root namespace, no selector), else PERMISSIVE. UNSET inherits.
// Of several policies at one level Istio uses the oldest; the model takes the first in the input.

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

export class PeerAuthentications {
  private readonly byWorkload = new Map<WorkloadInfo, PeerAuthenticationInfo>();
  private readonly byNamespace = new Map<string, PeerAuthenticationInfo>();
  private readonly mesh?: PeerAuthenticationInfo;

  public constructor(inventory: Inventory, rootNamespace: string) {
    for (const pa of inventory.peerAuthentications) {
      if (!pa.selector) {
        const current = this.byNamespace.get(pa.namespace);
        // Two namespace-wide policies: Istio takes the oldest; prefer the one named `default`.
        if (!current || (current.ref.name !== 'default' && pa.ref.name === 'default')) this.byNamespace.set(pa.namespace, pa);
        continue;
      }
      for (const workload of inventory.workloadIndex.select(pa.namespace, pa.selector)) {
        if (!this.byWorkload.has(workload)) this.byWorkload.set(workload, pa);
      }
    }
    this.mesh = this.byNamespace.get(rootNamespace);
  }

  /** The workload-level policy of a workload, if one selects it. */
  public workloadPolicy(workload: WorkloadInfo): PeerAuthenticationInfo | undefined {
    return this.byWorkload.get(workload);
  }

  /** The mode a namespace's workloads get when no workload policy selects them. */
  public namespaceMode(namespace: string): EffectiveMode {
    const np = this.byNamespace.get(namespace);
    if (np && isSet(np.mode)) return { mode: np.mode, scope: np === this.mesh ? 'mesh' : 'namespace', source: np.ref };
    if (this.mesh && isSet(this.mesh.mode)) return { mode: this.mesh.mode, scope: 'mesh', source: this.mesh.ref };
    return { mode: 'PERMISSIVE', scope: 'default' };
  }

  /** The mode for `containerPort` of `workload`. */
  public modeFor(workload: WorkloadInfo, containerPort: number): EffectiveMode {
    const wp = this.byWorkload.get(workload);
    if (wp) {
      const portMode = wp.portModes.get(containerPort);
      if (isSet(portMode)) return { mode: portMode, scope: 'port', source: wp.ref };
      if (isSet(wp.mode)) return { mode: wp.mode, scope: 'workload', source: wp.ref };
    }
    return this.namespaceMode(workload.namespace);
  }
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
