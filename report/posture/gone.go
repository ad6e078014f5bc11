package posture

import (
	"slices"

	"github.com/auditreport/auditreport/internal/spill"
)

// died notes a pod gone: it stays in memory while the pods gone hold less than the budget;
// past it, they all go to disk, and from then on each as it goes.
func (e *Engine) died(p *pod) {
	switch {
	case e.store == nil:
	case e.spilling:
		e.writeOut(p)
	default:
		if e.held += p.size(); e.held > e.spillAbove {
			e.spilling = true
			for _, q := range e.pods {
				if !q.alive {
					e.writeOut(q)
				}
			}
		}
	}
}

// writeOut writes a pod's record to disk, counts its row, and forgets it but for its
// entry in gone. A failure to write sticks in the store: the posture's Err reports it.
func (e *Engine) writeOut(p *pod) {
	key := p.ns + "/" + p.name
	applied, services := e.appliedNames(p), e.services[key]
	e.rec = encodePod(e.rec[:0], p, applied, services)
	e.block = spill.AppendRecord(e.block[:0], e.rec)
	g := spilled{rank: -1}
	e.store.Append(&g.list, e.block, 1)
	if p.lived && p.inScope {
		row := endpointOf(p, applied, services)
		e.agg.add(&row, 1)
		g.rank = rank(&row)
	}
	e.gone[key] = g
	delete(e.pods, key)
	delete(e.services, key)
}

// read reads back the record of a pod gone.
func (e *Engine) read(g *spilled) (p *pod, applied, services []string) {
	// What is appended waits in a buffer: write it out first.
	if e.store.Seal() != nil {
		return nil, nil, nil
	}
	err := e.store.Each(&g.list, func(rec []byte) bool {
		var err error
		if p, applied, services, err = decodePod(rec); err != nil {
			e.store.Fail(err)
			p = nil
		}
		return false
	})
	if err != nil {
		e.store.Fail(err)
		return nil, nil, nil
	}
	return p, applied, services
}

// takeUp brings a pod gone back into memory, its row out of the counts: nil when it was
// never written out, or cannot be read back (the store's error says why).
func (e *Engine) takeUp(key string) *pod {
	g, ok := e.gone[key]
	if !ok {
		return nil
	}
	delete(e.gone, key)
	p, applied, services := e.read(&g)
	if p == nil {
		return nil
	}
	for _, name := range applied {
		e.setApplied(p, e.policyID(p.ns, name))
	}
	if len(services) > 0 {
		e.services[key] = services
	}
	if g.rank >= 0 {
		row := endpointOf(p, applied, services)
		e.agg.add(&row, -1)
	}
	return p
}

// servedBy reports whether the record of a pod gone names the service.
func (e *Engine) servedBy(key, svc string) bool {
	g := e.gone[key]
	p, _, services := e.read(&g)
	_, found := slices.BinarySearch(services, svc)
	return p != nil && found
}

// finishRows closes the rows at the end of the period: the pods still in memory become
// rows in name order, or, once pods went to disk, go there too and the rows are rewritten
// in their final order. Either way the aggregates count every row.
func (e *Engine) finishRows(out *Posture) {
	atEnd := map[string][]string{}
	unknownAtEnd := func(ns string) []string {
		if why, ok := atEnd[ns]; ok {
			return why
		}
		var why []string
		if e.othersNS[ns] > 0 || e.othersGlobal > 0 || len(e.notEvaluated) > 0 {
			why = append(why, "Calico or admin network policies are present and not evaluated")
		}
		for _, ref := range e.unknownPols {
			if ref.Namespace == ns {
				why = append(why, "the spec of NetworkPolicy "+ref.Namespace+"/"+ref.Name+" is not in the trail")
			}
		}
		atEnd[ns] = why
		return why
	}
	if e.store != nil && !e.spilling {
		// The pods alive at the end are rows now too: the budget is for all of them.
		for _, p := range e.pods {
			if p.alive {
				e.held += p.size()
			}
		}
		e.spilling = e.held > e.spillAbove
	}
	if !e.spilling {
		for _, p := range sortedPods(e.pods) {
			if !p.lived || !p.inScope {
				continue
			}
			row := endpointOf(p, e.appliedNames(p), e.services[p.ns+"/"+p.name])
			finishRow(&row, unknownAtEnd(p.ns))
			e.agg.add(&row, 1)
			out.Endpoints = append(out.Endpoints, row)
		}
		slices.SortStableFunc(out.Endpoints, func(a, b Endpoint) int { return int(rank(&a)) - int(rank(&b)) })
		return
	}
	for _, p := range e.pods {
		e.writeOut(p)
	}
	lists := order(e.gone)
	e.gone = nil
	ptrs := make([]*spill.List, len(lists))
	for i := range lists {
		ptrs[i] = &lists[i]
	}
	e.store.Compact(ptrs)
	rows := &endpointRows{store: e.store, lists: lists, unknownWhy: map[string][]string{}}
	for ns := range e.agg.ns {
		if why := unknownAtEnd(ns); len(why) > 0 {
			rows.unknownWhy[ns] = why
		}
	}
	out.rows = rows
	if len(lists) > 0 {
		out.Endpoints = nil
	}
}
