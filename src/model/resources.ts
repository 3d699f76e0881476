// The typed view of the input objects the model reads.

import { LabelSelector, Labels } from './labels';
import { NamespaceSource, ResourceRef } from './types';

export interface NamespaceInfo {
  readonly name: string;
  /** Labels, including the automatic `kubernetes.io/metadata.name`. */
  readonly labels: Labels;
  /** Undefined when the namespace is not in the input (declared, or only referenced by objects in it). */
  readonly ref?: ResourceRef;
  readonly source: NamespaceSource;
}

/** Ports a sidecar's iptables rules capture (the pod's traffic.sidecar.istio.io annotations). */
export interface Capture {
  /** `includeInboundPorts`: `*` (the default), or the listed ports only. */
  readonly includeInbound: '*' | readonly number[];
  /** `excludeInboundPorts`, plus the ports the injector always excludes (15090, 15021, 15020). */
  readonly excludeInbound: readonly number[];
  /** `excludeOutboundPorts`. */
  readonly excludeOutbound: readonly number[];
  /** `includeOutboundPorts`. */
  readonly includeOutbound: readonly number[];
  /** `includeOutboundIPRanges` and `excludeOutboundIPRanges`, which the model cannot match with cluster IPs. */
  readonly ipRanges?: string;
}

export interface ContainerPort {
  readonly port: number;
  readonly name?: string;
  /** TCP (the default), UDP or SCTP. */
  readonly protocol: string;
}

export interface WorkloadInfo {
  /** Position in the sorted workload list. */
  readonly index: number;
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly ref: ResourceRef;
  readonly serviceAccount: string;
  readonly podLabels: Labels;
  readonly annotations: Labels;
  readonly sidecar: boolean;
  readonly sidecarReason: string;
  /** An Istio gateway proxy (its pods are selected by a Gateway): an Envoy of its own, not an app. */
  readonly gateway: boolean;
  readonly containerPorts: readonly ContainerPort[];
  /**
   * The pod label `security.istio.io/tlsMode` Istio's endpoints carry: the injector keeps the
   * pod's own value or sets `istio`; pods without a sidecar have theirs, else `disabled`.
   */
  readonly tlsMode: string;
  /** What the sidecar's iptables rules capture (traffic.sidecar.istio.io annotations). */
  readonly capture: Capture;
  /** `<trust domain>/ns/<ns>/sa/<sa>`, as AuthorizationPolicy principals name it. */
  readonly principal: string;
  /** `spiffe://<principal>`. */
  readonly identity: string;
}

export interface ServicePortInfo {
  readonly port: number;
  readonly name?: string;
  readonly targetPort: number | string;
  readonly appProtocol?: string;
  /** Istio's protocol for the port, from appProtocol or the name prefix (`http`, `tcp`, `tls`, ...). */
  readonly istioProtocol: string;
}

export interface ServiceInfo {
  readonly ref: ResourceRef;
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  /** Undefined for a Service without a selector (no endpoints from pods). */
  readonly selector?: Labels;
  readonly ports: readonly ServicePortInfo[];
  /** `metadata.creationTimestamp` (ms), when the input has it. */
  readonly created?: number;
  /** `clusterIP: None`: clients connect to the pods themselves. */
  readonly headless: boolean;
  /** The `networking.istio.io/exportTo` annotation (comma-separated); undefined: every namespace. */
  readonly exportTo?: readonly string[];
}

export interface TlsSettings {
  readonly mode: string;
  readonly sni?: string;
  readonly credentialName?: string;
}

/** The TLS part of a traffic policy: the policy-level setting and per-port overrides. */
export interface TrafficTls {
  readonly tls?: TlsSettings;
  readonly portTls: ReadonlyMap<number, TlsSettings>;
  /** Ports with a port-level entry at all (with or without `tls`). */
  readonly ports?: ReadonlySet<number>;
}

export interface DestinationRuleInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  /** Resolved host (FQDN or wildcard). */
  readonly host: string;
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: Labels;
  readonly policy: TrafficTls;
  /** Whether the rule has a `trafficPolicy` at all (merging keeps the first rule's). */
  readonly hasTrafficPolicy?: boolean;
  readonly subsets: ReadonlyMap<string, TrafficTls>;
  /** `metadata.creationTimestamp` (ms), when the input has it. */
  readonly created?: number;
  /** The rules Istio merged into this one (for a merged rule), the first being `ref`. */
  readonly mergedFrom?: readonly ResourceRef[];
}

export interface PeerAuthenticationInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  /** Undefined (or empty) for a namespace-wide policy. */
  readonly selector?: Labels;
  /** `mtls.mode`; undefined when absent. */
  readonly mode?: string;
  /** `portLevelMtls`, keyed by container port. */
  readonly portModes: ReadonlyMap<number, string>;
  /** `metadata.creationTimestamp` (ms), when the input has it. */
  readonly created?: number;
}

export interface AuthorizationPolicyInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  readonly selector?: Labels;
  /** ALLOW, DENY, CUSTOM or AUDIT. */
  readonly action: string;
  readonly provider?: string;
  /** The raw rules; an empty list with ALLOW allows nothing. */
  readonly rules: readonly any[];
  /** Annotation `istio.io/dry-run` (strconv.ParseBool true): evaluated in shadow mode, enforcing nothing. */
  readonly dryRun: boolean;
}

export interface ServiceEntryPort {
  readonly number: number;
  readonly name?: string;
  readonly protocol: string;
  readonly targetPort?: number;
}

export interface ServiceEntryInfo {
  readonly ref: ResourceRef;
  readonly namespace: string;
  readonly hosts: readonly string[];
  readonly ports: readonly ServiceEntryPort[];
  /** MESH_EXTERNAL (the default) or MESH_INTERNAL. */
  readonly location: string;
  /** NONE (the default), STATIC, DNS, DNS_ROUND_ROBIN or DYNAMIC_DNS. */
  readonly resolution: string;
  /** Whether it lists endpoints (or selects workloads) of its own. */
  readonly hasEndpoints: boolean;
  /** `spec.addresses` (IPs or CIDRs). */
  readonly addresses: readonly string[];
  readonly exportTo?: readonly string[];
}

export interface GatewayServer {
  readonly port: number;
  readonly protocol: string;
  /** Hosts without their `ns/` prefix. */
  readonly hosts: readonly string[];
  /** The `ns/` prefix of each host (`.` the Gateway's namespace, `*` or undefined any). */
  readonly hostNamespaces: readonly (string | undefined)[];
  readonly tlsMode?: string;
  /** `tls.httpsRedirect`: the server answers every request with a redirect to HTTPS. */
  readonly httpsRedirect: boolean;
  /** `tls.credentialName` and `tls.credentialNames`: Secrets of the gateway pods' namespace. */
  readonly credentialNames: readonly string[];
  /** Position in the Gateway's `servers`. */
  readonly index: number;
}

/** A RequestAuthentication: which pods check JWTs of which issuers. */
export interface RequestAuthenticationInfo {
  readonly ref: ResourceRef;
  readonly namespace: string;
  readonly selector?: Labels;
  readonly issuers: readonly string[];
}

/** A Secret, by name (the model reads no data). */
export interface SecretInfo {
  readonly ref: ResourceRef;
  readonly namespace: string;
  readonly name: string;
}

export interface GatewayInfo {
  readonly ref: ResourceRef;
  readonly namespace: string;
  /** `metadata.creationTimestamp` in ms, if the manifest has one. */
  readonly created?: number;
  /** `<namespace>/<name>`, as VirtualServices refer to it. */
  readonly key: string;
  readonly selector: Labels;
  readonly servers: readonly GatewayServer[];
}

export type RouteKind = 'http' | 'tls' | 'tcp';

export interface RouteMatch {
  /** Resolved gateway keys (`ns/name` or `mesh`); undefined: the VirtualService's gateways. */
  readonly gateways?: readonly string[];
  readonly port?: number;
  readonly sniHosts?: readonly string[];
  /** The match also looks at request fields the model cannot know (URI, headers, ...). */
  readonly conditional: boolean;
}

export interface RouteDestination {
  readonly host: string;
  readonly port?: number;
  readonly subset?: string;
  readonly weight: number;
}

export interface Route {
  readonly kind: RouteKind;
  readonly index: number;
  /** Empty: the route matches everything. */
  readonly matches: readonly RouteMatch[];
  readonly destinations: readonly RouteDestination[];
}

export interface VirtualServiceInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  readonly hosts: readonly string[];
  /** Resolved gateway keys; `mesh` when the spec names none. */
  readonly gateways: readonly string[];
  readonly exportTo?: readonly string[];
  readonly routes: readonly Route[];
}

export interface NetworkPolicyPort {
  /** A number, a container port name, or undefined for every port of the protocol. */
  readonly port?: number | string;
  readonly endPort?: number;
  /** TCP (the default), UDP or SCTP. */
  readonly protocol: string;
}

export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

/** An ingress (`from`) or egress (`to`) rule. */
export interface NetworkPolicyRule {
  /** Undefined or empty: every port. */
  readonly ports?: readonly NetworkPolicyPort[];
  /** The rule's `from` or `to`. Undefined or empty: every source (destination). */
  readonly peers?: readonly NetworkPolicyPeer[];
}

export interface NetworkPolicyInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  /** Whether the policy isolates the selected pods for ingress (policyTypes, as the API server defaults it). */
  readonly ingressIsolated: boolean;
  /** Whether the policy isolates the selected pods for egress. */
  readonly egressIsolated: boolean;
  readonly ingress: readonly NetworkPolicyRule[];
  readonly egress: readonly NetworkPolicyRule[];
}

/** A Sidecar resource: which outbound traffic the sidecars it applies to let out. */
export interface SidecarInfo {
  readonly ref: ResourceRef;
  readonly index: number;
  readonly namespace: string;
  /** `workloadSelector.labels`; undefined for the namespace-wide (or, in the root namespace, mesh-wide) Sidecar. */
  readonly selector?: Labels;
  /** `outboundTrafficPolicy.mode` (`REGISTRY_ONLY` or `ALLOW_ANY`); undefined inherits the mesh config. */
  readonly outboundMode?: string;
  /** Whether it lists `egress` listeners or `ingress`, which narrow what its sidecars see: not modelled. */
  readonly narrowsConfig: boolean;
}

/** One rule of a Role or ClusterRole (empty lists stay empty: they match nothing). */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Empty: every object of the resources. */
  readonly resourceNames: readonly string[];
}

export interface RoleInfo {
  readonly ref: ResourceRef;
  readonly kind: 'Role' | 'ClusterRole';
  /** Empty for a ClusterRole. */
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly rules: readonly RbacRule[];
  /** `aggregationRule.clusterRoleSelectors` of an aggregated ClusterRole. */
  readonly aggregationSelectors?: readonly LabelSelector[];
  /** A ClusterRole the model assumes from Kubernetes' defaults because the input lacks it. */
  readonly builtIn?: boolean;
}

export interface RbacSubject {
  /** `User`, `Group` or `ServiceAccount`. */
  readonly kind: string;
  readonly name: string;
  /** A ServiceAccount's namespace, when the subject names one. */
  readonly namespace?: string;
}

export interface RoleBindingInfo {
  readonly ref: ResourceRef;
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  /** Empty for a ClusterRoleBinding. */
  readonly namespace: string;
  readonly roleRef: { readonly kind: string; readonly name: string };
  readonly subjects: readonly RbacSubject[];
}
