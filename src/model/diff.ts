// What a change to the manifests does to the mesh: the calls and egress paths whose outcome or
// reason changes, workloads and Service ports added and removed, findings added and resolved.
//
// Compares groups, not rows. A call's verdict in one model depends only on its client group and
// endpoint group there, so calls whose (client group before, client group after) and (endpoint
// group before, endpoint group after) agree are decided alike by both versions. Per joint
// endpoint class, the clients either model tells apart (`distinguishedClients`) are compared one
// joint client class at a time; every other client is in one of a few classes by sidecar state,
// compared once. Egress works the same way per target with `namespacesThatMatter`. So a diff
// costs about what the aggregated report of both versions costs, not clients x endpoints.

import { EgressVerdict } from './egress';
import { findFindings } from './findings';
import { ClientGroup, Endpoint, EndpointGroup } from './groups';
import { MeshModel, selfCallVerdict } from './model';
import { WorkloadInfo } from './resources';
import { Finding, Outcome, refText, succeeds } from './types';
import { Verdict } from './verdict';

/**
 * How a change matters. `exposure`: something refused now succeeds, mTLS becomes plaintext, a path
 * through the egress gateway becomes direct, a bypass is no longer blocked, egress TLS is lost;
 * `breakage`: something that succeeded now fails (rejected, denied, failed, blocked, ...);
 * `other`: the rest (reasons, additions and removals, better security).
 */
export type ChangeClass = 'exposure' | 'breakage' | 'other';

export const CHANGE_CLASSES: readonly ChangeClass[] = ['exposure', 'breakage', 'other'];

/** Whether a row exists in both versions, or only after (`added`) or before (`removed`). */
export type ChangeKind = 'changed' | 'added' | 'removed';

/** One version of a call. */
export interface CallState {
  readonly outcome: Outcome;
  /** The reason without object names: calls with one summary are alike. */
  readonly summary: string;
  /** The reason of the group's example call. */
  readonly reason: string;
}

/** Calls that changed alike: one outcome and summary before, one after. */
export interface CallChange {
  readonly class: ChangeClass;
  readonly kind: ChangeKind;
  readonly before?: CallState;
  readonly after?: CallState;
  /** Whether the outcome changed, not only the reason. */
  readonly outcomeChanged: boolean;
  /** An example call, `client -> server:port`. */
  readonly example: string;
  readonly calls: number;
  /** Distinct client workloads. */
  readonly clients: number;
  /** Distinct Service ports on server workloads. */
  readonly serverPorts: number;
  /** `client ns -> server ns`, in order of first appearance (at most MAX_LISTED). */
  readonly namespacePairs: readonly string[];
  readonly namespacePairsTruncated: boolean;
}

/** One changed call (listed when both versions are small). */
export interface CallChangeRow {
  readonly from: string;
  readonly to: string;
  readonly service: string;
  readonly port: number;
  readonly class: ChangeClass;
  readonly before?: { readonly outcome: Outcome; readonly reason: string };
  readonly after?: { readonly outcome: Outcome; readonly reason: string };
}

/** The fields of an egress path but its reason: via, tls, bypassBlocked, and any the model adds. */
export type EgressFields = { readonly [field: string]: string | number | boolean };

/** One version of an egress path. */
export interface EgressState {
  readonly fields: EgressFields;
  readonly summary: string;
  readonly reason: string;
}

/** Egress paths that changed alike. */
export interface EgressChange {
  readonly class: ChangeClass;
  readonly kind: ChangeKind;
  readonly before?: EgressState;
  readonly after?: EgressState;
  /** Fields whose value changed (empty: only the reason did, or the path was added or removed). */
  readonly changedFields: readonly string[];
  /** An example path, `client -> host:port`. */
  readonly example: string;
  /** Paths (one client to one host:port each). */
  readonly paths: number;
  /** `host:port`s, in order of first appearance (at most MAX_LISTED). */
  readonly hosts: readonly string[];
  readonly hostsTruncated: boolean;
  /** Client namespaces (at most MAX_LISTED). */
  readonly namespaces: readonly string[];
  readonly namespacesTruncated: boolean;
}

/** One changed egress path (listed when both versions are small). */
export interface EgressChangeRow {
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly class: ChangeClass;
  readonly changedFields: readonly string[];
  readonly before?: { readonly fields: EgressFields; readonly reason: string };
  readonly after?: { readonly fields: EgressFields; readonly reason: string };
}

/** A workload added, removed, or whose sidecar or identity changed. */
export interface WorkloadChange {
  readonly id: string;
  readonly kind: ChangeKind;
  readonly before?: { readonly sidecar: boolean; readonly identity: string };
  readonly after?: { readonly sidecar: boolean; readonly identity: string };
}

/** Sizes of one version. */
export interface DiffSide {
  readonly workloads: number;
  readonly calls: number;
  readonly egressPaths: number;
  readonly findings: number;
}

/** Calls and egress paths per class. */
export interface ClassCount {
  readonly calls: number;
  readonly egressPaths: number;
  /** Groups of calls and of egress paths. */
  readonly groups: number;
}

export interface MeshDiff {
  readonly before: DiffSide;
  readonly after: DiffSide;
  /** Groups of changed calls: exposures first, then breakages, then the rest; most calls first. */
  readonly calls: readonly CallChange[];
  /** Every changed call, when both versions have at most ROW_LIMIT calls (else undefined). */
  readonly callRows?: readonly CallChangeRow[];
  readonly egress: readonly EgressChange[];
  readonly egressRows?: readonly EgressChangeRow[];
  readonly workloads: readonly WorkloadChange[];
  /** `ns/service:port` added and removed. */
  readonly servicePorts: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly findings: { readonly added: readonly Finding[]; readonly resolved: readonly Finding[] };
  readonly counts: Readonly<Record<ChangeClass, ClassCount>>;
  /** Whether anything differs at all. */
  readonly hasChanges: boolean;
}

/** Longest lists of namespaces and hosts in a group. */
export const MAX_LISTED = 100;
/** Up to this many rows (clients x endpoints, or clients x egress targets, of both versions together), changed rows are listed. */
export const ROW_LIMIT = 100_000;

/** The class of a call that goes from `before` to `after` (undefined: the call does not exist). */
export function classifyCall(before: Outcome | undefined, after: Outcome | undefined): ChangeClass {
  if (before === undefined || after === undefined) return 'other';
  if (!succeeds(before) && succeeds(after)) return 'exposure';
  if (succeeds(before) && !succeeds(after)) return 'breakage';
  if (before === 'mtls' && after === 'plaintext') return 'exposure';
  return 'other';
}

/** Egress outcomes (where the model gives paths one) that mean the path does not get through. */
const FAILING_EGRESS = new Set(['denied', 'rejected', 'failed', 'blocked']);

/** Whether the client reaches the host along this path, or by bypassing it. */
export function egressReaches(fields: EgressFields): boolean {
  if (fields.bypassBlocked === false) return true;
  if (typeof fields.outcome === 'string') return !FAILING_EGRESS.has(fields.outcome);
  return fields.via === 'egress-gateway' && fields.gatewayBlocked !== true;
}

const egressFails = (v: unknown) => typeof v === 'string' && FAILING_EGRESS.has(v);

/** Field rules: what a change of one field means (unknown fields are `other`). */
const EGRESS_FIELD_CLASS: { readonly [field: string]: (b: unknown, a: unknown) => ChangeClass | undefined } = {
  via: (b, a) => (b === 'egress-gateway' && a === 'direct' ? 'exposure' : undefined),
  tls: (b, a) => (b !== 'none' && a === 'none' ? 'exposure' : undefined),
  bypassBlocked: (b, a) => (b === true && a === false ? 'exposure' : undefined),
  outcome: (b, a) => (!egressFails(b) && egressFails(a) ? 'breakage' : egressFails(b) && !egressFails(a) ? 'exposure' : undefined),
  gatewayBlocked: (b, a) => (b === false && a === true ? 'breakage' : undefined),
};

/** The class of an egress path that goes from `before` to `after`. */
export function classifyEgress(before: EgressFields | undefined, after: EgressFields | undefined): ChangeClass {
  if (!before || !after) return 'other';
  const classes = new Set<ChangeClass>();
  const [b, a] = [egressReaches(before), egressReaches(after)];
  if (!b && a) classes.add('exposure');
  if (b && !a) classes.add('breakage');
  for (const field of changedFields(before, after)) {
    const c = EGRESS_FIELD_CLASS[field]?.(before[field], after[field]);
    if (c) classes.add(c);
  }
  return classes.has('exposure') ? 'exposure' : classes.has('breakage') ? 'breakage' : 'other';
}

function changedFields(before: EgressFields | undefined, after: EgressFields | undefined): string[] {
  if (!before || !after) return [];
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((f) => before[f] !== after[f]);
}

/** The fields of an egress verdict that describe the path: every primitive one but reason and summary. */
export function egressFields(v: EgressVerdict): EgressFields {
  const fields: { [field: string]: string | number | boolean } = {};
  for (const [k, value] of Object.entries(v)) {
    if (k === 'reason' || k === 'summary') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[k] = value;
  }
  return fields;
}

// ---- calls ---------------------------------------------------------------------------------

/** Clients that are in one client group before and one after (or absent from a version). */
interface JointClient {
  readonly a?: ClientGroup;
  readonly b?: ClientGroup;
  readonly namespace: string;
  size: number;
  readonly example: string;
  combo?: Combo;
}

/** Joint clients alike by sidecar state (or absence) and network class in both versions. */
interface Combo {
  readonly id: number;
  readonly members: JointClient[];
  size: number;
  readonly sizeByNs: Map<string, number>;
}

/** Endpoints that are in one endpoint group before and one after (or absent from a version). */
interface JointEndpoint {
  readonly id: number;
  readonly a?: EndpointGroup;
  readonly b?: EndpointGroup;
  readonly namespace: string;
  size: number;
  readonly example: Endpoint;
}

interface CallBuilding {
  readonly change: Omit<CallChange, 'calls' | 'clients' | 'serverPorts' | 'namespacePairsTruncated'>;
  calls: number;
  readonly singles: Set<JointClient>;
  /** Per combo walked as a whole: the joint clients every such walk left out. */
  readonly excluded: Map<Combo, Set<JointClient>>;
  readonly endpoints: Set<JointEndpoint>;
  /** Joint endpoints only some of whose endpoints are in the group (around pods' calls to themselves): the endpoints' keys. */
  readonly partial: Map<JointEndpoint, Set<string>>;
  readonly pairSet: Set<string>;
  readonly walked: Set<string>;
  truncated: boolean;
}

function state(v: Verdict | undefined): CallState | undefined {
  return v && { outcome: v.outcome, summary: v.summary, reason: v.reason };
}

function sameCall(a: Verdict | undefined, b: Verdict | undefined): boolean {
  if (!a || !b) return a === b;
  return a === b || (a.outcome === b.outcome && a.reason === b.reason);
}

function kindOf(a: unknown, b: unknown): ChangeKind {
  return a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
}

function endpointKey(e: Endpoint): string {
  return `${e.workload.id}|${e.service.namespace}/${e.service.name}|${e.port.port}`;
}

function endpointLabel(e: Endpoint): string {
  return e.workload.name === e.service.name ? `${e.workload.id}:${e.port.port}` : `${e.workload.id}:${e.port.port} (${e.service.name})`;
}

/** Workloads of both versions by id: [before, after]. */
function jointWorkloads(before: MeshModel, after: MeshModel): Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]> {
  const byId = new Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>();
  for (const w of before.inventory.workloads) byId.set(w.id, [w, undefined]);
  for (const w of after.inventory.workloads) {
    const pair = byId.get(w.id);
    if (pair) pair[1] = w;
    else byId.set(w.id, [undefined, w]);
  }
  return byId;
}

function jointClients(before: MeshModel, after: MeshModel,
  workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>,
  group: (m: MeshModel, w: WorkloadInfo) => ClientGroup) {
  const byKey = new Map<string, JointClient>();
  const ofA = new Map<ClientGroup, JointClient[]>();
  const ofB = new Map<ClientGroup, JointClient[]>();
  const byWorkload = new Map<string, JointClient>();
  for (const [id, [wa, wb]] of workloads) {
    const a = wa && group(before, wa);
    const b = wb && group(after, wb);
    const key = `${a?.id ?? '-'}|${b?.id ?? '-'}`;
    let jc = byKey.get(key);
    if (!jc) {
      byKey.set(key, jc = { a, b, namespace: (wa ?? wb)!.namespace, size: 0, example: id });
      if (a) push(ofA, a, jc);
      if (b) push(ofB, b, jc);
    }
    jc.size++;
    byWorkload.set(id, jc);
  }
  return { clients: [...byKey.values()], ofA, ofB, byWorkload };
}

function combos(clients: readonly JointClient[], keyOf: (jc: JointClient) => string): Combo[] {
  const byKey = new Map<string, Combo>();
  for (const jc of clients) {
    const key = keyOf(jc);
    let c = byKey.get(key);
    if (!c) byKey.set(key, c = { id: byKey.size, members: [], size: 0, sizeByNs: new Map() });
    c.members.push(jc);
    c.size += jc.size;
    c.sizeByNs.set(jc.namespace, (c.sizeByNs.get(jc.namespace) ?? 0) + jc.size);
    jc.combo = c;
  }
  return [...byKey.values()];
}

function sidecarState(g: ClientGroup | undefined): string {
  return g === undefined ? '-' : g.facts.sidecar ? 's' : 'n';
}

function diffCalls(before: MeshModel, after: MeshModel, workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>): CallChange[] {
  const { clients, ofA, ofB, byWorkload } = jointClients(before, after, workloads, (m, w) => m.clientGroupFor(w));
  const allCombos = combos(clients, (jc) => `${sidecarState(jc.a)}${jc.a ? before.netClassOf(jc.a) : ''}|${sidecarState(jc.b)}${jc.b ? after.netClassOf(jc.b) : ''}`);

  const endpoints = new Map<string, [Endpoint | undefined, Endpoint | undefined]>();
  for (const e of before.endpoints) endpoints.set(endpointKey(e), [e, undefined]);
  for (const e of after.endpoints) {
    const k = endpointKey(e);
    const pair = endpoints.get(k);
    if (pair) pair[1] = e;
    else endpoints.set(k, [undefined, e]);
  }
  const jointEndpoints = new Map<string, JointEndpoint>();
  const membersOf = new Map<JointEndpoint, string[]>();
  const selfCalls = new Map<JointEndpoint, Array<{ jc: JointClient; key: string; ea?: Endpoint; eb?: Endpoint }>>();
  for (const [ea, eb] of endpoints.values()) {
    const key = `${ea?.group.id ?? '-'}|${eb?.group.id ?? '-'}`;
    let je = jointEndpoints.get(key);
    if (!je) {
      const example = (ea ?? eb)!;
      jointEndpoints.set(key, je = { id: jointEndpoints.size, a: ea?.group, b: eb?.group, namespace: example.service.namespace, size: 0, example });
    }
    je.size++;
    // A pod calling its own address through a headless Service takes the loopback path (MeshModel
    // selfCallVerdict): such a pod is a client group of its own, decided apart for that endpoint.
    if (ea?.service.headless || eb?.service.headless) {
      push(membersOf, je, endpointKey((ea ?? eb)!));
      const jc = byWorkload.get((ea ?? eb)!.workload.id)!;
      push(selfCalls, je, { jc, key: endpointKey((ea ?? eb)!), ea, eb });
    }
  }

  const groups = new Map<string, CallBuilding>();
  const record = (jc: JointClient, je: JointEndpoint, va: Verdict | undefined, vb: Verdict | undefined,
    count: number, specials?: Set<JointClient>, combo?: Combo, only?: readonly string[]) => {
    const key = `${va?.outcome ?? '-'}|${va?.summary ?? ''}|${vb?.outcome ?? '-'}|${vb?.summary ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, g = {
        change: {
          class: classifyCall(va?.outcome, vb?.outcome), kind: kindOf(va, vb), before: state(va), after: state(vb),
          outcomeChanged: va?.outcome !== vb?.outcome, example: `${jc.example} -> ${endpointLabel(je.example)}`, namespacePairs: [],
        },
        calls: 0, singles: new Set(), excluded: new Map(), endpoints: new Set(), partial: new Map(), pairSet: new Set(), walked: new Set(), truncated: false,
      });
    }
    g.calls += count;
    if (!only) g.endpoints.add(je);
    else if (!g.endpoints.has(je)) {
      let keys = g.partial.get(je);
      if (!keys) g.partial.set(je, keys = new Set());
      for (const k of only) keys.add(k);
    }
    if (!combo) {
      g.singles.add(jc);
      addPair(g, `${jc.namespace} -> ${je.namespace}`);
      return;
    }
    const left = [...specials!].filter((s) => s.combo === combo);
    const excluded = g.excluded.get(combo);
    if (!excluded) g.excluded.set(combo, new Set(left));
    else for (const s of excluded) if (!specials!.has(s)) excluded.delete(s);
    if (g.truncated) return;
    // Namespaces all of whose members in the combo were compared one by one are not in this piece.
    const leftPerNs = new Map<string, number>();
    for (const s of left) leftPerNs.set(s.namespace, (leftPerNs.get(s.namespace) ?? 0) + s.size);
    const gone = [...leftPerNs].filter(([ns, n]) => n === combo.sizeByNs.get(ns)).map(([ns]) => ns).sort();
    const walk = `${combo.id}|${je.namespace}|${gone.join(',')}`;
    if (g.walked.has(walk)) return;
    g.walked.add(walk);
    for (const ns of combo.sizeByNs.keys()) {
      if (gone.length > 0 && gone.includes(ns)) continue;
      addPair(g, `${ns} -> ${je.namespace}`);
      if (g.truncated) return;
    }
  };

  for (const je of jointEndpoints.values()) {
    const specials = new Set<JointClient>();
    if (je.a) for (const g of before.distinguishedClients(je.a)) for (const jc of ofA.get(g) ?? []) specials.add(jc);
    if (je.b) for (const g of after.distinguishedClients(je.b)) for (const jc of ofB.get(g) ?? []) specials.add(jc);
    const verdicts = (jc: JointClient): [Verdict | undefined, Verdict | undefined] => [
      jc.a && je.a ? before.verdict(jc.a, je.a) : undefined,
      jc.b && je.b ? after.verdict(jc.b, je.b) : undefined,
    ];
    const selves = selfCalls.get(je) ?? [];
    for (const s of selves) specials.add(s.jc);
    const specialSize = new Map<Combo, number>();
    for (const jc of specials) {
      specialSize.set(jc.combo!, (specialSize.get(jc.combo!) ?? 0) + jc.size);
      const own = selves.filter((s) => s.jc === jc);
      const [va, vb] = verdicts(jc);
      if (!sameCall(va, vb) && jc.size * je.size > own.length) {
        // A self-calling pod (a joint client of its own) reaches the joint endpoint's other endpoints the usual way.
        const others = own.length === 0 ? undefined : (membersOf.get(je) ?? []).filter((k) => !own.some((s) => s.key === k));
        record(jc, je, va, vb, jc.size * je.size - own.length, undefined, undefined, others);
      }
      for (const s of own) {
        const sa = s.ea && callVerdict(before, s.ea.workload, s.ea);
        const sb = s.eb && callVerdict(after, s.eb.workload, s.eb);
        if (!sameCall(sa, sb)) record(jc, je, sa, sb, 1, undefined, undefined, [s.key]);
      }
    }
    for (const combo of allCombos) {
      const rest = combo.size - (specialSize.get(combo) ?? 0);
      if (rest === 0) continue;
      const representative = combo.members.find((jc) => !specials.has(jc))!;
      const [va, vb] = verdicts(representative);
      if (!sameCall(va, vb)) record(representative, je, va, vb, rest * je.size, specials, combo);
    }
  }

  return [...groups.values()].map((g) => {
    let clientCount = 0;
    for (const [combo, excluded] of g.excluded) {
      clientCount += combo.size;
      for (const jc of excluded) clientCount -= jc.size;
    }
    // A single joint client counts unless a walk of its combo counted it already.
    for (const jc of g.singles) {
      const ex = g.excluded.get(jc.combo!);
      if (!ex || ex.has(jc)) clientCount += jc.size;
    }
    let serverPorts = 0;
    for (const je of g.endpoints) serverPorts += je.size;
    for (const [je, keys] of g.partial) if (!g.endpoints.has(je)) serverPorts += keys.size;
    return { ...g.change, calls: g.calls, clients: clientCount, serverPorts, namespacePairsTruncated: g.truncated };
  }).sort(byClassThen((c) => c.calls));
}

function addPair(g: { change: { namespacePairs: readonly string[] }; pairSet: Set<string>; truncated: boolean }, pair: string): void {
  if (g.pairSet.has(pair)) return;
  if (g.pairSet.size >= MAX_LISTED) {
    g.truncated = true;
    return;
  }
  g.pairSet.add(pair);
  (g.change.namespacePairs as string[]).push(pair);
}

function byClassThen<T extends { class: ChangeClass; kind: ChangeKind }>(size: (t: T) => number): (a: T, b: T) => number {
  const kinds: ChangeKind[] = ['changed', 'added', 'removed'];
  return (a, b) => CHANGE_CLASSES.indexOf(a.class) - CHANGE_CLASSES.indexOf(b.class)
    || kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || size(b) - size(a);
}

/** The verdict of one call, a pod's call to its own address through a headless Service included. */
function callVerdict(m: MeshModel, w: WorkloadInfo, e: Endpoint): Verdict {
  return w === e.workload && e.service.headless ? selfCallVerdict(e.group) : m.verdict(m.clientGroupFor(w), e.group);
}

/** Every changed call, one by one: clients x endpoints of both versions. */
function callRows(before: MeshModel, after: MeshModel, workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>): CallChangeRow[] {
  const endpoints = new Map<string, [Endpoint | undefined, Endpoint | undefined]>();
  for (const e of before.endpoints) endpoints.set(endpointKey(e), [e, undefined]);
  for (const e of after.endpoints) {
    const pair = endpoints.get(endpointKey(e));
    if (pair) pair[1] = e;
    else endpoints.set(endpointKey(e), [undefined, e]);
  }
  const rows: CallChangeRow[] = [];
  for (const [from, [wa, wb]] of [...workloads].sort(([x], [y]) => (x < y ? -1 : 1))) {
    for (const [ea, eb] of endpoints.values()) {
      const va = wa && ea ? callVerdict(before, wa, ea) : undefined;
      const vb = wb && eb ? callVerdict(after, wb, eb) : undefined;
      if (sameCall(va, vb)) continue;
      const e = (ea ?? eb)!;
      rows.push({
        from, to: e.workload.id, service: `${e.service.namespace}/${e.service.name}`, port: e.port.port,
        class: classifyCall(va?.outcome, vb?.outcome),
        before: va && { outcome: va.outcome, reason: va.reason }, after: vb && { outcome: vb.outcome, reason: vb.reason },
      });
    }
  }
  return rows.sort((a, b) => CHANGE_CLASSES.indexOf(a.class) - CHANGE_CLASSES.indexOf(b.class)
    || cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.service, b.service) || a.port - b.port);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- egress --------------------------------------------------------------------------------

interface JointEgressClient extends JointClient {
  readonly members: Array<[WorkloadInfo | undefined, WorkloadInfo | undefined]>;
}

interface EgressBuilding {
  readonly change: Omit<EgressChange, 'paths' | 'hostsTruncated' | 'namespacesTruncated'>;
  paths: number;
  readonly hostSet: Set<string>;
  readonly nsSet: Set<string>;
  hostsTruncated: boolean;
  namespacesTruncated: boolean;
}

function sameEgress(a: EgressVerdict | undefined, b: EgressVerdict | undefined): boolean {
  if (!a || !b) return a === b;
  if (a === b) return true;
  if (a.reason !== b.reason) return false;
  return changedFields(egressFields(a), egressFields(b)).length === 0;
}

function egressState(v: EgressVerdict | undefined): EgressState | undefined {
  return v && { fields: egressFields(v), summary: v.summary, reason: v.reason };
}

function diffEgress(before: MeshModel, after: MeshModel, workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>): EgressChange[] {
  const byKey = new Map<string, JointEgressClient>();
  for (const [id, [wa, wb]] of workloads) {
    const a = wa && before.egressGroupFor(wa);
    const b = wb && after.egressGroupFor(wb);
    const key = `${a?.id ?? '-'}|${b?.id ?? '-'}`;
    let jc = byKey.get(key);
    if (!jc) byKey.set(key, jc = { a, b, namespace: (wa ?? wb)!.namespace, size: 0, example: id, members: [] });
    jc.size++;
    jc.members.push([wa, wb]);
  }
  const clients = [...byKey.values()];
  const classes = combos(clients, (jc) => `${jc.a ? before.egressClassOf(jc.a) : '-'}|${jc.b ? after.egressClassOf(jc.b) : '-'}`);
  const byNs = new Map<string, JointEgressClient[]>();
  for (const jc of clients) push(byNs, jc.namespace, jc);

  const targets = new Map<string, [number | undefined, number | undefined]>();
  before.egressTargets.forEach((t, i) => targets.set(`${t.host}:${t.port}`, [i, undefined]));
  after.egressTargets.forEach((t, i) => {
    const k = `${t.host}:${t.port}`;
    const pair = targets.get(k);
    if (pair) pair[1] = i;
    else targets.set(k, [undefined, i]);
  });

  const groups = new Map<string, EgressBuilding>();
  const record = (example: string, hostPort: string, va: EgressVerdict | undefined, vb: EgressVerdict | undefined,
    count: number, namespaces: Iterable<string>) => {
    const fa = va && egressFields(va);
    const fb = vb && egressFields(vb);
    const key = `${JSON.stringify(fa)}|${va?.summary ?? ''}|${JSON.stringify(fb)}|${vb?.summary ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, g = {
        change: {
          class: classifyEgress(fa, fb), kind: kindOf(va, vb), before: egressState(va), after: egressState(vb),
          changedFields: changedFields(fa, fb), example: `${example} -> ${hostPort}`, hosts: [], namespaces: [],
        },
        paths: 0, hostSet: new Set(), nsSet: new Set(), hostsTruncated: false, namespacesTruncated: false,
      });
    }
    g.paths += count;
    if (!g.hostSet.has(hostPort)) {
      if (g.hostSet.size >= MAX_LISTED) g.hostsTruncated = true;
      else { g.hostSet.add(hostPort); (g.change.hosts as string[]).push(hostPort); }
    }
    if (g.namespacesTruncated) return;
    for (const ns of namespaces) {
      if (g.nsSet.has(ns)) continue;
      if (g.nsSet.size >= MAX_LISTED) { g.namespacesTruncated = true; return; }
      g.nsSet.add(ns);
    }
  };

  for (const [hostPort, [ia, ib]] of targets) {
    const ta = ia === undefined ? undefined : before.egressTargets[ia];
    const tb = ib === undefined ? undefined : after.egressTargets[ib];
    const verdicts = (jc: JointClient, inA = true, inB = true): [EgressVerdict | undefined, EgressVerdict | undefined] => [
      jc.a && ia !== undefined && inA ? before.egressVerdict(jc.a, ia) : undefined,
      jc.b && ib !== undefined && inB ? after.egressVerdict(jc.b, ib) : undefined,
    ];
    if ((ta?.pods.length ?? 0) > 0 || (tb?.pods.length ?? 0) > 0) {
      // A cluster Service outside the mesh: its own pods have no path to it, member by member.
      for (const jc of clients) {
        const counts = new Map<string, { n: number; example: string; inA: boolean; inB: boolean }>();
        for (const [wa, wb] of jc.members) {
          const inA = !!wa && !ta?.pods.includes(wa);
          const inB = !!wb && !tb?.pods.includes(wb);
          const k = `${inA}|${inB}`;
          const c = counts.get(k);
          if (c) c.n++;
          else counts.set(k, { n: 1, example: (wa ?? wb)!.id, inA, inB });
        }
        for (const { n, example, inA, inB } of counts.values()) {
          const [va, vb] = verdicts(jc, inA, inB);
          if (!sameEgress(va, vb)) record(example, hostPort, va, vb, n, [jc.namespace]);
        }
      }
      continue;
    }
    const relevant = new Set<string>([
      ...(ia === undefined ? [] : before.egressAnalysis.namespacesThatMatter(ia)),
      ...(ib === undefined ? [] : after.egressAnalysis.namespacesThatMatter(ib)),
    ]);
    for (const ns of relevant) {
      for (const jc of byNs.get(ns) ?? []) {
        const [va, vb] = verdicts(jc);
        if (!sameEgress(va, vb)) record(jc.example, hostPort, va, vb, jc.size, [ns]);
      }
    }
    for (const cls of classes) {
      let rest = cls.size;
      for (const ns of relevant) rest -= cls.sizeByNs.get(ns) ?? 0;
      if (rest === 0) continue;
      const representative = cls.members.find((jc) => !relevant.has(jc.namespace))!;
      const [va, vb] = verdicts(representative);
      if (!sameEgress(va, vb)) {
        record(representative.example, hostPort, va, vb, rest, [...cls.sizeByNs.keys()].filter((ns) => !relevant.has(ns)));
      }
    }
  }
  return [...groups.values()].map((g) => ({
    ...g.change, paths: g.paths, hostsTruncated: g.hostsTruncated,
    namespaces: [...g.nsSet].sort(), namespacesTruncated: g.namespacesTruncated,
  })).sort(byClassThen((c) => c.paths));
}

function egressRows(before: MeshModel, after: MeshModel, workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>): EgressChangeRow[] {
  const targets = new Map<string, [number | undefined, number | undefined]>();
  before.egressTargets.forEach((t, i) => targets.set(`${t.host}:${t.port}`, [i, undefined]));
  after.egressTargets.forEach((t, i) => {
    const pair = targets.get(`${t.host}:${t.port}`);
    if (pair) pair[1] = i;
    else targets.set(`${t.host}:${t.port}`, [undefined, i]);
  });
  const rows: EgressChangeRow[] = [];
  for (const [from, [wa, wb]] of [...workloads].sort(([x], [y]) => (x < y ? -1 : 1))) {
    for (const [ia, ib] of targets.values()) {
      const ta = ia === undefined ? undefined : before.egressTargets[ia];
      const tb = ib === undefined ? undefined : after.egressTargets[ib];
      const va = wa && ta && !ta.pods.includes(wa) ? before.egressVerdict(before.egressGroupFor(wa), ia!) : undefined;
      const vb = wb && tb && !tb.pods.includes(wb) ? after.egressVerdict(after.egressGroupFor(wb), ib!) : undefined;
      if (sameEgress(va, vb)) continue;
      const t = (ta ?? tb)!;
      const fa = va && egressFields(va);
      const fb = vb && egressFields(vb);
      rows.push({
        from, host: t.host, port: t.port, class: classifyEgress(fa, fb), changedFields: changedFields(fa, fb),
        before: va && { fields: fa!, reason: va.reason }, after: vb && { fields: fb!, reason: vb.reason },
      });
    }
  }
  return rows.sort((a, b) => CHANGE_CLASSES.indexOf(a.class) - CHANGE_CLASSES.indexOf(b.class)
    || cmp(a.from, b.from) || cmp(a.host, b.host) || a.port - b.port);
}

// ---- the rest ------------------------------------------------------------------------------

function workloadChanges(workloads: Map<string, [WorkloadInfo | undefined, WorkloadInfo | undefined]>): WorkloadChange[] {
  const changes: WorkloadChange[] = [];
  for (const [id, [wa, wb]] of workloads) {
    if (wa && wb && wa.sidecar === wb.sidecar && wa.identity === wb.identity) continue;
    changes.push({
      id, kind: kindOf(wa, wb),
      before: wa && { sidecar: wa.sidecar, identity: wa.identity }, after: wb && { sidecar: wb.sidecar, identity: wb.identity },
    });
  }
  const kinds: ChangeKind[] = ['added', 'removed', 'changed'];
  return changes.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || cmp(a.id, b.id));
}

function servicePorts(model: MeshModel): Set<string> {
  const ports = new Set<string>();
  for (const s of model.inventory.services) for (const p of s.ports) ports.add(`${s.namespace}/${s.name}:${p.port}`);
  return ports;
}

function findingKey(f: Finding): string {
  return f.key ?? `${f.rule}|${f.resources.map((r) => `${refText(r.ref)} ${r.locations.join(',')}`).join('|')}`;
}

function countOf(calls: readonly CallChange[], egress: readonly EgressChange[], cls: ChangeClass): ClassCount {
  const c = calls.filter((g) => g.class === cls);
  const e = egress.filter((g) => g.class === cls);
  return { calls: sum(c.map((g) => g.calls)), egressPaths: sum(e.map((g) => g.paths)), groups: c.length + e.length };
}

function sum(values: readonly number[]): number {
  return values.reduce((n, v) => n + v, 0);
}

/** What changes from `before` to `after`. */
export function diffModels(before: MeshModel, after: MeshModel): MeshDiff {
  const workloads = jointWorkloads(before, after);
  const calls = diffCalls(before, after, workloads);
  const egress = diffEgress(before, after, workloads);
  const rowsA = before.inventory.workloads.length;
  const rowsB = after.inventory.workloads.length;
  const small = (a: number, b: number) => workloads.size * (a + b) <= ROW_LIMIT;
  const findingsA = findFindings(before);
  const findingsB = findFindings(after);
  const keysA = new Set(findingsA.map(findingKey));
  const keysB = new Set(findingsB.map(findingKey));
  const portsA = servicePorts(before);
  const portsB = servicePorts(after);
  const changes = workloadChanges(workloads);
  const servicePortsDiff = {
    added: [...portsB].filter((p) => !portsA.has(p)).sort(),
    removed: [...portsA].filter((p) => !portsB.has(p)).sort(),
  };
  const findings = {
    added: findingsB.filter((f) => !keysA.has(findingKey(f))),
    resolved: findingsA.filter((f) => !keysB.has(findingKey(f))),
  };
  const counts = Object.fromEntries(CHANGE_CLASSES.map((c) => [c, countOf(calls, egress, c)])) as Record<ChangeClass, ClassCount>;
  return {
    before: { workloads: rowsA, calls: before.connectionCount(), egressPaths: before.egressCount(), findings: findingsA.length },
    after: { workloads: rowsB, calls: after.connectionCount(), egressPaths: after.egressCount(), findings: findingsB.length },
    calls,
    callRows: small(before.endpoints.length, after.endpoints.length) ? callRows(before, after, workloads) : undefined,
    egress,
    egressRows: small(before.egressTargets.length, after.egressTargets.length) ? egressRows(before, after, workloads) : undefined,
    workloads: changes,
    servicePorts: servicePortsDiff,
    findings,
    counts,
    hasChanges: calls.length + egress.length + changes.length + servicePortsDiff.added.length + servicePortsDiff.removed.length
      + findings.added.length + findings.resolved.length > 0,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
