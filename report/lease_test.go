package report

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
)

// The identity leases tell a server that left or joined from a lost log: a kube-apiserver
// creates its own lease apiserver-<hash> when it starts, renews it every 10 s and deletes it
// at a clean shutdown, all in its own log; another server's garbage collector deletes it once
// expired. The lease belongs to the server in whose log its writes are. In every case here the
// others' rate does not change, so without the lease the rate rule would call the log lost.
func TestAPIServerLeavingOrLostByLease(t *testing.T) {
	lease := func(minute int, verb, name string, level string, host string) ev {
		e := ev{minute: minute, verb: verb, user: "system:apiserver", res: "leases", group: "coordination.k8s.io", ns: "kube-system", name: name, level: level}
		if host != "" {
			e.req = j(`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"` + name + `","namespace":"kube-system","labels":{"apiserver.kubernetes.io/identity":"kube-apiserver","kubernetes.io/hostname":"` + host + `"}}}`)
		}
		return e
	}
	// logs: three servers logging reads and renewing their leases every minute for 600
	// minutes; the third only before minute 300 (leaving) or from it (joining); extra[i] are
	// more events of server i.
	logs := func(leaving bool, host string, extra map[int][]ev) []audit.Source {
		bufs := make([]strings.Builder, 3)
		for m := 0; m < 600; m++ {
			for i := range bufs {
				if i == 2 && (m >= 300) == leaving {
					continue
				}
				for k := 0; k < 4; k++ {
					bufs[i].WriteString(ev{minute: m, verb: "get", res: "pods", ns: "shop", name: "web-1", level: "Metadata"}.line() + "\n")
				}
				level := "Metadata"
				if i == 2 && host != "" {
					level = "Request"
				}
				bufs[i].WriteString(lease(m, "update", fmt.Sprintf("apiserver-%c%c%c", 'a'+i, 'a'+i, 'a'+i), level, map[bool]string{true: host}[i == 2]).line() + "\n")
			}
		}
		var srcs []audit.Source
		for i := range bufs {
			for _, e := range extra[i] {
				bufs[i].WriteString(e.line() + "\n")
			}
			srcs = append(srcs, audit.ReaderSource(fmt.Sprintf("node-%d/kube-audit.log", i+1), strings.NewReader(bufs[i].String())))
		}
		return srcs
	}
	tests := []struct {
		name     string
		srcs     []audit.Source
		severity string
		says     string
	}{
		{"deletes its own lease at a clean shutdown", logs(true, "", map[int][]ev{2: {lease(299, "delete", "apiserver-ccc", "Metadata", "")}}),
			coverage.SeverityInfo, "it deleted its own identity lease kube-system/apiserver-ccc"},
		{"its expired lease is deleted by another server", logs(true, "", map[int][]ev{0: {lease(299+65, "delete", "apiserver-ccc", "Metadata", "")}}),
			coverage.SeverityInfo, "node-1/kube-audit.log deleted its identity lease kube-system/apiserver-ccc"},
		{"the lease names the node where a body carries it", logs(true, "cp-3", map[int][]ev{2: {lease(299, "delete", "apiserver-ccc", "Metadata", "")}}),
			coverage.SeverityInfo, "apiserver-ccc (node cp-3)"},
		{"no delete: the log is lost", logs(true, "", nil),
			coverage.SeverityError, "its events were lost"},
		{"deleted long after its last event: renewed where no log shows it", logs(true, "", map[int][]ev{0: {lease(299+180, "delete", "apiserver-ccc", "Metadata", "")}}),
			coverage.SeverityError, "its events were lost"},
		{"another server's lease deleted: not its own", logs(true, "", map[int][]ev{2: {lease(299, "delete", "apiserver-aaa", "Metadata", "")}}),
			coverage.SeverityError, "its events were lost"},
		{"creates its lease as it starts", logs(false, "", map[int][]ev{2: {lease(300, "create", "apiserver-ccc", "Metadata", "")}}),
			coverage.SeverityInfo, "it created its identity lease kube-system/apiserver-ccc"},
		{"starts late without a create: its older log is lost", logs(false, "", nil),
			coverage.SeverityError, "its events were lost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, g := node3Gap(t, tc.srcs)
			if g.Severity != tc.severity || !strings.Contains(g.Message, tc.says) {
				t.Errorf("gap %s: %s (rule: %s); want %s saying %q", g.Severity, g.Message, g.Rule, tc.severity, tc.says)
			}
			if tc.severity == coverage.SeverityInfo && (!strings.Contains(g.Rule, "identity lease") || g.Count != 0) {
				t.Errorf("rule %q, count %d: want the identity lease named as the rule that decided, nothing missing", g.Rule, g.Count)
			}
		})
	}
}

// On a real kube-apiserver's log (v1.37, the posture recording: the server stopped cleanly,
// restarted under another policy and stopped again), the identity lease it deleted at its
// shutdown says it left when another server's log goes on for hours: a note, not a lost log.
func TestRealServerLeavesByItsLease(t *testing.T) {
	real, err := os.ReadFile("../testdata/logs/posture/kube-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	var first time.Time
	for _, l := range strings.Split(string(real), "\n") {
		if i := strings.Index(l, `"requestReceivedTimestamp":"`); i >= 0 {
			at, err := time.Parse(time.RFC3339Nano, l[i+28:i+28+strings.IndexByte(l[i+28:], '"')])
			if err == nil && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
	}
	var other strings.Builder
	for at := first; at.Before(first.Add(3 * time.Hour)); at = at.Add(10 * time.Second) {
		ts := at.UTC().Format(time.RFC3339Nano)
		fmt.Fprintf(&other, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"other-%s","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"list","user":{"username":"alice"},"sourceIPs":["10.0.0.2"],"userAgent":"kubectl","objectRef":{"resource":"pods","namespace":"shop","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"%s","stageTimestamp":"%s"}`+"\n", ts, ts, ts)
	}
	srcs := []audit.Source{audit.ReaderSource("node-1/kube-audit.log", strings.NewReader(string(real))), audit.ReaderSource("node-2/kube-audit.log", strings.NewReader(other.String()))}
	r, err := Build(context.Background(), srcs, Options{Now: first.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var g *coverage.Gap
	for i := range r.Gaps {
		if r.Gaps[i].Type == coverage.GapPeriodNotCovered && r.Gaps[i].Source == "node-1/kube-audit.log" {
			g = &r.Gaps[i]
		}
	}
	if g == nil || g.Severity != coverage.SeverityInfo || !strings.Contains(g.Message, "it deleted its own identity lease kube-system/apiserver-") || !strings.Contains(g.Rule, "identity lease") {
		t.Fatalf("want an info gap on node-1 decided by its identity lease; got %+v (gaps %s)", g, gapTypes(r))
	}
}
