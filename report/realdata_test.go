package report

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/history"
)

// buildFiles runs the report over files in testdata.
func buildFiles(t *testing.T, opts Options, paths ...string) *Report {
	t.Helper()
	var srcs []audit.Source
	for _, p := range paths {
		srcs = append(srcs, audit.FileSource(filepath.Join("..", "testdata", p)))
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	}
	r, err := Build(context.Background(), srcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Histories built from events that real clusters wrote (Falco's and Panther's captures).
func TestHistoriesFromRealEvents(t *testing.T) {
	t.Run("falco: a ReplicaSet's pod create names the pod from the response", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/falco-k8s-audit/create_nginx_pod_unprivileged.json")
		h := find(t, r, "pods", "default", "nginx-deployment-78f5d695bd-nxqz5")
		c := h[0]
		if c.Action != history.ActionCreated || c.User != "system:serviceaccount:kube-system:replicaset-controller" || c.Code != 201 {
			t.Errorf("change %+v", c)
		}
		if !strings.Contains(diffText(c.Diff), `spec.containers[0].image added -> "nginx"`) {
			t.Errorf("diff lacks the image:\n%s", diffText(c.Diff))
		}
	})
	t.Run("falco: exec answered 101 is a subresource write, not a failure", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/falco-k8s-audit/exec_pod.json")
		if len(r.FailedAttempts) != 0 || r.Summary.SubresourceChanges != 1 || r.Summary.Changes != 0 {
			t.Fatalf("failed %d, subresource %d, changes %d", len(r.FailedAttempts), r.Summary.SubresourceChanges, r.Summary.Changes)
		}
		if c := r.Resources[0].History[0]; c.Subresource != "exec" || c.Class != history.ClassSubresource || c.Code != 101 {
			t.Errorf("change %+v", c)
		}
	})
	t.Run("falco: deleting namespace foo at level Request only requests its deletion", func(t *testing.T) {
		// A namespace's delete marks it Terminating; without the response, or a finalize
		// after it, the trail does not show it removed.
		r := buildFiles(t, Options{}, "realdata/falco-k8s-audit/delete_namespace_foo.json")
		if got := actions(find(t, r, "namespaces", "", "foo")); got != history.ActionDeletionRequested {
			t.Errorf("actions %s", got)
		}
		if k := r.Summary.Kinds; len(k) != 1 || k[0].Deleted != 0 || k[0].DeletionRequested != 1 {
			t.Errorf("kinds %+v", k)
		}
	})
	t.Run("panther GKE: a create's body that names no object is the body of the object its resourceName names", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/panther/panther-gke-auditlog-testlogs.jsonl")
		for _, tc := range []struct{ name, want string }{
			{"monitoring", `spec.containers[0].securityContext.capabilities.add[0] added -> "BPF"`},
			{"shared-mem", `spec.hostIPC added -> true`},
			{"nginx-test", `spec.hostNetwork added -> true`},
		} {
			c := find(t, r, "pods", "default", tc.name)[0]
			if !strings.Contains(diffText(c.Diff), tc.want) || strings.Contains(c.Note, "without bodies") {
				t.Errorf("%s: note %q, diff:\n%s", tc.name, c.Note, diffText(c.Diff))
			}
		}
		// Line 3 names its pod nowhere the reader looks: its body is still what was created.
		var seen bool
		for _, c := range find(t, r, "pods", "", "") {
			if c.Line == 3 {
				seen = strings.Contains(diffText(c.Diff), "spec.hostNetwork added -> true")
			}
		}
		if !seen {
			t.Errorf("line 3's unnamed create has no diff of its body")
		}
	})
	t.Run("panther EKS: denied creates are failed attempts with their reason", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/panther/panther-eks-audit-testlogs.jsonl")
		var seen bool
		for _, f := range r.FailedAttempts {
			if f.Name == "malicious-pod" && f.Namespace == "kube-system" && f.User == "attacker@example.com" && f.Code == 403 {
				seen = true
			}
			if f.Code < 300 {
				t.Errorf("a success among failed attempts: %+v", f)
			}
		}
		if !seen {
			t.Errorf("the attacker's denied pod create is missing: %+v", r.FailedAttempts)
		}
		// A create whose body names no object is the body of the one its objectRef names;
		// without a level logged, the note says so rather than "level ".
		c := find(t, r, "pods", "production", "app-pod")[0]
		if !strings.Contains(diffText(c.Diff), `spec.containers[0].image added -> "myapp:v1"`) || !strings.Contains(c.Note, "no level logged") {
			t.Errorf("change %+v", c)
		}
	})
}

// Creates whose object's name the trail does not show are each an object, counted apart
// from the objects named: never merged into one object, nor added to them as if they were
// others.
func TestUnnamedCreatesAreCountedApart(t *testing.T) {
	t.Run("panther EKS: the unnamed pod creates are eight objects the trail cannot name", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/panther/panther-eks-audit-testlogs.jsonl")
		var pods history.KindSummary
		for _, ks := range r.Summary.Kinds {
			if ks.Resource == "pods" {
				pods = ks
			}
		}
		if pods.Objects != 17 || pods.Unnamed != 8 || r.Summary.Unnamed != 8 {
			t.Errorf("pods %+v, summary unnamed %d", pods, r.Summary.Unnamed)
		}
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.HasPrefix(w, "8 create(s) of pods were logged without the name") }) {
			t.Errorf("warnings %q", r.Warnings)
		}
	})
	t.Run("real API server: a generateName create at level Request and the update naming it later are one object and one unnamed create", func(t *testing.T) {
		r := buildDir(t, realDir+"/log", Options{Now: t0, Require: []audit.Kind{{Group: "discovery.k8s.io", Resource: "endpointslices"}}})
		for _, ks := range r.Summary.Kinds {
			if ks.Resource == "endpointslices" && (ks.Objects != 1 || ks.Unnamed != 1) {
				t.Errorf("endpointslices %+v", ks)
			}
		}
	})
}
