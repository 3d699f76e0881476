// The outcome of one call: whether the network lets it through (NetworkPolicies), what the client
// sends (its sidecar, DestinationRule and auto mTLS), what the server's sidecar accepts
// (PeerAuthentication), then authorization.

import { AuthorizationPolicies, AuthzDecision } from './authorization';
import { DestinationRules, tlsForPort } from './destination-rules';
import { GatewayListeners } from './gateway-listeners';
import { ClientNet, EndpointNet, NetworkPolicies } from './network-policy';
import { describeMode, describeModeScope, EffectiveMode } from './peer-authentication';
import { capturesOutbound } from './interception';
import { hostMatches } from './hosts';
import { isHttpProtocol, isSniffedProtocol, isTlsProtocol } from './protocols';
import { AuthorizationPolicyInfo, Capture, DestinationRuleInfo, ServiceInfo, ServicePortInfo, WorkloadInfo } from './resources';
import { FindingResource, FindingRule, MeshOutcome, Outcome } from './types';

/** What decides the client side of a call. */
export interface ClientFacts {
  readonly namespace: string;
  readonly sidecar: boolean;
  /** An Istio gateway proxy (no iptables, no injection template). */
  readonly gateway?: boolean;
  readonly labels: { readonly [key: string]: string };
  readonly principal: string;
  readonly network: ClientNet;
  /** What its sidecar intercepts; undefined: everything. */
  readonly capture?: Capture;
  /** Its sidecar blocks hosts outside its registry (outboundTrafficPolicy REGISTRY_ONLY). */
  readonly registryOnly?: boolean;
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
  /** A named targetPort no container port of the pod has: Kubernetes makes no endpoint. */
  readonly noEndpoint?: boolean;
  /** Whether the server's sidecar intercepts the target port (false without a sidecar). */
  readonly captured?: boolean;
  /** The protocol of the pod's inbound chain for the target port (the oldest Service's port targeting it). */
  readonly inboundProtocol?: string;
  /** A headless Service with an endpoint without sidecar: no auto mTLS to any of them. */
  readonly headlessPlaintext?: boolean;
  /** The namespace-level mode auto mTLS reads (GetNamespaceMutualTLSMode of the Service's namespace). */
  readonly namespaceMode?: EffectiveMode;
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
  /** What gateway pods listen on; without it, gateway pods are decided as sidecars. */
  readonly gatewayListeners?: GatewayListeners;
}

type Sent = 'mtls' | 'plaintext' | 'tls' | 'blackhole';

function drLocation(rule: DestinationRuleInfo, port: number): string {
  return rule.policy.portTls.has(port)
    ? `spec.trafficPolicy.portLevelSettings[port ${port}].tls.mode`
    : 'spec.trafficPolicy.tls.mode';
}

// pilot/pkg/xds/endpoints/mtls_checker.go trafficPolicyTLSModeForPort: the rule-level mode, replaced
// by the port-level entry's only when that entry has tls (unlike the cluster, whose port-level
// entry replaces the whole policy). Defined only where the cluster itself has no TLS mode.
function edsTlsMode(rule: DestinationRuleInfo, port: number): string | undefined {
  return rule.policy.portTls.get(port)?.mode ?? rule.policy.tls?.mode;
}

function credentialLocation(rule: DestinationRuleInfo, port: number): string {
  return rule.policy.portTls.has(port)
    ? `spec.trafficPolicy.portLevelSettings[port ${port}].tls.credentialName`
    : 'spec.trafficPolicy.tls.credentialName';
}

/**
 * Auto mTLS, where no DestinationRule sets a TLS mode: the client's cluster for the Service
 * (pilot/pkg/networking/core/cluster_tls.go buildUpstreamTLSSettings, with
 * push_context.go BestEffortInferServiceMTLSMode) turns it off when the namespace-level mode of the
 * Service's namespace is DISABLE (it never looks at workload policies), and for a headless Service
 * (from a sidecar: gateways use EDS) when any endpoint lacks a sidecar; otherwise the endpoint's EDS metadata
 * (pilot/pkg/xds/endpoints/mtls_checker.go checkMtlsEnabled) sends mTLS only to a pod labelled
 * tlsMode istio whose own mode for the port is not DISABLE.
 */
function autoMtls(endpoint: EndpointFacts, rule: DestinationRuleInfo | undefined, client: ClientFacts): { sent: Sent; how: string; howSummary: string; finding?: CallFinding } {
  const { workload: server, mode, service } = endpoint;
  const nsMode = endpoint.namespaceMode;
  if (nsMode?.mode === 'DISABLE') {
    const where = nsMode.scope === 'mesh' ? 'mesh-wide' : 'namespace';
    return {
      sent: 'plaintext',
      how: `auto mTLS sends plaintext: the ${where} PeerAuthentication ${nsMode.source!.namespace}/${nsMode.source!.name} is DISABLE `
        + `(auto mTLS reads only the namespace and mesh mode, Istio issue 56084)`,
      howSummary: 'auto mTLS, plaintext (namespace-level DISABLE)',
    };
  }
  // cluster.go convertResolution: a gateway's cluster for a headless Service is EDS, decided endpoint by endpoint.
  if (service.headless && !client.gateway) {
    return endpoint.headlessPlaintext
      ? { sent: 'plaintext', how: 'auto mTLS sends plaintext: headless Service with an endpoint without sidecar', howSummary: 'auto mTLS, plaintext (headless, mixed endpoints)' }
      : { sent: 'mtls', how: 'auto mTLS (headless Service: every endpoint has a sidecar)', howSummary: 'auto mTLS (headless)' };
  }
  // EDS marks only endpoints whose own tlsMode label is istio (endpoint_builder.go buildEnvoyLbEndpoint).
  if (server.tlsMode !== 'istio') {
    return server.sidecar || server.gateway
      ? { sent: 'plaintext', how: `auto mTLS sends plaintext (server pod label security.istio.io/tlsMode=${server.tlsMode})`, howSummary: 'auto mTLS, plaintext (tlsMode label)' }
      : { sent: 'plaintext', how: 'auto mTLS sends plaintext (server has no sidecar)', howSummary: 'auto mTLS, plaintext to server without sidecar' };
  }
  const eds = rule && edsTlsMode(rule, endpoint.port.port);
  if (eds) {
    // The rule's port-level entry has no tls (so the cluster does auto mTLS), but the endpoint
    // metadata reads the rule-level mode: mTLS only if that is ISTIO_MUTUAL.
    if (eds === 'ISTIO_MUTUAL') {
      return { sent: 'mtls', how: `auto mTLS (DestinationRule ${rule!.namespace}/${rule!.ref.name}: port-level entry without tls, rule level ISTIO_MUTUAL)`, howSummary: 'auto mTLS' };
    }
    return {
      sent: 'plaintext',
      how: `DestinationRule ${rule!.namespace}/${rule!.ref.name} has a port-level entry without tls: the cluster does auto mTLS, `
        + `but the endpoints get no mTLS because the rule level says ${eds}: plaintext`,
      howSummary: `auto mTLS, rule-level ${eds} in the endpoints: plaintext`,
      finding: mode.mode !== 'DISABLE'
        ? { rule: 'port-level-without-tls', resources: [{ ref: rule!.ref, locations: [`spec.trafficPolicy.portLevelSettings[port ${endpoint.port.port}]`] }] }
        : undefined,
    };
  }
  if (mode.mode !== 'DISABLE') {
    return server.sidecar
      ? { sent: 'mtls', how: 'auto mTLS (server has a sidecar)', howSummary: 'auto mTLS' }
      : { sent: 'mtls', how: 'auto mTLS sends mTLS: the server pod is labelled security.istio.io/tlsMode=istio', howSummary: 'auto mTLS (tlsMode label)' };
  }
  return { sent: 'plaintext', how: 'auto mTLS sends plaintext (server port is DISABLE)', howSummary: 'auto mTLS, plaintext to DISABLE' };
}

function paResource(mode: EffectiveMode, containerPort: number): FindingResource[] {
  if (!mode.source) return [];
  return [{ ref: mode.source, locations: [mode.scope === 'port' ? `spec.portLevelMtls.${containerPort}.mode` : 'spec.mtls.mode'] }];
}

/** What the client side sends, and why. */
interface ClientSide {
  readonly sent: Sent;
  readonly how: string;
  readonly howSummary: string;
  readonly rule?: DestinationRuleInfo;
  readonly finding?: CallFinding;
  /** The SNI of Istio mTLS a DestinationRule sets (`tls.sni`). */
  readonly sni?: string;
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
  if (endpoint.noEndpoint) {
    return {
      outcome: 'failed',
      reason: `targetPort ${endpoint.port.targetPort} is no container port of ${endpoint.workload.id}: Kubernetes makes no endpoint for it`,
      summary: 'no endpoint (named targetPort not on the pod)',
    };
  }
  const cs = clientSide(ctx, client, endpoint);
  if (cs.sent === 'blackhole') return { outcome: 'failed', reason: cs.how, summary: cs.howSummary };
  const v = serverSide(ctx, client, endpoint, cs);
  return cs.finding ? { ...v, finding: cs.finding } : v;
}

function clientSide(ctx: VerdictContext, client: ClientFacts, endpoint: EndpointFacts): ClientSide {
  const { service, port } = endpoint;
  let sent: Sent;
  let how: string;
  let howSummary: string;
  let rule: DestinationRuleInfo | undefined;
  let tlsMode: string | undefined;
  let clientFinding: CallFinding | undefined;
  let sni: string | undefined;
  if (!client.sidecar) {
    sent = 'plaintext';
    how = 'client has no sidecar: plaintext';
    howSummary = 'client without sidecar';
  } else if (!client.gateway && client.capture && !capturesOutbound(client.capture, port.port)) {
    sent = 'plaintext';
    how = `the client's sidecar does not capture port ${port.port} (traffic.sidecar.istio.io/excludeOutboundPorts): plaintext`;
    howSummary = 'client sidecar bypassed (excluded outbound port)';
  } else if (!serviceVisible(service.exportTo, service.namespace, client.namespace)) {
    // pilot/pkg/model/push_context.go IsServiceVisible: the client's sidecar has no listener nor
    // cluster for the Service; its traffic to the cluster IP goes to PassthroughCluster (or BlackHoleCluster).
    const annotation = `networking.istio.io/exportTo=${(service.exportTo ?? []).join(',')}`;
    if (client.registryOnly) {
      sent = 'blackhole';
      how = `the Service is not exported to the client's namespace (${annotation}) and the client's sidecar is REGISTRY_ONLY: BlackHoleCluster`;
      howSummary = 'Service not exported to the client, REGISTRY_ONLY';
    } else {
      sent = 'plaintext';
      how = `the Service is not exported to the client's namespace (${annotation}): the client's sidecar passes the call through (PassthroughCluster), plaintext`;
      howSummary = 'Service not exported to the client: passthrough, plaintext';
    }
  } else {
    rule = ctx.destinationRules.lookup(client.namespace, client.labels, service.host, service.namespace, endpoint.drCandidates);
    const tls = rule ? tlsForPort(rule, port.port) : undefined;
    tlsMode = tls?.mode;
    const dr = rule ? `DestinationRule ${rule.namespace}/${rule.ref.name}` : '';
    if ((tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL') && tls?.credentialName && !tls.credentialName.startsWith('configmap://')
      && !rule!.workloadSelector && !client.gateway) {
      // pilot/pkg/networking/core/cluster_tls.go buildUpstreamClusterTLSContext: a credentialName in
      // a rule without workloadSelector gives sidecars no TLS context at all.
      sent = 'plaintext';
      how = `${dr} sets ${tlsMode} with credentialName ${tls.credentialName} but no workloadSelector: Istio gives sidecars no TLS at all, they send plaintext`;
      howSummary = `DestinationRule ${tlsMode} with credentialName, no workloadSelector: plaintext`;
      clientFinding = { rule: 'credential-name-in-sidecar-rule', resources: [{ ref: rule!.ref, locations: [credentialLocation(rule!, port.port)] }] };
    } else if (tlsMode === 'ISTIO_MUTUAL') {
      sent = 'mtls'; how = `${dr} sets ISTIO_MUTUAL`; howSummary = 'DestinationRule ISTIO_MUTUAL'; sni = tls?.sni;
    } else if (tlsMode === 'DISABLE') {
      sent = 'plaintext'; how = `${dr} sets DISABLE: plaintext`; howSummary = 'DestinationRule DISABLE';
    } else if (tlsMode === 'SIMPLE' || tlsMode === 'MUTUAL') {
      sent = 'tls'; how = `${dr} originates ${tlsMode} TLS`; howSummary = `DestinationRule ${tlsMode}`;
    } else {
      ({ sent, how, howSummary, finding: clientFinding } = autoMtls(endpoint, rule, client));
    }
  }
  return { sent, how, howSummary, rule, finding: clientFinding, sni };
}

/**
 * A call to a gateway pod: only its Gateway servers' ports listen (PeerAuthentication does not
 * apply); a plaintext server takes plaintext, a TLS server a TLS handshake: Istio mTLS where its
 * mode is ISTIO_MUTUAL (or AUTO_PASSTHROUGH), the app's own TLS where it terminates or passes TLS.
 */
// pilot/pkg/networking/core/gateway.go (ConfigGeneratorImpl).buildGatewayListeners, createGatewayHTTPFilterChainOpts, createGatewayTCPFilterChainOpts.
function gatewayServerSide(listeners: GatewayListeners, server: WorkloadInfo, targetPort: number, cs: ClientSide, port: ServicePortInfo, host: string): Verdict {
  const { how, howSummary } = cs;
  // On a Service port that declares TLS the app's bytes are TLS, with the Service host as SNI.
  const sent = cs.sent === 'plaintext' && isTlsProtocol(port.istioProtocol) ? 'tls' : cs.sent;
  const servers = listeners.serversOn(server, targetPort);
  const named = (list: typeof servers) => [...new Set(list.map((s) => s.gateway.key))].join(', ');
  if (servers.length === 0) {
    return {
      outcome: 'failed',
      reason: `${how}, but the gateway pod listens on port ${targetPort} for no Gateway server: the connection is refused`,
      summary: `${howSummary}; gateway port without a Gateway server`,
    };
  }
  const plain = servers.filter((s) => s.server.tlsMode === undefined);
  if (plain.length > 0) {
    const forwards = plain.some((s) => !isHttpProtocol(s.server.protocol.toLowerCase()));
    if (sent === 'plaintext' || (sent === 'tls' && forwards)) {
      return { outcome: 'plaintext', reason: `${how}; gateway server on port ${targetPort} without TLS (Gateway ${named(plain)})`, summary: `${howSummary}; gateway server without TLS` };
    }
    return {
      outcome: 'failed',
      reason: `${how}, but the Gateway server on port ${targetPort} (Gateway ${named(plain)}) terminates no TLS: it gets a TLS handshake`,
      summary: `${howSummary}; gateway server without TLS gets TLS`,
    };
  }
  if (sent === 'plaintext') {
    return {
      outcome: 'rejected',
      reason: `${how}; the Gateway server on port ${targetPort} (Gateway ${named(servers)}) takes only TLS`,
      summary: `${howSummary}; gateway server takes only TLS`,
    };
  }
  // The SNI of Istio mTLS: the DestinationRule's, else cluster_tls.go's default outbound_.<port>_._.<host>; an ISTIO_MUTUAL server matches it against its hosts.
  const sni = cs.sni ?? `outbound_.${port.port}_._.${host}`;
  const istio = servers.filter((s) => s.server.tlsMode === 'AUTO_PASSTHROUGH'
    || (s.server.tlsMode === 'ISTIO_MUTUAL' && s.server.hosts.some((h) => hostMatches(h, sni))));
  if (sent === 'mtls' && istio.length > 0) {
    return { outcome: 'mtls', reason: `${how}; Gateway server on port ${targetPort} (Gateway ${named(istio)}) takes Istio mTLS`, summary: `${howSummary}; gateway server takes Istio mTLS` };
  }
  // gateway.go buildGatewayListenerTLSContext / filter chain server names: the app's SNI must match a host.
  const app = servers.filter((s) => s.server.tlsMode !== 'ISTIO_MUTUAL' && s.server.tlsMode !== 'AUTO_PASSTHROUGH'
    && s.server.hosts.some((h) => hostMatches(h, host)));
  if (sent === 'tls' && app.length > 0) {
    return { outcome: 'plaintext', reason: `${how}; Gateway server on port ${targetPort} (Gateway ${named(app)}) takes the app's TLS (not mesh mTLS)`, summary: `${howSummary}; gateway server takes app TLS` };
  }
  return {
    outcome: 'failed',
    reason: `${how}, but the Gateway servers on port ${targetPort} (Gateway ${named(servers)}) take ${sent === 'mtls' ? 'no Istio mTLS' : 'only Istio mTLS'}: the handshake fails`,
    summary: `${howSummary}; gateway server TLS mismatch`,
  };
}

function serverSide(ctx: VerdictContext, client: ClientFacts, endpoint: EndpointFacts, cs: ClientSide): Verdict {
  const { workload: server, port, targetPort, mode } = endpoint;
  const { sent, how, howSummary, rule } = cs;
  const drResource: FindingResource[] = rule ? [{ ref: rule.ref, locations: [drLocation(rule, port.port)] }] : [];
  const serverRef: FindingResource = { ref: server.ref, locations: ['spec.template.metadata (sidecar injection)'] };
  const tlsAtApp = isTlsProtocol(port.istioProtocol);

  // TLS that is not Istio's reaches the server app: fine only where the app serves TLS itself.
  const appTls = (where: string): Verdict => tlsAtApp
    ? { outcome: 'plaintext', reason: `${how}; ${where}: the server app terminates it (not mesh mTLS)`, summary: `${howSummary}; app TLS` }
    : { outcome: 'failed', reason: `${how}, but port ${port.port} (${port.name ?? 'unnamed'}) does not declare TLS: the server app gets a TLS handshake`, summary: `${howSummary}; app without TLS` };

  let base: Verdict;
  const serverProxy = server.sidecar && (server.gateway || endpoint.captured !== false);
  if (serverProxy && server.gateway && ctx.gatewayListeners) {
    const gw = gatewayServerSide(ctx.gatewayListeners, server, targetPort, cs, port, endpoint.service.host);
    if (gw.outcome !== 'plaintext' && gw.outcome !== 'mtls') return gw;
    base = gw;
  } else if (!serverProxy) {
    const noSidecar = server.sidecar
      ? `the server's sidecar does not capture port ${targetPort} (traffic.sidecar.istio.io annotations)` : 'server has no sidecar';
    if (sent === 'mtls') {
      return {
        outcome: 'failed',
        reason: `${how}, but ${server.sidecar ? noSidecar : 'the server has no sidecar'} to terminate mTLS: the handshake fails`,
        summary: `${howSummary}; server without sidecar`,
        finding: { rule: 'istio-mutual-without-sidecar', resources: [...drResource, serverRef] },
      };
    }
    if (sent === 'tls') return appTls(noSidecar);
    base = {
      outcome: 'plaintext',
      reason: how.includes('server has no sidecar') ? how : `${how}; ${noSidecar}`,
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
      // The TLS passes through the sidecar's TCP chain, where authorization still applies (without a principal).
      base = appTls(`server ${m} passes it to the app`);
      if (base.outcome !== 'plaintext') return base;
    } else {
      base = { outcome: sent === 'mtls' ? 'mtls' : 'plaintext', reason: `${how}; server ${m}`, summary: `${howSummary}; server ${ms}` };
    }
  }
  // pilot/pkg/networking/core/listener_inbound.go getFilterChainsByServicePort: the pod's inbound
  // chain for the port follows the oldest Service targeting it; an HTTP chain takes only HTTP.
  const inbound = endpoint.inboundProtocol ?? port.istioProtocol;
  if (serverProxy && !server.gateway && isHttpProtocol(inbound) && !isHttpProtocol(port.istioProtocol) && !isSniffedProtocol(port.istioProtocol)) {
    return {
      outcome: 'failed',
      reason: `${base.reason}, but the server's sidecar parses port ${targetPort} as ${inbound.toUpperCase()} (the oldest Service targeting it says so) `
        + `while the app speaks ${port.istioProtocol.toUpperCase()}`,
      summary: `${base.summary}; server parses HTTP, the app does not speak it`,
    };
  }
  if (!serverProxy || endpoint.policies.length === 0) return base;
  const facts = {
    principal: base.outcome === 'mtls' ? client.principal : undefined,
    namespace: base.outcome === 'mtls' ? client.namespace : undefined,
    port: targetPort,
  };
  // A sniffed port has an HTTP and a TCP filter chain (listener_inbound.go getFilterChainMatchOptions):
  // what the app sends picks one, so the model decides both and joins them.
  // On a sniffed inbound port what the app sends picks the chain: HTTP, other bytes, or either.
  const payload = isHttpProtocol(port.istioProtocol) ? 'http' : isSniffedProtocol(port.istioProtocol) ? 'either' : 'tcp';
  const chain = isHttpProtocol(inbound) ? 'http' : isSniffedProtocol(inbound) ? payload : 'tcp';
  const decision = chain === 'either'
    ? joinSniffed(ctx.authorization.evaluate(endpoint.policies, { ...facts, http: true }), ctx.authorization.evaluate(endpoint.policies, { ...facts, http: false }))
    : ctx.authorization.evaluate(endpoint.policies, { ...facts, http: chain === 'http' });
  if (!decision.allowed) {
    return { outcome: 'denied', reason: `${base.reason}; ${decision.reason}`, summary: `${base.summary}; ${decision.summary}` };
  }
  return decision.reason
    ? { outcome: base.outcome, reason: `${base.reason}; ${decision.reason}`, summary: decision.summary ? `${base.summary}; ${decision.summary}` : base.summary }
    : base;
}

/** The decision on a sniffed port: alike on both chains, or "some requests" when they differ. */
function joinSniffed(http: AuthzDecision, tcp: AuthzDecision): AuthzDecision {
  if (http.allowed === tcp.allowed && http.reason === tcp.reason) return http;
  if (!http.allowed && !tcp.allowed) return tcp;
  return {
    allowed: true,
    reason: `on this port Istio sniffs the protocol: HTTP requests ${http.allowed ? 'are allowed' : 'are denied'}${http.reason ? ` (${http.reason})` : ''}, `
      + `other TCP traffic ${tcp.allowed ? 'is allowed' : 'is denied'}${tcp.reason ? ` (${tcp.reason})` : ''}`,
    summary: 'depends on the protocol (sniffed port)',
  };
}

// pilot/pkg/model/push_context.go IsServiceVisible (default exportTo: every namespace).
function serviceVisible(exportTo: readonly string[] | undefined, serviceNamespace: string, clientNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.includes('*') || (exportTo.includes('.') && serviceNamespace === clientNamespace) || exportTo.includes(clientNamespace);
}
