// Package posture says what the changes in an audit trail did to network-policy protection:
// which pods (Calico's "endpoints") NetworkPolicies selected over the report period, which
// were exposed to the internet or to other namespaces, since when, and by whose change. It
// keeps the meaning of the columns of Calico Enterprise's inventory and network-access
// reports, and adds what they lacked: how long each pod was unprotected, the changes that
// made it so, and unknown where the trail cannot tell.
package posture

import (
	"encoding/json"
	"time"
)

// Tri is a verdict the trail may not be able to give: "true", "false" or "unknown".
type Tri string

// Verdicts.
const (
	True    Tri = "true"
	False   Tri = "false"
	Unknown Tri = "unknown"
)

func tri(b bool) Tri {
	if b {
		return True
	}
	return False
}

// Posture is the network-policy posture of the pods in scope over the report period.
type Posture struct {
	Summary Summary `json:"summary"`
	// Scope is the scope the counts are over, as given.
	Scope Scope `json:"scope"`
	// Endpoints has a row per pod in scope that lived in the period, unprotected and
	// exposed ones first, unless the rows went to disk: read them with Rows.
	Endpoints  []Endpoint  `json:"endpoints"`
	Namespaces []Namespace `json:"namespaces"`
	Services   []Service   `json:"services"`
	// NotEvaluated lists policies of kinds whose semantics are not evaluated (Calico's,
	// AdminNetworkPolicy): they could protect or expose a pod, so the verdicts they could
	// change are unknown.
	NotEvaluated []PolicyRef `json:"notEvaluated,omitempty"`
	// UnknownPolicies are NetworkPolicies whose spec the trail does not show at some time in
	// the period (older than the logs without --snapshot, or written at Metadata level).
	UnknownPolicies []PolicyRef `json:"unknownPolicies,omitempty"`
	// End is where the posture's account closes: the period's end, the logs' last event
	// when none was given, or the report's time for a period still running. TrailEnd is
	// where the trail ends when the period runs on well after it: the pods alive then are
	// unknown from there on. A report read back draws the same chart from them.
	End      *time.Time `json:"end,omitempty"`
	TrailEnd *time.Time `json:"trailEnd,omitempty"`
	// OlderNamespaces are the namespaces of pods in scope that are older than the trail (it
	// does not show their creation) when no snapshot lists the policies: a NetworkPolicy
	// made in one before the logs begin would not show, so what the policies seen leave
	// unprotected or closed there is unknown.
	OlderNamespaces []string `json:"olderNamespaces,omitempty"`
	// LostPolicies are NetworkPolicies written in a namespace whose policies should all be
	// in the trail (it was created in it, or a snapshot lists them), but never created there:
	// a write to each was lost, and the verdicts before it may be wrong.
	LostPolicies []PolicyRef `json:"lostPolicies,omitempty"`
	// ScopeUnknown names the labels the scope selects by that the trail does not show, for
	// the pods left out for want of them (Summary.EndpointsNumScopeUnknown).
	ScopeUnknown []string `json:"scopeUnknown,omitempty"`

	rows *endpointRows // the rows, when they went to disk: read them with Rows
	// policiesSeen is whether any NetworkPolicy reached the engine, written or as a state.
	policiesSeen bool
}

// PoliciesSeen is whether the trail showed the engine any NetworkPolicy at all. Without one,
// a pod is unprotected only if the trail could have shown a policy (the kind is audited).
func (p *Posture) PoliciesSeen() bool { return p.policiesSeen }

// Scope selects the pods the posture is about, as Calico's GlobalReport did; empty fields
// select everything.
type Scope struct {
	Namespaces             []string `json:"namespaces,omitempty"`
	NamespaceSelector      string   `json:"namespaceSelector,omitempty"`
	Selector               string   `json:"selector,omitempty"`
	ServiceAccounts        []string `json:"serviceAccounts,omitempty"`
	ServiceAccountSelector string   `json:"serviceAccountSelector,omitempty"`
	ClusterCIDRs           []string `json:"clusterCIDRs,omitempty"`
}

// Summary counts as Calico's reports named them, and what they lacked.
type Summary struct {
	EndpointsNumInScope                   int `json:"endpointsNumInScope"`
	EndpointsNumIngressProtected          int `json:"endpointsNumIngressProtected"`
	EndpointsNumEgressProtected           int `json:"endpointsNumEgressProtected"`
	EndpointsNumIngressFromInternet       int `json:"endpointsNumIngressFromInternet"`
	EndpointsNumEgressToInternet          int `json:"endpointsNumEgressToInternet"`
	EndpointsNumIngressFromOtherNamespace int `json:"endpointsNumIngressFromOtherNamespace"`
	EndpointsNumEgressToOtherNamespace    int `json:"endpointsNumEgressToOtherNamespace"`
	NamespacesNumInScope                  int `json:"namespacesNumInScope"`
	NamespacesNumIngressProtected         int `json:"namespacesNumIngressProtected"`
	NamespacesNumEgressProtected          int `json:"namespacesNumEgressProtected"`
	ServiceAccountsNumInScope             int `json:"serviceAccountsNumInScope"`
	ServicesNumInScope                    int `json:"servicesNumInScope"`
	ServicesNumIngressProtected           int `json:"servicesNumIngressProtected"`
	ServicesNumEgressProtected            int `json:"servicesNumEgressProtected"`
	// Policy audit: configuration changes to policies of every kind in the period.
	NumCreatedPolicies  int `json:"numCreatedPolicies"`
	NumModifiedPolicies int `json:"numModifiedPolicies"`
	NumDeletedPolicies  int `json:"numDeletedPolicies"`
	// What Calico lacked: pods unprotected at some time in the period, and verdicts the
	// trail cannot give.
	EndpointsNumIngressUnprotected int `json:"endpointsNumIngressUnprotected"`
	EndpointsNumEgressUnprotected  int `json:"endpointsNumEgressUnprotected"`
	EndpointsNumIngressUnknown     int `json:"endpointsNumIngressUnknown"`
	EndpointsNumEgressUnknown      int `json:"endpointsNumEgressUnknown"`
	// EndpointsNumUnnamed counts the pods created in the period whose name the trail does
	// not show (a generateName create whose bodies were not logged): they cannot be
	// followed, so they are in no other count, and their protection is unknown.
	EndpointsNumUnnamed int `json:"endpointsNumUnnamed,omitempty"`
	// EndpointsNumScopeUnknown counts the pods left out of the scope only because a selector
	// of it selects by labels the trail does not show (Posture.ScopeUnknown names them).
	EndpointsNumScopeUnknown int `json:"endpointsNumScopeUnknown,omitempty"`
}

// Endpoint is one pod over the period. The first columns are Calico's, with its meaning:
// protected only if protected for all of its life in the period, an exposure if it held at
// any moment, from the policies that applied.
type Endpoint struct {
	Endpoint                  string   `json:"endpoint"` // namespace/name
	IngressProtected          Tri      `json:"ingressProtected"`
	EgressProtected           Tri      `json:"egressProtected"`
	EnvoyEnabled              Tri      `json:"envoyEnabled"`
	AppliedPolicies           []string `json:"appliedPolicies"`
	Services                  []string `json:"services"`
	IngressFromInternet       Tri      `json:"ingressFromInternet"`
	EgressToInternet          Tri      `json:"egressToInternet"`
	IngressFromOtherNamespace Tri      `json:"ingressFromOtherNamespace"`
	EgressToOtherNamespace    Tri      `json:"egressToOtherNamespace"`

	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// From and To bound the pod's life inside the period.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Seconds of its life in the period without an ingress (egress) policy, and with the
	// answer unknown.
	IngressUnprotectedSeconds float64 `json:"ingressUnprotectedSeconds"`
	EgressUnprotectedSeconds  float64 `json:"egressUnprotectedSeconds"`
	IngressUnknownSeconds     float64 `json:"ingressUnknownSeconds"`
	EgressUnknownSeconds      float64 `json:"egressUnknownSeconds"`
	// UnprotectedSince is when the pod last lost (or started without) protection in a
	// direction it lacked at the end, if it did.
	IngressUnprotectedSince *time.Time `json:"ingressUnprotectedSince,omitempty"`
	EgressUnprotectedSince  *time.Time `json:"egressUnprotectedSince,omitempty"`
	// Transitions are the moments its protection or exposure changed, with the change that
	// caused it.
	Transitions []Transition `json:"transitions,omitempty"`
	// Unknown says why a verdict is unknown.
	Unknown []string `json:"unknown,omitempty"`
}

// Transition is one change of a pod's protection or exposure.
type Transition struct {
	Time time.Time `json:"time"`
	// Direction is ingress or egress.
	Direction string `json:"direction"`
	// What is the new value: protected, unprotected, unknown, exposed-to-internet,
	// exposed-to-other-namespaces, open-to-internet, open-to-other-namespaces;
	// or gone, the pod deleted: a next life of the name starts with a transition for every
	// verdict it has, protected too.
	What string `json:"what"`
	// The change that caused it: the object written and by whom. Cause is empty at the start
	// of the period or of the pod's life.
	Object string `json:"object,omitempty"` // Kind namespace/name
	User   string `json:"user,omitempty"`
	// ImpersonatedBy is who made the request as User, when it impersonated User.
	ImpersonatedBy string          `json:"impersonatedBy,omitempty"`
	Verb           string          `json:"verb,omitempty"`
	AuditID        string          `json:"auditID,omitempty"`
	Diff           json.RawMessage `json:"diff,omitempty"`
	// FirstSeen marks the start of a pod's life in the trail at a write that did not create
	// it (the trail did not show its creation): the write is named, but the pod was as it is
	// before it, since a time the trail does not show.
	FirstSeen bool `json:"firstSeen,omitempty"`
	// Since is set on a transition at the start of the period that a write before it
	// caused: the write is named, and Since is when it was made.
	Since *time.Time `json:"since,omitempty"`
}

// Namespace is one namespace with pods in scope: protected only if all its pods were.
type Namespace struct {
	Namespace          string `json:"namespace"`
	IngressProtected   Tri    `json:"ingressProtected"`
	EgressProtected    Tri    `json:"egressProtected"`
	Endpoints          int    `json:"endpoints"`
	IngressUnprotected int    `json:"ingressUnprotected"`
	EgressUnprotected  int    `json:"egressUnprotected"`
}

// Service is one service with pods in scope (from its Endpoints), protected only if all its
// pods were.
type Service struct {
	Service          string `json:"service"` // namespace/name
	IngressProtected Tri    `json:"ingressProtected"`
	EgressProtected  Tri    `json:"egressProtected"`
	Endpoints        int    `json:"endpoints"`
}

// PolicyRef names a policy object.
type PolicyRef struct {
	Kind      string `json:"kind"`
	Group     string `json:"group"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Reason    string `json:"reason,omitempty"`
}
