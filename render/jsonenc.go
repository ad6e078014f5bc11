package render

import (
	"bytes"
	"encoding"
	"encoding/json"
	"hash"
	"io"
	"iter"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/auditreport/auditreport/internal/jsonany"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
)

// jsonEncoder writes a value as encoding/json's Encoder does with SetIndent("", "  ") and
// SetEscapeHTML(false), byte for byte, but in one pass: indentation is written as the value
// is walked instead of marshalling and then indenting, and the buffer goes to the writer
// whenever it fills, so a report of hundreds of megabytes is never held whole. Types it does
// not write itself (marshalers other than time.Time and json.RawMessage, embedded fields,
// maps whose keys are not strings, ...) are handed to encoding/json, value by value.
type jsonEncoder struct {
	buf []byte
	err error
	// n counts the bytes handed to be written: those given to w, unless a write failed.
	n int64
	// behind hashes and writes what the encoder gives it; hash and w are its.
	behind *writeBehind
	// hash, when set, gets every byte given to w but those of the top-level field named
	// slot, which go to w only; slotAt is where that field's value starts in w.
	hash   hash.Hash
	slot   string
	slotAt int64
	// fallback encodes what jsonEncoder leaves to encoding/json.
	fallback      *json.Encoder
	fallbackBuf   bytes.Buffer
	fallbackDepth int
}

// flushAt is how much the buffer holds before it is handed to be written. Handed off in
// buffers of 128 KiB, the writing took longer than when the encoder wrote them itself; in
// buffers of a mebibyte, 10% less (docs/performance.md).
const flushAt = 1 << 20

func newJSONEncoder(w io.Writer) *jsonEncoder {
	return &jsonEncoder{behind: &writeBehind{w: w}, buf: make([]byte, 0, flushAt+flushAt/4), slotAt: -1}
}

// encode writes v and a newline, as Encoder.Encode does, and flushes.
func (e *jsonEncoder) encode(v any) error {
	e.behind.start(e.hash)
	rv := reflect.ValueOf(v)
	if rv.IsValid() {
		encoderFor(rv.Type())(e, rv, 0)
	} else {
		e.buf = append(e.buf, "null"...)
	}
	e.buf = append(e.buf, '\n')
	e.flush(true)
	if err := e.behind.wait(); e.err == nil {
		e.err = err
	}
	return e.err
}

// flush hands the buffer to be written, hashed too unless it holds the slot, and goes on
// in another.
func (e *jsonEncoder) flush(hashed bool) {
	if e.err == nil {
		e.err = e.behind.failed()
	}
	if e.err != nil || len(e.buf) == 0 {
		e.buf = e.buf[:0]
		return
	}
	e.n += int64(len(e.buf))
	e.buf = e.behind.give(e.buf, hashed)
}

// writeBehind hashes and writes an encoder's buffers in order, on a goroutine of its own:
// the next buffer is encoded while the last one is hashed and written, which was a quarter
// of the time a busy cluster's report took to write.
type writeBehind struct {
	w    io.Writer
	hash hash.Hash
	// queue are the buffers to write, free those written and ready for reuse.
	queue chan written
	free  chan []byte
	done  chan struct{}
	err   atomic.Pointer[error]
}

type written struct {
	b      []byte
	hashed bool
}

// start starts the goroutine; hash, when set, is given the buffers given with hashed.
func (b *writeBehind) start(h hash.Hash) {
	b.hash = h
	b.queue, b.free, b.done = make(chan written, 2), make(chan []byte, 3), make(chan struct{})
	go func() {
		defer close(b.done)
		for c := range b.queue {
			if b.err.Load() == nil {
				if c.hashed && b.hash != nil {
					b.hash.Write(c.b)
				}
				if _, err := b.w.Write(c.b); err != nil {
					b.err.Store(&err)
				}
			}
			select {
			case b.free <- c.b[:0]:
			default:
			}
		}
	}()
}

// give queues buf and returns an empty buffer to go on in.
func (b *writeBehind) give(buf []byte, hashed bool) []byte {
	b.queue <- written{b: buf, hashed: hashed}
	select {
	case next := <-b.free:
		return next
	default:
		return make([]byte, 0, cap(buf))
	}
}

// failed is the first write's error, if any yet.
func (b *writeBehind) failed() error {
	if err := b.err.Load(); err != nil {
		return *err
	}
	return nil
}

// wait waits for every buffer given to be written, and returns the first error.
func (b *writeBehind) wait() error {
	close(b.queue)
	<-b.done
	return b.failed()
}

func (e *jsonEncoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

const spaces = "                                                                "

// newline starts a line indented for depth.
func (e *jsonEncoder) newline(depth int) { e.buf = appendNewline(e.buf, depth) }

// encFunc writes v, which starts on a line indented for depth.
type encFunc func(e *jsonEncoder, v reflect.Value, depth int)

var (
	encMu    sync.Mutex
	encCache = map[reflect.Type]encFunc{}
)

// encoderFor returns the encFunc of t, made once.
func encoderFor(t reflect.Type) encFunc {
	encMu.Lock()
	defer encMu.Unlock()
	return encoderLocked(t)
}

func encoderLocked(t reflect.Type) encFunc {
	if f, ok := encCache[t]; ok {
		return f
	}
	// A type that contains itself finds this forwarder while its encoder is being made.
	var made encFunc
	encCache[t] = func(e *jsonEncoder, v reflect.Value, depth int) { made(e, v, depth) }
	made = newEncFunc(t)
	encCache[t] = made
	return made
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	rawType         = reflect.TypeFor[json.RawMessage]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	textMarshalType = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether encoding/json writes t through a method of t or *t.
func marshals(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalType) ||
		t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalType))
}

func newEncFunc(t reflect.Type) encFunc {
	switch {
	case t == timeType:
		return encodeTime
	case t == rawType:
		return encodeRaw
	case t.Kind() == reflect.Pointer:
		// nil, or what its element writes, whichever of them has the method (*time.Time).
		elem := encoderLocked(t.Elem())
		return func(e *jsonEncoder, v reflect.Value, depth int) {
			if v.IsNil() {
				e.buf = append(e.buf, "null"...)
				return
			}
			elem(e, v.Elem(), depth)
		}
	case marshals(t):
		return encodeFallback
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(e *jsonEncoder, v reflect.Value, _ int) { e.buf = strconv.AppendBool(e.buf, v.Bool()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(e *jsonEncoder, v reflect.Value, _ int) { e.buf = strconv.AppendInt(e.buf, v.Int(), 10) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(e *jsonEncoder, v reflect.Value, _ int) { e.buf = strconv.AppendUint(e.buf, v.Uint(), 10) }
	case reflect.Float32, reflect.Float64:
		return floatEncoder(t.Bits())
	case reflect.String:
		return func(e *jsonEncoder, v reflect.Value, _ int) { e.buf = jsonany.AppendString(e.buf, v.String()) }
	case reflect.Struct:
		return newStructEnc(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return encodeFallback
		}
		return newMapEnc(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return encodeFallback // base64, or a marshaler's bytes
		}
		if t.Elem() == resourceType {
			return newResourcesEnc(t)
		}
		return newSliceEnc(t)
	case reflect.Interface:
		return func(e *jsonEncoder, v reflect.Value, depth int) {
			if v.IsNil() {
				e.buf = append(e.buf, "null"...)
				return
			}
			encoderFor(v.Elem().Type())(e, v.Elem(), depth)
		}
	}
	return encodeFallback // arrays, and what encoding/json refuses (its error is the one given)
}

// encodeFallback has encoding/json write v, indented for where it stands.
func encodeFallback(e *jsonEncoder, v reflect.Value, depth int) {
	if e.fallback == nil {
		e.fallback = json.NewEncoder(&e.fallbackBuf)
		e.fallback.SetEscapeHTML(false)
		e.fallbackDepth = -1
	}
	if e.fallbackDepth != depth {
		e.fallback.SetIndent(strings.Repeat("  ", depth), "  ")
		e.fallbackDepth = depth
	}
	e.fallbackBuf.Reset()
	x := v.Interface()
	if v.CanAddr() && v.Kind() != reflect.Pointer {
		x = v.Addr().Interface() // as encoding/json: methods on the pointer apply to addressable values
	}
	if err := e.fallback.Encode(x); err != nil {
		e.fail(err)
		return
	}
	e.buf = append(e.buf, bytes.TrimSuffix(e.fallbackBuf.Bytes(), []byte("\n"))...)
}

// encodeTime writes what time.Time.MarshalJSON does, without its allocation; a time that
// has no RFC 3339 form gets MarshalJSON's error.
func encodeTime(e *jsonEncoder, v reflect.Value, depth int) {
	t, _ := reflect.TypeAssert[time.Time](v)
	if y := t.Year(); y < 0 || y > 9999 {
		encodeFallback(e, v, depth)
		return
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		encodeFallback(e, v, depth)
		return
	}
	e.buf = append(e.buf, '"')
	e.buf = t.AppendFormat(e.buf, time.RFC3339Nano)
	e.buf = append(e.buf, '"')
}

// encodeRaw writes a json.RawMessage as encoding/json does, compacted and then indented;
// an invalid one gets encoding/json's error.
func encodeRaw(e *jsonEncoder, v reflect.Value, depth int) {
	raw := v.Bytes()
	if raw == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	out, ok := appendIndentedRaw(e.buf, raw, depth)
	if !ok {
		encodeFallback(e, v, depth)
		return
	}
	e.buf = out
}

// appendIndentedRaw appends src compacted and indented as if it stood at depth, as
// encoding/json's compact and then appendIndent write it, checking in the same pass that src
// is one JSON value as encoding/json's scanner accepts it (strings may hold invalid UTF-8);
// false when it is not.
func appendIndentedRaw(dst, src []byte, depth int) ([]byte, bool) {
	p := rawIndenter{src: src, dst: dst}
	if !p.value(depth) {
		return dst, false
	}
	p.space()
	return p.dst, p.i == len(src)
}

// maxNesting is how deep encoding/json's scanner lets values nest.
const maxNesting = 10000

type rawIndenter struct {
	src, dst []byte
	i, nest  int
}

func (p *rawIndenter) space() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether c comes next, taking it if so.
func (p *rawIndenter) next(c byte) bool {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *rawIndenter) value(depth int) bool {
	p.space()
	if p.i >= len(p.src) {
		return false
	}
	switch c := p.src[p.i]; {
	case c == '{' || c == '[':
		return p.container(depth)
	case c == '"':
		return p.str()
	case c == '-' || '0' <= c && c <= '9':
		return p.num()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(p.src[p.i:], []byte(lit)) {
			p.dst = append(p.dst, lit...)
			p.i += len(lit)
			return true
		}
	}
	return false
}

// container writes an object or array, an element a line; empty, as {} or [].
func (p *rawIndenter) container(depth int) bool {
	open := p.src[p.i]
	end := open + 2 // } and ] follow { and [ in ASCII
	p.i++
	if p.nest++; p.nest > maxNesting {
		return false
	}
	defer func() { p.nest-- }()
	if p.next(end) {
		p.dst = append(p.dst, open, end)
		return true
	}
	p.dst = append(p.dst, open)
	for {
		p.dst = appendNewline(p.dst, depth+1)
		if open == '{' {
			p.space()
			if p.i >= len(p.src) || p.src[p.i] != '"' || !p.str() || !p.next(':') {
				return false
			}
			p.dst = append(p.dst, ':', ' ')
		}
		if !p.value(depth + 1) {
			return false
		}
		if p.next(',') {
			p.dst = append(p.dst, ',')
			continue
		}
		if !p.next(end) {
			return false
		}
		p.dst = appendNewline(p.dst, depth)
		p.dst = append(p.dst, end)
		return true
	}
}

// str copies a string: no control characters, only JSON's escapes.
func (p *rawIndenter) str() bool {
	start := p.i
	for p.i++; p.i < len(p.src); p.i++ {
		switch c := p.src[p.i]; {
		case c == '"':
			p.i++
			p.dst = append(p.dst, p.src[start:p.i]...)
			return true
		case c < 0x20:
			return false
		case c == '\\':
			p.i++
			if p.i >= len(p.src) {
				return false
			}
			switch p.src[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if p.i+4 >= len(p.src) {
					return false
				}
				for _, h := range p.src[p.i+1 : p.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// num copies a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *rawIndenter) num() bool {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.src) && '0' <= p.src[p.i] && p.src[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.src[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.src) && p.src[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.src) && p.src[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		p.i++
		if p.i < len(p.src) && (p.src[p.i] == '+' || p.src[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	p.dst = append(p.dst, p.src[start:p.i]...)
	return true
}

func appendNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for n := 2 * depth; n > 0; n -= len(spaces) {
		dst = append(dst, spaces[:min(n, len(spaces))]...)
	}
	return dst
}

// floatEncoder writes floats as encoding/json does: the shortest form, in exponent form
// only for very small or large numbers. NaN and infinities get encoding/json's error.
func floatEncoder(bits int) encFunc {
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			encodeFallback(e, v, depth)
			return
		}
		abs := math.Abs(f)
		format := byte('f')
		if abs != 0 {
			if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
				format = 'e'
			}
		}
		b := strconv.AppendFloat(e.buf, f, format, -1, bits)
		if format == 'e' {
			// clean up e-09 to e-9
			n := len(b)
			if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
				b[n-2] = b[n-1]
				b = b[:n-1]
			}
		}
		e.buf = b
	}
}

// field is one member of a struct as encoding/json writes it.
type field struct {
	name      string
	key       string // the quoted name, a colon and a space
	index     int
	omitEmpty bool
	enc       encFunc
	// whole, when set, writes the field from the whole struct: a resource's history or the
	// posture's endpoints, which may be on disk rather than in the field.
	whole encFunc
}

// newStructEnc writes a struct's exported fields in order under their JSON names. A struct
// whose layout needs encoding/json's rules for embedded or conflicting fields, or options
// other than omitempty, is left to encoding/json.
func newStructEnc(t reflect.Type) encFunc {
	var fields []field
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return encodeFallback
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !validTag(name) {
			name = sf.Name
		}
		f := field{name: name, index: i}
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "string", "omitzero":
				return encodeFallback
			}
		}
		if seen[name] {
			return encodeFallback
		}
		seen[name] = true
		f.key = string(jsonany.AppendString(nil, name)) + ": "
		f.enc = encoderLocked(sf.Type)
		switch {
		case t == resourceType && sf.Name == "History":
			f.whole = rowsEncoder(f.enc, sf.Name, func(r *history.Resource) bool { return r.History != nil || r.Len() == 0 }, (*history.Resource).Changes)
		case t == reportType && sf.Name == "FailedAttempts":
			f.whole = rowsEncoder(f.enc, sf.Name, func(r *report.Report) bool { return r.FailedAttempts != nil || r.FailedCount() == 0 }, (*report.Report).Failed)
		case t == postureType && sf.Name == "Endpoints":
			f.whole = rowsEncoder(f.enc, sf.Name, func(p *posture.Posture) bool { return p.Endpoints != nil || p.Len() == 0 }, (*posture.Posture).Rows)
		}
		fields = append(fields, f)
	}
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		first := true
		for i := range fields {
			f := &fields[i]
			fv := v.Field(f.index)
			if f.omitEmpty && emptyValue(fv) {
				continue
			}
			if depth == 0 && e.slot != "" && f.name == e.slot {
				e.writeSlot(f, fv, first)
				first = false
				continue
			}
			if first {
				e.buf = append(e.buf, '{')
				first = false
			} else {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			e.buf = append(e.buf, f.key...)
			if f.whole != nil {
				f.whole(e, v, depth+1)
				continue
			}
			f.enc(e, fv, depth+1)
		}
		if first {
			e.buf = append(e.buf, "{}"...)
			return
		}
		e.newline(depth)
		e.buf = append(e.buf, '}')
	}
}

// writeSlot writes the slot field to w but not to the hash: the hash gets the document as
// it would be without the field.
func (e *jsonEncoder) writeSlot(f *field, v reflect.Value, first bool) {
	if first {
		e.fail(errSlotFirst)
		return
	}
	e.flush(true)
	e.buf = append(e.buf, ',')
	e.newline(1)
	e.buf = append(e.buf, f.key...)
	e.slotAt = e.n + int64(len(e.buf))
	f.enc(e, v, 1)
	e.flush(false)
}

type jsonError string

func (e jsonError) Error() string { return string(e) }

const errSlotFirst = jsonError("json: the digest cannot be the report's first field")

// emptyValue is encoding/json's test for omitempty.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// validTag is encoding/json's test of a name given in a tag.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

var (
	resourceType = reflect.TypeFor[history.Resource]()
	postureType  = reflect.TypeFor[posture.Posture]()
	reportType   = reflect.TypeFor[report.Report]()
)

// rowsEncoder writes a field of rows that may be on disk (a resource's history, the
// posture's endpoints) as the slice encoder writes the field: from the field while
// inMemory says the rows are there, else as rows yields them back.
func rowsEncoder[S, T any](slice encFunc, name string, inMemory func(*S) bool, rows func(*S) iter.Seq2[int, *T]) encFunc {
	elem := encoderLocked(reflect.TypeFor[T]())
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		var s *S
		if v.CanAddr() {
			s = v.Addr().Interface().(*S)
		} else {
			c := v.Interface().(S)
			s = &c
		}
		if inMemory(s) {
			slice(e, v.FieldByName(name), depth)
			return
		}
		e.buf = append(e.buf, '[')
		for j, x := range rows(s) {
			if !e.element(j, depth, elem, reflect.ValueOf(x).Elem()) {
				return
			}
		}
		e.newline(depth)
		e.buf = append(e.buf, ']')
	}
}

// element writes the i-th element v of an array that starts at depth, on a line of its own,
// and writes out a full buffer; false once writing failed.
func (e *jsonEncoder) element(i, depth int, elem encFunc, v reflect.Value) bool {
	if i > 0 {
		e.buf = append(e.buf, ',')
	}
	e.newline(depth + 1)
	elem(e, v, depth+1)
	if len(e.buf) >= flushAt && e.behind != nil { // a worker's encoder keeps its buffer
		if e.err != nil {
			return false
		}
		e.flush(true)
	}
	return true
}

// newSliceEnc writes a slice one element a line, flushing between elements: the histories
// and failed attempts are most of a report.
func newSliceEnc(t reflect.Type) encFunc {
	elem := encoderLocked(t.Elem())
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return
		}
		n := v.Len()
		if n == 0 {
			e.buf = append(e.buf, "[]"...)
			return
		}
		e.buf = append(e.buf, '[')
		for i := range n {
			if !e.element(i, depth, elem, v.Index(i)) {
				return
			}
		}
		e.newline(depth)
		e.buf = append(e.buf, ']')
	}
}

// newMapEnc writes a map with string keys in the order of its keys.
func newMapEnc(t reflect.Type) encFunc {
	elem := encoderLocked(t.Elem())
	type entry struct {
		k string
		v reflect.Value
	}
	return func(e *jsonEncoder, v reflect.Value, depth int) {
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return
		}
		if v.Len() == 0 {
			e.buf = append(e.buf, "{}"...)
			return
		}
		entries := make([]entry, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, entry{it.Key().String(), it.Value()})
		}
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.k, b.k) })
		e.buf = append(e.buf, '{')
		for i, en := range entries {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			e.buf = jsonany.AppendString(e.buf, en.k)
			e.buf = append(e.buf, ':', ' ')
			elem(e, en.v, depth+1)
		}
		e.newline(depth)
		e.buf = append(e.buf, '}')
	}
}
