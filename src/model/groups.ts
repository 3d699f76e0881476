// Groups of clients and of server endpoints that every policy treats alike. The model decides one
// call per (client group, endpoint group) pair, so its memory grows with the number of workloads
// and groups, never with workloads squared.

import { AuthorizationPolicies } from './authorization';
import { DestinationRules } from './destination-rules';
import { NetPod, NetworkPolicies } from './network-policy';
import { EffectiveMode, PeerAuthentications } from './peer-authentication';
import { AuthorizationPolicyInfo, DestinationRuleInfo, ServiceInfo, ServicePortInfo, WorkloadInfo } from './resources';
import { ClientFacts, EndpointFacts } from './verdict';

export interface ClientGroup {
  readonly id: number;
  readonly namespace: string;
  readonly facts: ClientFacts;
  readonly representative: WorkloadInfo;
  readonly members: WorkloadInfo[];
}

/** One port of one Service on one workload it selects. */
export interface Endpoint {
  readonly workload: WorkloadInfo;
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  readonly targetPort: number;
  readonly group: EndpointGroup;
}

export interface EndpointGroup {
  readonly id: number;
  readonly namespace: string;
  readonly facts: EndpointFacts;
  readonly members: Endpoint[];
}

/**
 * Groups clients: same namespace, sidecar, authorization signature, workload-selected
 * DestinationRules, and NetworkPolicy facts (egress policies, ingress rules that select it).
 */
export function groupClients(workloads: readonly WorkloadInfo[], authorization: AuthorizationPolicies,
  destinationRules: DestinationRules, network: NetworkPolicies): ClientGroup[] {
  return groupWorkloads(workloads, network, (w) => {
    const net = network.client(w);
    const np = `${net.egressKey}|${net.fromSignature.join(',')}`;
    return w.sidecar
      ? `${w.namespace}|s|${authorization.callerSignature(w.principal, w.namespace)}|${selectorRuleIds(destinationRules, w)}|${np}`
      : `${w.namespace}|n|${np}`;
  });
}

/**
 * Groups clients for egress: by namespace, the NetworkPolicies that select them (and the ingress
 * rules that name them) and `egressKey` (everything else an egress verdict depends on: sidecar,
 * selector rules, Sidecar resource, identity).
 */
export function groupEgressClients(workloads: readonly WorkloadInfo[], network: NetworkPolicies, egressPods: readonly NetPod[],
  egressKey: (w: WorkloadInfo) => string): ClientGroup[] {
  return groupWorkloads(workloads, network, (w) => {
    const net = network.client(w);
    return `${w.namespace}|${net.egressKey}|${network.egressFromKey(w, egressPods)}|${egressKey(w)}`;
  });
}

export function selectorRuleIds(destinationRules: DestinationRules, w: WorkloadInfo): string {
  return destinationRules.selectorRulesFor(w.namespace, w.podLabels).map((r) => r.index).join(',');
}

/** Workloads with the same key form one group; the first one stands for it. */
function groupWorkloads(workloads: readonly WorkloadInfo[], network: NetworkPolicies, keyOf: (w: WorkloadInfo) => string): ClientGroup[] {
  const groups = new Map<string, ClientGroup>();
  for (const w of workloads) {
    const key = keyOf(w);
    let group = groups.get(key);
    if (!group) {
      group = {
        id: groups.size,
        namespace: w.namespace,
        facts: { namespace: w.namespace, sidecar: w.sidecar, labels: w.podLabels, principal: w.principal, network: network.client(w) },
        representative: w,
        members: [],
      };
      groups.set(key, group);
    }
    group.members.push(w);
  }
  return [...groups.values()];
}

function resolveTargetPort(workload: WorkloadInfo, port: ServicePortInfo): number {
  if (typeof port.targetPort === 'number') return port.targetPort;
  return workload.containerPorts.find((c) => c.name === port.targetPort)?.port ?? port.port;
}

function ids(list: ReadonlyArray<{ readonly index: number }>): string {
  return list.map((x) => x.index).join(',');
}

/** Every endpoint, grouped: same namespace, sidecar, mode, policies, ports, protocol, candidate DestinationRules and NetworkPolicy facts. */
export function groupEndpoints(services: readonly ServiceInfo[], select: (svc: ServiceInfo) => WorkloadInfo[],
  peerAuthentications: PeerAuthentications, authorization: AuthorizationPolicies,
  destinationRules: DestinationRules, network: NetworkPolicies): { endpoints: Endpoint[]; groups: EndpointGroup[] } {
  const groups = new Map<string, EndpointGroup>();
  const endpoints: Endpoint[] = [];
  const policyCache = new Map<WorkloadInfo, AuthorizationPolicyInfo[]>();
  for (const service of services) {
    if (!service.selector || service.ports.length === 0) continue;
    const workloads = select(service);
    if (workloads.length === 0) continue;
    const drCandidates: DestinationRuleInfo[] = destinationRules.candidates(service.host);
    const drKey = ids(drCandidates);
    for (const workload of workloads) {
      let policies = policyCache.get(workload);
      if (!policies) policyCache.set(workload, policies = authorization.policiesFor(workload));
      for (const port of service.ports) {
        const targetPort = resolveTargetPort(workload, port);
        const mode: EffectiveMode = workload.sidecar ? peerAuthentications.modeFor(workload, targetPort) : { mode: 'PERMISSIVE', scope: 'default' };
        const net = network.endpoint(workload, targetPort);
        const key = [service.namespace, workload.sidecar, mode.mode, mode.scope, mode.source?.name ?? '', ids(policies),
          targetPort, port.port, port.istioProtocol, port.name ?? '', drKey, net.key].join('|');
        let group = groups.get(key);
        if (!group) {
          group = {
            id: groups.size,
            namespace: service.namespace,
            facts: { workload, service, port, targetPort, mode, policies, drCandidates, network: net },
            members: [],
          };
          groups.set(key, group);
        }
        const endpoint: Endpoint = { workload, service, port, targetPort, group };
        group.members.push(endpoint);
        endpoints.push(endpoint);
      }
    }
  }
  endpoints.sort((a, b) => a.workload.index - b.workload.index
    || (a.service.name < b.service.name ? -1 : a.service.name > b.service.name ? 1 : 0)
    || a.port.port - b.port.port);
  return { endpoints, groups: [...groups.values()] };
}
