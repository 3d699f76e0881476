#!/usr/bin/env node
// Renders the mesh model's pictures to PNG, to look at them as a person would: the example's
// charts, a diff, the real applications in ../shared/real-apps (when present), and bench
// platforms of 50 and 1,000 workloads. Writes to a temporary folder (or the one given) and
// prints the files; nothing here is committed.
//   npm run build && node scripts/render-pictures.mjs [out-dir]
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const lib = process.env.LIB_DIR ?? join(root, 'lib');
const { Resvg } = require('@resvg/resvg-js');
const model = require(join(lib, 'src/model'));
const { buildExampleApp } = require(join(lib, 'example/main'));
const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'mesh-pictures-'));
mkdirSync(out, { recursive: true });

async function picture(name, svg) {
  writeFileSync(join(out, `${name}.svg`), svg);
  // Liberation Sans has Helvetica's metrics, which Graphviz lays text out with (Debian: fonts-liberation).
  const png = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' }, background: '#ffffff' }).render();
  writeFileSync(join(out, `${name}.png`), png.asPng());
  console.log(`${join(out, `${name}.png`)} (${png.width}x${png.height})`);
}

const app = buildExampleApp(join(out, 'dist'));
for (const chart of app.charts) await picture(`example-${chart.node.id}`, await model.renderSvg(model.MeshModel.of(chart.toJson())));
const a2 = (id) => model.MeshModel.of(app.charts.find((c) => c.node.id === id).toJson());
await picture('diff-a2-namespace-to-workload', await model.renderDiffSvg(model.diffModels(a2('a2-namespace-wide'), a2('a2-workload'))));

const apps = join(root, '..', 'shared', 'real-apps');
for (const [name, files] of [['bookinfo', ['bookinfo/bookinfo.yaml']], ['online-boutique', ['online-boutique/kubernetes-manifests.yaml', 'online-boutique/istio-manifests.yaml']]]) {
  const paths = files.map((f) => join(apps, f));
  if (!paths.every((p) => existsSync(p))) {
    console.log(`${name}: ../shared/real-apps not present, skipped`);
    continue;
  }
  const m = new model.MeshModel(model.loadManifests(paths), { assumeInjected: true });
  await picture(name, await model.renderSvg(m));
}

// Bench-like platforms: namespaces of 10 workloads, STRICT, default-deny, each workload allowing the one before.
function platform(n) {
  const objects = [{ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } }];
  for (let i = 0; i * 10 < n; i++) {
    const ns = `team-${i}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } });
    objects.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: ns }, spec: {} });
    for (let j = 0; j < 10 && i * 10 + j < n; j++) {
      const name = `svc-${j}`;
      objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: 'x', ports: [{ containerPort: 8080 }] }] } } } });
      objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
      const from = j === 0 ? { namespaces: [i > 0 ? `team-${i - 1}` : ns] } : { principals: [`cluster.local/ns/${ns}/sa/svc-${j - 1}`] };
      objects.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `${name}-allow`, namespace: ns },
        spec: { selector: { matchLabels: { app: name } }, action: 'ALLOW', rules: [{ from: [{ source: from }] }] } });
    }
  }
  return objects;
}
for (const n of [50, 1000]) await picture(`platform-${n}`, await model.renderSvg(model.MeshModel.of(platform(n))));
