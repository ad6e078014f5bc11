package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/plugin/pkg/audit/log"

	"github.com/auditreport/auditreport/audit"
)

// Events written by kube-apiserver's own log backend (the code behind --audit-log-path):
// the exact lines a cluster writes, field order, timestamps and all, reconstructed into a
// history with the right diff.
func TestHistoryFromTheAPIServersLogBackend(t *testing.T) {
	var out bytes.Buffer
	backend := log.NewBackend(&out, log.FormatJson, auditv1.SchemeGroupVersion)
	at := metav1.NewMicroTime(time.Date(2026, 11, 2, 9, 0, 0, 123456000, time.UTC))
	event := func(id, verb, name string, code int32, req, resp string) *auditinternal.Event {
		e := &auditinternal.Event{
			Level: auditinternal.LevelRequestResponse, AuditID: types.UID(id), Stage: auditinternal.StageResponseComplete,
			RequestURI: "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/" + name, Verb: verb,
			User:      authnv1.UserInfo{Username: "bob@example.com", Groups: []string{"system:authenticated"}},
			SourceIPs: []string{"192.0.2.7"}, UserAgent: "kubectl/v1.34.1",
			ObjectRef: &auditinternal.ObjectReference{Resource: "networkpolicies", Namespace: "shop", Name: name,
				APIGroup: "networking.k8s.io", APIVersion: "v1"},
			ResponseStatus:           &metav1.Status{Code: code},
			RequestReceivedTimestamp: at, StageTimestamp: at,
		}
		if req != "" {
			e.RequestObject = &runtime.Unknown{Raw: []byte(req), ContentType: runtime.ContentTypeJSON}
		}
		if resp != "" {
			e.ResponseObject = &runtime.Unknown{Raw: []byte(resp), ContentType: runtime.ContentTypeJSON}
		}
		at = metav1.NewMicroTime(at.Add(time.Minute))
		return e
	}
	np := func(port string) string {
		return `{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop","uid":"u-1","resourceVersion":"` + port + `"},"spec":{"podSelector":{},"ingress":[{"ports":[{"port":` + port + `}]}]}}`
	}
	backend.ProcessEvents(
		event("a-1", "create", "allow-web", 201, np("80"), np("80")),
		event("a-2", "patch", "allow-web", 200, `{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`, np("443")),
		event("a-3", "delete", "allow-web", 403, "", `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}`),
	)
	if !strings.HasPrefix(out.String(), `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse"`) {
		t.Fatalf("the backend wrote another layout: %.200s", out.String())
	}
	r, err := Build(context.Background(), []audit.Source{audit.ReaderSource("audit.log", bytes.NewReader(out.Bytes()))}, Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	h := find(t, r, "networkpolicies", "shop", "allow-web")
	if got := actions(h); got != "created,modified" {
		t.Fatalf("actions %s", got)
	}
	if got := diffText(h[1].Diff); got != "spec.ingress[0].ports[0].port changed 80 -> 443" {
		t.Errorf("diff %s", got)
	}
	if h[1].Time.Nanosecond() != 123456000 || h[1].User != "bob@example.com" || h[1].AuditID != "a-2" {
		t.Errorf("change %+v", h[1])
	}
	if len(r.FailedAttempts) != 1 || r.FailedAttempts[0].Code != 403 {
		t.Errorf("failed attempts %+v", r.FailedAttempts)
	}
}
