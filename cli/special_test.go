package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOutputToADeviceOrFIFO: -o naming a FIFO or a device writes into it in place. Renaming a
// temporary over it, as files are written, replaced /dev/null with a regular file once.
func TestOutputToADeviceOrFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// Held open for reading and writing, the FIFO's open never waits for the other end, and
	// a read deadline ends the reading once the run is over, whatever it wrote.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	_, stderr, code := run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--format", "json", "-o", fifo, "--evidence", filepath.Join(dir, "evidence.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r.SetReadDeadline(time.Now().Add(time.Second))
	b := <-got
	var rep map[string]any
	if json.Unmarshal(b, &rep) != nil || rep["digest"] == "" {
		t.Errorf("the FIFO's reader got %d bytes, not the JSON report", len(b))
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after the run, %s is %v (%v), not the FIFO", fifo, fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want the FIFO and the manifest: %v", len(entries), entries)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "evidence.json"))
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || len(m.Outputs) != 0 {
		t.Errorf("manifest outputs %+v (%v): a FIFO cannot be checked again and is not listed", m.Outputs, err)
	}

	// A character device like /dev/null, made here so that a failure cannot replace the
	// machine's own (needs root).
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Log("no device made here (not root):", err)
		return
	}
	before, _ := os.Lstat(null)
	for _, format := range []string{"json", "pdf", "csv"} {
		_, stderr, code = run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--format", format, "-o", null)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if fi, err := os.Lstat(null); err != nil || fi.Mode() != before.Mode() {
			t.Errorf("%s: after the run, %s is %v (%v), not the device as it was (%v)", format, null, fi.Mode(), err, before.Mode())
		}
	}
}
