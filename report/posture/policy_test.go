package posture

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// policySeeds are NetworkPolicies as the trail gives them: the sample logs' own, and specs
// with every peer, port and selector form, some of them wrong.
func policySeeds(tb testing.TB) [][]byte {
	tb.Helper()
	seeds := [][]byte{
		[]byte(`{"spec":{"podSelector":{}}}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},{"key":"x","operator":"DoesNotExist"}]},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}},{"namespaceSelector":{"matchLabels":{"team":"a"}},"podSelector":{}}],"ports":[{"port":8443,"protocol":"TCP"},{"port":"http","endPort":9000}]}],"egress":[{}]}}`),
		[]byte(`{"metadata":{"name":"x","creationTimestamp":"not a time"},"spec":{"podSelector":{"matchLabels":{"a":"b"}}}}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"a":1}}}}`),
		[]byte(`{"spec":{"policyTypes":"Ingress"}}`),
		[]byte(`{"spec":{"ingress":[{"ports":[{"port":{"a":1}}]}]}}`),
		[]byte(`{"spec":{"ingress":[{"ports":[{"port":1.5}]}]}}`),
		[]byte(`{"SPEC":{"PodSelector":{"MatchLabels":{"a":"b"}}}}`),
		[]byte(`{"spec":null}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"a":"b"}},"podSelector":{"matchLabels":{"c":"d"}}}}`),
		[]byte(`[]`),
	}
	logs, _ := filepath.Glob("../../testdata/logs/*/*.log")
	for _, name := range logs {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var ev struct {
				ObjectRef struct {
					Resource string `json:"resource"`
				} `json:"objectRef"`
				RequestObject, ResponseObject json.RawMessage
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.ObjectRef.Resource != "networkpolicies" {
				continue
			}
			for _, b := range []json.RawMessage{ev.RequestObject, ev.ResponseObject} {
				if len(b) > 0 {
					seeds = append(seeds, b)
				}
			}
		}
		f.Close()
	}
	return seeds
}

// decodeSpec gives what encoding/json gives: the same spec, or a refusal where it refuses.
func FuzzDecodeSpec(f *testing.F) {
	seeds := policySeeds(f)
	if len(seeds) < 20 {
		f.Fatalf("only %d NetworkPolicies among the seeds", len(seeds))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, gok := decodeSpec(raw)
		var want policySpec
		wok := json.Unmarshal(raw, &want) == nil
		if gok != wok {
			t.Fatalf("%.200q: decoded %v, encoding/json %v", raw, gok, wok)
		}
		if gok {
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%.200q: the spec differs from encoding/json's (-want +got):\n%s", raw, d)
			}
		}
	})
}

// A policy's matcher agrees with its selector's Matches on every pod: random selectors of
// every operator a podSelector can have, against random label sets.
func TestMatcherAgreesWithSelector(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys, values := []string{"app", "tier", "env", "team"}, []string{"a", "b", "c", ""}
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	compiled := 0
	for range 2000 {
		var ls metav1.LabelSelector
		for range rng.IntN(3) {
			if ls.MatchLabels == nil {
				ls.MatchLabels = map[string]string{}
			}
			ls.MatchLabels[pick(keys)] = pick(values)
		}
		for range rng.IntN(3) {
			e := metav1.LabelSelectorRequirement{Key: pick(keys), Operator: ops[rng.IntN(len(ops))]}
			if e.Operator == metav1.LabelSelectorOpIn || e.Operator == metav1.LabelSelectorOpNotIn {
				for range 1 + rng.IntN(3) {
					e.Values = append(e.Values, pick(values))
				}
			}
			ls.MatchExpressions = append(ls.MatchExpressions, e)
		}
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			t.Fatal(err)
		}
		p := &policy{known: true, selector: sel, match: compile(sel)}
		if p.match != nil {
			compiled++
		}
		for range 20 {
			var pod map[string]string
			for range rng.IntN(4) {
				if pod == nil {
					pod = map[string]string{}
				}
				pod[pick(keys)] = pick(values)
			}
			if got, want := p.matches(pod), sel.Matches(labels.Set(pod)); got != want {
				t.Fatalf("selector %q on labels %v: matcher %v, Matches %v", sel, pod, got, want)
			}
		}
	}
	if compiled != 2000 {
		t.Errorf("%d of 2000 selectors compiled", compiled)
	}
}
