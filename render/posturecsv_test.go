package render

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/posture"
)

// The endpoints table starts with Calico's inventory and network-access columns, in its
// order, so that spreadsheets built on Calico's reports read it unchanged.
func TestPostureCSVTables(t *testing.T) {
	since := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	r := &report.Report{Posture: &posture.Posture{
		Summary: posture.Summary{EndpointsNumInScope: 2, EndpointsNumIngressProtected: 1, NumDeletedPolicies: 1},
		Endpoints: []posture.Endpoint{{Endpoint: "shop/web", Namespace: "shop", Name: "web", IngressProtected: posture.False, EgressProtected: posture.Unknown,
			EnvoyEnabled: posture.False, AppliedPolicies: []string{"a", "b"}, Services: []string{"shop/web"}, IngressFromInternet: posture.True,
			EgressToInternet: posture.False, IngressFromOtherNamespace: posture.False, EgressToOtherNamespace: posture.Unknown,
			IngressUnprotectedSeconds: 90, IngressUnprotectedSince: &since}},
		Namespaces: []posture.Namespace{{Namespace: "shop", IngressProtected: posture.False, EgressProtected: posture.Unknown, Endpoints: 2, IngressUnprotected: 1}},
		Services:   []posture.Service{{Service: "shop/web", IngressProtected: posture.False, EgressProtected: posture.True, Endpoints: 1}},
	}}
	read := func(table string) [][]string {
		var b bytes.Buffer
		if err := (&CSV{Table: table}).Render(&b, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	ep := read(CSVEndpoints)
	calico := "endpoint,ingressProtected,egressProtected,envoyEnabled,appliedPolicies,services,ingressFromInternet,egressToInternet,ingressFromOtherNamespace,egressToOtherNamespace"
	if got := strings.Join(ep[0][:10], ","); got != calico {
		t.Errorf("endpoints header starts %s, want Calico's %s", got, calico)
	}
	if got := strings.Join(ep[1][:10], ","); got != "shop/web,false,unknown,false,a;b,shop/web,true,false,false,unknown" {
		t.Errorf("endpoint row %s", got)
	}
	if ep[1][15] != "90" || ep[1][19] != "2026-11-02T09:30:00Z" {
		t.Errorf("unprotected seconds %q since %q", ep[1][15], ep[1][19])
	}
	if ns := read(CSVNamespaces); len(ns) != 2 || strings.Join(ns[1], ",") != "shop,false,unknown,2,1,0" {
		t.Errorf("namespaces %v", ns)
	}
	if sv := read(CSVServices); len(sv) != 2 || strings.Join(sv[1], ",") != "shop/web,false,true,1" {
		t.Errorf("services %v", sv)
	}
	sum := read(CSVPostureSummary)
	if len(sum) != 2 || sum[0][7] != "endpointsNumInScope" || sum[1][7] != "2" {
		t.Errorf("summary %v", sum)
	}
}

// The last change against a pod says what the trail shows of it: its creation, a later write,
// the start of the period, or, for a pod whose creation is not in the trail, where it was
// first seen, which caused nothing; a state the period starts with, the write before the
// period that made it, when the trail shows one.
func TestPostureRowCause(t *testing.T) {
	at := time.Date(2026, 11, 1, 1, 27, 19, 0, time.UTC)
	before := time.Date(2026, 10, 31, 23, 59, 1, 0, time.UTC)
	for _, c := range []struct {
		tr   posture.Transition
		want string
	}{
		{posture.Transition{Time: at, Direction: "egress", What: "unprotected"}, "2026-11-01 01:27:19Z: egress unprotected at the start of the period"},
		{posture.Transition{Time: at, Direction: "egress", What: "unprotected", Object: "Pod data/web", User: "system:node:node-2", Verb: "patch", FirstSeen: true},
			"2026-11-01 01:27:19Z: egress unprotected when first seen (patch by system:node:node-2); since when before, unknown: no creation of it by name is in the trail"},
		{posture.Transition{Time: at, Direction: "ingress", What: "unprotected", Object: "NetworkPolicy data/deny", User: "mallory", Verb: "delete"},
			"2026-11-01 01:27:19Z: ingress unprotected after delete NetworkPolicy data/deny by mallory"},
		{posture.Transition{Time: at, Direction: "ingress", What: "unprotected", Object: "NetworkPolicy data/deny", User: "carol@example.com", ImpersonatedBy: "alice@example.com", Verb: "delete"},
			"2026-11-01 01:27:19Z: ingress unprotected after delete NetworkPolicy data/deny by carol@example.com (impersonated by alice@example.com)"},
		{posture.Transition{Time: at, Direction: "ingress", What: "unprotected", Object: "NetworkPolicy data/deny", User: "mallory", Verb: "delete", Since: &before},
			"2026-10-31 23:59:01Z, before the period: ingress unprotected after delete NetworkPolicy data/deny by mallory"},
		{posture.Transition{Time: at, Direction: "egress", What: "unprotected", Object: "Pod data/web", User: "system:node:node-2", Verb: "patch", FirstSeen: true, Since: &before},
			"2026-10-31 23:59:01Z, before the period: egress unprotected when first seen (patch by system:node:node-2); since when before, unknown: no creation of it by name is in the trail"},
	} {
		e := posture.Endpoint{Endpoint: "data/web", IngressProtected: posture.False, EgressProtected: posture.False, Transitions: []posture.Transition{c.tr}}
		if got := postureRow(&e).Cause; got != c.want {
			t.Errorf("cause %q, want %q", got, c.want)
		}
	}
}

// A protection lost and given back is said given back, with when and by whom.
func TestPostureRowCauseRestored(t *testing.T) {
	lost, back := time.Date(2026, 11, 30, 16, 6, 22, 0, time.UTC), time.Date(2026, 11, 30, 16, 6, 25, 0, time.UTC)
	e := posture.Endpoint{Endpoint: "payments/db-1", IngressProtected: posture.False, EgressProtected: posture.False, Transitions: []posture.Transition{
		{Time: lost, Direction: "ingress", What: "unprotected", Object: "NetworkPolicy payments/default-deny", User: "ci-bot", Verb: "delete", AuditID: "d"},
		{Time: lost, Direction: "egress", What: "unprotected", Object: "NetworkPolicy payments/default-deny", User: "ci-bot", Verb: "delete", AuditID: "d"},
		{Time: back, Direction: "ingress", What: "protected", Object: "NetworkPolicy payments/default-deny", User: "alice", Verb: "create", AuditID: "c"},
		{Time: back, Direction: "egress", What: "protected", Object: "NetworkPolicy payments/default-deny", User: "alice", Verb: "create", AuditID: "c"},
	}}
	// One write took both directions' protection away, and one gave both back.
	want := "2026-11-30 16:06:22Z: ingress and egress unprotected after delete NetworkPolicy payments/default-deny by ci-bot; ingress and egress protected again 2026-11-30 16:06:25Z after create NetworkPolicy payments/default-deny by alice"
	if got := postureRow(&e).Cause; got != want {
		t.Errorf("cause %q, want %q", got, want)
	}
}

// How long a pod was unprotected is said as the length the JSON and CSV give, under a second
// too: only no time at all is an instant.
func TestDurationUnderASecond(t *testing.T) {
	for _, c := range []struct {
		seconds float64
		want    string
	}{
		{0, "an instant"},
		{0.0004, "under 1 ms"},
		{0.042, "42 ms"},
		{0.723569, "0.7 s"},
		{3, "3 s"},
		{90, "2 min"},
	} {
		if got := duration(c.seconds); got != c.want {
			t.Errorf("duration(%v) = %q, want %q", c.seconds, got, c.want)
		}
	}
	e := posture.Endpoint{Endpoint: "shop/web-1", IngressProtected: posture.False, EgressProtected: posture.True, IngressUnprotectedSeconds: 0.723569}
	if got, want := postureRow(&e).Unprotected, "ingress 0.7 s"; got != want {
		t.Errorf("unprotected %q, want %q", got, want)
	}
}

// The summary's startTime and endTime say the span the counts are over, as the scope statement
// of every other format does: with no period given, the logs' own.
func TestPostureSummarySpan(t *testing.T) {
	r := loadReport(t, "posture") // no period given; one input, 16:06:16.436525Z to 16:06:36.117364Z
	first, last := *r.Inputs[0].FirstEvent, *r.Inputs[0].LastEvent
	given := func(s string) *time.Time {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &at
	}
	for _, c := range []struct {
		name               string
		period             report.Period
		inputs             bool
		wantStart, wantEnd string
	}{
		{"no period: the logs' span", report.Period{}, true, "2026-11-30T16:06:16.436525Z", "2026-11-30T16:06:36.117364Z"},
		{"a start: to the last event", report.Period{Start: given("2026-11-30T16:00:00Z")}, true, "2026-11-30T16:00:00Z", "2026-11-30T16:06:36.117364Z"},
		{"an end: from the first event", report.Period{End: given("2026-11-30T17:00:00Z")}, true, "2026-11-30T16:06:16.436525Z", "2026-11-30T17:00:00Z"},
		{"both given", report.Period{Start: given("2026-11-30T16:00:00Z"), End: given("2026-11-30T17:00:00Z")}, true, "2026-11-30T16:00:00Z", "2026-11-30T17:00:00Z"},
		{"a start after the logs: no end", report.Period{Start: given("2026-12-01T00:00:00Z")}, true, "2026-12-01T00:00:00Z", ""},
		{"no event read", report.Period{}, false, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := loadReport(t, "posture")
			r.Period = c.period
			if !c.inputs {
				r.Inputs[0].FirstEvent, r.Inputs[0].LastEvent = nil, nil
			}
			var buf bytes.Buffer
			if err := (&CSV{Table: CSVPostureSummary}).Render(&buf, r); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := [2]string{rows[1][0], rows[1][1]}; got != [2]string{c.wantStart, c.wantEnd} {
				t.Errorf("startTime, endTime %q, want %q", got, [2]string{c.wantStart, c.wantEnd})
			}
		})
	}
	// The table's header states the same span, to the second.
	var buf bytes.Buffer
	if err := (&Table{}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	if span := Time(first) + " to " + Time(last); !strings.Contains(buf.String(), span) {
		t.Errorf("the table does not state the span %s", span)
	}
}
