package render

import (
	"encoding/json"
	"io"

	"github.com/auditreport/auditreport/report"
)

// JSON writes the report model exactly as documented in docs/report-schema.md.
type JSON struct{}

var _ Renderer = (*JSON)(nil)

// Render writes r as indented JSON.
func (JSON) Render(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
