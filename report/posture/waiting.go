package posture

import (
	"hash/maphash"
	"maps"
	"slices"

	"github.com/auditreport/auditreport/internal/binrec"
	"github.com/auditreport/auditreport/internal/spill"
)

// Services name pods the engine does not hold: pods alive since before the trail and not
// written in it yet, or never seen at all. Their services wait in Engine.services for the
// pod to appear; once pods go to disk, past waitingAbove of them they go there too, in a
// segment found again by the hashes of the pods' names, so that names that never become a
// pod cost eight bytes each rather than their entry.

// waitingAbove is how many pods named by services wait in memory before they go to disk.
const waitingAbove = 1 << 14

// segment is the services of waiting pods written out at once.
type segment struct {
	list   spill.List
	hashes []uint64 // of the pods' namespace/name, sorted
}

// waiting counts a pod the engine does not hold newly named by a service.
func (e *Engine) waiting(key string) {
	if e.waitingN++; e.waitingN <= waitingAbove || !e.spilling {
		return
	}
	e.waitingN = 0
	var seg segment
	e.block = e.block[:0]
	for key, services := range e.services {
		if e.pods[key] != nil {
			continue
		}
		e.rec = binrec.AppendStrings(binrec.AppendString(e.rec[:0], key), services)
		e.block = spill.AppendRecord(e.block, e.rec)
		seg.hashes = append(seg.hashes, maphash.String(e.seed, key))
		delete(e.services, key)
	}
	if len(seg.hashes) == 0 {
		return
	}
	e.store.Append(&seg.list, e.block, len(seg.hashes))
	slices.Sort(seg.hashes)
	e.segments = append(e.segments, seg)
	// A map keeps the room it once needed (maps.Clone too): what stays moves to one of
	// its own size.
	services := make(map[string][]string, len(e.services))
	maps.Copy(services, e.services)
	e.services = services
}

// claimServices gives a pod that appears the services that named it while it waited on
// disk.
func (e *Engine) claimServices(key string) {
	h := maphash.String(e.seed, key)
	for i := range e.segments {
		seg := &e.segments[i]
		if _, found := slices.BinarySearch(seg.hashes, h); !found || e.store.Seal() != nil {
			continue
		}
		err := e.store.Each(&seg.list, func(rec []byte) bool {
			r := binrec.NewReader(rec)
			if r.Str() != key {
				return true
			}
			services := r.Strings()
			if err := r.Err(); err != nil {
				e.store.Fail(err)
				return false
			}
			for _, svc := range services {
				e.services[key] = insertSorted(e.services[key], svc)
			}
			return true
		})
		if err != nil {
			e.store.Fail(err)
		}
	}
}
