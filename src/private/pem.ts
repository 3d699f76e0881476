import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { warnAtSynth } from './warnings';

// The one rule for key material in manifests, shared by every construct that can write a private
// key into a Secret (ClientCredential.fromPem, CaCertificates.fromPem): refused unless the caller
// acknowledges it, and a warning at synth time when it does.

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----/;

/** Whether `value` holds a PEM certificate block. */
export function isPemCertificate(value: unknown): value is string {
  return typeof value === 'string' && CERTIFICATE.test(value);
}

/** Throws unless `value` holds a PEM certificate block. */
export function assertPemCertificate(scope: IConstruct, what: string, value: unknown): string {
  if (!isPemCertificate(value)) throw new IstioSecurityError(scope, `${what} is not a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  return value;
}

/** Throws unless `value` holds a PEM private key block (PKCS#8, PKCS#1 or SEC1). */
export function assertPemPrivateKey(scope: IConstruct, what: string, value: unknown): string {
  if (typeof value !== 'string' || !PRIVATE_KEY.test(value)) {
    throw new IstioSecurityError(scope, `${what} is not a PEM private key (a BEGIN PRIVATE KEY block, PKCS#8 or PKCS#1/SEC1).`);
  }
  return value;
}

/**
 * Refuses a private key in the manifests unless `acknowledged` is exactly `true`. `factory` is
 * e.g. `ClientCredential.fromPem`, `owner` whose key it is, `alternative` the referencing factory.
 */
export function assertKeyAcknowledged(scope: IConstruct, acknowledged: unknown, factory: string, owner: string, alternative: string): void {
  if (acknowledged !== true) {
    throw new IstioSecurityError(scope, `${factory} would write the private key of ${owner} into the synthesized manifests: `
      + `pass acknowledgeKeyInManifest: true to accept that, or create the Secret out of band and use ${alternative}.`);
  }
}

/**
 * The synth-time warning of a Secret `<namespace>/<name>` that carries a private key: `holder`
 * is what writes it, `alternative` the factory that references the Secret instead.
 */
export function warnKeyInManifest(scope: IConstruct, holder: string, secret: string, alternative: string): void {
  warnAtSynth(scope, `${holder} writes a private key into Secret ${secret} in the synthesized manifests: `
    + `keep the output out of version control and logs, or create the Secret out of band and use ${alternative}.`);
}
