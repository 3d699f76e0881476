import * as kplus from 'cdk8s-plus-28';

/**
 * The container of a workload: image, command, environment, volumes, probes and resources,
 * in cdk8s-plus's own types.
 */
export interface WorkloadContainerOptions {
  /** Container image. */
  readonly image: string;
  /**
   * Container command.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Container arguments.
   * @default - the image's cmd
   */
  readonly args?: string[];
  /**
   * Working directory of the container.
   * @default - the image's
   */
  readonly workingDir?: string;
  /**
   * Environment variables: `kplus.EnvValue.fromValue("1")`, `.fromSecretValue(...)`,
   * `.fromConfigMap(...)`, `.fromFieldRef(...)`.
   * @default - none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };
  /**
   * Every key of Secrets or ConfigMaps as environment variables (`kplus.Env.fromSecret(...)`,
   * `kplus.Env.fromConfigMap(...)`).
   * @default - none
   */
  readonly envFrom?: kplus.EnvFrom[];
  /**
   * Volumes mounted into the container (`kplus.Volume.fromSecret(...)`, `.fromConfigMap(...)`,
   * `.fromEmptyDir(...)`, ...); the pod declares each volume once.
   * @default - none
   */
  readonly volumeMounts?: kplus.VolumeMount[];
  /**
   * Paths that get an empty, writable directory (an `emptyDir` volume each), so that the root
   * filesystem can stay read-only for images that write to `/tmp` or a log directory.
   * @default - none
   */
  readonly writablePaths?: string[];
  /**
   * Readiness probe (`kplus.Probe.fromHttpGet(...)`, `.fromTcpSocket(...)`, `.fromCommand(...)`).
   * Istio rewrites HTTP probes so that they pass a STRICT sidecar.
   * @default - none
   */
  readonly readiness?: kplus.Probe;
  /**
   * Liveness probe.
   * @default - none
   */
  readonly liveness?: kplus.Probe;
  /**
   * Startup probe.
   * @default - none
   */
  readonly startup?: kplus.Probe;
  /**
   * Container resources.
   * @default - requests 100m CPU / 128Mi memory, limits 1000m CPU / 512Mi memory: a demo of a dozen workloads fits a laptop
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Container security context. cdk8s-plus's defaults are kept: non-root, read-only root
   * filesystem, no privilege escalation. Images that need root or a writable filesystem
   * (httpbin, nginx) turn them off here (or use `writablePaths`).
   * @default - cdk8s-plus defaults
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
  /**
   * When the kubelet pulls the image.
   * @default kplus.ImagePullPolicy.ALWAYS (cdk8s-plus's default)
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
}
