import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy } from '../imports/security.istio.io';
import { IstioSecurityError } from './errors';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { admissionsInNamespace, markDefaultDeny } from './private/ingress-admission';
import { claimObjectName } from './private/registry';
import { assertDnsLabel, assertRequired } from './private/validate';
import { WorkloadAuthorization } from './workload-authorization';
import type { IMeshWorkload } from './mesh-workload-interface';

export interface DefaultDenyProps {
  /** The namespace to close. */
  readonly namespace: IMeshNamespace;
  /**
   * Policy name.
   * @default "allow-nothing"
   */
  readonly name?: string;
}

/**
 * Denies every request to the workloads of a namespace unless an ALLOW rule lets it in: the
 * `allow-nothing` AuthorizationPolicy, with an empty spec (no selector, no rules).
 *
 * Do not use it in Istio's root namespace (`istio-system`): there it closes the whole mesh.
 *
 * Workloads of the namespace behind an `IngressRoute` (of the same chart) get an ALLOW rule for
 * the ingress gateway's identity on the route's port, whether the route comes before or after.
 */
export class DefaultDeny extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  /** The AuthorizationPolicy (child id `Resource`; escape hatch). */
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, props: DefaultDenyProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace']);
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    this.name = assertDnsLabel(this, 'name', props.name ?? 'allow-nothing');
    // `istio-injection: disabled` wins over pods asking for a sidecar: nothing there would enforce the policy.
    if (props.namespace instanceof MeshNamespace && !props.namespace.sidecarInjection) {
      throw new IstioSecurityError(this, `namespace "${this.namespace}" has sidecar injection disabled, so no sidecar would enforce the policy `
        + 'and every request would still get in: enable injection, or protect the namespace another way (e.g. a NetworkPolicy).');
    }
    claimObjectName(this, 'AuthorizationPolicy', this.namespace, this.name);
    // An ALLOW policy that matches nothing: with it in place, only what other ALLOW rules match gets through.
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {},
    });
    markDefaultDeny(this, this.namespace);
    // Ingress routes declared before: their gateway still gets in, to their port only.
    for (const admission of admissionsInNamespace(this, this.namespace)) {
      WorkloadAuthorization.of(admission.workload as IMeshWorkload)._admitIngress(admission);
    }
  }
}
