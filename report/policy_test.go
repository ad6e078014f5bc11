package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
)

// Every real policy in testdata/realdata/policies, checked with the API server's evaluator,
// gives what its authors meant it to.
func TestPolicyCheckOnRealPolicies(t *testing.T) {
	dir := filepath.Join("..", "testdata", "realdata", "policies")
	tests := []struct {
		file string
		pass bool
		// failing resources, and the level they get, when the policy fails
		levels map[string]string
		err    string
		why    string
	}{
		{file: "gce-configure-helper-rendered-policy.yaml", pass: true,
			why: "GCE's default logs writes to known API groups at RequestResponse; its lower levels are for reads, events and status"},
		{file: "strrl-dashboard-audit-policy.yaml", pass: true, why: "RequestResponse for every group"},
		{file: "k8s-website-audit-policy.yaml", levels: map[string]string{"namespaces": "Request", "serviceaccounts": "Request", "endpoints": "Request", "networkpolicies": "Metadata"},
			why: "the documentation's example logs pods at RequestResponse, the rest of the core group at Request and everything else at Metadata"},
		{file: "falco-plugins-k8saudit-audit-policy.yaml", levels: map[string]string{"namespaces": "Request", "serviceaccounts": "Request", "endpoints": "Request", "networkpolicies": "Metadata"},
			why: "Falco's policy is built on the documentation's example"},
		{file: "audit2rbac-demo-policy.yaml", levels: map[string]string{"pods": "None", "namespaces": "None", "serviceaccounts": "None", "endpoints": "None", "networkpolicies": "None"},
			why: "its one rule logs a single demo user; everyone else is not audited"},
		{file: "openshift-library-go/testdata__writerequestbodies.yaml", pass: true, why: "OpenShift's WriteRequestBodies profile logs writes with bodies"},
		{file: "openshift-library-go/testdata__allrequestbodies.yaml", pass: true, why: "AllRequestBodies logs every request with bodies"},
		{file: "openshift-library-go/testdata__multipleCr.yaml", pass: true, why: "custom rules on top of WriteRequestBodies"},
		{file: "openshift-library-go/testdata__default.yaml", levels: map[string]string{"pods": "Metadata", "namespaces": "Metadata", "serviceaccounts": "Metadata", "endpoints": "Metadata", "networkpolicies": "Metadata"},
			why: "OpenShift's Default profile logs no bodies at all"},
		{file: "openshift-library-go/testdata__none.yaml", levels: map[string]string{"pods": "None", "networkpolicies": "None"}, why: "the None profile turns auditing off"},
		{file: "openshift-library-go/testdata__oauth.yaml", levels: map[string]string{"pods": "None"}, why: "the oauth-server's policy covers only its own kinds"},
		{file: "openshift-library-go/manifests__base-policy.yaml", levels: map[string]string{"pods": "None"}, why: "the base every profile is appended to: its rules only exclude noise"},
		{file: "openshift-library-go/manifests__default-rules.yaml", err: "a list, not a Policy", why: "a fragment of rules, not a policy"},
		{file: "openshift-library-go/manifests__none-rules.yaml", err: "a list, not a Policy", why: "a fragment of rules, not a policy"},
		{file: "openshift-library-go/manifests__writerequestbodies-rules.yaml", err: "a list, not a Policy", why: "a fragment of rules, not a policy"},
		{file: "openshift-library-go/manifests__allrequestbodies-rules.yaml", err: "a list, not a Policy", why: "a fragment of rules, not a policy"},
		{file: "openshift-library-go/testdata__audit-policies-cm-scenario-1.yaml", err: `kind "ConfigMap"`, why: "a ConfigMap holding policies"},
	}
	// Every policy file there is stated here.
	all, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if n := len(all) + len(more); n != len(tests) {
		t.Errorf("%d policy files in %s, %d stated here", n, dir, len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			pc := coverage.CheckPolicies([]string{filepath.Join(dir, tc.file)}, coverage.DefaultRequirements)
			f := pc.Files[0]
			if tc.err != "" {
				if !strings.Contains(f.Error, tc.err) || f.Pass || pc.Pass {
					t.Fatalf("want error %q (%s), got %q pass %v", tc.err, tc.why, f.Error, f.Pass)
				}
				return
			}
			if f.Error != "" {
				t.Fatalf("error: %s", f.Error)
			}
			if f.Pass != tc.pass || pc.Pass != tc.pass {
				t.Errorf("pass = %v, want %v: %s", f.Pass, tc.pass, tc.why)
			}
			if len(f.Cells) != 5*len(coverage.PolicyVerbs)*len(audit.PolicyUsers) {
				t.Errorf("%d cells", len(f.Cells))
			}
			for _, c := range f.Cells {
				want, listed := tc.levels[c.Resource]
				switch {
				case listed && (c.Level != want || c.Pass):
					t.Errorf("%s %s by %s: level %s pass %v, want %s (%s)", c.Verb, c.Resource, c.User, c.Level, c.Pass, want, tc.why)
				case !listed && tc.pass && !c.Pass:
					t.Errorf("%s %s by %s fails: %s", c.Verb, c.Resource, c.User, c.Reason)
				case !c.Pass && c.Reason == "":
					t.Errorf("a failing cell without a reason: %+v", c)
				}
			}
		})
	}
}

// The recommended policy passes the check, with and without the optional kinds.
func TestRecommendedPolicyPasses(t *testing.T) {
	for _, o := range []coverage.PolicyOptions{{}, {EndpointSlices: true, Calico: true}} {
		path := filepath.Join(t.TempDir(), "policy.yaml")
		os.WriteFile(path, coverage.RecommendedPolicy(o), 0o644)
		reqs := coverage.DefaultRequirements
		if o.Calico {
			reqs = coverage.RequirementsFor(kindsOf(t, "endpointslices.discovery.k8s.io", "networkpolicies.projectcalico.org", "globalnetworkpolicies.crd.projectcalico.org"))
		}
		pc := coverage.CheckPolicies([]string{path}, reqs)
		if pc.Files[0].Error != "" {
			t.Fatalf("%+v: %s", o, pc.Files[0].Error)
		}
		for _, c := range pc.Files[0].Cells {
			if !c.Pass {
				t.Errorf("%+v: %s %s by %s: %s", o, c.Verb, c.Resource, c.User, c.Reason)
			}
		}
	}
}

// A policy that omits ResponseComplete fails even at RequestResponse; an old apiVersion is
// read as v1 and noted.
func TestPolicyCellRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(path, []byte(`apiVersion: audit.k8s.io/v1beta1
kind: Policy
rules:
- level: RequestResponse
  omitStages: ["ResponseComplete"]
  resources: [{group: "networking.k8s.io", resources: ["networkpolicies"]}]
- level: RequestResponse
`), 0o644)
	f := coverage.CheckPolicies([]string{path}, coverage.DefaultRequirements).Files[0]
	if !strings.Contains(f.Note, "v1beta1") || f.Error != "" {
		t.Fatalf("note %q error %q", f.Note, f.Error)
	}
	for _, c := range f.Cells {
		np := c.Resource == "networkpolicies"
		if c.Pass == np || (np && !strings.Contains(c.Reason, "ResponseComplete")) {
			t.Errorf("%s %s by %s: pass %v, %s", c.Verb, c.Resource, c.User, c.Pass, c.Reason)
		}
	}
}

// --policy cross-checks with the logs: a kind the policy audits but no input recorded.
func TestPolicyNotDeployed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(path, coverage.RecommendedPolicy(coverage.PolicyOptions{}), 0o644)
	r := buildFiles(t, Options{Policies: []string{path}}, dirFiles("logs/gaps/never-audited", 3)...)
	g := hasGap(r, coverage.GapPolicyNotDeployed, coverage.SeverityError)
	if g == nil || g.Resource != "networkpolicies" || r.Policy == nil || !r.Policy.Pass {
		t.Fatalf("gaps %s, policy %+v", gapTypes(r), r.Policy)
	}
	r = buildFiles(t, Options{Policies: []string{filepath.Join("..", "testdata", "realdata", "policies", "k8s-website-audit-policy.yaml")}}, dirFiles("logs/ha-3-nodes", 3)...)
	if g := hasGap(r, coverage.GapPolicyInsufficient, coverage.SeverityError); g == nil || r.Verdict != coverage.VerdictGaps {
		t.Errorf("an insufficient policy gives no gap: %s", gapTypes(r))
	}
}

func kindsOf(t *testing.T, names ...string) []audit.Kind {
	t.Helper()
	var out []audit.Kind
	for _, n := range names {
		k, err := audit.ParseKind(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// The recommended policy logs each API server's identity lease renewals at Metadata, the
// heartbeat the presence rule reads, and leaves the kubelets' node leases out.
func TestRecommendedPolicyLogsIdentityLeases(t *testing.T) {
	p, err := audit.LoadPolicy(coverage.RecommendedPolicy(coverage.PolicyOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	apiserver := audit.PolicyUsers[3] // the API server's loopback user is in system:masters
	leases := audit.Kind{Group: "coordination.k8s.io", Resource: "leases"}
	for _, verb := range []string{"create", "update", "delete"} {
		if d := p.DecideOn(leases, verb, "kube-system", "apiserver-kd6sl5bkm2y6hd3oydsxvkynha", apiserver); d.Level != "Metadata" {
			t.Errorf("%s of an identity lease logged at %s, want Metadata", verb, d.Level)
		}
	}
	kubelet := audit.PolicyUsers[2]
	if d := p.DecideOn(leases, "update", "kube-node-lease", "node-1", kubelet); d.Level != "None" {
		t.Errorf("a node lease renewal logged at %s, want None", d.Level)
	}
}
