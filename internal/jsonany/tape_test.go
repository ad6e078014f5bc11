package jsonany

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fromTape builds the value of node i from what the tape says of it alone: kinds, keys,
// strings, numbers as written.
func fromTape(tp *Tape, i int) any {
	switch tp.Kind(i) {
	case Object:
		m := map[string]any{}
		for c := tp.First(i); c < tp.End(i); c = tp.Next(c) {
			m[tp.Key(c)] = fromTape(tp, c)
		}
		if len(m) > 0 && tp.Len(i) == 0 {
			panic("Len")
		}
		return m
	case Array:
		a := []any{}
		for c := tp.First(i); c < tp.End(i); c = tp.Next(c) {
			a = append(a, fromTape(tp, c))
		}
		return a
	case String:
		return tp.Str(i)
	case Number:
		return json.Number(tp.Raw(i))
	case True:
		return true
	case False:
		return false
	}
	return nil
}

// agreeTape holds a Tape to Decode: the same inputs rejected, the same value read.
func agreeTape(t *testing.T, in []byte) {
	t.Helper()
	want, werr := Decode(in)
	var tp Tape
	terr := tp.Parse(in)
	if (werr != nil) != (terr != nil) {
		t.Fatalf("%q: Decode error %v, Tape error %v", in, werr, terr)
	}
	if werr != nil {
		return
	}
	got := fromTape(&tp, tp.Root())
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%q: values differ (-Decode +Tape)\n%s", in, cmp.Diff(want, got))
	}
	if v, err := tp.Value(tp.Root()); err != nil || !reflect.DeepEqual(v, want) {
		t.Fatalf("%q: Value gives %v, %v", in, v, err)
	}
}

func TestTapeMember(t *testing.T) {
	var tp Tape
	if err := tp.Parse([]byte(`{"kind":"Pod","metadata":{"name":"a","uid":"u","n\u0061me":"b"},"spec":{"finalizers":[1,2]}}`)); err != nil {
		t.Fatal(err)
	}
	if got := tp.Str(tp.Path(tp.Root(), "metadata", "name")); got != "b" {
		t.Errorf("metadata.name %q, want the last of a repeated key, as Decode keeps it", got)
	}
	if got := tp.Str(tp.Member(tp.Root(), "kind")); got != "Pod" {
		t.Errorf("kind %q", got)
	}
	if i := tp.Path(tp.Root(), "spec", "finalizers"); i < 0 || tp.Len(i) != 2 {
		t.Errorf("spec.finalizers: node %d", i)
	}
	if i := tp.Path(tp.Root(), "spec", "nothing"); i != -1 {
		t.Errorf("a missing key: node %d", i)
	}
	if i := tp.Path(tp.Root(), "kind", "x"); i != -1 {
		t.Errorf("a key of a string: node %d", i)
	}
}
