import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Sidecar, SidecarSpecOutboundTrafficPolicyMode } from '../imports/networking.istio.io';
import { IstioSecurityError } from './errors';
import { IMeshNamespace } from './mesh-namespace';
import { namespaceFacts } from './private/namespace-facts';
import { claim, claimObjectName } from './private/registry';
import { rollback } from './private/transaction';
import { assertInjectable } from './private/injectable';
import { KnownKeys, assertDnsLabel, assertProps, assertRequired } from './private/validate';

export interface RegistryOnlyEgressProps {
  /** The namespace whose sidecars reach only hosts in the mesh's registry. */
  readonly namespace: IMeshNamespace;
  /**
   * Name of the Sidecar resource.
   * @default "default"
   */
  readonly name?: string;
}

/**
 * Sidecars of a namespace reach only hosts the mesh knows (Kubernetes Services and the
 * ServiceEntries exported to the namespace): a namespace-wide Sidecar resource with
 * `outboundTrafficPolicy: REGISTRY_ONLY`. A call to any other host ends at the sidecar
 * (BlackHoleCluster), so an egress route exported only to its clients' namespaces is the only
 * way out for them.
 *
 * A pod can still bypass its sidecar; `EgressLockdown` closes that path with a NetworkPolicy.
 */
export class RegistryOnlyEgress extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  /** The Sidecar resource (child id `Resource`). */
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, props: RegistryOnlyEgressProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, REGISTRY_ONLY_PROPS);
      assertRequired(this, p, ['namespace']);
      const ns = namespaceFacts(this, 'namespace', p.namespace);
      // Nothing enforces it where Istio's injector never puts sidecars.
      assertInjectable(this, 'namespace', ns.name);
      this.namespace = ns.name;
      this.name = assertDnsLabel(this, 'name', p.name ?? 'default');
      if (ns.construct && !ns.sidecarInjection) {
        throw new IstioSecurityError(this, `namespace "${this.namespace}" has sidecar injection disabled, so no sidecar would apply the policy: `
          + 'enable injection there, or keep its pods in with an EgressLockdown.');
      }
      // Istio takes one namespace-wide Sidecar per namespace (istioctl analyze reports two as IST0111).
      claim(this, `sidecar-default:${this.namespace}`, (holder) => `namespace "${this.namespace}" already has a namespace-wide Sidecar from `
        + `${holder.node.path}: Istio applies only one; keep one of them.`);
      claimObjectName(this, 'Sidecar', this.namespace, this.name);
      this.resource = new Sidecar(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        spec: { outboundTrafficPolicy: { mode: SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY } },
      });
    } catch (error) {
      throw rollback(this, error);
    }
  }
}

const REGISTRY_ONLY_PROPS: KnownKeys<RegistryOnlyEgressProps> = { namespace: true, name: true };
