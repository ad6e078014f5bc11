package audit

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	k8saudit "k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

func init() {
	// The policy loader logs through klog when it falls back to lenient decoding; a library
	// prints nothing, and the caller says what it needs to.
	klog.SetLogger(logr.Discard())
}

// Policy is an audit policy loaded the way kube-apiserver loads --audit-policy-file, ready
// to say what it logs of a request.
type Policy struct {
	// Rules is the number of rules.
	Rules int
	// Note says how the file was read when that was not as written (an old apiVersion).
	Note string
	eval k8saudit.PolicyRuleEvaluator
}

// PolicyUser is a kind of requester a policy may treat differently.
type PolicyUser struct {
	Label string
	Info  user.DefaultInfo
}

// PolicyUsers are the representative requesters: a person, a controller's service account,
// a kubelet, and a cluster admin.
var PolicyUsers = []PolicyUser{
	{"person", user.DefaultInfo{Name: "alice@example.com", Groups: []string{"developers", "system:authenticated"}}},
	{"serviceaccount", user.DefaultInfo{Name: "system:serviceaccount:kube-system:replicaset-controller", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}},
	{"node", user.DefaultInfo{Name: "system:node:node-1", Groups: []string{"system:nodes", "system:authenticated"}}},
	{"system:masters", user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}},
}

var oldAuditVersion = regexp.MustCompile(`(?m)^(\s*apiVersion:\s*["']?)audit\.k8s\.io/(v1beta1|v1alpha1)(["']?\s*(#.*)?)$`)

// LoadPolicy reads an audit Policy (YAML or JSON) with k8s.io/apiserver's own loader. Files
// written as audit.k8s.io/v1beta1 or v1alpha1 have the v1 schema; current API servers no
// longer load them, so they are read as v1 and Note says so. The error says in words why a
// document is not a policy at all (a list of rules, a ConfigMap) before the loader would.
func LoadPolicy(data []byte) (*Policy, error) {
	p := &Policy{}
	if m := oldAuditVersion.FindSubmatch(data); m != nil {
		p.Note = "written as audit.k8s.io/" + string(m[2]) + ", which current API servers no longer load; checked as audit.k8s.io/v1"
		data = oldAuditVersion.ReplaceAll(data, []byte("${1}audit.k8s.io/v1${3}"))
	}
	if err := notAPolicy(data); err != nil {
		return nil, err
	}
	loaded, err := policy.LoadPolicyFromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("not an audit policy the API server would load: %s", strings.TrimSpace(err.Error()))
	}
	p.Rules = len(loaded.Rules)
	p.eval = policy.NewPolicyRuleEvaluator(loaded)
	return p, nil
}

func notAPolicy(data []byte) error {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not YAML or JSON: %w", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("a list, not a Policy document (a fragment of rules?): the API server loads a whole audit.k8s.io/v1 Policy")
	}
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	if kind != "Policy" || !strings.HasPrefix(apiVersion, "audit.k8s.io/") {
		return fmt.Errorf("kind %q, apiVersion %q: not an audit.k8s.io/v1 Policy", kind, apiVersion)
	}
	return nil
}

// Decision is what a policy logs of one request: its level (None when no rule matches) and
// the stages it leaves out, sorted.
type Decision struct {
	Level      string
	OmitStages []string
}

// Decide evaluates the policy for a write (or any verb) of kind by u, on an object named
// "example" in namespace "shop" (cluster-scoped kinds have none; a create names no object),
// exactly as the API server's evaluator would for that request.
func (p *Policy) Decide(k Kind, verb string, u PolicyUser) Decision {
	ns, name := "shop", "example"
	if k.Group == "" && k.Resource == "namespaces" || ClusterScoped[k.Resource] {
		ns = ""
	}
	if verb == "create" {
		name = ""
	}
	return p.DecideOn(k, verb, ns, name, u)
}

// DecideOn evaluates the policy for a request of kind by u on the object named name in
// namespace ns ("" for cluster-scoped kinds; no name for a create).
func (p *Policy) DecideOn(k Kind, verb, ns, name string, u PolicyUser) Decision {
	info := u.Info
	attrs := authorizer.AttributesRecord{User: &info, Verb: verb, Namespace: ns, APIGroup: k.Group, APIVersion: "v1",
		Resource: k.Resource, Name: name, ResourceRequest: true, Path: requestPath(k, ns, name)}
	rc := p.eval.EvaluatePolicyRule(attrs)
	d := Decision{Level: string(rc.Level)}
	if d.Level == "" {
		d.Level = string(auditinternal.LevelNone)
	}
	for _, s := range rc.OmitStages {
		d.OmitStages = append(d.OmitStages, string(s))
	}
	sort.Strings(d.OmitStages)
	return d
}

// ClusterScoped lists the cluster-scoped resources among the kinds auditreport knows.
var ClusterScoped = map[string]bool{"namespaces": true, "globalnetworkpolicies": true, "globalnetworksets": true, "tiers": true, "stagedglobalnetworkpolicies": true,
	"adminnetworkpolicies": true, "baselineadminnetworkpolicies": true}

func requestPath(k Kind, ns, name string) string {
	p := "/api/v1"
	if k.Group != "" {
		p = "/apis/" + k.Group + "/v1"
	}
	if ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + k.Resource
	if name != "" {
		p += "/" + name
	}
	return p
}
