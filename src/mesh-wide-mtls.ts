import { Construct } from 'constructs';
import { MtlsMode } from './mtls-mode';
import { PeerAuthenticationPolicy } from './peer-authentication-policy';
import { claim } from './private/registry';
import { rollback } from './private/transaction';
import { KnownKeys, assertDnsLabel, assertEnumValue, assertProps } from './private/validate';

export interface MeshWideMtlsProps {
  /**
   * mTLS mode for every workload in the mesh that no namespace or workload policy overrides.
   * @default MtlsMode.STRICT
   */
  readonly mode?: MtlsMode;
  /**
   * Istio's root namespace (meshConfig.rootNamespace).
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
}

const MESH_WIDE_MTLS_PROPS: KnownKeys<MeshWideMtlsProps> = { mode: true, rootNamespace: true };

/**
 * The mesh-wide PeerAuthentication: `default` in the root namespace, without a selector.
 */
export class MeshWideMtls extends Construct {
  public readonly rootNamespace: string;
  public readonly mode: MtlsMode;
  public readonly policy: PeerAuthenticationPolicy;

  public constructor(scope: Construct, id: string, props: MeshWideMtlsProps = {}) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, MESH_WIDE_MTLS_PROPS);
      this.rootNamespace = assertDnsLabel(this, 'rootNamespace', p.rootNamespace ?? 'istio-system');
      this.mode = assertEnumValue(this, 'mTLS mode', p.mode ?? MtlsMode.STRICT, MtlsMode);
      claim(this, `mesh-wide-mtls:${this.rootNamespace}`, (holder) =>
        `a mesh-wide mTLS policy for root namespace "${this.rootNamespace}" is already declared by ${holder.node.path}: `
        + 'Istio honours only one; keep a single MeshWideMtls per root namespace.');
      this.policy = new PeerAuthenticationPolicy(this, 'Resource', { namespace: this.rootNamespace, mode: this.mode });
    } catch (error) {
      throw rollback(this, error);
    }
  }
}
