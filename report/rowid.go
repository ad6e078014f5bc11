package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// RowIDs gives every change and failed attempt its row ID (Change.ID): the short form of its
// auditID, 12 digits where two requests of the report share 8, and ".2", ".3", ... after the
// first row of a request that made several (a deletecollection, a namespace's removal).
// The same report gives the same IDs in every format.
func RowIDs(r *Report) {
	bases := map[string]map[string]bool{}
	see := func(auditID string) {
		b := ShortID(auditID, rowIDLength)
		if bases[b] == nil {
			bases[b] = map[string]bool{}
		}
		bases[b][auditID] = true
	}
	for _, res := range r.Resources {
		for _, c := range res.History {
			see(c.AuditID)
		}
	}
	for _, f := range r.FailedAttempts {
		see(f.AuditID)
	}
	id := func(auditID string) string {
		b := ShortID(auditID, rowIDLength)
		if len(bases[b]) > 1 {
			return ShortID(auditID, 12)
		}
		return b
	}
	rows := map[string]int{}
	for i := range r.Resources {
		for j := range r.Resources[i].History {
			c := &r.Resources[i].History[j]
			c.ID = id(c.AuditID)
			if rows[c.AuditID]++; rows[c.AuditID] > 1 {
				c.ID += fmt.Sprintf(".%d", rows[c.AuditID])
			}
		}
	}
	for i := range r.FailedAttempts {
		f := &r.FailedAttempts[i]
		f.ID = id(f.AuditID)
		if rows[f.AuditID]++; rows[f.AuditID] > 1 {
			f.ID += fmt.Sprintf(".%d", rows[f.AuditID])
		}
	}
}
