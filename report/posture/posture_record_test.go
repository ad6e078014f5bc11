package posture

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fullPod is a pod gone with every field its record keeps set, none to its zero value.
func fullPod(ns, name, user, why string, from time.Time, d time.Duration, diff json.RawMessage) *pod {
	to := from.Add(d + time.Hour)
	since := from.Add(d)
	earlier := from.Add(-d - time.Minute).In(time.FixedZone("", -7200))
	return &pod{ns: ns, name: name, sa: "web", envoy: True, lived: true, inScope: true, from: from, to: to,
		cur: verdict{protected: [2]Tri{False, False}, internet: [2]Tri{True, False}, otherNS: [2]Tri{Unknown, True}},
		acc: account{unprotected: [2]time.Duration{d, 2 * d}, unknown: [2]time.Duration{3 * d, 4 * d}, everFalse: [2]bool{true, true},
			everUnknown: [2]bool{true, true}, internet: [2]Tri{True, Unknown}, otherNS: [2]Tri{Unknown, True}},
		transitions: []Transition{
			{Time: from, Direction: "ingress", What: "unprotected"},
			{Time: since.In(time.FixedZone("", 3600)), Direction: "egress", What: "exposed-to-internet", Object: "NetworkPolicy " + ns + "/open",
				User: user, ImpersonatedBy: "admin@" + user, Verb: "patch", AuditID: "a-1", Diff: diff, FirstSeen: true, Since: &earlier}},
		unknownWhy:  map[string]bool{why: true, "its labels are not in the trail": true},
		unprotSince: [2]*time.Time{&since, &to},
	}
}

// nonZero fails for each field of v, a struct, left at its zero value.
func nonZero(t *testing.T, what string, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("%s.%s is not set: the test would not see it lost", what, rv.Type().Field(i).Name)
		}
	}
}

// roundTrip writes a pod's record and reads it back.
func roundTrip(t *testing.T, p *pod, applied, services []string) []byte {
	t.Helper()
	rec := encodePod(nil, p, applied, services)
	back, gotApplied, gotServices, err := decodePod(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := endpointOf(p, applied, services)
	got := endpointOf(back, gotApplied, gotServices)
	finishRow(&want, []string{"at the end"})
	finishRow(&got, []string{"at the end"})
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("the row read back differs (-written +read):\n%s", d)
	}
	// What the engine takes up again besides the row.
	for _, c := range []struct {
		what      string
		want, got any
	}{{"cur", p.cur, back.cur}, {"acc", p.acc, back.acc}, {"lived", p.lived, back.lived}, {"inScope", p.inScope, back.inScope},
		{"unprotSince", p.unprotSince, back.unprotSince}, {"unknownWhy", p.unknownWhy, back.unknownWhy}} {
		if d := cmp.Diff(c.want, c.got, cmp.AllowUnexported(verdict{}, account{})); d != "" {
			t.Fatalf("%s read back differs (-written +read):\n%s", c.what, d)
		}
	}
	return rec
}

// Every field of a row, and every part of a pod the engine takes up again, reads back as
// written: a field left out of the record fails here.
func TestRecordKeepsEveryField(t *testing.T) {
	p := fullPod("shop", "web-0", "alice", "the spec of NetworkPolicy shop/x is not in the trail", time.Date(2026, 11, 2, 0, 0, 0, 5, time.UTC),
		90*time.Second+7, json.RawMessage(`[{"path":"spec","op":"changed"}]`))
	applied, services := []string{"allow-web", "deny"}, []string{"shop/api", "shop/web"}
	row := endpointOf(p, applied, services)
	finishRow(&row, nil)
	nonZero(t, "Endpoint", row)
	nonZero(t, "Transition", row.Transitions[1])
	roundTrip(t, p, applied, services)
}

// FuzzEndpointCodec: a pod's record reads back as written, any record cut short fails,
// and any bytes read as a record fail or read without a panic.
func FuzzEndpointCodec(f *testing.F) {
	f.Add("shop", "web-0", "alice", "why", int64(1764547200), int64(90e9), `{"a":1}`, false)
	f.Add("", "", "", "", int64(-62135596800), int64(0), "", true)
	f.Fuzz(func(t *testing.T, ns, name, user, why string, sec, d int64, diff string, nilDiff bool) {
		raw := json.RawMessage(diff)
		if nilDiff {
			raw = nil
		}
		from := time.Unix(sec%(1<<34), 0).UTC()
		p := fullPod(ns, name, user, why, from, time.Duration(d%(1<<50)), raw)
		rec := roundTrip(t, p, []string{user, why}, []string{ns + "/" + name})
		for _, cut := range []int{0, len(rec) / 3, len(rec) / 2, len(rec) - 1} {
			if _, _, _, err := decodePod(rec[:cut]); err == nil {
				t.Fatalf("a record cut at %d of %d bytes read without an error", cut, len(rec))
			}
		}
		decodePod([]byte(ns + name + user + why + diff))
	})
}
