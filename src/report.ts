import { App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { jsonForTerminal } from './model/escape';
import { findFindings } from './model/findings';
import { checkPathList, readManifests } from './model/load';
import { MeshModel } from './model/model';
import { RbacAccess } from './model/rbac';
import { toJsonReport } from './model/render-json';
import { renderMarkdown } from './model/render-markdown';
import { renderSvg } from './model/render-svg';
import { renderText } from './model/render-text';
import { toSnapshot } from './model/snapshot';
import { ConnectionRow } from './model/types';
import { MeshDiff } from './mesh-diff';
import { IntentCheck, MeshIntent, toIntentCheck, withoutIntentChecks } from './mesh-intent';
import { checkIntents, IntentResult } from './model/intents';
import { toMeshFinding } from './private/mesh-finding';

/** What happens to a call. */
export enum ConnectionOutcome {
  /** Succeeds over Istio mutual TLS. */
  MTLS = 'mtls',
  /** Succeeds without mesh mTLS. */
  PLAINTEXT = 'plaintext',
  /** The server's PeerAuthentication refuses it (plaintext to a STRICT port). */
  REJECTED = 'rejected',
  /** An AuthorizationPolicy refuses it. */
  DENIED = 'denied',
  /** The client's own TLS settings break it (e.g. ISTIO_MUTUAL to a server without a sidecar). */
  FAILED = 'failed',
  /** A NetworkPolicy stops it: the network drops it before the mesh sees it. */
  BLOCKED = 'blocked',
}

/** How traffic to an external host leaves the mesh. */
export enum EgressPath {
  /** Straight from the client pod. */
  DIRECT = 'direct',
  /** Through the egress gateway. */
  EGRESS_GATEWAY = 'egress-gateway',
}

/** Whether egress traffic gets out. */
export enum EgressOutcome {
  /** It gets out. */
  ALLOWED = 'allowed',
  /** An AuthorizationPolicy of the egress gateway refuses it. */
  DENIED = 'denied',
  /** The client's sidecar (REGISTRY_ONLY, host not registered) or a NetworkPolicy (a direct connection) stops it. */
  BLOCKED = 'blocked',
  /** Istio's configuration has nowhere to send it (a subset no rule defines, no Gateway route), or a TLS handshake on the way fails. */
  FAILED = 'failed',
}

/** TLS towards an external host. */
export enum EgressTlsMode {
  /** Plaintext. */
  NONE = 'none',
  /** The app's own TLS, passed through. */
  PASSTHROUGH = 'passthrough',
  /** TLS originated by the gateway or the sidecar. */
  ORIGINATED = 'originated',
  /** Mutual TLS (client certificate) originated by the gateway or the sidecar. */
  MUTUAL_ORIGINATED = 'mutual-originated',
}

/** What the ingress gateway does with the TLS of a call from outside (the Gateway server's `tls.mode`). */
export enum EdgeTlsMode {
  /** Plain HTTP (or TCP) between the client and the gateway. */
  NONE = 'none',
  /** TLS terminated at the gateway (SIMPLE). */
  SIMPLE = 'simple',
  /** Mutual TLS at the gateway: the client presents a certificate (MUTUAL). */
  MUTUAL = 'mutual',
  /** The client's TLS passed through the gateway to the workload (PASSTHROUGH). */
  PASSTHROUGH = 'passthrough',
}

/** Formats of the mesh report. */
export enum ReportFormat {
  TEXT = 'text',
  JSON = 'json',
  MARKDOWN = 'markdown',
  /** A Graphviz picture: use `renderSvg()`. */
  SVG = 'svg',
  /** The compact, sorted behaviour snapshot of `toSnapshot()`. */
  SNAPSHOT = 'snapshot',
}

/** How much of the calls the text and Markdown reports show. */
export enum ReportDetail {
  /** Detailed up to 1,000 calls and 80 workloads, aggregated above. */
  AUTO = 'auto',
  /** A matrix per namespace pair, one row per egress path. */
  DETAILED = 'detailed',
  /** Groups of calls that every policy treats alike. */
  AGGREGATED = 'aggregated',
}

/** What an RBAC grant lets a subject change or read. */
export enum MeshSecurityResource {
  PEER_AUTHENTICATION = 'PeerAuthentication',
  AUTHORIZATION_POLICY = 'AuthorizationPolicy',
  REQUEST_AUTHENTICATION = 'RequestAuthentication',
  DESTINATION_RULE = 'DestinationRule',
  SIDECAR = 'Sidecar',
  ENVOY_FILTER = 'EnvoyFilter',
  /** The Namespace object: its labels decide sidecar injection. */
  NAMESPACE = 'Namespace',
  /** istiod's CA Secret (`cacerts`, `istio-ca-secret`) in istiod's namespace. */
  CA_SECRET = 'CA Secret',
}

/** Whose grant it is. */
export enum RbacSubjectClass {
  /** May do anything cluster-wide (bound cluster-wide to a `*` rule, or group `system:masters`). */
  ADMIN = 'admin',
  /** Kubernetes' own components (`system:` users and groups, kube-system service accounts). */
  SYSTEM = 'system',
  /** A service account of istiod's namespace. */
  CONTROL_PLANE = 'control-plane',
  /** Anyone else: teams, CI, `system:authenticated`. */
  OTHER = 'other',
}

/** Settings of the mesh that manifests do not carry. */
export interface MeshReportOptions {
  /**
   * Istio's root namespace (mesh-wide policies live there).
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * Trust domain of workload identities.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Cluster domain of Service hosts.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Service hosts of egress gateways, besides Services whose pods a Gateway in the input selects.
   * @default ["istio-egressgateway.istio-system.svc.cluster.local"]
   */
  readonly egressGatewayHosts?: string[];
  /**
   * Labels of namespaces the input does not hold, by namespace, e.g.
   * `{ default: { 'istio-injection': 'enabled' } }` for manifests applied to an injected namespace.
   * A Namespace object in the input wins over its declaration.
   * @default - none declared
   */
  readonly namespaceLabels?: { [namespace: string]: { [key: string]: string } };
  /**
   * Take every namespace neither in the input nor declared as labelled `istio-injection=enabled`.
   * @default false (such namespaces are taken as unlabelled: no sidecar injection)
   */
  readonly assumeInjected?: boolean;
  /**
   * The namespace istiod runs in, with its CA Secret.
   * @default "istio-system"
   */
  readonly istiodNamespace?: string;
}

/** Where the model took a namespace's labels from, when the input does not hold the namespace. */
export enum NamespaceLabelSource {
  /** From `MeshReportOptions.namespaceLabels` (`--namespace`). */
  DECLARED = 'declared',
  /** Assumed: unlabelled, or `istio-injection=enabled` with `assumeInjected`. */
  ASSUMED = 'assumed',
}

/** A namespace the input does not hold, and the labels the model gave it. */
export interface AssumedNamespace {
  readonly name: string;
  readonly source: NamespaceLabelSource;
  /** The labels the model uses (besides the automatic `kubernetes.io/metadata.name`). */
  readonly labels: { [key: string]: string };
  /** Where the labels come from and what they mean for sidecar injection. */
  readonly how: string;
}

/** Something in the input the model does not evaluate: the report treats it as absent. */
export interface NotModelledInput {
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /**
   * The field the model skips.
   * @default - the whole object
   */
  readonly field?: string;
  /** What it may change that the report does not show. */
  readonly reason: string;
}

/** Options of `MeshReport.fromFiles`: the settings of the mesh, and limits of what is read. */
export interface MeshFilesOptions extends MeshReportOptions {
  /**
   * Bytes one file may have; a larger file is not read (it is listed in `notApplied`).
   * @default 67108864 (64 MiB)
   */
  readonly maxFileBytes?: number;
  /**
   * Bytes all files may have together; files beyond are not read (they are listed in `notApplied`).
   * @default 268435456 (256 MiB)
   */
  readonly maxTotalBytes?: number;
}

/**
 * Input the model does not evaluate because the cluster would not apply it: a file that cannot be
 * read, a document that is not a Kubernetes object, an object the API server or Istio refuses.
 */
export interface NotAppliedInput {
  /**
   * The object's kind.
   * @default - the input is not an object (a file, or a document that is not a Kubernetes object)
   */
  readonly kind?: string;
  /**
   * The object's namespace (empty for cluster-scoped objects).
   * @default - the input is not an object
   */
  readonly namespace?: string;
  /**
   * The object's name.
   * @default - the input is not an object
   */
  readonly name?: string;
  /**
   * The file.
   * @default - the input did not come from a file
   */
  readonly manifest?: string;
  /**
   * Position of the YAML document (or JSON list item) in the file, from 1.
   * @default - the whole file
   */
  readonly document?: number;
  /**
   * The field at fault, e.g. `spec.ports[0].name`.
   * @default - the whole input
   */
  readonly field?: string;
  /** Why it is not applied. */
  readonly reason: string;
  /** Who refuses it: `the loader` (not read), `kubectl`, `the API server's schema` or `validation`, `the CRD schema`, `Istio's validation`. */
  readonly refusedBy: string;
}

/** Options of `MeshReport.render`. */
export interface ReportRenderOptions {
  /**
   * How much detail the text and Markdown formats show.
   * @default ReportDetail.AUTO
   */
  readonly detail?: ReportDetail;
}

/** A workload the model found. */
export interface ModelledWorkload {
  /** `<namespace>/<name>`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Deployment, StatefulSet, DaemonSet, Job, Pod, ... */
  readonly kind: string;
  readonly serviceAccount: string;
  /** SPIFFE identity `spiffe://<trust domain>/ns/<ns>/sa/<sa>`. */
  readonly identity: string;
  /** Whether Istio injects a sidecar. */
  readonly sidecar: boolean;
  /** Why it has (or lacks) a sidecar. */
  readonly sidecarReason: string;
}

/** A predicted call from a client workload to a Service port of a server workload. */
export interface PredictedConnection {
  /** Client workload id. */
  readonly from: string;
  /** Server workload id. */
  readonly to: string;
  /** `<namespace>/<Service name>`. */
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  readonly outcome: ConnectionOutcome;
  /**
   * On `BLOCKED` calls: the outcome the mesh would give if the network let the call through.
   * @default - not blocked
   */
  readonly meshOutcome?: ConnectionOutcome;
  /** Why, in one line. */
  readonly reason: string;
}

/** A predicted path from a client workload to an external host and port. */
export interface PredictedEgress {
  /** Client workload id. */
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly outcome: EgressOutcome;
  readonly via: EgressPath;
  readonly tls: EgressTlsMode;
  /** Whether a NetworkPolicy surely stops the pod from reaching the host directly. */
  readonly bypassBlocked: boolean;
  /** Through the egress gateway: whether NetworkPolicies stop the pod from reaching the gateway itself. */
  readonly gatewayBlocked: boolean;
  /** Why, in one line. */
  readonly reason: string;
}

/** One subject's right, through one RBAC binding, to change a namespace's mesh security or read istiod's CA. */
export interface MeshSecurityAccess {
  /** The namespace it applies in; `*` for every namespace (a ClusterRoleBinding). */
  readonly namespace: string;
  readonly resource: MeshSecurityResource;
  /** `Group photo-sre`, `User alice`, `ServiceAccount ci/deployer`. */
  readonly subject: string;
  readonly subjectClass: RbacSubjectClass;
  /**
   * The requests it may make: write verbs (`create`, `update`, `patch`, `delete`, `deletecollection`);
   * for the CA Secret `get`, `list`, `watch`, or `create pods` (and other workloads, `pods/exec`).
   */
  readonly verbs: string[];
  /**
   * Only the objects of these names (the rule's resourceNames).
   * @default - every object
   */
  readonly names?: string[];
  /** The binding and role, e.g. `ClusterRoleBinding x -> ClusterRole edit (aggregates istio-edit)`. */
  readonly via: string;
}

/** A predicted call from outside the mesh through an ingress gateway to a Service port of a workload. */
export interface PredictedIngress {
  /** Always `external`: a client outside the mesh, without a mesh identity. */
  readonly from: string;
  /** The ingress gateway pods: their workload id, or `<namespace>/istio-ingressgateway` when the model assumed Istio's. */
  readonly gateway: string;
  /** `<namespace>/<name>` of the Gateway. */
  readonly gatewayResource: string;
  /** The host the client calls. */
  readonly host: string;
  /** The gateway port the client connects to. */
  readonly gatewayPort: number;
  /** TLS between the client and the gateway. */
  readonly edgeTls: EdgeTlsMode;
  /** Server workload id. */
  readonly to: string;
  /** `<namespace>/<Service name>`. */
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  /** The outcome of the whole way in: at the gateway, then the gateway's call (with its own identity) to the workload. */
  readonly outcome: ConnectionOutcome;
  /**
   * On `BLOCKED` calls: the outcome the mesh would give if the network let the call through.
   * @default - not blocked
   */
  readonly meshOutcome?: ConnectionOutcome;
  /** Why, in one line. */
  readonly reason: string;
}

/** A configuration the model knows is broken. */
export interface MeshFinding {
  /**
   * `istio-mutual-without-sidecar`, `plaintext-to-strict`, `client-tls-mismatch`,
   * `principal-never-matches`, `egress-gateway-bypass`, `service-port-in-authorization`,
   * `identity-not-found`, `selector-matches-no-pod`, `policy-without-sidecar`, `strict-under-disable`,
   * `rbac-weakens-strict`, `rbac-reads-ca`, `rbac-wildcard`, `credential-name-in-sidecar-rule`,
   * `decided-by-age`, `port-level-without-tls`, `ingress-route-denied`, `jwt-not-required`,
   * `gateway-credential-namespace` or `host-plaintext-and-tls`.
   */
  readonly rule: string;
  /** What is wrong, with an example. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Calls (or egress paths) it breaks; for RBAC findings, namespaces or grants. */
  readonly count: number;
  /** `Kind namespace/name (location)` of each resource involved. */
  readonly resources: string[];
}

/**
 * Predicts, from manifests alone, what Istio does with every call between workloads
 * (mTLS, plaintext, rejected, denied, failed) and every path to an external host, without a cluster.
 *
 * TypeScript users who need the streaming model (10,000s of workloads) import `MeshModel` from
 * `cdk8s-istio-security/lib/src/model`.
 */
export class MeshReport {
  /** The model of every chart of an app, as if they were deployed together. */
  public static fromApp(app: App, options: MeshReportOptions = {}): MeshReport {
    const report = MeshReport.fromManifests(withoutIntentChecks(() => app.charts.flatMap((chart) => chart.toJson())), options);
    report.intents.push(...MeshIntent.of(app));
    return report;
  }

  /** The model of one chart. */
  public static fromChart(chart: Chart, options: MeshReportOptions = {}): MeshReport {
    const report = MeshReport.fromManifests(withoutIntentChecks(() => chart.toJson()), options);
    report.intents.push(...MeshIntent.of(chart));
    return report;
  }

  /** The model of Kubernetes objects (parsed manifests). Objects the cluster would refuse are listed in `notApplied`. */
  public static fromManifests(manifests: any[], options: MeshReportOptions = {}): MeshReport {
    if (!Array.isArray(manifests)) throw refusal('MeshReport.fromManifests', `manifests must be a list of objects, not ${typeof manifests}`);
    return new MeshReport(MeshModel.of(manifests, options));
  }

  /**
   * The model of YAML or JSON manifest files, or folders of them (symbolic links followed, each
   * folder once). Only regular files are read, within the size limits; what cannot be read, and
   * objects the cluster would refuse, are listed in `notApplied`.
   */
  public static fromFiles(paths: string[], options: MeshFilesOptions = {}): MeshReport {
    try {
      checkPathList(paths);
    } catch (err) {
      throw refusal('MeshReport.fromFiles', (err as Error).message);
    }
    const { maxFileBytes, maxTotalBytes, ...meshOptions } = options;
    for (const [name, value] of [['maxFileBytes', maxFileBytes], ['maxTotalBytes', maxTotalBytes]] as const) {
      if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
        throw refusal('MeshReport.fromFiles', `${name} must be a whole number of bytes, not ${JSON.stringify(value)}`);
      }
    }
    const input = readManifests(paths, { maxFileBytes, maxTotalBytes });
    return new MeshReport(new MeshModel(input.objects, meshOptions, input.problems));
  }

  /**
   * What changes from `before` to `after` (e.g. the main branch's manifests and a pull request's):
   * calls and egress paths whose outcome or reason changes, each an exposure, a breakage or
   * another change; workloads, Service ports and findings added and removed.
   */
  public static diff(before: MeshReport, after: MeshReport): MeshDiff {
    return MeshDiff._between(before.model, after.model);
  }

  private readonly model: MeshModel;
  private readonly intents: MeshIntent[] = [];

  private constructor(model: MeshModel) {
    this.model = model;
  }

  /** Every workload, sorted by id. */
  public get workloads(): ModelledWorkload[] {
    return this.model.workloads().map((w) => ({ ...w }));
  }

  /** Number of calls (client workloads x Service ports on server workloads). */
  public get connectionCount(): number {
    return this.model.connectionCount();
  }

  /** Notes about the input (duplicate objects, declarations of namespaces the input holds). */
  public get warnings(): string[] {
    return [...this.model.warnings];
  }

  /** Input the cluster would not apply (or that could not be read): not evaluated, listed with the file and field. */
  public get notApplied(): NotAppliedInput[] {
    return this.model.notApplied.map((n) => ({
      kind: n.ref?.kind, namespace: n.ref?.namespace, name: n.ref?.name, manifest: n.manifest, document: n.document, field: n.field, reason: n.reason, refusedBy: n.source,
    }));
  }

  /** What the input holds that the model does not evaluate (the report treats it as absent). */
  public get notModelled(): NotModelledInput[] {
    return this.model.notModelled.map((n) => ({ kind: n.ref.kind, namespace: n.ref.namespace, name: n.ref.name, field: n.field, reason: n.reason }));
  }

  /** Namespaces the input does not hold, with the labels the model gave them. */
  public get assumedNamespaces(): AssumedNamespace[] {
    return this.model.namespaceAssumptions.map((a) => ({ ...a, labels: { ...a.labels }, source: a.source as NamespaceLabelSource }));
  }

  /** Every call. Materialises clients x ports rows: for apps, not for 10,000s of workloads. */
  public connections(): PredictedConnection[] {
    return [...this.model.connections()].map(toConnection);
  }

  /** The calls a workload makes. */
  public connectionsFrom(workloadId: string): PredictedConnection[] {
    return [...this.model.connectionsFrom(workloadId)].map(toConnection);
  }

  /** The call from one workload to a Service port of another, if there is such a port. */
  public connection(from: string, to: string, port: number): PredictedConnection | undefined {
    for (const c of this.model.connectionsFrom(from)) if (c.to === to && c.port === port) return toConnection(c);
    return undefined;
  }

  /** Every path from a client workload to an external host and port. */
  public egress(): PredictedEgress[] {
    return [...this.model.egress()].map((e) => ({ ...e, outcome: e.outcome as EgressOutcome, via: e.via as EgressPath, tls: e.tls as EgressTlsMode }));
  }

  /**
   * Who the input's RBAC lets create, change or delete each namespace's PeerAuthentications,
   * AuthorizationPolicies, RequestAuthentications, DestinationRules, Sidecars and EnvoyFilters,
   * change its Namespace, or read istiod's CA Secret. See `meshSecurityNotes` for what it cannot see.
   */
  public meshSecurityAccess(): MeshSecurityAccess[] {
    return this.model.rbac.grants.map(toAccess);
  }

  /** Every call from outside through an ingress gateway: one per Gateway host and port, route and workload behind it. */
  public ingress(): PredictedIngress[] {
    return [...this.model.ingress()].map((i) => {
      const { meshOutcome, ...rest } = i;
      return {
        ...rest, edgeTls: i.edgeTls as EdgeTlsMode, outcome: i.outcome as ConnectionOutcome,
        ...(meshOutcome ? { meshOutcome: meshOutcome as ConnectionOutcome } : {}),
      };
    });
  }

  /** The grants that reach `namespace`: its own, and those for every namespace. */
  public meshSecurityAccessIn(namespace: string): MeshSecurityAccess[] {
    return this.model.rbac.grants.filter((g) => RbacAccess.covers(g, namespace)).map(toAccess);
  }

  /** What the RBAC part of the model cannot see, or assumes (cluster defaults, other authorizers). */
  public get meshSecurityNotes(): string[] {
    return [...this.model.rbac.notes];
  }

  /** What the model knows is broken. */
  public findings(): MeshFinding[] {
    return findFindings(this.model).map(toMeshFinding);
  }

  /**
   * Checks declared intents against the model: `intent`'s, or without it those the chart (or
   * app) of `fromChart` (`fromApp`) declares. The text and Markdown reports list the latter.
   */
  public checkIntents(intent?: MeshIntent): IntentCheck[] {
    return this.intentResults(intent).map(toIntentCheck);
  }

  private intentResults(intent?: MeshIntent): IntentResult[] {
    return checkIntents(this.model, (intent ? [intent] : this.intents).flatMap((i) => i._specs));
  }

  /**
   * The mesh's behaviour as a compact, stable, sorted text for snapshot tests
   * (`expect(report.toSnapshot()).toMatchSnapshot()`): workloads, then calls and egress paths
   * listed under the outcome and reason they share, findings, and what the model assumed or did
   * not evaluate. Beyond 5,000 calls or egress paths, groups of alike calls instead of rows.
   */
  public toSnapshot(): string {
    return toSnapshot(this.model);
  }

  /** The report as text, Markdown, JSON or a snapshot (SVG needs `renderSvg()`). */
  public render(format: ReportFormat, options: ReportRenderOptions = {}): string {
    const detail = options.detail ?? ReportDetail.AUTO;
    switch (format) {
      case ReportFormat.TEXT: return renderText(this.model, { detail, intents: this.intentResults() });
      case ReportFormat.MARKDOWN: return renderMarkdown(this.model, { detail, intents: this.intentResults() });
      case ReportFormat.JSON: return `${jsonForTerminal(JSON.stringify(toJsonReport(this.model), undefined, 2))}\n`;
      case ReportFormat.SNAPSHOT: return toSnapshot(this.model);
      default: throw new Error(`format ${format}: use renderSvg() for SVG`);
    }
  }

  /** The picture of workloads and calls, coloured by outcome, as SVG (Graphviz). */
  public async renderSvg(): Promise<string> {
    return renderSvg(this.model);
  }
}

function toAccess(g: RbacAccess['grants'][number]): MeshSecurityAccess {
  return {
    namespace: g.namespace, resource: g.target as MeshSecurityResource, subject: g.subject, subjectClass: g.subjectClass as RbacSubjectClass,
    verbs: [...g.verbs], names: g.names ? [...g.names] : undefined, via: g.via,
  };
}

function toConnection(c: ConnectionRow): PredictedConnection {
  return {
    from: c.from, to: c.to, service: c.service, port: c.port, outcome: c.outcome as ConnectionOutcome,
    ...(c.meshOutcome ? { meshOutcome: c.meshOutcome as ConnectionOutcome } : {}), reason: c.reason,
  };
}

/** An IstioSecurityError for a refused argument of a MeshReport factory (which has no construct). */
function refusal(where: string, message: string): IstioSecurityError {
  return new IstioSecurityError({ node: { path: where } } as unknown as IConstruct, message);
}
