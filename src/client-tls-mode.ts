/**
 * How a client sidecar or gateway opens connections to a destination (DestinationRule `tls.mode`).
 */
export enum ClientTlsMode {
  /** Plaintext. */
  DISABLE = 'DISABLE',
  /** TLS that verifies the server (TLS origination). */
  SIMPLE = 'SIMPLE',
  /** Mutual TLS with a client certificate given by the user. */
  MUTUAL = 'MUTUAL',
  /** Mutual TLS with the certificates Istio issues to every workload. */
  ISTIO_MUTUAL = 'ISTIO_MUTUAL',
}
