package audit

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkScan runs the two passes every line of an API server's log takes, the scan and the
// validation with the layout's keys checked (scanLine), and the validation alone, over the
// sample logs of three API servers.
func BenchmarkScan(b *testing.B) {
	var lines [][]byte
	var size int64
	for _, src := range files(b, "../testdata/logs/ha-3-nodes/*") {
		raw, err := os.ReadFile(src.Name)
		if err != nil {
			b.Fatal(err)
		}
		for l := range bytes.SplitSeq(bytes.TrimSpace(raw), []byte("\n")) {
			lines = append(lines, l)
			size += int64(len(l))
		}
	}
	in := interner{}
	b.Run("scanLight", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for _, l := range lines {
				scanLight(l, in)
			}
		}
	})
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
