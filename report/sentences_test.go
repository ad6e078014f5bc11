package report

import (
	"strings"
	"testing"

	"github.com/auditreport/auditreport/report/coverage"
)

// Sentences of the report that a reader takes literally, in the cases where they used to be
// false.
func TestCoverageSentencesHold(t *testing.T) {
	t.Run("bodies dropped for size are not fixed by a policy rule", func(t *testing.T) {
		// They are the truncated gaps' alone: no partial gap counts them again.
		r := buildFiles(t, Options{}, dirFiles("logs/gaps/truncated", 3)...)
		g := hasGap(r, coverage.GapTruncated, coverage.SeverityWarning)
		if g == nil || hasGap(r, coverage.GapPartial, coverage.SeverityWarning) != nil {
			t.Fatalf("gaps: %s", gapTypes(r))
		}
		if !strings.Contains(g.Remediation, "truncate-max-event-size") {
			t.Errorf("fix %q for bodies dropped for size", g.Remediation)
		}
		for _, g := range r.Gaps {
			if strings.Contains(g.Remediation, "add a rule") {
				t.Errorf("a policy rule prescribed: %+v", g)
			}
		}
		if c := r.Coverage[0]; c.Kind != "Pod" || c.Status != coverage.StatusBodiesDropped || c.BodiesDropped != 4 {
			t.Errorf("Pod row %+v", c.CoverageCounts)
		}
	})
	t.Run("a kind never audited counts against the score", func(t *testing.T) {
		r := buildFiles(t, Options{}, dirFiles("logs/gaps/never-audited", 3)...)
		if r.Score.Percent == 100 || r.Score.Cells != r.Score.Covered+3 {
			t.Errorf("score %+v with NetworkPolicies never audited on three servers", r.Score)
		}
		if !strings.Contains(r.Score.Text, "never audited counts against") {
			t.Errorf("score text %q", r.Score.Text)
		}
	})
	t.Run("every API server only where the user said which there are", func(t *testing.T) {
		two := dirFiles("logs/ha-3-nodes", 3)[:2]
		r := buildFiles(t, Options{}, two...)
		if strings.Contains(r.Score.Text, "every API server") || !strings.Contains(r.Score.Text, "each of the 2 API server(s) in the inputs") {
			t.Errorf("two logs, no --api-servers: score %q", r.Score.Text)
		}
		r = buildFiles(t, Options{APIServerCount: 2}, two...)
		if !strings.Contains(r.Score.Text, "on every API server;") {
			t.Errorf("two logs of two servers: score %q", r.Score.Text)
		}
	})
}
