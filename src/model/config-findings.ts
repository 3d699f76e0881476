// Findings about the configuration itself, whatever the calls: mistakes the library's constructs
// refuse, found in manifests written by hand (a Service port in an AuthorizationPolicy, an identity
// or a selector nothing has, a policy no sidecar enforces, a STRICT workload under a DISABLE
// namespace). Each names the resources and the fields at fault.

import { labelMap, matchesSelector } from './labels';
import { MeshModel } from './model';
import { AuthorizationPolicyInfo, WorkloadInfo } from './resources';
import { FindingResource, FindingRule, ResourceRef } from './types';

/** A finding before its fix is added. */
export interface RawFinding {
  readonly rule: FindingRule;
  readonly message: string;
  readonly resources: FindingResource[];
  readonly count: number;
}

export const CONFIG_FIXES: Partial<Record<FindingRule, string>> = {
  'service-port-in-authorization': 'AuthorizationPolicy ports are the ports the server\'s sidecar sees: the container (target) ports, not the Service ports.',
  'identity-not-found': 'Name a principal (<trust domain>/ns/<namespace>/sa/<service account>) or namespace some workload has; '
    + 'if its workloads are deployed from other manifests, model them together (check a folder, or --each off).',
  'selector-matches-no-pod': 'Make the selector match the labels of the pod template (spec.template.metadata.labels), or remove the policy.',
  'policy-without-sidecar': 'Give the selected pods a sidecar (namespace label istio-injection=enabled or pod label sidecar.istio.io/inject=true): '
    + 'AuthorizationPolicies are enforced by the server\'s sidecar, so without one every call gets through.',
  'strict-under-disable': 'Set the namespace (or mesh) PeerAuthentication to PERMISSIVE or STRICT, or give the clients a DestinationRule with '
    + 'tls.mode ISTIO_MUTUAL for this workload: auto mTLS reads only the namespace or mesh mode.',
};

const PRINCIPAL = /^([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;
const MAX_RESOURCES = 10;

function selectorLocation(kind: string): string {
  switch (kind) {
    case 'DestinationRule': return 'spec.workloadSelector.matchLabels';
    case 'NetworkPolicy': return 'spec.podSelector';
    default: return 'spec.selector.matchLabels';
  }
}

function podRefs(pods: readonly WorkloadInfo[], location: string): FindingResource[] {
  return pods.slice(0, MAX_RESOURCES).map((w) => ({ ref: w.ref, locations: [location] }));
}

function names(pods: readonly WorkloadInfo[]): string {
  const ids = pods.map((w) => w.id);
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

/** Pods a selector-bearing policy applies to (root-namespace AuthorizationPolicies apply in every namespace). */
function selected(model: MeshModel, namespace: string, labels: { readonly [k: string]: string }, anyNamespace: boolean): WorkloadInfo[] {
  return model.inventory.workloadIndex.select(anyNamespace ? undefined : namespace, labels);
}

export function configFindings(model: MeshModel): RawFinding[] {
  return [
    ...servicePortFindings(model), ...identityFindings(model), ...selectorFindings(model), ...unenforcedFindings(model), ...strictUnderDisable(model),
  ];
}

function policyPods(model: MeshModel, policy: AuthorizationPolicyInfo): WorkloadInfo[] {
  const root = policy.namespace === model.options.rootNamespace;
  if (policy.selector) return selected(model, policy.namespace, policy.selector, root);
  return root ? [...model.inventory.workloads] : [...model.inventory.workloadIndex.inNamespace(policy.namespace)];
}

/** An operation port that is a Service port of the selected pods and none of their container ports. */
function servicePortFindings(model: MeshModel): RawFinding[] {
  const out: RawFinding[] = [];
  const endpointsOf = new Map<WorkloadInfo, Array<(typeof model.endpoints)[number]>>();
  for (const e of model.endpoints) {
    const list = endpointsOf.get(e.workload);
    if (list) list.push(e);
    else endpointsOf.set(e.workload, [e]);
  }
  for (const policy of model.inventory.authorizationPolicies) {
    const ports = policy.rules.flatMap((rule: any) => (Array.isArray(rule?.to) ? rule.to : []))
      .flatMap((to: any) => [...(Array.isArray(to?.operation?.ports) ? to.operation.ports : []), ...(Array.isArray(to?.operation?.notPorts) ? to.operation.notPorts : [])]);
    if (ports.length === 0) continue;
    const pods = policyPods(model, policy);
    if (pods.length === 0) continue;
    const containerPorts = new Set(pods.flatMap((w) => w.containerPorts.map((c) => c.port)));
    const endpoints = pods.flatMap((w) => endpointsOf.get(w) ?? []);
    const targetPorts = new Set(endpoints.map((e) => e.targetPort));
    const servicePorts = new Map<number, string>();
    for (const e of endpoints) if (e.port.port !== e.targetPort) servicePorts.set(e.port.port, `${e.service.namespace}/${e.service.name}`);
    policy.rules.forEach((rule: any, i: number) => {
      (Array.isArray(rule?.to) ? rule.to : []).forEach((to: any, j: number) => {
        for (const field of ['ports', 'notPorts']) {
          const list = to?.operation?.[field];
          (Array.isArray(list) ? list : []).map(String).forEach((p: string, k: number) => {
            const port = Number(p);
            const service = servicePorts.get(port);
            if (!service || containerPorts.has(port) || targetPorts.has(port)) return;
            out.push({
              rule: 'service-port-in-authorization',
              message: `${policy.action} AuthorizationPolicy ${policy.namespace}/${policy.ref.name}: ${field} ${port} is a port of Service ${service}, `
                + `not a container port of the pods it selects (${names(pods)}): it ${field === 'ports' ? 'never matches' : 'excludes nothing'}`,
              resources: [{ ref: policy.ref, locations: [`spec.rules[${i}].to[${j}].operation.${field}[${k}]`] }],
              count: 1,
            });
          });
        }
      });
    });
  }
  return out;
}

/**
 * A principal or source namespace no workload has: a principal of another trust domain, a service
 * account that no workload of its namespace runs as (when the input holds that namespace's
 * workloads), a source namespace the input holds without a workload. Identities of namespaces
 * whose workloads are not in the input may be deployed from other manifests: no finding.
 */
function identityFindings(model: MeshModel): RawFinding[] {
  const { inventory } = model;
  if (inventory.workloads.length === 0) return [];
  const accounts = new Set(inventory.workloads.map((w) => `${w.namespace}/${w.serviceAccount}`));
  const withWorkloads = new Set(inventory.workloads.map((w) => w.namespace));
  const out: RawFinding[] = [];
  for (const policy of inventory.authorizationPolicies) {
    if (policy.action === 'AUDIT') continue;
    policy.rules.forEach((rule: any, i: number) => {
      (Array.isArray(rule?.from) ? rule.from : []).forEach((from: any, j: number) => {
        const source = from?.source ?? {};
        const report = (field: string, value: string, k: number, why: string) => out.push({
          rule: 'identity-not-found',
          message: `${policy.action} AuthorizationPolicy ${policy.namespace}/${policy.ref.name}: ${field} "${value}" ${why}`,
          resources: [{ ref: policy.ref, locations: [`spec.rules[${i}].from[${j}].source.${field}[${k}]`] }],
          count: 1,
        });
        (Array.isArray(source.principals) ? source.principals : []).map(String).forEach((p: string, k: number) => {
          const m = PRINCIPAL.exec(p);
          if (!m || p.includes('*')) return;
          const [, domain, ns, sa] = m;
          if (domain !== model.options.trustDomain) {
            report('principals', p, k, `names trust domain ${domain}, but the mesh's is ${model.options.trustDomain} (--trust-domain): no workload has it`);
          } else if (withWorkloads.has(ns) && !accounts.has(`${ns}/${sa}`)) {
            report('principals', p, k, `is no workload's identity: no workload of namespace ${ns} runs as service account ${sa}`);
          }
        });
        (Array.isArray(source.namespaces) ? source.namespaces : []).map(String).forEach((ns: string, k: number) => {
          if (!ns.includes('*') && inventory.namespaces.get(ns)?.source === 'input' && !withWorkloads.has(ns)) {
            report('namespaces', ns, k, 'is a namespace of the input without a workload: no caller comes from it');
          }
        });
      });
    });
  }
  return out;
}

/** PeerAuthentication, DestinationRule workloadSelector, AuthorizationPolicy and NetworkPolicy selectors that match no pod. */
function selectorFindings(model: MeshModel): RawFinding[] {
  const { inventory } = model;
  const root = model.options.rootNamespace;
  const out: RawFinding[] = [];
  const check = (ref: ResourceRef, namespace: string, matches: boolean, what: string) => {
    if (matches) return;
    out.push({
      rule: 'selector-matches-no-pod',
      message: `${ref.kind} ${namespace}/${ref.name}: its selector matches no pod ${namespace === root && ref.kind === 'AuthorizationPolicy' ? 'in any namespace' : `of namespace ${namespace}`}, so ${what}`,
      resources: [{ ref, locations: [selectorLocation(ref.kind)] }],
      count: 1,
    });
  };
  // Only namespaces whose pods are in the input: a policy for pods deployed from other manifests is not a mistake here.
  const known = (ns: string) => inventory.workloadIndex.inNamespace(ns).length > 0;
  for (const pa of inventory.peerAuthentications) {
    if (pa.selector && known(pa.namespace)) check(pa.ref, pa.namespace, selected(model, pa.namespace, pa.selector, false).length > 0, 'its mTLS mode applies to nothing');
  }
  for (const dr of inventory.destinationRules) {
    if (dr.workloadSelector && known(dr.namespace)) {
      check(dr.ref, dr.namespace, selected(model, dr.namespace, dr.workloadSelector, false).length > 0, 'no client uses its traffic policy');
    }
  }
  for (const ap of inventory.authorizationPolicies) {
    // A root-namespace policy selects in every namespace; checked only where the root namespace's own pods (gateways) are in the input.
    const anywhere = ap.namespace === root;
    if (ap.selector && known(ap.namespace)) {
      check(ap.ref, ap.namespace, selected(model, ap.namespace, ap.selector, anywhere).length > 0, 'it protects nothing');
    }
  }
  for (const np of inventory.networkPolicies) {
    const sel = np.podSelector;
    const empty = Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
    if (empty || !known(np.namespace)) continue;
    check(np.ref, np.namespace, inventory.workloadIndex.inNamespace(np.namespace).some((w) => matchesSelector(sel, w.podLabels)), 'it isolates and allows nothing');
  }
  return out;
}

/** ALLOW and DENY AuthorizationPolicies on pods without a sidecar: nothing enforces them there. */
function unenforcedFindings(model: MeshModel): RawFinding[] {
  const out: RawFinding[] = [];
  const root = model.options.rootNamespace;
  for (const policy of model.inventory.authorizationPolicies) {
    if (policy.action !== 'ALLOW' && policy.action !== 'DENY') continue;
    // A mesh-wide policy is about the mesh; pods outside it are not its mistake.
    if (policy.namespace === root && !policy.selector) continue;
    const bare = policyPods(model, policy).filter((w) => !w.sidecar && model.inventory.namespaces.get(w.namespace)?.source !== 'assumed');
    if (bare.length === 0) continue;
    out.push({
      rule: 'policy-without-sidecar',
      message: `${policy.action} AuthorizationPolicy ${policy.namespace}/${policy.ref.name} applies to ${names(bare)}, which run${bare.length === 1 ? 's' : ''} `
        + `without a sidecar (${bare[0].sidecarReason}): nothing enforces it there, so every call ${policy.action === 'DENY' ? 'it denies' : 'it does not allow'} gets through`,
      resources: [{ ref: policy.ref, locations: [policy.selector ? 'spec.selector.matchLabels' : 'metadata.namespace (every pod of the namespace)'] },
        ...podRefs(bare, 'spec.template.metadata (sidecar injection)')],
      count: bare.length,
    });
  }
  return out;
}

/**
 * A workload-level STRICT PeerAuthentication whose namespace (or, without one, the mesh) is DISABLE:
 * clients' auto mTLS reads only the namespace or mesh mode, sends plaintext, and the workload
 * refuses it (Istio issue 56084; pilot/pkg/model/push_context.go, BestEffortInferServiceMTLSMode).
 */
function strictUnderDisable(model: MeshModel): RawFinding[] {
  const { inventory } = model;
  const root = model.options.rootNamespace;
  const out: RawFinding[] = [];
  const namespaceWide = (ns: string) => inventory.peerAuthentications.find((p) => !p.selector && p.namespace === ns && p.mode && p.mode !== 'UNSET');
  for (const pa of inventory.peerAuthentications) {
    if (!pa.selector) continue;
    const strictPorts = [...pa.portModes].filter(([, mode]) => mode === 'STRICT').map(([port]) => port);
    if (pa.mode !== 'STRICT' && strictPorts.length === 0) continue;
    const outer = namespaceWide(pa.namespace) ?? (pa.namespace === root ? undefined : namespaceWide(root));
    if (outer?.mode !== 'DISABLE') continue;
    const pods = selected(model, pa.namespace, labelMap(pa.selector), false).filter((w) => w.sidecar);
    if (pods.length === 0) continue;
    const scope = outer.namespace === root ? 'mesh-wide' : 'namespace';
    out.push({
      rule: 'strict-under-disable',
      message: `PeerAuthentication ${pa.namespace}/${pa.ref.name} makes ${names(pods)} STRICT${pa.mode === 'STRICT' ? '' : ` on port ${strictPorts.join(', ')}`}, `
        + `but the ${scope} PeerAuthentication ${outer.namespace}/${outer.ref.name} is DISABLE: clients' auto mTLS follows the ${scope} mode and sends plaintext, `
        + 'which the workload refuses (Istio issue 56084)',
      resources: [
        { ref: pa.ref, locations: pa.mode === 'STRICT' ? ['spec.mtls.mode'] : strictPorts.map((p) => `spec.portLevelMtls.${p}.mode`) },
        { ref: outer.ref, locations: ['spec.mtls.mode'] },
      ],
      count: pods.length,
    });
  }
  return out;
}

/** Whether a workload's lack of a sidecar rests on a namespace the input does not hold (its labels assumed). */
export function sidecarAssumed(model: MeshModel, w: WorkloadInfo): boolean {
  return !w.sidecar && model.inventory.namespaces.get(w.namespace)?.source === 'assumed' && !model.options.assumeInjected;
}
