import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { SIDECAR_INJECT } from './mesh-workload';
import { IMeshWorkload } from './mesh-workload-interface';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { AllowOptions, AuthorizationAction, WorkloadAuthorization } from './workload-authorization';
import { NamespaceFacts, namespaceFacts } from './private/namespace-facts';
import { assertNoMutualForAll, checkSidecar } from './private/sidecar-checks';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertDnsLabel, assertLabels, assertPort, assertProps, assertRequired, assertSelector, assertUnique, optionalList, quote,
} from './private/validate';
import { registerWorkloadTraits } from './private/workload-check';

/** How a cdk8s-plus workload joins the mesh's policies. */
export interface AdoptWorkloadOptions {
  /**
   * What is known of the workload's namespace (injection, trust domain, mTLS mode): a
   * StrictNamespace of this app, or `MeshNamespace.fromName(...)`. Its name must be the
   * workload's `metadata.namespace`.
   * @default - `MeshNamespace.fromName(<the workload's namespace>)`: no injection label known
   */
  readonly namespace?: IMeshNamespace;
  /**
   * Whether the pods get an Istio sidecar. When given, the pod template's
   * `sidecar.istio.io/inject` label is set to it.
   * @default - the pod template's `sidecar.istio.io/inject` label or annotation, else the namespace's injection
   */
  readonly sidecar?: boolean;
}

/** Pods this app does not create, known only by their labels. */
export interface SelectedPodsProps {
  /** The pods' namespace. */
  readonly namespace: IMeshNamespace;
  /** Labels that select exactly these pods. */
  readonly selector: { [key: string]: string };
  /**
   * The service account the pods run as.
   * @default "default"
   */
  readonly serviceAccountName?: string;
  /**
   * Whether the pods run an Istio sidecar.
   * @default - the namespace's injection setting
   */
  readonly sidecar?: boolean;
  /**
   * Ports the pods' containers listen on, where known.
   * @default - none declared: rules are not checked against ports
   */
  readonly containerPorts?: number[];
  /**
   * A name for messages and default policy names.
   * @default - the `app` label, else the construct id
   */
  readonly name?: string;
}

interface AdoptedFacts {
  readonly name: string;
  readonly namespace: NamespaceFacts;
  readonly selectorLabels: { [key: string]: string };
  readonly serviceAccountName: string;
  readonly sidecar: boolean;
  readonly containerPorts: () => number[];
  /** What to change on the adopted workload once every check passed. */
  readonly commit?: () => void;
}

const ADOPT_OPTIONS: KnownKeys<AdoptWorkloadOptions> = { namespace: true, sidecar: true };
const SELECTED_PODS_PROPS: KnownKeys<SelectedPodsProps> = {
  namespace: true, selector: true, serviceAccountName: true, sidecar: true, containerPorts: true, name: true,
};

/** Child id of the adapter `AdoptedWorkload.fromWorkload` puts under a cdk8s-plus workload. */
const ADAPTER_ID = 'MeshWorkload';
const DETACHED = { node: { path: '' } } as unknown as IConstruct;

/**
 * Pods this library did not create, as a workload policies can name: a cdk8s-plus Deployment,
 * StatefulSet, DaemonSet or Job (`fromWorkload`: namespace, labels, service account and ports
 * read from it), or pods known only by their labels (`fromSelector`).
 */
export class AdoptedWorkload extends Construct implements IMeshWorkload {
  /**
   * Adopts a cdk8s-plus workload (Deployment, StatefulSet, DaemonSet, Job, ...). Its namespace,
   * selector labels, service account and container ports are read from it; `sidecar` sets the
   * pod template's injection label. Adopting the same workload again returns the same adapter.
   */
  public static fromWorkload(workload: kplus.Workload, options: AdoptWorkloadOptions = {}): AdoptedWorkload {
    if (!(workload instanceof kplus.Workload)) {
      const path = Construct.isConstruct(workload) ? (workload as IConstruct).node.path : quote(workload);
      throw new IstioSecurityError(Construct.isConstruct(workload) ? workload : DETACHED, `${path} is not a cdk8s-plus workload `
        + '(Deployment, StatefulSet, DaemonSet, Job): adopt one of those, or use AdoptedWorkload.fromSelector for pods known by their labels.');
    }
    const existing = workload.node.tryFindChild(ADAPTER_ID);
    if (existing instanceof AdoptedWorkload) {
      const o = assertProps(existing, 'adopt options', options, ADOPT_OPTIONS);
      if (o.sidecar !== undefined && o.sidecar !== null && o.sidecar !== existing.sidecar) {
        throw new IstioSecurityError(existing, `is already adopted with sidecar ${existing.sidecar}: adopt it once, with one sidecar setting.`);
      }
      return existing;
    }
    return new AdoptedWorkload(workload, ADAPTER_ID, (scope) => adoptKplus(scope, workload, options));
  }

  /** Pods known only by their labels (created by Helm, another team, an operator). */
  public static fromSelector(scope: Construct, id: string, props: SelectedPodsProps): AdoptedWorkload {
    return new AdoptedWorkload(scope, id, (self) => selectedPods(self, id, props));
  }

  /** A name for messages and default policy names. */
  public readonly name: string;
  public readonly namespace: string;
  public readonly selectorLabels: { [key: string]: string };
  /** The service account the pods run as. */
  public readonly serviceAccountName: string;
  public readonly identity: WorkloadIdentity;
  public readonly sidecar: boolean;
  private readonly meshNamespace: NamespaceFacts;
  private readonly ports: () => number[];

  private constructor(scope: Construct, id: string, read: (self: Construct) => AdoptedFacts) {
    super(scope, id);
    try {
      const facts = read(this);
      this.name = assertDnsLabel(this, 'name', facts.name);
      this.meshNamespace = facts.namespace;
      this.namespace = facts.namespace.name;
      this.selectorLabels = facts.selectorLabels;
      this.serviceAccountName = facts.serviceAccountName;
      this.sidecar = facts.sidecar;
      this.ports = facts.containerPorts;
      this.identity = WorkloadIdentity.of(facts.namespace.trustDomain, this.namespace, this.serviceAccountName);
      if (!this.sidecar && this.ports().length > 0) assertNoMutualForAll(this, facts.namespace);
      facts.commit?.();
      registerWorkloadTraits(this, { mtlsModeForPort: (port) => this.mtlsModeForPort(port), portsMayBeUndeclared: true });
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** The container ports the pods declare (read when asked, so ports added later count). */
  public get containerPorts(): number[] {
    return this.ports();
  }

  /** Lets `caller` call these pods, identified by its mTLS identity; the first call creates `<name>-allow`. */
  public allowFrom(caller: IMeshWorkload, options: AllowOptions = {}): void {
    this.allowPeers([Peer.workload(caller)], options);
  }

  /** Lets any of `peers` call these pods; adds one rule. */
  public allowPeers(peers: Peer[], options: AllowOptions = {}): void {
    WorkloadAuthorization._ruleOn(this, AuthorizationAction.ALLOW, (policy) => policy.allow(peers, options));
  }

  /** The namespace's mTLS mode as this app knows it (PERMISSIVE when unknown). */
  public mtlsModeForPort(_containerPort: number): MtlsMode {
    const mode = this.meshNamespace.mtlsMode;
    return mode === undefined || mode === MtlsMode.UNSET ? MtlsMode.PERMISSIVE : mode;
  }
}

function adoptKplus(scope: Construct, workload: kplus.Workload, options: AdoptWorkloadOptions): AdoptedFacts {
  const o = assertProps(scope, 'adopt options', options, ADOPT_OPTIONS);
  const what = `${workload.constructor.name} ${workload.node.path}`;
  const declared = workload.metadata.namespace;
  if (!declared) {
    throw new IstioSecurityError(scope, `${what} has no metadata.namespace, so it lands in whatever namespace kubectl uses and policies `
      + 'cannot name it: set metadata.namespace on it.');
  }
  const namespace = namespaceFacts(scope, 'namespace', o.namespace ?? MeshNamespace.fromName(declared));
  if (namespace.name !== declared) {
    throw new IstioSecurityError(scope, `namespace "${namespace.name}" is not the namespace ${quote(declared)} of ${what}: pass the workload's own namespace.`);
  }
  // A Job has no selector of its own (Kubernetes generates one): its pod labels name its pods.
  const podLabels = { ...workload.podMetadata.toJson().labels };
  delete podLabels[SIDECAR_INJECT];
  const selectorLabels: { [key: string]: string } = workload instanceof kplus.Job ? podLabels : { ...workload.matchLabels };
  if (Object.keys(selectorLabels).length === 0) {
    throw new IstioSecurityError(scope, `${what} has no selector labels, so no policy could single out its pods: `
      + 'give it some with select(kplus.LabelSelector.of({ labels })), or keep cdk8s-plus\'s default selection (select: true).');
  }
  assertLabels(scope, 'selector', selectorLabels);
  const given = o.sidecar === undefined || o.sidecar === null ? undefined : checkSidecar(scope, o.sidecar, namespace);
  const label = workload.podMetadata.getLabel(SIDECAR_INJECT);
  const annotation = workload.podMetadata.toJson().annotations?.[SIDECAR_INJECT];
  // Istio's injector reads only "true" and "false" (pkg/kube/inject/inject.go injectRequired); the
  // webhooks' object selectors compare the exact text: anything else is a trap.
  for (const [where, value] of [['label', label], ['annotation', annotation]] as const) {
    if (value !== undefined && value !== 'true' && value !== 'false') {
      throw new IstioSecurityError(scope, `${what}'s pod ${where} ${SIDECAR_INJECT}: ${quote(value)} is neither "true" nor "false": Istio's injector `
        + 'ignores other values and falls back to the namespace\'s default, so whether the pods get a sidecar is not what the value seems to say. '
        + 'Set it to "true" or "false".');
    }
  }
  let sidecar: boolean;
  let commit: (() => void) | undefined;
  if (given !== undefined) {
    if (label !== undefined && label !== String(given)) {
      throw new IstioSecurityError(scope, `${what}'s pods are labelled ${SIDECAR_INJECT}: ${quote(label)}, but sidecar is ${given}: `
        + 'leave sidecar out to keep the label, or change the label.');
    }
    // The label is what the injection webhook selects on; set once every check passed.
    if (label === undefined) commit = () => workload.podMetadata.addLabel(SIDECAR_INJECT, String(given));
    sidecar = given;
  } else if (namespace.construct && !namespace.sidecarInjection) {
    // `istio-injection: disabled` on a namespace this app creates: no pod there gets a sidecar.
    sidecar = false;
  } else if (label !== undefined) {
    // The label wins over the annotation.
    sidecar = label === 'true';
  } else {
    sidecar = annotation !== 'false' && namespace.sidecarInjection;
  }
  if (sidecar && namespace.construct && !namespace.sidecarInjection) {
    throw new IstioSecurityError(scope, `${what}'s pods ask for a sidecar, but namespace "${namespace.name}" (${namespace.construct.node.path}) disables injection, `
      + 'which wins over pod labels: enable injection in the namespace, or drop the label.');
  }
  const serviceAccountName = assertDnsLabel(scope, 'service account name', workload.serviceAccount?.name ?? 'default');
  const name = workload.metadata.name ?? selectorLabels.app ?? workload.node.id.toLowerCase();
  return {
    name,
    namespace,
    selectorLabels,
    serviceAccountName,
    sidecar,
    containerPorts: () => [...new Set(workload.containers.flatMap((c) => c.ports.map((p) => p.number)))],
    commit,
  };
}

function selectedPods(scope: Construct, id: string, props: SelectedPodsProps): AdoptedFacts {
  const p = assertProps(scope, 'props', props, SELECTED_PODS_PROPS);
  assertRequired(scope, p, ['namespace', 'selector']);
  const namespace = namespaceFacts(scope, 'namespace', p.namespace);
  const selector = assertSelector(scope, 'selector', p.selector, 'names no pod labels, so no policy could single out the pods: '
    + 'name their labels, e.g. { app: "httpbin" }.');
  const serviceAccountName = assertDnsLabel(scope, 'serviceAccountName', p.serviceAccountName ?? 'default');
  const sidecar = checkSidecar(scope, p.sidecar, namespace);
  const ports = (optionalList(scope, 'containerPorts', p.containerPorts, { maxItems: 1024, example: '[8080]' }) ?? []) as number[];
  ports.forEach((port) => assertPort(scope, 'container port', port));
  assertUnique(scope, 'container port', ports);
  const name = assertDnsLabel(scope, 'name', p.name ?? selector.app ?? id.toLowerCase());
  return {
    name,
    namespace,
    selectorLabels: selector,
    serviceAccountName,
    sidecar,
    containerPorts: () => [...ports],
  };
}
