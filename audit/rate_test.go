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
