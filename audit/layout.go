package audit

import (
	"reflect"
	"strings"
)

// The scan (scanLine) reads a line's values where the validation found the keys of the API
// server's layout, spelled as it spells them. encoding/json and goccy/go-json take the last
// of a key given twice, and take a key that differs from a field's name only in case (or
// spells it with escapes) for that field; a key such as "items" makes the line an envelope.
// A line whose event, objectRef or user has a key twice, or such a key, is therefore not in
// the layout: it is decoded whole. The API server never writes one; FuzzFastPath found
// "oBjeCtRef", read as no objectRef by the scan and as one by the decoders.

// layout is the keys of one object of the API server's layout.
type layout struct {
	names []string // as the API server writes them, in its order
	byLen [32][]int
	// fold is what the decoders read into a field: the fields of the type the object is
	// decoded into.
	fold []string
}

// layouts are those of an event, its objectRef and its user, by container (from inEvent).
var layouts = [...]*layout{
	newLayout(reflect.TypeFor[wire](), "kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user",
		"impersonatedUser", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
		"requestReceivedTimestamp", "stageTimestamp", "annotations"),
	newLayout(reflect.TypeFor[ObjectRef](), "resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource"),
	newLayout(reflect.TypeFor[UserInfo](), "username", "uid", "groups", "extra"),
}

// The numbers of the keys the scan reads (scanLine).
var (
	evLevel, evAuditID, evStage, evURI, evVerb = key(0, "level"), key(0, "auditID"), key(0, "stage"), key(0, "requestURI"), key(0, "verb")
	evUser, evObjectRef                        = key(0, "user"), key(0, "objectRef")
	evImpersonated, evSourceIPs, evUserAgent   = key(0, "impersonatedUser"), key(0, "sourceIPs"), key(0, "userAgent")
	evStatus, evAnnotations                    = key(0, "responseStatus"), key(0, "annotations")
	evRequest, evResponse                      = key(0, "requestObject"), key(0, "responseObject")
	evReceived, evStageTime                    = key(0, "requestReceivedTimestamp"), key(0, "stageTimestamp")
	refResource, refGroup, refSubresource      = key(1, "resource"), key(1, "apiGroup"), key(1, "subresource")
	refNamespace, refName                      = key(1, "namespace"), key(1, "name")
	refUID, refVersion, refResourceVersion     = key(1, "uid"), key(1, "apiVersion"), key(1, "resourceVersion")
	userName, userUID, userGroups              = key(2, "username"), key(2, "uid"), key(2, "groups")
)

// key is the number of a key in the layout of object o (0 the event, 1 its objectRef, 2
// its user).
func key(o int, name string) int {
	for id, n := range layouts[o].names {
		if n == name {
			return id
		}
	}
	panic("audit: no key " + name + " in the layout")
}

func newLayout(decoded reflect.Type, names ...string) *layout {
	if len(names) > maxLayout {
		panic("audit: a layout of more keys than places holds")
	}
	l := &layout{names: names}
	for id, n := range names {
		l.byLen[len(n)] = append(l.byLen[len(n)], id)
	}
	for f := range decoded.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		l.fold = append(l.fold, name)
	}
	return l
}

// find returns the number of key among the layout's names, or -1; next is the one expected.
func (l *layout) find(key []byte, next int) int {
	if next < len(l.names) && string(key) == l.names[next] {
		return next
	}
	if len(key) < len(l.byLen) {
		for _, id := range l.byLen[len(key)] {
			if string(key) == l.names[id] {
				return id
			}
		}
	}
	return -1
}

// folds reports whether a key not among the layout's names may still be read into a field:
// one of its names in other case, a key with an escape or past ASCII (encoding/json folds
// "ſ" to "s" and the Kelvin sign to "k"), or a field outside the layout.
func (l *layout) folds(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 || c == '\\' {
			return true
		}
	}
	for _, f := range l.fold {
		if strings.EqualFold(f, string(key)) {
			return true
		}
	}
	return false
}

// places holds where walkJSON found the values of the keys of the objects it checks.
type places struct {
	// start is, by object (from inEvent) and the key's number in its layout, the index of
	// the value's first byte, or 0 for a key not met (no value starts a line).
	start [len(layouts)][maxLayout]int32
	// end is, for the event's keys, the index after the value's last byte.
	end [maxLayout]int32
}

// maxLayout is the most keys a layout may have (newLayout checks).
const maxLayout = 18

// keyCheck follows the keys of the objects walkJSON checks.
type keyCheck struct {
	at    *places   // nil: keys are not checked
	exact bool      // no key so far takes the line out of the layout
	seen  [3]uint64 // per checked object, the layout's keys met
	next  [3]int    // per checked object, the key expected next
	last  int       // the event's key whose value is being read (its number), or -1
}

// open returns what an object opened inside the containers of stack is.
func (k *keyCheck) open(stack []container) container {
	switch {
	case k.at == nil:
		return inObject
	case len(stack) == 0:
		return inEvent
	case stack[len(stack)-1] != inEvent:
		return inObject
	case k.last >= 0 && layouts[0].names[k.last] == "objectRef":
		return inRef
	case k.last >= 0 && layouts[0].names[k.last] == "user":
		return inUser
	}
	return inObject
}

// key notes a key of a checked object and returns its number in the layout, or -1.
func (k *keyCheck) key(kind container, key []byte) int {
	o := kind - inEvent
	l := layouts[o]
	id := l.find(key, k.next[o])
	if kind == inEvent {
		k.last = id
	}
	if id < 0 {
		if l.folds(key) {
			k.exact = false
		}
		return -1
	}
	bit := uint64(1) << id
	if k.seen[o]&bit != 0 {
		k.exact = false // twice: the decoders read the last, the scan the first
	}
	k.seen[o] |= bit
	k.next[o] = id + 1
	return id
}
