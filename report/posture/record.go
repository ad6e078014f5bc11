package posture

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/auditreport/auditreport/internal/binrec"
)

// The record of a pod gone: everything its row is made of, and everything the engine needs
// to take it up again should it come back under the same name (a StatefulSet's pods do) or
// be named by a service later. What is written is what is read back, field for field, so a
// posture is the same whether its pods were written out or not. Its tallies are not kept:
// a pod's life starts with its policies counted again.

// triCode numbers the verdicts, the zero Tri (nothing seen yet) included.
func triCode(t Tri) byte {
	switch t {
	case False:
		return 1
	case Unknown:
		return 2
	case True:
		return 3
	}
	return 0
}

var triOfCode = [...]Tri{"", False, Unknown, True}

// Flags of a record.
const (
	recLived = 1 << iota
	recInScope
	recEverFalseIn
	recEverFalseEg
	recEverUnknownIn
	recEverUnknownEg
	recSinceIn // an unprotected-since time follows, per direction
	recSinceEg
)

func encodePod(b []byte, p *pod, applied, services []string) []byte {
	for _, s := range [...]string{p.ns, p.name, p.sa} {
		b = binrec.AppendString(b, s)
	}
	var flags byte
	for _, f := range []struct {
		set  bool
		flag byte
	}{{p.lived, recLived}, {p.inScope, recInScope}, {p.acc.everFalse[0], recEverFalseIn}, {p.acc.everFalse[1], recEverFalseEg},
		{p.acc.everUnknown[0], recEverUnknownIn}, {p.acc.everUnknown[1], recEverUnknownEg},
		{p.unprotSince[0] != nil, recSinceIn}, {p.unprotSince[1] != nil, recSinceEg}} {
		if f.set {
			flags |= f.flag
		}
	}
	b = append(b, flags, triCode(p.envoy))
	b = binrec.AppendTime(b, p.from)
	b = binrec.AppendTime(b, p.to)
	for d := range 2 {
		b = append(b, triCode(p.cur.protected[d]), triCode(p.cur.internet[d]), triCode(p.cur.otherNS[d]),
			triCode(p.acc.internet[d]), triCode(p.acc.otherNS[d]))
		b = binary.AppendVarint(b, int64(p.acc.unprotected[d]))
		b = binary.AppendVarint(b, int64(p.acc.unknown[d]))
		if p.unprotSince[d] != nil {
			b = binrec.AppendTime(b, *p.unprotSince[d])
		}
	}
	b = binrec.AppendStrings(b, applied)
	b = binrec.AppendStrings(b, services)
	b = binrec.AppendStrings(b, sortedNames(p.unknownWhy))
	b = binary.AppendUvarint(b, uint64(len(p.transitions)))
	for i := range p.transitions {
		tr := &p.transitions[i]
		b = binrec.AppendTime(b, tr.Time)
		for _, s := range [...]string{tr.Direction, tr.What, tr.Object, tr.User, tr.ImpersonatedBy, tr.Verb, tr.AuditID} {
			b = binrec.AppendString(b, s)
		}
		b = binrec.AppendRaw(b, tr.Diff)
		b = append(b, boolByte(tr.FirstSeen)|boolByte(tr.Since != nil)<<1)
		if tr.Since != nil {
			b = binrec.AppendTime(b, *tr.Since)
		}
	}
	return b
}

var errBadVerdict = errors.New("a spilled record holds an unknown verdict")

// decodePod reads a record back: the pod (its applied-policy bits left to the caller, who
// numbers the names), the policies that applied to it and the services it served.
func decodePod(rec []byte) (p *pod, applied, services []string, err error) {
	r := binrec.NewOwningReader(rec)
	p = &pod{ns: r.Str(), name: r.Str(), sa: r.Str()}
	flags := r.Byte()
	bad := false
	tri := func() Tri {
		c := r.Byte()
		if int(c) >= len(triOfCode) {
			bad = true
			return ""
		}
		return triOfCode[c]
	}
	p.envoy = tri()
	p.lived, p.inScope = flags&recLived != 0, flags&recInScope != 0
	p.acc.everFalse = [2]bool{flags&recEverFalseIn != 0, flags&recEverFalseEg != 0}
	p.acc.everUnknown = [2]bool{flags&recEverUnknownIn != 0, flags&recEverUnknownEg != 0}
	p.from, p.to = r.Time(), r.Time()
	since := [2]bool{flags&recSinceIn != 0, flags&recSinceEg != 0}
	for d := range 2 {
		p.cur.protected[d], p.cur.internet[d], p.cur.otherNS[d] = tri(), tri(), tri()
		p.acc.internet[d], p.acc.otherNS[d] = tri(), tri()
		p.acc.unprotected[d], p.acc.unknown[d] = time.Duration(r.Varint()), time.Duration(r.Varint())
		if since[d] {
			t := r.Time()
			p.unprotSince[d] = &t
		}
	}
	applied, services = r.Strings(), r.Strings()
	if why := r.Strings(); len(why) > 0 {
		p.unknownWhy = map[string]bool{}
		for _, w := range why {
			p.unknownWhy[w] = true
		}
	}
	if n := r.Count(); n > 0 {
		p.transitions = make([]Transition, n)
		for i := range p.transitions {
			tr := &p.transitions[i]
			tr.Time = r.Time()
			tr.Direction, tr.What, tr.Object, tr.User, tr.ImpersonatedBy, tr.Verb, tr.AuditID = r.Str(), r.Str(), r.Str(), r.Str(), r.Str(), r.Str(), r.Str()
			tr.Diff = r.Raw()
			f := r.Byte()
			if f > 3 {
				bad = true
			}
			tr.FirstSeen = f&1 != 0
			if f&2 != 0 {
				t := r.Time()
				tr.Since = &t
			}
		}
	}
	if err = r.Err(); err == nil && bad {
		err = errBadVerdict
	}
	return p, applied, services, err
}

// size is about how much memory a pod gone holds, for the budget before pods go to disk.
func (p *pod) size() int {
	n := 320 + len(p.ns) + len(p.name) + 8*len(p.applied) + 48*len(p.unknownWhy)
	for i := range p.transitions {
		tr := &p.transitions[i]
		n += 120 + len(tr.Object) + len(tr.User) + len(tr.AuditID) + len(tr.Diff)
	}
	return n
}

// boolByte writes a flag as a byte: 1 or 0.
func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
