import { IConstruct } from 'constructs';
import { AppProtocol } from '../app-protocol';
import { IstioSecurityError } from '../errors';
import { AuthorizationPolicySpecRules } from '../../imports/security.istio.io';
import type { Peer } from '../peer';
import type { AllowOptions } from '../workload-authorization';
import type { WorkloadPort } from '../workload-port';
import { assertPort, assertUnique, quote } from './validate';

/** One allow rule, checked and ready to render. */
export interface AuthzRule {
  readonly peers: string[];
  readonly principals: string[];
  readonly namespaces: string[];
  readonly methods?: string[];
  readonly paths?: string[];
  /** Container ports; undefined means every port. */
  readonly ports?: number[];
}

/** Protocols whose requests carry a method and a path the sidecar can see. */
const HTTP_PROTOCOLS: string[] = [AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.GRPC, AppProtocol.GRPC_WEB];
const METHOD = /^[A-Z][A-Z_-]*$/;
const TEMPLATE_SEGMENT = /^\{\*\*?\}$/;

/**
 * Checks one allow rule. `workloadPorts` are the ports of the selected workload when this
 * library knows them (undefined for pods selected by labels only).
 */
export function checkRule(scope: IConstruct, peers: Peer[], options: AllowOptions, workloadPorts?: WorkloadPort[]): AuthzRule {
  if (!Array.isArray(peers) || peers.length === 0) {
    throw new IstioSecurityError(scope, 'an allow rule needs at least one peer: name the callers (Peer.workload, Peer.serviceAccount, Peer.namespace). '
      + 'A rule without peers would let every caller in, plaintext ones included.');
  }
  for (const peer of peers) peer.validate(scope);
  const methods = options.methods === undefined ? undefined : checkMethods(scope, options.methods);
  const paths = options.paths === undefined ? undefined : checkPaths(scope, options.paths);
  const ports = options.ports === undefined ? undefined : checkPorts(scope, options.ports, workloadPorts);
  if ((methods || paths) && workloadPorts) assertHttpPorts(scope, ports, workloadPorts);
  return {
    peers: peers.map((p) => p.description),
    principals: unique(peers.map((p) => p.principal)),
    namespaces: unique(peers.map((p) => p.namespaceName)),
    methods,
    paths,
    ports,
  };
}

export function renderRule(rule: AuthzRule): AuthorizationPolicySpecRules {
  // Separate `from` entries are ORed; fields inside one source would be ANDed.
  const from = [];
  if (rule.principals.length > 0) from.push({ source: { principals: rule.principals } });
  if (rule.namespaces.length > 0) from.push({ source: { namespaces: rule.namespaces } });
  const constrained = rule.methods || rule.paths || rule.ports;
  return {
    from,
    to: constrained ? [{ operation: { methods: rule.methods, paths: rule.paths, ports: rule.ports?.map(String) } }] : undefined,
  };
}

function checkMethods(scope: IConstruct, methods: string[]): string[] {
  if (methods.length === 0) {
    throw new IstioSecurityError(scope, 'methods [] matches no request: leave methods out to allow any method.');
  }
  for (const method of methods) {
    if (typeof method === 'string' && METHOD.test(method)) continue;
    const hint = method === '*' ? 'leave methods out to allow any method.'
      : typeof method === 'string' && METHOD.test(method.toUpperCase()) ? `Istio compares methods case-sensitively: use "${method.toUpperCase()}".`
        : 'use an HTTP method in upper case, e.g. "GET" or "POST".';
    throw new IstioSecurityError(scope, `method ${quote(method)} is not an HTTP method: ${hint}`);
  }
  assertUnique(scope, 'method', methods);
  return [...methods];
}

function checkPaths(scope: IConstruct, paths: string[]): string[] {
  if (paths.length === 0) {
    throw new IstioSecurityError(scope, 'paths [] matches no request: leave paths out to allow any path.');
  }
  for (const path of paths) checkPath(scope, path);
  assertUnique(scope, 'path', paths);
  return [...paths];
}

function checkPath(scope: IConstruct, path: string): void {
  const refuse = (why: string) => new IstioSecurityError(scope, `path ${quote(path)} ${why}`);
  if (typeof path !== 'string' || path === '') {
    throw refuse('is empty: use an exact path "/info", a prefix "/api/*", a suffix "*.png" or "*" for any path.');
  }
  if (/[\s?#]/.test(path)) {
    throw refuse('contains whitespace, "?" or "#": paths match the URL path only, without query string or fragment; use the path alone, e.g. "/search".');
  }
  if (path === '*') return;
  if (path.includes('{')) {
    // Path templates: "{*}" matches one segment, "{**}" the rest of the path.
    const segments = path.split('/');
    const bad = !path.startsWith('/') || segments.some((s, i) =>
      (s.includes('{') || s.includes('}') || s.includes('*'))
      && (!TEMPLATE_SEGMENT.test(s) || (s === '{**}' && i !== segments.length - 1)));
    if (bad) {
      throw refuse('is not a valid path template: start with "/", use "{*}" for one whole segment and "{**}" only as the last segment, '
        + 'e.g. "/users/{*}/info" or "/files/{**}".');
    }
    return;
  }
  const suffix = path.startsWith('*');
  const body = suffix ? path.slice(1) : path.endsWith('*') ? path.slice(0, -1) : path;
  if (body.includes('*')) {
    throw refuse('has "*" in the middle or at both ends: Istio matches exact paths, a prefix ("/api/*"), a suffix ("*.png"), '
      + 'any path ("*"), or templates such as "/users/{*}/info".');
  }
  if (!suffix && !path.startsWith('/')) {
    throw refuse(`does not start with "/": request paths always do, so it would never match; use "/${path}".`);
  }
}

function checkPorts(scope: IConstruct, ports: number[], workloadPorts?: WorkloadPort[]): number[] {
  if (ports.length === 0) {
    throw new IstioSecurityError(scope, 'ports [] matches no connection: leave ports out to allow every port.');
  }
  for (const port of ports) {
    assertPort(scope, 'port', port);
    if (!workloadPorts) continue;
    const containerPorts = unique(workloadPorts.map((p) => p.containerPort));
    if (containerPorts.includes(port)) continue;
    const service = workloadPorts.find((p) => p.port === port);
    throw new IstioSecurityError(scope, service
      ? `port ${port} is a Service port: Istio matches the port the workload listens on, so use its container port ${service.containerPort}.`
      : `port ${port} is not a port the workload serves: use one of its container ports [${containerPorts.join(', ')}].`);
  }
  assertUnique(scope, 'port', ports);
  return [...ports];
}

// Istio cannot see methods or paths on TCP traffic and drops such an ALLOW rule there, so it would admit nothing.
function assertHttpPorts(scope: IConstruct, ports: number[] | undefined, workloadPorts: WorkloadPort[]): void {
  const isHttp = (port: number) => workloadPorts.some((p) => p.containerPort === port && HTTP_PROTOCOLS.includes(p.protocol!));
  const covered = ports ?? unique(workloadPorts.map((p) => p.containerPort));
  const opaque = ports ? covered.filter((p) => !isHttp(p)) : covered.every((p) => !isHttp(p)) ? covered : [];
  if (opaque.length > 0) {
    throw new IstioSecurityError(scope, `methods and paths are HTTP-only, but port(s) ${opaque.join(', ')} do not carry HTTP: `
      + 'Istio drops such a rule on TCP traffic, so it would let nothing in. Leave methods and paths out for TCP ports, '
      + 'or limit the rule to the HTTP ports.');
  }
}

function unique<T>(values: (T | undefined)[]): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}
