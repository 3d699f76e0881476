// Reads Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io/v1)
// into the model's resources. Kubernetes' meaning of them is in rbac.ts.

import { labelMap, LabelSelector } from './labels';
import { RbacRule, RbacSubject, RoleBindingInfo, RoleInfo } from './resources';
import { K8sObject, ResourceRef } from './types';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
}

function rule(r: any): RbacRule {
  return { apiGroups: strings(r?.apiGroups), resources: strings(r?.resources), verbs: strings(r?.verbs), resourceNames: strings(r?.resourceNames) };
}

export function parseRole(o: K8sObject, ref: ResourceRef): RoleInfo {
  const selectors = o.kind === 'ClusterRole' && Array.isArray(o.aggregationRule?.clusterRoleSelectors)
    ? o.aggregationRule.clusterRoleSelectors.filter((s: unknown) => s && typeof s === 'object') as LabelSelector[] : undefined;
  return {
    ref,
    kind: o.kind === 'ClusterRole' ? 'ClusterRole' : 'Role',
    namespace: ref.namespace,
    name: ref.name,
    labels: labelMap(o.metadata?.labels),
    rules: (Array.isArray(o.rules) ? o.rules : []).map(rule),
    aggregationSelectors: selectors,
  };
}

export function parseRoleBinding(o: K8sObject, ref: ResourceRef): RoleBindingInfo {
  const subjects: RbacSubject[] = (Array.isArray(o.subjects) ? o.subjects : [])
    .filter((s: any) => s && typeof s.kind === 'string' && typeof s.name === 'string')
    .map((s: any) => ({ kind: s.kind, name: s.name, namespace: typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : undefined }));
  return {
    ref,
    kind: o.kind === 'ClusterRoleBinding' ? 'ClusterRoleBinding' : 'RoleBinding',
    namespace: ref.namespace,
    roleRef: { kind: String(o.roleRef?.kind ?? ''), name: String(o.roleRef?.name ?? '') },
    subjects,
  };
}
