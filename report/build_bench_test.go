package report

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/gen"
)

// BenchmarkBuild builds histories from a generated multi-node log (64 MiB, three nodes,
// two days), and reports throughput and the heap the finished report holds (report-MiB).
func BenchmarkBuild(b *testing.B) {
	const size = 64 << 20
	g := gen.New(gen.Config{Bytes: size, Nodes: 3, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 2, Seed: 7})
	bufs := make([]bytes.Buffer, 3)
	ws := make([]io.Writer, 3)
	for i := range bufs {
		ws[i] = &bufs[i]
	}
	if _, err := g.Run(ws); err != nil {
		b.Fatal(err)
	}
	var total int64
	for i := range bufs {
		total += int64(bufs[i].Len())
	}
	b.SetBytes(total)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var heap uint64
	for b.Loop() {
		srcs := make([]audit.Source, len(bufs))
		for i := range bufs {
			srcs[i] = audit.ReaderSource("node.log", bytes.NewReader(bufs[i].Bytes()))
		}
		r, err := Build(context.Background(), srcs, Options{Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(heap)/(1<<20), "report-MiB")
}
