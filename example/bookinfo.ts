// Istio's bookinfo sample, written with the library: four services in one STRICT namespace, reviews
// in three versions behind one Service and one identity, each service callable only by its callers.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { GatewayCertificate, IngressGateway, IngressRoute, IngressTls, MeshIntent, MeshParty, MeshService, ServiceVersionOptions, StrictNamespace } from '../src';

export const BOOKINFO_NAMESPACE = 'bookinfo';

/** The images run as a non-root user; a numeric one lets Kubernetes check `runAsNonRoot`. */
const NON_ROOT: kplus.ContainerSecurityContextProps = { user: 1000, group: 1000 };

function image(service: string, version: string): string {
  return `docker.io/istio/examples-bookinfo-${service}-${version}:1.20.1`;
}

/**
 * bookinfo: the ingress gateway calls productpage, productpage calls details and reviews, reviews
 * calls ratings; nothing else is allowed (the namespace denies by default). The gateway itself is
 * installed with Istio; the route to productpage (bookinfo.example.com, TLS at the gateway with the
 * Secret `bookinfo-credential` in istio-system) lets in its identity
 * (`istio-system/istio-ingressgateway-service-account`), on productpage's port only.
 */
export function bookinfoChart(app: App): Chart {
  const chart = new Chart(app, 'bookinfo');
  const namespace = new StrictNamespace(chart, BOOKINFO_NAMESPACE, { defaultDeny: true });
  const service = (name: string, extra: { subsets?: boolean } = {}) => new MeshService(chart, name, {
    namespace, ports: [{ port: 9080, name: 'http' }], serviceAccountName: `bookinfo-${name}`, ...extra,
  });
  const version = (options: Partial<ServiceVersionOptions> & { image: string }): ServiceVersionOptions => ({
    securityContext: NON_ROOT, ...options,
  });

  const details = service('details');
  details.addVersion('v1', version({ image: image('details', 'v1') }));
  const ratings = service('ratings');
  ratings.addVersion('v1', version({ image: image('ratings', 'v1') }));
  // Three versions, one Service, one account; subsets for routing by version later.
  const reviews = service('reviews', { subsets: true });
  for (const v of ['v1', 'v2', 'v3']) {
    reviews.addVersion(v, version({
      image: image('reviews', v),
      envVariables: { LOG_DIR: kplus.EnvValue.fromValue('/tmp/logs') },
      // Liberty writes its logs and work area there; the root filesystem stays read-only.
      writablePaths: ['/tmp', '/opt/ibm/wlp/output'],
    }));
  }
  const productpage = service('productpage');
  productpage.addVersion('v1', version({ image: image('productpage', 'v1'), writablePaths: ['/tmp'] }));

  details.allowFrom(productpage);
  reviews.allowFrom(productpage);
  ratings.allowFrom(reviews);
  new IngressRoute(chart, 'ingress', {
    ingressGateway: IngressGateway.istio(),
    hosts: ['bookinfo.example.com'],
    workload: productpage,
    tls: IngressTls.simple({ certificate: GatewayCertificate.fromSecret('bookinfo-credential'), httpsRedirect: true }),
  });

  // What must hold: the call graph, and nothing around it.
  const intent = new MeshIntent(chart, 'intent');
  const party = MeshParty.workload;
  intent.mustAllow(party(productpage), party(details), { port: 9080 });
  intent.mustAllow(party(productpage), party(reviews), { port: 9080 });
  intent.mustAllow(party(reviews), party(ratings), { port: 9080 });
  intent.mustDeny(party(productpage), party(ratings));
  intent.mustDeny(party(details), party(reviews));
  intent.mustDeny(party(ratings), party(productpage));
  intent.mustBeMtls(MeshParty.namespace(namespace));
  return chart;
}
