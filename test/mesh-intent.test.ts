// Declared intent: the example's A4 and B5 charts say what must hold; synth fails, naming the call,
// the expected and the predicted outcome and the reason, when a change breaks it.
import { App, Chart, Testing } from 'cdk8s';
import { egressLockdownChart, identityAccessChart } from '../example/authz-charts';
import {
  EgressGateway, IntentState, MeshIntent, MeshNamespace, MeshParty, MeshReport, MeshValidation, MeshWorkload, ReportFormat,
  StrictNamespace, WorkloadAuthorization, WorkloadIdentity,
} from '../src';
import { checkIntents, MeshModel, parseIntents } from '../src/model';

function withoutPolicy(chart: Chart, name: string): Chart {
  const policy = chart.node.findAll().find((c) => c instanceof WorkloadAuthorization && (c as WorkloadAuthorization).name === name)!;
  expect(policy).toBeDefined();
  policy.node.scope!.node.tryRemoveChild(policy.node.id);
  return chart;
}

describe('A4 declares its intents', () => {
  test('they hold: synth passes and the report lists them', () => {
    const app = Testing.app();
    const chart = identityAccessChart(app);
    expect(() => app.synth()).not.toThrow();
    const report = MeshReport.fromChart(chart);
    const checks = report.checkIntents();
    expect(checks.map((c) => `${c.state} ${c.intent}`)).toEqual([
      'holds mustAllow pods:photo-ns/app=photo-frontend -> pods:photo-ns/app=photo-backend port 8000',
      'holds mustAllow pods:photo-ns/app=photo-backend -> pods:datastore-ns/app=datastore port 6379',
      'holds mustDeny pods:photo-ns/app=photo-frontend -> pods:datastore-ns/app=datastore',
      'holds mustBeMtls namespace:photo-ns',
      'holds mustBeMtls namespace:datastore-ns',
    ]);
    expect(checks[0]).toMatchObject({ checked: 1, violations: 0, state: IntentState.HOLDS });
    const text = report.render(ReportFormat.TEXT);
    expect(text).toContain('== Intents (5, 0 not holding) ==');
    expect(text).toContain('HOLDS mustDeny pods:photo-ns/app=photo-frontend -> pods:datastore-ns/app=datastore: holds (1 call)');
  });

  test('removing the allow rule fails synth, naming the call, expected and predicted outcome and the reason', () => {
    const app = Testing.app();
    withoutPolicy(identityAccessChart(app), 'photo-backend-allow');
    expect(() => app.synth()).toThrow(
      'a4-identity-access/intent: intent mustAllow pods:photo-ns/app=photo-frontend -> pods:photo-ns/app=photo-backend port 8000: violated by 1 of 1 call: '
      + 'photo-ns/photo-frontend -> photo-ns/photo-backend:8000 is expected to succeed (mtls or plaintext), predicted denied: '
      + 'DestinationRule photo-ns/default sets ISTIO_MUTUAL; server STRICT (namespace PeerAuthentication photo-ns/default); '
      + 'denied: ALLOW policies photo-ns/allow-nothing (allows nothing) select the server and no rule matches this caller on container port 80');
  });

  test('allowing what must be denied fails too', () => {
    const app = Testing.app();
    const chart = identityAccessChart(app);
    const datastore = chart.node.findAll().find((c) => c instanceof MeshWorkload && c.name === 'datastore') as MeshWorkload;
    const frontend = chart.node.findAll().find((c) => c instanceof MeshWorkload && c.name === 'photo-frontend') as MeshWorkload;
    datastore.allowFrom(frontend, { ports: [6379] });
    expect(() => app.synth()).toThrow(/intent mustDeny pods:photo-ns\/app=photo-frontend -> pods:datastore-ns\/app=datastore: violated by 1 of 1 call: photo-ns\/photo-frontend -> datastore-ns\/datastore:6379 is expected to be refused, predicted mtls: .*allowed by AuthorizationPolicy datastore-ns\/datastore-allow/);
  });
});

describe('B5 declares egress intents', () => {
  test('sleep leaves only through the gateway, and cannot reach a host nothing routes', () => {
    const app = Testing.app();
    const chart = egressLockdownChart(app);
    expect(() => app.synth()).not.toThrow();
    expect(MeshReport.fromChart(chart).checkIntents().map((c) => `${c.state} ${c.intent} (${c.checked})`)).toEqual([
      'holds mustLeaveVia namespace:default -> edition.cnn.com port 80 via istio-egressgateway.istio-system.svc.cluster.local (1)',
      'holds mustNotReach namespace:default -> api.github.com (1)',
    ]);
  });

  test('without the lock-down both fail: the bypass is open, and ALLOW_ANY passes an unknown host through', () => {
    const app = Testing.app();
    const chart = egressLockdownChart(app);
    chart.node.tryRemoveChild('lockdown');
    const checks = MeshReport.fromChart(chart).checkIntents();
    expect(checks.map((c) => c.state)).toEqual([IntentState.VIOLATED, IntentState.VIOLATED]);
    expect(checks[0].predicted).toMatch(/via egress-gateway.*bypassBlocked no/);
    expect(checks[1]).toMatchObject({ call: 'default/sleep -> api.github.com:443', expected: 'unreachable (refused, or blocked with no bypass)' });
    expect(checks[1].reason).toMatch(/no NetworkPolicy stops the pod from reaching it directly/);
  });
});

describe('parties and states', () => {
  const build = () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    const ns = new StrictNamespace(chart, 'shop');
    const web = new MeshWorkload(chart, 'web', { namespace: ns, image: 'x', ports: [{ port: 80, containerPort: 8080 }] });
    new MeshWorkload(chart, 'job', { namespace: ns, image: 'x' });
    return { app, chart, ns, web };
  };

  test('an intent that matches nothing is unmatched and fails synth', () => {
    const { app, chart, web } = build();
    new MeshIntent(chart, 'intent').mustAllow(MeshParty.workloadNamed(MeshNamespace.fromName('shop'), 'typo'), MeshParty.workload(web));
    expect(() => app.synth()).toThrow(/intent mustAllow workload:shop\/typo -> pods:shop\/app=web: matches no call/);
  });

  test('identities, service accounts, namespaces and ports', () => {
    const { chart, ns, web } = build();
    const intent = new MeshIntent(chart, 'intent');
    intent.mustAllow(MeshParty.serviceAccount(ns, 'job'), MeshParty.workload(web), { port: 80 });
    intent.mustAllow(MeshParty.identity(WorkloadIdentity.of('cluster.local', 'shop', 'job')), MeshParty.namespace(ns));
    intent.mustAllow(MeshParty.pods(ns, { app: 'job' }), MeshParty.workload(web), { port: 81 });
    expect(MeshReport.fromChart(chart).checkIntents().map((c) => `${c.state} ${c.checked}`)).toEqual(['holds 1', 'holds 1', 'unmatched 0']);
    expect(intent.toJson()).toEqual([
      { mustAllow: { from: 'identity:cluster.local/ns/shop/sa/job', to: 'pods:shop/app=web', port: 80 } },
      { mustAllow: { from: 'identity:cluster.local/ns/shop/sa/job', to: 'namespace:shop' } },
      { mustAllow: { from: 'pods:shop/app=job', to: 'pods:shop/app=web', port: 81 } },
    ]);
  });

  test('bad input is refused early', () => {
    const { chart, web } = build();
    const intent = new MeshIntent(chart, 'intent');
    expect(() => intent.mustAllow(MeshParty.workload(web), MeshParty.workload(web), { port: 0 })).toThrow(/intent port 0 is not a valid port/);
    expect(() => intent.mustNotReach(MeshParty.workload(web), 'https://x.example')).toThrow(/intent host "https:\/\/x.example" is not a host name/);
    expect(() => intent.mustBeMtls(MeshParty.pods(MeshNamespace.fromName('shop'), {}))).toThrow(/selects by no label/);
    expect(() => Testing.synth(new Chart(Testing.app(), 'empty'))).not.toThrow();
    const empty = new Chart(Testing.app(), 'e');
    new MeshIntent(empty, 'intent');
    expect(() => Testing.app().synth()).not.toThrow();
    expect(MeshIntent.of(empty)[0].node.validate()).toEqual(['declares no intent: call mustAllow, mustDeny, mustBeMtls, mustLeaveVia or mustNotReach, or remove it']);
    expect(EgressGateway.istio().host).toBe('istio-egressgateway.istio-system.svc.cluster.local');
  });
});

describe('intents as data: the validation plugin and the model', () => {
  const a4 = () => identityAccessChart(Testing.app()).toJson();

  test('the serialised form round-trips and checks alike', () => {
    const chart = identityAccessChart(Testing.app());
    const data = MeshIntent.of(chart)[0].toJson();
    expect(checkIntents(MeshModel.of(chart.toJson()), parseIntents(data)).map((r) => r.state)).toEqual(['holds', 'holds', 'holds', 'holds', 'holds']);
    expect(() => parseIntents([{ mustAllow: { from: 'photo-ns/photo-frontend' } }])).toThrow('intents[0].mustAllow.to: required (a string)');
    expect(() => parseIntents([{ mustHold: {} }])).toThrow(/expected one key of mustAllow, mustDeny/);
    expect(() => parseIntents([{ mustBeMtls: { target: 'pods:x' } }])).toThrow(/pods are NAMESPACE\/KEY=VALUE/);
  });

  test('the plugin fails on a violated intent and passes when it holds', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'intent-plugin-'));
    const file = join(dir, 'a4.k8s.yaml');
    writeFileSync(file, a4().map((o) => JSON.stringify(o)).join('\n---\n'));
    const run = async (intents: any[]) => {
      const violations: any[] = [];
      let status = '';
      await new MeshValidation({ intents, summary: false }).validate({
        manifests: [file], logger: { log: () => undefined },
        report: { addViolation: (v: any) => violations.push(v), submit: (s: string) => { status = s; } },
      });
      return { status, violations };
    };
    expect(await run([{ mustAllow: { from: 'photo-ns/photo-backend', to: 'datastore-ns/datastore', port: 6379 } }])).toEqual({ status: 'success', violations: [] });
    const failed = await run([{ mustAllow: { from: 'photo-ns/photo-frontend', to: 'datastore-ns/datastore' } }]);
    expect(failed.status).toBe('failure');
    expect(failed.violations[0]).toMatchObject({ ruleName: 'intent-violated', recommendation: expect.stringContaining('predicted denied') });
    expect(() => new MeshValidation({ intents: [{ mustAllow: {} }] })).toThrow('intents[0].mustAllow.from: required (a string)');
  });
});

test('bookinfo and Online Boutique declare their intents, and they hold', () => {
  const { bookinfoChart } = require('../example/bookinfo');
  const { onlineBoutiqueChart } = require('../example/online-boutique');
  for (const build of [bookinfoChart, onlineBoutiqueChart]) {
    const checks = MeshReport.fromChart(build(Testing.app())).checkIntents();
    expect(checks.length).toBeGreaterThanOrEqual(7);
    expect(checks.filter((c) => c.state !== IntentState.HOLDS)).toEqual([]);
  }
});
