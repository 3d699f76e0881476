import { KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { warnAtSynth } from './warnings';

// PEM as the gateway's Envoy and istiod read it from a Secret: blocks of base64 between BEGIN and
// END lines of one label. The scanner is linear in the input (indexOf from the last position; no
// backtracking regular expression over the whole text), so a large or hostile input costs
// little. One module for every construct that takes PEM (ClientCredential, GatewayCertificate,
// CaCertificates), and the one rule for key material in manifests.

/** One `-----BEGIN <label>-----` ... `-----END <label>-----` block. */
export interface PemBlock {
  readonly label: string;
  /** The block as text, BEGIN and END lines included. */
  readonly text: string;
}

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9]+( [A-Z0-9]+)*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** The blocks of `text`, or why it is not PEM (nothing but whitespace may stand between blocks). */
export function parsePem(text: string): { blocks: PemBlock[] } | { problem: string } {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, at);
    const gap = text.slice(at, begin < 0 ? text.length : begin);
    if (gap.trim() !== '') {
      return { problem: `it has text outside the BEGIN/END blocks (${describeText(gap.trim())}); keep only the PEM blocks` };
    }
    if (begin < 0) break;
    const labelEnd = text.indexOf(DASHES, begin + BEGIN.length);
    const label = labelEnd < 0 ? '' : text.slice(begin + BEGIN.length, labelEnd);
    if (labelEnd < 0 || label.length > 64 || !LABEL.test(label)) return { problem: 'a BEGIN line is not "-----BEGIN <LABEL>-----"' };
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, labelEnd);
    if (end < 0) return { problem: `the "${label}" block has no "${endLine}" line` };
    const body = text.slice(labelEnd + DASHES.length, end);
    const problem = bodyProblem(label, body);
    if (problem) return { problem };
    blocks.push({ label, text: `${BEGIN}${label}${DASHES}${body}${endLine}\n` });
    at = end + endLine.length;
  }
  if (blocks.length === 0) return { problem: 'it has no "-----BEGIN ...-----" block' };
  return { blocks };
}

function bodyProblem(label: string, body: string): string | undefined {
  if (!/^[\t ]*(\r?\n)/.test(body)) return `the "${label}" BEGIN line is not followed by a line break`;
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return `the "${label}" block is empty`;
  if (lines.some((l) => l.includes(':'))) return `the "${label}" block has headers (an encrypted legacy key?), which the gateway cannot read`;
  const joined = lines.join('');
  // '=' only as padding at the very end, and whole 4-character groups.
  if (!lines.every((l) => BASE64_LINE.test(l)) || joined.length % 4 !== 0 || /=[^=]/.test(joined)) {
    return `the "${label}" block is not base64 between its BEGIN and END lines`;
  }
  return undefined;
}

function describeText(text: string): string {
  return text.length > 40 ? `"${text.slice(0, 30)}…", ${text.length} characters` : JSON.stringify(text);
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/** Whether a label is private key material of any kind (encrypted or not). */
export function isKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

/** Certificates: only CERTIFICATE blocks, each a certificate Node's X.509 parser reads. */
export function parseCertificates(text: string): { certificates: X509Certificate[] } | { problem: string } {
  const parsed = parsePem(text);
  if ('problem' in parsed) return parsed;
  const certificates: X509Certificate[] = [];
  for (const [i, block] of parsed.blocks.entries()) {
    if (isKeyLabel(block.label)) return { problem: `it contains a "${block.label}" block: private key material must never go into a certificate field` };
    if (block.label !== 'CERTIFICATE') return { problem: `it contains a "${block.label}" block where only CERTIFICATE blocks belong` };
    try {
      certificates.push(new X509Certificate(block.text));
    } catch {
      return { problem: `certificate ${i + 1} cannot be parsed: its CERTIFICATE block does not hold an X.509 certificate` };
    }
  }
  return { certificates };
}

/** A private key: one unencrypted key block (PKCS#8, PKCS#1 or SEC1; EC PARAMETERS may precede SEC1). */
export function parsePrivateKey(text: string): { key: KeyObject } | { problem: string } {
  const parsed = parsePem(text);
  if ('problem' in parsed) return parsed;
  const keys = parsed.blocks.filter((b) => b.label !== 'EC PARAMETERS');
  if (keys.length !== 1 || !KEY_LABELS.has(keys[0].label)) {
    const labels = [...new Set(parsed.blocks.map((b) => b.label))].slice(0, 5).join(', ');
    return {
      problem: parsed.blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')
        ? 'it is an encrypted key, which the gateway cannot read without its passphrase; decrypt it'
        : `it holds the blocks ${labels}, not exactly one PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block`,
    };
  }
  try {
    return { key: createPrivateKey({ key: keys[0].text, format: 'pem' }) };
  } catch {
    return { problem: `its "${keys[0].label}" block does not hold a private key` };
  }
}

/** Whether `value` is PEM made only of CERTIFICATE blocks that hold X.509 certificates. */
export function isPemCertificate(value: unknown): value is string {
  return typeof value === 'string' && 'certificates' in parseCertificates(value);
}

/**
 * Throws unless `value` is PEM made only of CERTIFICATE blocks that hold X.509 certificates;
 * returns the certificates. The message never quotes the PEM (it may hold key material).
 */
export function assertPemCertificates(scope: IConstruct, what: string, value: unknown): X509Certificate[] {
  if (typeof value !== 'string') throw new IstioSecurityError(scope, `${what} is ${kindOf(value)}, not a PEM certificate (-----BEGIN CERTIFICATE-----): give the PEM text.`);
  const parsed = parseCertificates(value);
  if ('problem' in parsed) throw new IstioSecurityError(scope, `${what} is not a PEM certificate (-----BEGIN CERTIFICATE----- blocks only): ${parsed.problem}.`);
  return parsed.certificates;
}

/** Throws unless `value` is PEM certificates (see assertPemCertificates); returns the text. */
export function assertPemCertificate(scope: IConstruct, what: string, value: unknown): string {
  assertPemCertificates(scope, what, value);
  return value as string;
}

/** Throws unless `value` is one unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1); returns the key. */
export function assertPemKey(scope: IConstruct, what: string, value: unknown): KeyObject {
  if (typeof value !== 'string') {
    throw new IstioSecurityError(scope, `${what} is ${kindOf(value)}, not a PEM private key (a BEGIN PRIVATE KEY block, PKCS#8 or PKCS#1/SEC1): give the PEM text.`);
  }
  const parsed = parsePrivateKey(value);
  if ('problem' in parsed) {
    throw new IstioSecurityError(scope, `${what} is not a PEM private key (one unencrypted PRIVATE KEY block, PKCS#8 or PKCS#1/SEC1): ${parsed.problem}.`);
  }
  return parsed.key;
}

/** Throws unless `value` is one unencrypted PEM private key (see assertPemKey); returns the text. */
export function assertPemPrivateKey(scope: IConstruct, what: string, value: unknown): string {
  assertPemKey(scope, what, value);
  return value as string;
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
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
