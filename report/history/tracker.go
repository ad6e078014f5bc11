// Package history reconstructs, from the merged stream of an audit trail's writes, each
// object's history: every change with who made it, when, from where and what it changed
// field by field, and the object's state between changes as far as the trail shows it. Rows
// go to a spill store on disk once they pass a budget, so a long period's histories do not
// stay in memory.
package history

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/s2"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/jsonany"
	"github.com/auditreport/auditreport/internal/spill"
)

// Key names an object. Namespaces are cluster-scoped: their key has no namespace, even
// where the event's objectRef repeats the name there.
type Key struct {
	Group, Resource, Namespace, Name string
}

// Object is what the tracker knows about one object between events. It keeps the last known
// state, not every version: memory grows with objects, and with changes only through the
// diffs kept in the output.
type Object struct {
	key  Key
	kind string
	uid  string
	// state is the last known state as S2-compressed JSON (noise removed unless kept); nil when
	// the object does not exist or its state is not known.
	state []byte
	// known says whether state (or the object's absence) is known.
	known    bool
	exists   bool
	deleting bool
	// kindSet says kind came from a state, not from the resource's name.
	kindSet bool
	// hadHistory says that a history of the name, from before it was last gone, waits on
	// disk (Tracker.goneKeys).
	hadHistory bool
	out        *Resource
	// apiVersion is the version the trail last showed the object in.
	apiVersion string
	// unknown says, when known is false for an existing object, why; partial says which part
	// of a known state the trail did not show (the status after a status write logged without
	// bodies, or the server-set fields of an object known only as it was sent).
	unknown, partial string
}

// Key is the object's name.
func (o *Object) Key() Key { return o.key }

// Exists says whether the object exists, as far as the trail tells.
func (o *Object) Exists() bool { return o.exists }

// Known says whether the object's state, or its absence, is known.
func (o *Object) Known() bool { return o.known }

// Compressed is the object's last known state as S2-compressed JSON, nil when it is not
// known. The tracker replaces it on each write, never changes it in place, so it may be
// kept and decompressed later.
func (o *Object) Compressed() []byte { return o.state }

// Content is the object's last known state, decoded; nil when it is not known.
func (o *Object) Content() map[string]any {
	if !o.known || o.state == nil {
		return nil
	}
	b, err := s2.Decode(nil, o.state)
	if err != nil {
		return nil
	}
	m, _ := Decode(b).(map[string]any)
	return m
}

// Unknown says, for an existing object whose state is not known, why.
func (o *Object) Unknown() string { return o.unknown }

// Partial says which part of a known state the trail did not show, if any.
func (o *Object) Partial() string { return o.partial }

// Skeleton is what identifies the object, for one whose content is not known.
func (o *Object) Skeleton() map[string]any {
	meta := map[string]any{"name": o.key.Name}
	if o.key.Namespace != "" {
		meta["namespace"] = o.key.Namespace
	}
	if o.uid != "" {
		meta["uid"] = o.uid
	}
	apiVersion := o.apiVersion
	if apiVersion == "" {
		apiVersion = "v1"
		if o.key.Group != "" {
			apiVersion = o.key.Group + "/v1"
		}
	}
	return map[string]any{"apiVersion": apiVersion, "kind": o.kind, "metadata": meta}
}

// Objects are the objects that exist, as far as the trail tells, sorted by key.
func (t *Tracker) Objects() []*Object {
	var out []*Object
	for _, o := range sortedObjects(t.objects) {
		if o.exists {
			out = append(out, o)
		}
	}
	return out
}

// Tracker turns the merged stream of scoped writes into histories.
type Tracker struct {
	noise bool
	d     differ

	objects map[Key]*Object
	// byNamespace indexes namespaced objects for namespace removal and deletecollection.
	byNamespace map[string]map[Key]*Object
	// gone holds the histories of objects changed in the period that no longer exist,
	// until an object of the same name comes back: a long period's pods come and go, and
	// a history costs less than the object that kept it.
	gone map[Key]*Resource
	// goneKeys holds, once histories spill, the keys (keyHash) of the gone objects whose
	// histories went to disk (headList), with their kinds: an object of the same name that
	// comes back starts a history of its own, joined to theirs when the histories are
	// finished.
	goneKeys    map[uint64]string // the kind, when a state named it
	headList    spill.List
	collections map[Key]*Resource
	// failed are the failed attempts not yet written to disk (failedList, once histories
	// spill); failedSorted says whether all came in the order they are shown in (time,
	// then auditID), as a merged trail's do, so that they can be read back as written.
	failed       []FailedAttempt
	failedList   spill.List
	failedSorted bool
	lastFailed   FailedAttempt
	failedCounts map[failedKey]int64
	// observer, when set, is told after each event every object it touched, with the change
	// recorded for it (nil before the period): the posture follows the states through it.
	observer  func(o *Object, ae *audit.Event, c *Change)
	touched   []touch
	touchedAt map[*Object]int
	// dryRuns counts the period's dry runs per kind and actor, for the summary's tables.
	dryRuns map[dryRunKey]int64
	// strs and lists share the who-and-from-where of the rows kept: a busy cluster's
	// changes come from a few users, agents, groups and addresses, and each event decoded
	// brings its own copies of them.
	strs  map[string]string
	lists map[string][]string
	// listKey holds a list's key in lists while it is looked up.
	listKey []byte
	// tally counts the rows as they are recorded (the summary).
	tally tally
	// rows, when set, is where the histories go once the rows held pass spillAbove bytes;
	// holding are the resources with rows in memory.
	rows       *Rows
	spillAbove int
	held       int
	holding    []*Resource
	// scratch holds a known state while it is decoded; prevT indexes it, and keys serves
	// diffTapes.
	scratch []byte
	zbuf    []byte // where compress compresses
	prevT   jsonany.Tape
	keys    []int32
}

// maxShared bounds what strs and lists keep: beyond it, strings are kept as they come.
const maxShared = 1 << 16

func (t *Tracker) shared(s string) string {
	if v, ok := t.strs[s]; ok {
		return v
	}
	if t.strs == nil {
		t.strs = map[string]string{}
	}
	if len(t.strs) < maxShared {
		t.strs[s] = s
	}
	return s
}

func (t *Tracker) sharedList(l []string) []string {
	if len(l) == 0 {
		return l
	}
	k := t.listKey[:0]
	for _, s := range l {
		// Each element's length first: no two lists give one key, whatever they hold.
		k = strconv.AppendInt(k, int64(len(s)), 10)
		k = append(k, ':')
		k = append(k, s...)
	}
	t.listKey = k
	if v, ok := t.lists[string(k)]; ok {
		return v
	}
	if t.lists == nil {
		t.lists = map[string][]string{}
	}
	v := make([]string, len(l))
	for i, s := range l {
		v[i] = t.shared(s)
	}
	if len(t.lists) < maxShared {
		t.lists[string(k)] = v
	}
	return v
}

// dryRunKey is the kind a dry run wrote and who asked for it.
type dryRunKey struct{ group, resource, actor string }

// Options are what a tracker is told beside the events.
type Options struct {
	// Noise keeps the fields that change on every write (managedFields, resourceVersion,
	// ...) in the diffs; by default they are left out.
	Noise bool
	// Redact replaces Secret data and other secret values in diffs with Redacted.
	Redact bool
	// TmpDir is where the rows go once they pass SpillAbove bytes (empty: the system's
	// temporary folder); a negative SpillAbove keeps them in memory, 0 means
	// DefaultSpillAbove.
	TmpDir     string
	SpillAbove int
}

// New returns a tracker with no objects known. Close the histories it finishes, or Close
// the tracker when it is not finished, to release its temporary file.
func New(opts Options) *Tracker {
	t := &Tracker{noise: opts.Noise, d: differ{redact: opts.Redact, paths: map[string]string{}, scratch: new([]byte), diffs: new([]FieldChange)},
		objects: map[Key]*Object{}, byNamespace: map[string]map[Key]*Object{}, collections: map[Key]*Resource{},
		failedSorted: true, failedCounts: map[failedKey]int64{}}
	if opts.SpillAbove >= 0 {
		t.rows, t.spillAbove = &Rows{store: spill.New(opts.TmpDir)}, cmp.Or(opts.SpillAbove, DefaultSpillAbove)
	}
	return t
}

// Observe has f told, after each event, every object the event read or changed, in the
// order touched, with the change recorded for it (nil before the period or when nothing was
// recorded). Set it before the first event.
func (t *Tracker) Observe(f func(o *Object, ae *audit.Event, c *Change)) {
	t.observer = f
}

// Err is the first error keeping the rows on disk met: the histories are incomplete, and
// the events should stop coming.
func (t *Tracker) Err() error {
	if t.rows == nil {
		return nil
	}
	return t.rows.Err()
}

// Close releases the tracker's temporary file, when the histories will not be finished.
func (t *Tracker) Close() error {
	return t.rows.Close()
}

// event is one audit event with its bodies decoded, as the tracker works on it.
type event struct {
	*audit.Event
	key      Key
	inPeriod bool
	resp     any // the responseObject as Body gave it: decoded, on a tape, nil when not logged
	// req is the decoded requestObject, decoded on first use: most writes never need it.
	req     any
	reqDone bool
	// dryRunUnknown is set for a delete whose DeleteOptions were not logged.
	dryRunUnknown bool
	// apiVersion is group/version as the objectRef names it.
	apiVersion string
}

// request returns the decoded requestObject, nil when it was not logged.
func (e *event) request() any {
	if !e.reqDone {
		e.reqDone = true
		if !e.BodiesDropped {
			e.req = Decode(e.RequestObject)
		}
	}
	return e.req
}

func (e *event) respObj() obj {
	if _, ok := e.resp.(*jsonany.Tape); ok {
		e.resp = Decode(e.ResponseObject) // a write the tapes did not serve
	}
	o, _ := e.resp.(map[string]any)
	return o
}

func (e *event) reqObj() obj {
	o, _ := e.request().(map[string]any)
	return o
}

// Whether a write asked for a dry run, as far as the event tells.
const (
	dryRunNo = iota
	dryRunYes
	// dryRunUnknown: a delete logged without its request body, which is where client-go and
	// kubectl put dryRun (DeleteOptions), so the event cannot tell.
	dryRunUnknown
)

// dryRunOf reads dryRun from the request URI (where create, update and patch carry it, and a
// delete may) and from a delete's DeleteOptions body (where kubectl delete --dry-run=server
// and client-go put it).
func dryRunOf(ae *audit.Event) int {
	switch {
	case ae.DryRun():
		return dryRunYes
	case (ae.Verb == "delete" || ae.Verb == "deletecollection") && len(ae.RequestObject) == 0 &&
		(ae.BodiesDropped || ae.Level == "" || ae.Level == "Metadata" || ae.Level == "None"):
		return dryRunUnknown
	}
	// Logged at Request level or above, a delete without a body was sent without one.
	return dryRunNo
}

// Add applies one event, whose responseObject the caller decoded (Decode). Events before
// the period only update state; events in it are recorded. Events after it are not given
// to the tracker.
func (t *Tracker) Add(ae *audit.Event, resp any, inPeriod bool) {
	t.apply(ae, resp, inPeriod)
	if tp, ok := resp.(*jsonany.Tape); ok {
		tapes.Put(tp)
	}
	if t.observer != nil && len(t.touched) > 0 {
		t.flush(ae)
	}
	if t.rows != nil && t.held > t.spillAbove {
		t.spill() // a failure stays in the store, where Build finds it
	}
}

// touch is an object an event touched, and the change recorded for it, if any.
type touch struct {
	o *Object
	c *Change
}

// touch notes an object an event reads or changes, for the observer.
func (t *Tracker) touch(o *Object) {
	if t.observer == nil {
		return
	}
	if _, ok := t.touchedAt[o]; ok {
		return
	}
	if t.touchedAt == nil {
		t.touchedAt = map[*Object]int{}
	}
	t.touchedAt[o] = len(t.touched)
	t.touched = append(t.touched, touch{o: o})
}

// flush tells the observer each object the event touched, in the order touched.
func (t *Tracker) flush(ae *audit.Event) {
	for _, tc := range t.touched {
		t.observer(tc.o, ae, tc.c)
	}
	clear(t.touched)
	clear(t.touchedAt)
	t.touched = t.touched[:0]
}

func (t *Tracker) apply(ae *audit.Event, resp any, inPeriod bool) {
	ref := ae.ObjectRef
	if ref == nil || ref.Resource == "" {
		return
	}
	dry := dryRunOf(ae)
	if dry == dryRunYes {
		if inPeriod {
			t.tally.sum.DryRuns++
			if t.dryRuns == nil {
				t.dryRuns = map[dryRunKey]int64{}
			}
			t.dryRuns[dryRunKey{group: ref.APIGroup, resource: ref.Resource, actor: ae.Actor()}]++
		}
		return
	}
	e := &event{Event: ae, inPeriod: inPeriod, resp: resp, dryRunUnknown: dry == dryRunUnknown}
	e.apiVersion = ref.APIVersion
	if ref.APIGroup != "" && ref.APIVersion != "" {
		e.apiVersion = ref.APIGroup + "/" + ref.APIVersion
	}
	e.key = KeyOf(ref, e.resp)
	if e.key.Name == "" && ae.Verb != "deletecollection" {
		e.key.Name = str(e.reqObj(), "metadata", "name")
	}
	if code := ae.Code(); code >= 300 {
		// 1xx is success too: pods/exec and pods/attach answer 101 Switching Protocols.
		if inPeriod {
			t.failedAttempt(e)
		}
		return
	}
	switch {
	case ae.Verb == "deletecollection":
		t.deleteCollection(e)
	case ref.Subresource != "":
		t.subresource(e)
	case ae.Verb == "create":
		t.create(e)
	case (ae.Verb == "patch" || ae.Verb == "update") && ae.Code() == 201:
		// Server-side apply (a patch), and an update of a kind that allows it, create the
		// object when it does not exist: the API server answers 201 Created.
		t.create(e)
	case ae.Verb == "update" || ae.Verb == "patch":
		t.modify(e)
	case ae.Verb == "delete":
		t.delete(e)
	}
}

func (t *Tracker) failedAttempt(e *event) {
	f := FailedAttempt{Time: e.Time(), Verb: e.Verb, Group: e.key.Group, Resource: e.key.Resource,
		Subresource: e.Subresource(), Namespace: e.key.Namespace, Name: e.key.Name, User: t.shared(e.User.Username),
		SourceIPs: t.sharedList(e.SourceIPs), UserAgent: t.shared(e.UserAgent), AuditID: e.AuditID, Code: e.Code(),
		Decision: e.Annotations["authorization.k8s.io/decision"], Source: t.shared(e.Source), Line: e.Line}
	if e.ImpersonatedUser != nil {
		f.ImpersonatedUser = t.shared(e.ImpersonatedUser.Username)
	}
	if e.ResponseStatus != nil {
		f.Reason, f.Message = e.ResponseStatus.Reason, e.ResponseStatus.Message
	}
	if (len(t.failed) > 0 || t.failedList.Len() > 0) && lessFailed(&f, &t.lastFailed) {
		t.failedSorted = false
	}
	t.lastFailed = f
	t.failedCounts[failedKey{f.Group, f.Resource, f.Actor()}]++
	t.failed = append(t.failed, f)
	if t.rows != nil {
		t.held += failedSize(&f)
	}
}

// lessFailed is the order failed attempts are shown in: by time, then auditID.
func lessFailed(a, b *FailedAttempt) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.AuditID < b.AuditID
}

// failedKey is what the summary counts failed attempts by.
type failedKey struct{ group, resource, actor string }

// lookup returns the tracked object, making an unknown one when it is new.
func (t *Tracker) lookup(k Key) *Object {
	o := t.objects[k]
	if o == nil {
		o = &Object{key: k, kind: KindName(k.Resource)}
		if res := t.gone[k]; res != nil {
			// Its name's history goes on; that it was gone is known.
			delete(t.gone, k)
			// Not its uid: a new object has a new one.
			o.out, o.kind, o.kindSet, o.known = res, res.Kind, res.kindSet, true
		} else if h := keyHash(k); t.goneKeys != nil {
			if kind, ok := t.goneKeys[h]; ok {
				delete(t.goneKeys, h)
				o.known, o.hadHistory = true, true
				if kind != "" {
					o.kind, o.kindSet = kind, true
				}
			}
		}
		t.objects[k] = o
		if k.Namespace != "" {
			ns := t.byNamespace[k.Namespace]
			if ns == nil {
				ns = map[Key]*Object{}
				t.byNamespace[k.Namespace] = ns
			}
			ns[k] = o
		}
	}
	t.touch(o)
	return o
}

// forget drops an object that no longer exists, so memory follows the live objects; its
// history, if it has one, waits in gone.
func (t *Tracker) forget(o *Object) {
	if o.out != nil {
		if t.gone == nil {
			t.gone = map[Key]*Resource{}
		}
		t.gone[o.key], o.out = o.out, nil
	} else if o.hadHistory {
		t.goneKeys[keyHash(o.key)] = o.goneKind()
	}
	delete(t.objects, o.key)
	if ns := t.byNamespace[o.key.Namespace]; ns != nil {
		delete(ns, o.key)
		if len(ns) == 0 {
			delete(t.byNamespace, o.key.Namespace)
		}
	}
}

// KeyOf names the object an event writes. A create with generateName (and older
// servers' creates) names it only in the stored object, when that was logged: the response
// as Body gives it. Namespaces are cluster-scoped, even where the objectRef repeats the name
// as the namespace.
func KeyOf(ref *audit.ObjectRef, body any) Key {
	k := Key{Group: ref.APIGroup, Resource: ref.Resource, Namespace: ref.Namespace, Name: ref.Name}
	if k.Name == "" {
		k.Name = BodyString(body, "metadata", "name")
	}
	if k.Group == "" && k.Resource == "namespaces" {
		k.Namespace = ""
	}
	return k
}

// objectFor returns the tracked object an event writes, noting the version it was written in.
func (t *Tracker) objectFor(e *event) *Object {
	o := t.lookup(e.key)
	if e.apiVersion != "" {
		o.apiVersion = e.apiVersion
	}
	return o
}

// forgetState marks the object's state unknown, saying why.
func (o *Object) forgetState(e *event, why string) {
	o.state, o.known, o.partial = nil, false, ""
	o.unknown = fmt.Sprintf("%s at %s by %s (%s): %s", e.Verb+subresourceText(e), e.Time().UTC().Format(time.RFC3339Nano), actorOf(e), levelText(e), why)
}

func subresourceText(e *event) string {
	if s := e.Subresource(); s != "" {
		return " " + s
	}
	return ""
}

func actorOf(e *event) string {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return e.ImpersonatedUser.Username + " (as impersonated by " + e.User.Username + ")"
	}
	return e.User.Username
}

// change starts a Change from the event.
func (t *Tracker) change(e *event, action, class string) Change {
	c := Change{Time: e.Time(), Action: action, Class: class, Verb: t.shared(e.Verb), Subresource: t.shared(e.Subresource()),
		User: t.shared(e.User.Username), Groups: t.sharedList(e.User.Groups), SourceIPs: t.sharedList(e.SourceIPs), UserAgent: t.shared(e.UserAgent),
		AuditID: e.AuditID, Code: e.Code(), Level: t.shared(e.Level), Source: t.shared(e.Source), Line: e.Line, Baseline: BaselineKnown}
	if e.ImpersonatedUser != nil {
		c.ImpersonatedUser = t.shared(e.ImpersonatedUser.Username)
	}
	if e.key.Name == "" && e.Verb != "deletecollection" {
		if g := str(e.reqObj(), "metadata", "generateName"); g != "" {
			c.addNote("the name was not logged (generateName " + g + "): creates like this one share this entry")
		} else {
			c.addNote("the name was not logged: writes like this one share this entry")
		}
	}
	switch {
	case e.BodiesDropped:
		c.addNote("bodies dropped by the audit backend (truncated): what changed is not known")
	case e.Stage == audit.StageRequestReceived:
		c.addNote("only the RequestReceived stage was logged: the outcome is not known")
	}
	return c
}

// record appends a change to the object's history when it is in the period, and tells the
// observer of it in any case.
func (t *Tracker) record(e *event, o *Object, c Change) {
	if !e.inPeriod {
		if t.observer != nil {
			// Not recorded, but the observer (the posture) still learns what the write did:
			// what a pod is at the start of the period, a write before it made it.
			pre := new(Change) // made here only: taking c's address would move every c to the heap
			*pre = c
			t.touch(o)
			t.touched[t.touchedAt[o]].c = pre
		}
		return
	}
	if o.out == nil {
		o.out = &Resource{Group: o.key.Group, Resource: o.key.Resource, Namespace: o.key.Namespace, Name: o.key.Name}
	}
	o.out.Kind, o.out.kindSet = o.kind, o.kindSet
	if o.uid != "" {
		o.out.UID = o.uid // a name's history keeps the last uid a state showed
	}
	o.out.History = append(o.out.History, c)
	t.hold(o.out)
	if t.observer != nil {
		t.touch(o)
		t.touched[t.touchedAt[o]].c = &o.out.History[len(o.out.History)-1]
	}
}

// levelText names the event's level for a note.
func levelText(e *event) string {
	if e.Level == "" {
		return "no level logged"
	}
	return "level " + e.Level
}

// noBodies notes a change whose bodies were not logged.
func (t *Tracker) noBodies(c *Change, e *event) {
	if e.inPeriod {
		t.tally.sum.NoDiff++
	}
	if !e.BodiesDropped {
		c.addNote("logged without bodies (" + levelText(e) + "): what changed is not known")
	}
}

// setState stores s as the object's known state. When s is the event's decoded response,
// the logged bytes are stored as they are instead of encoding s again: encoding was a tenth
// of the time spent on histories. Noise is then removed when the state is read back.
func (t *Tracker) setState(o *Object, s obj, e *event) {
	if k := kindOf(s); k != "" {
		o.kind, o.kindSet = k, true
	}
	if uid := str(s, "metadata", "uid"); uid != "" {
		o.uid = uid
	}
	o.unknown, o.partial = "", ""
	if e != nil && e.resp != nil && len(e.ResponseObject) > 0 && reflect.ValueOf(s).UnsafePointer() == reflect.ValueOf(e.respObj()).UnsafePointer() {
		o.state, o.known = t.compress(e.ResponseObject), true
		return
	}
	if !t.noise {
		stripNoise(s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		o.state, o.known = nil, false
		return
	}
	// Kept compressed: states are most of what the tracker holds, and S2 costs far less
	// than decoding the JSON again.
	o.state, o.known = t.compress(b), true
}

// compress returns a state S2-compressed, in a slice of its own size: s2.Encode's own is
// as large as the state uncompressed (its most), which every live object's state kept.
func (t *Tracker) compress(b []byte) []byte {
	t.zbuf = s2.Encode(t.zbuf[:cap(t.zbuf)], b)
	return bytes.Clone(t.zbuf)
}

// knownState decompresses the object's known state into the tracker's one buffer for it,
// nil when it is not known. The bytes are good until the next call.
func (t *Tracker) knownState(o *Object) []byte {
	if !o.known || o.state == nil {
		return nil
	}
	b, err := s2.Decode(t.scratch[:cap(t.scratch)], o.state)
	if err != nil {
		return nil
	}
	t.scratch = b
	return b
}

// prev decodes the object's known state, nil when it is not known.
func (t *Tracker) prev(o *Object) obj {
	b := t.knownState(o) // the decoded value shares nothing with the bytes
	if b == nil {
		return nil
	}
	p, _ := Decode(b).(map[string]any)
	if p != nil && !t.noise {
		stripNoise(p)
	}
	return p
}

// diff compares two states for a write; status is left out unless the write is to status.
// It strips noise from new in place (the stored state is already stripped), so new is
// ready to be stored afterwards.
func (t *Tracker) diff(old, new obj, subresource string) []FieldChange {
	if !t.noise {
		stripNoise(new)
	}
	if subresource != "status" {
		old, new = withoutStatus(old), withoutStatus(new)
	}
	return t.d.diff(any(old), any(new))
}

// stored returns the object the API server stored, from the response, or nil.
func (e *event) stored() obj {
	r := e.respObj()
	if r == nil || isStatus(r) || r["metadata"] == nil {
		return nil
	}
	return r
}

// existing is whether a create is of an object the trail shows existing, with no deletion
// of it since, and that object's uid. Creates whose name was not logged share one entry:
// they are no object created twice.
func existing(e *event, o *Object) (bool, string) {
	return o.exists && !o.deleting && e.key.Name != "", o.uid
}

// createdAgain notes, once the create's state is set, a create of an object that existed
// (existing): the API server refuses that, so a deletion was lost from the trail. The same
// uid is the same object, known from a snapshot taken after the logs begin.
func (t *Tracker) createdAgain(e *event, again bool, uid string, o *Object, c *Change) {
	if again && (o.uid != uid || uid == "") {
		c.addNote("created again, though the trail shows it existing and no deletion of it since: a deletion was lost from the trail")
		if e.inPeriod {
			t.tally.sum.LostDeletions++
		}
	}
}

func (t *Tracker) create(e *event) {
	if t.createOnTapes(e) {
		return
	}
	o := t.objectFor(e)
	c := t.change(e, ActionCreated, ClassConfiguration)
	again, uid := existing(e, o)
	s := e.stored()
	if s == nil && e.reqObj() != nil {
		// A create's request body is the object sent, whether or not it names it: GKE's
		// often leave the name to the objectRef (resourceName).
		s = e.reqObj()
		c.addNote("the stored object was not logged (" + levelText(e) + "): the diff shows the object as sent")
	}
	if s != nil {
		// Nothing existed before a create: the baseline is known, and every field is new.
		if !t.noise {
			stripNoise(s)
		}
		c.Diff = t.d.leaves(withoutStatus(s), OpAdded)
		if str(s, "metadata", "name") == "" && e.key.Name != "" {
			// The state names the object as the objectRef does; the diff stays what was sent.
			s = named(s, e.key)
		}
		t.setState(o, s, e)
		if e.stored() == nil {
			o.partial = "known only as sent (the stored object was not logged): fields the API server sets are missing"
		}
	} else {
		t.noBodies(&c, e)
		o.forgetState(e, "created without bodies logged")
	}
	t.createdAgain(e, again, uid, o, &c)
	o.exists, o.deleting = true, false
	t.record(e, o, c)
}

func (t *Tracker) modify(e *event) {
	if t.modifyOnTapes(e) {
		return
	}
	o := t.objectFor(e)
	c := t.change(e, ActionModified, ClassConfiguration)
	prev := t.prev(o)
	if prev == nil {
		c.Baseline = BaselineUnknown
	}
	s := e.stored()
	switch {
	case s != nil && prev != nil:
		c.Diff = t.diff(prev, s, "")
	case s != nil:
		c.Diff = t.requested(e)
		c.addNote("earlier state not known: the diff shows what the request set")
	case e.request() != nil && e.Verb == "update" && prev != nil:
		// An update sends the whole object; without the stored one, compare with it.
		if r := e.reqObj(); r != nil {
			s = r
			c.Diff = t.diff(prev, r, "")
			c.addNote("the stored object was not logged (level " + e.Level + "): compared with the object as sent")
		}
	case e.request() != nil:
		c.Diff = t.requested(e)
		if prev == nil {
			c.addNote("earlier state not known: the diff shows what the request set")
		} else {
			c.addNote("the stored object was not logged (level " + e.Level + "): the diff shows what the request set")
		}
	default:
		t.noBodies(&c, e)
	}
	if prev != nil && s != nil && len(c.Diff) == 0 {
		c.addNote("no field changed")
	}
	wasHeld := prev != nil && deleting(prev) && finalizers(prev) > 0
	if s != nil {
		partial := s != nil && e.stored() == nil
		t.setState(o, s, e)
		if partial {
			o.partial = "known only as sent in an update (the stored object was not logged)"
		}
	} else {
		o.forgetState(e, "written without the stored object logged")
	}
	o.exists = true
	if s != nil && deleting(s) {
		o.deleting = true
		if wasHeld && finalizers(s) == 0 && e.key.Resource != "namespaces" {
			// Removing the last finalizer of an object marked for deletion removes it;
			// the API server logs no delete for that.
			c.Action = ActionFinalized
			t.record(e, o, c)
			t.removed(o)
			return
		}
	}
	t.record(e, o, c)
}

// named returns a copy of s whose metadata names the object k.
func named(s obj, k Key) obj {
	out := make(obj, len(s)+1)
	for f, v := range s {
		out[f] = v
	}
	meta := map[string]any{}
	if m, ok := s["metadata"].(map[string]any); ok {
		for f, v := range m {
			meta[f] = v
		}
	}
	meta["name"] = k.Name
	if k.Namespace != "" {
		meta["namespace"] = k.Namespace
	}
	out["metadata"] = meta
	return out
}

// requested lists what the request set: the fields of a merge or strategic merge patch, an
// apply configuration or a whole object, or the operations of a JSON patch.
func (t *Tracker) requested(e *event) []FieldChange {
	switch r := e.request().(type) {
	case []any:
		return t.d.jsonPatch(r)
	case map[string]any:
		if !t.noise {
			stripNoise(r)
		}
		if e.Subresource() != "status" {
			r = withoutStatus(r)
		}
		return t.d.leaves(r, OpSet)
	}
	return nil
}

func (t *Tracker) delete(e *event) {
	o := t.objectFor(e)
	c := t.change(e, ActionDeleted, ClassConfiguration)
	d := t.deletion(e, o)
	wasDeleting := o.deleting || d.prevDeleting
	opts := e.reqObj()
	graceZero := false
	if n, ok := field(opts, "gracePeriodSeconds").(json.Number); ok && n.String() == "0" {
		graceZero = true
	}
	switch {
	case e.resp != nil && !d.stored:
		// A Status: the object is gone.
	case d.stored && !d.deleting:
		// Some kinds answer a delete with the removed object.
	case d.stored && d.finalizers > 0:
		c.Action = ActionDeletionRequested
		c.addNote("held by finalizers until they are removed")
	case d.stored && !wasDeleting && !graceZero && d.grace > 0:
		c.Action = ActionDeletionRequested
		c.addNote(fmt.Sprintf("graceful deletion: %d s grace period", d.grace))
	case d.stored:
		// Marked before, or no grace period left: this delete removes it.
	case e.key.Group == "" && e.key.Resource == "namespaces":
		// A namespace's delete only marks it Terminating; the namespace controller empties
		// it and removes it through namespaces/finalize, a write of its own.
		c.Action = ActionDeletionRequested
		c.addNote("the response was not logged (" + levelText(e) + "): a namespace's delete only marks it Terminating, and its removal is not in this event")
	default:
		if !wasDeleting {
			c.addNote("the response was not logged (" + levelText(e) + "): the object may only have been marked for deletion")
		}
	}
	if c.Action == ActionDeletionRequested && !d.stored {
		// Requested, but what the object became was not logged.
		if !d.prevKnown {
			c.Baseline = BaselineUnknown
		}
		if e.dryRunUnknown {
			c.addNote("logged without its DeleteOptions (" + levelText(e) + "): a dry run cannot be told from a real deletion request")
			o.forgetState(e, "a delete logged without its DeleteOptions: it may have been a dry run")
		} else {
			o.deleting = true
			if o.known && o.state != nil {
				o.partial = fmt.Sprintf("marked for deletion at %s by %s (%s): its deletionTimestamp and phase were not logged", e.Time().UTC().Format(time.RFC3339Nano), actorOf(e), levelText(e))
			}
		}
		o.exists = true
		t.record(e, o, c)
		return
	}
	if c.Action == ActionDeletionRequested {
		if d.prevKnown {
			c.Diff = d.diff()
		} else {
			c.Baseline = BaselineUnknown
		}
		d.setState()
		o.exists, o.deleting = true, true
		t.record(e, o, c)
		return
	}
	if !d.prevKnown && !o.known {
		c.Baseline = BaselineUnknown
	}
	if e.dryRunUnknown {
		// kubectl and client-go send dryRun in the DeleteOptions body, which this level
		// does not log: the object may still exist, unchanged.
		c.addNote("logged without its DeleteOptions (" + levelText(e) + "): a dry run cannot be told from a real deletion")
		o.forgetState(e, "a delete logged without its DeleteOptions: it may have been a dry run")
		o.exists = true
		t.record(e, o, c)
		return
	}
	if !d.stored && e.resp == nil && !wasDeleting {
		// Not known whether this removed the object: keep it, marked.
		o.deleting = true
		o.exists = true
		o.forgetState(e, "deleted without the response logged: it may be gone or only marked for deletion")
		t.record(e, o, c)
		return
	}
	t.record(e, o, c)
	t.removed(o)
	if e.key.Group == "" && e.key.Resource == "namespaces" {
		t.closeNamespace(e, e.key.Name)
	}
}

// removed marks an object gone.
func (t *Tracker) removed(o *Object) {
	t.touch(o)
	o.state, o.known, o.exists, o.deleting = nil, true, false, false
	t.forget(o)
}

// closeNamespace ends the history of everything in a namespace that was removed.
func (t *Tracker) closeNamespace(e *event, ns string) {
	objs := t.byNamespace[ns]
	for _, o := range sortedObjects(objs) {
		if !o.exists {
			continue
		}
		c := t.change(e, ActionWithNamespace, ClassConfiguration)
		c.Baseline = BaselineKnown
		c.addNote("removed with namespace " + ns)
		t.record(e, o, c)
		t.removed(o)
	}
}

func sortedObjects(m map[Key]*Object) []*Object {
	out := make([]*Object, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].key, out[j].key) })
	return out
}

func lessKey(a, b Key) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	if a.Resource != b.Resource {
		return a.Resource < b.Resource
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// deleteCollection handles one request that deletes many objects. The request is recorded on
// a collection entry; each object it removed gets its own entry where the event tells which.
func (t *Tracker) deleteCollection(e *event) {
	ck := Key{Group: e.key.Group, Resource: e.key.Resource, Namespace: e.key.Namespace}
	c := t.change(e, ActionDeleteCollection, ClassCollection)

	var targets []*Object
	var unsure, marked int
	if list, ok := field(e.respObj(), "items").([]any); ok {
		// The response lists what was deleted.
		for _, it := range list {
			item, _ := it.(map[string]any)
			name := str(item, "metadata", "name")
			if name == "" {
				continue
			}
			k := ck
			k.Name, k.Namespace = name, firstNonEmpty(str(item, "metadata", "namespace"), ck.Namespace)
			o := t.lookup(k)
			if prev := t.prev(o); prev != nil && o.exists && deleting(item) && (finalizers(item) > 0 || gracePeriod(item) > 0) && !deleting(prev) {
				c2 := t.change(e, ActionDeletionRequested, ClassConfiguration)
				c2.Diff = t.diff(prev, item, "")
				t.setState(o, item, nil)
				o.deleting = true
				t.record(e, o, c2)
				marked++
				continue
			}
			targets = append(targets, o)
		}
		switch {
		case len(list) == 0:
			c.addNote("removed nothing: its response lists no object")
		case marked > 0:
			c.addNote(fmt.Sprintf("its response lists %d object(s): %d removed, %d marked for deletion", len(list), len(targets), marked))
		default:
			c.addNote(fmt.Sprintf("removed the %d object(s) its response lists", len(list)))
		}
	} else {
		sel, fieldSel := selectors(e.RequestURI)
		var pool map[Key]*Object
		if ck.Namespace != "" {
			pool = t.byNamespace[ck.Namespace]
		} else {
			pool = t.objects
		}
		for _, o := range sortedObjects(pool) {
			if o.key.Group != ck.Group || o.key.Resource != ck.Resource || !o.exists {
				continue
			}
			if fieldSel != "" {
				unsure++
				continue
			}
			if sel != nil && !sel.Empty() {
				p := t.prev(o)
				if p == nil {
					unsure++
					continue
				}
				if !sel.Matches(labels.Set(labelsOf(p))) {
					continue
				}
			}
			targets = append(targets, o)
		}
		switch {
		case fieldSel != "":
			c.addNote(fmt.Sprintf("field selector %q: which objects were deleted is not known (%d tracked object(s) may be)", fieldSel, unsure))
		case unsure > 0:
			c.addNote(fmt.Sprintf("deleted %d tracked object(s) matching the selector; %d more with unknown labels may also have been deleted", len(targets), unsure))
		case len(targets) == 0:
			c.addNote("the trail shows no object it removed: none of the kind was left here")
		default:
			c.addNote(fmt.Sprintf("deleted %d tracked object(s)", len(targets)))
		}
	}
	if e.dryRunUnknown {
		c.addNote("logged without its DeleteOptions (" + levelText(e) + "): a dry run cannot be told from a real deletion")
	}
	for _, o := range targets {
		c2 := t.change(e, ActionCollection, ClassConfiguration)
		if e.dryRunUnknown {
			c2.addNote("logged without its DeleteOptions: a dry run cannot be told from a real deletion")
			t.record(e, o, c2)
			o.forgetState(e, "a deletecollection logged without its DeleteOptions: it may have been a dry run")
			continue
		}
		t.record(e, o, c2)
		t.removed(o)
	}
	if e.inPeriod {
		r := t.collections[ck]
		if r == nil {
			r = &Resource{Kind: KindName(ck.Resource), Group: ck.Group, Resource: ck.Resource, Namespace: ck.Namespace, Collection: true}
			t.collections[ck] = r
		}
		r.History = append(r.History, c)
		t.hold(r)
	}
}

// selectors reads labelSelector and fieldSelector from a request URI. An unparsable label
// selector counts as a field selector: which objects it matched cannot be told.
func selectors(uri string) (labels.Selector, string) {
	_, q, _ := strings.Cut(uri, "?")
	v, err := url.ParseQuery(q)
	if err != nil {
		return nil, "(unparsable query)"
	}
	fs := v.Get("fieldSelector")
	ls := v.Get("labelSelector")
	if ls == "" {
		return nil, fs
	}
	sel, err := labels.Parse(ls)
	if err != nil {
		return nil, "labelSelector=" + ls
	}
	return sel, fs
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// leavesParent lists subresources whose writes do not change the parent object.
var leavesParent = map[string]bool{"exec": true, "attach": true, "portforward": true, "proxy": true, "token": true, "log": true}

// subresource handles writes to subresources. They are kept apart from configuration
// changes, but still move the parent's state forward so that the next change diffs right.
func (t *Tracker) subresource(e *event) {
	if e.Subresource() == "status" && t.statusOnTapes(e) {
		return
	}
	o := t.objectFor(e)
	sub := e.Subresource()
	c := t.change(e, ActionSubresource, ClassSubresource)
	prev := t.prev(o)
	if prev == nil && sub != "eviction" && !leavesParent[sub] {
		c.Baseline = BaselineUnknown
	}
	switch {
	case sub == "binding":
		// pods/binding answers with a Status; the Binding names the node.
		node := str(e.reqObj(), "target", "name")
		switch {
		case node != "" && prev != nil:
			next := deepCopy(prev).(map[string]any)
			spec, _ := next["spec"].(map[string]any)
			if spec == nil {
				spec = map[string]any{}
				next["spec"] = spec
			}
			spec["nodeName"] = node
			c.Diff = t.diff(prev, next, "")
			t.setState(o, next, nil)
		case node != "":
			c.Diff = []FieldChange{{Path: "spec.nodeName", Op: OpSet, New: t.d.value(nil, node)}}
		default:
			t.noBodies(&c, e)
		}
	case sub == "eviction":
		// The eviction deletes the pod gracefully; the kubelet's delete removes it.
		o.deleting = true
		c.addNote("eviction: the pod is deleted gracefully")
	case leavesParent[sub]:
		// A session opened, a token issued: the object is as it was.
	default:
		s := e.stored()
		if s != nil && o.kind != "" && kindOf(s) != "" && kindOf(s) != o.kind {
			// Another kind answered (a Scale): the parent changed, but not visibly here.
			s = nil
		}
		switch {
		case s != nil && prev != nil:
			c.Diff = t.diff(prev, s, sub)
		case s != nil:
			c.Diff = t.requested(e)
		case e.request() != nil:
			c.Diff = t.requested(e)
			c.addNote("the stored object was not logged: the diff shows what the request set")
		default:
			t.noBodies(&c, e)
		}
		switch {
		case s != nil && sub == "finalize" && e.key.Group == "" && e.key.Resource == "namespaces" && deleting(s) && finalizers(s) == 0:
			// The namespace controller clears the last finalizer of a namespace being
			// deleted through namespaces/finalize; the API server then removes it, and logs
			// no delete for that. The write that removes the namespace is a change to it, a
			// deletion, not churn on a subresource.
			c.Action, c.Class = ActionFinalized, ClassConfiguration
			t.record(e, o, c)
			t.removed(o)
			t.closeNamespace(e, e.key.Name)
			return
		case s != nil:
			t.setState(o, s, e)
		case sub == "status" && prev != nil:
			// The status subresource changes the status (and, rarely, labels and
			// annotations), never the spec: the rest of the state is still known.
			o.partial = fmt.Sprintf("status not known since a status write at %s by %s (%s)", e.Time().UTC().Format(time.RFC3339Nano), actorOf(e), levelText(e))
		default:
			o.forgetState(e, "written without the stored object logged")
		}
	}
	o.exists = true
	t.record(e, o, c)
}

// snapshot sets the state of an object listed in a snapshot.
func (t *Tracker) snapshot(k Key, s obj) {
	o := t.lookup(k)
	t.setState(o, s, nil)
	o.exists, o.deleting = true, deleting(s)
}

// lessResource is the order of the report's resources: by group, resource, namespace and
// name, a collection after the object of the same name.
func lessResource(a, b *Resource) bool {
	if a.Group != b.Group || a.Resource != b.Resource || a.Namespace != b.Namespace || a.Name != b.Name {
		return lessKey(Key{a.Group, a.Resource, a.Namespace, a.Name}, Key{b.Group, b.Resource, b.Namespace, b.Name})
	}
	return !a.Collection && b.Collection
}

// compareResources is lessResource for slices.SortFunc.
func compareResources(a, b *Resource) int {
	switch {
	case lessResource(a, b):
		return -1
	case lessResource(b, a):
		return 1
	}
	return 0
}

// sortResources sorts resources stably by lessResource. A Resource is some 300 bytes, and a
// stable sort of them moves each many times (sort.SliceStable through reflection): for the
// 213,000 histories of the 8 GB bench log, 2.8 s of Finish. Their numbers are sorted
// instead, and each resource is moved once, to its place.
func sortResources(out []Resource) {
	order := make([]int32, len(out))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareResources(&out[a], &out[b]) })
	// out[i] is to hold what out[order[i]] holds: each cycle of the permutation is
	// followed once, its first resource kept aside; -1 marks a place filled.
	for i := range order {
		if order[i] < 0 {
			continue
		}
		first, j := out[i], i
		for {
			k := int(order[j])
			order[j] = -1
			if k == i {
				out[j] = first
				break
			}
			out[j] = out[k]
			j = k
		}
	}
}

// sameName says whether two resources are histories of one name, one after the other.
func sameName(a, b *Resource) bool {
	return !a.Collection && !b.Collection && a.Group == b.Group && a.Resource == b.Resource && a.Namespace == b.Namespace && a.Name == b.Name
}

// joinHead gives the history of a name what its later part says of the object: its kind,
// when a state named it, and its last uid.
func joinHead(into, later *Resource) {
	if later.kindSet || !into.kindSet {
		into.Kind, into.kindSet = later.Kind, later.kindSet
	}
	if later.UID != "" {
		into.UID = later.UID
	}
}

// Histories are what a tracker finished with: every object changed in the period with its
// changes, the writes the API server refused, and their counts.
type Histories struct {
	// Resources are sorted by group, resource, namespace and name, a collection after the
	// object of the same name; each change has its row ID.
	Resources []Resource
	// Failed are sorted by time, then auditID; nil when they were spilled (Rows.Failed
	// reads them).
	Failed []FailedAttempt
	Counts Counts
	// Rows hold the changes the resources read back from disk, when they were spilled.
	Rows *Rows
}

// Finish returns the histories. Once any rows were spilled, all are: the resources then
// read theirs from the store, which Histories.Rows.Close releases.
func (t *Tracker) Finish() (*Histories, error) {
	spilled := t.rows != nil && t.rows.store.Size() > 0
	if spilled {
		if err := t.spill(); err != nil {
			return nil, err
		}
	}
	// Every head at once, made to measure: a long period's gone objects number in the
	// hundreds of thousands, and a slice grown by doubling would hold up to twice them.
	heads := len(t.gone) + len(t.collections)
	if spilled {
		heads += t.headList.Len()
	}
	for _, o := range t.objects {
		if o.out != nil {
			heads++ // not every live object changed in the period
		}
	}
	out := make([]Resource, 0, heads)
	if spilled {
		// The gone objects' histories first, in the order they went: an object of the
		// same name that came back after them follows them.
		if err := t.rows.store.Seal(); err != nil {
			return nil, err
		}
		lists := make([]spill.List, t.headList.Len()) // theirs, in one allocation
		err := t.rows.store.Walk(&t.headList, func(rec []byte) error {
			if len(out) == len(lists) {
				return fmt.Errorf("the gone objects' list holds more than the %d heads it counts", len(lists))
			}
			r, err := t.decodeHead(rec, &lists[len(out)])
			out = append(out, r)
			return err
		})
		if err != nil {
			return nil, err
		}
		t.headList, t.goneKeys = spill.List{}, nil
	}
	for _, o := range t.objects {
		if o.out != nil {
			o.out.History = slices.Clip(o.out.History)
			out = append(out, *o.out)
			o.out = nil
		}
	}
	for _, r := range t.gone {
		r.History = slices.Clip(r.History)
		out = append(out, *r)
	}
	t.objects, t.byNamespace, t.gone = nil, nil, nil
	for _, r := range t.collections {
		out = append(out, *r)
	}
	sortResources(out)
	if spilled {
		// Each history in one piece, in the order the renderers read them; the histories
		// of one name, which went to disk as the objects that had it went, become one.
		lists, ends := make([]*spill.List, 0, len(out)+1), make([]int, 0, len(out)+1)
		n := 0
		for i := range out {
			r := &out[i]
			lists = append(lists, r.list)
			if n > 0 && sameName(&out[n-1], r) {
				joinHead(&out[n-1], r)
				ends[n-1] = len(lists)
				continue
			}
			out[n] = *r
			ends = append(ends, len(lists))
			n++
		}
		clear(out[n:])
		out = out[:n]
		if !t.failedSorted {
			// Some came out of order: sorted in memory, as when nothing spills.
			if err := t.readFailedBack(); err != nil {
				return nil, err
			}
		}
		lists = append(lists, &t.failedList)
		ends = append(ends, len(lists))
		if err := t.rows.store.CompactJoined(lists, ends); err != nil {
			return nil, err
		}
		if t.failedList.Len() > 0 {
			t.rows.failed = &t.failedList
		}
	}
	sort.SliceStable(t.failed, func(i, j int) bool { return lessFailed(&t.failed[i], &t.failed[j]) })
	tl := &t.tally
	for i := range out {
		r := &out[i]
		ks := tl.kind(r.Group, r.Resource, r.Kind)
		// The entry of creates without a name is no one object: its creates are counted
		// as they were recorded (Unnamed).
		if !r.Collection && r.Name != "" {
			tl.sum.Objects++
			ks.Objects++
		}
	}
	for k, n := range t.failedCounts {
		tl.sum.FailedAttempts += n
		tl.kind(k.group, k.resource, KindName(k.resource)).FailedAttempts += n
		tl.actor(k.actor).FailedAttempts += n
	}
	for k, n := range t.dryRuns {
		tl.kind(k.group, k.resource, KindName(k.resource)).DryRuns += n
		tl.actor(k.actor).DryRuns += n
	}
	tl.tables()
	if out == nil {
		out = []Resource{}
	}
	failed := t.failed
	switch {
	case t.rows.FailedLen() > 0:
		failed = nil // on disk
	case failed == nil:
		failed = []FailedAttempt{}
	}
	if err := t.assignRowIDs(out, failed); err != nil {
		return nil, err
	}
	return &Histories{Resources: out, Failed: failed, Counts: tl.sum, Rows: t.rows}, nil
}
