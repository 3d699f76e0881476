import { IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { assertDnsLabel, assertDnsSubdomain } from './private/validate';
import { IMeshWorkload } from './mesh-workload-interface';
import { assertMeshWorkload } from './private/workload-check';

/**
 * A caller an authorization rule lets in, identified by its mTLS identity.
 *
 * Every kind of peer is read from the caller's mTLS certificate, so it only matches
 * callers that have a sidecar and connect over mutual TLS.
 */
export class Peer {
  /**
   * The workload's identity: its service account in its namespace (`source.principals`). Any
   * IMeshWorkload: a MeshWorkload, a MeshService (every version), an AdoptedWorkload.
   */
  public static workload(workload: IMeshWorkload): Peer {
    // Read when the rule is checked: a value that is not a workload is refused there, with the rule's path.
    return new Peer(() => ({ description: `workload ${workload.node.path}`, principal: workload.identity.principal }), (scope) => {
      assertMeshWorkload(scope, 'caller', workload);
      if (!workload.sidecar) {
        throw new IstioSecurityError(scope, `caller ${workload.node.path} has no sidecar, so it sits outside the mesh and has no mTLS identity: `
          + 'a rule by principal can never match its requests. Give the caller a sidecar (sidecar: true, or a namespace with injection).');
      }
    });
  }

  /** Every workload running as `serviceAccount` in `namespace` (`source.principals`). */
  public static serviceAccount(namespace: IMeshNamespace, serviceAccount: string): Peer {
    const identity = WorkloadIdentity.of(namespace.trustDomain, namespace.name, serviceAccount);
    return new Peer(() => ({ description: `service account ${namespace.name}/${serviceAccount}`, principal: identity.principal }), (scope) => {
      assertMeshNamespace(scope, namespace);
      assertDnsSubdomain(scope, 'caller trust domain', namespace.trustDomain);
      assertDnsLabel(scope, 'caller service account', serviceAccount);
    });
  }

  /** A SPIFFE identity, e.g. one from another trust domain (`source.principals`). */
  public static identity(identity: WorkloadIdentity): Peer {
    return new Peer(() => ({ description: `identity ${identity.spiffeId}`, principal: identity.principal }), (scope) => {
      assertDnsSubdomain(scope, 'caller trust domain', identity.trustDomain);
      assertDnsLabel(scope, 'caller namespace', identity.namespace);
      assertDnsLabel(scope, 'caller service account', identity.serviceAccount);
    });
  }

  /** Every workload in `namespace` (`source.namespaces`). */
  public static namespace(namespace: IMeshNamespace): Peer {
    return new Peer(() => ({ description: `namespace ${namespace.name}`, namespaceName: namespace.name }), (scope) => assertMeshNamespace(scope, namespace));
  }

  private readonly facts: () => PeerFacts;
  private readonly check: (scope: IConstruct) => void;

  private constructor(facts: () => PeerFacts, check: (scope: IConstruct) => void) {
    this.facts = facts;
    this.check = check;
  }

  /** What the peer is, for messages. */
  public get description(): string {
    return this.facts().description;
  }

  /** The principal (`<trust domain>/ns/<ns>/sa/<sa>`) when the peer is an identity. */
  public get principal(): string | undefined {
    return this.facts().principal;
  }

  /** The namespace name when the peer is a whole namespace. */
  public get namespaceName(): string | undefined {
    return this.facts().namespaceName;
  }

  /** Checks the peer on behalf of the construct that allows it. */
  public validate(scope: IConstruct): void {
    this.check(scope);
  }
}

interface PeerFacts {
  readonly description: string;
  readonly principal?: string;
  readonly namespaceName?: string;
}

function assertMeshNamespace(scope: IConstruct, namespace: IMeshNamespace): void {
  assertDnsLabel(scope, 'caller namespace', namespace.name);
  // A MeshNamespace always labels its injection; false means `istio-injection: disabled`, which
  // no pod can override. A reference (MeshNamespace.fromName) may hold pods that opt in.
  if (namespace instanceof MeshNamespace && !namespace.sidecarInjection) {
    throw new IstioSecurityError(scope, `caller namespace "${namespace.name}" has sidecar injection disabled, so its workloads have no mTLS identity `
      + 'and the rule can never match them: enable injection there, or allow callers that are in the mesh.');
  }
}
