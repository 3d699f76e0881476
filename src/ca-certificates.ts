/**
 * PEM material of Istio's plug-in CA, for the `cacerts` Secret this app creates: typically an
 * intermediate CA per cluster, all signed by one root, so that workloads of every cluster trust
 * each other.
 */
export interface PemCaCertificatesOptions {
  /** This cluster's CA certificate, which signs workload certificates; stored as `ca-cert.pem`. */
  readonly caCertificate: string;
  /** The private key of `caCertificate`; stored as `ca-key.pem`. */
  readonly caPrivateKey: string;
  /** The root certificate(s) every cluster trusts; stored as `root-cert.pem`. */
  readonly rootCertificate: string;
  /**
   * The chain from `caCertificate` up to the root (the CA certificate, any intermediates, the
   * root); stored as `cert-chain.pem`.
   */
  readonly certificateChain: string;
  /**
   * Must be `true`: the CA's private key is written, base64-encoded but unencrypted, into the
   * synthesized manifests, and with it the power to issue any identity in the mesh.
   */
  readonly acknowledgeKeyInManifest: boolean;
}

/**
 * The certificates of Istio's plug-in CA: the Secret `cacerts` in istiod's namespace, with keys
 * `ca-cert.pem`, `ca-key.pem`, `root-cert.pem` and `cert-chain.pem`. istiod reads it at start-up
 * and signs every workload certificate with it instead of its self-signed root.
 */
export class CaCertificates {
  /**
   * The `cacerts` Secret as it exists in the cluster, created out of band (e.g. `kubectl create
   * secret generic cacerts -n istio-system --from-file=...`). Nothing secret is written into the
   * manifests. This is the recommended form.
   */
  public static fromSecret(): CaCertificates {
    return new CaCertificates(undefined);
  }

  /**
   * Creates the `cacerts` Secret from PEM strings. Only on explicit opt-in
   * (`acknowledgeKeyInManifest`), because the CA's private key then lands in the output;
   * synthesis prints a warning.
   */
  public static fromPem(options: PemCaCertificatesOptions): CaCertificates {
    return new CaCertificates(options);
  }

  /** @internal The PEM material, for the Secret this app creates. */
  public readonly _pem?: PemCaCertificatesOptions;

  private constructor(pem: PemCaCertificatesOptions | undefined) {
    this._pem = pem;
  }

  /** Whether this app creates the Secret (and so writes the CA key into its manifests). */
  public get createsSecret(): boolean {
    return this._pem !== undefined;
  }
}
