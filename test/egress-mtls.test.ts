import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { mtlsOriginationChart } from '../example/egress-charts';
import { ClientCredential, EgressGateway, EgressGatewayRoute, EgressMode, OriginateMtls } from '../src';
import { newChart, only, schemaValidatedEachFile, synth } from './util';
import { TEST_CERT, TEST_KEY } from './test-keys';

const valid = schemaValidatedEachFile();
const gateway = EgressGateway.istio();
const HOST = 'my-nginx.mesh-external.svc.cluster.local';
const SCRIPT = join(__dirname, '..', 'scripts', 'make-example-certs.sh');
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

// Shaped like PEM; the library checks the armour, not the cryptography.
const CERT = TEST_CERT;
const KEY = TEST_KEY;

function warnings(route: EgressGatewayRoute): string[] {
  return route.node.metadata.filter((m) => m.type === 'istio-security:warning').map((m) => String(m.data));
}

describe('ClientCredential', () => {
  test('fromSecret references the Secret by name and creates nothing', () => {
    const credential = ClientCredential.fromSecret('client-credential');
    expect(credential.secretName).toBe('client-credential');
    expect(credential.createsSecret).toBe(false);
  });

  test('fromPem defaults the Secret name to client-credential', () => {
    const credential = ClientCredential.fromPem({ certificate: CERT, privateKey: KEY, acknowledgeKeyInManifest: true });
    expect(credential.secretName).toBe('client-credential');
    expect(credential.createsSecret).toBe(true);
  });
});

describe('OriginateMtls', () => {
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => spy.mockRestore());

  test('fromSecret: the MUTUAL rule names the Secret; nothing secret is emitted and no warning', () => {
    const chart = newChart();
    const route = new OriginateMtls(chart, 'nginx', { egressGateway: gateway, host: HOST, clientCredential: ClientCredential.fromSecret('client-credential') });
    const objects = valid(synth(chart));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(route.clientCredentialSecret).toBeUndefined();
    expect(route.clientCredential.secretName).toBe('client-credential');
    expect(route.mode.kind).toBe('MTLS_ORIGINATION');
    expect(warnings(route)).toEqual([]);
    expect(only(objects, 'DestinationRule', route.originationDestinationRule!.name).spec.trafficPolicy.portLevelSettings).toEqual([
      { port: { number: 443 }, tls: { mode: 'MUTUAL', credentialName: 'client-credential', sni: HOST } },
    ]);
  });

  test('fromPem: the Secret (tls.crt, tls.key, ca.crt) lands in the gateway namespace whatever the route namespace, with a warning', () => {
    const chart = newChart();
    const credential = ClientCredential.fromPem({ certificate: CERT, privateKey: KEY, caCertificate: CERT, acknowledgeKeyInManifest: true });
    const route = new OriginateMtls(chart, 'nginx', {
      egressGateway: EgressGateway.istio({ namespace: 'istio-egress' }), host: HOST, namespace: 'team-a', clientCredential: credential,
    });
    const objects = valid(synth(chart));
    const secret = only(objects, 'Secret');
    expect(secret.metadata).toEqual({ name: 'client-credential', namespace: 'istio-egress' });
    expect(secret.type).toBe('Opaque');
    expect(secret.stringData).toEqual({ 'tls.crt': CERT, 'tls.key': KEY, 'ca.crt': CERT });
    expect(only(objects, 'Gateway').metadata.namespace).toBe('team-a');
    const rule = only(objects, 'DestinationRule', 'originate-tls-for-my-nginx-mesh-external-svc-cluster-local');
    expect(rule.metadata.namespace).toBe('istio-egress');
    expect(rule.spec.exportTo).toEqual(['.']);
    expect(route.clientCredentialSecret?.name).toBe('client-credential');
    expect(warnings(route)).toEqual([
      // The gateway in istio-egress keeps Istio's default pod label: its servers reach the default gateway too.
      expect.stringMatching(/^the egress gateway in namespace istio-egress selects pods labelled istio=egressgateway/),
      expect.stringMatching(/^ClientCredential "client-credential" writes a private key into Secret istio-egress\/client-credential in the synthesized manifests/),
    ]);
  });

  test('fromPem without caCertificate also warns that the server is not verified', () => {
    const chart = newChart();
    const route = new OriginateMtls(chart, 'nginx', {
      egressGateway: gateway, host: HOST,
      clientCredential: ClientCredential.fromPem({ certificate: CERT, privateKey: KEY, acknowledgeKeyInManifest: true }),
    });
    expect(only(valid(synth(chart)), 'Secret').stringData).toEqual({ 'tls.crt': CERT, 'tls.key': KEY });
    expect(warnings(route)).toEqual([
      expect.stringMatching(/writes a private key/),
      expect.stringMatching(/^mutual TLS origination to "my-nginx.mesh-external.svc.cluster.local:443" uses ClientCredential "client-credential" without caCertificate/),
    ]);
  });

  test('one credential shared by two routes is emitted once', () => {
    const chart = newChart();
    const credential = ClientCredential.fromPem({ secretName: 'partner', certificate: CERT, privateKey: KEY, caCertificate: CERT, acknowledgeKeyInManifest: true });
    const a = new OriginateMtls(chart, 'a', { egressGateway: gateway, host: 'a.partner.example', clientCredential: credential });
    const b = new EgressGatewayRoute(chart, 'b', { egressGateway: gateway, host: 'b.partner.example', mode: EgressMode.originateMtls({ clientCredential: credential }) });
    const objects = valid(synth(chart));
    expect(objects.filter((o) => o.kind === 'Secret')).toHaveLength(1);
    expect(b.clientCredentialSecret).toBe(a.clientCredentialSecret);
  });

  test('custom ports: the app port, the host\'s TLS port and the gateway port', () => {
    const chart = newChart();
    new OriginateMtls(chart, 'r', {
      egressGateway: EgressGateway.istio({ ports: [{ port: 80 }, { port: 443 }, { port: 15443 }] }),
      host: 'mq.partner.example', clientCredential: ClientCredential.fromSecret('mq-client'),
      port: 8080, targetPort: 8443, gatewayPort: 15443,
    });
    const objects = valid(synth(chart));
    expect(only(objects, 'ServiceEntry').spec.ports).toEqual([
      { number: 8080, name: 'http-8080', protocol: 'HTTP' }, { number: 8443, name: 'https-8443', protocol: 'HTTPS' },
    ]);
    expect(only(objects, 'Gateway').spec.servers[0].port).toEqual({ number: 15443, name: 'https-15443', protocol: 'HTTPS' });
    expect(only(objects, 'VirtualService').spec.http.map((r: any) => [r.match[0].port, r.route[0].destination.port.number])).toEqual([[8080, 15443], [15443, 8443]]);
    expect(only(objects, 'DestinationRule', 'originate-tls-for-mq-partner-example').spec.trafficPolicy.portLevelSettings[0].port).toEqual({ number: 8443 });
  });
});

(hasOpenssl ? describe : describe.skip)('scripts/make-example-certs.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'example-certs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync('bash', [SCRIPT, dir], { encoding: 'utf8' });
  const openssl = (...args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });

  test('makes a CA, server certificates for the nginx host and httpbin.example.com, and a client certificate, in a folder git ignores', () => {
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('*\n');
    const verify = openssl('verify', '-CAfile', 'example.com.crt', `${HOST}.crt`, 'client.example.com.crt', 'httpbin.example.com.crt');
    expect(verify.stdout).toContain('httpbin.example.com.crt: OK');
    expect(openssl('x509', '-in', 'httpbin.example.com.crt', '-noout', '-ext', 'subjectAltName').stdout).toContain('DNS:httpbin.example.com');
    expect(verify.stdout).toContain(`${HOST}.crt: OK`);
    expect(verify.stdout).toContain('client.example.com.crt: OK');
    expect(openssl('x509', '-in', `${HOST}.crt`, '-noout', '-ext', 'subjectAltName').stdout).toContain(`DNS:${HOST}`);
    expect(openssl('x509', '-in', 'client.example.com.crt', '-noout', '-ext', 'extendedKeyUsage').stdout).toContain('TLS Web Client Authentication');
  });

  test('writes the Secrets the example references by name', () => {
    const secrets = require('yaml').parseAllDocuments(readFileSync(join(dir, 'secrets.k8s.yaml'), 'utf8')).map((d: any) => d.toJS());
    valid(secrets);
    expect(secrets.map((s: any) => [s.metadata.namespace, s.metadata.name, s.type, Object.keys(s.data)])).toEqual([
      ['mesh-external', 'nginx-server-certs', 'kubernetes.io/tls', ['tls.crt', 'tls.key']],
      ['mesh-external', 'nginx-ca-certs', 'Opaque', ['example.com.crt']],
      ['istio-system', 'client-credential', 'Opaque', ['tls.crt', 'tls.key', 'ca.crt']],
      ['istio-system', 'httpbin-credential', 'kubernetes.io/tls', ['tls.crt', 'tls.key']],
      ['istio-system', 'httpbin-credential-cacert', 'Opaque', ['ca.crt']],
    ]);
    const example = valid(synth(mtlsOriginationChart(Testing.app())));
    const volumes = only(example, 'Deployment', 'my-nginx').spec.template.spec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName);
    expect(volumes).toEqual(['nginx-server-certs', 'nginx-ca-certs']);
  });

  test('EXAMPLE_CERTS_DIR makes the example create client-credential from the PEM files', () => {
    const before = process.env.EXAMPLE_CERTS_DIR;
    process.env.EXAMPLE_CERTS_DIR = dir;
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const secret = only(valid(synth(mtlsOriginationChart(Testing.app()))), 'Secret', 'client-credential');
      expect(secret.metadata.namespace).toBe('istio-system');
      expect(secret.stringData['tls.crt']).toBe(readFileSync(join(dir, 'client.example.com.crt'), 'utf8'));
      expect(secret.stringData['ca.crt']).toBe(readFileSync(join(dir, 'example.com.crt'), 'utf8'));
    } finally {
      spy.mockRestore();
      if (before === undefined) delete process.env.EXAMPLE_CERTS_DIR; else process.env.EXAMPLE_CERTS_DIR = before;
    }
  });

  test('keeps existing certificates unless --force', () => {
    const ca = readFileSync(join(dir, 'example.com.crt'), 'utf8');
    expect(spawnSync('bash', [SCRIPT, dir], { encoding: 'utf8' }).stderr).toMatch(/already has certificates/);
    expect(readFileSync(join(dir, 'example.com.crt'), 'utf8')).toBe(ca);
    expect(spawnSync('bash', [SCRIPT, '--force', dir]).status).toBe(0);
    expect(readFileSync(join(dir, 'example.com.crt'), 'utf8')).not.toBe(ca);
  });
});
