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
	FormatHTML     Format = "html"
	FormatCSV      Format = "csv"
	FormatPDF      Format = "pdf"
)

// Formats is every format, in the order help shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatPDF, FormatHTML, FormatMarkdown, FormatCSV}

// Ext is the file extension of a format's output.
func (f Format) Ext() string {
	switch f {
	case FormatTable:
		return "txt"
	case FormatMarkdown:
		return "md"
	}
	return string(f)
}

// Binary reports whether a format's output is not text (never written to a terminal).
func (f Format) Binary() bool { return f == FormatPDF }

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *report.Report) error
}

// Options are what renderers may need beyond the report.
type Options struct {
	// Color turns on terminal colours (table only).
	Color bool
	// Width is the terminal's width in columns the table fits in (0: no limit).
	Width int
	// MaxRows bounds each detail section of the PDF, HTML and Markdown reports (0: DefaultMaxRows).
	MaxRows int
	// CSVTable is the table the csv format writes (CSVTables; "" is changes).
	CSVTable string
	// PDFFont replaces DejaVu in the PDF (a TrueType font; CheckFont tells).
	PDFFont []byte
	// Views, shared by the renderers of one run, builds each report's View once for the
	// PDF, HTML and Markdown (nil: each builds its own).
	Views *Views
}

// New returns the renderer for f, or an error naming the formats there are.
func New(f Format, opts Options) (Renderer, error) {
	switch f {
	case FormatTable:
		return &Table{Color: opts.Color, Width: opts.Width}, nil
	case FormatJSON:
		return &JSON{}, nil
	case FormatMarkdown:
		return &Markdown{MaxRows: opts.MaxRows, Views: opts.Views}, nil
	case FormatHTML:
		return &HTML{MaxRows: opts.MaxRows, Views: opts.Views}, nil
	case FormatCSV:
		for _, t := range append(CSVTables, "") {
			if t == opts.CSVTable {
				return &CSV{Table: opts.CSVTable}, nil
			}
		}
		return nil, fmt.Errorf("unknown CSV table %q (want one of %s)", opts.CSVTable, strings.Join(CSVTables, ", "))
	case FormatPDF:
		return &PDF{MaxRows: opts.MaxRows, Font: opts.PDFFont, Views: opts.Views}, nil
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
