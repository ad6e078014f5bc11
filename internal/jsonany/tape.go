package jsonany

import (
	"bytes"
)

// Kind is the kind of a JSON value on a Tape.
type Kind uint8

// Kinds of values.
const (
	Null Kind = iota
	False
	True
	Number
	String
	Object
	Array
)

// node is one value on a tape: its bytes, for a member of an object its key's, and where
// the values after its own (its children, for an object or an array) end.
type node struct {
	start, end       int32 // the value, a string's quotes included
	keyStart, keyEnd int32 // the key between its quotes; members of objects only
	next             int32 // the node after this one and everything inside it
	kind             Kind
	plain            bool // a string whose bytes are its value: no escapes, valid UTF-8
	keyPlain         bool
}

// A Tape indexes one JSON value without decoding it: every value inside it, in the order
// written, each a node that says where its bytes are. Comparing two objects on tapes
// decodes only what differs; Decode would make a map of every object and a string of every
// key and value. A Tape is reused from one value to the next: Parse allocates only to grow.
type Tape struct {
	b     []byte
	nodes []node
}

// Parse indexes the first JSON value in b, which the tape then refers to, and gives the same
// error Decode gives for it: what Decode rejects, Parse rejects. What follows the value is
// not read.
func (t *Tape) Parse(b []byte) error {
	t.b, t.nodes = b, t.nodes[:0]
	if len(b) >= 1<<31 {
		return errSyntax
	}
	p := tapeParser{t: t, parser: parser{b: b}}
	p.space()
	return p.value(0, -1, -1, false)
}

type tapeParser struct {
	parser
	t *Tape
}

func (p *tapeParser) value(depth int, keyStart, keyEnd int32, keyPlain bool) error {
	if p.i >= len(p.b) {
		return errSyntax
	}
	at := len(p.t.nodes)
	p.t.nodes = append(p.t.nodes, node{start: int32(p.i), keyStart: keyStart, keyEnd: keyEnd, keyPlain: keyPlain})
	n := &p.t.nodes[at]
	var err error
	switch c := p.b[p.i]; {
	case c == '{':
		n.kind = Object
		err = p.object(depth + 1)
	case c == '[':
		n.kind = Array
		err = p.array(depth + 1)
	case c == '"':
		var plain bool
		_, _, plain, err = p.scanString()
		n.kind, n.plain = String, plain
	case c == 't':
		n.kind, err = True, p.literal("true")
	case c == 'f':
		n.kind, err = False, p.literal("false")
	case c == 'n':
		n.kind, err = Null, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		n.kind = Number
		end := endNumber(p.b, p.i)
		if end < 0 {
			return errSyntax
		}
		p.i = end
	default:
		return errSyntax
	}
	if err != nil {
		return err
	}
	n = &p.t.nodes[at] // the nodes inside may have moved it
	n.end, n.next = int32(p.i), int32(len(p.t.nodes))
	return nil
}

func (p *tapeParser) object(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	p.i++ // {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return errSyntax
		}
		ks, ke, plain, err := p.scanString()
		if err != nil {
			return err
		}
		if err := p.colon(); err != nil {
			return err
		}
		if err := p.value(depth, int32(ks), int32(ke), plain); err != nil {
			return err
		}
		if end, err := p.next('}'); end || err != nil {
			return err
		}
	}
}

func (p *tapeParser) array(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	p.i++ // [
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		if err := p.value(depth, -1, -1, false); err != nil {
			return err
		}
		if end, err := p.next(']'); end || err != nil {
			return err
		}
	}
}

// Root is the tape's first node: the value parsed.
func (t *Tape) Root() int { return 0 }

// Kind is the kind of node i.
func (t *Tape) Kind(i int) Kind { return t.nodes[i].kind }

// Raw is node i's bytes as written.
func (t *Tape) Raw(i int) []byte { return t.b[t.nodes[i].start:t.nodes[i].end] }

// First is the first value inside node i, an object or an array, and End the node after
// the last: the values inside are First, Next(First), ... up to End.
func (t *Tape) First(i int) int { return i + 1 }

// End is the node after node i and everything inside it.
func (t *Tape) End(i int) int { return int(t.nodes[i].next) }

// Next is the value after node i inside the same object or array (End(i)).
func (t *Tape) Next(i int) int { return int(t.nodes[i].next) }

// Len counts the values inside node i, an object or an array.
func (t *Tape) Len(i int) int {
	n := 0
	for c, end := i+1, t.End(i); c < end; c = t.Next(c) {
		n++
	}
	return n
}

// KeyBytes is the key of member i of an object, as written between its quotes, and whether
// those bytes are the key (no escapes): when not, Key decodes it.
func (t *Tape) KeyBytes(i int) ([]byte, bool) {
	n := &t.nodes[i]
	return t.b[n.keyStart:n.keyEnd], n.keyPlain
}

// Key is the key of member i of an object.
func (t *Tape) Key(i int) string {
	k, plain := t.KeyBytes(i)
	if plain {
		return string(k)
	}
	return unquote(k)
}

// KeyIs reports whether member i's key is k.
func (t *Tape) KeyIs(i int, k string) bool {
	b, plain := t.KeyBytes(i)
	if plain {
		return string(b) == k
	}
	return unquote(b) == k
}

// Member is the member of object i whose key is k (the last, when the key repeats, as
// Decode keeps it), or -1.
func (t *Tape) Member(i int, k string) int {
	if t.nodes[i].kind != Object {
		return -1
	}
	m := -1
	for c, end := i+1, t.End(i); c < end; c = t.Next(c) {
		if t.KeyIs(c, k) {
			m = c
		}
	}
	return m
}

// Path is the value at a path of keys from node i, or -1.
func (t *Tape) Path(i int, keys ...string) int {
	for _, k := range keys {
		if i = t.Member(i, k); i < 0 {
			return -1
		}
	}
	return i
}

// Str is string node i's value, "" for any other kind.
func (t *Tape) Str(i int) string {
	if i < 0 || t.nodes[i].kind != String {
		return ""
	}
	n := &t.nodes[i]
	if n.plain {
		return string(t.b[n.start+1 : n.end-1])
	}
	return unquote(t.b[n.start+1 : n.end-1])
}

// SameScalar reports whether node i of t and node j of u, both neither an object nor an
// array, are the same value as Decode gives them: strings by their value, numbers as
// written.
func (t *Tape) SameScalar(i int, u *Tape, j int) bool {
	a, b := &t.nodes[i], &u.nodes[j]
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case String:
		if a.plain && b.plain {
			return bytes.Equal(t.Raw(i), u.Raw(j))
		}
		return t.Str(i) == u.Str(j)
	case Number:
		return bytes.Equal(t.Raw(i), u.Raw(j))
	}
	return true
}

// Value decodes node i as Decode would.
func (t *Tape) Value(i int) (any, error) { return Decode(t.Raw(i)) }
