import { CaCertificates, IstioKind, PluginCa, Team, TeamNamespace } from '../src';
import { hasOpenssl, makeTestCa, TestCa } from './test-ca';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

function warnings(ca: PluginCa): string[] {
  return ca.node.metadata.filter((m) => m.type === 'istio-security:warning').map((m) => String(m.data));
}

describe('PluginCa', () => {
  test('by default the cacerts Secret is referenced: nothing is written', () => {
    const chart = newChart();
    const ca = new PluginCa(chart, 'ca');
    expect(synth(chart)).toEqual([]);
    expect([ca.secretName, ca.istiodNamespace, ca.createsSecret, ca.secret]).toEqual(['cacerts', 'istio-system', false, undefined]);
    expect(CaCertificates.fromSecret().createsSecret).toBe(false);
    expect(warnings(ca)).toEqual([]);
  });

  test('fromPem without the acknowledgement is refused, as for client credentials', () => {
    const pem = { caCertificate: 'x', caPrivateKey: 'x', rootCertificate: 'x', certificateChain: 'x' };
    for (const acknowledgeKeyInManifest of [false, undefined, 'true']) {
      expect(refusal(() => new PluginCa(newChart(), 'ca', { certificates: CaCertificates.fromPem({ ...pem, acknowledgeKeyInManifest } as any) })).message)
        .toMatch(/^test\/ca: CaCertificates.fromPem would write the private key of Istio's CA into the synthesized manifests: pass acknowledgeKeyInManifest: true to accept that, or create the Secret out of band and use CaCertificates.fromSecret\(\)/);
    }
  });

  test.each<[string, unknown, RegExp]>([
    ['certificates of another type', { secretName: 'cacerts' }, /certificates \{"secretName": ?"cacerts"\} is not a CaCertificates: create it with CaCertificates.fromSecret\(\)/],
    ['unknown props', { certificates: undefined, secretName: 'x' }, /props has no property "secretName"/],
  ])('refuses %s', (_, certificates, message) => {
    const props = certificates !== null && typeof certificates === 'object' && 'certificates' in certificates ? certificates : { certificates };
    expect(refusal(() => new PluginCa(newChart(), 'ca', props as any)).message).toMatch(message);
  });

  test('refuses an invalid istiod namespace and a second PluginCa in one chart', () => {
    expect(refusal(() => new PluginCa(newChart(), 'ca', { istiodNamespace: 'Istio System' })).message).toMatch(/istiodNamespace "Istio System" is not a valid DNS-1123 label/);
    const chart = newChart();
    new PluginCa(chart, 'a');
    expect(refusal(() => new PluginCa(chart, 'b')).message).toMatch(/the chart already has a plug-in CA \(test\/a\): istiod reads one cacerts Secret/);
  });

  (hasOpenssl ? describe : describe.skip)('from PEM (certificates made with openssl)', () => {
    let ca: TestCa;
    let other: TestCa;
    beforeAll(() => {
      ca = makeTestCa();
      other = makeTestCa('Another Root');
    });
    afterAll(() => {
      ca.dispose();
      other.dispose();
    });

    test('one root, an intermediate per cluster: each cluster\'s cacerts Secret, with a warning at synth', () => {
      const secrets = ['cluster1', 'cluster2'].map((cluster) => {
        const chart = newChart(cluster);
        const plugin = new PluginCa(chart, 'ca', { certificates: CaCertificates.fromPem({ ...ca.cluster(cluster), acknowledgeKeyInManifest: true }) });
        expect(plugin.createsSecret).toBe(true);
        expect(warnings(plugin)).toEqual([expect.stringMatching(/^CaCertificates.fromPem writes a private key into Secret istio-system\/cacerts in the synthesized manifests: keep the output out of version control/)]);
        const stderr: string[] = [];
        const write = process.stderr.write;
        process.stderr.write = ((chunk: unknown) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
        let objects: any[];
        try {
          objects = valid(synth(chart));
        } finally {
          process.stderr.write = write;
        }
        expect(stderr.join('')).toMatch(new RegExp(`^WARNING: ${cluster}/ca: CaCertificates.fromPem writes a private key into Secret istio-system/cacerts`));
        const secret = only(objects, 'Secret');
        expect(secret.metadata).toEqual({ name: 'cacerts', namespace: 'istio-system' });
        expect(secret.type).toBe('Opaque');
        expect(Object.keys(secret.stringData).sort()).toEqual(['ca-cert.pem', 'ca-key.pem', 'cert-chain.pem', 'root-cert.pem']);
        return secret.stringData;
      });
      expect(secrets[0]['root-cert.pem']).toBe(secrets[1]['root-cert.pem']);
      expect(secrets[0]['ca-cert.pem']).not.toBe(secrets[1]['ca-cert.pem']);
      expect(secrets[0]['cert-chain.pem']).toBe(secrets[0]['ca-cert.pem'] + secrets[0]['root-cert.pem']);
    });

    test('a custom istiod namespace', () => {
      const chart = newChart();
      new PluginCa(chart, 'ca', { istiodNamespace: 'istio-control', certificates: CaCertificates.fromPem({ ...ca.cluster('c'), acknowledgeKeyInManifest: true }) });
      expect(only(synth(chart), 'Secret').metadata).toEqual({ name: 'cacerts', namespace: 'istio-control' });
    });

    test.each<[string, () => object, RegExp]>([
      ['a certificate that is not a CA', () => ({ ...ca.cluster('c'), caCertificate: ca.leaf().certificate, caPrivateKey: ca.leaf().privateKey }),
        /caCertificate \(ca-cert.pem\) ".*CN=not-a-ca" is not a CA certificate \(basicConstraints CA:TRUE\)/],
      ['the key of another CA', () => ({ ...ca.cluster('c1'), caPrivateKey: ca.cluster('c2').caPrivateKey }), /caPrivateKey \(ca-key.pem\) is not the key of caCertificate/],
      ['a root that did not sign the intermediate', () => ({ ...ca.cluster('c'), rootCertificate: other.rootCertificate, certificateChain: ca.cluster('c').caCertificate }),
        /caCertificate \(ca-cert.pem\) does not chain to rootCertificate \(root-cert.pem\) through certificateChain \(cert-chain.pem\)/],
      ['a chain from another root', () => ({ ...other.cluster('c'), rootCertificate: ca.rootCertificate }), /does not chain to rootCertificate/],
      ['a certificate that is not PEM', () => ({ ...ca.cluster('c'), rootCertificate: 'root' }), /rootCertificate \(root-cert.pem\) is not a PEM certificate/],
      ['a key that is not PEM', () => ({ ...ca.cluster('c'), caPrivateKey: ca.cluster('c').caCertificate }), /caPrivateKey \(ca-key.pem\) is not a PEM private key/],
      ['a certificate that does not parse', () => ({ ...ca.cluster('c'), certificateChain: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }),
        /certificateChain \(cert-chain.pem\) is not a PEM certificate .*: certificate 1 cannot be parsed/],
    ])('refuses %s', (_, pem, message) => {
      const chart = newChart();
      expect(refusal(() => new PluginCa(chart, 'ca', { certificates: CaCertificates.fromPem({ ...pem(), acknowledgeKeyInManifest: true } as any) })).message).toMatch(message);
      expect(synth(chart)).toEqual([]);
    });

    test('the CA namespace stays admin-only: team namespaces beside it grant nothing there', () => {
      const chart = newChart();
      new PluginCa(chart, 'ca', { certificates: CaCertificates.fromPem({ ...ca.cluster('c'), acknowledgeKeyInManifest: true }) });
      new TeamNamespace(chart, 'photo-ns', { team: Team.of('photo-sre', { groups: ['photo-sre'] }), meshSecurityKinds: [IstioKind.SIDECAR] });
      const objects = synth(chart);
      expect(objects.filter((o) => o.metadata.namespace === 'istio-system').map((o) => o.kind)).toEqual(['Secret']);
      expect(objects.filter((o) => ['Role', 'RoleBinding'].includes(o.kind)).map((o) => o.metadata.namespace)).toEqual(['photo-ns', 'photo-ns']);
    });
  });
});
