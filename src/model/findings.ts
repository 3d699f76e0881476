// Configurations the model knows are broken. A call that fails because its client has no sidecar
// (a legacy plaintext client refused by a STRICT server) is an expected outcome, not a finding:
// findings are what a configuration surely gets wrong.

import { CONFIG_FIXES, configFindings, sidecarAssumed } from './config-findings';
import { EgressTarget } from './egress';
import { INGRESS_FIXES, ingressFindings } from './ingress-findings';
import { MeshModel } from './model';
import { RBAC_FIXES, rbacFindings } from './rbac-findings';
import { WorkloadInfo } from './resources';
import { Finding, FindingResource, FindingRule, refText } from './types';

const FIXES: Record<FindingRule, string> = {
  ...CONFIG_FIXES as Record<FindingRule, string>,
  'istio-mutual-without-sidecar': 'Give the server a sidecar (namespace label istio-injection=enabled or pod label sidecar.istio.io/inject=true), '
    + 'or drop tls.mode from the DestinationRule so that auto mTLS sends plaintext to it.',
  'plaintext-to-strict': 'Drop tls.mode DISABLE from the DestinationRule (auto mTLS then uses mTLS), or make the server\'s PeerAuthentication PERMISSIVE.',
  'client-tls-mismatch': 'Towards a server with a sidecar use ISTIO_MUTUAL or no tls.mode; never ISTIO_MUTUAL to a port whose PeerAuthentication is DISABLE.',
  'principal-never-matches': 'Name an identity that exists in the mesh, as <trust domain>/ns/<namespace>/sa/<service account> without spiffe://, '
    + 'and give its workloads a sidecar: callers without one have no mTLS identity.',
  'egress-gateway-bypass': 'Lock the client namespace down with a NetworkPolicy that allows only the egress gateway, DNS and istiod (EgressLockdown).',
  ...RBAC_FIXES,
  'credential-name-in-sidecar-rule': 'Istio ignores credentialName for sidecars unless the DestinationRule has a workloadSelector, and then sends plaintext: '
    + 'add a workloadSelector for the pods that may read the Secret (and export the rule only to its namespace), or originate TLS at the egress gateway.',
  'port-level-without-tls': 'A port-level entry of a DestinationRule replaces the whole policy for its port, so without tls the cluster falls back to auto mTLS, '
    + 'while Istio\'s endpoint metadata still reads the rule-level tls mode: repeat the tls mode in the port-level entry.',
  'decided-by-age': 'Istio picks the oldest of these objects and the manifests do not say which is older: keep one per scope, '
    + 'or merge them; the model took Istio\'s tie-break (name).',
  ...INGRESS_FIXES,
};

const MAX_RESOURCES = 10;

interface Accumulator {
  rule: FindingRule;
  message: string;
  resources: FindingResource[];
  count: number;
}

function key(rule: FindingRule, resources: readonly FindingResource[]): string {
  return `${rule}|${resources.map((r) => refText(r.ref)).join('|')}`;
}

function callFindings(model: MeshModel, into: Map<string, Accumulator>): void {
  for (const pair of model.groupPairs()) {
    const f = pair.verdict.finding;
    if (!f) continue;
    // A server without a sidecar only because its namespace's labels were assumed is not surely broken.
    if (f.rule === 'istio-mutual-without-sidecar' && sidecarAssumed(model, pair.endpoint.members[0].workload)) continue;
    const k = key(f.rule, f.resources);
    const acc = into.get(k);
    if (acc) {
      acc.count += pair.count;
      continue;
    }
    const example = pair.endpoint.members[0];
    const call = `${pair.client.representative.id} -> ${example.workload.id}:${example.port.port}`;
    into.set(k, { rule: f.rule, message: `${call} ${pair.verdict.outcome}: ${pair.verdict.reason}`, resources: [...f.resources], count: pair.count });
  }
}

const PRINCIPAL = /^([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

function principalFindings(model: MeshModel, into: Map<string, Accumulator>): void {
  const { inventory } = model;
  const bySa = new Map<string, boolean>();
  for (const w of inventory.workloads) {
    const k = `${w.namespace}/${w.serviceAccount}`;
    // Without a sidecar only because the namespace's labels were assumed: not surely without one.
    bySa.set(k, (bySa.get(k) ?? false) || w.sidecar || sidecarAssumed(model, w));
  }
  const disabled = (ns: string) => inventory.namespaces.get(ns)?.labels['istio-injection'] === 'disabled';
  for (const policy of inventory.authorizationPolicies) {
    if (policy.action === 'AUDIT') continue;
    policy.rules.forEach((rule: any, i: number) => {
      (Array.isArray(rule?.from) ? rule.from : []).forEach((from: any, j: number) => {
        const source = from?.source ?? {};
        const check = (field: string, value: string, k: number, why: string | undefined) => {
          if (!why) return;
          const resources = [{ ref: policy.ref, locations: [`spec.rules[${i}].from[${j}].source.${field}[${k}]`] }];
          into.set(key('principal-never-matches', resources) + value, {
            rule: 'principal-never-matches',
            message: `${policy.action} AuthorizationPolicy ${policy.namespace}/${policy.ref.name}: ${field} "${value}" can never match: ${why}`,
            resources,
            count: 1,
          });
        };
        (Array.isArray(source.principals) ? source.principals : []).map(String).forEach((p: string, k: number) => {
          if (p.includes('*')) return;
          if (p.startsWith('spiffe://')) return check('principals', p, k, 'principals are written without the spiffe:// scheme');
          const m = PRINCIPAL.exec(p);
          if (!m) return;
          const [, , ns, sa] = m;
          if (disabled(ns)) return check('principals', p, k, `namespace ${ns} has istio-injection=disabled, so its pods have no sidecar and no mTLS identity`);
          if (bySa.get(`${ns}/${sa}`) === false) {
            return check('principals', p, k, `every workload running as ${ns}/${sa} is without a sidecar, so it has no mTLS identity`);
          }
        });
        (Array.isArray(source.namespaces) ? source.namespaces : []).map(String).forEach((ns: string, k: number) => {
          if (!ns.includes('*') && disabled(ns)) {
            check('namespaces', ns, k, `namespace ${ns} has istio-injection=disabled, so its callers have no mTLS identity`);
          }
        });
      });
    });
  }
}

function egressFindings(model: MeshModel, into: Map<string, Accumulator>): void {
  type Candidate = { readonly group: number; readonly position: number; readonly workload: WorkloadInfo };
  // One finding per routed target (its key names the target's host and port).
  const byTarget = new Map<EgressTarget, { acc: Accumulator; candidates: Candidate[] }>();
  for (const pair of model.egressPairs()) {
    const { target, verdict } = pair;
    const route = target.gatewayRoute;
    if (!route || verdict.bypassBlocked) continue;
    let entry = byTarget.get(target);
    if (!entry) {
      const k = `egress|${refText(route.ref)}|${target.host}:${target.port}`;
      const resources: FindingResource[] = [{ ref: route.ref, locations: [`spec (mesh route for ${target.host}:${target.port})`] }];
      entry = {
        acc: {
          rule: 'egress-gateway-bypass',
          message: `${target.host}:${target.port} goes through the egress gateway (VirtualService ${route.namespace}/${route.ref.name}), `
            + `but ${pair.example.id} can reach it directly: ${verdict.reason}`,
          resources,
          count: 0,
        },
        candidates: [],
      };
      byTarget.set(target, entry);
      into.set(k, entry.acc);
    }
    entry.acc.count += pair.count;
    // The first clients of each pair; which of them are listed is decided once all pairs are in.
    let taken = 0;
    for (const group of pair.groups()) {
      for (let position = 0; position < group.members.length && taken < MAX_RESOURCES; position++) {
        const workload = group.members[position];
        if (target.pods.includes(workload)) continue;
        entry.candidates.push({ group: group.id, position, workload });
        taken++;
      }
      if (taken >= MAX_RESOURCES) break;
    }
  }
  // The first clients in client-group order, whatever order the pairs came in.
  // A target's pairs share no client, so the candidates are distinct.
  for (const { acc, candidates } of byTarget.values()) {
    for (const c of candidates.sort((a, b) => a.group - b.group || a.position - b.position).slice(0, MAX_RESOURCES)) {
      acc.resources.push({ ref: c.workload.ref, locations: ['spec.template (no NetworkPolicy stops its direct egress)'] });
    }
  }
}

function ageFindings(model: MeshModel, into: Map<string, Accumulator>): void {
  for (const tie of model.ageTies) {
    const resources = [tie.chosen, ...tie.others].map((ref) => ({ ref, locations: ['metadata.creationTimestamp'] }));
    into.set(key('decided-by-age', resources), {
      rule: 'decided-by-age',
      message: `${tie.what}: Istio uses the oldest, and the input does not say which is older; by Istio's tie-break (name) ${refText(tie.chosen)} wins over ${tie.others.map(refText).join(', ')}`,
      resources,
      count: 1,
    });
  }
}

/** Everything the model knows is broken, most calls first. */
export function findFindings(model: MeshModel): Finding[] {
  const found = new Map<string, Accumulator>();
  callFindings(model, found);
  principalFindings(model, found);
  egressFindings(model, found);
  // A field another finding already names (a principal that can never match) is not named twice.
  const named = new Set([...found.values()].flatMap((a) => a.resources.map((r) => `${refText(r.ref)}|${r.locations.join(',')}`)));
  for (const f of configFindings(model)) {
    if (f.rule === 'identity-not-found' && f.resources.every((r) => named.has(`${refText(r.ref)}|${r.locations.join(',')}`))) continue;
    found.set(key(f.rule, f.resources) + f.message, { ...f, resources: [...f.resources] });
  }
  ageFindings(model, found);
  for (const [k, f] of ingressFindings(model)) found.set(k, { ...f, resources: [...f.resources] });
  for (const f of rbacFindings(model)) found.set(`${f.rule}|${f.message}`, { ...f, resources: [...f.resources] });
  return [...found.entries()]
    .map(([k, a]) => ({ rule: a.rule, message: a.message, fix: FIXES[a.rule], resources: a.resources, count: a.count, key: k }))
    .sort((a, b) => b.count - a.count || (a.message < b.message ? -1 : 1));
}
