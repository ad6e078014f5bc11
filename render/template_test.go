package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The documented example template renders the golden report.
func TestTemplateExample(t *testing.T) {
	tmpl, err := NewTemplate(filepath.Join("..", "docs", "examples", "summary.txt.tmpl"), 2)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tmpl.Render(&buf, loadReport(t, "with-gaps")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"staging-eks the first event to the last event: GAPS (1 of 5 required kinds",
		"50 changes to 45 objects and 8 created without their name in the trail, 11 failed attempts.", "- ../testdata/logs/gaps/node-missing-kind/kube-apiserver-3-audit.log never recorded networkpolicies",
		"* 2026-11-01 13:40:54Z deleted default/allow-metrics-m3v7 by carol@example.com", "* and 1 more policy changes"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tmpl")
	os.WriteFile(bad, []byte("{{.Verdict"), 0o644)
	if _, err := NewTemplate(bad, 0); err == nil || !strings.Contains(err.Error(), "bad.tmpl") {
		t.Errorf("a template that does not parse: %v", err)
	}
	missing := filepath.Join(dir, "missing.tmpl")
	os.WriteFile(missing, []byte("{{.NoSuchField}}"), 0o644)
	tmpl, err := NewTemplate(missing, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Render(&bytes.Buffer{}, loadReport(t, "ha-3-nodes")); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Errorf("a field that does not exist: %v", err)
	}
}
