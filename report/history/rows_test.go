package history

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/internal/binrec"
)

// A row reads back as it was written, whatever its fields hold, and bytes that are not a
// row are an error, never a panic.
func FuzzRowCodec(f *testing.F) {
	f.Add("1d2c", int64(1764547200), uint32(5), int32(0), "modified", "alice", "10.0.0.1", `"a"`, `{"b":[1,2]}`, "note", 201, 3)
	f.Add("", int64(-62135596800), uint32(0), int32(3600), "", "", "", "", "", "", 0, 0)
	f.Add("5e6f", int64(1764547200), uint32(7), int32(0), "modified", "bob", "10.0.0.2", "", "", "no field changed", 200, 9)
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
		h, err := decodeHead(b)
		if want := (Head{Time: back.Time, AuditID: back.AuditID, Class: back.Class, NoOp: back.NoOp()}); err != nil || !h.Time.Equal(want.Time) || h.AuditID != want.AuditID || h.Class != want.Class || h.NoOp != want.NoOp {
			t.Fatalf("decodeHead: %+v, %v; want %+v", h, err, want)
		}
		// Any prefix of a row, and the row's bytes read as another row, fail cleanly.
		for _, cut := range []int{0, len(b) / 3, len(b) / 2, len(b) - 1} {
			if _, err := decodeChange(b[:cut]); err == nil && cut < len(b) {
				t.Fatalf("a row cut at %d of %d bytes read without an error", cut, len(b))
			}
			if _, err := decodeHead(b[:cut]); err == nil && cut < len(b) {
				t.Fatalf("a row's head cut at %d of %d bytes read without an error", cut, len(b))
			}
		}
		decodeChange([]byte(note + auditID))
		decodeHead([]byte(note + auditID))
		// A failed attempt too.
		fa := FailedAttempt{Time: at, Verb: "patch", Group: action, Resource: "pods", Namespace: user, Name: old, User: user,
			SourceIPs: []string{ip}, UserAgent: new, AuditID: auditID, Code: int32(code), Reason: "Forbidden", Message: note,
			Decision: "forbid", Source: "a.log", Line: line}
		fb := encodeFailed(nil, &fa)
		fback, err := decodeFailed(fb)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(fa, fback, cmp.Comparer(func(a, b time.Time) bool {
			_, ao := a.Zone()
			_, bo := b.Zone()
			return a.Equal(b) && ao == bo
		})); d != "" {
			t.Fatalf("failed attempt read back differs (-written +read):\n%s", d)
		}
		if id, err := auditIDOf(fb); err != nil || id != auditID {
			t.Fatalf("auditIDOf a failed attempt: %q, %v", id, err)
		}
		for _, cut := range []int{0, len(fb) / 2, len(fb) - 1} {
			if _, err := decodeFailed(fb[:cut]); err == nil {
				t.Fatalf("a failed attempt cut at %d of %d bytes read without an error", cut, len(fb))
			}
		}
	})
}

// A count of elements that the row's bytes cannot hold is a damaged row, not an empty list,
// even when what follows it reads as the rest of a row.
func TestRowWithTooManyElements(t *testing.T) {
	c := Change{AuditID: "id", Time: time.Unix(1764547200, 0).UTC(), Action: "created", User: "alice", Note: "n"}
	row := encodeChange(nil, &c)
	// The groups' count follows the auditID, the time and five strings.
	prefix := binrec.AppendString(nil, c.AuditID)
	prefix = binary.AppendVarint(prefix, c.Time.Unix())
	prefix = binary.AppendUvarint(prefix, 0)
	prefix = binary.AppendVarint(prefix, 0)
	for _, s := range []string{c.Action, c.Class, c.Verb, c.Subresource, c.User} {
		prefix = binrec.AppendString(prefix, s)
	}
	if row[len(prefix)] != 0 {
		t.Fatalf("byte %d is not the empty groups' count", len(prefix))
	}
	bad := append(binary.AppendUvarint(append([]byte(nil), prefix...), 200), row[len(prefix)+1:]...)
	if _, err := decodeChange(bad); err == nil {
		t.Error("a row claiming 200 groups in fewer bytes read without an error")
	}
}

// sortResources orders resources as a stable sort by lessResource does: histories of one
// name keep the order they came in, and a name's collection comes after its object.
func TestSortResourcesIsStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 17, 1000} {
		in := make([]Resource, n)
		for i := range in {
			in[i] = Resource{Resource: []string{"pods", "namespaces"}[rng.IntN(2)], Namespace: fmt.Sprint("ns-", rng.IntN(3)),
				Name: fmt.Sprint("n-", rng.IntN(5)), Collection: rng.IntN(4) == 0, UID: fmt.Sprint(i)}
		}
		want := slices.Clone(in)
		sort.SliceStable(want, func(i, j int) bool { return lessResource(&want[i], &want[j]) })
		got := slices.Clone(in)
		sortResources(got)
		for i := range want {
			if got[i].UID != want[i].UID {
				t.Fatalf("%d resources: at %d, the one that came %s; a stable sort puts the one that came %s", n, i, got[i].UID, want[i].UID)
			}
		}
	}
}
