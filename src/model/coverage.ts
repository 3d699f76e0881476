// What the model reads, what it may ignore, and why the rest matters. Objects of kinds the model
// does not evaluate are listed as "not modelled" with a reason, one kind at a time, so that a kind
// leaves this list when the model learns it.

import { K8sObject } from './types';

/** `group/Kind` of what the model evaluates (the core group is empty). */
const MODELLED = new Set([
  '/Namespace', '/Service', '/Pod', '/ReplicationController',
  'apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job', 'batch/CronJob',
  'networking.k8s.io/NetworkPolicy',
  'networking.istio.io/DestinationRule', 'networking.istio.io/VirtualService', 'networking.istio.io/ServiceEntry', 'networking.istio.io/Gateway',
  // Its outboundTrafficPolicy; `egress` and `ingress` listeners are listed field by field (inventory.ts).
  'networking.istio.io/Sidecar',
  'security.istio.io/PeerAuthentication', 'security.istio.io/AuthorizationPolicy',
  // Who may change mesh security or read the CA (rbac.ts).
  'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  // Which pods check tokens of which issuers (ingress.ts, findings.ts); a request's token is not known.
  'security.istio.io/RequestAuthentication',
  // By name only: the certificates a Gateway's credentialName refers to.
  '/Secret',
]);

/** Kinds that change no call and no egress path: skipped without a word. */
const HARMLESS = new Set([
  '/ServiceAccount', '/ConfigMap', '/PersistentVolumeClaim', '/PersistentVolume', '/LimitRange', '/ResourceQuota',
  '/Event', '/Node', '/PodTemplate', '/Binding', '/ComponentStatus',
  'policy/PodDisruptionBudget', 'autoscaling/HorizontalPodAutoscaler',
  'autoscaling.k8s.io/VerticalPodAutoscaler', 'scheduling.k8s.io/PriorityClass', 'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver', 'coordination.k8s.io/Lease', 'apiextensions.k8s.io/CustomResourceDefinition',
  'networking.k8s.io/IngressClass', 'node.k8s.io/RuntimeClass', 'events.k8s.io/Event',
  'telemetry.istio.io/Telemetry', 'monitoring.coreos.com/ServiceMonitor', 'monitoring.coreos.com/PodMonitor',
  'monitoring.coreos.com/PrometheusRule', 'cert-manager.io/Certificate', 'cert-manager.io/Issuer', 'cert-manager.io/ClusterIssuer',
]);

/** Kinds that change traffic, and what the report cannot show because of them. */
const TRAFFIC: { readonly [groupKind: string]: string } = {
  'networking.istio.io/EnvoyFilter': 'patches the generated Envoy configuration: any call or egress path of the proxies it selects may differ from the report',
  'networking.istio.io/WorkloadEntry': 'adds a VM or external endpoint to a mesh host: calls to and from it are not in the report',
  'networking.istio.io/WorkloadGroup': 'a template for VM workloads: their calls are not in the report',
  'networking.istio.io/ProxyConfig': 'changes proxy settings of the workloads it selects (environment variables may change how the proxy behaves)',
  'extensions.istio.io/WasmPlugin': 'runs an extension in the proxies it selects that may refuse or change requests',
  'networking.k8s.io/Ingress': 'traffic from outside the cluster: not in the report (calls between workloads and to external hosts are)',
  '/Endpoints': 'endpoints of a Service without a selector: calls to them are not in the report',
  'discovery.k8s.io/EndpointSlice': 'endpoints of a Service without a selector: calls to them are not in the report',
  'policy.networking.k8s.io/AdminNetworkPolicy': 'cluster-wide network policy, applied before NetworkPolicies: calls may be blocked or allowed otherwise than the report says',
  'policy.networking.k8s.io/BaselineAdminNetworkPolicy': 'cluster-wide default network policy: calls no NetworkPolicy isolates may be blocked',
  'cilium.io/CiliumNetworkPolicy': 'CNI network policy (Cilium): calls may be blocked that the report shows succeed',
  'cilium.io/CiliumClusterwideNetworkPolicy': 'CNI network policy (Cilium): calls may be blocked that the report shows succeed',
  'crd.projectcalico.org/NetworkPolicy': 'CNI network policy (Calico): calls may be blocked that the report shows succeed',
  'crd.projectcalico.org/GlobalNetworkPolicy': 'CNI network policy (Calico): calls may be blocked that the report shows succeed',
  'projectcalico.org/NetworkPolicy': 'CNI network policy (Calico): calls may be blocked that the report shows succeed',
  'projectcalico.org/GlobalNetworkPolicy': 'CNI network policy (Calico): calls may be blocked that the report shows succeed',
  'install.istio.io/IstioOperator': 'mesh configuration (trust domain, outbound traffic policy, auto mTLS): the model uses its own options (--trust-domain, --root-namespace) instead',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': 'webhook configuration (e.g. Istio\'s injector selectors): the model follows Istio\'s default injection rules',
};

const GATEWAY_API = 'gateway.networking.k8s.io';

/** The API group of an object (`apps` of `apps/v1`; empty for the core group). */
export function apiGroup(o: K8sObject): string {
  const apiVersion = String(o.apiVersion ?? '');
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/**
 * Why an object the model does not evaluate matters, or undefined when the model evaluates it or
 * it changes no traffic.
 */
export function notModelledReason(o: K8sObject): string | undefined {
  const group = apiGroup(o);
  const key = `${group}/${o.kind}`;
  if (MODELLED.has(key) || HARMLESS.has(key)) return undefined;
  if (TRAFFIC[key]) return TRAFFIC[key];
  if (group === GATEWAY_API || group.endsWith(`.${GATEWAY_API}`)) {
    return 'Gateway API resource: the gateways, waypoints and routes Istio makes of it are not modelled';
  }
  if (group === 'ambient.istio.io' || /(^|\.)istio\.io$/.test(group)) return 'an Istio resource the model does not know: what it changes is not in the report';
  if (o.kind === 'List') return undefined;
  return `a kind the model does not know (${o.apiVersion ?? 'no apiVersion'}): if it changes traffic (a network or mesh policy), the report does not show it`;
}

/** Whether a ConfigMap is Istio's mesh configuration (`istio` or `istio-<revision>` in the root namespace). */
export function isMeshConfig(o: K8sObject, rootNamespace: string): boolean {
  return o.kind === 'ConfigMap' && apiGroup(o) === '' && String(o.metadata?.namespace ?? '') === rootNamespace
    && /^istio(-[a-z0-9-]+)?$/.test(String(o.metadata?.name ?? '')) && o.data?.mesh !== undefined;
}

/** Kinds without a namespace: their objects refer to no namespace. */
export const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'IngressClass', 'GatewayClass', 'RuntimeClass',
  'CSIDriver', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy',
  'ClusterIssuer', 'ComponentStatus', 'List',
]);
