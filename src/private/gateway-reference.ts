import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { warnAtSynth } from './warnings';
import {
  assertComposedHost, assertDnsLabel, assertHostDomain, assertList, assertPort, assertProps, assertSelector, assertUnique, isRecord, recordedProblem,
} from './validate';

/** What the egress and ingress gateway references share. */
export interface GatewayReferenceFacts {
  readonly namespace: string;
  readonly selector: { [key: string]: string };
  readonly serviceName: string;
  readonly clusterDomain: string;
  readonly host: string;
  readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort?: number }>;
}

const PORT_KEYS = { port: true, targetPort: true } as const;

/** A gateway Service port as given to a gateway reference. */
export interface GatewayPortInput { readonly port: number; readonly targetPort?: number }

/**
 * A gateway's ports as given (copied, so later changes by the caller do not reach the output),
 * each with its targetPort defaulted to its port. What is not a list of objects is kept as it is,
 * for `checkGatewayReference` to refuse.
 */
export function copyGatewayPorts<T extends GatewayPortInput>(ports: unknown): T[] {
  if (!Array.isArray(ports)) return ports as T[];
  return ports.map((entry) => (isRecord(entry) ? { ...entry, targetPort: (entry as T).targetPort ?? (entry as T).port } : entry)) as T[];
}

/** The entry of `ports` for Service port `port`, if the ports are a list of objects. */
export function findGatewayPort<T extends GatewayPortInput>(ports: readonly T[], port: number): T | undefined {
  return Array.isArray(ports) ? ports.find((p) => isRecord(p) && (p as T).port === port) : undefined;
}

/**
 * Checks a gateway reference on behalf of the construct that uses it. `what`: "egress gateway".
 * The reference holds its props as given (its factory cannot refuse them): every field is checked
 * for its type here, and the Service host it composes for its length.
 */
export function checkGatewayReference(scope: IConstruct, what: string, gateway: GatewayReferenceFacts, exampleSelector: string): void {
  const problem = recordedProblem(gateway);
  if (problem !== undefined) throw new IstioSecurityError(scope, problem);
  assertDnsLabel(scope, `${what} namespace`, gateway.namespace);
  assertDnsLabel(scope, `${what} serviceName`, gateway.serviceName);
  assertHostDomain(scope, `${what} clusterDomain`, gateway.clusterDomain);
  assertComposedHost(scope, `${what} host`, gateway.host, `${what.split(' ')[0]} gateway serviceName, namespace or clusterDomain`);
  assertSelector(scope, `${what} selector`, gateway.selector, `would select every pod: name the gateway pods' labels, e.g. ${exampleSelector}.`);
  const ports = assertList(scope, `${what} ports`, gateway.ports, { example: '[{ port: 443, targetPort: 8443 }]' });
  if (ports.length === 0) throw new IstioSecurityError(scope, `${what} has no ports: list the ports its Service exposes.`);
  for (const entry of ports) {
    const p = assertProps(scope, `${what} ports entry`, entry as { port: number; targetPort?: number }, PORT_KEYS);
    assertPort(scope, `${what} port`, p.port);
    assertPort(scope, `${what} targetPort`, p.targetPort);
  }
  assertUnique(scope, `${what} port`, gateway.ports.map((p) => p.port));
  warnSharedSelector(scope, what, gateway, exampleSelector);
}

/** The namespace Istio's default gateways run in. */
const ISTIO_GATEWAY_NAMESPACE = 'istio-system';

/**
 * A gateway elsewhere that keeps the default gateway's pod labels: Istio matches a Gateway's
 * selector against gateway pods in every namespace, so its servers land on the default gateway too.
 */
// pilot/pkg/model/push_context.go (PushContext).mergeGateways: every Gateway of the mesh unless PILOT_SCOPE_GATEWAY_TO_NAMESPACE (off by default).
function warnSharedSelector(scope: IConstruct, what: string, gateway: GatewayReferenceFacts, exampleSelector: string): void {
  const [key, value] = exampleSelector.replace(/[{}" ]/g, '').split(':');
  const labels = Object.entries(gateway.selector);
  if (gateway.namespace === ISTIO_GATEWAY_NAMESPACE || labels.length !== 1 || labels[0][0] !== key || labels[0][1] !== value) return;
  warnAtSynth(scope, `the ${what} in namespace ${gateway.namespace} selects pods labelled ${key}=${value}, the label of Istio's default ${what} in `
    + `${ISTIO_GATEWAY_NAMESPACE}: Istio applies a Gateway's selector in every namespace, so its servers configure those pods too. `
    + `Give the pods in ${gateway.namespace} a label of their own and set it as the selector.`);
}
