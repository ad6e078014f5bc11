package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin is the auditreport binary built for the end-to-end tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auditreport-e2e")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "auditreport")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Exit codes, through the built binary, as a CronJob sees them.
func TestExitCodesEndToEnd(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	out, err := exec.Command(bin, "policy", "generate", "-o", policy).CombinedOutput()
	if err != nil {
		t.Fatalf("policy generate: %v %s", err, out)
	}
	// An empty log is read, not refused (docs/coverage.md): one error gap, not one per kind.
	empty := filepath.Join(t.TempDir(), "kube-audit.log")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"clean trail", []string{"--from", "testdata/logs/ha-3-nodes", "--exit-code", "5"}, 0, "verdict pass"},
		{"gaps without --exit-code", []string{"--from", "testdata/logs/gaps/never-audited"}, 0, "verdict gaps"},
		{"error gap with --exit-code", []string{"--from", "testdata/logs/gaps/never-audited", "--exit-code", "5"}, 5, "the audit trail has 1 gap at or above error"},
		{"warning gap below --fail-on", []string{"--from", "testdata/logs/gaps/time-hole", "--exit-code", "5"}, 0, "verdict gaps"},
		{"warning gap at --fail-on warning", []string{"--from", "testdata/logs/gaps/time-hole", "--exit-code", "6", "--fail-on", "warning"}, 6, "at or above warning"},
		{"a protection finding is no gap in the trail", []string{"--from", "testdata/logs/posture", "--exit-code", "5", "--fail-on", "warning"}, 5,
			"verdict pass (0 gaps in the trail); posture: 2 of 4 pods ingress-protected and 0 egress-protected throughout; 1 protection finding\nauditreport: the posture has 1 finding about the pods' protection at or above warning"},
		{"bad --fail-on", []string{"--from", "testdata/logs/ha-3-nodes", "--fail-on", "panic"}, 2, "--fail-on"},
		{"missing input", []string{"--from", "testdata/logs/nope"}, 3, "nope"},
		{"an empty input", []string{"--from", empty}, 0, "read 0 events from 1 input "},
		{"an empty input with --exit-code", []string{"--from", empty, "--exit-code", "5"}, 5, "verdict gaps (1 gap in the trail)"},
		{"usage", []string{}, 2, "no input"},
		{"policy check passes", []string{"policy", "check", policy}, 0, ""},
		{"policy check fails", []string{"policy", "check", "testdata/realdata/policies/k8s-website-audit-policy.yaml"}, 4, "1 of 1 policy file(s) fail"},
		{"policy check with --exit-code", []string{"policy", "check", "--exit-code", "9", "testdata/realdata/policies/openshift-library-go/testdata__default.yaml"}, 9, "fail the check"},
		{"policy check of a missing file", []string{"policy", "check", "testdata/nope.yaml"}, 3, "nope.yaml"},
		{"policy check needs a file", []string{"policy", "check"}, 2, "requires at least 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tc.code, tc.stderr)
			}
		})
	}
}
