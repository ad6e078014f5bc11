package report

import (
	"strings"
	"testing"
	"time"
)

// The scope statement says what the report covers, as given or as found.
func TestScopeStatement(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	tests := []struct {
		name string
		opts Options
		// want maps a label to what its line says.
		want map[string]string
	}{
		{name: "no period, no servers stated",
			want: map[string]string{"Period": "none given: the logs' own span, 2026-11-01 00:04:01Z to 2026-11-02 12:21:53Z",
				"API servers": "3 seen in the inputs", "Cluster": "not named", "Policy files": "none"}},
		{name: "a period in a time zone, servers named",
			opts: Options{Period: Period{Start: &start, End: &end, TimeZone: "Europe/Berlin"}, Cluster: "prod", APIServers: []string{"kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3", "kube-apiserver-4"}},
			want: map[string]string{"Period": "2026-11-01 01:00:00 Europe/Berlin (2026-11-01 00:00:00Z) to 2026-11-02 01:00:00 Europe/Berlin (2026-11-02 00:00:00Z) (end exclusive), as given",
				"API servers": "4 expected (kube-apiserver-1, kube-apiserver-2, kube-apiserver-3, kube-apiserver-4); 3 seen", "Cluster": "prod"}},
		{name: "a start and no end: the period runs to the report's time",
			opts: Options{Period: Period{Start: &start}, Now: end.Add(36 * time.Hour)},
			want: map[string]string{"Period": "from 2026-11-01 00:00:00Z, as given, with no end: to the report's time, 2026-11-03 12:00:00Z; the logs read run from"}},
		{name: "a number of servers, a policy checked",
			opts: Options{APIServerCount: 3, Policies: []string{"../testdata/policies/generated.yaml"}},
			want: map[string]string{"API servers": "3 expected; 3 seen", "Policy files": "generated.yaml",
				"Kinds": "Calico's 7 policy kinds", "Evidence": "no evidence manifest"}},
		{name: "an evidence manifest, signed",
			opts: Options{Evidence: &EvidenceRef{Manifest: "reports/prod.evidence.json", KeyID: "ed25519:3f2a"}},
			want: map[string]string{"Evidence": "reports/prod.evidence.json, which records the SHA-256 of every input and output and this report's digest; signed with the ed25519 key ed25519:3f2a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := buildFiles(t, tc.opts, dirFiles("logs/ha-3-nodes", 3)...)
			got := map[string]string{}
			for _, l := range r.Statement {
				got[l.Label] = l.Text
			}
			for label, want := range tc.want {
				if !strings.Contains(got[label], want) {
					t.Errorf("%s: %q, want it to say %q", label, got[label], want)
				}
			}
		})
	}
}
