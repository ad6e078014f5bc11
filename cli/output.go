package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	fs.StringVarP(&o.Output, "output", "o", "", "write to this file (atomically; folders are made as needed); its extension (.pdf, .json, .html, .md, .csv, .txt) gives the format when --format is not set, and any other needs --format; with several formats, the path without extension: -o out/report writes out/report.pdf, out/report.json, ...")
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
	// auto is set for a file written because stdout is a terminal and -o was not given: its
	// name is made from the report once it is built (autoName).
	auto bool
}

// extFormats gives the format of an output file by its extension, for -o without --format,
// in the order an error lists them.
var extFormats = []struct {
	ext    string
	format render.Format
}{
	{".pdf", render.FormatPDF}, {".json", render.FormatJSON}, {".html", render.FormatHTML}, {".htm", render.FormatHTML},
	{".md", render.FormatMarkdown}, {".markdown", render.FormatMarkdown}, {".csv", render.FormatCSV}, {".txt", render.FormatTable},
}

// formatOfExt is the format an output file's extension gives, if any.
func formatOfExt(path string) (render.Format, bool) {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range extFormats {
		if e.ext == ext {
			return e.format, true
		}
	}
	return "", false
}

// unknownExt refuses an -o whose extension gives no format when nothing else does: the
// table was written into r.yaml without a word. A name without extension, a device or a
// FIFO (-o /dev/null) still gets the default format.
func unknownExt(output string) error {
	ext := filepath.Ext(output)
	if !typeExt(ext) || special(output) {
		return nil
	}
	exts := make([]string, len(extFormats))
	for i, e := range extFormats {
		exts[i] = e.ext
	}
	known := strings.Join(exts[:len(exts)-1], ", ") + " and " + exts[len(exts)-1]
	return &UsageError{Err: fmt.Errorf("-o %s: the extension %s names no format (%s do); give --format to write %s in one of %s",
		output, ext, known, output, render.FormatList())}
}

// typeExt is whether ext looks like a file type's extension (.yaml, .docx): a dot and one to
// eight letters. A date (report.2026-11-01), a version or a template's field
// ({{.Period.Start}}) is part of a name, not a type.
func typeExt(ext string) bool {
	if len(ext) < 2 || len(ext) > 9 {
		return false
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// plan checks the output flags before any log is read, and says what will be written where.
// changed tells which flags the command line gave (cobra's Flags().Changed).
func (o *outputOptions) plan(streams *IOStreams, changed func(flag string) bool) ([]target, error) {
	if o.MaxRows <= 0 {
		return nil, &UsageError{Err: fmt.Errorf("--max-rows %d: want a positive number", o.MaxRows)}
	}
	formatSet := changed("format")
	var formats []render.Format
	extFormat, knownExt := formatOfExt(o.Output)
	switch {
	case formatSet || o.Template != "":
	case knownExt:
		o.Format = string(extFormat)
	default:
		if err := unknownExt(o.Output); err != nil {
			return nil, err
		}
	}
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
	if knownExt && formatSet && o.Template == "" && !slices.Contains(formats, extFormat) {
		return nil, &UsageError{Err: fmt.Errorf("-o %s names a %s file, but --format is %s: give the one or make them agree", o.Output, extFormat, o.Format)}
	}
	if err := o.checkCSVTable(formats, changed("csv-table")); err != nil {
		return nil, err
	}
	var font []byte
	if o.PDFFont != "" {
		b, err := readFlagFile("--pdf-font", o.PDFFont)
		if err != nil {
			return nil, err
		}
		if err := render.CheckFont(b); err != nil {
			return nil, &FileError{Flag: "--pdf-font", Path: o.PDFFont, Err: err}
		}
		font = b
	}
	var targets []target
	toTerminal := o.Output == "" && streams.StdoutTTY
	width := 0
	if toTerminal {
		width = streams.Width
	}
	views := &render.Views{}
	for _, f := range formats {
		r, err := render.New(f, render.Options{Color: toTerminal, Width: width, MaxRows: o.MaxRows, CSVTable: o.CSVTable, PDFFont: font, Views: views})
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--format: %w", err)}
		}
		targets = append(targets, target{format: f, renderer: r})
	}
	if o.Template != "" {
		if err := checkFlagFile("--template", o.Template); err != nil {
			return nil, err
		}
		t, err := render.NewTemplate(o.Template, o.MaxRows)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return nil, &FileError{Flag: "--template", Path: o.Template, Err: err}
		}
		t.Views = views
		targets = append(targets, target{format: render.Format(templateExt(o.Template)), renderer: t})
	}
	if len(targets) == 0 {
		return nil, &UsageError{Err: errors.New("--format: no format given")}
	}
	binary := false
	for _, t := range targets {
		binary = binary || t.format.Binary()
	}
	switch {
	case o.Output == "" && streams.StdoutTTY && (binary || len(targets) > 1):
		// A PDF is not spilled onto a terminal, nor are several formats: they go to files in
		// the current folder, named from the report once it is built.
		for i := range targets {
			targets[i].auto = true
		}
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
			// Made now, so that a folder that cannot be is found before minutes of reading.
			if err := makeFolder(t.path); err != nil {
				return nil, err
			}
		}
	}
	return targets, nil
}

// checkCSVTable refuses a --csv-table that would be ignored, because no CSV is written, or
// that names no table. The table is checked here rather than by render.New, whose error
// would blame --format.
func (o *outputOptions) checkCSVTable(formats []render.Format, set bool) error {
	o.CSVTable = strings.ToLower(o.CSVTable)
	if !slices.Contains(formats, render.FormatCSV) {
		if set {
			return &UsageError{Err: fmt.Errorf("--csv-table %s applies only to CSV output: give --format csv (or -o FILE.csv)", o.CSVTable)}
		}
		return nil
	}
	if !slices.Contains(render.CSVTables, o.CSVTable) {
		return &UsageError{Err: fmt.Errorf("--csv-table %q: want one of %s", o.CSVTable, strings.Join(render.CSVTables, ", "))}
	}
	return nil
}

// makeFolder makes the folder of an output file, as every flag that writes a file does.
func makeFolder(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// nameOutputs gives the outputs written because stdout is a terminal their names: the
// report's name and period (ha-3-nodes-2026-11-01.pdf), in the current folder. A file of
// that name with other content is never replaced: the name takes a number instead
// (ha-3-nodes-2026-11-01-2.pdf).
func nameOutputs(targets []target, rep *report.Report, name string) error {
	base := name
	if p := periodName(rep); p != "" {
		base += "-" + p
	}
	for n := 1; ; n++ {
		stem := base
		if n > 1 {
			stem = fmt.Sprintf("%s-%d", base, n)
		}
		free := true
		for i, t := range targets {
			if !t.auto {
				continue
			}
			path := stem + "." + t.format.Ext()
			old, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				targets[i].path = path
				continue
			}
			if err != nil {
				free = false
				break
			}
			var buf bytes.Buffer
			if err := t.renderer.Render(&buf, rep); err != nil {
				return err
			}
			if !bytes.Equal(old, buf.Bytes()) {
				free = false
				break
			}
			targets[i].path = path
		}
		if free {
			return nil
		}
	}
}

// sayAutoNames tells the user where the outputs the terminal did not get were written. It
// is a message, not the report, so it goes to stderr, and -q silences it.
func sayAutoNames(targets []target, streams *IOStreams, quiet bool) {
	if quiet {
		return
	}
	for _, t := range targets {
		if t.auto {
			streams.Log(slog.LevelInfo, fmt.Sprintf("%s report written to %s (-o names the file)", strings.ToUpper(string(t.format)), t.path), "output", t.path)
		}
	}
}

// periodName is the report's period for a file name: one day (2026-11-01) or the first and
// last (2026-11-01_2026-11-07), from the period asked for, or else from the events read.
func periodName(r *report.Report) string {
	first, last := r.Period.Start, r.Period.End
	if last != nil {
		l := last.Add(-time.Nanosecond)
		last = &l
	}
	for _, in := range r.Inputs {
		if r.Period.Start == nil && in.FirstEvent != nil && (first == nil || in.FirstEvent.Before(*first)) {
			first = in.FirstEvent
		}
		if r.Period.End == nil && in.LastEvent != nil && (last == nil || in.LastEvent.After(*last)) {
			last = in.LastEvent
		}
	}
	switch {
	case first == nil && last == nil:
		return ""
	case first == nil:
		return last.UTC().Format("2006-01-02")
	case last == nil || first.UTC().Format("2006-01-02") == last.UTC().Format("2006-01-02"):
		return first.UTC().Format("2006-01-02")
	}
	return first.UTC().Format("2006-01-02") + "_" + last.UTC().Format("2006-01-02")
}

// reportName names a report in file names: the cluster, else the first input (its folder or
// file name without extensions), else "report".
func reportName(cluster string, from []string) string {
	name := cluster
	if name == "" && len(from) > 0 {
		switch f := from[0]; {
		case f == "-":
			name = "stdin"
		default:
			f = filepath.Base(filepath.Clean(f))
			for _, ext := range []string{".gz", ".log", ".jsonl", ".json", ".yaml", ".yml"} {
				f = strings.TrimSuffix(f, ext)
			}
			name = f
		}
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\*?[]:<>|"' `, r) || r < ' ' {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(strings.ReplaceAll(name, "..", "_"), "._-")
	if name == "" {
		return "report"
	}
	return name
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

// write renders the report to every target: to stdout at once, and each file to a
// temporary in set, which the caller commits with the evidence manifest. The formats are
// rendered at the same time, as many as there are CPUs; a stopped run starts no more.
func write(ctx context.Context, set *outputSet, targets []target, rep *report.Report, streams *IOStreams) ([]string, error) {
	err := set.addAll(ctx, targets, streams, func(t target, w io.Writer) error { return t.renderer.Render(w, rep) })
	if err != nil {
		return nil, err
	}
	return paths(targets), nil
}

// writeReport gives the report its digest (the SHA-256 of its JSON without the digest) and
// writes it to every target. A JSON file among them is rendered once: the digest is taken
// from its bytes as they are written, with the CSV tables beside it, which do not show the
// digest; the formats that show it follow. Outputs named after what is on disk are compared
// with the finished report, so they wait for the digest.
func writeReport(ctx context.Context, set *outputSet, targets []target, rep *report.Report, name string, streams *IOStreams) ([]string, error) {
	stdout := placed(streams.Out)
	j := slices.IndexFunc(targets, func(t target) bool {
		_, ok := t.renderer.(*render.JSON)
		// A FIFO, a pipe or a device cannot be written at an offset.
		return ok && (t.path != "" && !special(t.path) || t.path == "" && stdout != nil)
	})
	if j < 0 || slices.ContainsFunc(targets, func(t target) bool { return t.auto }) {
		d, err := reportDigest(rep)
		if err != nil {
			return nil, err
		}
		rep.Digest = d
		if err := nameOutputs(targets, rep, name); err != nil {
			return nil, err
		}
		return write(ctx, set, targets, rep, streams)
	}
	first := []target{targets[j]}
	var then []target
	for i, t := range targets {
		switch {
		case i == j:
		case showsDigest(t):
			then = append(then, t)
		default:
			first = append(first, t)
		}
	}
	var digest string
	err := set.addAll(ctx, first, streams, func(t target, w io.Writer) error {
		if _, ok := t.renderer.(*render.JSON); !ok {
			return t.renderer.Render(w, rep)
		}
		var err error
		if t.path == "" {
			w = stdout
		}
		digest, err = render.JSON{}.RenderDigest(w.(render.WriterAt), rep)
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.Digest = digest
	if _, err := write(ctx, set, then, rep, streams); err != nil {
		return nil, err
	}
	return paths(targets), nil
}

// atOffset is stdout, a regular file, written from where it stood when the run began:
// the JSON's digest is put in place as in a file of its own.
type atOffset struct {
	*os.File
	base int64
}

func (a *atOffset) WriteAt(p []byte, off int64) (int, error) { return a.File.WriteAt(p, a.base+off) }

// placed returns stdout as a file the JSON can be written into, its digest put in place
// afterwards, as it is in a file named with -o: a regular file, not opened for appending
// (where every write goes to the end), from where it stands. Redirected so (> report.json),
// the report is encoded once, where any other stdout has it encoded twice: once for the
// digest, which comes before the histories, and once to be written. nil for any other.
func placed(out io.Writer) *atOffset {
	f, ok := out.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || appending(f) {
		return nil
	}
	base, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil
	}
	return &atOffset{File: f, base: base}
}

// showsDigest reports whether a target's output shows the report's digest: the CSV tables
// do not (TestCSVShowsNoDigest).
func showsDigest(t target) bool {
	_, csv := t.renderer.(*render.CSV)
	return !csv
}

// paths lists the files of targets, in order.
func paths(targets []target) []string {
	var out []string
	for _, t := range targets {
		if t.path != "" {
			out = append(out, t.path)
		}
	}
	return out
}

// outputSet is the files of one run. Each is written to a temporary beside its place and
// synced to disk; commit renames them all into place only once every one was written, so a
// run that fails (a full disk) or is stopped leaves the previous set whole, and its evidence
// manifest verifiable.
type outputSet struct {
	files []stagedFile
}

// stagedFile is an output's temporary, or, for a device or a FIFO, the output itself (tmp
// empty): those are written in place, never renamed over.
type stagedFile struct{ tmp, path string }

// special reports whether path names something other than a file or a folder: a device
// (-o /dev/null, /dev/stdout), a FIFO or a socket. Renaming a temporary over it would
// replace it with a file (as root, /dev/null itself); it is written in place instead, and
// is not among the outputs the evidence manifest can check again.
func special(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.Mode().IsRegular() && !fi.IsDir()
}

// add writes one output: to stdout when path is "", else to a temporary for path.
func (s *outputSet) add(path string, streams *IOStreams, write func(io.Writer) error) error {
	if path == "" {
		return write(streams.Out)
	}
	tmp, err := s.stage(path)
	if err != nil {
		return err
	}
	wb := &writingBack{File: tmp}
	return finish(tmp, path, wb.done(write(wb)))
}

// addAll writes the outputs of targets as add does, at the same time, at most as many as
// there are CPUs. Each output's temporary is made first, in order; the error returned is
// that of the first target to fail.
func (s *outputSet) addAll(ctx context.Context, targets []target, streams *IOStreams, write func(target, io.Writer) error) error {
	files := make([]*os.File, len(targets))
	for i, t := range targets {
		if t.path == "" {
			continue
		}
		f, err := s.stage(t.path)
		if err != nil {
			closeAll(files)
			return err
		}
		files[i] = f
	}
	errs := make([]error, len(targets))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, t := range targets {
		slots <- struct{}{}
		if errs[i] = ctx.Err(); errs[i] != nil {
			break
		}
		f := files[i]
		files[i] = nil
		wg.Go(func() {
			defer func() { <-slots }()
			if f == nil {
				errs[i] = write(t, streams.Out)
				return
			}
			wb := &writingBack{File: f}
			errs[i] = finish(f, t.path, wb.done(write(t, wb)))
		})
	}
	wg.Wait()
	closeAll(files) // those a stopped run did not start
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// stage makes the temporary for path, or opens path itself when it is special.
func (s *outputSet) stage(path string) (*os.File, error) {
	if special(path) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		s.files = append(s.files, stagedFile{path: path})
		return f, nil
	}
	tmp, err := temporaries.create(path)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	s.files = append(s.files, stagedFile{tmp: tmp.Name(), path: path})
	return tmp, nil
}

// finish makes a temporary written without err readable, syncs it to disk and closes it.
func finish(tmp *os.File, path string, err error) error {
	if fi, serr := tmp.Stat(); err == nil && serr == nil && fi.Mode().IsRegular() {
		// Not a device or a FIFO written in place: those keep their mode, and have
		// nothing to sync.
		err = tmp.Chmod(0o644)
		if err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// staged returns the file that holds path's content until the set is committed.
func (s *outputSet) staged(path string) string {
	for _, f := range s.files {
		if f.path == path && f.tmp != "" {
			return f.tmp
		}
	}
	return path
}

// commit renames every temporary into place and syncs their folders.
func (s *outputSet) commit() error {
	temporaries.Lock()
	defer temporaries.Unlock()
	if temporaries.closed {
		return errStopped
	}
	dirs := map[string]bool{}
	for i, f := range s.files {
		if f.tmp == "" {
			continue // written in place
		}
		if err := os.Rename(f.tmp, f.path); err != nil {
			s.files = s.files[i:]
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
		delete(temporaries.files, f.tmp)
		dirs[filepath.Dir(f.path)] = true
	}
	s.files = nil
	for d := range dirs {
		if df, err := os.Open(d); err == nil {
			df.Sync()
			df.Close()
		}
	}
	return nil
}

// abort removes the temporaries not committed.
func (s *outputSet) abort() {
	temporaries.Lock()
	defer temporaries.Unlock()
	for _, f := range s.files {
		if f.tmp == "" {
			continue
		}
		os.Remove(f.tmp)
		delete(temporaries.files, f.tmp)
	}
	s.files = nil
}

// writeOutput writes one file on its own, atomically (or to stdout when path is "").
func writeOutput(path string, streams *IOStreams, write func(io.Writer) error) error {
	var set outputSet
	defer set.abort()
	if err := set.add(path, streams, write); err != nil {
		return err
	}
	return set.commit()
}

// tempRegistry holds the output files being written, for RemoveTemporaries.
type tempRegistry struct {
	sync.Mutex
	files  map[string]bool
	closed bool
}

var temporaries = &tempRegistry{files: map[string]bool{}}

var errStopped = errors.New("stopped")

// create makes a temporary beside path.
func (t *tempRegistry) create(path string) (*os.File, error) {
	t.Lock()
	defer t.Unlock()
	if t.closed {
		return nil, errStopped
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	t.files[f.Name()] = true
	return f, nil
}

// RemoveTemporaries removes every output file still being written and stops any more from
// being written or committed: for a process about to exit on a signal. A commit under way
// finishes first, so the outputs are either all renamed into place or none.
func RemoveTemporaries() {
	temporaries.Lock()
	defer temporaries.Unlock()
	temporaries.closed = true
	for f := range temporaries.files {
		os.Remove(f)
	}
	temporaries.files = map[string]bool{}
}

// nameData is what an output name template (-o 'reports/{{.Cluster}}-{{.Period.Start}}')
// can use: what is known before the logs are read.
type nameData struct {
	Cluster string
	Period  struct{ Start, End string }
	// Generated is the generation time.
	Generated string
}

// expandOutput fills an output name template. The cluster is reportName's (the first input
// without --cluster). Times are written for file names: a date when they fall on midnight in
// loc (2026-11-01), else 2026-11-01T06-00-00; an open start is "begin", an open end "now".
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
	d.Cluster = cluster
	d.Period.Start = stamp(p.Start, "begin")
	d.Period.End = stamp(p.End, "now")
	d.Generated = stamp(&generated, "")
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", &UsageError{Err: fmt.Errorf("-o %q: %w (use .Cluster, .Period.Start, .Period.End, .Generated)", name, err)}
	}
	return b.String(), nil
}
