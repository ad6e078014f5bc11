package audit

import (
	"bytes"
	"time"
)

// light is what a scan of an API server line yields without decoding it.
type light struct {
	kind        Kind
	subresource string
	verb        string
	level       string
	time        time.Time
}

// apiServerPrefix is how kube-apiserver (log backend, audit.k8s.io/v1, FormatJson) starts
// every line. Only lines in that exact layout are scanned; any other layout, a key-sorted
// copy or a shipper's rewrite, is decoded whole, so the scan can never misread it.
var apiServerPrefix = []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"`)

var (
	keyVerb        = []byte(`"verb":"`)
	keyObjectRef   = []byte(`"objectRef":{`)
	keyReqObject   = []byte(`"requestObject":`)
	keyRespObject  = []byte(`"responseObject":`)
	keyReceived    = []byte(`"requestReceivedTimestamp":"`)
	keyResource    = []byte(`"resource":"`)
	keyAPIGroup    = []byte(`"apiGroup":"`)
	keySubresource = []byte(`"subresource":"`)
)

// scanLight reads kind, verb, level and time from a line in the API server's own layout,
// where field order is fixed: level, auditID, stage, requestURI, verb, user, sourceIPs,
// userAgent, objectRef, responseStatus, requestObject, responseObject,
// requestReceivedTimestamp, stageTimestamp, annotations. A quote inside a JSON string is
// always escaped, so a key pattern such as `"verb":"` cannot match inside a value. ok is
// false when the line is not in that layout; it is then decoded whole.
func scanLight(b []byte) (l light, ok bool) {
	if !bytes.HasPrefix(b, apiServerPrefix) || b[len(b)-1] != '}' {
		return l, false
	}
	rest := b[len(apiServerPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return l, false
	}
	l.level = string(rest[:end])
	l.verb, ok = stringAfter(rest, keyVerb)
	if !ok {
		return l, false
	}
	// A body may hold the key patterns; the objectRef that counts comes before any body.
	// Metadata-level events carry no bodies at all.
	if i := bytes.Index(rest, keyObjectRef); i >= 0 {
		if l.level != "Metadata" && (bytes.Contains(rest[:i], keyReqObject) || bytes.Contains(rest[:i], keyRespObject)) {
			return l, false
		}
		ref := rest[i+len(keyObjectRef):]
		close := bytes.IndexByte(ref, '}')
		if close < 0 {
			return l, false
		}
		ref = ref[:close]
		l.kind.Resource, _ = stringAfter(ref, keyResource)
		l.kind.Group, _ = stringAfter(ref, keyAPIGroup)
		l.subresource, _ = stringAfter(ref, keySubresource)
	}
	// The top-level timestamps come after the bodies: the last occurrence is the real one.
	i := bytes.LastIndex(rest, keyReceived)
	if i < 0 {
		return l, false
	}
	ts := rest[i+len(keyReceived):]
	end = bytes.IndexByte(ts, '"')
	if end < 0 {
		return l, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts[:end]))
	if err != nil {
		return l, false
	}
	l.time = t.UTC()
	return l, true
}

// stringAfter returns the plain string value that follows key, or false if it has escapes.
func stringAfter(b, key []byte) (string, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return "", false
	}
	v := b[i+len(key):]
	end := bytes.IndexByte(v, '"')
	if end < 0 || bytes.IndexByte(v[:end], '\\') >= 0 {
		return "", false
	}
	return string(v[:end]), true
}
