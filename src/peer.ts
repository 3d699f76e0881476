import { IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace } from './mesh-namespace';
import { IMeshWorkload } from './mesh-workload-interface';
import { NamespaceFacts, namespaceFacts, snapshotNamespace } from './private/namespace-facts';
import { asText, assertDnsLabel, assertDnsSubdomain, quote } from './private/validate';
import { assertMeshWorkload } from './private/workload-check';

/**
 * A caller an authorization rule lets in, identified by its mTLS identity.
 *
 * Every kind of peer is read from the caller's mTLS certificate, so it only matches
 * callers that have a sidecar and connect over mutual TLS. The factories take their arguments as
 * given; the construct that allows the peer checks them (and a value that is not what the factory
 * takes is refused there, with the construct's path).
 */
export class Peer {
  /**
   * The workload's identity: its service account in its namespace (`source.principals`). Any
   * IMeshWorkload: a MeshWorkload, a MeshService (every version), an AdoptedWorkload.
   */
  public static workload(workload: IMeshWorkload): Peer {
    return new Peer(() => {
      const w = workload as any;
      const path = typeof w?.node?.path === 'string' ? w.node.path : quote(workload);
      return { description: `workload ${path}`, principal: typeof w?.identity?.principal === 'string' ? w.identity.principal : undefined };
    }, (scope) => {
      assertMeshWorkload(scope, 'caller', workload);
      if (!workload.sidecar) {
        throw new IstioSecurityError(scope, `caller ${workload.node.path} has no sidecar, so it sits outside the mesh and has no mTLS identity: `
          + 'a rule by principal can never match its requests. Give the caller a sidecar (sidecar: true, or a namespace with injection).');
      }
      return { description: `workload ${workload.node.path}`, principal: workload.identity.principal };
    });
  }

  /** Every workload running as `serviceAccount` in `namespace` (`source.principals`). */
  public static serviceAccount(namespace: IMeshNamespace, serviceAccount: string): Peer {
    // Read once: the check and the rule see the same values.
    const ns = snapshotNamespace(namespace);
    return new Peer(() => {
      const n = (typeof ns === 'object' && ns !== null ? ns : {}) as Partial<IMeshNamespace>;
      return {
        description: `service account ${asText(n.name)}/${asText(serviceAccount)}`,
        principal: WorkloadIdentity.of(asText(n.trustDomain), asText(n.name), asText(serviceAccount)).principal,
      };
    }, (scope) => {
      const facts = callerNamespace(scope, ns);
      assertDnsLabel(scope, 'caller service account', serviceAccount);
      return {
        description: `service account ${facts.name}/${serviceAccount}`,
        principal: WorkloadIdentity.of(facts.trustDomain, facts.name, serviceAccount).principal,
      };
    });
  }

  /** A SPIFFE identity, e.g. one from another trust domain (`source.principals`). */
  public static identity(identity: WorkloadIdentity): Peer {
    const valid = identity instanceof WorkloadIdentity;
    return new Peer(() => (valid ? { description: `identity ${identity.spiffeId}`, principal: identity.principal }
      : { description: `identity ${quote(identity)}` }), (scope) => {
      if (!valid) {
        throw new IstioSecurityError(scope, `caller identity ${quote(identity)} is not a WorkloadIdentity: `
          + 'create it with WorkloadIdentity.of(trustDomain, namespace, serviceAccount).');
      }
      assertDnsSubdomain(scope, 'caller trust domain', identity.trustDomain);
      assertDnsLabel(scope, 'caller namespace', identity.namespace);
      assertDnsLabel(scope, 'caller service account', identity.serviceAccount);
      return { description: `identity ${identity.spiffeId}`, principal: identity.principal };
    });
  }

  /** Every workload in `namespace` (`source.namespaces`). */
  public static namespace(namespace: IMeshNamespace): Peer {
    const ns = snapshotNamespace(namespace);
    return new Peer(() => {
      const name = typeof ns === 'object' && ns !== null ? (ns as IMeshNamespace).name : undefined;
      return typeof name === 'string' ? { description: `namespace ${name}`, namespaceName: name } : { description: `namespace ${quote(name)}` };
    }, (scope) => {
      const facts = callerNamespace(scope, ns);
      return { description: `namespace ${facts.name}`, namespaceName: facts.name };
    });
  }

  private readonly guess: () => PeerFacts;
  private readonly check: (scope: IConstruct) => PeerFacts;
  /** What the last check found: the rule renders these, not a guess from the arguments. */
  private checked?: PeerFacts;

  private constructor(guess: () => PeerFacts, check: (scope: IConstruct) => PeerFacts) {
    this.guess = guess;
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
    this.checked = this.check(scope);
  }

  private facts(): PeerFacts {
    // Before a check, the arguments as given (printable whatever they are).
    return this.checked ?? this.guess();
  }
}

interface PeerFacts {
  readonly description: string;
  readonly principal?: string;
  readonly namespaceName?: string;
}

function callerNamespace(scope: IConstruct, namespace: unknown): NamespaceFacts {
  const facts = namespaceFacts(scope, 'caller namespace', namespace);
  // A MeshNamespace always labels its injection; false means `istio-injection: disabled`, which
  // no pod can override. A reference (MeshNamespace.fromName) may hold pods that opt in.
  if (facts.construct && !facts.sidecarInjection) {
    throw new IstioSecurityError(scope, `caller namespace "${facts.name}" has sidecar injection disabled, so its workloads have no mTLS identity `
      + 'and the rule can never match them: enable injection there, or allow callers that are in the mesh.');
  }
  return facts;
}
