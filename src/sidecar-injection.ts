/**
 * How a namespace asks Istio to inject sidecars into its pods.
 */
export class SidecarInjection {
  /** The default revision's injector: label `istio-injection: enabled`. */
  public static enabled(): SidecarInjection {
    return new SidecarInjection(true, { 'istio-injection': 'enabled' });
  }

  /**
   * A revision-based control plane (canary upgrades): label `istio.io/rev: <revision>`.
   * The namespace that uses it checks the revision (a DNS-1123 label).
   */
  public static revision(revision: string): SidecarInjection {
    return new SidecarInjection(true, { 'istio.io/rev': revision }, revision);
  }

  /** No sidecars: label `istio-injection: disabled`, which also wins over pod-level requests. */
  public static disabled(): SidecarInjection {
    return new SidecarInjection(false, { 'istio-injection': 'disabled' });
  }

  /** Labels the namespace carries. */
  public readonly labels: { [key: string]: string };

  private constructor(
    /** Whether pods get a sidecar. */
    public readonly injectsSidecars: boolean,
    labels: { [key: string]: string },
    /** The control-plane revision, when one is named. */
    public readonly revisionName?: string,
  ) {
    this.labels = Object.freeze(labels);
  }
}
