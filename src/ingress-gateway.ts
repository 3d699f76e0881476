import { IConstruct } from 'constructs';
import { WorkloadIdentity } from './identity';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN } from './mesh-namespace';
import { Peer } from './peer';
import { checkGatewayReference, copyGatewayPorts, findGatewayPort } from './private/gateway-reference';
import { KnownKeys, assertDnsLabel, assertDnsSubdomain, isRecord, readOptions, recordProblem } from './private/validate';

/** A port of the ingress gateway's Service. */
export interface IngressGatewayPort {
  /** Service port: what clients connect to, and the Gateway server's port number. */
  readonly port: number;
  /**
   * Port the gateway pods listen on (what an AuthorizationPolicy on the gateway matches).
   * @default - same as `port`
   */
  readonly targetPort?: number;
}

export interface IngressGatewayProps {
  /**
   * Namespace the gateway pods run in. The certificate Secrets of its TLS servers must live
   * here: the gateway reads `credentialName` Secrets only from its own namespace.
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Labels of the gateway pods (the Gateway `selector`).
   * @default { istio: "ingressgateway" }
   */
  readonly selector?: { [key: string]: string };
  /**
   * Name of the gateway's Service.
   * @default "istio-ingressgateway"
   */
  readonly serviceName?: string;
  /**
   * Service account the gateway pods run as: their identity towards the workloads behind them.
   * @default "istio-ingressgateway-service-account"
   */
  readonly serviceAccountName?: string;
  /**
   * Trust domain of the gateway's identity.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Cluster domain of the Service host.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Ports the gateway's Service exposes.
   * @default - 80 (pods 8080) and 443 (pods 8443), as Istio's default ingress gateway
   */
  readonly ports?: IngressGatewayPort[];
}

const INGRESS_GATEWAY_PROPS: KnownKeys<IngressGatewayProps> = {
  namespace: true, selector: true, serviceName: true, serviceAccountName: true, trustDomain: true, clusterDomain: true, ports: true,
};

/**
 * The ingress gateway that calls from outside the mesh come in through: a reference to a gateway
 * installed with Istio. It is a proxy with an identity of its own (its service account), which
 * authorization policies of the workloads behind it see.
 */
export class IngressGateway {
  /** Istio's `istio-ingressgateway` in `istio-system`, or a gateway that differs in the given properties. */
  public static istio(props: IngressGatewayProps = {}): IngressGateway {
    return new IngressGateway(props);
  }

  public readonly namespace: string;
  public readonly selector: { [key: string]: string };
  public readonly serviceName: string;
  public readonly serviceAccountName: string;
  public readonly trustDomain: string;
  public readonly clusterDomain: string;
  public readonly ports: IngressGatewayPort[];

  private constructor(props: IngressGatewayProps | undefined | null) {
    const { options: p, problem } = readOptions('IngressGateway.istio', props, INGRESS_GATEWAY_PROPS, '{ namespace: "istio-ingress" }');
    if (problem !== undefined) recordProblem(this, problem);
    // Values are kept as given (copied, so later changes by the caller do not reach the output); validate checks them.
    this.namespace = p.namespace ?? 'istio-system';
    this.selector = isRecord(p.selector) ? { ...p.selector } : p.selector ?? { istio: 'ingressgateway' };
    this.serviceName = p.serviceName ?? 'istio-ingressgateway';
    this.serviceAccountName = p.serviceAccountName ?? 'istio-ingressgateway-service-account';
    this.trustDomain = p.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.clusterDomain = p.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.ports = copyGatewayPorts(p.ports ?? [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }]);
  }

  /** The gateway Service's host, e.g. `istio-ingressgateway.istio-system.svc.cluster.local`. */
  public get host(): string {
    return `${this.serviceName}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  /** The gateway pods' identity, e.g. `spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account`. */
  public get identity(): WorkloadIdentity {
    return WorkloadIdentity.of(this.trustDomain, this.namespace, this.serviceAccountName);
  }

  /** The gateway as a caller in authorization rules (`source.principals`). */
  public get peer(): Peer {
    return Peer.identity(this.identity);
  }

  /** Whether the gateway's Service exposes `port`. */
  public exposes(port: number): boolean {
    return findGatewayPort(this.ports, port) !== undefined;
  }

  /** The pod port behind Service port `port` (undefined when the Service does not expose it). */
  public targetPortOf(port: number): number | undefined {
    return findGatewayPort(this.ports, port)?.targetPort;
  }

  /** Checks the reference on behalf of the construct that uses it. */
  public validate(scope: IConstruct): void {
    checkGatewayReference(scope, 'ingress gateway', this, '{ istio: "ingressgateway" }');
    assertDnsLabel(scope, 'ingress gateway serviceAccountName', this.serviceAccountName);
    assertDnsSubdomain(scope, 'ingress gateway trustDomain', this.trustDomain);
  }
}
