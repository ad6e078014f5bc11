package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditreport/auditreport/report/history"
)

// Every golden report's tables add up: per kind and per actor, each column sums to the total
// of the same name; a kind's created, modified, deleted and deletion-requested sum to its
// changes; and the histories hold exactly the changes, no-ops and subresource writes counted.
func TestGoldenReportsAddUp(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden reports: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var r Report
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			checkSums(t, &r)
		})
	}
}

func checkSums(t *testing.T, r *Report) {
	t.Helper()
	s := r.Summary
	var k, a Summary
	for _, ks := range s.Kinds {
		k.Changes += ks.Changes
		k.NoOp += ks.NoOp
		k.SubresourceChanges += ks.SubresourceChanges
		k.FailedAttempts += ks.FailedAttempts
		k.DryRuns += ks.DryRuns
		if n := ks.Created + ks.Modified + ks.Deleted + ks.DeletionRequested; n != ks.Changes {
			t.Errorf("%s: created %d + modified %d + deleted %d + deletion requested %d = %d, not its %d changes",
				ks.Kind, ks.Created, ks.Modified, ks.Deleted, ks.DeletionRequested, n, ks.Changes)
		}
	}
	for _, as := range s.Actors {
		a.Changes += as.Changes
		a.NoOp += as.NoOp
		a.SubresourceChanges += as.SubresourceChanges
		a.FailedAttempts += as.FailedAttempts
		a.DryRuns += as.DryRuns
	}
	var h Summary
	for _, res := range r.Resources {
		for i := range res.History {
			c := &res.History[i]
			switch {
			case c.NoOp():
				h.NoOp++
			case c.Class == history.ClassConfiguration:
				h.Changes++
			default:
				h.SubresourceChanges++
			}
		}
	}
	h.FailedAttempts = int64(len(r.FailedAttempts))
	for _, got := range []struct {
		table string
		sum   Summary
	}{{"kinds", k}, {"actors", a}, {"histories", h}} {
		if got.table != "histories" && got.sum.DryRuns != s.DryRuns {
			t.Errorf("%s sum to %d dry runs; the summary says %d", got.table, got.sum.DryRuns, s.DryRuns)
		}
		if got.sum.Changes != s.Changes || got.sum.NoOp != s.NoOp || got.sum.SubresourceChanges != s.SubresourceChanges || got.sum.FailedAttempts != s.FailedAttempts {
			t.Errorf("%s sum to changes %d, no-ops %d, subresource %d, failed %d; the summary says %d, %d, %d, %d", got.table,
				got.sum.Changes, got.sum.NoOp, got.sum.SubresourceChanges, got.sum.FailedAttempts, s.Changes, s.NoOp, s.SubresourceChanges, s.FailedAttempts)
		}
	}
	var cov int64
	for _, c := range r.Coverage {
		cov += c.Changes
	}
	if cov > s.Changes {
		t.Errorf("coverage rows count %d changes, the summary %d", cov, s.Changes)
	}
}

// Every row of a report has an ID of its own.
func TestRowIDsAreUnique(t *testing.T) {
	r := buildFiles(t, Options{}, "logs/gaps/node-missing-kind/kube-apiserver-1-audit.log", "logs/gaps/node-missing-kind/kube-apiserver-2-audit.log",
		"realdata/panther/panther-eks-audit-testlogs.jsonl")
	seen := map[string]bool{}
	n := 0
	for _, res := range r.Resources {
		for _, c := range res.History {
			n++
			if c.ID == "" || seen[c.ID] {
				t.Errorf("row ID %q of %s is empty or repeated", c.ID, c.AuditID)
			}
			seen[c.ID] = true
		}
	}
	for _, f := range r.FailedAttempts {
		n++
		if f.ID == "" || seen[f.ID] {
			t.Errorf("row ID %q of %s is empty or repeated", f.ID, f.AuditID)
		}
		seen[f.ID] = true
	}
	if n < 20 {
		t.Errorf("%d rows", n)
	}
}

// A patch that sets what is already there is a no-op: listed, counted apart, not a change.
func TestNoOpWriteIsNotAChange(t *testing.T) {
	r := build(t, Options{},
		ev{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", `,"labels":{"a":"b"}`, "", "")},
		ev{minute: 1, verb: "patch", res: "pods", ns: "shop", name: "web-1", req: j(`{"metadata":{"labels":{"a":"b"}}}`), resp: pod("web-1", "shop", `,"labels":{"a":"b"}`, "", "")},
		ev{minute: 2, verb: "patch", res: "pods", ns: "shop", name: "web-1", req: j(`{"metadata":{"labels":{"a":"c"}}}`), resp: pod("web-1", "shop", `,"labels":{"a":"c"}`, "", "")},
	)
	s := r.Summary
	if s.Changes != 2 || s.NoOp != 1 || len(s.Kinds) != 1 || s.Kinds[0].NoOp != 1 || s.Kinds[0].Modified != 1 || s.Actors[0].NoOp != 1 || r.Coverage[0].Changes != 2 {
		t.Errorf("changes %d, no-ops %d, kinds %+v, actors %+v, coverage changes %d", s.Changes, s.NoOp, s.Kinds, s.Actors, r.Coverage[0].Changes)
	}
	if h := r.Resources[0].History; len(h) != 3 || !h[1].NoOp() || h[2].NoOp() {
		t.Errorf("history %+v", h)
	}
	checkSums(t, r)
}
