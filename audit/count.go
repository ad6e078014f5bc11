package audit

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Counting events truly: the same request and stage read from two files (a rotated copy, an
// export that overlaps another) is one event. Every event read, decoded or only scanned,
// leaves a 64-bit key in a set shared by the sources; the set's size is the count. Each key
// also names the source that holds the event and comes first (by name, then by the order the
// sources were taken up): that source counts the event in its coverage counts, every other
// one counts it among its repeats (Input.Repeats), whatever order the sources were read in.

// eventSet is a set of event keys: open addressing in shards, 12 bytes a slot, at most 3/4
// full, so a million events take about 16 to 32 MiB.
type eventSet struct {
	shards [64]keyShard
	n      atomic.Int64
}

type keyShard struct {
	sync.Mutex
	slots  []uint64
	owners []int32 // the source that holds the key and comes first
	n      int
}

// noOwner is what claim returns when no other source's counts must give the event up.
const noOwner = -1

// claim counts an event once per key, for source seq. repeat says the event is counted by
// another source that comes first (or by an earlier line of this one); overtaken names the
// source that counted it so far and must now count it as a repeat, since seq comes first
// (noOwner when none). first tells whether source a comes before b. An event without an
// auditID or a time cannot be told from another with certainty and is always counted.
func (s *eventSet) claim(k uint64, certain bool, seq int32, first func(a, b int32) bool) (repeat bool, overtaken int32) {
	if !certain {
		s.n.Add(1)
		return false, noOwner
	}
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	sh := &s.shards[k>>58]
	sh.Lock()
	defer sh.Unlock()
	if (sh.n+1)*4 > len(sh.slots)*3 {
		sh.grow()
	}
	mask := uint64(len(sh.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch sh.slots[i] {
		case 0:
			sh.slots[i], sh.owners[i] = k, seq
			sh.n++
			s.n.Add(1)
			return false, noOwner
		case k:
			if o := sh.owners[i]; o != seq && first(seq, o) {
				sh.owners[i] = seq
				return false, o
			}
			return true, noOwner
		}
	}
}

func (sh *keyShard) grow() {
	old, oldOwners := sh.slots, sh.owners
	sh.slots = make([]uint64, max(1024, 2*len(old)))
	sh.owners = make([]int32, len(sh.slots))
	mask := uint64(len(sh.slots) - 1)
	for j, k := range old {
		if k == 0 {
			continue
		}
		i := k & mask
		for sh.slots[i] != 0 {
			i = (i + 1) & mask
		}
		sh.slots[i], sh.owners[i] = k, oldOwners[j]
	}
}

var keySeed = maphash.MakeSeed()

// eventKey identifies an event by its request and stage: auditID, stage, verb, URI, user and
// both timestamps, what the merge takes as an exact repeat (sameRequest).
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
