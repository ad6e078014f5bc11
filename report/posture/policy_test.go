package posture

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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
// every operator a podSelector can have, against random label sets. The pods live through
// the test, their words made while the vocab grows with the selectors, and are relabelled
// now and then, as the engine relabels them.
func TestMatcherAgreesWithSelector(t *testing.T) {
	g := randomLabels{rand.New(rand.NewPCG(1, 2))}
	v := newVocab(1)
	pods := make([]*pod, 20)
	for i := range pods {
		pods[i] = &pod{labels: g.labels()}
	}
	compiled := 0
	for range 2000 {
		p := g.policy(t, v)
		if p.match != nil {
			compiled++
		}
		relabelled := pods[g.rng.IntN(len(pods))]
		relabelled.labels, relabelled.wordsGen = g.labels(), 0
		for _, pod := range pods {
			if got, want := p.match.matches(v.wordsOf(pod)), p.selector.Matches(labels.Set(pod.labels)); got != want {
				t.Fatalf("selector %q on labels %v: matcher %v, Matches %v", p.selector, pod.labels, got, want)
			}
		}
	}
	if compiled != 2000 {
		t.Errorf("%d of 2000 selectors compiled", compiled)
	}
}

// A policy's change comes to every pod its old or new selector may select, once: the pods
// either selector matches, and those whose labels are unknown.
func TestSelectedBy(t *testing.T) {
	g := randomLabels{rand.New(rand.NewPCG(3, 4))}
	v := newVocab(1)
	for round := range 500 {
		lp := newLivePods()
		var pods []*pod
		for i := range 30 {
			p := &pod{name: fmt.Sprint(i), labels: g.labels(), labelsKnown: g.rng.IntN(10) > 0}
			lp.add(p)
			pods = append(pods, p)
		}
		var pols []*policy
		for range 1 + g.rng.IntN(2) {
			switch pol := g.policy(t, v); g.rng.IntN(8) {
			case 0:
				pols = append(pols, nil) // created or deleted
			case 1:
				pols = append(pols, &policy{}) // its spec not in the trail
			case 2:
				pols = append(pols, pol, pol) // the same selector before and after
			default:
				pols = append(pols, pol)
			}
		}
		seen := map[*pod]int{}
		for p := range lp.selectedBy(pols...) {
			seen[p]++
		}
		for _, p := range pods {
			if seen[p] > 1 {
				t.Fatalf("round %d: pod %s (labels %v) came %d times", round, p.name, p.labels, seen[p])
			}
			for _, pol := range pols {
				if pol != nil && pol.selects(p, v) != False && seen[p] == 0 {
					t.Fatalf("round %d: pod %s (labels %v, known %v) may be selected by %v but did not come", round, p.name, p.labels, p.labelsKnown, pol.selector)
				}
			}
		}
	}
}

// randomLabels makes label sets and the selectors of policies over a few keys and values, so
// that they often match.
type randomLabels struct{ rng *rand.Rand }

var (
	randomKeys   = []string{"app", "tier", "env", "team"}
	randomValues = []string{"a", "b", "c", ""}
)

func (g randomLabels) pick(l []string) string { return l[g.rng.IntN(len(l))] }

func (g randomLabels) labels() map[string]string {
	var l map[string]string
	for range g.rng.IntN(4) {
		if l == nil {
			l = map[string]string{}
		}
		l[g.pick(randomKeys)] = g.pick(randomValues)
	}
	return l
}

// policy is a known policy with a selector of every operator a podSelector can have.
func (g randomLabels) policy(t *testing.T, v *vocab) *policy {
	var ls metav1.LabelSelector
	for range g.rng.IntN(3) {
		if ls.MatchLabels == nil {
			ls.MatchLabels = map[string]string{}
		}
		ls.MatchLabels[g.pick(randomKeys)] = g.pick(randomValues)
	}
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	for range g.rng.IntN(3) {
		e := metav1.LabelSelectorRequirement{Key: g.pick(randomKeys), Operator: ops[g.rng.IntN(len(ops))]}
		if e.Operator == metav1.LabelSelectorOpIn || e.Operator == metav1.LabelSelectorOpNotIn {
			for range 1 + g.rng.IntN(3) {
				e.Values = append(e.Values, g.pick(randomValues))
			}
		}
		ls.MatchExpressions = append(ls.MatchExpressions, e)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		t.Fatal(err)
	}
	return &policy{known: true, selector: sel, match: compile(sel, v)}
}

// The vocab holds the words of the policies alive, not of every policy the period saw:
// policies that each name a label of their own, made and deleted by the thousand, leave it
// no larger than minVocab. A policy alive through its renewals still selects its pods.
func TestVocabFollowsLivePolicies(t *testing.T) {
	e, err := New(Options{Start: at(10), SpillAbove: -1})
	if err != nil {
		t.Fatal(err)
	}
	churn := func(from, n int) {
		for i := from; i < from+n; i++ {
			spec := fmt.Sprintf(`{"podSelector":{"matchLabels":{"run":"%d"}},"policyTypes":["Ingress"]}`, i)
			e.Observe(npU(0, "ci", "run", spec))
			e.Observe(gone(npU(0, "ci", "run", spec), 0, "ci"))
		}
	}
	churn(0, minVocab/2) // the web policy's words come after these
	e.Observe(npU(0, "shop", "web", `{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"]}`))
	churn(minVocab/2, 3*minVocab)
	if e.vocab.n > minVocab+2 {
		t.Errorf("the vocab holds %d words after %d policies of a label each came and went; want at most %d", e.vocab.n, 3*minVocab, minVocab+2)
	}
	e.Observe(podU(20, "shop", "web", `"app":"web"`))
	p := e.Finish()
	defer p.Close()
	if got := endpoint(t, p, "shop/web").IngressProtected; got != True {
		t.Errorf("a pod the web policy selects, created after the vocab was made again: ingress protected %s, want true", got)
	}
}

// A pod's applied policies are listed by name, whether it was selected by most of its
// namespace's policies or by a few, and whatever the numbers they were given in.
func TestAppliedNamesSorted(t *testing.T) {
	e, err := New(Options{SpillAbove: -1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var names []string
	for i := range 200 {
		name := fmt.Sprintf("np-%03d", rng.IntN(1000)) + fmt.Sprint(i)
		names = append(names, name)
		if id := e.policyID("shop", name); id != i {
			t.Fatalf("policy %s numbered %d, want %d", name, id, i)
		}
	}
	for _, ids := range [][]int{{7, 3, 150}, rng.Perm(200)[:150], {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, nil} {
		p := &pod{ns: "shop"}
		var want []string
		for _, id := range ids {
			e.setApplied(p, id)
			want = append(want, names[id])
		}
		slices.Sort(want)
		if got := e.appliedNames(p); !slices.Equal(got, want) || got == nil {
			t.Errorf("policies %v: listed %q, want %q", ids, got, want)
		}
	}
}
