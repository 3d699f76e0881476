import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IstioSecurityError } from '../errors';
import type { WorkloadContainerOptions } from '../workload-container';
import { assertExecText, assertImage, execList, resources, securityContext } from './container-checks';
import { KnownKeys, assertEnumValue, assertInstance, assertList, assertRecord, assertString, assertUnique, quote } from './validate';

/** The props of a container, for the props checks of the constructs that take them. */
export const CONTAINER_OPTIONS: KnownKeys<WorkloadContainerOptions> = {
  image: true, command: true, args: true, workingDir: true, envVariables: true, envFrom: true, volumeMounts: true, writablePaths: true,
  readiness: true, liveness: true, startup: true, resources: true, securityContext: true, imagePullPolicy: true,
};

/** Requests a laptop can grant a dozen pods; limits that keep one runaway pod from taking it over. */
export const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};

// Kubernetes' rule for environment variable names (validation.IsEnvVarName).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Checks the container options and turns them into cdk8s-plus container props. `sidecar`: whether
 * the pod runs Istio's sidecar (settings that would let the application get around it are refused).
 */
export function containerProps(scope: Construct, name: string, options: WorkloadContainerOptions, ports: number[], sidecar: boolean): kplus.ContainerProps {
  const given = (v: unknown) => v !== undefined && v !== null;
  const image = assertImage(scope, options.image);
  const command = execList(scope, 'command', options.command);
  const args = execList(scope, 'args', options.args);
  const workingDir = given(options.workingDir) ? assertExecText(scope, 'workingDir', assertString(scope, 'workingDir', options.workingDir)) : undefined;
  if (workingDir !== undefined) checkPath(scope, 'workingDir', workingDir);
  const envVariables = given(options.envVariables)
    ? assertRecord(scope, 'envVariables', options.envVariables, 'a map of variable names to EnvValue values') as { [name: string]: kplus.EnvValue } : undefined;
  for (const [key, value] of Object.entries(envVariables ?? {})) {
    if (!ENV_NAME.test(key)) {
      throw new IstioSecurityError(scope, `environment variable name ${quote(key)} is not valid: use letters, digits, '_', '-' or '.', not starting with a digit.`);
    }
    if (!(value instanceof kplus.EnvValue)) {
      throw new IstioSecurityError(scope, `environment variable ${quote(key)} is ${quote(value)}, not an EnvValue: `
        + 'use kplus.EnvValue.fromValue("..."), .fromSecretValue(...) or .fromConfigMap(...).');
    }
  }
  const envFrom = given(options.envFrom) ? assertList(scope, 'envFrom', options.envFrom).map((e) =>
    assertInstance(scope, 'envFrom entry', e, kplus.EnvFrom, 'kplus.Env.fromSecret(...) or kplus.Env.fromConfigMap(...)')) : undefined;
  const probes = { readiness: options.readiness, liveness: options.liveness, startup: options.startup };
  for (const [what, probe] of Object.entries(probes)) {
    if (given(probe) && !(probe instanceof kplus.Probe)) {
      throw new IstioSecurityError(scope, `${what} ${quote(probe)} is not a probe: use kplus.Probe.fromHttpGet(...), .fromTcpSocket(...) or .fromCommand(...).`);
    }
  }
  const imagePullPolicy = given(options.imagePullPolicy)
    ? assertEnumValue(scope, 'imagePullPolicy', options.imagePullPolicy!, kplus.ImagePullPolicy as unknown as { [key: string]: string }) as kplus.ImagePullPolicy
    : undefined;
  const mounts = [...(given(options.volumeMounts) ? assertList(scope, 'volumeMounts', options.volumeMounts) : []) as kplus.VolumeMount[]];
  for (const mount of mounts) {
    if (!mount || !(mount.volume instanceof kplus.Volume) || typeof mount.path !== 'string') {
      throw new IstioSecurityError(scope, `volume mount ${quote(mount)} needs a volume (kplus.Volume.from...) and a path.`);
    }
    checkPath(scope, 'volume mount path', mount.path);
  }
  const writable = (given(options.writablePaths) ? assertList(scope, 'writablePaths', options.writablePaths) : []) as string[];
  writable.forEach((path) => checkPath(scope, 'writable path', path));
  const security = securityContext(scope, options.securityContext, sidecar);
  const requests = resources(scope, options.resources);
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
    command,
    args,
    workingDir,
    envVariables,
    envFrom,
    volumeMounts: mounts,
    readiness: probes.readiness,
    liveness: probes.liveness,
    startup: probes.startup,
    securityContext: security,
    resources: requests ?? DEFAULT_RESOURCES,
    imagePullPolicy,
    ports: ports.map((number) => ({ number })),
  };
}

function checkPath(scope: Construct, what: string, path: unknown): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes(':') || path.length > 4096 || /[\u0000-\u001f]/.test(path)) {
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
