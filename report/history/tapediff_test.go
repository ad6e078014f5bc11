package history

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// mapDiff is what the tracker compared before tapes: both decoded, noise stripped, status
// left out unless asked for, then diff.
func mapDiff(d differ, a, b []byte, strip, status bool) (string, bool) {
	old, _ := Decode(a).(map[string]any)
	new, _ := Decode(b).(map[string]any)
	if old == nil || new == nil {
		return "", false
	}
	if strip {
		stripNoise(old)
		stripNoise(new)
	}
	if !status {
		old, new = withoutStatus(old), withoutStatus(new)
	}
	return diffText(d.diff(old, new)), true
}

// agreeTapes holds diffTapes to mapDiff on two documents, and leavesOnTape to leaves on
// each, for every choice of rules.
func agreeTapes(t *testing.T, a, b []byte) {
	t.Helper()
	var ta, tb jsonany.Tape
	if ta.Parse(a) != nil || tb.Parse(b) != nil || ta.Kind(ta.Root()) != jsonany.Object || tb.Kind(tb.Root()) != jsonany.Object {
		return
	}
	var keys []int32
	for _, redact := range []bool{false, true} {
		d := differ{redact: redact, paths: map[string]string{}}
		if redact {
			d.diffs = new([]FieldChange) // as the tracker's: one buffer for every diff
		}
		for _, strip := range []bool{false, true} {
			for _, status := range []bool{false, true} {
				for _, tp := range []*jsonany.Tape{&ta, &tb} {
					m, _ := Decode(tp.Raw(tp.Root())).(map[string]any)
					if strip {
						stripNoise(m)
					}
					if !status {
						m = withoutStatus(m)
					}
					want := diffText(d.leaves(m, OpAdded))
					if got := diffText(d.leavesOnTape(tp, strip, status, OpAdded, &keys)); got != want {
						t.Errorf("%s (strip %v, status %v, redact %v):\ntape's leaves:\n%s\nmap's:\n%s", tp.Raw(tp.Root()), strip, status, redact, got, want)
					}
				}
			}
		}
	}
	for _, redact := range []bool{false, true} {
		d := differ{redact: redact, paths: map[string]string{}}
		if redact {
			d.diffs = new([]FieldChange) // as the tracker's: one buffer for every diff
		}
		for _, strip := range []bool{false, true} {
			for _, status := range []bool{false, true} {
				want, ok := mapDiff(d, a, b, strip, status)
				if !ok {
					t.Fatalf("%s -> %s: the tapes parsed objects that Decode did not", a, b)
				}
				if got := diffText(d.diffTapes(&ta, &tb, strip, status, &keys)); got != want {
					t.Errorf("%s -> %s (strip %v, status %v, redact %v):\ntapes:\n%s\nmaps:\n%s", a, b, strip, status, redact, got, want)
				}
			}
		}
	}
}

var tapeCases = []struct{ old, new string }{
	{`{"a":1,"b":{"c":[1,2,3],"d":"x"}}`, `{"a":1,"b":{"c":[1,5],"d":"x","e":null}}`},
	{`{"spec":{"ingress":[{"ports":[{"port":80},{"port":81}]}]}}`, `{"spec":{"ingress":[{"ports":[{"port":80},{"port":443}]},{"from":[]}]}}`},
	{`{"a":[1,2]}`, `{"a":{"0":1}}`},
	{`{"a":{}}`, `{"a":[]}`},
	{`{"a":null}`, `{}`},
	{`{"a":1,"a":2}`, `{"a":2}`},
	{`{"b":1,"a":{"y":1,"x":2}}`, `{"a":{"x":3,"y":1},"b":2}`},
	{`{"k\u0061y":"v"}`, `{"kay":"w"}`},
	{`{"s":"caf\u00e9"}`, `{"s":"café"}`},
	{`{"n":1.0}`, `{"n":1}`},
	{`{"t":true,"f":false,"z":null}`, `{"t":false,"f":false,"z":0}`},
	{`{"metadata":{"name":"a","resourceVersion":"1","generation":1,"managedFields":[{"m":1}]},"spec":{"x":1}}`,
		`{"metadata":{"name":"a","resourceVersion":"2","generation":2,"managedFields":[{"m":2}]},"spec":{"x":2}}`},
	{`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}}`, `{"metadata":{"annotations":{"a":"b"}}}`},
	{`{"metadata":{"annotations":{}}}`, `{"metadata":{}}`},
	{`{"metadata":{"annotations":{"a":"1"}}}`, `{"metadata":{"annotations":{"a":"1","kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}"}}}`},
	{`{"metadata":{"annotations":{"a":"1"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"x"}}}`, `{"metadata":{}}`},
	{`{"metadata":"x"}`, `{"metadata":{"name":"a","resourceVersion":"3","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"x","b":"c"}}}`},
	{`{"metadata":{"name":"a","resourceVersion":"3"}}`, `{"metadata":null}`},
	{`{"metadata":{"annotations":"x"}}`, `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"x"}}}`},
	{`{"status":{"phase":"Pending"},"spec":{}}`, `{"status":{"phase":"Running"},"spec":{}}`},
	{`{"status":1}`, `{}`},
	{`{"spec":{"containers":[{"env":[{"name":"A","value":"s"}]}]}}`, `{"spec":{"containers":[{"env":[{"name":"A","value":"t"},{"name":"B","value":"u"}]}]}}`},
	{`{"spec":{"template":{"spec":{"containers":[{"env":[{"name":"A","value":"s"}]}]}}}}`, `{"spec":{}}`},
	{`{"a":[[1,[2,3]],4]}`, `{"a":[[1,[2,4]],4,5]}`},
	{`{"a":[{"b":1}]}`, `{"a":[]}`},
	{`{}`, `{"a":{"b":{"c":[1,{"d":null}]}}}`},
	{"{\"s\":\"\xff\"}", `{"s":"\ufffd"}`},
}

func TestTapeDiffAgrees(t *testing.T) {
	for _, tc := range tapeCases {
		agreeTapes(t, []byte(tc.old), []byte(tc.new))
		agreeTapes(t, []byte(tc.new), []byte(tc.old))
	}
}

// TestTapeDiffAgreesOnRealObjects compares every pair of consecutive objects the sample
// logs' responses hold of one kind: real objects, real noise, real status.
func TestTapeDiffAgreesOnRealObjects(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*/*.log")
	more, _ := filepath.Glob("../../testdata/logs/*/*/*.log")
	last := map[string][]byte{}
	pairs := 0
	for _, f := range append(files, more...) {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev struct {
				ResponseObject json.RawMessage `json:"responseObject"`
				RequestObject  json.RawMessage `json:"requestObject"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			for _, body := range []json.RawMessage{ev.ResponseObject, ev.RequestObject} {
				var head struct{ Kind string }
				if len(body) == 0 || json.Unmarshal(body, &head) != nil {
					continue
				}
				if prev := last[head.Kind]; prev != nil {
					agreeTapes(t, prev, body)
					pairs++
				}
				last[head.Kind] = body
			}
		}
		fh.Close()
	}
	if pairs < 200 {
		t.Fatalf("only %d pairs compared", pairs)
	}
}

func FuzzTapeDiff(f *testing.F) {
	for _, tc := range tapeCases {
		f.Add(tc.old, tc.new)
	}
	f.Fuzz(func(t *testing.T, a, b string) { agreeTapes(t, []byte(a), []byte(b)) })
}

// TestTapeDiffOwnsItsValues overwrites the bytes the tapes were parsed from, as the tracker
// does with the buffer it decompresses a state into, and as the reader does with a line: a
// diff made before must still say what it said. It fails when a value is left a view of
// the tapes.
func TestTapeDiffOwnsItsValues(t *testing.T) {
	a := []byte(`{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"replicas":1,"ports":[80,443],"note":"caf\u00e9"}}`)
	b := []byte(`{"metadata":{"labels":{"app":"api"}},"spec":{"replicas":3,"ports":[80],"note":"tea","extra":{"k":true}}}`)
	var keys []int32
	for _, pooled := range []bool{false, true} {
		d := differ{paths: map[string]string{}}
		if pooled {
			d.diffs = new([]FieldChange)
		}
		var ta, tb jsonany.Tape
		x, y := append([]byte(nil), a...), append([]byte(nil), b...)
		if ta.Parse(x) != nil || tb.Parse(y) != nil {
			t.Fatal("the documents do not parse")
		}
		diff, created := d.diffTapes(&ta, &tb, true, false, &keys), d.leavesOnTape(&tb, true, false, OpAdded, &keys)
		wantDiff, wantCreated := diffText(diff), diffText(created)
		if len(diff) == 0 || len(created) == 0 {
			t.Fatalf("no changes: %q, %q", wantDiff, wantCreated)
		}
		for i := range x {
			x[i] = 'x'
		}
		for i := range y {
			y[i] = 'y'
		}
		// Another diff reuses the pending buffer; the first two must not move.
		var tc jsonany.Tape
		if tc.Parse([]byte(`{"spec":{"replicas":9}}`)) != nil {
			t.Fatal("the third document does not parse")
		}
		d.leavesOnTape(&tc, true, false, OpAdded, &keys)
		if got := diffText(diff); got != wantDiff {
			t.Errorf("pooled %v: the diff changed with the bytes it was made from:\n%s\nwas:\n%s", pooled, got, wantDiff)
		}
		if got := diffText(created); got != wantCreated {
			t.Errorf("pooled %v: the created fields changed with the bytes they were read from:\n%s\nwas:\n%s", pooled, got, wantCreated)
		}
	}
}
