package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor, ceiling, want int64
	}{
		{0, 192 * mib, 0, 192 * mib},                 // a small heap: the floor
		{100 * mib, 192 * mib, 0, 192 * mib},         // 166 MiB would be below it
		{400 * mib, 192 * mib, 0, 616 * mib},         // a large heap: half as much again, and the slack
		{400 * mib, 192 * mib, 512 * mib, 512 * mib}, // never above the container's limit
		{100 * mib, 192 * mib, 128 * mib, 128 * mib}, // a container smaller than the floor wins
		{2000 * mib, 192 * mib, 0, 3016 * mib},       // a month of a busy cluster
	} {
		if got := Limit(tc.live, tc.floor, tc.ceiling); got != tc.want {
			t.Errorf("Limit(%d MiB, %d MiB, %d MiB) = %d MiB, want %d MiB", tc.live/mib, tc.floor/mib, tc.ceiling/mib, got/mib, tc.want/mib)
		}
	}
}

// After a collection, the limit follows the live heap, but not below what the runtime still
// holds, which it has not given back yet, and not up for it either.
func TestNext(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name                                string
		prev, live, held, floor, ceil, want int64
	}{
		{"a small heap", 192 * mib, 40 * mib, 150 * mib, 192 * mib, 0, 192 * mib},
		{"a heap growing", 616 * mib, 800 * mib, 600 * mib, 192 * mib, 0, 1216 * mib},
		{"the heap let go, its memory still held", 1216 * mib, 65 * mib, 1100 * mib, 192 * mib, 0, 1100 * mib},
		{"the memory given back since", 1100 * mib, 65 * mib, 300 * mib, 192 * mib, 0, 300 * mib},
		{"more held than the last limit", 300 * mib, 65 * mib, 500 * mib, 192 * mib, 0, 300 * mib},
		{"a container's limit", 900 * mib, 65 * mib, 1100 * mib, 192 * mib, 900 * mib, 900 * mib},
	} {
		if got := Next(tc.prev, tc.live, tc.held, tc.floor, tc.ceil); got != tc.want {
			t.Errorf("%s: Next = %d MiB, want %d MiB", tc.name, got/mib, tc.want/mib)
		}
	}
}

// TestStartFollowsTheLiveHeap: once a collection finds a heap larger than the floor live,
// the limit rises to follow it, rather than making the collector run without end.
func TestStartFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	const floor = 64 << 20
	Start(floor, 0)
	if got := debug.SetMemoryLimit(-1); got != floor {
		t.Fatalf("limit %d at the start, want the floor %d", got, floor)
	}
	live := make([][]byte, 0, 200)
	for range 200 {
		live = append(live, make([]byte, 1<<20))
	}
	want := Limit(200<<20, floor, 0)
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) < want-slack && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got < want-slack {
		t.Errorf("limit %d MiB with 200 MiB live, want about %d MiB", got>>20, want>>20)
	}
	runtime.KeepAlive(live)
}
