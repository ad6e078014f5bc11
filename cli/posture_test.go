package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/report/posture"
)

func TestCalicoSelector(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: ``, want: ``},
		{in: `all()`, want: ``},
		{in: `app == "web"`, want: `app=web`},
		{in: `app == 'web' && tier != "db"`, want: `app=web,tier!=db`},
		{in: `has(team) && !has(legacy)`, want: `team,!legacy`},
		{in: `env in {"prod", "staging"} && app not in {'x'}`, want: `env in (prod,staging),app notin (x)`},
		{in: `app == "a" || app == "b"`, err: "only terms joined by &&"},
		{in: `app starts with "we"`, err: "no Kubernetes label selector equivalent"},
		{in: `(app == "a")`, err: "only terms joined by &&"},
	} {
		got, err := calicoSelector(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// A Calico GlobalReport's endpoint scope becomes the posture's scope.
func TestGlobalReportScope(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.yaml")
	if err := os.WriteFile(path, []byte(`apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: weekly-payments
spec:
  reportType: network-access
  endpoints:
    selector: app == "api" && has(team)
    namespaces:
      names: ["payments"]
    serviceAccounts:
      selector: tier == "backend"
  schedule: 0 0 * * 0
`), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &postureOptions{GlobalReport: path, ClusterCIDRs: []string{"10.96.0.0/12"}}
	got, err := o.scope()
	if err != nil {
		t.Fatal(err)
	}
	want := posture.Scope{Namespaces: []string{"payments"}, Selector: "app=api,team", ServiceAccountSelector: "tier=backend", ClusterCIDRs: []string{"10.96.0.0/12"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("scope (-want +got):\n%s", d)
	}
	o = &postureOptions{GlobalReport: path, Selector: "x=y"}
	if _, err := o.scope(); err == nil || !strings.Contains(err.Error(), "--selector and --global-report") {
		t.Errorf("both a flag and the report set the selector: %v", err)
	}
	if _, err := (&postureOptions{GlobalReport: filepath.Join(dir, "nope.yaml")}).scope(); err == nil || ExitCode(err) != ExitInput {
		t.Errorf("a missing report: %v (exit %d)", err, ExitCode(err))
	}
	if _, err := (&postureOptions{Selector: "app in (("}).scope(); err == nil || ExitCode(err) != ExitUsage {
		t.Errorf("a bad selector: %v", err)
	}
}
