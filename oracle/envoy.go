package main

// Following a connection through the Envoy configuration Istio generated: which listener and
// filter chain it lands on (Envoy's filter chain match order), which route and cluster it takes,
// and which transport socket the cluster uses for the chosen endpoint. Written for this oracle
// after Envoy's documented semantics (listener_components.proto FilterChainMatch,
// cluster.proto transport_socket_matches); not Istio code.

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// conn is what the listener sees of a new connection.
type conn struct {
	dstIP     string
	dstPort   int
	transport string   // "raw_buffer" or "tls" (as the TLS inspector reports it)
	alpn      []string // ALPN of a TLS hello, or the HTTP inspector's protocol for plaintext HTTP
	sni       string
}

func listenerAddress(l *listener.Listener) (string, int) {
	sa := l.GetAddress().GetSocketAddress()
	return sa.GetAddress(), int(sa.GetPortValue())
}

// outboundListener: the listener a sidecar's captured outbound connection lands on: the one for
// the original destination ip:port, else 0.0.0.0:port, else virtualOutbound.
func outboundListener(ls []*listener.Listener, ip string, port int) *listener.Listener {
	for _, l := range ls {
		if a, p := listenerAddress(l); a == ip && p == port {
			return l
		}
	}
	for _, l := range ls {
		if a, p := listenerAddress(l); (a == "0.0.0.0" || a == "::") && p == port && l.Name != "virtualOutbound" && l.Name != "virtualInbound" {
			return l
		}
	}
	return byName(ls, "virtualOutbound")
}

// gatewayListener: a router binds its listeners; a connection to ip:port reaches 0.0.0.0:port.
func gatewayListener(ls []*listener.Listener, port int) *listener.Listener {
	for _, l := range ls {
		if a, p := listenerAddress(l); (a == "0.0.0.0" || a == "::") && p == port {
			return l
		}
	}
	return nil
}

func byName(ls []*listener.Listener, name string) *listener.Listener {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func predicateMatches(p *listener.ListenerFilterChainMatchPredicate, port int) bool {
	if p == nil {
		return false
	}
	switch r := p.Rule.(type) {
	case *listener.ListenerFilterChainMatchPredicate_AnyMatch:
		return r.AnyMatch
	case *listener.ListenerFilterChainMatchPredicate_NotMatch:
		return !predicateMatches(r.NotMatch, port)
	case *listener.ListenerFilterChainMatchPredicate_OrMatch:
		for _, x := range r.OrMatch.Rules {
			if predicateMatches(x, port) {
				return true
			}
		}
		return false
	case *listener.ListenerFilterChainMatchPredicate_AndMatch:
		for _, x := range r.AndMatch.Rules {
			if !predicateMatches(x, port) {
				return false
			}
		}
		return true
	case *listener.ListenerFilterChainMatchPredicate_DestinationPortRange:
		return int32(port) >= r.DestinationPortRange.GetStart() && int32(port) < r.DestinationPortRange.GetEnd()
	}
	return false
}

// hasListenerFilter: whether a listener filter runs for connections to port.
func hasListenerFilter(l *listener.Listener, name string, port int) bool {
	for _, f := range l.ListenerFilters {
		if f.Name == name {
			return !predicateMatches(f.FilterDisabled, port)
		}
	}
	return false
}

// applyListenerFilters: without a TLS inspector Envoy sees every connection as raw_buffer without
// ALPN; the HTTP inspector sets the ALPN of plaintext HTTP.
func applyListenerFilters(l *listener.Listener, c conn, http bool) conn {
	if !hasListenerFilter(l, "envoy.filters.listener.tls_inspector", c.dstPort) {
		c.transport, c.alpn, c.sni = "raw_buffer", nil, ""
	}
	if c.transport == "raw_buffer" {
		c.alpn = nil
		if http && hasListenerFilter(l, "envoy.filters.listener.http_inspector", c.dstPort) {
			c.alpn = []string{"http/1.1"}
		}
	}
	return c
}

// matchChain: Envoy's filter chain match, criterion by criterion: at each step the most specific
// matching value wins, chains without the criterion only when no chain matches it.
func matchChain(l *listener.Listener, c conn) *listener.FilterChain {
	chains := l.FilterChains
	// 1. destination port
	chains = sieve(chains, func(m *listener.FilterChainMatch) (bool, int) {
		if m.GetDestinationPort() == nil {
			return false, 0
		}
		return true, boolRank(int(m.GetDestinationPort().GetValue()) == c.dstPort)
	})
	// 2. destination IP (longest prefix)
	chains = sieve(chains, func(m *listener.FilterChainMatch) (bool, int) {
		if len(m.GetPrefixRanges()) == 0 {
			return false, 0
		}
		return true, prefixRank(m.GetPrefixRanges(), c.dstIP)
	})
	// 3. server names (exact, then the longest wildcard suffix)
	chains = sieve(chains, func(m *listener.FilterChainMatch) (bool, int) {
		if len(m.GetServerNames()) == 0 {
			return false, 0
		}
		best := 0
		for _, s := range m.GetServerNames() {
			if c.sni != "" && s == c.sni {
				best = 1 << 20
			} else if strings.HasPrefix(s, "*") && c.sni != "" && strings.HasSuffix(c.sni, s[1:]) && len(s) > best {
				best = len(s)
			}
		}
		return true, best
	})
	// 4. transport protocol
	chains = sieve(chains, func(m *listener.FilterChainMatch) (bool, int) {
		if m.GetTransportProtocol() == "" {
			return false, 0
		}
		return true, boolRank(m.GetTransportProtocol() == c.transport)
	})
	// 5. application protocols: the client's protocols in its order
	if anySet(chains, func(m *listener.FilterChainMatch) bool { return len(m.GetApplicationProtocols()) > 0 }) {
		var found []*listener.FilterChain
		for _, p := range c.alpn {
			for _, ch := range chains {
				if contains(ch.GetFilterChainMatch().GetApplicationProtocols(), p) {
					found = append(found, ch)
				}
			}
			if len(found) > 0 {
				break
			}
		}
		if len(found) == 0 {
			for _, ch := range chains {
				if len(ch.GetFilterChainMatch().GetApplicationProtocols()) == 0 {
					found = append(found, ch)
				}
			}
		}
		chains = found
	}
	if len(chains) == 0 {
		return l.DefaultFilterChain
	}
	return chains[0]
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func prefixRank(ranges []*core.CidrRange, ip string) int {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return 0
	}
	best := 0
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r.GetAddressPrefix() + "/" + strconv.Itoa(int(r.GetPrefixLen().GetValue())))
		if err == nil && p.Contains(addr) && p.Bits()+1 > best {
			best = p.Bits() + 1
		}
	}
	return best
}

func anySet(chains []*listener.FilterChain, set func(*listener.FilterChainMatch) bool) bool {
	for _, c := range chains {
		if set(c.GetFilterChainMatch()) {
			return true
		}
	}
	return false
}

// sieve keeps the chains that match the criterion best (rank > 0), or, when none does, those that
// do not set it.
func sieve(chains []*listener.FilterChain, rank func(*listener.FilterChainMatch) (bool, int)) []*listener.FilterChain {
	best := 0
	anyCriterion := false
	for _, c := range chains {
		set, r := rank(c.GetFilterChainMatch())
		if set {
			anyCriterion = true
			if r > best {
				best = r
			}
		}
	}
	if !anyCriterion {
		return chains
	}
	var out []*listener.FilterChain
	for _, c := range chains {
		set, r := rank(c.GetFilterChainMatch())
		if best > 0 && set && r == best {
			out = append(out, c)
		} else if best == 0 && !set {
			out = append(out, c)
		}
	}
	return out
}

// networkFilters of a chain, unmarshalled on demand.
func hcmOf(fc *listener.FilterChain) *hcm.HttpConnectionManager {
	for _, f := range fc.GetFilters() {
		if f.Name == "envoy.filters.network.http_connection_manager" {
			h := &hcm.HttpConnectionManager{}
			if f.GetTypedConfig().UnmarshalTo(h) == nil {
				return h
			}
		}
	}
	return nil
}

func tcpProxyOf(fc *listener.FilterChain) *tcpproxy.TcpProxy {
	for _, f := range fc.GetFilters() {
		if f.Name == "envoy.filters.network.tcp_proxy" {
			t := &tcpproxy.TcpProxy{}
			if f.GetTypedConfig().UnmarshalTo(t) == nil {
				return t
			}
		}
	}
	return nil
}

func tcpCluster(t *tcpproxy.TcpProxy) string {
	if c := t.GetCluster(); c != "" {
		return c
	}
	var best string
	var weight uint32
	for _, wc := range t.GetWeightedClusters().GetClusters() {
		if wc.Weight > weight {
			best, weight = wc.Name, wc.Weight
		}
	}
	return best
}

// virtualHostFor: Envoy's domain match: exact, then the longest suffix wildcard, prefix wildcard, "*".
func virtualHostFor(rc *route.RouteConfiguration, host string) *route.VirtualHost {
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			if d == host {
				return vh
			}
		}
	}
	var best *route.VirtualHost
	longest := 0
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			if len(d) > 1 && d[0] == '*' && strings.HasSuffix(host, d[1:]) && len(d) > longest {
				best, longest = vh, len(d)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			if len(d) > 1 && d[len(d)-1] == '*' && strings.HasPrefix(host, d[:len(d)-1]) && len(d) > longest {
				best, longest = vh, len(d)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			if d == "*" {
				return vh
			}
		}
	}
	return nil
}

// routeFor: the first route a plain request (path "/", no special headers) matches.
// It returns the cluster, or "" with a reason (a redirect, a direct response, no route).
func routeFor(vh *route.VirtualHost) (string, string) {
	for _, r := range vh.GetRoutes() {
		m := r.GetMatch()
		if len(m.GetHeaders()) > 0 || len(m.GetQueryParameters()) > 0 {
			continue
		}
		switch ps := m.GetPathSpecifier().(type) {
		case *route.RouteMatch_Prefix:
			if !strings.HasPrefix("/", ps.Prefix) {
				continue
			}
		case *route.RouteMatch_PathSeparatedPrefix:
			if ps.PathSeparatedPrefix != "/" {
				continue
			}
		case *route.RouteMatch_Path:
			if ps.Path != "/" {
				continue
			}
		default:
			continue
		}
		switch a := r.GetAction().(type) {
		case *route.Route_Route:
			if c := a.Route.GetCluster(); c != "" {
				return c, ""
			}
			var best string
			var weight uint32
			for _, wc := range a.Route.GetWeightedClusters().GetClusters() {
				if wc.GetWeight().GetValue() > weight {
					best, weight = wc.Name, wc.GetWeight().GetValue()
				}
			}
			return best, ""
		case *route.Route_Redirect:
			return "", "route " + r.Name + " redirects"
		case *route.Route_DirectResponse:
			return "", "route " + r.Name + " answers directly"
		}
	}
	return "", "no route matches"
}

// upstreamTLS: the transport socket a cluster uses for an endpoint with metadata md:
// the first transport_socket_match whose fields the endpoint's envoy.transport_socket_match
// metadata carries, else the cluster's transport socket.
func upstreamSocket(c *cluster.Cluster, md *core.Metadata) (*core.TransportSocket, string) {
	if len(c.TransportSocketMatches) > 0 {
		var fields map[string]*structpb.Value
		if md != nil && md.FilterMetadata["envoy.transport_socket_match"] != nil {
			fields = md.FilterMetadata["envoy.transport_socket_match"].Fields
		}
		for _, m := range c.TransportSocketMatches {
			ok := true
			for k, v := range m.GetMatch().GetFields() {
				got, has := fields[k]
				if !has || got.GetStringValue() != v.GetStringValue() {
					ok = false
					break
				}
			}
			if ok {
				return m.TransportSocket, m.Name
			}
		}
	}
	return c.TransportSocket, ""
}

// sentTLS says what a transport socket sends: nothing (plaintext), Istio mTLS (the workload
// certificate from SDS "default", the mesh root "ROOTCA"), or other TLS, with or without a client
// certificate.
type sentTLS struct {
	tls        bool
	mesh       bool
	clientCert bool
	alpn       []string
	sni        string
}

func socketTLS(ts *core.TransportSocket) sentTLS {
	if ts == nil || ts.Name != "envoy.transport_sockets.tls" {
		return sentTLS{}
	}
	u := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(u); err != nil {
		return sentTLS{tls: true}
	}
	common := u.GetCommonTlsContext()
	out := sentTLS{tls: true, alpn: common.GetAlpnProtocols(), sni: u.GetSni()}
	certs := common.GetTlsCertificateSdsSecretConfigs()
	out.clientCert = len(certs) > 0 || len(common.GetTlsCertificates()) > 0
	root := common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()
	out.mesh = len(certs) > 0 && certs[0].GetName() == "default" && root == "ROOTCA"
	return out
}

// endpointFor: the load-assignment endpoint with address ip:port.
func endpointFor(cla *endpoint.ClusterLoadAssignment, ip string, port int) *endpoint.LbEndpoint {
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			if sa.GetAddress() == ip && int(sa.GetPortValue()) == port {
				return e
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// downstreamRequirements: what a server-side TLS context wants from the client: a certificate
// at all (require_client_certificate), and one signed by the mesh (validation from SDS ROOTCA).
func downstreamRequirements(ts *core.TransportSocket) downstreamReq {
	d := &tlsv3.DownstreamTlsContext{}
	if ts.Name != "envoy.transport_sockets.tls" || ts.GetTypedConfig().UnmarshalTo(d) != nil {
		return downstreamReq{}
	}
	req := d.GetRequireClientCertificate().GetValue()
	root := d.GetCommonTlsContext().GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()
	return downstreamReq{clientCert: req, meshClientCert: req && root == "ROOTCA"}
}
