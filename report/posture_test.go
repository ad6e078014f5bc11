package report

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/posture"
)

// The posture scenario a real API server wrote (testdata/logs/posture/README.md says what
// happened): the report must say what its README says.
func TestPostureOfTheRealScenario(t *testing.T) {
	r := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Now()})
	if r.Posture == nil {
		t.Fatal("no posture")
	}
	rows := map[string]posture.Endpoint{}
	for _, e := range r.Posture.Endpoints {
		rows[e.Endpoint] = e
	}
	db, api, web1, web2 := rows["payments/db-1"], rows["payments/api-1"], rows["frontend/web-1"], rows["frontend/web-2"]
	for _, c := range []struct {
		what      string
		got, want posture.Tri
	}{
		{"db-1 ingress protected throughout (its default deny was deleted for a while)", db.IngressProtected, posture.False},
		{"db-1 egress protected throughout", db.EgressProtected, posture.False},
		{"api-1 ingress protected throughout (its own policy stayed)", api.IngressProtected, posture.True},
		{"api-1 open to another namespace (namespaceSelector peer)", api.IngressFromOtherNamespace, posture.True},
		{"api-1 from the internet", api.IngressFromInternet, posture.False},
		{"web-1 from the internet (ipBlock 0.0.0.0/0)", web1.IngressFromInternet, posture.True},
		{"web-1 ingress protected throughout", web1.IngressProtected, posture.True},
		{"web-1 egress protected (no egress policy in frontend)", web1.EgressProtected, posture.False},
		{"web-2 ingress protected throughout (relabelled out of its policy)", web2.IngressProtected, posture.False},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.what, c.got, c.want)
		}
	}
	if s := db.IngressUnprotectedSeconds; s < 2 || s > 10 {
		t.Errorf("db-1 unprotected for %.1f s, want the ~3 s between ci-bot's deletion and alice's re-creation", s)
	}
	var lost, regained bool
	for _, tr := range db.Transitions {
		if tr.What == "unprotected" && tr.User == "ci-bot" && tr.Object == "NetworkPolicy payments/default-deny" && tr.Verb == "delete" {
			lost = true
		}
		if tr.What == "protected" && tr.User == "alice@example.com" && tr.Verb == "create" {
			regained = true
		}
	}
	if !lost || !regained {
		t.Errorf("db-1 transitions %+v: want lost by ci-bot's delete and regained by alice's create", db.Transitions)
	}
	if web2.IngressUnprotectedSince == nil {
		t.Error("web-2: no 'unprotected since' for the relabel that left it unprotected")
	}
	// With no period given, the period is the logs' span: a pod alive at the end was alive,
	// as it was, until their last event, not only until the last write the posture follows.
	var last time.Time
	for _, in := range r.Inputs {
		if in.LastEvent != nil && in.LastEvent.After(last) {
			last = *in.LastEvent
		}
	}
	if web2.IngressUnprotectedSince != nil {
		if want := last.Sub(*web2.IngressUnprotectedSince).Seconds(); !web2.To.Equal(last) || web2.IngressUnprotectedSeconds != want {
			t.Errorf("web-2 followed to %s, unprotected for %.3f s: want to the logs' last event %s, %.3f s since its relabel", web2.To, web2.IngressUnprotectedSeconds, last, want)
		}
	}
	if s := r.Posture.Summary; s.EndpointsNumInScope != 4 || s.NumCreatedPolicies != 4 || s.NumDeletedPolicies != 1 || s.ServicesNumInScope != 1 {
		t.Errorf("summary %+v", s)
	}
	var gap *coverage.Gap
	for i := range r.Gaps {
		if r.Gaps[i].Type == GapUnprotectedWorkloads {
			gap = &r.Gaps[i]
		}
	}
	if gap == nil || gap.Severity != coverage.SeverityWarning || gap.Count != 4 || !strings.Contains(gap.Message, "4 of 4 pod(s)") {
		t.Errorf("gap %+v", gap)
	}
	if r.Verdict != coverage.VerdictPass || r.TrailGaps() != 0 {
		t.Errorf("verdict %s with %d trail gaps: the posture's finding must not make the trail incomplete", r.Verdict, r.TrailGaps())
	}
}

// A scope narrows the posture to the pods it selects.
func TestPostureScope(t *testing.T) {
	r := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Now(), Posture: posture.Scope{NamespaceSelector: "team=payments", Selector: "app=api"}})
	if n := r.Posture.Summary.EndpointsNumInScope; n != 1 || r.Posture.Endpoints[0].Endpoint != "payments/api-1" {
		t.Errorf("%d endpoints in scope: %+v", n, r.Posture.Endpoints)
	}
	for _, g := range r.Gaps {
		if g.Type == GapUnprotectedWorkloads && g.Count != 1 {
			t.Errorf("the gap counts %d pods outside the scope too", g.Count)
		}
	}
}

// When no input reaches the period, the posture is not judged at all.
func TestNoPostureWithoutThePeriod(t *testing.T) {
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	r := buildDir(t, "../testdata/logs/posture/", Options{Now: start.Add(time.Hour), Period: Period{Start: &start}})
	if r.Posture != nil {
		t.Errorf("a posture over a period no log reaches: %+v", r.Posture.Summary)
	}
	for _, g := range r.Gaps {
		if IsPostureGap(g.Type) {
			t.Errorf("posture gap %s", g.Type)
		}
	}
}

// When NetworkPolicies are not in the trail at all (the kind never audited), no pod is said
// to be unprotected for want of them: the posture is not judged, and a finding says why. The
// same logs with the kind audited and no policy in the cluster are judged as before.
func TestNoPostureWithoutNetworkPolicies(t *testing.T) {
	for _, c := range []struct {
		logs   string
		judged bool
	}{{"../testdata/logs/gaps/never-audited/", false}, {"../testdata/logs/ha-3-nodes/", true}} {
		r := buildDir(t, c.logs, Options{Now: time.Now(), Snapshots: noPoliciesBefore(t)})
		var unknown, unprotected bool
		for _, g := range r.Gaps {
			unknown = unknown || g.Type == GapPostureUnknown && strings.Contains(g.Message, "networkpolicies.networking.k8s.io in the period or before it (never-audited)")
			unprotected = unprotected || g.Type == GapUnprotectedWorkloads
		}
		if judged := r.Posture != nil; judged != c.judged || unknown == c.judged || unprotected != c.judged {
			t.Errorf("%s: posture judged %v, posture-unknown finding %v, unprotected-workloads %v; want the posture judged %v", c.logs, judged, unknown, unprotected, c.judged)
		}
	}
}

// The posture's counts of policy writes add up to the summary's for the same kinds, on the
// real API server's log (a no-op write, a deletecollection, a deletion logged at Metadata).
func TestPosturePolicyCountsAddUp(t *testing.T) {
	r := buildDir(t, "../testdata/logs/real-apiserver/log/", Options{Now: time.Now()})
	var created, modified, deleted int64
	for _, k := range r.Summary.Kinds {
		if k.Resource == "networkpolicies" {
			created, modified, deleted = created+k.Created, modified+k.Modified, deleted+k.Deleted
		}
	}
	s := r.Posture.Summary
	if int64(s.NumCreatedPolicies) != created || int64(s.NumModifiedPolicies) != modified || int64(s.NumDeletedPolicies) != deleted || created == 0 {
		t.Errorf("posture counts %d created, %d modified, %d deleted policies; the summary %d, %d, %d", s.NumCreatedPolicies, s.NumModifiedPolicies, s.NumDeletedPolicies, created, modified, deleted)
	}
}

// A period that runs on well after the trail ends: the pods are followed to the trail's end,
// and the rest of the period is unknown, not spent as they last were.
func TestPostureAfterTheTrailIsUnknown(t *testing.T) {
	start, end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	r := buildDir(t, "../testdata/logs/ha-3-nodes/", Options{Now: end.Add(time.Hour), Period: Period{Start: &start, End: &end}, Snapshots: noPoliciesBefore(t)})
	last := time.Date(2026, 11, 2, 12, 21, 53, 174046000, time.UTC) // the logs' last event
	for _, e := range r.Posture.Endpoints {
		if e.Endpoint != "ci/api-qgjkp" {
			continue
		}
		seen, rest := last.Sub(e.From).Seconds(), end.Sub(last).Seconds()
		if !e.To.Equal(last) || e.IngressUnprotectedSeconds != seen || e.IngressUnknownSeconds != rest || !strings.Contains(strings.Join(e.Unknown, ";"), "the trail ends at") {
			t.Errorf("%s to %s: %.0f s unprotected, %.0f s unknown (%v); want to the trail's end, %.0f s and %.0f s", e.Endpoint, e.To, e.IngressUnprotectedSeconds, e.IngressUnknownSeconds, e.Unknown, seen, rest)
		}
		return
	}
	t.Fatal("no row for ci/api-qgjkp")
}

// The truncated sample's two pod creates whose names were not logged are counted and said,
// not left out of the posture without a word.
func TestUnnamedPodsAreAFinding(t *testing.T) {
	r := buildDir(t, "../testdata/logs/gaps/truncated/", Options{Now: time.Now()})
	var said bool
	for _, g := range r.Gaps {
		said = said || g.Type == GapPostureUnknown && g.Count == 2 && strings.Contains(g.Message, "without their name in the trail")
	}
	if r.Posture == nil || r.Posture.Summary.EndpointsNumUnnamed != 2 || !said {
		t.Errorf("unnamed pods not counted or not said; gaps %s", gapTypes(r))
	}
}

// noPoliciesBefore is a snapshot that lists no NetworkPolicy: none was older than the logs
// (the samples do not create their namespaces).
func noPoliciesBefore(t *testing.T) []string {
	path := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(path, []byte(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicyList","items":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{path}
}

// Only a snapshot that lists NetworkPolicies (one holding some, or a NetworkPolicyList)
// makes the older namespaces' policies known: one of pods alone leaves them unknown.
func TestOnlyASnapshotOfPoliciesListsThem(t *testing.T) {
	pods := filepath.Join(t.TempDir(), "pods.json")
	if err := os.WriteFile(pods, []byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"ci"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		snapshots []string
		older     bool
	}{{nil, true}, {[]string{pods}, true}, {noPoliciesBefore(t), false}, {append(noPoliciesBefore(t), pods), false}} {
		r := buildDir(t, "../testdata/logs/ha-3-nodes/", Options{Now: time.Now(), Snapshots: c.snapshots})
		if older := len(r.Posture.OlderNamespaces) > 0; older != c.older {
			t.Errorf("snapshots %v: older namespaces %v, want some: %v", c.snapshots, r.Posture.OlderNamespaces, c.older)
		}
	}
}

// Namespaces older than the trail may hold NetworkPolicies made before it: without a
// snapshot, the sample's pods that no policy seen protects are unknown, with a finding that
// names the namespaces and asks for a snapshot, and none is said unprotected. The posture
// sample creates its namespaces: its verdicts stand without one.
func TestOlderNamespacesMakeUnprotectedUnknown(t *testing.T) {
	r := buildDir(t, "../testdata/logs/ha-3-nodes/", Options{Now: time.Now()})
	var finding string
	for _, g := range r.Gaps {
		if g.Type == GapUnprotectedWorkloads {
			t.Errorf("%s: %s", g.Type, g.Message)
		}
		if g.Type == GapPostureUnknown {
			finding = g.Message + " / " + g.Remediation
		}
	}
	if !strings.Contains(finding, "older than the trail (ci, data, payments)") || !strings.Contains(finding, "--snapshot") {
		t.Errorf("posture-unknown finding %q: want the older namespaces named and a snapshot asked for", finding)
	}
	if got := r.Posture.OlderNamespaces; !slices.Equal(got, []string{"ci", "data", "payments"}) {
		t.Errorf("older namespaces %v", got)
	}
	p := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Now()}).Posture
	if len(p.OlderNamespaces) != 0 || p.Summary.EndpointsNumIngressProtected != 2 {
		t.Errorf("posture sample: older namespaces %v, %d ingress-protected; want none, 2", p.OlderNamespaces, p.Summary.EndpointsNumIngressProtected)
	}
}

// A policy deleted, but never created in a namespace whose creation the trail shows: its
// creation was lost, and a warning says the verdicts before the deletion may be wrong. The
// posture sample with the first creation of payments/default-deny cut out.
func TestLostPolicyCreationIsAFinding(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs/posture/kube-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	cut := slices.IndexFunc(lines, func(l string) bool {
		return strings.Contains(l, `"verb":"create"`) && strings.Contains(l, `"resource":"networkpolicies","namespace":"payments","name":"default-deny"`)
	})
	if cut < 0 {
		t.Fatal("no creation of payments/default-deny in the sample")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kube-audit.log"), []byte(strings.Join(slices.Delete(lines, cut, cut+1), "")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := buildDir(t, dir, Options{Now: time.Now()})
	var found bool
	for _, g := range r.Gaps {
		found = found || g.Type == GapPostureUnknown && g.Severity == coverage.SeverityWarning &&
			strings.Contains(g.Message, "NetworkPolicy payments/default-deny: delete at 2026-11-30T16:06:22Z by ci-bot") && strings.Contains(g.Message, "a write to it was lost")
	}
	if !found || len(r.Posture.LostPolicies) != 1 {
		t.Errorf("gaps %v, lost policies %v: want the lost creation of payments/default-deny said", gapTypes(r), r.Posture.LostPolicies)
	}
	// The sample as it is has no such warning.
	if p := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Now()}).Posture; len(p.LostPolicies) != 0 {
		t.Errorf("lost policies %v in the sample as recorded", p.LostPolicies)
	}
}

// Events lost in a hole of one server's log may have been NetworkPolicy or pod writes: the
// posture says its verdicts from the hole on may be wrong. A trail without one says nothing.
func TestLostStretchesAreAPostureFinding(t *testing.T) {
	for _, c := range []struct {
		logs string
		want bool
	}{{"../testdata/logs/gaps/time-hole/", true}, {"../testdata/logs/ha-3-nodes/", false}} {
		r := buildDir(t, c.logs, Options{Now: time.Now()})
		var got bool
		for _, g := range r.Gaps {
			if g.Type == GapPostureUnknown && strings.Contains(g.Message, "the trail lost events in 1 stretch") {
				got = g.Severity == coverage.SeverityWarning && g.From != nil && g.From.Hour() == 8
			}
		}
		if got != c.want {
			t.Errorf("%s: lost-stretch finding %v, want %v; gaps %s", c.logs, got, c.want, gapTypes(r))
		}
	}
}

// A snapshot's objects have no time: they do not open the period at the year 1, and no
// transition names them as a write.
func TestSnapshotOpensNoPeriod(t *testing.T) {
	r := buildDir(t, "../testdata/logs/real-apiserver/log/", Options{Now: time.Now(),
		Snapshots: []string{"../testdata/logs/real-apiserver/snapshots/01-after-setup.json"}})
	for _, e := range r.Posture.Endpoints {
		if e.From.Year() < 2026 {
			t.Errorf("%s lived from %s", e.Endpoint, e.From)
		}
		for _, tr := range e.Transitions {
			if tr.Object != "" && tr.Verb == "" || tr.Since != nil && tr.Since.Year() < 2026 {
				t.Errorf("%s: transition %+v names a write no event made", e.Endpoint, tr)
			}
		}
	}
}

// The posture-unknown finding gives the reasons the unknown pods have, and only the fixes
// that apply: a trail that ends before the period asks for the rest of the logs, not for
// a snapshot.
func TestPostureUnknownSaysWhy(t *testing.T) {
	since := time.Date(2026, 11, 30, 16, 6, 23, 0, time.UTC)
	r := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Period: Period{Start: &since}})
	var g *coverage.Gap
	for i := range r.Gaps {
		if r.Gaps[i].Type == GapPostureUnknown && strings.HasPrefix(r.Gaps[i].Message, "whether") {
			g = &r.Gaps[i]
		}
	}
	if g == nil || !strings.Contains(g.Message, "alive when the trail ends") || g.Remediation != "give the logs up to the period's end" {
		t.Errorf("finding %+v: want the trail's end as the reason, and its fix alone", g)
	}
}

// Calico's policies in use (a list of them by calico-node) with none of their objects in the
// trail: one made before the logs could protect or expose any pod, and a warning says so.
func TestPolicyKindInUseWithoutObjects(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs/posture/kube-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	list := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"gnp-list","stage":"ResponseComplete","requestURI":"/apis/projectcalico.org/v3/globalnetworkpolicies","verb":"list","user":{"username":"system:serviceaccount:calico-system:calico-node"},"sourceIPs":["127.0.0.1"],"objectRef":{"resource":"globalnetworkpolicies","apiGroup":"projectcalico.org","apiVersion":"v3"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-30T16:06:19.581930Z","stageTimestamp":"2026-11-30T16:06:19.585872Z"}` + "\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kube-audit.log"), append(data, list...), 0o644); err != nil {
		t.Fatal(err)
	}
	// The kind in use with an object of it in the trail: the object makes the verdicts it
	// could change unknown, and no warning is needed.
	gnp := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"gnp-create","stage":"ResponseComplete","requestURI":"/apis/projectcalico.org/v3/globalnetworkpolicies","verb":"create","user":{"username":"admin"},"sourceIPs":["127.0.0.1"],"objectRef":{"resource":"globalnetworkpolicies","name":"gnp-allow","apiGroup":"projectcalico.org","apiVersion":"v3"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"gnp-allow"},"spec":{}},"responseObject":{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"gnp-allow","uid":"g1"},"spec":{}},"requestReceivedTimestamp":"2026-11-30T16:06:19.581930Z","stageTimestamp":"2026-11-30T16:06:19.585872Z"}` + "\n"
	withObject := t.TempDir()
	if err := os.WriteFile(filepath.Join(withObject, "kube-audit.log"), append(data, gnp...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want bool
	}{{dir, true}, {"../testdata/logs/posture/", false}, {withObject, false}} {
		r := buildDir(t, c.dir, Options{Now: time.Now()})
		got := false
		for _, g := range r.Gaps {
			got = got || g.Type == GapPostureUnknown && g.Resource == "globalnetworkpolicies" && strings.Contains(g.Message, "is in use")
		}
		if got != c.want {
			t.Errorf("%s: finding %v, want %v; gaps %s", c.dir, got, c.want, gapTypes(r))
		}
	}
}
