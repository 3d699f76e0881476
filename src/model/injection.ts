// Whether Istio's injector gives a pod a sidecar. The injector is a mutating webhook: it sees a
// pod only when one of the webhooks of istiod's chart selects it, then decides with
// injectRequired. Every revision a label names is assumed installed (with the default one).
// - Webhooks (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml):
//   rev.namespace: namespace istio.io/rev set, no istio-injection label, pod label inject != "false";
//   rev.object: no namespace label at all, pod istio.io/rev set, pod label inject != "false";
//   namespace: namespace istio-injection=enabled, pod label inject != "false";
//   object: no namespace label at all, no pod istio.io/rev, pod label inject == "true".
//   So istio-injection=disabled (or any value but "enabled") stops every webhook.
// - pkg/kube/inject/inject.go injectRequired: never hostNetwork pods nor the namespaces of
//   inject.IgnoredNamespaces (kube-system, kube-public, kube-node-lease, local-path-storage); the pod
//   label, else the annotation, `sidecar.istio.io/inject`: exactly "true" injects, exactly "false"
//   does not, any other value falls back to the policy (enabled: inject).

import { Labels } from './labels';

export const INJECT_KEY = 'sidecar.istio.io/inject';
const REV_KEY = 'istio.io/rev';
const INJECTION_KEY = 'istio-injection';

/** inject.IgnoredNamespaces (pkg/kube/inject/initializer.go). */
export const NEVER_INJECTED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'];

export interface SidecarDecision {
  readonly sidecar: boolean;
  readonly reason: string;
}

/** What else of the pod and its namespace the injector looks at. */
export interface InjectionContext {
  /** The pod's namespace (some namespaces are never injected). */
  readonly namespace?: string;
  /** `spec.hostNetwork` of the pod. */
  readonly hostNetwork?: boolean;
}

/** The chart's webhook that selects the pod, if any (mutatingwebhook.yaml, in its order). */
function selectingWebhook(ns: Labels, pod: Labels): string | undefined {
  const notFalse = pod[INJECT_KEY] !== 'false';
  const nsRev = ns[REV_KEY];
  const nsInjection = ns[INJECTION_KEY];
  if (nsRev !== undefined && nsInjection === undefined && notFalse) return `namespace label ${REV_KEY}=${nsRev}`;
  if (nsRev === undefined && nsInjection === undefined && notFalse && pod[REV_KEY] !== undefined) return `pod label ${REV_KEY}=${pod[REV_KEY]}`;
  if (nsInjection === 'enabled' && notFalse) return `namespace label ${INJECTION_KEY}=enabled`;
  if (nsInjection === undefined && nsRev === undefined && pod[INJECT_KEY] === 'true' && pod[REV_KEY] === undefined) return `pod label ${INJECT_KEY}=true`;
  return undefined;
}

// pkg/kube/inject/inject.go injectRequired, after the chart's webhook selectors (mutatingwebhook.yaml).
export function decideSidecar(namespaceLabels: Labels, podLabels: Labels, podAnnotations: Labels, context: InjectionContext = {}): SidecarDecision {
  const webhook = selectingWebhook(namespaceLabels, podLabels);
  if (!webhook) {
    const why = namespaceLabels[INJECTION_KEY] !== undefined && namespaceLabels[INJECTION_KEY] !== 'enabled'
      ? `namespace label ${INJECTION_KEY}=${namespaceLabels[INJECTION_KEY]}`
      : podLabels[INJECT_KEY] !== undefined
        ? `pod label ${INJECT_KEY}=${podLabels[INJECT_KEY]}${podLabels[INJECT_KEY] !== 'true' && podLabels[INJECT_KEY] !== 'false' ? ' (only "true" selects the pod without a namespace label)' : ''}`
        : podAnnotations[INJECT_KEY] !== undefined
          ? `only the annotation ${INJECT_KEY}=${podAnnotations[INJECT_KEY]}: the injector is not called without a namespace or pod label`
          : 'no injection label on the namespace or the pod';
    return { sidecar: false, reason: why };
  }
  if (context.hostNetwork) return { sidecar: false, reason: `${webhook}, but the pod uses hostNetwork: never injected` };
  if (context.namespace && NEVER_INJECTED_NAMESPACES.includes(context.namespace)) {
    return { sidecar: false, reason: `${webhook}, but Istio never injects namespace ${context.namespace}` };
  }
  const label = podLabels[INJECT_KEY];
  const value = label ?? podAnnotations[INJECT_KEY];
  const source = label !== undefined ? 'pod label' : 'pod annotation';
  if (value === 'false') return { sidecar: false, reason: `${source} ${INJECT_KEY}=false` };
  if (value === 'true') return { sidecar: true, reason: `${source} ${INJECT_KEY}=true` };
  if (value !== undefined) return { sidecar: true, reason: `${webhook}; ${source} ${INJECT_KEY}=${value} is neither "true" nor "false": Istio injects by default` };
  return { sidecar: true, reason: webhook };
}
