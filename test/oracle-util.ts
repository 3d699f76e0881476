/*
 * The mesh oracle (oracle/, built by .ci/install-oracle.sh): Istio's own control plane run on
 * manifests. These helpers find the binary, run it on many platforms in one process, and join its
 * rows with the model's.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MeshModel } from '../src/model';
import { EgressRow } from '../src/model/types';

const ROOT = join(__dirname, '..');

/** The cache key .ci/install-oracle.sh uses: sha256 of `sha256sum` lines of the sources, cut to 16. */
export function oracleKey(): string {
  const files = readdirSync(join(ROOT, 'oracle'))
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .map((f) => `oracle/${f}`)
    .sort();
  const lines = files.map((f) => `${createHash('sha256').update(readFileSync(join(ROOT, f))).digest('hex')}  ${f}\n`).join('');
  return createHash('sha256').update(lines).digest('hex').slice(0, 16);
}

/** `$MESH_ORACLE`, or the binary the install script cached for the current sources. */
export function oracleBinary(): string | undefined {
  if (process.env.MESH_ORACLE) return existsSync(process.env.MESH_ORACLE) ? process.env.MESH_ORACLE : undefined;
  const cacheRoot = process.env.ORACLE_CACHE_DIR ?? join(homedir(), '.cache', 'cdk8s-istio-security');
  const bin = join(cacheRoot, `oracle-${oracleKey()}`, 'oracle');
  return existsSync(bin) ? bin : undefined;
}

export interface OracleRow {
  readonly from: string;
  readonly to: string;
  readonly service: string;
  readonly port: number;
  readonly outcome: string;
  readonly reason: string;
  readonly possible?: string[];
}

/** One egress path as the oracle finds it (oracle/egress.go EgressRow). */
export interface OracleEgressRow {
  readonly from: string;
  readonly host: string;
  readonly port: number;
  /** allowed, denied, blocked, failed, or undecidable (then `possible`). */
  readonly outcome: string;
  readonly via?: string;
  readonly tls?: string;
  readonly reason: string;
  readonly possible?: string[];
}

export interface OracleResult {
  readonly id: string;
  readonly connections: OracleRow[];
  readonly egress: OracleEgressRow[];
  readonly notApplied: string[];
  readonly error?: string;
}

export interface Platform {
  readonly id: string;
  readonly objects: any[];
}

/** Runs the oracle once on all platforms (JSON lines in, JSON lines out). */
export function runOracle(bin: string, platforms: readonly Platform[]): OracleResult[] {
  const input = platforms.map((p) => JSON.stringify({ id: p.id, objects: p.objects })).join('\n') + '\n';
  const result = spawnSync(bin, ['--batch'], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`oracle exited with ${result.status}: ${result.stderr}`);
  const out = result.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as OracleResult);
  if (out.length !== platforms.length) throw new Error(`oracle answered ${out.length} of ${platforms.length} platforms: ${result.stderr}`);
  return out;
}

export interface Comparison {
  compared: number;
  undecidable: Array<{ platform: string; row: OracleRow; model: string }>;
  egressCompared: number;
  egressUndecidable: Array<{ platform: string; row: OracleEgressRow; model: string }>;
  disagreements: string[];
}

export function newComparison(): Comparison {
  return { compared: 0, undecidable: [], egressCompared: 0, egressUndecidable: [], disagreements: [] };
}

const key = (r: { from: string; to: string; service: string; port: number }) => `${r.from} -> ${r.to} (${r.service}:${r.port})`;

/**
 * Joins the model's rows with the oracle's on (from, to, service, port). The model's outcome is
 * `meshOutcome ?? outcome` (what the mesh does if the network lets the call through: Istio does
 * not see NetworkPolicies). An undecidable oracle row agrees when the model's outcome is one the
 * oracle allows.
 */
export function compareRows(platform: string, objects: any[], oracle: OracleResult, into: Comparison): void {
  if (oracle.error) {
    into.disagreements.push(`${platform}: the oracle failed: ${oracle.error}`);
    return;
  }
  const model = MeshModel.of(objects);
  const oracleRows = new Map(oracle.connections.map((r) => [key(r), r]));
  const seen = new Set<string>();
  for (const row of model.connections()) {
    const k = key(row);
    seen.add(k);
    into.compared++;
    const outcome = (row as any).meshOutcome ?? row.outcome;
    const o = oracleRows.get(k);
    if (!o) {
      into.disagreements.push(`${platform}: ${k}: the model says ${outcome}, the oracle has no such call`);
    } else if (o.outcome === 'undecidable') {
      into.undecidable.push({ platform, row: o, model: outcome });
      if (!(o.possible ?? []).includes(outcome)) {
        into.disagreements.push(`${platform}: ${k}: the model says ${outcome} (${row.reason}); the oracle allows only ${o.possible?.join('/')} (${o.reason})`);
      }
    } else if (o.outcome !== outcome) {
      into.disagreements.push(`${platform}: ${k}: the model says ${outcome} (${row.reason}); Istio: ${o.outcome} (${o.reason})`);
    }
  }
  for (const [k, o] of oracleRows) {
    if (!seen.has(k)) into.disagreements.push(`${platform}: ${k}: the oracle says ${o.outcome} (${o.reason}), the model has no such call`);
  }
  compareEgress(platform, model, oracle, into);
}

const egressKey = (r: { from: string; host: string; port: number }) => `${r.from} -> ${r.host}:${r.port} (egress)`;

/**
 * What the mesh does with an egress row, without the network: a row NetworkPolicy blocks (the
 * direct path, or the way to the gateway pods) would otherwise be allowed, unless the sidecar
 * itself drops it (REGISTRY_ONLY) or the gateway refuses it. Istio's control plane sees no
 * NetworkPolicies, so this is what the oracle's outcome is compared with.
 */
function meshEgressOutcome(row: EgressRow): string {
  if (row.outcome !== 'blocked' || row.reason.includes('REGISTRY_ONLY')) return row.outcome;
  return 'allowed';
}

/**
 * Joins the model's egress rows with the oracle's on (from, host, port) and compares the outcome
 * (as the mesh decides it, see meshEgressOutcome) and, where the traffic gets out or is refused
 * at the gateway, `via` and `tls` (a blocked or failed path has no TLS to the host). An undecidable oracle row agrees when the model's outcome is
 * one the oracle allows.
 */
function compareEgress(platform: string, model: MeshModel, oracle: OracleResult, into: Comparison): void {
  const oracleRows = new Map(oracle.egress.map((r) => [egressKey(r), r]));
  const seen = new Set<string>();
  for (const row of model.egress()) {
    const k = egressKey(row);
    seen.add(k);
    into.egressCompared++;
    const outcome = meshEgressOutcome(row);
    const o = oracleRows.get(k);
    const model = `${outcome} via ${row.via}, tls ${row.tls}`;
    if (!o) {
      into.disagreements.push(`${platform}: ${k}: the model says ${model}, the oracle has no such path`);
    } else if (o.outcome === 'undecidable') {
      into.egressUndecidable.push({ platform, row: o, model: outcome });
      if (!(o.possible ?? []).includes(outcome)) {
        into.disagreements.push(`${platform}: ${k}: the model says ${model} (${row.reason}); the oracle allows only ${o.possible?.join('/')} (${o.reason})`);
      }
    } else if (o.outcome !== outcome || ((outcome === 'allowed' || outcome === 'denied') && (o.via !== row.via || o.tls !== row.tls))) {
      into.disagreements.push(`${platform}: ${k}: the model says ${model} (${row.reason}); Istio: ${o.outcome} via ${o.via}, tls ${o.tls} (${o.reason})`);
    }
  }
  for (const [k, o] of oracleRows) {
    if (!seen.has(k)) into.disagreements.push(`${platform}: ${k}: the oracle says ${o.outcome} via ${o.via}, tls ${o.tls} (${o.reason}), the model has no such path`);
  }
}
