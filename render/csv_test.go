package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/auditreport/auditreport/report/history"
)

// A cell longer than a spreadsheet holds is cut, with a marker saying how much and where the
// whole value is in the JSON report.
func TestCSVCutsLongCells(t *testing.T) {
	r := loadReport(t, "with-gaps")
	big := `"` + strings.Repeat("x", 2*CSVMaxCell) + `"`
	r.Resources[1].History[0].Diff = []history.FieldChange{{Path: "metadata.annotations.big", Op: history.OpAdded, New: json.RawMessage(big)}}
	var buf bytes.Buffer
	if err := (&CSV{}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cut string
	for _, row := range rows {
		for _, c := range row {
			if n := utf8.RuneCountInString(c); n > CSVMaxCell {
				t.Errorf("a cell of %d characters", n)
			}
			if strings.Contains(c, "…[cut: ") {
				cut = c
			}
		}
	}
	want := "characters not shown; the whole value is resources[1].history[0].diff in the JSON report (--format json)]"
	if !strings.HasPrefix(cut, "metadata.annotations.big: \"xxx") || !strings.HasSuffix(cut, want) {
		t.Errorf("the cut cell ends %q", cut[max(0, len(cut)-200):])
	}
	if n := utf8.RuneCountInString(cut); n < CSVMaxCell-10 {
		t.Errorf("the cut cell keeps %d characters, want nearly %d", n, CSVMaxCell)
	}
}

// A table with more rows than a spreadsheet holds is refused, saying what to do instead.
func TestCSVRefusesTooManyRows(t *testing.T) {
	defer func(n int) { csvMaxRows = n }(csvMaxRows)
	csvMaxRows = 3
	r := loadReport(t, "with-gaps")
	err := (&CSV{}).Render(&bytes.Buffer{}, r)
	if err == nil || !strings.Contains(err.Error(), "more than the 3 a spreadsheet holds: shorten the period (--since, --until) or use --format json") {
		t.Errorf("got %v", err)
	}
	if err := (&CSV{Table: CSVCoverage}).Render(&bytes.Buffer{}, r); err == nil {
		t.Error("coverage rows not counted")
	}
}
