package posture

import (
	"errors"
	"iter"
	"slices"
	"strings"

	"github.com/auditreport/auditreport/internal/spill"
)

// A long period sees far more pods than are alive at once: once the pods gone hold more
// than a budget (Options.SpillAbove), each is written to a spill store in the temporary
// folder (Options.TmpDir) as it goes, folded into the counts, namespaces and services, and
// forgotten but for its name and place; the renderers read the rows back in order (Rows).

// DefaultSpillAbove is how many bytes of pods gone the engine holds before they go to disk.
const DefaultSpillAbove = 8 << 20

// endpointRows are a posture's rows on disk, in their order.
type endpointRows struct {
	store *spill.Store
	lists []spill.List
	// unknownWhy says, per namespace, why verdicts were unknown at the end of the period:
	// a row whose protection is unknown lists it too.
	unknownWhy map[string][]string
}

// Rows yields the endpoints in order. An endpoint yielded is the caller's to keep. An
// error reading rows back from disk stops the iteration; Err says what it was.
func (p *Posture) Rows() iter.Seq2[int, *Endpoint] {
	return func(yield func(int, *Endpoint) bool) {
		if p.rows == nil {
			for i := range p.Endpoints {
				if !yield(i, &p.Endpoints[i]) {
					return
				}
			}
			return
		}
		st := p.rows.store
		for i := range p.rows.lists {
			var row Endpoint
			err := st.Each(&p.rows.lists[i], func(rec []byte) bool {
				pd, applied, services, err := decodePod(rec)
				if err != nil {
					st.Fail(err)
					return false
				}
				row = endpointOf(pd, applied, services)
				finishRow(&row, p.rows.unknownWhy[pd.ns])
				return true
			})
			if err != nil {
				st.Fail(err)
			}
			if st.Err() != nil {
				return
			}
			if !yield(i, &row) {
				return
			}
		}
	}
}

// Len is how many endpoints the posture has.
func (p *Posture) Len() int {
	if p.rows == nil {
		return len(p.Endpoints)
	}
	return len(p.rows.lists)
}

// Err is the first error met writing the rows to disk or reading them back: a renderer
// that read them must not be trusted when it is set.
func (p *Posture) Err() error {
	if p == nil || p.rows == nil {
		return nil
	}
	return p.rows.store.Err()
}

// SpilledBytes is the most of the temporary folder the rows took at once (while they were
// rewritten in their order, both files).
func (p *Posture) SpilledBytes() int64 {
	if p == nil || p.rows == nil {
		return 0
	}
	return p.rows.store.Peak()
}

// Close releases the temporary file of the rows, if any.
func (p *Posture) Close() error {
	if p == nil || p.rows == nil {
		return nil
	}
	return p.rows.store.Close()
}

// endpointOf is a pod's row, but for the reasons of unknown verdicts that hold at the end
// of the period (finishRow). applied and services are sorted.
func endpointOf(p *pod, applied, services []string) Endpoint {
	row := Endpoint{Endpoint: p.ns + "/" + p.name, Namespace: p.ns, Name: p.name, ServiceAccount: p.sa, EnvoyEnabled: p.envoy,
		From: p.from.UTC(), To: p.to.UTC(), AppliedPolicies: applied, Services: append([]string{}, services...),
		Transitions: p.transitions}
	if row.AppliedPolicies == nil {
		row.AppliedPolicies = []string{}
	}
	if row.EnvoyEnabled == "" {
		row.EnvoyEnabled = Unknown
	}
	prot := [2]Tri{}
	for d := range 2 {
		switch {
		case p.acc.everFalse[d]:
			prot[d] = False
		case p.acc.everUnknown[d]:
			prot[d] = Unknown
		default:
			prot[d] = True
		}
		if p.unprotSince[d] != nil && p.cur.protected[d] == False {
			t := p.unprotSince[d].UTC()
			if d == 0 {
				row.IngressUnprotectedSince = &t
			} else {
				row.EgressUnprotectedSince = &t
			}
		}
	}
	row.IngressProtected, row.EgressProtected = prot[0], prot[1]
	row.IngressFromInternet, row.EgressToInternet = orFalse(p.acc.internet[0]), orFalse(p.acc.internet[1])
	row.IngressFromOtherNamespace, row.EgressToOtherNamespace = orFalse(p.acc.otherNS[0]), orFalse(p.acc.otherNS[1])
	row.IngressUnprotectedSeconds, row.EgressUnprotectedSeconds = p.acc.unprotected[0].Seconds(), p.acc.unprotected[1].Seconds()
	row.IngressUnknownSeconds, row.EgressUnknownSeconds = p.acc.unknown[0].Seconds(), p.acc.unknown[1].Seconds()
	for why := range p.unknownWhy {
		row.Unknown = append(row.Unknown, why)
	}
	return row
}

// finishRow adds to a row whose protection is unknown why verdicts in its namespace were
// unknown at the end of the period, and sorts the reasons.
func finishRow(row *Endpoint, atEnd []string) {
	if row.IngressProtected == Unknown || row.EgressProtected == Unknown {
		row.Unknown = append(row.Unknown, atEnd...)
	}
	slices.Sort(row.Unknown)
	row.Unknown = dedupe(row.Unknown)
}

// rank orders the rows: unprotected first, then exposed to the internet, then unknown,
// then the rest.
func rank(r *Endpoint) int8 {
	switch {
	case r.IngressProtected == False || r.EgressProtected == False:
		return 0
	case r.IngressFromInternet == True || r.EgressToInternet == True:
		return 1
	case r.IngressProtected == Unknown || r.EgressProtected == Unknown:
		return 2
	}
	return 3
}

// spilled is a pod written out: its row's rank (-1: not a row, the pod never lived in the
// period or was not in scope) and where its record is.
type spilled struct {
	rank int8
	list spill.List
}

// order sorts the rows of the pods gone by rank and then by name, as the rows are shown,
// from the index on disk: of a pod written out more than once (it came back), the record
// its entry in gone names.
func (e *Engine) order() []spill.List {
	type entry struct {
		key  string
		rank int8
		list spill.List
	}
	var rows []entry
	if e.store.Seal() != nil {
		return nil
	}
	err := e.store.Walk(&e.index, func(rec []byte) error {
		l, k := spill.ReadList(rec)
		if k == 0 || k >= len(rec) {
			return errors.New("a posture index record cut short")
		}
		key := string(rec[k+1:])
		if g, ok := e.goneEntry(key); ok && g.list == l {
			rows = append(rows, entry{key, int8(rec[k]), l})
		}
		return nil
	})
	if err != nil {
		return nil
	}
	slices.SortFunc(rows, func(a, b entry) int {
		if a.rank != b.rank {
			return int(a.rank) - int(b.rank)
		}
		return strings.Compare(a.key, b.key)
	})
	lists := make([]spill.List, len(rows))
	for i := range rows {
		lists[i] = rows[i].list
	}
	return lists
}
