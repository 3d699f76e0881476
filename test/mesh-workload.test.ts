import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AppProtocol, ClientTlsMode, MeshNamespace, MeshWorkload, MeshWorkloadProps, MtlsMode, StrictNamespace, WorkloadIdentity,
} from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

function workload(chart: Chart, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(chart, 'httpbin', {
    namespace: props.namespace ?? new StrictNamespace(chart, 'foo'),
    image: 'docker.io/kennethreitz/httpbin',
    ports: [{ port: 8000, containerPort: 80 }],
    ...props,
  });
}

describe('MeshWorkload', () => {
  test('ServiceAccount, Deployment and Service with sidecar, app labels and Istio port naming', () => {
    const chart = newChart();
    const w = workload(chart);
    const objects = valid(synth(chart));

    expect(only(objects, 'ServiceAccount').metadata).toEqual({ name: 'httpbin', namespace: 'foo' });
    const deployment = only(objects, 'Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'httpbin', namespace: 'foo' });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'httpbin' } });
    const pod = deployment.spec.template;
    expect(pod.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': 'true' });
    expect(pod.metadata.labels).toMatchObject({ 'app': 'httpbin', 'version': 'v1', 'sidecar.istio.io/inject': 'true' });
    expect(pod.spec.serviceAccountName).toBe('httpbin');
    expect(pod.spec.containers[0]).toMatchObject({ name: 'httpbin', image: 'docker.io/kennethreitz/httpbin', ports: [{ containerPort: 80 }] });
    // cdk8s-plus's hardened defaults are kept unless overridden.
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });

    const service = only(objects, 'Service');
    expect(service.metadata).toMatchObject({ name: 'httpbin', namespace: 'foo' });
    expect(service.spec.selector).toEqual({ app: 'httpbin' });
    expect(service.spec.ports).toEqual([{ name: 'http-8000', appProtocol: 'http', port: 8000, targetPort: 80 }]);

    expect(w.host).toBe('httpbin.foo.svc.cluster.local');
    expect(w.identity.spiffeId).toBe('spiffe://cluster.local/ns/foo/sa/httpbin');
    expect(w.identity.principal).toBe('cluster.local/ns/foo/sa/httpbin');
  });

  test('identity follows service account and trust domain (namespace default, workload override)', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'photo-ns', { trustDomain: 'corp.example' });
    const a = workload(chart, { namespace: ns, name: 'photo-frontend', serviceAccountName: 'frontend-sa' });
    const b = new MeshWorkload(chart, 'b', { namespace: ns, image: 'x', trustDomain: 'other.example' });
    valid(synth(chart));
    expect(a.identity.spiffeId).toBe('spiffe://corp.example/ns/photo-ns/sa/frontend-sa');
    expect(b.identity.toString()).toBe('spiffe://other.example/ns/photo-ns/sa/b');
    expect(WorkloadIdentity.of('cluster.local', 'foo', 'sleep').spiffeId).toBe('spiffe://cluster.local/ns/foo/sa/sleep');
  });

  test('outside the mesh: sidecar false in pod label and annotation, no Service without ports', () => {
    const chart = newChart();
    const legacy = MeshNamespace.fromName('legacy');
    const w = new MeshWorkload(chart, 'sleep', { namespace: legacy, image: 'curl', command: ['/bin/sleep', 'infinity'] });
    const objects = valid(synth(chart));
    const pod = only(objects, 'Deployment').spec.template;
    expect(pod.metadata.annotations['sidecar.istio.io/inject']).toBe('false');
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(pod.spec.containers[0].command).toEqual(['/bin/sleep', 'infinity']);
    expect(objects.filter((o) => o.kind === 'Service')).toHaveLength(0);
    expect(w.sidecar).toBe(false);
  });

  test('sidecar can be requested in a namespace without injection', () => {
    const chart = newChart();
    workload(chart, { namespace: MeshNamespace.fromName('default'), sidecar: true });
    const pod = only(valid(synth(chart)), 'Deployment').spec.template;
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('true');
  });

  test('ports: protocols, custom names and several ports', () => {
    const chart = newChart();
    workload(chart, {
      ports: [
        { port: 8080, protocol: AppProtocol.HTTP2, name: 'http2-web' },
        { port: 9000, containerPort: 9001, protocol: AppProtocol.GRPC },
        { port: 5432, protocol: AppProtocol.TCP, name: 'tcp' },
      ],
    });
    const objects = valid(synth(chart));
    expect(only(objects, 'Service').spec.ports).toEqual([
      { name: 'http2-web', appProtocol: 'http2', port: 8080, targetPort: 8080 },
      { name: 'grpc-9000', appProtocol: 'grpc', port: 9000, targetPort: 9001 },
      { name: 'tcp', appProtocol: 'tcp', port: 5432, targetPort: 5432 },
    ]);
    expect(only(objects, 'Deployment').spec.template.spec.containers[0].ports)
      .toEqual([{ containerPort: 8080 }, { containerPort: 9001 }, { containerPort: 5432 }]);
  });

  test('workload PeerAuthentication selects the workload, with port-level overrides by container port', () => {
    const chart = newChart();
    const w = workload(chart, {
      namespace: new MeshNamespace(chart, 'bar'),
      ports: [{ port: 8000, containerPort: 80 }, { port: 9090, protocol: AppProtocol.HTTP, name: 'http-metrics' }],
      mtls: { portOverrides: [{ port: 9090, mode: MtlsMode.PERMISSIVE }] },
    });
    const pa = only(valid(synth(chart)), 'PeerAuthentication');
    expect(pa.metadata).toEqual({ name: 'httpbin', namespace: 'bar' });
    expect(pa.spec).toEqual({
      selector: { matchLabels: { app: 'httpbin' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { 9090: { mode: 'PERMISSIVE' } },
    });
    expect(w.mtlsModeForPort(80)).toBe(MtlsMode.STRICT);
    expect(w.mtlsModeForPort(9090)).toBe(MtlsMode.PERMISSIVE);
  });

  test('effective mode falls back to the namespace, then PERMISSIVE', () => {
    const chart = newChart();
    expect(workload(chart).mtlsModeForPort(80)).toBe(MtlsMode.STRICT);
    const other = newChart();
    expect(workload(other, { namespace: new MeshNamespace(other, 'plain') }).mtlsModeForPort(80)).toBe(MtlsMode.PERMISSIVE);
  });

  test('DestinationRule for the workload host (ISTIO_MUTUAL by default, custom name)', () => {
    const chart = newChart();
    workload(chart, { namespace: MeshNamespace.fromName('default'), sidecar: true, clientTls: { name: 'enable-mtls' } });
    const dr = only(valid(synth(chart)), 'DestinationRule');
    expect(dr.metadata).toEqual({ name: 'enable-mtls', namespace: 'default' });
    expect(dr.spec).toEqual({ host: 'httpbin.default.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  test('DISABLE is allowed towards a PERMISSIVE server', () => {
    const chart = newChart();
    workload(chart, { namespace: new MeshNamespace(chart, 'bar'), clientTls: { mode: ClientTlsMode.DISABLE } });
    expect(only(valid(synth(chart)), 'DestinationRule').spec.trafficPolicy.tls.mode).toBe('DISABLE');
  });

  test('version label is configurable and may hold dots', () => {
    const chart = newChart();
    workload(chart, { version: '1.2.3' });
    expect(only(valid(synth(chart)), 'Deployment').spec.template.metadata.labels.version).toBe('1.2.3');
  });

  test('security context and replicas are overridable for images that need root', () => {
    const chart = newChart();
    workload(chart, { replicas: 3, securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false } });
    const deployment = only(valid(synth(chart)), 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: false, readOnlyRootFilesystem: false });
  });

  describe('refuses', () => {
    test.each([0, 65536, 70000, -80, 80.5])('service port %p', (port) => {
      const err = refusal(() => workload(newChart(), { ports: [{ port }] }));
      expect(err.message).toMatch(new RegExp(`^test/httpbin: port ${port} is not a valid port: use a whole number from 1 to 65535`));
    });

    test('container port out of range', () => {
      expect(refusal(() => workload(newChart(), { ports: [{ port: 80, containerPort: 65536 }] })).message)
        .toMatch(/containerPort 65536 is not a valid port/);
    });

    test('duplicate port numbers', () => {
      expect(refusal(() => workload(newChart(), { ports: [{ port: 80 }, { port: 80, name: 'http-other' }] })).message)
        .toMatch(/service port 80 is given twice: each must be unique/);
    });

    test('duplicate port names', () => {
      expect(refusal(() => workload(newChart(), { ports: [{ port: 80, name: 'http' }, { port: 81, name: 'http' }] })).message)
        .toMatch(/port name "http" is given twice/);
    });

    test('a port name Istio would not read as the protocol', () => {
      expect(refusal(() => workload(newChart(), { ports: [{ port: 80, name: 'web', protocol: AppProtocol.HTTP }] })).message)
        .toMatch(/port name "web" does not match protocol http: .* use "http" or "http-<suffix>"/);
    });

    test('a port-level override for a port the workload does not expose', () => {
      expect(refusal(() => workload(newChart(), { mtls: { portOverrides: [{ port: 8000, mode: MtlsMode.DISABLE }] } })).message)
        .toMatch(/mtls port override for port 8000 names a port the workload does not expose: use one of its container ports \[80\]/);
    });

    test.each([
      ['name', { name: 'HttpBin' }, /workload name "HttpBin" is not a valid DNS-1123 label/],
      ['service account', { serviceAccountName: 'sa.with.dots' }, /serviceAccountName "sa.with.dots" is not a valid DNS-1123 label/],
      ['trust domain', { trustDomain: 'not a domain' }, /trustDomain "not a domain" is not a valid domain/],
      ['namespace', { namespace: MeshNamespace.fromName('Bad_NS') }, /namespace "Bad_NS" is not a valid DNS-1123 label/],
      ['cluster domain', { namespace: MeshNamespace.fromName('ok', { clusterDomain: '.local' }) }, /clusterDomain ".local" is not a valid domain/],
      ['image', { image: '' }, /image is empty/],
      ['version label', { version: 'v1/beta' }, /version "v1\/beta" is not a valid label value/],
      ['replicas', { replicas: -1 }, /replicas -1 is not a whole number/],
    ])('invalid %s', (_what, props, message) => {
      expect(refusal(() => workload(newChart(), props as Partial<MeshWorkloadProps>)).message).toMatch(message);
    });

    test('a DestinationRule that disables TLS against a STRICT server', () => {
      expect(refusal(() => workload(newChart(), { clientTls: { mode: ClientTlsMode.DISABLE } })).message)
        .toMatch(/clientTls DISABLE sends plaintext to container port\(s\) 80, whose mTLS mode is STRICT, so every call there is rejected: use ISTIO_MUTUAL/);
    });

    test('ISTIO_MUTUAL towards a workload without a sidecar', () => {
      expect(refusal(() => workload(newChart(), { namespace: MeshNamespace.fromName('legacy'), clientTls: {} })).message)
        .toMatch(/clientTls ISTIO_MUTUAL to a workload without a sidecar makes every call fail/);
    });

    test('SIMPLE/MUTUAL client TLS for an in-mesh workload', () => {
      expect(refusal(() => workload(newChart(), { clientTls: { mode: ClientTlsMode.SIMPLE } })).message)
        .toMatch(/clientTls mode SIMPLE is for servers outside the mesh/);
    });

    test('a DestinationRule for a workload without ports', () => {
      expect(refusal(() => workload(newChart(), { ports: [], clientTls: {} })).message).toMatch(/clientTls needs a Service host/);
    });

    test('mTLS on a workload without a sidecar', () => {
      expect(refusal(() => workload(newChart(), { sidecar: false, mtls: { mode: MtlsMode.STRICT } })).message)
        .toMatch(/mtls mode STRICT on a workload without a sidecar has no effect/);
    });

    test('two workloads with one name in a namespace', () => {
      const chart = newChart();
      const ns = new StrictNamespace(chart, 'foo');
      workload(chart, { namespace: ns });
      expect(refusal(() => new MeshWorkload(chart, 'again', { namespace: ns, name: 'httpbin', image: 'x' })).message)
        .toMatch(/Deployment "foo\/httpbin" is already emitted by test\/httpbin/);
    });
  });
});

test('missing required props (from JavaScript or another language) are refused by name, not a TypeError', () => {
  const chart = newChart();
  expect(refusal(() => new MeshWorkload(chart, 'w', {} as any)).message).toBe('test/w: required props are missing: namespace (undefined), image (undefined); give them in the props.');
  expect(refusal(() => new MeshWorkload(chart, 'v', { namespace: MeshNamespace.fromName('x') } as any)).message).toBe('test/v: required props are missing: image (undefined); give it in the props.');
  expect(refusal(() => new MeshWorkload(chart, 'u', undefined as any)).message).toMatch(/required props are missing: namespace \(undefined\), image \(undefined\)/);
});

describe('MeshWorkload container settings', () => {
  test('env (values, Secrets, ConfigMaps), volumes and mounts, writable paths, probes: cdk8s-plus types end up in the pod', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'shop');
    const secret = kplus.Secret.fromSecretName(chart, 'db-secret', 'db-credentials');
    const config = new kplus.ConfigMap(chart, 'settings', { metadata: { name: 'settings', namespace: 'shop' }, data: { LOG_LEVEL: 'info' } });
    new MeshWorkload(chart, 'reviews', {
      namespace: ns,
      image: 'reviews:1',
      ports: [{ port: 9080, name: 'http' }],
      envVariables: {
        LOG_DIR: kplus.EnvValue.fromValue('/tmp/logs'),
        DB_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }),
      },
      envFrom: [kplus.Env.fromConfigMap(config)],
      volumeMounts: [{ path: '/etc/config', volume: kplus.Volume.fromConfigMap(chart, 'config-volume', config), readOnly: true }],
      writablePaths: ['/tmp', '/opt/ibm/wlp/output'],
      readiness: kplus.Probe.fromHttpGet('/health', { port: 9080 }),
      liveness: kplus.Probe.fromTcpSocket({ port: 9080 }),
    });
    const objects = valid(synth(chart));
    const pod = only(objects, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(container.env).toEqual(expect.arrayContaining([
      { name: 'LOG_DIR', value: '/tmp/logs' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
    ]));
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'settings' } }]);
    expect(container.volumeMounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ mountPath: '/etc/config', readOnly: true }),
      expect.objectContaining({ mountPath: '/tmp', name: 'tmp' }),
      expect.objectContaining({ mountPath: '/opt/ibm/wlp/output', name: 'opt-ibm-wlp-output' }),
    ]));
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: 'tmp', emptyDir: {} }, { name: 'opt-ibm-wlp-output', emptyDir: {} }]));
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/health', port: 9080 });
    expect(container.livenessProbe.tcpSocket).toMatchObject({ port: 9080 });
    // The root filesystem stays read-only: the writable paths are volumes.
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  test('laptop-friendly default resources: 100m/128Mi requested, 1000m/512Mi limited', () => {
    const chart = newChart();
    workload(chart);
    const container = only(valid(synth(chart)), 'Deployment').spec.template.spec.containers[0];
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
  });

  test.each([
    [{ envVariables: { '1X': kplus.EnvValue.fromValue('a') } }, /environment variable name "1X" is not valid/],
    [{ envVariables: { X: 'a' } }, /environment variable "X" is "a", not an EnvValue: use kplus.EnvValue.fromValue/],
    [{ writablePaths: ['tmp'] }, /writable path "tmp" is not an absolute path/],
    [{ writablePaths: ['/tmp', '/tmp'] }, /mount path "\/tmp" is given twice/],
    [{ readiness: { httpGet: '/' } }, /readiness \{"httpGet": "\/"\} is not a probe/],
    [{ volumeMounts: [{ path: '/x' }] }, /volume mount .* needs a volume/],
  ])('refuses container settings %j', (extra, message) => {
    const chart = newChart();
    expect(refusal(() => workload(chart, extra as any)).message).toMatch(message);
  });
});
