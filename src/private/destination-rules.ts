import { Construct } from 'constructs';
import { ClientTlsMode } from '../client-tls-mode';
import { IstioSecurityError } from '../errors';
import { DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode } from '../../imports/networking.istio.io';
import { claimObjectName } from './registry';

export interface ClientTlsRuleOptions {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly mode: ClientTlsMode;
}

/** A DestinationRule that sets the client-side TLS mode for every port of `host`. */
export function clientTlsRule(scope: Construct, id: string, options: ClientTlsRuleOptions): DestinationRule {
  claimObjectName(scope, 'DestinationRule', options.namespace, options.name);
  return new DestinationRule(scope, id, {
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      host: options.host,
      trafficPolicy: { tls: { mode: options.mode as string as DestinationRuleSpecTrafficPolicyTlsMode } },
    },
  });
}

/**
 * Checks the client-side TLS mode a workload's DestinationRule would set: only ISTIO_MUTUAL or
 * DISABLE make sense inside the mesh, and neither may break every call.
 */
export function checkMeshClientTls(scope: Construct, mode: ClientTlsMode, server: { sidecar: boolean; strict: boolean; hasPorts: boolean }): ClientTlsMode {
  if (!server.hasPorts) {
    throw new IstioSecurityError(scope, 'clientTls needs a Service host, but the workload has no ports: add ports, or leave clientTls out.');
  }
  if (mode !== ClientTlsMode.ISTIO_MUTUAL && mode !== ClientTlsMode.DISABLE) {
    throw new IstioSecurityError(scope, `clientTls mode ${mode} is for servers outside the mesh: use ISTIO_MUTUAL or DISABLE for a workload in the mesh.`);
  }
  if (mode === ClientTlsMode.ISTIO_MUTUAL && !server.sidecar) {
    throw new IstioSecurityError(scope, 'clientTls ISTIO_MUTUAL to a workload without a sidecar makes every call fail: '
      + 'enable the sidecar, or use ClientTlsMode.DISABLE.');
  }
  if (mode === ClientTlsMode.DISABLE && server.sidecar && server.strict) {
    throw new IstioSecurityError(scope, 'clientTls DISABLE sends plaintext to a server whose mTLS mode is STRICT, so every call is rejected: '
      + 'use ISTIO_MUTUAL, or make the server PERMISSIVE.');
  }
  return mode;
}
