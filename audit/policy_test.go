package audit

import (
	"strings"
	"testing"
)

// The evaluator answers as the API server would: the first matching rule decides, users and
// groups narrow rules, and no match is level None.
func TestPolicyDecide(t *testing.T) {
	p, err := LoadPolicy([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["system:node:node-1"]
- level: Metadata
  resources: [{group: "", resources: ["pods/status"]}]
- level: RequestResponse
  verbs: ["create", "update", "patch", "delete"]
  resources: [{group: "networking.k8s.io", resources: ["networkpolicies"]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	np := Kind{Group: "networking.k8s.io", Resource: "networkpolicies"}
	person, node := PolicyUsers[0], PolicyUsers[2]
	if d := p.Decide(np, "patch", person); d.Level != "RequestResponse" || strings.Join(d.OmitStages, ",") != "RequestReceived" {
		t.Errorf("person patches a NetworkPolicy: %+v", d)
	}
	if d := p.Decide(np, "patch", node); d.Level != "None" {
		t.Errorf("the first rule (the node) decides: %+v", d)
	}
	if d := p.Decide(Kind{Resource: "pods"}, "create", person); d.Level != "None" {
		t.Errorf("no rule matches: %+v", d)
	}
	for doc, want := range map[string]string{
		"- level: None\n":                                        "a list",
		"apiVersion: v1\nkind: ConfigMap\n":                      `kind "ConfigMap"`,
		"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n": "0 rules",
	} {
		if _, err := LoadPolicy([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}
