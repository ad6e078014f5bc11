package main

import (
	"encoding/json"
	"testing"
)

// withoutCommand drops what records the command line itself (the report's tool.command and
// the digest over it): the one thing the order of the arguments may change.
func withoutCommand(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "digest")
	if tool, ok := m["tool"].(map[string]any); ok {
		delete(tool, "command")
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The same report, byte for byte, whatever the number of cores and whatever the order of the
// inputs: reading and decoding run on their own goroutines, so scheduling must never show.
func TestSameReportWhateverTheCoresAndOrder(t *testing.T) {
	logs := []string{"testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", "testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log",
		"testdata/logs/ha-3-nodes/kube-apiserver-3-audit.log", "testdata/logs/posture/kube-audit.log"}
	reversed := []string{logs[3], logs[2], logs[1], logs[0]}
	var first, firstRaw string
	for _, tc := range []struct {
		procs string
		from  []string
	}{{"1", logs}, {"2", logs}, {"1", reversed}, {"2", reversed}} {
		out, stderr, code := runEnv(t, ".", []string{"GOMAXPROCS=" + tc.procs, "SOURCE_DATE_EPOCH=1764547200"}, append(tc.from, "--format", "json", "-q")...)
		if code != 0 {
			t.Fatalf("GOMAXPROCS=%s: exit %d: %s", tc.procs, code, stderr)
		}
		if firstRaw == "" {
			firstRaw = out
		} else if tc.from[0] == logs[0] && out != firstRaw {
			t.Errorf("GOMAXPROCS=%s: not byte for byte the report of GOMAXPROCS=1", tc.procs)
		}
		out = withoutCommand(t, out)
		if first == "" {
			first = out
			continue
		}
		if out != first {
			t.Errorf("GOMAXPROCS=%s with inputs %v: the JSON differs from GOMAXPROCS=1 in the given order", tc.procs, tc.from)
		}
	}
}
