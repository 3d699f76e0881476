import { IConstruct } from 'constructs';
import { IstioSecurityError } from './errors';
import { WorkloadIdentity } from './identity';
import { IMeshNamespace, MeshNamespace } from './mesh-namespace';
import { assertDnsLabel, assertDnsSubdomain } from './private/validate';
// Type-only: mesh-workload.ts imports this file at run time.
import type { MeshWorkload } from './mesh-workload';

/**
 * A caller an authorization rule lets in, identified by its mTLS identity.
 *
 * Every kind of peer is read from the caller's mTLS certificate, so it only matches
 * callers that have a sidecar and connect over mutual TLS.
 */
export class Peer {
  /** The workload's identity: its service account in its namespace (`source.principals`). */
  public static workload(workload: MeshWorkload): Peer {
    return new Peer(`workload ${workload.node.path}`, workload.identity.principal, undefined, (scope) => {
      if (!workload.sidecar) {
        throw new IstioSecurityError(scope, `caller ${workload.node.path} has no sidecar, so it sits outside the mesh and has no mTLS identity: `
          + 'a rule by principal can never match its requests. Give the caller a sidecar (sidecar: true, or a namespace with injection).');
      }
    });
  }

  /** Every workload running as `serviceAccount` in `namespace` (`source.principals`). */
  public static serviceAccount(namespace: IMeshNamespace, serviceAccount: string): Peer {
    const identity = WorkloadIdentity.of(namespace.trustDomain, namespace.name, serviceAccount);
    return new Peer(`service account ${namespace.name}/${serviceAccount}`, identity.principal, undefined, (scope) => {
      assertMeshNamespace(scope, namespace);
      assertDnsSubdomain(scope, 'caller trust domain', namespace.trustDomain);
      assertDnsLabel(scope, 'caller service account', serviceAccount);
    });
  }

  /** A SPIFFE identity, e.g. one from another trust domain (`source.principals`). */
  public static identity(identity: WorkloadIdentity): Peer {
    return new Peer(`identity ${identity.spiffeId}`, identity.principal, undefined, (scope) => {
      assertDnsSubdomain(scope, 'caller trust domain', identity.trustDomain);
      assertDnsLabel(scope, 'caller namespace', identity.namespace);
      assertDnsLabel(scope, 'caller service account', identity.serviceAccount);
    });
  }

  /** Every workload in `namespace` (`source.namespaces`). */
  public static namespace(namespace: IMeshNamespace): Peer {
    return new Peer(`namespace ${namespace.name}`, undefined, namespace.name, (scope) => assertMeshNamespace(scope, namespace));
  }

  /** What the peer is, for messages. */
  public readonly description: string;
  /** The principal (`<trust domain>/ns/<ns>/sa/<sa>`) when the peer is an identity. */
  public readonly principal?: string;
  /** The namespace name when the peer is a whole namespace. */
  public readonly namespaceName?: string;
  private readonly check: (scope: IConstruct) => void;

  private constructor(description: string, principal: string | undefined, namespaceName: string | undefined,
    check: (scope: IConstruct) => void) {
    this.description = description;
    this.principal = principal;
    this.namespaceName = namespaceName;
    this.check = check;
  }

  /** Checks the peer on behalf of the construct that allows it. */
  public validate(scope: IConstruct): void {
    this.check(scope);
  }
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
