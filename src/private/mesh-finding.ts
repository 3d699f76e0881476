import { Finding, refText } from '../model/types';
// Type-only: report.ts imports this file at run time.
import type { MeshFinding } from '../report';

/** A model finding as the jsii API shows it. */
export function toMeshFinding(f: Finding): MeshFinding {
  return {
    rule: f.rule, message: f.message, fix: f.fix, count: f.count,
    resources: f.resources.map((r) => `${refText(r.ref)} (${r.locations.join(', ')})`),
  };
}
