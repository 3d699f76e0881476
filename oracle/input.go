package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// object is one manifest document, as JSON-like maps (the form the model reads too).
type object = map[string]any

var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// manifestFiles lists the manifest files under paths: files as given, folders walked in name order
// (as the model's manifestFiles does).
func manifestFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var walk func(dir string) error
		walk = func(dir string) error {
			entries, err := os.ReadDir(dir)
			if err != nil {
				return err
			}
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
			for _, e := range entries {
				full := filepath.Join(dir, e.Name())
				if e.IsDir() {
					if err := walk(full); err != nil {
						return err
					}
				} else if manifestExtensions[strings.ToLower(filepath.Ext(e.Name()))] {
					files = append(files, full)
				}
			}
			return nil
		}
		if err := walk(p); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// parseManifests reads YAML or JSON documents (a JSON array counts as a list of documents).
func parseManifests(data []byte) ([]object, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []object
		if err := json.Unmarshal(trimmed, &list); err == nil {
			return flattenLists(list), nil
		}
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 64*1024)
	var out []object
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(o) > 0 {
			out = append(out, o)
		}
	}
	return flattenLists(out), nil
}

// flattenLists replaces `List` objects by their items.
func flattenLists(in []object) []object {
	var out []object
	for _, o := range in {
		if str(o["kind"]) == "List" {
			if items, ok := o["items"].([]any); ok {
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						out = append(out, m)
					}
				}
			}
			continue
		}
		out = append(out, o)
	}
	return out
}

func loadFiles(paths []string) ([]object, error) {
	files, err := manifestFiles(paths)
	if err != nil {
		return nil, err
	}
	var out []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := parseManifests(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func meta(o object) map[string]any {
	m, _ := o["metadata"].(map[string]any)
	return m
}

func nameOf(o object) string { return str(meta(o)["name"]) }

func namespaceOf(o object) string {
	if ns := str(meta(o)["namespace"]); ns != "" {
		return ns
	}
	return "default"
}

func groupOf(o object) string {
	api := str(o["apiVersion"])
	if i := strings.Index(api, "/"); i >= 0 {
		return api[:i]
	}
	return ""
}

// dedupe keeps the last object of each kind/namespace/name, as `kubectl apply` of the whole input
// would (the model does the same), in the order of their last appearance.
func dedupe(in []object) []object {
	index := map[string]int{}
	var out []object
	for _, o := range in {
		if str(o["kind"]) == "" {
			continue
		}
		key := str(o["kind"]) + "/" + namespaceOf(o) + "/" + nameOf(o)
		if str(o["kind"]) == "Namespace" {
			key = "Namespace/" + nameOf(o)
		}
		if i, ok := index[key]; ok {
			out[i] = nil
		}
		index[key] = len(out)
		out = append(out, o)
	}
	res := out[:0]
	for _, o := range out {
		if o != nil {
			res = append(res, o)
		}
	}
	return res
}
