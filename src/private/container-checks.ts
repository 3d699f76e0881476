import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { KnownKeys, assertList, assertProps, assertStringList, optionalBoolean, quote } from './validate';

// Checks of the container settings a MeshWorkload passes to cdk8s-plus: what the API server or the
// kubelet would refuse, and what would let the application get around its sidecar.

/** UID and GID of Istio's sidecar: iptables lets their traffic out uncaptured (tools/istio-iptables, --uid-owner/--gid-owner 1337). */
const PROXY_ID = 1337;
/** Capabilities that let a container rewrite the pod's iptables rules, and so bypass the sidecar. */
const BYPASS_CAPABILITIES = new Set<string>([kplus.Capability.ALL, kplus.Capability.NET_ADMIN, kplus.Capability.SYS_ADMIN]);

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text Kubernetes stores as UTF-8 and a container receives through exec: no unpaired surrogates, no NUL. */
export function assertExecText(scope: IConstruct, what: string, value: string): string {
  if (value.includes('\u0000') || UNPAIRED_SURROGATE.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} contains a NUL character or a broken UTF-16 surrogate: `
      + 'neither can reach a container; remove it.');
  }
  return value;
}

const MAX_IMAGE = 4096;
const DOMAIN_COMPONENT = /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/**
 * A container image reference as the kubelet parses it (the distribution/reference grammar):
 * `[registry[:port]/]path[:tag][@digest]`, the name at most 255 characters. Anything else fails
 * at pull time with InvalidImageName.
 */
export function assertImage(scope: IConstruct, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new IstioSecurityError(scope, value === '' ? 'image is empty: name the container image to run, e.g. "nginx:1.27".'
      : `image ${quote(value)} is not a string: name the container image to run, e.g. "nginx:1.27".`);
  }
  const bad = (why: string) => new IstioSecurityError(scope, `image ${quote(value)} is not a container image reference (${why}): `
    + 'use [registry[:port]/]name[:tag][@digest], e.g. "docker.io/library/nginx:1.27".');
  if (value.length > MAX_IMAGE) throw bad(`longer than ${MAX_IMAGE} characters`);
  let rest = value;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) throw bad('the digest is not <algorithm>:<hex>');
    rest = rest.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    if (!TAG.test(rest.slice(colon + 1))) throw bad('the tag is not 1-128 letters, digits, \'_\', \'.\' or \'-\'');
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0 || rest.length > 255) throw bad('the name is empty or longer than 255 characters');
  const components = rest.split('/');
  const first = components[0];
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    const [host, port, ...more] = first.split(':');
    if (more.length > 0 || !host.split('.').every((c) => DOMAIN_COMPONENT.test(c)) || (port !== undefined && !/^[0-9]{1,5}$/.test(port))) {
      throw bad('the registry is not a host name with an optional port');
    }
    components.shift();
  }
  if (!components.every((c) => PATH_COMPONENT.test(c))) throw bad('a path component is not lowercase letters and digits joined by \'.\', \'_\', \'__\' or \'-\'');
  return value;
}

/** `command` or `args`: a list of strings a container can receive. */
export function execList(scope: IConstruct, what: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = assertStringList(scope, what, value, { example: '["sleep", "3600"]' });
  for (const item of list) assertExecText(scope, `${what} entry`, item);
  return list;
}

const SECURITY_CONTEXT_KEYS: KnownKeys<kplus.ContainerSecurityContextProps> = {
  user: true, group: true, ensureNonRoot: true, privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: true,
  capabilities: true, seccompProfile: true,
};

/** The security context, checked as cdk8s-plus fills it in (its defaults: non-root, read-only root, no privilege escalation). */
export function securityContext(scope: IConstruct, value: unknown, sidecar: boolean): kplus.ContainerSecurityContextProps | undefined {
  if (value === undefined || value === null) return undefined;
  const p = assertProps(scope, 'securityContext', value as kplus.ContainerSecurityContextProps, SECURITY_CONTEXT_KEYS);
  const ensureNonRoot = optionalBoolean(scope, 'securityContext.ensureNonRoot', p.ensureNonRoot, true);
  const privileged = optionalBoolean(scope, 'securityContext.privileged', p.privileged, false);
  optionalBoolean(scope, 'securityContext.readOnlyRootFilesystem', p.readOnlyRootFilesystem, true);
  const escalation = optionalBoolean(scope, 'securityContext.allowPrivilegeEscalation', p.allowPrivilegeEscalation, false);
  for (const [what, id] of [['user', p.user], ['group', p.group]] as const) {
    if (id === undefined || id === null) continue;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 2147483647) {
      throw new IstioSecurityError(scope, `securityContext.${what} ${quote(id)} is not a whole number from 0 to 2147483647.`);
    }
    if (sidecar && id === PROXY_ID) {
      throw new IstioSecurityError(scope, `securityContext.${what} 1337 is the sidecar's own ${what === 'user' ? 'UID' : 'GID'}: Istio's iptables rules let `
        + 'its traffic leave uncaptured, so the application would bypass mTLS, authorization and egress routing. Use another id.');
    }
  }
  if (ensureNonRoot && p.user === 0) {
    throw new IstioSecurityError(scope, 'securityContext.user 0 is root, but ensureNonRoot is true: the kubelet refuses to start such a container. '
      + 'Use a non-zero user, or set ensureNonRoot: false.');
  }
  if (privileged && !escalation) {
    throw new IstioSecurityError(scope, 'securityContext.privileged true needs allowPrivilegeEscalation true (Kubernetes refuses privileged without it), '
      + `and ${sidecar ? 'a privileged container can rewrite the pod\'s iptables rules and bypass its sidecar' : 'grants the host\'s devices'}: `
      + 'leave privileged out.');
  }
  if (privileged && sidecar) {
    throw new IstioSecurityError(scope, 'securityContext.privileged true lets the application rewrite the pod\'s iptables rules and bypass its sidecar: '
      + 'leave privileged out, or run the workload without a sidecar.');
  }
  if (p.capabilities !== undefined && p.capabilities !== null) {
    const caps = assertProps(scope, 'securityContext.capabilities', p.capabilities, { add: true, drop: true });
    const values = Object.values(kplus.Capability) as string[];
    for (const which of ['add', 'drop'] as const) {
      if (caps[which] === undefined || caps[which] === null) continue;
      for (const cap of assertList(scope, `securityContext.capabilities.${which}`, caps[which])) {
        if (typeof cap !== 'string' || !values.includes(cap)) {
          throw new IstioSecurityError(scope, `securityContext.capabilities.${which} entry ${quote(cap)} is not a Capability: use the Capability enum, e.g. Capability.NET_BIND_SERVICE.`);
        }
        if (which === 'add' && sidecar && BYPASS_CAPABILITIES.has(cap)) {
          throw new IstioSecurityError(scope, `securityContext.capabilities.add ${cap} lets the application rewrite the pod's network rules and bypass its sidecar: `
            + 'drop it, or run the workload without a sidecar.');
        }
        if (which === 'add' && !escalation && cap === kplus.Capability.SYS_ADMIN) {
          throw new IstioSecurityError(scope, 'securityContext.capabilities.add SYS_ADMIN needs allowPrivilegeEscalation true: Kubernetes refuses it otherwise; drop it.');
        }
      }
    }
  }
  if (p.seccompProfile !== undefined && p.seccompProfile !== null) {
    const seccomp = assertProps(scope, 'securityContext.seccompProfile', p.seccompProfile, { type: true, localhostProfile: true });
    const types = Object.values(kplus.SeccompProfileType) as string[];
    if (typeof seccomp.type !== 'string' || !types.includes(seccomp.type)) {
      throw new IstioSecurityError(scope, `securityContext.seccompProfile.type ${quote(seccomp.type)} is not one of ${types.join(', ')}.`);
    }
    const local = seccomp.type === kplus.SeccompProfileType.LOCALHOST;
    const profile = seccomp.localhostProfile;
    if (local ? typeof profile !== 'string' || profile === '' || profile.startsWith('/') : profile !== undefined && profile !== null) {
      throw new IstioSecurityError(scope, local
        ? `securityContext.seccompProfile.localhostProfile ${quote(profile)} must name a profile relative to the kubelet's seccomp directory.`
        : 'securityContext.seccompProfile.localhostProfile is only for type Localhost: leave it out.');
    }
  }
  return p;
}

const CPU = /^(\d+(\.\d+)?|\.\d+)m?$/;

function cpuMillis(scope: IConstruct, what: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof kplus.Cpu) || typeof value.amount !== 'string' || !CPU.test(value.amount)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value instanceof kplus.Cpu ? value.amount : value)} is not a CPU quantity: `
      + 'use Cpu.millis(n) or Cpu.units(n) with a number of 0 or more.');
  }
  const n = parseFloat(value.amount);
  return value.amount.endsWith('m') ? n : n * 1000;
}

function sizeBytes(scope: IConstruct, what: string, value: unknown, whole: 'MiB' | 'GiB'): number | undefined {
  if (value === undefined || value === null) return undefined;
  let units: number;
  try {
    if (!(value instanceof Size)) throw new Error('not a Size');
    // cdk8s-plus renders memory in whole MiB and ephemeral storage in whole GiB, and fails otherwise.
    units = whole === 'MiB' ? value.toMebibytes() : value.toGibibytes();
  } catch {
    throw new IstioSecurityError(scope, `${what} ${quote(value instanceof Size ? value.asString() : value)} is not a whole number of ${whole}: `
      + `use Size.${whole === 'MiB' ? 'mebibytes' : 'gibibytes'}(n) with a whole n of 0 or more.`);
  }
  if (!Number.isFinite(units) || units < 0) {
    throw new IstioSecurityError(scope, `${what} ${quote(value.asString())} is not a size of 0 or more.`);
  }
  return units;
}

const RESOURCE_KEYS: KnownKeys<kplus.ContainerResources> = { cpu: true, memory: true, ephemeralStorage: true };

/** Requests and limits: cdk8s-plus quantities, each request at most its limit (the API server refuses more). */
export function resources(scope: IConstruct, value: unknown): kplus.ContainerResources | undefined {
  if (value === undefined || value === null) return undefined;
  const p = assertProps(scope, 'resources', value as kplus.ContainerResources, RESOURCE_KEYS);
  const pairs: [string, unknown, (what: string, v: unknown) => number | undefined][] = [
    ['cpu', p.cpu, (what, v) => cpuMillis(scope, what, v)],
    ['memory', p.memory, (what, v) => sizeBytes(scope, what, v, 'MiB')],
    ['ephemeralStorage', p.ephemeralStorage, (what, v) => sizeBytes(scope, what, v, 'GiB')],
  ];
  for (const [name, raw, measure] of pairs) {
    if (raw === undefined || raw === null) continue;
    const r = assertProps(scope, `resources.${name}`, raw as { request?: unknown; limit?: unknown }, { request: true, limit: true });
    const request = measure(`resources.${name}.request`, r.request);
    const limit = measure(`resources.${name}.limit`, r.limit);
    if (request !== undefined && limit !== undefined && request > limit) {
      throw new IstioSecurityError(scope, `resources.${name}.request is more than its limit: Kubernetes refuses a request above the limit; `
        + 'raise the limit or lower the request.');
    }
  }
  return p;
}
