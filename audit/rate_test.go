package audit

import (
	"math"
	"testing"
	"time"
)

// A Rate holds any span in RateBuckets buckets, counts every event, and two Rates merged
// count what one Rate of all their events counts, bucket for bucket.
func TestRate(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, span := range []time.Duration{10 * time.Minute, 36 * time.Hour, 400 * 24 * time.Hour} {
		var all, a, b Rate
		n := 10000
		for i := 0; i < n; i++ {
			at := t0.Add(span / time.Duration(n) * time.Duration(i))
			all.add(at, 1)
			if i%3 == 0 {
				a.add(at, 1)
			} else {
				b.add(at, 1)
			}
		}
		if len(all.Counts) > RateBuckets {
			t.Errorf("%s: %d buckets", span, len(all.Counts))
		}
		if got := all.Between(all.Start, all.end()); math.Abs(got-float64(n)) > 0.5 {
			t.Errorf("%s: %f events counted, want %d", span, got, n)
		}
		if got := all.Between(t0, t0.Add(span/2)); math.Abs(got-float64(n)/2) > float64(n)/10 {
			t.Errorf("%s: %f events in the first half, want about %d", span, got, n/2)
		}
		a.Merge(&b)
		if a.Width != all.Width || !a.Start.Equal(all.Start) || len(a.Counts) != len(all.Counts) {
			t.Fatalf("%s: merged %s from %s x%d, one rate %s from %s x%d", span, a.Width, a.Start, len(a.Counts), all.Width, all.Start, len(all.Counts))
		}
		for i := range all.Counts {
			if a.Counts[i] != all.Counts[i] {
				t.Errorf("%s: bucket %d merged %d, one rate %d", span, i, a.Counts[i], all.Counts[i])
			}
		}
	}
}

// TestRateCenturiesApart: a time misread by centuries (FuzzReader found a line of the year
// 18 among lines of 2018) made the buckets widen until their width overflowed, and the
// reader hung. The Rate now counts what one grid of RateBuckets can reach, widest about
// 255 years, and leaves the rest out; times within reach still widen it.
func TestRateCenturiesApart(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var r, far Rate
	for i := range 100 {
		r.add(t0.Add(time.Duration(i)*time.Minute), 1)
	}
	for _, at := range []time.Time{time.Date(18, 10, 26, 9, 51, 35, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), {}} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.add(at, 1)
			far.add(at, 1)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("adding %s to a Rate of 2026 did not end", at)
		}
	}
	if got := r.Between(r.Start, r.end()); got != 100 || len(r.Counts) > RateBuckets {
		t.Errorf("%f events in %d buckets, want the 100 of 2026 in at most %d", got, len(r.Counts), RateBuckets)
	}
	r.Merge(&far)
	if got := r.Between(r.Start, r.end()); got != 100 {
		t.Errorf("after merging a Rate of other centuries: %f events, want 100", got)
	}
	// Two centuries apart is within reach: the buckets widen to hold both.
	r.add(t0.AddDate(-200, 0, 0), 1)
	if got := r.Between(r.Start, r.end()); got != 101 || len(r.Counts) > RateBuckets {
		t.Errorf("with one of two centuries before: %f events in %d buckets, want 101 in at most %d", got, len(r.Counts), RateBuckets)
	}
}
