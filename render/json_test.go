package render

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
)

// loadReport reads a golden report model (written by the report package's golden test).
func loadReport(t *testing.T, name string) *report.Report {
	t.Helper()
	b, err := os.ReadFile("../testdata/reports/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// The JSON written element by element is byte for byte what encoding/json writes for the
// whole model, and decodes back to it.
func TestJSONIsTheModel(t *testing.T) {
	full := loadReport(t, "ha-3-nodes")
	empty := *full
	empty.Resources, empty.FailedAttempts = []history.Resource{}, []history.FailedAttempt{}
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{{"ha-3-nodes", full}, {"no changes", &empty}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := (JSON{}).Render(&out, tc.r); err != nil {
				t.Fatal(err)
			}
			var back report.Report
			if err := json.Unmarshal(out.Bytes(), &back); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if d := cmp.Diff(*tc.r, back, cmpopts.IgnoreUnexported(report.Report{}, history.Resource{}, posture.Posture{})); d != "" {
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
