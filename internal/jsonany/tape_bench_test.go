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

// BenchmarkAppendString writes the strings of a real API server's log as the differ and
// the renderers write values.
func BenchmarkAppendString(b *testing.B) {
	var strs []string
	var n int64
	var collect func(v any)
	collect = func(v any) {
		switch v := v.(type) {
		case string:
			strs = append(strs, v)
			n += int64(len(v))
		case map[string]any:
			for k, e := range v {
				strs = append(strs, k)
				n += int64(len(k))
				collect(e)
			}
		case []any:
			for _, e := range v {
				collect(e)
			}
		}
	}
	for _, l := range bytes.Split(benchBody(), []byte("\n")) {
		if v, err := Decode(l); err == nil {
			collect(v)
		}
	}
	b.SetBytes(n)
	var buf []byte
	for b.Loop() {
		for _, s := range strs {
			buf = AppendString(buf[:0], s)
		}
	}
}
