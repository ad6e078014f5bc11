package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The JSON written to stdout redirected to a file (> report.json) is encoded once, its digest
// put in place from where the file stood; to a file opened for appending (>>) it is encoded
// twice, the digest first. Both are the same report, byte for byte, after what the file held,
// and the report written with -o but for the command line.
func TestJSONToStdoutFile(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--from", "testdata/logs/ha-3-nodes/", "--format", "json", "-q"}
	env := append(os.Environ(), "SOURCE_DATE_EPOCH=1764547200")
	ref := filepath.Join(dir, "ref.json")
	cmd := exec.Command(bin, append(args, "-o", ref)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	const header = "written before the report\n"
	var reports [][]byte
	for _, flag := range []int{0, os.O_APPEND} {
		path := filepath.Join(dir, "stdout.json")
		if err := os.WriteFile(path, []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(int64(len(header)), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout = env, f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		f.Close()
		if err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(got, []byte(header)) {
			t.Fatalf("flags %#x: what the file held before is gone: %.80q", flag, got)
		}
		got = got[len(header):]
		if withoutCommand(t, string(got)) != withoutCommand(t, string(want)) {
			t.Errorf("flags %#x: the report on stdout differs from the one written with -o", flag)
		}
		reports = append(reports, got)
	}
	if !bytes.Equal(reports[0], reports[1]) {
		t.Error("the report written at an offset, its digest put in place, is not the report encoded twice")
	}
}
