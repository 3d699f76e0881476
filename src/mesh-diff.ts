import { diffModels, MeshDiff as ModelDiff } from './model/diff';
import { MeshModel } from './model/model';
import { renderDiffJson, renderDiffMarkdown, renderDiffText } from './model/render-diff';
import { renderDiffSvg } from './model/render-svg';
import { toMeshFinding } from './private/mesh-finding';
// Type-only: report.ts imports this file at run time.
import type { ConnectionOutcome, MeshFinding } from './report';

/** How a change matters to a reviewer. */
export enum ChangeClass {
  /**
   * Something refused now succeeds; mTLS becomes plaintext; a path through the egress gateway
   * becomes direct; a bypass of the gateway is no longer blocked; TLS to an external host is lost.
   */
  EXPOSURE = 'exposure',
  /** Something that succeeded now fails (rejected, denied, failed, blocked, ...). */
  BREAKAGE = 'breakage',
  /** Anything else: a reason changes, a call is added or removed, protection improves. */
  OTHER = 'other',
}

/** Whether a call or egress path exists in both versions, or only in one. */
export enum ChangeKind {
  /** In both versions, with another outcome, reason or path. */
  CHANGED = 'changed',
  /** Only after the change (a new workload, Service port or host). */
  ADDED = 'added',
  /** Only before the change. */
  REMOVED = 'removed',
}

/** Formats of the diff. */
export enum DiffFormat {
  TEXT = 'text',
  /** Made to be posted as a pull-request comment: the summary first, the details folded. */
  MARKDOWN = 'markdown',
  JSON = 'json',
}

/** Calls that changed alike (one outcome and reason summary before, one after). */
export interface CallChangeGroup {
  readonly changeClass: ChangeClass;
  readonly kind: ChangeKind;
  /** Outcome before (none for calls that are new). */
  readonly beforeOutcome?: ConnectionOutcome;
  readonly afterOutcome?: ConnectionOutcome;
  /** The example call's reason before. */
  readonly beforeReason?: string;
  readonly afterReason?: string;
  /** Whether the outcome changed, not only the reason. */
  readonly outcomeChanged: boolean;
  /** An example call, `client -> server:port`. */
  readonly example: string;
  readonly calls: number;
  /** Distinct client workloads. */
  readonly clients: number;
  /** Distinct Service ports on server workloads. */
  readonly serverPorts: number;
  /** `client namespace -> server namespace`, at most 100. */
  readonly namespacePairs: string[];
}

/** One changed call. */
export interface ChangedCall {
  readonly from: string;
  readonly to: string;
  /** `<namespace>/<Service name>`. */
  readonly service: string;
  readonly port: number;
  readonly changeClass: ChangeClass;
  readonly beforeOutcome?: ConnectionOutcome;
  readonly afterOutcome?: ConnectionOutcome;
  readonly beforeReason?: string;
  readonly afterReason?: string;
}

/** Egress paths that changed alike. */
export interface EgressChangeGroup {
  readonly changeClass: ChangeClass;
  readonly kind: ChangeKind;
  /** Fields of the path whose value changed (`via`, `tls`, `bypassBlocked`, ...). */
  readonly changedFields: string[];
  /** The path before, e.g. `via egress-gateway, tls none, bypassBlocked yes`. */
  readonly before?: string;
  readonly after?: string;
  readonly beforeReason?: string;
  readonly afterReason?: string;
  /** An example path, `client -> host:port`. */
  readonly example: string;
  /** Paths (one client to one host and port each). */
  readonly paths: number;
  /** `host:port`s, at most 100. */
  readonly hosts: string[];
  /** Client namespaces, at most 100. */
  readonly namespaces: string[];
}

function fieldsText(fields: { readonly [k: string]: string | number | boolean } | undefined): string | undefined {
  return fields && Object.entries(fields).map(([k, v]) => `${k} ${v === true ? 'yes' : v === false ? 'no' : v}`).join(', ');
}

/**
 * What a change to the manifests does to the mesh, from `MeshReport.diff(before, after)`.
 * Groups of changes are computed from the model's groups, so they cost about what a report costs;
 * changed calls one by one are listed only for small inputs (`changedCallsListed`).
 */
export class MeshDiff {
  /** @internal */
  public static _between(before: MeshModel, after: MeshModel): MeshDiff {
    return new MeshDiff(diffModels(before, after));
  }

  private readonly diff: ModelDiff;

  private constructor(diff: ModelDiff) {
    this.diff = diff;
  }

  /** Whether anything differs: calls, egress paths, workloads, Service ports or findings. */
  public get hasChanges(): boolean {
    return this.diff.hasChanges;
  }

  /** Whether there is a change of this class. */
  public has(changeClass: ChangeClass): boolean {
    return this.diff.counts[changeClass].groups > 0;
  }

  /** Calls of changes of this class. */
  public callsOf(changeClass: ChangeClass): number {
    return this.diff.counts[changeClass].calls;
  }

  /** Egress paths of changes of this class. */
  public egressPathsOf(changeClass: ChangeClass): number {
    return this.diff.counts[changeClass].egressPaths;
  }

  /** Groups of changed calls: exposures first, then breakages, then the rest. */
  public get callChanges(): CallChangeGroup[] {
    return this.diff.calls.map((c) => ({
      changeClass: c.class as ChangeClass, kind: c.kind as ChangeKind,
      beforeOutcome: c.before?.outcome as ConnectionOutcome | undefined, afterOutcome: c.after?.outcome as ConnectionOutcome | undefined,
      beforeReason: c.before?.reason, afterReason: c.after?.reason, outcomeChanged: c.outcomeChanged, example: c.example,
      calls: c.calls, clients: c.clients, serverPorts: c.serverPorts, namespacePairs: [...c.namespacePairs],
    }));
  }

  /** Whether `changedCalls` lists every changed call (both versions small enough). */
  public get changedCallsListed(): boolean {
    return this.diff.callRows !== undefined;
  }

  /** Every changed call, when `changedCallsListed`; otherwise empty (see `callChanges`). */
  public get changedCalls(): ChangedCall[] {
    return (this.diff.callRows ?? []).map((r) => ({
      from: r.from, to: r.to, service: r.service, port: r.port, changeClass: r.class as ChangeClass,
      beforeOutcome: r.before?.outcome as ConnectionOutcome | undefined, afterOutcome: r.after?.outcome as ConnectionOutcome | undefined,
      beforeReason: r.before?.reason, afterReason: r.after?.reason,
    }));
  }

  /** Groups of changed egress paths. */
  public get egressChanges(): EgressChangeGroup[] {
    return this.diff.egress.map((c) => ({
      changeClass: c.class as ChangeClass, kind: c.kind as ChangeKind, changedFields: [...c.changedFields],
      before: fieldsText(c.before?.fields), after: fieldsText(c.after?.fields), beforeReason: c.before?.reason, afterReason: c.after?.reason,
      example: c.example, paths: c.paths, hosts: [...c.hosts], namespaces: [...c.namespaces],
    }));
  }

  /** Ids of workloads only after the change. */
  public get workloadsAdded(): string[] {
    return this.diff.workloads.filter((w) => w.kind === 'added').map((w) => w.id);
  }

  /** Ids of workloads only before the change. */
  public get workloadsRemoved(): string[] {
    return this.diff.workloads.filter((w) => w.kind === 'removed').map((w) => w.id);
  }

  /** Ids of workloads whose sidecar or identity changed. */
  public get workloadsChanged(): string[] {
    return this.diff.workloads.filter((w) => w.kind === 'changed').map((w) => w.id);
  }

  /** `namespace/service:port` only after the change. */
  public get servicePortsAdded(): string[] {
    return [...this.diff.servicePorts.added];
  }

  /** `namespace/service:port` only before the change. */
  public get servicePortsRemoved(): string[] {
    return [...this.diff.servicePorts.removed];
  }

  /** Findings only after the change. */
  public get findingsAdded(): MeshFinding[] {
    return this.diff.findings.added.map(toMeshFinding);
  }

  /** Findings only before the change. */
  public get findingsResolved(): MeshFinding[] {
    return this.diff.findings.resolved.map(toMeshFinding);
  }

  /** The picture of the diff as SVG (Graphviz): changed calls coloured by class. */
  public async renderSvg(): Promise<string> {
    return renderDiffSvg(this.diff);
  }

  /** The diff as text, Markdown (a pull-request comment) or JSON. */
  public render(format: DiffFormat): string {
    switch (format) {
      case DiffFormat.MARKDOWN: return renderDiffMarkdown(this.diff);
      case DiffFormat.JSON: return renderDiffJson(this.diff);
      default: return renderDiffText(this.diff);
    }
  }
}
