package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/auditreport/auditreport/report"
)

// JSON writes the report model exactly as documented in docs/report-schema.md.
type JSON struct{}

var _ Renderer = (*JSON)(nil)

// Render writes r as indented JSON. The histories and failed attempts are written one
// element at a time: a busy cluster's report is hundreds of megabytes, and encoding it whole
// would hold it in memory twice.
func (JSON) Render(w io.Writer, r *report.Report) error {
	shell := *r
	shell.Resources, shell.FailedAttempts = []report.Resource{}, []report.FailedAttempt{}
	head, err := marshal(&shell, "")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	el := newElemWriter(bw)
	rest := head
	for _, part := range []struct {
		key   string
		n     int
		write func(i int) error
	}{
		{"resources", len(r.Resources), func(i int) error { return el.write(&r.Resources[i]) }},
		{"failedAttempts", len(r.FailedAttempts), func(i int) error { return el.write(&r.FailedAttempts[i]) }},
	} {
		marker := []byte("\n  \"" + part.key + "\": [")
		at := bytes.Index(rest, marker)
		if at < 0 || !bytes.HasPrefix(rest[at+len(marker):], []byte("]")) {
			return fmt.Errorf("json: %s not found in the report's layout", part.key)
		}
		bw.Write(rest[:at+len(marker)])
		for i := 0; i < part.n; i++ {
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			if err := part.write(i); err != nil {
				return err
			}
		}
		if part.n > 0 {
			bw.WriteString("\n  ")
		}
		rest = rest[at+len(marker):]
	}
	bw.Write(rest)
	bw.WriteString("\n")
	return bw.Flush()
}

// elemWriter encodes list elements through one reused buffer, so that writing a large
// report makes little garbage.
type elemWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newElemWriter(w *bufio.Writer) *elemWriter {
	e := &elemWriter{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	e.enc.SetIndent("    ", "  ")
	return e
}

func (e *elemWriter) write(v any) error {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	_, err := e.w.Write(bytes.TrimRight(e.buf.Bytes(), "\n"))
	return err
}

// marshal indents v without escaping <, > and &: the report is read by people, and
// "<redacted>" should read as such.
func marshal(v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
