package audit

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
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
	// Duplicates counts exact repeats of an event read, of every kind and verb: the same
	// request and stage with the same content, as in a rotated and a current file. Each
	// was read once, in Events.
	Duplicates int64
	// Conflicting counts the repeats of an event read whose content differs from the copy
	// read: the same auditID, stage, verb, URI, user and times, but another source IP,
	// response code or body. Each counts once, as the copy read first (by input name, then
	// line), in Events; the inputs' samples (ProblemConflictingRepeat) say where. The
	// inputs' events are Events, Duplicates and Conflicting together.
	Conflicting int64
	// Superseded counts earlier stages dropped for a later stage of the same request.
	Superseded int64
	// OutOfOrder counts events that arrived later than the window allows; they are delivered
	// where they arrive, not where their time would place them.
	OutOfOrder int64
	// Events counts the events read over all sources, of every kind and verb, an exact
	// repeat (the same request and stage in a rotated copy and the current file, or in two
	// exports) once.
	Events int64
	// Unchecked counts the events among Events that could not be checked for being such a
	// repeat: older than what the set of events read had forgotten (a source that went back
	// in time further than the window). A repeat among them is counted twice in Events.
	Unchecked int64
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
//
// Files are opened lazily, in the order of their first event, when the merged stream
// reaches it: the rotated files of one API server are read one after the other, so that
// thousands of files take the memory and descriptors of the few whose times overlap.
// Folders are listed again once everything listed was read, to read the files rotation
// created meanwhile (see live.go).
type Reader struct {
	ctx     context.Context
	cancel  context.CancelFunc
	opts    Options
	window  time.Duration
	sources []Source
	states  []*sourceState // every source, in the order it was taken up
	queue   []*sourceState // not yet opened, by first event time
	active  []*sourceState // opened and not yet exhausted
	started bool
	err     error

	// live is what is known of the files read, shared with the reading goroutines.
	live    *registry
	origins []string
	rounds  int
	// begun is when reading began; followFrom when the end's listings began, and followFor
	// how long they may go on; gaveUp is set when they stopped with files still growing.
	begun      time.Time
	followFrom time.Time
	followFor  time.Duration
	gaveUp     bool
	found      int  // listings that found something
	listed     bool // the listings at the end are over
	peekBuf    []byte
	fds        int64 // how many sources may be read at once
	// rewritten are the files read that were truncated and written again later in the
	// run: the end of their old content is in a copy, or lost.
	rewritten []*fileRecord

	pending   eventHeap
	byID      map[string]*entry
	recent    map[string]delivered // auditID -> what was delivered under it
	recentQ   []recentID
	recentN   int       // entries of recentQ already forgotten
	frontier  time.Time // latest time delivered
	merged    Merged
	serialSeq int64
}

type sourceState struct {
	src   Source
	seq   int32     // its place in the registry's names
	first time.Time // the first event's time, from a look at the file; zero: unknown
	head  headID
	ch    chan []*Event
	batch []*Event
	open  bool
	done  bool
	input Input
	err   error
	fin   chan struct{}
	// twin is the compressed copy of this file that lumberjack is writing: read only if
	// this file is gone by the time it is opened.
	twin *sourceState
	gone bool
}

type entry struct {
	ev    *Event
	key   time.Time
	n     int64 // arrival order, for ties
	dead  bool
	index int
}

type delivered struct {
	rank            int
	stage, received time.Time
	verb, uri, user string
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
		byID: map[string]*entry{}, recent: map[string]delivered{}, live: newRegistry(), fds: fdBudget()}
}

func (r *Reader) start() {
	r.started = true
	r.begun = time.Now()
	r.live.seen.window = r.window
	seen := map[string]bool{}
	for _, src := range r.sources {
		if src.origin != "" && !seen[src.origin] {
			seen[src.origin] = true
			r.origins = append(r.origins, src.origin)
		}
	}
	r.take(r.sources)
	r.sources = nil // each state holds its source
	r.pairTwins()
}

// take looks at the first bytes of each source, and queues those to read by the time of
// their first event.
func (r *Reader) take(sources []Source) {
	// Whether each look still holds, asked of thousands of files on several goroutines.
	still := make([]bool, len(sources))
	inParallel(len(sources), func(i int) {
		src := &sources[i]
		still[i] = src.Skipped == "" && src.path != "" && src.seen != nil && src.seen.unchanged(src.path, src.id)
	})
	for i, src := range sources {
		st := &sourceState{src: src, seq: r.live.add(src.Name)}
		r.states = append(r.states, st)
		if src.id != (fileID{}) {
			r.live.know(src.id)
		}
		if src.Skipped == "" && src.path != "" {
			var skip string
			if still[i] {
				// Looked at when listed, and untouched since: what the look found holds.
				st.first, st.head, skip = src.seen.first, src.head, src.seen.skip
			} else {
				if r.peekBuf == nil {
					r.peekBuf = make([]byte, peekSize)
				}
				st.first, st.head, skip = peek(&src, r.peekBuf)
				st.src.seen = nil
			}
			st.src.head = st.head
			if skip != "" {
				src.Skipped = skip
				st.src.Skipped = skip
			}
		}
		if src.Skipped != "" {
			st.done = true
			st.input = Input{Source: src.Name, Skipped: src.Skipped, Notes: src.notes}
			continue
		}
		r.queue = append(r.queue, st)
		r.live.seen.expect(st.seq, st.first) // waiting its turn, it holds back what the set forgets
	}
	sort.SliceStable(r.queue, func(i, j int) bool {
		a, b := r.queue[i], r.queue[j]
		if !a.first.Equal(b.first) {
			return a.first.Before(b.first)
		}
		return a.src.Name < b.src.Name
	})
}

// pairTwins finds the gzip copies lumberjack is still writing (or has just written) beside
// their uncompressed file: the same content, so only the uncompressed file is read, and the
// copy only if the file is gone when its turn comes.
func (r *Reader) pairTwins() {
	byName := map[string]*sourceState{}
	for _, st := range r.queue {
		byName[st.src.Name] = st
	}
	q := r.queue[:0]
	for _, st := range r.queue {
		plain := byName[strings.TrimSuffix(st.src.Name, ".gz")]
		if !strings.HasSuffix(st.src.Name, ".gz") || plain == nil || !sameStart(plain.src.path, st.src.path) {
			q = append(q, st)
			continue
		}
		plain.twin = st
		st.done = true
		r.live.seen.finished(st.seq)
		st.input = Input{Source: st.src.Name, Skipped: "a compressed copy of " + plain.src.Name + " (being written or just written): that file is read instead"}
	}
	r.queue = q
}

// open starts reading a source: on a goroutine of its own, or at once for a small file (see
// listedSmall).
func (r *Reader) open(st *sourceState) {
	st.open = true
	st.fin = make(chan struct{})
	r.active = append(r.active, st)
	r.live.reading.Add(1)
	r.live.seen.expect(st.seq, st.first)
	st.ch = make(chan []*Event, 2)
	if !listedSmall(st) {
		go r.read(st, st.ch, nil, nil)
		return
	}
	// Opened here, to know its size now: a file that grew past the look since (the current
	// log of a live folder, whose turn comes last) is read on a goroutine of its own, its
	// events streamed rather than kept.
	o, err := openFile(r.ctx, &st.src)
	pre := &preOpened{o: o, err: err}
	if err == nil && (o.reg == nil || o.fi.Size() > peekSize) {
		go r.read(st, st.ch, nil, pre)
		return
	}
	var kept [][]*Event
	r.read(st, nil, &kept, pre)
	st.ch = make(chan []*Event, len(kept))
	for _, b := range kept {
		st.ch <- b
	}
	close(st.ch)
}

// listedSmall reports whether a source may be read on the goroutine that merges, when its
// turn comes, rather than on one of its own: a regular file no larger than the listing's
// look, which read it whole already, and no larger when opened. For thousands of small
// files, a goroutine each and the hand-offs of their few events to the merge cost more than
// reading them.
func listedSmall(st *sourceState) bool {
	return st.src.seen != nil && st.src.seen.size <= peekSize
}

// read reads a source into out (or kept) and its input; pre, when not nil, is the source
// opened already.
func (r *Reader) read(st *sourceState, out chan<- []*Event, kept *[][]*Event, pre *preOpened) {
	defer close(st.fin)
	defer r.live.reading.Add(-1)
	names := internerPool.Get().(interner)
	defer internerPool.Put(names)
	sr := &sourceReader{ctx: r.ctx, src: st.src, opts: &r.opts, out: out, kept: kept, pre: pre, names: names, live: r.live, origins: r.origins, state: st, seq: st.seq}
	st.err = sr.read()
	if errors.Is(st.err, errGone) {
		st.err, st.gone = nil, true
		r.live.record(&fileRecord{name: st.src.Name, id: st.src.id, head: st.head, gone: true, state: st})
	}
	if !st.gone || st.twin == nil {
		r.live.seen.finished(st.seq) // else once its twin, read instead, is open
	}
	st.input = sr.in
	if out != nil {
		close(out)
	}
}

// head returns the next event of a source, receiving its next batch when needed, or nil when
// the source is exhausted.
func (r *Reader) head(st *sourceState) *Event {
	for len(st.batch) == 0 {
		if st.done {
			return nil
		}
		var b []*Event
		var ok bool
		select {
		case b, ok = <-st.ch:
		case <-r.ctx.Done():
			if r.err == nil {
				r.err = r.ctx.Err()
			}
			return nil
		}
		if !ok {
			st.done, st.ch, st.batch = true, nil, nil
			if st.err != nil && r.err == nil {
				r.err = st.err
			}
			if st.gone && st.twin != nil {
				// Compressed and removed before its turn: the copy holds the same events.
				tw := st.twin
				st.input.Notes = append(st.input.Notes, "removed before it was read (compressed by rotation): "+tw.src.Name+" was read instead")
				st.input.Err = ""
				st.gone = false
				tw.done = false
				tw.input = Input{}
				r.open(tw)
				r.live.seen.finished(st.seq)
			}
			return nil
		}
		st.batch = b
	}
	return st.batch[0]
}

// openAhead is how many sources are kept open while more wait: enough that the next rotated
// file is being read while this one is merged, few enough that thousands of files take the
// memory and descriptors of a handful.
const openAhead = 4

// The folders are listed again at the end until a listing finds nothing new. A writer that
// never stops must not keep a run going forever: the listings go on for as long as the first
// reading took, at least minFollow and at most maxFollow; a file still growing then is
// named in its input (Input.Unfollowed).
const (
	minFollow = 2 * time.Second
	maxFollow = 5 * time.Minute
)

// following reports whether the folders may be listed again: the context is not done and
// the time for listing is not over. Once it is over, what was left is noted at the end.
func (r *Reader) following() bool {
	if r.ctx.Err() != nil {
		return false
	}
	now := time.Now()
	if r.followFrom.IsZero() {
		r.followFrom = now
		r.followFor = min(max(now.Sub(r.begun), minFollow), maxFollow)
	}
	if now.Sub(r.followFrom) > r.followFor {
		r.gaveUp = true
		return false
	}
	return true
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
		// The earliest head among open sources bounds what can still arrive.
		var minState *sourceState
		var minTime time.Time
		for i := 0; i < len(r.active); {
			st := r.active[i]
			ev := r.head(st)
			if r.err != nil {
				return nil, r.err
			}
			if ev == nil {
				if st.done {
					r.active = append(r.active[:i], r.active[i+1:]...)
					continue
				}
				i++
				continue
			}
			i++
			// Equal times go by source name, not by the order the sources were given
			// in, so that the merged stream does not depend on that order.
			if t := ev.Time(); minState == nil || t.Before(minTime) || (t.Equal(minTime) && ev.Source < minState.batch[0].Source) {
				minState, minTime = st, t
			}
		}
		// A source whose first event may come before every open head is opened now, and a
		// few more ahead of need, so that reading the next file overlaps merging this one.
		// Never more than the descriptor budget at once: files whose times all overlap
		// then wait for one to be done, and what they hold earlier than the stream has
		// come to is counted out of order (a warning gap), rather than the run failing.
		if len(r.queue) > 0 && (minState == nil || r.live.reading.Load() < r.fds) &&
			(minState == nil || !r.queue[0].first.After(minTime) || len(r.active) < openAhead) {
			st := r.queue[0]
			r.queue = r.queue[1:]
			r.open(st)
			continue
		}
		if e := r.ready(minState == nil, minTime); e != nil {
			return e, nil
		}
		if minState == nil {
			// Everything listed is read and delivered: list the folders again for what
			// rotation did meanwhile, until a listing finds nothing new.
			if len(r.active) == 0 && !r.listed {
				if r.following() && (r.relist() || r.settled()) {
					continue
				}
				r.listed = true // nothing new, or no more time: not listed again
			}
			r.settle()
			r.live.seen.release() // every source is read: no event can be claimed any more
			return nil, io.EOF
		}
		ev := minState.batch[0]
		minState.batch[0] = nil
		minState.batch = minState.batch[1:]
		if len(minState.batch) == 0 {
			minState.batch = nil // its array is the sender's no more: let it go
		}
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
			r.recent[id] = delivered{rank: stageRank(ev.Stage), stage: ev.StageTime, received: ev.RequestReceived,
				verb: ev.Verb, uri: ev.RequestURI, user: ev.User.Username}
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

// forget drops remembered auditIDs older than the window behind the frontier. The queue is
// consumed from its front and compacted only when most of it is spent, so each delivered
// event costs constant time (moving the rest on every call was quadratic).
func (r *Reader) forget() {
	limit := r.frontier.Add(-2 * r.window)
	for r.recentN < len(r.recentQ) && r.recentQ[r.recentN].key.Before(limit) {
		delete(r.recent, r.recentQ[r.recentN].id)
		r.recentQ[r.recentN] = recentID{}
		r.recentN++
	}
	if r.recentN > 1024 && r.recentN*2 > len(r.recentQ) {
		n := copy(r.recentQ, r.recentQ[r.recentN:])
		r.recentQ = r.recentQ[:n]
		r.recentN = 0
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
			case checkable(ev) && sameRequest(old.ev, ev):
				// A repeat, exact or not, which the reader counted (Merged.Duplicates,
				// Merged.Conflicting). Keep the copy from the first source by name,
				// whatever the arrival order, so that the event's source is the same
				// however files are given.
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
			case rank == d.rank && checkable(ev) && d.stage.Equal(ev.StageTime) && d.received.Equal(ev.RequestReceived) &&
				d.verb == ev.Verb && d.uri == ev.RequestURI && d.user == ev.User.Username:
				return // a repeat, exact or not, which the reader counted
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

// checkable reports whether an event can be told to repeat another: it has an auditID and
// both times. The reader counts every other event as one (eventSet.claim), so the merge
// must deliver it too, or a write counted in the events would be in no count of writes.
func checkable(ev *Event) bool {
	return ev.AuditID != "" && !ev.RequestReceived.IsZero() && !ev.StageTime.IsZero()
}

// sameRequest tells a repeat (the same line in a rotated and a current file, or the same
// event exported twice; with other content, a conflicting one: see eventSet) from a
// different event that reuses an auditID.
func sameRequest(a, b *Event) bool {
	return a.Stage == b.Stage && a.StageTime.Equal(b.StageTime) && a.RequestReceived.Equal(b.RequestReceived) &&
		a.Verb == b.Verb && a.RequestURI == b.RequestURI && a.User.Username == b.User.Username
}

// Inputs returns the evidence of every source, in source order. It is complete once Next
// has returned io.EOF. A file read in parts under one name (it grew, or was truncated and
// written again, after it was read) is one input: the counts of every part, the digest and
// size of the file as last read, what happened in the notes.
func (r *Reader) Inputs() []Input {
	out := make([]Input, 0, len(r.states))
	at := map[fileID]int{}
	for _, st := range r.states {
		id := st.src.id
		if i, ok := at[id]; ok && id != (fileID{}) && out[i].Source == st.input.Source && st.input.Skipped == "" {
			out[i] = folded(out[i], st.input)
			continue
		}
		if id != (fileID{}) && st.input.Skipped == "" {
			at[id] = len(out)
		}
		out = append(out, st.input)
	}
	return out
}

// folded is one input made of a and b, two reads of one file, b the later: counts added up,
// the digest and size of the later read (which covers the whole file as it then stood). a's
// maps are not changed.
func folded(a, b Input) Input {
	c := a
	c.SHA256, c.Bytes, c.Compressed = b.SHA256, b.Bytes, b.Compressed
	c.Lines += b.Lines
	c.Events += b.Events
	if c.Format == "" {
		c.Format = b.Format
	}
	c.FirstEvent, c.LastEvent = minNonZero(a.FirstEvent, b.FirstEvent), maxTime(a.LastEvent, b.LastEvent)
	c.Problems = map[string]int64{}
	for _, p := range []map[string]int64{a.Problems, b.Problems} {
		for k, n := range p {
			c.Problems[k] += n
		}
	}
	if len(c.Problems) == 0 {
		c.Problems = nil
	}
	c.BodiesDropped += b.BodiesDropped
	c.Samples = append(append([]Sample(nil), a.Samples...), b.Samples...)
	if len(c.Samples) > MaxSamples {
		c.Samples = c.Samples[:MaxSamples]
	}
	c.Nodes = append([]string(nil), a.Nodes...)
	for _, n := range b.Nodes {
		c.addNode(n)
	}
	c.Kinds = nil
	for _, kinds := range []map[Kind]*KindStats{a.Kinds, b.Kinds} {
		for k, ks := range kinds {
			MergeKindStats(kindStats(&c.Kinds, k), ks)
		}
	}
	c.Activity = Activity{}
	c.Activity.Merge(&a.Activity)
	c.Activity.Merge(&b.Activity)
	c.PerNode = nil
	for _, pn := range []map[string]*NodeStats{a.PerNode, b.PerNode} {
		for name, ns := range pn {
			if c.PerNode == nil {
				c.PerNode = map[string]*NodeStats{}
			}
			t := c.PerNode[name]
			if t == nil {
				t = &NodeStats{}
				c.PerNode[name] = t
			}
			t.Events += ns.Events
			t.FirstEvent, t.LastEvent = minNonZero(t.FirstEvent, ns.FirstEvent), maxTime(t.LastEvent, ns.LastEvent)
			for k, ks := range ns.Kinds {
				MergeKindStats(kindStats(&t.Kinds, k), ks)
			}
			t.Activity.Merge(&ns.Activity)
		}
	}
	if a.Repeats != nil || b.Repeats != nil {
		c.Repeats = &Counts{}
		for _, rp := range []*Counts{a.Repeats, b.Repeats} {
			if rp != nil {
				c.Repeats.merge(rp)
			}
		}
	}
	if c.Err == "" {
		c.Err = b.Err
	}
	if b.Unfollowed != nil {
		c.Unfollowed = b.Unfollowed
	}
	c.Notes = append(append([]string(nil), a.Notes...), b.Notes...)
	c.LostBytes = append(append([]ByteRange(nil), a.LostBytes...), b.LostBytes...)
	c.Leases = append(append([]Lease(nil), a.Leases...), b.Leases...)
	return c
}

func minNonZero(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Merged returns the merge counters.
func (r *Reader) Merged() Merged {
	m := r.merged
	m.Events = r.live.seen.n.Load()
	m.Duplicates, m.Conflicting = r.live.seen.repeats.Load(), r.live.seen.conflicts.Load()
	m.Unchecked = r.live.seen.unchecked.Load()
	return m
}

// Close stops reading and releases the sources. It waits a little for the reading
// goroutines, but not for a read the system does not return from.
func (r *Reader) Close() {
	r.cancel()
	deadline := time.After(time.Second)
	for _, st := range r.states {
		if !st.open {
			continue
		}
		select {
		case <-st.fin:
		case <-deadline:
			return
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

// relist lists the folders and globs of the run again once everything listed was read, and
// takes up what rotation did meanwhile: a file read that grew is read on from where it
// ended; one truncated and written again (copytruncate) is read anew; a new file that is a
// copy of one read (a rotated or compressed name) is skipped, or read from where the file
// read ended when it holds more; any other new file is read.
func (r *Reader) relist() bool {
	r.rounds++
	recs := r.live.all()
	if len(r.origins) == 0 && len(recs) == 0 {
		return false
	}
	fresh, where, info := relistInfo(r.origins, r.live.knownSet())
	var add []Source
	for _, rec := range recs {
		if rec.gone {
			// Renamed again since it was looked for, or its inode given to a new file.
			p, ok := where[rec.id]
			if !ok {
				continue
			}
			fi, h, err := lookListed(p, rec.id)
			if err != nil {
				continue
			}
			src := Source{Name: p, Size: fi.Size(), id: rec.id, origin: rec.origin, path: p}
			if rec.reused {
				continue // taken up already
			}
			rec.reused = true
			from := int64(0)
			if rec.state != nil {
				from = rec.state.src.resume
			}
			// Whether its content is read in the end is settled by settle.
			switch {
			case from > 0 && (rec.head.starts(h) || rec.head.n == 0 && rec.id.born != 0):
				// The same file (its birth time says so where its first bytes were not
				// seen), which was to be read from byte from on: what comes before was read
				// from the file it is a copy of.
				src.resume = from
				src.notes = []string{fmt.Sprintf("renamed by rotation before it could be read: read from byte %d of its content, as it was to be", from)}
			case rec.head.starts(h):
				src.notes = []string{"holds the content of " + rec.name + ", which rotation renamed before it could be read"}
			default:
				src.notes = []string{"appeared while the run read its folder (rotation)"}
			}
			add = append(add, src)
			continue
		}
		if !rec.plain {
			if src, ok := recompressed(rec, where, recs); ok {
				add = append(add, src)
			}
			continue
		}
		p, ok := where[rec.id]
		if !ok {
			if rec.origin != "" {
				continue
			}
			p = rec.path // given by name: look at the same name
		}
		fi, err := info[rec.id], error(nil)
		if fi == nil || where[rec.id] != p {
			fi, err = stat(p)
		}
		if err != nil || idOf(fi) != rec.id || !fi.Mode().IsRegular() {
			continue
		}
		if fi.Size() == rec.read && fi.ModTime().Equal(rec.mtime) {
			continue // as long as what was read, and untouched since
		}
		fi, h, err := lookListed(p, rec.id)
		if err != nil {
			continue
		}
		src := Source{Name: rec.name, Size: fi.Size(), id: rec.id, origin: rec.origin, path: p}
		switch {
		case rec.head.n > 0 && !rec.head.starts(h) && p != rec.path:
			// Another name and another content: the file read was removed (lumberjack
			// removes a backup once compressed) and the file system gave its device and
			// inode to a new file, which ext4 does at once. Not a truncation: a new file.
			if rec.reused {
				continue
			}
			rec.reused = true
			src.notes = []string{"appeared while the run read its folder (rotation), with the device and inode of " + rec.name + ", read before and since removed"}
		case rec.head.n > 0 && !rec.head.starts(h):
			src.notes = []string{"truncated and written again after it was read (copytruncate): its new content"}
			// What was written to it between the read and the truncation is only in the
			// copy it was truncated into, if an input folder holds one.
			r.live.retire(rec)
		case rec.head.n == 0 && fi.Size() > 0 || fi.Size() > rec.read && !rec.lost:
			src.resume = rec.readOnFrom()
			src.notes = []string{fmt.Sprintf("grew while the run read it: read on from byte %d", src.resume)}
		default:
			continue
		}
		add = append(add, src)
	}
	r.rewritten = append(r.rewritten, r.live.takeRetired()...)
	for _, f := range fresh {
		// Looked at only while it is the file listed under its name: one renamed since is
		// found under its new name by the next listing.
		file, h, ok := openListed(f.path, f.id)
		if !ok {
			continue
		}
		var match *fileRecord
		for _, rec := range append(recs, r.rewritten...) {
			if rec.head.starts(h) {
				match = rec
				break
			}
		}
		switch {
		case match == nil:
			f.notes = []string{"appeared while the run read its folder (rotation)"}
		case match.gone:
			match.copied = true
			f.notes = []string{"holds the content of " + match.name + ", which rotation moved before it could be read"}
		case !match.plain:
			f.Skipped = "a copy of " + match.name + " (rotation), read already"
			match.copied = true
		default:
			switch holds := copyHoldsIn(file, match.read, match.sum); holds {
			case copyShorter, copySame:
				f.Skipped = "a copy of " + match.name + " (rotation), read already"
				match.copied = true
			case copyLonger, copyGrowing:
				match.copied = true
				f.resume = match.readOnFrom()
				f.notes = []string{fmt.Sprintf("a copy of %s (rotation): read from byte %d of its content, beyond what %s held when it was read", match.name, f.resume, match.name)}
				if holds == copyGrowing {
					f.notes[0] = fmt.Sprintf("a copy of %s (rotation), still being compressed: read from byte %d of its content, where the read of %s ended", match.name, f.resume, match.name)
				}
				if match.lost && match.state != nil {
					match.state.input.LostBytes = nil
					match.state.input.Notes = append(match.state.input.Notes, "the part lost to the truncation was read from "+f.Name)
				}
			default:
				f.notes = []string{"appeared while the run read its folder (rotation)"}
			}
		}
		file.Close()
		add = append(add, f)
	}
	add = append(add, r.unreadCopies(recs, fresh, where)...)
	if len(add) == 0 {
		return false
	}
	r.found++
	r.take(add)
	r.pairTwins()
	return true
}

// unreadCopies finds, among the files of a listing that were neither read nor are new in it,
// the rest of a file whose content left it: one truncated after it was read (copytruncate),
// or one removed or renamed before its turn. Such a file was listed before and skipped then,
// as a copy of what was read or a gzip still being written, and holds more by now: the rest
// is read from it. Without this, a writer that rotates several times between two listings
// leaves the rest in a file the reader already knows, and reports it as lost.
func (r *Reader) unreadCopies(recs []*fileRecord, fresh []Source, where map[fileID]string) []Source {
	var pending []*fileRecord
	for _, rec := range recs {
		if rec.gone && !rec.copied && !rec.reused && rec.head.n > 0 && rec.state != nil {
			pending = append(pending, rec)
		}
	}
	for _, rec := range r.rewritten {
		if !rec.copied && !rec.lost {
			pending = append(pending, rec)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	// Files read, or being taken up now, hold what they hold already.
	read := r.live.readSet()
	for _, f := range fresh {
		read[f.id] = true
	}
	var add []Source
	for _, rec := range pending {
		p, id, holds, covered := movedTo(rec, where, read)
		from := rec.read
		if rec.gone {
			from = rec.state.src.resume
		}
		switch {
		case covered || holds == copySame:
			rec.copied = true
		case holds == copyLonger, holds == copyGrowing:
			rec.copied = true
			read[id] = true
			r.live.know(id)
			add = append(add, Source{Name: p, id: id, origin: rec.origin, path: p, resume: from,
				notes: []string{fmt.Sprintf("holds the rest of %s (rotation), listed before as a copy of what was read: read from byte %d of its content", rec.name, from)}})
		}
	}
	return add
}

// movedTo tells where what a file held beyond what was read of it went (see holder): into a
// file read in the run (covered), or the file not read that holds the most of it.
func movedTo(rec *fileRecord, where map[fileID]string, read map[fileID]bool) (path string, id fileID, holds int, covered bool) {
	if p, i, h := holder(rec, where, func(id fileID) bool { return read[id] }); h >= copySame {
		return p, i, h, true
	}
	path, id, holds = holder(rec, where, func(id fileID) bool { return !read[id] })
	return path, id, holds, false
}

// holder looks among the files of a listing that consider takes, but for rec's own, for one
// whose content starts with what was read of rec (for a file gone before it was read, with
// its first bytes): where its content went. It returns the one that holds the most, and how
// much that is (copyLonger: more than was read).
func holder(rec *fileRecord, where map[fileID]string, consider func(fileID) bool) (path string, id fileID, holds int) {
	paths := make([]string, 0, len(where))
	ids := make(map[string]fileID, len(where))
	for i, p := range where {
		if i != rec.id && consider(i) {
			paths = append(paths, p)
			ids[p] = i
		}
	}
	sort.Strings(paths)
	holds = copyOther
	for _, p := range paths {
		if got := holdsOf(p, ids[p], rec); got > holds {
			path, id, holds = p, ids[p], got
		}
		if holds == copyLonger {
			break
		}
	}
	return path, id, holds
}

// openListed opens the file at p and reads its content's first bytes, while it is the file
// id a listing found there; false when it cannot, or is another file by now.
func openListed(p string, id fileID) (*os.File, []byte, bool) {
	f, _, err := openIdentified(p, id)
	if err != nil {
		return nil, nil, false
	}
	h, _, err := readHead(f, headSize)
	if err != nil {
		f.Close()
		return nil, nil, false
	}
	return f, h, true
}

// openIdentified opens the file at p while it is the file id; an error when it cannot, or is
// another file by now.
func openIdentified(p string, id fileID) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	fi, err := fstat(f)
	if err == nil && idOf(fi) != id {
		err = fmt.Errorf("%s: another file by now", p)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// lookListed reads the size and the content's first bytes of the file at p, while it is the
// file id a listing found there. The error says why it could not: fi is nil when the file
// could not be opened or is another file by now, and set when only its first bytes could
// not be read. Rotation renames files between a listing and a look: by name alone, a look
// may see another file's size and content than those of the file read afterwards by its
// identity.
func lookListed(p string, id fileID) (fi fs.FileInfo, head []byte, err error) {
	f, fi, err := openIdentified(p, id)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	head, _, err = readHead(f, headSize)
	return fi, head, err
}

// holdsOf tells how much of what was read of rec the file at p holds (copyLonger for a file
// gone before it was read, when p starts as it did), looking at p only while it is the file
// id the listing found there. Rotation renames files between a listing and this look: the
// content under the name may be another file's, and the source read later, found by its
// identity, would be read from an offset that belongs to that other file.
func holdsOf(p string, id fileID, rec *fileRecord) int {
	f, h, ok := openListed(p, id)
	if !ok {
		return copyOther
	}
	defer f.Close()
	if !rec.head.starts(h) {
		return copyOther
	}
	if rec.gone {
		return copyLonger // all it held is still to read
	}
	return copyHoldsIn(f, rec.read, rec.sum)
}

// inProgressNoMore takes back, for a gzip read while still being written, that its read
// ended in the middle of the stream (and of a line): it is read on, or said to be unfollowed.
func (rec *fileRecord) inProgressNoMore() {
	in := &rec.state.input
	if in.Problems[ProblemInProgress]--; in.Problems[ProblemInProgress] == 0 {
		delete(in.Problems, ProblemInProgress)
	}
	if rec.cut {
		uncut(in)
	}
}

// readOnFrom is where reading the rest of a file read, or of its copy, starts: where the
// read ended, or, when it ended in a line still being written, where its last whole line
// did. That line is then read again whole, and taken back, once, as a line cut off.
func (rec *fileRecord) readOnFrom() int64 {
	if rec.complete <= 0 || rec.complete >= rec.read || rec.state == nil {
		return rec.read
	}
	if !rec.uncut {
		rec.uncut = true
		uncut(&rec.state.input)
	}
	return rec.complete
}

// uncut takes back the line an input's read found cut off at its end, which is read again
// whole.
func uncut(in *Input) {
	if in.Problems[ProblemTruncatedLine] == 0 {
		return
	}
	if in.Problems[ProblemTruncatedLine]--; in.Problems[ProblemTruncatedLine] == 0 {
		delete(in.Problems, ProblemTruncatedLine)
	}
	in.Lines--
	for i := len(in.Samples) - 1; i >= 0; i-- {
		if smp := &in.Samples[i]; smp.Kind == ProblemTruncatedLine {
			if smp.Count--; smp.Count <= 0 {
				in.Samples = append(in.Samples[:i], in.Samples[i+1:]...)
			}
			break
		}
	}
}

// recompressed returns, for a gzip file read while lumberjack was still writing it, the
// source to read it on once it has grown: what was not yet compressed then may be nowhere
// else by now (the file it was compressed from removed). It is read again from the start
// of the stream, but delivered from where the first read's last whole line ended: read
// whole, its first part came twice, and beyond the merge's window a repeat is not known as
// one (TestLiveWriter under the race detector counted events twice). Its first read counts
// as in progress no more.
func recompressed(rec *fileRecord, where map[fileID]string, recs []*fileRecord) (Source, bool) {
	st := rec.state
	if st == nil || st.input.Problems[ProblemInProgress] == 0 {
		return Source{}, false
	}
	p, ok := where[rec.id]
	if !ok {
		p = rec.path
	}
	fi, h, err := lookListed(p, rec.id)
	if fi == nil || fi.Size() <= rec.read {
		return Source{}, false
	}
	rec.inProgressNoMore()
	resume := rec.content
	if err == nil {
		// lumberjack compresses the file it renamed: what of it was read under the
		// current file's name before the rename is not delivered again.
		for _, o := range recs {
			if o != rec && o.plain && o.head.n > 0 && o.head.starts(h) {
				done := o.read
				if o.complete > 0 && o.complete < o.read {
					done = o.complete
				}
				resume = max(resume, done)
			}
		}
	}
	return Source{Name: rec.name, Size: fi.Size(), id: rec.id, origin: rec.origin, path: p, resume: resume,
		notes: []string{fmt.Sprintf("compressed further after it was read: read on from byte %d of its content", resume)}}, true
}

// settle ends the run: a file that rotation moved before it could be read, and whose content
// no later listing found, is an input that could not be read.
func (r *Reader) settle() {
	// What sources that come first took over from others is counted in the others' repeats.
	for _, st := range r.states {
		c := r.live.repeats[st.seq]
		if c == nil {
			continue
		}
		if st.input.Repeats == nil {
			st.input.Repeats = &Counts{}
		}
		st.input.Repeats.merge(c)
	}
	r.live.repeats = nil
	r.rewritten = append(r.rewritten, r.live.takeRetired()...)
	if r.gaveUp {
		r.unfollowed()
	}
	var where map[fileID]string
	read := r.live.readSet()
	relisted := 0
	// moved is movedTo over a listing of the folders. A listing can miss a file that rotation
	// renamed while it ran (logrotate renames every .N before it copies): one that finds its
	// content nowhere is made again, a few times, before that is believed.
	moved := func(rec *fileRecord) (string, int, bool) {
		for {
			if where == nil {
				_, where = relist(r.origins, nil)
			}
			p, _, holds, covered := movedTo(rec, where, read)
			if holds != copyOther || relisted == 3 {
				return p, holds, covered
			}
			relisted++
			where = nil
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.ctx.Done():
				relisted = 3
			}
		}
	}
	for _, rec := range r.rewritten {
		if rec.copied || rec.state == nil {
			continue
		}
		switch p, holds, covered := moved(rec); {
		case covered, holds == copySame:
			// Read from a copy, or nothing was written between the read and the truncation.
		case holds == copyOther:
			rec.state.input.LostBytes = append(rec.state.input.LostBytes, ByteRange{From: rec.read, To: -1,
				Why: fmt.Sprintf("truncated after it was read (copytruncate), and no copy of it is among the inputs: what was written to it after byte %d, before the truncation, was not read", rec.read)})
		default:
			notRead(&rec.state.input, rec.read, p, "truncated after it was read (copytruncate)")
		}
	}
	for _, st := range r.states {
		if !st.gone {
			continue
		}
		st.gone = false
		if st.head.n == 0 {
			// Empty when listed: whatever was written to it since is in the files that
			// the listings at the end found and read.
			st.input.Notes = append(st.input.Notes, "empty when listed, and renamed or removed before it was read")
			continue
		}
		switch p, holds, covered := moved(&fileRecord{id: st.src.id, head: st.head, gone: true}); {
		case covered:
			st.input.Notes = append(st.input.Notes, "its content was read from "+p)
		case holds != copyOther:
			notRead(&st.input, st.src.resume, p, "removed or renamed by rotation before it could be read")
		default:
			st.input.Err = "removed or renamed before it could be read, and no file in its folder holds its content"
		}
	}
}

// notRead says of an input that the rest of its content, from byte from, is in the file at
// path, which the run did not read: it appeared, or grew, after the last listing.
func notRead(in *Input, from int64, path, what string) {
	why := what + ": the rest of its content is in " + path + ", which appeared or grew as the run ended and was not read"
	if in.Unfollowed != nil {
		in.Notes = append(in.Notes, why)
		return
	}
	in.Unfollowed = &ByteRange{From: from, To: max(from, contentSize(path)), Why: why}
}

// contentSize is how many bytes of content the file at path holds, through gzip when
// compressed, as far as they can be read.
func contentSize(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	br := getReader(f)
	defer putReader(br)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := newGzip(br)
		if err != nil {
			return 0
		}
		r = zr
	}
	n, _ := io.Copy(io.Discard, r)
	return n
}

// quiet is how long a listing that found nothing waits before it looks once more: a file a
// busy API server writes to grows every few milliseconds, and one listing can fall between
// two writes.
const quiet = 250 * time.Millisecond

// settled waits quiet and lists again, when a listing found something before or a file read
// was written to as the run read it (the folder is being written: a listing that found
// nothing may have fallen between two writes); it reports whether that listing found
// something.
func (r *Reader) settled() bool {
	if r.found == 0 && !r.beingWritten() {
		return false // nothing was written to the folder while all of it was read
	}
	select {
	case <-time.After(quiet):
	case <-r.ctx.Done():
		return false
	}
	return r.relist()
}

// beingWritten reports whether a file read was written to shortly before the run or while
// it read it.
func (r *Reader) beingWritten() bool {
	for _, rec := range r.live.all() {
		if !rec.gone && rec.mtime.After(r.begun.Add(-quiet)) {
			return true
		}
	}
	return false
}

// unfollowed notes, once the listings at the end stopped for time, the files read that have
// grown since and the files that have appeared since: their new content is not in the run.
func (r *Reader) unfollowed() {
	// As for a listing: a file being written may be between two writes.
	select {
	case <-time.After(quiet):
	case <-r.ctx.Done():
	}
	fresh, where := relist(r.origins, r.live.knownSet())
	why := fmt.Sprintf("still being written when the run stopped listing its folder again (%d listings in %s, the time the first reading took, %s to %s)",
		r.rounds, time.Since(r.followFrom).Round(time.Millisecond), minFollow, maxFollow)
	last := map[fileID]*sourceState{}
	for _, st := range r.states {
		if st.src.id != (fileID{}) && st.input.Skipped == "" {
			last[st.src.id] = st
		}
	}
	for _, rec := range r.live.all() {
		st := last[rec.id]
		inProgress := !rec.plain && rec.state != nil && rec.state.input.Problems[ProblemInProgress] > 0
		if rec.gone || (!rec.plain && !inProgress) || st == nil {
			continue
		}
		p, ok := where[rec.id]
		if !ok {
			p = rec.path
		}
		fi, err := stat(p)
		if err != nil || idOf(fi) != rec.id {
			continue
		}
		if fi.Size() <= rec.read {
			if !rec.plain || rec.head.n == 0 || fi.ModTime().Equal(rec.mtime) {
				continue
			}
			if _, h, err := lookListed(p, rec.id); err != nil || rec.head.starts(h) {
				continue
			}
			// Truncated and written again (copytruncate) since it was read.
			st.input.Unfollowed = &ByteRange{From: 0, To: fi.Size(), Why: fmt.Sprintf("truncated and written again after it was read: its new content, and what it held beyond byte %d before, were not read; %s", rec.read, why)}
			continue
		}
		if inProgress {
			// A gzip lumberjack went on writing after it was read: not damaged, but what
			// it compressed since is not in the run.
			rec.inProgressNoMore()
			rec.state.input.Unfollowed = &ByteRange{From: rec.content, To: max(rec.content, contentSize(p)), Why: why}
			continue
		}
		st.input.Unfollowed = &ByteRange{From: rec.read, To: fi.Size(), Why: why}
	}
	for _, f := range fresh {
		r.states = append(r.states, &sourceState{src: f, done: true, input: Input{Source: f.Name,
			Skipped: "appeared after the run stopped listing its folder again: " + why}})
	}
}
