package render

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// The fonts are DejaVu Sans (Bitstream Vera licence, render/fonts/LICENSE): they cover
// Latin, Greek, Cyrillic and many symbols, so names in those scripts print as they are.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	//go:embed fonts/DejaVuSansMono.ttf
	fontMono []byte
)

// PDF writes the report an auditor opens: a cover with the verdict, an executive summary,
// a chart of changes, the coverage matrix, every gap with its remedy, the policy audit, the
// changes per kind, the failed attempts, and an appendix with the inputs' digests and the
// command line. The same report gives the same bytes: dates come from generatedAt.
type PDF struct {
	MaxRows int
	// Font, when set, is a TrueType font for the characters DejaVu lacks, such as Chinese,
	// Japanese or Korean names (--pdf-font).
	Font []byte
	// Views, when set, shares the report's view with the other renderers of the run.
	Views *Views
}

var _ Renderer = (*PDF)(nil)

// CheckFont tells whether b is a font the PDF can embed: TrueType outlines (a .ttf file).
func CheckFont(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("not a font file")
	}
	switch string(b[:4]) {
	case "\x00\x01\x00\x00", "true":
		return nil
	case "OTTO":
		return fmt.Errorf("an OpenType font with CFF outlines: the PDF needs TrueType outlines (.ttf), such as Droid Sans Fallback for CJK")
	case "ttcf":
		return fmt.Errorf("a font collection (.ttc): give a single TrueType font (.ttf)")
	}
	return fmt.Errorf("not a TrueType font")
}

// Page geometry, in millimetres (A4 portrait).
const (
	pdfMargin = 14.0
	pdfLine   = 4.2 // line height of body text
)

type rgb struct{ r, g, b int }

var (
	colText    = rgb{31, 35, 40}
	colMuted   = rgb{87, 96, 106}
	colOK      = rgb{26, 127, 55}
	colError   = rgb{198, 40, 40}
	colWarning = rgb{154, 103, 0}
	colHead    = rgb{234, 238, 242}
	colLine    = rgb{208, 215, 222}
)

// pdfDoc wraps fpdf with the report's styles.
type pdfDoc struct {
	*fpdf.Fpdf
	v     *View
	width float64 // usable width
	// fallback is the font for characters DejaVu lacks (--pdf-font), nil without one.
	fallback []byte
	// The current font, which the fallback switches away from and back to.
	family, style string
	size          float64
	// pending are headings and introductions not drawn yet: they go on the page of what
	// follows them (see keep); drawing is set while keep draws them.
	pending []block
	drawing bool
}

// Render writes r as PDF.
func (p *PDF) Render(w io.Writer, r *report.Report) error {
	v := p.Views.View(r, p.MaxRows)
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(r.GeneratedAt)
	f.SetModificationDate(r.GeneratedAt)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	// fpdf rewrites composite glyphs in the font bytes it is given while it subsets them,
	// so each document gets its own copy: with shared bytes, the second PDF of a process
	// differed from the first.
	f.AddUTF8FontFromBytes("sans", "", bytes.Clone(fontRegular))
	f.AddUTF8FontFromBytes("sans", "B", bytes.Clone(fontBold))
	f.AddUTF8FontFromBytes("mono", "", bytes.Clone(fontMono))
	if p.Font != nil {
		f.AddUTF8FontFromBytes("fallback", "", bytes.Clone(p.Font))
	}
	title := "Kubernetes audit report"
	if r.Cluster != "" {
		title += ": " + r.Cluster
	}
	f.SetTitle(title, true)
	f.SetAuthor(r.Tool.Name, true)
	f.SetCreator(strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version), true)
	f.SetSubject("Audit trail of the objects network policy depends on, "+PeriodText(r.Period), true)
	f.SetMargins(pdfMargin, pdfMargin+6, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin+6)
	f.AliasNbPages("{nb}")
	d := &pdfDoc{Fpdf: f, v: v, fallback: p.Font}
	pw, _ := f.GetPageSize()
	d.width = pw - 2*pdfMargin
	// Header and footer are drawn while a page begins or ends: never the place for what is
	// pending.
	f.SetHeaderFunc(func() {
		was, fam, style, size := d.drawing, d.family, d.style, d.size
		d.drawing = true
		defer func() { d.drawing, d.family, d.style, d.size = was, fam, style, size }()
		if f.PageNo() == 1 {
			return
		}
		d.font("sans", "", 7.5, colMuted)
		f.SetXY(pdfMargin, 7)
		d.CellFormat(d.width, 4, title+" · "+PeriodText(r.Period), "", 0, "L", false, 0, "")
		f.SetY(pdfMargin + 6)
	})
	f.SetFooterFunc(func() {
		was, fam, style, size := d.drawing, d.family, d.style, d.size
		d.drawing = true
		defer func() { d.drawing, d.family, d.style, d.size = was, fam, style, size }()
		d.font("sans", "", 7.5, colMuted)
		f.SetXY(pdfMargin, -10)
		d.CellFormat(d.width/2, 4, "Generated "+Time(r.GeneratedAt)+" by "+strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version), "", 0, "L", false, 0, "")
		d.CellFormat(d.width/2, 4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	})

	d.cover()
	d.summary()
	d.gaps()
	d.posture()
	d.coverage()
	d.changesSection("Policy audit: network policy changes", "Every configuration change in the period to a NetworkPolicy, to Calico's policy kinds and to the AdminNetworkPolicy API, with who made it and what it changed.", []Section{v.PolicyChanges}, v.PolicyChanges.Empty)
	d.changesSection("Changes per kind", "Configuration changes in the period. Subresource writes (status, binding, finalize) and no-op writes (which changed no field) are counted in the summary and listed in the JSON and CSV outputs.", v.Changes, v.NoChangesText())
	d.failed()
	d.appendix()
	if err := f.Error(); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	return f.Output(w)
}

func (d *pdfDoc) font(family, style string, size float64, c rgb) {
	d.family, d.style, d.size = family, style, size
	d.SetFont(family, style, size)
	d.SetTextColor(c.r, c.g, c.b)
}

// Headings, subheadings and the paragraph that introduces a section are not drawn at once:
// they wait (pending) for the content that follows, and keep draws them with it, on a new
// page when both do not fit, so that no heading is left alone at the foot of a page.

// block is a pending piece of a page and its height.
type block struct {
	h    float64
	draw func()
}

func (d *pdfDoc) heading(s string) {
	d.pending = append(d.pending, block{h: 13, draw: func() {
		d.Ln(3)
		d.font("sans", "B", 14, colText)
		d.Bookmark(s, 0, -1)
		d.MultiCell(d.width, 7, s, "", "L", false)
		d.SetDrawColor(colLine.r, colLine.g, colLine.b)
		d.Line(pdfMargin, d.GetY()+0.5, pdfMargin+d.width, d.GetY()+0.5)
		d.Ln(2.5)
	}})
}

func (d *pdfDoc) subheading(s string) {
	d.pending = append(d.pending, block{h: 7.5, draw: func() {
		d.Ln(1.5)
		d.font("sans", "B", 10.5, colText)
		d.Bookmark(s, 1, -1)
		d.MultiCell(d.width, 5.5, s, "", "L", false)
		d.Ln(0.5)
	}})
}

// keep makes room for need millimetres of content together with what is pending (a new
// page when they do not fit above bottom; 0 means the page's break line), then draws what is
// pending.
func (d *pdfDoc) keep(need, bottom float64) {
	if d.drawing {
		return
	}
	if bottom == 0 {
		_, pageH := d.GetPageSize()
		bottom = pageH - pdfMargin - 8
	}
	var h float64
	for _, b := range d.pending {
		h += b.h
	}
	d.drawing = true
	defer func() { d.drawing = false }()
	if need+h > 0 && d.GetY()+h+need > bottom && d.GetY() > pdfMargin+12 {
		d.AddPage()
	}
	pending := d.pending
	d.pending = nil
	if len(pending) == 0 {
		return
	}
	// What is pending draws in its own fonts; the caller's comes back after it.
	fam, style, size := d.family, d.style, d.size
	r, g, b := d.GetTextColor()
	for _, p := range pending {
		p.draw()
	}
	if fam != "" {
		d.font(fam, style, size, rgb{r, g, b})
	}
}

// para is a paragraph; right after a heading, it waits with it for what follows.
func (d *pdfDoc) para(s string, c rgb) {
	draw := func() {
		d.font("sans", "", 9, c)
		d.MultiCell(d.width, pdfLine, s, "", "L", false)
		d.Ln(1)
	}
	if len(d.pending) > 0 {
		d.font("sans", "", 9, c)
		d.pending = append(d.pending, block{h: float64(len(d.SplitText(s, d.width)))*pdfLine + 1, draw: draw})
		return
	}
	d.keep(2*pdfLine, 0)
	draw()
}

func (d *pdfDoc) cover() {
	r := d.v.Report
	d.AddPage()
	d.SetY(60)
	d.font("sans", "B", 24, colText)
	d.MultiCell(d.width, 11, "Kubernetes audit report", "", "L", false)
	if r.Cluster != "" {
		d.font("sans", "", 18, colText)
		d.MultiCell(d.width, 9, r.Cluster, "", "L", false)
	}
	d.Ln(6)
	d.font("sans", "", 10, colText)
	lines := append([]report.ScopeLine{{Label: "Generated", Text: Time(r.GeneratedAt)}}, d.v.Statement()...)
	for _, l := range lines {
		d.font("sans", "B", 10, colText)
		d.CellFormat(30, 5.5, l.Label, "", 0, "L", false, 0, "")
		d.font("sans", "", 10, colText)
		d.MultiCell(d.width-30, 5.5, l.Text, "", "L", false)
	}
	d.Ln(10)
	c, label := colOK, strings.ToUpper(d.v.VerdictText())
	if r.Verdict != coverage.VerdictPass {
		c = colError
	}
	d.SetFillColor(c.r, c.g, c.b)
	// Two lines, "TRAIL" over "COMPLETE" or "INCOMPLETE", in the badge's width.
	bx, by := d.GetXY()
	d.Rect(bx, by, 40, 14, "F")
	d.font("sans", "B", 11, rgb{255, 255, 255})
	first, rest, _ := strings.Cut(label, " ")
	d.SetXY(bx, by+1.5)
	d.CellFormat(40, 5.5, first, "", 0, "C", false, 0, "")
	d.SetXY(bx, by+7)
	d.CellFormat(40, 5.5, rest, "", 0, "C", false, 0, "")
	d.SetXY(pdfMargin+45, by)
	d.font("sans", "", 10.5, colText)
	y := d.GetY()
	d.MultiCell(d.width-45, 5, r.Score.Text, "", "L", false)
	d.SetXY(pdfMargin+45, d.GetY())
	d.font("sans", "", 10.5, c)
	d.MultiCell(d.width-45, 5, fmt.Sprintf("%d error(s), %d warning(s), %d note(s) about the completeness of the audit trail", d.v.Errors, d.v.Warnings, d.v.Infos), "", "L", false)
	if len(d.v.Findings) > 0 {
		d.SetXY(pdfMargin+45, d.GetY())
		d.font("sans", "", 10.5, colText)
		d.MultiCell(d.width-45, 5, "Protection findings: "+d.v.FindingsText(), "", "L", false)
	}
	if d.GetY() < y+16 {
		d.SetY(y + 16)
	}
	d.Ln(8)
	d.font("sans", "", 10, colText)
	d.MultiCell(d.width, 5, d.v.ChangesText(), "", "L", false)
	d.MultiCell(d.width, 5, d.v.ReadText()+".", "", "L", false)
}

func (d *pdfDoc) summary() {
	r := d.v.Report
	d.AddPage()
	d.heading("Executive summary")
	s := r.Summary
	d.table([]col{{"Measure", 0.6, "L"}, {"Value", 0.4, "R"}}, [][]string{
		{"Events read", fmt.Sprint(s.Events)},
		{"Unreadable values", fmt.Sprint(s.Malformed)},
		{"Configuration changes", fmt.Sprint(s.Changes)},
		{"Objects written to", fmt.Sprint(s.Objects)},
		{"Subresource writes (status, binding, ...)", fmt.Sprint(s.SubresourceChanges)},
		{"Failed attempts (refused writes)", fmt.Sprint(s.FailedAttempts)},
		{"Dry runs (not changes)", fmt.Sprint(s.DryRuns)},
		{"No-op writes (not changes)", fmt.Sprint(s.NoOp)},
		{"Writes without a known earlier state", fmt.Sprint(s.UnknownBaseline)},
		{"Writes logged without bodies (subresource writes too)", fmt.Sprint(s.NoDiff)},
	}, nil)
	for _, list := range []struct {
		title string
		gaps  []coverage.Gap
	}{{"Gaps in the trail at a glance", d.v.GapList}, {"Protection findings at a glance", d.v.Findings}} {
		if len(list.gaps) == 0 {
			continue
		}
		d.subheading(list.title)
		var rows [][]string
		var colors []rgb
		for i, g := range list.gaps {
			if i == 8 {
				rows = append(rows, []string{"", fmt.Sprintf("%d more: see %s", len(list.gaps)-8, strings.TrimSuffix(list.title, " at a glance"))})
				colors = append(colors, colMuted)
				break
			}
			rows = append(rows, []string{g.Severity, g.Message})
			colors = append(colors, severityColor(g.Severity))
		}
		d.table([]col{{"Severity", 0.14, "L"}, {"What", 0.86, "L"}}, rows, colors)
	}
	if d.v.Chart.Max > 0 {
		d.subheading("Configuration changes over the period")
		d.chart()
	}
	if len(s.Kinds) > 0 {
		d.subheading("Changes per kind")
		var rows [][]string
		for _, k := range s.Kinds {
			rows = append(rows, []string{KindLabel(k.Kind, k.Group), fmt.Sprint(k.Objects), fmt.Sprint(k.Created), fmt.Sprint(k.Modified), fmt.Sprint(k.DeletionRequested), fmt.Sprint(k.Deleted), fmt.Sprint(k.NoOp), fmt.Sprint(k.SubresourceChanges), fmt.Sprint(k.FailedAttempts)})
		}
		d.table([]col{{"Kind", 0.18, "L"}, {"Objects", 0.08, "R"}, {"Created", 0.08, "R"}, {"Modified", 0.1, "R"}, {"Deletion requested", 0.18, "R"}, {"Deleted", 0.08, "R"}, {"No-op", 0.08, "R"}, {"Subresource", 0.14, "R"}, {"Failed", 0.08, "R"}}, rows, nil)
	}
	if len(s.Actors) > 0 {
		d.subheading("Top actors")
		var rows [][]string
		for _, a := range s.Actors[:min(len(s.Actors), TopActors)] {
			rows = append(rows, []string{a.User, fmt.Sprint(a.Changes), fmt.Sprint(a.NoOp), fmt.Sprint(a.SubresourceChanges), fmt.Sprint(a.FailedAttempts)})
		}
		d.table([]col{{"User", 0.48, "L"}, {"Changes", 0.13, "R"}, {"No-op", 0.13, "R"}, {"Subresource", 0.13, "R"}, {"Failed", 0.13, "R"}}, rows, nil)
		if more := ActorsMore(s); more != "" {
			d.para(more, colMuted)
		}
	}
}

// statusColor colours a coverage status, a kind's or one API server's alike: a status that
// loses changes red, one that loses their diffs or cannot show them yellow.
func statusColor(status string) rgb {
	switch status {
	case coverage.StatusOK:
		return colText
	case coverage.StatusNoWrites, coverage.StatusQuiet, coverage.StatusPartial, coverage.StatusBodiesDropped:
		return colWarning
	}
	return colError
}

func severityColor(s string) rgb {
	switch s {
	case coverage.SeverityError:
		return colError
	case coverage.SeverityWarning:
		return colWarning
	}
	return colMuted
}

// chart draws configuration changes per bucket as stacked bars, with a legend.
func (d *pdfDoc) chart() {
	c := d.v.Chart
	const h = 45.0
	d.keep(h+20, 0)
	x0, y0 := pdfMargin+10, d.GetY()+2
	plotW := d.width - 12
	bw := plotW / float64(len(c.Buckets))
	d.SetDrawColor(colMuted.r, colMuted.g, colMuted.b)
	d.Line(x0, y0+h, x0+plotW, y0+h)
	d.font("sans", "", 7, colMuted)
	d.SetXY(pdfMargin, y0-1)
	d.CellFormat(9, 3, fmt.Sprint(c.Max), "", 0, "R", false, 0, "")
	d.SetXY(pdfMargin, y0+h-3)
	d.CellFormat(9, 3, "0", "", 0, "R", false, 0, "")
	for _, sg := range c.Segments() {
		col := hexColor(palette[sg.Kind%len(palette)])
		d.SetFillColor(col.r, col.g, col.b)
		d.Rect(x0+float64(sg.Bucket)*bw+0.15, y0+h*(1-sg.To), max(bw-0.3, 0.2), h*(sg.To-sg.From), "F")
	}
	for _, l := range c.Labels() {
		d.SetXY(x0+(float64(l.Bucket)+0.5)*bw-12, y0+h+0.5)
		d.CellFormat(24, 3.5, l.Text, "", 0, "C", false, 0, "")
	}
	y := y0 + h + 6
	x := x0
	for k, name := range c.Kinds {
		col := hexColor(palette[k%len(palette)])
		d.SetFillColor(col.r, col.g, col.b)
		d.Rect(x, y, 3, 3, "F")
		d.SetXY(x+4, y-0.3)
		d.font("sans", "", 7.5, colText)
		d.CellFormat(36, 3.6, name, "", 0, "L", false, 0, "")
		x += 42
		if x > pdfMargin+d.width-40 {
			x = x0
			y += 5
		}
	}
	d.SetY(y + 7)
}

func hexColor(s string) rgb {
	var c rgb
	fmt.Sscanf(s, "#%02x%02x%02x", &c.r, &c.g, &c.b)
	return c
}

func (d *pdfDoc) gaps() {
	d.heading("Gaps in the audit trail")
	if len(d.v.GapList) == 0 {
		d.para(d.v.NoGapsText(), colOK)
	} else {
		d.para("Every way in which the logs read are an incomplete record, most severe first, with what to do about it.", colMuted)
		d.gapList(d.v.GapList)
	}
	if len(d.v.Findings) > 0 {
		d.heading("Protection findings")
		d.para("What the network-policy posture found wrong with the pods' protection; they say nothing of the trail's completeness, and count for --fail-on as gaps do.", colMuted)
		d.gapList(d.v.Findings)
	}
}

// gapList writes gaps one after another: severity, type and kind, what, the fix, the rule.
func (d *pdfDoc) gapList(gaps []coverage.Gap) {
	for _, g := range gaps {
		if d.GetY() > 262 {
			d.AddPage()
		}
		c := severityColor(g.Severity)
		d.font("sans", "B", 9, c)
		head := strings.ToUpper(g.Severity) + "  " + g.Type
		if g.Resource != "" {
			head += "  ·  " + strings.TrimPrefix(g.Group+"/"+g.Resource, "/")
		}
		d.MultiCell(d.width, pdfLine+0.4, head, "", "L", false)
		d.font("sans", "", 9, colText)
		msg := g.Message
		if g.From != nil && g.To != nil {
			msg += fmt.Sprintf(" (%s to %s)", Time(*g.From), Time(*g.To))
		}
		d.MultiCell(d.width, pdfLine, msg, "", "L", false)
		if g.Remediation != "" {
			d.font("sans", "", 8.5, colMuted)
			d.MultiCell(d.width, pdfLine, "Fix: "+g.Remediation, "", "L", false)
		}
		if g.Rule != "" {
			d.font("sans", "", 8.5, colMuted)
			d.MultiCell(d.width, pdfLine, "Decided by: "+g.Rule, "", "L", false)
		}
		d.Ln(2)
	}
}

func (d *pdfDoc) coverage() {
	r := d.v.Report
	d.heading("Coverage")
	d.para("Writes logged per required kind and verb, with the highest audit level seen. A dash is a verb with no write in the period, which is no fault; ✗ marks a level below RequestResponse: those changes cannot be reconstructed.", colMuted)
	cols := []col{{"Kind", 0.15, "L"}, {"Status", 0.13, "L"}}
	for _, v := range coverageVerbs {
		cols = append(cols, col{v, 0.155, "L"})
	}
	cols = append(cols, col{"Bodies", 0.1, "R"})
	var rows [][]string
	var colors []rgb
	for _, c := range r.Coverage {
		row := []string{c.Kind, c.Status}
		for _, v := range coverageVerbs {
			switch n := c.Verbs[v]; {
			case n == 0:
				row = append(row, "–")
			case c.Levels[v] != "RequestResponse":
				row = append(row, fmt.Sprintf("%d\n✗ %s", n, c.Levels[v]))
			default:
				row = append(row, fmt.Sprintf("%d\n%s", n, c.Levels[v]))
			}
		}
		row = append(row, fmt.Sprintf("%d / %d", c.WritesWithBodies, c.Writes))
		rows = append(rows, row)
		colors = append(colors, statusColor(c.Status))
	}
	d.table(cols, rows, colors)
	multi := false
	for _, c := range r.Coverage {
		if len(c.Sources) > 1 {
			multi = true
		}
	}
	if multi {
		d.subheading("Per API server")
		var rows [][]string
		var colors []rgb
		for _, c := range r.Coverage {
			for _, s := range c.Sources {
				rows = append(rows, []string{c.Kind, s.Source, s.Status, fmt.Sprint(s.Events), fmt.Sprintf("%d / %d", s.WritesWithBodies, s.Writes), s.MaxLevel})
				colors = append(colors, statusColor(s.Status))
			}
		}
		d.table([]col{{"Kind", 0.15, "L"}, {"API server", 0.33, "L"}, {"Status", 0.15, "L"}, {"Events", 0.08, "R"}, {"Bodies", 0.09, "R"}, {"Level", 0.2, "L"}}, rows, colors)
	}
	if r.Policy != nil {
		d.subheading("Audit policy check")
		var rows [][]string
		var colors []rgb
		for _, f := range r.Policy.Files {
			res, detail := "pass", fmt.Sprintf("%d rules", f.Rules)
			if !f.Pass {
				res = "fail"
				failed := 0
				for _, c := range f.Cells {
					if !c.Pass {
						failed++
					}
				}
				detail = fmt.Sprintf("%d of %d kind/verb/user cells below RequestResponse", failed, len(f.Cells))
			}
			if f.Error != "" {
				detail = f.Error
			}
			rows = append(rows, []string{f.Source, res, detail})
			colors = append(colors, map[bool]rgb{true: colOK, false: colError}[f.Pass])
		}
		d.table([]col{{"File", 0.4, "L"}, {"Result", 0.1, "L"}, {"Detail", 0.5, "L"}}, rows, colors)
	}
}

func (d *pdfDoc) changesSection(title, intro string, sections []Section, empty string) {
	d.heading(title)
	d.para(intro, colMuted)
	any := false
	for _, s := range sections {
		if s.Total == 0 {
			continue
		}
		any = true
		if len(sections) > 1 {
			d.subheading(fmt.Sprintf("%s (%d)", s.Title, s.Total))
		}
		var rows [][]string
		for _, c := range s.Rows {
			var what []string
			for _, l := range c.Diff {
				what = append(what, l.Text())
			}
			if c.DiffMore > 0 {
				what = append(what, fmt.Sprintf("… %d more field(s)", c.DiffMore))
			}
			if c.Note != "" {
				what = append(what, c.Note)
			}
			if c.Baseline == history.BaselineUnknown {
				what = append(what, "(earlier state unknown)")
			}
			obj := c.Object
			if c.Kind != s.Kind {
				// The policy audit holds Calico's kinds and AdminNetworkPolicies too.
				obj = c.Kind + "\n" + obj
			}
			rows = append(rows, []string{c.Time + "\nID " + c.ID, c.Action + "\n" + c.Verb + " " + c.Code, obj, c.User + "\n" + c.SourceIP, strings.Join(what, "\n")})
		}
		d.table([]col{{"Time (UTC)", 0.13, "L"}, {"Action", 0.13, "L"}, {"Object", 0.17, "L"}, {"User, from", 0.19, "L"}, {"What changed", 0.38, "L"}}, rows, nil)
		if s.More > 0 {
			d.para(fmt.Sprintf("%d more change(s) are not shown (at most %d per section): see the JSON or CSV output.", s.More, d.v.MaxRows), colWarning)
		}
	}
	if !any {
		d.para(empty, colText)
	}
}

func (d *pdfDoc) failed() {
	d.heading("Failed attempts")
	if len(d.v.Failed) == 0 {
		d.para(d.v.NoFailedText(), colText)
		return
	}
	d.para("Writes the API server refused: nothing changed, but each is evidence of an attempt.", colMuted)
	var rows [][]string
	for _, f := range d.v.Failed {
		user := UserText(f.User, f.ImpersonatedUser)
		obj := f.Resource + " " + strings.TrimPrefix(f.Namespace+"/"+f.Name, "/")
		reason := f.Reason
		if f.Message != "" {
			reason = strings.TrimSpace(reason + "\n" + f.Message)
		}
		rows = append(rows, []string{Time(f.Time) + "\nID " + f.ID, user + "\n" + strings.Join(f.SourceIPs, ", "), f.Verb, obj, fmt.Sprint(f.Code), reason})
	}
	d.table([]col{{"Time (UTC)", 0.13, "L"}, {"User, from", 0.22, "L"}, {"Verb", 0.08, "L"}, {"Object", 0.2, "L"}, {"Code", 0.06, "R"}, {"Reason", 0.31, "L"}}, rows, nil)
	if d.v.FailedMore > 0 {
		d.para(fmt.Sprintf("%d more failed attempt(s) are not shown: see the JSON or CSV output.", d.v.FailedMore), colWarning)
	}
}

func (d *pdfDoc) appendix() {
	r := d.v.Report
	d.AddPage()
	d.heading("Appendix: inputs and provenance")
	d.para("Each input as read, with its SHA-256 digest: the report can be checked against the logs it came from.", colMuted)
	var rows [][]string
	for _, in := range r.Inputs {
		rows = append(rows, []string{in.Source + "\n" + in.SHA256, units.Bytes(in.Bytes), fmt.Sprint(in.Events), fmt.Sprint(in.Malformed), when2(in.FirstEvent) + "\n" + when2(in.LastEvent)})
	}
	d.table([]col{{"Input, SHA-256", 0.46, "L"}, {"Size", 0.1, "R"}, {"Events", 0.1, "R"}, {"Unreadable", 0.13, "R"}, {"First, last event", 0.21, "L"}}, rows, nil)
	if r.Digest != "" {
		d.subheading("Report digest")
		d.para("SHA-256 of this report's JSON form without the digest field (auditreport render --format json writes it; the evidence manifest records it):", colMuted)
		d.font("mono", "", 8, colText)
		d.MultiCell(d.width, pdfLine, r.Digest, "", "L", false)
	}
	if len(r.Warnings) > 0 {
		d.subheading("Warnings")
		for _, w := range r.Warnings {
			d.para(w, colWarning)
		}
	}
	d.subheading("Tool")
	tool := strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
	if r.Tool.Commit != "" {
		tool += " (" + r.Tool.Commit + ")"
	}
	d.para(tool, colText)
	if len(r.Tool.Command) > 0 {
		d.font("mono", "", 8, colText)
		d.MultiCell(d.width, pdfLine, strings.Join(r.Tool.Command, " "), "", "L", false)
	}
}

// col is a table column: header, share of the width, alignment.
type col struct {
	head  string
	share float64
	align string
}

// maxCellLines bounds one cell, so that no row is taller than a page.
const maxCellLines = 40

// table draws rows with wrapped cells, repeating the header after each page break. colors,
// when given, colours each row's text.
func (d *pdfDoc) table(cols []col, rows [][]string, colors []rgb) {
	const pad, lh = 1.2, 3.8
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = c.share * d.width
	}
	_, pageH := d.GetPageSize()
	bottom := pageH - pdfMargin - 8
	header := func() {
		d.font("sans", "B", 8, colText)
		d.SetFillColor(colHead.r, colHead.g, colHead.b)
		d.SetDrawColor(colLine.r, colLine.g, colLine.b)
		x := pdfMargin
		y := d.GetY()
		for i, c := range cols {
			d.Rect(x, y, widths[i], lh+2*pad, "FD")
			d.SetXY(x+pad, y+pad)
			d.CellFormat(widths[i]-2*pad, lh, c.head, "", 0, c.align, false, 0, "")
			x += widths[i]
		}
		d.SetXY(pdfMargin, y+lh+2*pad)
	}
	// Measure every row first, so that the heading, the header and the first row go to the
	// next page together rather than leave a heading alone at the bottom of this one.
	d.font("sans", "", 8, colText)
	cells := make([][][]string, len(rows))
	heights := make([]float64, len(rows))
	for ri, row := range rows {
		lines := make([][]string, len(cols))
		n := 1
		for i := range cols {
			var ls []string
			for _, part := range strings.Split(row[i], "\n") {
				ls = append(ls, d.SplitText(part, widths[i]-2*pad+2*d.GetCellMargin())...)
				if part == "" {
					ls = append(ls, "")
				}
			}
			if len(ls) > maxCellLines {
				ls = append(ls[:maxCellLines-1], fmt.Sprintf("… %d more line(s)", len(ls)-maxCellLines+1))
			}
			lines[i] = ls
			if len(ls) > n {
				n = len(ls)
			}
		}
		cells[ri], heights[ri] = lines, float64(n)*lh+2*pad
	}
	need := lh + 2*pad
	if len(rows) > 0 {
		need += heights[0]
	}
	d.keep(need, bottom)
	header()
	for ri := range rows {
		lines, h := cells[ri], heights[ri]
		d.font("sans", "", 8, colText)
		if d.GetY()+h > bottom {
			d.AddPage()
			header()
			d.font("sans", "", 8, colText)
		}
		c := colText
		if colors != nil && ri < len(colors) {
			c = colors[ri]
		}
		x, y := pdfMargin, d.GetY()
		d.SetDrawColor(colLine.r, colLine.g, colLine.b)
		for i, col := range cols {
			d.Rect(x, y, widths[i], h, "D")
			d.SetTextColor(c.r, c.g, c.b)
			for li, l := range lines[i] {
				d.SetXY(x+pad, y+pad+float64(li)*lh)
				d.CellFormat(widths[i]-2*pad, lh, l, "", 0, col.align, false, 0, "")
			}
			x += widths[i]
		}
		d.SetXY(pdfMargin, y+h)
	}
	d.Ln(2)
}
