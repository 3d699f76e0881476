package main

// Egress: for every client workload and every external host:port, where the Envoy configuration
// Istio generates sends the client's connection (a direct cluster, or an egress gateway's
// cluster), with which TLS, and, through a gateway, where the gateway's (a router proxy's)
// listener, route and cluster send it on and with which TLS.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	corev1 "k8s.io/api/core/v1"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pkg/config/schema/gvk"
)

// EgressRow is one path from a client workload to an external host and port, in the shape of
// the mesh report's JSON egress rows. Outcome: allowed, denied (the gateway's RBAC), blocked
// (BlackHoleCluster), failed (Istio's configuration has nowhere to send it), or undecidable
// (Possible lists what it can be).
type EgressRow struct {
	From     string   `json:"from"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Outcome  string   `json:"outcome"`
	Via      string   `json:"via,omitempty"`
	TLS      string   `json:"tls,omitempty"`
	Reason   string   `json:"reason"`
	Possible []string `json:"possible,omitempty"`
}

// egressTarget: an external host and port, and what the app speaks to it.
type egressTarget struct {
	host     string
	port     int
	protocol string // the ServiceEntry port's protocol, or HTTP/TLS/TCP by the route kind
	addr     string // the address the app connects to
	pods     map[*workload]bool
}

// ddomain is the cluster's DNS domain (as the control plane is started with).
const ddomain = "cluster.local"

// externalIP: the address DNS gives the app for an external host without addresses of its own
// (TEST-NET-3: in no Service's or pod's range).
const externalIP = "203.0.113.10"

// resolveHost: a short host of an Istio object in namespace ns as Istio resolves it
// (pkg/config/host ... model.ResolveShortnameToFQDN: a name without dots gets ns.svc.<domain>).
func resolveHost(h, ns string) string {
	if h == "" || strings.Contains(h, ".") || h == "*" {
		return h
	}
	return h + "." + ns + ".svc." + ddomain
}

// gatewayServices: the Services whose pods are Istio gateway (router) proxies, by host.
func (o *oracle) gatewayServices() map[string]*corev1.Service {
	out := map[string]*corev1.Service{}
	for _, s := range o.p.services {
		for _, w := range o.p.selected(s) {
			if w.router {
				out[serviceHost(s)] = s
				break
			}
		}
	}
	return out
}

type routeDest struct {
	host   string
	weight int32
}

// heaviestOf: the destination with the largest weight, the first of equals.
func heaviestOf(ds []routeDest) (routeDest, bool) {
	if len(ds) == 0 {
		return routeDest{}, false
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if d.weight > best.weight {
			best = d
		}
	}
	return best, true
}

// egressTargets: the hosts of ServiceEntries outside the mesh (location MESH_EXTERNAL) with their
// ports, then the hosts that mesh VirtualServices send to an egress gateway on a matched port,
// each host:port once; a cluster Service whose pods all have sidecars is no egress target.
func (o *oracle) egressTargets(gateways map[string]*corev1.Service) []*egressTarget {
	byKey := map[string]*egressTarget{}
	var order []string
	// The app resolves a host to its ServiceEntry's first address, if it has one (as Istio's DNS
	// proxy answers, or the host's real address when `addresses` are its IPs); else to an
	// address outside the cluster.
	addresses := map[string][]string{}
	for _, c := range o.p.configs {
		if se, ok := c.Spec.(*networking.ServiceEntry); ok && c.GroupVersionKind == gvk.ServiceEntry {
			for _, h := range se.Hosts {
				if _, seen := addresses[h]; !seen && len(se.Addresses) > 0 {
					addresses[h] = se.Addresses
				}
			}
		}
	}
	add := func(host string, port int, protocol string) {
		key := host + ":" + strconv.Itoa(port)
		if _, ok := byKey[key]; ok {
			return
		}
		t := &egressTarget{host: host, port: port, protocol: strings.ToUpper(protocol), addr: externalIP, pods: map[*workload]bool{}}
		if a := addresses[host]; len(a) > 0 {
			t.addr = strings.SplitN(a[0], "/", 2)[0]
		}
		for _, s := range o.p.services {
			if serviceHost(s) != host {
				continue
			}
			pods := o.p.selected(s)
			all := len(pods) > 0
			for _, w := range pods {
				t.pods[w] = true
				all = all && w.sidecar
			}
			if all {
				return
			}
			if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
				t.addr = s.Spec.ClusterIP
			}
			break
		}
		byKey[key] = t
		order = append(order, key)
	}
	for _, c := range o.p.configs {
		se, ok := c.Spec.(*networking.ServiceEntry)
		if c.GroupVersionKind != gvk.ServiceEntry || !ok || se.Location == networking.ServiceEntry_MESH_INTERNAL {
			continue
		}
		for _, h := range se.Hosts {
			for _, p := range se.Ports {
				add(h, int(p.Number), p.Protocol)
			}
		}
	}
	for _, c := range o.p.configs {
		vs, ok := c.Spec.(*networking.VirtualService)
		if c.GroupVersionKind != gvk.VirtualService || !ok {
			continue
		}
		vsGateways := vs.Gateways
		if len(vsGateways) == 0 {
			vsGateways = []string{"mesh"}
		}
		for _, r := range vsRoutes(vs) {
			d, ok := heaviestOf(r.dests)
			if !ok || gateways[resolveHost(d.host, c.Namespace)] == nil {
				continue
			}
			for _, m := range r.matches {
				gws := m.gateways
				if len(gws) == 0 {
					gws = vsGateways
				}
				if !contains(gws, "mesh") || m.port == 0 {
					continue
				}
				for _, h := range vs.Hosts {
					fq := resolveHost(h, c.Namespace)
					if strings.Contains(fq, "*") || gateways[fq] != nil {
						continue
					}
					add(fq, int(m.port), r.kind)
				}
			}
		}
	}
	out := make([]*egressTarget, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

type routeMatch struct {
	port     uint32
	gateways []string
}

// vsRoute: one http, tls or tcp route of a VirtualService, as far as egress targets need it.
type vsRoute struct {
	kind    string // HTTP, TLS or TCP: what the app speaks on a route of this kind
	matches []routeMatch
	dests   []routeDest
}

type portGatewaysMatch interface {
	GetPort() uint32
	GetGateways() []string
}

type weightedDestination interface {
	GetDestination() *networking.Destination
	GetWeight() int32
}

func toRoute[M portGatewaysMatch, D weightedDestination](kind string, matches []M, dests []D) vsRoute {
	r := vsRoute{kind: kind}
	for _, m := range matches {
		r.matches = append(r.matches, routeMatch{m.GetPort(), m.GetGateways()})
	}
	for _, d := range dests {
		r.dests = append(r.dests, routeDest{d.GetDestination().GetHost(), d.GetWeight()})
	}
	return r
}

func vsRoutes(vs *networking.VirtualService) []vsRoute {
	var out []vsRoute
	for _, r := range vs.Http {
		out = append(out, toRoute("HTTP", r.Match, r.Route))
	}
	for _, r := range vs.Tls {
		out = append(out, toRoute("TLS", r.Match, r.Route))
	}
	for _, r := range vs.Tcp {
		out = append(out, toRoute("TCP", r.Match, r.Route))
	}
	return out
}

// egressPayloads: what the app writes to a host:port of this protocol; a port without a known
// protocol may carry HTTP or anything else (Istio sniffs it): both are followed.
func egressPayloads(protocol string) []payload {
	switch protocol {
	case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
		return []payload{httpBytes}
	case "HTTPS", "TLS":
		return []payload{appTLS}
	case "":
		return []payload{httpBytes, tcpBytes}
	}
	return []payload{tcpBytes}
}

// egress: every client workload (the target's own pods left out) to every egress target.
func (o *oracle) egress() []EgressRow {
	rows := []EgressRow{}
	gateways := o.gatewayServices()
	for _, t := range o.egressTargets(gateways) {
		for _, c := range o.p.workloads {
			if c.synthetic || t.pods[c] {
				continue
			}
			rows = append(rows, o.egressRow(c, t, gateways))
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.Port < b.Port
	})
	return rows
}

var anyEgressOutcome = []string{"allowed", "blocked", "denied", "failed"}

func (o *oracle) egressRow(c *workload, t *egressTarget, gateways map[string]*corev1.Service) EgressRow {
	row := EgressRow{From: c.id, Host: t.host, Port: t.port}
	if c.router {
		row.Outcome, row.Possible = "undecidable", anyEgressOutcome
		row.Reason = "the client is a gateway pod: its Envoy is a router, no app's traffic goes through it"
		return row
	}
	pls := egressPayloads(t.protocol)
	type result struct{ outcome, via, tls string }
	results := map[result]bool{}
	possible := map[string]bool{}
	var reasons []string
	for _, pl := range pls {
		r, how := o.followEgress(c, t, pl, gateways)
		results[result{r.outcome, r.via, r.tls}] = true
		if r.outcome != "undecidable" {
			possible[r.outcome] = true
		} else if r.possible == nil {
			for _, x := range anyEgressOutcome {
				possible[x] = true
			}
		} else {
			for _, x := range r.possible {
				possible[x] = true
			}
		}
		if len(pls) > 1 {
			how = string(pl) + ": " + how
		}
		reasons = append(reasons, how)
		row.Outcome, row.Via, row.TLS = r.outcome, r.via, r.tls
	}
	row.Reason = strings.Join(reasons, " | ")
	if len(results) > 1 || row.Outcome == "undecidable" {
		row.Outcome, row.Via, row.TLS, row.Possible = "undecidable", "", "", sortedKeys(possible)
	}
	return row
}

type egressResult struct {
	outcome, via, tls string
	possible          []string // for an undecidable outcome: what it can be (default: anything)
}

// appTLSOf: what reaches the host when nobody in between touches the app's bytes.
func appTLSOf(pl payload) string {
	if pl == appTLS {
		return "passthrough"
	}
	return "none"
}

// probeHost: the name the app asks for (a subdomain for a wildcard host).
func probeHost(host string) string {
	if strings.HasPrefix(host, "*.") {
		return "oracle-probe" + host[1:]
	}
	return host
}

func (o *oracle) followEgress(c *workload, t *egressTarget, pl payload, gateways map[string]*corev1.Service) (egressResult, string) {
	direct := egressResult{"allowed", "direct", appTLSOf(pl), nil}
	if !c.hasProxy() {
		return direct, "client has no sidecar (" + c.why + "): the app connects itself"
	}
	captured, known := c.capture.capturesOutbound(t.port, t.addr)
	if !known {
		return egressResult{outcome: "undecidable"}, "the client's outbound IP range annotations decide whether its sidecar captures the call"
	}
	if !captured {
		return direct, fmt.Sprintf("the client's sidecar does not capture port %d", t.port)
	}
	host := probeHost(t.host)
	pc := o.cp.proxyFor(c)
	l := outboundListener(pc.listeners, t.addr, t.port)
	if l == nil {
		return egressResult{outcome: "failed"}, "client sidecar: no outbound listener"
	}
	cn := conn{dstIP: t.addr, dstPort: t.port, transport: "raw_buffer"}
	if pl == appTLS {
		cn.transport, cn.sni = "tls", host
	}
	cn = applyListenerFilters(l, cn, pl == httpBytes)
	fc := matchChain(l, cn)
	if fc == nil {
		return egressResult{outcome: "failed"}, "client sidecar: listener " + l.Name + " has no filter chain for the call"
	}
	var clusterName string
	viaHTTP := false
	if h := hcmOf(fc); h != nil {
		if pl != httpBytes {
			return egressResult{outcome: "failed"}, "client sidecar: listener " + l.Name + " parses HTTP, the app does not speak it"
		}
		rc := h.GetRouteConfig()
		if rc == nil {
			rc = pc.routes[h.GetRds().GetRouteConfigName()]
		}
		vh := virtualHostFor(rc, host)
		if vh == nil {
			return egressResult{outcome: "failed"}, "client sidecar: no virtual host for " + host + " (404)"
		}
		name, why := routeFor(vh)
		if name == "" && vh.GetName() == "block_all" {
			// REGISTRY_ONLY: the catch-all virtual host answers 502 itself
			// (pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost).
			return egressResult{"blocked", "direct", appTLSOf(pl), nil}, "client sidecar: virtual host block_all (outbound traffic policy REGISTRY_ONLY) answers itself"
		}
		if name == "" {
			return egressResult{outcome: "failed"}, "client sidecar: " + why
		}
		clusterName, viaHTTP = name, true
	} else if tp := tcpProxyOf(fc); tp != nil {
		clusterName = tcpCluster(tp)
	} else {
		return egressResult{outcome: "failed"}, "client sidecar: chain " + fc.Name + " forwards nowhere"
	}
	switch clusterName {
	case "BlackHoleCluster":
		return egressResult{"blocked", "direct", appTLSOf(pl), nil}, "client sidecar: BlackHoleCluster (outbound traffic policy REGISTRY_ONLY)"
	case "PassthroughCluster":
		return direct, "client sidecar: PassthroughCluster, the app's bytes to the address it resolved"
	}
	cl := pc.clusters[clusterName]
	if cl == nil {
		return egressResult{outcome: "failed"}, "client sidecar: no cluster " + clusterName
	}
	raw, gw, gwPort, socket := o.clusterSends(pc, cl)
	snd := onTheWire(raw, pl)
	how := "client sidecar: cluster " + clusterName + socket + " sends " + describeSent(snd)
	if gws := gateways[clusterHost(clusterName)]; gws != nil {
		if gw == nil || !gw.router {
			return egressResult{outcome: "failed"}, how + ": no gateway pod among its endpoints"
		}
		if snd.tls && snd.mesh && viaHTTP {
			snd.alpn = []string{"istio-http/1.1"}
		}
		return o.atGateway(c, gw, gwPort, snd, host, how)
	}
	if raw.mesh {
		return egressResult{outcome: "failed", via: "direct"}, how + ": a host outside the mesh presents no mesh certificate, the handshake fails"
	}
	return egressResult{"allowed", "direct", tlsToHost(raw, pl), nil}, how
}

// originated: what TLS a proxy's transport socket puts on the wire to the host.
func originated(s sentTLS) string {
	switch {
	case s.mesh:
		return "istio-mutual"
	case s.clientCert:
		return "mutual-originated"
	}
	return "originated"
}

// clusterHost: the host of an outbound|port|subset|host cluster.
func clusterHost(name string) string {
	parts := strings.Split(name, "|")
	if len(parts) != 4 {
		return ""
	}
	return parts[3]
}

// clusterSends: the transport socket a cluster uses for its first endpoint (an EDS cluster's
// endpoint metadata picks among transport_socket_matches), and the workload and port behind it.
func (o *oracle) clusterSends(pc *proxyConfig, cl *cluster.Cluster) (sentTLS, *workload, int, string) {
	var md *core.Metadata
	var w *workload
	port := 0
	if cl.GetType() == cluster.Cluster_EDS {
		for _, l := range pc.endpoints(cl.Name).GetEndpoints() {
			if len(l.GetLbEndpoints()) == 0 {
				continue
			}
			ep := l.GetLbEndpoints()[0]
			sa := ep.GetEndpoint().GetAddress().GetSocketAddress()
			port, md = int(sa.GetPortValue()), ep.GetMetadata()
			for _, x := range o.p.workloads {
				if x.ip == sa.GetAddress() {
					w = x
				}
			}
			break
		}
	}
	ts, name := upstreamSocket(cl, md)
	return socketTLS(ts), w, port, socketSuffix(name)
}

// onTheWire: what a proxy's socket sends when the app writes pl: its own TLS, or the app's bytes.
func onTheWire(s sentTLS, pl payload) sent {
	if !s.tls && pl == appTLS {
		return sent{inner: pl, sentTLS: sentTLS{tls: true}}
	}
	return sent{inner: pl, sentTLS: s}
}

// tlsToHost: the report's tls of the last hop: TLS the proxy originates, else the app's own.
func tlsToHost(s sentTLS, pl payload) string {
	if s.tls {
		return originated(s)
	}
	return appTLSOf(pl)
}

// atGateway follows the connection into the egress gateway's Envoy: the listener for the pod
// port, the filter chain, its RBAC, the route (HTTP) or TCP proxy, and the upstream cluster's TLS.
func (o *oracle) atGateway(c, gw *workload, port int, snd sent, host, how string) (egressResult, string) {
	fail := func(why string) (egressResult, string) {
		return egressResult{outcome: "failed", via: "egress-gateway"}, how + "; " + why
	}
	pc := o.cp.proxyFor(gw)
	l := gatewayListener(pc.listeners, port)
	if l == nil {
		return fail(fmt.Sprintf("egress gateway %s: no Gateway server listens on port %d", gw.id, port))
	}
	cn := conn{dstIP: gw.ip, dstPort: port, transport: "raw_buffer"}
	if snd.tls {
		cn.transport, cn.alpn, cn.sni = "tls", snd.alpn, snd.sni
		if !snd.mesh && snd.inner == appTLS {
			cn.sni = host
		}
	}
	cn = applyListenerFilters(l, cn, !snd.tls && snd.inner == httpBytes)
	fc := matchChain(l, cn)
	if fc == nil {
		return fail(fmt.Sprintf("egress gateway: no filter chain of %s accepts %s", l.Name, describeSent(snd)))
	}
	chain := "egress gateway: chain " + chainName(fc)
	principal := ""
	inner := snd.inner
	if fc.TransportSocket != nil {
		req := downstreamRequirements(fc.TransportSocket)
		switch {
		case !snd.tls:
			return fail(chain + " wants TLS, gets plaintext")
		case req.meshClientCert && snd.mesh:
			principal = fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/%s", c.namespace, c.serviceAccount)
		case snd.mesh:
			return fail(chain + " terminates TLS that is not Istio mTLS, gets Istio mTLS")
		default:
			return egressResult{outcome: "undecidable"}, how + "; " + chain + " terminates the app's own TLS with the gateway's certificate"
		}
	} else if snd.tls && snd.mesh {
		return fail(chain + " takes no TLS, gets Istio mTLS")
	}
	var clusterName string
	h := hcmOf(fc)
	if h != nil {
		if inner != httpBytes {
			return fail(chain + " parses HTTP, the app sends " + string(inner))
		}
		rc := h.GetRouteConfig()
		if rc == nil {
			rc = pc.routes[h.GetRds().GetRouteConfigName()]
		}
		vh := virtualHostFor(rc, host)
		if vh == nil {
			return fail(chain + ": no virtual host for " + host + " (404)")
		}
		name, why := routeFor(vh)
		if name == "" {
			return fail(chain + ": " + why)
		}
		clusterName = name
	} else if tp := tcpProxyOf(fc); tp != nil {
		clusterName = tcpCluster(tp)
	} else {
		return fail(chain + " forwards nowhere")
	}
	a := chainAuthz(fc, h, authzFacts{principal: principal, port: port, sni: cn.sni, sniKnown: true})
	cl := pc.clusters[clusterName]
	if cl == nil || clusterName == "BlackHoleCluster" {
		return fail(chain + ": no cluster " + clusterName)
	}
	up, _, _, socket := o.clusterSends(pc, cl)
	tls := tlsToHost(up, inner)
	how = how + "; " + chain + " -> cluster " + clusterName + socket + " sends " + describeSent(onTheWire(up, inner))
	if up.mesh {
		return egressResult{outcome: "failed", via: "egress-gateway"}, how + ": a host outside the mesh presents no mesh certificate, the handshake fails"
	}
	if len(a.notes) > 0 {
		how += "; " + strings.Join(a.notes, "; ")
	}
	switch a.allowed {
	case no:
		return egressResult{"denied", "egress-gateway", tls, nil}, how + ": RBAC denies it"
	case maybe:
		return egressResult{outcome: "undecidable", possible: []string{"allowed", "denied"}}, how + ": RBAC decides per request"
	}
	return egressResult{"allowed", "egress-gateway", tls, nil}, how
}

// chainName: a gateway's filter chains often have no name: say what they match.
func chainName(fc *listener.FilterChain) string {
	if fc.Name != "" {
		return fc.Name
	}
	if sn := fc.GetFilterChainMatch().GetServerNames(); len(sn) > 0 {
		return "(SNI " + strings.Join(sn, ",") + ")"
	}
	return "(the listener's only)"
}
