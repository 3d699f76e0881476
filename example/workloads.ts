import { Construct } from 'constructs';
import { AppProtocol, IMeshNamespace, MeshWorkload, MeshWorkloadProps } from '../src';

/** Istio's httpbin sample: Service port 8000 to container port 80; the image runs as root. */
export function httpbin(scope: Construct, namespace: IMeshNamespace, extra: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(scope, `httpbin-${namespace.name}`, {
    namespace,
    name: 'httpbin',
    image: 'docker.io/kennethreitz/httpbin',
    ports: [{ port: 8000, containerPort: 80, protocol: AppProtocol.HTTP }],
    securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
    ...extra,
  });
}

/** Istio's sleep sample: a curl client that idles until exec'd into. */
export function sleep(scope: Construct, namespace: IMeshNamespace, extra: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(scope, `sleep-${namespace.name}`, {
    namespace,
    name: 'sleep',
    image: 'docker.io/curlimages/curl:8.11.1',
    command: ['/bin/sleep', 'infinity'],
    // The image's user is curl_user (uid 100); runAsNonRoot needs it numeric.
    securityContext: { user: 100, group: 101 },
    ...extra,
  });
}
