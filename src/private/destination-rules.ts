import { Construct } from 'constructs';
import { ClientTlsMode } from '../client-tls-mode';
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
