package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Snapshot is the objects of the in-scope kinds as the API server listed them, between
// Before and After.
type Snapshot struct {
	Name   string    `json:"name"`
	Before time.Time `json:"before"`
	After  time.Time `json:"after"`
	File   string    `json:"file"`
	// List is the v1 List of every object listed.
	List []byte `json:"-"`
}

// kinds the snapshots list: the kinds network policy depends on.
var kinds = []struct{ group, version, resource, kind string }{
	{"", "v1", "namespaces", "Namespace"},
	{"", "v1", "pods", "Pod"},
	{"", "v1", "serviceaccounts", "ServiceAccount"},
	{"", "v1", "endpoints", "Endpoints"},
	{"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"},
}

// snapshot lists every object of the in-scope kinds. It waits first for the controllers'
// reactions to settle, so that the instant the list stands for is well defined.
func (s *Scenario) snapshot(ctx context.Context, name string) {
	time.Sleep(2 * time.Second)
	admin, err := kubernetes.NewForConfig(s.cp.Config("admin-token"))
	must("admin client", err)
	snap := Snapshot{Name: name, Before: time.Now().UTC()}
	var items []json.RawMessage
	for _, k := range kinds {
		rc := admin.CoreV1().RESTClient()
		prefix := "/api/v1"
		if k.group != "" {
			rc = admin.NetworkingV1().RESTClient()
			prefix = "/apis/" + k.group + "/" + k.version
		}
		raw, err := rc.Get().AbsPath(prefix, k.resource).DoRaw(ctx)
		must("list "+k.resource, err)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		must("decode "+k.resource, json.Unmarshal(raw, &list))
		apiVersion := k.version
		if k.group != "" {
			apiVersion = k.group + "/" + k.version
		}
		for _, it := range list.Items {
			it["apiVersion"], it["kind"] = apiVersion, k.kind
			b, err := json.Marshal(it)
			must("encode", err)
			items = append(items, b)
		}
	}
	snap.After = time.Now().UTC()
	snap.List, err = json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
	must("encode the list", err)
	snap.File = fmt.Sprintf("%02d-%s.json", len(s.Snapshots)+1, name)
	s.Snapshots = append(s.Snapshots, snap)
}

// WriteSnapshots writes each snapshot's list and an index of their instants.
func (s *Scenario) WriteSnapshots(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, sn := range s.Snapshots {
		if err := os.WriteFile(filepath.Join(dir, sn.File), append(sn.List, '\n'), 0o644); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(s.Snapshots, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.json"), append(b, '\n'), 0o644)
}
