// Platforms for DENY rules, negations and source identity fields: the model's tests assert their
// outcomes (model-deny.test.ts), the oracle suite checks them against Istio (oracle-deny.test.ts).
import { authorizationPolicy, deployment, namespace, peerAuthentication, service } from './model-fixtures';

export const DENY_BASE = [
  namespace('app'), namespace('team-a-prod'), namespace('legacy', { 'istio-injection': 'disabled' }),
  peerAuthentication('app', 'default', { mtls: { mode: 'PERMISSIVE' } }),
  deployment('app', 'api', { ports: [8080, 9000] }),
  service('app', 'api', [{ port: 80, targetPort: 8080, name: 'http' }, { port: 9000, name: 'tcp' }]),
  deployment('app', 'web'), deployment('team-a-prod', 'job'), deployment('legacy', 'old'),
];

/** A policy selecting app/api. */
export const api = (name: string, spec: any): any => authorizationPolicy('app', name, { selector: { matchLabels: { app: 'api' } }, ...spec });

const dryRun = (value: string) => {
  const p = api('everything', { action: 'DENY', rules: [{}] });
  p.metadata.annotations = { 'istio.io/dry-run': value };
  return p;
};

/** The policies of each case, added to DENY_BASE. */
export const DENY_CASES: Record<string, any[]> = {
  'not-principals': [api('only-web', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/app/sa/web'] } }] }] })],
  'principals-any': [api('no-job', { action: 'DENY', rules: [{ from: [{ source: { principals: ['*'] } }] }] })],
  'not-namespaces-wildcard': [api('teams', { action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['team-*-prod'] } }] }] })],
  'not-paths-methods': [api('admin', { action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/public/*'], notMethods: ['GET'] } }] }] })],
  'not-ports': [api('only-80', { action: 'DENY', rules: [{ to: [{ operation: { notPorts: ['8080'] } }] }] })],
  'service-accounts-here': [api('by-sa', { rules: [{ from: [{ source: { serviceAccounts: ['web'] } }] }] })],
  'service-accounts-there': [api('by-sa', { rules: [{ from: [{ source: { serviceAccounts: ['team-a-prod/job'] } }] }] })],
  'trust-domains': [api('td', { rules: [{ from: [{ source: { trustDomains: ['cluster.local'] } }] }] })],
  'when-trust-domain': [api('td', { rules: [{ when: [{ key: 'source.trustDomain', values: ['partner.example'] }] }] })],
  'when-service-account': [api('cond', { action: 'DENY', rules: [{ when: [{ key: 'source.serviceAccount', values: ['team-a-prod/job'] }] }] })],
  'when-header': [api('hdr', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-debug]', values: ['1'] }] }] })],
  'when-metadata': [api('meta', { action: 'DENY', rules: [{ when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }] }] })],
  'dry-run': [dryRun('true')],
  'not-dry-run': [dryRun('false')],
  'deny-without-rules': [api('empty', { action: 'DENY', rules: [] })],
};
