import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { ClientCredential } from '../client-credential';
import { IstioSecurityError } from '../errors';
import { ServerCa } from '../server-ca';
import { assertKeyAcknowledged, assertPemCertificate, assertPemPrivateKey, warnKeyInManifest } from './pem';
import { claimObjectName } from './registry';
import { isDnsSubdomain, quote } from './validate';

/** A Secret name (Kubernetes: a DNS-1123 subdomain). */
export function assertSecretName(scope: IConstruct, what: string, name: string): void {
  if (typeof name !== 'string' || !isDnsSubdomain(name)) {
    throw new IstioSecurityError(scope, `${what} ${quote(name)} is not a valid Secret name: use lowercase letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit, at most 253 characters (e.g. "client-credential").');
  }
}

/** PEM material for a Secret the app creates (client credentials, gateway certificates). */
export interface PemMaterial {
  readonly certificate: string;
  readonly privateKey: string;
  readonly caCertificate?: string;
  readonly acknowledgeKeyInManifest: boolean;
}

/** How a kind of credential is named in messages. */
export interface CredentialKind {
  /** "client credential", "gateway certificate". */
  readonly what: string;
  /** The value object's class: "ClientCredential", "GatewayCertificate". */
  readonly factory: string;
}

/** Checks the Secret name and, for PEM material, the opt-in and the PEM blocks. */
export function checkCredential(scope: IConstruct, kind: CredentialKind, secretName: string, pem: PemMaterial | undefined): void {
  assertSecretName(scope, `${kind.what} Secret`, secretName);
  if (!pem) return;
  assertKeyAcknowledged(scope, pem.acknowledgeKeyInManifest, `${kind.factory}.fromPem`, `"${secretName}"`, `${kind.factory}.fromSecret(name)`);
  assertPemCertificate(scope, `${kind.what} certificate`, pem.certificate);
  assertPemPrivateKey(scope, `${kind.what} privateKey`, pem.privateKey);
  if (pem.caCertificate !== undefined) assertPemCertificate(scope, `${kind.what} caCertificate`, pem.caCertificate);
}

const CLIENT_CREDENTIAL: CredentialKind = { what: 'client credential', factory: 'ClientCredential' };

export function checkServerCa(scope: IConstruct, ca: ServerCa): void {
  if (ca.secretName !== undefined) {
    assertSecretName(scope, 'serverCa Secret', ca.secretName);
  } else if (typeof ca.caCertificates !== 'string' || !ca.caCertificates.startsWith('/')) {
    throw new IstioSecurityError(scope, `serverCa file ${quote(ca.caCertificates)} is not an absolute path in the gateway pod: `
      + 'use e.g. "/etc/ssl/certs/ca-certificates.crt", or ServerCa.fromSecret(name).');
  }
}

export function checkClientCredential(scope: IConstruct, credential: ClientCredential): void {
  checkCredential(scope, CLIENT_CREDENTIAL, credential.secretName, credential._pem);
}

interface CreatedSecret { readonly credential: object; readonly holder: IConstruct; readonly secret: ApiObject }
const secretsByChart = new WeakMap<IConstruct, Map<string, CreatedSecret>>();

/** A Secret this app creates from PEM material. */
export interface PemSecretOptions {
  readonly kind: CredentialKind;
  /** The value object the Secret is made from: one Secret per object and chart. */
  readonly credential: object;
  readonly secretName: string;
  readonly namespace: string;
  readonly pem: PemMaterial;
  /** Secret type, e.g. `kubernetes.io/tls`. */
  readonly type: string;
  /** Child id of the Secret under the construct that creates it. */
  readonly id: string;
}

/**
 * The Secret of PEM material, created once per chart and namespace (a gateway reads
 * `credentialName` Secrets only from its own namespace), with a synth-time warning that its key
 * is in the manifests. A different value object naming the same Secret is refused.
 */
export function pemSecret(scope: IConstruct, options: PemSecretOptions): ApiObject {
  const { kind, credential, secretName, namespace, pem } = options;
  const chart = Chart.of(scope);
  const secrets = secretsByChart.get(chart) ?? new Map<string, CreatedSecret>();
  secretsByChart.set(chart, secrets);
  const key = `${namespace}/${secretName}`;
  const existing = secrets.get(key);
  if (existing) {
    if (existing.credential !== credential) {
      throw new IstioSecurityError(scope, `a different ${kind.what} already creates Secret "${key}" (${existing.holder.node.path}): `
        + `reuse that ${kind.factory}, or give this one another secretName.`);
    }
    return existing.secret;
  }
  claimObjectName(scope, 'Secret', namespace, secretName);
  const secret = new kplus.Secret(scope, options.id, {
    metadata: { name: secretName, namespace },
    type: options.type,
    stringData: {
      'tls.crt': pem.certificate,
      'tls.key': pem.privateKey,
      ...(pem.caCertificate !== undefined ? { 'ca.crt': pem.caCertificate } : {}),
    },
  });
  warnKeyInManifest(scope, `${kind.factory} "${secretName}"`, key, `${kind.factory}.fromSecret("${secretName}")`);
  const apiObject = ApiObject.of(secret);
  secrets.set(key, { credential, holder: scope, secret: apiObject });
  return apiObject;
}

/**
 * The Secret of a PEM client credential, created once per chart in the gateway's namespace (the
 * gateway reads `credentialName` Secrets only there). Undefined for `fromSecret` credentials.
 */
export function clientCredentialSecret(route: IConstruct, credential: ClientCredential, namespace: string): ApiObject | undefined {
  const pem = credential._pem;
  if (!pem) return undefined;
  return pemSecret(route, {
    kind: CLIENT_CREDENTIAL, credential, secretName: credential.secretName, namespace, pem, type: 'Opaque', id: 'ClientCredential',
  });
}
