package audit

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Kind is an API resource in a group: {"networking.k8s.io", "networkpolicies"}. The core group
// is "".
type Kind struct {
	Group    string
	Resource string
}

// String writes a kind as resource.group, the form kubectl and --kinds use.
func (k Kind) String() string {
	if k.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.Group
}

// ParseKind reads "resource.group" or "resource" (core group).
func ParseKind(s string) (Kind, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return Kind{}, fmt.Errorf("empty kind")
	}
	res, group, _ := strings.Cut(s, ".")
	if res == "" || strings.ContainsAny(s, " /") {
		return Kind{}, fmt.Errorf("kind %q: want resource.group, such as networkpolicies.networking.k8s.io", s)
	}
	return Kind{Group: group, Resource: res}, nil
}

// Scope is the set of kinds whose writes are decoded whole. Everything else is counted from
// a cheap scan of the line.
type Scope struct {
	kinds     map[Kind]bool
	resources map[string]bool
}

// NewScope returns a scope of the given kinds.
func NewScope(kinds ...Kind) *Scope {
	s := &Scope{kinds: map[Kind]bool{}, resources: map[string]bool{}}
	for _, k := range kinds {
		s.kinds[k] = true
		s.resources[k.Resource] = true
	}
	return s
}

// Has reports whether the kind is in the scope. A nil scope holds every kind.
func (s *Scope) Has(k Kind) bool { return s == nil || s.kinds[k] }

// hasResource is the prefilter: true when a kind of this resource name, in any group, is in
// the scope.
func (s *Scope) hasResource(resource string) bool { return s == nil || s.resources[resource] }

// Kinds lists the scope's kinds in a stable order.
func (s *Scope) Kinds() []Kind {
	out := make([]Kind, 0, len(s.kinds))
	for k := range s.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

// Input is the evidence about one source: what was read and what could not be.
type Input struct {
	Source string
	// SHA256 and Bytes describe the bytes as stored (compressed, for a gzip file).
	SHA256     string
	Bytes      int64
	Compressed bool
	Format     string
	Lines      int64
	Events     int64
	FirstEvent time.Time
	LastEvent  time.Time
	// Problems counts what was wrong, by problem kind; Samples keeps the first few with their
	// line numbers.
	Problems map[string]int64
	Samples  []Sample
	// BodiesDropped counts the events whose bodies the log says were dropped for their size
	// (Event.BodiesDropped), each once: Problems counts each body replaced.
	BodiesDropped int64
	// Nodes lists the API servers the source names (EKS streams, AKS pods, must-gather
	// prefixes), when it names any.
	Nodes []string
	// Kinds holds what the source recorded of each kind in scope, within Options.From and
	// Options.To when they are set (events without a time are counted too).
	Kinds map[Kind]*KindStats
	// Activity records the gaps between the source's events, for finding time holes.
	Activity Activity
	// PerNode splits the counts by the API server each event names, where the input names
	// any (EKS log streams, AKS pods, must-gather prefixes).
	PerNode map[string]*NodeStats
	// Err is set when the source stopped being readable before its end.
	Err string
	// Skipped says why a source was not read at all (a FIFO or device found by a folder
	// walk, a dangling or looping symlink, a file that is no audit log, a compressed copy
	// of a file read instead).
	Skipped string
	// Notes say what happened to the file while it was read: renamed, truncated and
	// continued in its copy, grown, appeared by rotation.
	Notes []string
	// LostBytes are stretches of the file's content that could not be read: the part of a
	// file truncated under the reader that no input holds a copy of.
	LostBytes []ByteRange
	// Unfollowed is set when the file was still growing when the run stopped listing its
	// folder again: From is how far it was read, To its size then. What lies beyond was
	// written while the run ended; the next run reads it.
	Unfollowed *ByteRange
	// Leases is what the input recorded of the API servers' identity leases
	// (kube-system/apiserver-*, which each kube-apiserver creates, renews every 10 s and
	// deletes at a clean shutdown, and which the others delete once expired): at most
	// MaxLeases, in the order first seen.
	Leases []Lease
	// Repeats is the part of Events, Kinds and PerNode that counts events another input
	// holds too (a rotated copy and the file copytruncate emptied, two exports), or that
	// this input holds twice: the input that comes first by name counts each such event,
	// the others count it here. Less its Repeats, every input together counts each event
	// once. Nil when the input repeats nothing.
	Repeats *Counts
}

// MaxLeases bounds how many identity leases an input keeps: a cluster has a few API servers.
const MaxLeases = 64

// Lease is what one input recorded of one API server identity lease.
type Lease struct {
	Name string
	// Node is the API server the input says wrote the events, "" when it does not say.
	Node string
	// Hostname is the lease's kubernetes.io/hostname label, where an event carried it (an
	// event logged at Request level or above).
	Hostname string
	// Writes counts its creates, updates and patches; FirstWrite and LastWrite are the first
	// and last of them, Created the last create.
	Writes                         int64
	FirstWrite, LastWrite, Created time.Time
	// Deleted is the last delete that took effect, by DeletedBy; zero when none.
	Deleted   time.Time
	DeletedBy string
}

// IsIdentityLease reports whether an object is an API server's identity lease.
func IsIdentityLease(k Kind, namespace, name string) bool {
	return k.Resource == "leases" && k.Group == "coordination.k8s.io" && namespace == "kube-system" && strings.HasPrefix(name, "apiserver-")
}

// lease records one write to an identity lease.
func (in *Input) lease(name, node, hostname, verb, user string, t time.Time, code int) {
	if !IsWrite(verb) || code >= 300 || t.IsZero() {
		return
	}
	var l *Lease
	for i := range in.Leases {
		if in.Leases[i].Name == name && in.Leases[i].Node == node {
			l = &in.Leases[i]
		}
	}
	if l == nil {
		if len(in.Leases) >= MaxLeases {
			return
		}
		in.Leases = append(in.Leases, Lease{Name: name, Node: node})
		l = &in.Leases[len(in.Leases)-1]
	}
	if hostname != "" {
		l.Hostname = hostname
	}
	switch verb {
	case "delete":
		if t.After(l.Deleted) {
			l.Deleted, l.DeletedBy = t, user
		}
	default:
		l.Writes++
		l.FirstWrite = minNonZero(l.FirstWrite, t)
		l.LastWrite = maxTime(l.LastWrite, t)
		if verb == "create" && t.After(l.Created) {
			l.Created = t
		}
	}
}

// hostnameLabel finds the kubernetes.io/hostname label in an object's JSON.
func hostnameLabel(b []byte) string {
	i := bytes.Index(b, []byte(`"kubernetes.io/hostname":"`))
	if i < 0 {
		return ""
	}
	v := b[i+len(`"kubernetes.io/hostname":"`):]
	if j := bytes.IndexByte(v, '"'); j > 0 && bytes.IndexByte(v[:j], '\\') < 0 {
		return string(v[:j])
	}
	return ""
}

// Counts is a part of an input's counts: Events, Kinds, and the same per API server the
// input names on its events.
type Counts struct {
	Events  int64
	Kinds   map[Kind]*KindStats
	PerNode map[string]*Counts
}

// node returns the counts of one API server, made on first use.
func (c *Counts) node(name string) *Counts {
	if c.PerNode == nil {
		c.PerNode = map[string]*Counts{}
	}
	n := c.PerNode[name]
	if n == nil {
		n = &Counts{}
		c.PerNode[name] = n
	}
	return n
}

// add counts one event as observe does, without the times.
func (c *Counts) add(t time.Time, k Kind, subresource, verb, level, node string, b bodies, as countAs, opts *Options) {
	if as == asLateWrite {
		countWrite(&c.Kinds, k, subresource, verb, level, b)
		if node != "" {
			countWrite(&c.node(node).Kinds, k, subresource, verb, level, b)
		}
		return
	}
	c.Events++
	if node != "" {
		c.node(node).Events++
	}
	if !inScope(t, k, opts) {
		return
	}
	countKind(&c.Kinds, k, subresource, verb, level, b, as)
	if node != "" {
		countKind(&c.node(node).Kinds, k, subresource, verb, level, b, as)
	}
}

// merge adds b's counts to c.
func (c *Counts) merge(b *Counts) {
	c.Events += b.Events
	for k, ks := range b.Kinds {
		MergeKindStats(kindStats(&c.Kinds, k), ks)
	}
	for name, n := range b.PerNode {
		c.node(name).merge(n)
	}
}

// MergeKindStats adds b's counts to a: the counts are summed, the levels are the higher.
func MergeKindStats(a, b *KindStats) {
	a.Events += b.Events
	a.WritesWithBodies += b.WritesWithBodies
	a.DryRuns += b.DryRuns
	a.Refused += b.Refused
	if a.Writes == nil {
		a.Writes = map[string]int64{}
	}
	for v, n := range b.Writes {
		a.Writes[v] += n
	}
	if LevelRank(b.MaxLevel) > LevelRank(a.MaxLevel) {
		a.MaxLevel = b.MaxLevel
	}
	if a.Levels == nil {
		a.Levels = map[string]string{}
	}
	if a.Bodies == nil {
		a.Bodies = map[string]int64{}
	}
	for v, n := range b.Bodies {
		a.Bodies[v] += n
	}
	for v, n := range b.Dropped {
		if a.Dropped == nil {
			a.Dropped = map[string]int64{}
		}
		a.Dropped[v] += n
	}
	for v, l := range b.Levels {
		if LevelRank(l) > LevelRank(a.Levels[v]) {
			a.Levels[v] = l
		}
	}
}

// Less returns the counts of kinds less those of repeats, which they include: what is left
// counts each event once. The levels stay: a repeat was logged at the level its first copy
// was. kinds is returned as it is when repeats is empty.
func Less(kinds, repeats map[Kind]*KindStats) map[Kind]*KindStats {
	if len(repeats) == 0 {
		return kinds
	}
	out := make(map[Kind]*KindStats, len(kinds))
	for k, ks := range kinds {
		c := &KindStats{}
		MergeKindStats(c, ks)
		if r := repeats[k]; r != nil {
			c.Events -= r.Events
			c.WritesWithBodies -= r.WritesWithBodies
			c.DryRuns -= r.DryRuns
			c.Refused -= r.Refused
			for v, n := range r.Writes {
				if c.Writes[v] -= n; c.Writes[v] <= 0 {
					delete(c.Writes, v)
				}
			}
			for v, n := range r.Bodies {
				if c.Bodies[v] -= n; c.Bodies[v] <= 0 {
					delete(c.Bodies, v)
				}
			}
			for v, n := range r.Dropped {
				if c.Dropped[v] -= n; c.Dropped[v] <= 0 {
					delete(c.Dropped, v)
				}
			}
		}
		out[k] = c
	}
	return out
}

// Sample is one problem, where it was found. Count is how many times it was found there
// in a row (a line of several values none of which is an event, both bodies of an event
// skipped): one sample for them all.
type Sample struct {
	Line    int
	Kind    string
	Message string
	Count   int
}

// MaxSamples is how many problems an Input keeps verbatim; the rest are only counted.
const MaxSamples = 20

// Lost counts the values that could not be read at all.
func (in *Input) Lost() int64 {
	var n int64
	for k, c := range in.Problems {
		if Lost(k) {
			n += c
		}
	}
	return n
}

// KindStats is what one source recorded of one kind.
type KindStats struct {
	Events int64
	// Writes counts events per write verb (subresource writes apart, under "verb/subresource").
	Writes map[string]int64
	// MaxLevel is the highest audit level seen on a write; Levels has it per key of Writes.
	MaxLevel string
	Levels   map[string]string
	// WritesWithBodies counts write events that carried a request or response object;
	// Bodies has the same per key of Writes.
	WritesWithBodies int64
	Bodies           map[string]int64
	// Dropped counts, per key of Writes, the writes without bodies whose log says they were
	// dropped for their size (the API server's audit.k8s.io/truncated, a
	// "skipped-too-big-size-object" in place of a body): logged at a level with bodies, so
	// the audit policy is not why they lack them. A write that kept one body counts in
	// WritesWithBodies.
	Dropped map[string]int64
	// DryRuns and Refused count write requests that asked for a dry run, or that the API
	// server refused (a code of 300 or more): they changed nothing, so they are not writes,
	// but their level still shows how the kind is audited.
	DryRuns, Refused int64
}

// countAs says how an event counts for its kind's coverage. A request is counted once: by
// its final stage (ResponseComplete or Panic), or, when the source holds no final stage for
// it, by its RequestReceived or ResponseStarted event at the end of the source.
type countAs int

const (
	asRequest   countAs = iota // a write request that took effect (or whose outcome is not logged)
	asStage                    // an earlier stage of a request its final stage will count
	asDryRun                   // a write that asked for a dry run
	asRefused                  // a write the API server refused
	asLateWrite                // a request counted at the end of its source, its event counted already
)

func (in *Input) problem(line int, kind string, err error) {
	if in.Problems == nil {
		in.Problems = map[string]int64{}
	}
	in.Problems[kind]++
	msg := err.Error()
	if n := len(in.Samples); n > 0 {
		if last := &in.Samples[n-1]; last.Line == line && last.Kind == kind && last.Message == msg {
			last.Count++
			return
		}
	}
	if len(in.Samples) < MaxSamples {
		in.Samples = append(in.Samples, Sample{Line: line, Kind: kind, Message: msg, Count: 1})
	}
}

// Activity is how a source's events are spread in time: how long the gaps between
// consecutive events are, and where the longest ones are.
type Activity struct {
	// Gaps counts the gaps between consecutive events by length: bucket 0 holds gaps under
	// a second, bucket i those from 2^(i-1) to 2^i seconds, up to GapBuckets; it ends at
	// its last bucket that counts any (a busy source's gaps are all short: a few buckets).
	Gaps []int64
	// longest holds the longest gaps, longest first, at most MaxLongGaps, as Unix
	// nanoseconds: 16 bytes a gap rather than 48 (see Longest).
	longest []gapNS
	// Rate counts the events over time, in a bounded number of buckets.
	Rate Rate
	last time.Time
}

// RateBuckets is how many buckets a Rate holds at most.
const RateBuckets = 64

// rateUnit is the narrowest bucket of a Rate.
const rateUnit = time.Minute

// Rate counts events over time in at most RateBuckets buckets of one width: a minute times a
// power of two, the least that holds the span of the events, each bucket starting at a
// multiple of the width (from Go's zero time), so that two Rates add up bucket for bucket.
// It takes the same memory whether a source holds an hour or a year.
type Rate struct {
	Width  time.Duration
	Start  time.Time // when Counts[0] begins
	Counts []int64
}

// maxRateWidth is the widest bucket of a Rate: RateBuckets of them reach as far as a
// time.Duration does (292 years), beyond which two times cannot be told apart by
// subtracting them.
var maxRateWidth = func() time.Duration {
	w := rateUnit
	for w <= math.MaxInt64/(2*RateBuckets) {
		w *= 2
	}
	return w
}()

// end is when the last bucket ends.
func (r *Rate) end() time.Time { return r.Start.Add(time.Duration(len(r.Counts)) * r.Width) }

// add counts n events at t. Events further apart than the widest buckets reach (a time
// misread by centuries) cannot share a grid: one that far from those counted is not
// counted in the Rate, which speaks for the others; the input still counts it as an event.
func (r *Rate) add(t time.Time, n int64) {
	if r.Width == 0 {
		r.Width, r.Start = rateUnit, t.Truncate(rateUnit)
	}
	if t.Before(r.Start) || !t.Before(r.end()) {
		w := r.Width
		lo, hi := minTime(r.Start, t), maxTime(r.end(), t.Add(1))
		if len(r.Counts) == 0 {
			lo, hi = t, t.Add(1)
		}
		for hi.Sub(lo.Truncate(w)) > time.Duration(RateBuckets)*w {
			if w >= maxRateWidth {
				return
			}
			w *= 2
		}
		r.rebuild(w, lo.Truncate(w), int((hi.Sub(lo.Truncate(w))+w-1)/w))
	}
	r.Counts[int(t.Sub(r.Start)/r.Width)] += n
}

// rebuild places the counts in buckets of width w (a multiple of the present width) from
// start, n of them.
func (r *Rate) rebuild(w time.Duration, start time.Time, n int) {
	counts := make([]int64, n)
	for i, c := range r.Counts {
		if c != 0 {
			at := r.Start.Add(time.Duration(i) * r.Width)
			counts[int(at.Truncate(w).Sub(start)/w)] += c
		}
	}
	r.Width, r.Start, r.Counts = w, start, counts
}

// Merge adds b's counts.
func (r *Rate) Merge(b *Rate) {
	if len(b.Counts) == 0 {
		return
	}
	if b.Width > r.Width && len(r.Counts) > 0 {
		*r = r.Coarsened(b.Width)
	} else if len(r.Counts) == 0 {
		r.Width = b.Width
		r.Start = b.Start
	}
	for i, c := range b.Counts {
		if c != 0 {
			at := b.Start.Add(time.Duration(i) * b.Width)
			// r is as wide as b or wider, on the same grid: the bucket falls in one of r's.
			r.add(at, c)
		}
	}
}

// Coarsened returns a copy of r in buckets of width w, when w is wider than r's (w from
// another Rate, so on the same grid); r itself otherwise.
func (r *Rate) Coarsened(w time.Duration) Rate {
	c := Rate{Width: r.Width, Start: r.Start, Counts: append([]int64(nil), r.Counts...)}
	if w > c.Width && len(c.Counts) > 0 {
		start := c.Start.Truncate(w)
		c.rebuild(w, start, int((c.end().Sub(start)+w-1)/w))
	}
	return c
}

// Between is about how many events fell from from to to: the buckets inside, and the part of
// a bucket cut by either bound in proportion to its time.
func (r *Rate) Between(from, to time.Time) float64 {
	var n float64
	for i, c := range r.Counts {
		a := r.Start.Add(time.Duration(i) * r.Width)
		b := a.Add(r.Width)
		lo, hi := maxTime(a, from), minTime(b, to)
		if c == 0 || !hi.After(lo) {
			continue
		}
		n += float64(c) * float64(hi.Sub(lo)) / float64(r.Width)
	}
	return n
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// GapBuckets is the number of gap length buckets (the last holds gaps over 2^30 s).
const GapBuckets = 32

// MaxLongGaps is how many of the longest gaps an Activity keeps.
const MaxLongGaps = 32

// Gap is a stretch between two consecutive events.
type Gap struct {
	From, To time.Time
}

// Length is how long the gap lasts.
func (g Gap) Length() time.Duration { return g.To.Sub(g.From) }

// GapBucket returns the bucket of a gap of length d.
func GapBucket(d time.Duration) int {
	s := int64(d / time.Second)
	b := 0
	for s > 0 && b < GapBuckets-1 {
		s >>= 1
		b++
	}
	return b
}

// Add records a gap.
func (a *Activity) Add(g Gap) {
	a.count(GapBucket(g.Length()), 1)
	a.keep(g)
}

// count adds n gaps to bucket b.
func (a *Activity) count(b int, n int64) {
	for len(a.Gaps) <= b {
		a.Gaps = append(a.Gaps, 0)
	}
	a.Gaps[b] += n
}

// keep holds g among the longest gaps when it is long enough.
func (a *Activity) keep(g Gap) {
	c := gapNS{from: g.From.UnixNano(), to: g.To.UnixNano()}
	n := len(a.longest)
	if n == MaxLongGaps && c.length() <= a.longest[n-1].length() {
		return
	}
	i := sort.Search(n, func(i int) bool { return a.longest[i].length() < c.length() })
	a.longest = append(a.longest, gapNS{})
	copy(a.longest[i+1:], a.longest[i:])
	a.longest[i] = c
	if len(a.longest) > MaxLongGaps {
		a.longest = a.longest[:MaxLongGaps]
	}
}

// gapNS is a Gap as Unix nanoseconds.
type gapNS struct{ from, to int64 }

func (g gapNS) length() int64 { return g.to - g.from }

// Longest returns the longest gaps, longest first, at most MaxLongGaps.
func (a *Activity) Longest() []Gap {
	out := make([]Gap, len(a.longest))
	for i, g := range a.longest {
		out[i] = Gap{From: time.Unix(0, g.from).UTC(), To: time.Unix(0, g.to).UTC()}
	}
	return out
}

// Merge adds another source's gaps (a rotated file of the same API server).
func (a *Activity) Merge(b *Activity) {
	for i, n := range b.Gaps {
		a.count(i, n)
	}
	for _, g := range b.longest {
		if n := len(a.longest); n == MaxLongGaps && g.length() <= a.longest[n-1].length() {
			break // b's are longest first: none after is kept either
		}
		a.keep(Gap{From: time.Unix(0, g.from), To: time.Unix(0, g.to)})
	}
	a.Rate.Merge(&b.Rate)
}

// see records an event time. Events a little out of order do not move the clock back.
func (a *Activity) see(t time.Time) {
	a.Rate.add(t, 1)
	if !a.last.IsZero() && t.After(a.last) {
		a.Add(Gap{From: a.last, To: t})
	}
	if t.After(a.last) {
		a.last = t
	}
}

// NodeStats is what one API server recorded, inside an input that holds the events of
// several (an EKS export of several log streams, must-gather lines of several nodes).
type NodeStats struct {
	Events     int64
	FirstEvent time.Time
	LastEvent  time.Time
	Kinds      map[Kind]*KindStats
	Activity   Activity
}

// observe counts one event of the source, decoded or only scanned. node is the API server
// the input says wrote it, "" when it does not say.
func (in *Input) observe(t time.Time, k Kind, subresource, verb, level, node string, b bodies, as countAs, opts *Options) {
	if as == asLateWrite {
		in.countLate(k, subresource, verb, level, node, b)
		return
	}
	in.Events++
	kinds := &in.Kinds
	var ns *NodeStats
	if node != "" {
		if in.PerNode == nil {
			in.PerNode = map[string]*NodeStats{}
		}
		ns = in.PerNode[node]
		if ns == nil {
			ns = &NodeStats{}
			in.PerNode[node] = ns
		}
		ns.Events++
	}
	if !t.IsZero() {
		span(&in.FirstEvent, &in.LastEvent, t)
		in.Activity.see(t)
		if ns != nil {
			span(&ns.FirstEvent, &ns.LastEvent, t)
			ns.Activity.see(t)
		}
	}
	if !inScope(t, k, opts) {
		return
	}
	countKind(kinds, k, subresource, verb, level, b, as)
	if ns != nil {
		countKind(&ns.Kinds, k, subresource, verb, level, b, as)
	}
}

// inScope reports whether an event of kind k at t counts in Kinds: a kind in scope, within
// Options.From and Options.To (events without a time count).
func inScope(t time.Time, k Kind, opts *Options) bool {
	if !t.IsZero() && ((!opts.From.IsZero() && t.Before(opts.From)) || (!opts.To.IsZero() && !t.Before(opts.To))) {
		return false
	}
	return k.Resource != "" && opts.Scope.Has(k)
}

// countLate counts a write request whose only events were earlier stages, at the end of its
// source: the events themselves were counted when read.
func (in *Input) countLate(k Kind, subresource, verb, level, node string, b bodies) {
	countWrite(&in.Kinds, k, subresource, verb, level, b)
	if ns := in.PerNode[node]; node != "" && ns != nil {
		countWrite(&ns.Kinds, k, subresource, verb, level, b)
	}
}

func span(first, last *time.Time, t time.Time) {
	if first.IsZero() || t.Before(*first) {
		*first = t
	}
	if t.After(*last) {
		*last = t
	}
}

// countKind counts one event of an in-scope kind.
func countKind(kinds *map[Kind]*KindStats, k Kind, subresource, verb, level string, b bodies, as countAs) {
	ks := kindStats(kinds, k)
	ks.Events++
	if !IsWrite(verb) {
		return
	}
	switch as {
	case asStage:
		return
	case asDryRun, asRefused:
		if as == asDryRun {
			ks.DryRuns++
		} else {
			ks.Refused++
		}
		noteLevel(ks, writeKey(verb, subresource), level)
		return
	}
	countWrite(kinds, k, subresource, verb, level, b)
}

func kindStats(kinds *map[Kind]*KindStats, k Kind) *KindStats {
	if *kinds == nil {
		*kinds = map[Kind]*KindStats{}
	}
	ks := (*kinds)[k]
	if ks == nil {
		ks = &KindStats{}
		(*kinds)[k] = ks
	}
	return ks
}

func writeKey(verb, subresource string) string {
	if subresource != "" {
		return verb + "/" + subresource
	}
	return verb
}

// noteLevel records the level a write of this key was logged at.
func noteLevel(ks *KindStats, key, level string) {
	if LevelRank(level) > LevelRank(ks.MaxLevel) {
		ks.MaxLevel = level
	}
	if ks.Levels == nil {
		ks.Levels = map[string]string{}
	}
	if LevelRank(level) > LevelRank(ks.Levels[key]) {
		ks.Levels[key] = level
	}
}

// countWrite counts one write request that took effect.
func countWrite(kinds *map[Kind]*KindStats, k Kind, subresource, verb, level string, b bodies) {
	ks := kindStats(kinds, k)
	key := writeKey(verb, subresource)
	if ks.Writes == nil {
		ks.Writes = map[string]int64{}
	}
	ks.Writes[key]++
	noteLevel(ks, key, level)
	switch b {
	case bodiesKept:
		ks.WritesWithBodies++
		if ks.Bodies == nil {
			ks.Bodies = map[string]int64{}
		}
		ks.Bodies[key]++
	case bodiesDropped:
		if ks.Dropped == nil {
			ks.Dropped = map[string]int64{}
		}
		ks.Dropped[key]++
	}
}

// bodies is what a write's event holds of its bodies, for coverage.
type bodies uint8

const (
	bodiesNone    bodies = iota // no request or response object: logged at a level without them
	bodiesKept                  // a request or response object
	bodiesDropped               // none, and the log says they were dropped for their size
)

// bodiesOf says what an event holds of its bodies.
func bodiesOf(ev *Event) bodies {
	switch {
	case ev.RequestObject != nil || ev.ResponseObject != nil:
		return bodiesKept
	case ev.BodiesDropped:
		return bodiesDropped
	}
	return bodiesNone
}

func (in *Input) addNode(node string) {
	if node == "" {
		return
	}
	i := sort.SearchStrings(in.Nodes, node)
	if i < len(in.Nodes) && in.Nodes[i] == node {
		return
	}
	in.Nodes = append(in.Nodes, "")
	copy(in.Nodes[i+1:], in.Nodes[i:])
	in.Nodes[i] = node
}
