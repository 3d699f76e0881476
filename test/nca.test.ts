/*
 * A second opinion on NetworkPolicies: IBM's Network Config Analyzer (`pip install
 * network-config-analyzer`, the `nca` command, offline) computes pod-to-pod connectivity from the
 * same manifests. For every call between two different workloads the model says `blocked` exactly
 * where NCA allows no TCP connection on the call's target port. Calls the model lets through only
 * by an ipBlock (pod addresses unknown; NCA takes ipBlocks as non-pod addresses) are counted apart.
 * Runs on Online Boutique (when ../shared/real-apps is there) and on random NetworkPolicy sets;
 * without `nca` it says so and skips (REQUIRE_NCA=1 makes that a failure, as in CI).
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/nca
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import fc from 'fast-check';
import { loadManifests, MeshModel } from '../src/model';
import { deployment, namespace, ROOT, service } from './model-fixtures';
import { networkPolicy, netRuleArb, NetRuleInput } from './network-policy-arbitraries';
import { SEED } from './property-util';

const NCA = process.env.NCA ?? 'nca';
const found = spawnSync(NCA, ['--version'], { encoding: 'utf8' });
const hasNca = found.status === 0;
if (!hasNca) {
  if (process.env.REQUIRE_NCA === '1') throw new Error(`REQUIRE_NCA=1 but ${NCA} does not run: pip install network-config-analyzer`);
  console.log('test/nca.test.ts: skipped: nca (pip install network-config-analyzer) is not installed');
}
const RUNS = Number(process.env.FC_RUNS ?? 15);
const BOUTIQUE = join(ROOT, '..', 'shared', 'real-apps', 'online-boutique');

interface Tally { calls: number; agree: number; byIpBlock: number; disagreements: string[] }

/** NCA's connections as `from -> to` => TCP ports it allows (undefined: every port). */
function ncaConnectivity(podsFile: string, policiesFile: string): Map<string, ((port: number) => boolean)> {
  const r = spawnSync(NCA, ['--connectivity', policiesFile, '--pod_list', podsFile, '--ns_list', podsFile,
    '--output_format', 'txt_no_fw_rules', '--output_endpoints', 'deployments'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const out = new Map<string, (port: number) => boolean>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+?)\[\w+\] => (\S+?)\[\w+\] : (.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(`${m[1]} -> ${m[2]}`, tcpPorts(m[3]));
  }
  return out;
}

/** `All connections`, or `{protocols:TCP,dst_ports:80,8000-8100},{protocols:UDP,...}`: whether TCP to a port is in it. */
function tcpPorts(text: string): (port: number) => boolean {
  if (text.startsWith('All connections')) return () => true;
  const sets = [...text.matchAll(/\{([^}]*)\}/g)].map((g) => g[1]);
  return (port) => sets.some((set) => {
    const protocols = /protocols:([A-Z, ]+?)(,dst_ports|,|$)/.exec(set)?.[1];
    if (protocols && !protocols.split(/[ ,]+/).includes('TCP')) return false;
    const ports = /dst_ports:([\d,\- ]+)/.exec(set)?.[1];
    if (!ports) return true;
    return ports.split(/[ ,]+/).filter(Boolean).some((p) => {
      const [a, b] = p.split('-').map(Number);
      return b === undefined ? port === a : port >= a && port <= b;
    });
  });
}

/** Compares the model's calls between different workloads with NCA's connectivity. */
function compare(label: string, model: MeshModel, nca: Map<string, (port: number) => boolean>, into: Tally): void {
  const targetPort = new Map(model.endpoints.map((e) => [`${e.workload.id}|${e.service.namespace}/${e.service.name}|${e.port.port}`, e.targetPort]));
  for (const row of model.connections()) {
    if (row.from === row.to) continue; // NCA reports no connection of a workload to itself
    into.calls++;
    const port = targetPort.get(`${row.to}|${row.service}|${row.port}`)!;
    const allowed = nca.get(`${row.from} -> ${row.to}`)?.(port) ?? false;
    if (row.outcome !== 'blocked' && row.reason.includes('only by an ipBlock')) {
      into.byIpBlock++;
      continue;
    }
    if (allowed === (row.outcome !== 'blocked')) into.agree++;
    else into.disagreements.push(`${label}: ${row.from} -> ${row.to}:${port}: the model says ${row.outcome}, NCA ${allowed ? 'allows' : 'blocks'} it (${row.reason})`);
  }
}

const whenNca = hasNca ? describe : describe.skip;

whenNca('NetworkPolicies: the model against IBM\'s Network Config Analyzer', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mesh-nca-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  (existsSync(BOUTIQUE) ? test : test.skip)('Online Boutique: every call between two workloads agrees', () => {
    const tally: Tally = { calls: 0, agree: 0, byIpBlock: 0, disagreements: [] };
    const model = new MeshModel(loadManifests([BOUTIQUE]), { namespaceLabels: { default: { 'istio-injection': 'enabled' } } });
    compare('boutique', model, ncaConnectivity(join(BOUTIQUE, 'kubernetes-manifests.yaml'), join(BOUTIQUE, 'network-policies.yaml')), tally);
    console.log(`test/nca.test.ts: Online Boutique: ${tally.calls} calls compared, ${tally.agree} agree, ${tally.disagreements.length} disagree`);
    expect(tally.disagreements).toEqual([]);
    expect(tally.calls).toBe(132);
  }, 120_000);

  test('random NetworkPolicy sets: every call between two workloads agrees', () => {
    interface Ns { readonly team: number; readonly workloads: number; readonly named: boolean; readonly ingress?: NetRuleInput; readonly egress?: NetRuleInput }
    const nsArb: fc.Arbitrary<Ns> = fc.record({
      team: fc.nat(2), workloads: fc.integer({ min: 1, max: 3 }), named: fc.boolean(),
      ingress: fc.option(netRuleArb, { nil: undefined, freq: 3 }), egress: fc.option(netRuleArb, { nil: undefined, freq: 3 }),
    }, { requiredKeys: ['team', 'workloads', 'named'] });
    const tally: Tally = { calls: 0, agree: 0, byIpBlock: 0, disagreements: [] };
    let platforms = 0;
    fc.assert(fc.property(fc.array(nsArb, { minLength: 1, maxLength: 3 }), (input) => {
      const workloads: any[] = [];
      const policies: any[] = [];
      input.forEach((ns, i) => {
        const name = `ns-${i}`;
        workloads.push(namespace(name, { 'istio-injection': 'enabled', 'team': `t${ns.team}` }));
        for (let w = 0; w < ns.workloads; w++) {
          workloads.push(deployment(name, `w-${w}`, { ports: [ns.named ? { port: 8080, name: 'http' } : 8080] }),
            service(name, `w-${w}`, [{ port: 80, targetPort: 8080, name: 'http' }]));
        }
        if (ns.ingress) policies.push(networkPolicy(name, 'ingress', ns.ingress));
        if (ns.egress) policies.push(networkPolicy(name, 'egress', ns.egress));
      });
      const podsFile = join(dir, `pods-${platforms}.yaml`);
      const policiesFile = join(dir, `policies-${platforms}.yaml`);
      Yaml.save(podsFile, workloads);
      // NCA wants at least one policy in the file: an empty-selector allow-all changes nothing.
      const allowAll = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'no-op', namespace: 'ns-0' },
        spec: { podSelector: { matchLabels: { none: 'x' } }, policyTypes: ['Ingress'] } };
      writeFileSync(policiesFile, Yaml.stringify(...(policies.length > 0 ? policies : [allowAll])));
      const before = tally.disagreements.length;
      compare(`platform ${platforms}`, MeshModel.of([...workloads, ...policies]), ncaConnectivity(podsFile, policiesFile), tally);
      platforms++;
      return tally.disagreements.length === before;
    }), { seed: SEED, numRuns: RUNS });
    console.log(`test/nca.test.ts: ${platforms} random platforms (seed ${SEED}), ${tally.calls} calls compared, ${tally.agree} agree, `
      + `${tally.byIpBlock} let through only by an ipBlock (not compared), ${tally.disagreements.length} disagree`);
    expect(tally.disagreements).toEqual([]);
  }, 600_000);
});
