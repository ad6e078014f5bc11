package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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
