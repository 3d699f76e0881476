import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { assertDnsLabel, assertDnsSubdomain, assertLabels, assertPort, assertUnique } from './validate';

/** What the egress and ingress gateway references share. */
export interface GatewayReferenceFacts {
  readonly namespace: string;
  readonly selector: { [key: string]: string };
  readonly serviceName: string;
  readonly clusterDomain: string;
  readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort?: number }>;
}

/** Checks a gateway reference on behalf of the construct that uses it. `what`: "egress gateway". */
export function checkGatewayReference(scope: IConstruct, what: string, gateway: GatewayReferenceFacts, exampleSelector: string): void {
  assertDnsLabel(scope, `${what} namespace`, gateway.namespace);
  assertDnsLabel(scope, `${what} serviceName`, gateway.serviceName);
  assertDnsSubdomain(scope, `${what} clusterDomain`, gateway.clusterDomain);
  if (Object.keys(gateway.selector).length === 0) {
    throw new IstioSecurityError(scope, `${what} selector {} would select every pod: name the gateway pods' labels, e.g. ${exampleSelector}.`);
  }
  assertLabels(scope, `${what} selector`, gateway.selector);
  if (gateway.ports.length === 0) throw new IstioSecurityError(scope, `${what} has no ports: list the ports its Service exposes.`);
  for (const p of gateway.ports) {
    assertPort(scope, `${what} port`, p.port);
    assertPort(scope, `${what} targetPort`, p.targetPort!);
  }
  assertUnique(scope, `${what} port`, gateway.ports.map((p) => p.port));
}
