package audit

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// BenchmarkScan runs the pass every line of an API server's log takes, the validation with
// the layout's keys checked and the scan of their values (scanLine), and the validation
// alone, over the sample logs of three API servers.
func BenchmarkScan(b *testing.B) {
	lines, size := sampleLines(b, func([]byte) bool { return true })
	in := interner{}
	b.Run("scanLine", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, l := range lines {
				scanLine(l, in)
			}
		}
	})
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, l := range lines {
				validJSON(l)
			}
		}
	})
}

// BenchmarkClaim claims the keys of a busy log: a million events over an hour, each key new
// and half of them claimed again by a second source (another API server's copy).
func BenchmarkClaim(b *testing.B) {
	const n = 1 << 20
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	first := func(a, c int32) bool { return a < c }
	for b.Loop() {
		s := &eventSet{}
		c0, c1 := s.expect(0, t0), s.expect(1, t0)
		for i, k := range keys {
			at := t0.Add(time.Duration(i) * time.Hour / n)
			s.claim(k, k, at, true, 0, c0, first)
			if i%2 == 0 {
				s.claim(k, k, at, true, 1, c1, first)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
}

// BenchmarkDecode reads the events of the sample logs' lines in the API server's layout:
// decoded whole (goccy/go-json into the wire, then the event), and from where the scan found
// their values (eventAt, as the reader reads a line in scope after its scan).
func BenchmarkDecode(b *testing.B) {
	lines, size := sampleLines(b, func(l []byte) bool {
		_, ok := scanLine(l, interner{})
		return ok
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, l := range lines {
				dispatchFast(l, 1, "", 0, nopSink{}, true)
			}
		}
	})
	b.Run("eventAt", func(b *testing.B) {
		in := interner{}
		ats, lights := make([]places, len(lines)), make([]light, len(lines))
		for i, l := range lines {
			lights[i], _ = scanAt(l, in, &ats[i])
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for i, l := range lines {
				if eventAt(l, &ats[i], &lights[i], in, nopSink{}, 1) == nil {
					b.Fatal("eventAt left a sample line to the decode")
				}
			}
		}
	})
}

// sampleLines returns the lines of the sample logs of three API servers that keep has, and
// their size.
func sampleLines(b *testing.B, keep func([]byte) bool) (lines [][]byte, size int64) {
	for _, src := range files(b, "../testdata/logs/ha-3-nodes/*") {
		raw, err := os.ReadFile(src.Name)
		if err != nil {
			b.Fatal(err)
		}
		for l := range bytes.SplitSeq(bytes.TrimSpace(raw), []byte("\n")) {
			if keep(l) {
				lines = append(lines, l)
				size += int64(len(l))
			}
		}
	}
	return lines, size
}
