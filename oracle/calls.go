package main

import (
	"fmt"
	"sort"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev1 "k8s.io/api/core/v1"

	"istio.io/istio/pkg/config/kube"
	"istio.io/istio/pkg/config/protocol"
)

// Row is one call, in the shape of the mesh report's JSON connection rows. Outcome is one of
// mtls, plaintext, rejected, denied, failed, or "undecidable" when the answer depends on what
// only a request (or the application) can tell; Possible then lists the outcomes it can have.
type Row struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Service  string   `json:"service"`
	Port     int      `json:"port"`
	Outcome  string   `json:"outcome"`
	Reason   string   `json:"reason"`
	Possible []string `json:"possible,omitempty"`
}

// payload: what the application writes into the connection.
type payload string

const (
	httpBytes payload = "http"
	tcpBytes  payload = "tcp"
	appTLS    payload = "app-tls"
)

// payloads: what an application speaks on a Service port, by the protocol Istio gives the port
// (kube.ConvertProtocol: appProtocol, then the name prefix). A port Istio sniffs may carry HTTP
// or anything else: both are followed.
func payloads(proto protocol.Instance) []payload {
	switch {
	case proto.IsHTTP():
		return []payload{httpBytes}
	case proto.IsTLS():
		return []payload{appTLS}
	case proto.IsUnsupported():
		return []payload{httpBytes, tcpBytes}
	}
	return []payload{tcpBytes}
}

// sent: what reaches the server pod.
type sent struct {
	sentTLS
	inner   payload
	how     string
	outcome string // set when the client side already decides (failed, undecidable)
}

type oracle struct {
	p  *platform
	cp *controlPlane
}

func portProtocol(sp corev1.ServicePort) protocol.Instance {
	return kube.ConvertProtocol(sp.Port, sp.Name, sp.Protocol, sp.AppProtocol)
}

func serviceHost(s *corev1.Service) string {
	return s.Name + "." + s.Namespace + ".svc.cluster.local"
}

func isSynthetic(s *corev1.Service) bool { return s.Annotations[syntheticAnnotation] != "" }

// connections: every client workload to every Service port of every workload the Service selects.
func (o *oracle) connections() []Row {
	rows := []Row{}
	for _, s := range o.p.services {
		if isSynthetic(s) || len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		servers := o.p.selected(s)
		for _, sp := range s.Spec.Ports {
			if sp.Protocol == corev1.ProtocolUDP {
				continue
			}
			for _, srv := range servers {
				for _, c := range o.p.workloads {
					if c.synthetic {
						continue
					}
					rows = append(rows, o.call(c, srv, s, sp))
				}
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Port < b.Port
	})
	return rows
}

func (o *oracle) call(c, srv *workload, s *corev1.Service, sp corev1.ServicePort) Row {
	row := Row{From: c.id, To: srv.id, Service: s.Namespace + "/" + s.Name, Port: int(sp.Port)}
	tp, ok := findPort(srv.spec, sp)
	if !ok {
		row.Outcome = "failed"
		row.Reason = fmt.Sprintf("targetPort %s is no container port of the server pod: Kubernetes makes no endpoint for it", sp.TargetPort.String())
		return row
	}
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if headless && tp != int(sp.Port) {
		row.Outcome = "undecidable"
		row.Reason = "headless Service with targetPort != port: the client picks the pod port itself"
		row.Possible = []string{"failed", "mtls", "plaintext", "rejected", "denied"}
		return row
	}
	proto := portProtocol(sp)
	outcomes := map[string]bool{}
	var reasons []string
	for _, pl := range payloads(proto) {
		out, reason := o.follow(c, srv, s, sp, tp, pl, proto)
		for _, x := range out {
			outcomes[x] = true
		}
		if len(payloads(proto)) > 1 {
			reason = string(pl) + ": " + reason
		}
		reasons = append(reasons, reason)
	}
	row.Reason = strings.Join(reasons, " | ")
	list := sortedKeys(outcomes)
	if len(list) == 1 {
		row.Outcome = list[0]
	} else {
		row.Outcome = "undecidable"
		row.Possible = list
	}
	return row
}

// follow one connection of payload pl from c to srv's port tp, through both proxies.
func (o *oracle) follow(c, srv *workload, s *corev1.Service, sp corev1.ServicePort, tp int, pl payload, proto protocol.Instance) ([]string, string) {
	if c == srv && s.Spec.ClusterIP == corev1.ClusterIPNone {
		// A pod calling its own address goes over loopback, which istio-iptables neither redirects
		// outbound nor sees inbound (tools/istio-iptables/pkg/capture/run.go Run: "-o lo ... RETURN").
		return appReceives(sent{inner: pl, sentTLS: sentTLS{tls: pl == appTLS}}, proto, "the pod calls its own address: over loopback, neither sidecar sees it")
	}
	snd := o.clientSends(c, srv, s, sp, tp, pl)
	if snd.outcome != "" {
		if snd.outcome == "undecidable" {
			return []string{"failed", "mtls", "plaintext", "rejected", "denied"}, snd.how
		}
		return []string{snd.outcome}, snd.how
	}
	out, how := o.serverReceives(c, srv, tp, snd, proto)
	return out, snd.how + "; " + how
}

func (o *oracle) clientSends(c, srv *workload, s *corev1.Service, sp corev1.ServicePort, tp int, pl payload) sent {
	plain := sent{inner: pl}
	if pl == appTLS {
		plain.sentTLS = sentTLS{tls: true}
	}
	dstIP, dstPort := s.Spec.ClusterIP, int(sp.Port)
	if s.Spec.ClusterIP == corev1.ClusterIPNone {
		dstIP = srv.ip
	}
	if !c.hasProxy() {
		plain.how = "client has no sidecar (" + c.why + ")"
		return plain
	}
	host := serviceHost(s)
	pc := o.cp.proxyFor(c)
	var clusterName string
	viaHTTP := false
	if c.router {
		// A gateway's Envoy is no sidecar: it reaches a Service through the Service's cluster.
		clusterName = fmt.Sprintf("outbound|%d||%s", sp.Port, host)
		viaHTTP = pl == httpBytes
	} else {
		captured, known := c.capture.capturesOutbound(dstPort, dstIP)
		if !known {
			return sent{outcome: "undecidable", how: "the client's outbound IP range annotations decide whether its sidecar captures the call"}
		}
		if !captured {
			plain.how = fmt.Sprintf("the client's sidecar does not capture port %d (traffic.sidecar.istio.io annotations)", dstPort)
			return plain
		}
		l := outboundListener(pc.listeners, dstIP, dstPort)
		if l == nil {
			return sent{outcome: "failed", how: "client sidecar: no outbound listener"}
		}
		cn := conn{dstIP: dstIP, dstPort: dstPort, transport: "raw_buffer"}
		if pl == appTLS {
			cn.transport, cn.sni = "tls", host
		}
		cn = applyListenerFilters(l, cn, pl == httpBytes)
		fc := matchChain(l, cn)
		if fc == nil {
			return sent{outcome: "failed", how: "client sidecar: listener " + l.Name + " has no filter chain for the call"}
		}
		if h := hcmOf(fc); h != nil {
			if pl != httpBytes {
				return sent{outcome: "failed", how: "client sidecar: listener " + l.Name + " parses HTTP, the app does not speak it"}
			}
			rc := h.GetRouteConfig()
			if rc == nil {
				rc = pc.routes[h.GetRds().GetRouteConfigName()]
			}
			vh := virtualHostFor(rc, host)
			if vh == nil {
				return sent{outcome: "failed", how: "client sidecar: no virtual host for " + host + " (404)"}
			}
			name, why := routeFor(vh)
			if name == "" {
				return sent{outcome: "failed", how: "client sidecar: " + why}
			}
			clusterName, viaHTTP = name, true
		} else if t := tcpProxyOf(fc); t != nil {
			clusterName = tcpCluster(t)
		} else {
			return sent{outcome: "failed", how: "client sidecar: chain " + fc.Name + " forwards nowhere"}
		}
	}
	cl := pc.clusters[clusterName]
	if cl == nil {
		if c.router {
			return sent{outcome: "undecidable", how: "the gateway has no cluster " + clusterName}
		}
		return sent{outcome: "failed", how: "client sidecar: no cluster " + clusterName}
	}
	switch clusterName {
	case "BlackHoleCluster":
		return sent{outcome: "failed", how: "client sidecar: BlackHoleCluster (outbound traffic policy REGISTRY_ONLY)"}
	case "PassthroughCluster":
		plain.how = "client sidecar: PassthroughCluster (no route for " + host + " from its namespace): the app's bytes to the cluster IP"
		return plain
	}
	snd := sent{inner: pl}
	var socketName string
	if cl.GetType() == cluster.Cluster_EDS {
		ep := endpointFor(pc.endpoints(clusterName), srv.ip, tp)
		if ep == nil {
			return sent{outcome: "undecidable", how: "client sidecar: cluster " + clusterName + " has no endpoint for the server pod (routed elsewhere)"}
		}
		ts, name := upstreamSocket(cl, ep.GetMetadata())
		snd.sentTLS, socketName = socketTLS(ts), name
	} else {
		ts, name := upstreamSocket(cl, nil)
		snd.sentTLS, socketName = socketTLS(ts), name
	}
	if snd.tls && snd.mesh && viaHTTP {
		// Istio's ALPN filter on outbound HTTP marks mTLS HTTP with istio-http/1.1.
		snd.alpn = []string{"istio-http/1.1"}
	}
	if !snd.tls && pl == appTLS {
		snd.sentTLS = sentTLS{tls: true}
	} else if snd.tls && !snd.mesh && pl == appTLS {
		// A sidecar that originates TLS carries what the app writes in plaintext: an app that
		// wants its sidecar to originate TLS does not speak TLS itself.
		snd.inner = tcpBytes
	}
	who := "client sidecar"
	if c.router {
		who = "client gateway"
	}
	snd.how = fmt.Sprintf("%s: cluster %s%s sends %s", who, clusterName, socketSuffix(socketName), describeSent(snd))
	return snd
}

func socketSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " (transport socket " + name + ")"
}

func describeSent(s sent) string {
	switch {
	case s.tls && s.mesh:
		return "Istio mTLS"
	case s.tls && s.inner == appTLS && !s.clientCert:
		return "the app's TLS"
	case s.tls && s.clientCert:
		return "TLS with a client certificate (not the mesh's)"
	case s.tls:
		return "TLS (no client certificate)"
	}
	return "plaintext"
}

// appReceives: the server application gets the bytes as they are.
func appReceives(snd sent, proto protocol.Instance, where string) ([]string, string) {
	switch {
	case snd.tls && snd.mesh:
		return []string{"failed"}, where + ": the app gets Istio's mTLS handshake"
	case snd.tls && snd.inner == appTLS && !snd.clientCert:
		return []string{"plaintext"}, where + ": the app's own TLS, end to end"
	case snd.tls && proto.IsTLS():
		return []string{"plaintext"}, where + ": the app terminates the TLS (not mesh mTLS)"
	case snd.tls:
		return []string{"failed"}, where + ": the app gets a TLS handshake on a port that does not declare TLS"
	}
	return []string{"plaintext"}, where
}

func (o *oracle) serverReceives(c, srv *workload, tp int, snd sent, proto protocol.Instance) ([]string, string) {
	if !srv.hasProxy() {
		return appReceives(snd, proto, "server has no sidecar ("+srv.why+")")
	}
	if srv.sidecar && !srv.capture.capturesInbound(tp) {
		return appReceives(snd, proto, fmt.Sprintf("the server's sidecar does not capture port %d", tp))
	}
	pc := o.cp.proxyFor(srv)
	who := "server sidecar"
	l := byName(pc.listeners, "virtualInbound")
	if srv.router {
		who = "server gateway"
		l = gatewayListener(pc.listeners, tp)
		if l == nil {
			return []string{"failed"}, fmt.Sprintf("%s: no Gateway server listens on port %d", who, tp)
		}
	}
	if l == nil {
		return []string{"failed"}, who + ": no inbound listener"
	}
	cn := conn{dstIP: srv.ip, dstPort: tp, transport: "raw_buffer"}
	if snd.tls {
		cn.transport, cn.alpn, cn.sni = "tls", snd.alpn, snd.sni
	}
	cn = applyListenerFilters(l, cn, !snd.tls && snd.inner == httpBytes)
	fc := matchChain(l, cn)
	if fc == nil {
		if !snd.tls {
			return []string{"rejected"}, fmt.Sprintf("%s: no filter chain of %s accepts plaintext on port %d", who, l.Name, tp)
		}
		return []string{"failed"}, fmt.Sprintf("%s: no filter chain of %s accepts %s on port %d", who, l.Name, describeSent(snd), tp)
	}
	chain := fmt.Sprintf("%s: chain %s", who, fc.Name)
	principal := ""
	terminated := false
	if fc.TransportSocket != nil {
		req := downstreamRequirements(fc.TransportSocket)
		switch {
		case !snd.tls:
			return []string{"rejected"}, chain + " wants TLS, gets plaintext"
		case req.meshClientCert && snd.mesh:
			terminated = true
			principal = fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/%s", c.namespace, c.serviceAccount)
		case req.meshClientCert:
			return []string{"rejected"}, chain + " accepts only Istio mTLS, gets " + describeSent(snd)
		case req.clientCert:
			return []string{"failed"}, chain + " wants a client certificate of its own CA, gets " + describeSent(snd)
		case snd.mesh:
			return []string{"failed"}, chain + " presents a certificate that is not a mesh identity: the client's Istio mTLS fails"
		default:
			terminated = true // server-side TLS without client verification: no principal
		}
	}
	h := hcmOf(fc)
	if h != nil && snd.inner != httpBytes && (terminated || !snd.tls) {
		return []string{"failed"}, chain + " parses HTTP, the app sends no HTTP (" + string(snd.inner) + ")"
	}
	if !terminated {
		if h != nil && snd.tls {
			return []string{"failed"}, chain + " parses HTTP, gets " + describeSent(snd)
		}
		if snd.tls {
			out, how := appReceives(snd, proto, chain+" passes it on")
			if out[0] != "plaintext" {
				return out, how
			}
			chain = how
		}
	}
	a := chainAuthz(fc, h, authzFacts{principal: principal, port: tp})
	success := "plaintext"
	if terminated && principal != "" {
		success = "mtls"
		chain += " (Istio mTLS, peer " + strings.TrimPrefix(principal, "spiffe://") + ")"
	}
	notes := ""
	if len(a.notes) > 0 {
		notes = "; " + strings.Join(a.notes, "; ")
	}
	switch a.allowed {
	case no:
		return []string{"denied"}, chain + ": RBAC denies it" + notes
	case maybe:
		return []string{success, "denied"}, chain + ": RBAC decides per request" + notes
	}
	return []string{success}, chain + notes
}

type downstreamReq struct {
	clientCert     bool
	meshClientCert bool
}
