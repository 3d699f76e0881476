// Raw manifests for the mesh model tests, written the way Helm or kubectl users write them
// (including configurations the library's constructs would refuse).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate, MeshModel } from '../src/model';
import { selfCallVerdict } from '../src/model/model';
import { WorkloadInfo } from '../src/model/resources';
import { decideCall, Verdict } from '../src/model/verdict';

export const ROOT = join(__dirname, '..');

export function namespace(name: string, labels: Record<string, string> = { 'istio-injection': 'enabled' }): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export interface DeploymentOptions {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly serviceAccount?: string;
  readonly ports?: Array<number | { port: number; name: string }>;
}

export function deployment(ns: string, name: string, options: DeploymentOptions = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...options.labels }, annotations: options.annotations },
        spec: {
          serviceAccountName: options.serviceAccount ?? name,
          containers: [{
            name,
            image: 'example',
            ports: (options.ports ?? []).map((p) => (typeof p === 'number' ? { containerPort: p } : { containerPort: p.port, name: p.name })),
          }],
        },
      },
    },
  };
}

export function service(ns: string, name: string, ports: Array<{ port: number; targetPort?: number | string; name?: string }>, selector = { app: name }): any {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector, ports } };
}

export function peerAuthentication(ns: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: ns }, spec };
}

export function destinationRule(ns: string, name: string, spec: any): any {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec };
}

export function authorizationPolicy(ns: string, name: string, spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec };
}

/** The outcome of the one call from `from` to `to` on Service port `port`. */
export function call(model: MeshModel, from: string, to: string, port: number): { outcome: string; reason: string; meshOutcome?: string } {
  const rows = [...model.connectionsFrom(from)].filter((c) => c.to === to && c.port === port);
  if (rows.length !== 1) throw new Error(`expected one call ${from} -> ${to}:${port}, found ${rows.length}`);
  return rows[0];
}

/** One call decided on its own, with no grouping and no memo: the reference for the model's shortcuts. */
export function decideOneCall(model: MeshModel, w: WorkloadInfo, e: MeshModel['endpoints'][number]): Verdict {
  if (w === e.workload && e.service.headless) return selfCallVerdict(e.group);
  // The Sidecar resource's outbound mode is the one fact not on the workload itself.
  const registryOnly = !!(model as any).clientGroupOf.get(w).facts.registryOnly;
  const facts = {
    namespace: w.namespace, sidecar: w.sidecar, gateway: w.gateway, labels: w.podLabels, principal: w.principal, capture: w.capture, registryOnly,
    network: model.network.client(w),
  };
  return decideCall((model as any).context, facts, {
    ...e.group.facts, workload: e.workload, service: e.service, port: e.port, targetPort: e.targetPort, network: model.network.endpoint(e.workload, e.targetPort),
  });
}

/** Every call decided on its own (`decideOneCall`). */
export function decideEachCall(model: MeshModel): Map<string, { outcome: string; reason: string; meshOutcome?: string }> {
  const rows = new Map<string, { outcome: string; reason: string; meshOutcome?: string }>();
  for (const w of model.inventory.workloads) {
    for (const e of model.endpoints) {
      const v = decideOneCall(model, w, e);
      rows.set(`${w.id}|${e.workload.id}|${e.port.port}`, { outcome: v.outcome, reason: v.reason, ...(v.meshOutcome ? { meshOutcome: v.meshOutcome } : {}) });
    }
  }
  return rows;
}

/** The call groups of a model's aggregate, in an order and form that do not depend on how pairs were listed. */
function callGroupSummary(model: MeshModel): unknown[] {
  return aggregate(model).callGroups
    .map((g) => ({ outcome: g.outcome, summary: g.summary, count: g.count, clients: g.clients, endpoints: g.endpoints,
      clientNamespaces: g.clientNamespaces, serverNamespaces: g.serverNamespaces, pairs: [...g.namespacePairs].sort() }))
    .sort((a, b) => (`${a.outcome}|${a.summary}` < `${b.outcome}|${b.summary}` ? -1 : 1));
}

/**
 * Models `objects` twice, listing every (client group, endpoint group) pair and listing per
 * endpoint group with spans, and expects the same aggregate; returns the second model.
 */
export function expectSameAggregateEitherWay(objects: any[]): MeshModel {
  const all = MeshModel.of(objects);
  all.pairEnumerationLimit = Infinity;
  const split = MeshModel.of(objects);
  split.pairEnumerationLimit = 0;
  expect(callGroupSummary(split)).toEqual(callGroupSummary(all));
  expect([...aggregate(split).namespaceMatrix].sort()).toEqual([...aggregate(all).namespaceMatrix].sort());
  return split;
}

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(full) : entry.name.endsWith('.ts') ? statSync(full).mtimeMs : 0);
  }
  return t;
}

/**
 * Makes sure lib/ (the compiled library the CLI and the cdk8s plugin run) is not older than src/:
 * `npm test` builds first; a bare `npx jest` may not have. One jest worker builds at a time.
 */
export function ensureBuilt(): void {
  const marker = join(ROOT, 'lib', 'src', 'validation-plugin.js');
  const fresh = () => existsSync(marker) && statSync(marker).mtimeMs >= newest(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(ROOT, 'lib.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} stays locked`);
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 500)']);
    }
  }
  try {
    if (!fresh()) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
}
