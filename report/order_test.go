package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/gen"
	"github.com/auditreport/auditreport/report/history"
)

// The same logs give the same histories whatever order the files are named in: each request
// is in exactly one API server's log, and copytruncate repeats lines across rotated files.
func TestHistoriesDoNotDependOnFileOrder(t *testing.T) {
	files := []string{
		"logs/ha-3-nodes/kube-apiserver-1-audit.log",
		"logs/ha-3-nodes/kube-apiserver-2-audit.log",
		"logs/ha-3-nodes/kube-apiserver-3-audit.log",
	}
	orders := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	var want string
	for _, o := range orders {
		r := buildFiles(t, Options{}, files[o[0]], files[o[1]], files[o[2]])
		got := histories(t, r)
		if want == "" {
			want = got
			if r.Summary.Changes == 0 || len(r.Resources) == 0 {
				t.Fatal("the scenario has no changes")
			}
			// The generator starts from an empty cluster and logs every write with its
			// bodies, so every earlier state is known.
			if r.Summary.UnknownBaseline != 0 || r.Summary.NoDiff != 0 {
				t.Errorf("unknownBaseline %d, noDiff %d in a complete log", r.Summary.UnknownBaseline, r.Summary.NoDiff)
			}
			continue
		}
		if got != want {
			t.Errorf("order %v gives other histories than %v", o, orders[0])
		}
	}

	rotated := []string{"logs/rotated/kube-audit-2026-11-01T12-00-00.000.log.gz", "logs/rotated/kube-audit.log"}
	a := histories(t, buildFiles(t, Options{}, rotated[0], rotated[1]))
	b := histories(t, buildFiles(t, Options{}, rotated[1], rotated[0]))
	if a != b {
		t.Error("rotated files: the order changes the histories")
	}
}

func histories(t *testing.T, r *Report) string {
	t.Helper()
	b, err := json.Marshal(struct {
		R []history.Resource
		F []history.FailedAttempt
	}{r.Resources, r.FailedAttempts})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A write repeated in two files (copytruncate) is kept once, with the same source whatever
// the order of the files.
func TestRepeatedWriteKeepsOneSource(t *testing.T) {
	create := ev{verb: "create", res: npRes.res, group: npRes.group, ns: "shop", resp: netpol("80", "1", "")}.line()
	patch := ev{minute: 1, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", req: j(`{"spec":{}}`), resp: netpol("443", "2", "")}.line()
	rotated := create + "\n" + patch + "\n"
	current := patch + "\n"
	var got []string
	for _, swap := range []bool{false, true} {
		srcs := []audit.Source{audit.ReaderSource("kube-audit-2026-11-02T09-00-00.000.log", strings.NewReader(rotated)), audit.ReaderSource("kube-audit.log", strings.NewReader(current))}
		if swap {
			srcs[0], srcs[1] = srcs[1], srcs[0]
		}
		r, err := Build(context.Background(), srcs, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		h := find(t, r, npRes.res, "shop", "allow-web")
		if len(h) != 2 || r.Summary.Duplicates != 1 {
			t.Fatalf("history %s, duplicates %d", actions(h), r.Summary.Duplicates)
		}
		got = append(got, h[1].Source)
	}
	if got[0] != got[1] {
		t.Errorf("the repeated patch is attributed to %s in one order and %s in the other", got[0], got[1])
	}
}

// The generator's histories are coherent and complete, so the tracker must know every
// earlier state: an unknown baseline here is a bug in one or the other (it found a dry-run
// delete whose effect the generator kept).
func TestGeneratedLogHasKnownBaselines(t *testing.T) {
	const size = 12 << 20
	g := gen.New(gen.Config{Bytes: size, Nodes: 3, Days: 1, Seed: 99})
	bufs := make([]bytes.Buffer, 3)
	ws := []io.Writer{&bufs[0], &bufs[1], &bufs[2]}
	counts, err := g.Run(ws)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []audit.Source
	for i := range bufs {
		srcs = append(srcs, audit.ReaderSource(fmt.Sprintf("node-%d.log", i), bytes.NewReader(bufs[i].Bytes())))
	}
	r, err := Build(context.Background(), srcs, Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.UnknownBaseline != 0 || r.Summary.NoDiff != 0 {
		t.Errorf("unknownBaseline %d, noDiff %d", r.Summary.UnknownBaseline, r.Summary.NoDiff)
	}
	if r.Summary.DryRuns != counts.DryRuns || r.Summary.FailedAttempts != counts.Denied {
		t.Errorf("dry runs %d (generated %d), failed attempts %d (denied %d)", r.Summary.DryRuns, counts.DryRuns, r.Summary.FailedAttempts, counts.Denied)
	}
	// The generator counts a patch that sets what is there as a change; the report, as a
	// no-op.
	if got := r.Summary.Changes + r.Summary.NoOp + r.Summary.SubresourceChanges; got != counts.Changes {
		t.Errorf("%d changes, no-ops and subresource writes, generated %d", got, counts.Changes)
	}
}
