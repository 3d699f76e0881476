"""Smoke test of the Python package: cdk8s-plus workloads adopted into the mesh's policies.

Its output must equal test/python/synth_adopted.js, the same app in JavaScript.
"""
import sys

import cdk8s_plus_28 as kplus
from cdk8s import ApiObjectMetadata, App, Chart
from cdk8s_istio_security import AdoptedWorkload, MeshService, Peer, StrictNamespace, WorkloadPort

app = App(outdir=sys.argv[1])
chart = Chart(app, "adopted")
shop = StrictNamespace(chart, "shop")

account = kplus.ServiceAccount(chart, "frontend-sa", metadata=ApiObjectMetadata(name="frontend", namespace="shop"))
deployment = kplus.Deployment(
    chart, "frontend", metadata=ApiObjectMetadata(name="frontend", namespace="shop"), service_account=account,
    select=False, pod_metadata=ApiObjectMetadata(labels={"app": "frontend"}),
)
deployment.select(kplus.LabelSelector.of(labels={"app": "frontend"}))
deployment.add_container(image="frontend:1", port_number=8080)

db_service = kplus.Service(
    chart, "db-svc", metadata=ApiObjectMetadata(name="db", namespace="shop"), cluster_ip="None",
    ports=[kplus.ServicePort(port=5432, name="tcp-postgres")],
)
db = kplus.StatefulSet(
    chart, "db", metadata=ApiObjectMetadata(name="db", namespace="shop"), service=db_service,
    select=False, pod_metadata=ApiObjectMetadata(labels={"app": "db"}),
)
db.select(kplus.LabelSelector.of(labels={"app": "db"}))
db.add_container(image="postgres:16", ports=[kplus.ContainerPort(number=5432)])

frontend = AdoptedWorkload.from_workload(deployment, namespace=shop, sidecar=True)
database = AdoptedWorkload.from_workload(db, namespace=shop)
cart = MeshService(chart, "cart", namespace=shop, ports=[WorkloadPort(port=7070)])
cart.add_version("v1", image="cart:1")
cart.allow_from(frontend)
database.allow_from(cart, ports=[5432])
frontend.allow_peers([Peer.workload(cart)])

# A workload without labels is refused by the library; Python sees the IstioSecurityError's message.
scratch = Chart(App(), "scratch")
bare = kplus.Deployment(scratch, "bare", metadata=ApiObjectMetadata(namespace="shop"), select=False)
bare.add_container(image="x")
try:
    AdoptedWorkload.from_workload(bare)
    raise SystemExit("a workload without labels was adopted")
except RuntimeError as e:  # jsii raises the JavaScript error as a RuntimeError with its message
    if "IstioSecurityError: scratch/bare/MeshWorkload: Deployment scratch/bare has no selector labels" not in str(e):
        raise

app.synth()
