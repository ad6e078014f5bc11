package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
)

// run executes the command line as a user would and returns stdout, stderr and the exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	streams, in, out, errOut := Test()
	in.WriteString(stdin)
	cmd := NewRootCommand(streams, BuildInfo{Version: "test", Commit: "c", Date: "d"})
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("auditreport: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func decode(t *testing.T, s string) report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, s)
	}
	return r
}

func TestReportJSON(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1793491200")
	out, errOut, code := run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--format", "json", "--cluster", "prod-eu")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decode(t, out)
	if r.APIVersion != "auditreport/v2" || r.Kind != "ComplianceReport" || r.Cluster != "prod-eu" || len(r.Inputs) != 3 {
		t.Errorf("header wrong: %s %s %q, %d inputs", r.APIVersion, r.Kind, r.Cluster, len(r.Inputs))
	}
	if got := r.GeneratedAt.Format(time.RFC3339); got != "2026-11-01T00:00:00Z" {
		t.Errorf("generatedAt %s does not honour SOURCE_DATE_EPOCH", got)
	}
	var events int64
	for _, in := range r.Inputs {
		events += in.Events
		if in.Events != in.Lines || in.Malformed != 0 || len(in.SHA256) != 64 || in.FirstEvent == nil {
			t.Errorf("%s: %d events of %d lines, %d malformed, sha %q", in.Source, in.Events, in.Lines, in.Malformed, in.SHA256)
		}
	}
	if r.Summary.Events != events || r.Summary.ScopedWrites == 0 || r.Summary.InPeriod != r.Summary.ScopedWrites {
		t.Errorf("summary %+v does not add up to %d events", r.Summary, events)
	}
	if !strings.Contains(errOut, "auditreport: read") || strings.Contains(errOut, "\x1b") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr should be one plain summary line when not a terminal, got %q", errOut)
	}
}

func TestSinceMakesBaseline(t *testing.T) {
	out, errOut, code := run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--format", "json",
		"--since", "2026-11-01T12:00:00Z", "--until", "2026-11-02")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s := decode(t, out).Summary
	if s.Baseline == 0 || s.InPeriod == 0 || s.After == 0 || s.Baseline+s.InPeriod+s.After != s.ScopedWrites {
		t.Errorf("period split wrong: %+v", s)
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(data), "--from", "-", "--format", "json", "-q")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	r := decode(t, out)
	if r.Inputs[0].Source != "stdin" || r.Inputs[0].Events != int64(strings.Count(string(data), "\n")) {
		t.Errorf("stdin read as %+v", r.Inputs[0])
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no input", []string{}, ExitUsage, "no input"},
		{"unknown flag", []string{"--from", "x", "--colour"}, ExitUsage, "unknown flag"},
		{"unknown format", []string{"--from", "../testdata/logs/rotated", "--format", "docx"}, ExitUsage, "unknown format \"docx\""},
		{"bad since", []string{"--from", "../testdata/logs/rotated", "--since", "last tuesday"}, ExitUsage, "--since"},
		{"since after until", []string{"--from", "../testdata/logs/rotated", "--since", "2026-11-02", "--until", "2026-11-01"}, ExitUsage, "must be before"},
		{"missing file", []string{"--from", "../testdata/logs/nope.log"}, ExitInput, "nope.log: no such file"},
		{"empty glob", []string{"--from", "../testdata/logs/*.nothing"}, ExitInput, "no file matches"},
		{"strict on broken input", []string{"--from", "../testdata/logs/broken", "--strict"}, ExitInput, "kube-audit.log:7: not-json"},
		{"broken input counted", []string{"--from", "../testdata/logs/broken", "--format", "json"}, ExitOK, "8 unreadable values"},
		{"corrupt gzip reported", []string{"--from", "../testdata/logs/corrupt-gzip", "--format", "json"}, ExitOK, "warning: ../testdata/logs/corrupt-gzip/kube-audit-2026-11-01T06-00-00.000.log.gz: stopped reading"},
		{"corrupt gzip strict", []string{"--from", "../testdata/logs/corrupt-gzip", "--strict"}, ExitInput, "log.gz:"},
		{"unwritable output", []string{"--from", "../testdata/logs/rotated", "-o", "../testdata/logs/README.md/r.json"}, ExitError, "writing ../testdata/logs/README.md/r.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	out, errOut, code := run(t, "", "--from", "../testdata/logs/rotated", "--format", "json", "-o", path)
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, string(b)); len(r.Inputs) != 2 || !r.Inputs[0].Compressed || r.Inputs[0].Events == 0 || r.Inputs[0].Events != r.Inputs[0].Lines {
		t.Errorf("the rotated scenario read as %+v", r.Inputs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !strings.Contains(errOut, "wrote "+path) {
		t.Errorf("temporary files left behind or output not named: %v, %q", entries, errOut)
	}
}

func TestTable(t *testing.T) {
	out, _, code := run(t, "", "--from", "../testdata/logs/broken")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"kube-audit.log", "Unreadable", "line 7: not-json", "line 47: truncated-line", "1 cloudwatch-truncated"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestParseTimeFlag(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"2026-11-01T12:00:00Z":      "2026-11-01T12:00:00Z",
		"2026-11-01T12:00:00+01:00": "2026-11-01T11:00:00Z",
		"2026-11-01":                "2026-11-01T00:00:00Z",
		"24h":                       "2026-11-28T10:00:00Z",
		"7d":                        "2026-11-22T10:00:00Z",
		"2w":                        "2026-11-15T10:00:00Z",
		"90m":                       "2026-11-29T08:30:00Z",
	} {
		got, err := parseTimeFlag(in, now, time.UTC)
		if err != nil || got.Format(time.RFC3339) != want {
			t.Errorf("parseTimeFlag(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5h", "2026-13-01"} {
		if _, err := parseTimeFlag(bad, now, time.UTC); err == nil {
			t.Errorf("parseTimeFlag(%q) accepted", bad)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "auditreport test (commit c, built d") {
		t.Errorf("version printed %q", out)
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	streams, _, _, errOut := Test()
	streams.StderrTTY = true
	cmd := NewRootCommand(streams, BuildInfo{})
	cmd.SetArgs([]string{"--from", "../testdata/logs/ha-3-nodes", "--format", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	// The redraw is cleared before the summary line, so a terminal is left tidy.
	if !strings.Contains(errOut.String(), "\r\x1b[K") || !strings.Contains(errOut.String(), "verdict pass (0 gaps in the trail); posture: ") {
		t.Errorf("stderr on a terminal: %q", errOut.String())
	}
	streams.StderrTTY = true
	errOut.Reset()
	cmd = NewRootCommand(streams, BuildInfo{})
	cmd.SetArgs([]string{"--from", "../testdata/logs/ha-3-nodes", "--format", "json", "--quiet"})
	if err := cmd.Execute(); err != nil || errOut.Len() != 0 {
		t.Errorf("--quiet wrote %q (err %v)", errOut.String(), err)
	}
}

// History flags through the command line: secrets are redacted unless --show-secrets, noise
// is left out unless --diff-noise, and --snapshot is read (and its absence is an input error).
func TestHistoryFlags(t *testing.T) {
	logs := "../testdata/logs/ha-3-nodes"
	out, _, code := run(t, "", "--from", logs, "--format", "json")
	if code != 0 || !strings.Contains(out, `"<redacted>"`) || strings.Contains(out, "s3cr3t-") {
		t.Errorf("default: exit %d; env values must be redacted", code)
	}
	if strings.Contains(out, `"path": "metadata.resourceVersion"`) {
		t.Errorf("default: resourceVersion is noise")
	}
	out, _, _ = run(t, "", "--from", logs, "--format", "json", "--show-secrets", "--diff-noise")
	if !strings.Contains(out, "s3cr3t-") || !strings.Contains(out, `"path": "metadata.resourceVersion"`) {
		t.Errorf("--show-secrets --diff-noise: values or noise missing")
	}
	_, errOut, code := run(t, "", "--from", logs, "--snapshot", "../testdata/snapshots/missing.json")
	if code != ExitInput || !strings.Contains(errOut, "missing.json") {
		t.Errorf("missing snapshot: exit %d, %s", code, errOut)
	}
	out, errOut, code = run(t, "", "--from", logs, "--format", "json", "--snapshot", "../testdata/snapshots/shop.json")
	if code != 0 || len(decode(t, out).Snapshots) != 1 {
		t.Errorf("snapshot: exit %d, %s", code, errOut)
	}
}

// Several formats in one run, a saved report rendered again, and what never goes to a terminal.
func TestOutputs(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1793491200")
	dir := t.TempDir()
	base := filepath.Join(dir, "report")
	_, errOut, code := run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--format", "pdf,json,csv,html,markdown,table", "-o", base+".pdf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, ext := range []string{"pdf", "json", "csv", "html", "md", "txt"} {
		if fi, err := os.Stat(base + "." + ext); err != nil || fi.Size() == 0 {
			t.Errorf("%s.%s not written: %v", base, ext, err)
		}
	}
	if !strings.Contains(errOut, "wrote "+base+".pdf, "+base+".json") {
		t.Errorf("the summary does not name the files: %s", errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 6 {
		t.Errorf("%d files in the output folder, want 6 (no temporary files left)", len(entries))
	}
	pdf, _ := os.ReadFile(base + ".pdf")
	out, errOut, code := run(t, "", "render", base+".json", "--format", "pdf")
	if code != 0 || out != string(pdf) {
		t.Errorf("render of the saved JSON: exit %d, %s; same PDF: %v", code, errOut, out == string(pdf))
	}
	if _, errOut, code := run(t, "", "render", "../testdata/logs/broken/kube-audit.log"); code != ExitInput || !strings.Contains(errOut, "not a JSON report") {
		t.Errorf("render of a log: exit %d, %s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--format", "pdf,json"}, "several formats need -o"},
		{[]string{"--format", "json,json", "-o", base}, "json given twice"},
		{[]string{"--format", "docx"}, `unknown format "docx"`},
		{[]string{"--format", "csv", "--csv-table", "people"}, `--csv-table "people": want one of changes,`},
		{[]string{"--max-rows", "0"}, "--max-rows"},
		{[]string{"--template", filepath.Join(dir, "nope.tmpl")}, "nope.tmpl"},
	} {
		args := append([]string{"--from", "../testdata/logs/ha-3-nodes"}, tc.args...)
		if _, errOut, code := run(t, "", args...); code == 0 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
		}
	}
}

// A PDF is never spilled onto a terminal: without -o it goes to a file in the current folder
// named from the report, which never replaces a different file. stderr says which, as it
// says everything but the data; -q, "nothing on stderr but errors", silences it too.
func TestPDFNeverToATerminal(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1793491200")
	logs := mustAbs(t, "../testdata/logs/ha-3-nodes")
	t.Chdir(t.TempDir())
	pdfOnTerminal := func(quiet bool) (string, string) {
		t.Helper()
		streams, _, out, errOut := Test()
		streams.StdoutTTY, streams.StderrTTY = true, true
		cmd := NewRootCommand(streams, BuildInfo{Version: "test"})
		args := []string{"--from", logs, "--format", "pdf"}
		if quiet {
			args = append(args, "-q")
		}
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String()
	}
	const name = "ha-3-nodes-2026-11-01_2026-11-02.pdf"
	out, errOut := pdfOnTerminal(true)
	if out != "" || errOut != "" {
		t.Errorf("-q: stdout %q, stderr %q; want nothing on either", out, errOut)
	}
	if b, err := os.ReadFile(name); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("%s: %v", name, err)
	}
	// The same report again: the same file, rewritten with the same bytes.
	out, errOut = pdfOnTerminal(false)
	if out != "" || !strings.Contains(errOut, "auditreport: PDF report written to "+name+" (-o names the file)\n") {
		t.Errorf("second run: stdout %q, stderr %q", out, errOut)
	}
	// Another file of that name is kept.
	os.WriteFile(name, []byte("someone else's"), 0o644)
	if _, errOut := pdfOnTerminal(false); !strings.Contains(errOut, "ha-3-nodes-2026-11-01_2026-11-02-2.pdf") {
		t.Errorf("with a different file in the way: %q", errOut)
	}
	if b, _ := os.ReadFile(name); string(b) != "someone else's" {
		t.Error("a different file was overwritten")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// --log-format json: every stderr line is a JSON object with time, level and msg.
func TestLogFormatJSON(t *testing.T) {
	for _, args := range [][]string{
		{"--from", "../testdata/logs/corrupt-gzip", "--format", "json", "--log-format", "json"},
		{"--from", "../testdata/logs/gaps/never-audited", "--exit-code", "5", "--log-format", "json"},
	} {
		streams, _, _, errOut := Test()
		cmd := NewRootCommand(streams, BuildInfo{Version: "test"})
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			PrintError(streams, err)
		}
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if len(lines) < 2 {
			t.Errorf("%v: %d lines: %s", args, len(lines), errOut)
		}
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m["level"] == nil || m["msg"] == nil || m["time"] == nil {
				t.Errorf("%v: not a JSON log line: %s", args, l)
			}
		}
	}
}

// --help names every kind of gap the report can have.
func TestHelpListsEveryGap(t *testing.T) {
	var src []byte
	for _, f := range []string{"../report/coverage/coverage.go", "../report/posturefeed.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	out, _, _ := run(t, "", "--help")
	help := strings.Join(strings.Fields(out), " ")
	gaps := regexp.MustCompile(`\bGap\w+\s*=\s*"([a-z-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(gaps) < 12 {
		t.Fatalf("found %d gap types in report/coverage/coverage.go and report/posturefeed.go", len(gaps))
	}
	for _, g := range gaps {
		if !strings.Contains(help, g[1]) {
			t.Errorf("--help does not name the %s gap", g[1])
		}
	}
}
