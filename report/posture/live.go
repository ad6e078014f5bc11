package posture

import (
	"iter"
	"slices"

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

// selectedBy yields, once each, a superset of the pods the policies' selectors match:
// through the narrowest equality requirement of each selector, and the pods whose labels
// are unknown. A policy whose spec is unknown, or whose selector has no equality
// requirement, may match any pod. The index's own sets are read, not copied: a policy's
// change in a busy namespace comes up to thousands of pods.
func (lp *livePods) selectedBy(pols ...*policy) iter.Seq[*pod] {
	return func(yield func(*pod) bool) {
		if lp == nil {
			return
		}
		var sets []labelSet
		for _, pol := range pols {
			if pol == nil {
				continue
			}
			narrow, ok := lp.narrowest(pol)
			if !pol.known || !ok {
				for p := range lp.all {
					if !yield(p) {
						return
					}
				}
				return
			}
			for _, s := range narrow {
				if !slices.ContainsFunc(sets, func(o labelSet) bool { return o.key == s.key }) {
					sets = append(sets, s)
				}
			}
		}
		for p := range lp.unknown {
			if !yield(p) {
				return
			}
		}
		for i, s := range sets {
		pods:
			for p := range s.pods {
				for _, before := range sets[:i] {
					if _, seen := before.pods[p]; seen {
						continue pods
					}
				}
				if !yield(p) {
					return
				}
			}
		}
	}
}

// labelSet is the pods that hold one label (labelKey).
type labelSet struct {
	key  string
	pods map[*pod]struct{}
}

// narrowest finds the smallest sets of pods one of the selector's equality (or set-based
// "in") requirements allows, one set per value; false when it has none.
func (lp *livePods) narrowest(pol *policy) ([]labelSet, bool) {
	if !pol.known {
		return nil, false
	}
	reqs, selectable := pol.selector.Requirements()
	if !selectable || len(reqs) == 0 {
		return nil, false
	}
	var best []labelSet
	bestSize, found := 0, false
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
		default:
			continue
		}
		var sets []labelSet
		size := 0
		for v := range r.Values() {
			key := labelKey(r.Key(), v)
			if pods := lp.byLabel[key]; len(pods) > 0 {
				sets = append(sets, labelSet{key: key, pods: pods})
				size += len(pods)
			}
		}
		if !found || size < bestSize {
			best, bestSize, found = sets, size, true
		}
	}
	return best, found
}
