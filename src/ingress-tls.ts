import { GatewayCertificate } from './gateway-certificate';
import { KnownKeys, readOptions, recordProblem } from './private/validate';

/** What the ingress gateway does with the TLS of calls from outside (see IngressTls). */
export enum IngressTlsMode {
  /** Plain HTTP: nothing is encrypted between the client and the gateway. */
  NONE = 'NONE',
  /** The gateway terminates TLS with its certificate (Gateway `tls.mode: SIMPLE`). */
  SIMPLE = 'SIMPLE',
  /** The gateway terminates TLS and requires a client certificate (`tls.mode: MUTUAL`). */
  MUTUAL = 'MUTUAL',
  /** The client's TLS passes through the gateway to the app, routed by SNI (`tls.mode: PASSTHROUGH`). */
  PASSTHROUGH = 'PASSTHROUGH',
}

/** Plain HTTP at the ingress gateway. */
export interface PlainHttpIngressOptions {
  /**
   * Must be `true`: requests, cookies and tokens cross the network between the client and the
   * gateway unencrypted. Synthesis prints a warning either way.
   */
  readonly acknowledgePlaintext: boolean;
  /**
   * Port of the ingress gateway's Service (a Gateway server with protocol HTTP).
   * @default 80
   */
  readonly gatewayPort?: number;
}

/** TLS terminated at the ingress gateway. */
export interface TlsTerminationOptions {
  /** The certificate the gateway presents: a Secret in the gateway's namespace. */
  readonly certificate: GatewayCertificate;
  /**
   * Port of the ingress gateway's Service (a Gateway server with protocol HTTPS).
   * @default 443
   */
  readonly gatewayPort?: number;
  /**
   * Also serve the hosts on `redirectPort` in plain HTTP, answering every request with a
   * redirect to HTTPS (Gateway `tls.httpsRedirect`), so `http://` links still arrive.
   * @default false
   */
  readonly httpsRedirect?: boolean;
  /**
   * Plain-HTTP port of the gateway's Service for `httpsRedirect`.
   * @default 80
   */
  readonly redirectPort?: number;
}

/** Mutual TLS at the ingress gateway: clients must present a certificate. */
export interface MutualTlsIngressOptions extends TlsTerminationOptions {
  /**
   * Names a client certificate must carry (Gateway `tls.subjectAltNames`).
   * @default - any certificate the CA signed
   */
  readonly subjectAltNames?: string[];
  /**
   * SHA-256 fingerprints (hex, with or without colons) of the only client certificates accepted
   * (Gateway `tls.verifyCertificateHash`).
   * @default - no pinning
   */
  readonly certificateHashes?: string[];
  /**
   * Base64 SHA-256 hashes of the public keys (SPKI) of the only client certificates accepted
   * (Gateway `tls.verifyCertificateSpki`).
   * @default - no pinning
   */
  readonly spkiHashes?: string[];
}

/** The client's TLS passed through the ingress gateway, routed by SNI. */
export interface PassthroughIngressOptions {
  /**
   * Port of the ingress gateway's Service (a Gateway server with protocol TLS).
   * @default 443
   */
  readonly gatewayPort?: number;
}

/** @internal Everything an IngressRoute renders from an IngressTls. */
export interface IngressTlsSettings {
  readonly acknowledgePlaintext?: boolean;
  readonly certificate?: GatewayCertificate;
  readonly httpsRedirect?: boolean;
  readonly redirectPort?: number;
  readonly subjectAltNames?: string[];
  readonly certificateHashes?: string[];
  readonly spkiHashes?: string[];
}

const PLAIN_HTTP_OPTIONS: KnownKeys<PlainHttpIngressOptions> = { acknowledgePlaintext: true, gatewayPort: true };
const TERMINATION_OPTIONS: KnownKeys<TlsTerminationOptions> = { certificate: true, gatewayPort: true, httpsRedirect: true, redirectPort: true };
const MUTUAL_OPTIONS: KnownKeys<MutualTlsIngressOptions> = { ...TERMINATION_OPTIONS, subjectAltNames: true, certificateHashes: true, spkiHashes: true };
const PASSTHROUGH_OPTIONS: KnownKeys<PassthroughIngressOptions> = { gatewayPort: true };

/**
 * How an IngressRoute takes calls from outside the mesh at the ingress gateway: plain HTTP
 * (only on explicit opt-in), TLS terminated with a certificate (SIMPLE), mutual TLS with client
 * certificates (MUTUAL), or TLS passed through to an app that terminates it itself.
 */
export class IngressTls {
  /** Plain HTTP on the gateway's port 80: only with `acknowledgePlaintext: true`, and with a synth-time warning. */
  public static plainHttp(options: PlainHttpIngressOptions): IngressTls {
    const { options: o, problem } = readOptions('IngressTls.plainHttp', options, PLAIN_HTTP_OPTIONS, '{ acknowledgePlaintext: true }', true);
    return IngressTls.make(IngressTlsMode.NONE, o.gatewayPort ?? 80, { acknowledgePlaintext: o.acknowledgePlaintext }, problem);
  }

  /** TLS terminated at the gateway's port 443 with `certificate`; the gateway sends HTTP on to the workload. */
  public static simple(options: TlsTerminationOptions): IngressTls {
    const { options: o, problem } = readOptions('IngressTls.simple', options, TERMINATION_OPTIONS, '{ certificate }', true);
    return IngressTls.make(IngressTlsMode.SIMPLE, o.gatewayPort ?? 443, IngressTls.termination(o), problem);
  }

  /**
   * Mutual TLS at the gateway's port 443: as `simple`, and clients must present a certificate
   * signed by the CA in the certificate Secret's `ca.crt` (or in a Secret `<name>-cacert`).
   */
  public static mutual(options: MutualTlsIngressOptions): IngressTls {
    const { options: o, problem } = readOptions('IngressTls.mutual', options, MUTUAL_OPTIONS, '{ certificate }', true);
    return IngressTls.make(IngressTlsMode.MUTUAL, o.gatewayPort ?? 443, {
      ...IngressTls.termination(o),
      subjectAltNames: o.subjectAltNames,
      certificateHashes: o.certificateHashes,
      spkiHashes: o.spkiHashes,
    }, problem);
  }

  /**
   * The client's TLS passes through the gateway's port 443 untouched, routed by SNI, to a
   * workload port that speaks TLS itself. The gateway sees neither requests nor certificates.
   */
  public static passthrough(options: PassthroughIngressOptions = {}): IngressTls {
    const { options: o, problem } = readOptions('IngressTls.passthrough', options, PASSTHROUGH_OPTIONS, '{ gatewayPort: 443 }');
    return IngressTls.make(IngressTlsMode.PASSTHROUGH, o.gatewayPort ?? 443, {}, problem);
  }

  private static termination(options: TlsTerminationOptions): IngressTlsSettings {
    return {
      certificate: options.certificate,
      httpsRedirect: options.httpsRedirect,
      redirectPort: options.redirectPort ?? 80,
    };
  }

  private static make(mode: IngressTlsMode, gatewayPort: number, settings: IngressTlsSettings, problem: string | undefined): IngressTls {
    const tls = new IngressTls(mode, gatewayPort, settings);
    if (problem !== undefined) recordProblem(tls, problem);
    return tls;
  }

  /** What the gateway does with the client's TLS. */
  public readonly mode: IngressTlsMode;
  /** Port of the ingress gateway's Service the hosts are served on. */
  public readonly gatewayPort: number;
  /** @internal Everything else, for the route that renders it. */
  public readonly _settings: IngressTlsSettings;

  private constructor(mode: IngressTlsMode, gatewayPort: number, settings: IngressTlsSettings) {
    this.mode = mode;
    this.gatewayPort = gatewayPort;
    this._settings = settings;
  }

  /** Whether the gateway terminates TLS (SIMPLE or MUTUAL). */
  public get terminatesTls(): boolean {
    return this.mode === IngressTlsMode.SIMPLE || this.mode === IngressTlsMode.MUTUAL;
  }
}
