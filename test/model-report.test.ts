// MeshReport: the jsii-friendly entry to the mesh model, from an App or a chart.
import { Testing } from 'cdk8s';
import { policyScopeChart, PolicyScope } from '../example/mtls-charts';
import { buildExampleApp } from '../example/main';
import { ConnectionOutcome, EgressPath, EgressTlsMode, MeshReport, ReportDetail, ReportFormat } from '../src';
import { identityAccessChart } from '../example/authz-charts';
import { httpEgressChart } from '../example/egress-charts';
import { egressLockdownChart } from '../example/authz-charts';

describe('MeshReport.fromChart (A2, workload-level STRICT)', () => {
  const report = MeshReport.fromChart(policyScopeChart(Testing.app(), PolicyScope.WORKLOAD));

  test('workloads, identities and sidecars', () => {
    expect(report.workloads.map((w) => `${w.id} ${w.sidecar}`)).toEqual([
      'bar/httpbin true', 'bar/sleep true', 'foo/httpbin true', 'foo/sleep true', 'legacy/httpbin false', 'legacy/sleep false',
    ]);
    expect(report.workloads[0]).toMatchObject({ kind: 'Deployment', serviceAccount: 'httpbin', identity: 'spiffe://cluster.local/ns/bar/sa/httpbin' });
  });

  test('one connection per client and Service port', () => {
    expect(report.connectionCount).toBe(18);
    expect(report.connections()).toHaveLength(18);
    expect(report.connectionsFrom('legacy/sleep').map((c) => `${c.to} ${c.outcome}`)).toEqual([
      'bar/httpbin rejected', 'foo/httpbin plaintext', 'legacy/httpbin plaintext',
    ]);
    expect(report.connection('foo/sleep', 'bar/httpbin', 8000)).toMatchObject({ outcome: ConnectionOutcome.MTLS, service: 'bar/httpbin' });
    expect(report.connection('foo/sleep', 'bar/httpbin', 9999)).toBeUndefined();
  });

  test('JSON has the documented shape', () => {
    const json = JSON.parse(report.render(ReportFormat.JSON));
    expect(Object.keys(json)).toEqual(['workloads', 'connections', 'egress', 'ingress', 'namespaces', 'notModelled', 'notApplied', 'meshSecurityAccess', 'meshSecurityNotes']);
    expect(json.workloads[4]).toEqual({
      id: 'legacy/httpbin', namespace: 'legacy', serviceAccount: 'httpbin', identity: 'spiffe://cluster.local/ns/legacy/sa/httpbin', sidecar: false,
    });
    expect(json.connections).toContainEqual({
      from: 'legacy/sleep', to: 'bar/httpbin', service: 'bar/httpbin', port: 8000, outcome: 'rejected',
      reason: 'client has no sidecar: plaintext; server STRICT (workload PeerAuthentication bar/httpbin) refuses plaintext',
    });
    expect(json.egress).toEqual([]);
  });

  test('text: a matrix per namespace pair with numbered reasons', () => {
    const text = report.render(ReportFormat.TEXT);
    expect(text).toContain('Calls: mtls 8, plaintext 8, rejected 2, denied 0, failed 0, blocked 0.');
    expect(text).toMatch(/-- legacy -> bar --\n\s+FROM \\ TO\s+bar\/httpbin:8000\n\s+legacy\/httpbin\s+rejected \[\d+\]/);
    expect(text).toContain('client has no sidecar: plaintext; server STRICT (workload PeerAuthentication bar/httpbin) refuses plaintext');
  });

  test('markdown, and the aggregated view on request', () => {
    const md = report.render(ReportFormat.MARKDOWN);
    expect(md).toContain('### legacy -> bar');
    // Markdown escapes: `\\` shows as one backslash.
    expect(md).toContain('| FROM \\\\ TO | bar/httpbin:8000 |');
    const agg = report.render(ReportFormat.MARKDOWN, { detail: ReportDetail.AGGREGATED });
    expect(agg).toContain('## Calls (aggregated)');
    expect(agg).toMatch(/\| rejected \| 2 \| 2 \| 1 \| legacy -> bar \| client without sidecar; server STRICT \(workload policy\) \\\[\d\\\] \|/);
  });

  test('SVG through Graphviz', async () => {
    const svg = await report.renderSvg();
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<svg');
    expect(svg).toContain('cluster_legacy');
    expect(svg).toContain('2 refused calls not drawn: 2 rejected');
    expect(() => report.render(ReportFormat.SVG)).toThrow(/renderSvg/);
  });
});

test('MeshReport.fromApp models all charts together and reports duplicates', () => {
  const report = MeshReport.fromApp(buildExampleApp(Testing.app().outdir));
  expect(report.warnings.some((w) => w.startsWith('Namespace foo appears more than once'))).toBe(true);
});

test('findings and egress through the jsii-friendly types', () => {
  const objects = [...httpEgressChart(Testing.app()).toJson(), ...egressLockdownChart(Testing.app()).toJson().filter((o: any) => o.kind !== 'NetworkPolicy')];
  const report = MeshReport.fromManifests(objects);
  expect(report.egress()).toContainEqual(expect.objectContaining({
    from: 'default/sleep', host: 'edition.cnn.com', port: 80, via: EgressPath.EGRESS_GATEWAY, tls: EgressTlsMode.NONE, bypassBlocked: false,
  }));
  expect(report.findings()).toEqual([expect.objectContaining({
    rule: 'egress-gateway-bypass',
    count: 1,
    resources: [
      'VirtualService default/edition-cnn-com (spec (mesh route for edition.cnn.com:80))',
      'Deployment default/sleep (spec.template (no NetworkPolicy stops its direct egress))',
    ],
  })]);
  expect(MeshReport.fromChart(identityAccessChart(Testing.app())).findings()).toEqual([]);
});
