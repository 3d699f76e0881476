import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioSecurityError } from './errors';
import { MtlsMode } from './mtls-mode';
import { PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../imports/security.istio.io';
import { claimObjectName, holderOf } from './private/registry';
import { portMtls } from './private/port-mtls';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertDnsLabel, assertEnumValue, assertList, assertPort, assertProps, assertRequired, assertSelector, quote,
} from './private/validate';

/** An mTLS mode for one port of the selected workload. */
export interface PortMtls {
  /** The container port (the port the workload listens on, not the Service port). */
  readonly port: number;
  /** Mode on that port. */
  readonly mode: MtlsMode;
}

export interface PeerAuthenticationPolicyProps {
  /** Namespace of the policy; the root namespace makes it mesh-wide when there is no selector. */
  readonly namespace: string;
  /**
   * Object name. Istio applies the selector-less policy named anything, but `default` is the convention.
   * @default "default"
   */
  readonly name?: string;
  /**
   * mTLS mode.
   * @default MtlsMode.STRICT
   */
  readonly mode?: MtlsMode;
  /**
   * Pod labels the policy applies to; without it the policy covers the whole namespace.
   * @default - the whole namespace
   */
  readonly selector?: { [key: string]: string };
  /**
   * Per-port modes. Istio honours them only on a policy with a selector.
   * @default - none
   */
  readonly portOverrides?: PortMtls[];
}

const PEER_AUTHENTICATION_PROPS: KnownKeys<PeerAuthenticationPolicyProps> = { namespace: true, name: true, mode: true, selector: true, portOverrides: true };

/**
 * One PeerAuthentication: how sidecars in a namespace, or of selected workloads, accept connections.
 */
export class PeerAuthenticationPolicy extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  public readonly mode: MtlsMode;
  /** The PeerAuthentication object (escape hatch). */
  public readonly resource: ApiObject;
  private readonly selector?: { [key: string]: string };
  private readonly portModes = new Map<number, MtlsMode>();

  public constructor(scope: Construct, id: string, props: PeerAuthenticationPolicyProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, PEER_AUTHENTICATION_PROPS);
      assertRequired(this, p, ['namespace']);
      this.namespace = assertDnsLabel(this, 'namespace', p.namespace);
      this.name = assertDnsLabel(this, 'name', p.name ?? 'default');
      this.mode = assertEnumValue(this, 'mTLS mode', p.mode ?? MtlsMode.STRICT, MtlsMode);
      if (p.selector !== undefined && p.selector !== null) {
        this.selector = assertSelector(this, 'selector', p.selector,
          'selects every pod: leave selector out for a namespace-wide policy, or name labels.');
      }
      // pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication: a root-namespace
      // policy with a selector applies to no workload (only the selector-less one is mesh-wide).
      if (this.selector && (this.namespace === 'istio-system' || holderOf(this, `mesh-wide-mtls:${this.namespace}`))) {
        throw new IstioSecurityError(this, `a policy with a selector in "${this.namespace}", Istio's root namespace, applies to no workload: `
          + 'Istio reads the root namespace only for the mesh-wide policy. Leave selector out for a mesh-wide mode (MeshWideMtls), '
          + 'or put the policy in the namespace of the pods it selects.');
      }
      const overrides = p.portOverrides === undefined || p.portOverrides === null ? []
        : assertList(this, 'portOverrides', p.portOverrides, { example: '[{ port: 9090, mode: MtlsMode.PERMISSIVE }]' });
      for (const override of overrides) {
        const o = portMtls(this, 'portOverrides entry', override);
        this.addPortOverride(o.port, o.mode);
      }
      claimObjectName(this, 'PeerAuthentication', this.namespace, this.name);

      this.resource = new PeerAuthentication(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        spec: {
          selector: this.selector ? { matchLabels: { ...this.selector } } : undefined,
          mtls: { mode: this.mode as string as PeerAuthenticationSpecMtlsMode },
          portLevelMtls: Lazy.any({ produce: () => this.renderPortLevelMtls() }),
        },
      });
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** The container ports that have their own mode. */
  public get overriddenPorts(): number[] {
    return [...this.portModes.keys()].sort((a, b) => a - b);
  }

  /** The mode of one container port, if it has its own. */
  public portMode(port: number): MtlsMode | undefined {
    return this.portModes.get(port);
  }

  /** Gives one container port of the selected workload its own mode. */
  public addPortOverride(port: number, mode: MtlsMode): void {
    if (!this.selector) {
      throw new IstioSecurityError(this, `port-level mTLS for port ${quote(port)} needs a workload selector: `
        + 'Istio ignores portLevelMtls on namespace-wide and mesh-wide policies. Set selector, or use MeshWorkload mtls.portOverrides.');
    }
    assertPort(this, 'port-level mTLS port', port);
    assertEnumValue(this, `port-level mTLS mode for port ${port}`, mode, MtlsMode);
    if (this.portModes.has(port)) {
      throw new IstioSecurityError(this, `port-level mTLS for port ${port} is given twice: give each port one mode.`);
    }
    this.portModes.set(port, mode);
  }

  private renderPortLevelMtls(): { [port: string]: { mode: string } } | undefined {
    if (this.portModes.size === 0) return undefined;
    const rendered: { [port: string]: { mode: string } } = {};
    for (const port of this.overriddenPorts) rendered[String(port)] = { mode: this.portModes.get(port)! };
    return rendered;
  }
}

