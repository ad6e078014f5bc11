package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/auditreport/auditreport/audit"
)

// An object whose history went to disk when it was gone, and that came back under the same
// name, reads as one history, as when the histories stay in memory: the kind a state named
// carries over (a status write answered in that kind, which the resource's name does not
// tell, is the object's own), the last uid is the
// resource's, and the name is known to have been gone (a delete of it has a known baseline).
func TestNameComesBackAfterItsHistorySpilled(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	widget := func(uid, order string) string {
		return fmt.Sprintf(`{"apiVersion":"example.com/v1","kind":"FancyWidget","metadata":{"name":"a","uid":%q},"spec":{"order":%s}}`, uid, order)
	}
	pod := func(uid, image string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":%q},"spec":{"containers":[{"name":"c","image":%q}]}}`, uid, image)
	}
	type write struct{ verb, resource, sub, level, body, request string }
	writes := []write{
		{"create", "widgets", "", "RequestResponse", widget("u1", "1"), ""},
		{"create", "pods", "", "RequestResponse", pod("p1", "nginx:1"), ""},
		{"delete", "widgets", "", "RequestResponse", widget("u1", "1"), ""},
		{"delete", "pods", "", "RequestResponse", pod("p1", "nginx:1"), ""},
		// Made again out of the trail's sight, then written: its kind is the one known.
		{"update", "widgets", "", "Metadata", "", ""},
		{"patch", "widgets", "status", "RequestResponse", widget("u2", "2"), `{"status":{"ok":true}}`},
		{"create", "pods", "", "RequestResponse", pod("p2", "nginx:2"), ""},
		{"patch", "pods", "", "RequestResponse", pod("p2", "nginx:3"), ""},
		{"delete", "pods", "", "RequestResponse", pod("p2", "nginx:3"), ""},
		// Deleted again without a body: it was gone, which is known.
		{"delete", "pods", "", "Metadata", "", ""},
	}
	histories := func(spillAbove int) []Resource {
		tr := New(Options{SpillAbove: spillAbove, TmpDir: t.TempDir()})
		for i, w := range writes {
			ref := &audit.ObjectRef{Resource: w.resource, Name: "a", Subresource: w.sub, APIVersion: "v1"}
			if w.resource == "pods" {
				ref.Name, ref.Namespace = "p", "ns"
			} else {
				ref.APIGroup = "example.com"
			}
			ev := &audit.Event{Level: w.level, AuditID: fmt.Sprintf("id-%d", i), Stage: audit.StageResponseComplete, Verb: w.verb,
				User: audit.UserInfo{Username: "alice"}, ObjectRef: ref, ResponseStatus: &audit.Status{Code: 200},
				RequestReceived: at.Add(time.Duration(i) * time.Minute), Source: "a.log", Line: i + 1}
			if w.request != "" {
				ev.RequestObject = []byte(w.request)
			}
			var resp any
			if w.body != "" {
				ev.ResponseObject = []byte(w.body)
				resp = Decode(ev.ResponseObject)
			}
			tr.Add(ev, resp, true)
		}
		h, err := tr.Finish()
		if err != nil {
			t.Fatal(err)
		}
		defer h.Rows.Close()
		var out []Resource
		for _, r := range h.Resources {
			var rows []Change
			for _, c := range r.Changes() {
				rows = append(rows, *c)
			}
			out = append(out, Resource{Kind: r.Kind, Group: r.Group, Resource: r.Resource, Namespace: r.Namespace, Name: r.Name, UID: r.UID, History: rows})
		}
		return out
	}
	memory, spilled := histories(-1), histories(1)
	if d := cmp.Diff(memory, spilled, cmpopts.IgnoreUnexported(Resource{}, Change{})); d != "" {
		t.Errorf("spilled histories differ (-memory +spilled):\n%s", d)
	}
	if len(memory) != 2 || memory[1].Kind != "FancyWidget" || memory[0].UID != "p2" || len(memory[0].History) != 6 {
		t.Fatalf("histories: %+v", memory)
	}
	if c := memory[1].History[3]; c.Note != "" || len(c.Diff) == 0 {
		t.Errorf("the status write answered in the kind known: note %q, %d fields", c.Note, len(c.Diff))
	}
	if b := memory[0].History[5].Baseline; b != BaselineKnown {
		t.Errorf("the second delete of a gone pod has baseline %q", b)
	}
}
