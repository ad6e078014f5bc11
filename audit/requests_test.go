package audit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Coverage counts requests, not stages: a request logged at RequestReceived and at
// ResponseComplete is one write; a dry run and a refused write are counted apart; a request
// whose final stage the source lacks still counts, once.
func TestKindCountsAreRequests(t *testing.T) {
	line := func(id, stage, verb, res, uri string, code int, req string) string {
		l := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":%q,"stage":%q,"requestURI":%q,"verb":%q,`+
			`"user":{"username":"alice"},"objectRef":{"resource":%q,"namespace":"shop","name":"x","apiVersion":"v1"},`, id, stage, uri, verb, res)
		if req != "" {
			l += `"requestObject":` + req + `,`
		}
		if stage != "RequestReceived" {
			l += fmt.Sprintf(`"responseStatus":{"metadata":{},"code":%d},`, code)
		}
		return l + `"requestReceivedTimestamp":"2026-11-02T09:00:00.000000Z","stageTimestamp":"2026-11-02T09:00:00.100000Z"}`
	}
	log := strings.Join([]string{
		line("a", "RequestReceived", "create", "serviceaccounts", "/api/v1/namespaces/shop/serviceaccounts", 0, `{"kind":"ServiceAccount"}`),
		line("a", "ResponseComplete", "create", "serviceaccounts", "/api/v1/namespaces/shop/serviceaccounts", 201, `{"kind":"ServiceAccount"}`),
		line("b", "ResponseComplete", "create", "pods", "/api/v1/namespaces/shop/pods?dryRun=All", 201, `{"kind":"Pod"}`),
		line("c", "ResponseComplete", "delete", "pods", "/api/v1/namespaces/shop/pods/x", 200, `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"]}`),
		line("d", "ResponseComplete", "delete", "serviceaccounts", "/api/v1/namespaces/shop/serviceaccounts/x", 403, ""),
		line("e", "RequestReceived", "patch", "serviceaccounts", "/api/v1/namespaces/shop/serviceaccounts/x", 0, `{"metadata":{}}`),
	}, "\n") + "\n"
	sa, pods := Kind{Resource: "serviceaccounts"}, Kind{Resource: "pods"}
	rd := NewReader(context.Background(), []Source{ReaderSource("kube-audit.log", strings.NewReader(log))}, Options{Scope: NewScope(sa, pods), WritesOnly: true})
	for {
		if _, err := rd.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	rd.Close()
	in := rd.Inputs()[0]
	s, p := in.Kinds[sa], in.Kinds[pods]
	if s == nil || p == nil {
		t.Fatalf("kinds %+v", in.Kinds)
	}
	if s.Writes["create"] != 1 || s.Writes["patch"] != 1 || s.Writes["delete"] != 0 || s.Refused != 1 || s.Events != 4 {
		t.Errorf("serviceaccounts: writes %v, refused %d, events %d: want one create (two stages), the patch seen only at RequestReceived, the refused delete apart", s.Writes, s.Refused, s.Events)
	}
	if len(p.Writes) != 0 || p.DryRuns != 2 {
		t.Errorf("pods: writes %v, dry runs %d: want the dry-run create and delete apart", p.Writes, p.DryRuns)
	}
}
