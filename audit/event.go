// Package audit reads Kubernetes API server audit logs from every place a user keeps them and
// turns them into one time-ordered stream of de-duplicated events.
//
// A typical input line, as kube-apiserver writes it with --audit-log-path:
//
//	{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"7f0c…",
//	 "stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
//	 "verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies",…},…}
//
// The same events also arrive pretty-printed, as webhook EventList batches, JSON arrays, YAML,
// and wrapped in the exports of managed clusters (EKS CloudWatch, AKS diagnostics, GKE Cloud
// Logging, OpenShift must-gather). A Reader recognises each of them per source and per line.
package audit

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Event is one audit event, reduced to what auditreport uses. Bodies stay raw JSON until a
// diff needs them.
type Event struct {
	Level            string
	AuditID          string
	Stage            string
	RequestURI       string
	Verb             string
	User             UserInfo
	ImpersonatedUser *UserInfo
	SourceIPs        []string
	UserAgent        string
	ObjectRef        *ObjectRef
	ResponseStatus   *Status
	RequestObject    json.RawMessage
	ResponseObject   json.RawMessage
	// RequestReceived and StageTime are in UTC. Events from audit.k8s.io/v1beta1 carry only
	// "timestamp", which fills both. A zero value means the event had no usable time.
	RequestReceived time.Time
	StageTime       time.Time
	Annotations     map[string]string

	// Source is the input the event came from, Line its line number there (for values that
	// span lines, the line where the value starts).
	Source string
	Line   int
	// Node names the API server that wrote the event when the input says so (an OpenShift
	// must-gather prefix, an EKS log stream, an AKS pod); empty otherwise.
	Node string
	// BodiesDropped is set when the log says bodies were removed: the truncation annotation,
	// or an AKS "skipped-too-big-size-object" placeholder.
	BodiesDropped bool
}

// UserInfo is the authenticated or impersonated identity of a request.
type UserInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// ObjectRef names the object a request was about.
type ObjectRef struct {
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Subresource     string `json:"subresource,omitempty"`
}

// Status is the part of the response status an audit event carries.
type Status struct {
	Code    int32  `json:"code,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Time is the moment the event stands for in the merged stream: when the request was
// received, which all stages of one request share.
func (e *Event) Time() time.Time {
	if !e.RequestReceived.IsZero() {
		return e.RequestReceived
	}
	return e.StageTime
}

// Code is the HTTP status of the response, 0 when the event has none (RequestReceived).
func (e *Event) Code() int32 {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Actor is the user the request acted as: the impersonated user when there is one.
func (e *Event) Actor() string {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return e.ImpersonatedUser.Username
	}
	return e.User.Username
}

// DryRun reports whether the request asked for a dry run: dryRun in its URI (create, update,
// patch, and delete when asked so), or in the DeleteOptions body of a delete, where kubectl
// delete --dry-run=server and client-go put it. A delete logged without its body cannot
// tell, and counts as no dry run.
func (e *Event) DryRun() bool {
	if _, q, ok := strings.Cut(e.RequestURI, "?"); ok {
		if v, err := url.ParseQuery(q); err == nil && v.Get("dryRun") != "" {
			return true
		}
	}
	if (e.Verb != "delete" && e.Verb != "deletecollection") || !bytes.Contains(e.RequestObject, []byte(`"dryRun"`)) {
		return false
	}
	var opts struct {
		DryRun []string `json:"dryRun"`
	}
	return json.Unmarshal(e.RequestObject, &opts) == nil && len(opts.DryRun) > 0
}

// Resource and the other accessors below return the objectRef field, or "" without one.
func (e *Event) Resource() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Resource
}

// Group returns the API group of the object ("" for the core group).
func (e *Event) Group() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.APIGroup
}

// Subresource returns the subresource of the request, such as "status".
func (e *Event) Subresource() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Subresource
}

// Stages of a request, in the order the API server logs them.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// stageRank orders stages so that a final stage supersedes earlier ones of the same request.
func stageRank(stage string) int {
	switch stage {
	case StageRequestReceived:
		return 1
	case StageResponseStarted:
		return 2
	case StageResponseComplete, StagePanic:
		return 3
	}
	return 0
}

// Levels, lowest first.
var levels = []string{"None", "Metadata", "Request", "RequestResponse"}

// LevelRank orders audit levels: None < Metadata < Request < RequestResponse. Unknown levels
// rank lowest.
func LevelRank(level string) int {
	for i, l := range levels {
		if l == level {
			return i
		}
	}
	return -1
}

// WriteVerbs are the verbs that can change an object.
var WriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// IsWrite reports whether verb can change an object.
func IsWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}
