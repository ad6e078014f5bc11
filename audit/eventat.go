package audit

import (
	"bytes"
	stdjson "encoding/json"
	"strings"
)

// eventAt reads an event of the API server's layout from where the scan found its values
// (scanAt), as decodeWire and fromWire would read the line, without a second pass over it:
// what repeats from line to line (users, groups, namespaces, user agents, annotations) is
// interned, and the two bodies share one copy. It returns nil for a value it does not read
// as encoding/json does (an impersonated user, a null where text is, a code that is not an
// integer): that line is decoded whole, and the decode says what is wrong with it.
// FuzzFastPath holds the two readings to each other.
func eventAt(b []byte, at *places, l *light, in interner, s sink, line int) *Event {
	v := valueReader{b: b, in: in, ok: true}
	e, ref, user := &at.start[0], &at.start[1], &at.start[2]
	if i := e[evImpersonated]; i != 0 && b[i] != 'n' {
		return nil
	}
	ev := &Event{
		Level:           l.level,
		AuditID:         string(l.auditID),
		Stage:           in.get(l.stage),
		RequestURI:      string(l.uri),
		Verb:            l.verb,
		SourceIPs:       v.list(e[evSourceIPs]),
		UserAgent:       v.shared(e[evUserAgent]),
		ResponseStatus:  v.status(e[evStatus]),
		RequestReceived: l.time,
		StageTime:       l.stageTime,
		Annotations:     v.annotations(e[evAnnotations]),
		Line:            line,
	}
	if i := e[evUser]; i != 0 && b[i] != 'n' {
		ev.User = UserInfo{Username: in.get(l.user), UID: v.own(user[userUID]), Groups: v.list(user[userGroups])}
	}
	if i := e[evObjectRef]; i != 0 && b[i] != 'n' {
		ev.ObjectRef = &ObjectRef{
			Resource: l.kind.Resource, APIGroup: l.kind.Group, Subresource: l.subresource,
			Namespace: v.shared(ref[refNamespace]), Name: v.own(ref[refName]), UID: v.own(ref[refUID]),
			APIVersion: v.shared(ref[refVersion]), ResourceVersion: v.own(ref[refResourceVersion]),
		}
	}
	if !v.ok {
		return nil
	}
	req, resp := rawAt(b, e[evRequest], at.end[evRequest]), rawAt(b, e[evResponse], at.end[evResponse])
	ev.keepBodies(req, resp, s, line)
	// The bodies kept are copies (the line's buffer is read into again), in one array:
	// growing the first by the second copies both into a new one (without clearing it
	// first, as make would).
	switch req, resp := ev.RequestObject, ev.ResponseObject; {
	case req != nil && resp != nil:
		both := append(req[:len(req):len(req)], resp...)
		ev.RequestObject, ev.ResponseObject = both[:len(req):len(req)], both[len(req):len(both):len(both)]
	case req != nil:
		ev.RequestObject = bytes.Clone(req)
	case resp != nil:
		ev.ResponseObject = bytes.Clone(resp)
	}
	return ev
}

// rawAt is the value from start to end, nil for a key not met.
func rawAt(b []byte, start, end int32) stdjson.RawMessage {
	if start == 0 {
		return nil
	}
	return b[start:end]
}

// valueReader reads the values of a valid line at the indexes the walk found them. The first
// it cannot read as encoding/json does clears ok, and the rest of the line is not trusted.
type valueReader struct {
	b  []byte
	in interner
	ok bool
}

// text is the content of the string at i: empty for null or for no key (i 0), as the
// decoders leave a string field; ok false for another type.
func (v *valueReader) text(i int32) []byte {
	switch {
	case i == 0 || v.b[i] == 'n':
		return nil
	case v.b[i] != '"':
		v.ok = false
		return nil
	}
	t, _ := v.textEnd(int(i))
	return t
}

// textEnd reads the string that starts at i and returns its content and the index after it.
// A string with escapes or bytes past ASCII is read by unescapeASCII, or else by
// encoding/json (which replaces invalid UTF-8).
func (v *valueReader) textEnd(i int) ([]byte, int) {
	end := endString(v.b, i)
	if end < 0 {
		v.ok = false
		return nil, i
	}
	raw := v.b[i+1 : end-1]
	if plain(raw) {
		return raw, end
	}
	if t, ok := unescapeASCII(raw); ok {
		return t, end
	}
	var s string
	if stdjson.Unmarshal(v.b[i:end], &s) != nil {
		v.ok = false
		return nil, end
	}
	return []byte(s), end
}

// container reports whether the value at i is a container that opens with open: false for
// null or no key (i 0), and for a value of another type, which clears ok.
func (v *valueReader) container(i int32, open byte) bool {
	switch {
	case i == 0 || v.b[i] == 'n':
		return false
	case v.b[i] != open:
		v.ok = false
		return false
	}
	return true
}

// shared is the string at i, interned: for values many events share.
func (v *valueReader) shared(i int32) string { return v.in.get(v.text(i)) }

// own is the string at i in an allocation of its own: for values of one object or request.
func (v *valueReader) own(i int32) string { return string(v.text(i)) }

// list reads a list of strings, interned; nil for null or no key. A null element (which
// encoding/json reads as "") or one of another type clears ok.
func (v *valueReader) list(i int32) []string {
	if !v.container(i, '[') {
		return nil
	}
	b := v.b
	out := make([]string, 0, 4)
	j := nextToken(b, int(i)+1)
	if b[j] == ']' {
		return out
	}
	for {
		if b[j] != '"' {
			v.ok = false
			return nil
		}
		t, end := v.textEnd(j)
		if !v.ok {
			return nil
		}
		out = append(out, v.in.get(t))
		j = nextToken(b, end)
		if b[j] == ']' {
			return out
		}
		j = nextToken(b, j+1) // the comma
	}
}

// annotations reads an object of strings, its keys and values interned; nil for null or no
// key. A value of another type, or null, clears ok.
func (v *valueReader) annotations(i int32) map[string]string {
	if !v.container(i, '{') {
		return nil
	}
	b := v.b
	m := make(map[string]string, 4)
	j := nextToken(b, int(i)+1)
	if b[j] == '}' {
		return m
	}
	for v.ok {
		k, end := v.textEnd(j)
		j = nextToken(b, nextToken(b, end)+1) // past the colon
		if !v.ok || b[j] != '"' {
			v.ok = false
			return nil
		}
		val, end := v.textEnd(j)
		if !v.ok {
			return nil
		}
		m[v.in.get(k)] = v.in.get(val)
		j = nextToken(b, end)
		if b[j] == '}' {
			return m
		}
		j = nextToken(b, j+1)
	}
	return nil
}

// statusFields are the keys of a response status that Status reads.
var statusFields = [...]string{"code", "status", "reason", "message"}

// status reads a response status; nil for null or no key. A key the decoders would read
// into a field but spelled otherwise (in other case, or with an escape), a null or a value
// of another type in a field, or a code that is not an integer of int32, clears ok.
func (v *valueReader) status(i int32) *Status {
	if !v.container(i, '{') {
		return nil
	}
	b := v.b
	st := &Status{}
	j := nextToken(b, int(i)+1)
	if b[j] == '}' {
		return st
	}
	for v.ok {
		end := endString(b, j)
		if end < 0 {
			v.ok = false
			return nil
		}
		key := b[j+1 : end-1]
		j = nextToken(b, nextToken(b, end)+1) // past the colon
		switch string(key) {
		case "code":
			st.Code, end = v.code(j)
		case "status":
			st.Status, end = v.statusText(j)
		case "reason":
			st.Reason, end = v.statusText(j)
		case "message":
			st.Message, end = v.statusText(j)
		default:
			for _, f := range statusFields {
				if strings.EqualFold(f, string(key)) {
					v.ok = false
				}
			}
			if !plain(key) {
				v.ok = false
			}
			end = endValue(b, j)
		}
		if !v.ok || end < 0 {
			v.ok = false
			return nil
		}
		j = nextToken(b, end)
		if b[j] == '}' {
			return st
		}
		j = nextToken(b, j+1)
	}
	return nil
}

// statusText reads a string field of a status at i, interned (reasons and messages repeat).
func (v *valueReader) statusText(i int) (string, int) {
	if v.b[i] != '"' {
		v.ok = false
		return "", i
	}
	t, end := v.textEnd(i)
	return v.in.get(t), end
}

// code reads an integer of int32 at i, as encoding/json reads it into Code.
func (v *valueReader) code(i int) (int32, int) {
	b := v.b
	j, neg := i, false
	if j < len(b) && b[j] == '-' {
		neg = true
		j++
	}
	var n int64
	digits := j
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		n = n*10 + int64(b[j]-'0')
		if n > 1<<31 {
			v.ok = false
			return 0, j
		}
	}
	if j == digits || j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		v.ok = false
		return 0, j
	}
	if neg {
		n = -n
	}
	if n > 1<<31-1 {
		v.ok = false
		return 0, j
	}
	return int32(n), j
}

// endValue returns the index after the value of a valid line that starts at i, or -1.
func endValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = endString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
