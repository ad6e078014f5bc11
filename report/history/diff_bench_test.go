package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/auditreport/auditreport/internal/gen"
)

// BenchmarkDiff diffs each state the generated log (the one make bench reads) shows stored
// against the one before it, of the same object, as the tracker does for every write.
func BenchmarkDiff(b *testing.B) {
	var log bytes.Buffer
	g := gen.New(gen.Config{Bytes: 16 << 20, Nodes: 1, Days: 0.1, Seed: 1, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := g.Run([]io.Writer{&log}); err != nil {
		b.Fatal(err)
	}
	type pair struct{ old, new any }
	var pairs []pair
	last := map[string]any{}
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
		stripNoise(s)
		k := kindOf(s) + "/" + str(s, "metadata", "namespace") + "/" + str(s, "metadata", "name")
		if old, ok := last[k]; ok {
			pairs = append(pairs, pair{old, s})
		}
		last[k] = s
	}
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
