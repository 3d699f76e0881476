// Who can weaken the mesh's security: Kubernetes RBAC, as the API server's RBAC authorizer decides
// it, read from the input's Roles, ClusterRoles, RoleBindings and ClusterRoleBindings. For every
// binding the model asks the requests that matter (write a PeerAuthentication, AuthorizationPolicy,
// RequestAuthentication, DestinationRule, Sidecar or EnvoyFilter in a namespace; update or patch a
// Namespace, whose labels decide sidecar injection; read istiod's CA Secret, or run a pod beside it)
// and lists which subjects may make them, through which binding and role.
//
// What it cannot see is said in `notes`: roles and bindings not in the input (the cluster's defaults
// are assumed where a binding names one: cluster-admin, admin, edit, view), group membership (the
// authenticator decides it), `system:masters` (never checked by RBAC), other authorizers (Node,
// webhooks such as cloud IAM), impersonation, and rights a subject could grant itself.

import { matchesSelector } from './labels';
import { Inventory } from './inventory';
import { RbacRule, RbacSubject, RoleBindingInfo, RoleInfo } from './resources';
import { ResourceRef } from './types';

/** What a grant lets a subject change or read. */
export type AccessTarget =
  | 'PeerAuthentication' | 'AuthorizationPolicy' | 'RequestAuthentication' | 'DestinationRule' | 'Sidecar' | 'EnvoyFilter'
  | 'Namespace' | 'CA Secret';

/**
 * `admin`: may do anything cluster-wide (a ClusterRoleBinding to a `*` rule, or `system:masters`);
 * `system`: Kubernetes' own components (`system:` users and groups, kube-system service accounts);
 * `control-plane`: service accounts of istiod's namespace; `other`: everyone else.
 */
export type SubjectClass = 'admin' | 'system' | 'control-plane' | 'other';

/** A rule of a role, as found (the role may be one an aggregated ClusterRole collects). */
export interface RuleSource {
  readonly role: RoleInfo;
  readonly index: number;
}

/** One subject's right over one target, through one binding. */
export interface AccessGrant {
  /** The namespace it applies in; `*` for every namespace (a ClusterRoleBinding). */
  readonly namespace: string;
  readonly target: AccessTarget;
  /** `Group photo-sre`, `User alice`, `ServiceAccount ci/deployer`. */
  readonly subject: string;
  readonly subjectClass: SubjectClass;
  /**
   * Requests it may make: write verbs on a kind or the Namespace; `get`, `list`, `watch` on the CA
   * Secret, or `create pods` (and other workloads, `pods/exec`), which reach it by mounting it.
   */
  readonly verbs: readonly string[];
  /** Only objects of these names (resourceNames); undefined: any. */
  readonly names?: readonly string[];
  /** `ClusterRoleBinding x -> ClusterRole edit (aggregates ClusterRole istio-edit)`. */
  readonly via: string;
  /** Whether a granting rule uses `*` verbs, or `*` resources (of all resources, or one subresource of all). */
  readonly wildcard: boolean;
  readonly binding: RoleBindingInfo;
  readonly sources: readonly RuleSource[];
}

/** The mesh-security kinds and their RBAC resources. */
const MESH_KINDS: ReadonlyArray<{ readonly target: AccessTarget; readonly group: string; readonly resource: string }> = [
  { target: 'PeerAuthentication', group: 'security.istio.io', resource: 'peerauthentications' },
  { target: 'AuthorizationPolicy', group: 'security.istio.io', resource: 'authorizationpolicies' },
  { target: 'RequestAuthentication', group: 'security.istio.io', resource: 'requestauthentications' },
  { target: 'DestinationRule', group: 'networking.istio.io', resource: 'destinationrules' },
  { target: 'Sidecar', group: 'networking.istio.io', resource: 'sidecars' },
  { target: 'EnvoyFilter', group: 'networking.istio.io', resource: 'envoyfilters' },
];

export const MESH_SECURITY_TARGETS: readonly AccessTarget[] = MESH_KINDS.map((k) => k.target);

/** Verbs that change objects. */
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** istiod's CA Secrets: the plug-in CA, and the self-signed one (istio security/pkg/pki/ca/ca.go CACertsSecret, CASecret). */
export const CA_SECRETS = ['cacerts', 'istio-ca-secret'];

/** One request the model asks about: `label` is how the grant lists it. */
interface Probe {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly label: string;
  /** Whether the request names its object (create and deletecollection do not, so resourceNames never match them). */
  readonly named: boolean;
}

const writeProbes = (group: string, resource: string): Probe[] =>
  WRITE_VERBS.map((verb) => ({ verb, group, resource, label: verb, named: verb !== 'create' && verb !== 'deletecollection' }));

// A list or watch names its object when it selects metadata.name, so resourceNames apply to them too
// (k8s.io/apiserver pkg/endpoints/request/requestinfo.go RequestInfoFactory.NewRequestInfo).
const CA_PROBES: readonly Probe[] = [
  ...['get', 'list', 'watch'].map((verb) => ({ verb, group: '', resource: 'secrets', label: verb, named: true })),
  // Whoever can run a pod in a namespace can mount its Secrets (Kubernetes RBAC good practices).
  ...[['', 'pods'], ['', 'pods/exec'], ['', 'replicationcontrollers'], ['apps', 'deployments'], ['apps', 'statefulsets'],
    ['apps', 'daemonsets'], ['apps', 'replicasets'], ['batch', 'jobs'], ['batch', 'cronjobs']]
    .map(([group, resource]) => ({ verb: 'create', group, resource, label: `create ${resource}`, named: false })),
];

// PATCH /api/v1/namespaces/<n> is a request in namespace <n> for object <n>
// (k8s.io/apiserver pkg/endpoints/request/requestinfo.go RequestInfoFactory.NewRequestInfo), so a
// RoleBinding in <n> whose role grants `namespaces` can change the Namespace <n> itself.
const NAMESPACE_PROBES: readonly Probe[] = ['update', 'patch'].map((verb) => ({ verb, group: '', resource: 'namespaces', label: verb, named: true }));

// kubernetes pkg/apis/rbac/v1/evaluation_helpers.go VerbMatches, APIGroupMatches, ResourceMatches:
// `*` matches all; a resource `*/<sub>` matches that subresource of every resource; `pods/*` is no wildcard.
function verbMatches(rule: RbacRule, verb: string): boolean {
  return rule.verbs.includes('*') || rule.verbs.includes(verb);
}

function groupMatches(rule: RbacRule, group: string): boolean {
  return rule.apiGroups.includes('*') || rule.apiGroups.includes(group);
}

function resourceMatches(rule: RbacRule, resource: string): boolean {
  const slash = resource.indexOf('/');
  const sub = slash >= 0 ? resource.slice(slash + 1) : '';
  return rule.resources.some((r) => r === '*' || r === resource || (sub !== '' && r === `*/${sub}`));
}

/**
 * Whether `rule` allows the probe, and for which object names (undefined: every object). Follows
 * kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows (and ResourceNameMatches: a rule
 * with resourceNames matches only requests that name one of them).
 */
function allows(rule: RbacRule, probe: Probe): { names?: readonly string[] } | undefined {
  if (!verbMatches(rule, probe.verb) || !groupMatches(rule, probe.group) || !resourceMatches(rule, probe.resource)) return undefined;
  if (rule.resourceNames.length === 0) return {};
  return probe.named ? { names: rule.resourceNames } : undefined;
}

// A rule with `*` verbs, or `*` resources or a subresource of every resource (`*/exec`).
export function isWildcard(rule: RbacRule): boolean {
  return rule.verbs.includes('*') || rule.resources.some((r) => r === '*' || r.startsWith('*/'));
}

const AGGREGATE = (role: string) => ({ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' } });
const BUILT_IN_REF = (name: string): ResourceRef => ({ kind: 'ClusterRole', namespace: '', name });
const ALL = ['*'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ = ['get', 'list', 'watch'];
const rule = (apiGroups: string[], resources: string[], verbs: string[]): RbacRule => ({ apiGroups, resources, verbs, resourceNames: [] });

/**
 * The cluster's default ClusterRoles, as far as they matter here, assumed when a binding names one
 * the input lacks: kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go ClusterRoles
 * (cluster-admin; admin, edit and view are aggregated; system:aggregate-to-edit's Secrets, pods and
 * workload rules; view adds nothing the model asks about).
 */
const BUILT_IN: readonly RoleInfo[] = [
  { name: 'cluster-admin', labels: {}, rules: [rule(ALL, ALL, ALL)] },
  { name: 'admin', labels: {}, rules: [], aggregationSelectors: [AGGREGATE('admin')] },
  { name: 'edit', labels: AGGREGATE('admin').matchLabels, rules: [], aggregationSelectors: [AGGREGATE('edit')] },
  { name: 'view', labels: AGGREGATE('edit').matchLabels, rules: [], aggregationSelectors: [AGGREGATE('view')] },
  {
    name: 'system:aggregate-to-edit',
    labels: AGGREGATE('edit').matchLabels,
    rules: [
      rule([''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets'], READ),
      rule([''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward'], WRITE),
      rule([''], ['replicationcontrollers', 'serviceaccounts', 'services', 'endpoints', 'persistentvolumeclaims', 'configmaps', 'secrets'], WRITE),
      rule(['apps'], ['statefulsets', 'daemonsets', 'deployments', 'replicasets'], WRITE),
      rule(['batch'], ['jobs', 'cronjobs'], WRITE),
    ],
  },
].map((r) => ({ ...r, ref: BUILT_IN_REF(r.name), kind: 'ClusterRole' as const, namespace: '', builtIn: true }));

/** A subject as RBAC names it. */
export function subjectText(s: RbacSubject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount ${s.namespace ?? bindingNamespace}/${s.name}`;
  return `${s.kind} ${s.name}`;
}

const EVERYONE = ['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts'];

export interface RbacOptions {
  readonly rootNamespace: string;
  readonly istiodNamespace: string;
}

interface ResolvedRole {
  readonly role?: RoleInfo;
  readonly rules: readonly RuleSource[];
  /** The ClusterRoles an aggregated role collects its rules from. */
  readonly aggregates: readonly RoleInfo[];
}

/** The RBAC the input declares, and what it lets subjects do to the mesh's security. */
export class RbacAccess {
  /** Every grant, sorted by namespace (`*` first), target and subject. */
  public readonly grants: readonly AccessGrant[];
  /** What the model could not see or had to assume. */
  public readonly notes: readonly string[];
  /** Roles and bindings read from the input. */
  public readonly counts: { readonly roles: number; readonly clusterRoles: number; readonly roleBindings: number; readonly clusterRoleBindings: number };
  private readonly admins = new Set<string>();
  private readonly clusterRoles = new Map<string, RoleInfo>();
  private readonly roles = new Map<string, RoleInfo>();
  private readonly resolved = new Map<string, ResolvedRole>();
  private readonly usedBuiltIns = new Set<string>();
  private readonly missing = new Set<string>();

  public constructor(inventory: Inventory, private readonly options: RbacOptions) {
    for (const r of inventory.roles) {
      if (r.kind === 'ClusterRole') this.clusterRoles.set(r.name, r);
      else this.roles.set(`${r.namespace}/${r.name}`, r);
    }
    for (const b of BUILT_IN) if (!this.clusterRoles.has(b.name)) this.clusterRoles.set(b.name, b);
    const bindings = inventory.roleBindings;
    this.counts = {
      roles: inventory.roles.filter((r) => r.kind === 'Role').length,
      clusterRoles: inventory.roles.filter((r) => r.kind === 'ClusterRole').length,
      roleBindings: bindings.filter((b) => b.kind === 'RoleBinding').length,
      clusterRoleBindings: bindings.filter((b) => b.kind === 'ClusterRoleBinding').length,
    };
    // Admins first: a ClusterRoleBinding to a role that allows every verb on every resource.
    for (const b of bindings) {
      if (b.kind !== 'ClusterRoleBinding') continue;
      const { rules } = this.resolve(b);
      if (rules.some(({ role, index }) => isFullWildcard(role.rules[index]))) for (const s of b.subjects) this.admins.add(subjectText(s, ''));
    }
    const grants: AccessGrant[] = [];
    for (const b of bindings) grants.push(...this.grantsOf(b));
    this.grants = grants.sort(compareGrants);
    this.notes = this.buildNotes();
  }

  /** How the report classes a subject. */
  public classOf(subject: string): SubjectClass {
    const [kind, name] = [subject.slice(0, subject.indexOf(' ')), subject.slice(subject.indexOf(' ') + 1)];
    if (this.admins.has(subject) || (kind === 'Group' && name === 'system:masters')) return 'admin';
    if (kind === 'ServiceAccount') {
      const ns = name.slice(0, name.indexOf('/'));
      if (ns === 'kube-system') return 'system';
      return ns === this.options.istiodNamespace ? 'control-plane' : 'other';
    }
    if (name.startsWith('system:serviceaccount:')) {
      const [, , ns] = name.split(':');
      return ns === 'kube-system' ? 'system' : ns === this.options.istiodNamespace ? 'control-plane' : 'other';
    }
    if (name.startsWith('system:') && name !== 'system:anonymous' && !EVERYONE.includes(name) && !name.startsWith('system:serviceaccounts:')) return 'system';
    return 'other';
  }

  /** Whether a grant covers namespace `ns` (directly, or everywhere). */
  public static covers(grant: AccessGrant, ns: string): boolean {
    return grant.namespace === '*' || grant.namespace === ns;
  }

  // kubernetes pkg/registry/rbac/validation/rule.go DefaultRuleResolver.GetRoleReferenceRules: a
  // RoleBinding refers to a Role of its own namespace or a ClusterRole; a ClusterRoleBinding to a ClusterRole.
  private resolve(b: RoleBindingInfo): ResolvedRole {
    const key = `${b.kind}|${b.namespace}|${b.roleRef.kind}|${b.roleRef.name}`;
    const cached = this.resolved.get(key);
    if (cached) return cached;
    let role: RoleInfo | undefined;
    if (b.roleRef.kind === 'Role' && b.kind === 'RoleBinding') role = this.roles.get(`${b.namespace}/${b.roleRef.name}`);
    else if (b.roleRef.kind === 'ClusterRole') role = this.clusterRoles.get(b.roleRef.name);
    let result: ResolvedRole = { rules: [], aggregates: [] };
    if (!role) {
      this.missing.add(`${b.roleRef.kind} ${b.kind === 'RoleBinding' && b.roleRef.kind === 'Role' ? `${b.namespace}/` : ''}${b.roleRef.name}`);
    } else {
      const aggregates = role.aggregationSelectors ? this.aggregated(role) : [];
      const sources = role.aggregationSelectors ? aggregates : [role];
      result = { role, aggregates, rules: sources.flatMap((r) => r.rules.map((_, index) => ({ role: r, index }))) };
      for (const r of [role, ...aggregates]) if (r.builtIn) this.usedBuiltIns.add(r.name);
    }
    this.resolved.set(key, result);
    return result;
  }

  /**
   * The ClusterRoles whose rules an aggregated ClusterRole carries: those its selectors match, but
   * itself, and through aggregated ones those they collect (kubernetes
   * pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go syncClusterRole, which
   * replaces the role's own rules with theirs until nothing changes). Sorted by name, each once.
   */
  private aggregated(root: RoleInfo): RoleInfo[] {
    const found = new Map<string, RoleInfo>();
    const visit = (role: RoleInfo, seen: Set<string>) => {
      for (const candidate of this.clusterRoles.values()) {
        if (candidate.name === role.name || seen.has(candidate.name)) continue;
        if (!role.aggregationSelectors!.some((s) => matchesSelector(s, candidate.labels))) continue;
        if (candidate.aggregationSelectors) visit(candidate, new Set([...seen, candidate.name]));
        else found.set(candidate.name, candidate);
      }
    };
    visit(root, new Set([root.name]));
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private grantsOf(b: RoleBindingInfo): AccessGrant[] {
    const { role, rules, aggregates } = this.resolve(b);
    if (rules.length === 0 || b.subjects.length === 0) return [];
    const cluster = b.kind === 'ClusterRoleBinding';
    const scope = cluster ? '*' : b.namespace;
    const via = `${b.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.ref.name} -> ${role!.kind} ${role!.namespace ? `${role!.namespace}/` : ''}${role!.name}`
      + `${role!.builtIn ? ' (Kubernetes default)' : ''}${aggregates.length > 0 ? ` (aggregates ${aggregates.map((a) => a.name).join(', ')})` : ''}`;
    const found: Array<Omit<AccessGrant, 'subject' | 'subjectClass' | 'binding' | 'via'>> = [];
    for (const k of MESH_KINDS) {
      const g = evaluate(rules, writeProbes(k.group, k.resource));
      if (g) found.push({ namespace: scope, target: k.target, ...g });
    }
    // A RoleBinding reaches only its own Namespace object; a ClusterRoleBinding every one, or those named.
    const ns = evaluate(rules, NAMESPACE_PROBES, cluster ? undefined : (name) => name === b.namespace);
    if (ns && (!cluster || !ns.names)) found.push({ namespace: scope, target: 'Namespace', ...ns, names: undefined });
    else if (ns) for (const name of ns.names!) found.push({ namespace: name, target: 'Namespace', ...ns, names: undefined });
    if (cluster || b.namespace === this.options.istiodNamespace) {
      const ca = evaluate(rules, CA_PROBES, (name) => CA_SECRETS.includes(name));
      if (ca) found.push({ namespace: this.options.istiodNamespace, target: 'CA Secret', ...ca });
    }
    return b.subjects.flatMap((s) => {
      // A ServiceAccount subject of a ClusterRoleBinding must name its namespace, or it matches nobody
      // (kubernetes pkg/registry/rbac/validation/rule.go appliesToUser).
      if (s.kind === 'ServiceAccount' && cluster && !s.namespace) return [];
      if (!['User', 'Group', 'ServiceAccount'].includes(s.kind)) return [];
      const subject = subjectText(s, b.namespace);
      return found.map((f) => ({ ...f, subject, subjectClass: this.classOf(subject), binding: b, via }));
    });
  }

  private buildNotes(): string[] {
    const notes: string[] = [];
    for (const name of [...this.usedBuiltIns].sort()) {
      notes.push(`ClusterRole ${name} is not in the input: the model assumes Kubernetes' default`
        + `${name === 'cluster-admin' ? ' (every verb on every resource)' : name.startsWith('system:') ? ' (its Secrets, pods and workload rules)'
          : ` (it aggregates every ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-${name}: "true")`}; a cluster that changed it is not seen.`);
    }
    for (const name of [...this.missing].sort()) notes.push(`${name} is bound but not in the input: what it grants is not known.`);
    notes.push('Not seen: roles and bindings outside the input, who is in which group (the cluster\'s authenticator decides), '
      + 'system:masters (never checked by RBAC), other authorizers (Node, webhooks such as cloud IAM), impersonation, '
      + 'and rights a subject could grant itself (bind, escalate, creating RoleBindings).');
    return notes;
  }
}

function isFullWildcard(r: RbacRule): boolean {
  return r.verbs.includes('*') && r.apiGroups.includes('*') && r.resources.includes('*') && r.resourceNames.length === 0;
}

/**
 * The probes the rules allow, with the object names they are limited to and the rules that allow
 * them; undefined when none. A rule limited to names allows a probe only if one of them is `relevant`.
 */
function evaluate(rules: readonly RuleSource[], probes: readonly Probe[], relevant: (name: string) => boolean = () => true)
  : Pick<AccessGrant, 'verbs' | 'names' | 'wildcard' | 'sources'> | undefined {
  const verbs: string[] = [];
  const sources: RuleSource[] = [];
  let names: Set<string> | undefined = new Set();
  let wildcard = false;
  for (const probe of probes) {
    let allowed = false;
    for (const source of rules) {
      const r = source.role.rules[source.index];
      const result = allows(r, probe);
      const limited = result?.names?.filter(relevant);
      if (!result || (limited && limited.length === 0)) continue;
      allowed = true;
      if (!sources.includes(source)) sources.push(source);
      wildcard ||= isWildcard(r);
      if (!limited) names = undefined;
      else if (names) for (const n of limited) names.add(n);
    }
    if (allowed) verbs.push(probe.label);
  }
  if (verbs.length === 0) return undefined;
  return { verbs, names: names ? [...names].sort() : undefined, wildcard, sources };
}

const TARGET_ORDER: readonly AccessTarget[] = [...MESH_KINDS.map((k) => k.target), 'Namespace', 'CA Secret'];

function compareGrants(a: AccessGrant, b: AccessGrant): number {
  const ns = (g: AccessGrant) => (g.namespace === '*' ? '' : g.namespace);
  return ns(a).localeCompare(ns(b)) || TARGET_ORDER.indexOf(a.target) - TARGET_ORDER.indexOf(b.target)
    || a.subject.localeCompare(b.subject) || a.via.localeCompare(b.via);
}
