import { App, Chart } from 'cdk8s';
import {
  AppProtocol, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode, IMeshNamespace, MeshIntent, MeshNamespace, MeshParty, MeshWorkload,
  PluginCa, Team, TeamNamespace,
} from '../src';
import { sleep } from './workloads';

/** An HTTP service standing in for the photo app's tiers (httpbin: port 8000 to container port 80, runs as root). */
function photoService(chart: Chart, namespace: IMeshNamespace, name: string): MeshWorkload {
  return new MeshWorkload(chart, name, {
    namespace,
    image: 'docker.io/kennethreitz/httpbin',
    ports: [{ port: 8000, containerPort: 80, protocol: AppProtocol.HTTP }],
    securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: false },
  });
}

/**
 * A4 (seed 001): one namespace per SRE team, each team able to manage only its own namespace, and
 * each workload with its own service account (its identity). The photo SRE team runs
 * photo-frontend and photo-backend in `photo-ns`, the datastore SRE team runs datastore in
 * `datastore-ns`. Only photo-frontend -> photo-backend and photo-backend -> datastore are allowed;
 * photo-frontend -> datastore matches no rule and is denied. Both namespaces allow calls identity
 * by identity, so neither lets its own workloads in wholesale (allowOwnNamespace: false). Nothing
 * may call photo-frontend here: its callers (e.g. an ingress gateway) are outside the scenario.
 *
 * The seed's `istio-ca-ns` is istiod's namespace today (`istio-system`), where istiod reads its
 * plug-in CA from the `cacerts` Secret: referenced, never written here, and no team gets a rule there.
 */
export function identityAccessChart(app: App): Chart {
  const chart = new Chart(app, 'a4-identity-access');
  new PluginCa(chart, 'istio-ca');
  const photo = new TeamNamespace(chart, 'photo-ns', {
    team: Team.of('photo-sre', { groups: ['photo-sre'] }),
    allowOwnNamespace: false,
  });
  const datastoreNs = new TeamNamespace(chart, 'datastore-ns', {
    team: Team.of('datastore-sre', { groups: ['datastore-sre'] }),
    allowOwnNamespace: false,
  });
  const frontend = photoService(chart, photo, 'photo-frontend');
  const backend = photoService(chart, photo, 'photo-backend');
  const datastore = new MeshWorkload(chart, 'datastore', {
    namespace: datastoreNs,
    image: 'docker.io/library/redis:7.4',
    ports: [{ port: 6379, protocol: AppProtocol.REDIS }],
    // The image's redis user (uid 999) writes to /data.
    securityContext: { user: 999, group: 999, readOnlyRootFilesystem: false },
  });
  backend.allowFrom(frontend);
  datastore.allowFrom(backend, { ports: [6379] });
  // What must hold: synth fails if the model predicts otherwise.
  const intent = new MeshIntent(chart, 'intent');
  intent.mustAllow(MeshParty.workload(frontend), MeshParty.workload(backend), { port: 8000 });
  intent.mustAllow(MeshParty.workload(backend), MeshParty.workload(datastore), { port: 6379 });
  intent.mustDeny(MeshParty.workload(frontend), MeshParty.workload(datastore));
  intent.mustBeMtls(MeshParty.namespace(photo));
  intent.mustBeMtls(MeshParty.namespace(datastoreNs));
  return chart;
}

/**
 * B5: the application namespace `default` (where sleep runs) may reach only the egress gateway,
 * DNS, istiod and its own pods, so nothing leaves the cluster except through the gateway.
 */
export function egressLockdownChart(app: App): Chart {
  const chart = new Chart(app, 'b5-egress-lockdown');
  const namespace = MeshNamespace.fromName('default', { sidecarInjection: true });
  const egressGateway = EgressGateway.istio();
  sleep(chart, namespace);
  new EgressLockdown(chart, 'lockdown', { namespace, egressGateway });
  // A host to leave for, through the gateway: the report shows sleep's path and that the
  // lock-down blocks any direct bypass.
  new EgressGatewayRoute(chart, 'cnn', { egressGateway, host: 'edition.cnn.com', mode: EgressMode.http() });
  const intent = new MeshIntent(chart, 'intent');
  intent.mustLeaveVia(MeshParty.namespace(namespace), 'edition.cnn.com', egressGateway, { port: 80 });
  // A host no route declares: the sidecar would pass it through (ALLOW_ANY), the lock-down drops it.
  intent.mustNotReach(MeshParty.namespace(namespace), 'api.github.com');
  return chart;
}

export function addAuthorizationCharts(app: App): void {
  identityAccessChart(app);
  egressLockdownChart(app);
}
