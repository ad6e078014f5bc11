// Package report holds the Report model, the one value every output format renders, and
// builds it from audit events: the histories come from report/history, the network-policy
// posture from report/posture, and the coverage, gaps and audit-policy check from here. Its
// JSON tags, and those of the types it takes from those packages, are the public schema
// (docs/report-schema.md).
package report

import (
	"cmp"
	"iter"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
)

// APIVersion and Kind identify the JSON document.
const (
	APIVersion = "auditreport/v2"
	Kind       = "ComplianceReport"
)

// ReadableVersions are the versions of the JSON document this version reads (auditreport
// render): v2 changed what some fields count (no-op writes are no changes; gaps hold the
// posture's findings) and added others, so a v1 report reads as it was written.
var ReadableVersions = []string{"auditreport/v1", APIVersion}

// Report is what auditreport found in a set of audit logs.
type Report struct {
	APIVersion  string    `json:"apiVersion"`
	Kind        string    `json:"kind"`
	GeneratedAt time.Time `json:"generatedAt"`
	Period      Period    `json:"period"`
	Cluster     string    `json:"cluster,omitempty"`
	// Tool is what made the report, and how it was invoked.
	Tool Tool `json:"tool"`
	// Digest is the SHA-256 of this document as JSON without the digest field, as
	// auditreport's JSON renderer writes it: "sha256:<hex>".
	Digest string   `json:"digest,omitempty"`
	Scope  []string `json:"scope"`
	Inputs []Input  `json:"inputs"`
	// Snapshots are the object files given as the state before the first event.
	Snapshots []history.Snapshot `json:"snapshots,omitempty"`
	// Verdict is pass when no gap of severity warning or error was found, else gaps.
	Verdict string `json:"verdict"`
	// Score says how much of the required coverage the inputs show.
	Score   coverage.Score `json:"score"`
	Summary Summary        `json:"summary"`
	// Coverage has a row per required kind; Gaps lists every way the trail is incomplete,
	// most severe first.
	Coverage []coverage.Coverage `json:"coverage"`
	Gaps     []coverage.Gap      `json:"gaps"`
	// Policy is the check of the --policy files, when given.
	Policy *coverage.PolicyCheck `json:"policy,omitempty"`
	// Resources holds every object with a change in the period, and its history.
	Resources []history.Resource `json:"resources"`
	// FailedAttempts are writes the API server refused: evidence, not changes. Nil when
	// they were kept on disk: Failed reads them either way.
	FailedAttempts []history.FailedAttempt `json:"failedAttempts"`
	// Posture says what the changes did to network-policy protection over the period.
	Posture *posture.Posture `json:"posture,omitempty"`
	// APIServers are the API servers expected and seen.
	APIServers *coverage.APIServers `json:"apiServers,omitempty"`
	// Statement says what the report covers (ScopeStatement), as every format shows it.
	Statement []ScopeLine `json:"statement,omitempty"`
	// Evidence names the evidence manifest written with the report, when one is.
	Evidence *EvidenceRef `json:"evidence,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`

	rows *history.Rows // the spilled histories, if any
}

// Tool names the program and command line that made a report.
type Tool struct {
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Commit  string   `json:"commit,omitempty"`
	Command []string `json:"command,omitempty"`
}

// Period is the interval the report is about. A zero Start means "from the first event", a
// zero End "to the last event".
type Period struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// TimeZone is the IANA time zone the period was given in (--timezone), when known.
	TimeZone string `json:"timeZone,omitempty"`
}

// Contains reports whether t falls in the period (start inclusive, end exclusive).
func (p Period) Contains(t time.Time) bool {
	if p.Start != nil && t.Before(*p.Start) {
		return false
	}
	if p.End != nil && !t.Before(*p.End) {
		return false
	}
	return true
}

// Input is the evidence about one source read.
type Input struct {
	Source     string           `json:"source"`
	SHA256     string           `json:"sha256"`
	Bytes      int64            `json:"bytes"`
	Compressed bool             `json:"compressed,omitempty"`
	Format     string           `json:"format"`
	Lines      int64            `json:"lines"`
	Events     int64            `json:"events"`
	Malformed  int64            `json:"malformed"`
	Problems   map[string]int64 `json:"problems,omitempty"`
	Samples    []Sample         `json:"samples,omitempty"`
	FirstEvent *time.Time       `json:"firstEvent,omitempty"`
	LastEvent  *time.Time       `json:"lastEvent,omitempty"`
	Nodes      []string         `json:"nodes,omitempty"`
	Error      string           `json:"error,omitempty"`
	// Skipped says why the input was not read: what a folder walk found and cannot read
	// (a FIFO, a device, a dangling or looping symlink), a file that is no audit log, or a
	// compressed copy of a file read instead.
	Skipped string `json:"skipped,omitempty"`
	// Notes say what rotation did to the file while it was read.
	Notes []string `json:"notes,omitempty"`
	// LostBytes are stretches of the file's content that no input held: a file truncated
	// under the reader (copytruncate) without its copy among the inputs.
	LostBytes []ByteRange `json:"lostBytes,omitempty"`
}

// ByteRange is a stretch of a file, in bytes from its start; To is -1 when not known.
type ByteRange struct {
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Why  string `json:"why"`
}

// Sample is one problem found in an input, with its line.
type Sample struct {
	Line    int    `json:"line"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Count is how many times the problem was found on the line, when more than once (a
	// line of several values, two bodies skipped).
	Count int `json:"count,omitempty"`
}

// Summary counts what the report rests on.
type Summary struct {
	// Events is the number of audit events read, over all inputs, an exact repeat (the
	// same request and stage in two inputs) once.
	Events int64 `json:"events"`
	// ScopedWrites counts write requests on in-scope kinds, one per request after merging.
	ScopedWrites int64 `json:"scopedWrites"`
	// InPeriod and Baseline split ScopedWrites by the period: baseline events come before it
	// and only give the state at its start.
	InPeriod int64 `json:"inPeriod"`
	Baseline int64 `json:"baseline"`
	// After counts scoped writes after the period's end, read and left out.
	After int64 `json:"after"`
	// Duplicates, Superseded and OutOfOrder come from merging the inputs' events.
	// Duplicates are the exact repeats of an event read, of every kind; ConflictingRepeats
	// the events with an event's audit ID, stage and times but other content, left out
	// (the inputs' samples say where). The inputs' events add up to Events and both.
	Duplicates         int64 `json:"duplicates"`
	ConflictingRepeats int64 `json:"conflictingRepeats"`
	Superseded         int64 `json:"superseded"`
	OutOfOrder         int64 `json:"outOfOrder"`
	// Unchecked counts the events among Events that could not be checked against the
	// events read long before (an input going back in time further than the merge window
	// after the first 200,000 events): a repeat among them is counted twice.
	Unchecked int64 `json:"unchecked,omitempty"`
	// Malformed counts input that could not be read, over all inputs.
	Malformed int64 `json:"malformed"`

	// Changes counts configuration changes in the period, SubresourceChanges subresource
	// writes, FailedAttempts refused writes, Objects the objects written to (with a
	// configuration change, a no-op or a subresource write) that the trail names. Unnamed
	// counts the creates whose object it does not name: each made an object, not among
	// Objects, which may be one named at a later write.
	Changes            int64 `json:"changes"`
	SubresourceChanges int64 `json:"subresourceChanges"`
	FailedAttempts     int64 `json:"failedAttempts"`
	Objects            int64 `json:"objects"`
	Unnamed            int64 `json:"unnamed"`
	// DryRuns counts dry-run writes in the period: nothing was stored, so they are not changes.
	DryRuns int64 `json:"dryRuns"`
	// DeleteCollections counts deletecollection requests in the period: a request, not a
	// change to any object; each object one removed is a change (deleted-by-collection).
	DeleteCollections int64 `json:"deleteCollections"`
	// UnknownBaseline counts the writes (changes, no-ops and subresource writes) whose
	// earlier state was not known: a diff holds only what the request set.
	UnknownBaseline int64 `json:"unknownBaseline"`
	// NoDiff counts writes (changes, no-ops, subresource writes) logged without the bodies a
	// diff needs (level Metadata, or bodies dropped).
	NoDiff int64 `json:"noDiff"`
	// NoOp counts configuration writes in the period that took effect but changed no field
	// (a patch that set what was already there): listed in the histories, not in Changes.
	NoOp int64 `json:"noOp"`

	Kinds  []history.KindSummary  `json:"kinds"`
	Actors []history.ActorSummary `json:"actors"`
}

func ptime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromInput(in audit.Input) Input {
	out := Input{
		Source: in.Source, SHA256: in.SHA256, Bytes: in.Bytes, Compressed: in.Compressed,
		Format: in.Format, Lines: in.Lines, Events: in.Events, Malformed: in.Lost(),
		Problems: in.Problems, FirstEvent: ptime(in.FirstEvent), LastEvent: ptime(in.LastEvent),
		Nodes: in.Nodes, Error: in.Err, Skipped: in.Skipped, Notes: in.Notes,
	}
	for _, b := range in.LostBytes {
		out.LostBytes = append(out.LostBytes, ByteRange{From: b.From, To: b.To, Why: b.Why})
	}
	for _, s := range in.Samples {
		smp := Sample{Line: s.Line, Kind: s.Kind, Message: s.Message}
		if s.Count > 1 {
			smp.Count = s.Count
		}
		out.Samples = append(out.Samples, smp)
	}
	return out
}

// Err is the first error met reading the report's spilled histories or posture rows back:
// a renderer that read them must not be trusted when it is set.
func (r *Report) Err() error { return cmp.Or(r.rows.Err(), r.Posture.Err()) }

// Failed yields the failed attempts in order, from FailedAttempts or from disk. One yielded
// is the caller's to keep; an error reading them back stops the iteration (Err).
func (r *Report) Failed() iter.Seq2[int, *history.FailedAttempt] {
	if r.FailedAttempts != nil {
		return func(yield func(int, *history.FailedAttempt) bool) {
			for i := range r.FailedAttempts {
				if !yield(i, &r.FailedAttempts[i]) {
					return
				}
			}
		}
	}
	return r.rows.Failed()
}

// FailedCount is how many failed attempts the report holds.
func (r *Report) FailedCount() int { return len(r.FailedAttempts) + r.rows.FailedLen() }

// SpilledBytes is the most of the temporary folder the histories and posture rows took: the
// largest each took at once, added (they are rewritten one after the other, so the folder
// held at most that). What to size a --tmp-dir volume by.
func (r *Report) SpilledBytes() int64 { return r.rows.Peak() + r.Posture.SpilledBytes() }

// Close releases the temporary files of the spilled histories and posture rows, if any.
func (r *Report) Close() error { return cmp.Or(r.rows.Close(), r.Posture.Close()) }
