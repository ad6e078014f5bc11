package render

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// hostile is a report whose names, users and values try to break out of every format.
func hostile() *report.Report {
	t := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	name := `<script>alert("x")</script>`
	user := `=cmd|' /C calc'!A0`
	return &report.Report{APIVersion: report.APIVersion, Kind: report.Kind, GeneratedAt: t, Cluster: `prod <b>eu</b> | "Ελλάδα" Київ`,
		Tool: report.Tool{Name: "auditreport"}, Verdict: coverage.VerdictGaps,
		Gaps: []coverage.Gap{{Type: "time-hole", Severity: "warning", Message: "<img src=x onerror=alert(1)> | pipe", Remediation: "@SUM(1+1)"}},
		Resources: []history.Resource{{Kind: "NetworkPolicy", Group: "networking.k8s.io", Resource: "networkpolicies", Namespace: "shop", Name: name,
			History: []history.Change{{Time: t, Action: history.ActionModified, Class: history.ClassConfiguration, Verb: "patch", User: user,
				SourceIPs: []string{"+1-555"}, UserAgent: "-agent", AuditID: "id", Code: 200, Level: "RequestResponse", Source: "s", Baseline: "known",
				Diff: []history.FieldChange{{Path: `metadata.labels["a|b"]`, Op: history.OpChanged, Old: []byte(`"</td><td>"`), New: []byte(`"=HYPERLINK(\"http://x\")"`)}}}}}},
		FailedAttempts: []history.FailedAttempt{{Time: t, Verb: "delete", Resource: "networkpolicies", Namespace: "shop", Name: name, User: "\tcmd", Code: 403, Reason: "Forbidden"}},
	}
}

func TestHTMLEscapesHostileNames(t *testing.T) {
	var buf bytes.Buffer
	if err := (&HTML{}).Render(&buf, hostile()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "<img", "<b>eu</b>"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "Ελλάδα", "Київ"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Self-contained: nothing fetched.
	for _, ext := range []string{"<script", "src=\"http", "href=\"http", "@import", "url("} {
		if strings.Contains(out, ext) {
			t.Errorf("HTML refers to something external or runs a script: %q", ext)
		}
	}
}

func TestMarkdownEscapesHostileNames(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Markdown{}).Render(&buf, hostile()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
		t.Errorf("Markdown passes HTML through")
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "onerror") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("a pipe in a value breaks the table: %s", line)
		}
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	for _, table := range CSVTables {
		var buf bytes.Buffer
		if err := (&CSV{Table: table}).Render(&buf, hostile()); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("%s: not CSV: %v", table, err)
		}
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q would run as a formula", table, cell)
				}
			}
		}
	}
	var buf bytes.Buffer
	(&CSV{}).Render(&buf, hostile())
	if !strings.Contains(buf.String(), `'=cmd|' /C calc'!A0`) {
		t.Errorf("the user is not kept, quoted: %s", buf.String())
	}
}

// A month of rotated files does not fill the terminal: inputs without problems are summed up.
func TestTableSumsUpManyInputs(t *testing.T) {
	r := loadReport(t, "ha-3-nodes")
	var inputs []report.Input
	for i := 0; i < 40; i++ {
		in := r.Inputs[0]
		in.Source = fmt.Sprintf("kube-audit-%02d.log", i)
		if i == 7 {
			in.Malformed, in.Problems = 2, map[string]int64{"not-json": 2}
		}
		inputs = append(inputs, in)
	}
	r.Inputs = inputs
	var buf bytes.Buffer
	if err := (&Table{}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "kube-audit-07.log") || strings.Contains(out, "│ kube-audit-08.log") || !strings.Contains(out, "… 39 more inputs without problems") {
		t.Errorf("inputs table:\n%s", out)
	}
}
