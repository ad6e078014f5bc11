package audit

import (
	"bytes"
	"encoding/binary"
	stdjson "encoding/json"
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
// every line. Only lines in that exact layout are scanned; any other layout, a key-sorted
// copy or a shipper's rewrite, is decoded whole, so the scan can never misread it.
var apiServerPrefix = []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"`)

// Keys are searched without their opening quote, then checked for it: a pattern that starts
// with '"' makes bytes.Index stop at every quote in a JSON line, which is several times slower.
var (
	keyVerb        = []byte(`verb":"`)
	keyObjectRef   = []byte(`objectRef":{`)
	keyReqObject   = []byte(`requestObject":`)
	keyRespObject  = []byte(`responseObject":`)
	keyReceived    = []byte(`requestReceivedTimestamp":"`)
	keyAuditID     = []byte(`","auditID":"`)
	keyStage       = []byte(`","stage":"`)
	keyStageTime   = []byte(`","stageTimestamp":"`)
	keyURI         = []byte(`","requestURI":"`)
	keyUser        = []byte(`","user":{"username":"`)
	keyResource    = []byte(`resource":"`)
	keyAPIGroup    = []byte(`apiGroup":"`)
	keySubresource = []byte(`subresource":"`)
	keyNamespace   = []byte(`namespace":"`)
	keyName        = []byte(`name":"`)
)

// indexKey returns the index just past key (given without its opening quote) where it follows
// a quote, or -1.
func indexKey(b, key []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], key)
		if i < 0 {
			return -1
		}
		if i+off > 0 && b[i+off-1] == '"' {
			return i + off + len(key)
		}
		off += i + 1
	}
}

// lastIndexKey is indexKey searching from the end.
func lastIndexKey(b, key []byte) int {
	for {
		i := bytes.LastIndex(b, key)
		if i < 0 {
			return -1
		}
		if i > 0 && b[i-1] == '"' {
			return i + len(key)
		}
		b = b[:i]
	}
}

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

// scanLine is scanLight for a line whose scan a decode would agree with: valid JSON (see
// validJSON) whose keys are those of the API server's layout (see layout). ok is false for
// any other line; it is then decoded whole by encoding/json, which says what is wrong with it.
func scanLine(b []byte, in interner) (l light, ok bool) {
	if l, ok = scanLight(b, in); !ok {
		return l, false
	}
	valid, exact := walkJSON(b, true)
	return l, valid && exact
}

// scanLight reads kind, verb, level and time from a line in the API server's own layout,
// where field order is fixed: level, auditID, stage, requestURI, verb, user, sourceIPs,
// userAgent, objectRef, responseStatus, requestObject, responseObject,
// requestReceivedTimestamp, stageTimestamp, annotations. A quote inside a JSON string is
// always escaped, so a key pattern such as `"verb":"` cannot match inside a value. ok is
// false when the line is not in that layout; it is then decoded whole.
func scanLight(b []byte, in interner) (l light, ok bool) {
	if !bytes.HasPrefix(b, apiServerPrefix) || b[len(b)-1] != '}' {
		return l, false
	}
	rest := b[len(apiServerPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return l, false
	}
	if !plain(rest[:end]) {
		return l, false
	}
	l.level = in.get(rest[:end])
	// auditID and stage follow the level directly.
	if !bytes.HasPrefix(rest[end:], keyAuditID) {
		return l, false
	}
	id := rest[end+len(keyAuditID):]
	if end = bytes.IndexByte(id, '"'); end <= 0 || !plain(id[:end]) {
		return l, false
	}
	l.auditID = id[:end]
	if !bytes.HasPrefix(id[end:], keyStage) {
		return l, false
	}
	st := id[end+len(keyStage):]
	if end = bytes.IndexByte(st, '"'); end <= 0 || !plain(st[:end]) {
		return l, false
	}
	l.stage = st[:end]
	if !bytes.HasPrefix(st[end:], keyURI) {
		return l, false
	}
	quoted := st[end+len(keyURI)-1:]
	uend := endOfString(quoted[1:])
	if uend < 0 {
		return l, false
	}
	l.uri = quoted[1 : 1+uend]
	if bytes.IndexByte(l.uri, '\\') >= 0 {
		if u, ok := unescapeASCII(l.uri); ok {
			l.uri = u
		} else {
			var u string
			if stdjson.Unmarshal(quoted[:uend+2], &u) != nil {
				return l, false
			}
			l.uri = []byte(u)
		}
	} else if !plain(l.uri) {
		return l, false
	}
	v := indexKey(rest, keyVerb)
	if v < 0 {
		return l, false
	}
	if l.verb, ok = stringAt(rest[v:], in); !ok || l.verb == "" {
		return l, false // an event without a verb is no event: decoded, it says so
	}
	rest = rest[v:]
	if u := rest[len(l.verb):]; bytes.HasPrefix(u, keyUser) {
		u = u[len(keyUser):]
		if end = bytes.IndexByte(u, '"'); end < 0 || !plain(u[:end]) {
			return l, false
		}
		l.user = u[:end]
	}
	// A body may hold the key patterns; the objectRef that counts comes before any body.
	// Metadata-level events carry no bodies at all.
	if i := indexKey(rest, keyObjectRef); i >= 0 {
		if l.level != "Metadata" && (indexKey(rest[:i], keyReqObject) >= 0 || indexKey(rest[:i], keyRespObject) >= 0) {
			return l, false
		}
		ref := rest[i:]
		close := bytes.IndexByte(ref, '}')
		if close < 0 {
			return l, false
		}
		rest = ref[close:]
		ref = ref[:close]
		allPlain := true
		read := func(key []byte) string {
			s, ok := stringAfter(ref, key, in)
			allPlain = allPlain && ok
			return s
		}
		l.kind.Resource, l.kind.Group, l.subresource = read(keyResource), read(keyAPIGroup), read(keySubresource)
		if l.kind.Resource == "leases" {
			l.ns, l.name = read(keyNamespace), read(keyName)
		}
		if !allPlain {
			return l, false
		}
	}
	// The top-level timestamps come after the bodies: the last occurrence is the real one.
	// Without bodies, the first after objectRef is the last, and a forward search is faster.
	var i int
	if l.level == "Metadata" {
		i = indexKey(rest, keyReceived)
	} else {
		i = lastIndexKey(rest, keyReceived)
	}
	if i < 0 {
		return l, false
	}
	ts := rest[i:]
	end = bytes.IndexByte(ts, '"')
	if end < 0 {
		return l, false
	}
	t, err := parseStamp(ts[:end])
	if err != nil {
		return l, false
	}
	l.time = t
	// stageTimestamp follows requestReceivedTimestamp directly.
	sts := ts[end:]
	if !bytes.HasPrefix(sts, keyStageTime) {
		return l, false
	}
	sts = sts[len(keyStageTime):]
	if end = bytes.IndexByte(sts, '"'); end < 0 {
		return l, false
	}
	if l.stageTime, err = parseStamp(sts[:end]); err != nil {
		return l, false
	}
	return l, true
}

// stringAfter returns the string value that follows key, or "" when there is no key; false
// when the value is not plain (see plain), so that a decode may read it otherwise.
func stringAfter(b, key []byte, in interner) (string, bool) {
	i := indexKey(b, key)
	if i < 0 {
		return "", true
	}
	return stringAt(b[i:], in)
}

// stringAt reads a string value up to its closing quote; false unless it is plain.
func stringAt(v []byte, in interner) (string, bool) {
	end := bytes.IndexByte(v, '"')
	if end < 0 || !plain(v[:end]) {
		return "", false
	}
	return in.get(v[:end]), true
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

// endOfString returns the index of the quote that ends the JSON string b starts inside, or -1.
func endOfString(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
