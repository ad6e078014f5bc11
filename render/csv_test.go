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

// A spreadsheet that counts the changes table's rows by class, or a kind's rows by action,
// gets the summary's counts: a no-op write is no configuration change and no modification.
func TestCSVChangesAddUpToTheSummary(t *testing.T) {
	// Where the summary counts each action of a configuration change.
	column := map[string]string{history.ActionCreated: "created", history.ActionModified: "modified",
		history.ActionDeletionRequested: "deletionRequested", history.ActionDeleteCollection: "deletionRequested",
		history.ActionDeleted: "deleted", history.ActionFinalized: "deleted", history.ActionCollection: "deleted", history.ActionWithNamespace: "deleted",
		"no-op": "noOp", history.ActionSubresource: "subresourceChanges"}
	for _, model := range []string{"ha-3-nodes", "with-gaps", "posture"} {
		t.Run(model, func(t *testing.T) {
			r := loadReport(t, model)
			var buf bytes.Buffer
			if err := (&CSV{Table: CSVChanges}).Render(&buf, r); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, name := range rows[0] {
				col[name] = i
			}
			byClass := map[string]int64{}
			byKind := map[[2]string]map[string]int64{}
			for _, row := range rows[1:] {
				byClass[row[col["class"]]]++
				k := [2]string{row[col["group"]], row[col["resource"]]}
				if byKind[k] == nil {
					byKind[k] = map[string]int64{}
				}
				name, ok := column[row[col["action"]]]
				if !ok {
					t.Errorf("action %q counts in no column of the summary", row[col["action"]])
				}
				byKind[k][name]++
			}
			s := r.Summary
			if s.NoOp == 0 && model != "posture" {
				t.Fatal("the model has no no-op write to tell apart")
			}
			want := map[string]int64{history.ClassConfiguration: s.Changes, "no-op": s.NoOp, history.ClassSubresource: s.SubresourceChanges}
			for class, n := range want {
				if byClass[class] != n {
					t.Errorf("%d rows of class %s, the summary says %d", byClass[class], class, n)
				}
			}
			for _, ks := range s.Kinds {
				got := byKind[[2]string{ks.Group, ks.Resource}]
				for name, n := range map[string]int64{"created": ks.Created, "modified": ks.Modified, "deletionRequested": ks.DeletionRequested,
					"deleted": ks.Deleted, "noOp": ks.NoOp, "subresourceChanges": ks.SubresourceChanges} {
					if got[name] != n {
						t.Errorf("%s: %d rows count as %s, the summary says %d", ks.Kind, got[name], name, n)
					}
				}
			}
		})
	}
}
