import { IConstruct } from 'constructs';
import { DEFAULT_CLUSTER_DOMAIN } from './mesh-namespace';
import { checkGatewayReference } from './private/gateway-reference';

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

/**
 * The egress gateway that routes leave the mesh through: a reference to a gateway installed with Istio.
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

  private constructor(props: EgressGatewayProps) {
    this.namespace = props.namespace ?? 'istio-system';
    this.selector = { ...(props.selector ?? { istio: 'egressgateway' }) };
    this.serviceName = props.serviceName ?? 'istio-egressgateway';
    this.clusterDomain = props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.ports = (props.ports ?? [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }])
      .map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port }));
  }

  /** The gateway Service's host, e.g. `istio-egressgateway.istio-system.svc.cluster.local`. */
  public get host(): string {
    return `${this.serviceName}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  /** Whether the gateway's Service exposes `port`. */
  public exposes(port: number): boolean {
    return this.ports.some((p) => p.port === port);
  }

  /** Checks the reference on behalf of the construct that uses it. */
  public validate(scope: IConstruct): void {
    checkGatewayReference(scope, 'egress gateway', this, '{ istio: "egressgateway" }');
  }
}
