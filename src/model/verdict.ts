// The outcome of one call: whether the network lets it through (NetworkPolicies), what the client
// sends (its sidecar, DestinationRule and auto mTLS), what the server's sidecar accepts
// (PeerAuthentication), then authorization.

import { AuthorizationPolicies } from './authorization';
import { DestinationRules, tlsForPort } from './destination-rules';
import { ClientNet, EndpointNet, NetworkPolicies } from './network-policy';
import { describeMode, describeModeScope, EffectiveMode } from './peer-authentication';
import { isHttpProtocol, isTlsProtocol } from './protocols';
import { AuthorizationPolicyInfo, DestinationRuleInfo, ServiceInfo, ServicePortInfo, WorkloadInfo } from './resources';
import { FindingResource, FindingRule, MeshOutcome, Outcome } from './types';

/** What decides the client side of a call. */
export interface ClientFacts {
  readonly namespace: string;
  readonly sidecar: boolean;
  readonly labels: { readonly [key: string]: string };
  readonly principal: string;
  readonly network: ClientNet;
}

/** What decides the server side of a call to one Service port of one workload. */
export interface EndpointFacts {
  readonly workload: WorkloadInfo;
  readonly service: ServiceInfo;
  readonly port: ServicePortInfo;
  readonly targetPort: number;
  readonly mode: EffectiveMode;
  readonly policies: readonly AuthorizationPolicyInfo[];
  readonly drCandidates: readonly DestinationRuleInfo[];
  readonly network: EndpointNet;
}

/** A finding a call reveals. */
export interface CallFinding {
  readonly rule: FindingRule;
  readonly resources: readonly FindingResource[];
}

export interface Verdict {
  readonly outcome: Outcome;
  /** On `blocked` calls: what the mesh would do if the network let it through. */
  readonly meshOutcome?: MeshOutcome;
  /** One line, naming the policies involved. */
  readonly reason: string;
  /** The same without object names: calls with one summary are alike. */
  readonly summary: string;
  readonly finding?: CallFinding;
}

export interface VerdictContext {
  readonly destinationRules: DestinationRules;
  readonly authorization: AuthorizationPolicies;
  readonly network: NetworkPolicies;
}

type Sent = 'mtls' | 'plaintext' | 'tls';

function drLocation(rule: DestinationRuleInfo, port: number): string {
  return rule.policy.portTls.has(port)
    ? `spec.trafficPolicy.portLevelSettings[port ${port}].tls.mode`
    : 'spec.trafficPolicy.tls.mode';
}

function paResource(mode: EffectiveMode, containerPort: number): FindingResource[] {
  if (!mode.source) return [];
  return [{ ref: mode.source, locations: [mode.scope === 'port' ? `spec.portLevelMtls.${containerPort}.mode` : 'spec.mtls.mode'] }];
}

export function decideCall(ctx: VerdictContext, client: ClientFacts, endpoint: EndpointFacts): Verdict {
  const mesh = decideMesh(ctx, client, endpoint);
  if (!ctx.network.any) return mesh;
  const net = ctx.network.decide(client.network, endpoint.network);
  if (net.result === 'yes') return mesh;
  if (net.result === 'maybe') return { ...mesh, reason: `${mesh.reason}; ${net.reason}`, summary: `${mesh.summary}; ${net.summary}` };
  return {
    outcome: 'blocked',
    meshOutcome: mesh.outcome as MeshOutcome,
    reason: `${net.reason}; if the network let it through: ${mesh.reason}`,
    summary: `${net.summary}; else ${mesh.outcome}`,
    finding: mesh.finding,
  };
}

/** What the mesh does with the call, whatever the network does. */
function decideMesh(ctx: VerdictContext, client: ClientFacts, endpoint: EndpointFacts): Verdict {
  const { workload: server, service, port, targetPort, mode } = endpoint;
  let sent: Sent;
  let how: string;
  let howSummary: string;
  let rule: DestinationRuleInfo | undefined;
  let tlsMode: string | undefined;
  if (!client.sidecar) {
    sent = 'plaintext';
    how = 'client has no sidecar: plaintext';
    howSummary = 'client without sidecar';
  } else {
    rule = ctx.destinationRules.lookup(client.namespace, client.labels, service.host, service.namespace, endpoint.drCandidates);
    tlsMode = rule ? tlsForPort(rule, port.port)?.mode : undefined;
    const dr = rule ? `DestinationRule ${rule.namespace}/${rule.ref.name}` : '';
    if (tlsMode === 'ISTIO_MUTUAL') {
      sent = 'mtls'; how = `${dr} sets ISTIO_MUTUAL`; howSummary = 'DestinationRule ISTIO_MUTUAL';
    } else if (tlsMode === 'DISABLE') {
      sent = 'plaintext'; how = `${dr} sets DISABLE: plaintext`; howSummary = 'DestinationRule DISABLE';
    } else if (tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL') {
      sent = 'tls'; how = `${dr} originates ${tlsMode} TLS`; howSummary = `DestinationRule ${tlsMode}`;
    } else if (server.sidecar && mode.mode !== 'DISABLE') {
      sent = 'mtls'; how = 'auto mTLS (server has a sidecar)'; howSummary = 'auto mTLS';
    } else {
      sent = 'plaintext';
      how = server.sidecar ? 'auto mTLS sends plaintext (server port is DISABLE)' : 'auto mTLS sends plaintext (server has no sidecar)';
      howSummary = server.sidecar ? 'auto mTLS, plaintext to DISABLE' : 'auto mTLS, plaintext to server without sidecar';
    }
  }
  const drResource: FindingResource[] = rule ? [{ ref: rule.ref, locations: [drLocation(rule, port.port)] }] : [];
  const serverRef: FindingResource = { ref: server.ref, locations: ['spec.template.metadata (sidecar injection)'] };
  const tlsAtApp = isTlsProtocol(port.istioProtocol);

  // TLS that is not Istio's reaches the server app: fine only where the app serves TLS itself.
  const appTls = (where: string): Verdict => tlsAtApp
    ? { outcome: 'plaintext', reason: `${how}; ${where}: the server app terminates it (not mesh mTLS)`, summary: `${howSummary}; app TLS` }
    : { outcome: 'failed', reason: `${how}, but port ${port.port} (${port.name ?? 'unnamed'}) does not declare TLS: the server app gets a TLS handshake`, summary: `${howSummary}; app without TLS` };

  let base: Verdict;
  if (!server.sidecar) {
    if (sent === 'mtls') {
      return {
        outcome: 'failed',
        reason: `${how}, but the server has no sidecar to terminate mTLS: the handshake fails`,
        summary: `${howSummary}; server without sidecar`,
        finding: { rule: 'istio-mutual-without-sidecar', resources: [...drResource, serverRef] },
      };
    }
    if (sent === 'tls') return appTls('server has no sidecar');
    base = {
      outcome: 'plaintext',
      reason: how.includes('server has no sidecar') ? how : `${how}; server has no sidecar`,
      summary: howSummary.includes('without sidecar') && client.sidecar ? howSummary : `${howSummary}; server without sidecar`,
    };
  } else {
    const m = describeMode(mode, targetPort);
    const ms = describeModeScope(mode);
    if (mode.mode === 'STRICT') {
      if (sent === 'plaintext') {
        return {
          outcome: 'rejected',
          reason: `${how}; server ${m} refuses plaintext`,
          summary: `${howSummary}; server ${ms}`,
          finding: client.sidecar ? { rule: 'plaintext-to-strict', resources: [...drResource, ...paResource(mode, targetPort)] } : undefined,
        };
      }
      if (sent === 'tls') {
        return {
          outcome: 'rejected',
          reason: `${how}; server ${m} accepts only Istio mTLS`,
          summary: `${howSummary}; server ${ms}`,
          finding: { rule: 'client-tls-mismatch', resources: [...drResource, ...paResource(mode, targetPort)] },
        };
      }
      base = { outcome: 'mtls', reason: `${how}; server ${m}`, summary: `${howSummary}; server ${ms}` };
    } else if (mode.mode === 'DISABLE' && sent === 'mtls') {
      return {
        outcome: 'failed',
        reason: `${how}, but server ${m} does not terminate mTLS: the app gets a TLS handshake`,
        summary: `${howSummary}; server ${ms}`,
        finding: { rule: 'client-tls-mismatch', resources: [...drResource, ...paResource(mode, targetPort)] },
      };
    } else if (sent === 'tls') {
      return appTls(`server ${m} passes it to the app`);
    } else {
      base = { outcome: sent, reason: `${how}; server ${m}`, summary: `${howSummary}; server ${ms}` };
    }
  }
  if (!server.sidecar || endpoint.policies.length === 0) return base;
  const decision = ctx.authorization.evaluate(endpoint.policies, {
    principal: base.outcome === 'mtls' ? client.principal : undefined,
    namespace: base.outcome === 'mtls' ? client.namespace : undefined,
    port: targetPort,
    http: isHttpProtocol(port.istioProtocol),
  });
  if (!decision.allowed) {
    return { outcome: 'denied', reason: `${base.reason}; ${decision.reason}`, summary: `${base.summary}; ${decision.summary}` };
  }
  return decision.reason
    ? { outcome: base.outcome, reason: `${base.reason}; ${decision.reason}`, summary: decision.summary ? `${base.summary}; ${decision.summary}` : base.summary }
    : base;
}
