package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// A row sampled from the PDF, HTML or Markdown report is found in the JSON and CSV outputs
// by the ID printed with it.
func TestRowIDsTraceAcrossFormats(t *testing.T) {
	r := loadReport(t, "with-gaps")
	out := func(f Renderer) string {
		var buf bytes.Buffer
		if err := f.Render(&buf, r); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	pdf := pdfText(t, renderPDF(t, r, 0))
	docs := map[string]string{"pdf": pdf, "html": out(&HTML{}), "md": out(&Markdown{})}
	data := map[string]string{"json": out(&JSON{}), "csv": out(&CSV{Table: CSVChanges}) + out(&CSV{Table: CSVFailed})}
	v := NewView(r, 0)
	var ids []string
	for _, row := range v.PolicyChanges.Rows {
		ids = append(ids, row.ID)
	}
	for _, f := range v.Failed {
		ids = append(ids, f.ID)
	}
	if len(ids) < 5 {
		t.Fatalf("%d rows to sample", len(ids))
	}
	shape := regexp.MustCompile(`^[0-9a-f]{8}([0-9a-f]{4})?(\.\d+)?$`)
	for _, id := range ids {
		if !shape.MatchString(id) {
			t.Errorf("row ID %q is not short hex", id)
		}
		for name, text := range docs {
			if !has(text, id) {
				t.Errorf("%s does not print row ID %s", name, id)
			}
		}
		if !strings.Contains(data["json"], `"id": "`+id+`"`) {
			t.Errorf("the JSON has no row %s", id)
		}
		if n := strings.Count(data["csv"], ","+id+"\n"); n != 1 {
			t.Errorf("the CSV has %d rows with ID %s", n, id)
		}
	}
}
