import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { ClientCredential } from '../client-credential';
import { IstioSecurityError } from '../errors';
import { ServerCa } from '../server-ca';
import { assertKeyAcknowledged, parseCertificates, parsePrivateKey, warnKeyInManifest } from './pem';
import { claimObjectName } from './registry';
import { onRollback } from './transaction';
import { KnownKeys, assertInstance, assertProps, isDnsSubdomain, quote, recordedProblem } from './validate';

/** Kubernetes keeps a Secret's data under 1 MiB. */
const MAX_SECRET_BYTES = 1024 * 1024;
/** Longest file path the gateway's kernel resolves (PATH_MAX). */
const MAX_PATH = 4096;

/** A Secret name (Kubernetes: a DNS-1123 subdomain). */
export function assertSecretName(scope: IConstruct, what: string, name: unknown): string {
  if (typeof name !== 'string' || !isDnsSubdomain(name)) {
    throw new IstioSecurityError(scope, `${what} ${quote(name)} is not a valid Secret name: use lowercase letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit, at most 253 characters (e.g. "client-credential").');
  }
  return name;
}

/** The server CA as checked: a path in the gateway pod, or a Secret name. */
export interface CheckedServerCa {
  readonly caCertificates?: string;
  readonly secretName?: string;
}

export function checkServerCa(scope: IConstruct, value: unknown): CheckedServerCa {
  const ca = assertInstance(scope, 'serverCa', value, ServerCa, 'ServerCa.fromFile(path) or ServerCa.fromSecret(name)');
  const secretName = ca.secretName;
  if (secretName !== undefined) return { secretName: assertSecretName(scope, 'serverCa Secret', secretName) };
  const path = ca.caCertificates;
  if (typeof path === 'string' && path.includes('-----BEGIN')) {
    throw new IstioSecurityError(scope, `serverCa file ${quote(path)} holds PEM, not a path: ServerCa.fromFile names a file in the gateway pod. `
      + 'To give the CA certificates themselves, put them into a Secret (key ca.crt) in the gateway\'s namespace and use ServerCa.fromSecret(name).');
  }
  // eslint-disable-next-line no-control-regex
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH || /[\u0000-\u001f\u007f]/.test(path)) {
    throw new IstioSecurityError(scope, `serverCa file ${quote(path)} is not an absolute path in the gateway pod: `
      + `use e.g. "/etc/ssl/certs/ca-certificates.crt" (at most ${MAX_PATH} characters, no control characters), or ServerCa.fromSecret(name).`);
  }
  return { caCertificates: path };
}

/** PEM material for a Secret the app creates (client credentials, gateway certificates). */
export interface PemMaterial {
  readonly secretName?: string;
  readonly certificate: string;
  readonly privateKey: string;
  readonly caCertificate?: string;
  readonly acknowledgeKeyInManifest: boolean;
}

const PEM_OPTIONS: KnownKeys<PemMaterial> = {
  secretName: true, certificate: true, privateKey: true, caCertificate: true, acknowledgeKeyInManifest: true,
};

/** How a kind of credential is named in messages. */
export interface CredentialKind {
  /** "client credential", "gateway certificate". */
  readonly what: string;
  /** The value object's class: "ClientCredential", "GatewayCertificate". */
  readonly factory: string;
}

/** A credential value object: a Secret name, and PEM material when the app creates the Secret. */
export interface Credential {
  readonly secretName: string;
  readonly _pem?: PemMaterial;
}

/** The PEM texts of a credential, as checked. */
export interface CheckedPem {
  readonly certificate: string;
  readonly privateKey: string;
  readonly caCertificate?: string;
}

/** A credential as checked: its Secret name, and the PEM to create it from, if any. */
export interface CheckedCredential {
  readonly credential: object;
  readonly secretName: string;
  readonly pem?: CheckedPem;
}

/**
 * Checks the Secret name and, for PEM material, the opt-in and the PEM blocks: certificates hold
 * only CERTIFICATE blocks that parse, the key is one unencrypted key that belongs to the first
 * certificate, and the whole fits a Secret. Linear in the PEM's length.
 */
export function checkCredential(scope: IConstruct, kind: CredentialKind, credential: Credential): CheckedCredential {
  const problem = recordedProblem(credential);
  if (problem !== undefined) throw new IstioSecurityError(scope, problem);
  const secretName = assertSecretName(scope, `${kind.what} Secret`, credential.secretName);
  if (!credential._pem) return { credential, secretName };
  const pem = assertProps(scope, `${kind.factory}.fromPem options`, credential._pem, PEM_OPTIONS);
  assertKeyAcknowledged(scope, pem.acknowledgeKeyInManifest, `${kind.factory}.fromPem`, `"${secretName}"`, `${kind.factory}.fromSecret(name)`);
  const certificate = pemText(scope, kind, 'certificate', pem.certificate, 'a PEM certificate chain (-----BEGIN CERTIFICATE-----)');
  const privateKey = pemText(scope, kind, 'privateKey', pem.privateKey, 'a PEM private key (a BEGIN PRIVATE KEY block, PKCS#8 or PKCS#1/SEC1)');
  const caCertificate = pem.caCertificate === undefined || pem.caCertificate === null ? undefined
    : pemText(scope, kind, 'caCertificate', pem.caCertificate, 'PEM CA certificates (-----BEGIN CERTIFICATE-----)');
  const size = certificate.length + privateKey.length + (caCertificate?.length ?? 0);
  if (size > MAX_SECRET_BYTES) {
    throw new IstioSecurityError(scope, `${kind.what} "${secretName}" would make a Secret of ${size} bytes, more than the 1 MiB Kubernetes stores: `
      + `trim the certificate chains, or create the Secret out of band and use ${kind.factory}.fromSecret(name).`);
  }
  const chain = parseCertificates(certificate);
  if ('problem' in chain) throw refusePem(scope, kind, 'certificate', chain.problem, 'a PEM certificate chain (CERTIFICATE blocks only)');
  const key = parsePrivateKey(privateKey);
  if ('problem' in key) throw refusePem(scope, kind, 'privateKey', key.problem, 'a PEM private key (one unencrypted key block)');
  if (!chain.certificates[0].checkPrivateKey(key.key)) {
    throw new IstioSecurityError(scope, `${kind.what} privateKey is not the key of the first certificate in certificate: `
      + 'give the key that belongs to that certificate (the peer would refuse the handshake).');
  }
  if (caCertificate !== undefined) {
    const ca = parseCertificates(caCertificate);
    if ('problem' in ca) throw refusePem(scope, kind, 'caCertificate', ca.problem, 'a PEM certificate bundle (CERTIFICATE blocks only)');
  }
  return { credential, secretName, pem: { certificate, privateKey, caCertificate } };
}

export const CLIENT_CREDENTIAL: CredentialKind = { what: 'client credential', factory: 'ClientCredential' };

export function checkClientCredential(scope: IConstruct, value: unknown): CheckedCredential {
  const credential = assertInstance(scope, 'clientCredential', value, ClientCredential,
    'ClientCredential.fromSecret(name) or ClientCredential.fromPem({ ... })');
  return checkCredential(scope, CLIENT_CREDENTIAL, credential);
}

function pemText(scope: IConstruct, kind: CredentialKind, what: string, value: unknown, expected: string): string {
  if (typeof value !== 'string') {
    throw new IstioSecurityError(scope, `${kind.what} ${what} is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}, `
      + `not ${expected}: give the PEM text.`);
  }
  return value;
}

function refusePem(scope: IConstruct, kind: CredentialKind, what: string, problem: string, expected: string): IstioSecurityError {
  // Never quote PEM: it may hold key material.
  return new IstioSecurityError(scope, `${kind.what} ${what} is not ${expected}: ${problem}.`);
}

/** How a chart uses one Secret of a gateway's namespace: created here, or referenced as existing elsewhere. */
interface SecretUse {
  readonly created?: { readonly kind: CredentialKind; readonly credential: object; readonly holder: IConstruct; readonly secret: ApiObject };
  readonly referencedBy?: IConstruct;
}
const secretsByChart = new WeakMap<IConstruct, Map<string, SecretUse>>();

function secretUses(scope: IConstruct): Map<string, SecretUse> {
  const chart = Chart.of(scope);
  let uses = secretsByChart.get(chart);
  if (!uses) {
    uses = new Map();
    secretsByChart.set(chart, uses);
  }
  return uses;
}

/**
 * Checks that a Secret a construct names fits the chart: a Secret this chart creates from PEM is
 * not also one it refers to as existing (`fromSecret`, `ServerCa.fromSecret`), or the created
 * one would replace it in the cluster; two different credentials never create one Secret.
 * `checked` is undefined for a reference to an existing Secret.
 */
export function checkSecretUse(scope: IConstruct, kind: CredentialKind, namespace: string, secretName: string,
  checked: CheckedCredential | undefined): void {
  const key = `${namespace}/${secretName}`;
  const use = secretUses(scope).get(key);
  if (!use) return;
  const creates = checked?.pem !== undefined;
  if (creates && use.referencedBy) {
    throw new IstioSecurityError(scope, `Secret "${key}" is referred to as an existing Secret by ${use.referencedBy.node.path}, and this would create it `
      + `from PEM, replacing that Secret in the cluster: give the PEM ${kind.what} another secretName, or use ${kind.factory}.fromSecret here too.`);
  }
  if (!creates && use.created) {
    throw new IstioSecurityError(scope, `Secret "${key}" is created from PEM by ${use.created.holder.node.path}, and this refers to it as an existing Secret: `
      + `the created one would replace the existing one in the cluster. Give the PEM ${use.created.kind.what} another secretName, or reuse that ${use.created.kind.factory}.`);
  }
  if (creates && use.created && use.created.credential !== checked!.credential) {
    throw new IstioSecurityError(scope, `a different ${use.created.kind.what} already creates Secret "${key}" (${use.created.holder.node.path}): `
      + `reuse that ${kind.factory}, or give this one another secretName.`);
  }
}

/** Records that `scope` refers to an existing Secret (checked with `checkSecretUse` first). */
export function referSecret(scope: IConstruct, namespace: string, secretName: string): void {
  const uses = secretUses(scope);
  const key = `${namespace}/${secretName}`;
  if (uses.has(key)) return;
  uses.set(key, { referencedBy: scope });
  onRollback(scope, () => uses.delete(key));
}

/** A Secret this app creates from PEM material. */
export interface PemSecretOptions {
  readonly kind: CredentialKind;
  /** The credential as checked (`checkCredential`), with its PEM. */
  readonly checked: CheckedCredential;
  readonly namespace: string;
  /** Secret type, e.g. `kubernetes.io/tls`. */
  readonly type: string;
  /** Child id of the Secret under the construct that creates it. */
  readonly id: string;
}

/**
 * The Secret of PEM material, created once per chart and namespace (a gateway reads
 * `credentialName` Secrets only from its own namespace), with a synth-time warning that its key
 * is in the manifests. Checked with `checkSecretUse` first; undefined for a reference.
 */
export function pemSecret(scope: IConstruct, options: PemSecretOptions): ApiObject | undefined {
  const { kind, checked, namespace } = options;
  const pem = checked.pem;
  if (!pem) return undefined;
  const uses = secretUses(scope);
  const key = `${namespace}/${checked.secretName}`;
  const existing = uses.get(key)?.created;
  if (existing) return existing.secret;
  claimObjectName(scope, 'Secret', namespace, checked.secretName);
  const secret = new kplus.Secret(scope, options.id, {
    metadata: { name: checked.secretName, namespace },
    type: options.type,
    stringData: {
      'tls.crt': pem.certificate,
      'tls.key': pem.privateKey,
      ...(pem.caCertificate !== undefined ? { 'ca.crt': pem.caCertificate } : {}),
    },
  });
  warnKeyInManifest(scope, `${kind.factory} "${checked.secretName}"`, key, `${kind.factory}.fromSecret("${checked.secretName}")`);
  const apiObject = ApiObject.of(secret);
  uses.set(key, { created: { kind, credential: checked.credential, holder: scope, secret: apiObject } });
  onRollback(scope, () => uses.delete(key));
  return apiObject;
}

/**
 * The Secret of a PEM client credential, created once per chart in the gateway's namespace (the
 * gateway reads `credentialName` Secrets only there). Undefined for `fromSecret` credentials.
 */
export function clientCredentialSecret(route: IConstruct, checked: CheckedCredential, namespace: string): ApiObject | undefined {
  return pemSecret(route, { kind: CLIENT_CREDENTIAL, checked, namespace, type: 'Opaque', id: 'ClientCredential' });
}

