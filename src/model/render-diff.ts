// The mesh diff as text, as Markdown made to be posted as a pull-request comment (the summary
// first, the details folded in <details>), and as JSON.

import {
  CallChange, CHANGE_CLASSES, ChangeClass, EgressChange, EgressFields, MeshDiff, WorkloadChange,
} from './diff';
import { plural as count } from './escape';
import { Footnotes, markdownTable, num, some, textTable } from './table';
import { Finding, refText } from './types';

/** Names of the two versions, as given on the command line. */
export interface DiffNames {
  readonly before?: string;
  readonly after?: string;
}

/** Changed rows listed one by one at most (beyond, the groups say it all). */
export const MAX_DIFF_ROWS = 200;
/** Most important changes named in the summary of the Markdown comment, per class. */
const MAX_SUMMARY_ITEMS = 10;

type Section = { readonly title: string; readonly blocks: Block[] };
type Block =
  | { readonly kind: 'para'; readonly text: string }
  | { readonly kind: 'table'; readonly rows: string[][] }
  | { readonly kind: 'list'; readonly items: string[] };

const CLASS_TITLES: Record<ChangeClass, [string, string]> = {
  exposure: ['exposure', 'exposures'],
  breakage: ['breakage', 'breakages'],
  other: ['other change', 'other changes'],
};

function classCount(diff: MeshDiff, cls: ChangeClass): string {
  const c = diff.counts[cls];
  const [one, many] = CLASS_TITLES[cls];
  if (c.groups === 0) return `no ${many}`;
  const what = [c.calls > 0 ? count(c.calls, 'call') : '', c.egressPaths > 0 ? count(c.egressPaths, 'egress path') : ''].filter(Boolean).join(', ');
  return `${count(c.groups, one, many)} (${what})`;
}

function summaryLine(diff: MeshDiff): string {
  if (!diff.hasChanges) return 'No changes: every call and egress path, workload, Service port and finding is the same.';
  const added = diff.workloads.filter((w) => w.kind === 'added').length;
  const removed = diff.workloads.filter((w) => w.kind === 'removed').length;
  const changed = diff.workloads.length - added - removed;
  return `${CHANGE_CLASSES.map((c) => classCount(diff, c)).join(', ')}. `
    + `Findings: ${num(diff.findings.added.length)} added, ${num(diff.findings.resolved.length)} resolved. `
    + `Workloads: ${num(added)} added, ${num(removed)} removed, ${num(changed)} with another sidecar or identity. `
    + `Service ports: ${num(diff.servicePorts.added.length)} added, ${num(diff.servicePorts.removed.length)} removed.`;
}

function sideLine(label: string, name: string | undefined, side: MeshDiff['before']): string {
  return `${label}${name ? ` ${name}` : ''}: ${count(side.workloads, 'workload')}, ${count(side.calls, 'call')}, `
    + `${count(side.egressPaths, 'egress path')}, ${count(side.findings, 'finding')}.`;
}

/** `rejected -> plaintext`, `(none) -> mtls` for a call that is new. */
export function callTransition(c: { before?: { outcome: string }; after?: { outcome: string } }): string {
  return `${c.before?.outcome ?? '(none)'} -> ${c.after?.outcome ?? '(none)'}`;
}

function value(v: string | number | boolean | undefined): string {
  return v === true ? 'yes' : v === false ? 'no' : v === undefined ? '-' : String(v);
}

function fieldsText(f: EgressFields): string {
  return Object.entries(f).map(([k, v]) => `${k} ${value(v)}`).join(', ');
}

/** `via egress-gateway -> direct, bypassBlocked yes -> no`; `(new) via ..., tls ...` for a path that is new. */
export function egressTransition(c: { kind: string; changedFields: readonly string[]; before?: { fields: EgressFields }; after?: { fields: EgressFields } }): string {
  if (!c.before) return `(new) ${fieldsText(c.after!.fields)}`;
  if (!c.after) return `(gone) ${fieldsText(c.before.fields)}`;
  if (c.changedFields.length === 0) return 'reason only';
  return c.changedFields.map((f) => `${f} ${value(c.before!.fields[f])} -> ${value(c.after!.fields[f])}`).join(', ');
}

function pairsText(c: CallChange): string {
  return c.namespacePairsTruncated || c.namespacePairs.length > 2
    ? `${c.namespacePairs.slice(0, 2).join(', ')}, +${c.namespacePairsTruncated ? 'over ' : ''}${num(c.namespacePairs.length - 2)} more`
    : c.namespacePairs.join(', ');
}

function hostsText(c: EgressChange): string {
  return c.hostsTruncated ? `${c.hosts.slice(0, 2).join(', ')}, +over ${num(c.hosts.length - 2)} more` : some([...c.hosts], 2);
}

function callWhy(c: CallChange): string {
  if (!c.before) return `e.g. ${c.example} (new): ${c.after!.reason}`;
  if (!c.after) return `e.g. ${c.example} (gone): was ${c.before.reason}`;
  return `e.g. ${c.example}: before: ${c.before.reason}; after: ${c.after.reason}`;
}

function egressWhy(c: EgressChange): string {
  if (!c.before) return `e.g. ${c.example} (new): ${c.after!.reason}`;
  if (!c.after) return `e.g. ${c.example} (gone): was ${c.before.reason}`;
  return `e.g. ${c.example}: before: ${c.before.reason}; after: ${c.after.reason}`;
}

/** One line naming a group of changed calls, for summaries. */
function callItem(c: CallChange): string {
  const what = c.kind === 'changed' ? (c.outcomeChanged ? callTransition(c) : `${c.after!.outcome}, reason changed`) : c.kind === 'added' ? `new calls, ${c.after!.outcome}` : `calls gone, were ${c.before!.outcome}`;
  return `${count(c.calls, 'call')} (${pairsText(c)}): ${what}, e.g. ${c.example}`;
}

function egressItem(c: EgressChange): string {
  return `${count(c.paths, 'egress path')} to ${hostsText(c)}: ${egressTransition(c)}, e.g. ${c.example}`;
}

function callTable(groups: readonly CallChange[], notes: Footnotes): string[][] {
  return [['CLASS', 'CALLS', 'CLIENTS', 'SERVER PORTS', 'NAMESPACES (client -> server)', 'BEFORE -> AFTER', 'WHY'],
    ...groups.map((c) => [c.class, num(c.calls), num(c.clients), num(c.serverPorts), pairsText(c),
      c.kind === 'changed' && !c.outcomeChanged ? `${c.after!.outcome} (reason changed)` : callTransition(c), notes.ref(callWhy(c))])];
}

function egressTable(groups: readonly EgressChange[], notes: Footnotes): string[][] {
  return [['CLASS', 'PATHS', 'HOST:PORT', 'NAMESPACES', 'CHANGE', 'WHY'],
    ...groups.map((c) => [c.class, num(c.paths), hostsText(c), c.namespacesTruncated ? `${some([...c.namespaces], 3)}, +more` : some([...c.namespaces], 3),
      egressTransition(c), notes.ref(egressWhy(c))])];
}

function findingText(f: Finding): string {
  return `${f.rule} (${count(f.count, 'call or path', 'calls or paths')}): ${f.message} Resources: `
    + `${f.resources.map((r) => `${refText(r.ref)} (${r.locations.join(', ')})`).join('; ')}. Fix: ${f.fix}`;
}

function workloadText(w: WorkloadChange): string {
  if (w.kind === 'added') return `${w.id} added (${w.after!.sidecar ? 'with' : 'without'} a sidecar, ${w.after!.identity})`;
  if (w.kind === 'removed') return `${w.id} removed`;
  const parts: string[] = [];
  if (w.before!.sidecar !== w.after!.sidecar) parts.push(`sidecar ${value(w.before!.sidecar)} -> ${value(w.after!.sidecar)}`);
  if (w.before!.identity !== w.after!.identity) parts.push(`identity ${w.before!.identity} -> ${w.after!.identity}`);
  return `${w.id}: ${parts.join(', ')}`;
}

/** The detail sections, in order; each folded in the Markdown comment. */
function sections(diff: MeshDiff): Section[] {
  const out: Section[] = [];
  if (diff.calls.length > 0) {
    const notes = new Footnotes();
    const total = diff.calls.reduce((n, c) => n + c.calls, 0);
    out.push({
      title: `Calls: ${count(diff.calls.length, 'group')} of calls changed alike, ${count(total, 'call')}`,
      blocks: [{ kind: 'table', rows: callTable(diff.calls, notes) }, { kind: 'list', items: notes.entries().map(([id, t]) => `${id} ${t}`) }],
    });
  }
  if (diff.callRows && diff.callRows.length > 0) {
    const notes = new Footnotes();
    const rows = diff.callRows.slice(0, MAX_DIFF_ROWS);
    const blocks: Block[] = [{
      kind: 'table',
      rows: [['CLASS', 'FROM', 'TO', 'BEFORE -> AFTER', 'WHY'], ...rows.map((r) => [r.class, r.from,
        r.service.endsWith(`/${r.to.split('/')[1]}`) ? `${r.to}:${r.port}` : `${r.to}:${r.port} (${r.service})`,
        r.before && r.after && r.before.outcome === r.after.outcome ? `${r.after.outcome} (reason changed)` : callTransition(r),
        notes.ref(r.before && r.after ? `before: ${r.before.reason}; after: ${r.after.reason}` : (r.after ?? r.before)!.reason)])],
    }, { kind: 'list', items: notes.entries().map(([id, t]) => `${id} ${t}`) }];
    if (diff.callRows.length > rows.length) blocks.push({ kind: 'para', text: `... and ${count(diff.callRows.length - rows.length, 'more changed call')} (see the groups).` });
    out.push({ title: `Changed calls, one by one (${num(diff.callRows.length)})`, blocks });
  }
  if (diff.egress.length > 0) {
    const notes = new Footnotes();
    const total = diff.egress.reduce((n, c) => n + c.paths, 0);
    out.push({
      title: `Egress: ${count(diff.egress.length, 'group')} of paths changed alike, ${count(total, 'path')}`,
      blocks: [{ kind: 'table', rows: egressTable(diff.egress, notes) }, { kind: 'list', items: notes.entries().map(([id, t]) => `${id} ${t}`) }],
    });
  }
  if (diff.egressRows && diff.egressRows.length > 0) {
    const notes = new Footnotes();
    const rows = diff.egressRows.slice(0, MAX_DIFF_ROWS);
    const blocks: Block[] = [{
      kind: 'table',
      rows: [['CLASS', 'FROM', 'HOST:PORT', 'CHANGE', 'WHY'], ...rows.map((r) => [r.class, r.from, `${r.host}:${r.port}`,
        egressTransition({ kind: '', changedFields: r.changedFields, before: r.before, after: r.after }),
        notes.ref(r.before && r.after ? `before: ${r.before.reason}; after: ${r.after.reason}` : (r.after ?? r.before)!.reason)])],
    }, { kind: 'list', items: notes.entries().map(([id, t]) => `${id} ${t}`) }];
    if (diff.egressRows.length > rows.length) blocks.push({ kind: 'para', text: `... and ${count(diff.egressRows.length - rows.length, 'more changed path')} (see the groups).` });
    out.push({ title: `Changed egress paths, one by one (${num(diff.egressRows.length)})`, blocks });
  }
  if (diff.workloads.length > 0) {
    const items = diff.workloads.slice(0, MAX_DIFF_ROWS).map(workloadText);
    if (diff.workloads.length > items.length) items.push(`... and ${count(diff.workloads.length - items.length, 'more workload')}`);
    out.push({ title: `Workloads: ${count(diff.workloads.length, 'change')}`, blocks: [{ kind: 'list', items }] });
  }
  const ports = [...diff.servicePorts.added.map((p) => `${p} added`), ...diff.servicePorts.removed.map((p) => `${p} removed`)];
  if (ports.length > 0) {
    const items = ports.slice(0, MAX_DIFF_ROWS);
    if (ports.length > items.length) items.push(`... and ${count(ports.length - items.length, 'more Service port')}`);
    out.push({ title: `Service ports: ${num(diff.servicePorts.added.length)} added, ${num(diff.servicePorts.removed.length)} removed`, blocks: [{ kind: 'list', items }] });
  }
  if (diff.findings.added.length + diff.findings.resolved.length > 0) {
    out.push({
      title: `Findings: ${num(diff.findings.added.length)} added, ${num(diff.findings.resolved.length)} resolved`,
      blocks: [{ kind: 'list', items: [...diff.findings.added.map((f) => `added: ${findingText(f)}`), ...diff.findings.resolved.map((f) => `resolved: ${findingText(f)}`)] }],
    });
  }
  return out;
}

/** The changes a reviewer must see first: exposures, breakages and added findings, a few each. */
function headlines(diff: MeshDiff): Array<{ title: string; items: string[] }> {
  const out: Array<{ title: string; items: string[] }> = [];
  for (const cls of ['exposure', 'breakage'] as const) {
    const items = [...diff.calls.filter((c) => c.class === cls).map(callItem), ...diff.egress.filter((c) => c.class === cls).map(egressItem)];
    if (items.length === 0) continue;
    const shown = items.slice(0, MAX_SUMMARY_ITEMS);
    if (items.length > shown.length) shown.push(`... and ${count(items.length - shown.length, 'more group')}`);
    out.push({ title: cls === 'exposure' ? 'Exposures (something refused now succeeds, or is less protected)' : 'Breakages (something that succeeded now fails)', items: shown });
  }
  if (diff.findings.added.length > 0) {
    out.push({ title: 'Findings added', items: diff.findings.added.slice(0, MAX_SUMMARY_ITEMS).map((f) => `${f.rule}: ${f.message}`) });
  }
  return out;
}

function textBlocks(blocks: readonly Block[]): string[] {
  const lines: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'para') lines.push(b.text);
    else if (b.kind === 'table') lines.push(...textTable(b.rows));
    else lines.push(...b.items.map((i) => `  ${i}`));
  }
  return lines;
}

function markdownBlocks(blocks: readonly Block[]): string[] {
  const lines: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'para') lines.push(b.text, '');
    else if (b.kind === 'table') lines.push(...markdownTable(b.rows), '');
    else lines.push(...b.items.map((i) => `- ${i}`), '');
  }
  return lines;
}

export function renderDiffText(diff: MeshDiff, names: DiffNames = {}): string {
  const lines = ['MESH DIFF', sideLine('Before', names.before, diff.before), sideLine('After', names.after, diff.after), summaryLine(diff)];
  for (const h of headlines(diff)) lines.push('', `== ${h.title} ==`, ...h.items.map((i) => `  ${i}`));
  for (const s of sections(diff)) lines.push('', `== ${s.title} ==`, ...textBlocks(s.blocks));
  return `${lines.join('\n')}\n`;
}

/** Escapes text for Markdown prose (not tables: `markdownTable` escapes its cells). */
function md(text: string): string {
  return text.replace(/([\\`*_<|])/g, '\\$1');
}

export function renderDiffMarkdown(diff: MeshDiff, names: DiffNames = {}): string {
  const title = diff.hasChanges
    ? `## Mesh diff: ${CHANGE_CLASSES.map((c) => { const g = diff.counts[c].groups; return g === 0 ? `no ${CLASS_TITLES[c][1]}` : count(g, ...CLASS_TITLES[c]); }).join(', ')}`
    : '## Mesh diff: no changes';
  const out = [title, ''];
  out.push(`${md(sideLine('Before', names.before, diff.before))}  `, `${md(sideLine('After', names.after, diff.after))}`, '');
  if (!diff.hasChanges) {
    out.push(md(summaryLine(diff)));
    return `${out.join('\n')}\n`;
  }
  out.push(...markdownTable([['class', 'groups', 'calls', 'egress paths'],
    ...CHANGE_CLASSES.map((c) => [c, num(diff.counts[c].groups), num(diff.counts[c].calls), num(diff.counts[c].egressPaths)])]), '');
  out.push(md(summaryLine(diff)), '');
  for (const h of headlines(diff)) out.push(`**${md(h.title)}**`, '', ...h.items.map((i) => `- ${md(i)}`), '');
  for (const s of sections(diff)) {
    out.push('<details>', `<summary>${md(s.title)}</summary>`, '', ...markdownBlocks(s.blocks.map((b) => (b.kind === 'table' ? b : b.kind === 'para' ? { ...b, text: md(b.text) } : { ...b, items: b.items.map(md) }))), '</details>', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The diff as a JSON document. */
export function renderDiffJson(diff: MeshDiff, names: DiffNames = {}): string {
  return `${JSON.stringify(diffJson(diff, names), undefined, 2)}\n`;
}

/** The diff as a JSON value. */
export function diffJson(diff: MeshDiff, names: DiffNames = {}): object {
  const findings = (list: readonly Finding[]) => list.map((f) => ({
    rule: f.rule, message: f.message, fix: f.fix, count: f.count, resources: f.resources.map((r) => `${refText(r.ref)} (${r.locations.join(', ')})`),
  }));
  return {
    before: { name: names.before, ...diff.before }, after: { name: names.after, ...diff.after },
    hasChanges: diff.hasChanges, counts: diff.counts,
    calls: diff.calls, callRows: diff.callRows, egress: diff.egress, egressRows: diff.egressRows,
    workloads: diff.workloads, servicePorts: diff.servicePorts,
    findings: { added: findings(diff.findings.added), resolved: findings(diff.findings.resolved) },
  };
}

/** Classes of `--fail-on` (`finding`: a finding added). */
export const FAIL_ON = ['exposure', 'breakage', 'other', 'finding'] as const;
export type FailOn = typeof FAIL_ON[number];

/** Which of `classes` the diff has. */
export function failing(diff: MeshDiff, classes: readonly FailOn[]): FailOn[] {
  return classes.filter((c) => (c === 'finding' ? diff.findings.added.length > 0 : diff.counts[c].groups > 0));
}
