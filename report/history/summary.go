package history

import (
	"cmp"
	"slices"
	"strings"

	"github.com/auditreport/auditreport/audit"
)

// tally counts the rows as they are recorded, so that the summary needs no second look at
// histories that may be on disk by the end. The counts add up as a reader reconciles them:
// a write that changed no field is a no-op, not a change, and a deletion that only set
// deletionTimestamp has its own column, so Created, Modified, Deleted and DeletionRequested
// of a kind sum to its Changes, and every column sums to the total of the same name.
type tally struct {
	sum    Counts
	kinds  map[Key]*KindSummary
	actors map[string]*ActorSummary
}

// Counts are the histories' part of a report's summary: the fields mean what the summary's
// fields of the same names do.
type Counts struct {
	Changes, SubresourceChanges, FailedAttempts, Objects int64
	DryRuns, UnknownBaseline, NoDiff, NoOp               int64
	// LostDeletions counts creates in the period of objects the trail shows existing with
	// no deletion since (createdAgain).
	LostDeletions     int64
	DeleteCollections int64
	// Unnamed counts the creates whose object's name the trail does not show: each made an
	// object, counted here and not among Objects, which counts the objects named.
	Unnamed int64

	Kinds  []KindSummary
	Actors []ActorSummary
	// Unknown counts the rows of each kind whose earlier state was not known, for coverage.
	Unknown map[audit.Kind]int64
}

func (t *tally) kind(group, resource, kind string) *KindSummary {
	k := Key{Group: group, Resource: resource}
	ks := t.kinds[k]
	if ks == nil {
		if t.kinds == nil {
			t.kinds = map[Key]*KindSummary{}
		}
		ks = &KindSummary{Kind: kind, Group: group, Resource: resource}
		t.kinds[k] = ks
	}
	if ks.Kind == "" {
		ks.Kind = kind
	}
	return ks
}

func (t *tally) actor(name string) *ActorSummary {
	if name == "" {
		name = "(not logged)"
	}
	a := t.actors[name]
	if a == nil {
		if t.actors == nil {
			t.actors = map[string]*ActorSummary{}
		}
		a = &ActorSummary{User: name}
		t.actors[name] = a
	}
	return a
}

// row counts one change to an object of res's kind.
func (t *tally) row(res *Resource, c *Change) {
	s := &t.sum
	ks := t.kind(res.Group, res.Resource, res.Kind)
	a := t.actor(c.Actor())
	if c.Baseline == BaselineUnknown {
		s.UnknownBaseline++
		if s.Unknown == nil {
			s.Unknown = map[audit.Kind]int64{}
		}
		s.Unknown[audit.Kind{Group: res.Group, Resource: res.Resource}]++
	}
	switch {
	case c.Class == ClassCollection:
		// A request, not a change to any object: the objects it removed have rows of
		// their own, counted as deleted.
		s.DeleteCollections++
		ks.DeleteCollections++
		a.DeleteCollections++
		return
	case c.Class == ClassSubresource:
		s.SubresourceChanges++
		ks.SubresourceChanges++
		a.SubresourceChanges++
		return
	case c.NoOp():
		s.NoOp++
		ks.NoOp++
		a.NoOp++
		return
	}
	s.Changes++
	ks.Changes++
	a.Changes++
	switch c.Action {
	case ActionCreated:
		ks.Created++
		if res.Name == "" {
			// Each unnamed create made an object of its own; all share the entry.
			s.Unnamed++
			ks.Unnamed++
		}
	case ActionModified:
		ks.Modified++
	case ActionDeleted, ActionFinalized, ActionCollection, ActionWithNamespace:
		ks.Deleted++
	case ActionDeletionRequested:
		ks.DeletionRequested++
	}
}

// tables puts the kinds and actors into the summary, in the order the reports show them:
// kinds by group and resource, actors with the most changes first.
func (t *tally) tables() {
	s := &t.sum
	for _, ks := range t.kinds {
		s.Kinds = append(s.Kinds, *ks)
	}
	slices.SortFunc(s.Kinds, func(a, b KindSummary) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.Resource, b.Resource))
	})
	for _, a := range t.actors {
		s.Actors = append(s.Actors, *a)
	}
	slices.SortFunc(s.Actors, func(a, b ActorSummary) int {
		return cmp.Or(cmp.Compare(b.Changes, a.Changes), cmp.Compare(b.FailedAttempts, a.FailedAttempts),
			cmp.Compare(b.SubresourceChanges, a.SubresourceChanges), strings.Compare(a.User, b.User))
	})
}
