import { asText } from './private/validate';

/**
 * A `when` condition of an authorization rule: an attribute of the connection or the request and
 * the values it must (or must not) have. Only the attributes Istio supports are accepted; those
 * of the request (`request.*`) exist only on HTTP ports.
 */
export class Condition {
  /**
   * The attribute `key` has one of `values`, e.g. `Condition.of("source.ip", ["10.0.0.0/8"])`.
   * Keys: `source.ip`, `remote.ip`, `source.namespace`, `source.principal`, `source.serviceAccount`,
   * `source.trustDomain`, `destination.ip`, `destination.port`, `connection.sni`,
   * `request.headers[<name>]`, `request.auth.principal`, `request.auth.audiences`,
   * `request.auth.presenter`, `request.auth.claims[<claim>]` (nested: `[<claim>][<field>]`).
   */
  public static of(key: string, values: string[]): Condition {
    return new Condition(key, values, undefined);
  }

  /** The attribute `key` has none of `notValues` (a request without the attribute matches). */
  public static notOf(key: string, notValues: string[]): Condition {
    return new Condition(key, undefined, notValues);
  }

  /** The JWT claim `claim` of the request has one of `values` (`request.auth.claims[<claim>]`). */
  public static claim(claim: string, values: string[]): Condition {
    return Condition.of(`request.auth.claims[${asText(claim)}]`, values);
  }

  /** The JWT claim `claim` has none of `values`: also true for a request without a token. */
  public static notClaim(claim: string, values: string[]): Condition {
    return Condition.notOf(`request.auth.claims[${asText(claim)}]`, values);
  }

  /** The request header `name` has one of `values` (`request.headers[<name>]`). */
  public static header(name: string, values: string[]): Condition {
    return Condition.of(`request.headers[${asText(name)}]`, values);
  }

  /** The caller's address (the peer of the connection) is in one of `cidrs` (`source.ip`). */
  public static sourceIp(cidrs: string[]): Condition {
    return Condition.of('source.ip', cidrs);
  }

  /** The attribute, e.g. `request.auth.claims[groups]`. */
  public readonly key: string;
  /** Values the attribute must have one of. */
  public readonly values?: string[];
  /** Values the attribute must have none of. */
  public readonly notValues?: string[];

  private constructor(key: string, values: string[] | undefined, notValues: string[] | undefined) {
    this.key = key;
    this.values = values;
    this.notValues = notValues;
  }
}
