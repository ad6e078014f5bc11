package jsonany

import (
	"bytes"
	"testing"
)

// BenchmarkTape parses the lines of a real API server's log onto a tape, as the tracker
// parses every body it keeps.
func BenchmarkTape(b *testing.B) {
	lines := bytes.Split(benchBody(), []byte("\n"))
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	var tp Tape
	for b.Loop() {
		for _, l := range lines {
			tp.Parse(l)
		}
	}
}
