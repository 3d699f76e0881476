package main

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// dump prints a proxy's xDS resources (for looking into a disagreement by hand).
func (o *oracle) dump(id string) {
	for _, w := range o.p.workloads {
		if w.id != id || !w.hasProxy() {
			continue
		}
		pc := o.cp.proxyFor(w)
		m := protojson.MarshalOptions{Multiline: true, Indent: " "}
		out := func(kind, name string, msg proto.Message) {
			b, _ := m.Marshal(msg)
			fmt.Fprintf(os.Stderr, "=== %s %s\n%s\n", kind, name, b)
		}
		for _, l := range pc.listeners {
			out("listener", l.Name, l)
		}
		for _, name := range sortedKeys(pc.clusters) {
			out("cluster", name, pc.clusters[name])
			if pc.clusters[name].GetType().String() == "EDS" {
				out("endpoints", name, pc.endpoints(name))
			}
		}
		for _, name := range sortedKeys(pc.routes) {
			out("route", name, pc.routes[name])
		}
	}
}
