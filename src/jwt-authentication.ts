import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AuthorizationPolicy, AuthorizationPolicySpecAction, RequestAuthentication } from '../imports/security.istio.io';
import { Condition } from './condition';
import { IstioSecurityError } from './errors';
import { IngressGateway } from './ingress-gateway';
import { JwtIssuer } from './jwt-issuer';
import { IMeshWorkload } from './mesh-workload-interface';
import { AuthzRule, checkRule, HTTP_PROTOCOLS, renderRule } from './private/authz-rules';
import { gatewayPodsKey } from './private/gateway-servers';
import { ingressServers, registerWorkloadPolicy } from './private/ingress-admission';
import { boundedName } from './private/names';
import { claimObjectName, holderOf, objectKey } from './private/registry';
import { KnownKeys, assertDnsLabel, assertProps, assertUnique, quote, recordedProblem } from './private/validate';
import { show } from './private/show';
import { refuseAtSynth, warnAtSynth } from './private/warnings';
import { assertMeshWorkload, workloadTraits } from './private/workload-check';
import { WorkloadPort } from './workload-port';

/** A claim a token must carry, with one of the values. */
export interface JwtClaimRequirement {
  /** The claim, a top-level claim of the token, e.g. `groups`. */
  readonly claim: string;
  /** Values the claim must have one of (for a list claim, one of its entries). */
  readonly values: string[];
}

/** Where a token is required. Each field narrows it; leave them all out to require a token on every request. */
export interface JwtRequirementOptions {
  /**
   * URL paths (as in authorization rules: `/headers`, `/api/*`).
   * @default - every path
   */
  readonly paths?: string[];
  /**
   * HTTP methods, in upper case.
   * @default - every method
   */
  readonly methods?: string[];
  /**
   * Request hosts (`Host` header), e.g. on the ingress gateway.
   * @default - every host
   */
  readonly hosts?: string[];
  /**
   * Claims the token must also carry: requests whose token lacks one are refused.
   * @default - any valid token
   */
  readonly claims?: JwtClaimRequirement[];
  /**
   * Container ports (of the workload, or the gateway's pod ports) where the token is required.
   * They must carry HTTP: Istio ignores token checks in a DENY rule on TCP traffic and would refuse
   * every connection there.
   * @default - every HTTP port of the workload; every pod port of the ingress gateway
   */
  readonly ports?: number[];
}

export interface JwtAuthenticationProps {
  /**
   * The workload that checks tokens (a MeshWorkload, MeshService or AdoptedWorkload). Give this or `ingressGateway`.
   * @default - none
   */
  readonly workload?: IMeshWorkload;
  /**
   * The ingress gateway that checks tokens, for every call it takes in. Give this or `workload`.
   * @default - none
   */
  readonly ingressGateway?: IngressGateway;
  /** The issuers whose tokens are accepted: at least one. */
  readonly issuers: JwtIssuer[];
  /**
   * Name of the RequestAuthentication; the AuthorizationPolicy that requires the token is
   * `<name>-required`.
   * @default "<workload name>-jwt", or "<gateway service name>-jwt"
   */
  readonly name?: string;
  /**
   * Emit only the RequestAuthentication, with no requirement: a request with an invalid token is
   * refused, but one **without** a token passes. Only when you mean it; synthesis warns.
   * @default false
   */
  readonly tokenOptional?: boolean;
}

/**
 * End-user authentication with JWT on a workload or on the ingress gateway: a
 * RequestAuthentication that verifies tokens of the given issuers and, for every
 * `requireToken` call, DENY rules that refuse requests without a valid token (and, optionally,
 * without the given claims). A RequestAuthentication alone only rejects *invalid* tokens and lets
 * requests without one through, so a JwtAuthentication without a requirement fails synthesis
 * unless `tokenOptional` says so.
 *
 * The requirement is a DENY policy (`notRequestPrincipals: ["<issuer>/*"]`), not an ALLOW
 * policy: it refuses what lacks a token on the paths it names and leaves every other
 * authorization rule of the workload as it is. Its rules name their ports, which must carry HTTP.
 */
export class JwtAuthentication extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  /** Labels of the pods that check tokens. */
  public readonly selector: { [key: string]: string };
  public readonly issuers: JwtIssuer[];
  /** The RequestAuthentication (child id `Resource`). */
  public readonly requestAuthentication: ApiObject;
  /** The DENY AuthorizationPolicy that makes the token mandatory (absent with `tokenOptional`). */
  public readonly requirementPolicy?: ApiObject;
  private readonly workload?: IMeshWorkload;
  /** The workload's ports with their protocols, when the library knows them. */
  private readonly workloadPorts?: WorkloadPort[];
  private readonly gateway?: IngressGateway;
  private readonly tokenOptional: boolean;
  private readonly rules: AuthzRule[] = [];

  public constructor(scope: Construct, id: string, props: JwtAuthenticationProps) {
    super(scope, id);
    // A refused construct leaves nothing behind: not even itself, so the same id can be used again.
    try {
      const p = assertProps(this, 'props', props, JWT_AUTHENTICATION_PROPS);
      const workload = p.workload;
      const gateway = p.ingressGateway;
      if ((workload === undefined || workload === null) === (gateway === undefined || gateway === null)) {
        throw new IstioSecurityError(this, 'give exactly one of workload and ingressGateway: the pods that check the tokens.');
      }
      let defaultName: string;
      if (workload !== undefined && workload !== null) {
        assertMeshWorkload(this, 'workload', workload);
        if (!workload.sidecar) {
          throw new IstioSecurityError(this, `workload ${workload.node.path} has no sidecar, so nothing would check its tokens: give it a sidecar.`);
        }
        const ports = workloadTraits(workload)?.servicePorts?.();
        if (ports && !ports.some((port) => HTTP_PROTOCOLS.includes(port.protocol!))) {
          throw new IstioSecurityError(this, `workload ${workload.node.path} has no HTTP port, and tokens travel in HTTP requests: `
            + 'require them where the workload speaks HTTP.');
        }
        this.workloadPorts = ports;
        this.namespace = workload.namespace;
        this.selector = { ...workload.selectorLabels };
        const name = (workload as { name?: unknown }).name;
        defaultName = `${typeof name === 'string' ? name : workload.selectorLabels.app ?? workload.node.id.toLowerCase()}-jwt`;
      } else {
        if (!(gateway instanceof IngressGateway)) throw new IstioSecurityError(this, `ingressGateway ${quote(gateway)} is not an IngressGateway.`);
        gateway.validate(this);
        this.namespace = gateway.namespace;
        this.selector = { ...gateway.selector };
        defaultName = `${gateway.serviceName}-jwt`;
      }
      const issuers = checkIssuers(this, p.issuers);
      const tokenOptional = p.tokenOptional ?? false;
      if (typeof tokenOptional !== 'boolean') throw new IstioSecurityError(this, `tokenOptional ${quote(tokenOptional)} is not a boolean.`);
      this.name = assertDnsLabel(this, 'name', p.name ?? boundedName(defaultName));
      const policyName = assertDnsLabel(this, 'requirement policy name', boundedName(`${this.name}-required`));
      const names: [string, string][] = [['RequestAuthentication', this.name], ...(tokenOptional ? [] : [['AuthorizationPolicy', policyName] as [string, string]])];
      for (const [kind, name] of names) {
        const holder = holderOf(this, objectKey(kind, this.namespace, name));
        if (holder) throw new IstioSecurityError(this, `${kind} "${this.namespace}/${name}" is already emitted by ${holder.node.path}: give this JwtAuthentication another name.`);
      }
      for (const [kind, name] of names) claimObjectName(this, kind, this.namespace, name);
      this.workload = workload ?? undefined;
      this.gateway = gateway ?? undefined;
      this.issuers = issuers;
      this.tokenOptional = tokenOptional;

      this.requestAuthentication = new RequestAuthentication(this, 'Resource', {
        metadata: { name: this.name, namespace: this.namespace },
        spec: { selector: { matchLabels: { ...this.selector } }, jwtRules: issuers.map(renderIssuer) },
      });
      if (!tokenOptional) {
        this.requirementPolicy = new AuthorizationPolicy(this, 'Requirement', {
          metadata: { name: policyName, namespace: this.namespace },
          spec: {
            action: AuthorizationPolicySpecAction.DENY,
            selector: { matchLabels: { ...this.selector } },
            rules: Lazy.any({ produce: () => this.rules.map(renderRule) }),
          },
        });
        if (this.workload) {
          registerWorkloadPolicy(this.workload, {
            construct: this, action: 'DENY', namespace: this.namespace, name: policyName,
            rules: () => this.rules.map((r) => JSON.parse(JSON.stringify(renderRule(r)))),
          });
        }
        refuseAtSynth(this, () => this.validateRequirements());
      } else {
        warnAtSynth(this, `RequestAuthentication "${this.namespace}/${this.name}" has no requirement (tokenOptional): requests with an invalid `
          + 'token are refused, but requests without a token pass. Call requireToken to refuse them.');
      }
    } catch (err) {
      scope.node.tryRemoveChild(id);
      throw err;
    }
  }

  /** Number of requirements so far. */
  public get requirementCount(): number {
    return this.rules.length;
  }

  /**
   * Refuses requests without a valid token of one of the issuers where `options` say (everywhere
   * by default), and requests whose token lacks one of `claims`.
   */
  public requireToken(options: JwtRequirementOptions = {}): void {
    if (this.tokenOptional) {
      throw new IstioSecurityError(this, 'requireToken on a JwtAuthentication with tokenOptional: true: drop tokenOptional to require tokens.');
    }
    const o = assertProps(this, 'requireToken options', options, REQUIREMENT_OPTIONS);
    const claims = checkClaims(this, o.claims);
    const ports = o.ports ?? this.defaultPorts();
    const where = { paths: o.paths, methods: o.methods, hosts: checkRequestHosts(this, o.hosts), ports };
    const workloadPorts = this.workloadPorts;
    const added = [checkRule(this, 'DENY', { ...where, notRequestPrincipals: this.issuers.map((i) => i.requestPrincipals) }, workloadPorts)];
    for (const c of claims) added.push(checkRule(this, 'DENY', { ...where, when: [Condition.notClaim(c.claim, c.values)] }, workloadPorts));
    this.rules.push(...added);
  }

  private defaultPorts(): number[] {
    if (this.workloadPorts) {
      return [...new Set(this.workloadPorts.filter((p) => HTTP_PROTOCOLS.includes(p.protocol!)).map((p) => p.containerPort!))];
    }
    if (this.gateway) return [...new Set(this.gateway.ports.map((p) => p.targetPort!))];
    throw new IstioSecurityError(this, `the ports of ${this.workload!.node.path} are not known to this library: name its HTTP container ports (ports).`);
  }

  private validateRequirements(): string[] {
    if (this.rules.length === 0) {
      return [`JwtAuthentication "${this.namespace}/${this.name}" requires no token: a RequestAuthentication alone lets requests without a token `
        + 'through. Call requireToken (every request, or by paths, methods and claims), or set tokenOptional: true if you mean it.'];
    }
    if (!this.gateway) return [];
    // On a gateway port that also passes TLS through, Istio ignores the token fields of a DENY rule
    // on the TCP filter chain, and the rule refuses every passthrough connection.
    const pods = gatewayPodsKey(this.gateway.selector);
    const errors: string[] = [];
    for (const server of ingressServers(this)) {
      if (!server.passthrough || server.pods !== pods) continue;
      if (this.rules.some((r) => r.ports?.includes(server.targetPort))) {
        errors.push(`the token requirement covers gateway pod port ${server.targetPort}, where ${server.route.node.path} passes TLS through: `
          + 'there Istio ignores token checks and the DENY rule refuses every connection. Limit requireToken to the other ports (ports).');
      }
    }
    return errors;
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const JWT_AUTHENTICATION_PROPS: KnownKeys<JwtAuthenticationProps> = { workload: true, ingressGateway: true, issuers: true, name: true, tokenOptional: true };
const REQUIREMENT_OPTIONS: KnownKeys<JwtRequirementOptions> = { paths: true, methods: true, hosts: true, claims: true, ports: true };

function checkIssuers(scope: IConstruct, issuers: JwtIssuer[]): JwtIssuer[] {
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw new IstioSecurityError(scope, `issuers ${show(issuers)} is empty: name at least one JwtIssuer whose tokens are accepted.`);
  }
  for (const issuer of issuers) checkIssuer(scope, issuer);
  assertUnique(scope, 'issuer', issuers.map((i) => i.issuer));
  return [...issuers];
}

function checkIssuer(scope: IConstruct, issuer: JwtIssuer): void {
  if (!(issuer instanceof JwtIssuer)) {
    throw new IstioSecurityError(scope, `issuers entry ${quote(issuer)} is not a JwtIssuer: use JwtIssuer.fromJwksUri or JwtIssuer.fromInlineJwks.`);
  }
  const problem = recordedProblem(issuer);
  if (problem !== undefined) throw new IstioSecurityError(scope, problem);
  const iss = issuer.issuer;
  if (typeof iss !== 'string' || iss === '' || /[\s*]/.test(iss)) {
    throw new IstioSecurityError(scope, `issuer ${quote(iss)} is empty, has whitespace or "*": give the exact "iss" of the tokens, e.g. "https://auth.example.com".`);
  }
  if (issuer.jwksUri !== undefined) checkJwksUri(scope, issuer.jwksUri);
  else checkJwks(scope, issuer.jwks);
  const o = issuer.options;
  for (const [what, list] of [['audiences', o.audiences], ['fromParams', o.fromParams], ['fromCookies', o.fromCookies]] as const) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || list.length === 0) throw new IstioSecurityError(scope, `${what} ${show(list)} is empty: leave it out, or list values.`);
    for (const value of list) {
      if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
        throw new IstioSecurityError(scope, `${what} entry ${quote(value)} is empty, not a string or has whitespace.`);
      }
    }
    assertUnique(scope, `${what} entry`, list);
  }
  if (o.fromHeaders !== undefined && o.fromHeaders !== null) {
    if (!Array.isArray(o.fromHeaders) || o.fromHeaders.length === 0) throw new IstioSecurityError(scope, 'fromHeaders [] is empty: leave it out, or list headers.');
    for (const header of o.fromHeaders) {
      if (!header || typeof header.name !== 'string' || !HEADER_NAME.test(header.name)) {
        throw new IstioSecurityError(scope, `fromHeaders name ${quote(header?.name)} is not an HTTP header name, e.g. "Authorization".`);
      }
      if (header.prefix !== undefined && typeof header.prefix !== 'string') throw new IstioSecurityError(scope, `fromHeaders prefix ${quote(header.prefix)} is not a string.`);
    }
  }
  if (o.outputPayloadToHeader !== undefined && (typeof o.outputPayloadToHeader !== 'string' || !HEADER_NAME.test(o.outputPayloadToHeader))) {
    throw new IstioSecurityError(scope, `outputPayloadToHeader ${quote(o.outputPayloadToHeader)} is not an HTTP header name.`);
  }
  if (o.forwardOriginalToken !== undefined && typeof o.forwardOriginalToken !== 'boolean') {
    throw new IstioSecurityError(scope, `forwardOriginalToken ${quote(o.forwardOriginalToken)} is not a boolean.`);
  }
}

function checkJwksUri(scope: IConstruct, uri: string): void {
  let url: URL | undefined;
  try {
    url = typeof uri === 'string' ? new URL(uri) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname) {
    throw new IstioSecurityError(scope, `jwksUri ${quote(uri)} is not an https URL: the verification keys must come over TLS, or anyone `
      + 'on the path could swap them and sign tokens; use e.g. "https://auth.example.com/.well-known/jwks.json".');
  }
}

const PRIVATE_JWK_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function checkJwks(scope: IConstruct, jwks: string | undefined): void {
  let parsed: any;
  try {
    parsed = typeof jwks === 'string' ? JSON.parse(jwks) : undefined;
  } catch {
    parsed = undefined;
  }
  const keys = parsed && typeof parsed === 'object' ? parsed.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k: any) => !k || typeof k !== 'object' || typeof k.kty !== 'string')) {
    throw new IstioSecurityError(scope, 'jwks is not a JSON Web Key Set: give {"keys": [...]} with at least one key that has a "kty".');
  }
  const secret = keys.findIndex((k: any) => PRIVATE_JWK_FIELDS.some((f) => f in k));
  if (secret >= 0) {
    throw new IstioSecurityError(scope, `jwks key ${secret + 1} holds private or symmetric key material: only public keys verify tokens, `
      + 'and the manifest would publish the signing key. Give the public keys only.');
  }
}

function checkClaims(scope: IConstruct, claims: JwtClaimRequirement[] | undefined): JwtClaimRequirement[] {
  if (claims === undefined || claims === null) return [];
  if (!Array.isArray(claims) || claims.length === 0) throw new IstioSecurityError(scope, 'claims [] is empty: leave it out, or list claims.');
  for (const c of claims) {
    if (!c || typeof c.claim !== 'string' || c.claim === '' || /[\s[\]]/.test(c.claim)) {
      throw new IstioSecurityError(scope, `claim ${quote(c?.claim)} is empty or has whitespace or brackets: name the claim, e.g. "groups".`);
    }
  }
  assertUnique(scope, 'claim', claims.map((c) => c.claim));
  return claims;
}

function checkRequestHosts(scope: IConstruct, hosts: string[] | undefined): string[] | undefined {
  if (hosts === undefined || hosts === null) return undefined;
  if (!Array.isArray(hosts) || hosts.length === 0) throw new IstioSecurityError(scope, 'hosts [] is empty: leave it out to require the token for every host.');
  for (const h of hosts) {
    if (typeof h !== 'string' || h === '' || /\s/.test(h)) throw new IstioSecurityError(scope, `hosts entry ${quote(h)} is not a host name.`);
  }
  assertUnique(scope, 'hosts entry', hosts);
  return [...hosts];
}

function renderIssuer(issuer: JwtIssuer): object {
  const o = issuer.options;
  return {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    jwks: issuer.jwks,
    audiences: o.audiences ? [...o.audiences] : undefined,
    fromHeaders: o.fromHeaders?.map((h) => ({ name: h.name, prefix: h.prefix })),
    fromParams: o.fromParams ? [...o.fromParams] : undefined,
    fromCookies: o.fromCookies ? [...o.fromCookies] : undefined,
    forwardOriginalToken: o.forwardOriginalToken,
    outputPayloadToHeader: o.outputPayloadToHeader,
  };
}
