package audit

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Counting events truly: the same request and stage read from two files (a rotated copy, an
// export that overlaps another) is one event. Every event read, decoded or only scanned,
// leaves a 64-bit key in a set shared by the sources; the keys that went in are the count.
// Each key also names the source that holds the event and comes first (by name, then by the
// order the sources were taken up): that source counts the event in its coverage counts,
// every other one counts it among its repeats (Input.Repeats), whatever order the sources
// were read in.
//
// The set forgets, so that its memory follows the events of a few minutes, not of the
// period. The API server writes an event when its stage ends, so a source's stage times
// grow as it is read, but for concurrent requests logged a little out of order; sources are
// taken up in the order of their first event. A key whose stage time is more than the
// merge window older than where every source being read, or waiting its turn, has come to
// cannot be read again, and goes when its shard would otherwise grow. A source found going
// back in time further than the window holds back all forgetting while it is read. An event
// older than a key forgotten that is not in the set could be a repeat of that key: it is
// counted as an event, and among the unchecked ones (Merged.Unchecked), so that a count
// that may hold it twice says so.
//
// The key names a request and stage, not what was logged of it: a repeat is exact only when
// its content is the same too. Each key keeps a fingerprint of the content of the event
// counted (see contentSum); an event whose key is in the set is an exact repeat when its
// fingerprint is the same, and a conflicting repeat when not (another source IP, response
// code or body under the same auditID, stage, times and request): counted apart, not as an
// event, so that the events read, the exact repeats and the conflicting ones add up to the
// inputs' events. Only an event whose key is in the set is compared.

// eventSet is a set of event keys: open addressing in shards, 20 bytes a slot, at most 3/4
// full. Until a shard has keepSlots slots it forgets nothing: up to about 200,000 events
// (5 MiB) are all kept, beyond that those of the last window or so.
type eventSet struct {
	shards [64]keyShard
	n      atomic.Int64
	// repeats and conflicts count the events whose key was in the set: with the content of
	// the event counted, or with other content.
	repeats, conflicts atomic.Int64
	// unchecked counts the events that were not in the set but older than a key it forgot.
	unchecked atomic.Int64
	// window is how far back a source's stage times may go (the merge window); 0 means
	// DefaultWindow. keep, when not zero, stands in for keepSlots (tests).
	window time.Duration
	keep   int
	// held is how many slots the shards hold, peak the most they held at once.
	held, peak atomic.Int64

	mu      sync.Mutex
	cursors map[int32]*cursor // the sources being read or waiting their turn
}

type keyShard struct {
	sync.Mutex
	// slots hold a key with what is known of it side by side: one cache line holds all
	// that a claim reads and writes (three arrays cost three misses on every new key).
	slots []slot
	n     int
	// forgot is one past the latest minute of a key forgotten; 0 when none was.
	forgot uint32
}

// slot is a key of the set (0 when empty) and what is known of it. The key is held in two
// halves so that the slot takes 20 bytes, not the 24 a uint64 would align it to.
type slot struct {
	keyLo, keyHi uint32
	owner        int32  // the source that holds the key and comes first
	minute       uint32 // the event's stage time in minutes since 1970, or timeless
	sum          uint32 // the content of the owner's event (contentSum, its low half)
}

func (sl *slot) key() uint64 { return uint64(sl.keyHi)<<32 | uint64(sl.keyLo) }

func newSlot(k uint64, owner int32, minute, sum uint32) slot {
	return slot{keyLo: uint32(k), keyHi: uint32(k >> 32), owner: owner, minute: minute, sum: sum}
}

const (
	keepSlots = 4096
	// timeless marks a key whose stage time cannot be placed: never forgotten.
	timeless = math.MaxUint32
	// unknown is a cursor's time before anything is known of where its source stands.
	unknown = math.MinInt64
)

// cursor is where one source stands. Only the goroutine reading the source moves it; bound
// is what others read.
type cursor struct {
	hi         int64 // the latest stage time claimed (or the first event's, as looked at), Unix ns
	disordered bool  // a stage time went back further than the window: bound is unknown
	// bound is a time the source's events are not expected to go back from by more than the
	// window: the latest stage time but one (a single line of a wrong clock does not carry
	// it away), unknown while nothing is known or once the source went back in time.
	bound atomic.Int64
}

// advance moves a source's cursor to a stage time it read.
func (c *cursor) advance(t time.Time, window time.Duration) {
	if c == nil || c.disordered || t.IsZero() {
		return
	}
	ns := t.UnixNano()
	switch {
	case c.hi == unknown:
		c.hi = ns
	case ns > c.hi:
		c.bound.Store(c.hi)
		c.hi = ns
	case ns < c.hi-int64(window):
		c.disordered = true
		c.bound.Store(unknown)
	}
}

// expect tells the set of a source that is to be read, and returns its cursor (the one it
// has, if the set knows it already). first is the time of its first event, zero when not
// known: until it is read, the source holds back what the set forgets to that time.
func (s *eventSet) expect(seq int32, first time.Time) *cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cursors[seq]; c != nil {
		return c
	}
	if s.cursors == nil {
		s.cursors = map[int32]*cursor{}
	}
	c := &cursor{hi: unknown}
	c.bound.Store(unknown)
	if !first.IsZero() {
		c.hi = first.UnixNano()
		c.bound.Store(c.hi)
	}
	s.cursors[seq] = c
	return c
}

// finished tells the set that a source will claim no more events (read, or never to be).
func (s *eventSet) finished(seq int32) {
	s.mu.Lock()
	delete(s.cursors, seq)
	if len(s.cursors) == 0 {
		s.cursors = nil // a map keeps its room: thousands of files waited in it
	}
	s.mu.Unlock()
}

// forgetBefore returns the minute before which keys may go: a window before the earliest
// bound of the sources being read or waiting, 0 when nothing may.
func (s *eventSet) forgetBefore() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cursors) == 0 {
		return 0 // nothing being read: nothing to go by (a listing may yet add sources)
	}
	low := int64(math.MaxInt64)
	for _, c := range s.cursors {
		low = min(low, c.bound.Load())
	}
	w := s.slack()
	if low == unknown || low-int64(w) <= 0 {
		return 0
	}
	m := (low - int64(w)) / int64(time.Minute)
	return uint32(min(m, timeless-1))
}

// minuteOf is where a key of stage time t stands for forgetting.
func minuteOf(t time.Time) uint32 {
	s := t.Unix()
	if t.IsZero() || s < 0 || s/60 >= timeless {
		return timeless
	}
	return uint32(s / 60)
}

// noOwner is what claim returns when no other source's counts must give the event up.
const noOwner = -1

// claim counts an event once per key, for source seq, whose cursor c it moves to the event's
// stage time; sum is its content (contentSum). repeat says the event is counted by another
// source that comes first (or by an earlier line of this one); overtaken names the source
// that counted it so far and must now count it as a repeat, since seq comes first (noOwner
// when none). conflict names, when the two differ in content, the source that holds the other
// copy (noOwner when they do not). first tells whether source a comes before b. An event
// without an auditID or a time cannot be told from another with certainty and is always
// counted.
func (s *eventSet) claim(k uint64, sum uint64, stage time.Time, certain bool, seq int32, c *cursor, first func(a, b int32) bool) (repeat bool, overtaken, conflict int32) {
	if !certain {
		s.n.Add(1)
		return false, noOwner, noOwner
	}
	c.advance(stage, s.slack())
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	m := minuteOf(stage)
	sum32 := uint32(sum) // a repeat with other content is told by it but for a chance of one in 2^32
	sh := &s.shards[k>>58]
	sh.Lock()
	defer sh.Unlock()
	if (sh.n+1)*4 > len(sh.slots)*3 {
		var forget uint32
		if len(sh.slots) >= s.keepSlots() {
			forget = s.forgetBefore()
		}
		s.rebuild(sh, forget)
	}
	mask := uint64(len(sh.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		sl := &sh.slots[i]
		switch sl.key() {
		case 0:
			*sl = newSlot(k, seq, m, sum32)
			sh.n++
			s.n.Add(1)
			if m < sh.forgot {
				s.unchecked.Add(1)
			}
			return false, noOwner, noOwner
		case k:
			conflict = noOwner
			if sl.sum != sum32 {
				s.conflicts.Add(1)
				conflict = sl.owner
			} else {
				s.repeats.Add(1)
			}
			if o := sl.owner; o != seq && first(seq, o) {
				sl.owner, sl.sum = seq, sum32 // the copy counted is the first source's
				return false, o, conflict
			}
			return true, noOwner, conflict
		}
	}
}

func (s *eventSet) slack() time.Duration {
	if s.window > 0 {
		return s.window
	}
	return DefaultWindow
}

func (s *eventSet) keepSlots() int {
	if s.keep > 0 {
		return s.keep
	}
	return keepSlots
}

// release lets every key go once no source can claim an event any more: the end of the run.
func (s *eventSet) release() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.Lock()
		s.held.Add(-int64(len(sh.slots)))
		sh.slots, sh.n = nil, 0
		sh.Unlock()
	}
}

// forget drops, in every shard, the keys that may go now (tests).
func (s *eventSet) forget() {
	forget := s.forgetBefore()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.Lock()
		if len(sh.slots) > 0 {
			s.rebuild(sh, forget)
		}
		sh.Unlock()
	}
}

// rebuild places the keys again, without those of minutes before forget, in a table as large
// as it was if they fill at most half of it, else in one twice as large.
func (s *eventSet) rebuild(sh *keyShard, forget uint32) {
	kept := sh.n
	if forget > 0 {
		kept = 0
		for _, sl := range sh.slots {
			if sl.key() != 0 && sl.minute >= forget {
				kept++
			}
		}
	}
	size := len(sh.slots)
	if size == 0 {
		size = min(1024, s.keepSlots())
	} else if kept*2 > size {
		size *= 2
	}
	held := s.held.Add(int64(size - len(sh.slots)))
	for p := s.peak.Load(); held > p && !s.peak.CompareAndSwap(p, held); p = s.peak.Load() {
	}
	old := sh.slots
	sh.slots = make([]slot, size)
	sh.n = kept
	mask := uint64(size - 1)
	for _, sl := range old {
		if sl.key() == 0 {
			continue
		}
		if sl.minute < forget {
			sh.forgot = max(sh.forgot, sl.minute+1)
			continue
		}
		i := sl.key() & mask
		for sh.slots[i].key() != 0 {
			i = (i + 1) & mask
		}
		sh.slots[i] = sl
	}
}

var keySeed = maphash.MakeSeed()

// eventKey identifies an event by its request and stage: auditID, stage, verb, URI, user and
// both timestamps, what the merge takes for the same event (sameRequest). Whether a repeat
// is exact is for its content to say (contentSum).
func eventKey(h *maphash.Hash, auditID, stage, verb, uri, user []byte, received, staged time.Time) uint64 {
	h.SetSeed(keySeed) // one seed for every source, so that their keys compare
	for _, b := range [][]byte{auditID, stage, verb, uri, user} {
		h.Write(b)
		h.WriteByte(0)
	}
	writeTime(h, received)
	writeTime(h, staged)
	return h.Sum64()
}

func writeTime(h *maphash.Hash, t time.Time) {
	var b [8]byte
	n := uint64(t.UnixNano())
	if t.IsZero() {
		n = 0
	}
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
}

// contentSum is the fingerprint of an event's content: its JSON value, compacted unless it
// is known to be (a line in the API server's layout), so that a pretty-printed export and a
// log line of one event agree. Two copies that differ in any byte of their compact JSON
// differ here, but for a chance of one in 2^64 (2^32 in the set, which keeps half of it).
func contentSum(raw []byte, compact bool) uint64 {
	if compact || isCompact(raw) {
		return maphash.Bytes(keySeed, raw)
	}
	buf := compactPool.Get().(*bytes.Buffer)
	defer compactPool.Put(buf)
	buf.Reset()
	if err := json.Compact(buf, raw); err != nil {
		return maphash.Bytes(keySeed, raw)
	}
	sum := maphash.Bytes(keySeed, buf.Bytes())
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // do not keep a huge event's room
	}
	return sum
}

// isCompact reports whether a JSON value has no whitespace outside its strings: most values
// an export wraps are written so, and a look is cheaper than compacting them.
func isCompact(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			return false
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return true
}

var compactPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
