package history

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/auditreport/auditreport/audit"
)

// Snapshot is a file of objects taken as the state before the first event: the output of
// kubectl get pods,namespaces,serviceaccounts,networkpolicies,endpoints -A -o json.
type Snapshot struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	// Objects counts the in-scope objects taken from it; Ignored the others.
	Objects int `json:"objects"`
	Ignored int `json:"ignored,omitempty"`
	// ListsPolicies says it lists the NetworkPolicies there were: it holds one, or is a
	// NetworkPolicyList.
	ListsPolicies bool `json:"listsNetworkPolicies,omitempty"`
}

// snapshotObject is one object of a snapshot, with the kind it belongs to.
type snapshotObject struct {
	key Key
	obj obj
}

// LoadSnapshots sets the state of every object the snapshot files list, before the first
// event, and says what each file held.
func (t *Tracker) LoadSnapshots(paths []string, scope *audit.Scope) ([]Snapshot, error) {
	var out []Snapshot
	for _, path := range paths {
		snap, objs, err := readSnapshot(path, scope)
		if err != nil {
			return nil, err
		}
		for _, so := range objs {
			t.snapshot(so.key, so.obj)
		}
		out = append(out, snap)
	}
	if len(t.touched) > 0 {
		t.flush(nil)
	}
	return out, nil
}

// readSnapshot reads a v1 List (or any *List, or a single object), as JSON or YAML.
func readSnapshot(path string, scope *audit.Scope) (Snapshot, []snapshotObject, error) {
	snap := Snapshot{Source: path}
	data, err := os.ReadFile(path)
	if err != nil {
		return snap, nil, &audit.SourceError{Source: path, Err: fmt.Errorf("snapshot: %w", audit.UnwrapPath(err))}
	}
	sum := sha256.Sum256(data)
	snap.SHA256 = hex.EncodeToString(sum[:])
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] != '{' {
		if trimmed, err = yaml.YAMLToJSON(data); err != nil {
			return snap, nil, &audit.SourceError{Source: path, Err: fmt.Errorf("snapshot: not JSON or YAML: %w", err)}
		}
	}
	top, ok := Decode(trimmed).(map[string]any)
	if !ok {
		return snap, nil, &audit.SourceError{Source: path, Err: errors.New("snapshot: want a JSON object such as the output of kubectl get ... -o json")}
	}
	var items []any
	if strings.HasSuffix(kindOf(top), "List") {
		items, _ = top["items"].([]any)
		snap.ListsPolicies = kindOf(top) == "NetworkPolicyList"
	} else {
		items = []any{top}
	}
	var out []snapshotObject
	for i, it := range items {
		o, _ := it.(map[string]any)
		kind, apiVersion, name := kindOf(o), str(o, "apiVersion"), str(o, "metadata", "name")
		if kind == "" || apiVersion == "" || name == "" {
			return snap, nil, &audit.SourceError{Source: path, Err: fmt.Errorf("snapshot: item %d has no kind, apiVersion or metadata.name", i)}
		}
		group := ""
		if g, _, ok := strings.Cut(apiVersion, "/"); ok {
			group = g
		}
		k := Key{Group: group, Resource: resourceName(kind), Namespace: str(o, "metadata", "namespace"), Name: name}
		if k.Group == "" && k.Resource == "namespaces" {
			k.Namespace = ""
		}
		if !scope.Has(audit.Kind{Group: k.Group, Resource: k.Resource}) {
			snap.Ignored++
			continue
		}
		out = append(out, snapshotObject{key: k, obj: o})
		snap.Objects++
		snap.ListsPolicies = snap.ListsPolicies || k.Resource == "networkpolicies"
	}
	return snap, out, nil
}

// resourceName is the resource of a kind: the known ones by table, others as the API server
// names them (lower case, plural).
func resourceName(kind string) string {
	for res, k := range kindNames {
		if k == kind {
			return res
		}
	}
	r := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(r, "s"):
		return r + "es"
	case strings.HasSuffix(r, "y"):
		return strings.TrimSuffix(r, "y") + "ies"
	}
	return r + "s"
}
