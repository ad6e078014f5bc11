package posture

import (
	"k8s.io/apimachinery/pkg/selection"
)

// livePods indexes the pods alive in one namespace by label, so that a policy's change
// brings up to date only the pods its selectors can match, not every pod of its namespace
// (a busy namespace holds thousands; the dead are not followed at all).
type livePods struct {
	all map[*pod]struct{}
	// byLabel holds the pods with a label, by labelKey.
	byLabel map[string]map[*pod]struct{}
	// unknown holds the pods whose labels the trail does not show: any selector may match.
	unknown map[*pod]struct{}
}

func newLivePods() *livePods {
	return &livePods{all: map[*pod]struct{}{}, byLabel: map[string]map[*pod]struct{}{}, unknown: map[*pod]struct{}{}}
}

// labelKey joins a label with a byte no label key may hold.
func labelKey(k, v string) string { return k + "\x00" + v }

func (lp *livePods) add(p *pod) {
	lp.all[p] = struct{}{}
	if !p.labelsKnown {
		lp.unknown[p] = struct{}{}
		return
	}
	for k, v := range p.labels {
		set := lp.byLabel[labelKey(k, v)]
		if set == nil {
			set = map[*pod]struct{}{}
			lp.byLabel[labelKey(k, v)] = set
		}
		set[p] = struct{}{}
	}
}

// remove takes a pod out; labels are those it was added with.
func (lp *livePods) remove(p *pod, labels map[string]string) {
	delete(lp.all, p)
	delete(lp.unknown, p)
	for k, v := range labels {
		if set := lp.byLabel[labelKey(k, v)]; set != nil {
			delete(set, p)
			if len(set) == 0 {
				delete(lp.byLabel, labelKey(k, v))
			}
		}
	}
}

// everyPod is every pod alive in the namespace (none for a nil index).
func (lp *livePods) everyPod() map[*pod]struct{} {
	if lp == nil {
		return nil
	}
	return lp.all
}

// selectedBy is a superset of the pods the policies' selectors match: through the
// narrowest equality requirement of each selector, and the pods whose labels are unknown.
// A policy whose spec is unknown, or whose selector has no equality requirement, may
// match any pod.
func (lp *livePods) selectedBy(pols ...*policy) map[*pod]struct{} {
	if lp == nil {
		return nil
	}
	var sets []map[*pod]struct{}
	for _, pol := range pols {
		if pol == nil {
			continue
		}
		if !pol.known {
			return lp.all
		}
		set, ok := lp.narrowest(pol)
		if !ok {
			return lp.all
		}
		sets = append(sets, set)
	}
	out := make(map[*pod]struct{}, len(lp.unknown))
	for p := range lp.unknown {
		out[p] = struct{}{}
	}
	for _, set := range sets {
		for p := range set {
			out[p] = struct{}{}
		}
	}
	return out
}

// narrowest finds the smallest set of pods one of the selector's equality (or set-based
// "in") requirements allows; false when it has none.
func (lp *livePods) narrowest(pol *policy) (map[*pod]struct{}, bool) {
	reqs, selectable := pol.selector.Requirements()
	if !selectable || len(reqs) == 0 {
		return nil, false
	}
	var best map[*pod]struct{}
	found := false
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
		default:
			continue
		}
		set := map[*pod]struct{}{}
		for v := range r.Values() {
			for p := range lp.byLabel[labelKey(r.Key(), v)] {
				set[p] = struct{}{}
			}
		}
		if !found || len(set) < len(best) {
			best, found = set, true
		}
	}
	return best, found
}
