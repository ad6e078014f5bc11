package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the built bin: signals and full disks are about the process.

// start starts the binary with args; stderr is kept.
func start(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// stop sends sig and returns the exit code and how long the process took to end.
func stop(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	at := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 5 s after %v", sig)
	}
	return cmd.ProcessState.ExitCode(), time.Since(at)
}

// waitOpening waits until a thread of process pid is blocked opening a file (openat), as a
// run that reads a FIFO nobody writes to is, or 10 s have passed.
func waitOpening(t *testing.T, pid int) {
	t.Helper()
	tasks := filepath.Join("/proc", strconv.Itoa(pid), "task")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ids, err := os.ReadDir(tasks)
		if err != nil {
			time.Sleep(300 * time.Millisecond) // no /proc: give it the time it used to get
			return
		}
		for _, id := range ids {
			if b, _ := os.ReadFile(filepath.Join(tasks, id.Name(), "syscall")); strings.HasPrefix(string(b), "257 ") {
				return
			}
		}
	}
}

// leftovers lists what is in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func checkStopped(t *testing.T, code int, took time.Duration, want int, out string, stderr *bytes.Buffer) {
	t.Helper()
	if code != want {
		t.Errorf("exit code %d, want %d; stderr: %s", code, want, stderr)
	}
	if took > time.Second {
		t.Errorf("took %v to stop, want under a second", took)
	}
	if l := leftovers(t, out); len(l) != 0 {
		t.Errorf("left %v in the output folder", l)
	}
	if strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("stderr says %q", stderr)
	}
}

// TestSignalWaitingForFIFO: a FIFO nobody writes to does not hold a run that is told to stop.
func TestSignalWaitingForFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "audit.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	cmd, stderr := start(t, "--from", fifo, "--format", "json,markdown", "-o", filepath.Join(out, "report"))
	// Once the run waits on the FIFO it has its signal handlers: a signal before that, on
	// a loaded machine, would find the process still starting.
	waitOpening(t, cmd.Process.Pid)
	code, took := stop(t, cmd, syscall.SIGTERM)
	checkStopped(t, code, took, 143, out, stderr)
}

// TestSignalWhileReading: a run stopped while it reads (a FIFO that delivers half its events
// and stalls) exits 130 on SIGINT, writing nothing.
func TestSignalWhileReading(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "audit.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	cmd, stderr := start(t, "--from", fifo, "--format", "json,markdown", "-o", filepath.Join(out, "report"),
		"--evidence", filepath.Join(out, "report.evidence.json"))
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	log, err := os.ReadFile("testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(log[:len(log)/2])
	time.Sleep(300 * time.Millisecond)
	code, took := stop(t, cmd, syscall.SIGINT)
	checkStopped(t, code, took, 130, out, stderr)
}

// TestSignalWhileWriting: a run stopped while it renders and writes its outputs leaves either
// the whole set or nothing, and no temporary file.
func TestSignalWhileWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 40 MB log")
	}
	logs := t.TempDir()
	gen := exec.Command("go", "run", "./bench/gen", "-size", "40MB", "-nodes", "1", "-days", "0.2", "-o", logs)
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, b)
	}
	out := t.TempDir()
	cmd, stderr := start(t, "--from", logs, "--format", "json,csv,html,markdown,pdf", "-o", filepath.Join(out, "report"),
		"--evidence", filepath.Join(out, "report.evidence.json"))
	deadline := time.Now().Add(60 * time.Second)
	for len(leftovers(t, out)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no output was begun within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	code, took := stop(t, cmd, syscall.SIGTERM)
	if code == 0 {
		t.Skip("the run ended before the signal")
	}
	checkStopped(t, code, took, 143, out, stderr)
}

// TestFullDiskKeepsPreviousSet: when one output cannot be written (here a file size limit,
// as on a full disk), no output of the run replaces the previous one, and the previous
// evidence manifest still verifies.
func TestFullDiskKeepsPreviousSet(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("no prlimit")
	}
	out := t.TempDir()
	args := func(from string) []string {
		return []string{"--from", from, "--format", "markdown,csv,json", "-o", filepath.Join(out, "report"),
			"--evidence", filepath.Join(out, "report.evidence.json")}
	}
	if b, err := exec.Command(bin, args("testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")...).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, b)
	}
	before := map[string][]byte{}
	for _, name := range leftovers(t, out) {
		before[name], _ = os.ReadFile(filepath.Join(out, name))
	}
	// The second run reads more: its Markdown fits in 16 KiB, its JSON does not.
	full := exec.Command("prlimit", append([]string{"--fsize=16384", bin}, args("testdata/logs/ha-3-nodes/")...)...)
	b, err := full.CombinedOutput()
	if err == nil {
		t.Fatalf("the second run wrote past the size limit:\n%s", b)
	}
	if code := full.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1\n%s", code, b)
	}
	after := leftovers(t, out)
	if len(after) != len(before) {
		t.Errorf("files %v, want only the first run's", after)
	}
	for name, content := range before {
		now, _ := os.ReadFile(filepath.Join(out, name))
		if !bytes.Equal(now, content) {
			t.Errorf("%s was replaced by the failed run", name)
		}
	}
	if b, err := exec.Command(bin, "verify", filepath.Join(out, "report.evidence.json")).CombinedOutput(); err != nil {
		t.Errorf("verify after the failed run: %v\n%s", err, b)
	}
}
