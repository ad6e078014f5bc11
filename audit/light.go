package audit

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync"
	"time"
	"unicode/utf8"
)

// light is what a scan of an API server line yields without decoding it.
type light struct {
	kind        Kind
	subresource string
	verb        string
	level       string
	time        time.Time
	// auditID and stage are the raw values (valid as long as the line), stageTime the
	// parsed stageTimestamp: with verb and time, what tells one event from another.
	auditID   []byte
	stage     []byte
	stageTime time.Time
	uri       []byte // unescaped
	user      []byte
	// ns and name are read for leases only (see Input.Leases).
	ns, name string
}

// apiServerPrefix is how kube-apiserver (log backend, audit.k8s.io/v1, FormatJson) starts
// every line. Only lines that start so are scanned; any other, a v1beta1 event or a
// shipper's envelope, is decoded whole.
var apiServerPrefix = []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"`)

// interner returns one string per distinct byte sequence, so that scanning a line allocates
// nothing for values that repeat on every line (verbs, levels, resources).
type interner map[string]string

// internerPool keeps interners from one source to the next: the names of one cluster's
// events (verbs, resources, users) are the same in all of its files, and an interner holds
// 4,096 at most.
var internerPool = sync.Pool{New: func() any { return interner{} }}

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < 4096 {
		in[s] = s
	}
	return s
}

// scanLine reads what the reader counts an event by from a line of the API server: one that
// starts as it writes (apiServerPrefix), is valid JSON (see validJSON), and whose event,
// objectRef and user have their keys as in its layout (see layout), each once. The values
// are read where the validation found them. ok is false for any other line, and for one
// whose values the scan does not read as a decode would (a string with an escape, a value
// of another type): it is then decoded whole, and the decode says what is wrong with it.
func scanLine(b []byte, in interner) (l light, ok bool) {
	var at places
	return scanAt(b, in, &at)
}

// scanAt is scanLine, leaving in at where the line's values are (for eventAt).
func scanAt(b []byte, in interner, at *places) (l light, ok bool) {
	if !bytes.HasPrefix(b, apiServerPrefix) || len(b) > math.MaxInt32 {
		return l, false
	}
	*at = places{}
	if valid, exact := walkJSON(b, at); !valid || !exact {
		return l, false
	}
	ev, ref, user := &at.start[0], &at.start[1], &at.start[2]
	// str reads the string at i, if it is plain (see plain); absent is true for no key or
	// null, which the decoders read as an empty string.
	str := func(i int32) (v []byte, absent, ok bool) {
		switch {
		case i == 0 || b[i] == 'n':
			return nil, true, true
		case b[i] != '"':
			return nil, false, false
		}
		v = b[i+1:]
		end := bytes.IndexByte(v, '"')
		if !plain(v[:end]) {
			return nil, false, false
		}
		return v[:end], false, true
	}
	// given reads a plain string at i that must be there.
	given := func(i int32) ([]byte, bool) {
		v, absent, ok := str(i)
		return v, ok && !absent
	}
	level, ok := given(ev[evLevel])
	if !ok {
		return l, false
	}
	// An event without a verb is no event: decoded, it says so.
	verb, ok := given(ev[evVerb])
	if !ok || len(verb) == 0 {
		return l, false
	}
	l.level, l.verb = in.get(level), in.get(verb)
	if l.auditID, ok = given(ev[evAuditID]); !ok || len(l.auditID) == 0 {
		return l, false
	}
	if l.stage, ok = given(ev[evStage]); !ok || len(l.stage) == 0 {
		return l, false
	}
	if l.uri, ok = requestURI(b, ev[evURI]); !ok {
		return l, false
	}
	if i := ev[evUser]; i != 0 && b[i] != 'n' {
		if b[i] != '{' {
			return l, false
		}
		if l.user, _, ok = str(user[userName]); !ok {
			return l, false
		}
	}
	if i := ev[evObjectRef]; i != 0 && b[i] != 'n' {
		if b[i] != '{' {
			return l, false
		}
		field := func(i int32) string {
			v, _, plain := str(i)
			ok = ok && plain
			return in.get(v)
		}
		l.kind.Resource, l.kind.Group, l.subresource = field(ref[refResource]), field(ref[refGroup]), field(ref[refSubresource])
		if l.kind.Resource == "leases" {
			l.ns, l.name = field(ref[refNamespace]), field(ref[refName])
		}
		if !ok {
			return l, false
		}
	}
	stamp := func(i int32) (time.Time, bool) {
		v, ok := given(i)
		if !ok {
			return time.Time{}, false
		}
		t, err := parseStamp(v)
		return t, err == nil
	}
	if l.time, ok = stamp(ev[evReceived]); !ok {
		return l, false
	}
	if l.stageTime, ok = stamp(ev[evStageTime]); !ok {
		return l, false
	}
	return l, true
}

// requestURI reads the request URI at i, unescaped as a decoder reads it (valueReader);
// false when there is none, or it is not a string.
func requestURI(b []byte, i int32) ([]byte, bool) {
	if i == 0 || b[i] != '"' {
		return nil, false
	}
	v := valueReader{b: b, ok: true}
	uri, _ := v.textEnd(int(i))
	return uri, v.ok
}

// plain reports whether a string value's bytes are its content as a decoder reads it: no
// escape, and valid UTF-8 (a decoder reads each invalid byte as U+FFFD).
func plain(v []byte) bool {
	// Eight bytes at a time while none is a backslash or past ASCII (a mark may also stop
	// it early: the bytes are then looked at one by one).
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		backslash := x ^ (ones * '\\')
		if (x|(backslash-ones)&^backslash)&highs != 0 {
			break
		}
	}
	for ; i < len(v); i++ {
		c := v[i]
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return bytes.IndexByte(v[i:], '\\') < 0 && utf8.Valid(v[i:])
		}
	}
	return true
}
