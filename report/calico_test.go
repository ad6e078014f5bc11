package report

import (
	"testing"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
)

// Calico's policy kinds and the AdminNetworkPolicy API are in scope by default: a change to
// them is in the histories, and coverage requires a kind where the trail shows it in use.
func TestPolicyKindsBeyondNetworkPolicy(t *testing.T) {
	gnp := `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"allow-all-egress","uid":"u-1"},"spec":{"egress":[{"action":"Allow"}],"types":["Egress"]}}`
	base := []ev{
		{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
		{minute: 1, verb: "get", res: "networkpolicies", group: "networking.k8s.io", ns: "shop", name: "x", level: "Metadata"},
	}
	tests := []struct {
		name   string
		events []ev
		opts   Options
		// kind is the coverage row expected, or absent; changed the history expected.
		kind    string
		row     bool
		status  string
		changed string
	}{
		{name: "a Calico GlobalNetworkPolicy created by a cluster admin",
			events: []ev{{minute: 2, verb: "create", user: "kubernetes-admin", res: "globalnetworkpolicies", group: "projectcalico.org", req: j(gnp), resp: j(gnp)}},
			kind:   "Calico GlobalNetworkPolicy", row: true, status: coverage.StatusOK, changed: "allow-all-egress"},
		{name: "the same through Calico's CRDs",
			events: []ev{{minute: 2, verb: "create", user: "kubernetes-admin", res: "globalnetworkpolicies", group: "crd.projectcalico.org", req: j(gnp), resp: j(gnp)}},
			kind:   "Calico GlobalNetworkPolicy", row: true, status: coverage.StatusOK, changed: "allow-all-egress"},
		{name: "Calico in use, its policies written without bodies",
			events: []ev{{minute: 2, verb: "create", res: "networkpolicies", group: "projectcalico.org", ns: "shop", name: "deny", level: "Metadata"}},
			kind:   "Calico NetworkPolicy", row: true, status: coverage.StatusMetadataOnly, changed: "deny"},
		{name: "an AdminNetworkPolicy",
			events: []ev{{minute: 2, verb: "create", res: "adminnetworkpolicies", group: "policy.networking.k8s.io", name: "cluster-deny",
				resp: j(`{"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"cluster-deny"},"spec":{"priority":10}}`)}},
			kind: "AdminNetworkPolicy", row: true, status: coverage.StatusOK, changed: "cluster-deny"},
		{name: "no Calico in the trail: not required, no gap",
			kind: "Calico NetworkPolicy", row: false},
		{name: "no Calico in the trail but --require: never audited",
			opts: Options{Require: kindsOfT("networkpolicies.projectcalico.org")},
			kind: "Calico NetworkPolicy", row: true, status: coverage.StatusNeverAudited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, tc.opts, append(append([]ev(nil), base...), tc.events...)...)
			var row *coverage.Coverage
			for i := range r.Coverage {
				if r.Coverage[i].Kind == tc.kind {
					row = &r.Coverage[i]
				}
			}
			if (row != nil) != tc.row {
				t.Fatalf("coverage row %s: %v, want %v (gaps: %s)", tc.kind, row != nil, tc.row, gapTypes(r))
			}
			if row != nil && row.Status != tc.status {
				t.Errorf("%s: status %s, want %s", tc.kind, row.Status, tc.status)
			}
			if row != nil && tc.status != coverage.StatusOK && r.Verdict != coverage.VerdictGaps {
				t.Errorf("verdict %s with %s %s", r.Verdict, tc.kind, tc.status)
			}
			if !tc.row {
				for _, g := range r.Gaps {
					if g.Group == "projectcalico.org" {
						t.Errorf("a gap about a kind the cluster does not use: %+v", g)
					}
				}
			}
			if tc.changed != "" {
				found := false
				for _, res := range r.Resources {
					found = found || res.Name == tc.changed && len(res.History) == 1
				}
				if !found {
					t.Errorf("no history of %s", tc.changed)
				}
			}
		})
	}
}

func kindsOfT(s ...string) []audit.Kind {
	var out []audit.Kind
	for _, x := range s {
		k, err := audit.ParseKind(x)
		if err != nil {
			panic(err)
		}
		out = append(out, k)
	}
	return out
}
