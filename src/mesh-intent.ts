import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { EgressGateway } from './egress-gateway';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { IMeshWorkload } from './mesh-workload-interface';
import { checkIntents, IntentResult, IntentSpec, intentJson, intentText, PartySpec } from './model/intents';
import { MeshModel } from './model/model';
import { snapshotNamespace, namespaceFacts } from './private/namespace-facts';
import { assertMeshWorkload } from './private/workload-check';
import {
  KnownKeys, assertDnsLabel, assertDnsSubdomain, assertInstance, assertPort, assertProps, assertSelector, isRecord, quote, recordedProblem,
} from './private/validate';

/**
 * Who an intent is about: the pods of a workload, every workload running as an identity, or
 * every workload of a namespace.
 */
export class MeshParty {
  // A party never throws on bad input: it keeps what it was given (read once) and the MeshIntent
  // that uses it refuses it, with the intent's construct path.

  /** The pods of a workload (a MeshWorkload, MeshService or AdoptedWorkload): its namespace and selector labels. */
  public static workload(workload: IMeshWorkload): MeshParty {
    return new MeshParty((scope) => {
      const w = assertMeshWorkload(scope, 'intent workload', workload);
      return { kind: 'pods', namespace: w.namespace, labels: { ...w.selectorLabels } };
    });
  }

  /** A workload by its `metadata.name` (a Deployment, StatefulSet, ... of manifests made elsewhere). */
  public static workloadNamed(namespace: IMeshNamespace, name: string): MeshParty {
    const ns = snapshotNamespace(namespace);
    return new MeshParty((scope) => {
      const facts = namespaceFacts(scope, 'intent namespace', ns);
      return { kind: 'workload', id: `${facts.name}/${assertDnsSubdomain(scope, 'intent workload name', name)}` };
    });
  }

  /** Pods by labels in a namespace. */
  public static pods(namespace: IMeshNamespace, labels: { [key: string]: string }): MeshParty {
    const ns = snapshotNamespace(namespace);
    const given = isRecord(labels) ? { ...labels } : labels;
    return new MeshParty((scope) => {
      const facts = namespaceFacts(scope, 'intent namespace', ns);
      const copy = assertSelector(scope, `MeshParty.pods(${facts.name}) labels`, given, 'selects by no label: give a label, or use MeshParty.namespace.');
      return { kind: 'pods', namespace: facts.name, labels: { ...copy } };
    });
  }

  /** Every workload that runs as `serviceAccount` in `namespace`. */
  public static serviceAccount(namespace: IMeshNamespace, serviceAccount: string): MeshParty {
    const ns = snapshotNamespace(namespace);
    return new MeshParty((scope) => {
      const facts = namespaceFacts(scope, 'intent namespace', ns);
      const account = assertDnsSubdomain(scope, 'intent service account', serviceAccount);
      return { kind: 'identity', principal: WorkloadIdentity.of(facts.trustDomain, facts.name, account).principal };
    });
  }

  /** Every workload with this identity. */
  public static identity(identity: WorkloadIdentity): MeshParty {
    return new MeshParty((scope) => {
      const id = assertInstance(scope, 'intent identity', identity, WorkloadIdentity, 'WorkloadIdentity.of(trustDomain, namespace, serviceAccount)');
      assertDnsSubdomain(scope, 'intent identity trust domain', id.trustDomain);
      assertDnsLabel(scope, 'intent identity namespace', id.namespace);
      assertDnsSubdomain(scope, 'intent identity service account', id.serviceAccount);
      return { kind: 'identity', principal: id.principal };
    });
  }

  /** Every workload of a namespace. */
  public static namespace(namespace: IMeshNamespace): MeshParty {
    const ns = snapshotNamespace(namespace);
    return new MeshParty((scope) => ({ kind: 'namespace', namespace: namespaceFacts(scope, 'intent namespace', ns).name }));
  }

  private constructor(private readonly resolve: (scope: IConstruct) => PartySpec) {}

  /** @internal The party as checked, refused with `scope`'s path. */
  public _specFor(scope: IConstruct): PartySpec {
    return this.resolve(scope);
  }
}

/** Most intents one MeshIntent keeps (each is checked against the whole model at synth). */
const MAX_INTENTS = 10_000;
const INTENT_OPTIONS: KnownKeys<IntentPortOptions> = { port: true };

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
    this.add(() => ({ kind: 'mustAllow', from: this.party('client', client), to: this.party('server', server), port: this.port(options) }));
  }

  /** Every call from `client` to `server` (on `port`) is refused (rejected, denied, failed, blocked). */
  public mustDeny(client: MeshParty, server: MeshParty, options: IntentPortOptions = {}): void {
    this.add(() => ({ kind: 'mustDeny', from: this.party('client', client), to: this.party('server', server), port: this.port(options) }));
  }

  /** Every call to `target`'s Service ports that gets in comes over mutual TLS (no plaintext one does). */
  public mustBeMtls(target: MeshParty, options: IntentPortOptions = {}): void {
    this.add(() => ({ kind: 'mustBeMtls', target: this.party('target', target), port: this.port(options) }));
  }

  /** `client`'s traffic to `host` leaves through `egressGateway` only: routed there, allowed, and no bypass open. */
  public mustLeaveVia(client: MeshParty, host: string, egressGateway: EgressGateway, options: EgressIntentOptions = {}): void {
    this.add(() => {
      const gateway = assertInstance(this, 'egressGateway', egressGateway, EgressGateway, 'EgressGateway.istio() or EgressGateway.of({...})');
      const problem = recordedProblem(gateway);
      if (problem !== undefined) throw new IstioSecurityError(this, `egressGateway: ${problem}`);
      return { kind: 'mustLeaveVia', from: this.party('client', client), host: this.host(host), gateway: gateway.host, port: this.port(options) };
    });
  }

  /** `client` cannot reach `host` at all: refused or blocked, with no bypass open. */
  public mustNotReach(client: MeshParty, host: string, options: EgressIntentOptions = {}): void {
    this.add(() => ({ kind: 'mustNotReach', from: this.party('client', client), host: this.host(host), port: this.port(options) }));
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

  private add(build: () => IntentSpec): void {
    if (this.specs.length >= MAX_INTENTS) {
      throw new IstioSecurityError(this, `already declares ${MAX_INTENTS} intents: split them over several MeshIntents.`);
    }
    // Everything is checked before the intent is kept: a refusal leaves the MeshIntent as it was.
    this.specs.push(build());
  }

  private party(role: string, party: unknown): PartySpec {
    return assertInstance(this, `intent ${role}`, party, MeshParty, 'MeshParty.workload(w), .pods(ns, labels), .serviceAccount(ns, sa), .identity(id) or .namespace(ns)')
      ._specFor(this);
  }

  private port(options: unknown): number | undefined {
    const o = assertProps(this, 'intent options', options as IntentPortOptions, INTENT_OPTIONS);
    if (o.port === undefined || o.port === null) return undefined;
    return assertPort(this, 'intent port', o.port);
  }

  private host(host: unknown): string {
    if (typeof host !== 'string' || host.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(host)) {
      throw new IstioSecurityError(this, `intent host ${quote(host)} is not a host name: give a lower-case DNS name of at most 253 characters, without scheme or port.`);
    }
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
      const violated = results.filter((r) => r.state !== 'holds').map((r) => `intent ${r.message}`);
      // Like every synth-time refusal of the library: an IstioSecurityError naming this construct.
      if (violated.length > 0) throw new IstioSecurityError(this, violated.join('\n'));
      return [];
    } finally {
      this.checking = false;
    }
  }
}
