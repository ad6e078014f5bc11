package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
)

// FuzzBuild: whatever the log holds (bodies of any shape, verbs and codes in any order), a
// report is built without a panic, and every change it lists is in the period.
func FuzzBuild(f *testing.F) {
	for _, p := range []string{
		"realdata/falco-k8s-audit/create_nginx_pod_unprivileged.json",
		"realdata/falco-k8s-audit/delete_namespace_foo.json",
		"realdata/falco-k8s-audit/exec_pod.json",
	} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var b bytes.Buffer
	for _, e := range []ev{
		{verb: "create", res: npRes.res, group: npRes.group, ns: "shop", resp: netpol("80", "1", `,"finalizers":["x"]`)},
		{minute: 1, verb: "delete", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", resp: netpol("80", "2", `,"finalizers":["x"],"deletionTimestamp":"2026-11-02T09:01:00Z"`)},
		{minute: 2, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", req: j(`[{"op":"remove","path":"/metadata/finalizers"}]`), resp: netpol("80", "3", `,"deletionTimestamp":"2026-11-02T09:01:00Z"`)},
		{minute: 3, verb: "deletecollection", res: "pods", ns: "shop", query: "labelSelector=app+in+(web,api)"},
		{minute: 4, verb: "create", res: "pods/binding", ns: "shop", name: "web-1", req: j(`{"target":{"name":"node-1"}}`)},
		{minute: 5, verb: "delete", res: "namespaces", name: "shop", ns: "shop", resp: j(`{"kind":"Status","status":"Success"}`)},
	} {
		b.WriteString(e.line())
		b.WriteByte('\n')
	}
	f.Add(b.Bytes())
	start := t0.Add(-time.Hour)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Build(context.Background(), []audit.Source{audit.ReaderSource("fuzz.log", bytes.NewReader(data))},
			Options{Now: t0, Period: Period{Start: &start}})
		if err != nil {
			return
		}
		for _, res := range r.Resources {
			for _, c := range res.History {
				if !c.Time.IsZero() && c.Time.Before(start) {
					t.Errorf("a change before the period is listed: %+v", c)
				}
			}
		}
	})
}
