package history

import (
	"strconv"
	"sync"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/jsonany"
)

// Most writes a busy cluster logs create an object, or update or patch one, or its status,
// whose state before is known: the tracker reads those on tapes (leavesOnTape, diffTapes)
// and decodes only the values it reports. Every other write, and one of these whose bodies are not what the comparison
// needs, takes the general path, which decodes the bodies.

var tapes = sync.Pool{New: func() any { return new(jsonany.Tape) }}

// Body readies an event's responseObject for Add: a tape for a create, an update or a patch
// that answered with an object, else the decoded value (Decode).
// It is safe to call on another goroutine than the tracker's.
func Body(ae *audit.Event) any {
	if onTapes(ae) {
		tp := tapes.Get().(*jsonany.Tape)
		if tp.Parse(ae.ResponseObject) == nil && tp.Kind(tp.Root()) == jsonany.Object {
			return tp
		}
		tapes.Put(tp)
	}
	return Decode(ae.ResponseObject)
}

// onTapes reports whether the tracker may read an event's response on a tape: a create, a
// delete, an update or a patch of an object or its status that succeeded.
func onTapes(ae *audit.Event) bool {
	ref := ae.ObjectRef
	if ref == nil || ae.Code() >= 300 || ae.BodiesDropped || len(ae.ResponseObject) == 0 {
		return false
	}
	switch ae.Verb {
	case "create", "delete":
		return ref.Subresource == ""
	case "update", "patch":
		return ref.Subresource == "" || ref.Subresource == "status"
	}
	return false
}

// BodyString is the string at a path of keys in a body Body gave, "" when there is none.
func BodyString(body any, path ...string) string {
	switch b := body.(type) {
	case *jsonany.Tape:
		return b.Str(b.Path(b.Root(), path...))
	case map[string]any:
		return str(b, path...)
	}
	return ""
}

// storedOnTape returns the event's response when it is on a tape and is the stored object,
// as stored tells it; nil otherwise.
func (e *event) storedOnTape() *jsonany.Tape {
	tp, _ := e.resp.(*jsonany.Tape)
	if tp == nil || tp.Str(tp.Member(tp.Root(), "kind")) == "Status" {
		return nil
	}
	if m := tp.Member(tp.Root(), "metadata"); m < 0 || tp.Kind(m) == jsonany.Null {
		return nil
	}
	return tp
}

// deletingOnTape and finalizersOnTape are deleting and finalizers.
func deletingOnTape(tp *jsonany.Tape) bool {
	return tp.Str(tp.Path(tp.Root(), "metadata", "deletionTimestamp")) != ""
}

func finalizersOnTape(tp *jsonany.Tape) int {
	n := 0
	for _, p := range [][]string{{"metadata", "finalizers"}, {"spec", "finalizers"}} {
		if i := tp.Path(tp.Root(), p...); i >= 0 && tp.Kind(i) == jsonany.Array {
			n += tp.Len(i)
		}
	}
	return n
}

// deletion is what a delete's response and the object's state before it tell, read on
// tapes when the response is on one (Body puts a delete's there), decoded otherwise.
type deletion struct {
	// stored says the response is the stored object (not a Status); deleting, finalizers
	// and grace are its deletionTimestamp set, its finalizers and its grace period (-1
	// without one).
	stored, deleting bool
	finalizers       int
	grace            int64
	// prevKnown says the state before is known; prevDeleting that it was marked.
	prevKnown, prevDeleting bool
	// diff compares the state before with the stored object; setState makes the stored
	// object the known state. Both are set when stored is.
	diff     func() []FieldChange
	setState func()
}

func (t *Tracker) deletion(e *event, o *Object) deletion {
	if _, ok := e.resp.(*jsonany.Tape); ok {
		pt := t.prevTape(o)
		d := deletion{prevKnown: pt != nil, prevDeleting: pt != nil && deletingOnTape(pt)}
		if nt := e.storedOnTape(); nt != nil {
			d.stored, d.deleting, d.finalizers, d.grace = true, deletingOnTape(nt), finalizersOnTape(nt), gracePeriodOnTape(nt)
			d.diff = func() []FieldChange { return t.d.diffTapes(pt, nt, !t.noise, false, &t.keys) }
			d.setState = func() { t.setStateOnTape(o, nt, e) }
		}
		return d
	}
	prev, s := t.prev(o), e.stored()
	d := deletion{prevKnown: prev != nil, prevDeleting: prev != nil && deleting(prev)}
	if s != nil {
		d.stored, d.deleting, d.finalizers, d.grace = true, deleting(s), finalizers(s), gracePeriod(s)
		d.diff = func() []FieldChange { return t.diff(prev, s, "") }
		d.setState = func() { t.setState(o, s, e) }
	}
	return d
}

// gracePeriodOnTape is gracePeriod.
func gracePeriodOnTape(tp *jsonany.Tape) int64 {
	i := tp.Path(tp.Root(), "metadata", "deletionGracePeriodSeconds")
	if i < 0 || tp.Kind(i) != jsonany.Number {
		return -1
	}
	v, err := strconv.ParseInt(string(tp.Raw(i)), 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// prevTape puts the object's known state on the tracker's tape, nil when it is not known
// or is no object.
func (t *Tracker) prevTape(o *Object) *jsonany.Tape {
	b := t.knownState(o)
	if b == nil || t.prevT.Parse(b) != nil || t.prevT.Kind(t.prevT.Root()) != jsonany.Object {
		return nil
	}
	return &t.prevT
}

// setStateOnTape is setState for the event's stored object, on a tape.
func (t *Tracker) setStateOnTape(o *Object, tp *jsonany.Tape, e *event) {
	if k := tp.Str(tp.Member(tp.Root(), "kind")); k != "" {
		o.kind, o.kindSet = t.shared(k), true
	}
	if uid := tp.Str(tp.Path(tp.Root(), "metadata", "uid")); uid != "" {
		o.uid = uid
	}
	o.unknown, o.partial = "", ""
	o.state, o.known = t.compress(e.ResponseObject), true
}

// createOnTapes is create for a write that created an object and answered with it. It does
// nothing and reports false for any other.
func (t *Tracker) createOnTapes(e *event) bool {
	nt := e.storedOnTape()
	if nt == nil {
		return false
	}
	o := t.objectFor(e)
	c := t.change(e, ActionCreated, ClassConfiguration)
	again, uid := existing(e, o)
	// Nothing existed before a create: the baseline is known, and every field is new.
	c.Diff = t.d.leavesOnTape(nt, !t.noise, false, OpAdded, &t.keys)
	t.setStateOnTape(o, nt, e)
	t.createdAgain(e, again, uid, o, &c)
	o.exists, o.deleting = true, false
	t.record(e, o, c)
	return true
}

// modifyOnTapes is modify for an update or a patch whose stored object was logged and whose
// state before is known. It does nothing and reports false for any other.
func (t *Tracker) modifyOnTapes(e *event) bool {
	nt := e.storedOnTape()
	if nt == nil {
		return false
	}
	o := t.objectFor(e)
	pt := t.prevTape(o)
	if pt == nil {
		return false
	}
	c := t.change(e, ActionModified, ClassConfiguration)
	c.Diff = t.d.diffTapes(pt, nt, !t.noise, false, &t.keys)
	if len(c.Diff) == 0 {
		c.addNote("no field changed")
	}
	wasHeld := deletingOnTape(pt) && finalizersOnTape(pt) > 0
	t.setStateOnTape(o, nt, e)
	o.exists = true
	if deletingOnTape(nt) {
		o.deleting = true
		if wasHeld && finalizersOnTape(nt) == 0 && e.key.Resource != "namespaces" {
			// As in modify: the last finalizer removed removes the object.
			c.Action = ActionFinalized
			t.record(e, o, c)
			t.removed(o)
			return true
		}
	}
	t.record(e, o, c)
	return true
}

// statusOnTapes is subresource for a status write whose stored object was logged and whose
// state before is known. It does nothing and reports false for any other.
func (t *Tracker) statusOnTapes(e *event) bool {
	nt := e.storedOnTape()
	if nt == nil {
		return false
	}
	o := t.objectFor(e)
	if k := nt.Str(nt.Member(nt.Root(), "kind")); o.kind != "" && k != "" && k != o.kind {
		return false // another kind answered: subresource says what that means
	}
	pt := t.prevTape(o)
	if pt == nil {
		return false
	}
	c := t.change(e, ActionSubresource, ClassSubresource)
	c.Diff = t.d.diffTapes(pt, nt, !t.noise, true, &t.keys)
	t.setStateOnTape(o, nt, e)
	o.exists = true
	t.record(e, o, c)
	return true
}
