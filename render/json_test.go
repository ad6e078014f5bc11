package render

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report"
)

func buildScenario(t *testing.T, paths ...string) *report.Report {
	t.Helper()
	var srcs []audit.Source
	for _, p := range paths {
		srcs = append(srcs, audit.FileSource("../testdata/"+p))
	}
	r, err := report.Build(context.Background(), srcs, report.Options{Now: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The JSON written element by element decodes back to the same report, and is what
// encoding/json would write for it.
func TestJSONIsTheModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{
		{"ha-3-nodes", buildScenario(t, "logs/ha-3-nodes")},
		{"nothing in scope", buildScenario(t, "realdata/aks/sample_KubeAuditLog_event.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := (JSON{}).Render(&out, tc.r); err != nil {
				t.Fatal(err)
			}
			var back report.Report
			if err := json.Unmarshal(out.Bytes(), &back); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if d := cmp.Diff(*tc.r, back); d != "" {
				t.Errorf("decoded report differs (-want +got):\n%s", d)
			}
			var whole bytes.Buffer
			enc := json.NewEncoder(&whole)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(tc.r); err != nil {
				t.Fatal(err)
			}
			if out.String() != whole.String() {
				t.Errorf("streamed JSON differs from encoding/json's")
			}
			if strings.Contains(out.String(), `\u003c`) {
				t.Errorf("< is escaped")
			}
		})
	}
}
