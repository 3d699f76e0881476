import { Construct } from 'constructs';
import { ApiObject } from 'cdk8s';
import { ClientTlsMode } from './client-tls-mode';
import { DefaultDeny } from './default-deny';
import { IstioSecurityError } from './errors';
import { MeshNamespace, MeshNamespaceProps } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { PeerAuthenticationPolicy } from './peer-authentication-policy';
import { clientTlsRule } from './private/destination-rules';
import { rollback } from './private/transaction';
import { KnownKeys, assertComposedHost, assertEnumValue, optionalBoolean, quote } from './private/validate';

export interface StrictNamespaceProps extends MeshNamespaceProps {
  /**
   * How the namespace's sidecars accept connections. Use PERMISSIVE while clients without a
   * sidecar still call in, then switch to STRICT.
   * @default MtlsMode.STRICT
   */
  readonly mtlsMode?: MtlsMode;
  /**
   * Emit the client-side DestinationRule `default` for `*.<ns>.svc.<cluster domain>` with ISTIO_MUTUAL.
   * With auto mTLS (Istio's default) sidecars use mTLS anyway; the rule makes it explicit.
   * @default true
   */
  readonly clientTls?: boolean;
  /**
   * Deny every request to the namespace's workloads that no ALLOW rule lets in
   * (AuthorizationPolicy `allow-nothing`).
   * @default false
   */
  readonly defaultDeny?: boolean;
}

const STRICT_NAMESPACE_PROPS: KnownKeys<StrictNamespaceProps> = {
  name: true, injection: true, clusterDomain: true, trustDomain: true, labels: true, mtlsMode: true, clientTls: true, defaultDeny: true,
};

/**
 * A namespace in the mesh whose workloads accept only mutual TLS: the Namespace with sidecar
 * injection, PeerAuthentication `default` and the client-side DestinationRule `default`.
 */
export class StrictNamespace extends MeshNamespace {
  public readonly peerAuthentication: PeerAuthenticationPolicy;
  /** The client-side rule, unless `clientTls` is false. */
  public readonly destinationRule?: ApiObject;
  /** The `allow-nothing` policy, when `defaultDeny` is set. */
  public readonly defaultDenyPolicy?: DefaultDeny;

  public constructor(scope: Construct, id: string, props: StrictNamespaceProps = {}) {
    super(scope, id, props);
    try {
      // The base constructor has checked these props (`_checkBeforeCreating`).
      const p = this._checkedProps as StrictNamespaceProps;
      const mode = p.mtlsMode ?? MtlsMode.STRICT;
      this.declaredMtlsMode = mode;
      this.peerAuthentication = new PeerAuthenticationPolicy(this, 'PeerAuthentication', { namespace: this.name, mode });
      if (p.clientTls ?? true) {
        this.destinationRule = clientTlsRule(this, 'DestinationRule', {
          namespace: this.name,
          name: 'default',
          host: `*.${this.name}.svc.${this.clusterDomain}`,
          mode: ClientTlsMode.ISTIO_MUTUAL,
        });
      }
      if (p.defaultDeny) this.defaultDenyPolicy = new DefaultDeny(this, 'DefaultDeny', { namespace: this });
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** @internal */
  protected _knownProps(): KnownKeys<any> {
    return STRICT_NAMESPACE_PROPS;
  }

  /** @internal */
  protected _checkBeforeCreating(props: StrictNamespaceProps): void {
    const mode = props.mtlsMode === undefined || props.mtlsMode === null ? MtlsMode.STRICT
      : assertEnumValue(this, 'mtlsMode', props.mtlsMode, MtlsMode);
    if (mode !== MtlsMode.STRICT && mode !== MtlsMode.PERMISSIVE) {
      throw new IstioSecurityError(this, `mtlsMode ${quote(mode)} is not allowed for a StrictNamespace: use STRICT, or PERMISSIVE while migrating.`);
    }
    if (!this.sidecarInjection) {
      throw new IstioSecurityError(this, 'a StrictNamespace needs sidecar injection, or every call into it is rejected: '
        + 'use SidecarInjection.enabled() or .revision(...), or a MeshNamespace for workloads outside the mesh.');
    }
    const clientTls = optionalBoolean(this, 'clientTls', props.clientTls, true);
    optionalBoolean(this, 'defaultDeny', props.defaultDeny, false);
    if (clientTls) {
      assertComposedHost(this, 'the client-side DestinationRule host', `*.${this.name}.svc.${this.clusterDomain}`,
        'namespace name or clusterDomain, or set clientTls: false');
    }
  }
}
