package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/pflag"

	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report"
)

// outputOptions are the flags that say how a report is written, shared by the report and
// render commands.
type outputOptions struct {
	Format   string
	Output   string
	MaxRows  int
	CSVTable string
	Template string
	PDFFont  string
}

func (o *outputOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Format, "format", string(render.FormatTable), "output formats, comma-separated: "+render.FormatList())
	fs.StringVarP(&o.Output, "output", "o", "", "write to this file (written atomically); with several formats, the path without extension: -o out/report writes out/report.pdf, out/report.json, ...")
	fs.IntVar(&o.MaxRows, "max-rows", render.DefaultMaxRows, "most rows of each detail section in pdf, html and markdown (json and csv have every row)")
	fs.StringVar(&o.CSVTable, "csv-table", render.CSVChanges, "the table csv writes: "+strings.Join(render.CSVTables, ", "))
	fs.StringVar(&o.Template, "template", "", "render this text/template file over the report model instead of a built-in format (docs/templates.md)")
	fs.StringVar(&o.PDFFont, "pdf-font", "", "a TrueType font (.ttf) for the PDF instead of DejaVu Sans, for scripts DejaVu lacks (CJK: Droid Sans Fallback)")
}

// target is one output to write: a renderer and where.
type target struct {
	format   render.Format
	renderer render.Renderer
	path     string // "" is stdout
}

// plan checks the output flags before any log is read, and says what will be written where.
func (o *outputOptions) plan(streams *IOStreams, formatSet bool) ([]target, error) {
	if o.MaxRows <= 0 {
		return nil, &UsageError{Err: fmt.Errorf("--max-rows %d: want a positive number", o.MaxRows)}
	}
	var formats []render.Format
	if o.Template == "" || formatSet {
		for _, f := range strings.Split(o.Format, ",") {
			f = strings.TrimSpace(strings.ToLower(f))
			if f == "" {
				continue
			}
			for _, seen := range formats {
				if string(seen) == f {
					return nil, &UsageError{Err: fmt.Errorf("--format %s: %s given twice", o.Format, f)}
				}
			}
			formats = append(formats, render.Format(f))
		}
	}
	var font []byte
	if o.PDFFont != "" {
		b, err := os.ReadFile(o.PDFFont)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--pdf-font: %w", err)}
		}
		if err := render.CheckFont(b); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--pdf-font %s: %w", o.PDFFont, err)}
		}
		font = b
	}
	var targets []target
	toTerminal := o.Output == "" && streams.StdoutTTY
	for _, f := range formats {
		r, err := render.New(f, render.Options{Color: toTerminal, MaxRows: o.MaxRows, CSVTable: o.CSVTable, PDFFont: font})
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--format: %w", err)}
		}
		targets = append(targets, target{format: f, renderer: r})
	}
	if o.Template != "" {
		t, err := render.NewTemplate(o.Template, o.MaxRows)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return nil, err
			}
			return nil, &UsageError{Err: err}
		}
		targets = append(targets, target{format: render.Format(templateExt(o.Template)), renderer: t})
	}
	if len(targets) == 0 {
		return nil, &UsageError{Err: errors.New("--format: no format given")}
	}
	switch {
	case len(targets) == 1:
		targets[0].path = o.Output
	case o.Output == "":
		return nil, &UsageError{Err: errors.New("several formats need -o with the path to write them to, without extension (-o out/report)")}
	default:
		base := o.Output
		for _, t := range targets {
			if ext := "." + t.format.Ext(); strings.HasSuffix(base, ext) {
				base = strings.TrimSuffix(base, ext)
				break
			}
		}
		for i := range targets {
			targets[i].path = base + "." + targets[i].format.Ext()
		}
	}
	for _, t := range targets {
		if t.path != "" {
			// Found now, not after minutes of reading.
			dir := filepath.Dir(t.path)
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("writing %s: folder %s does not exist", t.path, dir)
			}
		}
		if t.path == "" && t.format.Binary() && streams.StdoutTTY {
			return nil, &UsageError{Err: fmt.Errorf("a %s is not written to a terminal: give -o report.%s, or redirect stdout", t.format, t.format.Ext())}
		}
	}
	return targets, nil
}

// templateExt names a template's output by the template's file name: report.adoc.tmpl
// writes .adoc; anything else .txt.
func templateExt(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), ".tmpl")
	if ext := filepath.Ext(base); ext != "" && ext != filepath.Base(path) {
		return strings.TrimPrefix(ext, ".")
	}
	return "txt"
}

// write renders the report to every target; each file is written atomically.
func write(targets []target, rep *report.Report, streams *IOStreams) ([]string, error) {
	var written []string
	for _, t := range targets {
		if err := writeOutput(t.path, streams, func(w io.Writer) error { return t.renderer.Render(w, rep) }); err != nil {
			return written, err
		}
		if t.path != "" {
			written = append(written, t.path)
		}
	}
	return written, nil
}

// nameData is what an output name template (-o 'reports/{{.Cluster}}-{{.Period.Start}}')
// can use: what is known before the logs are read.
type nameData struct {
	Cluster string
	Period  struct{ Start, End string }
	// Generated is the generation time.
	Generated string
}

// expandOutput fills an output name template. Times are written for file names: a date
// when they fall on midnight in loc (2026-11-01), else 2026-11-01T06-00-00; an open start
// is "begin", an open end "now".
func expandOutput(name string, cluster string, p report.Period, generated time.Time, loc *time.Location) (string, error) {
	if !strings.Contains(name, "{{") {
		return name, nil
	}
	t, err := template.New("-o").Option("missingkey=error").Parse(name)
	if err != nil {
		return "", &UsageError{Err: fmt.Errorf("-o %q: %w", name, err)}
	}
	stamp := func(t *time.Time, open string) string {
		if t == nil {
			return open
		}
		l := t.In(loc)
		if l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 {
			return l.Format("2006-01-02")
		}
		return l.Format("2006-01-02T15-04-05")
	}
	var d nameData
	d.Cluster = strings.NewReplacer("/", "_", "\\", "_", "..", "_").Replace(cluster)
	d.Period.Start = stamp(p.Start, "begin")
	d.Period.End = stamp(p.End, "now")
	d.Generated = stamp(&generated, "")
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", &UsageError{Err: fmt.Errorf("-o %q: %w (use .Cluster, .Period.Start, .Period.End, .Generated)", name, err)}
	}
	return b.String(), nil
}
