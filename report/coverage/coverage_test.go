package coverage

import (
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
)

// A file still being written when the run stopped following its folder is an info gap that
// says how far it was read: what lies beyond was written as the run ended.
func TestUnfollowedFileIsANote(t *testing.T) {
	gaps := inputGaps([]audit.Input{{Source: "logs/kube-audit.log", Unfollowed: &audit.ByteRange{From: 100, To: 250, Why: "still being written when the run stopped listing its folder again"}}})
	if len(gaps) != 1 || gaps[0].Type != GapUnreadable || gaps[0].Severity != SeverityInfo || !strings.Contains(gaps[0].Message, "bytes 100 to 250") || !strings.Contains(gaps[0].Message, "still being written") {
		t.Errorf("gaps %+v: want one info gap naming bytes 100 to 250", gaps)
	}
}

func TestNamesServer(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		want      bool
	}{
		{"logs/kube-apiserver-1-audit.log", "kube-apiserver-1", true},
		{"logs/kube-apiserver-10-audit.log", "kube-apiserver-1", false},
		{"node-2/kube-audit.log", "node-2", true},
		{"ip-10-0-1-2.ec2.internal", "ip-10-0-1-2.ec2.internal", true},
	} {
		if got := namesServer(tc.key, tc.name); got != tc.want {
			t.Errorf("namesServer(%q, %q) = %v", tc.key, tc.name, got)
		}
	}
}
