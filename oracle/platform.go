package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"
	kubelib "istio.io/istio/pkg/kube"
)

// workload is one controller (Deployment, ..., or bare Pod), named as the model names it, and the
// one pod the oracle runs for it.
type workload struct {
	id, kind, namespace, name string
	serviceAccount            string
	meta                      metav1.ObjectMeta // the pod's, after injection
	spec                      corev1.PodSpec
	podName, ip               string
	sidecar                   bool // an injected sidecar proxy
	router                    bool // an Istio gateway pod (a Gateway selects it): Envoy as a router
	why                       string
	capture                   interception
	synthetic                 bool // added by the oracle (the default egress gateway), not in the input
}

func (w *workload) hasProxy() bool { return w.sidecar || w.router }

// platform is the input, split into what the fake Kubernetes API gets and what Istio's config store gets.
type platform struct {
	namespaces map[string]*corev1.Namespace
	nsOrder    []string
	services   []*corev1.Service
	workloads  []*workload
	configs    []config.Config
	notApplied []string
	notes      []string
	revisions  []string
}

// appliedAt is the creation time of objects whose manifest carries none: they are created when the
// input is applied, after every object that has one (the model counts them the same way).
var appliedAt = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// syntheticAnnotation marks the objects the oracle adds to the input (no rows are reported for them).
const syntheticAnnotation = "oracle.cdk8s-istio-security/synthetic"

var workloadKinds = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"ReplicationController": true, "Job": true, "CronJob": true, "Pod": true,
}

var istioGroups = map[string]bool{
	"networking.istio.io": true, "security.istio.io": true, "telemetry.istio.io": true, "extensions.istio.io": true,
}

func decodeKube(o object) (runtime.Object, error) {
	data, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	obj, _, err := kubelib.IstioCodec.UniversalDeserializer().Decode(data, nil, nil)
	return obj, err
}

// podTemplate: where each controller kind keeps its pod template.
func podTemplate(obj runtime.Object) (*corev1.PodTemplateSpec, bool) {
	switch v := obj.(type) {
	case *appsv1.Deployment:
		return &v.Spec.Template, true
	case *appsv1.StatefulSet:
		return &v.Spec.Template, true
	case *appsv1.DaemonSet:
		return &v.Spec.Template, true
	case *appsv1.ReplicaSet:
		return &v.Spec.Template, true
	case *corev1.ReplicationController:
		if v.Spec.Template == nil {
			return nil, false
		}
		return v.Spec.Template, true
	case *batchv1.Job:
		return &v.Spec.Template, true
	case *batchv1.CronJob:
		return &v.Spec.JobTemplate.Spec.Template, true
	case *corev1.Pod:
		return &corev1.PodTemplateSpec{ObjectMeta: v.ObjectMeta, Spec: v.Spec}, true
	}
	return nil, false
}

// parseIstio runs one Istio object through crd.ParseInputs: Istio's own conversion and validation.
func parseIstio(o object) ([]config.Config, error) {
	data, err := json.Marshal(offlineJwks(o))
	if err != nil {
		return nil, err
	}
	cfgs, _, err := crd.ParseInputs(string(data))
	if err != nil {
		return nil, err
	}
	for i := range cfgs {
		if cfgs[i].Namespace == "" {
			cfgs[i].Namespace = "default"
		}
		// istiod's CRD client gives every config the cluster's domain suffix
		// (pilot/pkg/config/kube/crdclient/client.go); short hosts resolve with it.
		cfgs[i].Domain = "cluster.local"
		if cfgs[i].CreationTimestamp.IsZero() {
			cfgs[i].CreationTimestamp = appliedAt
		}
	}
	return cfgs, nil
}

// offlineJwks gives every jwtRule of a RequestAuthentication without inline keys the key set istiod
// itself uses when it cannot fetch them (model.PublicOnlyJwks, pilot/pkg/model/jwks_resolver.go
// BuildLocalJwks): the oracle fetches nothing, and the keys change no authorization decision.
func offlineJwks(o object) object {
	if str(o["kind"]) != "RequestAuthentication" {
		return o
	}
	data, err := json.Marshal(o)
	if err != nil {
		return o
	}
	var out object
	if json.Unmarshal(data, &out) != nil {
		return o
	}
	spec, _ := out["spec"].(map[string]any)
	rules, _ := spec["jwtRules"].([]any)
	for _, r := range rules {
		if rule, ok := r.(map[string]any); ok && str(rule["jwks"]) == "" {
			rule["jwks"] = model.PublicOnlyJwks
		}
	}
	return out
}

func refOf(o object) string {
	if str(o["kind"]) == "Namespace" {
		return "Namespace " + nameOf(o)
	}
	return fmt.Sprintf("%s %s/%s", str(o["kind"]), namespaceOf(o), nameOf(o))
}

// buildPlatform reads the objects. Pod IPs are 10.<n>.x.y, cluster IPs 172.20.x.y.
func buildPlatform(objects []object) *platform {
	p := &platform{namespaces: map[string]*corev1.Namespace{}}
	type pending struct {
		id, kind string
		obj      metav1.Object
		tmpl     *corev1.PodTemplateSpec
	}
	var pend []pending
	ids := map[string]bool{}
	revisions := map[string]bool{}
	for _, o := range dedupe(objects) {
		kind := str(o["kind"])
		group := groupOf(o)
		switch {
		case istioGroups[group]:
			cfgs, err := parseIstio(o)
			if err != nil {
				p.notApplied = append(p.notApplied, fmt.Sprintf("%s: %v", refOf(o), err))
				continue
			}
			p.configs = append(p.configs, cfgs...)
		case kind == "Namespace" && group == "":
			obj, err := decodeKube(o)
			ns, ok := obj.(*corev1.Namespace)
			if err != nil || !ok {
				p.notApplied = append(p.notApplied, fmt.Sprintf("%s: %v", refOf(o), err))
				continue
			}
			p.addNamespace(ns)
		case kind == "Service" && group == "":
			obj, err := decodeKube(o)
			svc, ok := obj.(*corev1.Service)
			if err != nil || !ok {
				p.notApplied = append(p.notApplied, fmt.Sprintf("%s: %v", refOf(o), err))
				continue
			}
			if svc.Namespace == "" {
				svc.Namespace = "default"
			}
			// The API server defaults a Service port's protocol to TCP.
			for i := range svc.Spec.Ports {
				if svc.Spec.Ports[i].Protocol == "" {
					svc.Spec.Ports[i].Protocol = corev1.ProtocolTCP
				}
			}
			if svc.CreationTimestamp.IsZero() {
				svc.CreationTimestamp = metav1.NewTime(appliedAt)
			}
			p.services = append(p.services, svc)
		case workloadKinds[kind]:
			obj, err := decodeKube(o)
			if err != nil {
				p.notApplied = append(p.notApplied, fmt.Sprintf("%s: %v", refOf(o), err))
				continue
			}
			tmpl, ok := podTemplate(obj)
			if !ok {
				continue
			}
			m := obj.(metav1.Object)
			ns := m.GetNamespace()
			if ns == "" {
				ns = "default"
				m.SetNamespace(ns)
			}
			// Ids as the model's inventory gives them (src/model/inventory.ts).
			id := ns + "/" + m.GetName()
			if ids[id] {
				id = ns + "/" + strings.ToLower(kind) + "/" + m.GetName()
			}
			ids[id] = true
			pend = append(pend, pending{id: id, kind: kind, obj: m, tmpl: tmpl})
		}
	}
	for _, ns := range p.namespaces {
		if r := ns.Labels[labelRev]; r != "" {
			revisions[r] = true
		}
	}
	for _, w := range pend {
		if r := w.tmpl.Labels[labelRev]; r != "" {
			revisions[r] = true
		}
	}
	revisions["default"] = true
	for r := range revisions {
		p.revisions = append(p.revisions, r)
	}
	sort.Strings(p.revisions)

	// Namespaces only referenced: created as the API server would, with just the name label.
	ensure := func(ns string) {
		if _, ok := p.namespaces[ns]; !ok {
			p.addNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		}
	}
	for _, s := range p.services {
		ensure(s.Namespace)
	}
	for _, c := range p.configs {
		ensure(c.Namespace)
	}
	ensure("istio-system")

	sort.SliceStable(pend, func(i, j int) bool { return pend[i].id < pend[j].id })
	gateways := p.gatewaySelectors()
	for i, pw := range pend {
		ensure(pw.obj.GetNamespace())
		w := &workload{
			id: pw.id, kind: pw.kind, namespace: pw.obj.GetNamespace(), name: pw.obj.GetName(),
			ip: fmt.Sprintf("10.%d.%d.%d", 1+(i+1)/65536, ((i+1)/256)%256, (i+1)%256),
		}
		w.podName = pw.obj.GetName()
		if pw.kind != "Pod" {
			w.podName = pw.obj.GetName() + "-" + strings.ToLower(pw.kind)
		}
		w.spec = *pw.tmpl.Spec.DeepCopy()
		defaultContainerPorts(&w.spec)
		w.serviceAccount = w.spec.ServiceAccountName
		if w.serviceAccount == "" {
			w.serviceAccount = w.spec.DeprecatedServiceAccount
		}
		if w.serviceAccount == "" {
			w.serviceAccount = "default"
		}
		w.spec.ServiceAccountName = w.serviceAccount
		meta := *pw.tmpl.ObjectMeta.DeepCopy()
		meta.Name, meta.Namespace = w.podName, w.namespace
		if meta.Labels == nil {
			meta.Labels = map[string]string{}
		}
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		if gw := matchingGateway(gateways, meta.Labels); gw != "" {
			w.router, w.why = true, "Istio gateway proxy (pods of Gateway "+gw+")"
		} else {
			nsLabels := p.namespaces[w.namespace].Labels
			w.sidecar, w.why = decideInjection(nsLabels, w.namespace, meta, w.spec, p.revisions)
			if w.sidecar {
				meta.Labels = injectedLabels(meta.Labels, w.name)
				w.capture = interceptionOf(meta.Annotations)
			}
		}
		w.meta = meta
		p.workloads = append(p.workloads, w)
	}
	p.addDefaultEgressGateway()
	return p
}

func (p *platform) addNamespace(ns *corev1.Namespace) {
	if _, ok := p.namespaces[ns.Name]; !ok {
		p.nsOrder = append(p.nsOrder, ns.Name)
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels["kubernetes.io/metadata.name"] = ns.Name
	p.namespaces[ns.Name] = ns
}

type gatewaySelector struct {
	name     string
	selector map[string]string
}

func (p *platform) gatewaySelectors() []gatewaySelector {
	var out []gatewaySelector
	for _, c := range p.configs {
		if c.GroupVersionKind != gvk.Gateway {
			continue
		}
		gw, ok := c.Spec.(*networking.Gateway)
		if !ok || len(gw.Selector) == 0 {
			continue
		}
		out = append(out, gatewaySelector{c.Namespace + "/" + c.Name, gw.Selector})
	}
	return out
}

func matchingGateway(gws []gatewaySelector, labels map[string]string) string {
	for _, g := range gws {
		ok := true
		for k, v := range g.selector {
			if labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return g.name
		}
	}
	return ""
}

// addDefaultEgressGateway: the model assumes Istio's egress gateway istio-egressgateway in
// istio-system (pods istio=egressgateway; Service ports 80->8080, 443->8443, as the istioctl
// default profile installs it) when the input routes to it without declaring it. The oracle
// runs that installation too; its pod is no row of the output.
func (p *platform) addDefaultEgressGateway() {
	for _, s := range p.services {
		if s.Namespace == "istio-system" && s.Name == "istio-egressgateway" {
			return
		}
	}
	labels := map[string]string{"istio": "egressgateway", "app": "istio-egressgateway"}
	p.services = append(p.services, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "istio-egressgateway", Namespace: "istio-system", Labels: labels,
			Annotations: map[string]string{syntheticAnnotation: "true"}},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports: []corev1.ServicePort{
				{Name: "http2", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443), Protocol: corev1.ProtocolTCP},
			},
		},
	})
	hasPod := false
	for _, w := range p.workloads {
		if w.namespace == "istio-system" && w.meta.Labels["istio"] == "egressgateway" {
			hasPod = true
		}
	}
	if hasPod {
		return
	}
	p.workloads = append(p.workloads, &workload{
		id: "istio-system/istio-egressgateway", kind: "Deployment", namespace: "istio-system", name: "istio-egressgateway",
		serviceAccount: "istio-egressgateway-service-account",
		meta:           metav1.ObjectMeta{Name: "istio-egressgateway-oracle", Namespace: "istio-system", Labels: labels, Annotations: map[string]string{}},
		spec: corev1.PodSpec{ServiceAccountName: "istio-egressgateway-service-account", Containers: []corev1.Container{{
			Name: "istio-proxy", Image: "istio/proxyv2",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {ContainerPort: 8443, Protocol: corev1.ProtocolTCP}},
		}}},
		podName: "istio-egressgateway-oracle", ip: "10.255.255.1", router: true, synthetic: true,
		why: "Istio's default egress gateway (assumed installed)",
	})
}

// findPort resolves a Service port's targetPort on a pod as Kubernetes' FindPort does: a number
// as it is, a name among the containers' ports of the same protocol.
func findPort(spec corev1.PodSpec, sp corev1.ServicePort) (int, bool) {
	tp := sp.TargetPort
	if tp.Type == 0 {
		if tp.IntVal == 0 {
			return int(sp.Port), true
		}
		return int(tp.IntVal), true
	}
	proto := sp.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	containers := append([]corev1.Container{}, spec.Containers...)
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			containers = append(containers, c)
		}
	}
	for _, c := range containers {
		for _, cp := range c.Ports {
			cpProto := cp.Protocol
			if cpProto == "" {
				cpProto = corev1.ProtocolTCP
			}
			if cp.Name == tp.StrVal && cpProto == proto {
				return int(cp.ContainerPort), true
			}
		}
	}
	return 0, false
}

// kubeObjects: what the fake API server holds: namespaces, services with cluster IPs, one Running
// and Ready pod per workload, and the EndpointSlices Kubernetes' controller would make.
func (p *platform) kubeObjects() []runtime.Object {
	var out []runtime.Object
	for _, name := range p.nsOrder {
		out = append(out, p.namespaces[name])
	}
	for i, s := range p.services {
		if s.Spec.Type != corev1.ServiceTypeExternalName && s.Spec.ClusterIP == "" {
			s.Spec.ClusterIP = fmt.Sprintf("172.20.%d.%d", (i+1)/250, (i+1)%250+1)
		}
		out = append(out, s)
	}
	for _, w := range p.workloads {
		pod := &corev1.Pod{
			ObjectMeta: w.meta,
			Spec:       w.spec,
			Status: corev1.PodStatus{
				Phase:      corev1.PodRunning,
				PodIP:      w.ip,
				PodIPs:     []corev1.PodIP{{IP: w.ip}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			},
		}
		if pod.Spec.NodeName == "" {
			pod.Spec.NodeName = "node-1"
		}
		out = append(out, pod)
	}
	for _, s := range p.services {
		out = append(out, p.endpointSlices(s)...)
	}
	return out
}

func (p *platform) selected(s *corev1.Service) []*workload {
	if len(s.Spec.Selector) == 0 {
		return nil
	}
	var out []*workload
	for _, w := range p.workloads {
		if w.namespace != s.Namespace {
			continue
		}
		ok := true
		for k, v := range s.Spec.Selector {
			if w.meta.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, w)
		}
	}
	return out
}

func (p *platform) endpointSlices(s *corev1.Service) []runtime.Object {
	pods := p.selected(s)
	if len(pods) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	type slice struct {
		ports     []discoveryv1.EndpointPort
		endpoints []discoveryv1.Endpoint
	}
	bySignature := map[string]*slice{}
	var order []string
	for _, w := range pods {
		var ports []discoveryv1.EndpointPort
		sig := ""
		for _, sp := range s.Spec.Ports {
			n, ok := findPort(w.spec, sp)
			if !ok {
				continue
			}
			name, port, proto := sp.Name, int32(n), sp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			ports = append(ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
			sig += fmt.Sprintf("%s:%d,", name, n)
		}
		sl := bySignature[sig]
		if sl == nil {
			sl = &slice{ports: ports}
			bySignature[sig] = sl
			order = append(order, sig)
		}
		ready := true
		sl.endpoints = append(sl.endpoints, discoveryv1.Endpoint{
			Addresses:  []string{w.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: w.podName, Namespace: w.namespace},
		})
	}
	var out []runtime.Object
	for i, sig := range order {
		sl := bySignature[sig]
		out = append(out, &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%d", s.Name, i), Namespace: s.Namespace,
				Labels: map[string]string{discoveryv1.LabelServiceName: s.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   sl.endpoints,
			Ports:       sl.ports,
		})
	}
	return out
}

// defaultContainerPorts: the API server defaults a container port's protocol to TCP (Istio's
// FindPort compares it with the Service port's).
func defaultContainerPorts(spec *corev1.PodSpec) {
	for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range list {
			for j := range list[i].Ports {
				if list[i].Ports[j].Protocol == "" {
					list[i].Ports[j].Protocol = corev1.ProtocolTCP
				}
			}
		}
	}
}
