import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../imports/security.istio.io';
import { IstioSecurityError } from './errors';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { AuthzRule, checkRule, renderRule } from './private/authz-rules';
import { boundedName } from './private/names';
import { claimObjectName } from './private/registry';
import { emitWarning } from './private/warnings';
import { assertDnsLabel, assertLabels, quote } from './private/validate';
import { IMeshWorkload } from './mesh-workload-interface';
import { WorkloadPort } from './workload-port';
import { assertMeshWorkload, portsForRules, workloadTraits } from './private/workload-check';

/** What an allow rule lets the callers do. Each field narrows the rule; leave it out to allow any. */
export interface AllowOptions {
  /**
   * HTTP methods, in upper case, e.g. `["GET", "POST"]`. HTTP ports only (gRPC calls are always POST).
   * @default - any method
   */
  readonly methods?: string[];
  /**
   * URL paths: exact (`"/info"`), prefix (`"/api/*"`), suffix (`"*.png"`), any (`"*"`),
   * or a template (`"/users/{*}/info"`). HTTP ports only.
   * @default - any path
   */
  readonly paths?: string[];
  /**
   * Ports the callers may connect to: the workload's container ports, which is what Istio
   * matches, not the Service ports.
   * @default - every port
   */
  readonly ports?: number[];
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
   * @default "<workload name>-allow" (cut and hashed beyond 63 characters); required with `selector`
   */
  readonly name?: string;
}

const DETACHED = { node: { path: '' } } as unknown as Construct;

/** Child id of the policy `WorkloadAuthorization.of` creates under a workload. */
const AUTHORIZATION_ID = 'Authorization';

/**
 * An ALLOW AuthorizationPolicy selecting one workload, one rule per `allow` call, that lets in
 * callers by their mTLS identity. Once any ALLOW policy selects a workload, Istio denies it
 * every request no ALLOW rule matches.
 */
export class WorkloadAuthorization extends Construct {
  /**
   * The policy of `workload` (a MeshWorkload, MeshService or AdoptedWorkload), created on first
   * use; `allowFrom` adds its rules here.
   */
  public static of(workload: IMeshWorkload): WorkloadAuthorization {
    // Not a construct: refused before `node` is read, without a path of its own.
    if (!Construct.isConstruct(workload)) assertMeshWorkload(DETACHED, 'workload', workload);
    const existing = workload.node.tryFindChild(AUTHORIZATION_ID);
    if (existing instanceof WorkloadAuthorization) return existing;
    return new WorkloadAuthorization(workload, AUTHORIZATION_ID, { workload });
  }

  public readonly name: string;
  public readonly namespace: string;
  /** Labels of the pods the policy applies to. */
  public readonly selector: { [key: string]: string };
  /** The AuthorizationPolicy (child id `Resource`; escape hatch). */
  public readonly resource: ApiObject;
  private readonly workload?: IMeshWorkload;
  /** The ports rules may name, when known. */
  private readonly workloadPorts?: WorkloadPort[];
  private readonly meshNamespace?: IMeshNamespace;
  private readonly rules: AuthzRule[] = [];

  public constructor(scope: Construct, id: string, props: WorkloadAuthorizationProps) {
    super(scope, id);
    const workload = props.workload === undefined ? undefined : assertMeshWorkload(this, 'workload', props.workload);
    let workloadPorts: WorkloadPort[] | undefined;
    if (workload) {
      if (props.namespace || props.selector) {
        throw new IstioSecurityError(this, 'give either workload, or namespace and selector, not both: the workload already sets them.');
      }
      if (!workload.sidecar) {
        throw new IstioSecurityError(this, `workload ${workload.node.path} has no sidecar, so nothing enforces an AuthorizationPolicy `
          + 'on it and every caller would still get in: give it a sidecar first.');
      }
      workloadPorts = portsForRules(workload);
      // Pods the library did not create may serve ports their manifests do not declare.
      if (!workloadPorts && !workloadTraits(workload)?.portsMayBeUndeclared) {
        throw new IstioSecurityError(this, `workload ${workload.node.path} serves no ports, so there is nothing to allow: declare its ports first.`);
      }
      this.namespace = workload.namespace;
      this.selector = { ...workload.selectorLabels };
      this.name = assertDnsLabel(this, 'policy name', props.name ?? boundedName(`${workloadName(workload)}-allow`));
    } else {
      if (!props.namespace || !props.selector) {
        throw new IstioSecurityError(this, 'name the pods to protect: give workload, or namespace and selector.');
      }
      this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
      this.selector = checkSelector(this, props.selector);
      if (props.name === undefined) throw new IstioSecurityError(this, 'name is required with selector: name the policy.');
      this.name = assertDnsLabel(this, 'policy name', props.name);
      if (props.namespace instanceof MeshNamespace && !props.namespace.sidecarInjection) {
        throw new IstioSecurityError(this, `namespace "${this.namespace}" has sidecar injection disabled, so nothing enforces an AuthorizationPolicy there: `
          + 'enable injection in that namespace, or protect the pods another way (e.g. a NetworkPolicy).');
      }
    }
    this.workload = workload;
    this.workloadPorts = workloadPorts;
    this.meshNamespace = props.namespace;
    claimObjectName(this, 'AuthorizationPolicy', this.namespace, this.name);

    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        action: AuthorizationPolicySpecAction.ALLOW,
        selector: { matchLabels: { ...this.selector } },
        rules: Lazy.any({ produce: () => this.rules.map(renderRule) }),
      },
    });
    this.node.addValidation({ validate: () => this.validatePolicy() });
  }

  /** Number of allow rules so far. */
  public get ruleCount(): number {
    return this.rules.length;
  }

  /** Lets `caller` in, as far as `options` allow. */
  public allowFrom(caller: IMeshWorkload, options: AllowOptions = {}): void {
    this.allow([Peer.workload(caller)], options);
  }

  /** Adds one rule: any of `peers` may make the requests `options` describe. */
  public allow(peers: Peer[], options: AllowOptions = {}): void {
    this.rules.push(checkRule(this, peers, options, this.workloadPorts));
  }

  private validatePolicy(): string[] {
    if (this.rules.length === 0) {
      // An ALLOW policy without rules denies the selected pods every request.
      return [`AuthorizationPolicy "${this.namespace}/${this.name}" has no rules, so it would deny every request to its pods: `
        + 'add rules with allow/allowFrom, or use DefaultDeny to deny on purpose.'];
    }
    for (const message of this.plaintextWarnings()) emitWarning(this, message);
    return [];
  }

  // Peers are read from the caller's mTLS certificate; ports that also take plaintext deserve a word.
  private plaintextWarnings(): string[] {
    const messages: string[] = [];
    this.rules.forEach((rule, index) => {
      const byMode = new Map<MtlsMode, string[]>();
      const ports: (number | undefined)[] = rule.ports ?? (this.workloadPorts
        ? [...new Set(this.workloadPorts.map((p) => p.containerPort!))] : [undefined]);
      for (const port of ports) {
        const mode = this.modeFor(port);
        if (mode === MtlsMode.STRICT) continue;
        byMode.set(mode, [...byMode.get(mode) ?? [], port === undefined ? 'every port' : `port ${port}`]);
      }
      for (const [mode, where] of byMode) {
        const what = `rule ${index + 1} allows ${rule.peers.join(', ')} by mTLS identity on ${where.join(', ')}, where mTLS is ${mode}`;
        messages.push(mode === MtlsMode.DISABLE
          ? `${what}: no caller presents an identity there, so the rule never matches. Enable mTLS on the port, or drop the port from the rule.`
          : `${what}: a plaintext caller has no principal, so this rule cannot match it, while PERMISSIVE still lets plaintext in `
            + 'wherever another rule allows it. Make the port STRICT (a StrictNamespace, or mtls on the workload); '
            + 'if a mesh-wide policy already makes it STRICT, declare that mode on the namespace reference.');
      }
    });
    return messages;
  }

  private modeFor(port: number | undefined): MtlsMode {
    const lookup = this.workload && workloadTraits(this.workload)?.mtlsModeForPort;
    if (lookup && port !== undefined) return lookup(port);
    const mode = this.meshNamespace?.mtlsMode;
    return mode === undefined || mode === MtlsMode.UNSET ? MtlsMode.PERMISSIVE : mode;
  }
}

/** The workload's name for the default policy name: its `name`, else its `app` label, else its construct id. */
function workloadName(workload: IMeshWorkload): string {
  const name = (workload as { name?: unknown }).name;
  return typeof name === 'string' ? name : workload.selectorLabels.app ?? workload.node.id.toLowerCase();
}

function checkSelector(scope: Construct, selector: { [key: string]: string }): { [key: string]: string } {
  if (Object.keys(selector).length === 0) {
    throw new IstioSecurityError(scope, 'selector {} names no pod labels, so the policy would not single out any workload: '
      + 'name the pods\' labels, e.g. { app: "httpbin" }, or use DefaultDeny for a namespace-wide policy.');
  }
  for (const [key, value] of Object.entries(selector)) {
    if (!key || key.includes('*') || typeof value !== 'string' || value.includes('*')) {
      throw new IstioSecurityError(scope, `selector ${quote(key)}: ${quote(value)} is not a label match: use exact label keys and values, without "*".`);
    }
  }
  assertLabels(scope, 'selector', selector);
  return { ...selector };
}
