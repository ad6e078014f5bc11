package audit

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lessRepeats is what an input counts once its repeats are taken away: what coverage counts.
func lessRepeats(in Input) (int64, map[Kind]*KindStats) {
	if in.Repeats == nil {
		return in.Events, in.Kinds
	}
	return in.Events - in.Repeats.Events, Less(in.Kinds, in.Repeats.Kinds)
}

// sumKinds adds up the inputs' counts, less their repeats.
func sumKinds(inputs []Input) (int64, map[Kind]*KindStats) {
	var n int64
	all := map[Kind]*KindStats{}
	for _, in := range inputs {
		e, kinds := lessRepeats(in)
		n += e
		for k, ks := range kinds {
			MergeKindStats(kindStats(&all, k), ks)
		}
	}
	for _, ks := range all {
		for v, n := range ks.Writes {
			if n == 0 {
				delete(ks.Writes, v)
			}
		}
		for v, n := range ks.Bodies {
			if n == 0 {
				delete(ks.Bodies, v)
			}
		}
	}
	return n, all
}

// Lines that copytruncate (or two exports) put in two inputs count once in the coverage
// counts, as in summary.events: the input first by name counts them, the other among its
// repeats, whatever order the inputs are given or read in.
func TestRepeatsCountOnce(t *testing.T) {
	one, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(one, []byte("\n"))
	half := len(lines) / 2
	// a.log holds the first two thirds, a.log.1 the last two thirds: a third in both.
	first := bytes.Join(lines[:2*half*2/3+1], nil)
	second := bytes.Join(lines[half*2/3:], nil)
	scope := NewScope(Kind{Resource: "pods"}, Kind{Resource: "namespaces"}, Kind{Resource: "serviceaccounts"}, Kind{Resource: "endpoints"}, Kind{Group: "networking.k8s.io", Resource: "networkpolicies"})
	opts := Options{Scope: scope, WritesOnly: true}
	_, whole, m := readAll(t, opts, ReaderSource("whole.log", bytes.NewReader(one)))
	wantN, wantKinds := sumKinds(whole)
	if wantN != m.Events {
		t.Fatalf("one file: %d events counted, merge counted %d", wantN, m.Events)
	}
	for _, order := range [][2]string{{"a.log", "a.log.1"}, {"a.log.1", "a.log"}} {
		srcs := map[string][]byte{"a.log": first, "a.log.1": second}
		_, inputs, m := readAll(t, opts, ReaderSource(order[0], bytes.NewReader(srcs[order[0]])), ReaderSource(order[1], bytes.NewReader(srcs[order[1]])))
		n, kinds := sumKinds(inputs)
		if n != wantN || m.Events != wantN {
			t.Errorf("%v: %d events less repeats, %d by the merge; want %d", order, n, m.Events, wantN)
		}
		if d := cmp.Diff(wantKinds, kinds); d != "" {
			t.Errorf("%v: per-kind counts less repeats differ from one file's (-want +got):\n%s", order, d)
		}
		for _, in := range inputs {
			if in.Source == "a.log" && in.Repeats != nil {
				t.Errorf("%v: a.log comes first by name and repeats nothing, yet %+v", order, in.Repeats)
			}
			if in.Source == "a.log.1" && (in.Repeats == nil || in.Repeats.Events == 0 || len(in.Repeats.Kinds) == 0) {
				t.Errorf("%v: a.log.1 holds a third of a.log's lines but counts no repeat", order)
			}
		}
	}
	// The same line twice in one file counts once.
	_, inputs, _ := readAll(t, opts, ReaderSource("twice.log", bytes.NewReader(append(append([]byte{}, one...), one...))))
	if n, kinds := sumKinds(inputs); n != wantN || cmp.Diff(wantKinds, kinds) != "" {
		t.Errorf("a file holding its lines twice: %d events less repeats, want %d; kinds %s", n, wantN, cmp.Diff(wantKinds, kinds))
	}
}
