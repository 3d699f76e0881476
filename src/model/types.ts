// Types shared by the mesh model. Internal: TypeScript users reach them through
// `cdk8s-istio-security/lib/src/model`; the jsii API is `MeshReport` (src/report.ts).

/** A Kubernetes object as parsed from a manifest. */
export type K8sObject = { [key: string]: any };

/** An object and the manifest file it came from (when it came from a file). */
export interface SourcedObject {
  readonly object: K8sObject;
  readonly manifest?: string;
  /** Position of the YAML document (or JSON list item) in the manifest, from 1. */
  readonly document?: number;
}

/**
 * Input the model does not evaluate because the cluster would not apply it: a file that cannot be
 * read, a document that is not a Kubernetes object, an object the API server or Istio refuses.
 */
export interface NotApplied {
  /** The file, when the input came from one. */
  readonly manifest?: string;
  /** Position of the YAML document (or JSON list item) in the file, from 1. */
  readonly document?: number;
  /** The object, when the input is one. */
  readonly ref?: ResourceRef;
  /** The field at fault (`spec.ports[0].name`), when there is one. */
  readonly field?: string;
  readonly reason: string;
  /** Who refuses it: the loader, kubectl, the API server's schema or validation, the CRD schema, Istio's validation. */
  readonly source: string;
}

/** `Kind ns/name (field): reason; refused by source (file, document 2)`, as reports and check list it. */
export function notAppliedText(n: NotApplied): string {
  const where = [n.manifest, n.document !== undefined ? `document ${n.document}` : undefined].filter(Boolean).join(', ');
  if (!n.ref) return `${where || 'input'}${n.field ? ` (${n.field})` : ''}: ${n.reason}`;
  return `${refText(n.ref)}${n.field ? ` (${n.field})` : ''}: ${n.reason}; refused by ${n.source}${where ? ` (${where})` : ''}`;
}

/** Names one object of the input, for reasons and findings. */
export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly manifest?: string;
}

/** `Kind namespace/name`. */
export function refText(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** Settings of the model that manifests do not carry. */
export interface ModelOptions {
  /** Istio's root (config) namespace. Default `istio-system`. */
  readonly rootNamespace?: string;
  /** Trust domain of workload identities. Default `cluster.local`. */
  readonly trustDomain?: string;
  /** Kubernetes cluster domain of Service hosts. Default `cluster.local`. */
  readonly clusterDomain?: string;
  /** The mesh config's `outboundTrafficPolicy.mode`, for sidecars no Sidecar resource sets it for. Default `ALLOW_ANY`. */
  readonly outboundTrafficPolicy?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /**
   * Service hosts of egress gateways, in addition to those recognised from the manifests (a Service
   * whose pods a Gateway selects). Default `istio-egressgateway.istio-system.svc.cluster.local`.
   */
  readonly egressGatewayHosts?: readonly string[];
  /**
   * Labels of namespaces the input does not hold (e.g. `{ default: { 'istio-injection': 'enabled' } }`
   * for Istio's bookinfo sample). A namespace object in the input wins over its declaration.
   */
  readonly namespaceLabels?: { readonly [namespace: string]: { readonly [key: string]: string } };
  /**
   * Whether every namespace neither in the input nor declared is taken as labelled
   * `istio-injection=enabled`. Default false: such namespaces are taken as unlabelled (no injection).
   */
  readonly assumeInjected?: boolean;
  /** The namespace istiod runs in, with its CA Secret. Default `istio-system`. */
  readonly istiodNamespace?: string;
}

/** Options with their defaults filled in. */
export interface ResolvedOptions {
  readonly rootNamespace: string;
  readonly outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  readonly istiodNamespace: string;
  readonly trustDomain: string;
  readonly clusterDomain: string;
  readonly egressGatewayHosts: readonly string[];
  readonly namespaceLabels: { readonly [namespace: string]: { readonly [key: string]: string } };
  readonly assumeInjected: boolean;
}

export function resolveOptions(options: ModelOptions = {}): ResolvedOptions {
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  return {
    rootNamespace: options.rootNamespace ?? 'istio-system',
    outboundTrafficPolicy: options.outboundTrafficPolicy ?? 'ALLOW_ANY',
    istiodNamespace: options.istiodNamespace ?? 'istio-system',
    trustDomain: options.trustDomain ?? 'cluster.local',
    clusterDomain,
    egressGatewayHosts: options.egressGatewayHosts ?? [`istio-egressgateway.istio-system.svc.${clusterDomain}`],
    namespaceLabels: options.namespaceLabels ?? {},
    assumeInjected: options.assumeInjected ?? false,
  };
}

/** What happens to a call from a client workload to a Service port. */
export type Outcome = 'mtls' | 'plaintext' | 'rejected' | 'denied' | 'failed' | 'blocked';

/** What the mesh does with a call the network lets through. */
export type MeshOutcome = Exclude<Outcome, 'blocked'>;

/** Outcomes in report order. */
export const OUTCOMES: readonly Outcome[] = ['mtls', 'plaintext', 'rejected', 'denied', 'failed', 'blocked'];

/** Outcomes that mean the call succeeds. */
export function succeeds(outcome: Outcome): boolean {
  return outcome === 'mtls' || outcome === 'plaintext';
}

export type EgressVia = 'direct' | 'egress-gateway';
/**
 * Whether egress traffic gets out: `allowed`; `denied` by an AuthorizationPolicy of the egress
 * gateway; `blocked` by the client's sidecar (REGISTRY_ONLY, host not registered) or by a
 * NetworkPolicy (a direct connection); `failed`: the Envoy configuration Istio generates has
 * nowhere to send it, or a TLS handshake on the way cannot succeed.
 */
export type EgressOutcome = 'allowed' | 'denied' | 'blocked' | 'failed';
export const EGRESS_OUTCOMES: readonly EgressOutcome[] = ['allowed', 'denied', 'blocked', 'failed'];
export type EgressTls = 'none' | 'passthrough' | 'originated' | 'mutual-originated';

/** One modelled workload (a Deployment, StatefulSet, DaemonSet, Job, ... or a bare Pod). */
export interface WorkloadRow {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly serviceAccount: string;
  readonly identity: string;
  readonly sidecar: boolean;
  /** Why the pod has (or lacks) a sidecar. */
  readonly sidecarReason: string;
}

/** One predicted call: a client workload to one port of a Service that selects the server workload. */
export interface ConnectionRow {
  readonly from: string;
  readonly to: string;
  /** `<namespace>/<Service name>`. */
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  readonly outcome: Outcome;
  /**
   * Only on `blocked` rows: the outcome the mesh would give if the network let the call through
   * (Istio's control plane does not see NetworkPolicies: compare `meshOutcome ?? outcome` with it).
   */
  readonly meshOutcome?: MeshOutcome;
  readonly reason: string;
}

/** One predicted path from a client workload to an external host and port. */
export interface EgressRow {
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly outcome: EgressOutcome;
  readonly via: EgressVia;
  readonly tls: EgressTls;
  /** Whether a NetworkPolicy surely stops the pod from reaching the host directly. */
  readonly bypassBlocked: boolean;
  /**
   * Only through the egress gateway: whether the client's NetworkPolicies (or the gateway's) stop
   * it from reaching the gateway pods, so that the path itself is blocked. False for direct paths.
   */
  readonly gatewayBlocked: boolean;
  readonly reason: string;
}

/** What the ingress gateway does with the TLS of a call from outside: the Gateway server's `tls.mode`. */
export type EdgeTls = 'none' | 'simple' | 'mutual' | 'passthrough';
export const EDGE_TLS: readonly EdgeTls[] = ['none', 'simple', 'mutual', 'passthrough'];

/**
 * One predicted call from outside the mesh through an ingress gateway: an external client, a
 * host and port of a Gateway server, and one Service port of a workload the route ends at.
 */
export interface IngressRow {
  readonly from: 'external';
  /** The gateway pods: their workload id, or `<namespace>/istio-ingressgateway` when assumed. */
  readonly gateway: string;
  /** `<namespace>/<name>` of the Gateway. */
  readonly gatewayResource: string;
  readonly host: string;
  /** The Gateway server's port (the gateway Service port clients connect to). */
  readonly gatewayPort: number;
  readonly edgeTls: EdgeTls;
  readonly to: string;
  /** `<namespace>/<Service name>`. */
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  /** The outcome of the whole way in: at the gateway, then the gateway's call to the workload. */
  readonly outcome: Outcome;
  readonly meshOutcome?: MeshOutcome;
  readonly reason: string;
}

/** Something in the input the model does not evaluate: the report says so instead of dropping it. */
export interface NotModelled {
  readonly ref: ResourceRef;
  /** The field the model skips (`spec.targetRefs`), or undefined for the whole object. */
  readonly field?: string;
  /** Why it matters: what it may change that the report does not show. */
  readonly reason: string;
}

/** How the model knows a namespace's labels. */
export type NamespaceSource = 'input' | 'declared' | 'assumed';

/** A namespace the input does not hold, and the labels the model gave it. */
export interface NamespaceAssumption {
  readonly name: string;
  /** `declared` (options), or `assumed` (neither in the input nor declared). */
  readonly source: Exclude<NamespaceSource, 'input'>;
  /** The labels the model uses, without the automatic `kubernetes.io/metadata.name`. */
  readonly labels: { readonly [key: string]: string };
  /** One line: where the labels come from and what they mean for sidecar injection. */
  readonly how: string;
}

/** Rules of findings: configurations the model knows are broken. */
export type FindingRule =
  | 'istio-mutual-without-sidecar'
  | 'plaintext-to-strict'
  | 'client-tls-mismatch'
  | 'principal-never-matches'
  | 'egress-gateway-bypass'
  | 'service-port-in-authorization'
  | 'identity-not-found'
  | 'selector-matches-no-pod'
  | 'policy-without-sidecar'
  | 'strict-under-disable'
  | 'rbac-weakens-strict'
  | 'rbac-reads-ca'
  | 'rbac-wildcard'
  | 'credential-name-in-sidecar-rule'
  | 'decided-by-age'
  | 'port-level-without-tls'
  | 'ingress-route-denied'
  | 'jwt-not-required'
  | 'gateway-credential-namespace'
  | 'host-plaintext-and-tls';

export const FINDING_RULES: readonly FindingRule[] = [
  'istio-mutual-without-sidecar', 'plaintext-to-strict', 'client-tls-mismatch', 'principal-never-matches', 'egress-gateway-bypass',
  'service-port-in-authorization', 'identity-not-found', 'selector-matches-no-pod', 'policy-without-sidecar', 'strict-under-disable',
  'rbac-weakens-strict', 'rbac-reads-ca', 'rbac-wildcard',
  'credential-name-in-sidecar-rule', 'decided-by-age', 'port-level-without-tls',
  'ingress-route-denied', 'jwt-not-required', 'gateway-credential-namespace', 'host-plaintext-and-tls',
];

/** A resource a finding names, with where in it the problem is. */
export interface FindingResource {
  readonly ref: ResourceRef;
  readonly locations: readonly string[];
}

/** A configuration the model knows is broken. */
export interface Finding {
  readonly rule: FindingRule;
  /** One line: what is wrong, with an example call. */
  readonly message: string;
  readonly fix: string;
  readonly resources: readonly FindingResource[];
  /** How many calls (or egress paths) it breaks; for RBAC findings, how many namespaces or grants. */
  readonly count: number;
  /** What identifies it across two versions of the input (its rule and resources), for `diff`. */
  readonly key?: string;
}
