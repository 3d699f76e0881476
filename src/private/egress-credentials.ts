import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { ClientCredential } from '../client-credential';
import { IstioSecurityError } from '../errors';
import { ServerCa } from '../server-ca';
import { warnAtSynth } from './warnings';
import { claimObjectName } from './registry';
import { isDnsSubdomain, quote } from './validate';

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----/;

/** A Secret name (Kubernetes: a DNS-1123 subdomain). */
function assertSecretName(scope: IConstruct, what: string, name: string): void {
  if (typeof name !== 'string' || !isDnsSubdomain(name)) {
    throw new IstioSecurityError(scope, `${what} ${quote(name)} is not a valid Secret name: use lowercase letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit, at most 253 characters (e.g. "client-credential").');
  }
}

export function checkServerCa(scope: IConstruct, ca: ServerCa): void {
  if (ca.secretName !== undefined) {
    assertSecretName(scope, 'serverCa Secret', ca.secretName);
  } else if (typeof ca.caCertificates !== 'string' || !ca.caCertificates.startsWith('/')) {
    throw new IstioSecurityError(scope, `serverCa file ${quote(ca.caCertificates)} is not an absolute path in the gateway pod: `
      + 'use e.g. "/etc/ssl/certs/ca-certificates.crt", or ServerCa.fromSecret(name).');
  }
}

export function checkClientCredential(scope: IConstruct, credential: ClientCredential): void {
  assertSecretName(scope, 'client credential Secret', credential.secretName);
  const pem = credential._pem;
  if (!pem) return;
  if (pem.acknowledgeKeyInManifest !== true) {
    throw new IstioSecurityError(scope, `ClientCredential.fromPem would write the private key of "${credential.secretName}" into the synthesized `
      + 'manifests: pass acknowledgeKeyInManifest: true to accept that, or create the Secret out of band and use ClientCredential.fromSecret(name).');
  }
  if (typeof pem.certificate !== 'string' || !CERTIFICATE.test(pem.certificate)) {
    throw new IstioSecurityError(scope, 'client credential certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----).');
  }
  if (typeof pem.privateKey !== 'string' || !PRIVATE_KEY.test(pem.privateKey)) {
    throw new IstioSecurityError(scope, 'client credential privateKey is not a PEM private key (a BEGIN PRIVATE KEY block, PKCS#8 or PKCS#1/SEC1).');
  }
  if (pem.caCertificate !== undefined && (typeof pem.caCertificate !== 'string' || !CERTIFICATE.test(pem.caCertificate))) {
    throw new IstioSecurityError(scope, 'client credential caCertificate is not a PEM certificate (-----BEGIN CERTIFICATE-----).');
  }
}

interface CreatedSecret { readonly credential: ClientCredential; readonly holder: IConstruct; readonly secret: ApiObject }
const secretsByChart = new WeakMap<IConstruct, Map<string, CreatedSecret>>();

/**
 * The Secret of a PEM client credential, created once per chart in the gateway's namespace (the
 * gateway reads `credentialName` Secrets only there). Undefined for `fromSecret` credentials.
 */
export function clientCredentialSecret(route: IConstruct, credential: ClientCredential, namespace: string): ApiObject | undefined {
  const pem = credential._pem;
  if (!pem) return undefined;
  const chart = Chart.of(route);
  const secrets = secretsByChart.get(chart) ?? new Map<string, CreatedSecret>();
  secretsByChart.set(chart, secrets);
  const key = `${namespace}/${credential.secretName}`;
  const existing = secrets.get(key);
  if (existing) {
    if (existing.credential !== credential) {
      throw new IstioSecurityError(route, `a different client credential already creates Secret "${key}" (${existing.holder.node.path}): `
        + 'reuse that ClientCredential, or give this one another secretName.');
    }
    return existing.secret;
  }
  claimObjectName(route, 'Secret', namespace, credential.secretName);
  const secret = new kplus.Secret(route, 'ClientCredential', {
    metadata: { name: credential.secretName, namespace },
    type: 'Opaque',
    stringData: {
      'tls.crt': pem.certificate,
      'tls.key': pem.privateKey,
      ...(pem.caCertificate !== undefined ? { 'ca.crt': pem.caCertificate } : {}),
    },
  });
  warnAtSynth(route, `ClientCredential "${credential.secretName}" writes a private key into Secret ${key} in the synthesized manifests: `
    + `keep the output out of version control and logs, or create the Secret out of band and use ClientCredential.fromSecret("${credential.secretName}").`);
  const apiObject = ApiObject.of(secret);
  secrets.set(key, { credential, holder: route, secret: apiObject });
  return apiObject;
}
