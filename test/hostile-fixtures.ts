/*
 * Namespaces, workloads and callers for the hostile-input campaign: descriptors fast-check can
 * generate (constructs need a chart), made real in a case's setup, and what a human would read
 * them to ask for (a string "false" asks for false), which the intent checks compare the model to.
 */
import { Chart } from 'cdk8s';
import fc from 'fast-check';
import { IMeshNamespace, MeshNamespace, MeshWorkload, MtlsMode, SidecarInjection, StrictNamespace } from '../src';
import { boolTraps, domainTraps, hostile, junk, nameTraps, optional, validDomainName, validName } from './hostile-util';

export type NamespaceDescriptor =
  | { readonly kind: 'strict' | 'permissive' | 'mesh' | 'disabled' | 'revision' }
  | { readonly kind: 'ref'; readonly name: any; readonly options: any }
  | { readonly kind: 'lookalike'; readonly value: any }
  | { readonly kind: 'junk'; readonly value: any };

const MODES = Object.values(MtlsMode);

/** Options of MeshNamespace.fromName, hostile. */
export const referenceOptionsArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 6, arbitrary: fc.record({
      sidecarInjection: optional(fc.boolean(), boolTraps),
      clusterDomain: optional(validDomainName, domainTraps),
      trustDomain: optional(validDomainName, domainTraps),
      mtlsMode: optional(fc.constantFrom(...MODES), ['strict', 'STRICT ', 5]),
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: fc.constantFrom<any>({ sidcarInjection: true }, 'yes', null, []) },
);

export const namespaceArb: fc.Arbitrary<NamespaceDescriptor> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('strict' as const, 'permissive' as const, 'mesh' as const, 'disabled' as const, 'revision' as const).map((kind) => ({ kind })) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ref' as const), name: hostile(validName, nameTraps), options: referenceOptionsArb }) },
  {
    weight: 1, arbitrary: fc.record({
      kind: fc.constant('lookalike' as const),
      value: fc.record({
        name: hostile(validName, nameTraps), sidecarInjection: hostile(fc.boolean(), boolTraps), clusterDomain: hostile(validDomainName, domainTraps),
        trustDomain: hostile(validDomainName, domainTraps), mtlsMode: optional(fc.constantFrom(...MODES)),
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), value: junk }) },
);

/** The namespace a descriptor stands for, created in `chart` when it is a construct (id `ns-<kind>`, name the same). */
export function makeNamespace(chart: Chart, d: NamespaceDescriptor): IMeshNamespace {
  const id = `ns-${d.kind}`;
  const existing = chart.node.tryFindChild(id);
  if (existing) return existing as unknown as IMeshNamespace;
  switch (d.kind) {
    case 'strict': return new StrictNamespace(chart, id);
    case 'permissive': return new StrictNamespace(chart, id, { mtlsMode: MtlsMode.PERMISSIVE });
    case 'mesh': return new MeshNamespace(chart, id);
    case 'disabled': return new MeshNamespace(chart, id, { injection: SidecarInjection.disabled() });
    case 'revision': return new MeshNamespace(chart, id, { injection: SidecarInjection.revision('canary') });
    case 'ref': return MeshNamespace.fromName(d.name, d.options);
    case 'lookalike': return d.value;
    case 'junk': return d.value;
  }
}

/** A boolean as a human reads it: "false" is false. */
export function readBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'false' || value === 0 || value === 'no') return false;
  if (value === 'true' || value === 1 || value === 'yes') return true;
  return undefined;
}

/** What the namespace says, as a human reads it: name, whether it injects, its declared mode. */
export function namespaceIntent(d: NamespaceDescriptor): { name: string; injects: boolean; mode?: string; clusterDomain: string; trustDomain: string } {
  switch (d.kind) {
    case 'strict': return { name: 'ns-strict', injects: true, mode: 'STRICT', clusterDomain: 'cluster.local', trustDomain: 'cluster.local' };
    case 'permissive': return { name: 'ns-permissive', injects: true, mode: 'PERMISSIVE', clusterDomain: 'cluster.local', trustDomain: 'cluster.local' };
    case 'mesh': return { name: 'ns-mesh', injects: true, clusterDomain: 'cluster.local', trustDomain: 'cluster.local' };
    case 'disabled': return { name: 'ns-disabled', injects: false, clusterDomain: 'cluster.local', trustDomain: 'cluster.local' };
    case 'revision': return { name: 'ns-revision', injects: true, clusterDomain: 'cluster.local', trustDomain: 'cluster.local' };
    case 'ref': {
      const o = typeof d.options === 'object' && d.options !== null ? d.options : {};
      return {
        name: String(d.name), injects: readBoolean(o.sidecarInjection) ?? false, mode: o.mtlsMode,
        clusterDomain: o.clusterDomain ?? 'cluster.local', trustDomain: o.trustDomain ?? 'cluster.local',
      };
    }
    case 'lookalike': return {
      name: String(d.value.name), injects: readBoolean(d.value.sidecarInjection) ?? false, mode: d.value.mtlsMode,
      clusterDomain: String(d.value.clusterDomain), trustDomain: String(d.value.trustDomain),
    };
    case 'junk': return { name: '?', injects: false, clusterDomain: '?', trustDomain: '?' };
  }
}

/** A caller workload with a sidecar in a namespace of its own (`callers`), for intent checks. */
export function meshCaller(chart: Chart, name = 'caller', sidecar = true): MeshWorkload {
  const id = `caller-${name}`;
  return (chart.node.tryFindChild(id) as MeshWorkload | undefined)
    ?? new MeshWorkload(chart, id, { namespace: MeshNamespace.fromName('callers', { sidecarInjection: true }), name, image: 'curl:8.8.0', sidecar });
}
