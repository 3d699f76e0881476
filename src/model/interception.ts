// What a sidecar intercepts: the injector passes the pod's traffic.sidecar.istio.io annotations
// (files/injection-template.yaml, defaults from the chart's values) to istio-iptables, whose rules
// (tools/istio-iptables/pkg/capture/run.go Run, handleInboundPortsInclude) decide which
// connections reach the sidecar. Traffic that is not captured goes straight to the app or the
// network, as if there were no sidecar.

import { Labels } from './labels';
import { Capture } from './resources';

const PREFIX = 'traffic.sidecar.istio.io/';
/** The injector always excludes Envoy's Prometheus, health and the agent's status port inbound. */
const ALWAYS_EXCLUDED_INBOUND = [15090, 15021, 15020];

function ports(value: string | undefined): number[] {
  return (value ?? '').split(',').map((p) => p.trim()).filter((p) => /^\d+$/.test(p)).map(Number);
}

export function captureOf(annotations: Labels): Capture {
  const include = annotations[`${PREFIX}includeInboundPorts`];
  const includeRanges = annotations[`${PREFIX}includeOutboundIPRanges`];
  const excludeRanges = annotations[`${PREFIX}excludeOutboundIPRanges`];
  const ranges = [includeRanges !== undefined && includeRanges.trim() !== '*' ? `includeOutboundIPRanges=${includeRanges}` : '',
    excludeRanges !== undefined && excludeRanges.trim() !== '' ? `excludeOutboundIPRanges=${excludeRanges}` : ''].filter((r) => r !== '').join(', ');
  return {
    includeInbound: include === undefined || include.trim() === '*' ? '*' : ports(include),
    excludeInbound: [...ALWAYS_EXCLUDED_INBOUND, ...ports(annotations[`${PREFIX}excludeInboundPorts`])],
    excludeOutbound: ports(annotations[`${PREFIX}excludeOutboundPorts`]),
    includeOutbound: ports(annotations[`${PREFIX}includeOutboundPorts`]),
    ipRanges: ranges || undefined,
  };
}

/** The capture of a pod without annotations. */
export const FULL_CAPTURE: Capture = captureOf({});

// run.go handleInboundPortsInclude: "*" captures every port but the excluded ones; a list, only its ports.
export function capturesInbound(capture: Capture, port: number): boolean {
  if (capture.includeInbound === '*') return !capture.excludeInbound.includes(port);
  return capture.includeInbound.includes(port);
}

// run.go Run: excluded outbound ports return before anything else is redirected. IP ranges are
// not matched: the model knows no cluster IPs, and assumes cluster Services stay captured.
export function capturesOutbound(capture: Capture, port: number): boolean {
  return !capture.excludeOutbound.includes(port);
}

/** A key of what a client's capture changes, for the grouping of clients. */
export function outboundCaptureKey(capture: Capture): string {
  return capture.excludeOutbound.length > 0 ? [...capture.excludeOutbound].sort((a, b) => a - b).join(',') : '';
}
