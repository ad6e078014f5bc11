package render

import (
	"testing"

	"github.com/auditreport/auditreport/report"
)

// The changes sentence counts what the summary counts: creates whose object the trail does
// not name apart from the objects, and deletecollection requests apart from the changes
// (their deletions are changes), each only when there are some.
func TestChangesTextCountsEveryWrite(t *testing.T) {
	for _, c := range []struct {
		s    report.Summary
		want string
	}{
		{report.Summary{Objects: 3, Changes: 2, SubresourceChanges: 1, DryRuns: 1},
			"3 objects written to in the period: 2 configuration changes, 0 no-op writes, 1 subresource write; apart from them: 0 failed attempts, 1 dry run."},
		{report.Summary{Objects: 17, Unnamed: 8, Changes: 23, DeleteCollections: 1, FailedAttempts: 2},
			"17 objects (and 8 creates whose objects' names are not in the trail) written to in the period: 23 configuration changes, 0 no-op writes, 0 subresource writes; apart from them: 1 deletecollection request (the objects they removed are among the changes), 2 failed attempts, 0 dry runs."},
	} {
		if got := ChangesText(c.s); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
