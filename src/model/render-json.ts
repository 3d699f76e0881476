// The JSON report, written piece by piece: the model never holds every call in memory, and
// neither does this writer (it yields about 64 KiB at a time, as the reader asks for it).

import { jsonForTerminal } from './escape';
import { MeshModel } from './model';
import { AccessGrant } from './rbac';
import { ConnectionRow, EgressRow, IngressRow, NamespaceAssumption, NotApplied, NotModelled, WorkloadRow } from './types';

/** An object the model does not evaluate, as the JSON report lists it. */
export interface JsonNote {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly manifest?: string;
  readonly field?: string;
  readonly reason: string;
}

/** Input the model did not evaluate because the cluster would refuse it (or it could not be read). */
export interface JsonNotApplied {
  /** The object, when the input is one. */
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly manifest?: string;
  /** Position of the document in the manifest, from 1. */
  readonly document?: number;
  readonly field?: string;
  readonly reason: string;
  /** Who refuses it (`the loader` when the input could not be read). */
  readonly source: string;
}

export function notAppliedJson(n: NotApplied): JsonNotApplied {
  return {
    kind: n.ref?.kind, namespace: n.ref?.namespace, name: n.ref?.name, manifest: n.manifest, document: n.document, field: n.field, reason: n.reason, source: n.source,
  };
}
/** A grant as the JSON report writes it: its target as `resource`, without the model's references. */
export type AccessRow = Pick<AccessGrant, 'namespace' | 'subject' | 'subjectClass' | 'verbs' | 'names' | 'via'> & { readonly resource: string };

/** The JSON report as one object (for small models). */
export interface JsonReport {
  readonly workloads: Array<{ id: string; namespace: string; serviceAccount: string; identity: string; sidecar: boolean }>;
  readonly connections: ConnectionRow[];
  readonly egress: EgressRow[];
  /** Calls from outside through ingress gateways. */
  readonly ingress: IngressRow[];
  /** Namespaces the input does not hold, with the labels the model gave them. */
  readonly namespaces: NamespaceAssumption[];
  readonly notModelled: JsonNote[];
  readonly notApplied: JsonNotApplied[];
  /** Who the input's RBAC lets change mesh security or read istiod's CA Secret. */
  readonly meshSecurityAccess: AccessRow[];
  /** What the model cannot see of RBAC. */
  readonly meshSecurityNotes: string[];
}

/** A note as JSON: the object's kind, namespace and name, then where and why. */
export function noteJson(n: NotModelled): JsonNote {
  return { kind: n.ref.kind, namespace: n.ref.namespace, name: n.ref.name, manifest: n.ref.manifest, field: n.field, reason: n.reason };
}

export function accessRow(g: AccessGrant): AccessRow {
  return { namespace: g.namespace, resource: g.target, subject: g.subject, subjectClass: g.subjectClass, verbs: g.verbs, names: g.names, via: g.via };
}

function workloadJson(w: WorkloadRow) {
  return { id: w.id, namespace: w.namespace, serviceAccount: w.serviceAccount, identity: w.identity, sidecar: w.sidecar };
}

/** The JSON report in chunks of about 64 KiB, generated as they are consumed. */
export function* jsonChunks(model: MeshModel): IterableIterator<string> {
  let buffer = '';
  function* array(name: string, items: Iterable<unknown>, last: boolean): IterableIterator<string> {
    buffer += `  "${name}": [`;
    let first = true;
    for (const item of items) {
      buffer += `${first ? '\n' : ',\n'}    ${jsonForTerminal(JSON.stringify(item))}`;
      first = false;
      if (buffer.length >= 65536) {
        yield buffer;
        buffer = '';
      }
    }
    buffer += `${first ? '' : '\n  '}]${last ? '\n' : ',\n'}`;
  }
  buffer += '{\n';
  yield* array('workloads', model.workloads().map(workloadJson), false);
  yield* array('connections', model.connections(), false);
  yield* array('egress', model.egress(), false);
  yield* array('ingress', model.ingress(), false);
  yield* array('namespaces', model.namespaceAssumptions, false);
  yield* array('notModelled', model.notModelled.map(noteJson), false);
  yield* array('notApplied', model.notApplied.map(notAppliedJson), false);
  yield* array('meshSecurityAccess', model.rbac.grants.map(accessRow), false);
  yield* array('meshSecurityNotes', model.rbac.notes, true);
  yield `${buffer}}\n`;
}

/** Writes the JSON report to `write`, chunk by chunk (a synchronous sink, such as a file). */
export function writeJson(model: MeshModel, write: (chunk: string) => void): void {
  for (const chunk of jsonChunks(model)) write(chunk);
}

/** The JSON report as an object. Holds every call: for small models only. */
export function toJsonReport(model: MeshModel): JsonReport {
  return {
    workloads: model.workloads().map(workloadJson),
    connections: [...model.connections()],
    egress: [...model.egress()],
    ingress: [...model.ingress()],
    namespaces: [...model.namespaceAssumptions],
    notModelled: model.notModelled.map(noteJson),
    notApplied: model.notApplied.map(notAppliedJson),
    meshSecurityAccess: model.rbac.grants.map(accessRow),
    meshSecurityNotes: [...model.rbac.notes],
  };
}
