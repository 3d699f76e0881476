import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IstioSecurityError } from '../errors';
import type { WorkloadContainerOptions } from '../workload-container';
import { assertUnique, quote } from './validate';

/** Requests a laptop can grant a dozen pods; limits that keep one runaway pod from taking it over. */
export const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};

// Kubernetes' rule for environment variable names (validation.IsEnvVarName).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Checks the container options and turns them into cdk8s-plus container props. */
export function containerProps(scope: Construct, name: string, options: WorkloadContainerOptions, ports: number[]): kplus.ContainerProps {
  const image = options.image;
  if (!image) throw new IstioSecurityError(scope, 'image is empty: name the container image to run.');
  if (typeof image !== 'string' || image !== image.trim()) {
    throw new IstioSecurityError(scope, `image ${quote(image)} is not a container image reference: `
      + 'use a string without leading or trailing whitespace, e.g. "nginx:1.27".');
  }
  for (const [what, list] of [['command', options.command], ['args', options.args]] as const) {
    const bad = (list ?? []).findIndex((item) => typeof item !== 'string');
    if (bad >= 0) throw new IstioSecurityError(scope, `${what} entry ${quote(list![bad])} is not a string: give ${what} as a list of strings.`);
  }
  for (const [key, value] of Object.entries(options.envVariables ?? {})) {
    if (!ENV_NAME.test(key)) {
      throw new IstioSecurityError(scope, `environment variable name ${quote(key)} is not valid: use letters, digits, '_', '-' or '.', not starting with a digit.`);
    }
    if (!(value instanceof kplus.EnvValue)) {
      throw new IstioSecurityError(scope, `environment variable ${quote(key)} is ${quote(value)}, not an EnvValue: `
        + 'use kplus.EnvValue.fromValue("..."), .fromSecretValue(...) or .fromConfigMap(...).');
    }
  }
  for (const [what, probe] of [['readiness', options.readiness], ['liveness', options.liveness], ['startup', options.startup]] as const) {
    if (probe !== undefined && !(probe instanceof kplus.Probe)) {
      throw new IstioSecurityError(scope, `${what} ${quote(probe)} is not a probe: use kplus.Probe.fromHttpGet(...), .fromTcpSocket(...) or .fromCommand(...).`);
    }
  }
  const mounts = [...options.volumeMounts ?? []];
  for (const mount of mounts) {
    if (!mount || !(mount.volume instanceof kplus.Volume) || typeof mount.path !== 'string') {
      throw new IstioSecurityError(scope, `volume mount ${quote(JSON.stringify(mount))} needs a volume (kplus.Volume.from...) and a path.`);
    }
    checkPath(scope, 'volume mount path', mount.path);
  }
  const writable = options.writablePaths ?? [];
  writable.forEach((path) => checkPath(scope, 'writable path', path));
  const volumeNames = new Set(mounts.map((m) => m.volume.name));
  for (const path of writable) {
    const volumeName = writableVolumeName(path, volumeNames);
    volumeNames.add(volumeName);
    mounts.push({ path, volume: kplus.Volume.fromEmptyDir(scope, `Writable${volumeName}`, volumeName) });
  }
  assertUnique(scope, 'mount path', mounts.map((m) => m.path));
  return {
    name,
    image,
    command: options.command,
    args: options.args,
    workingDir: options.workingDir,
    envVariables: options.envVariables,
    envFrom: options.envFrom,
    volumeMounts: mounts,
    readiness: options.readiness,
    liveness: options.liveness,
    startup: options.startup,
    securityContext: options.securityContext,
    resources: options.resources ?? DEFAULT_RESOURCES,
    imagePullPolicy: options.imagePullPolicy,
    ports: ports.map((number) => ({ number })),
  };
}

function checkPath(scope: Construct, what: string, path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes(':')) {
    throw new IstioSecurityError(scope, `${what} ${quote(path)} is not an absolute path: use one such as "/tmp" (without ':').`);
  }
}

/** A volume name (DNS label) for a writable path, e.g. `/opt/app/logs` -> `opt-app-logs`. */
function writableVolumeName(path: string, taken: Set<string>): string {
  const base = (path.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'root').slice(0, 50).replace(/-+$/, '');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}
