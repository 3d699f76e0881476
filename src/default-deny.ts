import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy } from '../imports/security.istio.io';
import { IstioSecurityError } from './errors';
import { IMeshNamespace } from './mesh-namespace';
import { admissionsInNamespace, markDefaultDeny } from './private/ingress-admission';
import { namespaceFacts } from './private/namespace-facts';
import { claimObjectName, holderOf } from './private/registry';
import { rollback } from './private/transaction';
import { assertInjectable } from './private/injectable';
import { KnownKeys, assertDnsLabel, assertProps, assertRequired } from './private/validate';
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

const DEFAULT_DENY_PROPS: KnownKeys<DefaultDenyProps> = { namespace: true, name: true };

/** Istio's default root namespace, where a policy without selector applies to the whole mesh. */
const DEFAULT_ROOT_NAMESPACE = 'istio-system';

/**
 * Denies every request to the workloads of a namespace unless an ALLOW rule lets it in: the
 * `allow-nothing` AuthorizationPolicy, with an empty spec (no selector, no rules).
 *
 * Refused in Istio's root namespace (`istio-system`, or the root namespace of a MeshWideMtls in the
 * chart): there it would close the whole mesh.
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
    try {
      const p = assertProps(this, 'props', props, DEFAULT_DENY_PROPS);
      assertRequired(this, p, ['namespace']);
      const ns = namespaceFacts(this, 'namespace', p.namespace);
      // Nothing enforces it where Istio's injector never puts sidecars.
      assertInjectable(this, 'namespace', ns.name);
      this.namespace = ns.name;
      this.name = assertDnsLabel(this, 'name', p.name ?? 'allow-nothing');
      if (this.namespace === DEFAULT_ROOT_NAMESPACE || holderOf(this, `mesh-wide-mtls:${this.namespace}`)) {
        throw new IstioSecurityError(this, `namespace "${this.namespace}" is Istio's root namespace, where a policy without a selector applies `
          + 'to every workload of the mesh: closing it would deny every request everywhere. Use DefaultDeny in application namespaces.');
      }
      // `istio-injection: disabled` wins over pods asking for a sidecar: nothing there would enforce the policy.
      if (ns.construct && !ns.sidecarInjection) {
        throw new IstioSecurityError(this, `namespace "${this.namespace}" has sidecar injection disabled, so no sidecar would enforce the policy `
          + 'and every request would still get in: enable injection, or protect the namespace another way (e.g. a NetworkPolicy).');
      }
      claimObjectName(this, 'AuthorizationPolicy', this.namespace, this.name);
      // An ALLOW policy that matches nothing: with it in place, only what other ALLOW rules match gets through.
      this.resource = new AuthorizationPolicy(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        spec: {},
      });
    } catch (error) {
      throw rollback(this, error);
    }
    markDefaultDeny(this, this.namespace);
    // Ingress routes declared before: their gateway still gets in, to their port only.
    for (const admission of admissionsInNamespace(this, this.namespace)) {
      WorkloadAuthorization.of(admission.workload as IMeshWorkload)._admitIngress(admission);
    }
  }
}
