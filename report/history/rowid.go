package history

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/auditreport/auditreport/internal/spill"
)

// rowIDLength is how many hex digits of the auditID's SHA-256 a row ID has: 8 are easy to
// read out and type; two requests of one report that share them get longer IDs.
const rowIDLength = 8

// ShortID is the short form of an auditID: the first hex digits of its SHA-256, so that IDs
// are spread evenly whatever the auditIDs look like (UUIDs, or a tool's own counters).
func ShortID(auditID string, digits int) string {
	sum := sha256.Sum256([]byte(auditID))
	return hex.EncodeToString(sum[:])[:digits]
}

// rowKey is the first 64 bits of an auditID's SHA-256: its row ID's digits, and, for
// telling requests apart, the request (two auditIDs share it with a chance of one in 2^64).
func rowKey(auditID string) uint64 {
	sum := sha256.Sum256([]byte(auditID))
	return binary.BigEndian.Uint64(sum[:8])
}

// rowIDs is what a row's ID depends on beyond its auditID: whether another request of the
// report shares its 8 digits, and its rank among the rows of a request that made several.
type rowIDs struct {
	long map[uint32]bool // the first 32 bits of keys two requests share
	rank map[rowPos]int  // 2, 3, ... for the rows after a request's first
}

// rowPos is a row's place: its resource's index and its own; failed attempts have
// resource -1.
type rowPos struct{ res, row int }

func (ids *rowIDs) id(auditID string, res, row int) string {
	sum := sha256.Sum256([]byte(auditID))
	digits := rowIDLength
	if ids.long[binary.BigEndian.Uint32(sum[:4])] {
		digits = 12
	}
	id := hex.EncodeToString(sum[:digits/2])
	if n := ids.rank[rowPos{res, row}]; n > 1 {
		id += "." + strconv.Itoa(n)
	}
	return id
}

// assignRowIDs gives every change and failed attempt its row ID (Change.ID): the short
// form of its auditID, 12 digits where two requests of the report share 8, and ".2", ".3",
// ... after the first row of a request that made several (a deletecollection, a
// namespace's removal). The same report gives the same IDs in every format. Spilled
// histories get theirs as they are read back (Resource.Changes).
func (t *Tracker) assignRowIDs(resources []Resource, failed []FailedAttempt) error {
	// Every row's key, in the report's order; sorted, they tell the shared digits and the
	// requests of several rows without a map of every auditID.
	var keys []uint64
	spilledKeys := func(s *spill.Store, l *spill.List) error {
		return s.Walk(l, func(rec []byte) error {
			id, err := auditIDOf(rec)
			keys = append(keys, rowKey(id))
			return err
		})
	}
	for i := range resources {
		res := &resources[i]
		if res.rows == nil {
			for j := range res.History {
				keys = append(keys, rowKey(res.History[j].AuditID))
			}
			continue
		}
		if err := spilledKeys(res.rows.store, res.list); err != nil {
			return err
		}
	}
	for _, f := range failed {
		keys = append(keys, rowKey(f.AuditID))
	}
	if t.rows.FailedLen() > 0 {
		if err := spilledKeys(t.rows.store, t.rows.failed); err != nil {
			return err
		}
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	ids := &rowIDs{long: map[uint32]bool{}, rank: map[rowPos]int{}}
	several := map[uint64]int{}
	for k := 1; k < len(sorted); k++ {
		a, b := sorted[k-1], sorted[k]
		switch {
		case a == b:
			several[a] = 0
		case a>>32 == b>>32:
			ids.long[uint32(a>>32)] = true
		}
	}
	sorted = nil
	at := 0
	rank := func(pos rowPos) {
		if n, ok := several[keys[at]]; ok {
			several[keys[at]] = n + 1
			if n > 0 {
				ids.rank[pos] = n + 1
			}
		}
		at++
	}
	for i := range resources {
		res := &resources[i]
		for j := range res.Len() {
			rank(rowPos{i, j})
		}
	}
	for j := range len(failed) + t.rows.FailedLen() {
		rank(rowPos{-1, j})
	}
	for i := range resources {
		res := &resources[i]
		res.index = i
		if res.rows != nil {
			continue
		}
		for j := range res.History {
			c := &res.History[j]
			c.ID = ids.id(c.AuditID, i, j)
		}
	}
	for j := range failed {
		f := &failed[j]
		f.ID = ids.id(f.AuditID, -1, j)
	}
	if t.rows != nil {
		t.rows.ids = ids
	}
	return nil
}
