/**
 * An Istio resource kind a team may be granted in its namespace (see `TeamNamespace`).
 *
 * Traffic kinds (VirtualService, ...) shape routing; mesh-security kinds (PeerAuthentication,
 * AuthorizationPolicy, ...) decide who may call whom and whether mTLS is required, so a team
 * that may write them can switch off the platform's policy for everyone calling its workloads.
 */
export class IstioKind {
  /** `networking.istio.io` VirtualService: routing of the team's hosts. */
  public static readonly VIRTUAL_SERVICE = new IstioKind('VirtualService', 'networking.istio.io', 'virtualservices', false);
  /** `networking.istio.io` Gateway: ports and hosts a gateway proxy serves. */
  public static readonly GATEWAY = new IstioKind('Gateway', 'networking.istio.io', 'gateways', false);
  /** `networking.istio.io` ServiceEntry: hosts added to the mesh's registry (e.g. external APIs). */
  public static readonly SERVICE_ENTRY = new IstioKind('ServiceEntry', 'networking.istio.io', 'serviceentries', false);
  /** `networking.istio.io` WorkloadEntry: a VM or other non-Kubernetes workload. */
  public static readonly WORKLOAD_ENTRY = new IstioKind('WorkloadEntry', 'networking.istio.io', 'workloadentries', false);
  /** `networking.istio.io` WorkloadGroup: a template of WorkloadEntries. */
  public static readonly WORKLOAD_GROUP = new IstioKind('WorkloadGroup', 'networking.istio.io', 'workloadgroups', false);
  /** `telemetry.istio.io` Telemetry: metrics, traces and access logs. */
  public static readonly TELEMETRY = new IstioKind('Telemetry', 'telemetry.istio.io', 'telemetries', false);

  /** `security.istio.io` PeerAuthentication: whether the namespace's servers require mTLS. */
  public static readonly PEER_AUTHENTICATION = new IstioKind('PeerAuthentication', 'security.istio.io', 'peerauthentications', true);
  /** `security.istio.io` AuthorizationPolicy: who may call the namespace's workloads. */
  public static readonly AUTHORIZATION_POLICY = new IstioKind('AuthorizationPolicy', 'security.istio.io', 'authorizationpolicies', true);
  /** `security.istio.io` RequestAuthentication: which JWT issuers the workloads accept. */
  public static readonly REQUEST_AUTHENTICATION = new IstioKind('RequestAuthentication', 'security.istio.io', 'requestauthentications', true);
  /**
   * `networking.istio.io` DestinationRule: load balancing and subsets, but also the TLS its clients
   * use (`tls.mode: DISABLE` sends plaintext). RBAC cannot grant one field without the other.
   */
  public static readonly DESTINATION_RULE = new IstioKind('DestinationRule', 'networking.istio.io', 'destinationrules', true);
  /** `networking.istio.io` Sidecar: what the namespace's sidecars listen on and may reach. */
  public static readonly SIDECAR = new IstioKind('Sidecar', 'networking.istio.io', 'sidecars', true);
  /** `networking.istio.io` EnvoyFilter: raw Envoy configuration, which can remove any policy. */
  public static readonly ENVOY_FILTER = new IstioKind('EnvoyFilter', 'networking.istio.io', 'envoyfilters', true);
  /** `extensions.istio.io` WasmPlugin: code run in the sidecars, before or instead of policy filters. */
  public static readonly WASM_PLUGIN = new IstioKind('WasmPlugin', 'extensions.istio.io', 'wasmplugins', true);

  /** Every kind, traffic kinds first. */
  public static all(): IstioKind[] {
    return [...ALL];
  }

  private constructor(
    /** The kind, e.g. `PeerAuthentication`. */
    public readonly kind: string,
    /** The API group, e.g. `security.istio.io`. */
    public readonly apiGroup: string,
    /** The resource (plural) RBAC rules name, e.g. `peerauthentications`. */
    public readonly resource: string,
    /** Whether the kind decides mesh security (mTLS, authorization, what the sidecar enforces). */
    public readonly meshSecurity: boolean,
  ) {}

  public toString(): string {
    return this.kind;
  }
}

const ALL: readonly IstioKind[] = [
  IstioKind.VIRTUAL_SERVICE, IstioKind.GATEWAY, IstioKind.SERVICE_ENTRY, IstioKind.WORKLOAD_ENTRY, IstioKind.WORKLOAD_GROUP, IstioKind.TELEMETRY,
  IstioKind.PEER_AUTHENTICATION, IstioKind.AUTHORIZATION_POLICY, IstioKind.REQUEST_AUTHENTICATION, IstioKind.DESTINATION_RULE,
  IstioKind.SIDECAR, IstioKind.ENVOY_FILTER, IstioKind.WASM_PLUGIN,
];
