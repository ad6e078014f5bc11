package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// stateList is the part of a kubectl List the tests read.
type stateList struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Items      []struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name        string            `json:"name"`
			Namespace   string            `json:"namespace"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec map[string]any `json:"spec"`
	} `json:"items"`
}

func TestStateAt(t *testing.T) {
	logs := "../testdata/logs/ha-3-nodes/"
	out, errOut, code := run(t, "", "state", "--at", "2026-11-02T12:00:00Z", logs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var l stateList
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, out)
	}
	if l.APIVersion != "v1" || l.Kind != "List" || len(l.Items) == 0 {
		t.Fatalf("apiVersion %q kind %q, %d items: want a kubectl List of objects", l.APIVersion, l.Kind, len(l.Items))
	}
	kinds := map[string]int{}
	for _, it := range l.Items {
		kinds[it.Kind]++
		if it.Metadata.Name == "" {
			t.Errorf("an item without a name: %+v", it)
		}
	}
	for _, k := range []string{"Namespace", "Pod", "NetworkPolicy"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the state: %v", k, kinds)
		}
	}
	if !strings.Contains(errOut, "object(s) at 2026-11-02T12:00:00Z") {
		t.Errorf("stderr %q: want the one-line summary", errOut)
	}

	// YAML is the same List.
	yout, errOut, code := run(t, "", "state", "--at", "2026-11-02T12:00:00Z", "--format", "YAML", "--quiet", logs)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ly stateList
	if err := yaml.Unmarshal([]byte(yout), &ly); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if d := cmp.Diff(l, ly); d != "" {
		t.Errorf("YAML and JSON differ:\n%s", d)
	}

	// After the trail's end the objects may have changed: a warning says so, even with -q.
	_, errOut, code = run(t, "", "state", "--at", "2026-11-05T00:00:00Z", "--quiet", logs)
	if code != 0 || !strings.Contains(errOut, "warning: the trail ends at 2026-11-02T12:21:53") || !strings.Contains(errOut, "may have changed since") {
		t.Errorf("exit %d, stderr %q: want a warning that the trail ends before the instant", code, errOut)
	}

	// Earlier, fewer objects existed.
	early, _, _ := run(t, "", "state", "--at", "2026-11-01T00:05:00Z", "--quiet", logs)
	var le stateList
	if err := json.Unmarshal([]byte(early), &le); err != nil || len(le.Items) >= len(l.Items) {
		t.Errorf("at the start %d items, later %d (%v)", len(le.Items), len(l.Items), err)
	}
}

// Objects whose content the trail does not show are listed as such, never as if known.
func TestStateMarksUnknownObjects(t *testing.T) {
	out, errOut, code := run(t, "", "state", "--at", "2026-11-03T00:00:00Z", "--quiet", "../testdata/logs/gaps/metadata-only/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var l stateList
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	unknown := 0
	for _, it := range l.Items {
		if it.Metadata.Annotations["auditreport.io/state"] == "unknown" {
			unknown++
			if it.Spec != nil || it.Metadata.Annotations["auditreport.io/state-reason"] == "" {
				t.Errorf("%s %s/%s: an unknown object shows a spec or no reason", it.Kind, it.Metadata.Namespace, it.Metadata.Name)
			}
		}
	}
	if unknown == 0 {
		t.Errorf("no object marked unknown in a trail logged at Metadata level")
	}
}

func TestStateFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"state", "../testdata/logs/ha-3-nodes/"}, ExitUsage, "--at is required"},
		{[]string{"state", "--at", "yesterday-ish", "../testdata/logs/ha-3-nodes/"}, ExitUsage, "--at"},
		{[]string{"state", "--at", "1h", "--format", "xml", "../testdata/logs/ha-3-nodes/"}, ExitUsage, "want json or yaml"},
		{[]string{"state", "--at", "1h", "no-such-file.log"}, ExitInput, "no-such-file.log"},
	} {
		_, errOut, code := run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}
