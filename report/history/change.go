package history

import (
	"strings"
	"time"

	"github.com/auditreport/auditreport/internal/spill"
)

// Classes of a change.
const (
	// ClassConfiguration is a write to the object itself: what an auditor reviews.
	ClassConfiguration = "configuration"
	// ClassSubresource is a write to a subresource (pods/status, pods/binding,
	// namespaces/finalize, ...): mostly kubelet and controller churn, kept apart.
	ClassSubresource = "subresource"
	// ClassCollection is a deletecollection request, on a collection entry: a request, not
	// a change to any object. Each object it removed has a row of its own (class
	// configuration, deleted-by-collection), counted as deleted there.
	ClassCollection = "collection"
)

// Actions of a change.
const (
	ActionCreated           = "created"
	ActionModified          = "modified"
	ActionDeletionRequested = "deletion-requested" // deletionTimestamp set: graceful, or held by finalizers
	ActionDeleted           = "deleted"            // the object is gone
	ActionFinalized         = "finalized"          // the last finalizer was removed, so the object is gone
	ActionCollection        = "deleted-by-collection"
	ActionWithNamespace     = "deleted-with-namespace"
	ActionSubresource       = "subresource"
	// ActionDeleteCollection is the deletecollection request itself, on a collection entry.
	ActionDeleteCollection = "deletecollection"
)

// Baselines of a change: whether the state before it was known.
const (
	BaselineKnown   = "known"
	BaselineUnknown = "unknown"
)

// Resource is one object and its changes in the period. An entry with Collection set and
// no name stands for a collection (deletecollection requests).
type Resource struct {
	Kind       string `json:"kind"`
	Group      string `json:"group"`
	Resource   string `json:"resource"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	UID        string `json:"uid,omitempty"`
	Collection bool   `json:"collection,omitempty"`
	// History is the object's changes in order, unless they were spilled to disk: read
	// them with Changes, which serves both.
	History []Change `json:"history"`

	rows    *Rows       // the spilled histories, when History was spilled
	list    *spill.List // this object's rows in them
	index   int         // the resource's place in Report.Resources
	kindSet bool        // Kind came from a state, not from the resource's name
}

// Change is one write to an object that took effect, or one consequence of such a write
// (an object removed with its namespace).
type Change struct {
	Time             time.Time `json:"time"`
	Action           string    `json:"action"`
	Class            string    `json:"class"`
	Verb             string    `json:"verb"`
	Subresource      string    `json:"subresource,omitempty"`
	User             string    `json:"user"`
	Groups           []string  `json:"groups,omitempty"`
	ImpersonatedUser string    `json:"impersonatedUser,omitempty"`
	SourceIPs        []string  `json:"sourceIPs,omitempty"`
	UserAgent        string    `json:"userAgent,omitempty"`
	AuditID          string    `json:"auditID"`
	// ID is a short name of the row, from the auditID, that the documents print and the JSON
	// and CSV carry, so a row sampled from the PDF is found in them (see assignRowIDs).
	ID     string `json:"id,omitempty"`
	Code   int32  `json:"code,omitempty"`
	Level  string `json:"level"`
	Source string `json:"source"`
	Line   int    `json:"line,omitempty"`
	// Baseline says whether the state before the change was known; Diff compares with it.
	// With an unknown baseline Diff lists what the request set (op "set"), never a guess.
	Baseline string        `json:"baseline"`
	Diff     []FieldChange `json:"diff,omitempty"`
	// Note explains a change without a full diff (no bodies logged, bodies truncated) and
	// other particulars, in one sentence.
	Note string `json:"note,omitempty"`
}

// addNote adds a sentence to the change's note.
func (c *Change) addNote(s string) {
	if c.Note == "" {
		c.Note = s
		return
	}
	c.Note += "; " + s
}

// NoOp reports whether a configuration write took effect but changed no field: the state
// before and after it are both known and equal (noise such as managedFields aside). Such a
// write is counted apart (Summary.NoOp), not as a change.
func (c *Change) NoOp() bool {
	return noOp(c.Class, c.Action, c.Baseline, len(c.Diff), c.Note)
}

func noOp(class, action, baseline string, diffs int, note string) bool {
	return class == ClassConfiguration && action == ActionModified && baseline == BaselineKnown &&
		diffs == 0 && strings.Contains(note, noFieldChanged)
}

// noFieldChanged is the note the histories give a write that changed nothing.
const noFieldChanged = "no field changed"

// Actor returns who the change is attributed to: the impersonated user when there is one.
func (c *Change) Actor() string {
	if c.ImpersonatedUser != "" {
		return c.ImpersonatedUser
	}
	return c.User
}

// Actor returns who the attempt is attributed to: the impersonated user when there is one.
func (f *FailedAttempt) Actor() string {
	if f.ImpersonatedUser != "" {
		return f.ImpersonatedUser
	}
	return f.User
}

// FailedAttempt is a write the API server answered with an error: denied, invalid, or in
// conflict. Nothing changed, but an auditor wants to see it.
type FailedAttempt struct {
	Time             time.Time `json:"time"`
	Verb             string    `json:"verb"`
	Group            string    `json:"group"`
	Resource         string    `json:"resource"`
	Subresource      string    `json:"subresource,omitempty"`
	Namespace        string    `json:"namespace,omitempty"`
	Name             string    `json:"name,omitempty"`
	User             string    `json:"user"`
	ImpersonatedUser string    `json:"impersonatedUser,omitempty"`
	SourceIPs        []string  `json:"sourceIPs,omitempty"`
	UserAgent        string    `json:"userAgent,omitempty"`
	AuditID          string    `json:"auditID"`
	// ID is the row's short name, as for a Change.
	ID      string `json:"id,omitempty"`
	Code    int32  `json:"code"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Decision is the authorization.k8s.io/decision annotation, when logged.
	Decision string `json:"decision,omitempty"`
	Source   string `json:"source"`
	Line     int    `json:"line,omitempty"`
}

// KindSummary counts changes to one kind.
type KindSummary struct {
	Kind     string `json:"kind"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
	// Objects counts the objects named in the trail; Unnamed the creates whose object the
	// trail does not name (a generateName create without its response, a body without a
	// name): each made an object, which may be one named at a later write.
	Objects  int64 `json:"objects"`
	Unnamed  int64 `json:"unnamed"`
	Created  int64 `json:"created"`
	Modified int64 `json:"modified"`
	Deleted  int64 `json:"deleted"`
	// DeletionRequested counts deletions that set deletionTimestamp (graceful, or held by
	// finalizers): Created, Modified, Deleted and DeletionRequested sum to Changes.
	DeletionRequested  int64 `json:"deletionRequested"`
	Changes            int64 `json:"changes"`
	NoOp               int64 `json:"noOp"`
	SubresourceChanges int64 `json:"subresourceChanges"`
	FailedAttempts     int64 `json:"failedAttempts"`
	// DryRuns counts dry-run writes: nothing was stored, so they are neither changes nor
	// failed attempts.
	DryRuns int64 `json:"dryRuns"`
	// DeleteCollections counts deletecollection requests: not changes (the objects they
	// removed are, under Deleted).
	DeleteCollections int64 `json:"deleteCollections"`
}

// ActorSummary counts what one user did, attributed to the impersonated user when there is one.
type ActorSummary struct {
	User               string `json:"user"`
	Changes            int64  `json:"changes"`
	NoOp               int64  `json:"noOp"`
	SubresourceChanges int64  `json:"subresourceChanges"`
	FailedAttempts     int64  `json:"failedAttempts"`
	DryRuns            int64  `json:"dryRuns"`
	DeleteCollections  int64  `json:"deleteCollections"`
}
