package main

import (
	"sync"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/serviceregistry"
	kubecontroller "istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pilot/pkg/xds/endpoints"
	pkgcluster "istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/util/sets"
)

const clusterID = pkgcluster.ID("Kubernetes")

// lateUpdater forwards the registries' endpoint updates to the EndpointIndex of the environment
// that NewConfigGenTest creates (which does not exist yet when the registries are made), as the
// FakeDiscoveryServer does with its DiscoveryServer.
type lateUpdater struct {
	mu    sync.Mutex
	inner model.XDSUpdater
}

func (u *lateUpdater) get() model.XDSUpdater {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.inner
}

func (u *lateUpdater) EDSUpdate(s model.ShardKey, h, ns string, e []*model.IstioEndpoint) {
	if i := u.get(); i != nil {
		i.EDSUpdate(s, h, ns, e)
	}
}

func (u *lateUpdater) EDSCacheUpdate(s model.ShardKey, h, ns string, e []*model.IstioEndpoint) {
	if i := u.get(); i != nil {
		i.EDSCacheUpdate(s, h, ns, e)
	}
}

func (u *lateUpdater) SvcUpdate(s model.ShardKey, h, ns string, ev model.Event) {
	if i := u.get(); i != nil {
		i.SvcUpdate(s, h, ns, ev)
	}
}
func (u *lateUpdater) ConfigUpdate(req *model.PushRequest)    {}
func (u *lateUpdater) ProxyUpdate(c pkgcluster.ID, ip string) {}
func (u *lateUpdater) RemoveShard(s model.ShardKey) {
	if i := u.get(); i != nil {
		i.RemoveShard(s)
	}
}

func (u *lateUpdater) PruneShard(s model.ShardKey, keep map[string]sets.String) {
	if i := u.get(); i != nil {
		i.PruneShard(s, keep)
	}
}

// controlPlane is Istio's control plane for one platform: a fake Kubernetes API holding the
// platform's objects, Istio's Kubernetes service registry on it, Istio's config store holding the
// Istio objects, and the config generator istiod uses for xDS.
type controlPlane struct {
	cg      *core.ConfigGenTest
	proxies map[*workload]*proxyConfig
}

// proxyConfig is what one proxy gets over xDS: listeners, clusters, routes; endpoints on demand.
type proxyConfig struct {
	proxy     *model.Proxy
	listeners []*listener.Listener
	clusters  map[string]*cluster.Cluster
	routes    map[string]*route.RouteConfiguration
	eds       map[string]*endpoint.ClusterLoadAssignment
	cp        *controlPlane
}

func startControlPlane(t *failer, p *platform) *controlPlane {
	m := mesh.DefaultMeshConfig()
	watcher := meshwatcher.NewTestWatcher(m)
	client := kubelib.NewFakeClientWithVersion("30", p.kubeObjects()...)
	updater := &lateUpdater{}
	k8s, _ := kubecontroller.NewFakeControllerWithOptions(t, kubecontroller.FakeControllerOptions{
		Client:          client,
		ClusterID:       clusterID,
		DomainSuffix:    "cluster.local",
		XDSUpdater:      updater,
		SkipRun:         true,
		ConfigCluster:   true,
		MeshWatcher:     watcher,
		SystemNamespace: "istio-system",
	})
	cg := core.NewConfigGenTest(t, core.TestOptions{
		Configs:           p.configs,
		MeshConfig:        m,
		ServiceRegistries: []serviceregistry.Instance{k8s},
		XDSUpdater:        updater,
		SkipRun:           true,
		ClusterID:         clusterID,
	})
	updater.mu.Lock()
	updater.inner = model.NewEndpointIndexUpdater(cg.Env().EndpointIndex)
	updater.mu.Unlock()
	cg.ServiceEntryRegistry.AppendWorkloadHandler(k8s.WorkloadInstanceHandler)
	k8s.AppendWorkloadHandler(cg.ServiceEntryRegistry.WorkloadInstanceHandler)
	cg.Run()
	deadline := time.Now().Add(10 * time.Second)
	for !k8s.HasSynced() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := cg.Env().InitNetworksManager(updater); err != nil {
		t.Fatal(err)
	}
	cg.PushContext().InitContext(cg.Env(), nil, nil)
	return &controlPlane{cg: cg, proxies: map[*workload]*proxyConfig{}}
}

// proxyFor connects the workload's proxy: a sidecar, or a router for a gateway pod.
func (cp *controlPlane) proxyFor(w *workload) *proxyConfig {
	if pc, ok := cp.proxies[w]; ok {
		return pc
	}
	typ := model.SidecarProxy
	if w.router {
		typ = model.Router
	}
	proxy := cp.cg.SetupProxy(&model.Proxy{
		Type:            typ,
		ID:              w.podName + "." + w.namespace,
		IPAddresses:     []string{w.ip},
		ConfigNamespace: w.namespace,
		DNSDomain:       w.namespace + ".svc.cluster.local",
		Labels:          w.meta.Labels,
		Metadata: &model.NodeMetadata{
			Namespace:      w.namespace,
			Labels:         w.meta.Labels,
			Annotations:    w.meta.Annotations,
			IstioVersion:   "1.30.0",
			ClusterID:      clusterID,
			ServiceAccount: w.serviceAccount,
			WorkloadName:   w.name,
		},
	})
	ls := cp.cg.Listeners(proxy)
	pc := &proxyConfig{proxy: proxy, listeners: ls, clusters: map[string]*cluster.Cluster{},
		routes: map[string]*route.RouteConfiguration{}, eds: map[string]*endpoint.ClusterLoadAssignment{}, cp: cp}
	for _, c := range cp.cg.Clusters(proxy) {
		pc.clusters[c.Name] = c
	}
	for _, r := range cp.cg.RoutesFromListeners(proxy, ls) {
		pc.routes[r.Name] = r
	}
	cp.proxies[w] = pc
	return pc
}

// endpoints: the EDS load assignment of a cluster for this proxy.
func (pc *proxyConfig) endpoints(clusterName string) *endpoint.ClusterLoadAssignment {
	if cla, ok := pc.eds[clusterName]; ok {
		return cla
	}
	b := endpoints.NewEndpointBuilder(clusterName, pc.proxy, pc.cp.cg.PushContext())
	cla := b.BuildClusterLoadAssignment(pc.cp.cg.Env().EndpointIndex)
	pc.eds[clusterName] = cla
	return cla
}
