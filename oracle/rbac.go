package main

// Envoy's RBAC filters (config/rbac/v3) as Istio generated them for a filter chain, evaluated in
// three values: what a connection's facts decide (peer principal from the mTLS certificate,
// destination port), and "maybe" for what only a request can tell (headers, paths, methods, JWT
// claims, source and destination IPs, SNI, CEL conditions). Written for this oracle after
// Envoy's RBAC semantics; not Istio code.

import (
	"regexp"
	"strings"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacpb "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbachttp "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	matcherpb "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

type tri int

const (
	no tri = iota
	maybe
	yes
)

func and3(a, b tri) tri {
	if a < b {
		return a
	}
	return b
}

func or3(a, b tri) tri {
	if a > b {
		return a
	}
	return b
}

func not3(a tri) tri { return yes - a }

func of(b bool) tri {
	if b {
		return yes
	}
	return no
}

// facts a connection brings to the RBAC filters.
type authzFacts struct {
	principal string // the peer's SPIFFE URI; "" without Istio mTLS
	port      int    // destination (container) port
	// sni: the TLS server name the listener saw ("" for plaintext), where it is known (at an
	// egress gateway, whose callers' SNI the oracle follows); elsewhere SNI rules are "maybe".
	sni      string
	sniKnown bool
}

func stringMatch(m *matcherpb.StringMatcher, v string) bool {
	if m == nil {
		return true
	}
	if m.GetIgnoreCase() {
		v = strings.ToLower(v)
	}
	lower := func(s string) string {
		if m.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.MatchPattern.(type) {
	case *matcherpb.StringMatcher_Exact:
		return v == lower(p.Exact)
	case *matcherpb.StringMatcher_Prefix:
		return strings.HasPrefix(v, lower(p.Prefix))
	case *matcherpb.StringMatcher_Suffix:
		return strings.HasSuffix(v, lower(p.Suffix))
	case *matcherpb.StringMatcher_Contains:
		return strings.Contains(v, lower(p.Contains))
	case *matcherpb.StringMatcher_SafeRegex:
		re, err := regexp.Compile("^(?:" + p.SafeRegex.GetRegex() + ")$")
		return err == nil && re.MatchString(v)
	}
	return false
}

func permission(p *rbacpb.Permission, f authzFacts) tri {
	switch r := p.Rule.(type) {
	case *rbacpb.Permission_Any:
		return of(r.Any)
	case *rbacpb.Permission_AndRules:
		out := yes
		for _, x := range r.AndRules.Rules {
			out = and3(out, permission(x, f))
		}
		return out
	case *rbacpb.Permission_OrRules:
		out := no
		for _, x := range r.OrRules.Rules {
			out = or3(out, permission(x, f))
		}
		return out
	case *rbacpb.Permission_NotRule:
		return not3(permission(r.NotRule, f))
	case *rbacpb.Permission_DestinationPort:
		return of(int(r.DestinationPort) == f.port)
	case *rbacpb.Permission_RequestedServerName:
		if f.sniKnown {
			return of(stringMatch(r.RequestedServerName, f.sni))
		}
		return maybe
	case *rbacpb.Permission_DestinationPortRange:
		return of(int64(f.port) >= int64(r.DestinationPortRange.GetStart()) && int64(f.port) < int64(r.DestinationPortRange.GetEnd()))
	}
	// headers, paths, metadata (request.auth), destination IP, SNI, extensions: request time
	return maybe
}

func principal(p *rbacpb.Principal, f authzFacts) tri {
	switch r := p.Identifier.(type) {
	case *rbacpb.Principal_Any:
		return of(r.Any)
	case *rbacpb.Principal_AndIds:
		out := yes
		for _, x := range r.AndIds.Ids {
			out = and3(out, principal(x, f))
		}
		return out
	case *rbacpb.Principal_OrIds:
		out := no
		for _, x := range r.OrIds.Ids {
			out = or3(out, principal(x, f))
		}
		return out
	case *rbacpb.Principal_NotId:
		return not3(principal(r.NotId, f))
	case *rbacpb.Principal_Authenticated_:
		if f.principal == "" {
			return no
		}
		return of(stringMatch(r.Authenticated.GetPrincipalName(), f.principal))
	case *rbacpb.Principal_FilterState:
		if r.FilterState.GetKey() == "io.istio.peer_principal" {
			if f.principal == "" {
				return no
			}
			if sm := r.FilterState.GetStringMatch(); sm != nil {
				return of(stringMatch(sm, f.principal))
			}
		}
		return maybe
	}
	// IPs, headers, metadata (request principals), custom matchers: request time
	return maybe
}

func policy(p *rbacpb.Policy, f authzFacts) tri {
	perm := no
	for _, x := range p.Permissions {
		perm = or3(perm, permission(x, f))
	}
	prin := no
	for _, x := range p.Principals {
		prin = or3(prin, principal(x, f))
	}
	out := and3(perm, prin)
	if p.Condition != nil || p.CheckedCondition != nil {
		out = and3(out, maybe)
	}
	return out
}

// allows: whether one RBAC rule set lets the connection through.
func allows(rules *rbacpb.RBAC, f authzFacts) tri {
	if rules == nil {
		return yes
	}
	matched := no
	for _, name := range sortedKeys(rules.Policies) {
		matched = or3(matched, policy(rules.Policies[name], f))
	}
	switch rules.Action {
	case rbacpb.RBAC_ALLOW:
		return matched
	case rbacpb.RBAC_DENY:
		return not3(matched)
	}
	return yes // LOG
}

// authz is the verdict of a chain's RBAC filters: whether the connection is allowed, and notes.
type authz struct {
	allowed tri
	notes   []string
}

// extAuthzPrefix: Istio's CUSTOM action is an RBAC filter whose shadow rules (stat prefix
// istio_ext_authz_) decide whether the ext_authz filter is asked; the external answer is unknown.
const extAuthzPrefix = "istio_ext_authz_"

func evalRBACConfig(rules, shadow *rbacpb.RBAC, shadowPrefix string, f authzFacts, out *authz) {
	if rules != nil {
		out.allowed = and3(out.allowed, allows(rules, f))
	}
	if shadow != nil && strings.HasPrefix(shadowPrefix, extAuthzPrefix) {
		// The shadow rules match the requests the external authorizer is asked about.
		matched := no
		for _, name := range sortedKeys(shadow.Policies) {
			matched = or3(matched, policy(shadow.Policies[name], f))
		}
		if matched != no {
			out.allowed = and3(out.allowed, maybe)
			out.notes = append(out.notes, "an external authorizer (CUSTOM) decides")
		}
	}
	// Other shadow rules are dry-run policies (istio.io/dry-run): they enforce nothing.
}

// chainAuthz evaluates the RBAC filters of a filter chain: network filters, and for an HTTP chain
// the HTTP filters of its connection manager.
func chainAuthz(fc *listener.FilterChain, h *hcm.HttpConnectionManager, f authzFacts) authz {
	out := authz{allowed: yes}
	for _, nf := range fc.GetFilters() {
		if nf.Name == "envoy.filters.network.rbac" {
			r := &rbacnet.RBAC{}
			if nf.GetTypedConfig().UnmarshalTo(r) == nil {
				evalRBACConfig(r.Rules, r.ShadowRules, r.ShadowRulesStatPrefix, f, &out)
			}
		}
	}
	if h != nil {
		for _, hf := range h.GetHttpFilters() {
			if hf.Name == "envoy.filters.http.rbac" {
				r := &rbachttp.RBAC{}
				if hf.GetTypedConfig().UnmarshalTo(r) == nil {
					evalRBACConfig(r.Rules, r.ShadowRules, r.ShadowRulesStatPrefix, f, &out)
				}
			}
		}
	}
	return out
}
