import { AppProtocol } from './app-protocol';

/** A port a MeshWorkload serves, exposed by its Service. */
export interface WorkloadPort {
  /** Service port. */
  readonly port: number;
  /**
   * Container port the Service forwards to (what port-level mTLS is keyed by).
   * @default - same as `port`
   */
  readonly containerPort?: number;
  /**
   * Application protocol; sets the port name prefix and `appProtocol` Istio reads.
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;
  /**
   * Service port name. Must be `<protocol>` or start with `<protocol>-`, as Istio's protocol selection requires.
   * @default "<protocol>-<port>"
   */
  readonly name?: string;
}
