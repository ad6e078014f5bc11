// Package gcpace paces the garbage collector for a run whose live heap may be small (a day
// of a quiet cluster) or large (a month of a busy one).
//
// GOGC=50 kept the peak of a large live heap at one and a half times it, but made a small
// heap collect twice as often as needed: the bench log's report spent a quarter of its CPU
// in the collector. Paced, the collector runs at GOGC=300 under a soft memory limit that
// follows the live heap: a floor while the heap is small, one and a half times the live
// heap (as GOGC=50) once it is large, never above a container's limit. A run thus spends
// memory up to the floor before it spends CPU on collecting: a heap of 40 MiB live is
// collected at 160 MiB or at the floor, whichever comes first, not at 80 MiB as GOGC=100
// would; a tiny run's heap stays tiny.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// slack is what the runtime holds beside the heap's objects (stacks, metadata, spans): the
// memory limit counts it, the heap goal of GOGC does not.
const slack = 16 << 20

// Limit is the soft memory limit for a live heap of live bytes: half as much again and the
// slack, at least floor, at most ceiling (none when 0).
func Limit(live, floor, ceiling int64) int64 {
	l := max(live+live/2+slack, floor)
	if ceiling > 0 {
		l = min(l, ceiling)
	}
	return l
}

// Next is the limit after a collection that found live bytes live, the runtime holding held
// bytes (its memory not given back to the system) under the limit prev: Limit(live), but not
// below what is held, up to prev. A limit below what the runtime holds has the collector run
// without pause until the scavenger gives the difference back: after the reading of the
// 8 GB bench log, whose live heap was a gigabyte, writing the report spent half its CPU
// collecting a heap of 65 MB. Held memory is given back over time, and the limit follows it
// down; it never rises for it, so it cannot creep up.
func Next(prev, live, held, floor, ceiling int64) int64 {
	return max(Limit(live, floor, ceiling), min(held, prev))
}

// Percent is the GOGC that Start sets: the heap may grow to four times what is live, unless
// the memory limit comes first.
const Percent = 300

// Start sets GOGC=Percent and a soft memory limit of Limit(0, floor, ceiling), raised or
// lowered after every collection as Next says.
func Start(floor, ceiling int64) {
	debug.SetGCPercent(Percent)
	debug.SetMemoryLimit(Limit(0, floor, ceiling))
	arm(floor, ceiling)
}

// sentinel is an object only a collection frees: its cleanup runs once after each.
type sentinel struct{ _ [64]byte } // not a tiny allocation, which may outlive its collection

func arm(floor, ceiling int64) {
	runtime.AddCleanup(new(sentinel), func(struct{}) {
		live, held := heap()
		debug.SetMemoryLimit(Next(debug.SetMemoryLimit(-1), live, held, floor, ceiling))
		arm(floor, ceiling)
	}, struct{}{})
}

// heap returns the heap the last collection found live, and the memory the runtime holds as
// the memory limit counts it: all it mapped, less what it gave back.
func heap() (live, held int64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	var v [3]int64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = int64(s[i].Value.Uint64())
		}
	}
	return v[0], v[1] - v[2]
}
