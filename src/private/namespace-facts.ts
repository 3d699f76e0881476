import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { assertInjectable } from './injectable';
import { IMeshNamespace, MeshNamespace } from '../mesh-namespace';
import { MtlsMode } from '../mtls-mode';
import { copyGivenOptions, givenReferenceOptions } from './namespace-reference';
import { holderOf, objectKey } from './registry';
import { assertComposedHost, assertDnsLabel, recordProblem, recordedProblem, assertDnsSubdomain, assertEnumValue, assertHostDomain, quote } from './validate';

/** What this library relies on about a namespace, checked once where a construct takes it. */
export interface NamespaceFacts {
  readonly name: string;
  readonly sidecarInjection: boolean;
  readonly clusterDomain: string;
  readonly trustDomain: string;
  readonly mtlsMode?: MtlsMode;
  /**
   * The MeshNamespace construct, when the namespace is one: its labels are known, so
   * `sidecarInjection: false` means `istio-injection: disabled`, which no pod can override.
   */
  readonly construct?: MeshNamespace;
}

/**
 * Checks a namespace a construct takes (`what` names the prop): a MeshNamespace, or a reference
 * (`MeshNamespace.fromName`, or an object of another language implementing IMeshNamespace) whose
 * every field is read once and type-checked. A reference that contradicts a MeshNamespace of the
 * same name in the chart is refused: the chart would say one thing and the reference another.
 */
export function namespaceFacts(scope: IConstruct, what: string, namespace: unknown): NamespaceFacts {
  if (namespace instanceof MeshNamespace) return constructFacts(namespace);
  if (typeof namespace !== 'object' || namespace === null) {
    throw new IstioSecurityError(scope, `${what} ${quote(namespace)} is not a namespace: pass a MeshNamespace, a StrictNamespace, `
      + 'or MeshNamespace.fromName(name).');
  }
  const problem = recordedProblem(namespace);
  if (problem !== undefined) throw new IstioSecurityError(scope, `${what}: ${problem}`);
  const ns = namespace as IMeshNamespace;
  // "caller namespace" → "caller trust domain"; "namespace" → "trustDomain" (the prop's name).
  const role = what.replace(/ ?namespace$/, '');
  const name = assertDnsLabel(scope, what, ns.name);
  const sidecarInjection = ns.sidecarInjection;
  if (typeof sidecarInjection !== 'boolean') {
    throw new IstioSecurityError(scope, `${what} "${name}": sidecarInjection ${quote(sidecarInjection)} is not a boolean: `
      + 'use true (the namespace carries an injection label) or false.');
  }
  if (sidecarInjection) assertInjectable(scope, what, name);
  const clusterDomain = assertHostDomain(scope, role ? `${role} cluster domain` : `${what} "${name}": clusterDomain`, ns.clusterDomain);
  const trustDomain = assertDnsSubdomain(scope, role ? `${role} trust domain` : `${what} "${name}": trustDomain`, ns.trustDomain);
  assertComposedHost(scope, `the shortest Service host of ${what} "${name}"`, `a.${name}.svc.${clusterDomain}`, 'namespace name or clusterDomain');
  const rawMode = ns.mtlsMode;
  const mtlsMode = rawMode === undefined || rawMode === null ? undefined
    : assertEnumValue(scope, `${what} "${name}": mtlsMode`, rawMode, MtlsMode);
  const facts: NamespaceFacts = { name, sidecarInjection, clusterDomain, trustDomain, mtlsMode };
  const declared = holderOf(scope, objectKey('Namespace', '', name));
  if (!(declared instanceof MeshNamespace)) return facts;
  // The chart declares this namespace: the reference may leave out what the chart says, not contradict it.
  const given = givenReferenceOptions(namespace) ?? new Set(['sidecarInjection', 'clusterDomain', 'trustDomain', 'mtlsMode']);
  const actual = constructFacts(declared);
  for (const field of ['sidecarInjection', 'clusterDomain', 'trustDomain', 'mtlsMode'] as const) {
    if (!given.has(field) || facts[field] === undefined || facts[field] === actual[field]) continue;
    // A policy may come from elsewhere for a namespace whose construct declares none.
    if (field === 'mtlsMode' && actual.mtlsMode === undefined) continue;
    throw new IstioSecurityError(scope, `${what} "${name}" is a reference whose ${field} is ${quote(facts[field])}, but this chart declares `
      + `namespace "${name}" as ${declared.node.path} with ${field} ${quote(actual[field])}: pass that MeshNamespace itself.`);
  }
  return { ...actual, mtlsMode: actual.mtlsMode ?? facts.mtlsMode };
}

function constructFacts(namespace: MeshNamespace): NamespaceFacts {
  return {
    name: namespace.name, sidecarInjection: namespace.sidecarInjection, clusterDomain: namespace.clusterDomain,
    trustDomain: namespace.trustDomain, mtlsMode: namespace.mtlsMode, construct: namespace,
  };
}

/**
 * A namespace as a value object keeps it until a construct checks it: a MeshNamespace as it is,
 * any other object as a copy of its fields read once (so a getter cannot answer differently at the
 * check and in the output), anything else as given (the check refuses it).
 */
export function snapshotNamespace(namespace: unknown): unknown {
  if (namespace instanceof MeshNamespace || typeof namespace !== 'object' || namespace === null) return namespace;
  let snapshot: object;
  try {
    const ns = namespace as IMeshNamespace;
    snapshot = { name: ns.name, sidecarInjection: ns.sidecarInjection, clusterDomain: ns.clusterDomain, trustDomain: ns.trustDomain, mtlsMode: ns.mtlsMode };
  } catch (error) {
    snapshot = {};
    recordProblem(snapshot, `the namespace could not be read (${quote(error instanceof Error ? error.message : error)}): `
      + 'pass a MeshNamespace or MeshNamespace.fromName(name).');
  }
  const problem = recordedProblem(namespace);
  if (problem !== undefined) recordProblem(snapshot, problem);
  copyGivenOptions(namespace, snapshot);
  return snapshot;
}
