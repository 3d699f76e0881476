/** Who is in a team, as the cluster's authenticator names them. */
export interface TeamMembers {
  /**
   * Groups, e.g. from an OIDC `groups` claim or a client certificate's organisation.
   * @default - none
   */
  readonly groups?: string[];
  /**
   * Users, e.g. `alice@example.com`.
   * @default - none
   */
  readonly users?: string[];
}

/**
 * A team of people who run workloads: its name (used in object names and labels) and its
 * members, as RoleBinding subjects. The constructs that use a team check it (`TeamNamespace`).
 */
export class Team {
  /** The team `name` with `members`. Give at least one group or user. */
  public static of(name: string, members: TeamMembers): Team {
    return new Team(name, members);
  }

  /** The team's name, a DNS-1123 label, e.g. `photo-sre`. */
  public readonly name: string;
  /** Its groups. */
  public readonly groups: string[];
  /** Its users. */
  public readonly users: string[];
  /** @internal The members as given, for the boundary checks. */
  public readonly _members: unknown;

  private constructor(name: string, members: TeamMembers) {
    this.name = name;
    this._members = members;
    this.groups = Array.isArray(members?.groups) ? [...members.groups] : [];
    this.users = Array.isArray(members?.users) ? [...members.users] : [];
  }
}
