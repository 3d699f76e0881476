import { ClientCredential } from './client-credential';
import { ClientTlsMode } from './client-tls-mode';
import { ServerCa } from './server-ca';
import { EgressModeSettings } from './private/egress-settings';
import { KnownKeys, readOptions, recordProblem } from './private/validate';

/** What an egress route does with the traffic (see EgressMode). */
export enum EgressModeKind {
  /** Plain HTTP through the gateway. */
  HTTP = 'HTTP',
  /** The app's own TLS, passed through the gateway untouched and routed by SNI. */
  TLS_PASSTHROUGH = 'TLS_PASSTHROUGH',
  /** The app speaks HTTP; the gateway opens TLS to the host. */
  TLS_ORIGINATION = 'TLS_ORIGINATION',
  /** The app speaks HTTP; the gateway opens mutual TLS to the host with a client certificate. */
  MTLS_ORIGINATION = 'MTLS_ORIGINATION',
}

/** Plain HTTP through the egress gateway. */
export interface HttpEgressOptions {
  /**
   * Port the app calls on the host; the gateway calls the host on the same port.
   * @default 80
   */
  readonly port?: number;
  /**
   * Port of the egress gateway's Service the sidecars send the traffic to (a Gateway server
   * with protocol HTTP). A route with `clients` carries the traffic over mesh mTLS to an HTTPS
   * server, on the gateway's TLS port 443 unless given.
   * @default 80 (443 for a route with clients)
   */
  readonly gatewayPort?: number;
  /**
   * ServiceEntry name of `port`.
   * @default "http-<port>"
   */
  readonly portName?: string;
}

/** The app's TLS passed through the egress gateway, routed by SNI. */
export interface TlsPassthroughOptions {
  /**
   * The host's TLS port: the app opens TLS to it, and the gateway forwards to it.
   * Must carry TLS; port 80 is refused.
   * @default 443
   */
  readonly port?: number;
  /**
   * Port of the egress gateway's Service (a Gateway server with protocol TLS, PASSTHROUGH).
   * @default 443
   */
  readonly gatewayPort?: number;
  /**
   * ServiceEntry name of `port`.
   * @default "tls-<port>"
   */
  readonly portName?: string;
}

/** What every kind of TLS origination at the egress gateway shares. */
export interface OriginationOptions {
  /**
   * Port the app sends plain HTTP to.
   * @default 80
   */
  readonly port?: number;
  /**
   * The host's TLS port the gateway connects to. Must differ from `port`: the ServiceEntry
   * declares the app's HTTP port and the host's TLS port separately.
   * @default 443
   */
  readonly targetPort?: number;
  /**
   * Port of the egress gateway's Service that carries the hop from the sidecar to the gateway.
   *
   * The default, the gateway's TLS port 443, lets plain-HTTP routes (which need the gateway's
   * port 80 as plaintext) share the gateway: Istio cannot serve plaintext and TLS servers on
   * one gateway port. Set 80 to reproduce Istio's "egress gateway TLS origination" task
   * exactly, on a gateway without plain-HTTP routes on that port.
   * @default 443
   */
  readonly gatewayPort?: number;
  /**
   * How sidecars reach the gateway. ISTIO_MUTUAL (mesh mTLS, with `sni` set to the host so the
   * gateway picks this route's server) keeps the hop encrypted and tells the gateway who calls.
   * DISABLE sends plaintext HTTP to a Gateway server with protocol HTTP, as older articles do.
   * @default ClientTlsMode.ISTIO_MUTUAL
   */
  readonly sidecarToGatewayTls?: ClientTlsMode;
  /**
   * Names the host's certificate must carry (DestinationRule `subjectAltNames`).
   * @default - none: with Istio >= 1.21 the gateway checks the name against the request's host
   */
  readonly subjectAltNames?: string[];
  /**
   * ServiceEntry name of `port`.
   * @default "http-<port>"
   */
  readonly portName?: string;
  /**
   * ServiceEntry name of `targetPort`.
   * @default "https-<targetPort>"
   */
  readonly targetPortName?: string;
}

/** TLS origination at the egress gateway (DestinationRule `tls.mode: SIMPLE`). */
export interface TlsOriginationOptions extends OriginationOptions {
  /**
   * The CAs the gateway verifies the host's certificate against. Without it, istioctl reports
   * IST0129 and synthesis warns: Istio >= 1.21 then falls back to the gateway image's OS CA
   * bundle, which verifies public sites but not a private CA.
   * @default - none (a synth-time warning)
   */
  readonly serverCa?: ServerCa;
}

/** Mutual TLS origination at the egress gateway (DestinationRule `tls.mode: MUTUAL`). */
export interface MtlsOriginationOptions extends OriginationOptions {
  /**
   * The client certificate the gateway presents. Its Secret's `ca.crt` also verifies the
   * server: Istio takes the CA from the credential and refuses a separate `caCertificates`.
   */
  readonly clientCredential: ClientCredential;
}

const HTTP_OPTIONS: KnownKeys<HttpEgressOptions> = { port: true, gatewayPort: true, portName: true };
const PASSTHROUGH_OPTIONS: KnownKeys<TlsPassthroughOptions> = { port: true, gatewayPort: true, portName: true };
const ORIGINATION: KnownKeys<OriginationOptions> = {
  port: true, targetPort: true, gatewayPort: true, sidecarToGatewayTls: true, subjectAltNames: true, portName: true, targetPortName: true,
};
const TLS_ORIGINATION_OPTIONS: KnownKeys<TlsOriginationOptions> = { ...ORIGINATION, serverCa: true };
const MTLS_ORIGINATION_OPTIONS: KnownKeys<MtlsOriginationOptions> = { ...ORIGINATION, clientCredential: true };

/**
 * How an EgressGatewayRoute carries traffic for its host through the egress gateway. The options
 * are taken as given; the route that uses the mode checks them.
 */
export class EgressMode {
  /** Plain HTTP: app → sidecar → gateway (HTTP) → host, all on port 80 by default. */
  public static http(options: HttpEgressOptions = {}): EgressMode {
    return EgressMode.make(EgressModeKind.HTTP, 'http', options, HTTP_OPTIONS, (o: HttpEgressOptions) => {
      const port = o.port ?? 80;
      return {
        port, gatewayPort: o.gatewayPort ?? 80, targetPort: port,
        settings: { portName: o.portName, gatewayPortGiven: o.gatewayPort !== undefined && o.gatewayPort !== null },
      };
    });
  }

  /**
   * TLS passthrough: the app's TLS goes through the gateway untouched and is routed by SNI.
   * The gateway sees neither the requests nor the app's certificates.
   */
  public static tlsPassthrough(options: TlsPassthroughOptions = {}): EgressMode {
    return EgressMode.make(EgressModeKind.TLS_PASSTHROUGH, 'tlsPassthrough', options, PASSTHROUGH_OPTIONS, (o: TlsPassthroughOptions) => {
      const port = o.port ?? 443;
      return { port, gatewayPort: o.gatewayPort ?? 443, targetPort: port, settings: { portName: o.portName } };
    });
  }

  /**
   * TLS origination: the app sends plain HTTP (port 80), the sidecar sends it to the gateway
   * over mesh mTLS, and the gateway opens TLS (SIMPLE) to the host's port 443.
   */
  public static originateTls(options: TlsOriginationOptions = {}): EgressMode {
    return EgressMode.make(EgressModeKind.TLS_ORIGINATION, 'originateTls', options, TLS_ORIGINATION_OPTIONS,
      (o: TlsOriginationOptions) => EgressMode.origination(o, { serverCa: o.serverCa }));
  }

  /**
   * Mutual TLS origination: as `originateTls`, and the gateway presents `clientCredential`.
   */
  public static originateMtls(options: MtlsOriginationOptions): EgressMode {
    return EgressMode.make(EgressModeKind.MTLS_ORIGINATION, 'originateMtls', options, MTLS_ORIGINATION_OPTIONS,
      (o: MtlsOriginationOptions) => EgressMode.origination(o, { clientCredential: o.clientCredential }));
  }

  private static origination(o: OriginationOptions, extra: Partial<EgressModeSettings>): ModeParts {
    return {
      port: o.port ?? 80,
      gatewayPort: o.gatewayPort ?? 443,
      targetPort: o.targetPort ?? 443,
      settings: {
        portName: o.portName,
        targetPortName: o.targetPortName,
        sidecarToGatewayTls: o.sidecarToGatewayTls ?? ClientTlsMode.ISTIO_MUTUAL,
        subjectAltNames: o.subjectAltNames,
        explicitPort: o.port !== undefined && o.port !== null,
        explicitTargetPort: o.targetPort !== undefined && o.targetPort !== null,
        ...extra,
      },
    };
  }

  /** Reads the options once (null and undefined mean none), recording what cannot be used. */
  private static make<T>(kind: EgressModeKind, factory: string, options: T | undefined | null, known: KnownKeys<T>,
    parts: (o: T) => ModeParts): EgressMode {
    const { options: o, problem } = readOptions(`EgressMode.${factory}`, options, known, '{ port: 8080 }');
    const { port, gatewayPort, targetPort, settings } = parts(o);
    const mode = new EgressMode(kind, port, gatewayPort, targetPort, settings);
    if (problem !== undefined) recordProblem(mode, problem);
    return mode;
  }

  /** What the mode does. */
  public readonly kind: EgressModeKind;
  /** Port the app calls on the host. */
  public readonly port: number;
  /** Port of the egress gateway's Service the traffic goes through. */
  public readonly gatewayPort: number;
  /** Port of the host the gateway connects to. */
  public readonly targetPort: number;
  /** @internal Everything else, for the route that renders the mode. */
  public readonly _settings: EgressModeSettings;

  private constructor(kind: EgressModeKind, port: number, gatewayPort: number, targetPort: number, settings: EgressModeSettings) {
    this.kind = kind;
    this.port = port;
    this.gatewayPort = gatewayPort;
    this.targetPort = targetPort;
    this._settings = settings;
  }

  /** Whether the gateway opens (m)TLS to the host. */
  public get originatesTls(): boolean {
    return this.kind === EgressModeKind.TLS_ORIGINATION || this.kind === EgressModeKind.MTLS_ORIGINATION;
  }
}

interface ModeParts {
  readonly port: number;
  readonly gatewayPort: number;
  readonly targetPort: number;
  readonly settings: EgressModeSettings;
}
