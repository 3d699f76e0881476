import { Construct } from 'constructs';
import { ClientCredential } from './client-credential';
import { EgressGatewayRoute, EgressGatewayRouteProps, EgressRouteBaseProps } from './egress-gateway-route';
import { EgressMode, MtlsOriginationOptions } from './egress-mode';
import { KnownKeys, isRecord } from './private/validate';

const MTLS_OPTION_KEYS: KnownKeys<MtlsOriginationOptions> = {
  port: true, targetPort: true, gatewayPort: true, sidecarToGatewayTls: true, subjectAltNames: true, portName: true, targetPortName: true,
  clientCredential: true,
};

export interface OriginateMtlsProps extends EgressRouteBaseProps, MtlsOriginationOptions {}

/**
 * Mutual TLS from the egress gateway to an external server (Istio's "egress gateway with mutual TLS
 * origination" task, with its `my-nginx` test server): the app sends plain
 * HTTP to port 80, the sidecar carries it to the gateway's port 443 over mesh mTLS, and the
 * gateway opens mutual TLS to the host's port 443, presenting the client credential.
 *
 * The credential Secret is read by the gateway from its own namespace, so the Secret (when this
 * app creates it) and the DestinationRule with `tls.mode: MUTUAL`, `credentialName` and `sni`
 * go to the gateway's namespace, whatever namespace the route lives in. The rule is exported
 * only there (`exportTo: ["."]`): sidecars never originate this TLS.
 *
 * The same as `new EgressGatewayRoute(..., { mode: EgressMode.originateMtls(...) })`.
 */
export class OriginateMtls extends EgressGatewayRoute {
  /** Splits the props into the route's and the mode's, read once; anything else is left for the route to refuse. */
  private static routeProps(props: OriginateMtlsProps): EgressGatewayRouteProps {
    if (!isRecord(props)) return props;
    const { egressGateway, host, namespace, directPorts, ...origination } = props;
    const route: { [key: string]: unknown } = { egressGateway, host, namespace, directPorts };
    const mode: { [key: string]: unknown } = {};
    for (const [key, value] of Object.entries(origination)) {
      if (Object.prototype.hasOwnProperty.call(MTLS_OPTION_KEYS, key)) mode[key] = value;
      else route[key] = value;
    }
    return { ...route, mode: EgressMode.originateMtls(mode as unknown as MtlsOriginationOptions) } as EgressGatewayRouteProps;
  }

  /** The certificate the gateway presents. */
  public readonly clientCredential: ClientCredential;

  public constructor(scope: Construct, id: string, props: OriginateMtlsProps) {
    super(scope, id, OriginateMtls.routeProps(props));
    this.clientCredential = this.mode._settings.clientCredential!;
  }
}
