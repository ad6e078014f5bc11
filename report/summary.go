package report

import (
	"cmp"
	"slices"
	"strings"
)

// settle makes the per-kind and per-actor counts add up to the totals as a reader reconciles
// them: a write that changed no field is a no-op, not a change, and a deletion that only set
// deletionTimestamp has its own column, so Created, Modified, Deleted and DeletionRequested
// of a kind sum to its Changes, and every column sums to the total of the same name.
func settle(s *Summary, resources []Resource) {
	kinds := map[[2]string]*KindSummary{}
	for i := range s.Kinds {
		kinds[[2]string{s.Kinds[i].Group, s.Kinds[i].Resource}] = &s.Kinds[i]
	}
	actors := map[string]*ActorSummary{}
	for i := range s.Actors {
		actors[s.Actors[i].User] = &s.Actors[i]
	}
	actor := func(c *Change) *ActorSummary {
		name := c.Actor()
		if name == "" {
			name = "(not logged)"
		}
		return actors[name]
	}
	for _, r := range resources {
		ks := kinds[[2]string{r.Group, r.Resource}]
		for j := range r.History {
			c := &r.History[j]
			switch {
			case c.NoOp():
				s.Changes--
				s.NoOp++
				if ks != nil {
					ks.Changes--
					ks.Modified--
					ks.NoOp++
				}
				if a := actor(c); a != nil {
					a.Changes--
					a.NoOp++
				}
			case c.Class != ClassConfiguration:
			case c.Action == ActionDeletionRequested && ks != nil:
				ks.DeletionRequested++
			case c.Action == ActionDeleteCollection && ks != nil:
				// The request on a collection: a deletion, whichever objects it removed.
				ks.Deleted++
			}
		}
	}
	// Most changes first, as before the no-ops were taken out.
	slices.SortStableFunc(s.Actors, func(a, b ActorSummary) int {
		return cmp.Or(cmp.Compare(b.Changes, a.Changes), cmp.Compare(b.FailedAttempts, a.FailedAttempts),
			cmp.Compare(b.SubresourceChanges, a.SubresourceChanges), strings.Compare(a.User, b.User))
	})
}
