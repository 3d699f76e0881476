/**
 * How a server-side sidecar accepts connections (PeerAuthentication `mtls.mode`).
 */
export enum MtlsMode {
  /** Only mutual TLS: plaintext clients (no sidecar) are rejected. */
  STRICT = 'STRICT',
  /** Mutual TLS and plaintext are both accepted; for migrating clients into the mesh. */
  PERMISSIVE = 'PERMISSIVE',
  /** Mutual TLS is not used; only plaintext is accepted. */
  DISABLE = 'DISABLE',
  /** Inherit the mode from the enclosing scope (port from workload, workload from namespace, ...). */
  UNSET = 'UNSET',
}
