package audit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// retainedPerInput reads n small files (each a few events of several kinds, as an export tree
// holds them) and returns the heap the Reader still holds per file once it has read them all,
// with its inputs.
func retainedPerInput(t testing.TB, n int) float64 {
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		var b []byte
		for j := 0; j < 4; j++ {
			b = append(b, eventLine(i*4+j)...)
		}
		for _, res := range []string{"pods", "namespaces", "serviceaccounts"} {
			b = append(b, fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"k-%d-%s","stage":"ResponseComplete","requestURI":"/api/v1/%s","verb":"get","user":{"username":"bob"},"objectRef":{"resource":"%s","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-01T12:00:00Z","stageTimestamp":"2026-11-01T12:00:00Z"}`+"\n", i, res, res, res)...)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("export-%05d.log", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srcs, err := Resolve([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	scope := NewScope(Kind{Resource: "pods"}, Kind{Resource: "namespaces"}, Kind{Resource: "serviceaccounts"}, Kind{Resource: "configmaps"})
	r := NewReader(context.Background(), srcs, Options{Scope: scope, WritesOnly: true})
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	inputs := r.Inputs()
	r.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	keep = append(keep, r, inputs)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

var keep []any

// Thousands of files cost little more than one: what the reader keeps of each file read
// (its digest, counts, gaps between events, what identifies it for rotation) stays small,
// and the buffers of a file read are released.
func TestMemoryPerInput(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 5,000 files")
	}
	per := retainedPerInput(t, 5000)
	t.Logf("%.0f bytes retained per input over 5,000 files", per)
	// 6.5 KiB before the batch arrays of finished sources were released, the gap and write
	// counts made to grow as needed and the longest gaps kept in 16 bytes each; about 3.5
	// KiB then, with the event rate over time (at most 64 buckets); 3.7 to 4.1 KiB measured
	// since the set of event keys names a source per slot (16 bytes a slot, 20 with the
	// fingerprint of the content that tells a conflicting repeat). What is left is
	// the input's own record (counts per kind, gaps, rate, digest, identity) and its copy for
	// the report. The bound leaves room for the collector's timing, not for a new field.
	if per > 4608 {
		t.Errorf("%.0f bytes retained per input; want at most 4.5 KiB", per)
	}
}

// lineStream is a log of n events, one a second, made as it is read.
type lineStream struct {
	i, n int
	buf  []byte
}

func (s *lineStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i < s.n {
		s.buf = append(s.buf, eventLine(s.i)...)
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

// What counts each event once does not grow with the period: after 600,000 events over a
// week (each one a key that a repeat in another input would meet) the Reader holds a few MiB,
// the keys of the last minutes, where keeping every key took 13.
func TestEventKeysFollowTheWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 600,000 events")
	}
	const n = 600_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(context.Background(), []Source{ReaderSource("week.log", &lineStream{n: n})}, Options{Scope: NewScope(Kind{Resource: "configmaps"}), WritesOnly: true})
	defer r.Close()
	for i := 0; i < n-1000; i++ {
		if _, err := r.Next(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	drain(t, r)
	m := r.Merged()
	t.Logf("%.1f MiB held after %d events", float64(held)/(1<<20), n-1000)
	if m.Events != n || m.Unchecked != 0 {
		t.Errorf("%d events counted, %d unchecked; want %d, none", m.Events, m.Unchecked, n)
	}
	if held > 8<<20 {
		t.Errorf("the Reader holds %.1f MiB after %d events a second apart; want the keys of a few minutes (at most 5 MiB before it forgets)", float64(held)/(1<<20), n-1000)
	}
}
