package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
)

func TestSnapshotErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty-item.json": `{"kind":"List","apiVersion":"v1","items":[{"kind":"Pod"}]}`,
		"not-json.json":   "{not json",
		"array.json":      `[1,2]`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		_, _, err := readSnapshot(p, nil)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
	}
	if _, _, err := readSnapshot(filepath.Join(dir, "missing.json"), nil); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzSnapshot: any file given as --snapshot is read without a panic; what it rejects, it
// rejects naming the file.
func FuzzSnapshot(f *testing.F) {
	b, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "snapshots", "shop.json"))
	f.Add(b)
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: a, namespace: b}}\n"))
	f.Add([]byte(`{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"x","namespace":"y"}}`))
	f.Add([]byte(`[`))
	scope := audit.NewScope(audit.Kind{Resource: "pods"}, audit.Kind{Resource: "namespaces"}, audit.Kind{Group: "networking.k8s.io", Resource: "networkpolicies"})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "snap.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, objs, err := readSnapshot(path, scope)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		if snap.Objects != len(objs) {
			t.Errorf("%d objects counted, %d returned", snap.Objects, len(objs))
		}
		// A snapshot's objects can be taken as state.
		tr := New(Options{Redact: true, SpillAbove: -1})
		for _, o := range objs {
			tr.snapshot(o.key, o.obj)
		}
	})
}
