package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditreport/auditreport/internal/gen"
	"github.com/auditreport/auditreport/render"
)

// The histories of a long period go to a file in --tmp-dir (--spill-above lowers the memory
// they may take first, so that the sample logs spill). These tests run the built binary.

// TestSpillFullDisk: a temporary folder that fills up stops the run with a message naming
// the folder and about how much the input needs there; no output is written and nothing is
// left in the folder.
func TestSpillFullDisk(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("no prlimit")
	}
	tmp, out := t.TempDir(), t.TempDir()
	// A file size limit is what a full disk looks like to a writer: the spill file is the
	// first the run writes, and it outgrows 4 KiB.
	cmd := exec.Command("prlimit", "--fsize=4096", bin, "--from", "testdata/logs/real-apiserver/log/", "--spill-above", "1",
		"--tmp-dir", tmp, "--format", "json,csv", "-o", filepath.Join(out, "report"))
	b, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the run succeeded past the limit:\n%s", b)
	}
	msg := string(b)
	for _, want := range []string{tmp, "needs about", "--tmp-dir"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message does not say %q:\n%s", want, msg)
		}
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1\n%s", code, msg)
	}
	if l := leftovers(t, out); len(l) != 0 {
		t.Errorf("outputs %v written by a failed run", l)
	}
	if l := leftovers(t, tmp); len(l) != 0 {
		t.Errorf("left %v in the temporary folder", l)
	}
}

// TestSpillLeavesNothing: the spill file has no name in the folder, so a run stopped
// by a signal, or killed, leaves nothing in the temporary folder, while it did hold one.
func TestSpillLeavesNothing(t *testing.T) {
	// A day of a small cluster, as one API server's log: enough events to pass every batch
	// and the reorder window on their way to the histories.
	var log bytes.Buffer
	if _, err := gen.New(gen.Config{Bytes: 4 << 20, Nodes: 1, Days: 1, Seed: 3, ScopedPercent: 30}).Run([]io.Writer{&log}); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp, out := t.TempDir(), t.TempDir()
			cmd := exec.Command(bin, "--from", "-", "--spill-above", "1", "--tmp-dir", tmp, "-o", filepath.Join(out, "report.json"))
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			// The log, then nothing more while stdin stays open: the run has spilled its
			// histories and waits.
			if _, err := io.Copy(stdin, bytes.NewReader(log.Bytes())); err != nil {
				t.Fatal(err)
			}
			spilled := false
			for deadline := time.Now().Add(10 * time.Second); !spilled && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				fds, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd"))
				for _, fd := range fds {
					target, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd", fd.Name()))
					// A file without a name (O_TMPFILE) reads as "/tmp/x/#123 (deleted)".
					if strings.HasPrefix(target, tmp+string(filepath.Separator)) && strings.HasSuffix(target, "(deleted)") {
						spilled = true
					}
				}
				if l := leftovers(t, tmp); len(l) != 0 {
					t.Fatalf("the temporary folder holds %v while the run goes on", l)
				}
			}
			if !spilled {
				t.Fatalf("the run never held a removed spill file open in %s; stderr: %s", tmp, &stderr)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			stdin.Close()
			if l := leftovers(t, tmp); len(l) != 0 {
				t.Errorf("left %v in the temporary folder", l)
			}
			if l := leftovers(t, out); len(l) != 0 {
				t.Errorf("left %v in the output folder", l)
			}
		})
	}
}

// TestTmpDirMustBeAFolder: a --tmp-dir that is missing or not a folder is a usage mistake
// found before any log is read.
func TestTmpDirMustBeAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		cmd := exec.Command(bin, "--from", "testdata/logs/ha-3-nodes", "--tmp-dir", dir, "-o", filepath.Join(t.TempDir(), "r.json"))
		b, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(b), "--tmp-dir "+dir) {
			t.Errorf("--tmp-dir %s: %v\n%s", dir, err, b)
		}
	}
}

// Histories spilled to disk after every event read back as they were: every format of every
// sample log is the same byte for byte whether the rows stayed in memory or not, row IDs
// (a deletecollection's and a namespace's removal's ".2", ".3") included.
func TestSpilledHistoriesRenderTheSame(t *testing.T) {
	outputs := []output{
		{"txt", &render.Table{}},
		{"json", &render.JSON{}},
		{"md", &render.Markdown{MaxRows: 5}},
		{"html", &render.HTML{MaxRows: 5}},
		{"csv", &render.CSV{Table: render.CSVChanges}},
		{"failed.csv", &render.CSV{Table: render.CSVFailed}},
		{"coverage.csv", &render.CSV{Table: render.CSVCoverage}},
		{"pdf", &render.PDF{MaxRows: 5}},
	}
	logs := []string{"ha-3-nodes", "gaps", "posture", "rotated", "managed", "real-apiserver/log", "real-apiserver/webhook", "broken"}
	for _, dir := range logs {
		t.Run(dir, func(t *testing.T) {
			memory, spilled := buildSample(t, dir, -1), buildSample(t, dir, 1)
			if spilled.SpilledBytes() == 0 && memory.Summary.Changes+memory.Summary.SubresourceChanges > 0 {
				t.Fatal("nothing was spilled with a budget of one byte")
			}
			sameRenders(t, outputs, memory, spilled)
		})
	}
}
