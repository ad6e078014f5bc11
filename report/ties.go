package report

import (
	"strconv"

	"github.com/auditreport/auditreport/report/history"
)

// ties holds back the events of one timestamp, so that the events among them that write one
// object are applied in the order of the resourceVersions their responses carry. Exports
// that keep only a second or a millisecond of the time (GKE's among them) give one
// object's writes equal timestamps, and the merge would otherwise order them by file name.
type ties struct {
	run []decoded
}

// push adds an event and passes on, in order, those of earlier timestamps.
func (t *ties) push(d decoded, emit func(decoded)) {
	if len(t.run) > 0 && !d.at.Equal(t.run[0].at) {
		t.flush(emit)
	}
	t.run = append(t.run, d)
}

// flush passes on the held events.
func (t *ties) flush(emit func(decoded)) {
	if len(t.run) > 1 {
		orderByResourceVersion(t.run)
	}
	for _, d := range t.run {
		emit(d)
	}
	clear(t.run)
	t.run = t.run[:0]
}

// orderByResourceVersion reorders, among events of one instant, those of each object by the
// resourceVersion of their stored objects, in the places those events hold. Events without
// a numeric resourceVersion keep their place: resource versions are opaque outside etcd, and
// where they cannot be compared the merge's order stands.
func orderByResourceVersion(run []decoded) {
	byObject := map[history.Key][]int{}
	for i, d := range run {
		if resourceVersion(d) == 0 {
			continue
		}
		k := eventKey(d)
		byObject[k] = append(byObject[k], i)
	}
	for _, idx := range byObject {
		if len(idx) < 2 {
			continue
		}
		evs := make([]decoded, len(idx))
		for j, i := range idx {
			evs[j] = run[i]
		}
		// Insertion sort: runs are short, and it is stable.
		for a := 1; a < len(evs); a++ {
			for b := a; b > 0 && resourceVersion(evs[b]) < resourceVersion(evs[b-1]); b-- {
				evs[b], evs[b-1] = evs[b-1], evs[b]
			}
		}
		for j, i := range idx {
			run[i] = evs[j]
		}
	}
}

// eventKey names the object an event writes.
func eventKey(d decoded) history.Key {
	return history.KeyOf(d.ev.ObjectRef, d.resp)
}

// resourceVersion is the numeric resourceVersion of the stored object an event's response
// carries, 0 when there is none.
func resourceVersion(d decoded) uint64 {
	if d.ev.ObjectRef == nil {
		return 0
	}
	n, err := strconv.ParseUint(history.BodyString(d.resp, "metadata", "resourceVersion"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
