package report

import (
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
	"github.com/auditreport/auditreport/internal/spill"
)

// objKey names an object. Namespaces are cluster-scoped: their key has no namespace, even
// where the event's objectRef repeats the name there.
type objKey struct {
	group, resource, namespace, name string
}

// object is what the tracker knows about one object between events. It keeps the last known
// state, not every version: memory grows with objects, and with changes only through the
// diffs kept in the output.
type object struct {
	key  objKey
	kind string
	uid  string
	// state is the last known state as S2-compressed JSON (noise removed unless kept); nil when
	// the object does not exist or its state is not known.
	state []byte
	// known says whether state (or the object's absence) is known.
	known    bool
	exists   bool
	deleting bool
	out      *Resource
	// apiVersion is the version the trail last showed the object in.
	apiVersion string
	// unknown says, when known is false for an existing object, why; partial says which part
	// of a known state the trail did not show (the status after a status write logged without
	// bodies, or the server-set fields of an object known only as it was sent).
	unknown, partial string
}

// tracker turns the merged stream of scoped writes into histories.
type tracker struct {
	period Period
	noise  bool
	d      differ

	objects map[objKey]*object
	// byNamespace indexes namespaced objects for namespace removal and deletecollection.
	byNamespace map[string]map[objKey]*object
	collections map[objKey]*Resource
	failed      []FailedAttempt
	// observer, when set, is told after each event every object it touched, with the change
	// recorded for it (nil before the period): the posture follows the states through it.
	observer  func(o *object, ae *audit.Event, c *Change)
	touched   []touch
	touchedAt map[*object]int
	// dryRuns counts the period's dry runs per kind and actor, for the summary's tables.
	dryRuns map[dryRunKey]int64
	// strs and lists share the who-and-from-where of the rows kept: a busy cluster's
	// changes come from a few users, agents, groups and addresses, and each event decoded
	// brings its own copies of them.
	strs  map[string]string
	lists map[string][]string
	// tally counts the rows as they are recorded (the summary).
	tally tally
	// rows, when set, is where the histories go once the rows held pass spillAbove bytes;
	// holding are the resources with rows in memory.
	rows       *rowStore
	spillAbove int
	held       int
	holding    []*Resource
}

// maxShared bounds what strs and lists keep: beyond it, strings are kept as they come.
const maxShared = 1 << 16

func (t *tracker) shared(s string) string {
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

func (t *tracker) sharedList(l []string) []string {
	if len(l) == 0 {
		return l
	}
	var kb strings.Builder
	for _, s := range l {
		// Each element's length first: no two lists give one key, whatever they hold.
		kb.WriteString(strconv.Itoa(len(s)))
		kb.WriteByte(':')
		kb.WriteString(s)
	}
	k := kb.String()
	if v, ok := t.lists[k]; ok {
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
		t.lists[k] = v
	}
	return v
}

// dryRunKey is the kind a dry run wrote and who asked for it.
type dryRunKey struct{ group, resource, actor string }

func newTracker(period Period, noise, redact bool) *tracker {
	return &tracker{period: period, noise: noise, d: differ{redact: redact, paths: map[string]string{}},
		objects: map[objKey]*object{}, byNamespace: map[string]map[objKey]*object{}, collections: map[objKey]*Resource{}}
}

// event is one audit event with its bodies decoded, as the tracker works on it.
type event struct {
	*audit.Event
	key      objKey
	inPeriod bool
	resp     any // decoded responseObject, nil when not logged
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
			e.req = decodeObject(e.RequestObject)
		}
	}
	return e.req
}

func (e *event) respObj() obj {
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

// add applies one event, whose responseObject the caller decoded (decodeObject). Events
// before the period only update state; events in it are recorded. Events after it are not
// given to the tracker.
func (t *tracker) add(ae *audit.Event, resp any, inPeriod bool) {
	t.apply(ae, resp, inPeriod)
	if t.observer != nil && len(t.touched) > 0 {
		t.flush(ae)
	}
	if t.rows != nil && t.held > t.spillAbove {
		t.spill() // a failure stays in the store, where Build finds it
	}
}

// touch is an object an event touched, and the change recorded for it, if any.
type touch struct {
	o *object
	c *Change
}

// touch notes an object an event reads or changes, for the observer.
func (t *tracker) touch(o *object) {
	if t.observer == nil {
		return
	}
	if _, ok := t.touchedAt[o]; ok {
		return
	}
	if t.touchedAt == nil {
		t.touchedAt = map[*object]int{}
	}
	t.touchedAt[o] = len(t.touched)
	t.touched = append(t.touched, touch{o: o})
}

// flush tells the observer each object the event touched, in the order touched.
func (t *tracker) flush(ae *audit.Event) {
	for _, tc := range t.touched {
		t.observer(tc.o, ae, tc.c)
	}
	clear(t.touched)
	clear(t.touchedAt)
	t.touched = t.touched[:0]
}

func (t *tracker) apply(ae *audit.Event, resp any, inPeriod bool) {
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
	e.key = objectKey(ref, e.respObj())
	if e.key.name == "" && ae.Verb != "deletecollection" {
		e.key.name = str(e.reqObj(), "metadata", "name")
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

func (t *tracker) failedAttempt(e *event) {
	f := FailedAttempt{Time: e.Time(), Verb: e.Verb, Group: e.key.group, Resource: e.key.resource,
		Subresource: e.Subresource(), Namespace: e.key.namespace, Name: e.key.name, User: t.shared(e.User.Username),
		SourceIPs: t.sharedList(e.SourceIPs), UserAgent: t.shared(e.UserAgent), AuditID: e.AuditID, Code: e.Code(),
		Decision: e.Annotations["authorization.k8s.io/decision"], Source: t.shared(e.Source), Line: e.Line}
	if e.ImpersonatedUser != nil {
		f.ImpersonatedUser = t.shared(e.ImpersonatedUser.Username)
	}
	if e.ResponseStatus != nil {
		f.Reason, f.Message = e.ResponseStatus.Reason, e.ResponseStatus.Message
	}
	t.failed = append(t.failed, f)
}

// lookup returns the tracked object, making an unknown one when it is new.
func (t *tracker) lookup(k objKey) *object {
	o := t.objects[k]
	if o == nil {
		o = &object{key: k, kind: kindName(k.resource)}
		t.objects[k] = o
		if k.namespace != "" {
			ns := t.byNamespace[k.namespace]
			if ns == nil {
				ns = map[objKey]*object{}
				t.byNamespace[k.namespace] = ns
			}
			ns[k] = o
		}
	}
	t.touch(o)
	return o
}

// forget drops an object that no longer exists and has nothing to report, so memory follows
// the live objects.
func (t *tracker) forget(o *object) {
	if o.out != nil {
		return
	}
	delete(t.objects, o.key)
	if ns := t.byNamespace[o.key.namespace]; ns != nil {
		delete(ns, o.key)
		if len(ns) == 0 {
			delete(t.byNamespace, o.key.namespace)
		}
	}
}

// objectKey names the object an event writes. A create with generateName (and older
// servers' creates) names it only in the stored object, when that was logged. Namespaces are
// cluster-scoped, even where the objectRef repeats the name as the namespace.
func objectKey(ref *audit.ObjectRef, stored obj) objKey {
	k := objKey{group: ref.APIGroup, resource: ref.Resource, namespace: ref.Namespace, name: ref.Name}
	if k.name == "" {
		k.name = str(stored, "metadata", "name")
	}
	if k.group == "" && k.resource == "namespaces" {
		k.namespace = ""
	}
	return k
}

// objectFor returns the tracked object an event writes, noting the version it was written in.
func (t *tracker) objectFor(e *event) *object {
	o := t.lookup(e.key)
	if e.apiVersion != "" {
		o.apiVersion = e.apiVersion
	}
	return o
}

// forgetState marks the object's state unknown, saying why.
func (o *object) forgetState(e *event, why string) {
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
func (t *tracker) change(e *event, action, class string) Change {
	c := Change{Time: e.Time(), Action: action, Class: class, Verb: t.shared(e.Verb), Subresource: t.shared(e.Subresource()),
		User: t.shared(e.User.Username), Groups: t.sharedList(e.User.Groups), SourceIPs: t.sharedList(e.SourceIPs), UserAgent: t.shared(e.UserAgent),
		AuditID: e.AuditID, Code: e.Code(), Level: t.shared(e.Level), Source: t.shared(e.Source), Line: e.Line, Baseline: BaselineKnown}
	if e.ImpersonatedUser != nil {
		c.ImpersonatedUser = t.shared(e.ImpersonatedUser.Username)
	}
	if e.key.name == "" && e.Verb != "deletecollection" {
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

// record appends a change to the object's history when it is in the period.
func (t *tracker) record(e *event, o *object, c Change) {
	if !e.inPeriod {
		return
	}
	if o.out == nil {
		o.out = &Resource{Group: o.key.group, Resource: o.key.resource, Namespace: o.key.namespace, Name: o.key.name}
	}
	o.out.Kind, o.out.UID = o.kind, o.uid
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
func (t *tracker) noBodies(c *Change, e *event) {
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
func (t *tracker) setState(o *object, s obj, e *event) {
	if k := kindOf(s); k != "" {
		o.kind = k
	}
	if uid := str(s, "metadata", "uid"); uid != "" {
		o.uid = uid
	}
	o.unknown, o.partial = "", ""
	if e != nil && e.resp != nil && len(e.ResponseObject) > 0 && reflect.ValueOf(s).UnsafePointer() == reflect.ValueOf(e.respObj()).UnsafePointer() {
		o.state, o.known = s2.Encode(nil, e.ResponseObject), true
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
	o.state, o.known = s2.Encode(nil, b), true
}

// prev decodes the object's known state, nil when it is not known.
func (t *tracker) prev(o *object) obj {
	if !o.known || o.state == nil {
		return nil
	}
	b, err := s2.Decode(nil, o.state)
	if err != nil {
		return nil
	}
	p, _ := decodeObject(b).(map[string]any)
	if p != nil && !t.noise {
		stripNoise(p)
	}
	return p
}

// diff compares two states for a write; status is left out unless the write is to status.
// It strips noise from new in place (the stored state is already stripped), so new is
// ready to be stored afterwards.
func (t *tracker) diff(old, new obj, subresource string) []FieldChange {
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

func (t *tracker) create(e *event) {
	o := t.objectFor(e)
	c := t.change(e, ActionCreated, ClassConfiguration)
	s := e.stored()
	if s == nil && e.reqObj() != nil && e.reqObj()["metadata"] != nil {
		s = e.reqObj()
		c.addNote("the stored object was not logged (level " + e.Level + "): the diff shows the object as sent")
	}
	if s != nil {
		// Nothing existed before a create: the baseline is known, and every field is new.
		if !t.noise {
			stripNoise(s)
		}
		c.Diff = t.d.leaves(withoutStatus(s), OpAdded)
		t.setState(o, s, e)
		if e.stored() == nil {
			o.partial = "known only as sent (the stored object was not logged): fields the API server sets are missing"
		}
	} else {
		t.noBodies(&c, e)
		o.forgetState(e, "created without bodies logged")
	}
	o.exists, o.deleting = true, false
	t.record(e, o, c)
}

func (t *tracker) modify(e *event) {
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
		if wasHeld && finalizers(s) == 0 && e.key.resource != "namespaces" {
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

// requested lists what the request set: the fields of a merge or strategic merge patch, an
// apply configuration or a whole object, or the operations of a JSON patch.
func (t *tracker) requested(e *event) []FieldChange {
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

func (t *tracker) delete(e *event) {
	o := t.objectFor(e)
	c := t.change(e, ActionDeleted, ClassConfiguration)
	prev := t.prev(o)
	s := e.stored()
	wasDeleting := o.deleting || (prev != nil && deleting(prev))
	opts := e.reqObj()
	graceZero := false
	if n, ok := field(opts, "gracePeriodSeconds").(json.Number); ok && n.String() == "0" {
		graceZero = true
	}
	switch {
	case e.resp != nil && s == nil:
		// A Status: the object is gone.
	case s != nil && !deleting(s):
		// Some kinds answer a delete with the removed object.
	case s != nil && finalizers(s) > 0:
		c.Action = ActionDeletionRequested
		c.addNote("held by finalizers until they are removed")
	case s != nil && !wasDeleting && !graceZero && gracePeriod(s) > 0:
		c.Action = ActionDeletionRequested
		c.addNote(fmt.Sprintf("graceful deletion: %d s grace period", gracePeriod(s)))
	case s != nil:
		// Marked before, or no grace period left: this delete removes it.
	default:
		if !wasDeleting {
			c.addNote("the response was not logged (level " + e.Level + "): the object may only have been marked for deletion")
		}
	}
	if c.Action == ActionDeletionRequested {
		if prev != nil {
			c.Diff = t.diff(prev, s, "")
		} else {
			c.Baseline = BaselineUnknown
		}
		t.setState(o, s, e)
		o.exists, o.deleting = true, true
		t.record(e, o, c)
		return
	}
	if prev == nil && !o.known {
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
	if s == nil && e.resp == nil && !wasDeleting {
		// Not known whether this removed the object: keep it, marked.
		o.deleting = true
		o.exists = true
		o.forgetState(e, "deleted without the response logged: it may be gone or only marked for deletion")
		t.record(e, o, c)
		return
	}
	t.record(e, o, c)
	t.removed(o)
	if e.key.group == "" && e.key.resource == "namespaces" {
		t.closeNamespace(e, e.key.name)
	}
}

// removed marks an object gone.
func (t *tracker) removed(o *object) {
	t.touch(o)
	o.state, o.known, o.exists, o.deleting = nil, true, false, false
	t.forget(o)
}

// closeNamespace ends the history of everything in a namespace that was removed.
func (t *tracker) closeNamespace(e *event, ns string) {
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

func sortedObjects(m map[objKey]*object) []*object {
	out := make([]*object, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].key, out[j].key) })
	return out
}

func lessKey(a, b objKey) bool {
	if a.group != b.group {
		return a.group < b.group
	}
	if a.resource != b.resource {
		return a.resource < b.resource
	}
	if a.namespace != b.namespace {
		return a.namespace < b.namespace
	}
	return a.name < b.name
}

// deleteCollection handles one request that deletes many objects. The request is recorded on
// a collection entry; each object it removed gets its own entry where the event tells which.
func (t *tracker) deleteCollection(e *event) {
	ck := objKey{group: e.key.group, resource: e.key.resource, namespace: e.key.namespace}
	c := t.change(e, ActionDeleteCollection, ClassConfiguration)

	var targets []*object
	var unsure int
	if list, ok := field(e.respObj(), "items").([]any); ok {
		// The response lists what was deleted.
		for _, it := range list {
			item, _ := it.(map[string]any)
			name := str(item, "metadata", "name")
			if name == "" {
				continue
			}
			k := ck
			k.name, k.namespace = name, firstNonEmpty(str(item, "metadata", "namespace"), ck.namespace)
			o := t.lookup(k)
			if prev := t.prev(o); prev != nil && o.exists && deleting(item) && (finalizers(item) > 0 || gracePeriod(item) > 0) && !deleting(prev) {
				c2 := t.change(e, ActionDeletionRequested, ClassConfiguration)
				c2.Diff = t.diff(prev, item, "")
				t.setState(o, item, nil)
				o.deleting = true
				t.record(e, o, c2)
				continue
			}
			targets = append(targets, o)
		}
		c.addNote(fmt.Sprintf("deleted %d object(s) listed in the response", len(list)))
	} else {
		sel, fieldSel := selectors(e.RequestURI)
		var pool map[objKey]*object
		if ck.namespace != "" {
			pool = t.byNamespace[ck.namespace]
		} else {
			pool = t.objects
		}
		for _, o := range sortedObjects(pool) {
			if o.key.group != ck.group || o.key.resource != ck.resource || !o.exists {
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
			r = &Resource{Kind: kindName(ck.resource), Group: ck.group, Resource: ck.resource, Namespace: ck.namespace, Collection: true}
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
func (t *tracker) subresource(e *event) {
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
		case s != nil && sub == "finalize" && e.key.group == "" && e.key.resource == "namespaces" && deleting(s) && finalizers(s) == 0:
			// The namespace controller clears the last finalizer of a namespace being
			// deleted through namespaces/finalize; the API server then removes it, and logs
			// no delete for that.
			c.Action = ActionFinalized
			t.record(e, o, c)
			t.removed(o)
			t.closeNamespace(e, e.key.name)
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
func (t *tracker) snapshot(k objKey, s obj) {
	o := t.lookup(k)
	t.setState(o, s, nil)
	o.exists, o.deleting = true, deleting(s)
}

// finish returns the histories, sorted, and the failed attempts, and completes the summary.
// Once any rows were spilled, all are: the resources then read theirs from the store.
func (t *tracker) finish() ([]Resource, []FailedAttempt, Summary, error) {
	spilled := t.rows != nil && t.rows.store.Size() > 0
	if spilled {
		if err := t.spill(); err != nil {
			return nil, nil, Summary{}, err
		}
	}
	var out []Resource
	for _, o := range t.objects {
		if o.out != nil {
			o.out.History = slices.Clip(o.out.History)
			out = append(out, *o.out)
			o.out = nil
		}
	}
	t.objects, t.byNamespace = nil, nil
	for _, r := range t.collections {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Group != b.Group || a.Resource != b.Resource || a.Namespace != b.Namespace || a.Name != b.Name {
			return lessKey(objKey{a.Group, a.Resource, a.Namespace, a.Name}, objKey{b.Group, b.Resource, b.Namespace, b.Name})
		}
		return !a.Collection && b.Collection
	})
	if spilled {
		// Each history in one piece, in the order the renderers read them.
		lists := make([]*spill.List, len(out))
		for i := range out {
			lists[i] = out[i].list
		}
		if err := t.rows.store.Compact(lists); err != nil {
			return nil, nil, Summary{}, err
		}
	}
	sort.SliceStable(t.failed, func(i, j int) bool {
		a, b := t.failed[i], t.failed[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.AuditID < b.AuditID
	})
	tl := &t.tally
	for i := range out {
		r := &out[i]
		ks := tl.kind(r.Group, r.Resource, r.Kind)
		if !r.Collection {
			tl.sum.Objects++
			ks.Objects++
		}
	}
	for _, f := range t.failed {
		tl.sum.FailedAttempts++
		tl.kind(f.Group, f.Resource, kindName(f.Resource)).FailedAttempts++
		tl.actor(f.Actor()).FailedAttempts++
	}
	for k, n := range t.dryRuns {
		tl.kind(k.group, k.resource, kindName(k.resource)).DryRuns += n
		tl.actor(k.actor).DryRuns += n
	}
	tl.tables()
	if out == nil {
		out = []Resource{}
	}
	failed := t.failed
	if failed == nil {
		failed = []FailedAttempt{}
	}
	return out, failed, tl.sum, nil
}
