// Command oracle runs Istio's own control plane on manifests and reports, for every call from a
// client workload to a Service port of a server workload, what the Envoy configuration Istio
// generates does with it, in the mesh report's JSON row shape.
//
//	oracle PATH...        one platform: the manifests under the paths (files, or folders of .yaml/.yml/.json)
//	oracle --batch        many platforms: one JSON object per stdin line, {"id": ..., "objects": [...]},
//	                      one result per stdout line, {"id": ..., "connections": [...], ...}
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	istiolog "istio.io/istio/pkg/log"
)

var debugProxy string

// Result is the oracle's answer for one platform.
type Result struct {
	ID          string      `json:"id,omitempty"`
	Connections []Row       `json:"connections"`
	Egress      []EgressRow `json:"egress"`
	// NotApplied: objects Istio's validation (crd.ParseInputs) or decoding rejects.
	NotApplied []string `json:"notApplied"`
	Error      string   `json:"error,omitempty"`
}

func quiet() {
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
		s.SetStackTraceLevel(istiolog.NoneLevel)
	}
}

func run(id string, objects []object) (res Result) {
	res = Result{ID: id, Connections: []Row{}, Egress: []EgressRow{}, NotApplied: []string{}}
	t := &failer{}
	defer t.done()
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(platformFailure); ok {
				res.Error = f.message
			} else {
				res.Error = fmt.Sprintf("%v\n%s", r, debug.Stack())
			}
		}
	}()
	p := buildPlatform(objects)
	res.NotApplied = append(res.NotApplied, p.notApplied...)
	o := &oracle{p: p, cp: startControlPlane(t, p)}
	if debugProxy != "" {
		o.dump(debugProxy)
	}
	res.Connections = o.connections()
	res.Egress = o.egress()
	return res
}

func main() {
	batch := flag.Bool("batch", false, "read platforms as JSON lines on stdin, write results as JSON lines")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	jobs := flag.Int("jobs", runtime.NumCPU(), "platforms built at once in --batch mode")
	flag.StringVar(&debugProxy, "dump", "", "print the listeners, clusters and routes of this workload's proxy (<namespace>/<name>) to stderr")
	flag.Parse()
	quiet()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if *batch {
		runBatch(*jobs)
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: oracle PATH... | oracle --batch < platforms.jsonl")
		os.Exit(2)
	}
	objs, err := loadFiles(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	res := run("", objs)
	if res.Error != "" {
		fmt.Fprintln(os.Stderr, "oracle:", res.Error)
		os.Exit(1)
	}
	writeResult(os.Stdout, res)
}

// writeResult prints the result as the report's JSON does: one row per line.
func writeResult(w io.Writer, r Result) {
	fmt.Fprintln(w, "{")
	section := func(name string, n int, item func(i int) any, last bool) {
		fmt.Fprintf(w, "  %q: [", name)
		for i := 0; i < n; i++ {
			b, _ := json.Marshal(item(i))
			sep := ","
			if i == n-1 {
				sep = ""
			}
			fmt.Fprintf(w, "\n    %s%s", b, sep)
		}
		end := "]"
		if n > 0 {
			end = "\n  ]"
		}
		if !last {
			end += ","
		}
		fmt.Fprintln(w, end)
	}
	section("connections", len(r.Connections), func(i int) any { return r.Connections[i] }, false)
	section("egress", len(r.Egress), func(i int) any { return r.Egress[i] }, false)
	section("notApplied", len(r.NotApplied), func(i int) any { return r.NotApplied[i] }, true)
	fmt.Fprintln(w, "}")
}

// runBatch reads platforms as JSON lines and writes one result line each, in input order, building
// up to `jobs` platforms at once (each has its own fake cluster and control plane).
func runBatch(jobs int) {
	if jobs < 1 {
		jobs = 1
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	type job struct {
		line []byte
		done chan []byte
	}
	queue := make(chan *job, jobs)
	results := make(chan *job, 4*jobs)
	for i := 0; i < jobs; i++ {
		go func() {
			for j := range queue {
				var req struct {
					ID      string   `json:"id"`
					Objects []object `json:"objects"`
				}
				var res Result
				if err := json.Unmarshal(j.line, &req); err != nil {
					res = Result{ID: req.ID, Error: "bad input line: " + err.Error()}
				} else {
					res = run(req.ID, flattenLists(req.Objects))
				}
				b, _ := json.Marshal(res)
				j.done <- append(b, '\n')
			}
		}()
	}
	writerDone := make(chan struct{})
	go func() {
		for j := range results {
			out.Write(<-j.done)
			out.Flush()
		}
		close(writerDone)
	}()
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			j := &job{line: line, done: make(chan []byte, 1)}
			results <- j
			queue <- j
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	close(queue)
	close(results)
	<-writerDone
}
