// The SVG picture: Graphviz (dot, compiled to WebAssembly by @viz-js/viz). It shows what works:
// the calls that succeed (solid green over mTLS, thick dashed orange in plaintext) and the egress
// paths that get out (through the egress gateway, or direct), with refusals counted in the legend
// rather than drawn. Where a graph would be unreadable it draws a call matrix instead; above a
// size, namespaces instead of workloads (and says so), then groups of alike calls.

import { aggregate, Aggregate, workloadsPerNamespace } from './aggregate';
import { MeshDiff } from './diff';
import { MeshModel } from './model';
import { plural as count, forTerminal } from './escape';
import { num, some } from './table';
import { ConnectionRow, EgressRow, Outcome, OUTCOMES, succeeds } from './types';

const COLORS: Record<Outcome, string> = {
  mtls: '#2e7d32', plaintext: '#ef6c00', rejected: '#c62828', denied: '#6a1b9a', failed: '#37474f', blocked: '#8d6e63',
};
const CODES: Record<Outcome, string> = { mtls: 'M', plaintext: 'P', rejected: 'R', denied: 'D', failed: 'F', blocked: 'B' };
/** Matrix cells: strong colours for calls that succeed, pale ones for refusals, so the topology stands out. */
const CELL_COLORS: Record<Outcome, string> = {
  mtls: '#2e7d32', plaintext: '#ef6c00', rejected: '#ffcdd2', denied: '#e1bee7', failed: '#cfd8dc', blocked: '#d7ccc8',
};
const GATEWAY = '#00838f';
const DIRECT = '#d81b60';
/** Most workloads drawn one by one. */
const MAX_WORKLOADS = 40;
/** Most edges of a graph of workloads or namespaces; beyond, a matrix. */
const MAX_EDGES = 60;
/** Most rows and columns of a call matrix of workloads. */
const MAX_MATRIX = 120;
/** Most namespaces of a namespace matrix; beyond, groups of alike calls. */
const MAX_NAMESPACE_MATRIX = 150;

/** A DOT string: our own line breaks kept, every control character of user strings escaped (SVG is XML, which forbids them). */
function q(text: string): string {
  return `"${text.split('\n').map((part) => forTerminal(part).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;
}

function attrs(a: Record<string, string | number>): string {
  return `[${Object.entries(a).map(([k, v]) => `${k}=${typeof v === 'number' ? v : q(v)}`).join(', ')}]`;
}

function html(text: string): string {
  return forTerminal(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The title as its own node-free label: lines of at most ~90 characters, so that nothing is clipped. */
function header(title: string[]): string[] {
  const label = `<<TABLE BORDER="0" CELLSPACING="0">${title.map((t, i) => `<TR><TD ALIGN="LEFT">${i === 0 ? `<B>${html(t)}</B>` : html(t)}</TD></TR>`).join('')}</TABLE>>`;
  return [
    'digraph mesh {',
    `  graph [rankdir="LR", fontname="Helvetica", fontsize=12, labelloc="t", labeljust="l", nodesep=0.25, ranksep=1.0, pad=0.3, compound=true, label=${label}];`,
    `  node ${attrs({ shape: 'box', style: 'rounded,filled', fontname: 'Helvetica', fontsize: 10, fillcolor: '#e3f2fd' })};`,
    `  edge ${attrs({ fontname: 'Helvetica', fontsize: 8, arrowsize: 0.6 })};`,
  ];
}

/** What the picture rests on: assumed namespaces and what is not modelled. */
function inputNotes(model: MeshModel): string[] {
  const notes: string[] = [];
  const assumed = model.namespaceAssumptions;
  if (assumed.length > 0) {
    notes.push(`namespaces not in the input: ${some(assumed.map((a) => `${a.name} (${a.source}${Object.keys(a.labels).length > 0
      ? `: ${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ')}` : ', no labels'})`), 4)}`);
  }
  if (model.notApplied.length > 0) {
    notes.push(`not applied (the cluster would refuse them; drawn as if absent): ${some(model.notApplied.map((n) => (n.ref
      ? `${n.ref.kind} ${n.ref.namespace ? `${n.ref.namespace}/` : ''}${n.ref.name}` : n.manifest ?? 'input')), 4)}; see the text report`);
  }
  if (model.notModelled.length > 0) {
    const kinds = new Map<string, number>();
    for (const n of model.notModelled) kinds.set(n.ref.kind, (kinds.get(n.ref.kind) ?? 0) + 1);
    notes.push(`not modelled (drawn as if absent): ${some([...kinds].map(([k, n]) => `${k} (${n})`), 6)}; see the text report`);
  }
  return notes;
}

/** A legend row: a sample line (or box) and what it means. */
type Key = { readonly sample: string; readonly text: string };

const lineKey = (color: string, style: string, text: string, label = ''): Key => ({
  sample: `<FONT COLOR="${color}">${style === 'dashed' ? '- - - -' : style === 'dotted' ? '· · · · ·' : '———'}${label ? ` ${html(label)}` : ''}</FONT>`, text,
});

function legend(lines: string[], keys: readonly Key[], notes: readonly string[]): void {
  const rows = keys.map((k) => `<TR><TD ALIGN="LEFT">${k.sample}</TD><TD ALIGN="LEFT">${html(k.text)}</TD></TR>`);
  for (const n of notes) rows.push(`<TR><TD COLSPAN="2" ALIGN="LEFT">${html(n)}</TD></TR>`);
  lines.push(`  legend [shape=plaintext, style=solid, fontsize=9, label=<<TABLE BORDER="1" COLOR="#90a4ae" CELLBORDER="0" CELLSPACING="3"><TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>${rows.join('')}</TABLE>>];`);
}

/** `12 refused calls not drawn: 10 denied, 2 rejected`, from outcome counts. */
function refusedNote(counts: Record<Outcome, number>): string | undefined {
  const refused = OUTCOMES.filter((o) => !succeeds(o) && counts[o] > 0);
  const total = refused.reduce((n, o) => n + counts[o], 0);
  if (total === 0) return undefined;
  return `${count(total, 'refused call')} not drawn: ${refused.map((o) => `${num(counts[o])} ${o}`).join(', ')} (see the report)`;
}

const isConditional = (reason: string) => reason.includes('only requests matching') || reason.includes('some requests are denied');

const CONDITIONAL_KEY: Key = { sample: '<B>*</B>', text: 'allowed for some requests only (methods, paths, ...)' };

/** The Graphviz description of the picture. */
export function toDot(model: MeshModel): string {
  const workloads = model.inventory.workloads.length;
  if (workloads <= MAX_MATRIX && model.endpoints.length <= MAX_MATRIX) {
    const calls = workloadCalls(model);
    const graph = workloads <= MAX_WORKLOADS ? workloadDot(model, calls) : undefined;
    if (graph) return graph;
    if (workloads <= MAX_MATRIX && model.endpoints.length <= MAX_MATRIX) return matrixDot(model, calls);
  }
  const agg = aggregate(model);
  if (!agg.namespaceMatrixOmitted) {
    const edges = [...agg.namespaceMatrix].filter(([pair, cell]) => pair.split(' -> ')[0] !== pair.split(' -> ')[1] && (cell.mtls > 0 || cell.plaintext > 0)).length;
    if (edges <= MAX_EDGES && agg.namespaces.length <= MAX_EDGES) return namespaceDot(model, agg);
    if (agg.namespaces.length <= MAX_NAMESPACE_MATRIX) return namespaceMatrixDot(model, agg);
  }
  return groupDot(model, agg);
}

interface WorkloadCalls {
  /** Successful calls per client -> server workload, with their ports. */
  readonly edges: Map<string, { from: string; to: string; outcome: Outcome; ports: string[]; reasons: string[] }>;
  readonly counts: Record<Outcome, number>;
  readonly selfCalls: number;
  readonly rows: ConnectionRow[];
}

function workloadCalls(model: MeshModel): WorkloadCalls {
  const edges: WorkloadCalls['edges'] = new Map();
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  let selfCalls = 0;
  const rows: ConnectionRow[] = [];
  for (const c of model.connections()) {
    rows.push(c);
    counts[c.outcome]++;
    if (!succeeds(c.outcome)) continue;
    if (c.from === c.to) { selfCalls++; continue; }
    const key = `${c.from}|${c.to}|${c.outcome}`;
    let e = edges.get(key);
    if (!e) edges.set(key, e = { from: c.from, to: c.to, outcome: c.outcome, ports: [], reasons: [] });
    e.ports.push(`${c.port}${isConditional(c.reason) ? '*' : ''}`);
    e.reasons.push(`${c.port}: ${c.reason}`);
  }
  return { edges, counts, selfCalls, rows };
}

function egressKeys(paths: readonly EgressRow[]): Key[] {
  const keys: Key[] = [];
  if (paths.some((e) => e.outcome === 'allowed' && e.via === 'egress-gateway')) keys.push(lineKey(GATEWAY, 'solid', 'through the egress gateway', 'egress'));
  if (paths.some((e) => e.outcome === 'allowed' && e.via === 'direct')) keys.push(lineKey(DIRECT, 'dashed', 'egress straight from the pod (no gateway)', 'direct'));
  if (paths.some((e) => e.outcome === 'allowed' && !e.bypassBlocked && e.via === 'egress-gateway')) {
    keys.push({ sample: `<FONT COLOR="${DIRECT}">bypass open</FONT>`, text: 'no NetworkPolicy stops the pod from going around the gateway' });
  }
  return keys;
}

function egressNote(paths: readonly EgressRow[]): string | undefined {
  const stopped = paths.filter((e) => e.outcome !== 'allowed');
  if (stopped.length === 0) return undefined;
  const by = new Map<string, number>();
  for (const e of stopped) by.set(e.outcome, (by.get(e.outcome) ?? 0) + 1);
  return `${count(stopped.length, 'egress path')} that do not get out not drawn: ${[...by].map(([o, n]) => `${n} ${o}`).join(', ')}`;
}

/**
 * Hosts outside the mesh, the egress gateway between, and the paths that get out: one edge from a
 * namespace's box where all its workloads take the same path, else one per workload.
 */
function egressEdges(lines: string[], paths: readonly EgressRow[], model: MeshModel, first: ReadonlyMap<string, string>): void {
  const out = paths.filter((e) => e.outcome === 'allowed');
  if (out.length === 0) return;
  lines.push('  subgraph cluster_external {', `    graph ${attrs({ label: 'outside the mesh', style: 'dashed', color: '#90a4ae' })};`);
  for (const host of new Set(out.map((t) => t.host))) lines.push(`    ${q(`host:${host}`)} ${attrs({ label: host, shape: 'ellipse', style: 'filled', fillcolor: '#f5f5f5' })};`);
  lines.push('  }');
  const viaGateway = out.filter((e) => e.via === 'egress-gateway');
  if (viaGateway.length > 0) lines.push(`  "egress-gateway" ${attrs({ label: 'egress gateway', shape: 'hexagon', fillcolor: '#e0f2f1', style: 'filled' })};`);
  const perNs = workloadsPerNamespace(model);
  // Edges to the gateway (per client: is any bypass open?) and direct edges (per client, host, port, tls).
  const groups = new Map<string, { ns: string; clients: Set<string>; attrs: Record<string, string | number>; to: string }>();
  const addEdge = (from: string, to: string, key: string, a: Record<string, string | number>) => {
    const ns = from.split('/')[0];
    const k = `${ns}|${to}|${key}`;
    let g = groups.get(k);
    if (!g) groups.set(k, g = { ns, clients: new Set(), attrs: a, to });
    g.clients.add(from);
  };
  for (const from of new Set(viaGateway.map((e) => e.from))) {
    const open = viaGateway.some((x) => x.from === from && !x.bypassBlocked);
    addEdge(from, '"egress-gateway"', `gw|${open}`, { color: GATEWAY, penwidth: 1.4, label: open ? 'bypass open' : '', fontcolor: DIRECT });
  }
  for (const e of out.filter((x) => x.via === 'direct')) {
    addEdge(e.from, q(`host:${e.host}`), `d|${e.port}|${e.tls}`, { color: DIRECT, style: 'dashed', penwidth: 1.4, fontcolor: DIRECT, label: `${e.port} direct${e.tls === 'none' ? '' : `, ${e.tls}`}` });
  }
  for (const g of groups.values()) {
    const size = perNs.get(g.ns)?.[0] ?? 0;
    if (g.clients.size === size && size > 1) {
      lines.push(`  ${q(first.get(g.ns)!)} -> ${g.to} ${attrs({ ...g.attrs, ltail: `cluster_${g.ns}`, label: `${g.attrs.label ? `${g.attrs.label}, ` : ''}all ${size}` })};`);
    } else {
      for (const c of g.clients) lines.push(`  ${q(c)} -> ${g.to} ${attrs(g.attrs)};`);
    }
  }
  const fromGateway = new Map<string, Set<string>>();
  for (const e of viaGateway) {
    const k = `${e.host}:${e.port}`;
    if (!fromGateway.has(k)) fromGateway.set(k, new Set());
    fromGateway.get(k)!.add(e.tls);
  }
  for (const [hp, tls] of fromGateway) {
    const host = hp.slice(0, hp.lastIndexOf(':'));
    const port = hp.slice(hp.lastIndexOf(':') + 1);
    lines.push(`  "egress-gateway" -> ${q(`host:${host}`)} ${attrs({ color: GATEWAY, penwidth: 1.4, fontcolor: GATEWAY, label: `${port}${[...tls].filter((t) => t !== 'none').map((t) => `, ${t}`).join('')}` })};`);
  }
}

/** Egress as a table (matrix views): per host:port and path, how many clients take it. */
function egressTable(lines: string[], paths: readonly EgressRow[]): void {
  if (paths.length === 0) return;
  const groups = new Map<string, { hp: string; outcome: string; via: string; tls: string; open: boolean; n: number; ns: Set<string> }>();
  for (const e of paths) {
    const key = `${e.host}:${e.port}|${e.outcome}|${e.via}|${e.tls}|${e.bypassBlocked}`;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { hp: `${e.host}:${e.port}`, outcome: e.outcome, via: e.via, tls: e.tls, open: !e.bypassBlocked, n: 0, ns: new Set() });
    g.n++;
    g.ns.add(e.from.split('/')[0]);
  }
  const rows = [...groups.values()].map((g) => {
    const color = g.outcome !== 'allowed' ? '#9e9e9e' : g.via === 'egress-gateway' ? GATEWAY : DIRECT;
    return `<TR><TD ALIGN="LEFT">${html(g.hp)}</TD><TD ALIGN="LEFT"><FONT COLOR="${color}">${g.outcome === 'allowed' ? (g.via === 'egress-gateway' ? 'through the gateway' : 'direct') : g.outcome}</FONT></TD>`
      + `<TD ALIGN="LEFT">${g.tls}</TD><TD ALIGN="LEFT">${g.open ? `<FONT COLOR="${DIRECT}">open</FONT>` : 'blocked'}</TD><TD ALIGN="RIGHT">${g.n}</TD><TD ALIGN="LEFT">${html(some([...g.ns], 2))}</TD></TR>`;
  });
  lines.push(`  egress [shape=plaintext, style=solid, fontsize=9, label=<<TABLE BORDER="1" COLOR="#90a4ae" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="6" ALIGN="LEFT"><B>egress</B></TD></TR>`
    + `<TR><TD ALIGN="LEFT">host:port</TD><TD ALIGN="LEFT">path</TD><TD ALIGN="LEFT">tls</TD><TD ALIGN="LEFT">bypass</TD><TD>clients</TD><TD ALIGN="LEFT">namespaces</TD></TR>${rows.join('')}</TABLE>>];`);
}

/** The graph of workloads, or undefined when it would have more than MAX_EDGES edges of calls. */
function workloadDot(model: MeshModel, calls: WorkloadCalls): string | undefined {
  const paths = [...model.egress()];
  const lines = header([
    `Istio mesh model: ${count(model.inventory.workloads.length, 'workload')}, the calls that succeed`,
    `${count(calls.rows.length, 'call')} in all: ${OUTCOMES.filter((o) => calls.counts[o] > 0).map((o) => `${num(calls.counts[o])} ${o}`).join(', ') || 'none'}; `
      + `${count(paths.filter((e) => e.outcome === 'allowed').length, 'egress path')} out`,
  ]);
  // A namespace pair whose every call succeeds alike is one edge between the two boxes (or a
  // line in the box, inside one namespace), not a complete graph of workloads.
  const pairTotals = new Map<string, { total: number; byOutcome: Map<Outcome, number> }>();
  for (const r of calls.rows) {
    if (r.from === r.to) continue;
    const key = `${r.from.split('/')[0]}|${r.to.split('/')[0]}`;
    let t = pairTotals.get(key);
    if (!t) pairTotals.set(key, t = { total: 0, byOutcome: new Map() });
    t.total++;
    t.byOutcome.set(r.outcome, (t.byOutcome.get(r.outcome) ?? 0) + 1);
  }
  const whole = new Map<string, Outcome>();
  for (const [key, t] of pairTotals) {
    const [o] = [...t.byOutcome.keys()];
    if (t.byOutcome.size === 1 && succeeds(o) && t.total >= 4) whole.set(key, o);
  }
  const byNs = new Map<string, string[]>();
  for (const w of model.inventory.workloads) {
    const node = `    ${q(w.id)} ${attrs(w.sidecar ? { label: w.name } : { label: `${w.name}\n(no sidecar)`, fillcolor: '#ffffff', style: 'rounded,dashed' })};`;
    byNs.set(w.namespace, [...byNs.get(w.namespace) ?? [], node]);
  }
  const first = new Map<string, string>();
  for (const w of model.inventory.workloads) if (!first.has(w.namespace)) first.set(w.namespace, w.id);
  for (const e of model.endpoints) if (!first.has(e.workload.namespace)) first.set(e.workload.namespace, e.workload.id);
  for (const [ns, nodes] of [...byNs.entries()].sort()) {
    const inside = whole.get(`${ns}|${ns}`);
    const label = inside ? `${ns}: every call between its workloads succeeds${inside === 'mtls' ? ' over mTLS' : ' in PLAINTEXT'}` : ns;
    lines.push(`  subgraph ${q(`cluster_${ns}`)} {`, `    graph ${attrs({ label, style: 'rounded', color: '#90a4ae', fontcolor: inside ? COLORS[inside] : '#000000' })};`, ...nodes, '  }');
  }
  let conditional = false;
  let drawn = 0;
  for (const [key, o] of whole) {
    const [a, b] = key.split('|');
    if (a === b) continue;
    drawn++;
    lines.push(`  ${q(first.get(a)!)} -> ${q(first.get(b)!)} ${attrs({ ltail: `cluster_${a}`, lhead: `cluster_${b}`, color: COLORS[o], fontcolor: COLORS[o],
      penwidth: o === 'mtls' ? 2.4 : 3, style: o === 'mtls' ? 'solid' : 'dashed', label: `every call${o === 'plaintext' ? ', plaintext' : ''}` })};`);
  }
  for (const e of calls.edges.values()) {
    if (whole.has(`${e.from.split('/')[0]}|${e.to.split('/')[0]}`)) continue;
    drawn++;
    conditional ||= e.ports.some((p) => p.endsWith('*'));
    lines.push(`  ${q(e.from)} -> ${q(e.to)} ${attrs(e.outcome === 'mtls'
      ? { color: COLORS.mtls, fontcolor: COLORS.mtls, penwidth: 1.4, label: e.ports.join(', '), tooltip: e.reasons.join('\n') }
      : { color: COLORS.plaintext, fontcolor: COLORS.plaintext, penwidth: 2.2, style: 'dashed', label: `${e.ports.join(', ')} plaintext`, tooltip: e.reasons.join('\n') })};`);
  }
  if (drawn > MAX_EDGES) return undefined;
  egressEdges(lines, paths, model, first);
  const ingressKeys = ingressEdges(lines, model);
  const keys: Key[] = [...ingressKeys];
  if ([...calls.edges.values()].some((e) => e.outcome === 'mtls')) keys.push(lineKey(COLORS.mtls, 'solid', 'call succeeds over mutual TLS (label: Service ports)', '80'));
  if ([...calls.edges.values()].some((e) => e.outcome === 'plaintext')) keys.push(lineKey(COLORS.plaintext, 'dashed', 'call succeeds in plaintext', '80 plaintext'));
  if (conditional) keys.push(CONDITIONAL_KEY);
  if ([...whole].some(([k]) => k.split('|')[0] !== k.split('|')[1])) keys.push(lineKey(COLORS.mtls, 'solid', 'from box to box: every call between the two namespaces succeeds', 'every call'));
  keys.push({ sample: '<TABLE BORDER="1" CELLBORDER="0" BGCOLOR="#e3f2fd"><TR><TD>name</TD></TR></TABLE>', text: 'workload with a sidecar (box: namespace)' });
  if (model.inventory.workloads.some((w) => !w.sidecar)) keys.push({ sample: '<TABLE BORDER="1" CELLBORDER="0" STYLE="dashed"><TR><TD>name</TD></TR></TABLE>', text: 'workload without a sidecar' });
  keys.push(...egressKeys(paths));
  const notes = [refusedNote(calls.counts), calls.selfCalls > 0 ? `${count(calls.selfCalls, 'call')} of a workload to itself not drawn` : undefined,
    drawn === 0 && whole.size === 0 ? 'no call between workloads succeeds' : undefined, egressNote(paths), ...inputNotes(model)].filter((n): n is string => !!n);
  legend(lines, keys, notes);
  lines.push('}');
  return lines.join('\n');
}

const INGRESS = '#6a1b9a';

/** Calls from outside that succeed: external clients -> ingress gateway -> workload (label: host:port, edge TLS). */
function ingressEdges(lines: string[], model: MeshModel): Key[] {
  const ok = [...model.ingress()].filter((r) => succeeds(r.outcome));
  if (ok.length === 0) return [];
  lines.push(`  "external" ${attrs({ label: 'external clients', shape: 'ellipse', style: 'filled', fillcolor: '#f5f5f5' })};`);
  const gateways = new Set(ok.map((r) => r.gateway));
  for (const g of gateways) {
    lines.push(`  ${q(`ingress:${g}`)} ${attrs({ label: `ingress gateway\n${g}`, shape: 'hexagon', fillcolor: '#f3e5f5', style: 'filled' })};`);
    const hosts = [...new Set(ok.filter((r) => r.gateway === g).map((r) => `${r.host}:${r.gatewayPort} ${r.edgeTls}`))];
    lines.push(`  "external" -> ${q(`ingress:${g}`)} ${attrs({ color: INGRESS, fontcolor: INGRESS, penwidth: 1.4, label: hosts.join('\n') })};`);
  }
  for (const r of ok) {
    lines.push(`  ${q(`ingress:${r.gateway}`)} -> ${q(r.to)} ${attrs({ color: COLORS[r.outcome], fontcolor: COLORS[r.outcome], penwidth: 1.4, label: String(r.port), tooltip: r.reason })};`);
  }
  return [lineKey(INGRESS, 'solid', 'calls from outside through an ingress gateway (label: host:port, TLS at the edge)', 'host:443')];
}

/** One cell of a matrix: the outcome's code on its colour (a star for a conditional allow); `small`: colour only. */
function cell(outcome: Outcome | undefined, conditional: boolean, small = false): string {
  const size = small ? ' WIDTH="7" HEIGHT="7"' : '';
  if (!outcome) return `<TD BGCOLOR="#ffffff"${size}></TD>`;
  const text = small ? '' : `<FONT COLOR="${succeeds(outcome) ? '#ffffff' : '#424242'}" POINT-SIZE="8">${CODES[outcome]}${conditional ? '*' : ''}</FONT>`;
  return `<TD BGCOLOR="${CELL_COLORS[outcome]}"${size}>${text}</TD>`;
}

function outcomeKeys(present: ReadonlySet<Outcome>): Key[] {
  return OUTCOMES.filter((o) => present.has(o)).map((o) => ({
    sample: `<TABLE BORDER="0" CELLSPACING="0"><TR>${cell(o, false)}</TR></TABLE>`,
    text: `${o}${succeeds(o) ? ' (succeeds)' : ' (refused)'}`,
  }));
}

function matrixDot(model: MeshModel, calls: WorkloadCalls): string {
  const paths = [...model.egress()];
  const columns = model.endpoints.map((e) => `${e.workload.id}:${e.port.port}`);
  const clients = model.inventory.workloads.map((w) => w.id);
  const grid = new Map<string, ConnectionRow>();
  for (const r of calls.rows) grid.set(`${r.from}|${r.to}:${r.port}`, r);
  const present = new Set<Outcome>();
  let conditional = false;
  const head = `<TR><TD ALIGN="RIGHT"><B>client \\ server port</B></TD>${columns.map((_, i) => `<TD><FONT POINT-SIZE="8">${i + 1}</FONT></TD>`).join('')}</TR>`;
  const body = clients.map((c) => `<TR><TD ALIGN="RIGHT"><FONT POINT-SIZE="9">${html(c)}</FONT></TD>${columns.map((col) => {
    const r = grid.get(`${c}|${col}`);
    if (r) present.add(r.outcome);
    const cond = !!r && succeeds(r.outcome) && isConditional(r.reason);
    conditional ||= cond;
    return cell(r?.outcome, cond);
  }).join('')}</TR>`).join('');
  const index = columns.map((c, i) => `${i + 1} ${c}`);
  const lines = header([
    `Istio mesh model: ${count(clients.length, 'workload')} x ${count(columns.length, 'Service port')}: a call matrix`,
    `${clients.length > MAX_WORKLOADS ? `too many workloads (over ${MAX_WORKLOADS})` : `${num(calls.edges.size)} succeeding client-server pairs are too many edges`} for a readable graph; rows are clients, columns server ports`,
  ]);
  const columnList = `<TABLE BORDER="0" CELLSPACING="0"><TR><TD ALIGN="LEFT"><B>server ports</B></TD></TR>${index.map((t) => `<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9">${html(t)}</FONT></TD></TR>`).join('')}</TABLE>`;
  lines.push(`  matrix [shape=plaintext, style=solid, label=<<TABLE BORDER="0" CELLSPACING="8"><TR><TD VALIGN="TOP"><TABLE BORDER="0" CELLSPACING="1" CELLPADDING="2">${head}${body}</TABLE></TD><TD VALIGN="TOP">${columnList}</TD></TR></TABLE>>];`);
  egressTable(lines, paths);
  const keys = [...outcomeKeys(present), ...(conditional ? [CONDITIONAL_KEY] : [])];
  legend(lines, keys, [egressNote(paths), ...inputNotes(model)].filter((n): n is string => !!n));
  lines.push('}');
  return lines.join('\n');
}

function namespaceTitle(agg: Aggregate, how: string): string[] {
  return [
    `Istio mesh model: ${count(agg.workloads, 'workload')} in ${count(agg.namespaces.length, 'namespace')}, ${how}`,
    `drawn per namespace: too many workloads (over ${MAX_WORKLOADS}) to draw one by one. ${count(agg.calls, 'call')}: `
      + `${OUTCOMES.filter((o) => agg.outcomes[o] > 0).map((o) => `${num(agg.outcomes[o])} ${o}`).join(', ')}`,
  ];
}

function egressSummary(agg: Aggregate): string | undefined {
  if (agg.egressRows === 0) return undefined;
  const out = agg.egressGroups.filter((g) => g.outcome === 'allowed');
  const via = out.filter((g) => g.via === 'egress-gateway').reduce((n, g) => n + g.clients, 0);
  const direct = out.filter((g) => g.via === 'direct').reduce((n, g) => n + g.clients, 0);
  const open = out.filter((g) => !g.bypassBlocked && g.via === 'egress-gateway').reduce((n, g) => n + g.clients, 0);
  const stopped = agg.egressRows - via - direct;
  return `egress: ${count(agg.egressRows, 'path')}; ${num(via)} through the egress gateway (${num(open)} with the bypass open), ${num(direct)} direct, ${num(stopped)} stopped`;
}

function namespaceDot(model: MeshModel, agg: Aggregate): string {
  const lines = header(namespaceTitle(agg, 'the calls that succeed between namespaces'));
  const perNs = workloadsPerNamespace(model);
  const inside = new Map<string, Record<Outcome, number>>();
  for (const [pair, c] of agg.namespaceMatrix) {
    const [from, to] = pair.split(' -> ');
    if (from === to) inside.set(from, c);
  }
  for (const ns of agg.namespaces) {
    const [n, s] = perNs.get(ns) ?? [0, 0];
    const c = inside.get(ns);
    const within = c && (c.mtls + c.plaintext > 0) ? `\n${num(c.mtls + c.plaintext)} calls inside succeed${c.plaintext > 0 ? ` (${num(c.plaintext)} plaintext)` : ''}` : '';
    lines.push(`  ${q(ns)} ${attrs({ label: `${ns}\n${count(n, 'workload')}, ${num(s)} with a sidecar${within}`, fillcolor: s === n ? '#e3f2fd' : s === 0 ? '#ffffff' : '#fff8e1' })};`);
  }
  for (const [pair, c] of agg.namespaceMatrix) {
    const [from, to] = pair.split(' -> ');
    if (from === to) continue;
    if (c.mtls > 0) lines.push(`  ${q(from)} -> ${q(to)} ${attrs({ color: COLORS.mtls, fontcolor: COLORS.mtls, label: num(c.mtls), penwidth: Math.round((1 + Math.log10(c.mtls)) * 10) / 10 })};`);
    if (c.plaintext > 0) lines.push(`  ${q(from)} -> ${q(to)} ${attrs({ color: COLORS.plaintext, fontcolor: COLORS.plaintext, style: 'dashed', label: `${num(c.plaintext)} plaintext`, penwidth: Math.round((1.5 + Math.log10(c.plaintext)) * 10) / 10 })};`);
  }
  const keys = [lineKey(COLORS.mtls, 'solid', 'calls that succeed over mutual TLS (label: how many)', '12'), lineKey(COLORS.plaintext, 'dashed', 'calls that succeed in plaintext', '3 plaintext'),
    { sample: '<TABLE BORDER="1" CELLBORDER="0" BGCOLOR="#e3f2fd"><TR><TD>ns</TD></TR></TABLE>', text: 'namespace, all with a sidecar (yellow: some, white: none)' }];
  legend(lines, keys, [refusedNote(agg.outcomes), egressSummary(agg), ...inputNotes(model)].filter((n): n is string => !!n));
  lines.push('}');
  return lines.join('\n');
}

function namespaceMatrixDot(model: MeshModel, agg: Aggregate): string {
  const namespaces = agg.namespaces;
  const small = namespaces.length > 40;
  const present = new Set<Outcome>();
  /** The cell's outcome: the most common success, else the most common refusal. */
  const major = (c: Record<Outcome, number> | undefined): Outcome | undefined => {
    if (!c) return undefined;
    const ok = OUTCOMES.filter((o) => succeeds(o) && c[o] > 0).sort((a, b) => c[b] - c[a])[0];
    const o = ok ?? OUTCOMES.filter((x) => c[x] > 0).sort((a, b) => c[b] - c[a])[0];
    if (o) present.add(o);
    return o;
  };
  // Small cells: a column number every tenth column, and a row label every row.
  const head = `<TR><TD></TD>${namespaces.map((_, i) => (small ? ((i + 1) % 10 === 0 ? `<TD><FONT POINT-SIZE="6">${i + 1}</FONT></TD>` : '<TD></TD>') : `<TD><FONT POINT-SIZE="8">${i + 1}</FONT></TD>`)).join('')}</TR>`;
  const body = namespaces.map((from, i) => `<TR><TD ALIGN="RIGHT"><FONT POINT-SIZE="${small ? 6 : 9}">${i + 1} ${html(from)}</FONT></TD>${namespaces.map((to) => cell(major(agg.namespaceMatrix.get(`${from} -> ${to}`)), false, small)).join('')}</TR>`).join('');
  const lines = header(namespaceTitle(agg, 'a namespace matrix'));
  lines.push('  "note" [shape=plaintext, style=solid, fontsize=10, label="rows: client namespaces; columns: server namespaces in the same order.\\nA cell shows its most common successful outcome, else its most common refusal."];');
  lines.push(`  matrix [shape=plaintext, style=solid, label=<<TABLE BORDER="0" CELLSPACING="1" CELLPADDING="${small ? 0 : 2}">${head}${body}</TABLE>>];`);
  legend(lines, outcomeKeys(present), [refusedNote(agg.outcomes), egressSummary(agg), ...inputNotes(model)].filter((n): n is string => !!n));
  lines.push('}');
  return lines.join('\n');
}

/**
 * Too many namespaces for a node or a row each: a node per set of namespaces, an edge per group of
 * calls that succeed alike (from the group's client namespaces to its server namespaces).
 */
function groupDot(model: MeshModel, agg: Aggregate): string {
  const lines = header([
    `Istio mesh model: ${count(agg.workloads, 'workload')} in ${count(agg.namespaces.length, 'namespace')}, in groups of alike calls`,
    `too many namespaces (over ${MAX_NAMESPACE_MATRIX}) to draw one by one: a box is a set of namespaces, an edge a group of calls that succeed alike`,
  ]);
  const nodes = new Map<string, string>();
  const node = (namespaces: string[]) => {
    const key = namespaces.join(',');
    let id = nodes.get(key);
    if (!id) {
      nodes.set(key, id = `set${nodes.size}`);
      lines.push(`  ${id} ${attrs({ label: `${count(namespaces.length, 'namespace')}\n${some(namespaces, 4)}` })};`);
    }
    return id;
  };
  const ok = agg.callGroups.filter((g) => succeeds(g.outcome));
  for (const g of ok) {
    lines.push(`  ${node(g.clientNamespaces)} -> ${node(g.serverNamespaces)} ${attrs({
      color: COLORS[g.outcome], fontcolor: COLORS[g.outcome], label: `${num(g.count)} ${g.outcome}\n${g.summary}`, tooltip: g.reason,
      penwidth: Math.round((1 + Math.log10(g.count)) * 10) / 10, style: g.outcome === 'mtls' ? 'solid' : 'dashed',
    })};`);
  }
  const keys = [lineKey(COLORS.mtls, 'solid', 'a group of calls that succeed over mutual TLS'), lineKey(COLORS.plaintext, 'dashed', 'a group that succeeds in plaintext')];
  legend(lines, keys, [refusedNote(agg.outcomes), ok.length === 0 ? 'no call succeeds' : undefined, egressSummary(agg), ...inputNotes(model)].filter((n): n is string => !!n));
  lines.push('}');
  return lines.join('\n');
}

const CLASS_COLORS: Record<string, string> = { exposure: '#c62828', breakage: '#6a1b9a', other: '#1565c0' };

/**
 * The picture of a diff: per client and server workload (or namespace, for large inputs), the
 * calls that changed, coloured by class; added calls solid, removed ones dotted, changed dashed.
 */
export function diffToDot(diff: MeshDiff): string {
  const rows = diff.callRows && diff.callRows.length <= MAX_EDGES * 4 ? diff.callRows : undefined;
  const edges = new Map<string, { from: string; to: string; cls: string; kind: string; labels: Set<string>; n: number }>();
  const add = (from: string, to: string, cls: string, kind: string, label: string, n: number) => {
    const key = `${from}|${to}|${cls}|${kind}`;
    let e = edges.get(key);
    if (!e) edges.set(key, e = { from, to, cls, kind, labels: new Set(), n: 0 });
    e.labels.add(label);
    e.n += n;
  };
  if (rows) {
    for (const r of rows) {
      const label = r.before && r.after && r.before.outcome === r.after.outcome ? `${r.port} ${r.after.outcome}, other reason` : `${r.port} ${r.before?.outcome ?? 'new'}->${r.after?.outcome ?? 'gone'}`;
      add(r.from, r.to, r.class, r.before && r.after ? 'changed' : r.after ? 'added' : 'removed', label, 1);
    }
  } else {
    for (const g of diff.calls) {
      for (const pair of g.namespacePairs) {
        const [from, to] = pair.split(' -> ');
        add(from, to, g.class, g.kind, `${g.before?.outcome ?? 'new'}->${g.after?.outcome ?? 'gone'}`, g.calls);
      }
    }
  }
  const lines = header([
    `Mesh diff: ${CLASSES.map((c) => `${c} ${count(diff.counts[c].calls, 'call')}`).join(', ')}`,
    `${rows ? 'per workload' : 'per namespace pair (too many changed calls to draw one by one)'}; ${count(diff.counts.exposure.egressPaths + diff.counts.breakage.egressPaths + diff.counts.other.egressPaths, 'egress path')} changed (see the report)`,
  ]);
  const nodes = new Set<string>();
  for (const e of edges.values()) { nodes.add(e.from); nodes.add(e.to); }
  for (const n of [...nodes].sort()) lines.push(`  ${q(n)} ${attrs({ label: n })};`);
  for (const e of edges.values()) {
    const color = CLASS_COLORS[e.cls] ?? '#000000';
    lines.push(`  ${q(e.from)} -> ${q(e.to)} ${attrs({
      color, fontcolor: color, style: e.kind === 'added' ? 'solid' : e.kind === 'removed' ? 'dotted' : 'dashed', penwidth: e.cls === 'other' ? 1 : 2,
      label: rows ? [...e.labels].join('\n') : `${num(e.n)} calls ${[...e.labels].slice(0, 2).join(', ')}`,
    })};`);
  }
  const keys = [
    ...CLASSES.map((c) => lineKey(CLASS_COLORS[c], 'solid', c === 'exposure' ? 'exposure: refused now succeeds, or less protected' : c === 'breakage' ? 'breakage: succeeded, now fails' : 'other change (reason, new or removed calls)')),
    lineKey('#000000', 'dashed', 'changed call (label: outcome before -> after)'), lineKey('#000000', 'solid', 'call that is new'), lineKey('#000000', 'dotted', 'call that is gone'),
  ];
  legend(lines, keys, edges.size === 0 ? ['no call changed'] : []);
  lines.push('}');
  return lines.join('\n');
}

const CLASSES = ['exposure', 'breakage', 'other'] as const;

async function dotToSvg(dot: string): Promise<string> {
  // Loaded on first use: the WebAssembly build is large and only this format needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const viz: typeof import('@viz-js/viz') = require('@viz-js/viz');
  const instance = await viz.instance();
  return instance.renderString(dot, { format: 'svg', engine: 'dot' });
}

/** The picture as an SVG document. */
export async function renderSvg(model: MeshModel): Promise<string> {
  return dotToSvg(toDot(model));
}

/** The picture of a diff as an SVG document. */
export async function renderDiffSvg(diff: MeshDiff): Promise<string> {
  return dotToSvg(diffToDot(diff));
}
