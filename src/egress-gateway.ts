import { IConstruct } from 'constructs';
import { DEFAULT_CLUSTER_DOMAIN } from './mesh-namespace';
import { checkGatewayReference, copyGatewayPorts, findGatewayPort } from './private/gateway-reference';
import { KnownKeys, isRecord, readOptions, recordProblem } from './private/validate';

/** A port of the egress gateway's Service. */
export interface EgressGatewayPort {
  /** Service port. */
  readonly port: number;
  /**
   * Port the gateway pods listen on (what a NetworkPolicy must allow).
   * @default - same as `port`
   */
  readonly targetPort?: number;
}

export interface EgressGatewayProps {
  /**
   * Namespace the gateway runs in; client credential Secrets must live here too.
   * @default "istio-system"
   */
  readonly namespace?: string;
  /**
   * Labels of the gateway pods (the Gateway `selector`).
   * @default { istio: "egressgateway" }
   */
  readonly selector?: { [key: string]: string };
  /**
   * Name of the gateway's Service.
   * @default "istio-egressgateway"
   */
  readonly serviceName?: string;
  /**
   * Cluster domain of the Service host.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Ports the gateway's Service exposes.
   * @default - 80 (pods 8080) and 443 (pods 8443), as Istio's default egress gateway
   */
  readonly ports?: EgressGatewayPort[];
}

const EGRESS_GATEWAY_PROPS: KnownKeys<EgressGatewayProps> = { namespace: true, selector: true, serviceName: true, clusterDomain: true, ports: true };

/**
 * The egress gateway that routes leave the mesh through: a reference to a gateway installed with
 * Istio. The props are taken as given; the construct that uses the gateway checks them.
 */
export class EgressGateway {
  /** Istio's `istio-egressgateway` in `istio-system`, or a gateway that differs in the given properties. */
  public static istio(props: EgressGatewayProps = {}): EgressGateway {
    return new EgressGateway(props);
  }

  public readonly namespace: string;
  public readonly selector: { [key: string]: string };
  public readonly serviceName: string;
  public readonly clusterDomain: string;
  public readonly ports: EgressGatewayPort[];

  private constructor(props: EgressGatewayProps | undefined | null) {
    const { options: p, problem } = readOptions('EgressGateway.istio', props, EGRESS_GATEWAY_PROPS, '{ namespace: "istio-egress" }');
    if (problem !== undefined) recordProblem(this, problem);
    // Values are kept as given (copied, so later changes by the caller do not reach the output).
    this.namespace = p.namespace ?? 'istio-system';
    this.selector = isRecord(p.selector) ? { ...p.selector } : p.selector ?? { istio: 'egressgateway' };
    this.serviceName = p.serviceName ?? 'istio-egressgateway';
    this.clusterDomain = p.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.ports = copyGatewayPorts(p.ports ?? [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }]);
  }

  /** The gateway Service's host, e.g. `istio-egressgateway.istio-system.svc.cluster.local`. */
  public get host(): string {
    return `${this.serviceName}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  /** Whether the gateway's Service exposes `port`. */
  public exposes(port: number): boolean {
    return findGatewayPort(this.ports, port) !== undefined;
  }

  /** Checks the reference on behalf of the construct that uses it. */
  public validate(scope: IConstruct): void {
    checkGatewayReference(scope, 'egress gateway', this, '{ istio: "egressgateway" }');
  }
}
