// Package report holds the Report model, the one value every output format renders, and
// builds it from audit events. Its JSON tags are the public schema (docs/report-schema.md).
package report

import (
	"time"

	"github.com/auditreport/auditreport/audit"
)

// APIVersion and Kind identify the JSON document.
const (
	APIVersion = "auditreport/v1"
	Kind       = "ComplianceReport"
)

// Report is what auditreport found in a set of audit logs.
type Report struct {
	APIVersion  string    `json:"apiVersion"`
	Kind        string    `json:"kind"`
	GeneratedAt time.Time `json:"generatedAt"`
	Period      Period    `json:"period"`
	Cluster     string    `json:"cluster,omitempty"`
	Scope       []string  `json:"scope"`
	Inputs      []Input   `json:"inputs"`
	Summary     Summary   `json:"summary"`
	Warnings    []string  `json:"warnings,omitempty"`
}

// Period is the interval the report is about. A zero Start means "from the first event", a
// zero End "to the last event".
type Period struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
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
}

// Sample is one problem found in an input, with its line.
type Sample struct {
	Line    int    `json:"line"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Summary counts what the report rests on.
type Summary struct {
	// Events is the number of audit events read, over all inputs.
	Events int64 `json:"events"`
	// ScopedWrites counts write requests on in-scope kinds, one per request after merging.
	ScopedWrites int64 `json:"scopedWrites"`
	// InPeriod and Baseline split ScopedWrites by the period: baseline events come before it
	// and only give the state at its start.
	InPeriod int64 `json:"inPeriod"`
	Baseline int64 `json:"baseline"`
	// After counts scoped writes after the period's end, read and left out.
	After int64 `json:"after"`
	// Duplicates, Superseded and OutOfOrder come from merging the inputs.
	Duplicates int64 `json:"duplicates"`
	Superseded int64 `json:"superseded"`
	OutOfOrder int64 `json:"outOfOrder"`
	// Malformed counts input that could not be read, over all inputs.
	Malformed int64 `json:"malformed"`
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
		Nodes: in.Nodes, Error: in.Err,
	}
	for _, s := range in.Samples {
		out.Samples = append(out.Samples, Sample{Line: s.Line, Kind: s.Kind, Message: s.Message})
	}
	return out
}
