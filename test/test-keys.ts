import { KeyObject, X509Certificate, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';

// Key material for tests is made when the tests run, never committed.
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A fresh PKCS#8 PEM private key. */
export const TEST_KEY = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The same key as a SEC1 ("EC PRIVATE KEY") PEM block. */
export const TEST_EC_KEY = pair.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
/** The first line of a PKCS#8 PEM private key, without the rest. */
export const KEY_HEADER_ONLY = TEST_KEY.split('\n')[0];

// A minimal X.509 v3 certificate in DER, signed with ECDSA P-256 / SHA-256 (node:crypto signs; it
// has no certificate builder).
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
const name = (cn: string) => seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn)))));
const utc = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** A self-signed certificate for `key` (PEM), deterministic for one key and name. */
export function selfSignedCertificate(key: KeyObject, commonName: string): string {
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([1])),
    ECDSA_SHA256,
    name(commonName),
    seq(utc(new Date('2025-01-01T00:00:00Z')), utc(new Date('2049-12-31T00:00:00Z'))),
    name(commonName),
    publicKey,
  );
  const signature = sign('sha256', tbs, key);
  const certificate = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = certificate.toString('base64').replace(/.{1,64}/g, '$&\n');
  const pem = `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // fails loudly if the encoding above is wrong
  return pem;
}

/** A client certificate for TEST_KEY. */
export const TEST_CERT = selfSignedCertificate(pair.privateKey, 'client.example.com');
/** A CA certificate (another key). */
export const TEST_CA_CERT = selfSignedCertificate(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ca.example.com');
