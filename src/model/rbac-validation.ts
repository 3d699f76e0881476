// What the API server refuses in Roles, ClusterRoles and their bindings, for the fields the model
// reads (kubernetes pkg/apis/rbac/validation/validation.go ValidateRole, ValidateClusterRole,
// ValidatePolicyRule, ValidateRoleBinding, ValidateClusterRoleBinding, ValidateRoleBindingSubject).

import { isDns1123Label, quote } from './names';
import { SchemaError } from './schema';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value : [];
}

/** RBAC names are path segments (kubernetes ValidateRBACName: path.IsValidPathSegmentName), so `system:aggregate-to-edit` is one. */
export function isRbacName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

function validateRules(o: any, namespaced: boolean, out: SchemaError[]): void {
  // An aggregated ClusterRole's rules are the controller's to fill.
  if (o.kind === 'ClusterRole' && o.aggregationRule) return;
  (Array.isArray(o.rules) ? o.rules : []).forEach((rule: any, i: number) => {
    const at = `rules[${i}]`;
    if (strings(rule?.verbs).length === 0) out.push({ path: `${at}.verbs`, message: 'verbs must contain at least one value' });
    const urls = strings(rule?.nonResourceURLs);
    if (urls.length > 0) {
      if (namespaced) out.push({ path: `${at}.nonResourceURLs`, message: 'namespaced rules cannot apply to non-resource URLs' });
      if (strings(rule?.apiGroups).length > 0 || strings(rule?.resources).length > 0) {
        out.push({ path: `${at}.nonResourceURLs`, message: 'rules cannot apply to both regular resources and non-resource URLs' });
      }
      return;
    }
    if (strings(rule?.apiGroups).length === 0) out.push({ path: `${at}.apiGroups`, message: 'resource rules must supply at least one api group' });
    if (strings(rule?.resources).length === 0) out.push({ path: `${at}.resources`, message: 'resource rules must supply at least one resource' });
  });
}

function validateBinding(o: any, namespaced: boolean, out: SchemaError[]): void {
  const ref = o.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) out.push({ path: 'roleRef.apiGroup', message: `${quote(ref.apiGroup)}: supported values: "${RBAC_GROUP}"` });
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) out.push({ path: 'roleRef.kind', message: `${quote(ref.kind)}: supported values: ${kinds.map((k) => `"${k}"`).join(', ')}` });
  if (typeof ref.name !== 'string' || ref.name === '') out.push({ path: 'roleRef.name', message: 'required' });
  else if (!isRbacName(ref.name)) out.push({ path: 'roleRef.name', message: `${quote(ref.name)} may not contain '/' or '%', nor be '.' or '..'` });
  (Array.isArray(o.subjects) ? o.subjects : []).forEach((s: any, i: number) => {
    const at = `subjects[${i}]`;
    if (typeof s?.name !== 'string' || s.name === '') out.push({ path: `${at}.name`, message: 'required' });
    switch (s?.kind) {
      case 'ServiceAccount':
        if (typeof s.name === 'string' && s.name !== '' && !isDns1123Label(s.name) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.name)) {
          out.push({ path: `${at}.name`, message: `${quote(s.name)} is not a valid service account name` });
        }
        if (s.apiGroup !== undefined && s.apiGroup !== '') out.push({ path: `${at}.apiGroup`, message: `${quote(s.apiGroup)}: supported values: ""` });
        if (!namespaced && (typeof s.namespace !== 'string' || s.namespace === '')) out.push({ path: `${at}.namespace`, message: 'required' });
        break;
      case 'User': case 'Group':
        if (s.apiGroup !== RBAC_GROUP) out.push({ path: `${at}.apiGroup`, message: `${quote(s.apiGroup)}: supported values: "${RBAC_GROUP}"` });
        break;
      default:
        out.push({ path: `${at}.kind`, message: `${quote(s?.kind)}: supported values: "ServiceAccount", "User", "Group"` });
    }
  });
}

/** What the API server refuses in an RBAC object (its name is checked here, not as a DNS subdomain). */
export function validateRbacObject(o: any, out: SchemaError[]): void {
  const namespaced = o.kind === 'Role' || o.kind === 'RoleBinding';
  if (o.kind === 'Role' || o.kind === 'ClusterRole') validateRules(o, namespaced, out);
  else validateBinding(o, namespaced, out);
}
