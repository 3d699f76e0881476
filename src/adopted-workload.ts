import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { SIDECAR_INJECT } from './mesh-workload';
import { IMeshWorkload } from './mesh-workload-interface';
import { MtlsMode } from './mtls-mode';
import { Peer } from './peer';
import { AllowOptions, WorkloadAuthorization } from './workload-authorization';
import { assertDnsLabel, assertDnsSubdomain, assertLabels, assertPort, assertRequired, assertUnique, quote } from './private/validate';
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
  readonly namespace: IMeshNamespace;
  readonly selectorLabels: { [key: string]: string };
  readonly serviceAccountName: string;
  readonly sidecar: boolean;
  readonly containerPorts: () => number[];
}

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
      if (options.sidecar !== undefined && options.sidecar !== existing.sidecar) {
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
  private readonly meshNamespace: IMeshNamespace;
  private readonly ports: () => number[];

  private constructor(scope: Construct, id: string, read: (self: Construct) => AdoptedFacts) {
    super(scope, id);
    const facts = read(this);
    this.name = facts.name;
    this.meshNamespace = facts.namespace;
    this.namespace = facts.namespace.name;
    this.selectorLabels = facts.selectorLabels;
    this.serviceAccountName = facts.serviceAccountName;
    this.sidecar = facts.sidecar;
    this.ports = facts.containerPorts;
    this.identity = WorkloadIdentity.of(facts.namespace.trustDomain, this.namespace, this.serviceAccountName);
    registerWorkloadTraits(this, { mtlsModeForPort: (port) => this.mtlsModeForPort(port), portsMayBeUndeclared: true });
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
    WorkloadAuthorization.of(this).allow(peers, options);
  }

  /** The namespace's mTLS mode as this app knows it (PERMISSIVE when unknown). */
  public mtlsModeForPort(_containerPort: number): MtlsMode {
    const mode = this.meshNamespace.mtlsMode;
    return mode === undefined || mode === MtlsMode.UNSET ? MtlsMode.PERMISSIVE : mode;
  }
}

/** `istio-injection: disabled` on a namespace this app creates: no pod there gets a sidecar. */
function injectionDisabled(namespace: IMeshNamespace): boolean {
  return namespace instanceof MeshNamespace && !namespace.sidecarInjection;
}

function checkSidecarOption(scope: IConstruct, sidecar: unknown, namespace: IMeshNamespace): void {
  if (sidecar !== undefined && sidecar !== null && typeof sidecar !== 'boolean') {
    throw new IstioSecurityError(scope, `sidecar ${quote(sidecar)} is not a boolean: use true, false, or leave it out.`);
  }
  if (sidecar === true && injectionDisabled(namespace)) {
    throw new IstioSecurityError(scope, `sidecar true in namespace "${namespace.name}", which disables injection (istio-injection: disabled wins over pod labels): `
      + 'enable injection in the namespace, or leave sidecar out.');
  }
}

function checkNamespace(scope: IConstruct, namespace: IMeshNamespace): void {
  assertDnsLabel(scope, 'namespace', namespace.name);
  assertDnsSubdomain(scope, 'namespace trust domain', namespace.trustDomain);
}

function adoptKplus(scope: Construct, workload: kplus.Workload, options: AdoptWorkloadOptions): AdoptedFacts {
  const what = `${workload.constructor.name} ${workload.node.path}`;
  const declared = workload.metadata.namespace;
  if (!declared) {
    throw new IstioSecurityError(scope, `${what} has no metadata.namespace, so it lands in whatever namespace kubectl uses and policies `
      + 'cannot name it: set metadata.namespace on it.');
  }
  const namespace = options.namespace ?? MeshNamespace.fromName(declared);
  checkNamespace(scope, namespace);
  if (namespace.name !== declared) {
    throw new IstioSecurityError(scope, `namespace "${namespace.name}" is not the namespace "${declared}" of ${what}: pass the workload's own namespace.`);
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
  checkSidecarOption(scope, options.sidecar, namespace);
  const label = workload.podMetadata.getLabel(SIDECAR_INJECT);
  const annotation = workload.podMetadata.toJson().annotations?.[SIDECAR_INJECT];
  let sidecar: boolean;
  if (options.sidecar !== undefined) {
    if (label !== undefined && label !== String(options.sidecar)) {
      throw new IstioSecurityError(scope, `${what}'s pods are labelled ${SIDECAR_INJECT}: "${label}", but sidecar is ${options.sidecar}: `
        + 'leave sidecar out to keep the label, or change the label.');
    }
    // The label is what the injection webhook selects on.
    if (label === undefined) workload.podMetadata.addLabel(SIDECAR_INJECT, String(options.sidecar));
    sidecar = options.sidecar;
  } else if (injectionDisabled(namespace)) {
    sidecar = false;
  } else if (label === 'true' || label === 'false') {
    sidecar = label === 'true';
  } else {
    sidecar = annotation !== 'false' && namespace.sidecarInjection;
  }
  const name = workload.metadata.name ?? selectorLabels.app ?? workload.node.id.toLowerCase();
  return {
    name,
    namespace,
    selectorLabels,
    serviceAccountName: workload.serviceAccount?.name ?? 'default',
    sidecar,
    containerPorts: () => [...new Set(workload.containers.flatMap((c) => c.ports.map((p) => p.number)))],
  };
}

function selectedPods(scope: Construct, id: string, props: SelectedPodsProps): AdoptedFacts {
  assertRequired(scope, props, ['namespace', 'selector']);
  checkNamespace(scope, props.namespace);
  const selector = props.selector;
  if (typeof selector !== 'object' || Object.keys(selector).length === 0) {
    throw new IstioSecurityError(scope, `selector ${quote(JSON.stringify(selector))} names no pod labels, so no policy could single out the pods: `
      + 'name their labels, e.g. { app: "httpbin" }.');
  }
  assertLabels(scope, 'selector', selector);
  const serviceAccountName = assertDnsLabel(scope, 'serviceAccountName', props.serviceAccountName ?? 'default');
  checkSidecarOption(scope, props.sidecar, props.namespace);
  const ports = props.containerPorts ?? [];
  if (!Array.isArray(ports)) throw new IstioSecurityError(scope, `containerPorts ${quote(ports)} is not a list of port numbers.`);
  ports.forEach((p) => assertPort(scope, 'container port', p));
  assertUnique(scope, 'container port', ports);
  const name = assertDnsLabel(scope, 'name', props.name ?? selector.app ?? id.toLowerCase());
  return {
    name,
    namespace: props.namespace,
    selectorLabels: { ...selector },
    serviceAccountName,
    sidecar: injectionDisabled(props.namespace) ? false : props.sidecar ?? props.namespace.sidecarInjection,
    containerPorts: () => [...ports],
  };
}
