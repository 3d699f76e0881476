import { Construct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { StrictNamespace } from '../strict-namespace';
import { NamespaceFacts } from './namespace-facts';
import { optionalBoolean } from './validate';
import { assertInjectable } from './injectable';

/** Whether the pods get a sidecar: `sidecar`, else the namespace's setting. */
export function checkSidecar(scope: Construct, value: unknown, ns: NamespaceFacts): boolean {
  const sidecar = optionalBoolean(scope, 'sidecar', value, ns.sidecarInjection);
  // `istio-injection: disabled` on the namespace wins over the pod's request.
  if (sidecar && ns.construct && !ns.sidecarInjection) {
    throw new IstioSecurityError(scope, `sidecar true in namespace "${ns.name}" (${ns.construct.node.path}), whose injection is disabled: `
      + 'istio-injection=disabled wins over the pod\'s request, so the pod would run without a sidecar. Enable injection in the namespace, '
      + 'or leave sidecar out.');
  }
  if (sidecar) assertInjectable(scope, 'sidecar true: namespace', ns.name);
  return sidecar;
}

/**
 * A StrictNamespace's client-side DestinationRule sends ISTIO_MUTUAL to every host of the
 * namespace: a server there without a sidecar fails every call, unless its own rule says DISABLE.
 */
export function assertNoMutualForAll(scope: Construct, ns: NamespaceFacts): void {
  const namespace = ns.construct;
  if (!(namespace instanceof StrictNamespace) || !namespace.destinationRule) return;
  throw new IstioSecurityError(scope, `the workload has no sidecar, but StrictNamespace ${namespace.node.path} sends ISTIO_MUTUAL to every host of `
    + `namespace "${ns.name}" (DestinationRule default), so every call from the mesh would fail the handshake: give it a sidecar, `
    + 'or set clientTls: { mode: ClientTlsMode.DISABLE } for its own host.');
}
