import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { EgressGateway } from './egress-gateway';
import { IstioSecurityError } from './errors';
import { IMeshNamespace } from './mesh-namespace';
import { claimObjectName } from './private/registry';
import { assertDnsLabel, assertLabels, assertPort, assertUnique, quote, assertRequired } from './private/validate';
import { IMeshWorkload } from './mesh-workload-interface';
import { assertMeshWorkload } from './private/workload-check';

/** Where the cluster's DNS servers run. */
export interface ClusterDnsOptions {
  /**
   * Namespace of the DNS pods.
   * @default "kube-system"
   */
  readonly namespace?: string;
  /**
   * Labels of the DNS pods.
   * @default { "k8s-app": "kube-dns" } (CoreDNS and kube-dns both carry it)
   */
  readonly selector?: { [key: string]: string };
  /**
   * Port the DNS pods listen on, allowed over UDP and TCP.
   * @default 53
   */
  readonly port?: number;
}

/** Where the Istio control plane runs. */
export interface ControlPlaneOptions {
  /**
   * Namespace of istiod.
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Labels of the istiod pods (every revision carries `app: istiod`).
   * @default { app: "istiod" }
   */
  readonly selector?: { [key: string]: string };
  /**
   * Ports sidecars use: 15012 is xDS and certificate signing over TLS. Add 15010 only if the
   * mesh still serves plaintext xDS.
   * @default [15012]
   */
  readonly ports?: number[];
}

/** An in-cluster destination the locked-down pods may still reach directly. */
export class EgressDestination {
  /** Every pod of `namespace`, on every port. */
  public static namespace(namespace: IMeshNamespace): EgressDestination {
    return new EgressDestination(() => ({ description: `namespace ${namespace.name}`, namespaceName: namespace.name }), (scope) =>
      assertDnsLabel(scope, 'destination namespace', namespace.name));
  }

  /** The pods of `workload` (a MeshWorkload, MeshService or AdoptedWorkload), on its container ports. */
  public static workload(workload: IMeshWorkload): EgressDestination {
    // Read when the destination is used: a value that is not a workload is refused there, with the lock-down's path.
    return new EgressDestination(() => ({
      description: `workload ${workload.node.path}`,
      namespaceName: workload.namespace,
      labels: { ...workload.selectorLabels },
      ports: [...new Set(workload.containerPorts)],
    }), (scope) => {
      assertMeshWorkload(scope, 'destination workload', workload);
      if (workload.containerPorts.length === 0) {
        throw new IstioSecurityError(scope, `destination workload ${workload.node.path} serves no ports, so there is nothing to reach: declare its ports.`);
      }
    });
  }

  private readonly facts: () => DestinationFacts;
  private readonly check: (scope: IConstruct) => void;

  private constructor(facts: () => DestinationFacts, check: (scope: IConstruct) => void) {
    this.facts = facts;
    this.check = check;
  }

  /** What the destination is, for messages. */
  public get description(): string {
    return this.facts().description;
  }

  /** Namespace of the destination pods. */
  public get namespaceName(): string {
    return this.facts().namespaceName;
  }

  /** Labels of the destination pods, when not the whole namespace. */
  public get labels(): { [key: string]: string } | undefined {
    return this.facts().labels;
  }

  /** Pod ports that may be reached; every port when undefined. */
  public get ports(): number[] | undefined {
    return this.facts().ports;
  }

  /** Checks the destination on behalf of the construct that uses it. */
  public validate(scope: IConstruct): void {
    this.check(scope);
  }

  /** @internal Identifies the pods the destination covers. */
  public get _key(): string {
    return `${this.namespaceName}/${JSON.stringify(this.labels ?? {})}`;
  }
}

interface DestinationFacts {
  readonly description: string;
  readonly namespaceName: string;
  readonly labels?: { [key: string]: string };
  readonly ports?: number[];
}

export interface EgressLockdownProps {
  /** The application namespace whose pods are locked down. */
  readonly namespace: IMeshNamespace;
  /** The egress gateway the namespace's outbound traffic must leave through. */
  readonly egressGateway: EgressGateway;
  /**
   * NetworkPolicy name.
   * @default "egress-lockdown"
   */
  readonly name?: string;
  /**
   * Cluster DNS.
   * @default - kube-dns pods in kube-system, port 53
   */
  readonly dns?: ClusterDnsOptions;
  /**
   * Istio control plane.
   * @default - istiod pods in istio-system, port 15012
   */
  readonly controlPlane?: ControlPlaneOptions;
  /**
   * Whether pods may reach the other pods of their own namespace.
   * @default true
   */
  readonly allowSameNamespace?: boolean;
  /**
   * Other in-cluster destinations the pods call directly (more with `allowTo`).
   * @default - none
   */
  readonly destinations?: EgressDestination[];
}

/**
 * Forces an application namespace's traffic to the outside through the egress gateway: a
 * Kubernetes NetworkPolicy (Egress) that lets its pods reach only the egress gateway pods on
 * their target ports, cluster DNS, istiod, and the in-cluster destinations named here.
 * Everything else, the Internet included, is dropped by the cluster's network plugin.
 *
 * Istio alone cannot do this: a pod can bypass its sidecar's routing, so only the network can
 * stop it. The network plugin must enforce NetworkPolicy. The egress gateway's own namespace is
 * never locked down (it must reach the outside), and neither are the namespaces of istiod and DNS.
 */
export class EgressLockdown extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  /** The NetworkPolicy (child id `Resource`). */
  public readonly networkPolicy: kplus.NetworkPolicy;
  private readonly destinationKeys = new Set<string>();

  public constructor(scope: Construct, id: string, props: EgressLockdownProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace', 'egressGateway']);
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    this.name = assertDnsLabel(this, 'name', props.name ?? 'egress-lockdown');
    const gateway = props.egressGateway;
    gateway.validate(this);
    const dns = {
      namespace: assertDnsLabel(this, 'dns namespace', props.dns?.namespace ?? 'kube-system'),
      selector: checkSelector(this, 'dns selector', props.dns?.selector ?? { 'k8s-app': 'kube-dns' }),
      port: assertPort(this, 'dns port', props.dns?.port ?? 53),
    };
    const controlPlane = {
      namespace: assertDnsLabel(this, 'controlPlane namespace', props.controlPlane?.namespace ?? 'istio-system'),
      selector: checkSelector(this, 'controlPlane selector', props.controlPlane?.selector ?? { app: 'istiod' }),
      ports: checkPorts(this, 'controlPlane port', props.controlPlane?.ports ?? [15012]),
    };
    const infrastructure: [string, string][] = [
      [gateway.namespace, 'the egress gateway\'s own namespace, which must keep reaching the outside'],
      [controlPlane.namespace, 'the control plane\'s namespace: istiod must reach the Kubernetes API server'],
      [dns.namespace, 'the DNS namespace: the DNS servers must reach upstream resolvers'],
    ];
    for (const [namespace, what] of infrastructure) {
      if (this.namespace === namespace) {
        throw new IstioSecurityError(this, `namespace "${namespace}" is ${what}: lock down application namespaces only.`);
      }
    }
    claimObjectName(this, 'NetworkPolicy', this.namespace, this.name);

    this.networkPolicy = new kplus.NetworkPolicy(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      // Every pod of the namespace; with policyTypes Egress only the rules below are let out.
      egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    // Sidecars connect to the gateway pods' endpoints directly, so the pods' target ports are what counts.
    this.allowPods('EgressGateway', gateway.namespace, gateway.selector,
      unique(gateway.ports.map((p) => p.targetPort!)).map((p) => kplus.NetworkPolicyPort.tcp(p)));
    this.allowPods('Dns', dns.namespace, dns.selector, [kplus.NetworkPolicyPort.udp(dns.port), kplus.NetworkPolicyPort.tcp(dns.port)]);
    this.allowPods('ControlPlane', controlPlane.namespace, controlPlane.selector,
      controlPlane.ports.map((p) => kplus.NetworkPolicyPort.tcp(p)));
    if (props.allowSameNamespace ?? true) {
      this.networkPolicy.addEgressRule(kplus.Pods.all(this, 'SameNamespace'));
    }
    for (const destination of props.destinations ?? []) this.allowTo(destination);
  }

  /** Lets the pods reach an in-cluster destination directly. */
  public allowTo(destination: EgressDestination): void {
    destination.validate(this);
    if (this.destinationKeys.has(destination._key)) {
      throw new IstioSecurityError(this, `destination ${destination.description} is allowed twice: allow each destination once.`);
    }
    this.destinationKeys.add(destination._key);
    const id = `Destination${this.destinationKeys.size}`;
    const ports = destination.ports?.map((p) => kplus.NetworkPolicyPort.tcp(p));
    if (destination.labels) {
      this.allowPods(id, destination.namespaceName, destination.labels, ports);
    } else {
      this.networkPolicy.addEgressRule(kplus.Namespaces.select(this, id, { names: [destination.namespaceName] }), ports);
    }
  }

  private allowPods(id: string, namespace: string, labels: { [key: string]: string }, ports?: kplus.NetworkPolicyPort[]): void {
    const pods = kplus.Pods.select(this, `${id}Pods`, {
      labels,
      namespaces: kplus.Namespaces.select(this, `${id}Namespace`, { names: [namespace] }),
    });
    this.networkPolicy.addEgressRule(pods, ports);
  }
}

function checkSelector(scope: IConstruct, what: string, selector: { [key: string]: string }): { [key: string]: string } {
  if (Object.keys(selector).length === 0) {
    throw new IstioSecurityError(scope, `${what} {} would select every pod of the namespace: name the pods' labels.`);
  }
  for (const [key, value] of Object.entries(selector)) {
    if (!key || typeof value !== 'string') {
      throw new IstioSecurityError(scope, `${what} ${quote(key)}: ${quote(value)} is not a label: use non-empty keys and string values.`);
    }
  }
  assertLabels(scope, what, selector);
  return { ...selector };
}

function checkPorts(scope: IConstruct, what: string, ports: number[]): number[] {
  if (ports.length === 0) throw new IstioSecurityError(scope, `${what}s [] would cut sidecars off the control plane: list at least 15012.`);
  for (const port of ports) assertPort(scope, what, port);
  assertUnique(scope, what, ports);
  return [...ports];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
