package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/auditreport/auditreport/render"
)

// An output written through writingBack holds what was written, in order, across the starts
// of its writeback, and stays a file the JSON renderer can write its digest into.
func TestWritingBackKeepsTheBytes(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = &writingBack{File: f}
	if _, ok := w.(render.WriterAt); !ok {
		t.Fatal("writingBack is no render.WriterAt: the JSON's digest could not be written")
	}
	var want bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for i := range 3 * writebackEvery / len(chunk) {
		chunk[0] = byte(i)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		want.Write(chunk)
	}
	if _, err := w.(render.WriterAt).WriteAt([]byte("digest"), 10); err != nil {
		t.Fatal(err)
	}
	copy(want.Bytes()[10:], "digest")
	if wb := w.(*writingBack); wb.from != 3*writebackEvery || wb.at != int64(want.Len()) {
		t.Errorf("writeback started up to %d of %d bytes written; want %d", wb.from, wb.at, 3*writebackEvery)
	}
	if err := finish(f, f.Name(), nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("the file does not hold what was written through writingBack")
	}
}

// writeThrough writes n bytes to w a mebibyte at a time.
func writeThrough(t *testing.T, w io.Writer, n int) {
	t.Helper()
	chunk := bytes.Repeat([]byte{'x'}, 1<<20)
	for range n / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
}

// An output is synced as it is written, a sync at a time, and done waits for the one
// running: the sync that ends the output then has only the last stretch to wait for.
func TestWritingBackSyncsAsItGoes(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var syncs, running, ended atomic.Int32
	release := make(chan struct{})
	w := &writingBack{File: f, doSync: func() error {
		if running.Add(1) > 1 {
			t.Error("two syncs at once")
		}
		if syncs.Add(1) == 1 {
			<-release // the first is slow: the writes go on beside it
		}
		running.Add(-1)
		ended.Add(1)
		return f.Sync()
	}}
	writeThrough(t, w, 2*syncEvery)
	if got := syncs.Load(); got != 1 {
		t.Errorf("%d syncs began while the first ran; want 1, the others skipped", got)
	}
	close(release)
	if err := w.done(nil); err != nil {
		t.Fatal(err)
	}
	if ended.Load() != syncs.Load() {
		t.Error("done returned before the sync running ended")
	}
	writeThrough(t, w, syncEvery)
	if err := w.done(nil); err != nil {
		t.Fatal(err)
	}
	if got := syncs.Load(); got != 2 {
		t.Errorf("%d syncs after %d MiB more; want 2", got, syncEvery>>20)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 3*syncEvery {
		t.Errorf("the file holds %v bytes (%v); want %d", fi.Size(), err, 3*syncEvery)
	}
}

// A sync that fails fails the output, as the sync that ends it would have: the kernel
// reports a failure to write to one sync only.
func TestWritingBackReportsAFailedSync(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	failed := errors.New("input/output error")
	w := &writingBack{File: f, doSync: func() error { return failed }}
	writeThrough(t, w, syncEvery)
	err = finish(f, f.Name(), w.done(nil))
	if !errors.Is(err, failed) || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("finish after a failed sync: %v; want the failure, naming the file", err)
	}
	earlier := errors.New("the encoder failed first")
	if err := w.done(earlier); err != earlier {
		t.Errorf("done(%v) = %v; the output's own failure comes first", earlier, err)
	}
}

// A pipe or a device is written as ever, never synced: it cannot be.
func TestWritingBackDoesNotSyncAPipe(t *testing.T) {
	r, wp, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r)
		close(drained)
	}()
	w := &writingBack{File: wp, doSync: func() error {
		t.Error("a pipe was synced")
		return nil
	}}
	writeThrough(t, w, syncEvery+writebackEvery)
	if err := w.done(nil); err != nil {
		t.Fatal(err)
	}
	wp.Close()
	<-drained
}

// What io.WriteString and io.Copy write goes through Write too: the file's own methods would
// write past the starts and the syncs.
func TestWritingBackTakesStringsAndCopies(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var syncs atomic.Int32
	w := &writingBack{File: f, doSync: func() error { syncs.Add(1); return nil }}
	if _, err := io.WriteString(w, strings.Repeat("x", syncEvery)); err != nil {
		t.Fatal(err)
	}
	if err := w.done(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(make([]byte, syncEvery))); err != nil {
		t.Fatal(err)
	}
	if err := w.done(nil); err != nil {
		t.Fatal(err)
	}
	if w.at != 2*syncEvery || syncs.Load() != 2 {
		t.Errorf("%d bytes counted and %d syncs after a string and a copy of %d MiB each; want %d and 2", w.at, syncs.Load(), syncEvery>>20, 2*syncEvery)
	}
}
