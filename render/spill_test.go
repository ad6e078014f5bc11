package render

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report"
)

// Histories spilled to disk after every event read back as they were: every format of every
// sample log is the same byte for byte whether the rows stayed in memory or not, row IDs
// (a deletecollection's and a namespace's removal's ".2", ".3") included.
func TestSpilledHistoriesRenderTheSame(t *testing.T) {
	outputs := []struct {
		name string
		r    Renderer
	}{
		{"txt", &Table{}},
		{"json", &JSON{}},
		{"md", &Markdown{MaxRows: 5}},
		{"html", &HTML{MaxRows: 5}},
		{"csv", &CSV{Table: CSVChanges}},
		{"failed.csv", &CSV{Table: CSVFailed}},
		{"coverage.csv", &CSV{Table: CSVCoverage}},
		{"pdf", &PDF{MaxRows: 5}},
	}
	logs := []string{"ha-3-nodes", "gaps", "posture", "rotated", "managed", "real-apiserver/log", "real-apiserver/webhook", "broken"}
	for _, dir := range logs {
		t.Run(dir, func(t *testing.T) {
			build := func(spillAbove int) *report.Report {
				src, err := audit.Resolve([]string{filepath.Join("..", "testdata", "logs", dir) + "/"}, nil)
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
			memory, spilled := build(-1), build(1)
			if spilled.SpilledBytes() == 0 && memory.Summary.Changes+memory.Summary.SubresourceChanges > 0 {
				t.Fatal("nothing was spilled with a budget of one byte")
			}
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
					t.Errorf("%s: the spilled report's %s differs from the one kept in memory", dir, o.name)
				}
			}
		})
	}
}
