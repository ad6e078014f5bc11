package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command in the README's sh blocks, so that none can go stale: each auditreport
// command is run with the built binary, in order, in a scratch folder that has the samples
// (testdata/); the cluster and build commands around them are checked for shell syntax.
// An auditreport command may fail only because a file it names is not on this machine
// (/var/log/kube-audit/, a cloud export): exit 3, saying so. Never a usage error.
func TestReadmeCommands(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(abs(t, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(string(readme))
	if len(cmds) < 20 {
		t.Fatalf("found %d commands in the README's sh blocks", len(cmds))
	}
	ran := 0
	for i, line := range cmds {
		if out, err := exec.Command("bash", "-n", "-c", line).CombinedOutput(); err != nil {
			t.Errorf("shell syntax: %s\n%s", line, out)
		}
		for _, seg := range segments(line) {
			words := shellWords(seg)
			switch {
			case len(words) > 2 && words[0] == "go" && words[1] == "run" && words[2] == ".":
				words = words[2:]
			case len(words) > 0 && words[0] == "auditreport":
			default:
				continue
			}
			ran++
			stdout, stderr, code := runIn(t, dir, words[1:]...)
			t.Logf("exit %d: %s", code, seg)
			missing := code == 3 && regexp.MustCompile(`: (no such file|no file matches)`).MatchString(stderr) && !strings.Contains(stderr, "testdata/")
			if code != 0 && !missing {
				t.Errorf("README command %d: %s\nexit %d: %s", i+1, seg, code, stderr)
			}
			switch {
			case i == 0: // the PDF of one coherent sample cluster, with no gap from mixing samples
				if pdf, _ := os.ReadFile(filepath.Join(dir, "report.pdf")); !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.Contains(stderr, "verdict pass (0 gaps in the trail)") {
					t.Errorf("the README's first command should write report.pdf with no gap: %s", stderr)
				}
			case strings.Join(words[1:], " ") == "testdata/logs/ha-3-nodes/": // the same logs on the terminal
				for _, want := range []string{"Verdict:   TRAIL COMPLETE", "Network policy changes", "ha-3-nodes/kube-apiserver-1-audit.log"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("the README's second command: the table lacks %q", want)
					}
				}
			}
		}
	}
	if ran < 15 {
		t.Errorf("ran %d auditreport commands of the README", ran)
	}
}

// readmeCommands returns the commands of the README's sh blocks, continued lines joined and
// comment lines left out.
func readmeCommands(md string) []string {
	var out []string
	in := false
	cont := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "```sh"):
			in = true
			continue
		case strings.HasPrefix(t, "```"):
			in = false
			continue
		case !in || t == "" || strings.HasPrefix(t, "#"):
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cont += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		out = append(out, cont+t)
		cont = ""
	}
	return out
}

// segments cuts a command line at the pipes and && outside quotes, and drops a trailing
// comment.
func segments(line string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || rs[i-1] == ' '):
			i = len(rs)
			continue
		case c == '|' || c == ';' || (c == '&' && i+1 < len(rs) && rs[i+1] == '&'):
			out = append(out, cur.String())
			cur.Reset()
			if c == '&' || (c == '|' && i+1 < len(rs) && rs[i+1] == '|') {
				i++
			}
			continue
		}
		cur.WriteRune(c)
	}
	return append(out, cur.String())
}

// shellWords splits a simple command into words as the shell would, quotes removed, and
// leaves out redirections (> file, 2>&1, < file): the test captures the output itself.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			flush()
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	flush()
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if regexp.MustCompile(`^[0-9]?[<>]{1,2}(&[0-9])?$`).MatchString(w) {
			i++ // the redirection's target
			continue
		}
		if regexp.MustCompile(`^[0-9]?[<>]{1,2}`).MatchString(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// README facts that follow the code: the Go version go.mod needs, and the extensions a folder
// of logs is walked for.
func TestReadmeFacts(t *testing.T) {
	readme, _ := os.ReadFile("README.md")
	gomod, _ := os.ReadFile("go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil || !strings.Contains(string(readme), "Go "+string(goVersion[1])+" or newer") {
		t.Errorf("the README does not say go.mod's Go version (%s)", goVersion)
	}
	files, _ := filepath.Glob("audit/*.go")
	var suffixes []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if m := regexp.MustCompile(`logSuffixes = \[\]string\{([^}]*)\}`).FindSubmatch(b); m != nil {
			suffixes = regexp.MustCompile(`"\.([a-z0-9]+)"`).FindAllString(string(m[1]), -1)
		}
	}
	if len(suffixes) == 0 {
		t.Fatal("the walk's extensions (logSuffixes) not found in audit/")
	}
	for _, s := range suffixes {
		if !strings.Contains(string(readme), "`*"+strings.Trim(s, `"`)+"`") {
			t.Errorf("the README's --from row does not list %s", s)
		}
	}
}
