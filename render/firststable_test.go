package render

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	gocmp "github.com/google/go-cmp/cmp"
)

// firstStable keeps what a stable sort puts first, equal keys in their order, for any n.
func TestFirstStable(t *testing.T) {
	type kv struct{ Key, Order int }
	byKey := func(a, b kv) int { return cmp.Compare(a.Key, b.Key) }
	rnd := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		items := make([]kv, rnd.IntN(60))
		for i := range items {
			items[i] = kv{rnd.IntN(1 + trial%12), i}
		}
		sorted := slices.Clone(items)
		slices.SortStableFunc(sorted, byKey)
		for _, n := range []int{0, 1, 3, 20, len(items), len(items) + 5} {
			want := sorted[:min(n, len(sorted))]
			if d := gocmp.Diff(want, firstStable(slices.Clone(items), n, byKey), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("n=%d of %v (-stable sort +firstStable):\n%s", n, items, d)
			}
		}
	}
}

// firstStable returns the first n of items in the order a stable sort by cmp gives them,
// as the views' sections keep them.
func firstStable[T any](items []T, n int, cmp func(a, b T) int) []T {
	f := firstN[T]{n: n, cmp: cmp}
	for _, it := range items {
		f.add(it)
	}
	return f.top
}
