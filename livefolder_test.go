package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestLiveFolderThroughBinary: a log folder built from symlinks, with a FIFO, a dangling link
// and a tar archive in it, is read whole, and what was not read is said on stderr and in the
// report's inputs.
func TestLiveFolderThroughBinary(t *testing.T) {
	root := t.TempDir()
	logs, elsewhere := filepath.Join(root, "logs"), filepath.Join(root, "elsewhere")
	for _, d := range []string{logs, filepath.Join(elsewhere, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", filepath.Join(logs, "audit.log"))
	copyFile("testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log", filepath.Join(elsewhere, "one.log"))
	copyFile("testdata/logs/ha-3-nodes/kube-apiserver-3-audit.log", filepath.Join(elsewhere, "sub", "three.log"))
	for _, l := range [][2]string{{filepath.Join(elsewhere, "one.log"), "linked.log"}, {filepath.Join(elsewhere, "sub"), "linkdir"}, {filepath.Join(root, "gone.log"), "dangling.log"}} {
		if err := os.Symlink(l[0], filepath.Join(logs, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(logs, "pipe.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(logs, "backup-audit.tar"))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	b, _ := os.ReadFile(filepath.Join(elsewhere, "one.log"))
	tw.WriteHeader(&tar.Header{Name: "one.log", Mode: 0o644, Size: int64(len(b))})
	tw.Write(b)
	tw.Close()
	f.Close()

	out := filepath.Join(root, "report.json")
	cmd := exec.Command(bin, "--from", logs, "--format", "json", "-o", out, "--evidence", filepath.Join(root, "evidence.json"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var rep struct {
		Summary struct{ Events int64 }
		Inputs  []struct {
			Source  string
			Events  int64
			Skipped string
		}
	}
	b, _ = os.ReadFile(out)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Events != 549 {
		t.Errorf("%d events, want the 549 of the three logs", rep.Summary.Events)
	}
	skipped := 0
	for _, in := range rep.Inputs {
		if in.Skipped != "" {
			skipped++
			if !strings.Contains(stderr.String(), filepath.Base(in.Source)+": skipped: ") {
				t.Errorf("stderr does not say %s was skipped:\n%s", in.Source, stderr.String())
			}
		}
	}
	if skipped != 3 {
		t.Errorf("%d inputs skipped, want the FIFO, the dangling link and the tar: %+v", skipped, rep.Inputs)
	}
	// The manifest lists what was read: verify neither hangs on the FIFO nor misses the link.
	verify := exec.Command(bin, "verify", filepath.Join(root, "evidence.json"))
	if b, err := verify.CombinedOutput(); err != nil {
		t.Errorf("verify: %v\n%s", err, b)
	}
}

// TestReportWhileRotating runs the report on a folder that another process writes and rotates
// meanwhile (lumberjack-style rename and gzip, or copytruncate; the writer is the audit
// package's TestWriterProcess): the run succeeds, counts every event written before it began,
// counts none twice, and finds nothing unreadable.
func TestReportWhileRotating(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer process")
	}
	writer := filepath.Join(t.TempDir(), "audit.test")
	if b, err := exec.Command("go", "test", "-c", "-o", writer, "./audit").CombinedOutput(); err != nil {
		t.Fatalf("building the writer: %v\n%s", err, b)
	}
	for _, mode := range []string{"lumberjack", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			w := exec.Command(writer, "-test.run=^TestWriterProcess$")
			w.Env = append(os.Environ(), "AUDIT_TEST_WRITER_DIR="+dir, "AUDIT_TEST_WRITER_MODE="+mode)
			progress, err := w.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Wait()
			defer w.Process.Kill()
			// written is how many events the writer has written, to within the 4 it prints by.
			var written atomic.Int64
			go func() {
				lines := bufio.NewScanner(progress)
				for lines.Scan() {
					n, _ := strconv.Atoi(lines.Text())
					written.Store(int64(n))
				}
			}()
			for written.Load() < 6000 {
				time.Sleep(10 * time.Millisecond)
			}
			before := int(written.Load())
			out := filepath.Join(t.TempDir(), "report.json")
			cmd := exec.Command(bin, "--from", dir, "--format", "json", "-o", out)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			after := int(written.Load()) + 4
			var rep struct {
				Summary struct{ Events int }
				Gaps    []struct{ Type, Severity, Message string }
				Inputs  []struct {
					Source, Skipped, Error string
					Events                 int
					Notes                  []string
				}
			}
			b, _ := os.ReadFile(out)
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Summary.Events < before || rep.Summary.Events > after {
				t.Errorf("%d events counted; %d were written before the run, %d by its end", rep.Summary.Events, before, after)
			}
			for _, g := range rep.Gaps {
				if g.Type == "unreadable" && g.Severity != "info" {
					t.Errorf("gap: %s", g.Message)
				}
			}
			t.Logf("%s: %d written before the run, %d counted, %d written by its end", mode, before, rep.Summary.Events, after)
			if t.Failed() {
				for _, in := range rep.Inputs {
					t.Logf("%s: %d events, skipped %q, error %q, notes %q", filepath.Base(in.Source), in.Events, in.Skipped, in.Error, in.Notes)
				}
			}
		})
	}
}
