package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/spill"
	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
)

// DefaultKinds are the kinds network policy depends on. NetworkPolicy is listed in both
// groups: the extensions one was removed in Kubernetes 1.16, and either covers the kind.
// The policy kinds of Calico and of the AdminNetworkPolicy API are in scope too (see
// ConditionalRequirements): a change to them is never read and then dropped.
var DefaultKinds = append([]audit.Kind{
	{Group: "", Resource: "pods"},
	{Group: "", Resource: "namespaces"},
	{Group: "", Resource: "serviceaccounts"},
	{Group: "", Resource: "endpoints"},
	{Group: "networking.k8s.io", Resource: "networkpolicies"},
	{Group: "extensions", Resource: "networkpolicies"},
}, coverage.ConditionalKinds()...)

// Options say what report to build.
type Options struct {
	Period  Period
	Cluster string
	// Kinds are the kinds in scope; empty means DefaultKinds.
	Kinds []audit.Kind
	// Strict fails on the first malformed input instead of counting it.
	Strict bool
	// Now is the generation time (honours SOURCE_DATE_EPOCH in the CLI).
	Now time.Time
	// MaxLineBytes bounds one input line; 0 means audit.DefaultMaxLineBytes.
	MaxLineBytes int
	// Window is how far behind the merged stream an event may arrive and still be put in
	// order; 0 means audit.DefaultWindow.
	Window time.Duration
	// Progress, when set, is updated while reading.
	Progress *audit.Progress
	// Snapshots are files of objects (kubectl get ... -o json) taken as the state before
	// the first event.
	Snapshots []string
	// Noise keeps managedFields, resourceVersion, generation, the last-applied annotation
	// and status of non-status writes in diffs.
	Noise bool
	// ShowSecrets turns off the redaction of env[].value and the last-applied annotation.
	ShowSecrets bool
	// Require adds kinds the trail must cover to DefaultRequirements (they are put in scope).
	Require []audit.Kind
	// Holes is the rule for time holes; zero fields take DefaultHoleRule's.
	Holes coverage.HoleRule
	// Policies are audit policy files to check and cross-check with the logs.
	Policies []string
	// Tool is recorded in the report as what made it.
	Tool Tool
	// Posture is the scope of the network-policy posture (empty: every pod).
	Posture posture.Scope
	// APIServers names the API servers the cluster has (nodes, or parts of their log paths);
	// APIServerCount says how many. A server expected with no input is a period-not-covered gap.
	APIServers     []string
	APIServerCount int
	// Evidence names the evidence manifest the run writes with the report (--evidence).
	Evidence *EvidenceRef
	// TmpDir is where histories go once they pass SpillAbove bytes in memory ("": the
	// system's temporary folder); a negative SpillAbove keeps them in memory, 0 means
	// history.DefaultSpillAbove. The report's Close releases what was written.
	TmpDir     string
	SpillAbove int
}

// decoded is an event with its response body decoded, on its way to the tracker.
type decoded struct {
	ev    *audit.Event
	at    time.Time
	phase int
	resp  any
}

// Where an event falls against the period.
const (
	phaseIn = iota
	phaseBaseline
	phaseAfter
)

// Build reads the sources and returns the report.
func Build(ctx context.Context, sources []audit.Source, opts Options) (_ *Report, err error) {
	kinds := opts.Kinds
	if len(kinds) == 0 {
		kinds = DefaultKinds
	}
	reqs := coverage.RequirementsFor(opts.Require)
	for _, r := range coverage.WithConditional(reqs) {
		kinds = append(kinds, r.Kinds...)
	}
	scope := audit.NewScope(kinds...)
	ropts := audit.Options{Scope: scope, WritesOnly: true, Strict: opts.Strict, MaxLineBytes: opts.MaxLineBytes, Progress: opts.Progress, Window: opts.Window}
	if opts.Period.Start != nil {
		ropts.From = *opts.Period.Start
	}
	if opts.Period.End != nil {
		ropts.To = *opts.Period.End
	}
	// A failure to keep the histories on disk stops the reading.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	rd := audit.NewReader(ctx, sources, ropts)
	defer rd.Close()

	rep := &Report{APIVersion: APIVersion, Kind: Kind, GeneratedAt: opts.Now.UTC(), Period: opts.Period, Cluster: opts.Cluster, Tool: opts.Tool}
	if rep.Tool.Name == "" {
		rep.Tool.Name = "auditreport"
	}
	for _, k := range scope.Kinds() {
		rep.Scope = append(rep.Scope, k.String())
	}
	t := history.New(history.Options{Noise: opts.Noise, Redact: !opts.ShowSecrets, TmpDir: opts.TmpDir, SpillAbove: opts.SpillAbove})
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	eng, err := posture.New(posture.Options{Start: timeOr(opts.Period.Start), End: timeOr(opts.Period.End), Scope: opts.Posture,
		TmpDir: opts.TmpDir, SpillAbove: opts.SpillAbove})
	if err != nil {
		return nil, err
	}
	listedPolicies, endPosture, finishPosture := feedPosture(t, eng)
	defer func() {
		// On an early return, the engine's goroutine ends too, and its rows are let go.
		if p := finishPosture(); err != nil {
			p.Close()
		}
	}()
	if rep.Snapshots, err = t.LoadSnapshots(opts.Snapshots, scope); err != nil {
		return nil, err
	}
	// A snapshot that lists NetworkPolicies ('kubectl get ...,networkpolicies -A') lists all
	// there were; one of pods alone says nothing of them.
	for _, s := range rep.Snapshots {
		if s.ListsPolicies {
			listedPolicies()
			break
		}
	}
	// Reading, decoding bodies and the tracker each run on a goroutine of their own, in a
	// pipeline of batches (the tracker must see events in order, and does: each stage
	// keeps it), so that the stages overlap on the cores whichever is the slowest.
	// A few batches in flight are enough to keep the stages busy; each holds decoded
	// bodies, so more would only hold memory.
	read := make(chan []decoded, 4)
	batches := make(chan []decoded, 4)
	go func() {
		defer close(batches)
		for batch := range read {
			for i := range batch {
				d := &batch[i]
				if d.phase != phaseAfter && !d.ev.BodiesDropped {
					d.resp = history.Body(d.ev)
				}
			}
			batches <- batch
		}
	}()
	var readErr error
	go func() {
		defer close(read)
		batch := make([]decoded, 0, 64)
		for {
			ev, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				break
			}
			d := decoded{ev: ev, at: ev.Time()}
			switch {
			case opts.Period.Start != nil && d.at.Before(*opts.Period.Start):
				d.phase = phaseBaseline
			case opts.Period.End != nil && !d.at.Before(*opts.Period.End):
				d.phase = phaseAfter
			}
			batch = append(batch, d)
			if len(batch) == cap(batch) {
				read <- batch
				batch = make([]decoded, 0, 64)
			}
		}
		if len(batch) > 0 {
			read <- batch
		}
	}()
	before := map[audit.Kind]coverage.BeforeCounts{} // writes before the period, per kind
	apply := func(d decoded) {
		rep.Summary.ScopedWrites++
		switch d.phase {
		case phaseBaseline:
			rep.Summary.Baseline++
			if ref := d.ev.ObjectRef; ref != nil {
				k := audit.Kind{Group: ref.APIGroup, Resource: ref.Resource}
				b := before[k]
				b.Writes++
				if audit.LevelRank(d.ev.Level) > audit.LevelRank(b.MaxLevel) {
					b.MaxLevel = d.ev.Level
				}
				before[k] = b
			}
			t.Add(d.ev, d.resp, false)
		case phaseAfter:
			rep.Summary.After++
		default:
			rep.Summary.InPeriod++
			t.Add(d.ev, d.resp, true)
		}
	}
	var tq ties
	for batch := range batches {
		for _, d := range batch {
			tq.push(d, apply)
		}
		if t.Err() != nil {
			stop()
		}
	}
	tq.flush(apply)
	if err := t.Err(); err != nil {
		return nil, spillError(err, opts.Progress, sources)
	}
	if readErr != nil {
		return nil, readErr
	}
	holes := opts.Holes
	if holes.Min <= 0 {
		holes.Min = coverage.DefaultHoleRule.Min
	}
	if holes.Factor <= 0 {
		holes.Factor = coverage.DefaultHoleRule.Factor
	}
	if holes.MinGaps <= 0 {
		holes.MinGaps = coverage.DefaultHoleRule.MinGaps
	}
	// The engine finishes while the tracker does. With no end given, the period is the logs'
	// own span: the posture runs to their last event. With an end the trail falls short of by
	// more than a hole (the period-not-covered gap), what comes after it is unknown.
	inputs := rd.Inputs()
	var trailEnd time.Time
	for _, in := range inputs {
		if in.LastEvent.After(trailEnd) {
			trailEnd = in.LastEvent
		}
	}
	endPosture(func(e *posture.Engine) {
		if !opts.Now.IsZero() {
			e.Now(opts.Now)
		}
		switch {
		case opts.Period.End == nil && opts.Period.Start != nil && !trailEnd.IsZero() && opts.Now.Sub(trailEnd) > holes.Min:
			// A period still running whose trail stopped well before now: the rest of it
			// is unknown, as the period-not-covered gap says.
			e.RunsTo(opts.Now)
			e.EndsAt(trailEnd)
		case opts.Period.End == nil:
			e.Through(trailEnd)
		case !trailEnd.IsZero() && opts.Period.End.Sub(trailEnd) > holes.Min:
			e.EndsAt(trailEnd)
		}
	})
	h, err := t.Finish()
	if err != nil {
		return nil, spillError(err, opts.Progress, sources)
	}
	// A failure from here on closes them with the tracker.
	rep.Resources, rep.FailedAttempts, rep.rows = h.Resources, h.Failed, h.Rows
	rep.Posture = finishPosture()
	if err := rep.Posture.Err(); err != nil {
		return nil, spillError(err, opts.Progress, sources)
	}
	s, n := &rep.Summary, h.Counts
	s.Changes, s.SubresourceChanges, s.FailedAttempts, s.Objects, s.NoOp = n.Changes, n.SubresourceChanges, n.FailedAttempts, n.Objects, n.NoOp
	s.DryRuns, s.UnknownBaseline, s.NoDiff, s.Kinds, s.Actors = n.DryRuns, n.UnknownBaseline, n.NoDiff, n.Kinds, n.Actors
	s.DeleteCollections, s.Unnamed = n.DeleteCollections, n.Unnamed
	for _, ks := range n.Kinds {
		if ks.Unnamed > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d create(s) of %s were logged without the name of the object they made: each is an object of its own, counted apart from the objects named (summary.unnamed), and may be one named at a later write", ks.Unnamed, audit.Kind{Group: ks.Group, Resource: ks.Resource}))
		}
	}
	if len(opts.Policies) > 0 {
		rep.Policy = coverage.CheckPolicies(opts.Policies, reqs)
	}
	m := rd.Merged()
	window := opts.Window
	if window <= 0 {
		window = audit.DefaultWindow
	}
	// The summary counts each kind's changes; no-ops are not among them.
	changes := map[audit.Kind]int64{}
	for _, ks := range n.Kinds {
		changes[audit.Kind{Group: ks.Group, Resource: ks.Resource}] = ks.Changes
	}
	cov := coverage.Check(coverage.Input{Inputs: inputs, Requirements: coverage.WithConditional(reqs), Start: opts.Period.Start, End: opts.Period.End,
		Now: opts.Now, Holes: holes, Policy: rep.Policy, OutOfOrder: m.OutOfOrder, Window: window,
		Expected: opts.APIServers, ExpectedN: opts.APIServerCount, Changes: changes, Unknown: n.Unknown, Resources: rep.Resources, Before: before, LostDeletions: n.LostDeletions})
	rep.Coverage, rep.Gaps, rep.Score, rep.Verdict, rep.APIServers = cov.Coverage, cov.Gaps, cov.Score, cov.Verdict, cov.APIServers
	rep.Summary.Duplicates, rep.Summary.Superseded, rep.Summary.OutOfOrder = m.Duplicates, m.Superseded, m.OutOfOrder
	rep.Summary.ConflictingRepeats = m.Conflicting
	if rep.Summary.Unchecked = m.Unchecked; m.Unchecked > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d event(s) came more than the merge window (%s) behind events already read and forgotten: any among them that another input also holds is counted twice in summary.events and the inputs' counts", m.Unchecked, window))
	}
	// Events read, each once: a rotated copy and the current file, or two exports, may
	// hold the same lines.
	rep.Summary.Events = m.Events
	for _, in := range inputs {
		ri := fromInput(in)
		rep.Inputs = append(rep.Inputs, ri)
		rep.Summary.Malformed += ri.Malformed
		if ri.Malformed > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %d unreadable value(s); see inputs[].samples", ri.Source, ri.Malformed))
		}
		if ri.Error != "" {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: stopped reading: %s", ri.Source, ri.Error))
		}
		if ri.Skipped != "" {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: skipped: %s", ri.Source, ri.Skipped))
		}
	}
	rep.Evidence = opts.Evidence
	rep.Statement = ScopeStatement(rep)
	addPosture(rep)
	return rep, nil
}

// timeOr is the time, or zero for nil.
func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// spillError says what the histories could not be kept on disk for and, when the disk was
// full, about how much space the whole input needs there, from how much of it was read when
// the disk filled.
func spillError(err error, progress *audit.Progress, sources []audit.Source) error {
	var se *spill.Error
	if !errors.As(err, &se) || !spill.NoSpace(err) {
		return err
	}
	total, read := audit.TotalSize(sources), int64(0)
	if progress != nil {
		read = progress.Bytes.Load()
	}
	need := se.Size
	if total > 0 && read > 0 && read < total {
		need = int64(float64(need) * float64(total) / float64(read))
	}
	return fmt.Errorf("%w; the whole input needs about %s there: free space or name another folder with --tmp-dir", err, units.Bytes(need))
}
