package history

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/gen"
	"github.com/auditreport/auditreport/internal/jsonany"
)

// historiesOf runs a tracker over every event of the sources, giving it each response as
// body gives it, and returns the histories as JSON.
func historiesOf(t *testing.T, sources []audit.Source, body func(*audit.Event) any) []byte {
	t.Helper()
	rd := audit.NewReader(context.Background(), sources, audit.Options{})
	defer rd.Close()
	tr := New(Options{Redact: true, SpillAbove: -1})
	defer tr.Close()
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		tr.Add(ev, body(ev), true)
	}
	h, err := tr.Finish()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for i := range h.Resources {
		r := &h.Resources[i]
		enc.Encode(struct{ Kind, Group, Resource, Namespace, Name, UID string }{r.Kind, r.Group, r.Resource, r.Namespace, r.Name, r.UID})
		for _, c := range r.Changes() {
			enc.Encode(c)
		}
	}
	return out.Bytes()
}

// TestTapesChangeNothing: the histories of the sample logs (a real API server's among them)
// and of a generated busy cluster are the same whether the tracker reads writes on tapes
// (Body) or every response decoded (Decode), change for change.
func TestTapesChangeNothing(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*/*.log")
	more, _ := filepath.Glob("../../testdata/logs/*/*/*.log")
	var log bytes.Buffer
	g := gen.New(gen.Config{Bytes: 8 << 20, Nodes: 1, Days: 0.05, Seed: 2, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := g.Run([]io.Writer{&log}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func() []audit.Source{
		"generated": func() []audit.Source {
			return []audit.Source{audit.ReaderSource("generated.log", bytes.NewReader(log.Bytes()))}
		},
	}
	for _, f := range append(files, more...) {
		cases[f] = func() []audit.Source {
			s, err := audit.Resolve([]string{f}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	for name, sources := range cases {
		tapes := 0
		onTapes := historiesOf(t, sources(), func(ev *audit.Event) any {
			b := Body(ev)
			if _, ok := b.(*jsonany.Tape); ok {
				tapes++
			}
			return b
		})
		decoded := historiesOf(t, sources(), func(ev *audit.Event) any { return Decode(ev.ResponseObject) })
		if !bytes.Equal(onTapes, decoded) {
			t.Errorf("%s: the histories differ on tapes (%d bytes) and decoded (%d bytes)", name, len(onTapes), len(decoded))
		}
		if name == "generated" && (tapes < 500 || bytes.Count(onTapes, []byte("\n")) < 1000) {
			t.Errorf("generated: %d writes on tapes, %d lines of histories", tapes, bytes.Count(onTapes, []byte("\n")))
		}
	}
}
