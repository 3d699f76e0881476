// Aggregates the model for reports: counts per outcome and per namespace pair, and groups of
// calls (and egress paths) that share an outcome and a reason. Works on group pairs, so it costs
// the same for 10,000 workloads as for 10 when they are configured alike.

import { findFindings } from './findings';
import { MeshModel } from './model';
import { EgressTls, EgressVia, Finding, Outcome, OUTCOMES } from './types';

export interface CallGroup {
  readonly outcome: Outcome;
  readonly summary: string;
  /** The reason of the first call of the group. */
  readonly reason: string;
  /** An example call. */
  readonly example: string;
  count: number;
  clients: number;
  endpoints: number;
  /** `client ns -> server ns` pairs, in order of first appearance. */
  readonly namespacePairs: string[];
}

export interface EgressGroup {
  readonly host: string;
  readonly port: number;
  readonly via: EgressVia;
  readonly tls: EgressTls;
  readonly bypassBlocked: boolean;
  readonly reason: string;
  readonly example: string;
  clients: number;
  readonly namespaces: string[];
}

export interface Aggregate {
  readonly workloads: number;
  readonly withSidecar: number;
  readonly namespaces: readonly string[];
  readonly endpoints: number;
  readonly calls: number;
  readonly outcomes: Record<Outcome, number>;
  /** Calls per outcome for `client ns -> server ns`. */
  readonly namespaceMatrix: ReadonlyMap<string, Record<Outcome, number>>;
  readonly callGroups: readonly CallGroup[];
  readonly egressRows: number;
  readonly egressGroups: readonly EgressGroup[];
  readonly findings: readonly Finding[];
}

function zero(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

export function aggregate(model: MeshModel): Aggregate {
  const outcomes = zero();
  const namespaceMatrix = new Map<string, Record<Outcome, number>>();
  const groups = new Map<string, CallGroup & { clientIds: Set<number>; endpointIds: Set<number>; pairSet: Set<string> }>();
  for (const pair of model.groupPairs()) {
    const { verdict, client, endpoint, count } = pair;
    outcomes[verdict.outcome] += count;
    const nsPair = `${client.namespace} -> ${endpoint.namespace}`;
    let cell = namespaceMatrix.get(nsPair);
    if (!cell) namespaceMatrix.set(nsPair, cell = zero());
    cell[verdict.outcome] += count;
    const key = `${verdict.outcome}|${verdict.summary}`;
    let g = groups.get(key);
    if (!g) {
      const e = endpoint.members[0];
      g = {
        outcome: verdict.outcome, summary: verdict.summary, reason: verdict.reason,
        example: `${client.representative.id} -> ${e.workload.id}:${e.port.port}`,
        count: 0, clients: 0, endpoints: 0, namespacePairs: [],
        clientIds: new Set(), endpointIds: new Set(), pairSet: new Set(),
      };
      groups.set(key, g);
    }
    g.count += count;
    if (!g.clientIds.has(client.id)) { g.clientIds.add(client.id); g.clients += client.members.length; }
    if (!g.endpointIds.has(endpoint.id)) { g.endpointIds.add(endpoint.id); g.endpoints += endpoint.members.length; }
    if (!g.pairSet.has(nsPair)) { g.pairSet.add(nsPair); g.namespacePairs.push(nsPair); }
  }
  const callGroups = [...groups.values()]
    .map(({ clientIds, endpointIds, pairSet, ...g }) => g)
    .sort((a, b) => OUTCOMES.indexOf(b.outcome) - OUTCOMES.indexOf(a.outcome) || b.count - a.count);

  const egress = new Map<string, EgressGroup & { nsSet: Set<string> }>();
  let egressRows = 0;
  for (const pair of model.egressPairs()) {
    const { verdict: v, target, members, client } = pair;
    egressRows += members.length;
    const key = `${target.host}:${target.port}|${v.via}|${v.tls}|${v.bypassBlocked}|${v.summary}`;
    let g = egress.get(key);
    if (!g) {
      g = {
        host: target.host, port: target.port, via: v.via, tls: v.tls, bypassBlocked: v.bypassBlocked, reason: v.reason,
        example: members[0].id, clients: 0, namespaces: [], nsSet: new Set(),
      };
      egress.set(key, g);
    }
    g.clients += members.length;
    if (!g.nsSet.has(client.namespace)) { g.nsSet.add(client.namespace); g.namespaces.push(client.namespace); }
  }
  const workloads = model.inventory.workloads;
  const namespaces = new Set<string>(workloads.map((w) => w.namespace));
  for (const e of model.endpoints) namespaces.add(e.service.namespace);
  return {
    workloads: workloads.length,
    withSidecar: workloads.filter((w) => w.sidecar).length,
    namespaces: [...namespaces].sort(),
    endpoints: model.endpoints.length,
    calls: model.connectionCount(),
    outcomes,
    namespaceMatrix,
    callGroups,
    egressRows,
    egressGroups: [...egress.values()].map(({ nsSet, ...g }) => g),
    findings: findFindings(model),
  };
}
