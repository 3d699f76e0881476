import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AppProtocol } from '../app-protocol';
import { IstioSecurityError } from '../errors';
import type { WorkloadPort } from '../workload-port';
import { claimObjectName } from './registry';
import { assertDnsLabel, assertEnumValue, assertPort, assertUnique, quote } from './validate';

/** Checks Service ports and fills in their defaults (container port, protocol, Istio port name). */
export function normalizePorts(scope: Construct, ports: WorkloadPort[]): Required<WorkloadPort>[] {
  if (!Array.isArray(ports)) throw new IstioSecurityError(scope, `ports ${quote(ports)} is not a list: give ports as a list of { port, ... }.`);
  const normalized = ports.map((given) => {
    const p: WorkloadPort = given && typeof given === 'object' ? given : ({} as WorkloadPort);
    const port = assertPort(scope, 'port', p.port);
    const containerPort = assertPort(scope, 'containerPort', p.containerPort ?? p.port);
    const protocol = assertEnumValue(scope, 'port protocol', p.protocol ?? AppProtocol.HTTP, AppProtocol);
    const name = p.name ?? `${protocol}-${port}`;
    assertDnsLabel(scope, 'port name', name);
    if (name !== protocol && !name.startsWith(`${protocol}-`)) {
      throw new IstioSecurityError(scope, `port name ${quote(name)} does not match protocol ${protocol}: `
        + `Istio selects the protocol from the name, so use "${protocol}" or "${protocol}-<suffix>".`);
    }
    return { port, containerPort, protocol, name };
  });
  assertUnique(scope, 'port name', normalized.map((p) => p.name));
  assertUnique(scope, 'service port', normalized.map((p) => p.port));
  return normalized;
}

/** The distinct container ports behind Service ports. */
export function containerPortsOf(ports: readonly WorkloadPort[]): number[] {
  return [...new Set(ports.map((p) => p.containerPort ?? p.port))];
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace: string;
  /** Labels of the Service object and its selector. */
  readonly selector: { [key: string]: string };
  readonly ports: Required<WorkloadPort>[];
}

/** A ClusterIP Service with Istio's port naming and `appProtocol`; claims its name in the chart. */
export function renderService(scope: Construct, id: string, spec: ServiceSpec): kplus.Service {
  claimObjectName(scope, 'Service', spec.namespace, spec.name);
  const service = new kplus.Service(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.selector },
    ports: spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.containerPort })),
  });
  for (const [key, value] of Object.entries(spec.selector)) service.selectLabel(key, value);
  // cdk8s-plus has no appProtocol; Istio reads it before the port name.
  spec.ports.forEach((p, index) => {
    ApiObject.of(service).addJsonPatch(JsonPatch.add(`/spec/ports/${index}/appProtocol`, p.protocol));
  });
  return service;
}
