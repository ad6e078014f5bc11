package render

import (
	"bytes"
	"strings"
	"testing"
)

// On a terminal every line of the table fits its width: cells wrap, what cannot wrap is cut
// with "…", and the network policy changes still say when, who, which and what.
func TestTableFitsWidth(t *testing.T) {
	r := loadReport(t, "with-gaps")
	r.Inputs[0].Source = "/var/log/kubernetes/audit/" + strings.Repeat("very-long-folder-name/", 8) + "kube-apiserver-audit.log"
	r.Gaps[0].Message += " " + strings.Repeat("and a long explanation of it ", 12)
	for _, width := range []int{60, 80, 100, 140} {
		var buf bytes.Buffer
		if err := (&Table{Width: width, Color: true}).Render(&buf, r); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for i, l := range strings.Split(out, "\n") {
			if textWidth(l) > width {
				t.Errorf("width %d: line %d is %d columns: %q", width, i+1, textWidth(l), l)
			}
		}
		plain := ansi.ReplaceAllString(out, "")
		for _, want := range []string{"Network policy changes (3)", "When (UTC)", "ops-bot", "default/", "…", "long explanation"} {
			if !strings.Contains(plain, want) {
				t.Errorf("width %d: %q missing:\n%s", width, want, plain)
			}
		}
	}
	var buf bytes.Buffer
	if err := (&Table{Width: 120}).Render(&buf, r); err != nil || !strings.Contains(buf.String(), "│ 2026-11-01 21:19:42Z │ ops-bot           │ default/allow-web-r77m     │ modified: spec.ingress[0].ports[0].port: \"8…") {
		t.Errorf("at 120 columns, the policy changes should keep when, who and which policy whole:\n%s", buf.String())
	}
	// Without a width (a pipe or a file), nothing is cut.
	buf.Reset()
	if err := (&Table{}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), r.Inputs[0].Source) || !strings.Contains(buf.String(), r.Gaps[0].Message) {
		t.Error("a table for a pipe was cut")
	}
}

func TestFitCell(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		lines int
		want  string
	}{
		{"short", 10, 0, "short"},
		{"created: spec.ingress[0].ports[0].port: 80", 20, 1, "created: spec.ingre…"},
		{"alpha beta gamma delta", 11, 0, "alpha beta\ngamma delta"},
		{"abcdefghijklmnop", 5, 0, "abcde\nfghij\nklmno\np"},
		{"a b c d e f g h i j", 3, 2, "a b\nc …"},
		{"田中太郎@example.jp", 8, 1, "田中太…"},
	} {
		if got := fitCell(tc.in, tc.width, tc.lines); got != tc.want {
			t.Errorf("fitCell(%q, %d, %d) = %q, want %q", tc.in, tc.width, tc.lines, got, tc.want)
		}
	}
}
