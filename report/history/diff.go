package history

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// Operations of a FieldChange.
const (
	OpAdded   = "added"   // the field is new: only New is set
	OpRemoved = "removed" // the field is gone: only Old is set
	OpChanged = "changed" // Old and New are both set
	// OpSet means the request set the field to New but the earlier value is not known
	// (baseline unknown, or the stored result was not logged).
	OpSet = "set"
)

// FieldChange is one field that differs between two states of an object. Old and New are
// JSON values; a missing one means the field was absent on that side.
type FieldChange struct {
	Path string          `json:"path"`
	Op   string          `json:"op"`
	Old  json.RawMessage `json:"old,omitempty"`
	New  json.RawMessage `json:"new,omitempty"`
}

// step is one element of a field path: a map key, or an index when isIndex is set.
type step struct {
	key     string
	index   int
	isIndex bool
}

// simpleKey reports whether a key is written as .key in a path, as [A-Za-z_][A-Za-z0-9_-]*
// matches it; others are quoted: ["app.kubernetes.io/name"]. (A regular expression did
// this once per step of every path, a tenth of the differ's time.)
func simpleKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// formatPath writes steps as spec.ingress[0].ports[0].port.
func formatPath(steps []step) string { return string(appendPath(nil, steps)) }

// appendPath appends formatPath's string to b, which must be empty.
func appendPath(b []byte, steps []step) []byte {
	for _, s := range steps {
		switch {
		case s.isIndex:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
		case simpleKey(s.key):
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, s.key...)
		default:
			b = append(b, '[')
			b = strconv.AppendQuote(b, s.key)
			b = append(b, ']')
		}
	}
	return b
}

// differ turns decoded JSON values into field changes, redacting secret values on the way.
type differ struct {
	redact bool
	// paths interns path strings: the same few hundred paths repeat over every object of
	// a kind, and a report of a busy cluster holds hundreds of thousands of them.
	paths map[string]string
	// scratch holds a path while it is looked up in paths: one known is not allocated.
	scratch *[]byte
	// diffs holds the changes of one diff on tapes while it is made (pending, owned).
	diffs *[]FieldChange
}

func (d differ) path(steps []step) string {
	if d.paths == nil {
		return formatPath(steps)
	}
	var b []byte
	if d.scratch != nil {
		b = (*d.scratch)[:0]
	}
	b = appendPath(b, steps)
	if d.scratch != nil {
		*d.scratch = b
	}
	if q, ok := d.paths[string(b)]; ok {
		return q
	}
	p := string(b)
	d.paths[p] = p
	return p
}

// diff lists the fields that differ between old and new (decoded JSON: maps, lists, strings,
// json.Number, bools, nil), in path order. A nil old means the object did not exist.
//
// It walks both values at once and skips what they have in common: most writes change a
// few fields of a large object. Maps are compared key by key in sorted order, lists element
// by element by position (an edit script would pick its own alignment and report a changed
// element as removed plus added, losing the field inside it); a value present on one side
// only, or of another type on each side, is one change, whole. It gives what go-cmp with
// an indexed transformer gave before (TestDiffAgreesWithGoCmp), without its reflection,
// which cost more than everything else in building a report.
func (d differ) diff(old, new any) []FieldChange {
	var out []FieldChange
	switch {
	case old == nil && new == nil:
		return nil
	case old == nil || new == nil:
		// No value at all on one side (not JSON null, which decodes to a typed nil only
		// inside a container): the whole is added or removed.
		d.change(&out, nil, old, new, old != nil, new != nil)
	default:
		d.walk(&out, make([]step, 0, 16), old, new)
	}
	return exact(out)
}

// keyed is the part of a diff under one key of a map: out[from:to].
type keyed struct {
	key      string
	from, to int
}

// walk appends the changes between two values, none when they are equal. Each value is
// looked at once: comparing each level's children before going down into them looked at a
// leaf as many times as it was deep.
func (d differ) walk(out *[]FieldChange, steps []step, x, y any) {
	switch a := x.(type) {
	case map[string]any:
		b, ok := y.(map[string]any)
		if !ok {
			break
		}
		// The keys come in the maps' order; the changes under them go in key order.
		start, common := len(*out), 0
		var parts []keyed
		for k, va := range a {
			from := len(*out)
			if vb, ok := b[k]; ok {
				common++
				d.walk(out, append(steps, step{key: k}), va, vb)
			} else {
				d.change(out, append(steps, step{key: k}), va, nil, true, false)
			}
			if len(*out) > from {
				parts = append(parts, keyed{k, from, len(*out)})
			}
		}
		if len(b) > common {
			// Keys only b has.
			for k, vb := range b {
				if _, ok := a[k]; !ok {
					from := len(*out)
					d.change(out, append(steps, step{key: k}), nil, vb, false, true)
					parts = append(parts, keyed{k, from, len(*out)})
				}
			}
		}
		inKeyOrder(*out, start, parts)
		return
	case []any:
		b, ok := y.([]any)
		if !ok {
			break
		}
		for i := 0; i < len(a) || i < len(b); i++ {
			s := append(steps, step{index: i, isIndex: true})
			switch {
			case i >= len(b):
				d.change(out, s, a[i], nil, true, false)
			case i >= len(a):
				d.change(out, s, nil, b[i], false, true)
			default:
				d.walk(out, s, a[i], b[i])
			}
		}
		return
	default:
		if equalJSON(x, y) {
			return
		}
	}
	d.change(out, steps, x, y, true, true)
}

// inKeyOrder puts the parts of out after start, each the changes under one key, in the
// order of their keys.
func inKeyOrder(out []FieldChange, start int, parts []keyed) {
	if len(parts) < 2 || slices.IsSortedFunc(parts, func(p, q keyed) int { return strings.Compare(p.key, q.key) }) {
		return
	}
	slices.SortFunc(parts, func(p, q keyed) int { return strings.Compare(p.key, q.key) })
	moved := make([]FieldChange, 0, len(out)-start)
	for _, p := range parts {
		moved = append(moved, out[p.from:p.to]...)
	}
	copy(out[start:], moved)
}

// change appends one differing field.
func (d differ) change(out *[]FieldChange, steps []step, x, y any, hasX, hasY bool) {
	o, n := d.values(steps, x, y, hasX, hasY)
	d.encodedChange(out, steps, o, n)
}

// encodedChange appends a change whose values are encoded already (values).
func (d differ) encodedChange(out *[]FieldChange, steps []step, o, n json.RawMessage) {
	fc := FieldChange{Path: d.path(steps), Old: o, New: n}
	switch {
	case fc.Old == nil:
		fc.Op = OpAdded
	case fc.New == nil:
		fc.Op = OpRemoved
	default:
		fc.Op = OpChanged
	}
	*out = append(*out, fc)
}

// equalJSON compares decoded JSON values without reflection.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, vx := range x {
			vy, ok := y[k]
			if !ok || !equalJSON(vx, vy) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// value encodes v for a report, redacted when the differ redacts.
func (d differ) value(steps []step, v any) json.RawMessage {
	_, n := d.values(steps, nil, v, false, true)
	return n
}

// values encodes an old and a new value (each when present) into one allocation of exactly
// their size: a report holds hundreds of thousands of them, and a buffer's spare capacity
// would stay allocated for as long as the report lives.
func (d differ) values(steps []step, old, new any, hasOld, hasNew bool) (json.RawMessage, json.RawMessage) {
	var buf [256]byte
	b := buf[:0]
	encode := func(v any) int {
		if d.redact {
			v = redact(steps, v)
		}
		var err error
		start := len(b)
		if b, err = jsonany.Append(b, v); err != nil {
			// Decoded JSON always encodes; keep the report honest if it ever does not.
			b = append(b[:start], strconv.Quote("<unencodable value>")...)
		}
		return len(b)
	}
	split := 0
	if hasOld {
		split = encode(old)
	}
	if hasNew {
		encode(new)
	}
	return cut(bytes.Clone(b), split, hasOld, hasNew)
}

// cut splits the encoded old and new values of one allocation at split.
func cut(all []byte, split int, hasOld, hasNew bool) (o, n json.RawMessage) {
	if hasOld {
		o = all[:split:split]
	}
	if hasNew {
		n = all[split:]
	}
	return o, n
}

// leaves lists every scalar (and empty map or list) under v as a change with op: OpAdded
// for a created object, OpSet for what a request set when the state before it is unknown.
func (d differ) leaves(v any, op string) []FieldChange {
	var out []FieldChange
	var walk func(steps []step, v any)
	walk = func(steps []step, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) > 0 {
				for _, k := range sortedKeys(x) {
					walk(append(steps, step{key: k}), x[k])
				}
				return
			}
		case []any:
			if len(x) > 0 {
				for i, e := range x {
					walk(append(steps, step{index: i, isIndex: true}), e)
				}
				return
			}
		}
		if len(steps) == 0 {
			return
		}
		out = append(out, FieldChange{Path: d.path(steps), Op: op, New: d.value(steps, v)})
	}
	walk(nil, v)
	return exact(out)
}

// jsonPatch lists what a JSON patch (RFC 6902) document sets and removes.
func (d differ) jsonPatch(ops []any) []FieldChange {
	var out []FieldChange
	for _, o := range ops {
		op, _ := o.(map[string]any)
		if op == nil {
			continue
		}
		kind, _ := op["op"].(string)
		p, _ := op["path"].(string)
		steps := pointerSteps(p)
		switch kind {
		case "remove":
			out = append(out, FieldChange{Path: formatPath(steps), Op: OpRemoved})
		case "add", "replace":
			out = append(out, FieldChange{Path: formatPath(steps), Op: OpSet, New: d.value(steps, op["value"])})
		case "move", "copy":
			from, _ := op["from"].(string)
			out = append(out, FieldChange{Path: formatPath(steps), Op: OpSet, New: d.value(nil, kind+" from "+formatPath(pointerSteps(from)))})
		}
	}
	return out
}

// pointerSteps reads a JSON pointer (RFC 6901) such as /spec/ingress/0/ports.
func pointerSteps(p string) []step {
	if p == "" {
		return nil
	}
	var out []step
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if n, err := strconv.Atoi(tok); err == nil && n >= 0 {
			out = append(out, step{index: n, isIndex: true})
		} else {
			out = append(out, step{key: tok})
		}
	}
	return out
}

// Redacted replaces a secret value in a report.
const Redacted = "<redacted>"

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// secret reports whether the value at steps is one a report must not show: a container's
// env[].value (anywhere, so pod templates too) and the last-applied annotation, which
// repeats the whole object including such values.
func secret(steps []step) bool {
	n := len(steps)
	if n >= 3 && !steps[n-1].isIndex && steps[n-1].key == "value" && steps[n-2].isIndex && !steps[n-3].isIndex && steps[n-3].key == "env" {
		return true
	}
	return n >= 2 && !steps[n-1].isIndex && steps[n-1].key == lastApplied && !steps[n-2].isIndex && steps[n-2].key == "annotations"
}

// redact returns v with every secret value under steps replaced by Redacted. It copies only
// what it changes. It writes the steps below v past the end of steps, in the room steps
// has or a new array: callers keep no more of steps than its length.
func redact(steps []step, v any) any {
	if secret(steps) {
		if v == nil {
			return nil
		}
		return Redacted
	}
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		at := append(steps, step{}) // one step's room for every member: steps are not kept
		for k, e := range x {
			at[len(steps)] = step{key: k}
			r := redact(at, e)
			if !sameValue(r, e) {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, e2 := range x {
						out[k2] = e2
					}
				}
				out[k] = r
			}
		}
		if out != nil {
			return out
		}
	case []any:
		var out []any
		at := append(steps, step{})
		for i, e := range x {
			at[len(steps)] = step{index: i, isIndex: true}
			r := redact(at, e)
			if !sameValue(r, e) {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = r
			}
		}
		if out != nil {
			return out
		}
	}
	return v
}

// sameValue reports whether redact returned its input unchanged. Only a redacted string or
// a copied container differs, so comparing strings and container identity is enough.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return true
}

// exact copies a diff into a slice of its length: append's spare capacity would stay
// allocated for as long as the report lives.
func exact(d []FieldChange) []FieldChange {
	if len(d) == cap(d) {
		return d
	}
	out := make([]FieldChange, len(d))
	copy(out, d)
	return out
}

// pending is a diff on tapes to append to: the buffer diffs keeps between diffs, or a new one.
func (d differ) pending() []FieldChange {
	if d.diffs == nil {
		return nil
	}
	return (*d.diffs)[:0]
}

// owned returns the diff on tapes made in out as exact does, its values copied out of the
// tapes into one allocation of their size: a create lists every field of the object, and a
// copy of each, apart, was a fifth of what the tracker allocated. out goes back to diffs,
// cleared, for the next diff.
func (d differ) owned(out []FieldChange) []FieldChange {
	if len(out) == 0 {
		return nil
	}
	size := 0
	for i := range out {
		size += len(out[i].Old) + len(out[i].New)
	}
	vals := make([]byte, 0, size)
	keep := func(v json.RawMessage) json.RawMessage {
		if v == nil {
			return nil
		}
		at := len(vals)
		vals = append(vals, v...)
		return vals[at:len(vals):len(vals)]
	}
	res := make([]FieldChange, len(out))
	for i, fc := range out {
		fc.Old, fc.New = keep(fc.Old), keep(fc.New)
		res[i] = fc
	}
	if d.diffs != nil {
		clear(out)
		*d.diffs = out[:0]
	}
	return res
}

// Redact returns v, a decoded object, with Secret data and other secret values replaced by
// Redacted, copying what it changes.
func Redact(v any) any { return redact(nil, v) }
