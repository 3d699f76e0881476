package main

// Sidecar injection is Istio's mutating webhook, which cannot run here: this file follows its
// rules exactly, as the pinned commit writes them.
//   - Which pods the webhook sees: the webhook selectors of the istiod chart
//     (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml), for the
//     default revision and for every revision the input names (assumed installed).
//   - Whether it injects them: inject.injectRequired (pkg/kube/inject/inject.go), with the chart's
//     defaults (autoInject enabled, no never/always selectors) and inject.IgnoredNamespaces.
//   - Which labels the sidecar template adds (files/injection-template.yaml):
//     security.istio.io/tlsMode (the pod's own value, else "istio") and the canonical-name/revision labels.
//   - What the sidecar intercepts: the traffic.sidecar.istio.io annotations as the template passes
//     them to istio-iptables (tools/istio-iptables/pkg/capture/run.go, Run and handleInboundPortsInclude).

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	labelInject    = "sidecar.istio.io/inject"
	labelRev       = "istio.io/rev"
	labelInjection = "istio-injection"
	labelTLSMode   = "security.istio.io/tlsMode"
)

// ignoredNamespaces: inject.IgnoredNamespaces (pkg/kube/inject/initializer.go).
var ignoredNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true}

type selectorExpr struct {
	key, op string
	values  []string
}

func (e selectorExpr) matches(labels map[string]string) bool {
	v, ok := labels[e.key]
	switch e.op {
	case "In":
		return ok && contains(e.values, v)
	case "NotIn":
		return !ok || !contains(e.values, v)
	case "Exists":
		return ok
	case "DoesNotExist":
		return !ok
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type webhook struct {
	name              string
	namespaceSelector []selectorExpr
	objectSelector    []selectorExpr
}

func (w webhook) matches(nsLabels, podLabels map[string]string) bool {
	for _, e := range w.namespaceSelector {
		if !e.matches(nsLabels) {
			return false
		}
	}
	for _, e := range w.objectSelector {
		if !e.matches(podLabels) {
			return false
		}
	}
	return true
}

// webhooks of the chart's MutatingWebhookConfiguration: rev.namespace and rev.object for each
// revision ("default" for the default installation), namespace and object for the default one.
func webhooks(revisions []string) []webhook {
	var out []webhook
	for _, rev := range revisions {
		out = append(out,
			webhook{"rev.namespace(" + rev + ")",
				[]selectorExpr{{labelRev, "In", []string{rev}}, {labelInjection, "DoesNotExist", nil}},
				[]selectorExpr{{labelInject, "NotIn", []string{"false"}}}},
			webhook{"rev.object(" + rev + ")",
				[]selectorExpr{{labelRev, "DoesNotExist", nil}, {labelInjection, "DoesNotExist", nil}},
				[]selectorExpr{{labelInject, "NotIn", []string{"false"}}, {labelRev, "In", []string{rev}}}})
	}
	out = append(out,
		webhook{"namespace",
			[]selectorExpr{{labelInjection, "In", []string{"enabled"}}},
			[]selectorExpr{{labelInject, "NotIn", []string{"false"}}}},
		webhook{"object",
			[]selectorExpr{{labelInjection, "DoesNotExist", nil}, {labelRev, "DoesNotExist", nil}},
			[]selectorExpr{{labelInject, "In", []string{"true"}}, {labelRev, "DoesNotExist", nil}}})
	return out
}

// injectRequired follows inject.injectRequired with Policy enabled and no never/always selectors.
func injectRequired(namespace string, meta metav1.ObjectMeta, spec corev1.PodSpec) (bool, string) {
	if spec.HostNetwork {
		return false, "hostNetwork pod"
	}
	if ignoredNamespaces[namespace] {
		return false, "namespace " + namespace + " is never injected"
	}
	objectSelector := meta.Annotations[labelInject]
	source := "annotation"
	if lbl, ok := meta.Labels[labelInject]; ok {
		objectSelector = lbl
		source = "label"
	}
	switch objectSelector {
	case "true":
		return true, source + " " + labelInject + "=true"
	case "false":
		return false, source + " " + labelInject + "=false"
	}
	return true, "injection policy enabled"
}

// decideInjection: whether the webhook sees the pod and the injector injects it.
func decideInjection(nsLabels map[string]string, namespace string, meta metav1.ObjectMeta, spec corev1.PodSpec, revisions []string) (bool, string) {
	podLabels := meta.Labels
	if podLabels == nil {
		podLabels = map[string]string{}
	}
	for _, w := range webhooks(revisions) {
		if w.matches(nsLabels, podLabels) {
			ok, why := injectRequired(namespace, meta, spec)
			return ok, fmt.Sprintf("webhook %s: %s", w.name, why)
		}
	}
	return false, "no injection webhook selects the pod"
}

// injectedLabels: the labels the sidecar template adds (injection-template.yaml).
func injectedLabels(labels map[string]string, workloadName string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		out[k] = v
	}
	if out[labelTLSMode] == "" {
		out[labelTLSMode] = "istio"
	}
	if out["service.istio.io/canonical-name"] == "" {
		out["service.istio.io/canonical-name"] = firstNonEmpty(labels["app.kubernetes.io/name"], labels["app"], workloadName)
	}
	if out["service.istio.io/canonical-revision"] == "" {
		out["service.istio.io/canonical-revision"] = firstNonEmpty(labels["app.kubernetes.io/version"], labels["version"], "latest")
	}
	return out
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// interception: which ports the sidecar's iptables rules capture (defaults of the chart's values).
type interception struct {
	includeInbound     string
	excludeInbound     map[int]bool
	excludeOutbound    map[int]bool
	includeOutbound    map[int]bool
	includeOutboundIPs string
	excludeOutboundIPs string
}

func parsePorts(s string) map[int]bool {
	out := map[int]bool{}
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			out[n] = true
		}
	}
	return out
}

func annotationOr(annotations map[string]string, key, def string) string {
	if v, ok := annotations[key]; ok {
		return v
	}
	return def
}

func interceptionOf(annotations map[string]string) interception {
	// The template always excludes 15090 and 15021 and the status port (15020) inbound.
	excludeIn := parsePorts("15090,15021,15020," + annotations["traffic.sidecar.istio.io/excludeInboundPorts"])
	return interception{
		includeInbound:     strings.TrimSpace(annotationOr(annotations, "traffic.sidecar.istio.io/includeInboundPorts", "*")),
		excludeInbound:     excludeIn,
		excludeOutbound:    parsePorts(annotations["traffic.sidecar.istio.io/excludeOutboundPorts"]),
		includeOutbound:    parsePorts(annotations["traffic.sidecar.istio.io/includeOutboundPorts"]),
		includeOutboundIPs: strings.TrimSpace(annotationOr(annotations, "traffic.sidecar.istio.io/includeOutboundIPRanges", "*")),
		excludeOutboundIPs: strings.TrimSpace(annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]),
	}
}

// capturesInbound: handleInboundPortsInclude: "*" captures all but the excluded ports, a list only those.
func (i interception) capturesInbound(port int) bool {
	if i.includeInbound == "" {
		return false
	}
	if i.includeInbound == "*" {
		return !i.excludeInbound[port]
	}
	return parsePorts(i.includeInbound)[port]
}

// capturesOutbound: excluded ports first, then excluded IP ranges, included ports, included ranges.
// The cluster IPs are the oracle's own, so IP ranges make the answer unknown ("" = unknown).
func (i interception) capturesOutbound(port int, ip string) (bool, bool) {
	if i.excludeOutbound[port] {
		return false, true
	}
	if i.excludeOutboundIPs != "" {
		if inRanges(i.excludeOutboundIPs, ip) {
			return false, false
		}
	}
	if i.includeOutbound[port] {
		return true, true
	}
	if i.includeOutboundIPs == "*" {
		return true, i.excludeOutboundIPs == ""
	}
	return inRanges(i.includeOutboundIPs, ip), false
}

func inRanges(ranges, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, r := range strings.Split(ranges, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}
