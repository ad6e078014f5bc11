package report

import (
	"context"
	"path/filepath"
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
	t.Run("falco: deleting namespace foo removes it", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/falco-k8s-audit/delete_namespace_foo.json")
		if got := actions(find(t, r, "namespaces", "", "foo")); got != history.ActionDeletionRequested && got != history.ActionDeleted {
			t.Errorf("actions %s", got)
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
		// Its creates without bodies are listed, marked as such.
		c := find(t, r, "pods", "production", "app-pod")[0]
		if c.Diff != nil || !strings.Contains(c.Note, "without bodies") {
			t.Errorf("change %+v", c)
		}
	})
}
