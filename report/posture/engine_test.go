package posture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func podU(min int, ns, name, labels string) Update {
	return Update{Time: at(min), Resource: "pods", Namespace: ns, Name: name, Exists: true,
		Object: []byte(fmt.Sprintf(`{"metadata":{"name":%q,"namespace":%q,"labels":{%s}},"spec":{"serviceAccountName":"web","containers":[{"name":"app","image":"web:1"}]}}`, name, ns, labels)),
		Cause:  Cause{User: "bob", Verb: "create", AuditID: fmt.Sprintf("a-%d", min), Action: "created"}}
}

// hostNet puts a pod in the host's network namespace.
func hostNet(u Update) Update {
	u.Object = bytes.Replace(u.Object, []byte(`"spec":{`), []byte(`"spec":{"hostNetwork":true,`), 1)
	return u
}

func gone(u Update, min int, who string) Update {
	u.Time, u.Exists, u.Object = at(min), false, nil
	u.Cause = Cause{User: who, Verb: "delete", AuditID: fmt.Sprintf("d-%d", min), Action: "deleted"}
	return u
}

func npU(min int, ns, name, spec string) Update {
	return Update{Time: at(min), Group: "networking.k8s.io", Resource: "networkpolicies", Namespace: ns, Name: name, Exists: true,
		Object: []byte(fmt.Sprintf(`{"metadata":{"name":%q,"namespace":%q},"spec":%s}`, name, ns, spec)),
		Cause:  Cause{User: "alice", Verb: "patch", AuditID: fmt.Sprintf("np-%d", min), Action: "modified"}}
}

func nsU(min int, name, labels string) Update {
	return Update{Time: at(min), Resource: "namespaces", Name: name, Exists: true,
		Object: []byte(fmt.Sprintf(`{"metadata":{"name":%q,"labels":{%s}}}`, name, labels))}
}

const (
	denyAll     = `{"podSelector":{},"policyTypes":["Ingress","Egress"]}`
	denyIngress = `{"podSelector":{}}`
)

// run runs the engine over the updates as if a snapshot listed every NetworkPolicy before
// them (most cases do not create their namespaces); runAsGiven runs it as the options say.
func run(t *testing.T, opts Options, ups ...Update) *Posture {
	t.Helper()
	opts.PoliciesListed = true
	return runAsGiven(t, opts, ups...)
}

func runAsGiven(t *testing.T, opts Options, ups ...Update) *Posture {
	t.Helper()
	// A policy's first write is its creation, as the histories say it: npU makes every
	// write a modification.
	live := map[string]bool{}
	for i, u := range ups {
		if u.Resource != "networkpolicies" {
			continue
		}
		key := u.Namespace + "/" + u.Name
		if u.Exists && !live[key] && u.Cause.Action == "modified" && u.Cause.Verb == "patch" {
			ups[i].Cause.Action = "created"
		}
		live[key] = u.Exists
	}
	if opts.Start.IsZero() {
		opts.Start = at(10)
	}
	if opts.End.IsZero() {
		opts.End = at(70)
	}
	// Every case runs twice: with the pods kept in memory, and with each written to disk
	// as it goes; the two postures are the same.
	finish := func(spillAbove int) *Posture {
		opts.SpillAbove, opts.TmpDir = spillAbove, t.TempDir()
		e, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups {
			e.Observe(u)
		}
		p := e.Finish()
		t.Cleanup(func() { p.Close() })
		return p
	}
	p := finish(-1)
	sameWhenSpilled(t, p, finish(1))
	// Pods gone are known by their key's hash: when every key has the same one, the
	// posture is still the same.
	defer func(h func(string) uint64) { goneHash = h }(goneHash)
	goneHash = func(string) uint64 { return 0 }
	sameWhenSpilled(t, p, finish(1))
	return p
}

// sameWhenSpilled fails unless the posture whose rows went to disk reads back as the one
// kept in memory.
func sameWhenSpilled(t *testing.T, memory, spilled *Posture) {
	t.Helper()
	if memory.Len() > 0 && spilled.SpilledBytes() == 0 {
		t.Fatal("nothing was written to disk with a budget of one byte")
	}
	back := *spilled
	back.Endpoints = []Endpoint{}
	for _, e := range spilled.Rows() {
		back.Endpoints = append(back.Endpoints, *e)
	}
	if err := spilled.Err(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(memory, &back, cmpopts.IgnoreUnexported(Posture{})); d != "" {
		t.Fatalf("the posture written to disk reads back otherwise (-memory +disk):\n%s", d)
	}
}

func endpoint(t *testing.T, p *Posture, name string) Endpoint {
	t.Helper()
	for _, e := range p.Endpoints {
		if e.Endpoint == name {
			return e
		}
	}
	t.Fatalf("no endpoint %s in %+v", name, p.Endpoints)
	return Endpoint{}
}

func TestRules(t *testing.T) {
	type want struct {
		in, eg, inNet, egNet, inNS, egNS Tri
		inUnprotectedMin                 float64
	}
	tests := []struct {
		name string
		why  string
		ups  []Update
		want want
	}{{
		name: "no policy",
		why:  "nothing selects the pod: unprotected both ways for all of its life",
		ups:  []Update{podU(0, "shop", "web", `"app":"web"`)},
		want: want{False, False, False, False, False, False, 60},
	}, {
		name: "empty podSelector, policyTypes omitted",
		why:  "the API server defaults policyTypes to Ingress only (no egress rules): ingress protected, egress not",
		ups:  []Update{npU(0, "shop", "deny", denyIngress), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, False, False, 0},
	}, {
		name: "egress rules make Egress a default type",
		why:  "policyTypes omitted with egress rules: both types; the egress rule has no peers, so egress is open to everything",
		ups:  []Update{npU(0, "shop", "p", `{"podSelector":{},"egress":[{"ports":[{"port":53}]}]}`), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, True, False, True, False, True, 0},
	}, {
		name: "egress-only policy",
		why:  "policyTypes [Egress]: the pod has no ingress policy",
		ups:  []Update{npU(0, "shop", "p", `{"podSelector":{},"policyTypes":["Egress"]}`), podU(0, "shop", "web", `"app":"web"`)},
		want: want{False, True, False, False, False, False, 60},
	}, {
		name: "a rule with only ports",
		why:  "no from: any source, the internet and other namespaces included",
		ups:  []Update{npU(0, "shop", "p", `{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"port":80}]}]}`), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, True, False, True, False, 0},
	}, {
		name: "namespaceSelector with podSelector",
		why:  "a namespaceSelector peer admits pods of other namespaces; no ipBlock: not the internet",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"x"}},"podSelector":{"matchLabels":{"app":"fe"}}}]}]}`),
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, True, False, 0},
	}, {
		name: "namespaceSelector naming the policy's own namespace",
		why:  "kubernetes.io/metadata.name is the namespace's name, set by the API server: only shop, not another namespace",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"shop"}}},{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["shop"]}]}}]}]}`),
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, False, False, 0},
	}, {
		name: "namespaceSelector naming another namespace by name",
		why:  "kubernetes.io/metadata.name In [shop, ci]: ci is another namespace",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["shop","ci"]}]}}]}]}`),
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, True, False, 0},
	}, {
		name: "a pod in the host's network",
		why:  "NetworkPolicy is undefined for hostNetwork pods (most plugins ignore them): a default deny does not make it protected, nor does its absence make it unprotected",
		ups:  []Update{npU(0, "shop", "deny", denyAll), hostNet(podU(0, "shop", "web", `"app":"web"`))},
		want: want{Unknown, Unknown, Unknown, Unknown, Unknown, Unknown, 0},
	}, {
		name: "a pod in the host's network, no policy",
		why:  "no policy is no evidence either way for a hostNetwork pod: unknown, not unprotected",
		ups:  []Update{hostNet(podU(0, "shop", "web", `"app":"web"`))},
		want: want{Unknown, Unknown, Unknown, Unknown, Unknown, Unknown, 0},
	}, {
		name: "podSelector peer only",
		why:  "a podSelector peer alone means pods of the policy's own namespace",
		ups:  []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"podSelector":{}}]}]}`), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, False, False, 0},
	}, {
		name: "ipBlock of the internet with a private except",
		why:  "0.0.0.0/0 less 10.0.0.0/8 still reaches public addresses",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}}]}]}`),
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, True, False, False, False, 0},
	}, {
		name: "ipBlock inside the private ranges",
		why:  "10.1.0.0/16 is private: not the internet",
		ups:  []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.1.0.0/16"}}]}]}`), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, False, False, 0},
	}, {
		name: "ipBlock public range fully excepted",
		why:  "203.0.113.0/24 less 203.0.113.0/25 and 203.0.113.128/25 is empty",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"203.0.113.0/24","except":["203.0.113.0/25","203.0.113.128/25"]}}]}]}`),
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, False, False, False, False, False, 0},
	}, {
		name: "a policy created before the pods it selects",
		why:  "the pod is protected from its first moment",
		ups:  []Update{npU(0, "shop", "p", denyAll), podU(30, "shop", "web", `"app":"web"`)},
		want: want{True, True, False, False, False, False, 0},
	}, {
		name: "a pod relabelled out of the selector and back",
		why:  "unprotected for the 15 minutes its labels did not match: false over the period",
		ups: []Update{npU(0, "shop", "p", `{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress","Egress"]}`),
			podU(0, "shop", "web", `"app":"web"`), podU(20, "shop", "web", `"app":"other"`), podU(35, "shop", "web", `"app":"web"`)},
		want: want{False, False, False, False, False, False, 15},
	}, {
		name: "a default deny removed and restored inside the period",
		why:  "deleted at minute 30, re-created at 50: unprotected for 20 minutes",
		ups: []Update{npU(0, "shop", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`),
			gone(npU(0, "shop", "deny", denyAll), 30, "mallory"), npU(50, "shop", "deny", denyAll)},
		want: want{False, False, False, False, False, False, 20},
	}, {
		name: "pods created and deleted inside the period",
		why:  "its life is minutes 20 to 40; no policy then: unprotected for 20 minutes",
		ups:  []Update{podU(20, "shop", "web", `"app":"web"`), gone(podU(20, "shop", "web", ``), 40, "bob")},
		want: want{False, False, False, False, False, False, 20},
	}, {
		name: "a pod created at the last instant of the period",
		why:  "a life of no length without a policy is not protected throughout it",
		ups:  []Update{{Time: at(70).Add(-time.Nanosecond), Resource: "pods", Namespace: "shop", Name: "web", Exists: true, Object: []byte(`{"metadata":{"labels":{"app":"web"}}}`)}},
		want: want{False, False, False, False, False, False, 0},
	}, {
		name: "a policy in another namespace",
		why:  "policies select pods of their own namespace only",
		ups:  []Update{npU(0, "other", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`)},
		want: want{False, False, False, False, False, False, 60},
	}, {
		name: "a policy whose spec the trail does not show",
		why:  "it may select the pod or not: unknown, not unprotected",
		ups: []Update{{Time: at(0), Group: "networking.k8s.io", Resource: "networkpolicies", Namespace: "shop", Name: "old", Exists: true},
			podU(0, "shop", "web", `"app":"web"`)},
		want: want{Unknown, Unknown, Unknown, Unknown, Unknown, Unknown, 0},
	}, {
		name: "a pod whose labels the trail does not show",
		why:  "a selector on labels cannot be judged; an empty podSelector can",
		ups: []Update{npU(0, "shop", "all", denyIngress), npU(0, "shop", "web-eg", `{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Egress"]}`),
			{Time: at(0), Resource: "pods", Namespace: "shop", Name: "web", Exists: true}},
		want: want{True, Unknown, False, False, False, False, 0},
	}, {
		name: "a Calico GlobalNetworkPolicy is present",
		why:  "not evaluated: it may protect the pod, so unprotected becomes unknown",
		ups: []Update{{Time: at(0), Group: "projectcalico.org", Resource: "globalnetworkpolicies", Name: "allow-all-egress", Exists: true, Object: []byte(`{}`)},
			npU(0, "shop", "deny", denyIngress), podU(0, "shop", "web", `"app":"web"`)},
		want: want{True, Unknown, Unknown, Unknown, Unknown, Unknown, 0},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := run(t, Options{}, tc.ups...)
			e := endpoint(t, p, "shop/web")
			got := want{e.IngressProtected, e.EgressProtected, e.IngressFromInternet, e.EgressToInternet, e.IngressFromOtherNamespace, e.EgressToOtherNamespace,
				math.Round(e.IngressUnprotectedSeconds / 60)}
			if got != tc.want {
				t.Errorf("%s\n got  %+v\n want %+v", tc.why, got, tc.want)
			}
		})
	}
}

// The change that removed protection is named, with who made it, so a false can be traced.
func TestTransitionsNameTheChange(t *testing.T) {
	p := run(t, Options{}, npU(0, "shop", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`),
		gone(npU(0, "shop", "deny", denyAll), 30, "mallory"), npU(50, "shop", "deny", denyAll))
	e := endpoint(t, p, "shop/web")
	var lost *Transition
	for i, tr := range e.Transitions {
		if tr.What == "unprotected" && tr.Direction == "ingress" {
			lost = &e.Transitions[i]
		}
	}
	if lost == nil || lost.User != "mallory" || !lost.Time.Equal(at(30)) || lost.Object != "NetworkPolicy shop/deny" {
		t.Fatalf("transitions %+v: want ingress lost at minute 30 by mallory deleting shop/deny", e.Transitions)
	}
	if e.IngressUnprotectedSince != nil {
		t.Errorf("protected again at the end, but unprotected since %v", e.IngressUnprotectedSince)
	}
}

// What a pod is at the start of the period, a write before it made it: the period's first
// transitions name that write and when it was made, not just "the start of the period". The
// last write of each verdict counts, and a life that ended before the period leaves none.
func TestStateAtTheStartNamesItsCause(t *testing.T) {
	status := podU(2, "shop", "seen", `"app":"web"`)
	status.Cause = Cause{User: "system:node:n1", Verb: "patch", AuditID: "s-2", Action: "modified"}
	reborn := podU(4, "shop", "reborn", `"app":"web"`)
	p := run(t, Options{}, // the period opens at minute 10
		npU(0, "shop", "deny", denyAll),
		podU(1, "shop", "web", `"app":"web"`), status, podU(1, "shop", "reborn", `"app":"web"`),
		npU(3, "open", "net", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}`),
		podU(3, "open", "api", `"app":"api"`),
		gone(podU(1, "shop", "reborn", `"app":"web"`), 3, "bob"), reborn,
		gone(npU(0, "shop", "deny", denyAll), 5, "mallory"),
		npU(6, "shop", "allow", `{"podSelector":{"matchLabels":{"app":"db"}}}`), // selects none of them
		npU(12, "shop", "deny", denyAll))
	type cause struct {
		what, user, object string
		since              time.Time
		firstSeen          bool
	}
	for _, c := range []struct {
		pod  string
		want []cause
	}{
		{"shop/web", []cause{{"unprotected", "mallory", "NetworkPolicy shop/deny", at(5), false}}},
		{"shop/seen", []cause{{"unprotected", "mallory", "NetworkPolicy shop/deny", at(5), false}}},
		{"shop/reborn", []cause{{"unprotected", "mallory", "NetworkPolicy shop/deny", at(5), false}}},
		{"open/api", []cause{{"exposed-to-internet", "bob", "Pod open/api", at(3), false}}}, // protected, but open to the internet
	} {
		e := endpoint(t, p, c.pod)
		var got []cause
		for _, tr := range e.Transitions {
			if !tr.Time.Equal(at(10)) {
				continue
			}
			if tr.Since == nil {
				t.Errorf("%s: %+v at the start of the period names no write before it", c.pod, tr)
				continue
			}
			if tr.Direction == "ingress" {
				got = append(got, cause{tr.What, tr.User, tr.Object, *tr.Since, tr.FirstSeen})
			}
		}
		if d := cmp.Diff(c.want, got, cmp.AllowUnexported(cause{})); d != "" {
			t.Errorf("%s: ingress at the start of the period (-want +got):\n%s", c.pod, d)
		}
		// The shop's pods are protected again at minute 12; open/api's egress never is,
		// since its creation at minute 3.
		var wantSince *time.Time
		if c.pod == "open/api" {
			s := at(3)
			wantSince = &s
		}
		if d := cmp.Diff(wantSince, e.EgressUnprotectedSince); d != "" {
			t.Errorf("%s: egress unprotected since (-want +got):\n%s", c.pod, d)
		}
	}
	// A pod first seen before the period, at a write that did not create it, and never
	// changed since: the start names that write as where the trail first shows it.
	p = run(t, Options{}, status)
	e := endpoint(t, p, "shop/seen")
	if len(e.Transitions) == 0 || e.Transitions[0].Since == nil || !e.Transitions[0].FirstSeen || !e.Transitions[0].Since.Equal(at(2)) {
		t.Errorf("transitions %+v: want the start of the period to name the status patch at minute 2 as where the pod was first seen", e.Transitions)
	}
	if e.IngressUnprotectedSince == nil || !e.IngressUnprotectedSince.Equal(at(2)) {
		t.Errorf("unprotected since %v, want minute 2, when the trail first shows it", e.IngressUnprotectedSince)
	}
}

// A namespace older than the trail may hold NetworkPolicies made before the logs begin and
// never written since: a pod no policy seen selects is not said unprotected, but unknown,
// and why; one a policy seen selects is protected whatever else there is. A namespace whose
// creation the trail shows, or a snapshot listing the policies, makes it known.
func TestNamespaceOlderThanTheTrail(t *testing.T) {
	created := func(min int, name string) Update {
		u := nsU(min, name, "")
		u.Cause = Cause{User: "admin", Verb: "create", AuditID: "ns-" + name, Action: "created"}
		return u
	}
	ups := []Update{created(0, "new"), podU(1, "new", "web", `"app":"web"`),
		podU(1, "old", "web", `"app":"web"`),
		npU(2, "old", "db-only", `{"podSelector":{"matchLabels":{"app":"db"}}}`),
		npU(2, "old", "api-in", `{"podSelector":{"matchLabels":{"app":"api"}}}`), podU(3, "old", "api", `"app":"api"`)}
	type want struct {
		in, eg, inNet Tri
		older         bool
	}
	for _, c := range []struct {
		listed bool
		pod    string
		want   want
	}{
		{false, "new/web", want{False, False, False, false}},
		{false, "old/web", want{Unknown, Unknown, Unknown, true}},
		{false, "old/api", want{True, Unknown, Unknown, true}},
		{true, "old/web", want{False, False, False, false}},
		{true, "old/api", want{True, False, False, false}},
	} {
		p := runAsGiven(t, Options{PoliciesListed: c.listed}, ups...)
		e := endpoint(t, p, c.pod)
		got := want{e.IngressProtected, e.EgressProtected, e.IngressFromInternet, slices.Contains(e.Unknown, olderThanTrail("old"))}
		if got != c.want {
			t.Errorf("listed %v, %s: got %+v, want %+v (unknown: %q)", c.listed, c.pod, got, c.want, e.Unknown)
		}
	}
}

// A write lost from a namespace whose policies all show: a policy modified that was never
// created may have protected its pods before (their unprotected time is unknown), and a
// policy created twice with no deletion between may have left them bare for a time (their
// protection throughout is unknown). Both are named as lost writes.
func TestLostWritesMakeVerdictsUnknown(t *testing.T) {
	lostCreate := npU(30, "shop", "deny", denyAll)
	lostCreate.Cause.Verb = "update" // its creation is not in the trail
	untimedCreate := npU(0, "shop", "deny", denyAll)
	untimedCreate.Time, untimedCreate.Untimed, untimedCreate.Cause.Action = time.Time{}, true, "created"
	again := npU(40, "shop", "deny", denyAll)
	again.Cause.Action = "created"
	for _, c := range []struct {
		name     string
		ups      []Update
		in       Tri
		unknownS float64
		lost     string
	}{
		{"a policy modified, never created", []Update{podU(0, "shop", "web", `"app":"web"`), lostCreate}, Unknown, 20 * 60, "the trail does not show its creation"},
		{"a policy created twice", []Update{npU(0, "shop", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`), again}, Unknown, 0, "its deletion was lost"},
		{"a policy created once", []Update{npU(0, "shop", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`)}, True, 0, ""},
		// Not followed before its first timed write, but no lost write: unprotected till then.
		{"a policy created at no usable time, then modified", []Update{untimedCreate, podU(0, "shop", "web", `"app":"web"`), lostCreate}, False, 0, ""},
	} {
		p := run(t, Options{}, c.ups...)
		e := endpoint(t, p, "shop/web")
		var lost string
		for _, ref := range p.LostPolicies {
			lost += ref.Reason
		}
		if e.IngressProtected != c.in || e.IngressUnknownSeconds != c.unknownS || (e.IngressUnprotectedSeconds != 0) != (c.in == False) ||
			(c.lost == "") != (lost == "") || !strings.Contains(lost, c.lost) {
			t.Errorf("%s: ingress %s, %v s unknown, %v s unprotected, lost %q; want %s, %v s unknown, unprotected time only if false, lost %q",
				c.name, e.IngressProtected, e.IngressUnknownSeconds, e.IngressUnprotectedSeconds, lost, c.in, c.unknownS, c.lost)
		}
	}
}

// A lost creation found at a deletion: the pods' time before it is unknown, their
// transitions say unknown where they said unprotected, and they are unprotected from the
// deletion on, by the deleter; what they were exposed to before it is unknown too. A
// creation of the same uid is the same object: no lost deletion.
func TestLostCreationFoundAtADeletion(t *testing.T) {
	deleted := gone(npU(0, "shop", "open", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}`), 30, "mallory")
	p := run(t, Options{}, podU(0, "shop", "web", `"app":"web"`), deleted)
	e := endpoint(t, p, "shop/web")
	var whats []string
	for _, tr := range e.Transitions {
		if tr.Direction == "ingress" {
			whats = append(whats, fmt.Sprintf("%d %s %s", int(tr.Time.Sub(t0).Minutes()), tr.What, tr.User))
		}
	}
	if d := cmp.Diff([]string{"10 unknown bob", "30 unprotected mallory"}, whats); d != "" {
		t.Errorf("ingress transitions (-want +got):\n%s", d)
	}
	if e.IngressUnprotectedSince == nil || !e.IngressUnprotectedSince.Equal(at(30)) || e.IngressUnknownSeconds != 20*60 || e.IngressUnprotectedSeconds != 40*60 {
		t.Errorf("since %v, %v s unknown, %v s unprotected; want since minute 30, 1200 s unknown, 2400 s unprotected", e.IngressUnprotectedSince, e.IngressUnknownSeconds, e.IngressUnprotectedSeconds)
	}
	if e.IngressFromOtherNamespace != Unknown {
		t.Errorf("from other namespaces %s before the lost policy showed: want unknown", e.IngressFromOtherNamespace)
	}

	withUID := func(min int, uid string) Update {
		u := npU(min, "shop", "deny", denyAll)
		u.Object = []byte(`{"metadata":{"name":"deny","namespace":"shop","uid":"` + uid + `"},"spec":` + denyAll + `}`)
		u.Cause.Action = "created"
		return u
	}
	for _, c := range []struct {
		second string
		lost   bool
	}{{"u1", false}, {"u2", true}} {
		p := run(t, Options{}, withUID(0, "u1"), podU(0, "shop", "web", `"app":"web"`), withUID(40, c.second))
		if lost := len(p.LostPolicies) > 0; lost != c.lost {
			t.Errorf("created again with uid %s: lost %v, want %v", c.second, p.LostPolicies, c.lost)
		}
	}
}

// Namespaces and services are protected only if all their pods were.
func TestNamespacesAndServices(t *testing.T) {
	ep := Update{Time: at(1), Resource: "endpoints", Namespace: "shop", Name: "web", Exists: true,
		Object: []byte(`{"subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":"web-1","namespace":"shop"}},{"ip":"10.0.0.2","targetRef":{"kind":"Pod","name":"web-2","namespace":"shop"}}]}]}`)}
	p := run(t, Options{},
		npU(0, "shop", "web-only", `{"podSelector":{"matchLabels":{"v":"1"}}}`),
		podU(0, "shop", "web-1", `"app":"web","v":"1"`), podU(0, "shop", "web-2", `"app":"web","v":"2"`), ep,
		npU(0, "safe", "deny", denyAll), podU(0, "safe", "db", `"app":"db"`))
	if len(p.Namespaces) != 2 || p.Namespaces[0].Namespace != "safe" || p.Namespaces[0].IngressProtected != True || p.Namespaces[1].IngressProtected != False {
		t.Errorf("namespaces %+v", p.Namespaces)
	}
	if len(p.Services) != 1 || p.Services[0].Service != "shop/web" || p.Services[0].IngressProtected != False || p.Services[0].Endpoints != 2 {
		t.Errorf("services %+v", p.Services)
	}
	if s := p.Summary; s.EndpointsNumInScope != 3 || s.EndpointsNumIngressProtected != 2 || s.NamespacesNumIngressProtected != 1 || s.ServicesNumInScope != 1 {
		t.Errorf("summary %+v", s)
	}
	if e := endpoint(t, p, "shop/web-1"); len(e.Services) != 1 || len(e.AppliedPolicies) != 1 {
		t.Errorf("web-1: services %v policies %v", e.Services, e.AppliedPolicies)
	}
}

func TestScope(t *testing.T) {
	// The trail never shows namespace old's labels, nor pod shop/bare's.
	ups := []Update{nsU(0, "shop", `"env":"prod"`), nsU(0, "dev", `"env":"dev"`), podU(0, "shop", "web", `"app":"web"`), podU(0, "dev", "web", `"app":"web"`),
		podU(0, "shop", "db", `"app":"db"`), podU(0, "old", "web", `"app":"web"`),
		{Time: at(0), Resource: "pods", Namespace: "shop", Name: "bare", Exists: true}}
	for _, tc := range []struct {
		scope   Scope
		want    int
		unknown []string // the labels the pods left out for want of them need
	}{
		{Scope{}, 5, nil},
		{Scope{Namespaces: []string{"shop"}}, 3, nil},
		{Scope{NamespaceSelector: "env=prod"}, 3, []string{"the labels of namespace old"}},
		{Scope{NamespaceSelector: "env!=prod"}, 1, []string{"the labels of namespace old"}},
		{Scope{Selector: "app in (web)"}, 3, []string{"the pod's own labels"}},
		{Scope{NamespaceSelector: "env=prod", Selector: "app=web"}, 1, []string{"the labels of namespace old", "the pod's own labels"}},
		{Scope{ServiceAccounts: []string{"other"}}, 0, nil},
	} {
		p := run(t, Options{Scope: tc.scope}, ups...)
		if p.Summary.EndpointsNumInScope != tc.want || !slices.Equal(p.ScopeUnknown, tc.unknown) || p.Summary.EndpointsNumScopeUnknown != len(tc.unknown) {
			t.Errorf("scope %+v: %d endpoints, %d left out for want of %q; want %d, %q", tc.scope, p.Summary.EndpointsNumInScope,
				p.Summary.EndpointsNumScopeUnknown, p.ScopeUnknown, tc.want, tc.unknown)
		}
	}
	if _, err := New(Options{Scope: Scope{Selector: "app in (("}}); err == nil {
		t.Error("a bad selector is accepted")
	}
}

// With no period given, the period ends at the last event: a pod created by it lived no
// time, and without a policy it was not protected.
func TestPodOfTheLastEvent(t *testing.T) {
	e, err := New(Options{PoliciesListed: true})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(npU(0, "shop", "web-only", `{"podSelector":{"matchLabels":{"app":"web"}}}`))
	e.Observe(podU(5, "shop", "db", `"app":"db"`))
	p := e.Finish()
	if got := endpoint(t, p, "shop/db"); got.IngressProtected != False {
		t.Errorf("ingress protected %s, want false", got.IngressProtected)
	}
}

// A pod created under a policy that exposes it says so from its first moment, naming its
// creation as the change.
func TestExposedFromCreation(t *testing.T) {
	p := run(t, Options{}, npU(0, "shop", "open", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}`),
		podU(20, "shop", "web", `"app":"web"`))
	e := endpoint(t, p, "shop/web")
	for _, tr := range e.Transitions {
		if tr.What == "exposed-to-internet" && tr.Time.Equal(at(20)) && tr.Object == "Pod shop/web" && tr.User == "bob" {
			return
		}
	}
	t.Errorf("transitions %+v: want exposed-to-internet at its creation", e.Transitions)
}

// A pod the trail first shows at a write that did not create it (a kubelet's status patch)
// was as it is before that write: its first transitions name the write but mark it as where
// the trail first shows the pod, not as what exposed it. A pod created in the trail is not
// marked.
func TestFirstSeenIsNoCause(t *testing.T) {
	status := podU(20, "shop", "web", `"app":"web"`)
	status.Cause = Cause{User: "system:node:n1", Verb: "patch", AuditID: "s-20", Action: "modified"}
	p := run(t, Options{}, status, podU(25, "shop", "db", `"app":"db"`))
	for _, c := range []struct {
		pod       string
		firstSeen bool
	}{{"shop/web", true}, {"shop/db", false}} {
		e := endpoint(t, p, c.pod)
		if len(e.Transitions) == 0 {
			t.Fatalf("%s: no transition", c.pod)
		}
		for _, tr := range e.Transitions {
			if tr.FirstSeen != c.firstSeen {
				t.Errorf("%s: transition %+v, want FirstSeen %v", c.pod, tr, c.firstSeen)
			}
		}
	}
}

// Pods created without their name in the trail cannot be followed, but are counted, so that
// no pod created in the period goes unsaid; other nameless writes are not creations.
func TestUnnamedPodsCounted(t *testing.T) {
	nameless := podU(15, "shop", "", `"app":"web"`)
	patch := podU(16, "shop", "", `"app":"web"`)
	patch.Cause.Action = "modified"
	p := run(t, Options{}, podU(0, "shop", "web", `"app":"web"`), nameless, nameless, patch)
	if p.Summary.EndpointsNumUnnamed != 2 || p.Summary.EndpointsNumInScope != 1 {
		t.Errorf("%d unnamed, %d in scope; want 2 and 1", p.Summary.EndpointsNumUnnamed, p.Summary.EndpointsNumInScope)
	}
}

// The timeline counts, at each instant, the pods protected both ways and those not.
func TestTimeline(t *testing.T) {
	p := run(t, Options{}, npU(0, "shop", "deny", denyAll), podU(0, "shop", "web", `"app":"web"`), podU(0, "shop", "db", `"app":"db"`),
		gone(npU(0, "shop", "deny", denyAll), 30, "mallory"), npU(50, "shop", "deny", denyAll))
	tl := p.Timeline(at(10), at(70), 7) // every 10 minutes
	var got []int
	for _, pt := range tl {
		got = append(got, pt.Unprotected)
	}
	want := []int{0, 0, 2, 2, 0, 0, 0} // minutes 10..70: unprotected from 30 to 50
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("unprotected over time %v, want %v", got, want)
	}
	if tl[0].Protected != 2 {
		t.Errorf("at the start %+v", tl[0])
	}
}

// Services come from EndpointSlices too, when they are in scope.
func TestServicesFromEndpointSlices(t *testing.T) {
	slice := Update{Time: at(1), Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "shop", Name: "web-abc12", Exists: true,
		Object: []byte(`{"metadata":{"labels":{"kubernetes.io/service-name":"web"}},"endpoints":[{"addresses":["10.0.0.1"],"targetRef":{"kind":"Pod","name":"web","namespace":"shop"}}]}`)}
	p := run(t, Options{}, podU(0, "shop", "web", `"app":"web"`), slice)
	if e := endpoint(t, p, "shop/web"); fmt.Sprint(e.Services) != "[shop/web]" {
		t.Errorf("services %v", e.Services)
	}
}

// A namespace deleted with its pods inside ends their lives; a namespace relabelled into a
// --namespace-selector brings its pods into scope from then on.
func TestNamespaceDeletionAndRelabel(t *testing.T) {
	p := run(t, Options{}, nsU(0, "tmp", ``), npU(0, "tmp", "deny", denyAll), podU(0, "tmp", "web", `"app":"web"`),
		gone(podU(0, "tmp", "web", ``), 40, "system:serviceaccount:kube-system:namespace-controller"),
		gone(npU(0, "tmp", "deny", denyAll), 40, "system:serviceaccount:kube-system:namespace-controller"))
	e := endpoint(t, p, "tmp/web")
	if !e.To.Equal(at(40)) || e.IngressProtected != True || e.IngressUnprotectedSeconds != 0 {
		t.Errorf("a pod removed with its namespace: to %v, ingress %s, unprotected %.0f s", e.To, e.IngressProtected, e.IngressUnprotectedSeconds)
	}
	p = run(t, Options{Scope: Scope{NamespaceSelector: "env=prod"}}, nsU(0, "shop", `"env":"dev"`), podU(0, "shop", "web", `"app":"web"`),
		nsU(30, "shop", `"env":"prod"`))
	if p.Summary.EndpointsNumInScope != 1 {
		t.Errorf("a namespace relabelled into the selector: %d pods in scope", p.Summary.EndpointsNumInScope)
	}
}

// Updates the trail cannot place in time, and pods whose name was never logged, are left
// out rather than given a life the trail does not show.
func TestUntimedAndNamelessPods(t *testing.T) {
	untimed := podU(0, "shop", "ghost", `"app":"web"`)
	untimed.Time, untimed.Untimed = time.Time{}, true
	nameless := podU(20, "shop", "", `"app":"web"`)
	p := run(t, Options{}, untimed, nameless, podU(20, "shop", "web", `"app":"web"`))
	if len(p.Endpoints) != 1 || p.Endpoints[0].Endpoint != "shop/web" {
		t.Errorf("endpoints %+v", p.Endpoints)
	}
}

// A pod relabelled while alive is found by the labels it has now: a policy created later
// that selects its new labels protects it, and one that selects its old labels leaves its
// record alone, even once it is gone.
func TestRelabelledPods(t *testing.T) {
	apiOnly := `{"podSelector":{"matchLabels":{"app":"api"}}}`
	p := run(t, Options{}, podU(0, "shop", "web", `"app":"web"`), podU(20, "shop", "web", `"app":"api"`),
		npU(30, "shop", "api-only", apiOnly))
	if e := endpoint(t, p, "shop/web"); e.IngressProtected != False || e.IngressUnprotectedSeconds != 20*60 {
		t.Errorf("relabelled into a policy's selector: ingress %s, unprotected %.0f s; want false, 1200 s (minutes 10 to 30)",
			e.IngressProtected, e.IngressUnprotectedSeconds)
	}

	// The index by label keeps no trace of the old label, which would hold the pod after it
	// is gone.
	e, err := New(Options{Start: at(10), End: at(70), SpillAbove: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(podU(0, "shop", "web", `"app":"web"`))
	e.Observe(podU(20, "shop", "web", `"app":"api"`))
	if _, ok := e.live["shop"].byLabel[labelKey("app", "web")]; ok {
		t.Error("the index of pods by label still has the label app=web after its only pod was relabelled")
	}
	if len(e.live["shop"].byLabel[labelKey("app", "api")]) != 1 {
		t.Error("the index of pods by label does not have the relabelled pod under app=api")
	}
	e.Finish().Close()

	webOnly := `{"podSelector":{"matchLabels":{"app":"web"}}}`
	ups := []Update{podU(0, "shop", "web", `"app":"web"`), podU(20, "shop", "web", `"app":"api"`), gone(podU(0, "shop", "web", ``), 30, "bob")}
	without := endpoint(t, run(t, Options{}, ups...), "shop/web")
	with := endpoint(t, run(t, Options{}, append(ups, npU(40, "shop", "web-only", webOnly))...), "shop/web")
	if d := cmp.Diff(without, with); d != "" {
		t.Errorf("a policy of its old labels, made after it was gone, changed the record of a relabelled pod (-without +with):\n%s", d)
	}
}

// After the trail ends, well before the period does, what a pod was exposed to is unknown
// like its protection, and the chart draws it unknown, not gone; a period that ends after
// the report's time is counted to that time, not into the future.
func TestAfterTheTrailEnds(t *testing.T) {
	open := npU(0, "shop", "open", `{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}`)
	for _, c := range []struct {
		name         string
		now          time.Time
		unknownSecs  float64
		chartUnknown bool
	}{
		{"the period ends before the report", time.Time{}, (70 - 20) * 60, true},
		{"the period ends after the report", at(40), (40 - 20) * 60, false}, // minute 50 has not come
		{"the report's time before the trail's end", at(15), 0, false},
	} {
		e, err := New(Options{Start: at(10), End: at(70), SpillAbove: -1, PoliciesListed: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []Update{open, podU(12, "shop", "web", `"app":"web"`)} {
			e.Observe(u)
		}
		e.EndsAt(at(20))
		if !c.now.IsZero() {
			e.Now(c.now)
		}
		p := e.Finish()
		row := endpoint(t, p, "shop/web")
		if row.IngressUnknownSeconds != c.unknownSecs {
			t.Errorf("%s: %v s unknown, want %v", c.name, row.IngressUnknownSeconds, c.unknownSecs)
		}
		if c.unknownSecs > 0 && (row.IngressFromInternet != Unknown || row.IngressFromOtherNamespace != Unknown) {
			t.Errorf("%s: after the trail's end, from the internet %s and other namespaces %s; want unknown", c.name, row.IngressFromInternet, row.IngressFromOtherNamespace)
		}
		tl := p.Timeline(at(10), at(70), 7) // minutes 10, 20, ..., 70
		if got := tl[4].Unknown == 1; got != c.chartUnknown {
			t.Errorf("%s: the chart at minute 50: %+v", c.name, tl[4])
		}
		// A report read back (auditreport render) draws the same chart.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Posture
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tl, back.Timeline(at(10), at(70), 7)); d != "" {
			t.Errorf("%s: the chart of the posture read back differs (-run +read):\n%s", c.name, d)
		}
	}
}
