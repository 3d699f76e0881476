import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { EgressGateway } from './egress-gateway';
import { IstioSecurityError } from './errors';
import { IMeshNamespace } from './mesh-namespace';
import { namespaceFacts, snapshotNamespace } from './private/namespace-facts';
import { claim, claimObjectName } from './private/registry';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertDnsLabel, assertInstance, assertList, assertPort, assertProps, assertRequired, assertSelector, assertUnique, optionalBoolean, quote,
} from './private/validate';
import { assertMeshWorkload, looksLikeMeshWorkload } from './private/workload-check';
import { IMeshWorkload } from './mesh-workload-interface';

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

/** What a checked destination lets the pods reach. */
interface DestinationFacts {
  readonly description: string;
  readonly namespaceName: string;
  readonly labels?: { [key: string]: string };
  readonly ports?: number[];
}

/**
 * An in-cluster destination the locked-down pods may still reach directly. The factories take
 * their arguments as given; the lock-down that allows the destination checks them.
 */
export class EgressDestination {
  /** Every pod of `namespace`, on every port. */
  public static namespace(namespace: IMeshNamespace): EgressDestination {
    const ns = snapshotNamespace(namespace);
    const name = typeof ns === 'object' && ns !== null ? (ns as IMeshNamespace).name : undefined;
    const peek = (): DestinationFacts => ({ description: `namespace ${typeof name === 'string' ? name : quote(name)}`, namespaceName: typeof name === 'string' ? name : '' });
    return new EgressDestination(peek, (scope) => {
      const facts = namespaceFacts(scope, 'destination namespace', ns);
      return { description: `namespace ${facts.name}`, namespaceName: facts.name };
    });
  }

  /** The pods of `workload` (a MeshWorkload, MeshService or AdoptedWorkload), on its container ports. */
  public static workload(workload: IMeshWorkload): EgressDestination {
    // Read when the destination is used, so that ports declared later count; a value that is not a
    // workload is refused there, with the lock-down's path.
    const shown = looksLikeMeshWorkload(workload) ? `workload ${workload.node.path}` : `workload ${quote(workload)}`;
    const peek = (): DestinationFacts => (looksLikeMeshWorkload(workload)
      ? { description: shown, namespaceName: workload.namespace, labels: { ...workload.selectorLabels }, ports: [...new Set(workload.containerPorts)] }
      : { description: shown, namespaceName: '' });
    return new EgressDestination(peek, (scope) => {
      const w = assertMeshWorkload(scope, 'destination workload', workload);
      const ports = [...new Set(w.containerPorts)];
      if (ports.length === 0) {
        throw new IstioSecurityError(scope, `destination workload ${w.node.path} serves no ports, so there is nothing to reach: declare its ports.`);
      }
      return { description: `workload ${w.node.path}`, namespaceName: w.namespace, labels: { ...w.selectorLabels }, ports };
    });
  }

  private readonly peek: () => DestinationFacts;
  private readonly check: (scope: IConstruct) => DestinationFacts;

  private constructor(peek: () => DestinationFacts, check: (scope: IConstruct) => DestinationFacts) {
    this.peek = peek;
    this.check = check;
  }

  /** What the destination is, for messages. */
  public get description(): string {
    return this.peek().description;
  }

  /** Namespace of the destination pods (empty when the argument was not a namespace or workload). */
  public get namespaceName(): string {
    return this.peek().namespaceName;
  }

  /** Labels of the destination pods, when not the whole namespace. */
  public get labels(): { [key: string]: string } | undefined {
    return this.peek().labels;
  }

  /** Pod ports that may be reached; every port when undefined. */
  public get ports(): number[] | undefined {
    return this.peek().ports;
  }

  /** Checks the destination on behalf of the construct that uses it. */
  public validate(scope: IConstruct): void {
    this.check(scope);
  }

  /** @internal Checks the destination and returns the pods it covers. */
  public _resolve(scope: IConstruct): DestinationFacts {
    return this.check(scope);
  }
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

const LOCKDOWN_PROPS: KnownKeys<EgressLockdownProps> = {
  namespace: true, egressGateway: true, name: true, dns: true, controlPlane: true, allowSameNamespace: true, destinations: true,
};
const DNS_KEYS: KnownKeys<ClusterDnsOptions> = { namespace: true, selector: true, port: true };
const CONTROL_PLANE_KEYS: KnownKeys<ControlPlaneOptions> = { namespace: true, selector: true, ports: true };

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
    try {
      const p = assertProps(this, 'props', props, LOCKDOWN_PROPS);
      assertRequired(this, p, ['namespace', 'egressGateway']);
      this.namespace = namespaceFacts(this, 'namespace', p.namespace).name;
      this.name = assertDnsLabel(this, 'name', p.name ?? 'egress-lockdown');
      const gateway = assertInstance(this, 'egressGateway', p.egressGateway, EgressGateway, 'EgressGateway.istio(...)');
      gateway.validate(this);
      const dnsProps = assertProps(this, 'dns', p.dns, DNS_KEYS);
      const controlPlaneProps = assertProps(this, 'controlPlane', p.controlPlane, CONTROL_PLANE_KEYS);
      const dns = {
        namespace: assertDnsLabel(this, 'dns namespace', dnsProps.namespace ?? 'kube-system'),
        selector: checkSelector(this, 'dns selector', dnsProps.selector ?? { 'k8s-app': 'kube-dns' }),
        port: assertPort(this, 'dns port', dnsProps.port ?? 53),
      };
      const controlPlane = {
        namespace: assertDnsLabel(this, 'controlPlane namespace', controlPlaneProps.namespace ?? 'istio-system'),
        selector: checkSelector(this, 'controlPlane selector', controlPlaneProps.selector ?? { app: 'istiod' }),
        ports: checkPorts(this, 'controlPlane port', controlPlaneProps.ports ?? [15012]),
      };
      const allowSameNamespace = optionalBoolean(this, 'allowSameNamespace', p.allowSameNamespace, true);
      const destinations = p.destinations === undefined || p.destinations === null ? []
        : assertList(this, 'destinations', p.destinations, { example: '[EgressDestination.namespace(shared)]' });
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
      // NetworkPolicies add up: a second lock-down's allow rules would open the first one.
      claim(this, `egress-lockdown:${this.namespace}`, (holder) => `namespace "${this.namespace}" is already locked down by ${holder.node.path}: `
        + 'NetworkPolicies add up, so a second lock-down would widen the first; add destinations to that one with allowTo.');

      this.networkPolicy = new kplus.NetworkPolicy(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        // Every pod of the namespace; with policyTypes Egress only the rules below are let out.
        egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      });
      // Sidecars connect to the gateway pods' endpoints directly, so the pods' target ports are what counts.
      this.allowPods('EgressGateway', gateway.namespace, gateway.selector,
        unique(gateway.ports.map((gp) => gp.targetPort!)).map((port) => kplus.NetworkPolicyPort.tcp(port)));
      this.allowPods('Dns', dns.namespace, dns.selector, [kplus.NetworkPolicyPort.udp(dns.port), kplus.NetworkPolicyPort.tcp(dns.port)]);
      this.allowPods('ControlPlane', controlPlane.namespace, controlPlane.selector,
        controlPlane.ports.map((port) => kplus.NetworkPolicyPort.tcp(port)));
      if (allowSameNamespace) {
        this.networkPolicy.addEgressRule(kplus.Pods.all(this, 'SameNamespace'));
      }
      for (const destination of destinations) this.allowTo(destination as EgressDestination);
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** Lets the pods reach an in-cluster destination directly. */
  public allowTo(destination: EgressDestination): void {
    const facts = assertInstance(this, 'destination', destination, EgressDestination,
      'EgressDestination.namespace(ns) or EgressDestination.workload(w)')._resolve(this);
    const key = `${facts.namespaceName}/${JSON.stringify(facts.labels ?? {})}`;
    if (this.destinationKeys.has(key)) {
      throw new IstioSecurityError(this, `destination ${facts.description} is allowed twice: allow each destination once.`);
    }
    this.destinationKeys.add(key);
    const id = `Destination${this.destinationKeys.size}`;
    const ports = facts.ports?.map((port) => kplus.NetworkPolicyPort.tcp(port));
    if (facts.labels) {
      this.allowPods(id, facts.namespaceName, facts.labels, ports);
    } else {
      this.networkPolicy.addEgressRule(kplus.Namespaces.select(this, id, { names: [facts.namespaceName] }), ports);
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

function checkSelector(scope: IConstruct, what: string, selector: unknown): { [key: string]: string } {
  return assertSelector(scope, what, selector, 'would select every pod of the namespace: name the pods\' labels.');
}

function checkPorts(scope: IConstruct, what: string, value: unknown): number[] {
  const ports = assertList(scope, `${what}s`, value, { example: '[15012]' }) as number[];
  if (ports.length === 0) throw new IstioSecurityError(scope, `${what}s [] would cut sidecars off the control plane: list at least 15012.`);
  for (const port of ports) assertPort(scope, what, port);
  assertUnique(scope, what, ports);
  return ports;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
