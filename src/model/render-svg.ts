// The SVG picture: Graphviz (dot, compiled to WebAssembly by @viz-js/viz) lays out workloads,
// grouped by namespace, and the calls between them coloured by outcome. Large models are drawn
// per namespace, with one edge per namespace pair and outcome.

import { aggregate, Aggregate, workloadsPerNamespace } from './aggregate';
import { MeshModel } from './model';
import { forTerminal, plural } from './escape';
import { num, some } from './table';
import { Outcome, OUTCOMES } from './types';

const COLORS: Record<Outcome, string> = {
  mtls: '#2e7d32', plaintext: '#f9a825', rejected: '#c62828', denied: '#6a1b9a', failed: '#37474f', blocked: '#d84315',
};
const MAX_DETAILED_WORKLOADS = 60;
const MAX_DETAILED_EDGES = 400;
const MAX_NAMESPACE_EDGES = 80;

/** A DOT string: our own line breaks kept, every control character of user strings escaped (SVG is XML, which forbids them). */
function q(text: string): string {
  return `"${text.split('\n').map((part) => forTerminal(part).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;
}

function attrs(a: Record<string, string | number>): string {
  return `[${Object.entries(a).map(([k, v]) => `${k}=${typeof v === 'number' ? v : q(v)}`).join(', ')}]`;
}


function header(title: string): string[] {
  return [
    'digraph mesh {',
    `  graph ${attrs({ rankdir: 'LR', fontname: 'Helvetica', fontsize: 11, labelloc: 't', label: title, nodesep: 0.3, ranksep: 1.2 })};`,
    `  node ${attrs({ shape: 'box', style: 'rounded,filled', fontname: 'Helvetica', fontsize: 10, fillcolor: '#e3f2fd' })};`,
    `  edge ${attrs({ fontname: 'Helvetica', fontsize: 8, arrowsize: 0.6 })};`,
  ];
}

function html(text: string): string {
  return forTerminal(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The outcome colours, and notes on what the picture rests on: assumed namespaces, what is not modelled. */
function legend(lines: string[], model: MeshModel): void {
  const cells = OUTCOMES.map((o) => `<TD><FONT COLOR="${COLORS[o]}">${o}</FONT></TD>`).join('');
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
  const span = OUTCOMES.length + 1;
  const rows = notes.map((n) => `<TR><TD COLSPAN="${span}" ALIGN="LEFT">${html(n)}</TD></TR>`).join('');
  lines.push(`  legend [shape=plaintext, style=solid, fontsize=9, label=<<TABLE BORDER="1" COLOR="#90a4ae" CELLBORDER="0" CELLSPACING="4"><TR><TD>outcome:</TD>${cells}</TR>${rows}</TABLE>>];`);
}

/** The Graphviz description of the picture. */
export function toDot(model: MeshModel): string {
  const workloads = model.inventory.workloads;
  if (workloads.length <= MAX_DETAILED_WORKLOADS && model.connectionCount() <= MAX_DETAILED_EDGES) return detailedDot(model);
  const agg = aggregate(model);
  if (agg.namespaceMatrixOmitted) return groupDot(model, agg);
  let edges = 0;
  for (const cell of agg.namespaceMatrix.values()) edges += OUTCOMES.filter((o) => cell[o] > 0).length;
  return edges <= MAX_NAMESPACE_EDGES ? namespaceDot(model, agg) : groupDot(model, agg);
}

function detailedDot(model: MeshModel): string {
  const lines = header(`Istio mesh model: ${plural(model.inventory.workloads.length, 'workload')}, ${plural(model.connectionCount(), 'call')} (edge colour: outcome)`);
  const byNs = new Map<string, string[]>();
  for (const w of model.inventory.workloads) {
    const node = `    ${q(w.id)} ${attrs(w.sidecar
      ? { label: w.name }
      : { label: `${w.name}\n(no sidecar)`, fillcolor: '#ffffff', style: 'rounded,dashed' })};`;
    byNs.set(w.namespace, [...byNs.get(w.namespace) ?? [], node]);
  }
  for (const [ns, nodes] of [...byNs.entries()].sort()) {
    lines.push(`  subgraph ${q(`cluster_${ns}`)} {`, `    graph ${attrs({ label: ns, style: 'rounded', color: '#90a4ae' })};`, ...nodes, '  }');
  }
  for (const c of model.connections()) {
    const ok = c.outcome === 'mtls' || c.outcome === 'plaintext';
    lines.push(`  ${q(c.from)} -> ${q(c.to)} ${attrs({
      color: COLORS[c.outcome], fontcolor: COLORS[c.outcome], label: `${c.port} ${c.outcome}`, tooltip: c.reason, style: ok ? 'solid' : 'dashed',
    })};`);
  }
  const targets = model.egressTargets;
  if (targets.length > 0 && model.egressCount() <= MAX_DETAILED_EDGES) {
    lines.push('  subgraph cluster_external {', `    graph ${attrs({ label: 'outside the mesh', style: 'dashed', color: '#90a4ae' })};`);
    for (const host of new Set(targets.map((t) => t.host))) lines.push(`    ${q(`host:${host}`)} ${attrs({ label: host, shape: 'ellipse', style: 'filled', fillcolor: '#f5f5f5' })};`);
    lines.push('  }');
    for (const e of model.egress()) {
      const color = e.outcome !== 'allowed' ? '#9e9e9e' : e.via === 'egress-gateway' ? '#00838f' : '#ef6c00';
      const outcome = e.outcome === 'allowed' ? '' : `${e.outcome}, `;
      lines.push(`  ${q(e.from)} -> ${q(`host:${e.host}`)} ${attrs({
        color, fontcolor: color, style: 'dotted', label: `${e.port} ${outcome}${e.via}${e.tls === 'none' ? '' : `, ${e.tls}`}${e.bypassBlocked ? '' : ', bypass open'}`, tooltip: e.reason,
      })};`);
    }
  }
  legend(lines, model);
  lines.push('}');
  return lines.join('\n');
}

function namespaceDot(model: MeshModel, agg: Aggregate): string {
  const lines = header(`Istio mesh model: ${plural(agg.workloads, 'workload')} in ${plural(agg.namespaces.length, 'namespace')}, ${plural(agg.calls, 'call')}, per namespace (edge colour: outcome)`);
  const perNs = workloadsPerNamespace(model);
  for (const ns of agg.namespaces) {
    const [n, s] = perNs.get(ns) ?? [0, 0];
    lines.push(`  ${q(ns)} ${attrs({ label: `${ns}\n${plural(n, 'workload')}, ${num(s)} with sidecar`, fillcolor: s === n ? '#e3f2fd' : s === 0 ? '#ffffff' : '#fff8e1' })};`);
  }
  const edges: Array<{ from: string; to: string; outcome: Outcome; count: number }> = [];
  for (const [pair, cell] of agg.namespaceMatrix) {
    const [from, to] = pair.split(' -> ');
    for (const o of OUTCOMES) if (cell[o] > 0) edges.push({ from, to, outcome: o, count: cell[o] });
  }
  edges.sort((a, b) => OUTCOMES.indexOf(b.outcome) - OUTCOMES.indexOf(a.outcome) || b.count - a.count);
  for (const e of edges) {
    lines.push(`  ${q(e.from)} -> ${q(e.to)} ${attrs({
      color: COLORS[e.outcome], fontcolor: COLORS[e.outcome], label: `${num(e.count)} ${e.outcome}`,
      penwidth: Math.round((1 + Math.log10(e.count)) * 10) / 10, style: e.outcome === 'mtls' || e.outcome === 'plaintext' ? 'solid' : 'dashed',
    })};`);
  }
  legend(lines, model);
  lines.push('}');
  return lines.join('\n');
}

/**
 * Too many namespaces for one node each: a node per set of namespaces, an edge per group of calls
 * that every policy treats alike (from the group's client namespaces to its server namespaces).
 */
function groupDot(model: MeshModel, agg: Aggregate): string {
  const lines = header(`Istio mesh model: ${plural(agg.workloads, 'workload')} in ${plural(agg.namespaces.length, 'namespace')}, ${plural(agg.calls, 'call')}, `
    + 'in groups of alike calls (edge colour: outcome)');
  const nodes = new Map<string, string>();
  const node = (namespaces: string[]) => {
    const key = namespaces.join(',');
    let id = nodes.get(key);
    if (!id) {
      nodes.set(key, id = `set${nodes.size}`);
      lines.push(`  ${id} ${attrs({ label: `${namespaces.length} namespace${namespaces.length === 1 ? '' : 's'}\n${some(namespaces, 4)}` })};`);
    }
    return id;
  };
  for (const g of agg.callGroups) {
    const from = node(g.clientNamespaces);
    const to = node(g.serverNamespaces);
    lines.push(`  ${from} -> ${to} ${attrs({
      color: COLORS[g.outcome], fontcolor: COLORS[g.outcome], label: `${num(g.count)} ${g.outcome}\n${g.summary}`, tooltip: g.reason,
      penwidth: Math.round((1 + Math.log10(g.count)) * 10) / 10, style: g.outcome === 'mtls' || g.outcome === 'plaintext' ? 'solid' : 'dashed',
    })};`);
  }
  legend(lines, model);
  lines.push('}');
  return lines.join('\n');
}

/** The picture as an SVG document. */
export async function renderSvg(model: MeshModel): Promise<string> {
  // Loaded on first use: the WebAssembly build is large and only this format needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const viz: typeof import('@viz-js/viz') = require('@viz-js/viz');
  const instance = await viz.instance();
  return instance.renderString(toDot(model), { format: 'svg', engine: 'dot' });
}
