import { X509Certificate } from 'node:crypto';
import { IConstruct } from 'constructs';
import { PemCaCertificatesOptions } from '../ca-certificates';
import { IstioSecurityError } from '../errors';
import { assertPemCertificates, assertPemKey } from './pem';

/**
 * The checks istiod makes before it uses a plug-in CA, made at synth instead of in a crash loop:
 * istio security/pkg/pki/util/keycertbundle.go Verify (ca-cert verifies against root-cert through
 * cert-chain, now; the key parses and matches ca-cert). A CA certificate must also be a CA.
 */
export function checkCaCertificates(scope: IConstruct, pem: PemCaCertificatesOptions, now: Date): void {
  // Linear in the PEM's length; every block must be an X.509 certificate (the key: one key block).
  const [caCert] = assertPemCertificates(scope, 'caCertificate (ca-cert.pem)', pem.caCertificate);
  const key = assertPemKey(scope, 'caPrivateKey (ca-key.pem)', pem.caPrivateKey);
  const roots = assertPemCertificates(scope, 'rootCertificate (root-cert.pem)', pem.rootCertificate);
  const chain = assertPemCertificates(scope, 'certificateChain (cert-chain.pem)', pem.certificateChain);
  if (!caCert.ca) {
    throw new IstioSecurityError(scope, `caCertificate (ca-cert.pem) "${caCert.subject.replace(/\n/g, ', ')}" is not a CA certificate (basicConstraints CA:TRUE): `
      + 'istiod signs workload certificates with it; give an intermediate CA certificate.');
  }
  if (!caCert.checkPrivateKey(key)) throw new IstioSecurityError(scope, 'caPrivateKey (ca-key.pem) is not the key of caCertificate (ca-cert.pem): give the key the CA certificate was issued for.');
  const path = [caCert];
  const rootOf = (cert: X509Certificate) => roots.find((r) => r.fingerprint256 === cert.fingerprint256 || issued(cert, r));
  for (let current = caCert; !rootOf(current);) {
    const issuer = chain.find((c) => !path.includes(c) && c.fingerprint256 !== current.fingerprint256 && issued(current, c));
    if (!issuer) {
      throw new IstioSecurityError(scope, `caCertificate (ca-cert.pem) does not chain to rootCertificate (root-cert.pem) through certificateChain (cert-chain.pem): `
        + `no certificate there issued "${current.subject.replace(/\n/g, ', ')}", so istiod would refuse the CA. `
        + 'Sign every cluster\'s intermediate with the shared root and list the chain up to it.');
    }
    path.push(issuer);
    current = issuer;
  }
  const last = path[path.length - 1];
  const root = rootOf(last)!;
  for (const cert of root.fingerprint256 === last.fingerprint256 ? path : [...path, root]) {
    if (new Date(cert.validTo).getTime() < now.getTime() || new Date(cert.validFrom).getTime() > now.getTime()) {
      throw new IstioSecurityError(scope, `certificate "${cert.subject.replace(/\n/g, ', ')}" of the CA chain is valid only from ${cert.validFrom} to ${cert.validTo}: `
        + 'istiod would refuse it; give a certificate valid now.');
    }
  }
}

function issued(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}
