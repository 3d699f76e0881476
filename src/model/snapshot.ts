// The mesh's behaviour as a compact, stable, sorted text for snapshot tests (jest's
// `toMatchSnapshot()`): a change of behaviour shows up as a snapshot diff in review. Calls and
// egress paths are listed under the outcome and reason they share, so one call that changes moves
// one line. Every field of a row but its endpoints and reason is part of the header, so fields
// the model adds later flow through. Above SNAPSHOT_ROW_LIMIT rows, groups of alike calls instead.

import { aggregate } from './aggregate';
import { findFindings } from './findings';
import { MeshModel } from './model';
import { inputNoteLines, namespaceLines } from './report-doc';
import { plural as count } from './escape';
import { refText } from './types';

/** Above this many calls or egress paths, the snapshot lists groups instead of rows. */
export const SNAPSHOT_ROW_LIMIT = 5_000;

function attributes(item: object, skip: readonly string[]): string {
  const row = item as { readonly [k: string]: unknown };
  return Object.keys(row).filter((k) => !skip.includes(k) && row[k] !== undefined).sort()
    .map((k) => `${k}=${row[k] === true ? 'yes' : row[k] === false ? 'no' : String(row[k])}`).join(' ');
}

function grouped(lines: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const header of [...lines.keys()].sort()) out.push(header, ...lines.get(header)!.sort().map((l) => `  ${l}`));
  return out;
}

function push(map: Map<string, string[]>, key: string, line: string): void {
  const list = map.get(key);
  if (list) list.push(line);
  else map.set(key, [line]);
}

export function toSnapshot(model: MeshModel): string {
  const calls = model.connectionCount();
  const paths = model.egressCount();
  const findings = findFindings(model);
  const out = [`mesh: ${count(model.inventory.workloads.length, 'workload')}, ${count(calls, 'call')}, ${count(paths, 'egress path')}, ${count(findings.length, 'finding')}`];
  out.push('workloads:', ...model.workloads().map((w) => `  ${w.id} ${w.sidecar ? 'sidecar' : 'no-sidecar'} ${w.identity}`).sort());
  if (calls <= SNAPSHOT_ROW_LIMIT && paths <= SNAPSHOT_ROW_LIMIT) {
    const byOutcome = new Map<string, string[]>();
    for (const c of model.connections()) {
      push(byOutcome, `call ${attributes(c, ['from', 'to', 'service', 'port', 'reason'])}: ${c.reason}`,
        `${c.from} -> ${c.to}:${c.port}${c.service.endsWith(`/${c.to.split('/')[1]}`) ? '' : ` (${c.service})`}`);
    }
    const byPath = new Map<string, string[]>();
    for (const e of model.egress()) push(byPath, `egress ${attributes(e, ['from', 'host', 'port', 'reason'])}: ${e.reason}`, `${e.from} -> ${e.host}:${e.port}`);
    const byWay = new Map<string, string[]>();
    for (const i of model.ingress()) {
      push(byWay, `ingress ${attributes(i, ['from', 'gateway', 'gatewayResource', 'host', 'gatewayPort', 'to', 'service', 'port', 'reason'])}: ${i.reason}`,
        `external -> ${i.host}:${i.gatewayPort} -> ${i.to}:${i.port}`);
    }
    out.push(...grouped(byOutcome), ...grouped(byPath), ...grouped(byWay));
  } else {
    const agg = aggregate(model);
    out.push(...agg.callGroups.map((g) => `calls ${g.outcome} x${g.count} (${g.clients} clients, ${g.endpoints} server ports): ${g.summary}; `
      + `${g.namespacePairs.slice(0, 5).join(', ')}${g.namespacePairs.length > 5 || g.namespacePairsTruncated ? ', ...' : ''}`).sort());
    out.push(...agg.egressGroups.map((g) => `egress ${attributes(g, ['host', 'port', 'reason', 'example', 'clients', 'namespaces'])} `
      + `x${g.clients} ${g.host}:${g.port}: ${g.reason.split(';')[0]}`).sort());
  }
  out.push(...findings.map((f) => `finding ${f.rule} (${f.count}): ${f.resources.map((r) => refText(r.ref)).join(', ')}`).sort());
  out.push(...namespaceLines(model.namespaceAssumptions).map((l) => `namespace not in the input: ${l}`).sort());
  out.push(...inputNoteLines(model.notModelled).map((l) => `not modelled: ${l}`).sort());
  return `${out.join('\n')}\n`;
}
