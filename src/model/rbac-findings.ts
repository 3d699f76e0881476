// Findings about who may weaken the mesh: a subject other than an admin, Kubernetes itself or the
// control plane that may change a STRICT namespace's security, read istiod's CA Secret, or holds a
// wildcard rule over these kinds.

import { MeshModel } from './model';
import { AccessGrant, AccessTarget, CA_SECRETS, isWildcard, MESH_SECURITY_TARGETS, RbacAccess, RuleSource } from './rbac';
import { Finding, FindingResource, FindingRule } from './types';
import { some } from './table';

export const RBAC_FIXES: Record<Extract<FindingRule, `rbac-${string}`>, string> = {
  'rbac-weakens-strict': 'Keep the mesh-security kinds and Namespace writes to platform admins: bind teams to a Role without them '
    + '(TeamNamespace), or grant a kind on purpose and accept that the team owns that namespace\'s mTLS and authorization.',
  'rbac-reads-ca': 'Keep istiod\'s namespace to cluster admins: no Role or binding there for anyone else, and no ClusterRoleBinding '
    + 'that grants Secrets, pods or workloads everywhere (use RoleBindings in the team\'s own namespaces).',
  'rbac-wildcard': 'List the API groups, resources and verbs the subject needs instead of `*`, leaving out the mesh-security kinds, '
    + 'namespaces and Secrets of istiod\'s namespace.',
};

type RbacFinding = Omit<Finding, 'fix'>;

// Objects in the root namespace that apply to every namespace: AuthorizationPolicy, RequestAuthentication and
// EnvoyFilter; DestinationRules, every client's last lookup (pilot/pkg/model/push_context.go destinationRule);
// a Sidecar, the default of namespaces without their own (pilot/pkg/model/push_context.go getSidecarScope);
// a root PeerAuthentication only where no namespace-wide policy sets a mode.
const MESH_WIDE: readonly AccessTarget[] = ['AuthorizationPolicy', 'RequestAuthentication', 'EnvoyFilter', 'DestinationRule', 'Sidecar'];

function bindingResources(grant: AccessGrant, sources: readonly RuleSource[]): FindingResource[] {
  const byRole = new Map<string, FindingResource & { locations: string[] }>();
  for (const { role, index } of sources) {
    if (role.builtIn) continue;
    const key = `${role.kind}/${role.namespace}/${role.name}`;
    const entry = byRole.get(key) ?? { ref: role.ref, locations: [] };
    if (!entry.locations.includes(`rules[${index}]`)) entry.locations.push(`rules[${index}]`);
    byRole.set(key, entry);
  }
  return [{ ref: grant.binding.ref, locations: ['subjects', 'roleRef'] }, ...byRole.values()];
}

function describe(grants: readonly AccessGrant[]): string {
  return grants.map((g) => `${g.target}${g.namespace === '*' ? ' (every namespace)' : ''} ${verbText(g.verbs)}${g.names ? ` (only ${g.names.join(', ')})` : ''}`).join('; ');
}

/** Verbs, the CA Secret's indirect ones (`create pods`, ...) summed up. */
export function verbText(verbs: readonly string[]): string {
  const direct = verbs.filter((v) => !v.includes(' '));
  const indirect = verbs.filter((v) => v.includes(' ')).map((v) => v.slice(v.indexOf(' ') + 1));
  return [...direct, ...(indirect.length > 0 ? [`create ${some(indirect, 3)}`] : [])].join(', ');
}

/** Grants of one subject through one binding, in order of first appearance. */
function bySubjectAndBinding(grants: Iterable<AccessGrant>): AccessGrant[][] {
  const groups = new Map<string, AccessGrant[]>();
  for (const g of grants) {
    const key = `${g.subject}|${g.via}`;
    groups.set(key, [...groups.get(key) ?? [], g]);
  }
  return [...groups.values()];
}

function weakensStrict(model: MeshModel, rbac: RbacAccess): RbacFinding[] {
  const { rootNamespace } = model.options;
  const names = new Set([...model.inventory.namespaces.keys(), ...model.inventory.workloads.map((w) => w.namespace)]);
  const strict = [...names].sort().map((ns) => ({ ns, mode: model.peerAuthentications.namespaceMode(ns) })).filter((n) => n.mode.mode === 'STRICT');
  if (strict.length === 0) return [];
  const candidates = rbac.grants.filter((g) => g.subjectClass === 'other' && g.target !== 'CA Secret');
  const affected = new Map<AccessGrant, string[]>();
  for (const { ns, mode } of strict) {
    for (const g of candidates) {
      const here = RbacAccess.covers(g, ns) && (MESH_SECURITY_TARGETS.includes(g.target) || g.target === 'Namespace');
      const meshWide = g.namespace === rootNamespace && ns !== rootNamespace
        && (MESH_WIDE.includes(g.target) || (g.target === 'PeerAuthentication' && mode.scope === 'mesh'));
      if (here || meshWide) affected.set(g, [...affected.get(g) ?? [], ns]);
    }
  }
  return bySubjectAndBinding(affected.keys()).map((grants) => {
    const namespaces = [...new Set(grants.flatMap((g) => affected.get(g)!))].sort();
    return {
      rule: 'rbac-weakens-strict' as const,
      message: `${grants[0].subject} can weaken STRICT namespace${namespaces.length > 1 ? 's' : ''} ${some(namespaces, 5)}: ${describe(grants)} (${grants[0].via})`,
      resources: bindingResources(grants[0], grants.flatMap((g) => g.sources)),
      count: namespaces.length,
    };
  });
}

function readsCa(model: MeshModel, rbac: RbacAccess): RbacFinding[] {
  const grants = rbac.grants.filter((g) => g.target === 'CA Secret' && g.subjectClass === 'other');
  return bySubjectAndBinding(grants).map(([g]) => ({
    rule: 'rbac-reads-ca' as const,
    message: `${g.subject} can read istiod's CA Secret ${model.options.istiodNamespace}/${(g.names ?? CA_SECRETS).join(' and ')}, `
      + `and with its key issue any identity of the mesh: ${verbText(g.verbs)} (${g.via})`,
    resources: bindingResources(g, g.sources),
    count: 1,
  }));
}

function wildcards(rbac: RbacAccess): RbacFinding[] {
  const bySource = new Map<string, { source: RuleSource; grants: AccessGrant[] }>();
  for (const g of rbac.grants) {
    if (g.subjectClass !== 'other' || !g.wildcard) continue;
    for (const source of g.sources) {
      if (!isWildcard(source.role.rules[source.index])) continue;
      const key = `${source.role.kind}/${source.role.namespace}/${source.role.name}#${source.index}`;
      const entry = bySource.get(key) ?? { source, grants: [] };
      if (!entry.grants.includes(g)) entry.grants.push(g);
      bySource.set(key, entry);
    }
  }
  return [...bySource.values()].map(({ source: { role, index }, grants }) => {
    const r = role.rules[index];
    const where = `${role.kind} ${role.namespace ? `${role.namespace}/` : ''}${role.name}`;
    const targets = [...new Set(grants.map((g) => g.target))];
    const subjects = [...new Set(grants.map((g) => g.subject))];
    const bindings = [...new Map(grants.map((g) => [g.binding, g.binding])).values()];
    return {
      rule: 'rbac-wildcard' as const,
      message: `rule ${index} of ${where} (verbs [${r.verbs.join(', ')}], resources [${r.resources.join(', ')}]) covers ${targets.join(', ')}, `
        + `and is bound to ${some(subjects, 3)}`,
      resources: [
        ...(role.builtIn ? [] : [{ ref: role.ref, locations: [`rules[${index}]`] }]),
        ...bindings.slice(0, 9).map((b) => ({ ref: b.ref, locations: ['subjects', 'roleRef'] })),
      ],
      count: grants.length,
    };
  });
}

/** The RBAC findings of the model. */
export function rbacFindings(model: MeshModel): RbacFinding[] {
  const rbac = model.rbac;
  if (rbac.grants.length === 0) return [];
  return [...weakensStrict(model, rbac), ...readsCa(model, rbac), ...wildcards(rbac)];
}
