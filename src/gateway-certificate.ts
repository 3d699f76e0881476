import { KnownKeys, isRecord, readOptions, recordProblem } from './private/validate';

/** PEM material for a gateway certificate Secret this app creates. */
export interface PemGatewayCertificateOptions {
  /**
   * Name of the Secret, created in the ingress gateway's namespace (type `kubernetes.io/tls`).
   * @default "gateway-certificate"
   */
  readonly secretName?: string;
  /** The server certificate chain (PEM) the gateway presents to clients, stored as `tls.crt`. */
  readonly certificate: string;
  /** The server's private key (PEM), stored as `tls.key`. */
  readonly privateKey: string;
  /**
   * CA certificates (PEM) that client certificates must chain to, stored as `ca.crt`. Needed for
   * `IngressTls.mutual`, unless a Secret `<secretName>-cacert` holds them.
   * @default - none
   */
  readonly caCertificate?: string;
  /**
   * Must be `true`: the private key is written, base64-encoded but unencrypted, into the
   * synthesized manifests, and from there into every place they are stored or reviewed.
   */
  readonly acknowledgeKeyInManifest: boolean;
}

const PEM_OPTIONS: KnownKeys<PemGatewayCertificateOptions> = {
  secretName: true, certificate: true, privateKey: true, caCertificate: true, acknowledgeKeyInManifest: true,
};

/**
 * The certificate and key the ingress gateway presents to clients when it terminates TLS: a
 * Secret in the **gateway's** namespace, named by the Gateway server's `tls.credentialName`
 * (the gateway reads such Secrets only from its own namespace, whatever namespace the Gateway
 * object is in).
 */
export class GatewayCertificate {
  /**
   * A Secret that already exists (or is created outside this app, e.g. by cert-manager) in the
   * ingress gateway's namespace, with keys `tls.crt` and `tls.key` and, for mutual TLS, `ca.crt`
   * (or a second Secret `<name>-cacert` with `ca.crt`). Nothing secret is written into the
   * manifests. This is the recommended form.
   */
  public static fromSecret(secretName: string): GatewayCertificate {
    return new GatewayCertificate(secretName, undefined);
  }

  /**
   * Creates the Secret from PEM strings. Only on explicit opt-in (`acknowledgeKeyInManifest`),
   * because the private key then lands in the output; synthesis prints a warning.
   */
  public static fromPem(options: PemGatewayCertificateOptions): GatewayCertificate {
    // Read once: the checks and the Secret see the same values.
    const { options: copy, problem } = readOptions('GatewayCertificate.fromPem', options, PEM_OPTIONS,
      '{ certificate, privateKey, acknowledgeKeyInManifest: true }', true);
    const certificate = new GatewayCertificate(copy.secretName ?? 'gateway-certificate', isRecord(options) ? copy : undefined);
    if (problem !== undefined) recordProblem(certificate, problem);
    return certificate;
  }

  /** Name of the Secret in the ingress gateway's namespace. */
  public readonly secretName: string;
  /** @internal The PEM material, for the Secret this app creates. */
  public readonly _pem?: PemGatewayCertificateOptions;

  private constructor(secretName: string, pem: PemGatewayCertificateOptions | undefined) {
    this.secretName = secretName;
    this._pem = pem;
  }

  /** Whether this app creates the Secret (and so writes key material into its manifests). */
  public get createsSecret(): boolean {
    return this._pem !== undefined;
  }
}
