import { KnownKeys, readOptions, recordProblem } from './private/validate';

/** A request header a token is read from. */
export interface JwtHeader {
  /** Header name, e.g. `x-jwt-assertion`. */
  readonly name: string;
  /**
   * Text before the token in the header's value, e.g. `"Bearer "`.
   * @default - none
   */
  readonly prefix?: string;
}

/** How tokens of an issuer are checked and where they are read from. */
export interface JwtIssuerOptions {
  /**
   * Audiences a token must name (`aud`), one of them.
   * @default - any audience
   */
  readonly audiences?: string[];
  /**
   * Headers the token is read from.
   * @default - `Authorization: Bearer <token>` (and the `access_token` query parameter), Istio's default
   */
  readonly fromHeaders?: JwtHeader[];
  /**
   * Query parameters the token is read from.
   * @default - Istio's default (see `fromHeaders`)
   */
  readonly fromParams?: string[];
  /**
   * Cookies the token is read from.
   * @default - none
   */
  readonly fromCookies?: string[];
  /**
   * Whether the token is forwarded to the workload. By default Istio removes it once checked.
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
  /**
   * A header the token's verified payload is written to (base64url JSON), for the workload.
   * @default - none
   */
  readonly outputPayloadToHeader?: string;
}

const JWT_ISSUER_OPTIONS: KnownKeys<JwtIssuerOptions> = {
  audiences: true, fromHeaders: true, fromParams: true, fromCookies: true, forwardOriginalToken: true, outputPayloadToHeader: true,
};

/**
 * An issuer of end-user tokens (JWT) and the keys that verify them: a `jwtRules` entry of a
 * RequestAuthentication. Use it with `JwtAuthentication` to require a token.
 */
export class JwtIssuer {
  /** Tokens of `issuer`, verified with the keys published at `jwksUri` (https only). */
  public static fromJwksUri(issuer: string, jwksUri: string, options: JwtIssuerOptions = {}): JwtIssuer {
    return new JwtIssuer(issuer, jwksUri, undefined, options);
  }

  /**
   * Tokens of `issuer`, verified with the public keys of `jwks`, a JSON Web Key Set
   * (`{"keys": [...]}`) written into the manifest. Only public keys: private key fields are refused.
   */
  public static fromInlineJwks(issuer: string, jwks: string, options: JwtIssuerOptions = {}): JwtIssuer {
    return new JwtIssuer(issuer, undefined, jwks, options);
  }

  /** The `iss` of the tokens. */
  public readonly issuer: string;
  /** Where the verification keys are published. */
  public readonly jwksUri?: string;
  /** The verification keys, inline. */
  public readonly jwks?: string;
  public readonly options: JwtIssuerOptions;

  private constructor(issuer: string, jwksUri: string | undefined, jwks: string | undefined, options: JwtIssuerOptions) {
    this.issuer = issuer;
    this.jwksUri = jwksUri;
    this.jwks = jwks;
    const { options: copy, problem } = readOptions('JwtIssuer options', options, JWT_ISSUER_OPTIONS, '{ audiences: ["api"] }');
    this.options = copy;
    if (problem !== undefined) recordProblem(this, problem);
  }

  /** The request principals of this issuer's tokens, as AuthorizationPolicy `requestPrincipals` names them (`<issuer>/*`). */
  public get requestPrincipals(): string {
    return `${this.issuer}/*`;
  }
}
