import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AppProtocol } from '../app-protocol';
import { IstioSecurityError } from '../errors';
import type { WorkloadPort } from '../workload-port';
import { claimObjectName } from './registry';
import { KnownKeys, assertDnsLabel, assertEnumValue, assertList, assertPort, assertProps, assertUnique, quote } from './validate';

const WORKLOAD_PORT_KEYS: KnownKeys<WorkloadPort> = { port: true, containerPort: true, protocol: true, name: true };
/** Protocols Istio serves with its HTTP filters (pkg/config/protocol, Instance.IsHTTP). */
const HTTP_FAMILY = new Set<string>([AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.GRPC, AppProtocol.GRPC_WEB]);

/** Checks Service ports and fills in their defaults (container port, protocol, Istio port name). */
export function normalizePorts(scope: Construct, value: unknown): Required<WorkloadPort>[] {
  if (value === undefined || value === null) return [];
  const ports = assertList(scope, 'ports', value, { example: '[{ port: 8000, containerPort: 80 }]' });
  const normalized = ports.map((given) => {
    const p = assertProps(scope, 'ports entry', given as WorkloadPort, WORKLOAD_PORT_KEYS);
    if (given === undefined || given === null) throw new IstioSecurityError(scope, `ports entry ${quote(given)} is not a port: give { port, ... }.`);
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
  // The sidecar builds one inbound listener per container port: HTTP filters or TCP ones, not both.
  const protocolOf = new Map<number, AppProtocol>();
  for (const p of normalized) {
    const other = protocolOf.get(p.containerPort);
    if (other !== undefined && HTTP_FAMILY.has(other) !== HTTP_FAMILY.has(p.protocol)) {
      throw new IstioSecurityError(scope, `container port ${p.containerPort} is served as ${other} and as ${p.protocol}: `
        + 'the sidecar gives one container port one protocol; use one protocol for both Service ports, or another container port.');
    }
    protocolOf.set(p.containerPort, p.protocol);
  }
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
