package main

// EgressRow is one path from a client workload to an external host and port, in the shape of
// the mesh report's JSON egress rows.
type EgressRow struct {
	From   string `json:"from"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
	Via    string `json:"via"`
	TLS    string `json:"tls"`
	Reason string `json:"reason"`
}

func (o *oracle) egress() []EgressRow { return []EgressRow{} }
