// Sidecar resources: which one applies to a workload's sidecar, and whether it lets traffic to
// hosts outside the mesh's registry out (ALLOW_ANY) or ends it at the sidecar (REGISTRY_ONLY).
// Only `outboundTrafficPolicy` is modelled; `egress` and `ingress` listeners are noted.

import { HostPatternIndex, visibleTo } from './hosts';
import { Inventory } from './inventory';
import { matchesLabels } from './labels';
import { ServiceEntryInfo, ServiceInfo, SidecarInfo, WorkloadInfo } from './resources';

/** What a sidecar does with traffic to a host its registry does not hold. */
export interface OutboundPolicy {
  readonly mode: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** The Sidecar resource that sets it; undefined for the mesh config's default. */
  readonly source?: SidecarInfo;
}

export class Sidecars {
  private readonly byNamespace = new Map<string, SidecarInfo[]>();
  private readonly meshDefault?: SidecarInfo;
  private readonly servicesByHost = new Map<string, ServiceInfo>();
  private readonly entriesByHost = new HostPatternIndex<ServiceEntryInfo>();

  public constructor(inventory: Inventory, rootNamespace: string,
    private readonly meshMode: 'ALLOW_ANY' | 'REGISTRY_ONLY') {
    for (const sidecar of inventory.sidecars) {
      const list = this.byNamespace.get(sidecar.namespace) ?? [];
      list.push(sidecar);
      this.byNamespace.set(sidecar.namespace, list);
    }
    // Those with a selector first, then the namespace-wide one; each in input order (oldest first).
    for (const list of this.byNamespace.values()) list.sort((a, b) => Number(!a.selector) - Number(!b.selector) || a.index - b.index);
    this.meshDefault = this.byNamespace.get(rootNamespace)?.find((s) => !s.selector);
    for (const s of inventory.services) if (!this.servicesByHost.has(s.host)) this.servicesByHost.set(s.host, s);
    for (const se of inventory.serviceEntries) this.entriesByHost.add(se.hosts, se);
  }

  /**
   * The Sidecar resource of a workload: the first in its namespace whose selector matches its pod
   * labels, else its namespace's one without a selector, else the root namespace's one without a
   * selector. Gateways never take one.
   */
  // Follows pilot/pkg/model/push_context.go (PushContext).doGetSidecarScope.
  public resourceFor(workload: WorkloadInfo): SidecarInfo | undefined {
    if (!workload.sidecar || workload.gateway) return undefined;
    const own = this.byNamespace.get(workload.namespace) ?? [];
    return own.find((s) => !s.selector || matchesLabels(s.selector, workload.podLabels)) ?? this.meshDefault;
  }

  /** The outbound policy of a workload's sidecar: its Sidecar resource's, else the mesh config's. */
  // Follows pilot/pkg/model/sidecar.go convertToSidecarScope (outboundTrafficPolicy, falling back to
  // the mesh config) and pilot/pkg/networking/util/util.go IsAllowAnyOutbound.
  public outboundFor(workload: WorkloadInfo): OutboundPolicy {
    const resource = this.resourceFor(workload);
    const mode = resource?.outboundMode;
    if (mode === 'ALLOW_ANY' || mode === 'REGISTRY_ONLY') return { mode, source: resource };
    return { mode: this.meshMode };
  }

  /**
   * Whether a sidecar in `namespace` knows host:port: a Kubernetes Service with the port, or a
   * ServiceEntry for the host and port exported to the namespace.
   */
  // Follows pilot/pkg/model/push_context.go (PushContext).IsServiceVisible (exportTo of ServiceEntries).
  public registered(namespace: string, host: string, port: number): boolean {
    const service = this.servicesByHost.get(host);
    if (service && service.ports.some((p) => p.port === port)) return true;
    return this.entriesByHost.match(host).some((se) => se.ports.some((p) => p.number === port) && visibleTo(se.exportTo, se.namespace, namespace));
  }
}
