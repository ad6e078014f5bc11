package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report"
)

// The posture's rows written to disk after every pod read back as they were: every format,
// and every posture table of the CSV, of the sample logs with pods is the same byte for
// byte whether the rows stayed in memory or not (report/posture's TestRecordKeepsEveryField
// holds the record to every field of a row).
func TestSpilledPostureRendersTheSame(t *testing.T) {
	outputs := []output{
		{"txt", &render.Table{}},
		{"json", &render.JSON{}},
		{"md", &render.Markdown{MaxRows: 5}},
		{"html", &render.HTML{MaxRows: 5}},
		{"pdf", &render.PDF{MaxRows: 5}},
		{"endpoints.csv", &render.CSV{Table: render.CSVEndpoints}},
		{"namespaces.csv", &render.CSV{Table: render.CSVNamespaces}},
		{"services.csv", &render.CSV{Table: render.CSVServices}},
		{"summary.csv", &render.CSV{Table: render.CSVPostureSummary}},
		{"gaps.csv", &render.CSV{Table: render.CSVGaps}},
	}
	for _, dir := range []string{"posture", "ha-3-nodes", "gaps", "real-apiserver/log", "managed"} {
		t.Run(dir, func(t *testing.T) {
			memory, spilled := buildSample(t, dir, -1), buildSample(t, dir, 1)
			if memory.Posture == nil || memory.Posture.Len() == 0 {
				t.Fatalf("%s has no pod in its posture: it tests nothing here", dir)
			}
			if spilled.Posture.SpilledBytes() == 0 {
				t.Fatal("no posture row was written to disk with a budget of one byte")
			}
			sameRenders(t, outputs, memory, spilled)
		})
	}
}

// buildSample builds the report of a sample log, sending to disk what passes spillAbove
// bytes as the run would (-1: all of it).
func buildSample(t *testing.T, dir string, spillAbove int) *report.Report {
	t.Helper()
	src, err := audit.Resolve([]string{filepath.Join("testdata", "logs", dir) + "/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), src, report.Options{Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		SpillAbove: spillAbove, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// output is a renderer and the name of what it writes.
type output struct {
	name string
	r    render.Renderer
}

// sameRenders fails for each output that renders the report spilled to disk otherwise than
// the one kept in memory.
func sameRenders(t *testing.T, outputs []output, memory, spilled *report.Report) {
	t.Helper()
	for _, o := range outputs {
		var want, got bytes.Buffer
		if err := o.r.Render(&want, memory); err != nil {
			t.Fatal(err)
		}
		if err := o.r.Render(&got, spilled); err != nil {
			t.Fatal(err)
		}
		if err := spilled.Err(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("the %s of the report spilled to disk differs from the one kept in memory", o.name)
		}
	}
}
