import { Construct, IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { WorkloadIdentity } from '../identity';
import type { IMeshWorkload } from '../mesh-workload-interface';
import type { MtlsMode } from '../mtls-mode';
import type { WorkloadPort } from '../workload-port';
import { assertDnsLabel, assertDnsSubdomain, assertLabels, assertPort, quote } from './validate';

/** What the library's own workload constructs know beyond IMeshWorkload. */
export interface WorkloadTraits {
  /** The Service ports with their container ports and protocols, when the library declared them. */
  readonly servicePorts?: () => WorkloadPort[];
  /** The server-side mTLS mode of a container port, as far as the app declares it. */
  readonly mtlsModeForPort: (containerPort: number) => MtlsMode;
  /** A workload that declares no ports may still serve some (adopted pods): no port checks then. */
  readonly portsMayBeUndeclared: boolean;
}

const traits = new WeakMap<object, WorkloadTraits>();

/** Records what a library construct knows about its pods. */
export function registerWorkloadTraits(workload: IMeshWorkload, value: WorkloadTraits): void {
  traits.set(workload, value);
}

export function workloadTraits(workload: IMeshWorkload): WorkloadTraits | undefined {
  return traits.get(workload);
}

/** The ports a rule for `workload` may name, in the form the rule checks use; undefined when unknown. */
export function portsForRules(workload: IMeshWorkload): WorkloadPort[] | undefined {
  const known = traits.get(workload);
  const service = known?.servicePorts?.();
  if (service && service.length > 0) return service;
  if (workload.containerPorts.length === 0) return undefined;
  // Protocols unknown: only port numbers are checked.
  return workload.containerPorts.map((port) => ({ port, containerPort: port }));
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value !== 'object') return `${typeof value} ${quote(value)}`;
  const name = (value as object).constructor?.name;
  const path = Construct.isConstruct(value) ? ` ${(value as IConstruct).node.path}` : '';
  return `${name && name !== 'Object' ? name : 'an object'}${path}`;
}

/** What `value` lacks to be an IMeshWorkload; empty when it has every member (of the right type). */
function missingMembers(value: unknown): string[] {
  const w = value as any;
  if (!w || typeof w !== 'object' || !Construct.isConstruct(value)) return ['a construct'];
  const missing: string[] = [];
  if (typeof w.namespace !== 'string') missing.push('namespace');
  if (!w.selectorLabels || typeof w.selectorLabels !== 'object') missing.push('selectorLabels');
  if (!(w.identity instanceof WorkloadIdentity)) missing.push('identity');
  if (typeof w.sidecar !== 'boolean') missing.push('sidecar');
  if (!Array.isArray(w.containerPorts)) missing.push('containerPorts');
  return missing;
}

/** Whether `value` has the members of an IMeshWorkload (not yet whether their values are valid). */
export function looksLikeMeshWorkload(value: unknown): value is IMeshWorkload {
  return missingMembers(value).length === 0;
}

/** Most container ports a workload may declare (Kubernetes has no limit; beyond this it is a mistake). */
const MAX_CONTAINER_PORTS = 1024;

/**
 * Checks that `value` is a workload the library can name in policies (an IMeshWorkload), for
 * callers that bypass the type checker: a clear refusal instead of a TypeError further down. The
 * identity must be one of the workload's own namespace: pods run only as accounts of their namespace.
 */
export function assertMeshWorkload(scope: IConstruct, what: string, value: unknown): IMeshWorkload {
  const w = value as any;
  if (w && typeof w === 'object' && w.podMetadata !== undefined && w.matchLabels !== undefined && w.identity === undefined) {
    throw new IstioSecurityError(scope, `${what} ${describe(value)} is a cdk8s-plus workload, not a mesh workload: `
      + 'adopt it first with AdoptedWorkload.fromWorkload(workload, { ... }) and pass that.');
  }
  const missing = missingMembers(value);
  if (missing.length > 0) {
    throw new IstioSecurityError(scope, `${what} ${describe(value)} is not a mesh workload (it lacks ${missing.join(', ')}): `
      + 'pass a MeshWorkload, a MeshService, or an AdoptedWorkload (AdoptedWorkload.fromWorkload for a cdk8s-plus workload, '
      + 'AdoptedWorkload.fromSelector for pods known by their labels).');
  }
  const workload = w as IMeshWorkload;
  assertDnsLabel(scope, `${what} namespace`, workload.namespace);
  if (Object.keys(workload.selectorLabels).length === 0) {
    throw new IstioSecurityError(scope, `${what} ${workload.node.path} has no selector labels, so no policy could single out its pods: give its pods labels.`);
  }
  assertLabels(scope, `${what} selector`, workload.selectorLabels);
  const identity = workload.identity;
  assertDnsSubdomain(scope, `${what} identity trust domain`, identity.trustDomain);
  assertDnsSubdomain(scope, `${what} identity service account`, identity.serviceAccount);
  if (identity.namespace !== workload.namespace) {
    throw new IstioSecurityError(scope, `${what} ${workload.node.path} runs in namespace "${workload.namespace}" but claims identity ${identity.principal}: `
      + 'pods run only as service accounts of their own namespace; give an identity of that namespace.');
  }
  const ports = workload.containerPorts;
  if (ports.length > MAX_CONTAINER_PORTS) {
    throw new IstioSecurityError(scope, `${what} ${workload.node.path} declares ${ports.length} container ports, more than ${MAX_CONTAINER_PORTS}: declare the ports it serves.`);
  }
  for (const port of ports) assertPort(scope, `${what} container port`, port);
  return workload;
}
