// The JavaScript twin of synth_adopted.py: the same app, for scripts/smoke-python.sh to compare.
const kplus = require('cdk8s-plus-28');
const { App, Chart } = require('cdk8s');
const { AdoptedWorkload, MeshService, Peer, StrictNamespace } = require('../../lib/src');

const app = new App({ outdir: process.argv[2] });
const chart = new Chart(app, 'adopted');
const shop = new StrictNamespace(chart, 'shop');
const account = new kplus.ServiceAccount(chart, 'frontend-sa', { metadata: { name: 'frontend', namespace: 'shop' } });
const deployment = new kplus.Deployment(chart, 'frontend', {
  metadata: { name: 'frontend', namespace: 'shop' }, serviceAccount: account, select: false, podMetadata: { labels: { app: 'frontend' } },
});
deployment.select(kplus.LabelSelector.of({ labels: { app: 'frontend' } }));
deployment.addContainer({ image: 'frontend:1', portNumber: 8080 });
const dbService = new kplus.Service(chart, 'db-svc', { metadata: { name: 'db', namespace: 'shop' }, clusterIP: 'None', ports: [{ port: 5432, name: 'tcp-postgres' }] });
const db = new kplus.StatefulSet(chart, 'db', {
  metadata: { name: 'db', namespace: 'shop' }, service: dbService, select: false, podMetadata: { labels: { app: 'db' } },
});
db.select(kplus.LabelSelector.of({ labels: { app: 'db' } }));
db.addContainer({ image: 'postgres:16', ports: [{ number: 5432 }] });

const frontend = AdoptedWorkload.fromWorkload(deployment, { namespace: shop, sidecar: true });
const database = AdoptedWorkload.fromWorkload(db, { namespace: shop });
const cart = new MeshService(chart, 'cart', { namespace: shop, ports: [{ port: 7070 }] });
cart.addVersion('v1', { image: 'cart:1' });
cart.allowFrom(frontend);
database.allowFrom(cart, { ports: [5432] });
frontend.allowPeers([Peer.workload(cart)]);
app.synth();
