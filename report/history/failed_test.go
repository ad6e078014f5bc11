package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/audit"
)

// Failed attempts spilled to disk read back as the ones kept in memory: in order (by time,
// then auditID) whether they came in that order or not, with the same row IDs and counts.
func TestFailedAttemptsSpilled(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	event := func(i int, sec int) *audit.Event {
		return &audit.Event{Level: "Metadata", AuditID: fmt.Sprintf("id-%02d", i), Stage: audit.StageResponseComplete, Verb: "patch",
			User: audit.UserInfo{Username: fmt.Sprintf("ctrl-%d", i%3)}, SourceIPs: []string{"10.0.0.1"},
			ObjectRef:       &audit.ObjectRef{Resource: "pods", Namespace: "ns", Name: fmt.Sprintf("p%d", i%5), APIVersion: "v1"},
			ResponseStatus:  &audit.Status{Code: 403, Reason: "Forbidden", Message: "pods is forbidden"},
			Annotations:     map[string]string{"authorization.k8s.io/decision": "forbid"},
			RequestReceived: at.Add(time.Duration(sec) * time.Second), Source: "a.log", Line: i + 1}
	}
	for _, c := range []struct {
		name string
		// order is the i-th attempt to come, secs its time; onDisk says whether the
		// spilled ones stay on disk (they came in order) or are sorted in memory.
		order, secs func(i int) int
		onDisk      bool
	}{
		{"in order", func(i int) int { return i }, func(j int) int { return j }, true},
		{"in order, ties", func(i int) int { return i }, func(j int) int { return j / 4 }, true},
		{"ties out of auditID order", func(i int) int { return i ^ 1 }, func(j int) int { return j / 4 }, false},
		{"out of order", func(i int) int { return (i * 7) % 20 }, func(j int) int { return j }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			finish := func(spillAbove int) ([]FailedAttempt, Counts) {
				tr := New(Options{SpillAbove: spillAbove, TmpDir: t.TempDir()})
				for i := range 20 {
					j := c.order(i)
					tr.Add(event(j, c.secs(j)), nil, true)
				}
				h, err := tr.Finish()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { h.Rows.Close() })
				if spillAbove > 0 && (h.Failed == nil) != c.onDisk {
					t.Errorf("spilled: %d in memory, %d on disk", len(h.Failed), h.Rows.FailedLen())
				}
				var out []FailedAttempt
				if h.Failed != nil {
					out = h.Failed
				} else {
					for _, f := range h.Rows.Failed() {
						out = append(out, *f)
					}
				}
				if err := h.Rows.Err(); err != nil {
					t.Fatal(err)
				}
				return out, h.Counts
			}
			memory, memCounts := finish(-1)
			spilled, spillCounts := finish(1)
			if d := cmp.Diff(memory, spilled); d != "" {
				t.Errorf("spilled failed attempts differ (-memory +spilled):\n%s", d)
			}
			if d := cmp.Diff(memCounts, spillCounts); d != "" {
				t.Errorf("counts differ (-memory +spilled):\n%s", d)
			}
			if len(memory) != 20 || memCounts.FailedAttempts != 20 {
				t.Fatalf("%d failed attempts, %d counted", len(memory), memCounts.FailedAttempts)
			}
			for i := 1; i < len(memory); i++ {
				if lessFailed(&memory[i], &memory[i-1]) {
					t.Fatalf("attempt %d (%s %s) shown before %d", i, memory[i].Time, memory[i].AuditID, i-1)
				}
			}
		})
	}
}
