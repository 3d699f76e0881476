import * as kplus from 'cdk8s-plus-28';
import { IstioKind } from '../istio-kind';

// The rules of a team's Role. Verbs are listed, never `*`, and every resource is namespaced: a
// Role can only grant in its own namespace, and nothing here reaches a cluster-scoped object
// (the `namespaces` resource is left out: a Role in namespace N granting it could patch N's labels).

export const READ = ['get', 'list', 'watch'];
export const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

const core = (resourceType: string) => kplus.ApiResource.custom({ apiGroup: '', resourceType });
const apps = (resourceType: string) => kplus.ApiResource.custom({ apiGroup: 'apps', resourceType });
const batch = (resourceType: string) => kplus.ApiResource.custom({ apiGroup: 'batch', resourceType });

/** One rule of the team Role: verbs on resources. */
export interface TeamRule {
  readonly verbs: readonly string[];
  readonly resources: readonly kplus.IApiResource[];
}

/** What a team needs to run its workloads in its namespace. */
export const WORKLOAD_RULES: readonly TeamRule[] = [
  { verbs: READ_WRITE, resources: [apps('deployments'), apps('statefulsets'), batch('jobs'), batch('cronjobs')] },
  { verbs: ['get', 'update', 'patch'], resources: [apps('deployments/scale'), apps('statefulsets/scale')] },
  { verbs: READ_WRITE, resources: ['pods', 'services', 'configmaps', 'secrets', 'serviceaccounts', 'persistentvolumeclaims'].map(core) },
  { verbs: READ, resources: [apps('replicasets'), core('events'), core('endpoints')] },
  { verbs: ['get'], resources: [core('pods/log')] },
];

function istio(kind: IstioKind): kplus.IApiResource {
  return kplus.ApiResource.custom({ apiGroup: kind.apiGroup, resourceType: kind.resource });
}

/**
 * The Istio rules: read and write the granted kinds, and only read the mesh-security kinds that
 * are not granted (reading a policy weakens nothing, and teams need it to see why a call is denied).
 */
export function istioRules(granted: readonly IstioKind[]): TeamRule[] {
  const readOnly = IstioKind.all().filter((k) => k.meshSecurity && !granted.includes(k));
  const rules: TeamRule[] = [];
  if (granted.length > 0) rules.push({ verbs: READ_WRITE, resources: granted.map(istio) });
  if (readOnly.length > 0) rules.push({ verbs: READ, resources: readOnly.map(istio) });
  return rules;
}

/** Why a rule of a team Role is refused, or undefined when it is fine. */
export function refusedRule(rule: kplus.RolePolicyRule, namespace: string, caNamespaces: readonly string[]): string | undefined {
  for (const resource of rule.resources) {
    const group = resource.apiGroup === 'core' ? '' : resource.apiGroup;
    const what = `${group || 'core'} ${resource.resourceType || '<all>'}`;
    if (group === '*' || !resource.resourceType || resource.resourceType === '*' || rule.verbs.includes('*')) {
      return `a rule on ${what} with verbs [${rule.verbs.join(', ')}] uses a wildcard: list the API group, resources and verbs the team needs.`;
    }
    if (group === '' && (resource.resourceType === 'namespaces' || resource.resourceType.startsWith('namespaces/'))) {
      return `a rule grants ${what}: leave namespaces out, because a Role in namespace "${namespace}" that grants them can change that `
        + 'Namespace itself (its labels turn sidecar injection off), and a team gets nothing cluster-scoped.';
    }
    if (group === '' && resource.resourceType === 'secrets' && caNamespaces.includes(namespace)) {
      return `a rule grants Secrets in "${namespace}", the namespace of istiod and its CA Secret (cacerts): keep that namespace to cluster admins.`;
    }
  }
  return undefined;
}
