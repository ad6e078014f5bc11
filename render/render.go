// Package render turns a report.Report into the formats people read and pipelines consume.
// Renderers see only the report model, never audit events.
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/auditreport/auditreport/report"
)

// Format names an output format.
type Format string

// The formats available. Formats lists them for flag validation, help and completion.
const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
)

// Formats is every format, in the order help shows them.
var Formats = []Format{FormatTable, FormatJSON}

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *report.Report) error
}

// Options are what renderers may need beyond the report.
type Options struct {
	// Color turns on terminal colours (table only).
	Color bool
}

// New returns the renderer for f, or an error naming the formats there are.
func New(f Format, opts Options) (Renderer, error) {
	switch f {
	case FormatTable:
		return &Table{Color: opts.Color}, nil
	case FormatJSON:
		return &JSON{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", string(f), FormatList())
}

// FormatList is the formats as one comma-separated string.
func FormatList() string {
	s := make([]string, len(Formats))
	for i, f := range Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}
