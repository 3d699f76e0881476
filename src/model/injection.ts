// Whether Istio's injector gives a pod a sidecar, following Istio's injection policy:
// - a namespace labelled `istio-injection=disabled` never gets sidecars (it wins over pod settings);
// - the pod label `sidecar.istio.io/inject` decides next ("true" injects, anything else does not);
// - otherwise the injector only sees the pod when the namespace carries `istio-injection=enabled`
//   or `istio.io/rev` (or the pod `istio.io/rev`); then the legacy annotation
//   `sidecar.istio.io/inject: "false"` still opts the pod out;
// - a namespace without an injection label does not inject (Istio's default), whatever the annotation.

import { Labels } from './labels';

export const INJECT_KEY = 'sidecar.istio.io/inject';
const TRUE_VALUES = ['true', 'y', 'yes', 'on'];

export interface SidecarDecision {
  readonly sidecar: boolean;
  readonly reason: string;
}

function isTrue(value: string): boolean {
  return TRUE_VALUES.includes(value.toLowerCase());
}

export function decideSidecar(namespaceLabels: Labels, podLabels: Labels, podAnnotations: Labels): SidecarDecision {
  const nsInjection = namespaceLabels['istio-injection'];
  if (nsInjection === 'disabled') {
    return { sidecar: false, reason: 'namespace label istio-injection=disabled' };
  }
  const label = podLabels[INJECT_KEY];
  if (label !== undefined) {
    return isTrue(label)
      ? { sidecar: true, reason: `pod label ${INJECT_KEY}=${label}` }
      : { sidecar: false, reason: `pod label ${INJECT_KEY}=${label}` };
  }
  const revision = namespaceLabels['istio.io/rev'] ?? podLabels['istio.io/rev'];
  const injectorCalled = nsInjection === 'enabled' || revision !== undefined;
  const annotation = podAnnotations[INJECT_KEY];
  if (!injectorCalled) {
    return {
      sidecar: false,
      reason: annotation !== undefined && isTrue(annotation)
        ? `only the annotation ${INJECT_KEY}=${annotation}: the injector is not called without a namespace or pod label`
        : 'no injection label on the namespace or the pod',
    };
  }
  if (annotation !== undefined && !isTrue(annotation)) {
    return { sidecar: false, reason: `pod annotation ${INJECT_KEY}=${annotation}` };
  }
  return {
    sidecar: true,
    reason: nsInjection === 'enabled' ? 'namespace label istio-injection=enabled' : `istio.io/rev=${revision}`,
  };
}
