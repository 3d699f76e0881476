import { quote } from './private/validate';

/**
 * The identity Istio issues to a workload: its Kubernetes service account, written as a SPIFFE ID.
 */
export class WorkloadIdentity {
  /** Identity of service account `serviceAccount` in `namespace` under `trustDomain`. */
  public static of(trustDomain: string, namespace: string, serviceAccount: string): WorkloadIdentity {
    return new WorkloadIdentity(trustDomain, namespace, serviceAccount);
  }

  private constructor(
    public readonly trustDomain: string,
    public readonly namespace: string,
    public readonly serviceAccount: string,
  ) {}

  /** The SPIFFE ID, e.g. `spiffe://cluster.local/ns/foo/sa/sleep`. */
  public get spiffeId(): string {
    return `spiffe://${this.principal}`;
  }

  /** The principal as AuthorizationPolicy `source.principals` expects it: the SPIFFE ID without `spiffe://`. */
  public get principal(): string {
    return `${text(this.trustDomain)}/ns/${text(this.namespace)}/sa/${text(this.serviceAccount)}`;
  }

  public toString(): string {
    return this.spiffeId;
  }
}

/** A part as given, or (for callers that pass something else) a printable stand-in; the peer that uses the identity refuses it. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : quote(value);
}
