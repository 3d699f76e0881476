import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { EgressGateway } from './egress-gateway';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { IMeshWorkload } from './mesh-workload-interface';
import { checkIntents, IntentResult, IntentSpec, intentJson, intentText, PartySpec } from './model/intents';
import { MeshModel } from './model/model';
import { assertPort } from './private/validate';

/**
 * Who an intent is about: the pods of a workload, every workload running as an identity, or
 * every workload of a namespace.
 */
export class MeshParty {
  /** The pods of a workload (a MeshWorkload, MeshService or AdoptedWorkload): its namespace and selector labels. */
  public static workload(workload: IMeshWorkload): MeshParty {
    return new MeshParty({ kind: 'pods', namespace: workload.namespace, labels: { ...workload.selectorLabels } });
  }

  /** A workload by its `metadata.name` (a Deployment, StatefulSet, ... of manifests made elsewhere). */
  public static workloadNamed(namespace: IMeshNamespace, name: string): MeshParty {
    return new MeshParty({ kind: 'workload', id: `${namespace.name}/${name}` });
  }

  /** Pods by labels in a namespace. */
  public static pods(namespace: IMeshNamespace, labels: { [key: string]: string }): MeshParty {
    return new MeshParty({ kind: 'pods', namespace: namespace.name, labels: { ...labels } });
  }

  /** Every workload that runs as `serviceAccount` in `namespace`. */
  public static serviceAccount(namespace: IMeshNamespace, serviceAccount: string): MeshParty {
    return MeshParty.identity(WorkloadIdentity.of(namespace.trustDomain, namespace.name, serviceAccount));
  }

  /** Every workload with this identity. */
  public static identity(identity: WorkloadIdentity): MeshParty {
    return new MeshParty({ kind: 'identity', principal: identity.principal });
  }

  /** Every workload of a namespace. */
  public static namespace(namespace: IMeshNamespace): MeshParty {
    return new MeshParty({ kind: 'namespace', namespace: namespace.name });
  }

  /** @internal */
  public readonly _spec: PartySpec;

  private constructor(spec: PartySpec) {
    this._spec = spec;
  }
}

/** Options of the intents between workloads. */
export interface IntentPortOptions {
  /**
   * The Service port the intent is about (what clients call, as in the report's calls).
   * @default - every Service port of the server
   */
  readonly port?: number;
}

/** Options of the egress intents. */
export interface EgressIntentOptions {
  /**
   * The host's port.
   * @default - every port the input declares for the host (443 for a host it does not declare)
   */
  readonly port?: number;
}

/** Whether an intent holds. */
export enum IntentState {
  /** Every call or egress path it covers is as declared. */
  HOLDS = 'holds',
  /** Some call or path is not. */
  VIOLATED = 'violated',
  /** It covers no call or path: no such workload, Service port or host (a typo?). */
  UNMATCHED = 'unmatched',
}

/** An intent checked against the mesh model. */
export interface IntentCheck {
  /** The intent, e.g. `mustAllow pods:photo-ns/app=photo-frontend -> pods:photo-ns/app=photo-backend port 8000`. */
  readonly intent: string;
  readonly state: IntentState;
  /** Calls or egress paths it covers. */
  readonly checked: number;
  /** Of those, how many break it. */
  readonly violations: number;
  /** The first call or path that breaks it, e.g. `photo-ns/photo-frontend -> photo-ns/photo-backend:8000`. */
  readonly call?: string;
  /** What the intent expects of that call. */
  readonly expected?: string;
  /** What the model predicts for it (the outcome, or the egress path). */
  readonly predicted?: string;
  /** Why, in the model's words. */
  readonly reason?: string;
  /** One line: the intent, its state, and the call that breaks it. */
  readonly message: string;
}

let suspended = 0;

/** @internal Runs `f` (e.g. `chart.toJson()`) without failing on intents that do not hold. */
export function withoutIntentChecks<T>(f: () => T): T {
  suspended++;
  try {
    return f();
  } finally {
    suspended--;
  }
}

/** @internal */
export function toIntentCheck(r: IntentResult): IntentCheck {
  return {
    intent: r.text, state: r.state as IntentState, checked: r.checked, violations: r.violations,
    call: r.example?.call, expected: r.example?.expected, predicted: r.example?.predicted, reason: r.example?.reason, message: r.message,
  };
}

/**
 * What must hold in the mesh, declared with the chart and checked at synth: `cdk8s synth` (and
 * `app.synth()`) fail when the mesh model predicts otherwise, naming the call, the expected and the
 * predicted outcome and the reason. Emits no Kubernetes object: the intents live in the construct
 * tree. `MeshReport.fromChart(chart)` finds them (`checkIntents()`, and an Intents section in the
 * report); for manifests made elsewhere the validation plugin and `report --intents` take the
 * same intents as data (`toJson()`).
 *
 * ```ts
 * const intent = new MeshIntent(chart, 'intent');
 * intent.mustAllow(MeshParty.workload(frontend), MeshParty.workload(backend), { port: 8000 });
 * intent.mustDeny(MeshParty.workload(frontend), MeshParty.workload(datastore));
 * ```
 */
export class MeshIntent extends Construct {
  /** Intents declared in `scope` and below (e.g. a chart or an app), in construct order. */
  public static of(scope: Construct): MeshIntent[] {
    return scope.node.findAll().filter((c): c is MeshIntent => c instanceof MeshIntent);
  }

  private readonly specs: IntentSpec[] = [];
  private checking = false;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.validateIntents() });
  }

  /** Every call from `client` to `server` (on `port`) succeeds. */
  public mustAllow(client: MeshParty, server: MeshParty, options: IntentPortOptions = {}): void {
    this.add({ kind: 'mustAllow', from: client._spec, to: server._spec, port: this.port(options.port) });
  }

  /** Every call from `client` to `server` (on `port`) is refused (rejected, denied, failed, blocked). */
  public mustDeny(client: MeshParty, server: MeshParty, options: IntentPortOptions = {}): void {
    this.add({ kind: 'mustDeny', from: client._spec, to: server._spec, port: this.port(options.port) });
  }

  /** Every call to `target`'s Service ports that gets in comes over mutual TLS (no plaintext one does). */
  public mustBeMtls(target: MeshParty, options: IntentPortOptions = {}): void {
    this.add({ kind: 'mustBeMtls', target: target._spec, port: this.port(options.port) });
  }

  /** `client`'s traffic to `host` leaves through `egressGateway` only: routed there, allowed, and no bypass open. */
  public mustLeaveVia(client: MeshParty, host: string, egressGateway: EgressGateway, options: EgressIntentOptions = {}): void {
    this.add({ kind: 'mustLeaveVia', from: client._spec, host: this.host(host), gateway: egressGateway.host, port: this.port(options.port) });
  }

  /** `client` cannot reach `host` at all: refused or blocked, with no bypass open. */
  public mustNotReach(client: MeshParty, host: string, options: EgressIntentOptions = {}): void {
    this.add({ kind: 'mustNotReach', from: client._spec, host: this.host(host), port: this.port(options.port) });
  }

  /** The intents, one line each. */
  public get intents(): string[] {
    return this.specs.map(intentText);
  }

  /**
   * The intents as data, for the validation plugin's `intents` property (cdk8s.yaml) or
   * `cdk8s-istio-security report --intents FILE`: `[{ mustAllow: { from, to, port } }, ...]`.
   */
  public toJson(): any[] {
    return this.specs.map(intentJson);
  }

  /** @internal */
  public get _specs(): readonly IntentSpec[] {
    return this.specs;
  }

  private add(spec: IntentSpec): void {
    for (const party of [(spec as { from?: PartySpec }).from, (spec as { to?: PartySpec }).to, (spec as { target?: PartySpec }).target]) {
      if (party?.kind === 'pods' && Object.keys(party.labels).length === 0) {
        throw new IstioSecurityError(this, `${spec.kind}: MeshParty.pods(${party.namespace}, {}) selects by no label: give a label, or use MeshParty.namespace`);
      }
    }
    this.specs.push(spec);
  }

  private port(port: number | undefined): number | undefined {
    if (port !== undefined) assertPort(this, 'intent port', port);
    return port;
  }

  private host(host: string): string {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(host)) throw new IstioSecurityError(this, `intent host "${host}" is not a host name (lower-case DNS name, no scheme or port)`);
    return host;
  }

  private validateIntents(): string[] {
    if (this.specs.length === 0) return ['declares no intent: call mustAllow, mustDeny, mustBeMtls, mustLeaveVia or mustNotReach, or remove it'];
    // chart.toJson() validates the chart again, this construct included: skip the inner round,
    // and skip while a report reads the chart (it shows the intents' state instead of failing).
    if (this.checking || suspended > 0) return [];
    this.checking = true;
    try {
      const results = checkIntents(MeshModel.of(Chart.of(this).toJson()), this.specs);
      return results.filter((r) => r.state !== 'holds').map((r) => `intent ${r.message}`);
    } finally {
      this.checking = false;
    }
  }
}
