// The report section "Who can change mesh security": the RBAC grants per namespace, and what the
// model cannot see. Laid out as blocks, like the rest of the report (report-doc.ts).

import { MeshModel } from './model';
import { AccessGrant } from './rbac';
import { verbText } from './rbac-findings';
import type { Block } from './report-doc';
import { num, some } from './table';

const MAX_ROWS = 200;

function namespaceText(g: AccessGrant): string {
  return g.namespace === '*' ? '* (every namespace)' : g.namespace;
}

export function rbacSection(model: MeshModel, blocks: Block[]): void {
  const rbac = model.rbac;
  const { roles, clusterRoles, roleBindings, clusterRoleBindings } = rbac.counts;
  blocks.push({ kind: 'heading', level: 2, text: 'Who can change mesh security' });
  blocks.push({
    kind: 'para',
    text: `From ${num(roles)} Roles, ${num(clusterRoles)} ClusterRoles, ${num(roleBindings)} RoleBindings and ${num(clusterRoleBindings)} ClusterRoleBindings: `
      + 'who may create, change or delete the PeerAuthentications, AuthorizationPolicies, RequestAuthentications, DestinationRules, '
      + 'Sidecars and EnvoyFilters of a namespace, change the Namespace itself (its labels decide sidecar injection), '
      + `or read istiod's CA Secret (${model.options.istiodNamespace}), directly or by running a pod beside it.`,
  });
  const grants = rbac.grants;
  if (grants.length === 0) {
    blocks.push({ kind: 'para', text: 'The input grants nobody these rights.' });
  } else {
    blocks.push({
      kind: 'table',
      rows: [['NAMESPACE', 'RESOURCE', 'SUBJECT', 'CLASS', 'VERBS', 'VIA'],
        ...grants.slice(0, MAX_ROWS).map((g) => [namespaceText(g), g.target, g.subject, g.subjectClass,
          `${verbText(g.verbs)}${g.names ? ` (only ${g.names.join(', ')})` : ''}`, g.via])],
    });
    if (grants.length > MAX_ROWS) blocks.push({ kind: 'para', text: `... and ${num(grants.length - MAX_ROWS)} more grants.` });
    const granted = new Set(grants.filter((g) => g.subjectClass === 'other').map((g) => g.namespace));
    const untouched = [...model.inventory.namespaces.keys()].filter((ns) => !granted.has(ns)).sort();
    if (!granted.has('*') && untouched.length > 0) {
      blocks.push({ kind: 'para', text: `Namespaces where the input lets only admins, Kubernetes and the control plane make these changes: ${some(untouched, 10)}.` });
    }
  }
  blocks.push({ kind: 'list', items: [...rbac.notes] });
}
