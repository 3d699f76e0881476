// Aggregates the model for reports: counts per outcome and per namespace pair, and groups of
// calls (and egress paths) that share an outcome and a reason. Works on group pairs, so it costs
// the same for 10,000 workloads as for 10 when they are configured alike.

import { EgressTarget, EgressVerdict } from './egress';
import { findFindings } from './findings';
import { ClientGroup } from './groups';
import { BaseGroup, MeshModel } from './model';
import { EgressRow, Finding, Outcome, OUTCOMES } from './types';

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
  /** `client ns -> server ns` pairs, in order of first appearance (at most MAX_NAMESPACE_PAIRS). */
  readonly namespacePairs: string[];
  /** Whether there are more namespace pairs than `namespacePairs` lists. */
  namespacePairsTruncated?: boolean;
  /** Client and server namespaces of the calls, sorted. */
  readonly clientNamespaces: string[];
  readonly serverNamespaces: string[];
}

/** Egress rows that share a path; `reason` is that of the first. */
export interface EgressGroup extends Omit<EgressRow, 'from'> {
  /** The client of the first row. */
  readonly example: string;
  clients: number;
  /** Namespaces of the clients, sorted. */
  readonly namespaces: string[];
}

export interface Aggregate {
  readonly workloads: number;
  readonly withSidecar: number;
  readonly namespaces: readonly string[];
  readonly endpoints: number;
  readonly calls: number;
  readonly outcomes: Record<Outcome, number>;
  /** Calls per outcome for `client ns -> server ns` (empty when `namespaceMatrixOmitted`). */
  readonly namespaceMatrix: ReadonlyMap<string, Record<Outcome, number>>;
  /** Whether there are too many namespaces (over MAX_MATRIX_NAMESPACES) for a namespace matrix. */
  readonly namespaceMatrixOmitted: boolean;
  readonly callGroups: readonly CallGroup[];
  readonly egressRows: number;
  readonly egressGroups: readonly EgressGroup[];
  readonly findings: readonly Finding[];
}

function zero(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

/** Above this many namespaces there is no namespace matrix (it would grow with their square). */
export const MAX_MATRIX_NAMESPACES = 200;
/** A call group lists at most this many namespace pairs. */
export const MAX_NAMESPACE_PAIRS = 500;

interface Building extends CallGroup {
  readonly clientNs: Set<string>;
  readonly serverNs: Set<string>;
  readonly pairSet: Set<string>;
  readonly seen: Set<ClientGroup>;
  readonly endpointIds: Set<number>;
  /** Client groups seen per base group, and base groups whose every client group was seen. */
  readonly seenPerBase: Map<BaseGroup, number>;
  readonly fullBases: Set<BaseGroup>;
  /** Spans walked with nothing left to add (every client and namespace seen, pairs full). */
  readonly doneSpans: Set<readonly BaseGroup[]>;
}

export function aggregate(model: MeshModel): Aggregate {
  const outcomes = zero();
  const namespaceMatrix = new Map<string, Record<Outcome, number>>();
  const workloads = model.inventory.workloads;
  const namespaces = new Set<string>(workloads.map((w) => w.namespace));
  for (const e of model.endpoints) namespaces.add(e.service.namespace);
  const withMatrix = namespaces.size <= MAX_MATRIX_NAMESPACES;
  const baseOf = new Map<ClientGroup, BaseGroup>();
  for (const b of model.baseGroups) for (const g of b.groups) baseOf.set(g, b);
  const groups = new Map<string, Building>();
  const allBases = model.baseGroups.length;

  const addClients = (g: Building, client: ClientGroup, base: BaseGroup) => {
    if (g.seen.has(client)) return;
    g.seen.add(client);
    g.clients += client.members.length;
    const n = (g.seenPerBase.get(base) ?? 0) + 1;
    g.seenPerBase.set(base, n);
    if (n === base.groups.length) g.fullBases.add(base);
  };
  const addPair = (g: Building, clientNs: string, serverNs: string) => {
    g.clientNs.add(clientNs);
    // Once truncated, the list is final: a pair is either listed already or one too many.
    if (g.namespacePairsTruncated) return;
    const nsPair = `${clientNs} -> ${serverNs}`;
    if (g.pairSet.has(nsPair)) return;
    if (g.pairSet.size >= MAX_NAMESPACE_PAIRS) {
      g.namespacePairsTruncated = true;
      return;
    }
    g.pairSet.add(nsPair);
    g.namespacePairs.push(nsPair);
  };
  const addCell = (clientNs: string, serverNs: string, outcome: Outcome, count: number) => {
    const nsPair = `${clientNs} -> ${serverNs}`;
    let cell = namespaceMatrix.get(nsPair);
    if (!cell) namespaceMatrix.set(nsPair, cell = zero());
    cell[outcome] += count;
  };

  for (const pair of model.groupPairs()) {
    const { verdict, client, endpoint, count, span } = pair;
    outcomes[verdict.outcome] += count;
    const key = `${verdict.outcome}|${verdict.summary}`;
    let g = groups.get(key);
    if (!g) {
      const e = endpoint.members[0];
      g = {
        outcome: verdict.outcome, summary: verdict.summary, reason: verdict.reason,
        example: `${client.representative.id} -> ${e.workload.id}:${e.port.port}`,
        count: 0, clients: 0, endpoints: 0, namespacePairs: [], clientNamespaces: [], serverNamespaces: [],
        clientNs: new Set(), serverNs: new Set(), pairSet: new Set(), seen: new Set(), endpointIds: new Set(), seenPerBase: new Map(), fullBases: new Set(), doneSpans: new Set(),
      };
      groups.set(key, g);
    }
    g.count += count;
    g.serverNs.add(endpoint.namespace);
    if (!g.endpointIds.has(endpoint.id)) { g.endpointIds.add(endpoint.id); g.endpoints += endpoint.members.length; }
    if (!span) {
      addClients(g, client, baseOf.get(client)!);
      addPair(g, client.namespace, endpoint.namespace);
      if (withMatrix) addCell(client.namespace, endpoint.namespace, verdict.outcome, count);
      continue;
    }
    // Skip the walk when it cannot add anything: every client and namespace seen, pairs full, no
    // matrix. A base group is full only once its clients (and so its namespace) are seen.
    if (!withMatrix && g.namespacePairsTruncated && (g.fullBases.size === allBases || g.doneSpans.has(span.bases))) continue;
    let complete = true;
    for (const base of span.bases) {
      const n = base.size - (span.namedCount.get(base) ?? 0);
      const calls = n * endpoint.members.length - (span.excluded?.get(base) ?? 0);
      if (calls > 0) {
        if (!g.fullBases.has(base)) for (const c of base.groups) if (!span.named.has(c)) addClients(g, c, base);
        addPair(g, base.namespace, endpoint.namespace);
        if (withMatrix) addCell(base.namespace, endpoint.namespace, verdict.outcome, calls);
      }
      complete &&= g.fullBases.has(base) && g.clientNs.has(base.namespace);
    }
    if (complete && g.namespacePairsTruncated) g.doneSpans.add(span.bases);
  }
  const callGroups = [...groups.values()]
    .map(({ clientNs, serverNs, pairSet, seen, seenPerBase, fullBases, endpointIds, ...g }) => ({
      ...g, clientNamespaces: [...clientNs].sort(), serverNamespaces: [...serverNs].sort(),
    }))
    .sort((a, b) => OUTCOMES.indexOf(b.outcome) - OUTCOMES.indexOf(a.outcome) || b.count - a.count);

  type EgressBuilding = EgressGroup & { nsSet: Set<string>; readonly order: number };
  const egress = new Map<string, EgressBuilding>();
  // Verdicts are shared objects: look groups up by target and verdict before building a key.
  const byVerdict = new Map<EgressTarget, Map<EgressVerdict, EgressBuilding>>();
  const targetIndex = new Map(model.egressTargets.map((t, i) => [t, i]));
  let egressRows = 0;
  for (const pair of model.egressPairs()) {
    const { verdict: v, target, count, client } = pair;
    egressRows += count;
    let known = byVerdict.get(target);
    if (!known) byVerdict.set(target, known = new Map());
    let g = known.get(v);
    if (!g) {
      const key = `${target.host}:${target.port}|${v.outcome}|${v.via}|${v.tls}|${v.bypassBlocked}|${v.gatewayBlocked}|${v.summary}`;
      g = egress.get(key);
      if (!g) {
        g = {
          host: target.host, port: target.port, outcome: v.outcome, via: v.via, tls: v.tls, bypassBlocked: v.bypassBlocked,
          gatewayBlocked: v.gatewayBlocked, reason: v.reason,
          example: pair.example.id, clients: 0, namespaces: [], nsSet: new Set(),
          // Listed as if client group by client group, then target by target.
          order: client.id * targetIndex.size + targetIndex.get(target)!,
        };
        egress.set(key, g);
      }
      known.set(v, g);
    }
    g.clients += count;
    for (const ns of pair.namespaces()) g.nsSet.add(ns);
  }
  const egressGroups = [...egress.values()].sort((a, b) => a.order - b.order)
    .map(({ nsSet, order, ...g }) => ({ ...g, namespaces: [...nsSet].sort() }));
  return {
    workloads: workloads.length,
    withSidecar: workloads.filter((w) => w.sidecar).length,
    namespaces: [...namespaces].sort(),
    endpoints: model.endpoints.length,
    calls: model.connectionCount(),
    outcomes,
    namespaceMatrix,
    namespaceMatrixOmitted: !withMatrix,
    callGroups,
    egressRows,
    egressGroups,
    findings: findFindings(model),
  };
}

/** Per namespace: how many workloads, and how many of them run a sidecar. */
export function workloadsPerNamespace(model: MeshModel): Map<string, [number, number]> {
  const perNs = new Map<string, [number, number]>();
  for (const w of model.inventory.workloads) {
    const c = perNs.get(w.namespace) ?? [0, 0];
    c[0]++;
    if (w.sidecar) c[1]++;
    perNs.set(w.namespace, c);
  }
  return perNs;
}
