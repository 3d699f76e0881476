import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { claimObjectName } from './private/registry';
import { assertDnsLabel, assertDnsSubdomain, assertLabels, assertRequired } from './private/validate';

/**
 * A Kubernetes service account, and so an Istio identity, that workloads run as.
 */
export interface IMeshServiceAccount {
  /** The service account name. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** The identity Istio issues to pods running as it. */
  readonly identity: WorkloadIdentity;
}

/** What is known of a service account this app does not create. */
export interface MeshServiceAccountReferenceOptions {
  /**
   * Trust domain of the identity.
   * @default - the namespace's trust domain
   */
  readonly trustDomain?: string;
}

export interface MeshServiceAccountProps {
  /** The namespace of the account. */
  readonly namespace: IMeshNamespace;
  /**
   * The account name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Trust domain of the identity.
   * @default - the namespace's trust domain
   */
  readonly trustDomain?: string;
  /**
   * Labels of the ServiceAccount object.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A service account that one or more workloads share: one ServiceAccount object, one identity.
 *
 * Pass it as `serviceAccount` to every workload that runs as it (`MeshWorkload`, `MeshService`).
 * Two workloads never share an account by accident: a second ServiceAccount with the same name
 * in a chart is refused, with a pointer to this construct.
 */
export class MeshServiceAccount extends Construct implements IMeshServiceAccount {
  /**
   * An account that exists already or is created elsewhere, such as a namespace's `default`
   * account: nothing is emitted.
   */
  public static fromName(namespace: IMeshNamespace, name: string, options: MeshServiceAccountReferenceOptions = {}): IMeshServiceAccount {
    return {
      name,
      namespace: namespace.name,
      identity: WorkloadIdentity.of(options.trustDomain ?? namespace.trustDomain, namespace.name, name),
    };
  }

  public readonly name: string;
  public readonly namespace: string;
  public readonly identity: WorkloadIdentity;
  /** The ServiceAccount (child id `Resource`). */
  public readonly resource: kplus.ServiceAccount;

  public constructor(scope: Construct, id: string, props: MeshServiceAccountProps) {
    super(scope, id);
    assertRequired(this, props, ['namespace']);
    this.namespace = assertDnsLabel(this, 'namespace', props.namespace.name);
    this.name = assertDnsLabel(this, 'service account name', props.name ?? id);
    const trustDomain = assertDnsSubdomain(this, 'trustDomain', props.trustDomain ?? props.namespace.trustDomain);
    if (props.labels) assertLabels(this, 'labels', props.labels);
    this.identity = WorkloadIdentity.of(trustDomain, this.namespace, this.name);
    claimObjectName(this, 'ServiceAccount', this.namespace, this.name, SHARE_HINT);
    this.resource = new kplus.ServiceAccount(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels: props.labels },
    });
  }
}

/** Why a second account of one name is refused, and how to share one. */
const SHARE_HINT = 'one name is one identity: to let several workloads run as it, create it once '
  + '(new MeshServiceAccount(scope, id, { namespace, name })) and pass it as serviceAccount to each of them, '
  + 'or give this workload its own serviceAccountName.';
