/**
 * The certificate authorities the egress gateway trusts when it verifies an external server
 * during TLS origination (DestinationRule `tls.caCertificates` or `tls.credentialName`).
 * The route that uses it checks the path or the Secret name.
 */
export class ServerCa {
  /**
   * A CA bundle file inside the egress gateway pod, e.g. the image's system bundle
   * `/etc/ssl/certs/ca-certificates.crt` or a file mounted into the gateway. A path, never the
   * certificates themselves (for those, create a Secret with `ca.crt` and use `fromSecret`).
   */
  public static fromFile(path: string): ServerCa {
    return new ServerCa(path, undefined);
  }

  /**
   * A Secret in the egress gateway's namespace whose `ca.crt` key holds the CA certificates.
   * The gateway reads it through SDS; nothing is mounted.
   */
  public static fromSecret(secretName: string): ServerCa {
    return new ServerCa(undefined, secretName);
  }

  /** Path of the CA bundle in the gateway pod, for `fromFile`. */
  public readonly caCertificates?: string;
  /** Name of the Secret holding `ca.crt`, for `fromSecret`. */
  public readonly secretName?: string;

  private constructor(caCertificates: string | undefined, secretName: string | undefined) {
    this.caCertificates = caCertificates;
    this.secretName = secretName;
  }
}
