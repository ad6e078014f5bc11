package posture

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"maps"
	"math/bits"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	// The states of pods and namespaces are decoded on every write that touches them:
	// goccy/go-json reads them in half the time, and audit/ holds it to encoding/json's
	// results (TestDecoderAgreesOnRealData).
	"github.com/auditreport/auditreport/internal/fastjson"
	"github.com/auditreport/auditreport/internal/spill"
)

// Update is a change of an in-scope object's state, given to the Engine in the trail's order.
type Update struct {
	// PoliciesListed marks, before the first write, that the states given so far (a
	// snapshot) list every NetworkPolicy there was: it carries no object.
	PoliciesListed                   bool
	Time                             time.Time
	Group, Resource, Namespace, Name string
	// Exists is false once the object is gone.
	Exists bool
	// Object is the object's JSON when the trail shows it; nil when its content is not known.
	// It is the engine's only during Observe: the caller may reuse the bytes.
	Object []byte
	// Cause is the write that made the update.
	Cause Cause
	// Untimed marks an update from an event without a usable time: it cannot be placed in
	// the period, so the posture leaves it out rather than guess when it happened.
	Untimed bool
}

// Cause is the write behind an update.
type Cause struct {
	User, Verb, AuditID string
	// ImpersonatedBy is the user who made the request as User, when it impersonated.
	ImpersonatedBy string
	// Action is the history's action (created, modified, deleted, ...), empty for a state
	// no write gave (a snapshot); NoOp marks a write that changed no field, which the
	// summary does not count as a change.
	Action string
	NoOp   bool
	// Diff gives the change's field diff as JSON, on demand.
	Diff func() json.RawMessage
}

// Options say what posture to compute.
type Options struct {
	// Start and End bound the period; zero Start is the first update, zero End the last.
	Start, End time.Time
	Scope      Scope
	// TmpDir is where the rows of pods gone go once they pass SpillAbove bytes in memory
	// ("": the system's temporary folder); a negative SpillAbove keeps them in memory, 0
	// means DefaultSpillAbove. The posture's Close releases what was written.
	TmpDir     string
	SpillAbove int
	// PoliciesListed says that the state before the first update lists every NetworkPolicy
	// (a --snapshot): then every namespace's policies are known from the start. Otherwise
	// only those of a namespace whose creation the trail shows are: a policy made before the
	// logs begin and not written since would not show, and a pod no policy the trail shows
	// selects is unprotected or not, unknown.
	PoliciesListed bool
}

// Engine follows the objects network policy depends on through the trail and accounts for
// each pod's protection over the period. A change re-evaluates only the pods it can affect:
// a pod's, that pod; a policy's, the pods of its namespace its old or new selector can match
// (their counts of contributing policies adjusted); a non-evaluated policy kind's,
// the pods of its namespace (or all, for cluster-wide kinds).
type Engine struct {
	opts Options
	// policiesSeen is set by the first NetworkPolicy the engine is given.
	policiesSeen bool
	// trailEnd is where the trail ends when it ends well before the period (EndsAt); now
	// is the report's time, where a period still running is closed (Now).
	trailEnd, now time.Time
	runsTo        time.Time // the end of a period given none (RunsTo)
	nets          *networks
	scope         compiledScope

	opened  bool
	start   time.Time
	last    time.Time
	nsLabel map[string]map[string]string // nil value: labels not known
	// nsBorn holds the namespaces whose creation the trail shows: their policies are all
	// in the trail after it (policiesKnown).
	nsBorn map[string]bool
	// lostPols are policies written but never created where every creation should show.
	lostPols map[string]PolicyRef
	// untimedCreates are policies created in the trail at no usable time (not followed).
	untimedCreates map[string]bool
	// scopeUnknown holds the pods left out of the scope for want of the labels it selects
	// by, and which labels (inScope).
	scopeUnknown map[string]string
	pods         map[string]*pod      // namespace/name
	live         map[string]*livePods // namespace -> the pods alive in it
	npol         map[string]map[string]*policy
	// vocab numbers the labels the policies' selectors name; liveWords counts those the
	// selectors of the policies alive name, with repeats.
	vocab     *vocab
	liveWords int
	// polIDs numbers the NetworkPolicy names of each namespace in the order first applied;
	// polNames is the other way round. A number is never given to another name.
	polIDs   map[string]map[string]int
	polNames map[string][]string
	// nameOrder holds, for the namespaces whose pods' policies were named, their numbers in
	// the order of their names, as of when it was made (see byName).
	nameOrder map[string]nameOrder
	others    map[string]PolicyRef // non-evaluated policy objects that exist, by key
	// othersNS counts non-evaluated namespaced policies per namespace; othersGlobal the
	// cluster-wide ones.
	othersNS     map[string]int
	othersGlobal int
	services     map[string][]string // pod key -> services, sorted (a pod serves one or two)
	unknownPols  map[string]PolicyRef
	notEvaluated map[string]PolicyRef
	sum          Summary

	// The pods gone: while they hold less than spillAbove bytes they stay in pods; past
	// it, each is written to store as it goes (spilling), counted in agg, and forgotten but
	// for its entry in gone.
	store      *spill.Store // nil: the pods stay in memory
	spillAbove int
	held       int
	spilling   bool
	gone       map[uint64]spilled // by goneHash of namespace/name
	// goneOverflow holds, by namespace/name, the pods gone whose key's hash another pod
	// gone has.
	goneOverflow map[string]spilled
	// index lists, on disk, the rows of the pods written out: where each record is, its
	// rank and its key, for the rows' order at the end. indexBlock holds indexN more.
	index      spill.List
	indexBlock []byte
	indexN     int
	agg        aggregates
	rec, block []byte
	// waiting counts the services named, since they last went to disk, for pods the
	// engine does not hold; segments are those on disk.
	waitingN int
	segments []segment
	seed     maphash.Seed
}

type compiledScope struct {
	namespaces map[string]bool
	nsSel      labels.Selector
	sel        labels.Selector
	sas        map[string]bool
	saSel      labels.Selector
	saLabels   map[string]map[string]string // namespace/name -> labels
}

// New checks the scope and returns an engine.
func New(opts Options) (*Engine, error) {
	e := &Engine{opts: opts, nsLabel: map[string]map[string]string{}, nsBorn: map[string]bool{}, lostPols: map[string]PolicyRef{}, untimedCreates: map[string]bool{}, scopeUnknown: map[string]string{}, pods: map[string]*pod{},
		live: map[string]*livePods{}, npol: map[string]map[string]*policy{}, vocab: newVocab(1), others: map[string]PolicyRef{},
		othersNS: map[string]int{}, services: map[string][]string{},
		unknownPols: map[string]PolicyRef{}, notEvaluated: map[string]PolicyRef{}, gone: map[uint64]spilled{}, goneOverflow: map[string]spilled{}, agg: newAggregates(), seed: maphash.MakeSeed()}
	if opts.SpillAbove >= 0 {
		e.store, e.spillAbove = spill.New(opts.TmpDir), cmp.Or(opts.SpillAbove, DefaultSpillAbove)
	}
	var cluster []netip.Prefix
	for _, c := range opts.Scope.ClusterCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("cluster CIDR %q: %w", c, err)
		}
		cluster = append(cluster, p)
	}
	e.nets = newNetworks(cluster)
	parse := func(flag, s string) (labels.Selector, error) {
		if s == "" {
			return nil, nil
		}
		sel, err := labels.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		return sel, nil
	}
	var err error
	sc := &e.scope
	if sc.nsSel, err = parse("namespace selector", opts.Scope.NamespaceSelector); err != nil {
		return nil, err
	}
	if sc.sel, err = parse("selector", opts.Scope.Selector); err != nil {
		return nil, err
	}
	if sc.saSel, err = parse("service account selector", opts.Scope.ServiceAccountSelector); err != nil {
		return nil, err
	}
	if len(opts.Scope.Namespaces) > 0 {
		sc.namespaces = map[string]bool{}
		for _, n := range opts.Scope.Namespaces {
			sc.namespaces[n] = true
		}
	}
	if len(opts.Scope.ServiceAccounts) > 0 {
		sc.sas = map[string]bool{}
		for _, n := range opts.Scope.ServiceAccounts {
			sc.sas[n] = true
		}
	}
	sc.saLabels = map[string]map[string]string{}
	return e, nil
}

// pod is one pod's state and its account over the period.
type pod struct {
	ns, name    string
	labels      map[string]string
	labelsKnown bool
	// labelsSum hashes the labels as the state last wrote them (0 when it wrote none), so
	// that the next state's, most often the same bytes, is not decoded again.
	labelsSum uint64
	// words are its labels' numbers in the engine's vocab, as of the vocab's generation
	// wordsGen; 0 when they must be made again.
	words    []uint32
	wordsGen uint32
	sa       string
	envoy    Tri
	// hostNetwork pods share the node's network: what a NetworkPolicy does to them is
	// undefined (most network plugins leave them out), so their verdicts are unknown.
	hostNetwork bool
	alive       bool
	inScope     bool
	cur         verdict
	since       time.Time // when the account was last brought up to date
	from, to    time.Time
	lived       bool
	acc         account
	// applied holds, by their numbers in the namespace (Engine.polIDs), the policies that
	// selected the pod at some time in the period: a bit a policy, where a set of names cost
	// tens of bytes a policy and a pod of a busy namespace is selected by hundreds.
	applied     []uint64
	tally       tallies // the policies' contributions to cur
	transitions []Transition
	unknownWhy  map[string]bool
	unprotSince [2]*time.Time
	// before holds, until the period opens, the last write of its present life that set
	// each of its verdicts (a direction's protection, each exposure): what the period's
	// first transitions then name as their cause, and since when.
	before []Transition
}

// unknownBecause notes a reason a verdict of the pod may be unknown; the set is made for the
// few pods that need one.
func (p *pod) unknownBecause(why string) {
	if p.unknownWhy == nil {
		p.unknownWhy = map[string]bool{}
	}
	p.unknownWhy[why] = true
}

// labelsRead reads a pod's labels: it hashes their bytes, and decodes them only when those
// are not the bytes of the labels known (was, when known). Most pod writes (status, images,
// annotations) leave them as they were, and building a map for each was the most of what
// the posture allocated. Labels not written leave it as it was: no map, sum 0. (Two
// different labels share a 64-bit hash with a chance of about one in 2^64, as two names
// share the keys the tracker keeps of objects gone.)
type labelsRead struct {
	seed  maphash.Seed
	was   uint64
	known bool
	// sum hashes the bytes read; same says they are the labels known, and m is left nil.
	sum  uint64
	same bool
	m    map[string]string
}

func (l *labelsRead) UnmarshalJSON(b []byte) error {
	l.sum = maphash.Bytes(l.seed, b)
	if l.known && l.sum == l.was {
		l.same = true
		return nil
	}
	return fastjson.Unmarshal(b, &l.m)
}

// verdict is a pod's protection and exposure at one moment, per direction (0 ingress,
// 1 egress).
type verdict struct {
	protected, internet, otherNS [2]Tri
}

type account struct {
	unprotected, unknown   [2]time.Duration
	everFalse, everUnknown [2]bool
	internet, otherNS      [2]Tri // over the period: true if ever true, else unknown if ever unknown
}

// note records that the pod was, if only for an instant, unprotected or of unknown
// protection: a pod that lived no longer than that is not protected throughout.
func (a *account) note(d int, t Tri) {
	switch t {
	case False:
		a.everFalse[d] = true
	case Unknown:
		a.everUnknown[d] = true
	}
}

var directions = [2]string{"ingress", "egress"}

// policyKinds are the kinds whose writes the policy audit counts.
var policyKinds = map[string]bool{
	"networking.k8s.io/networkpolicies": true, "extensions/networkpolicies": true,
	"projectcalico.org/networkpolicies": true, "projectcalico.org/globalnetworkpolicies": true,
	"projectcalico.org/stagednetworkpolicies": true, "projectcalico.org/stagedglobalnetworkpolicies": true,
	"projectcalico.org/stagedkubernetesnetworkpolicies": true,
	"crd.projectcalico.org/networkpolicies":             true, "crd.projectcalico.org/globalnetworkpolicies": true,
	"crd.projectcalico.org/stagednetworkpolicies": true, "crd.projectcalico.org/stagedglobalnetworkpolicies": true,
	"crd.projectcalico.org/stagedkubernetesnetworkpolicies": true,
	"policy.networking.k8s.io/adminnetworkpolicies":         true, "policy.networking.k8s.io/baselineadminnetworkpolicies": true,
}

// enforcing are the non-evaluated kinds that can protect or expose a pod: Calico's enforced
// policies and the admin network policies. Staged policies enforce nothing, and network sets
// and tiers only take effect through policies.
var enforcing = map[string]string{
	"projectcalico.org/networkpolicies": "NetworkPolicy", "crd.projectcalico.org/networkpolicies": "NetworkPolicy",
	"projectcalico.org/globalnetworkpolicies": "GlobalNetworkPolicy", "crd.projectcalico.org/globalnetworkpolicies": "GlobalNetworkPolicy",
	"policy.networking.k8s.io/adminnetworkpolicies": "AdminNetworkPolicy", "policy.networking.k8s.io/baselineadminnetworkpolicies": "BaselineAdminNetworkPolicy",
}

// Enforcing is whether group/resource is a policy kind the posture does not evaluate
// (Calico's, the admin network policies), and the kind its objects are listed as: one in
// use may protect or expose any pod.
func Enforcing(group, resource string) (kind string, ok bool) {
	kind, ok = enforcing[group+"/"+resource]
	return kind, ok
}

// slimMeta is the part of an object's metadata the posture reads: decoding the whole
// ObjectMeta (managedFields and all) on every write was most of its cost.
type slimMeta struct {
	Metadata struct {
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
}

// Observe applies one update.
func (e *Engine) Observe(u Update) {
	if u.PoliciesListed {
		e.opts.PoliciesListed = true // the pods are evaluated again when the period opens
		return
	}
	if u.Untimed {
		if u.Cause.Action == "created" && u.Resource == "networkpolicies" {
			// Not placed in time, so not followed; but its creation is in the trail, and
			// a later write to it is no lost write.
			e.untimedCreates[u.Namespace+"/"+u.Name] = true
		}
		return
	}
	// A state no write gave (a snapshot, before the first event) has no time: it opens
	// nothing, and the period opens at the first write in it.
	if !e.opened && !u.Time.IsZero() && !u.Time.Before(e.opts.Start) && (e.opts.End.IsZero() || u.Time.Before(e.opts.End)) {
		start := e.opts.Start
		if start.IsZero() {
			start = u.Time
		}
		e.open(start)
	}
	if !e.opts.End.IsZero() && !u.Time.Before(e.opts.End) {
		return
	}
	if u.Time.After(e.last) {
		e.last = u.Time
	}
	if u.Resource == "pods" && u.Name == "" {
		// Creates whose name was never logged share one history entry; they are no pod
		// the posture can follow, but they are counted, so that they are not missed.
		if e.opened && u.Cause.Action == "created" {
			e.sum.EndpointsNumUnnamed++
		}
		return
	}
	kind := u.Group + "/" + u.Resource
	if e.opened && u.Cause.Action != "" && !u.Cause.NoOp && policyKinds[kind] {
		switch u.Cause.Action {
		case "created":
			e.sum.NumCreatedPolicies++
		case "modified":
			e.sum.NumModifiedPolicies++
		case "deleted", "finalized", "deleted-by-collection", "deleted-with-namespace":
			e.sum.NumDeletedPolicies++
		}
	}
	switch {
	case kind == "/pods":
		e.pod(u)
	case kind == "/namespaces":
		if u.Cause.Action == "created" {
			e.nsBorn[u.Name] = true
		}
		if u.Exists && u.Object != nil {
			var o slimMeta
			if fastjson.Unmarshal(u.Object, &o) == nil {
				e.nsLabel[u.Name] = o.Metadata.Labels
			}
		} else {
			delete(e.nsLabel, u.Name)
		}
		e.reevaluate(u, e.live[u.Name].everyPod())
	case kind == "/serviceaccounts":
		key := u.Namespace + "/" + u.Name
		if u.Exists && u.Object != nil {
			var o slimMeta
			if fastjson.Unmarshal(u.Object, &o) == nil {
				e.scope.saLabels[key] = o.Metadata.Labels
			}
		}
	case kind == "/endpoints":
		e.endpoints(u)
	case kind == "discovery.k8s.io/endpointslices":
		e.endpointSlice(u)
	case kind == "networking.k8s.io/networkpolicies" || kind == "extensions/networkpolicies":
		e.networkPolicy(u)
	default:
		if k, ok := enforcing[kind]; ok {
			e.otherPolicy(u, k)
		}
	}
}

func (e *Engine) open(start time.Time) {
	e.opened, e.start = true, start
	for _, p := range sortedPods(e.pods) {
		if !p.alive {
			continue
		}
		p.since = start
		n := len(p.transitions)
		e.begin(p, start, nil)
		// What the pod was at the start, it became at a write before the period when the
		// trail shows one: that write is the cause, and its time the start of the state.
		for i := n; i < len(p.transitions); i++ {
			tr := &p.transitions[i]
			j := slices.IndexFunc(p.before, func(b Transition) bool { return b.Direction == tr.Direction && b.What == tr.What })
			if j < 0 {
				continue
			}
			b := p.before[j]
			since := b.Time
			tr.Object, tr.User, tr.ImpersonatedBy, tr.Verb, tr.AuditID, tr.Diff, tr.FirstSeen, tr.Since = b.Object, b.User, b.ImpersonatedBy, b.Verb, b.AuditID, b.Diff, b.FirstSeen, &since
			if tr.What == "unprotected" {
				p.unprotSince[directionIndex(tr.Direction)] = &since
			}
		}
		p.before = nil
	}
}

// remember keeps, before the period opens, the write u that set a pod's verdicts from was
// to what they are now: the last such write for each verdict. A life's start (born) keeps
// no diff, as in the period: its diff would be the whole object.
func (e *Engine) remember(p *pod, was verdict, u Update, born bool) {
	if u.Cause.AuditID == "" && u.Cause.Verb == "" {
		return // a state no write gave (a snapshot): the start of the period says so
	}
	firstSeen := born && u.Cause.Action != "created"
	turns(was, p.cur, func(d int, what string) {
		tr := transition(u.Time, d, what, &u)
		tr.FirstSeen = firstSeen
		if !born && u.Cause.Diff != nil {
			tr.Diff = u.Cause.Diff()
		}
		p.before = slices.DeleteFunc(p.before, func(b Transition) bool {
			return b.Direction == tr.Direction && verdictKind(b.What) == verdictKind(what)
		})
		p.before = append(p.before, tr)
	})
}

// verdictKind names the verdict a transition sets: the protection, or one exposure.
func verdictKind(what string) string {
	switch what {
	case "protected", "unprotected", "unknown":
		return "protection"
	}
	return what
}

func directionIndex(dir string) int {
	if dir == directions[1] {
		return 1
	}
	return 0
}

// turns calls each for what changed from old to cur in each direction: the protection's
// new value when it changed, and each exposure the pod gained.
func turns(old, cur verdict, each func(d int, what string)) {
	for d := range 2 {
		if old.protected[d] != cur.protected[d] {
			switch cur.protected[d] {
			case True:
				each(d, "protected")
			case False:
				each(d, "unprotected")
			default:
				each(d, "unknown")
			}
		}
		if old.internet[d] != True && cur.internet[d] == True {
			each(d, exposedTo[d][0])
		}
		if old.otherNS[d] != True && cur.otherNS[d] == True {
			each(d, exposedTo[d][1])
		}
	}
}

// begin starts a pod's life in the period at t; u is the write that created it, nil at the
// start of the period.
func (e *Engine) begin(p *pod, t time.Time, u *Update) {
	if !p.lived {
		p.from, p.lived = t, true
	}
	p.since = t
	p.cur = e.evaluate(p)
	p.inScope = p.inScope || e.inScope(p)
	// A life starts as if protected and closed: what it lacks from its first moment is a
	// transition then, caused by its creation (u), or by nothing at the start of the period.
	// A pod whose creation the trail does not show starts at the first write it does show,
	// which caused nothing: its transitions say so.
	n := len(p.transitions)
	old := verdict{protected: [2]Tri{True, True}}
	if n > 0 && p.transitions[n-1].What == "gone" {
		// A next life: every verdict it starts with is a transition, protected too.
		old = verdict{}
	}
	e.account(p, old, t, u, false)
	if u != nil && u.Cause.Action != "created" {
		for i := n; i < len(p.transitions); i++ {
			p.transitions[i].FirstSeen = true
		}
	}
}

// exposedTo names the exposures per direction: to the internet, to other namespaces.
var exposedTo = [2][2]string{{"exposed-to-internet", "exposed-to-other-namespaces"}, {"open-to-internet", "open-to-other-namespaces"}}

// advance brings a pod's account up to t.
func (e *Engine) advance(p *pod, t time.Time) {
	if !e.opened || !p.alive || !t.After(p.since) {
		return
	}
	dt := t.Sub(p.since)
	for d := range 2 {
		switch p.cur.protected[d] {
		case False:
			p.acc.unprotected[d] += dt
			p.acc.everFalse[d] = true
		case Unknown:
			p.acc.unknown[d] += dt
			p.acc.everUnknown[d] = true
		}
	}
	p.since, p.to = t, t
}

func (e *Engine) pod(u Update) {
	key := u.Namespace + "/" + u.Name
	p := e.pods[key]
	if p == nil {
		if !u.Exists {
			return
		}
		if p = e.takeUp(key); p == nil {
			p = &pod{ns: u.Namespace, name: u.Name}
			e.claimServices(key)
		}
		e.pods[key] = p
	}
	e.advance(p, u.Time)
	lp := e.live[u.Namespace]
	if lp == nil {
		lp = newLivePods()
		e.live[u.Namespace] = lp
	}
	if !u.Exists {
		if p.alive {
			lp.remove(p, p.labels)
			if e.opened {
				// Its life ends: the transitions say so, so that the chart does not draw
				// it until a next life begins, and that life starts afresh.
				for d := range 2 {
					p.transitions = append(p.transitions, transition(u.Time, d, "gone", &u))
				}
			}
		}
		p.alive, p.before, p.hostNetwork = false, nil, false // a next life is its own
		e.died(p)
		return
	}
	oldLabels, oldKnown := p.labels, p.labelsKnown
	sameBytes, hostChanged := false, false
	if u.Object != nil {
		var o struct {
			Metadata struct {
				Labels labelsRead `json:"labels"`
			} `json:"metadata"`
			Spec struct {
				ServiceAccountName string `json:"serviceAccountName"`
				HostNetwork        bool   `json:"hostNetwork"`
				Containers         []struct {
					Name, Image string
				} `json:"containers"`
			} `json:"spec"`
		}
		o.Metadata.Labels = labelsRead{seed: e.seed, was: p.labelsSum, known: oldKnown}
		if fastjson.Unmarshal(u.Object, &o) == nil {
			l := &o.Metadata.Labels
			if sameBytes = l.same; sameBytes {
				l.m = oldLabels
			} else {
				p.wordsGen = 0
			}
			p.labels, p.labelsKnown, p.labelsSum, p.sa = l.m, true, l.sum, o.Spec.ServiceAccountName
			if hostChanged = o.Spec.HostNetwork != p.hostNetwork; hostChanged && o.Spec.HostNetwork {
				p.unknownBecause(hostNetworkWhy)
			}
			p.hostNetwork = o.Spec.HostNetwork
			p.envoy = False
			for _, c := range o.Spec.Containers {
				if c.Name == "istio-proxy" || strings.Contains(c.Image, "envoy") {
					p.envoy = True
				}
			}
		} else {
			p.labelsKnown, p.envoy = false, Unknown
		}
	} else {
		p.labelsKnown, p.envoy = false, Unknown
		p.unknownBecause("its labels are not in the trail")
	}
	// Most pod writes (status, images, annotations) leave the labels as they were: the pod
	// keeps its place in the index by label, and the policies select it as before.
	sameLabels := p.labelsKnown && oldKnown && (sameBytes || maps.Equal(p.labels, oldLabels))
	if !p.alive || !sameLabels {
		if p.alive {
			lp.remove(p, oldLabels)
		}
		lp.add(p) // with the labels it has now
	}
	if !p.alive {
		p.alive = true
		if e.opened {
			e.begin(p, u.Time, &u)
			return
		}
		// A life before the period: it starts at this write, from no verdict at all.
		p.cur = e.evaluate(p)
		e.remember(p, verdict{}, u, true)
		return
	}
	if sameLabels && !hostChanged {
		// Only its scope can have changed.
		if e.opened {
			p.inScope = p.inScope || e.inScope(p)
		}
		return
	}
	e.update(p, u)
}

// reevaluate brings the pods a change can affect up to its time and evaluates them again.
// The pods are alive ones (livePods); each pod's account is its own: the order they are
// brought up to date in cannot show.
func (e *Engine) reevaluate(u Update, pods map[*pod]struct{}) {
	for p := range pods {
		e.advance(p, u.Time)
		e.update(p, u)
	}
}

// update evaluates a pod again after a change and records what changed.
func (e *Engine) update(p *pod, u Update) {
	was := p.cur
	p.cur = e.evaluate(p)
	e.changed(p, was, u)
}

// changed records, once the period is open, what the change u did to a pod's verdict.
func (e *Engine) changed(p *pod, was verdict, u Update) {
	if !e.opened {
		e.remember(p, was, u, false)
		return
	}
	p.inScope = p.inScope || e.inScope(p)
	e.account(p, was, u.Time, &u, true)
}

// account records a pod's new verdict against the one before it, at t: the exposures it
// has held, the moments it was not protected, and a transition for each change, naming the
// write u that caused it (with its diff when withDiff).
func (e *Engine) account(p *pod, old verdict, t time.Time, u *Update, withDiff bool) {
	for d := range 2 {
		p.acc.internet[d] = maxTri(p.acc.internet[d], p.cur.internet[d])
		p.acc.otherNS[d] = maxTri(p.acc.otherNS[d], p.cur.otherNS[d])
		p.acc.note(d, p.cur.protected[d])
	}
	turns(old, p.cur, func(d int, what string) {
		tr := transition(t, d, what, u)
		if u != nil && withDiff && u.Cause.Diff != nil {
			tr.Diff = u.Cause.Diff()
		}
		p.transitions = append(p.transitions, tr)
		switch what {
		case "protected":
			p.unprotSince[d] = nil
		case "unprotected":
			at := t
			p.unprotSince[d] = &at
		}
	})
}

// transition is a pod's transition at t in direction d to what, caused by the write u
// (nil: none, as at the start of the period).
func transition(t time.Time, d int, what string, u *Update) Transition {
	tr := Transition{Time: t, Direction: directions[d], What: what}
	if u != nil {
		tr.Object, tr.User, tr.ImpersonatedBy, tr.Verb, tr.AuditID = objectName(*u), u.Cause.User, u.Cause.ImpersonatedBy, u.Cause.Verb, u.Cause.AuditID
	}
	return tr
}

func objectName(u Update) string {
	kind := kindOf(u.Group, u.Resource)
	if u.Namespace == "" {
		return kind + " " + u.Name
	}
	return kind + " " + u.Namespace + "/" + u.Name
}

func kindOf(group, resource string) string {
	switch resource {
	case "pods":
		return "Pod"
	case "namespaces":
		return "Namespace"
	case "networkpolicies":
		return "NetworkPolicy"
	case "endpoints":
		return "Endpoints"
	case "serviceaccounts":
		return "ServiceAccount"
	}
	if k, ok := enforcing[group+"/"+resource]; ok {
		return k
	}
	return resource
}

func (e *Engine) networkPolicy(u Update) {
	e.policiesSeen = true
	m := e.npol[u.Namespace]
	if m == nil {
		m = map[string]*policy{}
		e.npol[u.Namespace] = m
	}
	if e.vocab.crowded(e.liveWords) {
		e.renewVocab()
	}
	old := m[u.Name]
	if old == nil && u.Cause.Action != "" && u.Cause.Action != "created" && e.policiesKnown(u.Namespace) && !e.untimedCreates[u.Namespace+"/"+u.Name] {
		// Written, yet never created in a namespace whose policies are all in the trail:
		// a write to it was lost, and until now it may have protected pods unseen.
		e.lostPols[u.Namespace+"/"+u.Name] = PolicyRef{Kind: "NetworkPolicy", Group: u.Group, Namespace: u.Namespace, Name: u.Name,
			Reason: fmt.Sprintf("%s at %s by %s, but the trail does not show its creation, nor does a snapshot list it, though it should for every policy of namespace %s: a write to it was lost, and until then it may have selected pods the posture says it did not",
				u.Cause.Verb, u.Time.UTC().Format(time.RFC3339), u.Cause.User, u.Namespace)}
		// What the namespace's pods lacked until now, the lost policy may have given them.
		why := "NetworkPolicy " + u.Namespace + "/" + u.Name + " existed before " + u.Time.UTC().Format(time.RFC3339) + ", its creation lost: until then it may have protected the pod or opened it"
		// Once this write has had its effect: what a pod is after it, the trail shows.
		defer func() {
			for p := range e.live[u.Namespace].everyPod() {
				e.advance(p, u.Time)
				e.doubt(p, [2]bool{true, true}, why, &u)
			}
		}()
	}
	var cur *policy
	if !u.Exists {
		delete(m, u.Name)
	} else {
		cur = decodePolicy(u.Namespace, u.Name, u.Object, e.nets, e.vocab)
		cur.id = e.policyID(u.Namespace, u.Name)
		m[u.Name] = cur
		if !cur.known && e.opened {
			e.unknownPols[u.Namespace+"/"+u.Name] = PolicyRef{Kind: "NetworkPolicy", Group: u.Group, Namespace: u.Namespace, Name: u.Name,
				Reason: "its spec is not in the trail from " + u.Time.UTC().Format(time.RFC3339)}
		}
	}
	// The same uid is the same object, as when a snapshot taken after the logs begin holds
	// it before its creation is read.
	if old != nil && cur != nil && u.Cause.Action == "created" && e.opened && (old.uid == "" || cur.uid != old.uid) {
		// Created again with no deletion between: the deletion was lost, and for a time the
		// trail does not show, the pods it selected may have been unprotected.
		e.lostPols[u.Namespace+"/"+u.Name] = PolicyRef{Kind: "NetworkPolicy", Group: u.Group, Namespace: u.Namespace, Name: u.Name,
			Reason: fmt.Sprintf("created again at %s by %s with no deletion in the trail since it was last created or written: its deletion was lost, and the pods it selected may have been unprotected for a time the trail does not show",
				u.Time.UTC().Format(time.RFC3339), u.Cause.User)}
		why := "NetworkPolicy " + u.Namespace + "/" + u.Name + " was created again at " + u.Time.UTC().Format(time.RFC3339) + " with its deletion lost: for a time before, which the trail does not show, the pod may have been unprotected"
		for p := range e.live[u.Namespace].everyPod() {
			if old.selects(p, e.vocab) != False {
				e.doubt(p, [2]bool{old.ingress || !old.known, old.egress || !old.known}, why, nil)
			}
		}
	}
	e.liveWords += cur.words() - old.words()
	if old.sameEffect(cur) {
		return
	}
	// Only the pods the policy selected before or selects now can change: those its old or
	// new selector can match, and those whose labels are not known. Each takes the old
	// policy's contribution away and adds the new one's, without counting the others again.
	// A write that kept the selector (most change the rules) selects each pod as before.
	sameSelector := old.sameSelector(cur)
	for p := range e.live[u.Namespace].selectedBy(old, cur) {
		e.advance(p, u.Time)
		was := p.cur
		var sel Tri
		if old != nil {
			sel = old.selects(p, e.vocab)
			e.contribute(p, old, sel, -1)
		}
		if cur != nil {
			if !sameSelector {
				sel = cur.selects(p, e.vocab)
			}
			e.contribute(p, cur, sel, 1)
		}
		p.cur = e.verdictOf(p)
		e.changed(p, was, u)
	}
}

func (e *Engine) otherPolicy(u Update, kind string) {
	key := u.Group + "/" + u.Resource + "/" + u.Namespace + "/" + u.Name
	_, had := e.others[key]
	switch {
	case u.Exists && !had:
		ref := PolicyRef{Kind: kind, Group: u.Group, Namespace: u.Namespace, Name: u.Name, Reason: "its semantics are not evaluated"}
		e.others[key] = ref
		if u.Namespace != "" {
			e.othersNS[u.Namespace]++
		} else {
			e.othersGlobal++
		}
	case !u.Exists && had:
		delete(e.others, key)
		if u.Namespace != "" {
			e.othersNS[u.Namespace]--
		} else {
			e.othersGlobal--
		}
	default:
		return
	}
	if e.opened || u.Exists {
		e.notEvaluated[key] = PolicyRef{Kind: kind, Group: u.Group, Namespace: u.Namespace, Name: u.Name, Reason: "present, not evaluated: it may protect or expose pods"}
	}
	if u.Namespace != "" {
		e.reevaluate(u, e.live[u.Namespace].everyPod())
		return
	}
	for _, lp := range e.live {
		e.reevaluate(u, lp.all)
	}
}

func (e *Engine) endpoints(u Update) {
	if !u.Exists || u.Object == nil {
		return
	}
	var o struct {
		Subsets []struct {
			Addresses, NotReadyAddresses []struct {
				TargetRef *struct{ Kind, Namespace, Name string } `json:"targetRef"`
			}
		} `json:"subsets"`
	}
	if fastjson.Unmarshal(u.Object, &o) != nil {
		return
	}
	svc := u.Namespace + "/" + u.Name
	for _, ss := range o.Subsets {
		for _, a := range append(ss.Addresses, ss.NotReadyAddresses...) {
			if a.TargetRef == nil || a.TargetRef.Kind != "Pod" {
				continue
			}
			ns := a.TargetRef.Namespace
			if ns == "" {
				ns = u.Namespace
			}
			e.addService(ns+"/"+a.TargetRef.Name, svc)
		}
	}
}

// addService notes that a pod served a service at some time.
func (e *Engine) addService(pod, svc string) {
	if g, p, applied, services, ok := e.goneRecord(pod); ok {
		if _, found := slices.BinarySearch(services, svc); found {
			return
		}
		// A pod gone is named late: its row and the counts change.
		e.pods[pod] = e.takeUpRecord(pod, g, p, applied, services)
		defer e.writeOut(p)
	}
	l, ok := e.services[pod]
	e.services[pod] = insertSorted(l, svc)
	if !ok && e.pods[pod] == nil {
		e.waiting(pod)
	}
}

// insertSorted adds s to the sorted list l unless it is there.
func insertSorted(l []string, s string) []string {
	if i, found := slices.BinarySearch(l, s); !found {
		return slices.Insert(l, i, s)
	}
	return l
}

// endpointSlice reads the pods a discovery.k8s.io EndpointSlice names for its service (the
// label kubernetes.io/service-name).
func (e *Engine) endpointSlice(u Update) {
	if !u.Exists || u.Object == nil {
		return
	}
	var o struct {
		Metadata  metav1.ObjectMeta `json:"metadata"`
		Endpoints []struct {
			TargetRef *struct{ Kind, Namespace, Name string } `json:"targetRef"`
		} `json:"endpoints"`
	}
	if fastjson.Unmarshal(u.Object, &o) != nil {
		return
	}
	svcName := o.Metadata.Labels["kubernetes.io/service-name"]
	if svcName == "" {
		return
	}
	svc := u.Namespace + "/" + svcName
	for _, ep := range o.Endpoints {
		if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
			continue
		}
		ns := ep.TargetRef.Namespace
		if ns == "" {
			ns = u.Namespace
		}
		e.addService(ns+"/"+ep.TargetRef.Name, svc)
	}
}

// policyID is the number of a NetworkPolicy name in its namespace.
func (e *Engine) policyID(ns, name string) int {
	if e.polIDs == nil {
		e.polIDs, e.polNames = map[string]map[string]int{}, map[string][]string{}
	}
	ids := e.polIDs[ns]
	if ids == nil {
		ids = map[string]int{}
		e.polIDs[ns] = ids
	}
	id, ok := ids[name]
	if !ok {
		id = len(e.polNames[ns])
		ids[name] = id
		e.polNames[ns] = append(e.polNames[ns], name)
	}
	return id
}

// setApplied notes that the policy numbered id selected the pod at some time in the period.
func (e *Engine) setApplied(p *pod, id int) {
	for len(p.applied) <= id/64 {
		p.applied = append(p.applied, 0)
	}
	p.applied[id/64] |= 1 << (id % 64)
}

// appliedNames lists, sorted, the policies that selected a pod at some time in the period.
// The names' ranks in their namespace's order, made once for the namespace, are sorted,
// not the names: the bench log's pods are selected by hundreds of policies, among the
// thousands a growing cluster's namespace numbered over the period.
func (e *Engine) appliedNames(p *pod) []string {
	n := 0
	for _, w := range p.applied {
		n += bits.OnesCount64(w)
	}
	names := make([]string, 0, n)
	if n == 0 {
		return names
	}
	o := e.byName(p.ns)
	ranks := make([]int32, 0, n)
	for w, word := range p.applied {
		for ; word != 0; word &= word - 1 {
			ranks = append(ranks, o.rank[w*64+bits.TrailingZeros64(word)])
		}
	}
	slices.Sort(ranks)
	all := e.polNames[p.ns]
	for _, r := range ranks {
		names = append(names, all[o.ids[r]])
	}
	return names
}

// nameOrder is a namespace's policies in the order of their names: ids by rank, and the
// rank of each id.
type nameOrder struct{ ids, rank []int32 }

// byName returns the order of a namespace's policy names, made again when a policy was
// numbered since.
func (e *Engine) byName(ns string) nameOrder {
	names := e.polNames[ns]
	if o := e.nameOrder[ns]; len(o.ids) == len(names) {
		return o
	}
	o := nameOrder{ids: make([]int32, len(names)), rank: make([]int32, len(names))}
	for i := range o.ids {
		o.ids[i] = int32(i)
	}
	slices.SortFunc(o.ids, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	for r, id := range o.ids {
		o.rank[id] = int32(r)
	}
	if e.nameOrder == nil {
		e.nameOrder = map[string]nameOrder{}
	}
	e.nameOrder[ns] = o
	return o
}

// tally counts the policies whose contribution to one part of a pod's verdict is true, and
// those whose contribution is unknown: the verdict is the strongest evidence of all of them,
// and a count, unlike a maximum, can take one policy's contribution away again.
type tally struct{ t, u int32 }

func (c *tally) add(v Tri, n int32) {
	switch v {
	case True:
		c.t += n
	case Unknown:
		c.u += n
	}
}

func (c tally) tri() Tri {
	switch {
	case c.t > 0:
		return True
	case c.u > 0:
		return Unknown
	}
	return False
}

// tallies are a pod's counts per part of its verdict and direction.
type tallies struct{ protected, internet, otherNS [2]tally }

// evaluate gives a pod's verdict now, counting every policy of its namespace again.
func (e *Engine) evaluate(p *pod) verdict {
	p.tally = tallies{}
	for _, pol := range e.npol[p.ns] {
		e.contribute(p, pol, pol.selects(p, e.vocab), 1)
	}
	return e.verdictOf(p)
}

// selects is whether the policy selects the pod: unknown when the trail does not show the
// policy's spec, or the pod's labels.
func (pol *policy) selects(p *pod, v *vocab) Tri {
	switch {
	case !pol.known:
		return Unknown
	case pol.selector.Empty():
		return True
	case !p.labelsKnown:
		return Unknown
	case pol.match == nil:
		return tri(pol.selector.Matches(labels.Set(p.labels)))
	}
	return tri(pol.match.matches(v.wordsOf(p)))
}

// renewVocab makes the vocab again from the selectors of the policies alive, and compiles
// them by it: the words of policies deleted or changed since go.
func (e *Engine) renewVocab() {
	e.vocab = newVocab(e.vocab.gen + 1) // every pod's words are made again
	for _, m := range e.npol {          // the words' numbers do not reach the report
		for _, pol := range m {
			if pol.known {
				pol.match = compile(pol.selector, e.vocab)
			}
		}
	}
}

// contribute adds (n = 1) or takes away (n = -1) what one policy gives a pod's verdict, sel
// being whether it selects the pod (selects). The pod's labels must be those it had when the
// policy was added: a change of labels counts every policy again (evaluate).
func (e *Engine) contribute(p *pod, pol *policy, sel Tri, n int32) {
	if sel == False {
		return
	}
	if n > 0 && sel == True && e.opened {
		e.setApplied(p, pol.id)
	}
	has := [2]bool{pol.ingress, pol.egress}
	internet := [2]bool{pol.ingressInternet, pol.egressInternet}
	otherNS := [2]bool{pol.ingressOtherNS, pol.egressOtherNS}
	for d := range 2 {
		if pol.known && !has[d] {
			continue
		}
		p.tally.protected[d].add(sel, n)
		if !pol.known {
			p.tally.internet[d].add(Unknown, n)
			p.tally.otherNS[d].add(Unknown, n)
			continue
		}
		if internet[d] {
			p.tally.internet[d].add(sel, n)
		}
		if otherNS[d] {
			p.tally.otherNS[d].add(sel, n)
		}
	}
}

// verdictOf is a pod's verdict from its tallies.
func (e *Engine) verdictOf(p *pod) verdict {
	var v verdict
	for d := range 2 {
		v.protected[d], v.internet[d], v.otherNS[d] = p.tally.protected[d].tri(), p.tally.internet[d].tri(), p.tally.otherNS[d].tri()
	}
	if p.hostNetwork {
		for d := range 2 {
			v.protected[d], v.internet[d], v.otherNS[d] = Unknown, Unknown, Unknown
		}
		return v
	}
	if e.othersNS[p.ns] > 0 || e.othersGlobal > 0 || !e.policiesKnown(p.ns) {
		// A Calico or admin network policy may select the pod, or a NetworkPolicy older
		// than the trail: what the policies seen leave open or unprotected may be otherwise.
		for d := range 2 {
			v.protected[d] = maxTri(v.protected[d], Unknown)
			v.internet[d] = maxTri(v.internet[d], Unknown)
			v.otherNS[d] = maxTri(v.otherNS[d], Unknown)
		}
	}
	return v
}

// doubt makes what the trail showed of a pod's protection in the given directions unknown,
// for the reason why: a lost write may have changed it. With lost, the write at which a lost
// creation showed, the time the pod was unprotected until then becomes unknown time (the
// lost policy may have protected it), and so do its exposures (it may have opened them); its
// transitions say unknown where they said unprotected, and, if it is unprotected still, that
// write is where that is known from. Without, a pod protected throughout is no longer said
// so (a lost deletion may have left it bare).
func (e *Engine) doubt(p *pod, dirs [2]bool, why string, lost *Update) {
	changed := false
	for d := range 2 {
		if !dirs[d] {
			continue
		}
		if lost != nil {
			p.acc.internet[d] = maxTri(p.acc.internet[d], Unknown)
			p.acc.otherNS[d] = maxTri(p.acc.otherNS[d], Unknown)
			if p.acc.everFalse[d] {
				p.acc.unknown[d] += p.acc.unprotected[d]
				p.acc.unprotected[d] = 0
				p.acc.everFalse[d], p.acc.everUnknown[d] = false, true
				for i := range p.transitions {
					if tr := &p.transitions[i]; tr.Direction == directions[d] && tr.What == "unprotected" {
						tr.What = "unknown"
					}
				}
				p.unprotSince[d] = nil
				if p.cur.protected[d] == False {
					at := lost.Time
					p.transitions = append(p.transitions, transition(at, d, "unprotected", lost))
					p.unprotSince[d] = &at
				}
				changed = true
			}
			continue
		}
		if !p.acc.everUnknown[d] {
			p.acc.everUnknown[d], changed = true, true
		}
	}
	if changed {
		p.unknownBecause(why)
	}
}

// hostNetworkWhy says why a hostNetwork pod's verdicts are unknown.
const hostNetworkWhy = "it runs in the node's network namespace (hostNetwork): what NetworkPolicies do to such a pod is undefined, and most network plugins do not apply them"

// policiesKnown is whether every NetworkPolicy of the namespace is in the trail or the
// snapshot: the namespace was created in the trail, or a snapshot lists them all.
func (e *Engine) policiesKnown(ns string) bool {
	return e.opts.PoliciesListed || e.nsBorn[ns]
}

// maxTri orders False < Unknown < True: the strongest evidence wins.
func maxTri(a, b Tri) Tri {
	rank := func(t Tri) int {
		switch t {
		case True:
			return 2
		case Unknown:
			return 1
		case False:
			return 0
		}
		return -1
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// inScope reports whether the pod is in the report's scope now. A pod left out because a
// selector of the scope selects by labels the trail does not show is noted in scopeUnknown
// until it is in scope: whether it belongs, the trail cannot tell.
func (e *Engine) inScope(p *pod) bool {
	in, why := e.scopeOf(p)
	switch {
	case in && len(e.scopeUnknown) > 0:
		delete(e.scopeUnknown, p.ns+"/"+p.name)
	case !in && why != "" && !p.inScope:
		e.scopeUnknown[p.ns+"/"+p.name] = why
	}
	return in
}

// scopeOf is whether the pod is in scope; when it is not only for want of labels, why.
func (e *Engine) scopeOf(p *pod) (bool, string) {
	sc := &e.scope
	var unknown string
	if sc.namespaces != nil && !sc.namespaces[p.ns] {
		return false, ""
	}
	if sc.nsSel != nil {
		l, known := e.nsLabel[p.ns]
		switch {
		case !known:
			unknown = "the labels of namespace " + p.ns
		case !sc.nsSel.Matches(labels.Set(l)):
			return false, ""
		}
	}
	if sc.sel != nil {
		switch {
		case !p.labelsKnown:
			unknown = "the pod's own labels"
		case !sc.sel.Matches(labels.Set(p.labels)):
			return false, ""
		}
	}
	sa := p.sa
	if sa == "" {
		sa = "default"
	}
	if sc.sas != nil && !sc.sas[sa] {
		return false, ""
	}
	if sc.saSel != nil {
		l, known := sc.saLabels[p.ns+"/"+sa]
		switch {
		case !known:
			unknown = "the labels of service account " + p.ns + "/" + sa
		case !sc.saSel.Matches(labels.Set(l)):
			return false, ""
		}
	}
	return unknown == "", unknown
}

// Through tells the engine that the trail runs to t, though no update it was given comes so
// late: with no End, the period then closes at t, the logs' last event, not at the last
// change to the kinds the posture follows. A pod alive at its last update was alive, as it
// was, until the trail's end: the time it spent unprotected counts to there.
func (e *Engine) Through(t time.Time) {
	if t.After(e.last) {
		e.last = t
	}
}

// EndsAt tells the engine that the trail ends at t, well before the period's End: from there
// to End it shows nothing, so a pod alive at t spends the rest of the period with its
// protection unknown, not as it last was.
func (e *Engine) EndsAt(t time.Time) {
	if end := e.periodEnd(); !end.IsZero() && t.Before(end) {
		e.trailEnd = t
	}
}

// RunsTo tells the engine that a period given no End runs to t, the report's time: with
// EndsAt, a trail that stopped well before then leaves the rest unknown.
func (e *Engine) RunsTo(t time.Time) {
	e.runsTo = t
}

// periodEnd is the period's End, or where a period without one runs to (RunsTo).
func (e *Engine) periodEnd() time.Time {
	if e.opts.End.IsZero() {
		return e.runsTo
	}
	return e.opts.End
}

// Now tells the engine the time of the report: a period that ends after it is counted to
// it, as the rest has not happened yet.
func (e *Engine) Now(t time.Time) {
	e.now = t
}

// Finish closes the period at its End, or with none at the last update or the time given to
// Through, whichever is later, and returns the posture.
func (e *Engine) Finish() *Posture {
	end := e.periodEnd()
	if end.IsZero() {
		end = e.last
	}
	if now := maxTime(e.now, e.last); !e.opts.End.IsZero() && !e.now.IsZero() && end.After(now) {
		end = now // the rest of the period has not happened yet (what the logs show has)
		if !e.trailEnd.Before(end) {
			e.trailEnd = time.Time{}
		}
	}
	if !e.opened {
		e.open(e.opts.Start)
	}
	out := &Posture{Scope: e.opts.Scope, Endpoints: []Endpoint{}, Namespaces: []Namespace{}, Services: []Service{}, policiesSeen: e.policiesSeen,
		End: timePtr(end), TrailEnd: timePtr(e.trailEnd)}
	// Alive pods are followed to the end, or to the trail's end and the rest is unknown.
	for _, p := range e.pods {
		if !p.alive {
			continue
		}
		if e.trailEnd.IsZero() {
			e.advance(p, end)
			p.to = end
			continue
		}
		e.advance(p, e.trailEnd)
		p.to = e.trailEnd
		if rest := end.Sub(e.trailEnd); rest > 0 {
			for d := range 2 {
				p.acc.unknown[d] += rest
				p.acc.everUnknown[d] = true
				// What it was exposed to after the trail's end, the trail cannot tell either.
				p.acc.internet[d] = maxTri(p.acc.internet[d], Unknown)
				p.acc.otherNS[d] = maxTri(p.acc.otherNS[d], Unknown)
			}
			p.unknownBecause("the trail ends at " + e.trailEnd.UTC().Format(time.RFC3339) + ", before the period does")
		}
	}
	e.finishRows(out)
	e.agg.fill(out)
	out.Summary.NumCreatedPolicies, out.Summary.NumModifiedPolicies, out.Summary.NumDeletedPolicies = e.sum.NumCreatedPolicies, e.sum.NumModifiedPolicies, e.sum.NumDeletedPolicies
	out.Summary.EndpointsNumUnnamed = e.sum.EndpointsNumUnnamed
	for _, k := range sortedNames(e.notEvaluated) {
		out.NotEvaluated = append(out.NotEvaluated, e.notEvaluated[k])
	}
	for _, k := range sortedNames(e.unknownPols) {
		out.UnknownPolicies = append(out.UnknownPolicies, e.unknownPols[k])
	}
	if len(e.scopeUnknown) > 0 {
		whys := map[string]bool{}
		for _, why := range e.scopeUnknown {
			whys[why] = true
		}
		out.Summary.EndpointsNumScopeUnknown = len(e.scopeUnknown)
		out.ScopeUnknown = sortedNames(whys)
	}
	for _, k := range sortedNames(e.lostPols) {
		out.LostPolicies = append(out.LostPolicies, e.lostPols[k])
	}
	for _, ns := range out.Namespaces {
		if !e.policiesKnown(ns.Namespace) {
			out.OlderNamespaces = append(out.OlderNamespaces, ns.Namespace)
		}
	}
	return out
}

// timePtr is t in UTC, or nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func orFalse(t Tri) Tri {
	if t == "" {
		return False
	}
	return t
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedPods(m map[string]*pod) []*pod {
	out := make([]*pod, 0, len(m))
	for _, k := range sortedNames(m) {
		out = append(out, m[k])
	}
	return out
}
