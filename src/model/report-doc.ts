// The content of the text and Markdown reports, as blocks both renderers lay out.
// Small models get a matrix per namespace pair; large ones (or on request) get groups of alike calls.

import { aggregate, Aggregate, workloadsPerNamespace } from './aggregate';
import { IntentResult } from './intents';
import { MeshModel } from './model';
import { rbacSection } from './rbac-report';
import { Footnotes, num, some } from './table';
import { plural } from './escape';
import { succeeds, ConnectionRow, Finding, NamespaceAssumption, NotApplied, notAppliedText, NotModelled, Outcome, OUTCOMES, refText } from './types';

export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'para'; readonly text: string }
  | { readonly kind: 'table'; readonly rows: string[][] }
  | { readonly kind: 'list'; readonly items: string[] }
  /** A finding: its line, the resources it names, the fix (laid out as `check` prints it). */
  | { readonly kind: 'finding'; readonly lines: FindingLines };

/** How calls are shown. */
export type DetailMode = 'auto' | 'detailed' | 'aggregated';

export interface TextOptions {
  /**
   * `detailed`: a matrix per namespace pair and a row per egress path; `aggregated`: groups of
   * alike calls; `auto` (default): detailed up to 1,000 calls and 80 workloads.
   */
  readonly detail?: DetailMode;
  /** Declared intents, checked: listed with their state after the findings. */
  readonly intents?: readonly IntentResult[];
}

const CODES: Record<Outcome, string> = { mtls: 'M', plaintext: 'P', rejected: 'R', denied: 'D', failed: 'F', blocked: 'B' };
const MAX_MATRIX_NAMESPACES = 30;
const MAX_NAMESPACE_ROWS = 50;
const MAX_EGRESS_ROWS = 200;

export function isDetailed(agg: Aggregate, options: TextOptions): boolean {
  const mode = options.detail ?? 'auto';
  if (mode !== 'auto') return mode === 'detailed';
  return agg.calls <= 1000 && agg.workloads <= 80 && agg.egressRows <= MAX_EGRESS_ROWS;
}

export function buildReport(model: MeshModel, options: TextOptions = {}): Block[] {
  const agg = aggregate(model);
  const detailed = isDetailed(agg, options);
  const { rootNamespace, trustDomain } = model.options;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: 'Istio mesh model' },
    {
      kind: 'para',
      text: `${plural(agg.workloads, 'workload')} (${num(agg.withSidecar)} with a sidecar) in ${plural(agg.namespaces.length, 'namespace')}, `
        + `${plural(agg.endpoints, 'server port')} (a Service port on a workload it selects), ${plural(agg.calls, 'call')}, `
        + `${plural(agg.egressRows, 'egress path')}${ingressCount(model)}. Root namespace ${rootNamespace}, trust domain ${trustDomain}.`,
    },
    { kind: 'para', text: `Calls: ${OUTCOMES.map((o) => `${o} ${num(agg.outcomes[o])}`).join(', ')}.` },
  ];
  if (model.namespaceAssumptions.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: `Namespaces not in the input (${model.namespaceAssumptions.length})` },
      { kind: 'list', items: namespaceLines(model.namespaceAssumptions) });
  }
  findingsSection(agg, blocks);
  if (model.notApplied.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: `Not applied (${model.notApplied.length})` },
      { kind: 'para', text: 'The cluster would refuse these (or they could not be read): the model does not evaluate them, and the calls and paths are reported without them.' },
      { kind: 'list', items: notAppliedLines(model.notApplied) });
  }
  if (options.intents && options.intents.length > 0) {
    const broken = options.intents.filter((i) => i.state !== 'holds').length;
    blocks.push({ kind: 'heading', level: 2, text: `Intents (${options.intents.length}, ${broken} not holding)` },
      { kind: 'list', items: options.intents.map((i) => `${i.state.toUpperCase()} ${i.message}`) });
  }
  if (model.notModelled.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: `Not modelled (${model.notModelled.length})` },
      { kind: 'para', text: 'The input holds these, but the model does not evaluate them: the calls and paths they change are reported as if they were absent.' },
      { kind: 'list', items: inputNoteLines(model.notModelled) });
  }
  workloadsSection(model, agg, detailed, blocks);
  if (detailed) detailedCalls(model, blocks);
  else aggregatedCalls(agg, blocks);
  egressSection(model, agg, detailed, blocks);
  rbacSection(model, blocks);
  ingressSection(model, blocks);
  if (model.warnings.length > 0) {
    blocks.push({ kind: 'heading', level: 2, text: 'Warnings' }, { kind: 'list', items: [...model.warnings] });
  }
  return blocks;
}

/** One line per input not applied: the object (or file), the field, why, who refuses it, where it is. */
export function notAppliedLines(notes: readonly NotApplied[]): string[] {
  return notes.map(notAppliedText);
}

/** A finding as `check` prints it: `rule (count): message`, the resources, the fix. */
export interface FindingLines {
  readonly head: string;
  readonly resources: readonly string[];
  readonly fix: string;
}

export function findingLines(f: Finding): FindingLines {
  return {
    head: `${f.rule} (${num(f.count)}): ${f.message}`,
    resources: f.resources.map((r) => `${refText(r.ref)}${r.ref.manifest ? ` in ${r.ref.manifest}` : ''}: ${r.locations.join(', ')}`),
    fix: `fix: ${f.fix}`,
  };
}

/** One line per assumed or declared namespace. */
export function namespaceLines(assumptions: readonly NamespaceAssumption[]): string[] {
  return assumptions.map((a) => `${a.name}: ${a.how}`);
}

/** A note on some objects of the input (not modelled, not applied): the object, the field, why. */
export interface InputNote {
  readonly ref: NotModelled['ref'];
  readonly field?: string;
  readonly reason: string;
}

const MAX_NOTE_NAMES = 5;

/** One line per kind, field and reason, naming the first objects: `Sidecar shop/a, shop/b (spec.x): why`. */
export function inputNoteLines(notes: readonly InputNote[]): string[] {
  const groups = new Map<string, { kind: string; field?: string; reason: string; names: string[] }>();
  for (const n of notes) {
    const key = `${n.ref.kind}|${n.field ?? ''}|${n.reason}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { kind: n.ref.kind, field: n.field, reason: n.reason, names: [] });
    g.names.push(n.ref.namespace ? `${n.ref.namespace}/${n.ref.name}` : n.ref.name);
  }
  return [...groups.values()].map((g) => `${g.kind} ${some(g.names, MAX_NOTE_NAMES)}${g.field ? ` (${g.field})` : ''}: ${g.reason}`);
}

function findingsSection(agg: Aggregate, blocks: Block[]): void {
  blocks.push({ kind: 'heading', level: 2, text: `Findings (${agg.findings.length})` });
  if (agg.findings.length === 0) {
    blocks.push({ kind: 'para', text: 'None: no configuration the model knows is broken. Expected refusals (e.g. clients without a sidecar calling STRICT servers) are listed with the calls.' });
    return;
  }
  for (const f of agg.findings) blocks.push({ kind: 'finding', lines: findingLines(f) });
}

function workloadsSection(model: MeshModel, agg: Aggregate, detailed: boolean, blocks: Block[]): void {
  blocks.push({ kind: 'heading', level: 2, text: 'Workloads' });
  if (detailed) {
    blocks.push({
      kind: 'table',
      rows: [['WORKLOAD', 'SIDECAR', 'IDENTITY', 'WHY'],
        ...model.workloads().map((w) => [w.id, w.sidecar ? 'yes' : 'no', w.identity, w.sidecarReason])],
    });
    return;
  }
  const perNs = workloadsPerNamespace(model);
  const rows = [...perNs.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  blocks.push({
    kind: 'table',
    rows: [['NAMESPACE', 'WORKLOADS', 'WITH SIDECAR'], ...rows.slice(0, MAX_NAMESPACE_ROWS).map(([ns, [n, s]]) => [ns, num(n), num(s)])],
  });
  if (rows.length > MAX_NAMESPACE_ROWS) blocks.push({ kind: 'para', text: `... and ${plural(rows.length - MAX_NAMESPACE_ROWS, 'more namespace')} (${plural(agg.workloads, 'workload')} in all).` });
}

function endpointLabel(row: ConnectionRow): string {
  const name = row.service.split('/')[1];
  return row.to.endsWith(`/${name}`) ? `${row.to}:${row.port}` : `${row.to}:${row.port} (${name})`;
}

function detailedCalls(model: MeshModel, blocks: Block[]): void {
  blocks.push({ kind: 'heading', level: 2, text: 'Calls' });
  if (model.endpoints.length === 0) {
    blocks.push({ kind: 'para', text: 'No Service selects a workload: there are no calls to predict.' });
    return;
  }
  blocks.push({ kind: 'para', text: 'One matrix per client namespace -> server namespace; rows are clients, columns Service ports of server workloads.' });
  const pairs = new Map<string, { columns: string[]; rows: Map<string, Map<string, string>> }>();
  const notes = new Footnotes();
  let anyConditional = false;
  for (const row of model.connections()) {
    const key = `${row.from.split('/')[0]} -> ${row.service.split('/')[0]}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, pair = { columns: [], rows: new Map() });
    const column = endpointLabel(row);
    if (!pair.columns.includes(column)) pair.columns.push(column);
    let cells = pair.rows.get(row.from);
    if (!cells) pair.rows.set(row.from, cells = new Map());
    // A conditional allow (methods, paths, ...) succeeds for some requests only: marked with a star.
    const conditional = succeeds(row.outcome) && (row.reason.includes('only requests matching') || row.reason.includes('some requests are denied'));
    if (conditional) anyConditional = true;
    cells.set(column, `${row.outcome}${conditional ? '*' : ''} ${notes.ref(row.reason)}`);
  }
  for (const key of [...pairs.keys()].sort()) {
    const { columns, rows } = pairs.get(key)!;
    blocks.push({ kind: 'heading', level: 3, text: key });
    blocks.push({
      kind: 'table',
      rows: [['FROM \\ TO', ...columns], ...[...rows.entries()].map(([from, cells]) => [from, ...columns.map((c) => cells.get(c) ?? '')])],
    });
  }
  if (anyConditional) blocks.push({ kind: 'para', text: '* allowed for some requests only (the rule names methods, paths or other request fields): see the reason.' });
  blocks.push({ kind: 'heading', level: 3, text: 'Why' });
  blocks.push({ kind: 'list', items: notes.entries().map(([id, text]) => `${id} ${text}`) });
}

function aggregatedCalls(agg: Aggregate, blocks: Block[]): void {
  blocks.push({ kind: 'heading', level: 2, text: 'Calls (aggregated)' });
  if (agg.calls === 0) {
    blocks.push({ kind: 'para', text: 'No Service selects a workload: there are no calls to predict.' });
    return;
  }
  const clientNs = [...new Set(agg.callGroups.flatMap((g) => g.clientNamespaces))].sort();
  const serverNs = [...new Set(agg.callGroups.flatMap((g) => g.serverNamespaces))].sort();
  if (!agg.namespaceMatrixOmitted && clientNs.length <= MAX_MATRIX_NAMESPACES && serverNs.length <= MAX_MATRIX_NAMESPACES) {
    blocks.push({ kind: 'para', text: `Outcomes per client namespace (rows) and server namespace (columns): ${OUTCOMES.map((o) => `${CODES[o]}=${o}`).join(', ')}.` });
    blocks.push({
      kind: 'table',
      rows: [['FROM \\ TO', ...serverNs], ...clientNs.map((c) => [c, ...serverNs.map((s) => {
        const cell = agg.namespaceMatrix.get(`${c} -> ${s}`);
        return cell ? OUTCOMES.filter((o) => cell[o] > 0).map((o) => CODES[o]).join('') : '';
      })])],
    });
  } else {
    blocks.push({ kind: 'para', text: `${clientNs.length} client and ${serverNs.length} server namespaces: too many for a matrix; see the groups below.` });
  }
  blocks.push({ kind: 'para', text: `${plural(agg.calls, 'call')} in ${plural(agg.callGroups.length, 'group')} of calls that every policy treats alike.` });
  const notes = new Footnotes();
  blocks.push({
    kind: 'table',
    rows: [['OUTCOME', 'CALLS', 'CLIENTS', 'SERVER PORTS', 'NAMESPACES (client -> server)', 'WHY'],
      ...agg.callGroups.map((g) => [g.outcome, num(g.count), num(g.clients), num(g.endpoints), g.namespacePairsTruncated ? `${g.namespacePairs.slice(0, 2).join(', ')}, +over ${num(g.namespacePairs.length - 2)} more` : some(g.namespacePairs, 2),
        `${g.summary} ${notes.ref(`e.g. ${g.example}: ${g.reason}`)}`])],
  });
  blocks.push({ kind: 'list', items: notes.entries().map(([id, text]) => `${id} ${text}`) });
}

const MAX_INGRESS_ROWS = 200;

/** `, N calls from outside`, when there are any. */
export function ingressCount(model: MeshModel): string {
  const n = model.ingressCalls().length;
  return n === 0 ? '' : `, ${plural(n, 'call from outside', 'calls from outside')}`;
}

/** Calls from outside through ingress gateways: one row per way in and workload (there are few). */
function ingressSection(model: MeshModel, blocks: Block[]): void {
  const rows = model.ingressCalls();
  if (rows.length === 0 && model.ingressAnalysis.gateways.length === 0) return;
  blocks.push({ kind: 'heading', level: 2, text: 'Ingress' });
  if (rows.length === 0) {
    blocks.push({ kind: 'para', text: 'Ingress Gateways, but no VirtualService sends their calls to a Service of the input.' });
    return;
  }
  const notes = new Footnotes();
  const table: string[][] = [['FROM', 'HOST:PORT', 'EDGE TLS', 'GATEWAY', 'TO', 'PORT', 'OUTCOME', 'WHY']];
  for (const r of [...model.ingress()].slice(0, MAX_INGRESS_ROWS)) {
    table.push([r.from, `${r.host}:${r.gatewayPort}`, r.edgeTls, r.gateway, r.to, String(r.port), r.outcome, notes.ref(r.reason)]);
  }
  blocks.push({ kind: 'table', rows: table });
  if (rows.length > MAX_INGRESS_ROWS) blocks.push({ kind: 'para', text: `... and ${num(rows.length - MAX_INGRESS_ROWS)} more (JSON lists them all).` });
  blocks.push({ kind: 'list', items: notes.entries().map(([id, text]) => `${id} ${text}`) });
}

function egressSection(model: MeshModel, agg: Aggregate, detailed: boolean, blocks: Block[]): void {
  blocks.push({ kind: 'heading', level: 2, text: 'Egress' });
  const targets = model.egressTargets;
  if (targets.length === 0) {
    blocks.push({ kind: 'para', text: 'No external hosts (ServiceEntry outside the mesh, or VirtualService to an egress gateway).' });
    return;
  }
  if (agg.egressRows === 0) {
    blocks.push({ kind: 'para', text: `External hosts ${some(targets.map((t) => `${t.host}:${t.port}`), 6)}, but no client workload in the input.` });
    return;
  }
  const notes = new Footnotes();
  if (detailed) {
    const rows: string[][] = [['FROM', 'HOST:PORT', 'OUTCOME', 'VIA', 'TLS', 'BYPASS BLOCKED', 'WHY']];
    for (const r of model.egress()) rows.push([r.from, `${r.host}:${r.port}`, r.outcome, r.via, r.tls, r.bypassBlocked ? 'yes' : 'no', notes.ref(r.reason)]);
    blocks.push({ kind: 'table', rows });
  } else {
    blocks.push({
      kind: 'table',
      rows: [['HOST:PORT', 'OUTCOME', 'VIA', 'TLS', 'BYPASS BLOCKED', 'CLIENTS', 'NAMESPACES', 'WHY'],
        ...agg.egressGroups.map((g) => [`${g.host}:${g.port}`, g.outcome, g.via, g.tls, g.bypassBlocked ? 'yes' : 'no', num(g.clients),
          some(g.namespaces, 3), notes.ref(`e.g. ${g.example}: ${g.reason}`)])],
    });
  }
  blocks.push({ kind: 'list', items: notes.entries().map(([id, text]) => `${id} ${text}`) });
}
