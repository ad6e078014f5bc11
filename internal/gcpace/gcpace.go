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

// Percent is the GOGC that Start sets: the heap may grow to four times what is live, unless
// the memory limit comes first.
const Percent = 300

// Start sets GOGC=Percent and a soft memory limit of Limit(0, floor, ceiling), raised or
// lowered after every collection to Limit of the heap it found live.
func Start(floor, ceiling int64) {
	debug.SetGCPercent(Percent)
	debug.SetMemoryLimit(Limit(0, floor, ceiling))
	arm(floor, ceiling)
}

// sentinel is an object only a collection frees: its cleanup runs once after each.
type sentinel struct{ _ [64]byte } // not a tiny allocation, which may outlive its collection

func arm(floor, ceiling int64) {
	runtime.AddCleanup(new(sentinel), func(struct{}) {
		debug.SetMemoryLimit(Limit(liveHeap(), floor, ceiling))
		arm(floor, ceiling)
	}, struct{}{})
}

// liveHeap is the heap the last collection found live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}
