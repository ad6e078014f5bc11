package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A row reads back as it was written, whatever its fields hold, and bytes that are not a
// row are an error, never a panic.
func FuzzRowCodec(f *testing.F) {
	f.Add("1d2c", int64(1764547200), uint32(5), int32(0), "modified", "alice", "10.0.0.1", `"a"`, `{"b":[1,2]}`, "note", 201, 3)
	f.Add("", int64(-62135596800), uint32(0), int32(3600), "", "", "", "", "", "", 0, 0)
	f.Fuzz(func(t *testing.T, auditID string, sec int64, nsec uint32, zone int32, action, user, ip, old, new, note string, code, line int) {
		at := time.Unix(sec, int64(nsec%1e9)).UTC()
		if zone%86400 != 0 {
			at = at.In(time.FixedZone("", int(zone%86400)))
		}
		c := Change{Time: at, Action: action, Class: ClassConfiguration, Verb: "patch", User: user, Groups: []string{user, "system:authenticated"},
			SourceIPs: []string{ip}, AuditID: auditID, Code: int32(code), Level: "RequestResponse", Source: "a.log", Line: line,
			Baseline: BaselineKnown, Note: note}
		if old != "" || new != "" {
			c.Diff = []FieldChange{{Path: "spec", Op: OpChanged, Old: json.RawMessage(old), New: json.RawMessage(new)}, {Path: "x", Op: OpAdded}}
		}
		b := encodeChange(nil, &c)
		back, err := decodeChange(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c, back, cmp.Comparer(func(a, b time.Time) bool {
			_, ao := a.Zone()
			_, bo := b.Zone()
			return a.Equal(b) && ao == bo
		})); d != "" {
			t.Fatalf("read back differs (-written +read):\n%s", d)
		}
		if id, err := auditIDOf(b); err != nil || id != auditID {
			t.Fatalf("auditIDOf: %q, %v", id, err)
		}
		// Any prefix of a row, and the row's bytes read as another row, fail cleanly.
		for _, cut := range []int{0, len(b) / 3, len(b) / 2, len(b) - 1} {
			if _, err := decodeChange(b[:cut]); err == nil && cut < len(b) {
				t.Fatalf("a row cut at %d of %d bytes read without an error", cut, len(b))
			}
		}
		decodeChange([]byte(note + auditID))
	})
}
