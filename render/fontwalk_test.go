package render

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/history"
)

// Undrawn names each field holding characters no font draws by its path in the JSON
// report, indexes left out, wherever the field stands: in a list, a map's keys and values,
// a diff's raw values; ASCII is never counted.
func TestUndrawnFields(t *testing.T) {
	r := &report.Report{
		Cluster:  "李",
		Warnings: []string{"ascii only", "中文"},
		Inputs:   []report.Input{{Source: "a.log", Problems: map[string]int64{"键": 1, "plain": 2}}},
		Resources: []history.Resource{{Name: "n", History: []history.Change{
			{User: "山田", Diff: []history.FieldChange{{Path: "x", New: json.RawMessage(`"日本"`)}}},
			{User: "plain"},
		}}},
	}
	want := []FieldCount{
		{"cluster", 1}, {"inputs[].problems", 1}, {"resources[].history[].diff[].new", 2},
		{"resources[].history[].user", 2}, {"warnings[]", 2},
	}
	if d := cmp.Diff(want, Undrawn(r, nil)); d != "" {
		t.Errorf("Undrawn (-want +got):\n%s", d)
	}
	chars := []rune("中文山田李日本键")
	slices.Sort(chars)
	if d := cmp.Diff(chars, Uncovered(r)); d != "" {
		t.Errorf("Uncovered (-want +got):\n%s", d)
	}
}
