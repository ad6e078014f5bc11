package history

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// A write's stored object and the state before it are compared on tapes (jsonany.Tape):
// one pass over the bytes of each, decoding only the values that differ. It gives what
// diff gives for the two decoded, noise stripped (stripNoise) and status left out unless
// asked for (withoutStatus); TestTapeDiffAgrees holds it to that. Decoding both into maps
// was a third of the time a report took.

// level says which of stripNoise's and withoutStatus's rules apply to an object's members.
type level uint8

const (
	levelOther       level = iota
	levelRoot              // the object: status
	levelMetadata          // metadata: managedFields, resourceVersion, generation
	levelAnnotations       // metadata.annotations: last-applied
)

// tapeDiff compares a value of tape a with one of tape b.
type tapeDiff struct {
	d      differ
	a, b   *jsonany.Tape
	strip  bool // leave out the noise stripNoise removes
	status bool // compare status too (a status write)
	// keys holds the members of the objects being compared, sorted, one run for each
	// object on the way down.
	keys []int32
}

// diffTapes lists the fields that differ between the objects at the roots of a and b, as
// diff lists them for the same objects decoded. Both roots must be objects.
func (d differ) diffTapes(a, b *jsonany.Tape, strip, status bool, keys *[]int32) []FieldChange {
	td := tapeDiff{d: d, a: a, b: b, strip: strip, status: status, keys: (*keys)[:0]}
	out := d.pending()
	td.walk(&out, make([]step, 0, 16), a.Root(), b.Root(), levelRoot)
	*keys = td.keys[:0]
	return d.owned(out)
}

// keyString is member i's key. A key written without escapes is a view of the tape's bytes,
// not a copy: it lives only as long as the walk, and paths are built anew from it.
func keyString(t *jsonany.Tape, i int) string {
	k, plain := t.KeyBytes(i)
	if !plain {
		return t.Key(i)
	}
	if len(k) == 0 {
		return ""
	}
	return unsafe.String(&k[0], len(k))
}

// childLevel is the level of the members of the value under key at level l.
func (td *tapeDiff) childLevel(l level, key string) level {
	switch {
	case !td.strip:
		return levelOther
	case l == levelRoot && key == "metadata":
		return levelMetadata
	case l == levelMetadata && key == "annotations":
		return levelAnnotations
	}
	return levelOther
}

// members appends to td.keys the members of object i of t that the decoded, stripped object
// would hold, in key order (of a key written twice, the last), and returns them.
func (td *tapeDiff) members(t *jsonany.Tape, i int, l level) []int32 {
	from := len(td.keys)
	for c, end := t.First(i), t.End(i); c < end; c = t.Next(c) {
		td.keys = append(td.keys, int32(c))
	}
	run := td.keys[from:]
	slices.SortStableFunc(run, func(x, y int32) int { return strings.Compare(keyString(t, int(x)), keyString(t, int(y))) })
	// Of a repeated key, the last written, as decoding keeps it; then the rules.
	n := 0
	for k, c := range run {
		if k+1 < len(run) && keyString(t, int(run[k+1])) == keyString(t, int(c)) {
			continue
		}
		if td.leftOut(t, int(c), l) {
			continue
		}
		run[n] = c
		n++
	}
	td.keys = td.keys[:from+n]
	return td.keys[from : from+n : from+n]
}

// leftOut reports whether member c of an object at level l is left out of the comparison.
func (td *tapeDiff) leftOut(t *jsonany.Tape, c int, l level) bool {
	switch l {
	case levelRoot:
		return !td.status && t.KeyIs(c, "status")
	case levelMetadata:
		switch keyString(t, c) {
		case "managedFields", "resourceVersion", "generation":
			return true
		case "annotations":
			// Annotations that only the last-applied one was: none, once stripped.
			if t.Kind(c) != jsonany.Object {
				return false
			}
			for a, end := t.First(c), t.End(c); a < end; a = t.Next(a) {
				if !t.KeyIs(a, lastApplied) {
					return false
				}
			}
			return true
		}
	case levelAnnotations:
		return t.KeyIs(c, lastApplied)
	}
	return false
}

// walk appends the changes between value i of a and value j of b, at level l.
func (td *tapeDiff) walk(out *[]FieldChange, steps []step, i, j int, l level) {
	a, b := td.a, td.b
	ka, kb := a.Kind(i), b.Kind(j)
	if ka == kb && (ka == jsonany.Object || ka == jsonany.Array) && bytes.Equal(a.Raw(i), b.Raw(j)) {
		// Written alike, they decode alike, and the rules leave out the same members of
		// both: no change, however deep. Most of an object a write changes a few fields of
		// is written as it was.
		return
	}
	switch {
	case ka == jsonany.Object && kb == jsonany.Object:
		mark := len(td.keys)
		ma := td.members(a, i, l)
		mb := td.members(b, j, l)
		for p, q := 0, 0; p < len(ma) || q < len(mb); {
			c := 0
			switch {
			case p == len(ma):
				c = 1
			case q == len(mb):
				c = -1
			default:
				c = strings.Compare(keyString(a, int(ma[p])), keyString(b, int(mb[q])))
			}
			switch {
			case c == 0:
				k := keyString(a, int(ma[p]))
				td.walk(out, append(steps, step{key: k}), int(ma[p]), int(mb[q]), td.childLevel(l, k))
				p++
				q++
			case c < 0:
				k := keyString(a, int(ma[p]))
				td.change(out, append(steps, step{key: k}), int(ma[p]), -1, td.childLevel(l, k))
				p++
			default:
				k := keyString(b, int(mb[q]))
				td.change(out, append(steps, step{key: k}), -1, int(mb[q]), td.childLevel(l, k))
				q++
			}
		}
		td.keys = td.keys[:mark]
		return
	case ka == jsonany.Array && kb == jsonany.Array:
		x, y := a.First(i), b.First(j)
		for n := 0; x < a.End(i) || y < b.End(j); n++ {
			s := append(steps, step{index: n, isIndex: true})
			switch {
			case y >= b.End(j):
				td.change(out, s, x, -1, levelOther)
				x = a.Next(x)
			case x >= a.End(i):
				td.change(out, s, -1, y, levelOther)
				y = b.Next(y)
			default:
				td.walk(out, s, x, y, levelOther)
				x, y = a.Next(x), b.Next(y)
			}
		}
		return
	case ka != jsonany.Object && ka != jsonany.Array && kb != jsonany.Object && kb != jsonany.Array:
		if a.SameScalar(i, b, j) {
			return
		}
	}
	td.change(out, steps, i, j, l)
}

// change appends one differing value: value i of a (none when -1) against value j of b,
// decoded and stripped as diff would have them.
func (td *tapeDiff) change(out *[]FieldChange, steps []step, i, j int, l level) {
	if x, ok := td.plain(td.a, i, steps); ok {
		if y, ok := td.plain(td.b, j, steps); ok {
			// Views of the tapes: owned copies them out before the tapes are let go.
			var o, n json.RawMessage
			if i >= 0 {
				o = x
			}
			if j >= 0 {
				n = y
			}
			td.d.encodedChange(out, steps, o, n)
			return
		}
	}
	var x, y any
	if i >= 0 {
		x = td.decoded(td.a, i, l)
	}
	if j >= 0 {
		y = td.decoded(td.b, j, l)
	}
	td.d.change(out, steps, x, y, i >= 0, j >= 0)
}

// decoded decodes value i of t, an object at level l stripped of its noise.
func (td *tapeDiff) decoded(t *jsonany.Tape, i int, l level) any {
	v, err := t.Value(i)
	if err != nil {
		return nil // the tape parsed it: not reached
	}
	if m, ok := v.(map[string]any); ok {
		switch l {
		case levelMetadata:
			stripNoise(obj{"metadata": m})
		case levelAnnotations:
			delete(m, lastApplied)
		}
	}
	return v
}

// leavesOnTape lists every field of the object at the root of t as leaves lists it for the
// object decoded, noise stripped and status left out unless asked for: a created object.
func (d differ) leavesOnTape(t *jsonany.Tape, strip, status bool, op string, keys *[]int32) []FieldChange {
	td := tapeDiff{d: d, a: t, strip: strip, status: status, keys: (*keys)[:0]}
	out := d.pending()
	td.leaves(&out, make([]step, 0, 16), t.Root(), levelRoot, op)
	*keys = td.keys[:0]
	return d.owned(out)
}

// leaves appends the leaves under value i of td.a at level l: its scalars, and its objects
// and lists that hold nothing.
func (td *tapeDiff) leaves(out *[]FieldChange, steps []step, i int, l level, op string) {
	t := td.a
	switch t.Kind(i) {
	case jsonany.Object:
		mark := len(td.keys)
		if m := td.members(t, i, l); len(m) > 0 {
			for _, c := range m {
				k := keyString(t, int(c))
				td.leaves(out, append(steps, step{key: k}), int(c), td.childLevel(l, k), op)
			}
			td.keys = td.keys[:mark]
			return
		}
	case jsonany.Array:
		if t.First(i) < t.End(i) {
			n := 0
			for c := t.First(i); c < t.End(i); c = t.Next(c) {
				td.leaves(out, append(steps, step{index: n, isIndex: true}), c, levelOther, op)
				n++
			}
			return
		}
	}
	if len(steps) == 0 {
		return
	}
	if raw, ok := td.plain(t, i, steps); ok {
		*out = append(*out, FieldChange{Path: td.d.path(steps), Op: op, New: raw}) // a view: see owned
		return
	}
	*out = append(*out, FieldChange{Path: td.d.path(steps), Op: op, New: td.d.value(steps, td.decoded(t, i, l))})
}

// plain returns value i of t (none when i is -1) as values writes it, when that is the
// bytes the tape holds: a number, true, false, null, or a string of printable ASCII with
// nothing escaped, where no secret is redacted. Most leaves are such, and are not decoded
// and encoded again.
func (td *tapeDiff) plain(t *jsonany.Tape, i int, steps []step) ([]byte, bool) {
	if i < 0 {
		return nil, true
	}
	if td.d.redact && secret(steps) {
		return nil, false
	}
	raw := t.Raw(i)
	switch t.Kind(i) {
	case jsonany.Null, jsonany.True, jsonany.False, jsonany.Number:
		return raw, true
	case jsonany.String:
		for _, c := range raw[1 : len(raw)-1] {
			if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
				return nil, false
			}
		}
		return raw, true
	}
	return nil, false
}
