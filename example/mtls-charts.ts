import { App, Chart } from 'cdk8s';
import {
  AppProtocol, MeshNamespace, MeshWideMtls, MeshWorkload, MtlsMode, SidecarInjection, StrictNamespace,
} from '../src';
import { httpbin, sleep } from './workloads';

/** A1: one namespace that accepts only mutual TLS. */
export function strictNamespaceChart(app: App): Chart {
  const chart = new Chart(app, 'a1-strict-namespace');
  new StrictNamespace(chart, 'project-space');
  return chart;
}

/** The three policy scopes of A2. */
export enum PolicyScope {
  MESH = 'mesh-wide',
  NAMESPACE = 'namespace-wide',
  WORKLOAD = 'workload',
}

/** A2: foo and bar in the mesh, legacy outside it, httpbin and sleep in each; STRICT at one scope. */
export function policyScopeChart(app: App, scope: PolicyScope): Chart {
  const chart = new Chart(app, `a2-${scope}`);
  const foo = scope === PolicyScope.NAMESPACE
    ? new StrictNamespace(chart, 'foo', { clientTls: false })
    : new MeshNamespace(chart, 'foo');
  const bar = new MeshNamespace(chart, 'bar');
  const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
  for (const ns of [foo, bar, legacy]) {
    const strictWorkload = scope === PolicyScope.WORKLOAD && ns === bar;
    httpbin(chart, ns, strictWorkload ? { mtls: { mode: MtlsMode.STRICT }, clientTls: {} } : {});
    sleep(chart, ns);
  }
  if (scope === PolicyScope.MESH) new MeshWideMtls(chart, 'mesh-wide');
  return chart;
}

/** A3: two Deployments that ask for a sidecar by annotation; a DestinationRule for one Service. */
export function sidecarAnnotationChart(app: App): Chart {
  const chart = new Chart(app, 'a3-sidecar-annotation');
  const namespace = MeshNamespace.fromName('default');
  for (const name of ['service-a', 'service-b']) {
    new MeshWorkload(chart, name, {
      namespace,
      image: 'docker.io/nginxinc/nginx-unprivileged:1.27',
      sidecar: true,
      ports: [{ port: 80, containerPort: 8080, protocol: AppProtocol.HTTP }],
      // nginx writes its cache and pid file under the root filesystem.
      securityContext: { readOnlyRootFilesystem: false, user: 101, group: 101 },
      clientTls: name === 'service-a' ? { name: 'enable-mtls' } : undefined,
    });
  }
  return chart;
}

export function addMtlsCharts(app: App): void {
  strictNamespaceChart(app);
  for (const scope of [PolicyScope.MESH, PolicyScope.NAMESPACE, PolicyScope.WORKLOAD]) policyScopeChart(app, scope);
  sidecarAnnotationChart(app);
}
