// Findings about the way in from outside and end-user authentication: an ingress route to a
// workload that denies the gateway, a RequestAuthentication no rule requires, a certificate
// Secret in the wrong namespace, a host served in plaintext and with TLS on one gateway.

import { hostMatches } from './hosts';
import { IngressGatewayPods } from './ingress';
import { MeshModel } from './model';
import { AuthorizationPolicyInfo, GatewayInfo, RequestAuthenticationInfo, WorkloadInfo } from './resources';
import { FindingResource, FindingRule } from './types';

export interface IngressFinding {
  readonly rule: FindingRule;
  readonly message: string;
  readonly resources: FindingResource[];
  count: number;
}

export const INGRESS_FIXES = {
  'ingress-route-denied': 'Let the ingress gateway\'s identity in to the route\'s port (an ALLOW rule with its principal, e.g. IngressRoute does it), '
    + 'spare it in the DENY rule that refuses it, or remove the route.',
  'jwt-not-required': 'A RequestAuthentication only rejects invalid tokens: add an AuthorizationPolicy that requires one (DENY with '
    + 'notRequestPrincipals: ["<issuer>/*"], or ALLOW with requestPrincipals), e.g. JwtAuthentication.requireToken.',
  'gateway-credential-namespace': 'Create the certificate Secret in the namespace of the gateway pods: a gateway reads credentialName Secrets only there, '
    + 'whatever namespace the Gateway object is in.',
  'host-plaintext-and-tls': 'Serve the host with TLS only: replace the plaintext server by one with tls.httpsRedirect: true.',
} as const;

/** Whether a rule makes a request's JWT matter (request principals, or request.auth conditions). */
function requiresJwt(rule: any): boolean {
  for (const f of Array.isArray(rule?.from) ? rule.from : []) {
    const s = f?.source ?? {};
    if ((Array.isArray(s.requestPrincipals) && s.requestPrincipals.length > 0) || (Array.isArray(s.notRequestPrincipals) && s.notRequestPrincipals.length > 0)) return true;
  }
  return (Array.isArray(rule?.when) ? rule.when : []).some((c: any) => String(c?.key ?? '').startsWith('request.auth.'));
}

function anyRequiresJwt(policies: readonly AuthorizationPolicyInfo[]): boolean {
  return policies.some((p) => (p.action === 'ALLOW' || p.action === 'DENY') && !p.dryRun && p.rules.some(requiresJwt));
}

/** Ingress calls refused at the gateway or at the workload: one finding per VirtualService route and workload. */
function deniedRoutes(model: MeshModel, into: Map<string, IngressFinding>): void {
  for (const d of model.ingressCalls()) {
    const v = d.verdict;
    if ((v.meshOutcome ?? v.outcome) !== 'denied') continue;
    const { path, endpoint } = d;
    const k = `ingress-route-denied|${path.vs.ref.namespace}/${path.vs.ref.name}|${path.route.kind}${path.route.index}|${endpoint.workload.id}`;
    const found = into.get(k);
    if (found) {
      found.count++;
      continue;
    }
    const at = d.deniedAtGateway ? 'at the ingress gateway' : `by ${endpoint.workload.id}`;
    into.set(k, {
      rule: 'ingress-route-denied',
      message: `every call from outside to ${path.host}:${path.server.port} is denied ${at}: ${v.reason}`,
      resources: [
        { ref: path.vs.ref, locations: [`spec.${path.route.kind}[${path.route.index}]`] },
        { ref: d.deniedAtGateway ? path.gateway.ref : endpoint.workload.ref, locations: [d.deniedAtGateway ? 'spec.selector' : 'spec.template (its AuthorizationPolicies)'] },
      ],
      count: 1,
    });
  }
}

/** The pods a RequestAuthentication selects: workloads of the input, and ingress gateway pods the model assumed. */
function selected(model: MeshModel, ra: RequestAuthenticationInfo): { workloads: WorkloadInfo[]; pods: IngressGatewayPods[] } {
  const root = ra.namespace === model.options.rootNamespace;
  const inNs = (ns: string) => root || ns === ra.namespace;
  const workloads = model.inventory.workloads.filter((w) => inNs(w.namespace)
    && (!ra.selector || Object.entries(ra.selector).every(([k, v]) => w.podLabels[k] === v)));
  const pods: IngressGatewayPods[] = [];
  for (const gateway of model.ingressAnalysis.gateways) {
    const p = model.ingressAnalysis.gatewayPods(gateway);
    if (!p || p.workload || !inNs(p.namespace) || pods.some((q) => q.id === p.id)) continue;
    if (!ra.selector || Object.entries(ra.selector).every(([k, v]) => p.labels[k] === v)) pods.push(p);
  }
  return { workloads, pods };
}

/** RequestAuthentications on pods no AuthorizationPolicy makes a token matter for. */
function unrequiredJwt(model: MeshModel, into: Map<string, IngressFinding>): void {
  const authz = model.authorization;
  for (const ra of model.inventory.requestAuthentications) {
    const { workloads, pods } = selected(model, ra);
    if (workloads.length + pods.length === 0) continue;
    const required = workloads.some((w) => anyRequiresJwt(authz.policiesFor(w)))
      || pods.some((p) => anyRequiresJwt(authz.policiesForPods(p.namespace, p.labels)));
    if (required) continue;
    const on = [...workloads.map((w) => w.id), ...pods.map((p) => p.id)];
    into.set(`jwt-not-required|${ra.namespace}/${ra.ref.name}`, {
      rule: 'jwt-not-required',
      message: `RequestAuthentication ${ra.namespace}/${ra.ref.name} checks tokens of ${ra.issuers.join(', ') || 'no issuer'} on `
        + `${on.slice(0, 3).join(', ')}${on.length > 3 ? ` and ${on.length - 3} more` : ''}, but no AuthorizationPolicy requires one: `
        + 'requests without a token pass',
      resources: [{ ref: ra.ref, locations: ['spec.jwtRules'] }],
      count: on.length,
    });
  }
}

/** credentialName Secrets that the input holds in another namespace than the gateway pods'. */
function credentialNamespaces(model: MeshModel, into: Map<string, IngressFinding>): void {
  const secrets = model.inventory.secrets;
  if (secrets.length === 0) return;
  for (const gateway of model.ingressAnalysis.gateways) {
    const pods = model.ingressAnalysis.gatewayPods(gateway)!;
    for (const server of gateway.servers) {
      for (const name of server.credentialNames) {
        if (secrets.some((s) => s.name === name && s.namespace === pods.namespace)) continue;
        const elsewhere = secrets.filter((s) => s.name === name);
        if (elsewhere.length === 0) continue;
        into.set(`gateway-credential-namespace|${gateway.key}|${server.index}|${name}`, {
          rule: 'gateway-credential-namespace',
          message: `Gateway ${gateway.key} names credential ${name} for ${server.hosts.join(', ')}:${server.port}, but the Secret is in `
            + `${elsewhere.map((s) => s.namespace).join(', ')}, not in ${pods.namespace} where the gateway pods (${pods.id}) read it: `
            + 'the server has no certificate and refuses every TLS handshake',
          resources: [
            { ref: gateway.ref, locations: [`spec.servers[${server.index}].tls.credentialName`] },
            ...elsewhere.map((s) => ({ ref: s.ref, locations: ['metadata.namespace'] })),
          ],
          count: 1,
        });
      }
    }
  }
}

/** Hosts one ingress gateway serves both in plaintext (not a redirect) and with TLS. */
function plaintextAndTls(model: MeshModel, into: Map<string, IngressFinding>): void {
  interface Served { readonly gateway: GatewayInfo; readonly index: number; readonly host: string; readonly port: number; readonly tls: boolean }
  const byPods = new Map<string, Served[]>();
  for (const gateway of model.ingressAnalysis.gateways) {
    const pods = model.ingressAnalysis.gatewayPods(gateway)!;
    const list = byPods.get(pods.id) ?? [];
    byPods.set(pods.id, list);
    for (const server of gateway.servers) {
      if (server.httpsRedirect) continue;
      const tls = server.tlsMode !== undefined || ['HTTPS', 'TLS'].includes(server.protocol);
      if (!tls && server.protocol !== 'HTTP') continue;
      for (const host of server.hosts) list.push({ gateway, index: server.index, host, port: server.port, tls });
    }
  }
  for (const [podsId, served] of byPods) {
    for (const plain of served.filter((s) => !s.tls)) {
      const secure = served.find((s) => s.tls && (hostMatches(s.host, plain.host) || hostMatches(plain.host, s.host)));
      if (!secure) continue;
      into.set(`host-plaintext-and-tls|${podsId}|${plain.host}|${plain.port}`, {
        rule: 'host-plaintext-and-tls',
        message: `ingress gateway ${podsId} serves ${plain.host} in plaintext on port ${plain.port} (Gateway ${plain.gateway.key}) and `
          + `${secure.host} with TLS on port ${secure.port} (Gateway ${secure.gateway.key}): clients that use http:// send requests, `
          + 'cookies and tokens unencrypted',
        resources: [
          { ref: plain.gateway.ref, locations: [`spec.servers[${plain.index}]`] },
          { ref: secure.gateway.ref, locations: [`spec.servers[${secure.index}]`] },
        ],
        count: 1,
      });
    }
  }
}

/** Every ingress and JWT finding, keyed so that the same problem is reported once. */
export function ingressFindings(model: MeshModel): Map<string, IngressFinding> {
  const found = new Map<string, IngressFinding>();
  deniedRoutes(model, found);
  unrequiredJwt(model, found);
  credentialNamespaces(model, found);
  plaintextAndTls(model, found);
  return found;
}
