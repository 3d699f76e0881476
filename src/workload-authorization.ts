import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../imports/security.istio.io';
import { Condition } from './condition';
import { IstioSecurityError } from './errors';
import { IMeshNamespace } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { AuthzRule, checkRule, plaintextWarnings, renderRule, ruleKey } from './private/authz-rules';
import { admissionsFor, IngressAdmission, registerWorkloadPolicy } from './private/ingress-admission';
import { boundedName } from './private/names';
import { NamespaceFacts, namespaceFacts } from './private/namespace-facts';
import { claimObjectName } from './private/registry';
import { rollback } from './private/transaction';
import { emitWarning } from './private/warnings';
import { KnownKeys, assertDnsLabel, assertEnumValue, assertProps, assertRecord, assertSelector, quote } from './private/validate';
import { IMeshWorkload } from './mesh-workload-interface';
import { WorkloadPort } from './workload-port';
import { assertInjectable } from './private/injectable';
import { assertMeshWorkload, portsForRules, workloadTraits } from './private/workload-check';

/**
 * What a rule matches beyond its peers. Each field narrows the rule; leave it out to match any.
 * Methods, paths and `request.*` conditions exist only on HTTP ports.
 */
export interface AllowOptions {
  /**
   * HTTP methods, in upper case, e.g. `["GET", "POST"]`. HTTP ports only (gRPC calls are always POST).
   * @default - any method
   */
  readonly methods?: string[];
  /**
   * HTTP methods the rule does not match.
   * @default - none excluded
   */
  readonly notMethods?: string[];
  /**
   * URL paths: exact (`"/info"`), prefix (`"/api/*"`), suffix (`"*.png"`), any (`"*"`),
   * or a template (`"/users/{*}/info"`). HTTP ports only.
   * @default - any path
   */
  readonly paths?: string[];
  /**
   * URL paths the rule does not match, in the forms of `paths`.
   * @default - none excluded
   */
  readonly notPaths?: string[];
  /**
   * Ports the callers connect to: the workload's container ports, which is what Istio
   * matches, not the Service ports.
   * @default - every port
   */
  readonly ports?: number[];
  /**
   * Container ports the rule does not match.
   * @default - none excluded
   */
  readonly notPorts?: number[];
  /**
   * Conditions that must all hold (`when`), e.g. `Condition.claim("groups", ["admin"])`.
   * @default - none
   */
  readonly when?: Condition[];
}

/**
 * What a deny rule refuses. Without `peers` it applies to every caller; every other field
 * narrows it. A rule must say something: one that matches every request is refused.
 */
export interface DenyOptions extends AllowOptions {
  /**
   * Callers to deny, by mTLS identity (`source.principals`, `source.namespaces`). A plaintext
   * caller has no identity, so it is not denied by peer: make the ports STRICT.
   * @default - every caller
   */
  readonly peers?: Peer[];
  /**
   * Callers the rule spares: it denies every caller but these (`notPrincipals`,
   * `notNamespaces`), plaintext callers included.
   * @default - none spared
   */
  readonly exceptPeers?: Peer[];
}

/** What an AuthorizationPolicy does with the requests its rules match. */
export enum AuthorizationAction {
  /** Lets in what a rule matches; once any ALLOW policy selects a workload, everything else is denied. */
  ALLOW = 'ALLOW',
  /** Refuses what a rule matches, before any ALLOW policy is consulted. */
  DENY = 'DENY',
}

export interface WorkloadAuthorizationProps {
  /**
   * The workload whose callers are allowed. Sets namespace, selector and the default name,
   * and lets ports and mTLS modes be checked.
   * @default - pods this library does not create: give `namespace`, `selector` and `name`
   */
  readonly workload?: IMeshWorkload;
  /**
   * Namespace of the selected pods, when they are not a mesh workload.
   * @default - the workload's namespace
   */
  readonly namespace?: IMeshNamespace;
  /**
   * Labels of the selected pods, when they are not a mesh workload.
   * @default - the workload's selector labels
   */
  readonly selector?: { [key: string]: string };
  /**
   * Policy name.
   * @default "<workload name>-allow" ("-deny" for DENY; cut and hashed beyond 63 characters); required with `selector`
   */
  readonly name?: string;
  /**
   * ALLOW (rules added with `allow`) or DENY (rules added with `deny`).
   * @default AuthorizationAction.ALLOW
   */
  readonly action?: AuthorizationAction;
}

const WORKLOAD_AUTHORIZATION_PROPS: KnownKeys<WorkloadAuthorizationProps> = { workload: true, namespace: true, selector: true, name: true, action: true };
const ALLOW_OPTIONS: KnownKeys<AllowOptions> = { methods: true, notMethods: true, paths: true, notPaths: true, ports: true, notPorts: true, when: true };
const DENY_OPTIONS: KnownKeys<DenyOptions> = { ...ALLOW_OPTIONS, peers: true, exceptPeers: true };
/** Most rules an AuthorizationPolicy may have (the CRD's `rules` maxItems). */
const MAX_RULES = 512;

const DETACHED = { node: { path: '' } } as unknown as Construct;

/** Child ids of the policies `WorkloadAuthorization.of` and `denyOf` create under a workload. */
const AUTHORIZATION_ID = 'Authorization';
const DENY_ID = 'Deny';

/**
 * An AuthorizationPolicy selecting one workload. An ALLOW policy (the default) has one rule per
 * `allow` call and lets in callers by their mTLS identity; once any ALLOW policy selects a
 * workload, Istio denies it every request no ALLOW rule matches. A DENY policy has one rule per
 * `deny` call; Istio checks DENY policies first, and a match refuses the request whatever the
 * ALLOW policies say.
 */
export class WorkloadAuthorization extends Construct {
  /**
   * The ALLOW policy of `workload` (a MeshWorkload, MeshService or AdoptedWorkload), created on
   * first use; `allowFrom` adds its rules here.
   */
  public static of(workload: IMeshWorkload): WorkloadAuthorization {
    return WorkloadAuthorization.child(workload, AUTHORIZATION_ID, AuthorizationAction.ALLOW);
  }

  /** The DENY policy of `workload` (`<name>-deny`), created on first use; `MeshWorkload.deny` adds its rules here. */
  public static denyOf(workload: IMeshWorkload): WorkloadAuthorization {
    return WorkloadAuthorization.child(workload, DENY_ID, AuthorizationAction.DENY);
  }

  private static child(workload: IMeshWorkload, id: string, action: AuthorizationAction): WorkloadAuthorization {
    // Not a construct: refused before `node` is read, without a path of its own.
    if (!Construct.isConstruct(workload)) assertMeshWorkload(DETACHED, 'workload', workload);
    const existing = workload.node.tryFindChild(id);
    if (existing instanceof WorkloadAuthorization) return existing;
    if (existing) {
      throw new IstioSecurityError(workload, `the child id "${id}" is taken by ${existing.node.path}, which is not its WorkloadAuthorization: `
        + 'give that construct another id.');
    }
    return new WorkloadAuthorization(workload, id, { workload, action });
  }

  /**
   * @internal Adds a rule to the workload's ALLOW (or DENY) policy, creating the policy if needed;
   * a refused rule leaves no policy behind (an ALLOW policy without rules would deny everything).
   */
  public static _ruleOn(workload: IMeshWorkload, action: AuthorizationAction, add: (policy: WorkloadAuthorization) => void): void {
    const id = action === AuthorizationAction.DENY ? DENY_ID : AUTHORIZATION_ID;
    const created = !Construct.isConstruct(workload) || !(workload.node.tryFindChild(id) instanceof WorkloadAuthorization);
    const policy = WorkloadAuthorization.child(workload, id, action);
    try {
      add(policy);
    } catch (error) {
      throw created ? rollback(policy, error) : error;
    }
  }

  public readonly name: string;
  public readonly namespace: string;
  /** ALLOW or DENY. */
  public readonly action: AuthorizationAction;
  /** Labels of the pods the policy applies to. */
  public readonly selector: { [key: string]: string };
  /** The AuthorizationPolicy (child id `Resource`; escape hatch). */
  public readonly resource: ApiObject;
  private readonly workload?: IMeshWorkload;
  /** The ports rules may name, when known. */
  private readonly workloadPorts?: WorkloadPort[];
  private readonly meshNamespace?: NamespaceFacts;
  private readonly rules: AuthzRule[] = [];
  private readonly ruleKeys = new Set<string>();
  /** `<principal>:<port>` of the ingress gateways let in, one rule each. */
  private readonly admitted = new Set<string>();

  public constructor(scope: Construct, id: string, props: WorkloadAuthorizationProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, WORKLOAD_AUTHORIZATION_PROPS);
      const given = (v: unknown) => v !== undefined && v !== null;
      const workload = given(p.workload) ? assertMeshWorkload(this, 'workload', p.workload) : undefined;
      this.action = assertEnumValue(this, 'action', p.action ?? AuthorizationAction.ALLOW, AuthorizationAction);
      const suffix = this.action === AuthorizationAction.DENY ? 'deny' : 'allow';
      let workloadPorts: WorkloadPort[] | undefined;
      let meshNamespace: NamespaceFacts | undefined;
      if (workload) {
        if (given(p.namespace) || given(p.selector)) {
          throw new IstioSecurityError(this, 'give either workload, or namespace and selector, not both: the workload already sets them.');
        }
        if (!workload.sidecar) {
          throw new IstioSecurityError(this, `workload ${workload.node.path} has no sidecar, so nothing enforces an AuthorizationPolicy `
            + 'on it and every caller would still get in: give it a sidecar first (sidecar: true, in a namespace that does not disable injection).');
        }
        workloadPorts = portsForRules(workload);
        // Pods the library did not create may serve ports their manifests do not declare.
        if (!workloadPorts && !workloadTraits(workload)?.portsMayBeUndeclared) {
          throw new IstioSecurityError(this, `workload ${workload.node.path} serves no ports, so there is nothing to allow: declare its ports first.`);
        }
        this.namespace = workload.namespace;
        this.selector = { ...workload.selectorLabels };
        this.name = assertDnsLabel(this, 'policy name', p.name ?? boundedName(`${workloadName(workload)}-${suffix}`));
      } else {
        if (!given(p.namespace) || !given(p.selector)) {
          throw new IstioSecurityError(this, 'name the pods to protect: give workload, or namespace and selector.');
        }
        const ns = namespaceFacts(this, 'namespace', p.namespace);
        // Nothing enforces it where Istio's injector never puts sidecars.
        assertInjectable(this, 'namespace', ns.name);
        this.namespace = ns.name;
        this.selector = checkSelector(this, p.selector);
        if (!given(p.name)) throw new IstioSecurityError(this, 'name is required with selector: name the policy.');
        this.name = assertDnsLabel(this, 'policy name', p.name);
        if (ns.construct && !ns.sidecarInjection) {
          throw new IstioSecurityError(this, `namespace "${this.namespace}" has sidecar injection disabled, so nothing enforces an AuthorizationPolicy there: `
            + 'enable injection in that namespace, or protect the pods another way (e.g. a NetworkPolicy).');
        }
        meshNamespace = ns;
      }
      this.workload = workload;
      this.workloadPorts = workloadPorts;
      this.meshNamespace = meshNamespace;
      claimObjectName(this, 'AuthorizationPolicy', this.namespace, this.name);

      this.resource = new AuthorizationPolicy(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        spec: {
          action: this.action === AuthorizationAction.DENY ? AuthorizationPolicySpecAction.DENY : AuthorizationPolicySpecAction.ALLOW,
          selector: { matchLabels: { ...this.selector } },
          rules: Lazy.any({ produce: () => this.rules.map(renderRule) }),
        },
      });
      this.node.addValidation({ validate: () => this.validatePolicy() });
    } catch (error) {
      throw rollback(this, error);
    }
    if (this.workload) {
      registerWorkloadPolicy(this.workload, {
        construct: this, action: this.action, namespace: this.namespace, name: this.name,
        rules: () => this.rules.map((r) => JSON.parse(JSON.stringify(renderRule(r)))),
      });
      // Ingress routes declared before the policy: their gateway must still get in.
      if (this.action === AuthorizationAction.ALLOW) for (const admission of admissionsFor(this.workload)) this._admitIngress(admission);
    }
  }

  /** Number of allow rules so far. */
  public get ruleCount(): number {
    return this.rules.length;
  }

  /** Lets `caller` in, as far as `options` allow. */
  public allowFrom(caller: IMeshWorkload, options: AllowOptions = {}): void {
    this.allow([Peer.workload(caller)], options);
  }

  /** Adds one rule to an ALLOW policy: any of `peers` may make the requests `options` describe. */
  public allow(peers: Peer[], options: AllowOptions = {}): void {
    if (this.action !== AuthorizationAction.ALLOW) {
      throw new IstioSecurityError(this, `allow on the DENY policy "${this.namespace}/${this.name}": add allow rules to an ALLOW policy (WorkloadAuthorization.of).`);
    }
    // exceptPeers is not an allow option: a caller that passes it anyway is refused, not ignored.
    const o = assertProps(this, 'allow options', options, { ...ALLOW_OPTIONS, exceptPeers: true } as KnownKeys<AllowOptions>) as DenyOptions;
    this.addRule(checkRule(this, 'ALLOW', { ...ruleFields(o), peers, exceptPeers: o.exceptPeers }, this.workloadPorts));
  }

  /** Adds one rule to a DENY policy: requests that match `options` are refused. */
  public deny(options: DenyOptions): void {
    if (this.action !== AuthorizationAction.DENY) {
      throw new IstioSecurityError(this, `deny on the ALLOW policy "${this.namespace}/${this.name}": add deny rules to a DENY policy `
        + '(WorkloadAuthorization.denyOf, or action: AuthorizationAction.DENY).');
    }
    const o = assertProps(this, 'deny options', options, DENY_OPTIONS);
    this.addRule(checkRule(this, 'DENY', { ...ruleFields(o), peers: o.peers, exceptPeers: o.exceptPeers }, this.workloadPorts));
  }

  /** @internal Lets an ingress route's gateway in to its port (once per route). */
  public _admitIngress(admission: IngressAdmission): void {
    const key = `${admission.peer.principal}:${admission.containerPort}`;
    if (this.admitted.has(key)) return;
    this.admitted.add(key);
    this.addRule(checkRule(this, 'ALLOW', { peers: [admission.peer], ports: [admission.containerPort] }, this.workloadPorts));
  }

  /** Adds a checked rule; the same rule (callers and requests as sets) is kept once. */
  private addRule(rule: AuthzRule): void {
    const key = ruleKey(rule);
    if (this.ruleKeys.has(key)) return;
    if (this.rules.length >= MAX_RULES) {
      throw new IstioSecurityError(this, `AuthorizationPolicy "${this.namespace}/${this.name}" already has ${MAX_RULES} rules, the most Istio's CRD allows: `
        + 'allow more callers per rule (allowPeers with several peers), or use Peer.namespace for a whole namespace.');
    }
    this.ruleKeys.add(key);
    this.rules.push(rule);
  }

  private validatePolicy(): string[] {
    if (this.rules.length === 0) {
      // An ALLOW policy without rules denies the selected pods every request; a DENY policy without rules denies nothing.
      throw new IstioSecurityError(this, this.action === AuthorizationAction.DENY
        ? `AuthorizationPolicy "${this.namespace}/${this.name}" (DENY) has no rules, so it would deny nothing (and Istio refuses it): add rules with deny.`
        : `AuthorizationPolicy "${this.namespace}/${this.name}" has no rules, so it would deny every request to its pods: `
          + 'add rules with allow/allowFrom, or use DefaultDeny to deny on purpose.');
    }
    const ports = this.workloadPorts ? [...new Set(this.workloadPorts.map((p) => p.containerPort!))] : undefined;
    for (const message of plaintextWarnings(this.rules, ports, (port) => this.modeFor(port))) emitWarning(this, message);
    return [];
  }

  private modeFor(port: number | undefined): MtlsMode {
    const lookup = this.workload && workloadTraits(this.workload)?.mtlsModeForPort;
    if (lookup && port !== undefined) return lookup(port);
    const mode = this.meshNamespace?.mtlsMode;
    return mode === undefined || mode === MtlsMode.UNSET ? MtlsMode.PERMISSIVE : mode;
  }
}

/** The fields of an AllowOptions, read once. */
function ruleFields(o: AllowOptions) {
  return {
    methods: o.methods, notMethods: o.notMethods, paths: o.paths, notPaths: o.notPaths,
    ports: o.ports, notPorts: o.notPorts, when: o.when,
  };
}

/** The workload's name for the default policy name: its `name`, else its `app` label, else its construct id. */
function workloadName(workload: IMeshWorkload): string {
  const name = (workload as { name?: unknown }).name;
  return typeof name === 'string' ? name : workload.selectorLabels.app ?? workload.node.id.toLowerCase();
}

function checkSelector(scope: Construct, selector: unknown): { [key: string]: string } {
  const record = assertRecord(scope, 'selector', selector, 'a map of pod labels, e.g. { app: "httpbin" }');
  for (const [key, value] of Object.entries(record)) {
    if (key.includes('*') || (typeof value === 'string' && value.includes('*'))) {
      throw new IstioSecurityError(scope, `selector ${quote(key)}: ${quote(value)} is not a label match: use exact label keys and values, without "*".`);
    }
  }
  return assertSelector(scope, 'selector', record, 'names no pod labels, so the policy would not single out any workload: '
    + 'name the pods\' labels, e.g. { app: "httpbin" }, or use DefaultDeny for a namespace-wide policy.');
}
