#!/usr/bin/env node
// Benchmark: a platform of N workloads (namespaces with STRICT mTLS and default-deny, workloads
// with identity-based authorization, egress routes through one gateway) built with the library,
// against the same output objects written as raw cdk8s ApiObjects and through the generated L1
// classes alone, and the same platform by hand with cdk8s-plus. Each measurement runs in a fresh
// process so peak memory is its own; each figure is the median of BENCH_REPEAT (3) runs. Prints
// figures and ratios; asserts nothing.
//   npm run bench                 (N = 100, 1000, 10000)
//   npm run bench -- 100 1000     (other sizes)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);
const WORKLOADS_PER_NAMESPACE = 10;
const ROUTES_PER_NAMESPACE = 1;
/** Runs per figure; each figure is the median run. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--library') measureLibrary(Number(rest[0]), rest[1]);
else if (mode === '--raw') measureRaw(rest[0]);
else if (mode === '--model') measureModel(rest[0], rest[1] === 'network-policies');
else if (mode === '--by-hand') measureByHand(Number(rest[0]));
else if (mode === '--l1') measureL1(rest[0]);
else if (mode === '--diff') measureDiff(rest[0], rest[1]);
else if (mode === '--changed') changedPlatform(rest[0], rest[1]);
else main(process.argv.slice(2).map(Number).filter((n) => n > 0));

function buildPlatform(n) {
  const { App, Chart } = require('cdk8s');
  const lib = require(join(root, 'lib/src'));
  const app = new App();
  const chart = new Chart(app, 'platform');
  const egressGateway = lib.EgressGateway.istio();
  new lib.MeshWideMtls(chart, 'mesh');
  const namespaces = Math.ceil(n / WORKLOADS_PER_NAMESPACE);
  let made = 0;
  for (let i = 0; i < namespaces; i++) {
    const ns = new lib.StrictNamespace(chart, `team-${i}`, { defaultDeny: true });
    let previous;
    for (let j = 0; j < WORKLOADS_PER_NAMESPACE && made < n; j++, made++) {
      const workload = new lib.MeshWorkload(chart, `team-${i}-svc-${j}`, {
        namespace: ns, name: `svc-${j}`, image: 'docker.io/nginxinc/nginx-unprivileged:1.27',
        ports: [{ port: 80, containerPort: 8080 }],
      });
      if (previous) workload.allowFrom(previous, { methods: ['GET'], ports: [8080] });
      else workload.allowPeers([lib.Peer.namespace(ns)]);
      previous = workload;
    }
    for (let r = 0; r < ROUTES_PER_NAMESPACE; r++) {
      const mode = [lib.EgressMode.http(), lib.EgressMode.tlsPassthrough(),
        lib.EgressMode.originateTls({ serverCa: lib.ServerCa.fromFile('/etc/ssl/certs/ca-certificates.crt') })][i % 3];
      new lib.EgressGatewayRoute(chart, `route-${i}-${r}`, { egressGateway, host: `api-${i}-${r}.partner.example`, namespace: ns.name, mode });
    }
  }
  return { app, chart };
}

function measureLibrary(n, dumpTo) {
  // Module loading is start-up cost, not construct cost (measured by the cdk8s synth figure below).
  require(join(root, 'lib/src'));
  const { objects, figures } = timeChart(() => buildPlatform(n).chart);
  if (dumpTo) writeFileSync(dumpTo, JSON.stringify(objects));
  report(figures);
}

/** Times building a chart (construct) and `chart.toJson()` (synth); returns the figures and the objects. */
function timeChart(build) {
  const t0 = performance.now();
  const chart = build();
  const t1 = performance.now();
  const objects = chart.toJson();
  const t2 = performance.now();
  return { objects, figures: { construct: t1 - t0, synth: t2 - t1, objects: objects.length } };
}

function measureRaw(objectsFile) {
  const { ApiObject, App, Chart } = require('cdk8s');
  const input = JSON.parse(readFileSync(objectsFile, 'utf8'));
  report(timeChart(() => {
    const chart = new Chart(new App(), 'platform');
    input.forEach((obj, i) => new ApiObject(chart, `o${i}`, obj));
    return chart;
  }).figures);
}

// The same output objects through the generated L1 classes (cdk8s-plus-28's k8s L1s and the Istio
// L1s of imports/), with no library code and no L2s: the cost any typed cdk8s construct pays.
function measureL1(objectsFile) {
  const { App, Chart } = require('cdk8s');
  const { k8s } = require('cdk8s-plus-28');
  const net = require(join(root, 'lib/imports/networking.istio.io'));
  const sec = require(join(root, 'lib/imports/security.istio.io'));
  const classes = {
    Namespace: k8s.KubeNamespace, ServiceAccount: k8s.KubeServiceAccount, Deployment: k8s.KubeDeployment, Service: k8s.KubeService,
    NetworkPolicy: k8s.KubeNetworkPolicy, Secret: k8s.KubeSecret, ...net, ...sec,
  };
  // The k8s L1s take int-or-string and quantity fields as values of their own types.
  const intOrString = (v) => (typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : typeof v === 'string' ? k8s.IntOrString.fromString(v) : v);
  const quantities = (m) => m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, k8s.Quantity.fromString(String(v))]));
  const typed = (obj) => {
    if (obj.kind === 'Deployment') {
      const { strategy, template } = obj.spec;
      const rollingUpdate = strategy?.rollingUpdate && { maxSurge: intOrString(strategy.rollingUpdate.maxSurge), maxUnavailable: intOrString(strategy.rollingUpdate.maxUnavailable) };
      const containers = template.spec.containers.map((c) => ({ ...c, resources: c.resources && { limits: quantities(c.resources.limits), requests: quantities(c.resources.requests) } }));
      const { setHostnameAsFQDN, ...podSpec } = template.spec; // the L1 spells it setHostnameAsFqdn
      return { ...obj, spec: { ...obj.spec, strategy: { ...strategy, rollingUpdate },
        template: { ...template, spec: { ...podSpec, setHostnameAsFqdn: setHostnameAsFQDN, containers } } } };
    }
    if (obj.kind === 'Service') return { ...obj, spec: { ...obj.spec, ports: obj.spec.ports.map((p) => ({ ...p, targetPort: intOrString(p.targetPort) })) } };
    if (obj.kind === 'NetworkPolicy') {
      return { ...obj, spec: { ...obj.spec, egress: obj.spec.egress?.map((r) => ({ ...r, ports: r.ports?.map((p) => ({ ...p, port: intOrString(p.port) })) })) } };
    }
    return obj;
  };
  const text = readFileSync(objectsFile, 'utf8');
  const input = JSON.parse(text).map(typed);
  const { objects, figures } = timeChart(() => {
    const chart = new Chart(new App(), 'platform');
    input.forEach(({ apiVersion, kind, ...props }, i) => {
      const L1 = classes[kind];
      if (!L1) throw new Error(`no L1 class for ${kind}`);
      new L1(chart, `o${i}`, props);
    });
    return chart;
  });
  report({ ...figures, same: JSON.stringify(objects) === text });
}

// The same platform written by hand with cdk8s-plus L2s and the Istio L1s, as a user would without
// this library (no validation, no registry): what the library adds on top of its dependencies.
function buildByHand(n) {
  const { App, Chart, ApiObject, JsonPatch } = require('cdk8s');
  const kplus = require('cdk8s-plus-28');
  const net = require(join(root, 'lib/imports/networking.istio.io'));
  const sec = require(join(root, 'lib/imports/security.istio.io'));
  const chart = new Chart(new App(), 'platform');
  new sec.PeerAuthentication(chart, 'mesh', { metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
  const gwHost = 'istio-egressgateway.istio-system.svc.cluster.local';
  let made = 0;
  for (let i = 0; made < n; i++) {
    const ns = `team-${i}`;
    new kplus.Namespace(chart, `ns-${i}`, { metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } });
    new sec.PeerAuthentication(chart, `pa-${i}`, { metadata: { name: 'default', namespace: ns }, spec: { mtls: { mode: 'STRICT' } } });
    new net.DestinationRule(chart, `dr-${i}`, { metadata: { name: 'default', namespace: ns }, spec: { host: `*.${ns}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } });
    new sec.AuthorizationPolicy(chart, `deny-${i}`, { metadata: { name: 'allow-nothing', namespace: ns }, spec: {} });
    let previous;
    for (let j = 0; j < WORKLOADS_PER_NAMESPACE && made < n; j++, made++) {
      const name = `svc-${j}`;
      const sa = new kplus.ServiceAccount(chart, `sa-${i}-${j}`, { metadata: { name, namespace: ns } });
      const labels = { app: name };
      const d = new kplus.Deployment(chart, `d-${i}-${j}`, {
        metadata: { name, namespace: ns, labels }, replicas: 1, select: false, serviceAccount: sa,
        podMetadata: { labels: { ...labels, version: 'v1', 'sidecar.istio.io/inject': 'true' }, annotations: { 'sidecar.istio.io/inject': 'true' } },
      });
      d.select(kplus.LabelSelector.of({ labels }));
      d.addContainer({ name, image: 'docker.io/nginxinc/nginx-unprivileged:1.27', ports: [{ number: 8080 }] });
      const svc = new kplus.Service(chart, `s-${i}-${j}`, { metadata: { name, namespace: ns, labels }, ports: [{ name: 'http-80', port: 80, targetPort: 8080 }] });
      svc.selectLabel('app', name);
      ApiObject.of(svc).addJsonPatch(JsonPatch.add('/spec/ports/0/appProtocol', 'http'));
      const from = previous ? [{ source: { principals: [`cluster.local/ns/${ns}/sa/${previous}`] } }] : [{ source: { namespaces: [ns] } }];
      new sec.AuthorizationPolicy(chart, `ap-${i}-${j}`, { metadata: { name: `${name}-allow`, namespace: ns }, spec: {
        action: 'ALLOW', selector: { matchLabels: labels }, rules: [{ from, to: previous ? [{ operation: { methods: ['GET'], ports: ['8080'] } }] : undefined }] } });
      previous = name;
    }
    const host = `api-${i}-0.partner.example`;
    const hostName = host.replace(/\./g, '-');
    new net.ServiceEntry(chart, `se-${i}`, { metadata: { name: hostName, namespace: ns }, spec: { hosts: [host], ports: [{ number: 80, name: 'http-80', protocol: 'HTTP' }], resolution: 'DNS' } });
    new net.Gateway(chart, `gw-${i}`, { metadata: { name: hostName, namespace: ns }, spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: [host] }] } });
    new net.DestinationRule(chart, `gwdr-${i}`, { metadata: { name: `egressgateway-for-${hostName}`, namespace: 'istio-system' }, spec: { host: gwHost, subsets: [{ name: hostName }] } });
    new net.VirtualService(chart, `vs-${i}`, { metadata: { name: hostName, namespace: ns }, spec: { hosts: [host], gateways: [hostName, 'mesh'], http: [
      { match: [{ gateways: ['mesh'], port: 80 }], route: [{ destination: { host: gwHost, subset: hostName, port: { number: 80 } } }] },
      { match: [{ gateways: [hostName], port: 80 }], route: [{ destination: { host, port: { number: 80 } } }] },
    ] } });
  }
  return chart;
}

function measureByHand(n) {
  require('cdk8s-plus-28');
  require(join(root, 'lib/imports/networking.istio.io'));
  report(timeChart(() => buildByHand(n)).figures);
}

/**
 * NetworkPolicies for the bench platform, as a platform team writes them (Online Boutique's shape):
 * per namespace a deny-all (ingress and egress) and an egress lock-down (the egress gateway pods,
 * DNS, istiod, the namespace itself); per workload an ingress policy that lets in the workload
 * before it (the first: its namespace) on the container port.
 */
function networkPolicies(objects) {
  const np = (namespace, name, spec) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  const inNs = (ns, labels) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: labels } });
  const out = [];
  const byNs = new Map();
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const list = byNs.get(o.metadata.namespace) ?? [];
    list.push(o.spec.template.metadata.labels.app ?? o.metadata.name);
    byNs.set(o.metadata.namespace, list);
  }
  for (const [ns, apps] of byNs) {
    out.push(np(ns, 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    out.push(np(ns, 'egress-lockdown', { podSelector: {}, policyTypes: ['Egress'], egress: [
      { to: [inNs('istio-system', { istio: 'egressgateway' })], ports: [{ port: 8080 }, { port: 8443 }] },
      { to: [inNs('kube-system', { 'k8s-app': 'kube-dns' })], ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }] },
      { to: [inNs('istio-system', { app: 'istiod' })], ports: [{ port: 15012 }] },
      { to: [{ podSelector: {} }] },
    ] }));
    apps.forEach((app, i) => out.push(np(ns, `${app}-ingress`, { podSelector: { matchLabels: { app } }, ingress: [{
      from: [i === 0 ? { podSelector: {} } : { podSelector: { matchLabels: { app: apps[i - 1] } } }], ports: [{ port: 8080, protocol: 'TCP' }],
    }] })));
  }
  return out;
}

// The mesh model of the report: every client against every Service port, aggregated into a text report.
function measureModel(objectsFile, withNetworkPolicies) {
  const lib = require(join(root, 'lib/src'));
  const platform = JSON.parse(readFileSync(objectsFile, 'utf8'));
  const input = withNetworkPolicies ? [...platform, ...networkPolicies(platform)] : platform;
  const t0 = performance.now();
  const model = lib.MeshReport.fromManifests(input);
  const text = model.render(lib.ReportFormat.TEXT);
  const t1 = performance.now();
  const blocked = (text.match(/blocked (\d[\d,]*)\./) ?? [])[1] ?? '0';
  report({ model: t1 - t0, calls: model.connectionCount, lines: text.split('\n').length, blocked });
}

// The same platform with a few policies changed, as in a pull request: one namespace loses its
// default-deny, one goes PERMISSIVE, one workload lets a second namespace in, one egress route goes.
function changedPlatform(objectsFile, to) {
  const objects = JSON.parse(readFileSync(objectsFile, 'utf8'));
  const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  const [a, b, c, d] = [1, 2, 3, 4].map((k) => namespaces[Math.floor((k * namespaces.length) / 5)]);
  const changed = objects
    .filter((o) => !(o.kind === 'AuthorizationPolicy' && o.metadata.namespace === a && o.metadata.name === 'allow-nothing'))
    .filter((o) => !(o.kind === 'VirtualService' && o.metadata.namespace === d))
    .map((o) => (o.kind === 'PeerAuthentication' && o.metadata.namespace === b ? { ...o, spec: { mtls: { mode: 'PERMISSIVE' } } } : o))
    .map((o) => (o.kind === 'AuthorizationPolicy' && o.metadata.namespace === c && o.metadata.name === 'svc-0-allow'
      ? { ...o, spec: { ...o.spec, rules: [...o.spec.rules, { from: [{ source: { namespaces: [a] } }] }] } } : o));
  writeFileSync(to, JSON.stringify(changed));
}

// The diff of two platforms, as `cdk8s-istio-security diff` computes and prints it.
function measureDiff(beforeFile, afterFile) {
  const model = require(join(root, 'lib/src/model'));
  const before = JSON.parse(readFileSync(beforeFile, 'utf8'));
  const after = JSON.parse(readFileSync(afterFile, 'utf8'));
  const t0 = performance.now();
  const diff = model.diffModels(model.MeshModel.of(before), model.MeshModel.of(after));
  const text = model.renderDiffText(diff);
  const t1 = performance.now();
  report({ model: t1 - t0, groups: diff.calls.length + diff.egress.length, lines: text.split('\n').length,
    exposure: diff.counts.exposure.groups, breakage: diff.counts.breakage.groups });
}

function report(figures) {
  const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
  // CPU time as well as wall time: on a shared machine it says more about the work done.
  process.stdout.write(JSON.stringify({ ...figures, cpuMs: (userCPUTime + systemCPUTime) / 1000, peakRssMb: maxRSS / 1024 }));
}

function run(args) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=8192', self, ...args], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** The run (of REPEAT, each in a fresh process) with the median total time. */
function median(args) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) runs.push(run(args));
  const total = (r) => r.model ?? r.construct + r.synth;
  return runs.sort((a, b) => total(a) - total(b))[Math.floor(REPEAT / 2)];
}

function wallMs(command, args, times = 5) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)];
}

function main(sizes) {
  if (sizes.length === 0) sizes = [100, 1000, 10000];
  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  const fmt = (ms) => `${ms.toFixed(0).padStart(7)} ms`;
  const rows = [];
  try {
    console.log(`node ${process.version}, ${WORKLOADS_PER_NAMESPACE} workloads and ${ROUTES_PER_NAMESPACE} egress route per namespace, median of ${REPEAT} runs`);
    console.log('N       objects  | library: construct    synth    total  peak RSS | raw cdk8s: construct    synth    total  peak RSS | total ratio  RSS ratio');
    for (const n of sizes) {
      const dump = join(work, `objects-${n}.json`);
      const library = median(['--library', String(n), dump]);
      const raw = median(['--raw', dump]);
      const l1 = median(['--l1', dump]);
      if (!l1.same) throw new Error(`the L1 run did not write the library's objects at N=${n}`);
      const libTotal = library.construct + library.synth;
      const rawTotal = raw.construct + raw.synth;
      const model = median(['--model', dump]);
      const modelNp = median(['--model', dump, 'network-policies']);
      const byHand = median(['--by-hand', String(n)]);
      const changed = join(work, `objects-${n}-changed.json`);
      changedPlatform(dump, changed);
      const diff = median(['--diff', dump, changed]);
      rows.push({ n, libTotal, rawTotal, rss: library.peakRssMb, model, modelNp, byHand, l1, diff });
      console.log(`${String(n).padEnd(7)} ${String(library.objects).padStart(7)}  | ${fmt(library.construct)} ${fmt(library.synth)} ${fmt(libTotal)} ${library.peakRssMb.toFixed(0).padStart(6)} MB`
        + ` | ${fmt(raw.construct)} ${fmt(raw.synth)} ${fmt(rawTotal)} ${raw.peakRssMb.toFixed(0).padStart(6)} MB`
        + ` | ${(libTotal / rawTotal).toFixed(2).padStart(11)} ${(library.peakRssMb / raw.peakRssMb).toFixed(2).padStart(10)}`);
    }
    for (const { n, libTotal, rawTotal, l1 } of rows) {
      const total = l1.construct + l1.synth;
      console.log(`the same objects through the generated L1 classes alone, N=${n}: construct ${l1.construct.toFixed(0)} ms, `
        + `synth ${l1.synth.toFixed(0)} ms, total ${total.toFixed(0)} ms, peak RSS ${l1.peakRssMb.toFixed(0)} MB; `
        + `L1 / raw ${(total / rawTotal).toFixed(2)}, library / L1 ${(libTotal / total).toFixed(2)}`);
    }
    for (const { n, libTotal, byHand } of rows) {
      const total = byHand.construct + byHand.synth;
      console.log(`by hand with cdk8s-plus + Istio L1s, N=${n}: ${byHand.objects} objects, construct ${byHand.construct.toFixed(0)} ms, `
        + `synth ${byHand.synth.toFixed(0)} ms, total ${total.toFixed(0)} ms, peak RSS ${byHand.peakRssMb.toFixed(0)} MB; library / by hand ${(libTotal / total).toFixed(2)}`);
    }
    for (const { n, model, modelNp } of rows) {
      console.log(`mesh model, N=${n}: ${model.calls} calls predicted and aggregated in ${model.model.toFixed(0)} ms, `
        + `text report ${model.lines} lines, peak RSS ${model.peakRssMb.toFixed(0)} MB`);
      console.log(`mesh model with NetworkPolicies, N=${n}: ${modelNp.model.toFixed(0)} ms (x${(modelNp.model / model.model).toFixed(2)}), `
        + `${modelNp.blocked} calls blocked, text report ${modelNp.lines} lines, peak RSS ${modelNp.peakRssMb.toFixed(0)} MB`);
    }
    for (const { n, model, diff } of rows) {
      console.log(`mesh diff, N=${n}, a few policies changed: ${diff.groups} groups of changes (${diff.exposure} exposure, ${diff.breakage} breakage) `
        + `in ${diff.model.toFixed(0)} ms (both models, diff and text; process CPU ${diff.cpuMs.toFixed(0)} ms), ${diff.lines} lines, peak RSS ${diff.peakRssMb.toFixed(0)} MB; `
        + `diff / report: time ${(diff.model / model.model).toFixed(2)}, CPU ${(diff.cpuMs / model.cpuMs).toFixed(2)}, RSS ${(diff.peakRssMb / model.peakRssMb).toFixed(2)}`);
    }
    for (let i = 1; i < rows.length; i++) {
      const [a, b] = [rows[i - 1], rows[i]];
      console.log(`growth ${a.n} -> ${b.n} (x${b.n / a.n}): library time x${(b.libTotal / a.libTotal).toFixed(2)}, peak RSS x${(b.rss / a.rss).toFixed(2)}; `
        + `model time x${(b.model.model / a.model.model).toFixed(2)}, peak RSS x${(b.model.peakRssMb / a.model.peakRssMb).toFixed(2)}; `
        + `with NetworkPolicies x${(b.modelNp.model / a.modelNp.model).toFixed(2)}, peak RSS x${(b.modelNp.peakRssMb / a.modelNp.peakRssMb).toFixed(2)}; `
        + `diff time x${(b.diff.model / a.diff.model).toFixed(2)}, peak RSS x${(b.diff.peakRssMb / a.diff.peakRssMb).toFixed(2)}`);
    }
    const synth = wallMs(join(root, 'node_modules/.bin/cdk8s'), ['synth', '--no-check-upgrade', '--output', join(work, 'dist')]);
    const bare = wallMs(process.execPath, ['-e', "require('cdk8s')"]);
    console.log(`example \`cdk8s synth\`: ${synth.toFixed(0)} ms wall (median of 5); \`node -e "require('cdk8s')"\`: ${bare.toFixed(0)} ms; ratio ${(synth / bare).toFixed(1)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
