package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/reports")

// The report model of the HA scenario, as JSON: the public contract, reviewed as a golden
// file. The render tests read these files, so every format is fed the same model.
func TestGoldenReports(t *testing.T) {
	start := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		opts  Options
		files []string
	}{
		{"ha-3-nodes", Options{Cluster: "prod-eu-1", Period: Period{Start: &start, End: &end}},
			[]string{"logs/ha-3-nodes/kube-apiserver-1-audit.log", "logs/ha-3-nodes/kube-apiserver-2-audit.log", "logs/ha-3-nodes/kube-apiserver-3-audit.log"}},
		// Gaps, failed attempts and impersonation: one API server without NetworkPolicies,
		// and Panther's EKS test events (denied creates, execs, tokens).
		// Written by a real API server: protection lost and regained, exposures, a relabel.
		{"posture", Options{Cluster: "posture-demo"}, []string{"logs/posture/kube-audit.log"}},
		{"with-gaps", Options{Cluster: "staging-eks",
			Tool: Tool{Name: "auditreport", Version: "v1.0.0-test", Command: []string{"auditreport", "--from", "logs/", "--format", "json"}}},
			[]string{"logs/gaps/node-missing-kind/kube-apiserver-1-audit.log", "logs/gaps/node-missing-kind/kube-apiserver-2-audit.log",
				"logs/gaps/node-missing-kind/kube-apiserver-3-audit.log", "realdata/panther/panther-eks-audit-testlogs.jsonl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := buildFiles(t, tc.opts, tc.files...)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "testdata", "reports", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -run Golden -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden report; review the change and run go test ./report -run Golden -update", path)
			}
		})
	}
}
