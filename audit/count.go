package audit

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Counting events truly: the same request and stage read from two files (a rotated copy, an
// export that overlaps another) is one event. Every event read, decoded or only scanned,
// leaves a 64-bit key in a set shared by the sources; the set's size is the count.

// eventSet is a set of event keys: open addressing in shards, 8 bytes a slot, at most 3/4
// full, so a million events take about 11 to 21 MiB.
type eventSet struct {
	shards [64]keyShard
	n      atomic.Int64
}

type keyShard struct {
	sync.Mutex
	slots []uint64
	n     int
}

// count counts an event once per key; an event without an auditID or a time cannot be told
// from another with certainty and is always counted.
func (s *eventSet) count(k uint64, certain bool) {
	if !certain {
		s.n.Add(1)
		return
	}
	s.add(k)
}

// add puts k in the set and reports whether it was new.
func (s *eventSet) add(k uint64) bool {
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
			sh.slots[i] = k
			sh.n++
			s.n.Add(1)
			return true
		case k:
			return false
		}
	}
}

func (sh *keyShard) grow() {
	old := sh.slots
	sh.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(sh.slots) - 1)
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := k & mask
		for sh.slots[i] != 0 {
			i = (i + 1) & mask
		}
		sh.slots[i] = k
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
