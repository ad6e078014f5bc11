package report

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/history"
)

// Object states in a State.
const (
	// StateKnown: the trail shows the whole object as the API server stored it.
	StateKnown = "known"
	// StatePartial: the trail shows the object, but not all of it (the status after a
	// status write logged without bodies; an object known only as it was sent).
	StatePartial = "partial"
	// StateUnknown: the object exists, but the trail does not show what it held (a write
	// logged at Metadata level, a delete that may have been a dry run).
	StateUnknown = "unknown"
)

// Annotations that mark an object of a State that is not known whole.
const (
	StateAnnotation       = "auditreport.io/state"
	StateReasonAnnotation = "auditreport.io/state-reason"
)

// State is what the trail says the objects of the in-scope kinds were at one instant: the
// question an investigator asks ("which network policies applied at 02:13 yesterday?").
// It lists only objects the trail (or a snapshot) shows; one never written in the logs
// and not in a snapshot cannot be listed.
type State struct {
	At      time.Time     `json:"at"`
	Objects []StateObject `json:"objects"`
	// Events counts the in-scope writes replayed (those at or before At).
	Events                  int64 `json:"events"`
	Known, Partial, Unknown int
	// TrailEnd is the time of the last event the inputs hold, zero when they hold none.
	TrailEnd time.Time `json:"trailEnd,omitempty"`
	// Warnings say what the state cannot show: an instant after the trail's end, whose
	// objects may have changed since.
	Warnings []string `json:"warnings,omitempty"`
}

// StateObject is one object of a State.
type StateObject struct {
	Group, Resource, Namespace, Name string
	// State is StateKnown, StatePartial or StateUnknown; Reason says why it is not known.
	State, Reason string
	// Object is the object as the trail shows it, managedFields left out; for an unknown
	// one, only what identifies it. The state annotations are set on it.
	Object map[string]any
}

// StateAt replays the in-scope writes up to and including at, and returns the objects as
// they then were. Snapshots, kinds and redaction are taken from opts; Period is ignored.
func StateAt(ctx context.Context, sources []audit.Source, opts Options, at time.Time) (*State, error) {
	kinds := opts.Kinds
	if len(kinds) == 0 {
		kinds = DefaultKinds
	}
	scope := audit.NewScope(kinds...)
	rd := audit.NewReader(ctx, sources, audit.Options{Scope: scope, WritesOnly: true, Strict: opts.Strict,
		MaxLineBytes: opts.MaxLineBytes, Progress: opts.Progress, Window: opts.Window})
	defer rd.Close()
	// Noise is kept: a state is the whole object, not the part a diff shows.
	t := history.New(history.Options{Noise: true, Redact: !opts.ShowSecrets, SpillAbove: -1})
	if _, err := t.LoadSnapshots(opts.Snapshots, scope); err != nil {
		return nil, err
	}
	st := &State{At: at.UTC()}
	var tq ties
	apply := func(d decoded) {
		st.Events++
		t.Add(d.ev, d.resp, false)
	}
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		d := decoded{ev: ev, at: ev.Time()}
		if d.at.After(at) {
			continue
		}
		if !ev.BodiesDropped {
			d.resp = history.Body(ev)
		}
		tq.push(d, apply)
	}
	tq.flush(apply)
	for _, in := range rd.Inputs() {
		if in.LastEvent.After(st.TrailEnd) {
			st.TrailEnd = in.LastEvent.UTC()
		}
	}
	if !st.TrailEnd.IsZero() && at.After(st.TrailEnd) {
		// The trail stops before the instant: what it shows is the state at its end.
		d := at.Sub(st.TrailEnd)
		if d >= time.Second {
			d = d.Round(time.Second)
		}
		st.Warnings = append(st.Warnings, fmt.Sprintf("the trail ends at %s, %s before %s: the logs read hold no write after it, so the objects may have changed since",
			st.TrailEnd.Format(time.RFC3339Nano), d, st.At.Format(time.RFC3339Nano)))
	}
	for _, o := range t.Objects() {
		k := o.Key()
		so := StateObject{Group: k.Group, Resource: k.Resource, Namespace: k.Namespace, Name: k.Name}
		body := o.Content()
		switch {
		case body == nil:
			so.State, so.Reason = StateUnknown, o.Unknown()
			if so.Reason == "" {
				so.Reason = "the trail does not show its content"
			}
			body = o.Skeleton()
			st.Unknown++
		case o.Partial() != "":
			so.State, so.Reason = StatePartial, o.Partial()
			st.Partial++
		default:
			so.State = StateKnown
			st.Known++
		}
		if m, ok := body["metadata"].(map[string]any); ok {
			delete(m, "managedFields")
		}
		if !opts.ShowSecrets {
			body, _ = history.Redact(body).(map[string]any)
		}
		if so.State != StateKnown {
			body = withStateAnnotations(body, so.State, so.Reason)
		}
		so.Object = body
		st.Objects = append(st.Objects, so)
	}
	return st, nil
}

// withStateAnnotations returns body with the state annotations set, copying what it changes.
func withStateAnnotations(body map[string]any, state, reason string) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		out[k] = v
	}
	meta := map[string]any{}
	if m, ok := body["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	ann := map[string]any{}
	if a, ok := meta["annotations"].(map[string]any); ok {
		for k, v := range a {
			ann[k] = v
		}
	}
	ann[StateAnnotation] = state
	if reason != "" {
		ann[StateReasonAnnotation] = reason
	}
	meta["annotations"] = ann
	out["metadata"] = meta
	return out
}

// List returns the state as a kubectl List (apiVersion v1, kind List), ready to encode as
// JSON or YAML.
func (s *State) List() map[string]any {
	items := make([]any, 0, len(s.Objects))
	for _, o := range s.Objects {
		items = append(items, o.Object)
	}
	return map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{}, "items": items}
}

// Summary says in one line what the state holds; Warnings say what it cannot show.
func (s *State) Summary() string {
	return fmt.Sprintf("%d object(s) at %s: %d known, %d partial, %d unknown, from %d write(s)",
		len(s.Objects), s.At.Format(time.RFC3339Nano), s.Known, s.Partial, s.Unknown, s.Events)
}
