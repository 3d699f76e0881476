import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CaCertificates, PemCaCertificatesOptions } from './ca-certificates';
import { checkCaCertificates } from './private/ca-chain';
import { assertKeyAcknowledged, warnKeyInManifest } from './private/pem';
import { assertObjectNameFree, claim, claimObjectName, PLUGIN_CA_KEY } from './private/registry';
import { rollback } from './private/transaction';
import { KnownKeys, assertDnsLabel, assertInstance, assertProps, assertRequired } from './private/validate';

export interface PluginCaProps {
  /**
   * The CA's certificates and key.
   * @default CaCertificates.fromSecret(): the Secret exists already, nothing is written
   */
  readonly certificates?: CaCertificates;
  /**
   * The namespace istiod runs in, where it reads `cacerts`.
   * @default "istio-system"
   */
  readonly istiodNamespace?: string;
}

const PLUGIN_CA_PROPS: KnownKeys<PluginCaProps> = { certificates: true, istiodNamespace: true };
const PEM_OPTIONS: KnownKeys<PemCaCertificatesOptions> = {
  caCertificate: true, caPrivateKey: true, rootCertificate: true, certificateChain: true, acknowledgeKeyInManifest: true,
};

/**
 * Istio's plug-in CA: the `cacerts` Secret in istiod's namespace. Referenced by default; created
 * from PEM only with `CaCertificates.fromPem` and its acknowledgement. Whoever can read the
 * Secret can issue any identity of the mesh, so the namespace is for cluster admins only: team
 * namespaces in the same chart refuse any rule that grants Secrets there, and `MeshReport` lists
 * who can read it.
 *
 * The documented use is multi-cluster trust: one root, an intermediate CA per cluster, and in each
 * cluster's chart a PluginCa with that cluster's intermediate.
 */
export class PluginCa extends Construct {
  /** The Secret istiod reads its plug-in CA from (istio security/pkg/pki/ca/ca.go CACertsSecret). */
  public static readonly SECRET_NAME = 'cacerts';

  /** `cacerts`. */
  public readonly secretName = PluginCa.SECRET_NAME;
  public readonly istiodNamespace: string;
  /** The Secret (child id `Resource`), when created from PEM. */
  public readonly secret?: ApiObject;

  public constructor(scope: Construct, id: string, props: PluginCaProps = {}) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, PLUGIN_CA_PROPS);
      const certificates = p.certificates === undefined || p.certificates === null ? CaCertificates.fromSecret()
        : assertInstance(this, 'certificates', p.certificates, CaCertificates, 'CaCertificates.fromSecret() or CaCertificates.fromPem({...})');
      this.istiodNamespace = assertDnsLabel(this, 'istiodNamespace', p.istiodNamespace ?? 'istio-system');
      // Read once: what is checked is what is written.
      const pem = certificates._pem === undefined ? undefined : assertProps(this, 'CaCertificates.fromPem options', certificates._pem, PEM_OPTIONS);
      if (pem) {
        assertKeyAcknowledged(this, pem.acknowledgeKeyInManifest, 'CaCertificates.fromPem', 'Istio\'s CA', 'CaCertificates.fromSecret()');
        assertRequired(this, pem, ['caCertificate', 'caPrivateKey', 'rootCertificate', 'certificateChain']);
        checkCaCertificates(this, pem, new Date());
        assertObjectNameFree(this, 'Secret', this.istiodNamespace, this.secretName);
      }
      claim(this, PLUGIN_CA_KEY, (holder) => `the chart already has a plug-in CA (${holder.node.path}): istiod reads one cacerts Secret; keep one PluginCa per chart (cluster).`);
      if (!pem) return;
      claimObjectName(this, 'Secret', this.istiodNamespace, this.secretName);
      const secret = new kplus.Secret(this, 'Resource', {
        metadata: { name: this.secretName, namespace: this.istiodNamespace },
        type: 'Opaque',
        stringData: {
          'ca-cert.pem': pem.caCertificate,
          'ca-key.pem': pem.caPrivateKey,
          'root-cert.pem': pem.rootCertificate,
          'cert-chain.pem': pem.certificateChain,
        },
      });
      this.secret = ApiObject.of(secret);
      warnKeyInManifest(this, 'CaCertificates.fromPem', `${this.istiodNamespace}/${this.secretName}`, 'CaCertificates.fromSecret()');
    } catch (error) {
      throw rollback(this, error);
    }
  }

  /** Whether this app creates the Secret (and so writes the CA key into its manifests). */
  public get createsSecret(): boolean {
    return this.secret !== undefined;
  }
}
