package audit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

var liveT0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// eventLine is an event as kube-apiserver writes it, numbered seq, seq seconds after liveT0.
func eventLine(seq int) string {
	ts := liveT0.Add(time.Duration(seq) * time.Second).Format(time.RFC3339Nano)
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"seq-%08d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/configmaps/c","verb":"update","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl","objectRef":{"resource":"configmaps","namespace":"shop","name":"c","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"%s","stageTimestamp":"%s"}`+"\n", seq, ts, ts)
}

func eventLines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(eventLine(i))
	}
	return b.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seqs returns the sequence numbers of the delivered events, and fails on a repeat.
func seqs(t *testing.T, evs []*Event) []int {
	t.Helper()
	seen := map[int]bool{}
	var out []int
	for _, ev := range evs {
		var n int
		if _, err := fmt.Sscanf(ev.AuditID, "seq-%d", &n); err != nil {
			continue
		}
		if seen[n] {
			t.Errorf("event %d delivered twice", n)
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func seqRange(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func readDir(t *testing.T, specs ...string) ([]*Event, []Input, *Reader) {
	t.Helper()
	r := readerOver(t, specs...)
	defer r.Close()
	return drain(t, r), r.Inputs(), r
}

// readerOver returns a Reader of what --from specs lists.
func readerOver(t *testing.T, specs ...string) *Reader {
	t.Helper()
	srcs, err := Resolve(specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewReader(context.Background(), srcs, Options{})
}

// TestWalkFollowsSymlinks: a folder of a regular log, a symlinked log and a symlinked folder
// of three logs is read whole; a dangling link, a loop, a FIFO and a device are listed as
// skipped with why; the same file reached twice is read once; a symlink to a folder given
// without a trailing slash is a folder.
func TestWalkFollowsSymlinks(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	dir := filepath.Join(root, "logs")
	write(t, filepath.Join(dir, "audit.log"), eventLines(0, 10))
	write(t, filepath.Join(elsewhere, "one.log"), eventLines(10, 20))
	for i := 0; i < 3; i++ {
		write(t, filepath.Join(elsewhere, "sub", fmt.Sprintf("node-%d.log", i)), eventLines(20+10*i, 30+10*i))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(elsewhere, "one.log"), filepath.Join(dir, "linked.log")))
	must(os.Symlink(filepath.Join(elsewhere, "sub"), filepath.Join(dir, "linkdir")))
	must(os.Symlink(filepath.Join(dir, "audit.log"), filepath.Join(dir, "again.log"))) // the same file twice
	must(os.Symlink(filepath.Join(elsewhere, "missing.log"), filepath.Join(dir, "dangling.log")))
	must(os.Symlink(dir, filepath.Join(dir, "loop")))
	must(syscall.Mkfifo(filepath.Join(dir, "pipe.log"), 0o644))
	if err := syscall.Mknod(filepath.Join(dir, "dev-audit.log"), syscall.S_IFCHR|0o644, 0x0103); err != nil {
		t.Logf("no device node (%v): that case is not tested", err)
	}

	evs, inputs, _ := readDir(t, dir)
	if diff := cmp.Diff(seqRange(0, 50), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	skipped := map[string]string{}
	read := 0
	for _, in := range inputs {
		rel, _ := filepath.Rel(dir, in.Source)
		if in.Skipped != "" {
			skipped[rel] = in.Skipped
			continue
		}
		read++
	}
	if read != 5 {
		t.Errorf("%d inputs read, want 5 (the same file twice is read once)", read)
	}
	for name, want := range map[string]string{"dangling.log": "dangling symlink", "loop": "symlink loop", "pipe.log": "FIFO", "dev-audit.log": "device"} {
		if name == "dev-audit.log" {
			if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
				continue
			}
		}
		if !strings.Contains(skipped[name], want) {
			t.Errorf("%s: skipped %q, want a reason with %q (all: %v)", name, skipped[name], want, skipped)
		}
	}

	// A symlink to a folder, with and without its trailing slash.
	for _, spec := range []string{filepath.Join(dir, "linkdir"), filepath.Join(dir, "linkdir") + "/"} {
		evs, _, _ := readDir(t, spec)
		if diff := cmp.Diff(seqRange(20, 50), seqs(t, evs)); diff != "" {
			t.Errorf("--from %s (-want +got)\n%s", spec, diff)
		}
	}
}

// TestManyFilesFewOpen: thousands of rotated files are opened in time order, a few at a time,
// and under a low open-files limit.
func TestManyFilesFewOpen(t *testing.T) {
	dir := t.TempDir()
	const files, per = 1500, 4
	for n := 0; n < 3; n++ { // three API servers, each rotating
		for i := 0; i < files/3; i++ {
			// Server n's file i holds events i*per*3+n, +3, ...: the servers interleave.
			var b strings.Builder
			for k := 0; k < per; k++ {
				b.WriteString(eventLine((i*per+k)*3 + n))
			}
			write(t, filepath.Join(dir, fmt.Sprintf("node-%d", n), fmt.Sprintf("kube-audit-%05d.log", i)), b.String())
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)

	evs, inputs, r := readDir(t, dir)
	if diff := cmp.Diff(seqRange(0, files*per), seqs(t, evs)); diff != "" {
		t.Fatalf("events (-want +got)\n%s", diff)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Time().Before(evs[i-1].Time()) {
			t.Fatalf("event %d out of order", i)
		}
	}
	if len(inputs) != files {
		t.Errorf("%d inputs, want %d", len(inputs), files)
	}
	if m := r.live.maxOpen.Load(); m > 8 {
		t.Errorf("%d files open at once, want a few", m)
	}
}

// TestOverlappingFilesUnderLimit: hundreds of files that all cover the same hours (an export
// split by something other than time) are read under a low descriptor limit: they wait for
// each other instead of failing with "too many open files".
func TestOverlappingFilesUnderLimit(t *testing.T) {
	dir := t.TempDir()
	const files, per = 80, 800 // more events a file than its reader holds ahead: each keeps its file open
	for i := 0; i < files; i++ {
		var b strings.Builder
		for k := 0; k < per; k++ {
			b.WriteString(eventLine(k*files + i))
		}
		write(t, filepath.Join(dir, fmt.Sprintf("export-%03d.json", i)), b.String())
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = 40
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	evs, inputs, r := readDir(t, dir)
	if diff := cmp.Diff(seqRange(0, files*per), seqs(t, evs)); diff != "" {
		t.Fatalf("events (-want +got)\n%s", diff)
	}
	for _, in := range inputs {
		if in.Err != "" {
			t.Fatalf("%s: %s", in.Source, in.Err)
		}
	}
	if m := r.live.maxOpen.Load(); m > 20 {
		t.Errorf("%d files open at once under a limit of 40", m)
	}
}

// TestContentCheck: a tar archive, binary data and JSON that is no audit event are skipped
// with why, not mined for events.
func TestContentCheck(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "audit.log"), eventLines(0, 5))
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := eventLines(100, 105)
	tw.WriteHeader(&tar.Header{Name: "kube-audit.log", Mode: 0o644, Size: int64(len(body))})
	tw.Write([]byte(body))
	tw.Close()
	write(t, filepath.Join(dir, "backup-audit.tar"), tb.String())
	write(t, filepath.Join(dir, "core.audit"), "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"+strings.Repeat("\x00", 100))
	write(t, filepath.Join(dir, "package.json"), `{"name":"x","version":"1.0.0"}`+"\n"+eventLine(200))
	write(t, filepath.Join(dir, "audit-policy.yaml"), "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
	evs, inputs, _ := readDir(t, dir)
	if diff := cmp.Diff(seqRange(0, 5), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	want := map[string]string{"backup-audit.tar": "tar archive", "core.audit": "binary", "package.json": "no audit event", "audit-policy.yaml": "no audit event"}
	for _, in := range inputs {
		name := filepath.Base(in.Source)
		if w, ok := want[name]; ok && !strings.Contains(in.Skipped, w) {
			t.Errorf("%s: skipped %q, want %q", name, in.Skipped, w)
		}
	}
}

// TestGzipBeingWritten: lumberjack writes the .gz of a rotated file beside it and removes the
// file when done. While both exist the file is read, the copy skipped; a copy whose end is
// missing is not damaged.
func TestGzipBeingWritten(t *testing.T) {
	dir := t.TempDir()
	rotated := eventLines(0, 200)
	write(t, filepath.Join(dir, "kube-audit-2026-11-01T12-00-00.000.log"), rotated)
	gz := gzipBytes(t, []byte(rotated))
	write(t, filepath.Join(dir, "kube-audit-2026-11-01T12-00-00.000.log.gz"), string(gz[:len(gz)/2]))
	write(t, filepath.Join(dir, "kube-audit.log"), eventLines(200, 210))
	evs, inputs, _ := readDir(t, dir)
	if diff := cmp.Diff(seqRange(0, 210), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	for _, in := range inputs {
		if in.Err != "" || in.Problems[ProblemCorruptSource] > 0 {
			t.Errorf("%s: error %q, problems %v: a copy being written is not damaged", in.Source, in.Err, in.Problems)
		}
		if strings.HasSuffix(in.Source, ".gz") && !strings.Contains(in.Skipped, "compressed copy") {
			t.Errorf("%s: skipped %q, want a compressed copy", in.Source, in.Skipped)
		}
	}
}

// TestRotatedBeforeOpened: files renamed, or compressed and removed, between the listing and
// their turn are still read once each, and a file that appeared by rotation is read too.
func TestRotatedBeforeOpened(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "kube-audit-2026-11-01T12-00-00.000.log")
	cur := filepath.Join(dir, "kube-audit.log")
	write(t, a, eventLines(0, 100))
	write(t, cur, eventLines(100, 200))
	srcs, err := Resolve([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rotation after the listing: the older file is compressed and removed, the current one
	// renamed, and a new current file begins.
	write(t, a+".gz", string(gzipBytes(t, []byte(eventLines(0, 100)))))
	os.Remove(a)
	renamed := filepath.Join(dir, "kube-audit-2026-11-01T13-00-00.000.log")
	if err := os.Rename(cur, renamed); err != nil {
		t.Fatal(err)
	}
	write(t, cur, eventLines(200, 250))

	r := NewReader(context.Background(), srcs, Options{})
	defer r.Close()
	evs := drain(t, r)
	if diff := cmp.Diff(seqRange(0, 250), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	var notes []string
	for _, in := range r.Inputs() {
		if in.Err != "" {
			t.Errorf("%s: %s", in.Source, in.Err)
		}
		notes = append(notes, in.Notes...)
	}
	for _, want := range []string{"renamed to " + renamed, "its content was read from " + a + ".gz", "appeared while the run read its folder"} {
		if !strings.Contains(strings.Join(notes, "\n"), want) {
			t.Errorf("no note says %q: %q", want, notes)
		}
	}
}

// TestCopytruncateWhileReading: a file copied and truncated (logrotate copytruncate) while the
// reader is in its middle is read on from the copy; without a copy among the inputs the lost
// bytes are named.
func TestCopytruncateWhileReading(t *testing.T) {
	for _, withCopy := range []bool{true, false} {
		t.Run(fmt.Sprintf("copy=%v", withCopy), func(t *testing.T) {
			dir := t.TempDir()
			cur := filepath.Join(dir, "kube-audit.log")
			const n = 20000 // about 9 MB: far more than the reader holds ahead
			write(t, cur, eventLines(0, n))
			r := readerOver(t, dir)
			defer r.Close()
			var evs []*Event
			next := func() bool {
				ev, err := r.Next()
				if err == io.EOF {
					return false
				}
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev)
				return true
			}
			for i := 0; i < 100; i++ {
				next()
			}
			// copytruncate: copy, a few more lines written meanwhile, truncate, new lines.
			old, _ := os.ReadFile(cur)
			old = append(old, eventLines(n, n+10)...)
			copyPath := filepath.Join(dir, "kube-audit.log.1")
			if !withCopy {
				copyPath = filepath.Join(t.TempDir(), "kube-audit.log.1")
			}
			write(t, copyPath, string(old))
			if err := os.WriteFile(cur, []byte(eventLines(n+10, n+20)), 0o644); err != nil {
				t.Fatal(err)
			}
			for next() {
			}
			got := seqs(t, evs)
			inputs := r.Inputs()
			if withCopy {
				if diff := cmp.Diff(seqRange(0, n+20), got); diff != "" {
					t.Errorf("events (-want +got)\n%s", diff)
				}
				if !strings.Contains(strings.Join(inputs[0].Notes, ";"), "copytruncate") {
					t.Errorf("notes %q: want the truncation said", inputs[0].Notes)
				}
				return
			}
			// Without the copy: what was read before the truncation, then the new content;
			// the rest is named as lost.
			if len(inputs[0].LostBytes) != 1 || inputs[0].LostBytes[0].From <= 0 {
				t.Fatalf("lost bytes %+v, want the range from where reading stopped", inputs[0].LostBytes)
			}
			last := -1
			for i, s := range got {
				if s >= n {
					break
				}
				if s != i {
					t.Fatalf("a hole at %d among the events read before the truncation", i)
				}
				last = s
			}
			if last < 100 || got[len(got)-1] != n+19 {
				t.Errorf("read up to %d before the truncation, last %d", last, got[len(got)-1])
			}
		})
	}
}

// drainAfterFirst is drain, with then run once the first event is delivered.
func drainAfterFirst(t *testing.T, r *Reader, then func()) []*Event {
	t.Helper()
	ev, err := r.Next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	then()
	return append([]*Event{ev}, drain(t, r)...)
}

// TestAppearedAndGrew: a file that grew after it was read, and a file that appeared, are read
// at the end.
func TestAppearedAndGrew(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	write(t, cur, eventLines(0, 50))
	r := readerOver(t, dir)
	defer r.Close()
	evs := drainAfterFirst(t, r, func() {
		f, _ := os.OpenFile(cur, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(eventLines(50, 60))
		f.Close()
		write(t, filepath.Join(dir, "kube-audit-2.log"), eventLines(60, 70))
	})
	if diff := cmp.Diff(seqRange(0, 70), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
}

// TestGrewPastTheLook: a file listed small (read on the merging goroutine when its turn
// comes) that grew past the look before its turn is read whole, once.
func TestGrewPastTheLook(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 6; i++ {
		write(t, filepath.Join(dir, fmt.Sprintf("kube-audit-%d.log", i+1)), eventLines(10*i, 10*i+10))
	}
	srcs, err := Resolve([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A window shorter than the second between events: the first event is delivered once
	// the first files are open, before the last.
	r := NewReader(context.Background(), srcs, Options{Window: 100 * time.Millisecond})
	defer r.Close()
	evs := drainAfterFirst(t, r, func() {
		// The first files are open by now; the last waits its turn.
		f, _ := os.OpenFile(filepath.Join(dir, "kube-audit-6.log"), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(eventLines(60, 260)) // 100 KB, past the look
		f.Close()
	})
	if diff := cmp.Diff(seqRange(0, 260), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	for _, in := range r.Inputs() {
		if strings.HasSuffix(in.Source, "-6.log") && (in.Lines != 210 || len(in.Notes) > 0) {
			t.Errorf("%s: %d lines, notes %q; want 210 lines read at its turn", in.Source, in.Lines, in.Notes)
		}
	}
}

// TestWriterProcess is not a test: run by TestLiveWriter as another process, it writes an
// audit log the way kube-apiserver does and rotates it the way lumberjack (rename, then gzip
// in the background and remove) or logrotate's copytruncate (copy, then truncate) does,
// printing how many events it has written, until it is killed.
func TestWriterProcess(t *testing.T) {
	dir, mode := os.Getenv("AUDIT_TEST_WRITER_DIR"), os.Getenv("AUDIT_TEST_WRITER_MODE")
	if dir == "" {
		t.Skip("run by TestLiveWriter")
	}
	cur := filepath.Join(dir, "kube-audit.log")
	open := func() *os.File {
		f, err := os.OpenFile(cur, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			panic(err)
		}
		return f
	}
	f := open()
	var size int
	for seq, rot := 0, 0; ; seq++ {
		line := eventLine(seq)
		if _, err := f.WriteString(line); err != nil {
			panic(err)
		}
		size += len(line)
		if seq%4 == 3 {
			fmt.Println(seq + 1)
			time.Sleep(time.Millisecond) // about 2 MB/s, a busy API server
		}
		if size < 200<<10 {
			continue
		}
		size = 0
		rot++
		switch mode {
		case "lumberjack":
			f.Close()
			backup := filepath.Join(dir, fmt.Sprintf("kube-audit-%05d.log", rot))
			if err := os.Rename(cur, backup); err != nil {
				panic(err)
			}
			f = open()
			go compressSlowly(backup)
		case "copytruncate":
			for i := rot - 1; i >= 1; i-- {
				os.Rename(fmt.Sprintf("%s.%d", cur, i), fmt.Sprintf("%s.%d", cur, i+1))
			}
			b, err := os.ReadFile(cur)
			if err != nil {
				panic(err)
			}
			if err := os.WriteFile(cur+".1", b, 0o644); err != nil {
				panic(err)
			}
			if err := f.Truncate(0); err != nil {
				panic(err)
			}
		}
	}
}

// compressSlowly gzips a rotated file the way lumberjack does, beside it, in pieces, then
// removes it.
func compressSlowly(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	out, err := os.OpenFile(path+".gz", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		panic(err)
	}
	zw := gzip.NewWriter(out)
	for len(b) > 0 {
		n := min(len(b), 32<<10)
		zw.Write(b[:n])
		zw.Flush()
		b = b[n:]
		time.Sleep(2 * time.Millisecond)
	}
	zw.Close()
	out.Close()
	os.Remove(path)
}

// TestLiveWriter reads a folder while another process writes and rotates its log: every
// event written before the run began is counted, none twice, and what was read has no hole,
// unless a lost byte range is named.
func TestLiveWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer process")
	}
	for _, mode := range []string{"lumberjack", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$")
			cmd.Env = append(os.Environ(), "AUDIT_TEST_WRITER_DIR="+dir, "AUDIT_TEST_WRITER_MODE="+mode)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			progress := bufio.NewScanner(out)
			written := 0
			for written < 8000 && progress.Scan() {
				written, _ = strconv.Atoi(progress.Text())
			}
			go io.Copy(io.Discard, out)
			evs, inputs, r := readDir(t, dir)
			got := seqs(t, evs)
			if n := r.Merged().Events; n != int64(len(got)) {
				t.Errorf("%d events counted, %d distinct ones read: an event was counted twice", n, len(got))
			}
			lost := 0
			for _, in := range inputs {
				lost += len(in.LostBytes)
				if in.Unfollowed != nil {
					lost++ // written as the run stopped following the folder: a gap for the next run
				}
				if in.Err != "" {
					// Named too (an error gap), but only a reader slower than the writer
					// should come to this.
					t.Logf("%s: %s", in.Source, in.Err)
					lost++
				}
			}
			if len(got) < written {
				t.Errorf("read %d events, but %d were written before the run began", len(got), written)
			}
			for i, s := range got {
				if s != i {
					if lost == 0 {
						t.Errorf("event %d is missing, and no lost byte range is named", i)
					}
					break
				}
			}
			t.Logf("%s: %d written before the run, %d read, %d inputs, %d lost ranges", mode, written, len(got), len(inputs), lost)
			if t.Failed() {
				for _, in := range inputs {
					t.Logf("%s: %d events %s..%s bytes %d problems %v unfollowed %v skipped %q err %q notes %q", filepath.Base(in.Source), in.Events, in.FirstEvent.Format("15:04:05"), in.LastEvent.Format("15:04:05"), in.Bytes, in.Problems, in.Unfollowed, in.Skipped, in.Err, in.Notes)
				}
			}
		})
	}
}

// TestSplicedLines: a line two writers spliced together (one cut off mid-line, the next
// appended) is never counted as an event unless encoding/json would take it.
func TestSplicedLines(t *testing.T) {
	var b strings.Builder
	valid := 0
	for i := 0; i < 16; i++ {
		a, c := eventLine(2*i), eventLine(2*i+1)
		spliced := a[:len(a)*(i+1)/18] + c
		b.WriteString(spliced)
		if stdjson.Valid([]byte(strings.TrimSpace(spliced))) {
			valid++
		}
	}
	_, inputs, _ := readAll(t, Options{}, ReaderSource("spliced.log", strings.NewReader(b.String())))
	in := inputs[0]
	if in.Events != int64(valid) || in.Lost() != int64(16-valid) {
		t.Errorf("%d events and %d lost of 16 spliced lines, %d of them valid JSON", in.Events, in.Lost(), valid)
	}
}

// TestGlobMatchRotatedAway: a file a glob matched that is gone by the time it is looked at
// (rotation renamed or removed it) is no error: the run goes on with the others.
func TestGlobMatchRotatedAway(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kube-audit.log"), eventLines(0, 5))
	var l lister
	if err := l.addPath(filepath.Join(dir, "kube-audit-gone.log"), filepath.Join(dir, "*.log")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a vanished match: %v, want not-exist", err)
	}
	if _, err := Resolve([]string{filepath.Join(dir, "*.log")}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCopytruncateAfterReading: a file read to its end, then written to and truncated into a
// copy: the copy's part beyond what was read is read when the copy is among the inputs, and
// named as lost when it is not.
func TestCopytruncateAfterReading(t *testing.T) {
	for _, withCopy := range []bool{true, false} {
		t.Run(fmt.Sprintf("copy=%v", withCopy), func(t *testing.T) {
			dir := t.TempDir()
			cur := filepath.Join(dir, "kube-audit.log")
			write(t, cur, eventLines(0, 50))
			r := readerOver(t, dir)
			defer r.Close()
			evs := firstEvent(t, r)
			old := eventLines(0, 60) // ten more lines written after the read, then copytruncate
			copyPath := filepath.Join(dir, "kube-audit.log.1")
			if !withCopy {
				copyPath = filepath.Join(t.TempDir(), "kube-audit.log.1")
			}
			write(t, copyPath, old)
			write(t, cur, eventLines(60, 70))
			evs = append(evs, drain(t, r)...)
			lost := r.Inputs()[0].LostBytes
			if withCopy {
				if diff := cmp.Diff(seqRange(0, 70), seqs(t, evs)); diff != "" {
					t.Errorf("events (-want +got)\n%s", diff)
				}
				if len(lost) != 0 {
					t.Errorf("lost %+v, but the copy held it", lost)
				}
				return
			}
			if diff := cmp.Diff(append(seqRange(0, 50), seqRange(60, 70)...), seqs(t, evs)); diff != "" {
				t.Errorf("events (-want +got)\n%s", diff)
			}
			if want := int64(len(eventLines(0, 50))); len(lost) != 1 || lost[0].From != want {
				t.Errorf("lost %+v, want from byte %d", lost, want)
			}
		})
	}
}

// TestLookedAtWhenListed: the listing looks at each file's first bytes once, and the reader
// trusts that look only while the file is unchanged: a file written again in place between the
// listing and its turn (copytruncate and a new start, a log replaced by junk) is looked at anew.
func TestLookedAtWhenListed(t *testing.T) {
	dir := t.TempDir()
	cur, other := filepath.Join(dir, "kube-audit.log"), filepath.Join(dir, "backup-audit.log")
	write(t, cur, eventLines(0, 50))
	write(t, other, eventLines(100, 150))
	srcs, err := Resolve([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// In place (the same inode): a new start for one, junk for the other.
	for path, content := range map[string]string{cur: eventLines(50, 60), other: "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 200)} {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(content)
		f.Close()
	}
	r := NewReader(context.Background(), srcs, Options{})
	defer r.Close()
	evs := drain(t, r)
	if diff := cmp.Diff(seqRange(50, 60), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	for _, in := range r.Inputs() {
		if in.Source == other && !strings.Contains(in.Skipped, "binary") {
			t.Errorf("%s: skipped %q, want binary data", in.Source, in.Skipped)
		}
	}
}

// TestLookByIdentity: a look at a file the listing found sees that file or nothing. Rotation
// renames a copy over the name in between: the size and first bytes under the name are then
// another file's, and taken for the listed file's they would send its read to the wrong
// offset (a double read under copytruncate).
func TestLookByIdentity(t *testing.T) {
	dir := t.TempDir()
	listed, copy := filepath.Join(dir, "kube-audit.log"), filepath.Join(dir, "kube-audit.log.1")
	write(t, listed, eventLines(0, 10))
	fi, err := stat(listed)
	if err != nil {
		t.Fatal(err)
	}
	id := idOf(fi)
	fi, h, err := lookListed(listed, id)
	if err != nil || fi.Size() != int64(len(eventLines(0, 10))) || string(h) != eventLines(0, 10)[:len(h)] {
		t.Fatalf("the listed file: size %v, head %q, err %v", fi, h, err)
	}
	write(t, copy, eventLines(100, 130))
	if err := os.Rename(copy, listed); err != nil {
		t.Fatal(err)
	}
	if fi, h, err := lookListed(listed, id); fi != nil || h != nil || err == nil {
		t.Errorf("another file under the name: size %v, head %.40q, err %v; want no look", fi, h, err)
	}
	if f, _, ok := openListed(listed, id); ok || f != nil {
		t.Error("openListed opened another file under the name")
	}
}

// TestCopyHolds: what a rotated copy holds of a file read. A gzip stream without its end is
// still being written (lumberjack compresses in the background): it is never "read
// already", since what the file held beyond the read may come only in it (TestLiveWriter
// under the race detector lost events that way).
func TestCopyHolds(t *testing.T) {
	read := eventLines(0, 20)
	more := read + eventLines(20, 30)
	gz := func(content string, end bool) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(content))
		if end {
			zw.Close()
		} else {
			zw.Flush()
		}
		return b.String()
	}
	header := gz("", false)[:10]
	for _, c := range []struct {
		name, file string
		want       int
	}{
		{"plain, the same", read, copySame},
		{"plain, longer", more, copyLonger},
		{"plain, shorter", read[:100], copyShorter},
		{"plain, another content", eventLines(5, 30), copyOther},
		{"gzip, the same", gz(read, true), copySame},
		{"gzip, longer", gz(more, true), copyLonger},
		{"gzip, shorter", gz(read[:100], true), copyShorter},
		{"gzip being written, the same so far", gz(read, false), copyGrowing},
		{"gzip being written, shorter so far", gz(read[:100], false), copyGrowing},
		{"gzip being written, longer already", gz(more, false), copyLonger},
		{"gzip being written, its header only", header, copyGrowing},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "copy")
			write(t, path, c.file)
			if got := copyHolds(path, int64(len(read)), sha256.Sum256([]byte(read))); got != c.want {
				t.Errorf("copyHolds = %d, want %d", got, c.want)
			}
		})
	}
}

// TestTruncatedBeforeReadOn: a file the listing found grown, then truncated and written again
// (copytruncate) before it is read on, holds only new content: it is read from its start,
// not from where the read before ended, and what that read left is kept to find the copy of
// its old content by.
func TestTruncatedBeforeReadOn(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	old := eventLines(0, 50)
	write(t, cur, old)
	fi, err := stat(cur)
	if err != nil {
		t.Fatal(err)
	}
	live := newRegistry()
	prev := &fileRecord{name: cur, path: cur, id: idOf(fi), head: headOf([]byte(old)), read: int64(len(old)), plain: true}
	live.record(prev)
	// The listing found it grown; then copytruncate: the copy, and new content under the name.
	write(t, cur+".1", old+eventLines(50, 60))
	if err := os.Truncate(cur, 0); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cur, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(eventLines(60, 200)) // longer than the read before, as a grown file would be
	f.Close()
	src := Source{Name: cur, path: cur, id: idOf(fi), resume: prev.read,
		notes: []string{fmt.Sprintf("grew while the run read it: read on from byte %d", prev.read)}}
	var kept [][]*Event
	st := &sourceState{src: src}
	sr := &sourceReader{ctx: context.Background(), src: src, opts: &Options{}, kept: &kept, names: internerPool.Get().(interner), live: live, state: st}
	if err := sr.read(); err != nil {
		t.Fatal(err)
	}
	var evs []*Event
	for _, b := range kept {
		evs = append(evs, b...)
	}
	if diff := cmp.Diff(seqRange(60, 200), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got): all the new content, none skipped\n%s", diff)
	}
	if !strings.Contains(strings.Join(sr.in.Notes, ";"), "before what it grew by could be read") {
		t.Errorf("notes %q: want the truncation said", sr.in.Notes)
	}
	if got := live.takeRetired(); len(got) != 1 || got[0] != prev {
		t.Errorf("retired %v: want the read before kept, to find its copy by", got)
	}
	if now := live.recordOf(idOf(fi)); now == prev || !now.head.starts([]byte(eventLines(60, 200))) {
		t.Errorf("the record of the file is not that of its new content")
	}
}

// TestTruncatedAfterTheLastListing: a file truncated and written again after the listings at
// the end stopped, shorter than what was read of it, has its new content named as not read,
// as a file that grew would.
func TestTruncatedAfterTheLastListing(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	write(t, cur, eventLines(0, 50))
	r := readerOver(t, dir)
	defer r.Close()
	drain(t, r)
	f, err := os.OpenFile(cur, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(eventLines(50, 55))
	f.Close()
	r.unfollowed()
	in := r.Inputs()[0]
	if in.Unfollowed == nil || in.Unfollowed.From != 0 || in.Unfollowed.To != int64(len(eventLines(50, 55))) || !strings.Contains(in.Unfollowed.Why, "truncated and written again") {
		t.Errorf("unfollowed %+v: want its new content named", in.Unfollowed)
	}
}

// TestGoneCopyFoundAgain: a copy that was to be read from some byte on (the bytes before it
// read already from the file it copies), renamed before it could be opened and found again
// by a later listing, is read from that byte, not from its start again.
func TestGoneCopyFoundAgain(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kube-audit.log"), eventLines(100, 110))
	r := readerOver(t, dir)
	defer r.Close()
	drain(t, r)
	// The copy, listed as holding the rest of a file read to byte from, renamed since.
	copyPath := filepath.Join(dir, "kube-audit.log.3")
	from := int64(len(eventLines(0, 40)))
	write(t, copyPath, eventLines(0, 60))
	fi, err := stat(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if idOf(fi).born == 0 {
		t.Skip("the file system keeps no birth time")
	}
	st := &sourceState{src: Source{Name: filepath.Join(dir, "kube-audit.log.2"), id: idOf(fi), resume: from}}
	r.live.record(&fileRecord{name: st.src.Name, id: st.src.id, gone: true, state: st})
	if !r.relist() {
		t.Fatal("the listing took nothing up")
	}
	for _, q := range r.queue {
		if q.src.id == idOf(fi) {
			if q.src.resume != from {
				t.Errorf("read from byte %d, want %d: the bytes before were read from the file it copies", q.src.resume, from)
			}
			return
		}
	}
	t.Errorf("the copy is not among the sources taken up")
}
