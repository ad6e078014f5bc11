package cli

import (
	"os"
	"testing"
)

// A first argument that names no file but is near a command, or begins one, is taken for a
// mistyped command, whatever flags follow; one near none, that looks like a word rather than
// a path, is still a missing input, with the commands listed. Later arguments are only ever
// inputs.
func TestMistypedCommands(t *testing.T) {
	log, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	os.WriteFile("sate", log, 0o644) // a log named like a typo of state
	const commands = "completion, keygen, policy, render, state, verify, version"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // the whole of stderr
	}{
		{"prefix", []string{"stat"}, ExitUsage, `"stat" is not a file or folder; did you mean the command "state"?`},
		{"prefix, a flag of the command", []string{"stat", "--at", "1h"}, ExitUsage, `"stat" is not a file or folder; did you mean the command "state"?`},
		{"after a report flag", []string{"--since", "24h", "stat", "--at", "1h"}, ExitUsage, `"stat" is not a file or folder; did you mean the command "state"?`},
		{"typo", []string{"verfy", "m.json"}, ExitUsage, `"verfy" is not a file or folder; did you mean the command "verify"?`},
		{"typo, a flag of the command", []string{"verfy", "--pub-key", "k.pub", "m.json"}, ExitUsage, `"verfy" is not a file or folder; did you mean the command "verify"?`},
		{"typo of a parent command", []string{"polcy", "check"}, ExitUsage, `"polcy" is not a file or folder; did you mean the command "policy"?`},
		{"two commands", []string{"ver"}, ExitUsage, `"ver" is not a file or folder; did you mean the command "verify" or "version"?`},
		{"a word near no command", []string{"explain"}, ExitInput, "--from explain: no such file, nor is it a command (the commands: " + commands + ")"},
		{"a word and a flag", []string{"explain", "--since", "24h"}, ExitInput, "--from explain: no such file, nor is it a command (the commands: " + commands + ")"},
		{"a file name", []string{"explain.log"}, ExitInput, "--from explain.log: no such file"},
		{"a path", []string{"logs/explain"}, ExitInput, "--from logs/explain: no such file"},
		{"not first", []string{"sate", "stat"}, ExitInput, "--from stat: no such file"},
		{"an empty argument", []string{""}, ExitInput, "--from : no audit log found"}, // not the prefix of every command
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, "", tc.args...)
			if want := "auditreport: " + tc.want + "\n"; code != tc.code || errOut != want {
				t.Errorf("exit %d, stderr %q; want exit %d, %q", code, errOut, tc.code, want)
			}
		})
	}
	// A file named like a mistyped command is an input.
	if _, errOut, code := run(t, "", "sate", "-q", "--format", "json"); code != 0 || errOut != "" {
		t.Errorf("a log named sate: exit %d, %s", code, errOut)
	}
}
