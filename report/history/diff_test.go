package history

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// The differ walked values with go-cmp, lists compared by index through a transformer, a
// reporter collecting the differing leaves. It is kept here as the reference the direct
// walk must agree with.
var indexed = cmp.Transformer("indexed", func(s []any) map[int]any {
	m := make(map[int]any, len(s))
	for i, v := range s {
		m[i] = v
	}
	return m
})

type reporter struct {
	d    differ
	path cmp.Path
	out  []FieldChange
}

func (r *reporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *reporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *reporter) Report(res cmp.Result) {
	if res.Equal() {
		return
	}
	var steps []step
	for _, ps := range r.path {
		mi, ok := ps.(cmp.MapIndex)
		if !ok {
			continue
		}
		k := mi.Key()
		if k.Kind() == reflect.Int {
			steps = append(steps, step{index: int(k.Int()), isIndex: true})
		} else {
			steps = append(steps, step{key: k.String()})
		}
	}
	vx, vy := r.path.Last().Values()
	var x, y any
	if vx.IsValid() {
		x = vx.Interface()
	}
	if vy.IsValid() {
		y = vy.Interface()
	}
	var out []FieldChange
	r.d.change(&out, steps, x, y, vx.IsValid(), vy.IsValid())
	r.out = append(r.out, out...)
}

// TestDiffAgreesWithGoCmp: the direct walk gives what go-cmp's walk gave.
func TestDiffAgreesWithGoCmp(t *testing.T) {
	cases := []struct{ old, new string }{
		{`{"a":1,"b":{"c":[1,2,3],"d":"x"}}`, `{"a":1,"b":{"c":[1,5],"d":"x","e":null}}`},
		{`{"spec":{"ingress":[{"ports":[{"port":80},{"port":81}]}]}}`, `{"spec":{"ingress":[{"ports":[{"port":80},{"port":443}]},{"from":[]}]}}`},
		{`{"a":[1,2]}`, `{"a":{"0":1}}`},
		{`{"a":{}}`, `{"a":[]}`},
		{`{"a":null}`, `{}`},
		{`{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}`, `{"metadata":{"labels":{"app.kubernetes.io/name":"api","x":"1"}}}`},
		{`{"a":[[1,[2,3]],4]}`, `{"a":[[1,[2,4]],4,5]}`},
		{`{"a":1}`, `{"a":1}`},
		{`null`, `{"a":1,"b":[2]}`},
		{`{"a":[1]}`, `null`},
		{`{"a":{"b":1}}`, `{"a":"x"}`},
		{`{"a":[]}`, `{"a":[1,2]}`},
	}
	d := differ{}
	for _, tc := range cases {
		old, new := Decode([]byte(tc.old)), Decode([]byte(tc.new))
		r := &reporter{d: d}
		cmp.Equal(old, new, indexed, cmp.Reporter(r))
		if got, want := diffText(d.diff(old, new)), diffText(r.out); got != want {
			t.Errorf("%s -> %s:\nwalk:\n%s\ngo-cmp:\n%s", tc.old, tc.new, got, want)
		}
	}
}

func TestPathFormat(t *testing.T) {
	steps := []step{{key: "metadata"}, {key: "labels"}, {key: "app.kubernetes.io/name"}}
	if got := formatPath(steps); got != `metadata.labels["app.kubernetes.io/name"]` {
		t.Errorf("got %s", got)
	}
	steps = []step{{key: "spec"}, {key: "ingress"}, {index: 0, isIndex: true}, {key: "ports"}, {index: 1, isIndex: true}, {key: "port"}}
	if got := formatPath(steps); got != "spec.ingress[0].ports[1].port" {
		t.Errorf("got %s", got)
	}
}

// FuzzDiff checks, on any pair of JSON documents, that the direct walk equals go-cmp's walk
// and that applying nothing twice gives no diff.
func FuzzDiff(f *testing.F) {
	f.Add(`{"a":1,"b":{"c":[1,2,3],"d":"x"}}`, `{"a":1,"b":{"c":[1,5],"d":"x","e":null}}`)
	f.Add(`{"spec":{"containers":[{"env":[{"name":"A","value":"s"}]}]}}`, `{"spec":{"containers":[{"env":[{"name":"A","value":"t"}]}]}}`)
	f.Add(`[1,{"a":[]}]`, `[1,{"a":{}}]`)
	f.Fuzz(func(t *testing.T, a, b string) {
		old, new := Decode([]byte(a)), Decode([]byte(b))
		if old == nil || new == nil {
			return
		}
		d := differ{redact: true}
		r := &reporter{d: d}
		cmp.Equal(old, new, indexed, cmp.Reporter(r))
		if got, want := diffText(d.diff(old, new)), diffText(r.out); got != want {
			t.Errorf("walk:\n%s\ngo-cmp:\n%s", got, want)
		}
		if len(d.diff(old, old)) != 0 {
			t.Errorf("a value differs from itself")
		}
	})
}

// TestSimpleKey: the keys written as .key are those the regular expression of the path
// syntax matches, and only those.
func TestSimpleKey(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	for _, k := range []string{"", "a", "A", "_", "-", "0", "a0", "a-b_c", "0a", "-a", "app.kubernetes.io/name", "a b", "é", "a\x00", "ports", "x-", "Z9"} {
		if got, want := simpleKey(k), re.MatchString(k); got != want {
			t.Errorf("simpleKey(%q) = %v, the path syntax says %v", k, got, want)
		}
	}
}

// TestRedact: the values redact hides are an env entry's value and the last applied
// configuration, wherever they are, and nothing beside them; the input is left as it was.
func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"spec":{"containers":[{"env":[{"name":"A","value":"s1"},{"name":"B","value":"s2","x":{"value":"kept"}}],"value":"kept"},{"env":[{"name":"C","value":"s3"}]}]}}`,
			`{"spec":{"containers":[{"env":[{"name":"A","value":"<redacted>"},{"name":"B","value":"<redacted>","x":{"value":"kept"}}],"value":"kept"},{"env":[{"name":"C","value":"<redacted>"}]}]}}`},
		{`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","a":"kept"},"labels":{"value":"kept"}}}`,
			`{"metadata":{"annotations":{"a":"kept","kubectl.kubernetes.io/last-applied-configuration":"<redacted>"},"labels":{"value":"kept"}}}`},
		{`[{"env":[{"value":"s"}]},{"env":{"value":"kept"}},[{"env":[{"value":null}]}]]`,
			`[{"env":[{"value":"<redacted>"}]},{"env":{"value":"kept"}},[{"env":[{"value":null}]}]]`},
		{`{"env":[{"value":{"a":[1,2]}},{"value":[{"value":"x"}]}]}`, `{"env":[{"value":"<redacted>"},{"value":"<redacted>"}]}`},
	}
	for _, c := range cases {
		v := Decode([]byte(c.in))
		got, err := jsonany.Append(nil, Redact(v))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("Redact(%s):\n got %s\nwant %s", c.in, got, c.want)
		}
		if again, _ := jsonany.Append(nil, v); string(again) != string(mustCompact(t, c.in)) {
			t.Errorf("Redact changed its input: %s", again)
		}
	}
}

func mustCompact(t *testing.T, s string) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := jsonany.Append(nil, v)
	return b
}
