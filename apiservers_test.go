package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// One of the three API servers' logs not given, and the third one's cut at noon: each is an
// error gap naming the server, and the verdict says the trail is incomplete.
func TestMissingAPIServerThroughTheBinary(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"log not given", []string{"testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", "testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log",
			"--api-servers", "kube-apiserver-1,kube-apiserver-2,kube-apiserver-3"}, "kube-apiserver-3"},
		{"log not given, count only", []string{"testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", "testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log",
			"--api-servers", "3"}, "3 API server(s) expected, 2 found"},
		{"log cut at noon", []string{"testdata/logs/gaps/server-stops-early/"}, "kube-apiserver-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runIn(t, ".", append(tc.args, "--format", "json", "--exit-code", "5")...)
			if code != 5 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Verdict string
				Gaps    []struct{ Type, Severity, Message, Source string }
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			named := false
			for _, g := range r.Gaps {
				if g.Type == "period-not-covered" && g.Severity == "error" && strings.Contains(g.Message+g.Source, tc.want) {
					named = true
				}
			}
			if r.Verdict != "gaps" || !named {
				t.Errorf("verdict %s, gaps %+v: want an error naming %s", r.Verdict, r.Gaps, tc.want)
			}
			if !strings.Contains(stderr, "verdict gaps") {
				t.Errorf("stderr %q", stderr)
			}
		})
	}
	_, stderr, code := runIn(t, ".", "testdata/logs/ha-3-nodes/", "--api-servers", "0")
	if code != 2 || !strings.Contains(stderr, "--api-servers 0") {
		t.Errorf("--api-servers 0: exit %d, %s", code, stderr)
	}
}
