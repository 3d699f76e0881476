import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { Peer } from '../peer';

// Where the ingress gateway's identity must be let in: the ALLOW policies of a workload behind an
// ingress route, whenever the workload has one (or its namespace denies by default), in
// whatever order the routes, the policies and DefaultDeny are declared.

/** The ingress gateway, let in to one container port of a workload for one route. */
export interface IngressAdmission {
  readonly route: IConstruct;
  readonly workload: IConstruct;
  readonly namespace: string;
  readonly peer: Peer;
  readonly containerPort: number;
}

/** An authorization policy a construct of this library emits for a workload, as rendered. */
export interface WorkloadPolicyRecord {
  readonly construct: IConstruct;
  readonly action: 'ALLOW' | 'DENY';
  readonly namespace: string;
  readonly name: string;
  /** The rendered rules (plain objects, as in the manifest). */
  readonly rules: () => any[];
}

const admissionsByWorkload = new WeakMap<IConstruct, IngressAdmission[]>();
const admissionsByChart = new WeakMap<IConstruct, IngressAdmission[]>();
const defaultDenyByChart = new WeakMap<IConstruct, Set<string>>();
const policiesByWorkload = new WeakMap<IConstruct, WorkloadPolicyRecord[]>();

function listIn<K extends object, V>(map: WeakMap<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, list = []);
  return list;
}

export function registerAdmission(admission: IngressAdmission): void {
  listIn(admissionsByWorkload, admission.workload).push(admission);
  listIn(admissionsByChart, Chart.of(admission.workload)).push(admission);
}

/** The ingress routes that send calls to `workload`. */
export function admissionsFor(workload: IConstruct): readonly IngressAdmission[] {
  return admissionsByWorkload.get(workload) ?? [];
}

/** The ingress routes to workloads of `namespace` in `scope`'s chart. */
export function admissionsInNamespace(scope: IConstruct, namespace: string): readonly IngressAdmission[] {
  return (admissionsByChart.get(Chart.of(scope)) ?? []).filter((a) => a.namespace === namespace);
}

/** Records that `namespace` denies by default (an `allow-nothing` policy) in `scope`'s chart. */
export function markDefaultDeny(scope: IConstruct, namespace: string): void {
  const chart = Chart.of(scope);
  const set = defaultDenyByChart.get(chart) ?? new Set<string>();
  defaultDenyByChart.set(chart, set);
  set.add(namespace);
}

export function isDefaultDeny(scope: IConstruct, namespace: string): boolean {
  return defaultDenyByChart.get(Chart.of(scope))?.has(namespace) ?? false;
}

export function registerWorkloadPolicy(workload: IConstruct, record: WorkloadPolicyRecord): void {
  listIn(policiesByWorkload, workload).push(record);
}

/** The authorization policies this library emits for `workload`. */
export function workloadPolicies(workload: IConstruct): readonly WorkloadPolicyRecord[] {
  return policiesByWorkload.get(workload) ?? [];
}

/** A server of an ingress route on the gateway pods, for checks of policies on the gateway. */
export interface IngressServerRecord {
  readonly route: IConstruct;
  /** The gateway pods (gatewayPodsKey). */
  readonly pods: string;
  /** The pod port of the gateway behind the server's Service port. */
  readonly targetPort: number;
  /** Whether the server passes TLS through (a TCP filter chain, where HTTP attributes do not exist). */
  readonly passthrough: boolean;
}

const serversByChart = new WeakMap<IConstruct, IngressServerRecord[]>();

export function registerIngressServer(record: IngressServerRecord): void {
  listIn(serversByChart, Chart.of(record.route)).push(record);
}

/** The ingress route servers of `scope`'s chart. */
export function ingressServers(scope: IConstruct): readonly IngressServerRecord[] {
  return serversByChart.get(Chart.of(scope)) ?? [];
}
