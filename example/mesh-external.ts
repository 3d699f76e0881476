// The mutual-TLS test server of scenario B4: nginx outside the mesh, in `mesh-external`.
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MeshNamespace, SidecarInjection } from '../src';

/** Namespace, Service and Deployment name, and the Secrets scripts/make-example-certs.sh writes. */
export const MESH_EXTERNAL = {
  namespace: 'mesh-external',
  name: 'my-nginx',
  host: 'my-nginx.mesh-external.svc.cluster.local',
  serverCertsSecret: 'nginx-server-certs',
  caCertsSecret: 'nginx-ca-certs',
  /** Key of the CA certificate in the CA Secret. */
  caCertsKey: 'example.com.crt',
};

/** nginx accepts only clients with a certificate signed by the example CA (`ssl_verify_client on`). */
const NGINX_CONF = `events {
}

http {
  log_format main '$remote_addr - $remote_user [$time_local]  $status '
  '"$request" $body_bytes_sent "$http_referer" '
  '"$http_user_agent" "$http_x_forwarded_for"';
  access_log /var/log/nginx/access.log main;
  error_log  /var/log/nginx/error.log;

  server {
    listen 443 ssl;

    root /usr/share/nginx/html;
    index index.html;

    server_name ${MESH_EXTERNAL.host};
    ssl_certificate /etc/nginx-server-certs/tls.crt;
    ssl_certificate_key /etc/nginx-server-certs/tls.key;
    ssl_client_certificate /etc/nginx-ca-certs/${MESH_EXTERNAL.caCertsKey};
    ssl_verify_client on;
  }
}
`;

/**
 * An nginx server that requires mutual TLS, outside the mesh: a namespace without sidecar
 * injection, the nginx.conf ConfigMap, and Service and Deployment `my-nginx`.
 *
 * Its Secrets are only referenced: `nginx-server-certs` (TLS) and `nginx-ca-certs` hold key
 * material, which scripts/make-example-certs.sh makes and the user applies, as a user would
 * with `kubectl create secret`.
 */
export class MeshExternalNginx extends Construct {
  public readonly namespace: MeshNamespace;
  public readonly host = MESH_EXTERNAL.host;
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const { namespace: ns, name } = MESH_EXTERNAL;
    this.namespace = new MeshNamespace(this, 'Namespace', { name: ns, injection: SidecarInjection.disabled() });
    const labels = { run: name };

    const config = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: 'nginx-configmap', namespace: ns },
      data: { 'nginx.conf': NGINX_CONF },
    });
    const serverCerts = kplus.Secret.fromSecretName(this, 'ServerCerts', MESH_EXTERNAL.serverCertsSecret);
    const caCerts = kplus.Secret.fromSecretName(this, 'CaCerts', MESH_EXTERNAL.caCertsSecret);

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, namespace: ns, labels },
      replicas: 1,
      select: false,
      // app and version: the labels Istio's telemetry expects (istioctl validate notes their absence).
      podMetadata: { labels: { ...labels, app: name, version: 'v1' } },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels }));
    const container = this.deployment.addContainer({
      name,
      image: 'docker.io/library/nginx:1.27',
      ports: [{ number: 443 }],
      // The official image starts as root and writes its cache and pid under the root filesystem.
      securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
      },
    });
    container.mount('/etc/nginx', kplus.Volume.fromConfigMap(this, 'ConfigVolume', config, { name: 'nginx-config' }), { readOnly: true });
    container.mount('/etc/nginx-server-certs', kplus.Volume.fromSecret(this, 'ServerCertsVolume', serverCerts, { name: 'nginx-server-certs' }), { readOnly: true });
    container.mount('/etc/nginx-ca-certs', kplus.Volume.fromSecret(this, 'CaCertsVolume', caCerts, { name: 'nginx-ca-certs' }), { readOnly: true });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, namespace: ns, labels },
      ports: [{ name: 'https', port: 443, targetPort: 443 }],
    });
    this.service.selectLabel('run', name);
  }
}
