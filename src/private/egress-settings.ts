import { ClientCredential } from '../client-credential';
import { ClientTlsMode } from '../client-tls-mode';
import { ServerCa } from '../server-ca';

/** What an EgressMode carries beyond its ports; read by the route that renders it. */
export interface EgressModeSettings {
  readonly portName?: string;
  readonly targetPortName?: string;
  readonly sidecarToGatewayTls?: ClientTlsMode;
  readonly subjectAltNames?: string[];
  readonly serverCa?: ServerCa;
  readonly clientCredential?: ClientCredential;
  /** Whether the user chose the gateway port (an HTTP route with clients moves to the TLS port otherwise). */
  readonly gatewayPortGiven?: boolean;
  /** Whether the caller gave `port` (for origination: messages name the setting to change). */
  readonly explicitPort?: boolean;
  /** Whether the caller gave `targetPort`. */
  readonly explicitTargetPort?: boolean;
}
