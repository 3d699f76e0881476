// Google's Online Boutique, written with the library: eleven services (ten servers and the load
// generator) and redis in one STRICT namespace, its real call graph as authorization by identity,
// egress to Google's APIs through the egress gateway for the services only, and a lock-down.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AppProtocol, EgressGateway, EgressGatewayRoute, EgressLockdown, EgressMode, MeshIntent, MeshNamespace, MeshParty, MeshServiceAccount, MeshWorkload,
  Peer,
  RegistryOnlyEgress, StrictNamespace, WorkloadPort,
} from '../src';

export const BOUTIQUE_NAMESPACE = 'online-boutique';

/** The images' user: uid and gid 1000, as the published manifests run them. */
const NON_ROOT: kplus.ContainerSecurityContextProps = { user: 1000, group: 1000 };

const env = (values: { [name: string]: string }) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]));

interface ServiceSpec {
  readonly port: WorkloadPort;
  readonly env?: { [name: string]: string };
}

/** The servers: their Service port (name and container port as published) and settings. */
const SERVICES: { [name: string]: ServiceSpec } = {
  frontend: {
    port: { port: 80, containerPort: 8080, name: 'http', protocol: AppProtocol.HTTP },
    env: {
      PORT: '8080', PRODUCT_CATALOG_SERVICE_ADDR: 'productcatalogservice:3550', CURRENCY_SERVICE_ADDR: 'currencyservice:7000',
      CART_SERVICE_ADDR: 'cartservice:7070', RECOMMENDATION_SERVICE_ADDR: 'recommendationservice:8080', SHIPPING_SERVICE_ADDR: 'shippingservice:50051',
      CHECKOUT_SERVICE_ADDR: 'checkoutservice:5050', AD_SERVICE_ADDR: 'adservice:9555', ENABLE_PROFILER: '0',
    },
  },
  adservice: { port: { port: 9555, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '9555' } },
  cartservice: { port: { port: 7070, name: 'grpc', protocol: AppProtocol.GRPC }, env: { REDIS_ADDR: 'redis-cart:6379' } },
  checkoutservice: {
    port: { port: 5050, name: 'grpc', protocol: AppProtocol.GRPC },
    env: {
      PORT: '5050', PRODUCT_CATALOG_SERVICE_ADDR: 'productcatalogservice:3550', SHIPPING_SERVICE_ADDR: 'shippingservice:50051',
      PAYMENT_SERVICE_ADDR: 'paymentservice:50051', EMAIL_SERVICE_ADDR: 'emailservice:5000', CURRENCY_SERVICE_ADDR: 'currencyservice:7000',
      CART_SERVICE_ADDR: 'cartservice:7070',
    },
  },
  currencyservice: { port: { port: 7000, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '7000', DISABLE_PROFILER: '1' } },
  emailservice: { port: { port: 5000, containerPort: 8080, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '8080', DISABLE_PROFILER: '1' } },
  paymentservice: { port: { port: 50051, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '50051', DISABLE_PROFILER: '1' } },
  productcatalogservice: { port: { port: 3550, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '3550', DISABLE_PROFILER: '1' } },
  recommendationservice: {
    port: { port: 8080, name: 'grpc', protocol: AppProtocol.GRPC },
    env: { PORT: '8080', PRODUCT_CATALOG_SERVICE_ADDR: 'productcatalogservice:3550', DISABLE_PROFILER: '1' },
  },
  shippingservice: { port: { port: 50051, name: 'grpc', protocol: AppProtocol.GRPC }, env: { PORT: '50051', DISABLE_PROFILER: '1' } },
};

/** Who calls whom: the app's call graph (its published NetworkPolicies say the same). */
export const BOUTIQUE_CALLERS: { [server: string]: string[] } = {
  'frontend': ['loadgenerator'],
  'adservice': ['frontend'],
  'cartservice': ['frontend', 'checkoutservice'],
  'checkoutservice': ['frontend'],
  'currencyservice': ['frontend', 'checkoutservice'],
  'emailservice': ['checkoutservice'],
  'paymentservice': ['checkoutservice'],
  'productcatalogservice': ['frontend', 'checkoutservice', 'recommendationservice'],
  'recommendationservice': ['frontend'],
  'shippingservice': ['frontend', 'checkoutservice'],
  'redis-cart': ['cartservice'],
};

/** Google's APIs the services call when Cloud Operations (tracing, profiler) is on, and the token endpoint. */
export const BOUTIQUE_EGRESS_HOSTS = ['accounts.google.com', 'cloudtrace.googleapis.com', 'cloudprofiler.googleapis.com'];

function image(name: string): string {
  return `us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/${name}:v0.10.6`;
}

/**
 * Online Boutique in namespace `online-boutique`: each server callable only by its callers (redis
 * only by cartservice), the ingress gateway's identity allowed to frontend, the services (not the
 * load generator or redis) allowed to Google's APIs through the egress gateway, the namespace's
 * sidecars limited to registered hosts and its pods to the gateway, DNS and istiod.
 */
export function onlineBoutiqueChart(app: App): Chart {
  const chart = new Chart(app, 'online-boutique');
  const namespace = new StrictNamespace(chart, BOUTIQUE_NAMESPACE, { defaultDeny: true });
  const egressGateway = EgressGateway.istio();

  const workloads: { [name: string]: MeshWorkload } = {};
  for (const [name, spec] of Object.entries(SERVICES)) {
    workloads[name] = new MeshWorkload(chart, name, {
      namespace,
      image: image(name),
      ports: [spec.port],
      envVariables: env(spec.env ?? {}),
      securityContext: NON_ROOT,
      ...(name === 'frontend' ? { readiness: kplus.Probe.fromHttpGet('/_healthz', { port: 8080 }), liveness: kplus.Probe.fromHttpGet('/_healthz', { port: 8080 }) } : {}),
    });
  }
  workloads.loadgenerator = new MeshWorkload(chart, 'loadgenerator', {
    namespace, image: image('loadgenerator'), securityContext: NON_ROOT,
    envVariables: env({ FRONTEND_ADDR: 'frontend:80', USERS: '10', RATE: '1' }),
  });
  // Redis runs as the namespace's default account, as published; its data lives in an empty directory.
  workloads['redis-cart'] = new MeshWorkload(chart, 'redis-cart', {
    namespace, image: 'redis:alpine', serviceAccount: MeshServiceAccount.fromName(namespace, 'default'),
    ports: [{ port: 6379, name: 'tcp-redis', protocol: AppProtocol.TCP }],
    securityContext: NON_ROOT, writablePaths: ['/data'],
    readiness: kplus.Probe.fromTcpSocket({ port: 6379 }), liveness: kplus.Probe.fromTcpSocket({ port: 6379 }),
  });

  for (const [server, callers] of Object.entries(BOUTIQUE_CALLERS)) {
    for (const caller of callers) workloads[server].allowFrom(workloads[caller]);
  }
  workloads.frontend.allowPeers([Peer.serviceAccount(MeshNamespace.fromName('istio-system'), 'istio-ingressgateway-service-account')]);

  const clients = Object.keys(SERVICES).map((name) => workloads[name]);
  for (const host of BOUTIQUE_EGRESS_HOSTS) {
    new EgressGatewayRoute(chart, host, { egressGateway, host, namespace: BOUTIQUE_NAMESPACE, mode: EgressMode.tlsPassthrough(), clients });
  }
  new RegistryOnlyEgress(chart, 'registry-only', { namespace });
  new EgressLockdown(chart, 'lockdown', { namespace, egressGateway });

  // What must hold: checkout reaches payment, the cart's store only from the cart, the load
  // generator never reaches Google, and Google's APIs only through the gateway.
  const intent = new MeshIntent(chart, 'intent');
  const party = (name: string) => MeshParty.workload(workloads[name]);
  intent.mustAllow(party('checkoutservice'), party('paymentservice'));
  intent.mustAllow(party('cartservice'), party('redis-cart'), { port: 6379 });
  intent.mustDeny(party('frontend'), party('redis-cart'));
  intent.mustDeny(party('loadgenerator'), party('paymentservice'));
  intent.mustBeMtls(MeshParty.namespace(namespace));
  intent.mustLeaveVia(party('checkoutservice'), 'cloudtrace.googleapis.com', egressGateway);
  intent.mustNotReach(party('loadgenerator'), 'accounts.google.com');
  return chart;
}
