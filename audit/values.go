package audit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"strings"
)

// tracker sits between a source and a json.Decoder. It keeps the bytes the decoder has not
// yet been placed past, so that a decoder offset can be turned into a line number and the
// next value can be looked at before it is decoded.
type tracker struct {
	r      io.Reader
	buf    []byte // bytes from absolute offset base on
	base   int64
	served int64 // bytes handed to the decoder
	line   int   // line number at base, from 1
	err    error

	newlines int64 // newlines read from the source so far
	last     byte  // the last byte read
}

func (t *tracker) Read(p []byte) (int, error) {
	if t.served == t.base+int64(len(t.buf)) {
		if err := t.fill(); err != nil && t.served == t.base+int64(len(t.buf)) {
			return 0, err
		}
	}
	n := copy(p, t.buf[t.served-t.base:])
	t.served += int64(n)
	return n, nil
}

func (t *tracker) fill() error {
	if t.err != nil {
		return t.err
	}
	var chunk [64 << 10]byte
	n, err := t.r.Read(chunk[:])
	t.buf = append(t.buf, chunk[:n]...)
	if n > 0 {
		t.newlines += int64(bytes.Count(chunk[:n], []byte{'\n'}))
		t.last = chunk[n-1]
	}
	if err != nil {
		t.err = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// lines is the number of lines read: newlines, plus a last line without one.
func (t *tracker) lines() int64 {
	if t.last != 0 && t.last != '\n' {
		return t.newlines + 1
	}
	return t.newlines
}

// advance moves base to off (never backwards), counting the lines passed, and returns the
// line of the first non-space byte at or after off.
func (t *tracker) advance(off int64) int {
	if off > t.base {
		if off > t.base+int64(len(t.buf)) {
			off = t.base + int64(len(t.buf))
		}
		skip := t.buf[:off-t.base]
		t.line += bytes.Count(skip, []byte{'\n'})
		t.buf = t.buf[len(skip):]
		t.base = off
		if cap(t.buf) > 1<<20 && len(t.buf) < 64<<10 {
			t.buf = append([]byte(nil), t.buf...)
		}
	}
	line := t.line
	for i := 0; ; i++ {
		for i >= len(t.buf) {
			if t.fill() != nil && i >= len(t.buf) {
				return line
			}
		}
		switch t.buf[i] {
		case '\n':
			line++
		case ' ', '\t', '\r', ',', ':':
		default:
			return line
		}
	}
}

// peek returns the first byte at or after off that is not space, a comma or a colon.
func (t *tracker) peek(off int64) byte {
	t.advance(off)
	for i := 0; ; i++ {
		for i >= len(t.buf) {
			if t.fill() != nil && i >= len(t.buf) {
				return 0
			}
		}
		switch c := t.buf[i]; c {
		case ' ', '\t', '\r', '\n', ',', ':':
		default:
			return c
		}
	}
}

// streamedKeys are the envelope keys whose arrays are read one element at a time, so that a
// CloudWatch export or an EventList of any size never sits in memory whole.
var streamedKeys = []string{"items", "events", "records"}

// readValues reads a source of JSON values that span lines: pretty-printed events,
// concatenated objects, arrays, and envelopes.
func (r *sourceReader) readValues(br io.Reader) {
	t := &tracker{r: br, line: 1}
	dec := stdjson.NewDecoder(t)
	for !r.stopped() {
		line := t.advance(dec.InputOffset())
		next := t.peek(dec.InputOffset())
		if next == 0 {
			break
		}
		var err error
		switch next {
		case '[':
			err = r.streamArray(dec, t, false)
		case '{':
			err = r.streamObject(dec, t)
		default:
			var raw stdjson.RawMessage
			if err = dec.Decode(&raw); err == nil {
				dispatch(raw, line, "", 0, r)
			}
		}
		if err != nil {
			r.valuesBroken(t, dec, err)
			return
		}
	}
	r.in.Lines = t.lines()
}

// valuesBroken records a syntax error in a multi-line document: JSON cannot resynchronise
// after one, so what follows is counted as unread.
func (r *sourceReader) valuesBroken(t *tracker, dec *stdjson.Decoder, err error) {
	line := t.advance(dec.InputOffset())
	kind := ProblemNotJSON
	if errors.Is(err, io.ErrUnexpectedEOF) {
		kind = ProblemTruncatedLine
	}
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		off := se.Offset
		line = t.line + bytes.Count(t.buf[:clamp(off-t.base, 0, int64(len(t.buf)))], []byte{'\n'})
	}
	r.problem(line, kind, err)
	if kind != ProblemTruncatedLine {
		r.problem(line, ProblemUnparsableRest, errors.New("the rest of the source follows a JSON syntax error and was not read"))
	}
	for t.err == nil {
		t.buf = t.buf[:0]
		t.fill()
	}
	r.in.Lines = t.lines()
}

func clamp(v, lo, hi int64) int64 {
	return max(lo, min(v, hi))
}

// streamArray reads an array one element at a time; logEvents says it is the events of a
// CloudWatch export, whose places name the messages cut (see dispatchLogEvents).
func (r *sourceReader) streamArray(dec *stdjson.Decoder, t *tracker, logEvents bool) error {
	if _, err := dec.Token(); err != nil {
		return err
	}
	for i := 0; dec.More() && !r.stopped(); i++ {
		line := t.advance(dec.InputOffset())
		var raw stdjson.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		var s sink = r
		if logEvents {
			s = logEventSink{r, i}
		}
		dispatch(raw, line, "", 1, s)
	}
	_, err := dec.Token()
	return err
}

// streamObject reads one top-level object. An envelope's array is streamed; any other object
// (a pretty-printed event, a LogEntry, an AKS record) is put back together and decoded.
func (r *sourceReader) streamObject(dec *stdjson.Decoder, t *tracker) error {
	line := t.advance(dec.InputOffset())
	if _, err := dec.Token(); err != nil {
		return err
	}
	var fields []string
	streamed := false
	for dec.More() && !r.stopped() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if isStreamedKey(key) && t.peek(dec.InputOffset()) == '[' {
			if err := r.streamArray(dec, t, strings.EqualFold(key, "events")); err != nil {
				return err
			}
			streamed = true
			continue
		}
		var raw stdjson.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		k, _ := stdjson.Marshal(key)
		fields = append(fields, string(k)+":"+string(raw))
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if !streamed {
		dispatch([]byte("{"+strings.Join(fields, ",")+"}"), line, "", 0, r)
	}
	return nil
}

func isStreamedKey(key string) bool {
	for _, k := range streamedKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
