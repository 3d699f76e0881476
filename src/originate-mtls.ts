import { Construct } from 'constructs';
import { ClientCredential } from './client-credential';
import { EgressGatewayRoute, EgressRouteBaseProps } from './egress-gateway-route';
import { EgressMode, MtlsOriginationOptions } from './egress-mode';

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
  /** The certificate the gateway presents. */
  public readonly clientCredential: ClientCredential;

  public constructor(scope: Construct, id: string, props: OriginateMtlsProps) {
    super(scope, id, {
      egressGateway: props.egressGateway,
      host: props.host,
      namespace: props.namespace,
      directPorts: props.directPorts,
      mode: EgressMode.originateMtls(props),
    });
    this.clientCredential = props.clientCredential;
  }
}
