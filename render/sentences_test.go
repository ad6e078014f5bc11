package render

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// Each sentence template of the document formats, in a case where its old wording was false,
// says what the data supports, in every format.
func TestSentencesHold(t *testing.T) {
	clean := func(t *testing.T) *report.Report { return loadReport(t, "ha-3-nodes") }
	tests := []struct {
		name string
		edit func(r *report.Report)
		// want is in every format's output; not in none.
		want, not []string
	}{
		{name: "the verdict is named for what it judges",
			want: []string{"TRAIL COMPLETE"}, not: []string{"PASS"}},
		{name: "an incomplete trail",
			edit: func(r *report.Report) {
				r.Verdict = coverage.VerdictGaps
				r.Gaps = []coverage.Gap{{Type: coverage.GapTimeHole, Severity: coverage.SeverityWarning, Message: "a hole"}}
			},
			want: []string{"TRAIL INCOMPLETE"}},
		{name: "no period: the span of the logs, not the whole period",
			edit: func(r *report.Report) { r.Period = report.Period{} },
			want: []string{"over the span of the logs themselves"}, not: []string{"over the whole period"}},
		{name: "objects with only subresource writes are not said to have had changes",
			edit: func(r *report.Report) {
				r.Summary.Changes, r.Summary.Objects, r.Summary.NoOp, r.Summary.SubresourceChanges, r.Summary.DryRuns = 2, 3, 0, 5, 1
			},
			want: []string{"3 objects written to in the period: 2 configuration changes, 0 no-op writes, 5 subresource writes", "1 dry run."},
			not:  []string{"2 configuration changes to 3 objects", "1 dry runs"}},
		{name: "repeats read once: the inputs' counts add up to more than the events read",
			edit: func(r *report.Report) { r.Inputs[0].Events += 165; r.Summary.Duplicates = 165 },
			want: []string{"the inputs hold", "165 exact repeats read once"}},
		{name: "repeats with other content are not said to be exact",
			edit: func(r *report.Report) {
				r.Inputs[0].Events += 7
				r.Summary.Duplicates, r.Summary.ConflictingRepeats = 3, 4
			},
			want: []string{"3 exact repeats read once, 4 repeats of an event with other bytes left out"},
			not:  []string{"7 exact repeats"}},
		{name: "repeats the counts cannot tell apart are not called exact",
			edit: func(r *report.Report) { r.Inputs[0].Events += 7; r.Summary.Duplicates = 3 },
			want: []string{"3 exact repeats read once, 4 more, repeats not told apart"},
			not:  []string{"7 exact repeats", "7 more"}},
		{name: "actors left out of the top list are said to be",
			edit: func(r *report.Report) {
				for i := range 12 {
					r.Summary.Actors = append(r.Summary.Actors, history.ActorSummary{User: fmt.Sprintf("user-%d", i)})
				}
			},
			want: []string{"actors with the most changes", "lists every one"}},
		{name: "a posture finding is no gap in the trail", // ha-3-nodes has one, posture-unknown
			want: []string{"Protection findings", "posture-unknown", "No gaps in the trail"},
			not:  []string{"Gaps (1)", "1 warning(s)"}},
		{name: "a period given: the whole period",
			want: []string{"on each of the 3 API server(s) in the inputs, over the whole period"}},
		{name: "network policies never audited: unknown, not no change",
			edit: func(r *report.Report) {
				r.Verdict = coverage.VerdictGaps
				r.Gaps = []coverage.Gap{{Type: coverage.GapNeverAudited, Severity: coverage.SeverityError, Resource: "networkpolicies", Message: "never"}}
				for i := range r.Coverage {
					if r.Coverage[i].Resource == "networkpolicies" {
						r.Coverage[i].Status = coverage.StatusNeverAudited
					}
				}
				var keep []history.Resource
				for _, res := range r.Resources {
					if res.Resource != "networkpolicies" {
						keep = append(keep, res)
					}
				}
				r.Resources = keep
			},
			want: []string{"Unknown: no input has any event of NetworkPolicy in the period"}, not: []string{"No change to a network policy in the period"}},
		{name: "no change in an incomplete trail may hide changes",
			edit: func(r *report.Report) {
				r.Verdict = coverage.VerdictGaps
				r.Gaps = []coverage.Gap{{Type: coverage.GapPeriodNotCovered, Severity: coverage.SeverityError, Message: "late"}}
				r.Resources = nil
			},
			want: []string{"No change to a network policy in the logs read; the trail is incomplete"}},
		{name: "no refused write in an incomplete trail may hide some",
			edit: func(r *report.Report) {
				r.Verdict = coverage.VerdictGaps
				r.Gaps = []coverage.Gap{{Type: coverage.GapTimeHole, Severity: coverage.SeverityWarning, Message: "a hole"}}
			},
			want: []string{"No refused write in the logs read; the trail is incomplete"}, not: []string{"No write was refused in the period"}},
	}
	formats := map[string]Renderer{"md": &Markdown{}, "html": &HTML{}, "pdf": &PDF{}, "txt": &Table{}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clean(t)
			if tc.edit != nil {
				tc.edit(r)
			}
			for name, f := range formats {
				text := strings.Join(strings.Fields(readable(t, f, r)), " ")
				for _, w := range tc.want {
					if !has(text, w) {
						t.Errorf("%s lacks %q", name, w)
					}
				}
				for _, w := range tc.not {
					if regexp.MustCompile(`\b` + regexp.QuoteMeta(w) + `\b`).MatchString(text) {
						t.Errorf("%s says %q", name, w)
					}
				}
			}
		})
	}
}

// A verb without writes in a clean cluster is no fault: no ✗ in the coverage of a report
// without gaps.
func TestCoverageOfACleanClusterHasNoFailureMark(t *testing.T) {
	r := loadReport(t, "ha-3-nodes")
	for name, f := range map[string]Renderer{"html": &HTML{}, "pdf": &PDF{}} {
		text := readable(t, f, r)
		// From the coverage table on, past the legend that explains the mark.
		text = text[strings.Index(text, "cannot be reconstructed"):]
		if i := strings.Index(text, "Changes per kind"); i > 0 {
			text = text[:i]
		}
		if strings.Contains(strings.ReplaceAll(text, "(✗)", ""), "✗") {
			t.Errorf("%s: a ✗ in the coverage of a clean cluster", name)
		}
	}
}

// The scope statement is on the cover and in every format.
func TestScopeStatementInEveryFormat(t *testing.T) {
	r := loadReport(t, "ha-3-nodes")
	if len(r.Statement) == 0 {
		t.Fatal("the golden report has no statement")
	}
	for name, f := range map[string]Renderer{"txt": &Table{}, "md": &Markdown{}, "html": &HTML{}, "pdf": &PDF{}, "json": &JSON{}} {
		text := readable(t, f, r)
		if name == "pdf" {
			text = text[:strings.Index(text, "\f")] // the cover
		}
		for _, l := range r.Statement {
			if !has(text, l.Label) || !has(text, l.Text) {
				t.Errorf("%s lacks the scope line %s: %s", name, l.Label, l.Text)
			}
		}
	}
}

// readable is r in format f as a reader sees it: a PDF's text, HTML without its escapes.
func readable(t *testing.T, f Renderer, r *report.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	switch f.(type) {
	case *PDF:
		return pdfText(t, buf.Bytes())
	case *HTML:
		return html.UnescapeString(buf.String())
	}
	return buf.String()
}

// The policy audit lists the changes to Calico's policy kinds under their own names.
func TestPolicyAuditListsCalicoKinds(t *testing.T) {
	r := loadReport(t, "ha-3-nodes")
	c := r.Resources[0].History[0]
	c.AuditID, c.ID, c.Diff, c.Note = "calico-1", "c0ffee00", nil, ""
	r.Resources = append(r.Resources, history.Resource{Kind: "GlobalNetworkPolicy", Group: "projectcalico.org", Resource: "globalnetworkpolicies",
		Name: "allow-all-egress", History: []history.Change{c}})
	for name, f := range map[string]Renderer{"md": &Markdown{}, "html": &HTML{}, "pdf": &PDF{}, "txt": &Table{}} {
		text := readable(t, f, r)
		if !has(text, "Calico GlobalNetworkPolicy allow-all-egress") {
			t.Errorf("%s: the policy audit does not list the Calico GlobalNetworkPolicy", name)
		}
	}
}

// A request made by one user impersonating another reads one way, and the right way round,
// in every format: the audit event's user (alice) acted as its impersonatedUser (carol).
func TestImpersonationReadsTheRightWayRound(t *testing.T) {
	r := loadReport(t, "ha-3-nodes")
	for i := range r.Resources {
		if r.Resources[i].Resource == "networkpolicies" {
			for j := range r.Resources[i].History {
				c := &r.Resources[i].History[j]
				c.User, c.ImpersonatedUser = "alice@example.com", "carol@example.com"
			}
		}
	}
	at := r.Resources[0].History[0].Time
	r.FailedAttempts = append(r.FailedAttempts, history.FailedAttempt{Time: at, Verb: "delete", Resource: "networkpolicies", Namespace: "shop",
		Name: "deny-all", User: "alice@example.com", ImpersonatedUser: "carol@example.com", AuditID: "f1", Code: 403, Reason: "Forbidden"})
	const want = "carol@example.com (impersonated by alice@example.com)"
	// Changes and the failed attempt; the terminal table lists no failed attempt.
	for name, f := range map[string]Renderer{"md": &Markdown{}, "html": &HTML{}, "pdf": &PDF{}, "txt": &Table{}} {
		text := strings.Join(strings.Fields(readable(t, f, r)), "")
		min := 2
		if name == "txt" {
			min = 1
		}
		if n := strings.Count(text, strings.Join(strings.Fields(want), "")); n < min {
			t.Errorf("%s says %q %d times, want at least %d", name, want, n, min)
		}
		for _, wrong := range []string{"alice@example.com(as", "carol@example.com(as", "(ascarol", "(asalice"} {
			if strings.Contains(text, wrong) {
				t.Errorf("%s has %q", name, wrong)
			}
		}
	}
	// The CSV keeps the event's own fields, each in its column.
	for _, table := range []string{CSVChanges, CSVFailed} {
		var buf bytes.Buffer
		if err := (&CSV{Table: table}).Render(&buf, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		user, imp := slices.Index(rows[0], "user"), slices.Index(rows[0], "impersonatedUser")
		found := false
		for _, row := range rows[1:] {
			if row[imp] != "" {
				found = true
				if row[user] != "alice@example.com" || row[imp] != "carol@example.com" {
					t.Errorf("%s: user %q, impersonatedUser %q", table, row[user], row[imp])
				}
			}
		}
		if !found {
			t.Errorf("%s: no row with an impersonatedUser", table)
		}
	}
}
