package cli

import (
	"fmt"
	"log/slog"

	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report"
)

// pdfFonts gives every PDF output a font for the characters DejaVu Sans lacks, when
// --pdf-font gave none and an installed font has them, and says on stderr and in the report's
// warnings how many characters no font can draw, in which fields: a PDF never shows empty
// boxes without saying so. With record, the warning goes into the report too (it runs before
// the report's digest, which covers it); a saved report rendered again is left as it was.
func pdfFonts(targets []target, rep *report.Report, streams *IOStreams, quiet, record bool) {
	var pdfs []*render.PDF
	for _, t := range targets {
		if p, ok := t.renderer.(*render.PDF); ok {
			pdfs = append(pdfs, p)
		}
	}
	if len(pdfs) == 0 {
		return
	}
	need := render.Uncovered(rep)
	if len(need) == 0 {
		return
	}
	font := pdfs[0].Font
	if font == nil {
		if path, b := render.FindFont(render.FontDirs(), need); b != nil {
			font = b
			for _, p := range pdfs {
				p.Font = b
			}
			if !quiet {
				streams.Log(slog.LevelInfo, fmt.Sprintf("the PDF draws what DejaVu Sans lacks (%d different characters) with %s", len(need), path), "font", path)
			}
		}
	}
	if u := render.Undrawn(rep, font); len(u) > 0 {
		msg := render.UndrawnText(u)
		if record {
			rep.Warnings = append(rep.Warnings, msg)
		}
		if !quiet {
			streams.Log(slog.LevelWarn, msg)
		}
	}
}
