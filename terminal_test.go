package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"
)

// runTerminal runs the binary in dir with a pseudo-terminal of the given width as its
// stdin, stdout and stderr, as a user at a terminal runs it, and returns what the terminal
// showed and the exit code.
func runTerminal(t *testing.T, dir string, cols uint16, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: cols})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	io.Copy(&out, f) // ends with EIO once the process has exited
	code := 0
	if err := cmd.Wait(); err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = exit.ExitCode()
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n"), code
}

var escapes = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]|\r")

// --format pdf at a terminal: the PDF goes to a file named from the report, in the current
// folder, and the terminal says where.
func TestTerminalPDF(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1793491200")
	dir := t.TempDir()
	logs := abs(t, "testdata/logs/ha-3-nodes")
	out, code := runTerminal(t, dir, 100, "--from", logs, "--format", "pdf")
	const name = "ha-3-nodes-2026-11-01_2026-11-02.pdf"
	if code != 0 || !strings.Contains(out, "PDF report written to "+name) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("%s: %v", name, err)
	}
	// Someone else's file of that name is kept; the report takes the next name.
	os.WriteFile(filepath.Join(dir, name), []byte("mine"), 0o644)
	out, code = runTerminal(t, dir, 100, logs, "--format", "pdf")
	if code != 0 || !strings.Contains(out, "PDF report written to ha-3-nodes-2026-11-01_2026-11-02-2.pdf") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "mine" {
		t.Error("a different file was replaced")
	}
	// Several formats at a terminal are files too; -q (nothing on stderr but errors) leaves
	// the terminal blank.
	out, code = runTerminal(t, dir, 100, logs, "--format", "json,csv", "--cluster", "prod", "-q")
	if code != 0 || out != "" {
		t.Errorf("-q: exit %d, the terminal showed:\n%s", code, out)
	}
	for _, f := range []string{"prod-2026-11-01_2026-11-02.json", "prod-2026-11-01_2026-11-02.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// The table on a 100-column terminal: no line is wider, long inputs are cut or wrapped with
// a marker, and the network policy changes are listed.
func TestTerminalTableFits(t *testing.T) {
	deep := filepath.Join(t.TempDir(), strings.Repeat("a-folder-with-a-long-name-", 4), "control-plane-node-logs")
	os.MkdirAll(deep, 0o755)
	for _, f := range []string{"kube-apiserver-1-audit.log", "kube-apiserver-2-audit.log", "kube-apiserver-3-audit.log"} {
		b, err := os.ReadFile(filepath.Join("testdata/logs/gaps/time-hole", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(deep, f), b, 0o644)
	}
	for _, cols := range []uint16{80, 100} {
		out, code := runTerminal(t, ".", cols, deep, "-q")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		plain := escapes.ReplaceAllString(out, "")
		for i, l := range strings.Split(plain, "\n") {
			if w := runewidth.StringWidth(l); w > int(cols) {
				t.Errorf("%d columns: line %d is %d wide: %q", cols, i+1, w, l)
			}
		}
		for _, want := range []string{"Network policy changes", "When (UTC)", "…", "time-hole"} {
			if !strings.Contains(plain, want) {
				t.Errorf("%d columns: the table lacks %q:\n%s", cols, want, plain)
			}
		}
		if !strings.Contains(out, "\x1b[") {
			t.Errorf("%d columns: no colour on a terminal", cols)
		}
	}
}
