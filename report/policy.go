package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"

	"github.com/auditreport/auditreport/audit"
)

func init() {
	// The policy loader logs through klog when it falls back to lenient decoding; that
	// becomes a note in the check instead of a line on stderr.
	klog.SetLogger(logr.Discard())
}

// PolicyCheck is the result of evaluating audit policy files with the API server's own
// policy evaluator (k8s.io/apiserver/pkg/audit/policy) for every required kind, write verb
// and representative user.
type PolicyCheck struct {
	Pass  bool         `json:"pass"`
	Files []PolicyFile `json:"files"`
}

// PolicyFile is one policy file's result.
type PolicyFile struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256,omitempty"`
	// Error is set when the file is not a policy the API server would load.
	Error string `json:"error,omitempty"`
	// Note says how the file was read when that was not as written (an old apiVersion).
	Note  string       `json:"note,omitempty"`
	Rules int          `json:"rules,omitempty"`
	Pass  bool         `json:"pass"`
	Cells []PolicyCell `json:"cells,omitempty"`
}

// PolicyCell is the level a policy gives one request.
type PolicyCell struct {
	Kind       string   `json:"kind"`
	Group      string   `json:"group"`
	Resource   string   `json:"resource"`
	Verb       string   `json:"verb"`
	User       string   `json:"user"`
	Level      string   `json:"level"`
	OmitStages []string `json:"omitStages,omitempty"`
	Pass       bool     `json:"pass"`
	// Reason says why a cell fails.
	Reason string `json:"reason,omitempty"`
}

// PolicyVerbs are the write verbs every required kind must be audited for.
var PolicyVerbs = []string{"create", "update", "patch", "delete"}

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

// CheckPolicies evaluates each file for the requirements.
func CheckPolicies(paths []string, reqs []Requirement) *PolicyCheck {
	pc := &PolicyCheck{Pass: len(paths) > 0}
	for _, p := range paths {
		f := checkPolicy(p, reqs)
		if !f.Pass {
			pc.Pass = false
		}
		pc.Files = append(pc.Files, f)
	}
	return pc
}

func checkPolicy(path string, reqs []Requirement) PolicyFile {
	f := PolicyFile{Source: path}
	data, err := os.ReadFile(path)
	if err != nil {
		f.Error = unwrapPath(err).Error()
		return f
	}
	sum := sha256.Sum256(data)
	f.SHA256 = hex.EncodeToString(sum[:])
	// audit.k8s.io/v1beta1 and v1alpha1 policies have the v1 schema; the API server dropped
	// them in 1.24, so read them as v1 and say so.
	if m := oldAuditVersion.FindSubmatch(data); m != nil {
		f.Note = "written as audit.k8s.io/" + string(m[2]) + ", which current API servers no longer load; checked as audit.k8s.io/v1"
		data = oldAuditVersion.ReplaceAll(data, []byte("${1}audit.k8s.io/v1${3}"))
	}
	if msg := notAPolicy(data); msg != "" {
		f.Error = msg
		return f
	}
	p, err := policy.LoadPolicyFromBytes(data)
	if err != nil {
		f.Error = "not an audit policy the API server would load: " + strings.TrimSpace(err.Error())
		return f
	}
	f.Rules = len(p.Rules)
	f.Cells = evaluate(p, reqs)
	f.Pass = true
	for _, c := range f.Cells {
		if !c.Pass {
			f.Pass = false
		}
	}
	return f
}

// notAPolicy tells, in words, why a document is not an audit Policy at all, before the
// loader's decoding errors would.
func notAPolicy(data []byte) string {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "not YAML or JSON: " + err.Error()
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return "a list, not a Policy document (a fragment of rules?): the API server loads a whole audit.k8s.io/v1 Policy"
	}
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	if kind != "Policy" || !strings.HasPrefix(apiVersion, "audit.k8s.io/") {
		return fmt.Sprintf("kind %q, apiVersion %q: not an audit.k8s.io/v1 Policy", kind, apiVersion)
	}
	return ""
}

// evaluate runs the policy for every required kind, verb and user.
func evaluate(p *auditinternal.Policy, reqs []Requirement) []PolicyCell {
	ev := policy.NewPolicyRuleEvaluator(p)
	var out []PolicyCell
	for _, req := range reqs {
		k := req.Kinds[0]
		for _, verb := range PolicyVerbs {
			for _, u := range PolicyUsers {
				info := u.Info
				ns, name := "shop", "example"
				if k.Group == "" && k.Resource == "namespaces" || clusterScoped[k.Resource] {
					ns = ""
				}
				if verb == "create" {
					name = ""
				}
				attrs := authorizer.AttributesRecord{User: &info, Verb: verb, Namespace: ns, APIGroup: k.Group, APIVersion: "v1",
					Resource: k.Resource, Name: name, ResourceRequest: true, Path: requestPath(k, ns, name)}
				rc := ev.EvaluatePolicyRule(attrs)
				c := PolicyCell{Kind: req.Kind, Group: k.Group, Resource: k.Resource, Verb: verb, User: u.Label, Level: string(rc.Level)}
				if c.Level == "" {
					c.Level = string(auditinternal.LevelNone)
				}
				for _, s := range rc.OmitStages {
					c.OmitStages = append(c.OmitStages, string(s))
				}
				sort.Strings(c.OmitStages)
				c.Pass = true
				switch {
				case rc.Level.Less(auditinternal.LevelRequestResponse):
					c.Pass = false
					c.Reason = "level " + c.Level + " is below RequestResponse: " + levelLoss(c.Level)
				case omits(rc.OmitStages, auditinternal.StageResponseComplete):
					c.Pass = false
					c.Reason = "the ResponseComplete stage is omitted: the outcome and the stored object are never logged"
				}
				out = append(out, c)
			}
		}
	}
	return out
}

func levelLoss(level string) string {
	switch level {
	case "None":
		return "these requests are not logged at all"
	case "Metadata":
		return "who changed it is logged, but not what changed"
	}
	return "the request is logged but not the stored object, so patches cannot be diffed"
}

func omits(stages []auditinternal.Stage, s auditinternal.Stage) bool {
	for _, x := range stages {
		if x == s {
			return true
		}
	}
	return false
}

// clusterScoped lists cluster-scoped resources among the kinds auditreport knows.
var clusterScoped = map[string]bool{"namespaces": true, "globalnetworkpolicies": true, "globalnetworksets": true, "tiers": true, "stagedglobalnetworkpolicies": true}

func requestPath(k audit.Kind, ns, name string) string {
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

// policyGaps turns a failing policy into gaps, and cross-checks it with the logs: a kind the
// policy audits with bodies that no input ever recorded means the policy is not the one
// deployed where the logs come from.
func policyGaps(pc *PolicyCheck, cov []Coverage, reqs []Requirement) []Gap {
	var out []Gap
	for _, f := range pc.Files {
		if f.Error != "" {
			out = append(out, Gap{Type: GapPolicyInsufficient, Severity: SeverityError, Source: f.Source,
				Message: fmt.Sprintf("%s: %s", f.Source, f.Error), Remediation: "give the audit policy file passed to kube-apiserver as --audit-policy-file"})
			continue
		}
		failing := map[string][]string{}
		for _, c := range f.Cells {
			if !c.Pass {
				key := c.Group + "/" + c.Resource
				failing[key] = append(failing[key], c.Verb+" by "+c.User+" ("+c.Level+")")
			}
		}
		for i, req := range reqs {
			k := req.Kinds[0]
			if cells := failing[k.Group+"/"+k.Resource]; len(cells) > 0 {
				out = append(out, Gap{Type: GapPolicyInsufficient, Severity: SeverityError, Group: k.Group, Resource: k.Resource, Source: f.Source,
					Count:       int64(len(cells)),
					Message:     fmt.Sprintf("%s audits %d write(s) to %s below RequestResponse: %s", f.Source, len(cells), k, summarize(cells)),
					Remediation: ruleFor(req)})
				continue
			}
			if i < len(cov) && cov[i].Status == StatusNeverAudited {
				out = append(out, Gap{Type: GapPolicyNotDeployed, Severity: SeverityError, Group: k.Group, Resource: k.Resource, Source: f.Source,
					Message:     fmt.Sprintf("%s audits writes to %s with bodies, but no input recorded any event of it: this policy is not the one in use where the logs come from", f.Source, k),
					Remediation: "deploy this policy with --audit-policy-file on every control-plane node, or give the logs of the servers that use it"})
			}
		}
	}
	return out
}

func summarize(cells []string) string {
	if len(cells) <= 3 {
		return strings.Join(cells, ", ")
	}
	return strings.Join(cells[:3], ", ") + fmt.Sprintf(" and %d more", len(cells)-3)
}

// PolicyOptions say what the recommended policy covers.
type PolicyOptions struct {
	// EndpointSlices adds discovery.k8s.io endpointslices, Endpoints' successor.
	EndpointSlices bool
	// Calico adds Calico's policy kinds in projectcalico.org and crd.projectcalico.org.
	Calico bool
}

// RecommendedPolicy returns an audit policy that passes the check: the required kinds'
// writes at RequestResponse, their reads and everything else at lower levels so that the
// log stays small.
func RecommendedPolicy(o PolicyOptions) []byte {
	var b bytes.Buffer
	b.WriteString(`# Audit policy recommended by auditreport (auditreport policy generate).
# Use it with kube-apiserver --audit-policy-file on every control-plane node.
# The first matching rule decides, so the rules for the kinds network policy depends on come
# first: every write to them is logged with request and response bodies.
apiVersion: audit.k8s.io/v1
kind: Policy
# RequestReceived adds an event per request without the outcome; ResponseComplete carries it.
omitStages:
  - "RequestReceived"
rules:
  # Writes to the kinds network policy depends on, with bodies: who changed what, and how.
  - level: RequestResponse
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
    resources:
      - group: ""
        resources: ["pods", "pods/binding", "pods/eviction", "pods/ephemeralcontainers", "namespaces", "namespaces/finalize", "serviceaccounts", "endpoints"]
      - group: "networking.k8s.io"
        resources: ["networkpolicies"]
`)
	if o.EndpointSlices {
		b.WriteString(`      - group: "discovery.k8s.io"
        resources: ["endpointslices"]
`)
	}
	if o.Calico {
		b.WriteString(`      - group: "projectcalico.org"
        resources: ["networkpolicies", "globalnetworkpolicies", "networksets", "globalnetworksets", "stagednetworkpolicies", "stagedglobalnetworkpolicies", "tiers"]
      - group: "crd.projectcalico.org"
        resources: ["networkpolicies", "globalnetworkpolicies", "networksets", "globalnetworksets", "stagednetworkpolicies", "stagedglobalnetworkpolicies", "tiers"]
`)
	}
	b.WriteString(`  # Status churn from kubelets and controllers: who and when is enough.
  - level: Metadata
    resources:
      - group: ""
        resources: ["pods/status", "namespaces/status"]
  # Secrets, tokens and config maps can hold credentials: never log their bodies.
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: "authentication.k8s.io"
        resources: ["tokenreviews"]
  # High-volume reads and health checks add nothing to an audit trail.
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"]
  - level: None
    resources:
      - group: ""
        resources: ["events"]
      - group: "coordination.k8s.io"
        resources: ["leases"]
  # Reads of the required kinds: who looked, without bodies.
  - level: Metadata
    verbs: ["get", "list", "watch"]
  # Every other write, with the request: enough to see what was asked.
  - level: Request
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  # Anything else.
  - level: Metadata
`)
	return b.Bytes()
}

// RequirementsFor returns the default requirements plus kinds given by resource.group.
func RequirementsFor(extra []audit.Kind) []Requirement {
	reqs := append([]Requirement(nil), DefaultRequirements...)
	for _, k := range extra {
		dup := false
		for _, r := range reqs {
			for _, rk := range r.Kinds {
				if rk == k {
					dup = true
				}
			}
		}
		if !dup {
			reqs = append(reqs, Requirement{Kind: kindName(k.Resource), Kinds: []audit.Kind{k}})
		}
	}
	return reqs
}
