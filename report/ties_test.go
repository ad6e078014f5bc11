package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
)

// Two writes of one object at the same instant, in two files whose names put them in the
// wrong order: the resourceVersions of the stored objects decide, as in GKE exports that keep
// no finer time.
func TestEqualTimestampsFollowResourceVersions(t *testing.T) {
	first := ev{minute: 5, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", user: "bob",
		req: j(`{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`), resp: netpol("443", "2", "")}
	second := ev{minute: 5, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", user: "carol",
		req: j(`{"spec":{"ingress":[{"ports":[{"port":8443}]}]}}`), resp: netpol("8443", "3", "")}
	create := ev{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")}
	for _, tc := range []struct {
		name   string
		a, b   []ev // a.log and b.log
		byUser string
	}{
		{name: "file order agrees", a: []ev{create, first}, b: []ev{second}},
		{name: "file order disagrees", a: []ev{create, second}, b: []ev{first}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := func(name string, evs []ev) audit.Source {
				var b strings.Builder
				for _, e := range evs {
					b.WriteString(e.line() + "\n")
				}
				return audit.ReaderSource(name, strings.NewReader(b.String()))
			}
			r, err := Build(context.Background(), []audit.Source{src("a.log", tc.a), src("b.log", tc.b)}, Options{Now: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			h := find(t, r, npRes.res, "shop", "allow-web")
			if len(h) != 3 || h[1].User != "bob" || h[2].User != "carol" {
				t.Fatalf("history %s: want bob's write (resourceVersion 2) before carol's (3)", actions(h))
			}
			if got := diffText(h[2].Diff); !strings.Contains(got, "443 -> 8443") {
				t.Errorf("carol's diff %s: want it against bob's state", got)
			}
		})
	}
}
