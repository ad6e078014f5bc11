// Command gen writes realistic multi-node Kubernetes audit logs for benchmarks and tests.
//
//	go run ./bench/gen -size 1GB -nodes 3 -days 2 -o bench/data
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"

	"github.com/auditreport/auditreport/internal/gen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	size := flag.String("size", "100MB", "total size of the logs (KB, MB, GB)")
	nodes := flag.Int("nodes", 3, "number of API servers, one log each")
	days := flag.Float64("days", 2, "days the events span")
	start := flag.String("start", "2026-11-01T00:00:00Z", "time of the first event (RFC 3339)")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same logs")
	out := flag.String("o", "bench/data", "output directory")
	compress := flag.Bool("gzip", false, "gzip each log")
	scoped := flag.Int("scoped", 10, "percent of events that are writes on the five in-scope kinds")
	steady := flag.Int("steady", 0, "keep about this many live pods, service accounts and network policies each (0: the cluster grows with the period)")
	flag.Parse()

	bytes, err := parseSize(*size)
	if err != nil {
		return err
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var writers []io.Writer
	var closers []io.Closer
	for i := 0; i < *nodes; i++ {
		name := fmt.Sprintf("kube-apiserver-%d-audit.log", i+1)
		if *compress {
			name += ".gz"
		}
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		closers = append(closers, f)
		if *compress {
			zw := gzip.NewWriter(f)
			writers = append(writers, zw)
			closers = append([]io.Closer{zw}, closers...)
		} else {
			writers = append(writers, f)
		}
	}
	g := gen.New(gen.Config{Bytes: bytes, Nodes: *nodes, Start: t0, Days: *days, Seed: *seed, ScopedPercent: *scoped, Steady: *steady})
	counts, err := g.Run(writers)
	if err != nil {
		return err
	}
	for _, c := range closers {
		if err := c.Close(); err != nil {
			return err
		}
	}
	enc, _ := json.MarshalIndent(counts, "", "  ")
	fmt.Fprintln(os.Stderr, string(enc))
	return nil
}

func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	f, err := strconv.ParseFloat(u, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("-size %q: want a size such as 500MB or 1GB", s)
	}
	return int64(f * float64(mult)), nil
}
