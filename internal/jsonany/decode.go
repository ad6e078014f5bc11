// Package jsonany decodes JSON into the generic values encoding/json gives for an `any`
// with UseNumber: map[string]any, []any, string, json.Number, bool and nil.
//
// It gives exactly what encoding/json gives (a differential fuzz test holds it to that:
// the same values for every input it accepts, and an error for every input it rejects),
// about three times as fast: one pass over the bytes with no reflection, strings without
// escapes copied once, and the keys of objects, which repeat from one Kubernetes object to
// the next, shared rather than allocated again. Bodies of audit events are most of what
// the history decodes.
package jsonany

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's limit of nesting.
const maxDepth = 10000

// The key cache holds short keys only, and only so many of them: what it saves is the
// allocation of "metadata", "name", "labels" on every object, not of every map key a
// cluster has.
const (
	maxCachedKey  = 64
	maxCachedKeys = 4096
)

var errSyntax = errors.New("jsonany: invalid JSON")

// Decoder decodes JSON values; it keeps the keys it has seen. It is not safe for
// concurrent use: Decode takes one from a pool.
type Decoder struct {
	keys map[string]string
}

var pool = sync.Pool{New: func() any { return &Decoder{keys: make(map[string]string, 256)} }}

// Decode decodes the first JSON value in b, as json.NewDecoder(bytes.NewReader(b)) with
// UseNumber would: what follows the value is not read.
func Decode(b []byte) (any, error) {
	d := pool.Get().(*Decoder)
	v, err := d.Decode(b)
	pool.Put(d)
	return v, err
}

// Decode decodes the first JSON value in b.
func (d *Decoder) Decode(b []byte) (any, error) {
	p := parser{b: b, d: d}
	p.space()
	// Inside an object or an array the byte after a value must be a comma or the closing
	// bracket; after the first value nothing is read, so "1x" gives 1, as the Decoder does.
	return p.value(0)
}

type parser struct {
	b []byte
	i int
	d *Decoder
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if p.i >= len(p.b) {
		return nil, errSyntax
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.str(false)
		return s, err
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, errSyntax
}

func (p *parser) literal(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return errSyntax
	}
	p.i += len(word)
	return nil
}

func (p *parser) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errSyntax
	}
	p.i++ // {
	m := make(map[string]any)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, errSyntax
		}
		k, err := p.str(true)
		if err != nil {
			return nil, err
		}
		if err := p.colon(); err != nil {
			return nil, err
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		if end, err := p.next('}'); end || err != nil {
			return m, err
		}
	}
}

func (p *parser) array(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errSyntax
	}
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if end, err := p.next(']'); end || err != nil {
			return a, err
		}
	}
}

// colon steps over the colon after an object's key, and the space around it.
func (p *parser) colon() error {
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return errSyntax
	}
	p.i++
	p.space()
	return nil
}

// next steps over what follows a value inside an object or an array: a comma and the space
// after it, or the closing bracket, which ends it (end).
func (p *parser) next(closing byte) (end bool, err error) {
	p.space()
	if p.i >= len(p.b) {
		return false, errSyntax
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.space()
		return false, nil
	case closing:
		p.i++
		return true, nil
	}
	return false, errSyntax
}

// number checks a number's grammar as encoding/json's scanner does and keeps it as written.
func (p *parser) number() (any, error) {
	end := endNumber(p.b, p.i)
	if end < 0 {
		return nil, errSyntax
	}
	n := json.Number(p.b[p.i:end])
	p.i = end
	return n, nil
}

// endNumber returns the index after the JSON number that starts at i, or -1 when what starts
// there is not one: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func endNumber[T string | []byte](b T, i int) int {
	digits := func() {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		digits()
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		digits()
	}
	return i
}

// stops marks, in eight bytes of a string read as a little-endian word, those scanString
// and AppendString must look at (a quote, a backslash, a control character, a byte past
// ASCII) by their high bit. Only the lowest mark is sure to be one (a mark borrows from the
// bytes above it), which is the one they need.
func stops(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x - ones*0x20) | x) & highs
}

// scanString checks the string at p.i (its opening quote) as encoding/json's scanner does
// and steps over it, returning where its content is and whether those bytes are its value
// (no escapes, valid UTF-8).
func (p *parser) scanString() (start, end int, plain bool, err error) {
	b := p.b
	start = p.i + 1
	i := start
	plain = true
	for {
		// Eight bytes at a time up to the first that needs a look: the strings of a body,
		// keys and values, are mostly plain ASCII.
		for i+8 <= len(b) {
			if m := stops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return 0, 0, false, errSyntax
		}
		c := b[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			return 0, 0, false, errSyntax
		}
		if c == '\\' {
			plain = false
			i++
			if i >= len(b) {
				return 0, 0, false, errSyntax
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 || !hex4(b[i+1:i+5]) {
					return 0, 0, false, errSyntax
				}
				i += 4
			default:
				return 0, 0, false, errSyntax
			}
		} else if c >= utf8.RuneSelf {
			plain = false
		}
		i++
	}
	if !plain && !hasEscape(b[start:i]) && utf8.Valid(b[start:i]) {
		plain = true
	}
	p.i = i + 1
	return start, i, plain, nil
}

// str reads a string at p.i (its opening quote). Keys are shared through the decoder's
// cache.
func (p *parser) str(key bool) (string, error) {
	start, end, plain, err := p.scanString()
	if err != nil {
		return "", err
	}
	raw := p.b[start:end]
	if !plain {
		return unquote(raw), nil
	}
	if key && len(raw) <= maxCachedKey {
		if s, ok := p.d.keys[string(raw)]; ok {
			return s, nil
		}
		s := string(raw)
		if len(p.d.keys) < maxCachedKeys {
			p.d.keys[s] = s
		}
		return s, nil
	}
	return string(raw), nil
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

func hex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func getu4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	r, err := strconv.ParseUint(string(b[2:6]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(r)
}

// controlEscapes are the characters of the one-letter escapes \b \f \n \r \t.
var controlEscapes = map[byte]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unquote is encoding/json's unquote for a string the scan above found well formed:
// escapes resolved, a surrogate pair joined, a lone surrogate and each byte of invalid
// UTF-8 replaced by U+FFFD.
func unquote(s []byte) string {
	out := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch e := s[r]; e {
			case '"', '\\', '/', '\'':
				out = append(out, e)
				r++
			case 'b', 'f', 'n', 'r', 't':
				out = append(out, controlEscapes[e])
				r++
			case 'u':
				r--
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r:])
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						out = utf8.AppendRune(out, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return string(out)
}
