// Declared intent: what must hold in the mesh (this call succeeds, that one is refused, this
// namespace only takes mTLS, this client leaves through the egress gateway, that host is out of
// reach), checked against the model's predictions. An intent that matches no call or path is
// reported as `unmatched` and fails like a violation: a typo must not pass silently.

import { egressReaches, egressFields } from './diff';
import { EgressTarget, EgressVerdict } from './egress';
import { Endpoint, EndpointGroup, ClientGroup } from './groups';
import { MeshModel } from './model';
import { WorkloadInfo } from './resources';
import { succeeds } from './types';
import { Verdict } from './verdict';

/** Who an intent is about: every workload of a namespace, pods by labels, one workload, or an identity. */
export type PartySpec =
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'pods'; readonly namespace: string; readonly labels: { readonly [k: string]: string } }
  | { readonly kind: 'workload'; readonly id: string }
  | { readonly kind: 'identity'; readonly principal: string };

export type IntentSpec =
  | { readonly kind: 'mustAllow' | 'mustDeny'; readonly from: PartySpec; readonly to: PartySpec; readonly port?: number }
  | { readonly kind: 'mustBeMtls'; readonly target: PartySpec; readonly port?: number }
  | { readonly kind: 'mustLeaveVia'; readonly from: PartySpec; readonly host: string; readonly gateway: string; readonly port?: number }
  | { readonly kind: 'mustNotReach'; readonly from: PartySpec; readonly host: string; readonly port?: number };

export type IntentState = 'holds' | 'violated' | 'unmatched';

export interface IntentResult {
  readonly intent: IntentSpec;
  /** The intent in one line, e.g. `mustAllow workload:photo-ns/photo-frontend -> workload:photo-ns/photo-backend port 8000`. */
  readonly text: string;
  readonly state: IntentState;
  /** Calls or egress paths the intent covers. */
  readonly checked: number;
  /** Of those, how many break it. */
  readonly violations: number;
  /** The first that breaks it. */
  readonly example?: { readonly call: string; readonly expected: string; readonly predicted: string; readonly reason: string };
  /** One line for a synth failure or a report: the intent, its state, and the example. */
  readonly message: string;
}

export function partyText(p: PartySpec): string {
  switch (p.kind) {
    case 'namespace': return `namespace:${p.namespace}`;
    case 'pods': return `pods:${p.namespace}/${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(',')}`;
    case 'workload': return `workload:${p.id}`;
    case 'identity': return `identity:${p.principal}`;
  }
}

/** `namespace:NS`, `workload:NS/NAME` (or `NS/NAME`), `pods:NS/KEY=VALUE,...`, `identity:TD/ns/NS/sa/SA` (or bare `NS`: a namespace). */
export function parseParty(text: string): PartySpec {
  const colon = text.indexOf(':');
  const [kind, rest] = colon < 0 ? [text.includes('/') ? 'workload' : 'namespace', text] : [text.slice(0, colon), text.slice(colon + 1)];
  const bad = (why: string) => new Error(`intent party "${text}": ${why}; write namespace:NS, workload:NS/NAME, pods:NS/KEY=VALUE[,...] or identity:TRUST-DOMAIN/ns/NS/sa/SA`);
  switch (kind) {
    case 'namespace':
      if (!rest || rest.includes('/')) throw bad('not a namespace name');
      return { kind, namespace: rest };
    case 'workload':
      if (!/^[^/]+\/[^/]+$/.test(rest)) throw bad('a workload is NAMESPACE/NAME');
      return { kind, id: rest };
    case 'pods': {
      const slash = rest.indexOf('/');
      const labels: { [k: string]: string } = {};
      for (const pair of slash < 0 ? [] : rest.slice(slash + 1).split(',')) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw bad(`"${pair}" is not KEY=VALUE`);
        labels[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      if (slash <= 0 || Object.keys(labels).length === 0) throw bad('pods are NAMESPACE/KEY=VALUE[,KEY=VALUE...]');
      return { kind, namespace: rest.slice(0, slash), labels };
    }
    case 'identity':
      if (!/^[^/]+\/ns\/[^/]+\/sa\/[^/]+$/.test(rest)) throw bad('an identity is TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE-ACCOUNT');
      return { kind, principal: rest };
    default:
      throw bad(`"${kind}" is not a kind of party`);
  }
}

const INTENT_KINDS = ['mustAllow', 'mustDeny', 'mustBeMtls', 'mustLeaveVia', 'mustNotReach'];

/**
 * Intents in their serialisable form, as the validation plugin's `intents` property and the
 * CLI's `--intents` file hold them: `[{ mustAllow: { from, to, port } }, { mustBeMtls: { target } }, ...]`.
 */
export function parseIntents(value: unknown): IntentSpec[] {
  if (!Array.isArray(value)) throw new Error('intents: expected a list, e.g. [{ mustAllow: { from: photo-ns/photo-frontend, to: photo-ns/photo-backend, port: 8000 } }]');
  return value.map((item, i) => {
    const keys = item && typeof item === 'object' ? Object.keys(item) : [];
    if (keys.length !== 1 || !INTENT_KINDS.includes(keys[0])) throw new Error(`intents[${i}]: expected one key of ${INTENT_KINDS.join(', ')}, got ${JSON.stringify(item)}`);
    const kind = keys[0];
    const body = item[kind] ?? {};
    const need = (field: string): string => {
      if (typeof body[field] !== 'string' || body[field] === '') throw new Error(`intents[${i}].${kind}.${field}: required (a string)`);
      return body[field];
    };
    const port = body.port === undefined ? undefined : Number(body.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new Error(`intents[${i}].${kind}.port: ${JSON.stringify(body.port)} is not a port`);
    switch (kind) {
      case 'mustAllow': case 'mustDeny': return { kind, from: parseParty(need('from')), to: parseParty(need('to')), port };
      case 'mustBeMtls': return { kind, target: parseParty(need('target')), port };
      case 'mustLeaveVia': return { kind, from: parseParty(need('from')), host: need('host'), gateway: need('gateway'), port };
      default: return { kind: 'mustNotReach', from: parseParty(need('from')), host: need('host'), port };
    }
  });
}

/** The serialisable form of an intent (the inverse of `parseIntents`). */
export function intentJson(intent: IntentSpec): { [kind: string]: { [k: string]: string | number | undefined } } {
  const port: { port?: number } = intent.port === undefined ? {} : { port: intent.port };
  switch (intent.kind) {
    case 'mustAllow': case 'mustDeny': return { [intent.kind]: { from: partyText(intent.from), to: partyText(intent.to), ...port } };
    case 'mustBeMtls': return { [intent.kind]: { target: partyText(intent.target), ...port } };
    case 'mustLeaveVia': return { [intent.kind]: { from: partyText(intent.from), host: intent.host, gateway: intent.gateway, ...port } };
    case 'mustNotReach': return { [intent.kind]: { from: partyText(intent.from), host: intent.host, ...port } };
  }
}

export function intentText(intent: IntentSpec): string {
  const port = intent.port === undefined ? '' : ` port ${intent.port}`;
  switch (intent.kind) {
    case 'mustAllow': case 'mustDeny': return `${intent.kind} ${partyText(intent.from)} -> ${partyText(intent.to)}${port}`;
    case 'mustBeMtls': return `mustBeMtls ${partyText(intent.target)}${port}`;
    case 'mustLeaveVia': return `mustLeaveVia ${partyText(intent.from)} -> ${intent.host}${port} via ${intent.gateway}`;
    case 'mustNotReach': return `mustNotReach ${partyText(intent.from)} -> ${intent.host}${port}`;
  }
}

function matches(p: PartySpec, w: WorkloadInfo): boolean {
  switch (p.kind) {
    case 'namespace': return w.namespace === p.namespace;
    case 'pods': return w.namespace === p.namespace && Object.entries(p.labels).every(([k, v]) => w.podLabels[k] === v);
    case 'workload': return w.id === p.id;
    case 'identity': return w.principal === p.principal;
  }
}

interface Tally {
  checked: number;
  violations: number;
  example?: IntentResult['example'];
}

/** Calls from `from` to the Service ports of `to` (on `port`), decided per client group and endpoint group. */
function tallyCalls(model: MeshModel, from: PartySpec | undefined, to: PartySpec, port: number | undefined,
  breaks: (v: Verdict) => string | undefined): Tally {
  const clients = new Map<ClientGroup, WorkloadInfo[]>();
  for (const w of model.inventory.workloads) {
    if (from && !matches(from, w)) continue;
    const g = model.clientGroupFor(w);
    const list = clients.get(g);
    if (list) list.push(w);
    else clients.set(g, [w]);
  }
  const endpoints = new Map<EndpointGroup, Endpoint[]>();
  for (const e of model.endpoints) {
    if (!matches(to, e.workload) || (port !== undefined && e.port.port !== port)) continue;
    const list = endpoints.get(e.group);
    if (list) list.push(e);
    else endpoints.set(e.group, [e]);
  }
  const tally: Tally = { checked: 0, violations: 0 };
  for (const [cg, ws] of clients) {
    for (const [eg, es] of endpoints) {
      const v = model.verdict(cg, eg);
      tally.checked += ws.length * es.length;
      const expected = breaks(v);
      if (!expected) continue;
      tally.violations += ws.length * es.length;
      if (!tally.example) {
        tally.example = { call: `${ws[0].id} -> ${es[0].workload.id}:${es[0].port.port}`, expected, predicted: v.outcome, reason: v.reason };
      }
    }
  }
  return tally;
}

/** Egress paths from `from` to `host` (on `port`): the model's targets, or one it makes up for a host it does not know. */
function tallyEgress(model: MeshModel, from: PartySpec, host: string, port: number | undefined,
  breaks: (v: EgressVerdict, w: WorkloadInfo, t: EgressTarget) => [string, string] | undefined): Tally {
  let targets: EgressTarget[] = model.egressTargets.filter((t) => t.host === host && (port === undefined || t.port === port));
  // A host no ServiceEntry or route declares: Istio's default outboundTrafficPolicy ALLOW_ANY
  // passes it through the sidecar (PassthroughCluster), unless a Sidecar says REGISTRY_ONLY.
  if (targets.length === 0 && model.egressTargets.every((t) => t.host !== host)) {
    targets = [{ host, port: port ?? 443, protocol: (port ?? 443) === 443 ? 'TLS' : 'TCP', pods: [] }];
  }
  const tally: Tally = { checked: 0, violations: 0 };
  for (const t of targets) {
    const index = model.egressTargets.indexOf(t);
    for (const w of model.inventory.workloads) {
      if (!matches(from, w) || t.pods.includes(w)) continue;
      const v = index >= 0 ? model.egressVerdict(model.egressGroupFor(w), index) : model.egressAnalysis.decide(w, t);
      tally.checked++;
      const broken = breaks(v, w, t);
      if (!broken) continue;
      tally.violations++;
      if (!tally.example) tally.example = { call: `${w.id} -> ${t.host}:${t.port}`, expected: broken[0], predicted: broken[1], reason: v.reason };
    }
  }
  return tally;
}

function pathText(v: EgressVerdict): string {
  const f = egressFields(v);
  return Object.entries(f).map(([k, x]) => `${k} ${x === true ? 'yes' : x === false ? 'no' : x}`).join(', ');
}

function tally(model: MeshModel, intent: IntentSpec): Tally {
  switch (intent.kind) {
    case 'mustAllow':
      return tallyCalls(model, intent.from, intent.to, intent.port, (v) => (succeeds(v.outcome) ? undefined : 'to succeed (mtls or plaintext)'));
    case 'mustDeny':
      return tallyCalls(model, intent.from, intent.to, intent.port, (v) => (succeeds(v.outcome) ? 'to be refused' : undefined));
    case 'mustBeMtls':
      return tallyCalls(model, undefined, intent.target, intent.port, (v) => (v.outcome === 'plaintext' ? 'mtls, or refused' : undefined));
    case 'mustLeaveVia': {
      const gateway = intent.gateway;
      return tallyEgress(model, intent.from, intent.host, intent.port, (v, w, t) => {
        const expected = `through ${gateway} only (via egress-gateway, allowed, bypass blocked)`;
        const route = model.egressAnalysis.meshRoute(w.namespace, t.host, t.port, t.protocol);
        const ok = v.via === 'egress-gateway' && route?.destination.host === gateway && egressReaches(egressFields(v))
          && v.bypassBlocked && (v as { outcome?: string }).outcome !== 'denied' && (v as { outcome?: string }).outcome !== 'blocked';
        return ok ? undefined : [expected, `${pathText(v)}${v.via === 'egress-gateway' && route && route.destination.host !== gateway ? ` (gateway ${route.destination.host})` : ''}`];
      });
    }
    case 'mustNotReach':
      return tallyEgress(model, intent.from, intent.host, intent.port, (v) => (egressReaches(egressFields(v))
        ? ['unreachable (refused, or blocked with no bypass)', pathText(v)] : undefined));
  }
}

/** Checks each intent against the model. */
export function checkIntents(model: MeshModel, intents: readonly IntentSpec[]): IntentResult[] {
  return intents.map((intent) => {
    const t = tally(model, intent);
    const text = intentText(intent);
    const state: IntentState = t.checked === 0 ? 'unmatched' : t.violations > 0 ? 'violated' : 'holds';
    const what = intent.kind === 'mustLeaveVia' || intent.kind === 'mustNotReach' ? 'egress path' : 'call';
    const n = (k: number) => `${k} ${what}${k === 1 ? '' : 's'}`;
    let message: string;
    if (state === 'unmatched') {
      message = `${text}: matches no ${what} (no such workload, Service port or host in the input?)`;
    } else if (state === 'holds') {
      message = `${text}: holds (${n(t.checked)})`;
    } else {
      const e = t.example!;
      message = `${text}: violated by ${t.violations} of ${n(t.checked)}: ${e.call} is expected ${e.expected}, predicted ${e.predicted}: ${e.reason}`;
    }
    return { intent, text, state, checked: t.checked, violations: t.violations, example: t.example, message };
  });
}
