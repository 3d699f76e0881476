import { asText } from './private/validate';

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
    return `${asText(this.trustDomain)}/ns/${asText(this.namespace)}/sa/${asText(this.serviceAccount)}`;
  }

  public toString(): string {
    return this.spiffeId;
  }
}
