import { KnownKeys, isRecord, readOptions, recordProblem } from './private/validate';

/** PEM material for a client credential Secret this app creates. */
export interface PemClientCredentialOptions {
  /**
   * Name of the Secret, created in the egress gateway's namespace.
   * @default "client-credential"
   */
  readonly secretName?: string;
  /** The client certificate chain (PEM CERTIFICATE blocks, the client's first), stored as `tls.crt`. */
  readonly certificate: string;
  /** The client's private key (one unencrypted PEM key block, the key of `certificate`), stored as `tls.key`. */
  readonly privateKey: string;
  /**
   * CA certificates (PEM CERTIFICATE blocks) that verify the external server, stored as `ca.crt`.
   * Without them the gateway does not check the server against a private CA.
   * @default - none
   */
  readonly caCertificate?: string;
  /**
   * Must be `true`: the private key is written, base64-encoded but unencrypted, into the
   * synthesized manifests, and from there into every place they are stored or reviewed.
   */
  readonly acknowledgeKeyInManifest: boolean;
}

const PEM_OPTIONS: KnownKeys<PemClientCredentialOptions> = {
  secretName: true, certificate: true, privateKey: true, caCertificate: true, acknowledgeKeyInManifest: true,
};

/**
 * The certificate and key the egress gateway presents to an external server that requires
 * mutual TLS: a Secret in the gateway's namespace, named by DestinationRule `tls.credentialName`.
 * The route that uses it checks the name and the PEM material.
 */
export class ClientCredential {
  /**
   * A Secret that already exists (or is created outside this app) in the egress gateway's
   * namespace, with keys `tls.crt`, `tls.key` and, to verify the server, `ca.crt`.
   * Nothing secret is written into the manifests. This is the recommended form.
   */
  public static fromSecret(secretName: string): ClientCredential {
    return new ClientCredential(secretName, undefined);
  }

  /**
   * Creates the Secret from PEM strings. Only on explicit opt-in (`acknowledgeKeyInManifest`),
   * because the private key then lands in the output; synthesis prints a warning.
   */
  public static fromPem(options: PemClientCredentialOptions): ClientCredential {
    // Read once: the checks and the Secret see the same values.
    const { options: copy, problem } = readOptions('ClientCredential.fromPem', options, PEM_OPTIONS,
      '{ certificate, privateKey, acknowledgeKeyInManifest: true }', true);
    const credential = new ClientCredential(copy.secretName ?? 'client-credential', isRecord(options) ? copy : undefined);
    if (problem !== undefined) recordProblem(credential, problem);
    return credential;
  }

  /** Name of the Secret in the egress gateway's namespace. */
  public readonly secretName: string;
  /** @internal The PEM material, for the Secret this app creates. */
  public readonly _pem?: PemClientCredentialOptions;

  private constructor(secretName: string, pem: PemClientCredentialOptions | undefined) {
    this.secretName = secretName;
    this._pem = pem;
  }

  /** Whether this app creates the Secret (and so writes key material into its manifests). */
  public get createsSecret(): boolean {
    return this._pem !== undefined;
  }
}
