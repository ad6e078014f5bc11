package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/auditreport/auditreport/internal/gen"
	"github.com/auditreport/auditreport/internal/jsonany"
)

// storedStates calls fn with each stored object the responses of 16 MB of the log make
// bench reads show, decoded and as logged, with the name of the object it is a state of.
func storedStates(b *testing.B, fn func(key string, s map[string]any, raw []byte)) {
	var log bytes.Buffer
	g := gen.New(gen.Config{Bytes: 16 << 20, Nodes: 1, Days: 0.1, Seed: 1, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := g.Run([]io.Writer{&log}); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(&log)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var ev struct {
			ResponseObject json.RawMessage `json:"responseObject"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		s, _ := Decode(ev.ResponseObject).(map[string]any)
		if s == nil || s["metadata"] == nil || kindOf(s) == "Status" || str(s, "metadata", "name") == "" {
			continue
		}
		fn(kindOf(s)+"/"+str(s, "metadata", "namespace")+"/"+str(s, "metadata", "name"), s, ev.ResponseObject)
	}
}

// BenchmarkDiff diffs each state the generated log (the one make bench reads) shows stored
// against the one before it, of the same object, as the tracker does for every write.
func BenchmarkDiff(b *testing.B) {
	type pair struct{ old, new any }
	var pairs []pair
	last := map[string]any{}
	storedStates(b, func(k string, s map[string]any, _ []byte) {
		stripNoise(s)
		if old, ok := last[k]; ok {
			pairs = append(pairs, pair{old, s})
		}
		last[k] = s
	})
	if len(pairs) < 1000 {
		b.Fatalf("%d pairs of states", len(pairs))
	}
	d := differ{redact: true, paths: map[string]string{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range pairs {
			d.diff(p.old, p.new)
		}
	}
	b.ReportMetric(float64(len(pairs)), "pairs/op")
}

// BenchmarkCompareStates compares each stored state of the generated log with the one before
// it, from their bytes, as the tracker does for an update: decoded into maps (the general
// path) and on tapes (the path of updates and status writes).
func BenchmarkCompareStates(b *testing.B) {
	type pair struct{ old, new []byte }
	var pairs []pair
	last := map[string][]byte{}
	storedStates(b, func(k string, _ map[string]any, raw []byte) {
		if old, ok := last[k]; ok {
			pairs = append(pairs, pair{old, raw})
		}
		last[k] = raw
	})
	d := differ{redact: true, paths: map[string]string{}}
	b.Run("maps", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pairs {
				old, new := Decode(p.old).(map[string]any), Decode(p.new).(map[string]any)
				stripNoise(old)
				stripNoise(new)
				d.diff(withoutStatus(old), withoutStatus(new))
			}
		}
		b.ReportMetric(float64(len(pairs)), "pairs/op")
	})
	b.Run("tapes", func(b *testing.B) {
		var ta, tb jsonany.Tape
		var keys []int32
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pairs {
				ta.Parse(p.old)
				tb.Parse(p.new)
				d.diffTapes(&ta, &tb, true, false, &keys)
			}
		}
		b.ReportMetric(float64(len(pairs)), "pairs/op")
	})
}
