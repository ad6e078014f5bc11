package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/render"
)

// The CSV tables are written while the JSON's digest is still being computed: they must not
// show it.
func TestCSVShowsNoDigest(t *testing.T) {
	for _, model := range []string{"ha-3-nodes", "posture"} {
		r, err := readReport("../testdata/reports/"+model+".json", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range render.CSVTables {
			var without, with bytes.Buffer
			c := *r
			c.Digest = ""
			if err := (&render.CSV{Table: table}).Render(&without, &c); err != nil {
				t.Fatal(err)
			}
			c.Digest = "sha256:" + strings.Repeat("ab", 32)
			(&render.CSV{Table: table}).Render(&with, &c)
			if with.String() != without.String() {
				t.Errorf("%s: the %s table shows the digest; writeReport must write it after the JSON", model, table)
			}
		}
	}
}

var digestLine = regexp.MustCompile(`,\n  "digest": "(sha256:[0-9a-f]{64})"`)

// All formats written at once, at the same time, are byte for byte what each format
// written alone is, whatever the number of CPUs; the JSON's digest is that of its own bytes
// without the digest field, and the other formats show the same digest.
func TestAllFormatsAtOnce(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1793491200")
	dir := t.TempDir()
	from := "../testdata/logs/ha-3-nodes"
	formats := []string{"pdf", "html", "markdown", "csv", "json"}
	common := []string{"--from", from, "--cluster", "prod", "-q", "-o"}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(dir, "all", string(rune('0'+procs)), "r")
		if _, errOut, code := run(t, "", append(common, out, "--format", strings.Join(formats, ","))...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	// Each alone, and JSON to stdout (the digest from a pass of its own).
	stdout, errOut, code := run(t, "", append(common[:len(common)-1], "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range formats {
		ext := render.Format(f).Ext()
		alone := filepath.Join(dir, "alone", "r."+ext)
		if _, errOut, code := run(t, "", append(common, alone, "--format", f)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		want, _ := os.ReadFile(alone)
		for _, procs := range []string{"1", "4"} {
			got, _ := os.ReadFile(filepath.Join(dir, "all", procs, "r."+ext))
			if !bytes.Equal(got, want) {
				t.Errorf("%s written with the others (GOMAXPROCS=%s) differs from %s written alone", ext, procs, ext)
			}
		}
	}
	file, _ := os.ReadFile(filepath.Join(dir, "alone", "r.json"))
	if stdout != string(file) {
		t.Errorf("the JSON on stdout differs from the JSON file")
	}
	m := digestLine.FindSubmatch(file)
	if m == nil {
		t.Fatalf("no digest in the JSON")
	}
	sum := sha256.Sum256(bytes.Replace(file, m[0], nil, 1))
	if d := string(m[1]); d != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the SHA-256 of the JSON without it", d)
	}
	for _, ext := range []string{"html", "md"} {
		b, _ := os.ReadFile(filepath.Join(dir, "all", "4", "r."+ext))
		if !bytes.Contains(b, m[1]) {
			t.Errorf("r.%s does not show the digest %s", ext, m[1])
		}
	}
}

// The output flags a run would ignore, or could not honour, are refused before any log is
// read, naming the flag and what it takes; what they leave working still works.
func TestOutputFlagsHonouredOrRefused(t *testing.T) {
	logs := mustAbs(t, "../testdata/logs/ha-3-nodes")
	saved := mustAbs(t, "../testdata/reports/ha-3-nodes.json")
	tmpl := filepath.Join(t.TempDir(), "kind.tmpl")
	os.WriteFile(tmpl, []byte("{{.Kind}}\n"), 0o644)
	const exts = ".pdf, .json, .html, .htm, .md, .markdown, .csv and .txt"
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string // in stderr
		file string // written, starting with want
		want string
	}{
		{"csv-table without csv", []string{logs, "--csv-table", "gaps"}, ExitUsage, "--csv-table gaps applies only to CSV output: give --format csv (or -o FILE.csv)", "", ""},
		{"csv-table with json", []string{logs, "--csv-table", "gaps", "--format", "json"}, ExitUsage, "--csv-table gaps applies only to CSV output", "", ""},
		{"csv-table with -o json", []string{logs, "--csv-table", "gaps", "-o", "r.json"}, ExitUsage, "--csv-table gaps applies only to CSV output", "", ""},
		{"csv-table with a template", []string{logs, "--csv-table", "gaps", "--template", tmpl}, ExitUsage, "--csv-table gaps applies only to CSV output", "", ""},
		{"csv-table with -o csv", []string{logs, "--csv-table", "gaps", "-o", "gaps.csv"}, ExitOK, "", "gaps.csv", "severity,type,"},
		{"csv-table among formats", []string{logs, "--csv-table", "GAPS", "--format", "json,csv", "-o", "both"}, ExitOK, "", "both.csv", "severity,type,"},
		{"unknown csv-table", []string{logs, "--csv-table", "bogus", "--format", "csv"}, ExitUsage,
			`--csv-table "bogus": want one of changes, failed-attempts, coverage, gaps, endpoints, namespaces, services, summary`, "", ""},
		{"extension of no format", []string{logs, "-o", "r.yaml"}, ExitUsage,
			"-o r.yaml: the extension .yaml names no format (" + exts + " do); give --format to write r.yaml in one of table, json, pdf, html, markdown, csv", "", ""},
		{"extension of no format, --format given", []string{logs, "-o", "r.yaml", "--format", "table"}, ExitOK, "", "r.yaml", "Audit log report"},
		{"extension of no format, --format json", []string{logs, "-o", "j.yaml", "--format", "json"}, ExitOK, "", "j.yaml", "{"},
		{"extension of no format, a template", []string{logs, "-o", "r.adoc", "--template", tmpl}, ExitOK, "", "r.adoc", "ComplianceReport"},
		{"no extension", []string{logs, "-o", "plain"}, ExitOK, "", "plain", "Audit log report"},
		{"a date is no extension", []string{logs, "-o", "report.2026-11-01"}, ExitOK, "", "report.2026-11-01", "Audit log report"},
		{"a template's field is no extension", []string{logs, "-o", "r-{{.Cluster}}", "--cluster", "prod"}, ExitOK, "", "r-prod", "Audit log report"},
		{"render: extension of no format", []string{"render", saved, "-o", "r.yml"}, ExitUsage, "-o r.yml: the extension .yml names no format", "", ""},
		{"render: csv-table without csv", []string{"render", saved, "--csv-table", "coverage"}, ExitUsage, "--csv-table coverage applies only to CSV output", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			_, errOut, code := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, %q; want exit %d mentioning %q", code, errOut, tc.code, tc.msg)
			}
			if tc.code == ExitUsage && strings.Contains(errOut, "--format:") {
				t.Errorf("the error blames --format: %q", errOut)
			}
			if tc.file == "" {
				if left, _ := filepath.Glob("*"); len(left) > 0 {
					t.Errorf("a refused run wrote %v", left)
				}
				return
			}
			b, err := os.ReadFile(tc.file)
			if err != nil || !strings.HasPrefix(string(b), tc.want) {
				t.Errorf("%s: %.30q (%v), want it to start with %q", tc.file, b, err, tc.want)
			}
		})
	}
}
