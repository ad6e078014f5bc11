package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden outputs in testdata/golden")

// Every text format of every golden report model, compared with its golden file. Review a
// difference as a user would see it, then regenerate with go test ./render -update.
func TestGoldenOutputs(t *testing.T) {
	type out struct {
		name string
		r    Renderer
	}
	outputs := []out{
		{"txt", &Table{}},
		{"json", &JSON{}},
		{"md", &Markdown{MaxRows: 20}},
		{"html", &HTML{MaxRows: 20}},
		{"csv", &CSV{Table: CSVChanges}},
		{"failed-attempts.csv", &CSV{Table: CSVFailed}},
		{"coverage.csv", &CSV{Table: CSVCoverage}},
		{"gaps.csv", &CSV{Table: CSVGaps}},
		{"endpoints.csv", &CSV{Table: CSVEndpoints}},
		{"namespaces.csv", &CSV{Table: CSVNamespaces}},
		{"services.csv", &CSV{Table: CSVServices}},
		{"summary.csv", &CSV{Table: CSVPostureSummary}},
	}
	for _, model := range []string{"ha-3-nodes", "with-gaps", "posture"} {
		r := loadReport(t, model)
		for _, o := range outputs {
			t.Run(model+"."+o.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := o.r.Render(&buf, r); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("..", "testdata", "golden", model+"."+o.name)
				if *update {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test ./render -run Golden -update writes it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from its golden file; review and run go test ./render -run Golden -update", path)
				}
			})
		}
	}
}
