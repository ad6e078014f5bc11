package render

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// pdfText extracts a PDF's text with pdftotext (Debian poppler-utils; .ci/run installs it),
// in content order, so that a value wrapped in a table cell comes out in one piece once
// whitespace is taken away (see has).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is needed in CI (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-raw", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// has reports whether text contains s, ignoring whitespace (line breaks inside cells).
func has(text, s string) bool {
	strip := func(x string) string { return strings.Join(strings.Fields(x), "") }
	return strings.Contains(strip(text), strip(s))
}

func renderPDF(t *testing.T, r *report.Report, maxRows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (&PDF{MaxRows: maxRows}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The same report gives the same bytes.
func TestPDFIsReproducible(t *testing.T) {
	r := loadReport(t, "with-gaps")
	a, b := renderPDF(t, r, 0), renderPDF(t, r, 0)
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of one report differ")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
}

// What an auditor must find on the pages is there, in any script DejaVu covers.
func TestPDFText(t *testing.T) {
	r := loadReport(t, "with-gaps")
	text := pdfText(t, renderPDF(t, r, 0))
	must := []string{
		"Kubernetes audit report", "staging-eks", "TRAIL INCOMPLETE", r.Score.Text[:40],
		"Executive summary", "Gaps in the audit trail", "node-missing-kind", "Fix: deploy the same --audit-policy-file",
		"Coverage", "A dash is a verb with no write", "Policy audit: network policy changes", "allow-web-r77m", `spec.ingress[0].ports[0].port: "8080" → "9090"`,
		"Failed attempts", "attacker@example.com", "malicious-pod",
		"Appendix: inputs and provenance", r.Inputs[0].SHA256[:24], "auditreport --from logs/ --format json",
		"Page 1 of", ChangesText(r.Summary),
	}
	for _, s := range must {
		if !has(text, s) {
			t.Errorf("the PDF text lacks %q", s)
		}
	}
	// The posture's finding is listed apart, after the trail's gaps, not as one of them.
	gaps, findings := strings.Index(text, "Gaps in the audit trail"), strings.LastIndex(text, "Protection findings")
	if unknown := strings.Index(text[max(gaps, 0):], "posture-unknown") + max(gaps, 0); gaps < 0 || findings < gaps || unknown < findings {
		t.Errorf("the PDF lists the posture-unknown finding at %d, the trail's gaps at %d and the findings at %d", unknown, gaps, findings)
	}
	h := hostile()
	text = pdfText(t, renderPDF(t, h, 0))
	for _, s := range []string{"Ελλάδα", "Київ", `<script>alert("x")</script>`, `=cmd|' /C calc'!A0`} {
		if !has(text, s) {
			t.Errorf("the PDF text lacks %q", s)
		}
	}
}

// Long sections are cut at MaxRows with a pointer to the full data, and table headers repeat
// on every page a table spans.
func TestPDFBoundsSections(t *testing.T) {
	r := manyChanges(450)
	text := pdfText(t, renderPDF(t, r, 200))
	pages := strings.Count(text, "\f")
	heads := strings.Count(text, "What changed")
	if !has(text, "250 more change(s) are not shown") {
		t.Error("no note of the rows left out")
	}
	if pages < 10 || heads < pages/2 {
		t.Errorf("%d pages, %d table headers: headers do not repeat after page breaks", pages, heads)
	}
}

// manyChanges is a report with n NetworkPolicy changes (and as many Pod changes).
func manyChanges(n int) *report.Report {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := &report.Report{APIVersion: report.APIVersion, Kind: report.Kind, GeneratedAt: t0.Add(48 * time.Hour), Verdict: coverage.VerdictPass, Tool: report.Tool{Name: "auditreport"}}
	for i := 0; i < n; i++ {
		for _, k := range []struct{ kind, res, group string }{{"NetworkPolicy", "networkpolicies", "networking.k8s.io"}, {"Pod", "pods", ""}} {
			r.Resources = append(r.Resources, history.Resource{Kind: k.kind, Group: k.group, Resource: k.res, Namespace: "shop", Name: fmt.Sprintf("obj-%05d", i),
				History: []history.Change{{Time: t0.Add(time.Duration(i) * time.Minute), Action: history.ActionModified, Class: history.ClassConfiguration,
					Verb: "patch", User: "alice@example.com", SourceIPs: []string{"192.0.2.1"}, AuditID: fmt.Sprint(i), Code: 200, Level: "RequestResponse", Baseline: "known",
					Diff: []history.FieldChange{{Path: "spec.ingress[0].ports[0].port", Op: history.OpChanged, Old: []byte("80"), New: []byte("443")},
						{Path: `metadata.labels["app.kubernetes.io/name"]`, Op: history.OpAdded, New: []byte(`"web"`)}}}}})
		}
	}
	r.Summary.Changes = int64(2 * n)
	return r
}

// BenchmarkPDF renders a report of 100,000 changes: bounded sections keep it to seconds and
// bounded memory whatever the number of changes.
func BenchmarkPDF(b *testing.B) {
	r := manyChanges(50000)
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := (&PDF{}).Render(&buf, r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len())/1024, "KiB")
	}
}

// CJK names need a font DejaVu is not: --pdf-font takes one (Debian fonts-droid-fallback).
func TestPDFWithACJKFont(t *testing.T) {
	const droid = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	font, err := os.ReadFile(droid)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Droid Sans Fallback is needed in CI (apt-get install fonts-droid-fallback)")
		}
		t.Skip("fonts-droid-fallback not installed")
	}
	if err := CheckFont(font); err != nil {
		t.Fatal(err)
	}
	r := hostile()
	r.Cluster = "生产集群"
	r.Resources[0].Name = "允许-web"
	r.Resources[0].History[0].User = "张伟"
	var buf bytes.Buffer
	if err := (&PDF{Font: font}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, buf.Bytes())
	for _, s := range []string{"生产集群", "允许-web", "张伟"} {
		if !has(text, s) {
			t.Errorf("the PDF text lacks %q", s)
		}
	}
	for _, bad := range [][]byte{[]byte("OTTO...."), []byte("ttcf...."), []byte("<html>")} {
		if CheckFont(bad) == nil {
			t.Errorf("%q taken for a TrueType font", bad)
		}
	}
}
