package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/report/history"
)

func TestSnapshotIsTheStateBeforeTheFirstEvent(t *testing.T) {
	patch := ev{minute: 10, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web",
		req: j(`{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`), resp: netpol("443", "2", "")}
	without := build(t, Options{}, patch)
	if c := find(t, without, npRes.res, "shop", "allow-web")[0]; c.Baseline != history.BaselineUnknown {
		t.Fatalf("without a snapshot: baseline %s", c.Baseline)
	}

	r := build(t, Options{Snapshots: []string{filepath.Join("..", "testdata", "snapshots", "shop.json")}}, patch)
	c := find(t, r, npRes.res, "shop", "allow-web")[0]
	if c.Baseline != history.BaselineKnown || diffText(c.Diff) != `spec.ingress[0].ports[0].port changed 80 -> 443` {
		t.Errorf("baseline %s, diff:\n%s", c.Baseline, diffText(c.Diff))
	}
	if len(r.Snapshots) != 1 || r.Snapshots[0].Objects != 2 || r.Snapshots[0].Ignored != 1 || len(r.Snapshots[0].SHA256) != 64 {
		t.Errorf("snapshot evidence %+v: want the namespace and the policy taken, the ConfigMap ignored", r.Snapshots)
	}

	// The same List as YAML.
	yml := filepath.Join(t.TempDir(), "shop.yaml")
	os.WriteFile(yml, []byte(`apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: allow-web, namespace: shop}
  spec:
    podSelector: {matchLabels: {app: web}}
    ingress:
    - ports: [{protocol: TCP, port: 80}]
`), 0o644)
	r = build(t, Options{Snapshots: []string{yml}}, patch)
	if c := find(t, r, npRes.res, "shop", "allow-web")[0]; c.Baseline != history.BaselineKnown || !strings.Contains(diffText(c.Diff), "port changed 80 -> 443") {
		t.Errorf("YAML snapshot: baseline %s, diff %s", c.Baseline, diffText(c.Diff))
	}
}
