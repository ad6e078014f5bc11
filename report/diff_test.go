package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Pruning equal parts before go-cmp must not change the diff.
func TestPruneKeepsTheDiff(t *testing.T) {
	cases := []struct{ old, new string }{
		{`{"a":1,"b":{"c":[1,2,3],"d":"x"}}`, `{"a":1,"b":{"c":[1,5],"d":"x","e":null}}`},
		{`{"spec":{"ingress":[{"ports":[{"port":80},{"port":81}]}]}}`, `{"spec":{"ingress":[{"ports":[{"port":80},{"port":443}]},{"from":[]}]}}`},
		{`{"a":[1,2]}`, `{"a":{"0":1}}`},
		{`{"a":{}}`, `{"a":[]}`},
		{`{"a":null}`, `{}`},
		{`{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}`, `{"metadata":{"labels":{"app.kubernetes.io/name":"api","x":"1"}}}`},
		{`{"a":[[1,[2,3]],4]}`, `{"a":[[1,[2,4]],4,5]}`},
		{`{"a":1}`, `{"a":1}`},
	}
	d := differ{}
	for _, tc := range cases {
		old, new := decodeObject([]byte(tc.old)), decodeObject([]byte(tc.new))
		r := &reporter{d: d}
		cmp.Equal(old, new, indexed, cmp.Reporter(r))
		if got, want := diffText(d.diff(old, new)), diffText(r.out); got != want {
			t.Errorf("%s -> %s:\npruned:\n%s\nwhole:\n%s", tc.old, tc.new, got, want)
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

// FuzzDiff checks, on any pair of JSON documents, that the pruned diff equals go-cmp's whole
// walk and that applying nothing twice gives no diff.
func FuzzDiff(f *testing.F) {
	f.Add(`{"a":1,"b":{"c":[1,2,3],"d":"x"}}`, `{"a":1,"b":{"c":[1,5],"d":"x","e":null}}`)
	f.Add(`{"spec":{"containers":[{"env":[{"name":"A","value":"s"}]}]}}`, `{"spec":{"containers":[{"env":[{"name":"A","value":"t"}]}]}}`)
	f.Add(`[1,{"a":[]}]`, `[1,{"a":{}}]`)
	f.Fuzz(func(t *testing.T, a, b string) {
		old, new := decodeObject([]byte(a)), decodeObject([]byte(b))
		if old == nil || new == nil {
			return
		}
		d := differ{redact: true}
		r := &reporter{d: d}
		cmp.Equal(old, new, indexed, cmp.Reporter(r))
		if got, want := diffText(d.diff(old, new)), diffText(r.out); got != want {
			t.Errorf("pruned:\n%s\nwhole:\n%s", got, want)
		}
		if len(d.diff(old, old)) != 0 {
			t.Errorf("a value differs from itself")
		}
	})
}
