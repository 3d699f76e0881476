import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { NEVER_INJECTED_NAMESPACES } from '../model/injection';

/**
 * Refuses sidecar injection in a namespace Istio's injector always skips, whatever its labels
 * (istio pkg/kube/inject/initializer.go IgnoredNamespaces, read by inject.go injectRequired): the
 * policies would enforce nothing there.
 */
export function assertInjectable(scope: IConstruct, what: string, name: string): void {
  if (NEVER_INJECTED_NAMESPACES.includes(name)) {
    throw new IstioSecurityError(scope, `${what} "${name}" never gets sidecars: Istio's injector skips ${NEVER_INJECTED_NAMESPACES.join(', ')} `
      + 'whatever their labels, so mesh policies there enforce nothing. Run the workloads in a namespace of their own.');
  }
}
