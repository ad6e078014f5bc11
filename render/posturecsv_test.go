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
