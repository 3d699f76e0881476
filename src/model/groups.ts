// Groups of clients and of server endpoints that every policy treats alike. The model decides one
// call per (client group, endpoint group) pair, so its memory grows with the number of workloads
// and groups, never with workloads squared.

import { AuthorizationPolicies } from './authorization';
import { DestinationRules } from './destination-rules';
import { capturesInbound, outboundCaptureKey } from './interception';
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
  destinationRules: DestinationRules, network: NetworkPolicies, registryOnly: (w: WorkloadInfo) => boolean = () => false,
  alone: (w: WorkloadInfo) => boolean = () => false): ClientGroup[] {
  return groupWorkloads(workloads, network, (w) => {
    const net = network.client(w);
    // A pod behind a headless Service calls itself on another path (loopback): it is a group of its own.
    const np = `${net.egressKey}|${net.fromSignature.join(',')}${alone(w) ? `|${w.id}` : ''}`;
    return w.sidecar
      ? `${w.namespace}|s|${authorization.callerSignature(w.principal, w.namespace)}|${selectorRuleIds(destinationRules, w)}|${w.gateway}|${outboundCaptureKey(w.capture)}|${registryOnly(w)}|${np}`
      : `${w.namespace}|n|${np}`;
  }, registryOnly);
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
function groupWorkloads(workloads: readonly WorkloadInfo[], network: NetworkPolicies, keyOf: (w: WorkloadInfo) => string,
  registryOnly: (w: WorkloadInfo) => boolean = () => false): ClientGroup[] {
  const groups = new Map<string, ClientGroup>();
  for (const w of workloads) {
    const key = keyOf(w);
    let group = groups.get(key);
    if (!group) {
      group = {
        id: groups.size,
        namespace: w.namespace,
        facts: {
          namespace: w.namespace, sidecar: w.sidecar, gateway: w.gateway, labels: w.podLabels, principal: w.principal, capture: w.capture,
          registryOnly: registryOnly(w), network: network.client(w),
        },
        representative: w,
        members: [],
      };
      groups.set(key, group);
    }
    group.members.push(w);
  }
  return [...groups.values()];
}

// Kubernetes' FindPort (pkg/api/v1/pod): a number as it is, a name among the pod's container ports;
// a name no container port has gives the pod no endpoint for the Service port.
export function resolveTargetPort(workload: WorkloadInfo, port: ServicePortInfo): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  return workload.containerPorts.find((c) => c.name === port.targetPort)?.port;
}

/**
 * The Service port whose protocol a pod's inbound listener uses for one container port when
 * several Services target it: the oldest Service (pilot/pkg/model/context.go SetServiceTargets
 * sorts by creation time, then hostname; listener_inbound.go getFilterChainsByServicePort keeps the first).
 */
function inboundPorts(services: readonly ServiceInfo[], select: (svc: ServiceInfo) => WorkloadInfo[]): Map<WorkloadInfo, Map<number, InboundPort>> {
  const out = new Map<WorkloadInfo, Map<number, InboundPort>>();
  const ordered = services.filter((s) => s.selector && s.ports.length > 0)
    .sort((a, b) => (a.created ?? Infinity) - (b.created ?? Infinity) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (const service of ordered) {
    for (const workload of select(service)) {
      let ports = out.get(workload);
      if (!ports) out.set(workload, ports = new Map());
      for (const port of service.ports) {
        const target = resolveTargetPort(workload, port);
        if (target === undefined) continue;
        const first = ports.get(target);
        if (!first) ports.set(target, { service, port, contested: false });
        else if (first.service !== service && first.port.istioProtocol !== port.istioProtocol
          && (first.service.created ?? Infinity) === (service.created ?? Infinity)) {
          ports.set(target, { ...first, contested: true, rival: first.rival ?? service });
        }
      }
    }
  }
  return out;
}

/** The Service port a pod's inbound chain for a container port follows. */
export interface InboundPort {
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  /** Another Service of the same age targets the port with another protocol: Istio chose by hostname. */
  readonly contested: boolean;
  /** That other Service. */
  readonly rival?: ServiceInfo;
}

function ids(list: ReadonlyArray<{ readonly index: number }>): string {
  return list.map((x) => x.index).join(',');
}

/** Every endpoint, grouped: same namespace, sidecar, mode, policies, ports, protocol, candidate DestinationRules and NetworkPolicy facts. */
export function groupEndpoints(services: readonly ServiceInfo[], select: (svc: ServiceInfo) => WorkloadInfo[],
  peerAuthentications: PeerAuthentications, authorization: AuthorizationPolicies,
  destinationRules: DestinationRules, network: NetworkPolicies): { endpoints: Endpoint[]; groups: EndpointGroup[]; contested: InboundPort[] } {
  const groups = new Map<string, EndpointGroup>();
  const endpoints: Endpoint[] = [];
  const policyCache = new Map<WorkloadInfo, AuthorizationPolicyInfo[]>();
  const inbound_ = inboundPorts(services, select);
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
        const resolved = resolveTargetPort(workload, port);
        const targetPort = resolved ?? port.port;
        // Also for pods without sidecar: EDS reads their mode when they carry tlsMode istio (mtls_checker.go).
        const mode: EffectiveMode = peerAuthentications.modeFor(workload, targetPort);
        const captured = workload.sidecar && !workload.gateway && capturesInbound(workload.capture, targetPort);
        const inbound = inbound_.get(workload)?.get(targetPort);
        const inboundProtocol = inbound?.port.istioProtocol ?? port.istioProtocol;
        const net = network.endpoint(workload, targetPort);
        const headlessPlaintext = service.headless && headlessPlain(port, workloads);
        const key = [service.namespace, workload.sidecar, workload.gateway ? workload.id : false, mode.mode, mode.scope, mode.source?.name ?? '', ids(policies),
          targetPort, port.port, port.istioProtocol, port.name ?? '', drKey, resolved === undefined, captured, workload.tlsMode,
          inboundProtocol, service.headless, headlessPlaintext, net.key, service.exportTo?.join(',') ?? '*'].join('|');
        let group = groups.get(key);
        if (!group) {
          group = {
            id: groups.size,
            namespace: service.namespace,
            facts: {
              workload, service, port, targetPort, mode, policies, drCandidates,
              noEndpoint: resolved === undefined, captured, inboundProtocol, headlessPlaintext,
              namespaceMode: peerAuthentications.autoMtlsNamespaceMode(service.namespace), network: net,
            },
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
  const contested: InboundPort[] = [];
  for (const ports of inbound_.values()) for (const p of ports.values()) if (p.contested && !contested.some((c) => c.service === p.service && c.rival === p.rival)) contested.push(p);
  return { endpoints, groups: [...groups.values()], contested };
}

// pilot/pkg/model/push_context.go BestEffortInferServiceMTLSMode: a headless (passthrough) Service
// gets no auto mTLS when any of its endpoints is without an Istio sidecar (tlsMode disabled).
function headlessPlain(port: ServicePortInfo, workloads: readonly WorkloadInfo[]): boolean {
  return workloads.some((w) => (typeof port.targetPort !== 'string' || resolveTargetPort(w, port) !== undefined) && w.tlsMode === 'disabled');
}
