package render

import (
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	"time"

	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/posture"
)

// PostureView is the posture as the PDF, HTML, Markdown and terminal reports show it: the
// counts, the unprotected, exposed and unknown pods first and bounded, the namespaces and
// services, and the timeline of protected pods.
type PostureView struct {
	posture.Summary
	// Rows are the pods that were unprotected, exposed or unknown at some time, worst first;
	// More counts those left out (the JSON and the endpoints CSV have them all).
	Rows       []PostureRow
	More       int
	Namespaces []posture.Namespace
	Services   []posture.Service
	// NotEvaluated and UnknownPolicies say what made verdicts unknown.
	NotEvaluated, UnknownPolicies []posture.PolicyRef
	Timeline                      []posture.Point
	// Safe counts the pods protected both ways throughout and exposed nowhere.
	Safe int
}

// PostureRow is one pod of the posture, in words.
type PostureRow struct {
	ID       string
	Pod      string
	Ingress  string
	Egress   string
	Internet string
	OtherNS  string
	// Unprotected says for how long, in each direction it was.
	Unprotected string
	// Cause names the last change that removed protection or opened the pod: when, who,
	// which object.
	Cause    string
	Policies string
	Unknown  string
}

// newPostureView bounds the posture for the documents; nil without one.
func newPostureView(r *report.Report, maxRows int) *PostureView {
	p := r.Posture
	if p == nil {
		return nil
	}
	pv := &PostureView{Summary: p.Summary, Namespaces: p.Namespaces, Services: p.Services, NotEvaluated: p.NotEvaluated, UnknownPolicies: p.UnknownPolicies}
	// One pass over the rows, which may be on disk: the bounded rows, and the span of the
	// pods' lives for the timeline.
	var start, end time.Time
	for i, e := range p.Rows() {
		if i == 0 || e.From.Before(start) {
			start = e.From
		}
		if i == 0 || e.To.After(end) {
			end = e.To
		}
		clean := e.IngressProtected == posture.True && e.EgressProtected == posture.True &&
			e.IngressFromInternet == posture.False && e.EgressToInternet == posture.False &&
			e.IngressFromOtherNamespace == posture.False && e.EgressToOtherNamespace == posture.False
		if clean {
			pv.Safe++
			continue
		}
		if len(pv.Rows) == maxRows {
			pv.More++
			continue
		}
		pv.Rows = append(pv.Rows, postureRow(e))
	}
	if p.Len() > 0 {
		if r.Period.Start != nil {
			start = *r.Period.Start
		}
		if r.Period.End != nil {
			end = *r.Period.End
		}
		pv.Timeline = p.Timeline(start, end, 48)
	}
	return pv
}

func postureRow(e *posture.Endpoint) PostureRow {
	r := PostureRow{Pod: e.Endpoint, Ingress: triText(e.IngressProtected, "protected"), Egress: triText(e.EgressProtected, "protected"),
		Internet: exposure(e.IngressFromInternet, e.EgressToInternet, e.IngressProtected, e.EgressProtected),
		OtherNS:  exposure(e.IngressFromOtherNamespace, e.EgressToOtherNamespace, e.IngressProtected, e.EgressProtected),
		Policies: strings.Join(e.AppliedPolicies, ", "), Unknown: strings.Join(e.Unknown, "; ")}
	var parts []string
	if e.IngressUnprotectedSeconds > 0 || e.IngressProtected == posture.False {
		parts = append(parts, "ingress "+duration(e.IngressUnprotectedSeconds))
	}
	if e.EgressUnprotectedSeconds > 0 || e.EgressProtected == posture.False {
		parts = append(parts, "egress "+duration(e.EgressUnprotectedSeconds))
	}
	r.Unprotected = strings.Join(parts, ", ")
	for i := len(e.Transitions) - 1; i >= 0; i-- {
		tr := e.Transitions[i]
		if tr.What == "protected" || tr.What == "gone" {
			continue
		}
		what := strings.ReplaceAll(tr.What, "-", " ")
		// One write may change both directions at once: the row names both.
		dirs := sameChange(e.Transitions, tr)
		dir := strings.Join(dirs, " and ")
		switch {
		case tr.Object == "":
			r.Cause = fmt.Sprintf("%s: %s %s at the start of the period", Time(tr.Time), dir, what)
		case tr.Since != nil && tr.FirstSeen:
			r.Cause = fmt.Sprintf("%s, before the period: %s %s when first seen (%s by %s); since when before, unknown: no creation of it by name is in the trail", Time(*tr.Since), dir, what, tr.Verb, byWhom(tr))
		case tr.Since != nil:
			r.Cause = fmt.Sprintf("%s, before the period: %s %s after %s %s by %s", Time(*tr.Since), dir, what, tr.Verb, tr.Object, byWhom(tr))
		case tr.FirstSeen:
			r.Cause = fmt.Sprintf("%s: %s %s when first seen (%s by %s); since when before, unknown: no creation of it by name is in the trail", Time(tr.Time), dir, what, tr.Verb, byWhom(tr))
		default:
			r.Cause = fmt.Sprintf("%s: %s %s after %s %s by %s", Time(tr.Time), dir, what, tr.Verb, tr.Object, byWhom(tr))
		}
		if tr.AuditID != "" && tr.Since == nil {
			// A write before the period has no row among the period's changes: the ID
			// would point nowhere (the JSON keeps its audit ID).
			r.ID = rowID("", tr.AuditID)
		}
		// A protection lost and given back since: the row says when and by whom, so that
		// it does not read as lost still.
		if tr.What == "unprotected" {
			for _, d := range dirs {
				for _, later := range e.Transitions[i+1:] {
					if later.Direction == d && later.What == "gone" {
						break // deleted while unprotected: a next life is not this one protected again
					}
					if later.Direction == d && later.What == "protected" {
						back := sameChange(e.Transitions, later)
						if d != back[0] {
							break // said with the direction it came back with
						}
						r.Cause += fmt.Sprintf("; %s protected again %s", strings.Join(back, " and "), Time(later.Time))
						if later.Object != "" {
							r.Cause += fmt.Sprintf(" after %s %s by %s", later.Verb, later.Object, byWhom(later))
						}
						break
					}
				}
			}
		}
		break
	}
	return r
}

// byWhom names who made the write behind a transition, as the changes tables do.
func byWhom(tr posture.Transition) string {
	if tr.ImpersonatedBy == "" {
		return tr.User
	}
	return UserText(tr.ImpersonatedBy, tr.User)
}

// sameChange lists the directions the write behind tr changed in the same way at the same
// moment (tr's first), in the order of the transitions.
func sameChange(all []posture.Transition, tr posture.Transition) []string {
	var dirs []string
	for _, o := range all {
		if o.What == tr.What && o.Time.Equal(tr.Time) && o.AuditID == tr.AuditID && o.Object == tr.Object && !slices.Contains(dirs, o.Direction) {
			dirs = append(dirs, o.Direction)
		}
	}
	return dirs
}

// triText says a verdict in a word: yes, no, unknown.
func triText(t posture.Tri, what string) string {
	switch t {
	case posture.True:
		return what
	case posture.False:
		return "NOT " + what
	}
	return "unknown"
}

// exposure says in which directions a pod was open to a kind of peer (the internet, other
// namespaces) at some time in the period. A direction no policy protected at some time was
// open to everything then, the internet and other namespaces too, whatever a policy's rules
// opened: it says "no policy", not "no".
func exposure(in, out, inProtected, outProtected posture.Tri) string {
	var parts []string
	for _, x := range []struct {
		t, protected posture.Tri
		what         string
	}{{in, inProtected, "ingress"}, {out, outProtected, "egress"}} {
		switch {
		case x.protected == posture.False:
			parts = append(parts, x.what+" (no policy)")
		case x.t == posture.True:
			parts = append(parts, x.what)
		case x.t == posture.Unknown:
			parts = append(parts, x.what+" unknown")
		}
	}
	if len(parts) == 0 {
		return "no"
	}
	return strings.Join(parts, ", ")
}

// duration says a number of seconds as a person reads it. Under a second it is still a
// length of time the JSON and CSV give to the microsecond: only none at all is an instant.
func duration(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d <= 0:
		return "an instant"
	case d < time.Millisecond:
		return "under 1 ms"
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", s*1000)
	case d < time.Second:
		return fmt.Sprintf("%.1f s", s)
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// PostureText sums up the posture in one sentence that cannot read as safe when it is not.
func (pv *PostureView) PostureText() string {
	s := pv.Summary
	unnamed := ""
	if s.EndpointsNumUnnamed > 0 {
		unnamed = fmt.Sprintf(" Besides them, %s created without a name in the trail, not followed: unknown.", units.Counted(s.EndpointsNumUnnamed, "pod was", "pods were"))
	}
	if s.EndpointsNumInScope == 0 {
		return "No pod in scope lived in the period." + unnamed
	}
	return fmt.Sprintf("%d pod(s) in scope: %d ingress-protected and %d egress-protected for all of their life in the period; %d without ingress protection and %d without egress protection at some time; %d and %d unknown; by a policy's rules, %d open to ingress from the internet and %d from other namespaces, %d to egress to the internet and %d to other namespaces (a direction without a policy is open to all).",
		s.EndpointsNumInScope, s.EndpointsNumIngressProtected, s.EndpointsNumEgressProtected, s.EndpointsNumIngressUnprotected, s.EndpointsNumEgressUnprotected,
		s.EndpointsNumIngressUnknown, s.EndpointsNumEgressUnknown, s.EndpointsNumIngressFromInternet, s.EndpointsNumIngressFromOtherNamespace,
		s.EndpointsNumEgressToInternet, s.EndpointsNumEgressToOtherNamespace) + unnamed
}

// postureSVG draws the timeline of pods protected, unprotected and unknown as stacked bars.
func postureSVG(pv *PostureView) htmltemplate.HTML {
	if pv == nil || len(pv.Timeline) == 0 {
		return ""
	}
	const width, height, left, bottom, top = 720.0, 160.0, 40.0, 26.0, 10.0
	most := 0
	for _, pt := range pv.Timeline {
		most = max(most, pt.Protected+pt.Unprotected+pt.Unknown)
	}
	if most == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Pods protected over the period">`, width, height)
	plotH := height - bottom - top
	bw := (width - left) / float64(len(pv.Timeline))
	for i, pt := range pv.Timeline {
		y := top + plotH
		for _, seg := range []struct {
			n     int
			color string
		}{{pt.Protected, "#1a7f37"}, {pt.Unknown, "#9a6700"}, {pt.Unprotected, "#c62828"}} {
			h := plotH * float64(seg.n) / float64(most)
			y -= h
			if seg.n > 0 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, left+float64(i)*bw+0.5, y, max(bw-1, 0.5), h, seg.color)
			}
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="end">%d</text>`, left-4, top+8, most)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10">%s</text>`, left, height-8, htmltemplate.HTMLEscapeString(Time(pv.Timeline[0].At)))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="end">%s</text>`, width, height-8, htmltemplate.HTMLEscapeString(Time(pv.Timeline[len(pv.Timeline)-1].At)))
	b.WriteString(`</svg>`)
	return htmltemplate.HTML(b.String())
}
