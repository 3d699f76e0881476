import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { namespaceFacts, snapshotNamespace } from './private/namespace-facts';
import { claimObjectName } from './private/registry';
import { rollback } from './private/transaction';
import {
  KnownKeys, asText, assertDnsLabel, assertDnsSubdomain, assertLabels, assertProps, assertRequired, quote, readOptions, recordProblem,
  recordedProblem,
} from './private/validate';

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
    // Read once, as given: the workload that runs as the account checks it.
    const ns = snapshotNamespace(namespace) as Partial<IMeshNamespace> | undefined;
    const { options: o, problem } = readOptions('MeshServiceAccount.fromName', options, REFERENCE_OPTIONS, '{ trustDomain: "cluster.local" }');
    const readable = typeof ns === 'object' && ns !== null;
    const namespaceName = readable ? ns.name : undefined;
    const trustDomain = o.trustDomain ?? (readable ? ns.trustDomain : undefined);
    const reference: IMeshServiceAccount = {
      name: asText(name),
      namespace: asText(namespaceName),
      identity: WorkloadIdentity.of(asText(trustDomain), asText(namespaceName), asText(name)),
    };
    const nsProblem = recordedProblem(ns);
    if (nsProblem !== undefined) recordProblem(reference, nsProblem);
    else if (!readable) recordProblem(reference, `namespace ${quote(namespace)} is not a namespace: pass a MeshNamespace or MeshNamespace.fromName(name).`);
    if (problem !== undefined) recordProblem(reference, problem);
    return reference;
  }

  public readonly name: string;
  public readonly namespace: string;
  public readonly identity: WorkloadIdentity;
  /** The ServiceAccount (child id `Resource`). */
  public readonly resource: kplus.ServiceAccount;

  public constructor(scope: Construct, id: string, props: MeshServiceAccountProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, ACCOUNT_PROPS);
      assertRequired(this, p, ['namespace']);
      const ns = namespaceFacts(this, 'namespace', p.namespace);
      this.namespace = ns.name;
      this.name = assertDnsLabel(this, 'service account name', p.name ?? id);
      const trustDomain = assertDnsSubdomain(this, 'trustDomain', p.trustDomain ?? ns.trustDomain);
      const labels = p.labels === undefined || p.labels === null ? undefined : assertLabels(this, 'labels', p.labels);
      this.identity = WorkloadIdentity.of(trustDomain, this.namespace, this.name);
      claimObjectName(this, 'ServiceAccount', this.namespace, this.name, SHARE_HINT);
      this.resource = new kplus.ServiceAccount(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace, labels },
      });
    } catch (error) {
      throw rollback(this, error);
    }
  }
}

const ACCOUNT_PROPS: KnownKeys<MeshServiceAccountProps> = { namespace: true, name: true, trustDomain: true, labels: true };
const REFERENCE_OPTIONS: KnownKeys<MeshServiceAccountReferenceOptions> = { trustDomain: true };

const SHARE_HINT = 'one name is one identity: to let several workloads run as it, create it once '
  + '(new MeshServiceAccount(scope, id, { namespace, name })) and pass it as serviceAccount to each of them, '
  + 'or give this workload its own serviceAccountName.';
