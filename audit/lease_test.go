package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The identity leases of API servers (kube-system/apiserver-*) are recorded per input,
// whether the line is only scanned or decoded whole: who renewed each, when, its hostname
// label where a body carries it, and a delete that took effect (a refused one is none).
func TestIdentityLeases(t *testing.T) {
	at := func(min int) time.Time { return liveT0.Add(time.Duration(min) * time.Minute) }
	line := func(min int, verb, name, level, body string, code int) string {
		ts := at(min).Format(time.RFC3339Nano)
		b := ""
		if body != "" {
			b = `"requestObject":` + body + `,`
		}
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"` + level + `","auditID":"` + name + verb + ts + `","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/` + name + `","verb":"` + verb + `","user":{"username":"system:apiserver"},"sourceIPs":["::1"],"userAgent":"kube-apiserver","objectRef":{"resource":"leases","namespace":"kube-system","name":"` + name + `","apiGroup":"coordination.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":` + map[bool]string{true: "200", false: "409"}[code < 300] + `},` + b + `"requestReceivedTimestamp":"` + ts + `","stageTimestamp":"` + ts + `"}` + "\n"
	}
	body := `{"kind":"Lease","metadata":{"name":"apiserver-aaa","labels":{"apiserver.kubernetes.io/identity":"kube-apiserver","kubernetes.io/hostname":"cp-1"}}}`
	log := line(0, "create", "apiserver-aaa", "Metadata", "", 200) +
		line(1, "update", "apiserver-aaa", "Request", body, 200) +
		line(2, "update", "apiserver-aaa", "Metadata", "", 200) +
		line(3, "update", "kube-scheduler", "Metadata", "", 200) + // a leader election lease: not an identity
		line(4, "delete", "apiserver-bbb", "Metadata", "", 409) + // refused: not deleted
		line(5, "delete", "apiserver-ccc", "Metadata", "", 200)
	_, inputs, _ := readAll(t, Options{}, ReaderSource("node-1.log", strings.NewReader(log)))
	want := []Lease{
		{Name: "apiserver-aaa", Hostname: "cp-1", Writes: 3, FirstWrite: at(0), LastWrite: at(2), Created: at(0)},
		{Name: "apiserver-ccc", Deleted: at(5), DeletedBy: "system:apiserver"},
	}
	if diff := cmp.Diff(want, inputs[0].Leases); diff != "" {
		t.Errorf("leases (-want +got)\n%s", diff)
	}
	// As the report reads: leases out of scope, writes only delivered.
	_, inputs, _ = readAll(t, Options{Scope: NewScope(Kind{Resource: "pods"}), WritesOnly: true}, ReaderSource("node-1.log", strings.NewReader(log)))
	if diff := cmp.Diff(want, inputs[0].Leases); diff != "" {
		t.Errorf("leases read with a scope (-want +got)\n%s", diff)
	}
}
