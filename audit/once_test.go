package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A file given under several names (the same path twice, its folder and itself, a symlink
// and its target) is read once and listed once, and its input says it was named again: a
// manifest then holds one digest for it, which verify finds unchanged.
func TestNamedTwiceReadOnce(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	write(t, log, eventLines(0, 20))
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink("a.log", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		specs []string
		note  string
	}{
		{"the same path twice", []string{log, log}, "named more than once"},
		{"a folder and a file in it", []string{dir, log}, "named more than once"},
		{"a symlink and its target", []string{log, link}, "named again as " + link},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readerOver(t, tc.specs...)
			defer r.Close()
			evs := drain(t, r)
			if diff := cmp.Diff(seqRange(0, 20), seqs(t, evs)); diff != "" {
				t.Errorf("events (-want +got)\n%s", diff)
			}
			in := r.Inputs()
			if len(in) != 1 || in[0].Events != 20 {
				t.Fatalf("%d inputs (%+v), want one of 20 events", len(in), in)
			}
			if !strings.Contains(strings.Join(in[0].Notes, "; "), tc.note) {
				t.Errorf("notes %q do not say %q", in[0].Notes, tc.note)
			}
		})
	}
}

// A file that grew after it was read is read on from where it ended, and stays one input:
// its counts cover both reads, its digest and size the whole file as last read (what a
// manifest records and verify checks).
func TestGrownFileIsOneInput(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	write(t, cur, eventLines(0, 50))
	r := readerOver(t, dir)
	defer r.Close()
	evs := firstEvent(t, r)
	f, _ := os.OpenFile(cur, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(eventLines(50, 60))
	f.Close()
	evs = append(evs, drain(t, r)...)
	if diff := cmp.Diff(seqRange(0, 60), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	in := r.Inputs()
	if len(in) != 1 {
		t.Fatalf("%d inputs for one file: %+v", len(in), in)
	}
	whole := eventLines(0, 60)
	sum := sha256.Sum256([]byte(whole))
	if in[0].Events != 60 || in[0].Lines != 60 || in[0].Bytes != int64(len(whole)) || in[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("input %d events %d lines %d bytes %s; want 60, 60, %d and the whole file's digest", in[0].Events, in[0].Lines, in[0].Bytes, in[0].SHA256, len(whole))
	}
	if !strings.Contains(strings.Join(in[0].Notes, "; "), "grew while the run read it") {
		t.Errorf("notes %q do not say it grew", in[0].Notes)
	}
	if ks := in[0].Kinds[Kind{Resource: "configmaps"}]; ks != nil && ks.Writes["update"] != 60 {
		t.Errorf("updates counted %d, want 60", ks.Writes["update"])
	}
}

// firstEvent takes the first event of r and waits until its sources are read to their end.
func firstEvent(t *testing.T, r *Reader) []*Event {
	t.Helper()
	ev, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	for r.live.reading.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	return []*Event{ev}
}

// A writer that never stops does not keep the run going: the folder is listed again until a
// listing finds nothing new or for as long as the first reading took (at least minFollow),
// and the file still growing then says how far it was read.
func TestFollowsAWriterForABoundedTime(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	write(t, cur, eventLines(0, 100))
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		f, _ := os.OpenFile(cur, os.O_APPEND|os.O_WRONLY, 0)
		defer f.Close()
		n := 100
		for {
			select {
			case <-stop:
				done <- n
				return
			case <-time.After(2 * time.Millisecond):
				f.WriteString(eventLine(n))
				n++
			}
		}
	}()
	for fi, _ := os.Stat(cur); fi.Size() < int64(len(eventLines(0, 110))); fi, _ = os.Stat(cur) {
		time.Sleep(time.Millisecond) // until the writer is at it
	}
	start := time.Now()
	r := readerOver(t, dir)
	defer r.Close()
	evs := drain(t, r)
	took := time.Since(start)
	close(stop)
	written := <-done
	if took > minFollow+5*time.Second {
		t.Errorf("the run took %s following a writer; want about %s", took, minFollow)
	}
	got := seqs(t, evs)
	if len(got) < 300 || len(got) > written {
		t.Errorf("read %d events of %d written: the listings should have followed the writer for %s", len(got), written, minFollow)
	}
	if diff := cmp.Diff(seqRange(0, len(got)), got); diff != "" {
		t.Errorf("a hole in what was read (-want +got)\n%s", diff)
	}
	in := r.Inputs()
	if len(in) != 1 || in[0].Unfollowed == nil {
		t.Fatalf("inputs %+v: want one, saying it was still being written", in)
	}
	if u := in[0].Unfollowed; u.To <= u.From || !strings.Contains(u.Why, "still being written") {
		t.Errorf("unfollowed %+v", u)
	}
	if r.rounds < 3 {
		t.Errorf("%d listings in %s: more than the three it used to stop at were expected", r.rounds, took)
	}
}

// A file whose last line was being written when it was read, and that grew, is read on from
// the start of that line: the line is counted once, whole, and not as a line cut off.
func TestGrownMidLine(t *testing.T) {
	dir := t.TempDir()
	cur := filepath.Join(dir, "kube-audit.log")
	half := eventLine(50)[:100]
	write(t, cur, eventLines(0, 50)+half)
	r := readerOver(t, dir)
	defer r.Close()
	evs := firstEvent(t, r)
	f, _ := os.OpenFile(cur, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(eventLine(50)[100:] + eventLines(51, 60))
	f.Close()
	evs = append(evs, drain(t, r)...)
	if diff := cmp.Diff(seqRange(0, 60), seqs(t, evs)); diff != "" {
		t.Errorf("events (-want +got)\n%s", diff)
	}
	in := r.Inputs()
	if len(in) != 1 || in[0].Lines != 60 || len(in[0].Problems) != 0 || len(in[0].Samples) != 0 {
		t.Errorf("inputs %d: lines %d problems %v samples %v; want one input of 60 lines, no problem", len(in), in[0].Lines, in[0].Problems, in[0].Samples)
	}
}
