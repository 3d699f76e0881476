import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A plug-in CA for tests, made with openssl when the tests run (never committed): one root and an
// intermediate per cluster, as Istio's "plug in CA certificates" task does it.

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface ClusterCa {
  readonly caCertificate: string;
  readonly caPrivateKey: string;
  readonly rootCertificate: string;
  readonly certificateChain: string;
}

export interface TestCa {
  readonly rootCertificate: string;
  /** An intermediate CA for `cluster`, signed by the root. */
  cluster(cluster: string): ClusterCa;
  /** A certificate that is not a CA (basicConstraints CA:FALSE), signed by the root. */
  leaf(): { certificate: string; privateKey: string };
  /** Removes the working folder. */
  dispose(): void;
}

function openssl(dir: string, ...args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeTestCa(name = 'Test Root CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  openssl(dir, 'req', '-x509', '-new', ...EC, '-keyout', 'root-key.pem', '-out', 'root-cert.pem', '-days', '30', '-subj', `/O=Istio/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const sign = (prefix: string, subject: string, extensions: string) => {
    writeFileSync(join(dir, `${prefix}.ext`), extensions);
    openssl(dir, 'req', '-new', ...EC, '-keyout', `${prefix}-key.pem`, '-out', `${prefix}.csr`, '-subj', subject);
    openssl(dir, 'x509', '-req', '-in', `${prefix}.csr`, '-CA', 'root-cert.pem', '-CAkey', 'root-key.pem', '-CAcreateserial',
      '-out', `${prefix}-cert.pem`, '-days', '30', '-extfile', `${prefix}.ext`);
    return { certificate: read(`${prefix}-cert.pem`), privateKey: read(`${prefix}-key.pem`) };
  };
  const root = read('root-cert.pem');
  return {
    rootCertificate: root,
    cluster(cluster) {
      const { certificate, privateKey } = sign(cluster, `/O=Istio/CN=Intermediate CA/L=${cluster}`,
        'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\nsubjectAltName=DNS:istiod.istio-system.svc\n');
      return { caCertificate: certificate, caPrivateKey: privateKey, rootCertificate: root, certificateChain: certificate + root };
    },
    leaf() {
      return sign('leaf', '/O=Istio/CN=not-a-ca', 'basicConstraints=critical,CA:FALSE\n');
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
