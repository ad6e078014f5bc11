package audit

import (
	"container/heap"
	"context"
	"io"
	"time"
)

// DefaultWindow is how far events may stand out of order within one source (a request is
// logged when it completes, not when it arrives) and how long an auditID is remembered for
// de-duplication. Writes time out after 60 s by default, so five minutes is ample.
const DefaultWindow = 5 * time.Minute

// Merged counts what merging did to the stream.
type Merged struct {
	// Delivered is the number of events Next returned.
	Delivered int64
	// Duplicates counts exact repeats of an event already seen (the same request and stage,
	// as in a rotated and a current file).
	Duplicates int64
	// Superseded counts earlier stages dropped for a later stage of the same request.
	Superseded int64
	// OutOfOrder counts events that arrived later than the window allows; they are delivered
	// where they arrive, not where their time would place them.
	OutOfOrder int64
}

// Reader reads a set of sources as one stream: ordered by the time each request was
// received, one event per request (its final stage), exact repeats removed.
//
//	r := audit.NewReader(ctx, sources, audit.Options{Scope: scope, WritesOnly: true})
//	defer r.Close()
//	for {
//		ev, err := r.Next()
//		if err == io.EOF { break }
//		...
//	}
//	inputs := r.Inputs()
type Reader struct {
	ctx     context.Context
	cancel  context.CancelFunc
	opts    Options
	window  time.Duration
	sources []Source
	states  []*sourceState
	started bool
	err     error

	pending   eventHeap
	byID      map[string]*entry
	recent    map[string]delivered // auditID -> what was delivered under it
	recentQ   []recentID
	frontier  time.Time // latest time delivered
	merged    Merged
	serialSeq int64
}

type sourceState struct {
	ch    chan []*Event
	batch []*Event
	done  bool
	input Input
	err   error
}

type entry struct {
	ev    *Event
	key   time.Time
	n     int64 // arrival order, for ties
	dead  bool
	index int
}

type delivered struct {
	rank  int
	stage time.Time
}

type recentID struct {
	id  string
	key time.Time
}

// NewReader returns a Reader over sources. Reading starts with the first call to Next.
func NewReader(ctx context.Context, sources []Source, opts Options) *Reader {
	ctx, cancel := context.WithCancel(ctx)
	w := opts.Window
	if w <= 0 {
		w = DefaultWindow
	}
	return &Reader{ctx: ctx, cancel: cancel, opts: opts, window: w, sources: sources,
		byID: map[string]*entry{}, recent: map[string]delivered{}}
}

func (r *Reader) start() {
	r.started = true
	for _, src := range r.sources {
		st := &sourceState{ch: make(chan []*Event, 2)}
		r.states = append(r.states, st)
		go func(src Source, st *sourceState) {
			sr := &sourceReader{ctx: r.ctx, src: src, opts: &r.opts, out: st.ch, batch: make([]*Event, 0, batchSize), names: interner{}}
			st.err = sr.read()
			st.input = sr.in
			close(st.ch)
		}(src, st)
	}
}

// head returns the next event of a source, receiving its next batch when needed, or nil when
// the source is exhausted.
func (r *Reader) head(st *sourceState) *Event {
	for len(st.batch) == 0 {
		if st.done {
			return nil
		}
		b, ok := <-st.ch
		if !ok {
			st.done = true
			if st.err != nil && r.err == nil {
				r.err = st.err
			}
			return nil
		}
		st.batch = b
	}
	return st.batch[0]
}

// Next returns the next event of the merged stream, or io.EOF after the last one. With
// Options.Strict, the first problem in any source ends the stream with a *ParseError.
func (r *Reader) Next() (*Event, error) {
	if !r.started {
		r.start()
	}
	for {
		if r.err != nil {
			return nil, r.err
		}
		// The earliest head among sources bounds what can still arrive.
		var minState *sourceState
		var minTime time.Time
		for _, st := range r.states {
			ev := r.head(st)
			if r.err != nil {
				return nil, r.err
			}
			if ev == nil {
				continue
			}
			// Equal times go by source name, not by the order the sources were given
			// in, so that the merged stream does not depend on that order.
			if t := ev.Time(); minState == nil || t.Before(minTime) || (t.Equal(minTime) && ev.Source < minState.batch[0].Source) {
				minState, minTime = st, t
			}
		}
		if e := r.ready(minState == nil, minTime); e != nil {
			return e, nil
		}
		if minState == nil {
			return nil, io.EOF
		}
		ev := minState.batch[0]
		minState.batch[0] = nil
		minState.batch = minState.batch[1:]
		r.add(ev)
	}
}

// ready pops the earliest pending event if nothing that can still arrive may precede it.
func (r *Reader) ready(drained bool, minHead time.Time) *Event {
	safe := minHead.Add(-r.window)
	for r.pending.Len() > 0 {
		top := r.pending[0]
		if top.dead {
			heap.Pop(&r.pending)
			continue
		}
		if !drained && !top.key.Before(safe) {
			return nil
		}
		heap.Pop(&r.pending)
		ev := top.ev
		if id := ev.AuditID; id != "" {
			delete(r.byID, id)
			r.recent[id] = delivered{rank: stageRank(ev.Stage), stage: ev.StageTime}
			r.recentQ = append(r.recentQ, recentID{id: id, key: top.key})
		}
		if top.key.After(r.frontier) {
			r.frontier = top.key
		}
		r.forget()
		r.merged.Delivered++
		return ev
	}
	return nil
}

// forget drops remembered auditIDs older than the window behind the frontier.
func (r *Reader) forget() {
	limit := r.frontier.Add(-2 * r.window)
	n := 0
	for n < len(r.recentQ) && r.recentQ[n].key.Before(limit) {
		delete(r.recent, r.recentQ[n].id)
		n++
	}
	if n > 0 {
		r.recentQ = append(r.recentQ[:0], r.recentQ[n:]...)
	}
}

// add takes an event into the pending set, keeping one event per request.
func (r *Reader) add(ev *Event) {
	key := ev.Time()
	if id := ev.AuditID; id != "" {
		rank := stageRank(ev.Stage)
		if old, ok := r.byID[id]; ok {
			oldRank := stageRank(old.ev.Stage)
			switch {
			case rank > oldRank:
				old.dead = true
				r.merged.Superseded++
			case rank < oldRank:
				r.merged.Superseded++
				return
			case sameRequest(old.ev, ev):
				r.merged.Duplicates++
				// Keep the copy from the first source by name, whatever the arrival
				// order, so that the event's source is the same however files are given.
				if before(ev, old.ev) {
					old.ev = ev
				}
				return
			default:
				// The same auditID on a different event: clients may set the Audit-ID
				// header themselves, so an ID alone does not prove a repeat. Keep both.
			}
		} else if d, ok := r.recent[id]; ok {
			switch {
			case rank < d.rank:
				r.merged.Superseded++
				return
			case rank == d.rank && d.stage.Equal(ev.StageTime):
				r.merged.Duplicates++
				return
			}
			// A later stage of a request already delivered: rare (a request longer than
			// the window). Deliver it too; it carries the outcome.
		}
	}
	if !key.IsZero() && key.Before(r.frontier) {
		r.merged.OutOfOrder++
	}
	r.serialSeq++
	e := &entry{ev: ev, key: key, n: r.serialSeq}
	heap.Push(&r.pending, e)
	if ev.AuditID != "" {
		r.byID[ev.AuditID] = e
	}
}

// before orders two events by where they were read: source name, then line.
func before(a, b *Event) bool {
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Line < b.Line
}

// sameRequest tells an exact repeat (the same line in a rotated and a current file, or the
// same event exported twice) from a different event that reuses an auditID.
func sameRequest(a, b *Event) bool {
	return a.Stage == b.Stage && a.StageTime.Equal(b.StageTime) && a.RequestReceived.Equal(b.RequestReceived) &&
		a.Verb == b.Verb && a.RequestURI == b.RequestURI && a.User.Username == b.User.Username
}

// Inputs returns the evidence of every source, in source order. It is complete once Next
// has returned io.EOF.
func (r *Reader) Inputs() []Input {
	out := make([]Input, len(r.states))
	for i, st := range r.states {
		out[i] = st.input
	}
	return out
}

// Merged returns the merge counters.
func (r *Reader) Merged() Merged { return r.merged }

// Close stops reading and releases the sources.
func (r *Reader) Close() {
	r.cancel()
	for _, st := range r.states {
		for range st.ch {
		}
	}
}

type eventHeap []*entry

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.key.Equal(b.key) {
		return a.key.Before(b.key)
	}
	if !a.ev.StageTime.Equal(b.ev.StageTime) {
		return a.ev.StageTime.Before(b.ev.StageTime)
	}
	if a.ev.AuditID != b.ev.AuditID {
		return a.ev.AuditID < b.ev.AuditID
	}
	if before(a.ev, b.ev) || before(b.ev, a.ev) {
		return before(a.ev, b.ev)
	}
	return a.n < b.n
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *eventHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
