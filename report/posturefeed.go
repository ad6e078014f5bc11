package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
	"github.com/auditreport/auditreport/report/posture"
)

// Gaps the posture raises. GapUnprotectedWorkloads: pods in the posture's scope without an
// ingress or egress NetworkPolicy at some time in the period. GapPostureUnknown: pods whose
// protection the trail cannot tell.
const (
	GapUnprotectedWorkloads = "unprotected-workloads"
	GapPostureUnknown       = "posture-unknown"
)

// postureKinds are the resources whose states the posture follows.
var postureKinds = map[string]bool{"pods": true, "namespaces": true, "serviceaccounts": true, "endpoints": true, "networkpolicies": true,
	"globalnetworkpolicies": true, "adminnetworkpolicies": true, "baselineadminnetworkpolicies": true, "endpointslices": true}

// feedPosture makes the tracker tell the engine every state change of the kinds it follows:
// one reconstruction serves the histories, state --at and the posture. The engine runs on
// a goroutine of its own, a batch of updates behind the tracker: it gets the same updates
// in the same order, so its result does not depend on scheduling, and the two halves of
// the work share the cores. end tells the engine the last update is given, and runs last (if
// not nil) on the engine's goroutine before it finishes (to say where the trail ends), so
// that it finishes while the tracker does; finish ends the feed too, and waits for the
// engine. Calling either again does nothing more, and finish returns the same result.
func feedPosture(t *history.Tracker, eng *posture.Engine) (listed func(), end func(last func(*posture.Engine)), finish func() *posture.Posture) {
	const batchSize = 256
	batches := make(chan []pendingUpdate, 16)
	// free takes batches observed back to the tracker, to be filled again.
	free := make(chan []pendingUpdate, 16)
	done := make(chan *posture.Posture)
	var last func(*posture.Engine)
	go func() {
		var scratch []byte
		for batch := range batches {
			for i := range batch {
				eng.Observe(batch[i].update(&scratch))
			}
			clear(batch)
			select {
			case free <- batch[:0]:
			default:
			}
		}
		if last != nil {
			last(eng) // written before batches was closed
		}
		done <- eng.Finish()
	}()
	batch := make([]pendingUpdate, 0, batchSize)
	t.Observe(func(o *history.Object, ae *audit.Event, c *history.Change) {
		k := o.Key()
		if !postureKinds[k.Resource] {
			return
		}
		u := posture.Update{Group: k.Group, Resource: k.Resource, Namespace: k.Namespace, Name: k.Name, Exists: o.Exists()}
		if ae != nil {
			u.Time, u.Untimed = ae.Time(), ae.Time().IsZero()
			u.Cause = posture.Cause{User: ae.Actor(), Verb: ae.Verb, AuditID: ae.AuditID}
			if ae.ImpersonatedUser != nil && ae.ImpersonatedUser.Username != "" {
				u.Cause.ImpersonatedBy = ae.User.Username
			}
		}
		p := pendingUpdate{u: u}
		if o.Exists() && o.Known() {
			// The engine decompresses it later, on its own goroutine.
			p.state = o.Compressed()
		}
		if c != nil {
			p.u.Cause.Action, p.u.Cause.NoOp = c.Action, c.NoOp()
			diff := c.Diff
			var memo json.RawMessage
			p.u.Cause.Diff = func() json.RawMessage {
				// Once per write, however many pods it changed: they share the bytes (the
				// engine calls it from its one goroutine).
				if memo == nil && len(diff) > 0 {
					memo, _ = json.Marshal(diff)
				}
				return memo
			}
		}
		batch = append(batch, p)
		if len(batch) == batchSize {
			batches <- batch
			select {
			case batch = <-free:
			default:
				batch = make([]pendingUpdate, 0, batchSize)
			}
		}
	})
	// listed tells the engine, in order after the snapshot's objects, that they listed
	// every NetworkPolicy. It runs where the observer does, before the tracker's goroutine.
	listed = func() {
		batch = append(batch, pendingUpdate{u: posture.Update{PoliciesListed: true}})
	}
	var once sync.Once
	end = func(f func(*posture.Engine)) {
		once.Do(func() {
			if len(batch) > 0 {
				batches <- batch
			}
			last = f
			close(batches)
		})
	}
	return listed, end, sync.OnceValue(func() *posture.Posture {
		end(nil)
		return <-done
	})
}

// pendingUpdate is an update on its way to the engine, its object's state still compressed.
type pendingUpdate struct {
	u     posture.Update
	state []byte
}

// update decompresses the state into scratch, which the engine does not keep: one buffer
// serves every update.
func (p *pendingUpdate) update(scratch *[]byte) posture.Update {
	if p.state != nil {
		if b, err := s2.Decode((*scratch)[:cap(*scratch)], p.state); err == nil {
			p.u.Object, *scratch = b, b
		}
	}
	return p.u
}

// postureGaps turn what the posture found into gaps, so that --fail-on and --exit-code apply
// to lost protection as to holes in the trail.
func postureGaps(p *posture.Posture) []coverage.Gap {
	var out []coverage.Gap
	var unprotected, unknown int
	because := map[string]int{} // the pods unknown for each kind of reason (unknownReasons)
	for _, e := range p.Rows() {
		if e.IngressProtected == posture.False || e.EgressProtected == posture.False {
			unprotected++
		}
		if e.IngressProtected == posture.Unknown || e.EgressProtected == posture.Unknown {
			unknown++
			seen := map[string]bool{}
			for _, why := range e.Unknown {
				for _, r := range unknownReasons {
					if strings.Contains(why, r.match) && !seen[r.match] {
						seen[r.match] = true
						because[r.match]++
					}
				}
			}
		}
	}
	if unprotected > 0 {
		out = append(out, coverage.Gap{Type: GapUnprotectedWorkloads, Severity: coverage.SeverityWarning, Group: "", Resource: "pods", Count: int64(unprotected),
			Message:     fmt.Sprintf("%d of %d pod(s) in scope were without an ingress or egress NetworkPolicy at some time in the period (posture.endpoints says since when and by whose change)", unprotected, p.Len()),
			Remediation: "apply a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress) in each namespace, and allow what each workload needs"})
	}
	if unknown > 0 {
		// Each kind of reason the rows give, with how many pods it holds for, and what
		// would make them known: only those that apply.
		var whys, fixes []string
		for _, r := range unknownReasons {
			n := because[r.match]
			if n == 0 {
				continue
			}
			why := r.why
			if r.match == "older than the trail" {
				why = strings.Replace(why, r.match, r.match+" ("+strings.Join(firstOf(p.OlderNamespaces, 5), ", ")+")", 1)
			}
			whys = append(whys, fmt.Sprintf("%d %s", n, why))
			if !slices.Contains(fixes, r.fix) {
				fixes = append(fixes, r.fix)
			}
		}
		if len(whys) == 0 {
			whys = []string{"the trail does not show every label and policy they depend on"}
			fixes = []string{"log NetworkPolicies and Pods at RequestResponse (auditreport policy generate)"}
		}
		out = append(out, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityInfo, Resource: "pods", Count: int64(unknown),
			Message:     fmt.Sprintf("whether %d pod(s) were protected is unknown: %s", unknown, strings.Join(whys, "; ")),
			Remediation: strings.Join(fixes, "; ")})
	}
	for _, ref := range p.LostPolicies {
		out = append(out, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityWarning, Group: ref.Group, Resource: "networkpolicies", Count: 1,
			Message:     "NetworkPolicy " + ref.Namespace + "/" + ref.Name + ": " + ref.Reason,
			Remediation: "find the lost write (the trail's gaps may say where), or give --snapshot taken before the logs begin"})
	}
	if n := p.Summary.EndpointsNumScopeUnknown; n > 0 {
		out = append(out, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityInfo, Resource: "pods", Count: int64(n),
			Message: fmt.Sprintf("%d pod(s) are left out of the scope, though they may belong: the scope selects by labels the trail does not show (%s)",
				n, strings.Join(firstOf(p.ScopeUnknown, 5), "; ")),
			Remediation: "give --snapshot (kubectl get pods,namespaces,serviceaccounts,networkpolicies,endpoints -A -o json, taken before the logs begin), or select the scope by --namespace"})
	}
	if n := p.Summary.EndpointsNumUnnamed; n > 0 {
		out = append(out, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityInfo, Resource: "pods", Count: int64(n),
			Message:     fmt.Sprintf("%d pod(s) were created in the period without their name in the trail (a generateName create whose bodies were not logged): they cannot be followed, and whether they were protected is unknown", n),
			Remediation: "log Pods at RequestResponse (auditreport policy generate), and raise the audit backend's event size limit if their bodies were dropped for size"})
	}
	return out
}

// unknownReasons are the kinds of reason a pod's verdict is unknown (Endpoint.Unknown holds
// them in full): a text each contains, how the posture-unknown finding says it of n pods,
// and what would make them known.
var unknownReasons = []struct{ match, why, fix string }{
	{"older than the trail", "in namespaces older than the trail, where a NetworkPolicy made before the logs begin would not show",
		"give --snapshot with the NetworkPolicies there were before the logs begin (kubectl get pods,namespaces,serviceaccounts,networkpolicies,endpoints -A -o json)"},
	{"the spec of NetworkPolicy", "selectable by a NetworkPolicy whose spec is not in the trail",
		"log NetworkPolicies at RequestResponse (auditreport policy generate), or give --snapshot"},
	{"labels are not in the trail", "whose labels are not in the trail", "log Pods at RequestResponse (auditreport policy generate)"},
	{"not evaluated", "where Calico or admin network policies are present, which the posture does not evaluate",
		"none here: Calico's and admin network policies are not evaluated"},
	{"hostNetwork", "in the node's network (hostNetwork), where what NetworkPolicies do is undefined",
		"none: NetworkPolicy does not define what it does to hostNetwork pods"},
	{"the trail ends at", "alive when the trail ends, before the period does", "give the logs up to the period's end"},
	{"its creation lost", "in a namespace where a NetworkPolicy's creation was lost from the trail",
		"find the lost write (the trail's gaps may say where), or give --snapshot taken before the logs begin"},
	{"its deletion lost", "selected by a NetworkPolicy whose deletion was lost from the trail",
		"find the lost write (the trail's gaps may say where)"},
}

// firstOf is the first n of a list, and a count of the rest.
func firstOf(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(slices.Clip(l[:n]), fmt.Sprintf("%d more", len(l)-n))
}

// IsPostureGap tells the gaps the posture raises from those of the trail: only the latter
// judge whether the trail is complete.
func IsPostureGap(typ string) bool {
	return typ == GapUnprotectedWorkloads || typ == GapPostureUnknown
}

// TrailGaps counts the gaps of the trail itself, leaving out the posture's.
func (r *Report) TrailGaps() int {
	n := 0
	for _, g := range r.Gaps {
		if !IsPostureGap(g.Type) {
			n++
		}
	}
	return n
}

// addPosture raises the posture's gaps. When no input has an event in the period, the
// posture is dropped: the trail shows nothing of the period, so no pod's protection over it
// can be judged, and the period-not-covered gap says why.
func addPosture(rep *Report) {
	if rep.Posture == nil {
		return
	}
	reached := false
	for _, in := range rep.Inputs {
		if in.FirstEvent != nil && in.LastEvent != nil && (rep.Period.End == nil || in.FirstEvent.Before(*rep.Period.End)) &&
			(rep.Period.Start == nil || !in.LastEvent.Before(*rep.Period.Start)) {
			reached = true
		}
	}
	if !reached {
		rep.Posture.Close()
		rep.Posture = nil
		return
	}
	// With no NetworkPolicy in the trail, and no event of the kind to show there was none to
	// see, every pod would seem unprotected for want of evidence: the posture is not judged.
	podsSeen := rep.Posture.Summary.EndpointsNumInScope > 0 || rep.Posture.Summary.EndpointsNumUnnamed > 0
	for _, c := range rep.Coverage {
		podsSeen = podsSeen || c.Group == "" && c.Resource == "pods" && c.Events > 0
	}
	if !rep.Posture.PoliciesSeen() {
		for _, c := range rep.Coverage {
			if c.Group == "networking.k8s.io" && c.Resource == "networkpolicies" && (c.Status == coverage.StatusNeverAudited || c.Status == coverage.StatusUnknown) {
				rep.Posture.Close()
				rep.Posture = nil
				if !podsSeen {
					return // nothing to judge, and no pod left unjudged: the never-audited gap says it all
				}
				rep.Gaps = append(rep.Gaps, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityWarning, Group: c.Group, Resource: c.Resource,
					Message: "the pods' network-policy protection is not judged: no input has any event of networkpolicies.networking.k8s.io in the period or before it (" + c.Status +
						"), so whether a NetworkPolicy selected a pod cannot be told; without one, every pod would have seemed unprotected",
					Remediation: "audit NetworkPolicies (the " + c.Status + " gap says how), or give --snapshot with the output of 'kubectl get networkpolicies -A -o json' taken before the period"})
				coverage.SortGaps(rep.Gaps)
				return
			}
		}
	}
	rep.Gaps = append(rep.Gaps, postureGaps(rep.Posture)...)
	rep.Gaps = append(rep.Gaps, unseenPolicyKinds(rep)...)
	if g, ok := lostStretches(rep.Gaps); ok {
		rep.Gaps = append(rep.Gaps, g)
	}
	coverage.SortGaps(rep.Gaps)
}

// unseenPolicyKinds are the findings for kinds of policy the posture does not evaluate that
// the trail shows in use (events of the kind, reads too) with no object of them: one made
// before the logs begin would not show, and could protect or expose any pod, so the verdicts
// the NetworkPolicies alone give may be wrong.
func unseenPolicyKinds(rep *Report) []coverage.Gap {
	var out []coverage.Gap
	for _, c := range rep.Coverage {
		if _, ok := posture.Enforcing(c.Group, c.Resource); c.Events == 0 || !ok {
			continue
		}
		seen := false
		kind, _ := posture.Enforcing(c.Group, c.Resource)
		for _, ref := range rep.Posture.NotEvaluated {
			seen = seen || ref.Group == c.Group && ref.Kind == kind
		}
		if seen {
			continue // its objects already make the verdicts they could change unknown
		}
		out = append(out, coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityWarning, Group: c.Group, Resource: c.Resource, Count: c.Events,
			Message: fmt.Sprintf("%s is in use (the trail shows %d event(s) of it) but no object of it is in the trail: one made before the logs begin would not show, and could protect or expose any pod, so the verdicts the NetworkPolicies alone give may be wrong",
				c.Kind, c.Events),
			Remediation: "give --snapshot with the " + c.Kind + " objects there were (kubectl get " + c.Resource + "." + c.Group + " -A -o json); the posture does not evaluate them, but their presence makes the verdicts they could change unknown"})
	}
	return out
}

// lostStretches is the posture's finding about the stretches of the trail in which events
// were lost (a time-hole or a server's period-not-covered gap at warning or error): a
// NetworkPolicy or pod write made then does not show, so every verdict from the first of
// them on may be wrong, and the posture cannot say which.
func lostStretches(gaps []coverage.Gap) (coverage.Gap, bool) {
	var n int
	var first *time.Time
	whole := false // an API server's log missing altogether
	for _, g := range gaps {
		perServer := g.Source != "" || strings.HasPrefix(g.Rule, "period-not-covered per API server")
		lost := g.Type == coverage.GapTimeHole && g.Severity != coverage.SeverityInfo ||
			g.Type == coverage.GapPeriodNotCovered && perServer && g.Count > 0
		if !lost {
			continue
		}
		n++
		switch {
		case g.From == nil:
			whole = true
		case first == nil || g.From.Before(*first):
			first = g.From
		}
	}
	if n == 0 {
		return coverage.Gap{}, false
	}
	from := "the first from the trail's start (a missing API server's log)"
	if !whole {
		from = "the first from " + first.UTC().Format(time.RFC3339)
	} else {
		first = nil
	}
	return coverage.Gap{Type: GapPostureUnknown, Severity: coverage.SeverityWarning, Resource: "networkpolicies", Count: int64(n), From: first,
		Message: fmt.Sprintf("the trail lost events in %s (the trail's time-hole and period-not-covered gaps say where), %s: a NetworkPolicy or pod write made then does not show, so the posture's verdicts from then on may be wrong",
			units.Counted(n, "stretch", "stretches"), from),
		Remediation: "give the missing logs (the gaps say of which API server and when), then run the report again"}, true
}
