// The mesh model: reads manifests, predicts every call and every egress path.

import { AuthorizationPolicies } from './authorization';
import { DestinationRules } from './destination-rules';
import { EgressAnalysis, EgressTarget, EgressVerdict } from './egress';
import { ClientGroup, Endpoint, EndpointGroup, groupClients, groupEgressClients, groupEndpoints } from './groups';
import { buildInventory, Inventory } from './inventory';
import { NetworkPolicies } from './network-policy';
import { PeerAuthentications } from './peer-authentication';
import { WorkloadInfo } from './resources';
import {
  ConnectionRow, EgressRow, K8sObject, ModelOptions, Outcome, OUTCOMES, ResolvedOptions, resolveOptions, SourcedObject, WorkloadRow,
} from './types';
import { decideCall, Verdict, VerdictContext } from './verdict';

/** A decided (client group, endpoint group) pair and how many calls it stands for. */
export interface GroupPair {
  readonly client: ClientGroup;
  readonly endpoint: EndpointGroup;
  readonly verdict: Verdict;
  readonly count: number;
}

/** A decided (egress client group, target) pair. */
export interface EgressPair {
  readonly client: ClientGroup;
  readonly target: EgressTarget;
  readonly verdict: EgressVerdict;
  /** Members of the group that take this path (those behind the host itself are left out). */
  readonly members: readonly WorkloadInfo[];
}

const CACHE_LIMIT = 100_000;

export class MeshModel {
  /** A model of plain objects (e.g. `chart.toJson()`), or of objects with the manifest they came from. */
  public static of(objects: ReadonlyArray<K8sObject | SourcedObject>, options?: ModelOptions): MeshModel {
    return new MeshModel(objects.map((o) => (isSourced(o) ? o : { object: o })), options);
  }

  public readonly options: ResolvedOptions;
  public readonly inventory: Inventory;
  public readonly clientGroups: readonly ClientGroup[];
  /** Sorted by server workload, Service and port. */
  public readonly endpoints: readonly Endpoint[];
  public readonly endpointGroups: readonly EndpointGroup[];
  public readonly egressClientGroups: readonly ClientGroup[];
  public readonly egressAnalysis: EgressAnalysis;
  private readonly context: VerdictContext;
  private readonly clientGroupOf = new Map<WorkloadInfo, ClientGroup>();
  private readonly egressGroupOf = new Map<WorkloadInfo, ClientGroup>();
  private readonly verdicts = new Map<number, Verdict>();
  private readonly egressVerdicts = new Map<number, EgressVerdict>();

  public constructor(objects: readonly SourcedObject[], options?: ModelOptions) {
    this.options = resolveOptions(options);
    this.inventory = buildInventory(objects, this.options);
    const destinationRules = new DestinationRules(this.inventory.destinationRules, this.options.rootNamespace);
    const authorization = new AuthorizationPolicies(this.inventory, this.options.rootNamespace);
    const peerAuthentications = new PeerAuthentications(this.inventory, this.options.rootNamespace);
    const networkPolicies = new NetworkPolicies(this.inventory);
    this.context = { destinationRules, authorization };
    this.clientGroups = groupClients(this.inventory.workloads, authorization, destinationRules);
    for (const g of this.clientGroups) for (const m of g.members) this.clientGroupOf.set(m, g);
    const { endpoints, groups } = groupEndpoints(this.inventory.services,
      (svc) => this.inventory.workloadIndex.select(svc.namespace, svc.selector!), peerAuthentications, authorization, destinationRules);
    this.endpoints = endpoints;
    this.endpointGroups = groups;
    this.egressAnalysis = new EgressAnalysis(this.inventory, this.options, destinationRules, networkPolicies);
    this.egressClientGroups = groupEgressClients(this.inventory.workloads, destinationRules, networkPolicies);
    for (const g of this.egressClientGroups) for (const m of g.members) this.egressGroupOf.set(m, g);
  }

  /** Notes about the input. */
  public get warnings(): readonly string[] {
    return this.inventory.warnings;
  }

  /** Every workload, sorted by id. */
  public workloads(): WorkloadRow[] {
    return this.inventory.workloads.map((w) => ({
      id: w.id, namespace: w.namespace, name: w.name, kind: w.kind, serviceAccount: w.serviceAccount,
      identity: w.identity, sidecar: w.sidecar, sidecarReason: w.sidecarReason,
    }));
  }

  /** How many connection rows there are (clients x endpoints), without listing them. */
  public connectionCount(): number {
    return this.inventory.workloads.length * this.endpoints.length;
  }

  /** The verdict for calls from `client` to `endpoint` (memoised per group pair, within a bounded cache). */
  public verdict(client: ClientGroup, endpoint: EndpointGroup): Verdict {
    const key = client.id * this.endpointGroups.length + endpoint.id;
    let v = this.verdicts.get(key);
    if (!v) {
      if (this.verdicts.size >= CACHE_LIMIT) this.verdicts.clear();
      v = decideCall(this.context, client.facts, endpoint.facts);
      this.verdicts.set(key, v);
    }
    return v;
  }

  /** Every call, one row per client workload and Service port of a server workload; generated, not stored. */
  public* connections(): IterableIterator<ConnectionRow> {
    for (const client of this.inventory.workloads) {
      const cg = this.clientGroupOf.get(client)!;
      for (const e of this.endpoints) {
        const v = this.verdict(cg, e.group);
        yield { from: client.id, to: e.workload.id, service: `${e.service.namespace}/${e.service.name}`, port: e.port.port, outcome: v.outcome, reason: v.reason };
      }
    }
  }

  /** The calls from one workload. */
  public* connectionsFrom(workloadId: string): IterableIterator<ConnectionRow> {
    const client = this.inventory.workloads.find((w) => w.id === workloadId);
    if (!client) return;
    const cg = this.clientGroupOf.get(client)!;
    for (const e of this.endpoints) {
      const v = this.verdict(cg, e.group);
      yield { from: client.id, to: e.workload.id, service: `${e.service.namespace}/${e.service.name}`, port: e.port.port, outcome: v.outcome, reason: v.reason };
    }
  }

  /** Every (client group, endpoint group) pair with its verdict and the number of calls it stands for. */
  public* groupPairs(): IterableIterator<GroupPair> {
    for (const client of this.clientGroups) {
      for (const endpoint of this.endpointGroups) {
        yield { client, endpoint, verdict: this.verdict(client, endpoint), count: client.members.length * endpoint.members.length };
      }
    }
  }

  /** Calls per outcome. */
  public outcomeCounts(): Record<Outcome, number> {
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const pair of this.groupPairs()) counts[pair.verdict.outcome] += pair.count;
    return counts;
  }

  /** The external destinations. */
  public get egressTargets(): readonly EgressTarget[] {
    return this.egressAnalysis.targets;
  }

  public egressVerdict(client: ClientGroup, targetIndex: number): EgressVerdict {
    const key = client.id * this.egressTargets.length + targetIndex;
    let v = this.egressVerdicts.get(key);
    if (!v) {
      if (this.egressVerdicts.size >= CACHE_LIMIT) this.egressVerdicts.clear();
      v = this.egressAnalysis.decide(client.representative, this.egressTargets[targetIndex]);
      this.egressVerdicts.set(key, v);
    }
    return v;
  }

  /** One row per client workload and external host:port (a workload behind the host itself is left out). */
  public* egress(): IterableIterator<EgressRow> {
    const targets = this.egressTargets;
    for (const client of this.inventory.workloads) {
      const group = this.egressGroupOf.get(client)!;
      for (let i = 0; i < targets.length; i++) {
        if (targets[i].pods.includes(client)) continue;
        const v = this.egressVerdict(group, i);
        yield { from: client.id, host: targets[i].host, port: targets[i].port, via: v.via, tls: v.tls, bypassBlocked: v.bypassBlocked, reason: v.reason };
      }
    }
  }

  /** Every (egress client group, target) pair. */
  public* egressPairs(): IterableIterator<EgressPair> {
    const targets = this.egressTargets;
    for (const client of this.egressClientGroups) {
      for (let i = 0; i < targets.length; i++) {
        const members = targets[i].pods.length > 0 ? client.members.filter((m) => !targets[i].pods.includes(m)) : client.members;
        if (members.length === 0) continue;
        yield { client, target: targets[i], verdict: this.egressVerdict(client, i), members };
      }
    }
  }

  /** Number of egress rows. */
  public egressCount(): number {
    let n = 0;
    for (const pair of this.egressPairs()) n += pair.members.length;
    return n;
  }
}

function isSourced(o: K8sObject | SourcedObject): o is SourcedObject {
  return typeof o === 'object' && o !== null && 'object' in o && !('kind' in o);
}
