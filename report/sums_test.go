package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/report/history"
)

// Every golden report's tables add up: per kind and per actor, each column sums to the total
// of the same name; a kind's created, modified, deleted and deletion-requested sum to its
// changes; the histories hold exactly the changes, no-ops, subresource writes and
// deletecollection requests counted, kind by kind as the documents' sections list them; and
// each coverage row counts its kinds' changes.
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
	kindChanges := map[string]int64{} // by resource, as coverage rows and sections count them
	for _, ks := range s.Kinds {
		kindChanges[ks.Resource] += ks.Changes
		k.DeleteCollections += ks.DeleteCollections
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
		a.DeleteCollections += as.DeleteCollections
	}
	var h Summary
	rows := map[string]int64{}
	for _, res := range r.Resources {
		for i := range res.History {
			c := &res.History[i]
			switch {
			case c.NoOp():
				h.NoOp++
			case c.Class == history.ClassConfiguration:
				h.Changes++
				rows[res.Resource]++
			case c.Class == history.ClassCollection:
				h.DeleteCollections++
			default:
				h.SubresourceChanges++
			}
		}
	}
	for res, n := range kindChanges {
		if rows[res] != n {
			t.Errorf("%s: the kinds table counts %d changes, the histories hold %d", res, n, rows[res])
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
		if got.sum.DeleteCollections != s.DeleteCollections {
			t.Errorf("%s sum to %d deletecollection requests; the summary says %d", got.table, got.sum.DeleteCollections, s.DeleteCollections)
		}
		if got.sum.Changes != s.Changes || got.sum.NoOp != s.NoOp || got.sum.SubresourceChanges != s.SubresourceChanges || got.sum.FailedAttempts != s.FailedAttempts {
			t.Errorf("%s sum to changes %d, no-ops %d, subresource %d, failed %d; the summary says %d, %d, %d, %d", got.table,
				got.sum.Changes, got.sum.NoOp, got.sum.SubresourceChanges, got.sum.FailedAttempts, s.Changes, s.NoOp, s.SubresourceChanges, s.FailedAttempts)
		}
	}
	for _, c := range r.Coverage {
		if c.Changes != kindChanges[c.Resource] {
			t.Errorf("coverage row %s counts %d changes, the kinds table %d", c.Kind, c.Changes, kindChanges[c.Resource])
		}
	}
}

// On the real API server's log, a deletecollection is one request, not a change to any
// object: the objects it removed count as deleted, one that removed nothing says so, and the
// summary, the kinds table, the coverage rows and the histories (the documents' sections)
// add up.
func TestDeleteCollectionsAddUpOnARealAPIServer(t *testing.T) {
	r := buildDir(t, realDir+"/log", Options{Now: t0})
	checkSums(t, r)
	kinds := map[string]history.KindSummary{}
	for _, ks := range r.Summary.Kinds {
		kinds[ks.Resource] = ks
	}
	// Endpoints: a create and an update; the namespace controller's deletecollection in
	// temp removed nothing.
	if ks := kinds["endpoints"]; ks.Changes != 2 || ks.DeletionRequested != 0 || ks.Deleted != 0 || ks.DeleteCollections != 1 {
		t.Errorf("endpoints %+v", ks)
	}
	// Pods: alice's tier=batch deletecollection removed 3, the namespace controller's 1;
	// held's two deletes marked it, and its finalizer's removal removed it.
	if ks := kinds["pods"]; ks.Deleted != 5 || ks.DeletionRequested != 2 || ks.DeleteCollections != 2 {
		t.Errorf("pods %+v", ks)
	}
	// The network policy section lists 25: tmp-np removed by the collection once.
	if ks := kinds["networkpolicies"]; ks.Changes != 25 || ks.DeleteCollections != 1 {
		t.Errorf("networkpolicies %+v", ks)
	}
	for _, res := range r.Resources {
		if !res.Collection || res.Resource != "endpoints" {
			continue
		}
		if c := res.History[0]; c.Class != history.ClassCollection || !strings.Contains(c.Note, "removed nothing") {
			t.Errorf("endpoints deletecollection %+v", c)
		}
	}
	if r.Summary.DeleteCollections != 5 {
		t.Errorf("%d deletecollection requests", r.Summary.DeleteCollections)
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
