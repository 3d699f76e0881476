import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../imports/security.istio.io';
import { IstioSecurityError } from './errors';
import { IstioKind } from './istio-kind';
import { IMeshNamespace } from './mesh-namespace';
import { MtlsMode } from './mtls-mode';
import { PluginCa } from './plugin-ca';
import { StrictNamespace, StrictNamespaceProps } from './strict-namespace';
import { Team } from './team';
import { boundedName } from './private/names';
import { claimObjectName, holderOf, PLUGIN_CA_KEY } from './private/registry';
import { istioRules, refusedRule, WORKLOAD_RULES } from './private/team-rbac';
import { rollback } from './private/transaction';
import { KnownKeys, assertDnsLabel, assertProps, assertRequired, assertUnique, optionalBoolean, quote } from './private/validate';

export interface TeamNamespaceProps extends StrictNamespaceProps {
  /** The team that runs its workloads here. */
  readonly team: Team;
  /**
   * Istio traffic kinds the team may create, change and delete in its namespace.
   * @default [IstioKind.VIRTUAL_SERVICE]
   */
  readonly istioTrafficKinds?: IstioKind[];
  /**
   * Mesh-security kinds the team may create, change and delete in its namespace, granted one by
   * one. Each lets the team weaken the namespace's security (a PeerAuthentication can turn mTLS off,
   * an AuthorizationPolicy can let anyone in); the team can always read them.
   * @default - none: the platform keeps mesh security
   */
  readonly meshSecurityKinds?: IstioKind[];
  /**
   * Let every workload of the namespace call every other one (AuthorizationPolicy
   * `allow-same-namespace`). Without it only calls allowed one by one get in.
   * @default true
   */
  readonly allowOwnNamespace?: boolean;
  /**
   * The namespace istiod runs in, which holds its CA Secret: no team gets a namespace there.
   * @default "istio-system"
   */
  readonly istiodNamespace?: string;
  /**
   * Istio's root namespace (meshConfig.rootNamespace), whose policies apply to the whole mesh.
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
}

/** The props a TeamNamespace reads itself; the others are the StrictNamespace's. */
const TEAM_ONLY_PROPS = {
  team: true, istioTrafficKinds: true, meshSecurityKinds: true, allowOwnNamespace: true, istiodNamespace: true, rootNamespace: true,
} as const;
const TEAM_NAMESPACE_PROPS: KnownKeys<TeamNamespaceProps> = {
  ...TEAM_ONLY_PROPS, name: true, injection: true, clusterDomain: true, trustDomain: true, labels: true, mtlsMode: true, clientTls: true, defaultDeny: true,
};

/** Namespaces of Kubernetes itself: a team gets none of them. */
const KUBERNETES_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/**
 * A team's namespace: a StrictNamespace that denies by default, and RBAC that lets the team run
 * its workloads there and nothing else (seed 001: one namespace per SRE team, to isolate access).
 *
 * The team's groups and users are bound (RoleBinding `team-<team>`) to a Role `team-<team>` that
 * manages Deployments, StatefulSets, Jobs, CronJobs, Pods, Services, ConfigMaps, Secrets,
 * ServiceAccounts and PersistentVolumeClaims, the Istio traffic kinds given, and reads the
 * mesh-security kinds without changing them unless they are granted. Nothing cluster-scoped is
 * granted (a Namespace's labels decide sidecar injection). Calls from other namespaces get in
 * only when allowed one by one (`MeshWorkload.allowFrom`, `allowPeers`).
 */
export class TeamNamespace extends Construct implements IMeshNamespace {
  public readonly team: Team;
  /** The namespace, its PeerAuthentication, DestinationRule and `allow-nothing` policy. */
  public readonly strictNamespace: StrictNamespace;
  /** The team's Role (escape hatch: rules added to it are checked at synth). */
  public readonly role: kplus.Role;
  /** The binding of the team's groups and users to `role`. */
  public readonly roleBinding: kplus.RoleBinding;
  /** The `allow-same-namespace` policy, unless `allowOwnNamespace` is false. */
  public readonly sameNamespacePolicy?: ApiObject;
  /** Istio kinds the team may change. */
  public readonly grantedKinds: IstioKind[];
  public readonly istiodNamespace: string;

  public constructor(scope: Construct, id: string, props: TeamNamespaceProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, TEAM_NAMESPACE_PROPS);
      assertRequired(this, p, ['team']);
      const name = p.name ?? id;
      this.team = checkTeam(this, p.team);
      const traffic = checkKinds(this, 'istioTrafficKinds', p.istioTrafficKinds ?? [IstioKind.VIRTUAL_SERVICE], false);
      const security = checkKinds(this, 'meshSecurityKinds', p.meshSecurityKinds ?? [], true);
      this.grantedKinds = [...traffic, ...security];
      const allowOwnNamespace = optionalBoolean(this, 'allowOwnNamespace', p.allowOwnNamespace, true);
      if (optionalBoolean(this, 'defaultDeny', p.defaultDeny, true) === false) {
        throw new IstioSecurityError(this, 'defaultDeny false would open the team\'s namespace to every workload of the mesh: a TeamNamespace always denies '
          + 'by default; allow callers one by one (allowFrom, allowPeers), or use a StrictNamespace for a namespace without a team.');
      }
      this.istiodNamespace = assertDnsLabel(this, 'istiodNamespace', p.istiodNamespace ?? 'istio-system');
      const rootNamespace = assertDnsLabel(this, 'rootNamespace', p.rootNamespace ?? 'istio-system');
      assertDnsLabel(this, 'namespace name', name);
      if (name === this.istiodNamespace || name === rootNamespace || KUBERNETES_NAMESPACES.includes(name)) {
        const why = name === this.istiodNamespace ? 'istiod and its CA Secret (cacerts) run there'
          : name === rootNamespace ? 'it is Istio\'s root namespace, whose policies apply to the whole mesh' : 'it belongs to Kubernetes itself';
        throw new IstioSecurityError(this, `namespace ${quote(name)} cannot be a team's namespace: ${why}; keep it to cluster admins and give the team a namespace of its own.`);
      }
      const objectName = boundedName(`team-${this.team.name}`);
      claimObjectName(this, 'Role', name, objectName);
      claimObjectName(this, 'RoleBinding', name, objectName);
      if (allowOwnNamespace) claimObjectName(this, 'AuthorizationPolicy', name, 'allow-same-namespace');

      // Only the StrictNamespace's own props go to it (it refuses any other key).
      const strictProps: { [key: string]: unknown } = {};
      for (const key of Object.keys(p)) if (!(key in TEAM_ONLY_PROPS)) strictProps[key] = (p as any)[key];
      this.strictNamespace = new StrictNamespace(this, 'Namespace', { ...strictProps, name, defaultDeny: true });
      this.role = new kplus.Role(this, 'Role', { metadata: { name: objectName, namespace: name } });
      for (const rule of [...WORKLOAD_RULES, ...istioRules(this.grantedKinds)]) this.role.allow([...rule.verbs], ...rule.resources);
      this.roleBinding = new kplus.RoleBinding(this, 'RoleBinding', { metadata: { name: objectName, namespace: name }, role: this.role });
      this.team.groups.forEach((group, i) => this.roleBinding.addSubjects(kplus.Group.fromName(this, `Group${i}`, group)));
      this.team.users.forEach((user, i) => this.roleBinding.addSubjects(kplus.User.fromName(this, `User${i}`, user)));
      if (allowOwnNamespace) {
        // No selector: it applies to every workload of the namespace. Source namespaces come from the
        // caller's mTLS certificate, so only callers with a sidecar match.
        this.sameNamespacePolicy = new AuthorizationPolicy(this, 'SameNamespace', {
          metadata: { name: 'allow-same-namespace', namespace: name },
          spec: { action: AuthorizationPolicySpecAction.ALLOW, rules: [{ from: [{ source: { namespaces: [name] } }] }] },
        });
      }
      this.node.addValidation({ validate: () => this.validateRole() });
    } catch (error) {
      throw rollback(this, error);
    }
  }

  public get name(): string {
    return this.strictNamespace.name;
  }

  public get sidecarInjection(): boolean {
    return this.strictNamespace.sidecarInjection;
  }

  public get clusterDomain(): string {
    return this.strictNamespace.clusterDomain;
  }

  public get trustDomain(): string {
    return this.strictNamespace.trustDomain;
  }

  public get mtlsMode(): MtlsMode | undefined {
    return this.strictNamespace.mtlsMode;
  }

  // Rules may be added to `role` after construction, and a PluginCa may name another istiod
  // namespace: both are checked once the app is complete.
  private validateRole(): string[] {
    const ca = holderOf(this, PLUGIN_CA_KEY);
    const caNamespaces = [this.istiodNamespace, ...(ca instanceof PluginCa ? [ca.istiodNamespace] : [])];
    return this.role.rules.flatMap((rule) => {
      const why = refusedRule(rule, this.name, caNamespaces);
      return why ? [`Role "${this.name}/${this.role.name}" of team "${this.team.name}": ${why}`] : [];
    });
  }
}

/** Group and user names Kubernetes keeps for itself (`system:authenticated` is every user). */
const SYSTEM_PREFIX = 'system:';

function checkTeam(scope: Construct, team: Team): Team {
  if (!(team instanceof Team)) {
    throw new IstioSecurityError(scope, `team ${quote(team)} is not a Team: use Team.of("<name>", { groups: [...] }).`);
  }
  assertDnsLabel(scope, 'team name', team.name);
  const members = team._members;
  if (!members || typeof members !== 'object') {
    throw new IstioSecurityError(scope, `team "${team.name}" members ${quote(members)} are not { groups, users }: give the team's groups or users.`);
  }
  for (const what of ['groups', 'users'] as const) {
    const list = (members as { [key: string]: unknown })[what];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new IstioSecurityError(scope, `team "${team.name}" ${what} ${quote(list)} is not a list: give a list of names.`);
    for (const member of list) {
      if (typeof member !== 'string' || member.trim() === '' || member !== member.trim() || /[\u0000-\u001f]/.test(member)) {
        throw new IstioSecurityError(scope, `team "${team.name}" ${what} entry ${quote(member)} is not a name: `
          + 'give the name the cluster\'s authenticator uses, without leading or trailing whitespace.');
      }
      if (member.startsWith(SYSTEM_PREFIX)) {
        throw new IstioSecurityError(scope, `team "${team.name}" ${what} entry ${quote(member)} is a name Kubernetes keeps for itself `
          + '(system:authenticated is every user, system:serviceaccounts every service account): give the team\'s own groups or users.');
      }
    }
    assertUnique(scope, `team "${team.name}" ${what} entry`, list);
  }
  if (team.groups.length + team.users.length === 0) {
    throw new IstioSecurityError(scope, `team "${team.name}" has no groups and no users, so nobody could run its workloads: give at least one.`);
  }
  return team;
}

function checkKinds(scope: Construct, what: string, kinds: unknown, meshSecurity: boolean): IstioKind[] {
  if (!Array.isArray(kinds)) {
    const single = kinds instanceof IstioKind ? `${kinds.kind} is not a list; a single kind goes in a list too: [IstioKind.${constantName(kinds)}]` : `${quote(kinds)} is not a list`;
    throw new IstioSecurityError(scope, `${what} ${single}: give a list of IstioKind values.`);
  }
  const known = IstioKind.all();
  for (const kind of kinds) {
    if (!known.includes(kind)) {
      const given = typeof kind === 'object' && kind !== null ? JSON.stringify(kind) : quote(kind);
      throw new IstioSecurityError(scope, `${what} entry ${given} is not an Istio kind a team can be granted: `
        + `use one of IstioKind.${known.filter((k) => k.meshSecurity === meshSecurity).map(constantName).join(', IstioKind.')}.`);
    }
    if (kind.meshSecurity !== meshSecurity) {
      throw new IstioSecurityError(scope, meshSecurity
        ? `meshSecurityKinds entry ${kind.kind} is a traffic kind: use istioTrafficKinds for it.`
        : `istioTrafficKinds entry ${kind.kind} decides mesh security: use meshSecurityKinds to grant it explicitly, knowing the team can then weaken its namespace's policy.`);
    }
  }
  assertUnique(scope, `${what} entry`, kinds.map((k: IstioKind) => k.kind));
  return [...kinds];
}

/** `PeerAuthentication` -> `PEER_AUTHENTICATION`. */
function constantName(kind: IstioKind): string {
  return kind.kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}
