package coverage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/history"
)

// PolicyCheck is the result of evaluating audit policy files with the API server's own
// policy evaluator (audit.LoadPolicy) for every required kind, write verb and
// representative user (audit.PolicyUsers).
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
		f.Error = audit.UnwrapPath(err).Error() // the file's name is in Source already
		return f
	}
	sum := sha256.Sum256(data)
	f.SHA256 = hex.EncodeToString(sum[:])
	p, err := audit.LoadPolicy(data)
	if err != nil {
		f.Error = err.Error()
		return f
	}
	f.Rules, f.Note = p.Rules, p.Note
	f.Pass = true
	for _, req := range reqs {
		k := req.Kinds[0]
		for _, verb := range PolicyVerbs {
			for _, u := range audit.PolicyUsers {
				d := p.Decide(k, verb, u)
				c := PolicyCell{Kind: req.Kind, Group: k.Group, Resource: k.Resource, Verb: verb, User: u.Label,
					Level: d.Level, OmitStages: d.OmitStages, Pass: true}
				switch {
				case audit.LevelRank(d.Level) < audit.LevelRank("RequestResponse"):
					c.Pass = false
					c.Reason = "level " + c.Level + " is below RequestResponse: " + levelLoss(c.Level)
				case slices.Contains(d.OmitStages, audit.StageResponseComplete):
					c.Pass = false
					c.Reason = "the ResponseComplete stage is omitted: the outcome and the stored object are never logged"
				}
				if !c.Pass {
					f.Pass = false
				}
				f.Cells = append(f.Cells, c)
			}
		}
	}
	return f
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
  # Each API server renews its own identity lease (apiserver-<hash> in kube-system) every
  # 10 s, and logs the renewal itself: a heartbeat in every server's own log that shows it
  # was up and logging, so a log that stops early or starts late is found; a lease deleted by
  # another server shows one that left the cluster. Without bodies: who and when is enough.
  # A policy cannot match names by prefix, so kube-system's leader-election leases come too.
  - level: Metadata
    verbs: ["create", "update", "patch", "delete"]
    namespaces: ["kube-system"]
    resources:
      - group: "coordination.k8s.io"
        resources: ["leases"]
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
		if dup {
			continue
		}
		req := Requirement{Kind: history.KindName(k.Resource), Kinds: []audit.Kind{k}}
		for _, c := range ConditionalRequirements {
			if slices.Contains(c.Kinds, k) {
				// Required everywhere now, under its own name, either group covering it.
				req = c
				req.Conditional = false
			}
		}
		reqs = append(reqs, req)
	}
	return reqs
}
