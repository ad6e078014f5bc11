package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/posture"
)

// The posture's CSV tables. Their first columns are those of Calico Enterprise's inventory
// and network-access reports, with their meaning, so that spreadsheets built on them read
// these unchanged; auditreport's own columns follow.
const (
	CSVEndpoints      = "endpoints"
	CSVNamespaces     = "namespaces"
	CSVServices       = "services"
	CSVPostureSummary = "summary"
)

// postureOf returns the report's posture, or an empty one.
func postureOf(r *report.Report) *posture.Posture {
	if r.Posture == nil {
		return &posture.Posture{}
	}
	return r.Posture
}

func list(s []string) string { return strings.Join(s, ";") }

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func seconds(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func csvEndpoints(r *report.Report, write csvWrite) error {
	header := []string{"endpoint", "ingressProtected", "egressProtected", "envoyEnabled", "appliedPolicies", "services",
		"ingressFromInternet", "egressToInternet", "ingressFromOtherNamespace", "egressToOtherNamespace",
		"namespace", "name", "serviceAccount", "from", "to", "ingressUnprotectedSeconds", "egressUnprotectedSeconds",
		"ingressUnknownSeconds", "egressUnknownSeconds", "ingressUnprotectedSince", "egressUnprotectedSince", "unknown"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	for i, e := range postureOf(r).Rows() {
		if err := write(fmt.Sprintf("posture.endpoints[%d]", i), header, e.Endpoint, string(e.IngressProtected), string(e.EgressProtected), string(e.EnvoyEnabled),
			list(e.AppliedPolicies), list(e.Services), string(e.IngressFromInternet), string(e.EgressToInternet),
			string(e.IngressFromOtherNamespace), string(e.EgressToOtherNamespace), e.Namespace, e.Name, e.ServiceAccount,
			e.From.Format(time.RFC3339Nano), e.To.Format(time.RFC3339Nano), seconds(e.IngressUnprotectedSeconds), seconds(e.EgressUnprotectedSeconds),
			seconds(e.IngressUnknownSeconds), seconds(e.EgressUnknownSeconds), optTime(e.IngressUnprotectedSince), optTime(e.EgressUnprotectedSince),
			list(e.Unknown)); err != nil {
			return err
		}
	}
	return nil
}

func csvNamespaces(r *report.Report, write csvWrite) error {
	header := []string{"namespace", "ingressProtected", "egressProtected", "endpoints", "ingressUnprotected", "egressUnprotected"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	for i, n := range postureOf(r).Namespaces {
		if err := write(fmt.Sprintf("posture.namespaces[%d]", i), header, n.Namespace, string(n.IngressProtected), string(n.EgressProtected),
			strconv.Itoa(n.Endpoints), strconv.Itoa(n.IngressUnprotected), strconv.Itoa(n.EgressUnprotected)); err != nil {
			return err
		}
	}
	return nil
}

func csvServices(r *report.Report, write csvWrite) error {
	header := []string{"service", "ingressProtected", "egressProtected", "endpoints"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	for i, s := range postureOf(r).Services {
		if err := write(fmt.Sprintf("posture.services[%d]", i), header, s.Service, string(s.IngressProtected), string(s.EgressProtected), strconv.Itoa(s.Endpoints)); err != nil {
			return err
		}
	}
	return nil
}

// csvPostureSummary is one row: the span, the scope, and the counts as Calico named them.
func csvPostureSummary(r *report.Report, write csvWrite) error {
	p := postureOf(r)
	s := p.Summary
	// The span the counts are over, as the other formats state it: with no period given, the
	// logs' own, to the microsecond as the endpoints' from and to.
	start, end := Span(r)
	header := []string{"startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector", "serviceAccountNames", "serviceAccountSelectors",
		"endpointsNumInScope", "endpointsNumIngressProtected", "endpointsNumEgressProtected", "namespacesNumInScope", "namespacesNumIngressProtected",
		"namespacesNumEgressProtected", "serviceAccountsNumInScope", "endpointsNumIngressFromInternet", "endpointsNumEgressToInternet",
		"endpointsNumIngressFromOtherNamespace", "endpointsNumEgressToOtherNamespace", "numCreatedPolicies", "numModifiedPolicies", "numDeletedPolicies",
		"servicesNumInScope", "servicesNumIngressProtected", "servicesNumEgressProtected", "endpointsNumIngressUnprotected", "endpointsNumEgressUnprotected",
		"endpointsNumIngressUnknown", "endpointsNumEgressUnknown"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	n := strconv.Itoa
	return write("posture.summary", header, optTime(start), optTime(end), p.Scope.Selector, list(p.Scope.Namespaces), p.Scope.NamespaceSelector, list(p.Scope.ServiceAccounts),
		p.Scope.ServiceAccountSelector, n(s.EndpointsNumInScope), n(s.EndpointsNumIngressProtected), n(s.EndpointsNumEgressProtected),
		n(s.NamespacesNumInScope), n(s.NamespacesNumIngressProtected), n(s.NamespacesNumEgressProtected), n(s.ServiceAccountsNumInScope),
		n(s.EndpointsNumIngressFromInternet), n(s.EndpointsNumEgressToInternet), n(s.EndpointsNumIngressFromOtherNamespace),
		n(s.EndpointsNumEgressToOtherNamespace), n(s.NumCreatedPolicies), n(s.NumModifiedPolicies), n(s.NumDeletedPolicies),
		n(s.ServicesNumInScope), n(s.ServicesNumIngressProtected), n(s.ServicesNumEgressProtected), n(s.EndpointsNumIngressUnprotected),
		n(s.EndpointsNumEgressUnprotected), n(s.EndpointsNumIngressUnknown), n(s.EndpointsNumEgressUnknown))
}
