import { generateKeyPairSync } from 'node:crypto';

// Key material for tests is made when the tests run, never committed.
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A fresh PKCS#8 PEM private key. */
export const TEST_KEY = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The same key as a SEC1 ("EC PRIVATE KEY") PEM block. */
export const TEST_EC_KEY = pair.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
/** The first line of a PKCS#8 PEM private key, without the rest. */
export const KEY_HEADER_ONLY = TEST_KEY.split('\n')[0];
