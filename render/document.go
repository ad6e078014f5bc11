package render

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
	"github.com/auditreport/auditreport/templates"
)

// funcs are the functions the report templates (and users' --template files) can call.
func funcs() map[string]any {
	return map[string]any{
		"time":   Time,
		"timep":  func(t *time.Time) string { return when2(t) },
		"period": PeriodText,
		"upper":  strings.ToUpper,
		"kind":   KindLabel,
		"join":   strings.Join,
		"bytes":  units.Bytes,
		"md":     mdCell,
		"who":    UserText,
		// protected says a protection verdict as the PDF and the table do: protected, NOT
		// protected, unknown.
		"protected": func(t posture.Tri) string { return triText(t, "protected") },
		"mdcode":    mdCode,
		"first": func(n int, v any) any {
			switch x := v.(type) {
			case []history.ActorSummary:
				if len(x) > n {
					return x[:n]
				}
			case []coverage.Gap:
				if len(x) > n {
					return x[:n]
				}
			}
			return v
		},
		"verbs": func() []string { return coverageVerbs },
		"level": func(c coverage.Coverage, verb string) string {
			if l := c.Levels[verb]; l != "" {
				return l
			}
			return ""
		},
		"count":        func(c coverage.Coverage, verb string) int64 { return c.Verbs[verb] },
		"chart":        chartSVG,
		"postureChart": postureSVG,
		"pct":          func(a, b int64) string { return pct(a, b) },
	}
}

// coverageVerbs are the columns of the coverage matrix.
var coverageVerbs = []string{"create", "update", "patch", "delete"}

func pct(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", a*100/b)
}

func when2(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return Time(*t)
}

// mdCell makes text safe in a Markdown table cell: pipes escaped, newlines as <br>, and
// HTML that a Markdown renderer would pass through made inert.
func mdCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "<", "&lt;", ">", "&gt;", "&", "&amp;")
	return r.Replace(s)
}

// mdCode makes text safe inside a code span in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

// Markdown writes the report for pasting into a ticket, from templates/report.md.tmpl.
type Markdown struct {
	MaxRows int
	Views   *Views
}

var _ Renderer = (*Markdown)(nil)

// Render writes r.
func (m *Markdown) Render(w io.Writer, r *report.Report) error {
	t, err := template.New("report.md.tmpl").Funcs(funcs()).ParseFS(templates.FS, "report.md.tmpl", "posture.md.tmpl")
	if err != nil {
		return err
	}
	return t.Execute(w, m.Views.View(r, m.MaxRows))
}

// HTML writes one self-contained page (inline CSS, an inline SVG chart, no scripts and
// nothing fetched from the network), from templates/report.html.tmpl.
type HTML struct {
	MaxRows int
	Views   *Views
}

var _ Renderer = (*HTML)(nil)

// Render writes r.
func (h *HTML) Render(w io.Writer, r *report.Report) error {
	t, err := htmltemplate.New("report.html.tmpl").Funcs(funcs()).ParseFS(templates.FS, "report.html.tmpl", "posture.html.tmpl")
	if err != nil {
		return err
	}
	return t.Execute(w, h.Views.View(r, h.MaxRows))
}

// Template renders a user's text/template over the View (the report model and its sections).
type Template struct {
	Path    string
	MaxRows int
	// Views, when set, shares the report's view with the other renderers of the run.
	Views *Views
	tmpl  *template.Template
}

// NewTemplate parses a user's template file, so that a mistake in it is found before the
// logs are read.
func NewTemplate(path string, maxRows int) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	t, err := template.New(path).Funcs(funcs()).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	return &Template{Path: path, MaxRows: maxRows, tmpl: t}, nil
}

// Render writes r through the template.
func (t *Template) Render(w io.Writer, r *report.Report) error {
	var buf bytes.Buffer
	if err := t.tmpl.Execute(&buf, t.Views.View(r, t.MaxRows)); err != nil {
		return fmt.Errorf("--template %s: %w", t.Path, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// chartSVG draws the changes over the period as stacked bars, one colour per kind.
func chartSVG(c Chart) htmltemplate.HTML {
	if len(c.Buckets) == 0 || c.Max == 0 {
		return ""
	}
	const width, height, left, bottom, top = 720.0, 220.0, 40.0, 30.0, 10.0
	var b strings.Builder
	plotW, plotH := width-left-10, height-bottom-top
	bw := plotW / float64(len(c.Buckets))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="configuration changes over the period by kind">`, width, height+20*float64((len(c.Kinds)+3)/4))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555"/>`, left, top+plotH, left+plotW, top+plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%d</text>`, left-4, top+8, c.Max)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">0</text>`, left-4, top+plotH)
	for _, sg := range c.Segments() {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
			left+float64(sg.Bucket)*bw+0.5, top+plotH*(1-sg.To), max(bw-1, 0.5), plotH*(sg.To-sg.From), palette[sg.Kind%len(palette)],
			htmlEscape(Time(c.Buckets[sg.Bucket].Start)), htmlEscape(c.Kinds[sg.Kind]), sg.Count)
	}
	for j, l := range c.Labels() {
		x, anchor := left+(float64(l.Bucket)+0.5)*bw, "middle"
		switch j {
		case 0:
			x, anchor = left, "start"
		case 2:
			x, anchor = left+plotW, "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="%s">%s</text>`, x, top+plotH+14, anchor, l.Text)
	}
	for k, name := range c.Kinds {
		x := left + float64(k%4)*170
		y := height + 20*float64(k/4)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" font-size="11">%s</text>`,
			x, y-9, palette[k%len(palette)], x+14, y, htmlEscape(name))
	}
	b.WriteString(`</svg>`)
	return htmltemplate.HTML(b.String())
}

func htmlEscape(s string) string { return htmltemplate.HTMLEscapeString(s) }

// palette colours kinds in charts (colour-blind friendly, after Okabe and Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}
