import { AppProtocol } from './app-protocol';

/**
 * A port of an external host that its ServiceEntry declares without routing it through the
 * egress gateway: sidecars call it directly (e.g. the HTTPS port a plain-HTTP site redirects to).
 *
 * Traffic on such a port leaves from the application pod, not from the gateway. Lock the
 * namespace down (EgressLockdown) if nothing may bypass the gateway.
 */
export interface ExternalPort {
  /** Port number on the external host. */
  readonly port: number;
  /** Protocol spoken on the port (the ServiceEntry port protocol). */
  readonly protocol: AppProtocol;
  /**
   * ServiceEntry port name.
   * @default "<protocol>-<port>"
   */
  readonly name?: string;
}
