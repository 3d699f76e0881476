import { IConstruct } from 'constructs';
import { WorkloadIdentity } from './identity';

/**
 * Pods that policies can name: what every construct that takes a workload needs to know.
 *
 * Implemented by `MeshWorkload`, `MeshService` (all versions of one app) and `AdoptedWorkload`
 * (a cdk8s-plus workload, or pods known only by their labels). Accepted by `allowFrom`,
 * `Peer.workload`, `WorkloadAuthorization`, `EgressDestination.workload` and the `clients` of
 * egress routes.
 */
export interface IMeshWorkload extends IConstruct {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels that select exactly these pods (the selector of workload-level policies). */
  readonly selectorLabels: { [key: string]: string };
  /** The identity the pods run as (their service account). */
  readonly identity: WorkloadIdentity;
  /** Whether the pods run an Istio sidecar. */
  readonly sidecar: boolean;
  /** Ports the pods' containers listen on; empty when none are declared. */
  readonly containerPorts: number[];
}
