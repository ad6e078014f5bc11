package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
)

func TestSnapshotIsTheStateBeforeTheFirstEvent(t *testing.T) {
	patch := ev{minute: 10, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web",
		req: j(`{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`), resp: netpol("443", "2", "")}
	without := build(t, Options{}, patch)
	if c := find(t, without, npRes.res, "shop", "allow-web")[0]; c.Baseline != BaselineUnknown {
		t.Fatalf("without a snapshot: baseline %s", c.Baseline)
	}

	r := build(t, Options{Snapshots: []string{filepath.Join("..", "testdata", "snapshots", "shop.json")}}, patch)
	c := find(t, r, npRes.res, "shop", "allow-web")[0]
	if c.Baseline != BaselineKnown || diffText(c.Diff) != `spec.ingress[0].ports[0].port changed 80 -> 443` {
		t.Errorf("baseline %s, diff:\n%s", c.Baseline, diffText(c.Diff))
	}
	if len(r.Snapshots) != 1 || r.Snapshots[0].Objects != 2 || r.Snapshots[0].Ignored != 1 || len(r.Snapshots[0].SHA256) != 64 {
		t.Errorf("snapshot evidence %+v: want the namespace and the policy taken, the ConfigMap ignored", r.Snapshots)
	}

	// The same List as YAML.
	yml := filepath.Join(t.TempDir(), "shop.yaml")
	os.WriteFile(yml, []byte(`apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: allow-web, namespace: shop}
  spec:
    podSelector: {matchLabels: {app: web}}
    ingress:
    - ports: [{protocol: TCP, port: 80}]
`), 0o644)
	r = build(t, Options{Snapshots: []string{yml}}, patch)
	if c := find(t, r, npRes.res, "shop", "allow-web")[0]; c.Baseline != BaselineKnown || !strings.Contains(diffText(c.Diff), "port changed 80 -> 443") {
		t.Errorf("YAML snapshot: baseline %s, diff %s", c.Baseline, diffText(c.Diff))
	}
}

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
	b, _ := os.ReadFile(filepath.Join("..", "testdata", "snapshots", "shop.json"))
	f.Add(b)
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: a, namespace: b}}\n"))
	f.Add([]byte(`{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"x","namespace":"y"}}`))
	f.Add([]byte(`[`))
	scope := audit.NewScope(DefaultKinds...)
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
		tr := newTracker(Period{}, false, true)
		for _, o := range objs {
			tr.snapshot(o.key, o.obj)
		}
	})
}
