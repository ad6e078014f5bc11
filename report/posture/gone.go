package posture

import (
	"slices"

	"github.com/auditreport/auditreport/internal/fnv1a"
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
// entry in gone (and, for a row, in the index on disk). A failure to write sticks in the
// store: the posture's Err reports it.
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
		e.rec = append(spill.AppendList(e.rec[:0], &g.list), byte(g.rank))
		e.indexBlock = spill.AppendRecord(e.indexBlock, append(e.rec, key...))
		if e.indexN++; len(e.indexBlock) >= 64<<10 {
			e.flushIndex()
		}
	}
	if _, taken := e.gone[goneHash(key)]; taken {
		e.goneOverflow[key] = g // another pod gone has its key's hash
	} else {
		e.gone[goneHash(key)] = g
	}
	delete(e.pods, key)
	delete(e.services, key)
}

// flushIndex appends the index records waiting to the index on disk.
func (e *Engine) flushIndex() {
	if e.indexN > 0 {
		e.store.Append(&e.index, e.indexBlock, e.indexN)
	}
	e.indexBlock, e.indexN = e.indexBlock[:0], 0
}

// goneHash is the 64-bit FNV-1a hash of a pod's key: pods gone are known by it, the few
// whose hash another has by their key (goneOverflow). A variable: the tests make every
// key collide.
var goneHash = fnv1a.String

// goneRecord reads back the record of the pod gone with that key: ok is false when no pod
// gone has it (or its record cannot be read: the store's error says why).
func (e *Engine) goneRecord(key string) (g spilled, p *pod, applied, services []string, ok bool) {
	if g, ok = e.goneEntry(key); !ok {
		return g, nil, nil, nil, false
	}
	p, applied, services = e.read(&g)
	if p == nil || p.ns+"/"+p.name != key {
		return g, nil, nil, nil, false // another pod's, whose key has the same hash
	}
	return g, p, applied, services, true
}

// goneEntry is the entry in gone for that key: that of another pod gone when their keys
// share a hash and this one was never written out (goneRecord checks the record's name).
func (e *Engine) goneEntry(key string) (spilled, bool) {
	if g, ok := e.goneOverflow[key]; ok {
		return g, true
	}
	g, ok := e.gone[goneHash(key)]
	return g, ok
}

// forgetGone drops the entry of the pod gone with that key.
func (e *Engine) forgetGone(key string) {
	if _, ok := e.goneOverflow[key]; ok {
		delete(e.goneOverflow, key)
		return
	}
	delete(e.gone, goneHash(key))
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
	g, p, applied, services, ok := e.goneRecord(key)
	if !ok {
		return nil
	}
	return e.takeUpRecord(key, g, p, applied, services)
}

// takeUpRecord is takeUp with the record read.
func (e *Engine) takeUpRecord(key string, g spilled, p *pod, applied, services []string) *pod {
	e.forgetGone(key)
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
		if !e.policiesKnown(ns) {
			why = append(why, olderThanTrail(ns))
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
	e.flushIndex()
	lists := e.order()
	e.gone, e.goneOverflow = nil, nil
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

// olderThanTrail says why a namespace's pods unprotected by the policies seen are unknown.
func olderThanTrail(ns string) string {
	return "namespace " + ns + " is older than the trail (its creation is not in it, and no --snapshot was given): a NetworkPolicy made in it before the logs begin would not show"
}
