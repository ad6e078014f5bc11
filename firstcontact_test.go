package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// What a new user tries in the first hour, through the built binary (issue 13). The cases a
// terminal changes are in terminal_test.go, under a pseudo-terminal.

// runIn runs the binary in dir and returns stdout, stderr and the exit code.
func runIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	return runEnv(t, dir, nil, args...)
}

// runEnv is runIn with more environment variables.
func runEnv(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), 0
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// auditreport kube-audit.log, or a glob the shell expanded: the arguments are inputs.
func TestPositionalInputs(t *testing.T) {
	out, errOut, code := runIn(t, ".", "testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", "testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log",
		"--from", "testdata/logs/ha-3-nodes/kube-apiserver-3-audit.log", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct{ Inputs []struct{ Source string } }
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Inputs) != 3 {
		t.Errorf("want the three files as inputs, got %+v (%v)", r.Inputs, err)
	}
}

// Mistyped flags and commands get a suggestion; enumerated values are taken in any case.
func TestSuggestionsAndCase(t *testing.T) {
	logs := "testdata/logs/ha-3-nodes"
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--fromm", logs}, 2, "unknown flag: --fromm; did you mean --from?"},
		{[]string{logs, "--formt", "json"}, 2, "did you mean --format?"},
		{[]string{"polcy", "check"}, 2, `"polcy" is not a file or folder; did you mean the command "policy"?`},
		{[]string{"policy", "chek", "x.yaml"}, 2, `unknown command "chek" for "auditreport policy"; did you mean check?`},
		{[]string{"verfy", "m.json"}, 2, `did you mean the command "verify"?`},
		{[]string{"stat", "--at", "1h"}, 2, `did you mean the command "state"?`},
		// The posture sample's pods run without egress NetworkPolicies: a posture warning, so
		// "Warning" is read as warning when the run exits 5.
		{[]string{"testdata/logs/posture", "--fail-on", "Warning", "--exit-code", "5", "--log-format", "JSON"}, 5, `"verdict":"pass"`},
		{[]string{logs, "--period", "Yesterday", "--timezone", "utc"}, 0, "verdict gaps"},
		{[]string{logs, "--format", "CSV", "--csv-table", "GAPS"}, 0, "verdict pass"},
		{[]string{"policy", "check", "--format", "JSON", "testdata/policies/generated.yaml"}, 0, ""},
	} {
		_, errOut, code := runIn(t, ".", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %s; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// Every flag that takes a file says the same thing about a missing or unusable one, and
// exits 3.
func TestFileFlags(t *testing.T) {
	dir := t.TempDir()
	logs := abs(t, "testdata/logs/ha-3-nodes")
	if _, errOut, code := runIn(t, dir, "keygen", "-o", "k"); code != 0 {
		t.Fatal(errOut)
	}
	os.Mkdir(filepath.Join(dir, "folder"), 0o755)
	for _, flag := range []string{"--from", "--snapshot", "--policy", "--template", "--pdf-font", "--sign-key"} {
		for _, bad := range []struct{ path, msg string }{{"nope", "no such file"}, {"folder", "a folder, not a file"}} {
			if flag == "--from" && bad.path == "folder" {
				continue // a folder of logs
			}
			args := []string{logs, flag, bad.path}
			if flag == "--from" {
				args = []string{flag, bad.path}
			}
			if flag == "--sign-key" {
				args = append(args, "--evidence", "e.json")
			}
			_, errOut, code := runIn(t, dir, args...)
			if want := "auditreport: " + flag + " " + bad.path + ": " + bad.msg + "\n"; code != 3 || errOut != want {
				t.Errorf("%v: exit %d, %q; want exit 3, %q", args, code, errOut, want)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--pdf-font", "k"}, "--pdf-font k: not a TrueType font"},
		{[]string{"--sign-key", "k.pub", "--evidence", "e.json"}, "--sign-key k.pub: a public key: signing needs the private key"},
		{[]string{"--template", "k"}, ""},
		{[]string{"--policy", "k.pub"}, "--policy k.pub: not an audit policy"},
		{[]string{"--snapshot", "k.pub"}, "auditreport: --snapshot k.pub: want a JSON object"},
	} {
		_, errOut, code := runIn(t, dir, append([]string{logs}, tc.args...)...)
		if code != 3 && !(tc.args[0] == "--template" && code == 0) || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
		}
	}
}

// -o gives the format by its extension; a --format that disagrees is an error.
func TestFormatFromExtension(t *testing.T) {
	dir := t.TempDir()
	logs := abs(t, "testdata/logs/ha-3-nodes")
	for name, magic := range map[string]string{"r.pdf": "%PDF-", "r.json": "{", "r.csv": "time,kind,", "r.html": "<!DOCTYPE html>", "r.md": "# ", "r.txt": "Audit log report"} {
		if _, errOut, code := runIn(t, dir, logs, "-o", name, "-q"); code != 0 {
			t.Fatalf("-o %s: exit %d %s", name, code, errOut)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("-o %s wrote %.20q, want %q first", name, b, magic)
		}
	}
	_, errOut, code := runIn(t, dir, logs, "-o", "x.pdf", "--format", "json")
	if code != 2 || !strings.Contains(errOut, "-o x.pdf names a pdf file, but --format is json") {
		t.Errorf("mismatch: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("x.pdf written despite the mismatch")
	}
}

// Every flag that writes a file makes its folder.
func TestOutputFoldersMade(t *testing.T) {
	dir := t.TempDir()
	logs := abs(t, "testdata/logs/ha-3-nodes")
	for _, args := range [][]string{
		{logs, "-o", "a/1/r.json", "--evidence", "b/2/e.json", "-q"},
		{logs, "--format", "pdf,csv", "-o", "c/3/r", "-q"},
		{"keygen", "-o", "d/4/k"},
		{"policy", "generate", "-o", "e/5/p.yaml"},
	} {
		if _, errOut, code := runIn(t, dir, args...); code != 0 {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
	for _, f := range []string{"a/1/r.json", "b/2/e.json", "c/3/r.pdf", "c/3/r.csv", "d/4/k", "d/4/k.pub", "e/5/p.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// keygen writes KEY and KEY.pub, and replaces them only with --force.
func TestKeygenKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runIn(t, dir, "keygen", "-o", "audit.key"); code != 0 || !strings.Contains(errOut, "wrote audit.key and audit.key.pub") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "audit.key"))
	_, errOut, code := runIn(t, dir, "keygen", "-o", "audit.key")
	if again, _ := os.ReadFile(filepath.Join(dir, "audit.key")); code != 1 || !bytes.Equal(key, again) || !strings.Contains(errOut, "audit.key exists: give --force") {
		t.Errorf("second keygen: exit %d %s; key kept: %v", code, errOut, bytes.Equal(key, again))
	}
	if _, _, code := runIn(t, dir, "keygen", "-o", "audit.key", "--force"); code != 0 {
		t.Errorf("--force: exit %d", code)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "audit.key")); bytes.Equal(key, again) {
		t.Error("--force did not replace the key")
	}
}

// A name template whose fields are empty still makes a sensible name.
func TestNameTemplateFallback(t *testing.T) {
	dir := t.TempDir()
	logs := abs(t, "testdata/logs/ha-3-nodes")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "{{.Cluster}}-{{.Period.Start}}.json"}, "ha-3-nodes-begin.json"},
		{[]string{"-o", "{{.Cluster}}-{{.Period.Start}}.json", "--cluster", "prod", "--since", "2026-11-01"}, "prod-2026-11-01.json"},
	} {
		if _, errOut, code := runIn(t, dir, append([]string{logs, "-q"}, tc.args...)...); code != 0 {
			t.Fatalf("%v: exit %d %s", tc.args, code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, tc.want)); err != nil {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}

// --evidence with the report on stdout says the manifest does not record it.
func TestEvidenceOfStdout(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runIn(t, dir, abs(t, "testdata/logs/ha-3-nodes"), "--format", "json", "--evidence", "e.json")
	if code != 0 || !strings.Contains(errOut, "warning: the json output went to stdout: the evidence manifest does not record it") {
		t.Errorf("exit %d %s", code, errOut)
	}
}

// A pod with a 40,000-character annotation: the CSV of changes keeps every cell within what
// a spreadsheet holds and says where the whole value is.
func TestCSVLongCell(t *testing.T) {
	b, err := os.ReadFile("testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	done := false
	for i, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		ref, _ := ev["objectRef"].(map[string]any)
		if done || ev["verb"] != "create" || ref["resource"] != "pods" || ev["responseObject"] == nil {
			continue
		}
		for _, k := range []string{"requestObject", "responseObject"} {
			meta := ev[k].(map[string]any)["metadata"].(map[string]any)
			ann, _ := meta["annotations"].(map[string]any)
			if ann == nil {
				ann = map[string]any{}
			}
			ann["example.com/big"] = strings.Repeat("y", 40000)
			meta["annotations"] = ann
		}
		nb, _ := json.Marshal(ev)
		lines[i], done = string(nb), true
	}
	if !done {
		t.Fatal("no pod create with a body in the sample")
	}
	log := filepath.Join(t.TempDir(), "audit.log")
	os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out, errOut, code := runIn(t, ".", log, "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if strings.Contains(out, strings.Repeat("y", 32767)) || !strings.Contains(out, "characters not shown; the whole value is resources[") {
		t.Errorf("the long cell was not cut with a marker")
	}
}

// A name in Japanese: drawn with an installed font that has it, or, when none has, the PDF
// still renders and stderr and the report's warnings say what was not drawn, naming the flag.
func TestPDFCharactersDejaVuLacks(t *testing.T) {
	b, err := os.ReadFile("testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, bytes.ReplaceAll(b, []byte("alice@example.com"), []byte("田中太郎@example.jp")), 0o644)

	_, errOut, code := runEnv(t, dir, []string{"AUDITREPORT_FONT_DIRS=" + t.TempDir()}, log, "--format", "pdf,json", "-o", "none")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	want := "the PDF cannot draw 16 character(s), in resources[].history[].user (12), summary.actors[].user (4)"
	if !strings.Contains(errOut, "warning: "+want) || !strings.Contains(errOut, "give --pdf-font a TrueType font") {
		t.Errorf("stderr without a font: %s", errOut)
	}
	if j, _ := os.ReadFile(filepath.Join(dir, "none.json")); !strings.Contains(string(j), want) {
		t.Error("the JSON report's warnings do not say what the PDF could not draw")
	}
	if pdf, _ := os.ReadFile(filepath.Join(dir, "none.pdf")); !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Error("no PDF without a font")
	}

	const droid = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	if _, err := os.Stat(droid); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs fonts-droid-fallback")
		}
		t.Skip("fonts-droid-fallback not installed")
	}
	// The fonts folder holds Droid Sans Fallback among others: it is found and used.
	_, errOut, code = runEnv(t, dir, []string{"AUDITREPORT_FONT_DIRS=" + filepath.Dir(filepath.Dir(droid))}, log, "-o", "found.pdf")
	if code != 0 || strings.Contains(errOut, "cannot draw") || !strings.Contains(errOut, "with "+droid) {
		t.Errorf("with Droid Sans Fallback installed: exit %d %s", code, errOut)
	}
	if txt, err := exec.Command("pdftotext", filepath.Join(dir, "found.pdf"), "-").Output(); err == nil && !strings.Contains(string(txt), "田中太郎@example.jp") {
		t.Error("the PDF text lacks the Japanese name")
	}
}

// Piped, a PDF goes to stdout as before: only a terminal makes it a file.
func TestPDFToAPipe(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runIn(t, dir, abs(t, "testdata/logs/ha-3-nodes"), "--format", "pdf", "-q")
	if entries, _ := os.ReadDir(dir); code != 0 || !strings.HasPrefix(out, "%PDF-") || len(entries) != 0 {
		t.Errorf("exit %d %s; %d files written", code, errOut, len(entries))
	}
}
