// NetworkPolicies of one direction for random platforms (test/property-model.test.ts, test/nca.test.ts):
// peers by pod, namespace (label team=t<n>) or both, every pod, an ipBlock, or none; ports by
// number, name, range or protocol; policyTypes given or left to the API server's defaulting.
import fc from 'fast-check';

export type PeerKind = 'none' | 'same-ns' | 'team' | 'first-pod' | 'first-pod-in-team' | 'every-pod' | 'ip-block' | 'no-rule';
export type PortKind = 'any' | 8080 | 'http' | 'range' | 'udp' | 53;

export interface NetRuleInput {
  readonly peer: PeerKind;
  readonly port: PortKind;
  readonly team: number;
  /** Select only the first workload (else the whole namespace). */
  readonly selectFirst: boolean;
  /** Leave policyTypes out (the API server's defaulting then decides). */
  readonly defaultTypes: boolean;
}

export const netRuleArb: fc.Arbitrary<NetRuleInput> = fc.record({
  peer: fc.constantFrom<PeerKind>('none', 'same-ns', 'team', 'first-pod', 'first-pod-in-team', 'every-pod', 'ip-block', 'no-rule'),
  port: fc.constantFrom<PortKind>('any', 8080, 'http', 'range', 'udp', 53),
  team: fc.nat(2),
  selectFirst: fc.boolean(),
  defaultTypes: fc.boolean(),
});

function netPorts(port: PortKind): any[] | undefined {
  switch (port) {
    case 'any': return undefined;
    case 'http': return [{ port: 'http' }];
    case 'range': return [{ port: 8000, endPort: 8100, protocol: 'TCP' }];
    case 'udp': return [{ port: 8080, protocol: 'UDP' }];
    default: return [{ port, protocol: 'TCP' }];
  }
}

function netPeers(peer: PeerKind, team: number): any[] | undefined {
  switch (peer) {
    case 'none': return undefined;
    case 'same-ns': return [{ podSelector: {} }];
    case 'team': return [{ namespaceSelector: { matchLabels: { team: `t${team}` } } }];
    case 'first-pod': return [{ podSelector: { matchLabels: { app: 'w-0' } } }];
    case 'first-pod-in-team': return [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: [`t${team}`] }] }, podSelector: { matchLabels: { app: 'w-0' } } }];
    case 'every-pod': return [{ namespaceSelector: {} }];
    case 'ip-block': return [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }];
    default: return undefined;
  }
}

/** A NetworkPolicy of one direction: `no-rule` isolates and allows nothing. */
export function networkPolicy(ns: string, direction: 'ingress' | 'egress', r: NetRuleInput): any {
  const rules = r.peer === 'no-rule' ? undefined : [{ ...(netPorts(r.port) ? { ports: netPorts(r.port) } : {}),
    ...(netPeers(r.peer, r.team) ? { [direction === 'ingress' ? 'from' : 'to']: netPeers(r.peer, r.team) } : {}) }];
  const types = direction === 'ingress' ? ['Ingress'] : ['Egress'];
  // Defaulted policyTypes: Ingress, plus Egress when there are egress rules (so an egress policy without rules isolates ingress only).
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${direction}`, namespace: ns },
    spec: { podSelector: r.selectFirst ? { matchLabels: { app: 'w-0' } } : {}, ...(r.defaultTypes ? {} : { policyTypes: types }), ...(rules ? { [direction]: rules } : {}) },
  };
}
