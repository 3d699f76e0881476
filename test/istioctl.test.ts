import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { buildExampleApp } from '../example/main';
import { AppProtocol, IstioKind, MeshWorkload, Team, TeamNamespace } from '../src';
import { findIstioctl } from './istioctl-path';

// Istio's own validation (the webhook's checks) and analyzers over every chart of the example.
// CI builds istioctl with .ci/install-istioctl.sh and sets REQUIRE_ISTIOCTL=1; elsewhere the suite
// is skipped when istioctl cannot be found.

const istioctl = findIstioctl();
if (!istioctl) {
  if (process.env.REQUIRE_ISTIOCTL === '1') {
    throw new Error('REQUIRE_ISTIOCTL=1 but istioctl was not found: run .ci/install-istioctl.sh or set ISTIOCTL.');
  }
  // eslint-disable-next-line no-console
  console.warn('istioctl not found (set ISTIOCTL or run .ci/install-istioctl.sh): skipping the istioctl suite.');
}

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(istioctl!, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

(istioctl ? describe : describe.skip)('istioctl', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'istioctl-'));
  buildExampleApp(outdir).synth();
  const files = readdirSync(outdir).filter((f) => f.endsWith('.yaml')).sort();
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('the example has charts to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('istioctl validate -f %s', (file) => {
    const { status, output } = run(['validate', '-f', join(outdir, file)]);
    // Nothing but the verdict: validate also prints advice (e.g. missing app/version labels).
    expect({ status, output: output.trim() }).toEqual({ status: 0, output: `"${join(outdir, file)}" is valid` });
  });

  // Each chart is one deployable unit (the A2 variants are alternatives), so each is analyzed
  // alone, with no suppressions: every finding fails.
  test.each(files)('istioctl analyze %s: no errors, no warnings', (file) => {
    const { status, output } = run(['analyze', '--use-kube=false', '-A', '--failure-threshold', 'Warning', join(outdir, file)]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('No validation issues found') });
  });

  test('analyze would flag an origination rule with credentialName but no workloadSelector (IST0129)', () => {
    const file = join(outdir, 'c-many-routes.k8s.yaml');
    const yaml = require('yaml');
    const docs = yaml.parseAllDocuments(require('node:fs').readFileSync(file, 'utf8')).map((d: any) => d.toJS());
    const rule = docs.find((o: any) => o?.kind === 'DestinationRule' && o.metadata.name === 'originate-tls-for-api-partner-bank-example');
    expect(rule.spec.workloadSelector).toEqual({ matchLabels: { istio: 'egressgateway' } });
    delete rule.spec.workloadSelector;
    const broken = join(outdir, 'no-selector.yaml');
    require('node:fs').writeFileSync(broken, yaml.stringify(rule));
    const { status, output } = run(['analyze', '--use-kube=false', '-A', '--failure-threshold', 'Warning', broken]);
    rmSync(broken);
    expect(status).not.toBe(0);
    expect(output).toContain('IST0129');
  });

  // Team namespaces with their defaults (the example's A4 allows calls identity by identity only):
  // allow-same-namespace, granted kinds, a call between teams.
  test('team namespaces with their defaults: valid, no analyzer findings', () => {
    const app = new App({ outdir });
    const chart = new Chart(app, 'teams');
    const a = new TeamNamespace(chart, 'team-a', { team: Team.of('team-a', { groups: ['team-a'] }), meshSecurityKinds: [IstioKind.DESTINATION_RULE] });
    const b = new TeamNamespace(chart, 'team-b', { team: Team.of('team-b', { users: ['bob@example.com'] }), istioTrafficKinds: [] });
    const web = new MeshWorkload(chart, 'web', { namespace: a, image: 'nginx:1.27', ports: [{ port: 8080, protocol: AppProtocol.HTTP }] });
    const api = new MeshWorkload(chart, 'api', { namespace: b, image: 'nginx:1.27', ports: [{ port: 8080, protocol: AppProtocol.HTTP }] });
    api.allowFrom(web);
    app.synth();
    const file = join(outdir, 'teams.k8s.yaml');
    expect(run(['validate', '-f', file])).toEqual({ status: 0, output: expect.stringContaining('is valid') });
    const { status, output } = run(['analyze', '--use-kube=false', '-A', '--failure-threshold', 'Warning', file]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('No validation issues found') });
    rmSync(file);
  });

  test('a broken object is caught (the suite can fail)', () => {
    const broken = join(outdir, 'broken.yaml');
    require('node:fs').writeFileSync(broken, [
      'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication',
      'metadata: {name: default, namespace: foo}', 'spec: {portLevelMtls: {"8080": {mode: DISABLE}}}', '',
    ].join('\n'));
    expect(run(['validate', '-f', broken]).status).not.toBe(0);
    rmSync(broken);
  });
});
