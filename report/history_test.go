package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// netpol is a NetworkPolicy as the API server returns it, with the noise a real one has.
func netpol(port string, rv string, extraMeta string) any {
	return j(`{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"allow-web","namespace":"shop",
	"uid":"5e0c1c4e-0000-4000-8000-000000000001","resourceVersion":"` + rv + `","generation":` + rv + `,"creationTimestamp":"2026-11-02T08:00:00Z",
	"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"ingress\":[{\"ports\":[{\"port\":` + port + `}]}]}}"},
	"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"networking.k8s.io/v1","time":"2026-11-02T08:00:00Z"}]` + extraMeta + `},
	"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"shop"}}}],"ports":[{"protocol":"TCP","port":` + port + `}]}],"policyTypes":["Ingress"]}}`)
}

func pod(name, ns string, meta, spec, status string) any {
	return j(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + name + `","namespace":"` + ns + `","uid":"uid-` + name + `","resourceVersion":"1",
	"labels":{"app":"web"}` + meta + `},"spec":{"containers":[{"name":"app","image":"registry.example.com/web:1.0","env":[{"name":"DB_PASSWORD","value":"hunter2"},{"name":"MODE","value":"prod"}]}],"serviceAccountName":"default"` + spec + `},
	"status":{"phase":"Pending"` + status + `}}`)
}

var npRes = struct{ res, group string }{"networkpolicies", "networking.k8s.io"}

func TestHistorySemantics(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		events []ev
		check  func(t *testing.T, r *Report)
	}{{
		name: "a create with generateName takes the name from the response",
		events: []ev{{verb: "create", res: "pods", ns: "shop", req: j(`{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"web-"}}`),
			resp: pod("web-x7k2p", "shop", `,"generateName":"web-"`, "", "")}},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, "pods", "shop", "web-x7k2p")
			if h[0].Action != history.ActionCreated || h[0].Baseline != history.BaselineKnown {
				t.Errorf("got %s baseline %s", h[0].Action, h[0].Baseline)
			}
		},
	}, {
		name: "a dry run is not a change",
		events: []ev{{verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", query: "dryRun=All&fieldManager=kubectl",
			req: j(`{"spec":{"podSelector":{}}}`), resp: netpol("80", "2", "")}},
		check: func(t *testing.T, r *Report) {
			if len(r.Resources) != 0 || r.Summary.Changes != 0 || r.Summary.DryRuns != 1 {
				t.Errorf("resources %s, changes %d, dry runs %d", names(r), r.Summary.Changes, r.Summary.DryRuns)
			}
		},
	}, {
		// kubectl delete --dry-run=server and client-go send dryRun in the DeleteOptions body,
		// not in the URL (seen against kube-apiserver v1.37.2).
		name: "a delete with dryRun in its DeleteOptions body is not a deletion",
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")},
			{minute: 1, verb: "delete", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web",
				req:  j(`{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"]}`),
				resp: j(`{"kind":"Status","apiVersion":"v1","status":"Success","details":{"name":"allow-web","group":"networking.k8s.io","kind":"networkpolicies"}}`)},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if got := actions(h); got != "created" || r.Summary.DryRuns != 1 {
				t.Errorf("history %s, dry runs %d: want the create only and one dry run", got, r.Summary.DryRuns)
			}
		},
	}, {
		name: "a delete logged without its DeleteOptions may have been a dry run: said, not guessed",
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")},
			{minute: 1, verb: "delete", level: "Metadata", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web"},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if len(h) != 2 || h[1].Action != history.ActionDeleted || !strings.Contains(h[1].Note, "dry run cannot be told") {
				t.Errorf("history %s, note %q", actions(h), h[len(h)-1].Note)
			}
		},
	}, {
		// kubectl apply --server-side of a new object is a patch answered 201 Created.
		name: "a server-side apply that creates the object is a creation",
		events: []ev{{verb: "patch", code: 201, res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", query: "fieldManager=kubectl",
			req:  j(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-web","namespace":"shop"},"spec":{"podSelector":{}}}`),
			resp: netpol("80", "1", "")}},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if len(h) != 1 || h[0].Action != history.ActionCreated || h[0].Baseline != history.BaselineKnown || h[0].Verb != "patch" {
				t.Fatalf("history %s baseline %s verb %s", actions(h), h[0].Baseline, h[0].Verb)
			}
			if r.Summary.UnknownBaseline != 0 {
				t.Errorf("unknown baselines %d", r.Summary.UnknownBaseline)
			}
		},
	}, {
		// The generated policy logs pods/status at Metadata: a kubelet's status write must not
		// make the pod's spec and labels unknown to the next change.
		name: "a status write logged without bodies leaves the rest of the state known",
		events: []ev{
			{minute: 0, verb: "create", res: "pods", ns: "shop", req: pod("web-1", "shop", "", "", ""), resp: pod("web-1", "shop", "", "", "")},
			{minute: 1, verb: "patch", level: "Metadata", res: "pods/status", ns: "shop", name: "web-1", user: "system:node:node-1"},
			{minute: 2, verb: "patch", res: "pods", ns: "shop", name: "web-1", user: "bob", req: j(`{"metadata":{"labels":{"tier":"front"}}}`),
				resp: pod("web-1", "shop", `,"labels":{"app":"web","tier":"front"}`, "", `,"podIP":"10.0.0.9"`)},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, "pods", "shop", "web-1")
			last := h[len(h)-1]
			if last.Baseline != history.BaselineKnown || diffText(last.Diff) != "metadata.labels.tier added -> \"front\"" {
				t.Errorf("baseline %s diff %s", last.Baseline, diffText(last.Diff))
			}
		},
	}, {
		// Seen against kube-apiserver v1.37.2: the namespace controller empties the namespace,
		// then clears spec.finalizers through namespaces/finalize, and the API server removes
		// the namespace without logging a delete.
		name: "a namespace is gone when namespaces/finalize clears its last finalizer",
		events: []ev{
			{minute: 0, verb: "create", res: "namespaces", name: "temp", req: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"temp"}}`),
				resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"temp","uid":"u-ns"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`)},
			{minute: 1, verb: "create", res: "serviceaccounts", ns: "temp", req: j(`{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa"}}`),
				resp: j(`{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa","namespace":"temp","uid":"u-sa"}}`)},
			{minute: 2, verb: "delete", res: "namespaces", name: "temp", user: "admin",
				resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"temp","uid":"u-ns","deletionTimestamp":"2026-11-02T09:02:00Z"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating"}}`)},
			{minute: 3, verb: "update", res: "namespaces/finalize", name: "temp", user: "system:serviceaccount:kube-system:namespace-controller",
				req:  j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"temp","uid":"u-ns","deletionTimestamp":"2026-11-02T09:02:00Z"},"spec":{},"status":{"phase":"Terminating"}}`),
				resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"temp","uid":"u-ns","deletionTimestamp":"2026-11-02T09:02:00Z"},"spec":{},"status":{"phase":"Terminating"}}`)},
		},
		check: func(t *testing.T, r *Report) {
			ns := find(t, r, "namespaces", "", "temp")
			if got := actions(ns); got != "created,deletion-requested,finalized" {
				t.Errorf("namespace history %s", got)
			}
			// The finalize that removes it is its deletion, counted as one, not churn.
			if last := ns[len(ns)-1]; last.Class != history.ClassConfiguration {
				t.Errorf("the namespace's removal is of class %s", last.Class)
			}
			for _, k := range r.Summary.Kinds {
				if k.Resource == "namespaces" && (k.Deleted != 1 || k.SubresourceChanges != 0) {
					t.Errorf("namespaces counted %d deleted, %d subresource writes; want 1 and 0", k.Deleted, k.SubresourceChanges)
				}
			}
			if got := actions(find(t, r, "serviceaccounts", "temp", "sa")); got != "created,deleted-with-namespace" {
				t.Errorf("service account history %s: the namespace's removal ends it", got)
			}
		},
	}, {
		name: "a denied write is a failed attempt, not a change",
		events: []ev{{verb: "delete", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", user: "mallory", code: 403, reason: "Forbidden",
			annot: map[string]string{"authorization.k8s.io/decision": "forbid"}}},
		check: func(t *testing.T, r *Report) {
			if len(r.Resources) != 0 || len(r.FailedAttempts) != 1 {
				t.Fatalf("resources %s, failed %d", names(r), len(r.FailedAttempts))
			}
			f := r.FailedAttempts[0]
			if f.User != "mallory" || f.Code != 403 || f.Reason != "Forbidden" || f.Name != "allow-web" || f.Verb != "delete" || f.Decision != "forbid" {
				t.Errorf("failed attempt %+v", f)
			}
			if r.Summary.FailedAttempts != 1 || r.Summary.Actors[0].User != "mallory" || r.Summary.Actors[0].FailedAttempts != 1 {
				t.Errorf("summary %+v", r.Summary)
			}
		},
	}, {
		name: "a patch is diffed against the state before --since, without noise",
		opts: Options{Period: since(30)},
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")},
			{minute: 60, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", user: "bob",
				req: j(`{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`), resp: netpol("443", "2", "")},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if len(h) != 1 {
				t.Fatalf("history %s: the create before --since is state, not history", actions(h))
			}
			if got, want := diffText(h[0].Diff), `spec.ingress[0].ports[0].port changed 80 -> 443`; got != want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, want)
			}
			if h[0].Baseline != history.BaselineKnown || h[0].User != "bob" || h[0].Verb != "patch" || h[0].Code != 200 || h[0].Level != "RequestResponse" || h[0].Source != "node-1.log" {
				t.Errorf("change %+v", h[0])
			}
		},
	}, {
		name: "with --diff-noise the noise is shown, and last-applied stays redacted",
		opts: Options{Period: since(30), Noise: true},
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")},
			{minute: 60, verb: "update", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", req: netpol("443", "1", ""), resp: netpol("443", "2", "")},
		},
		check: func(t *testing.T, r *Report) {
			got := diffText(find(t, r, npRes.res, "shop", "allow-web")[0].Diff)
			for _, want := range []string{`metadata.generation changed 1 -> 2`, `metadata.resourceVersion changed "1" -> "2"`,
				`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] changed "<redacted>" -> "<redacted>"`, `spec.ingress[0].ports[0].port changed 80 -> 443`} {
				if !strings.Contains(got, want) {
					t.Errorf("diff lacks %q:\n%s", want, got)
				}
			}
		},
	}, {
		name: "a patch on an object never seen has an unknown baseline and shows what the request set",
		events: []ev{{verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web",
			req: j(`{"spec":{"ingress":[{"ports":[{"port":443}]}]}}`), resp: netpol("443", "7", "")}},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if h[0].Baseline != history.BaselineUnknown || diffText(h[0].Diff) != `spec.ingress[0].ports[0].port set -> 443` {
				t.Errorf("baseline %s diff\n%s", h[0].Baseline, diffText(h[0].Diff))
			}
			if r.Summary.UnknownBaseline != 1 {
				t.Errorf("unknownBaseline = %d", r.Summary.UnknownBaseline)
			}
		},
	}, {
		name: "a JSON patch with an unknown baseline lists its operations",
		events: []ev{{verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web",
			req: j(`[{"op":"replace","path":"/spec/podSelector/matchLabels/app","value":"api"},{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1name"}]`), resp: netpol("80", "7", "")}},
		check: func(t *testing.T, r *Report) {
			want := "spec.podSelector.matchLabels.app set -> \"api\"\nmetadata.labels[\"app.kubernetes.io/name\"] removed"
			if got := diffText(find(t, r, npRes.res, "shop", "allow-web")[0].Diff); got != want {
				t.Errorf("diff\n%s\nwant\n%s", got, want)
			}
		},
	}, {
		name: "a Metadata-level change is listed without a diff, and the state after it is unknown",
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", req: netpol("80", "1", ""), resp: netpol("80", "1", "")},
			{minute: 10, verb: "update", level: "Metadata", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web"},
			{minute: 20, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", req: j(`{"spec":{"policyTypes":["Ingress"]}}`), resp: netpol("443", "3", "")},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if h[1].Diff != nil || !strings.Contains(h[1].Note, "logged without bodies (level Metadata)") || h[1].Level != "Metadata" {
				t.Errorf("metadata change: %+v", h[1])
			}
			if h[2].Baseline != history.BaselineUnknown || diffText(h[2].Diff) != `spec.policyTypes[0] set -> "Ingress"` {
				t.Errorf("after it: baseline %s diff %s", h[2].Baseline, diffText(h[2].Diff))
			}
			if r.Summary.NoDiff != 1 {
				t.Errorf("noDiff = %d", r.Summary.NoDiff)
			}
		},
	}, {
		name: "graceful deletion shows the request and the removal",
		events: []ev{
			{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			{minute: 5, verb: "delete", res: "pods", ns: "shop", name: "web-1", user: "bob", req: j(`{"kind":"DeleteOptions","apiVersion":"v1"}`),
				resp: pod("web-1", "shop", `,"deletionTimestamp":"2026-11-02T09:05:30Z","deletionGracePeriodSeconds":30`, "", "")},
			{minute: 6, verb: "delete", res: "pods", ns: "shop", name: "web-1", user: "system:node:node-1", req: j(`{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"uid-web-1"}}`),
				resp: pod("web-1", "shop", `,"deletionTimestamp":"2026-11-02T09:05:30Z","deletionGracePeriodSeconds":0`, "", "")},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, "pods", "shop", "web-1")
			if got := actions(h); got != "created,deletion-requested,deleted" {
				t.Errorf("actions %s", got)
			}
			if !strings.Contains(diffText(h[1].Diff), "metadata.deletionTimestamp added") {
				t.Errorf("deletion request diff: %s", diffText(h[1].Diff))
			}
		},
	}, {
		name: "an object held by finalizers is requested for deletion, then removed when the last finalizer goes",
		events: []ev{
			{minute: 0, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", resp: netpol("80", "1", `,"finalizers":["example.com/protect"]`)},
			{minute: 5, verb: "delete", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", resp: netpol("80", "2", `,"finalizers":["example.com/protect"],"deletionTimestamp":"2026-11-02T09:05:00Z","deletionGracePeriodSeconds":0`)},
			{minute: 9, verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", user: "system:serviceaccount:kube-system:protector",
				req: j(`{"metadata":{"finalizers":null}}`), resp: netpol("80", "3", `,"deletionTimestamp":"2026-11-02T09:05:00Z","deletionGracePeriodSeconds":0`)},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, npRes.res, "shop", "allow-web")
			if got := actions(h); got != "created,deletion-requested,finalized" {
				t.Errorf("actions %s", got)
			}
		},
	}, {
		name: "deleting a namespace ends the histories inside it",
		events: []ev{
			{minute: 0, verb: "create", res: "namespaces", ns: "shop", name: "shop", resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","uid":"ns-1"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`)},
			{minute: 1, verb: "create", res: npRes.res, group: npRes.group, ns: "shop", resp: netpol("80", "1", "")},
			{minute: 2, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			{minute: 3, verb: "create", res: "pods", ns: "other", name: "web-1", resp: pod("web-1", "other", "", "", "")},
			{minute: 10, verb: "delete", res: "namespaces", ns: "shop", name: "shop", user: "bob",
				resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","uid":"ns-1","deletionTimestamp":"2026-11-02T09:10:00Z"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating"}}`)},
			{minute: 11, verb: "update", res: "namespaces/finalize", ns: "shop", name: "shop", user: "system:serviceaccount:kube-system:namespace-controller",
				resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","uid":"ns-1","deletionTimestamp":"2026-11-02T09:10:00Z"},"spec":{},"status":{"phase":"Terminating"}}`)},
		},
		check: func(t *testing.T, r *Report) {
			// The finalize that clears the last finalizer removes the namespace: a real
			// kube-apiserver logs no delete after it.
			if got := actions(find(t, r, "namespaces", "", "shop")); got != "created,deletion-requested,finalized" {
				t.Errorf("namespace: %s", got)
			}
			for _, o := range []struct{ res, ns, name string }{{npRes.res, "shop", "allow-web"}, {"pods", "shop", "web-1"}} {
				h := find(t, r, o.res, o.ns, o.name)
				if got := actions(h); got != "created,deleted-with-namespace" {
					t.Errorf("%s: %s", o.res, got)
				}
			}
			if got := actions(find(t, r, "pods", "other", "web-1")); got != "created" {
				t.Errorf("a pod in another namespace: %s", got)
			}
		},
	}, {
		name: "deletecollection removes the matching objects and is kept as a request of its own",
		events: []ev{
			{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			{minute: 0, verb: "create", res: "pods", ns: "shop", name: "db-1", resp: j(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"db-1","namespace":"shop","labels":{"app":"db"}}}`)},
			{minute: 5, verb: "deletecollection", res: "pods", ns: "shop", user: "bob", query: "labelSelector=app%3Dweb", level: "Request"},
		},
		check: func(t *testing.T, r *Report) {
			if got := actions(find(t, r, "pods", "shop", "web-1")); got != "created,deleted-by-collection" {
				t.Errorf("web-1: %s", got)
			}
			if got := actions(find(t, r, "pods", "shop", "db-1")); got != "created" {
				t.Errorf("db-1 does not match the selector: %s", got)
			}
			var coll *history.Resource
			for i := range r.Resources {
				if r.Resources[i].Collection {
					coll = &r.Resources[i]
				}
			}
			if coll == nil || coll.History[0].User != "bob" || coll.History[0].Action != history.ActionDeleteCollection || !strings.Contains(coll.History[0].Note, "deleted 1 tracked object") {
				t.Errorf("collection entry %+v", coll)
			}
			// One pod was deleted: the request is not a deletion besides the pod's own row,
			// nor a change, but a request counted apart.
			for _, k := range r.Summary.Kinds {
				if k.Resource == "pods" && (k.Deleted != 1 || k.DeletionRequested != 0 || k.Changes != 3 || k.DeleteCollections != 1) {
					t.Errorf("pods counted %+v, want 1 deleted, 3 changes, 1 deletecollection", k)
				}
			}
		},
	}, {
		name: "status churn is a subresource change and stays out of the next configuration diff",
		events: []ev{
			{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			{minute: 1, verb: "create", res: "pods/binding", ns: "shop", name: "web-1", user: "system:kube-scheduler",
				req:  j(`{"kind":"Binding","apiVersion":"v1","metadata":{"name":"web-1","namespace":"shop"},"target":{"kind":"Node","name":"node-2"}}`),
				resp: j(`{"kind":"Status","apiVersion":"v1","status":"Success","code":201}`)},
			{minute: 2, verb: "patch", res: "pods/status", ns: "shop", name: "web-1", user: "system:node:node-2",
				req: j(`{"status":{"phase":"Running"}}`), resp: pod("web-1", "shop", "", `,"nodeName":"node-2"`, `,"podIP":"10.244.1.7"`)},
			{minute: 3, verb: "patch", res: "pods", ns: "shop", name: "web-1", user: "bob",
				req: j(`{"metadata":{"labels":{"tier":"front"}}}`), resp: pod("web-1", "shop", `,"labels":{"app":"web","tier":"front"}`, `,"nodeName":"node-2"`, `,"podIP":"10.244.1.8"`)},
		},
		check: func(t *testing.T, r *Report) {
			h := find(t, r, "pods", "shop", "web-1")
			if got := actions(h); got != "created,subresource,subresource,modified" {
				t.Fatalf("actions %s", got)
			}
			if h[1].Class != history.ClassSubresource || h[1].Subresource != "binding" || diffText(h[1].Diff) != `spec.nodeName added -> "node-2"` {
				t.Errorf("binding: %s %s %s", h[1].Class, h[1].Subresource, diffText(h[1].Diff))
			}
			if got := diffText(h[2].Diff); got != `status.podIP added -> "10.244.1.7"` {
				t.Errorf("status diff:\n%s", got)
			}
			if got := diffText(h[3].Diff); got != `metadata.labels.tier added -> "front"` {
				t.Errorf("the human's change shows status or nodeName:\n%s", got)
			}
			if r.Summary.Changes != 2 || r.Summary.SubresourceChanges != 2 {
				t.Errorf("changes %d, subresource %d", r.Summary.Changes, r.Summary.SubresourceChanges)
			}
			if k := r.Summary.Kinds[0]; k.Resource != "pods" || k.SubresourceChanges != 2 || k.Changes != 2 || k.Created != 1 || k.Modified != 1 {
				t.Errorf("kind summary %+v", k)
			}
		},
	}, {
		name:   "container env values are redacted by default",
		events: []ev{{verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")}},
		check: func(t *testing.T, r *Report) {
			b, _ := json.Marshal(r)
			if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), `"prod"`) {
				t.Errorf("an env value leaked into the report")
			}
			if !strings.Contains(diffText(find(t, r, "pods", "shop", "web-1")[0].Diff), `spec.containers[0].env[0].value added -> "<redacted>"`) {
				t.Errorf("no redacted value in the diff")
			}
		},
	}, {
		name:   "--show-secrets shows env values",
		opts:   Options{ShowSecrets: true},
		events: []ev{{verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")}},
		check: func(t *testing.T, r *Report) {
			if !strings.Contains(diffText(find(t, r, "pods", "shop", "web-1")[0].Diff), `spec.containers[0].env[0].value added -> "hunter2"`) {
				t.Errorf("value not shown")
			}
		},
	}, {
		name: "a change of a secret value is still shown as a change, redacted",
		events: []ev{
			{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			{minute: 1, verb: "update", res: "pods", ns: "shop", name: "web-1", resp: j(strings.Replace(mustJSON(pod("web-1", "shop", "", "", "")), "hunter2", "hunter3", 1))},
		},
		check: func(t *testing.T, r *Report) {
			if got := diffText(find(t, r, "pods", "shop", "web-1")[1].Diff); got != `spec.containers[0].env[0].value changed "<redacted>" -> "<redacted>"` {
				t.Errorf("diff %s", got)
			}
		},
	}, {
		name: "an impersonated change is attributed to the impersonated user",
		events: []ev{{verb: "create", res: "serviceaccounts", ns: "shop", name: "deployer", user: "admin", imp: "alice",
			resp: j(`{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"deployer","namespace":"shop"}}`)}},
		check: func(t *testing.T, r *Report) {
			c := find(t, r, "serviceaccounts", "shop", "deployer")[0]
			if c.User != "admin" || c.ImpersonatedUser != "alice" || r.Summary.Actors[0].User != "alice" {
				t.Errorf("change %+v, actors %+v", c, r.Summary.Actors)
			}
		},
	}, {
		name: "a write logged only at RequestReceived is kept, with its outcome unknown",
		events: []ev{{verb: "patch", res: npRes.res, group: npRes.group, ns: "shop", name: "allow-web", stage: "RequestReceived", level: "Request",
			req: j(`{"spec":{"podSelector":{}}}`)}},
		check: func(t *testing.T, r *Report) {
			c := find(t, r, npRes.res, "shop", "allow-web")[0]
			if !strings.Contains(c.Note, "outcome is not known") || diffText(c.Diff) != "spec.podSelector set -> {}" {
				t.Errorf("change %+v", c)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, build(t, tc.opts, tc.events...))
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Kinds added with --kinds are followed like the default ones: a Calico GlobalNetworkPolicy
// (cluster-scoped, projectcalico.org) and an EndpointSlice.
func TestExtraKinds(t *testing.T) {
	kinds := append(append([]audit.Kind(nil), DefaultKinds...),
		audit.Kind{Group: "projectcalico.org", Resource: "globalnetworkpolicies"}, audit.Kind{Group: "discovery.k8s.io", Resource: "endpointslices"})
	gnp := func(order string) any {
		return j(`{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"deny-egress","uid":"g-1","resourceVersion":"5"},
		"spec":{"order":` + order + `,"selector":"all()","types":["Egress"],"egress":[{"action":"Deny"}]}}`)
	}
	r := build(t, Options{Kinds: kinds},
		ev{minute: 0, verb: "create", res: "globalnetworkpolicies", group: "projectcalico.org", name: "deny-egress", resp: gnp("100")},
		ev{minute: 5, verb: "update", res: "globalnetworkpolicies", group: "projectcalico.org", name: "deny-egress", user: "bob", resp: gnp("10")},
		ev{minute: 6, verb: "create", res: "endpointslices", group: "discovery.k8s.io", ns: "shop", name: "web-abc12",
			resp: j(`{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-abc12","namespace":"shop"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.7"]}]}`)},
	)
	h := find(t, r, "globalnetworkpolicies", "", "deny-egress")
	if got := diffText(h[1].Diff); got != "spec.order changed 100 -> 10" {
		t.Errorf("diff %s", got)
	}
	for _, res := range r.Resources {
		if res.Resource == "globalnetworkpolicies" && (res.Kind != "GlobalNetworkPolicy" || res.Namespace != "") {
			t.Errorf("resource %+v", res)
		}
	}
	if got := actions(find(t, r, "endpointslices", "shop", "web-abc12")); got != "created" {
		t.Errorf("endpointslice: %s", got)
	}
}

// The API server refuses to create an object that exists: a second create with no deletion
// between, of another uid, says a deletion was lost; one after a deletion does not, nor one of
// the same uid (the object a snapshot taken after the logs begin already holds).
func TestCreatedAgainSaysADeletionWasLost(t *testing.T) {
	web := func(uid string) any {
		return j(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"shop","uid":"` + uid + `"},"spec":{"containers":[{"name":"app","image":"web:1"}]}}`)
	}
	r := build(t, Options{},
		ev{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web", resp: web("u1")},
		ev{minute: 5, verb: "create", res: "pods", ns: "shop", name: "web", resp: web("u2")},
		ev{minute: 6, verb: "create", res: "pods", ns: "shop", name: "web", resp: web("u2")},
		ev{minute: 7, verb: "delete", res: "pods", ns: "shop", name: "web"},
		ev{minute: 8, verb: "create", res: "pods", ns: "shop", name: "web", resp: web("u3")})
	var notes []string
	for _, c := range find(t, r, "pods", "shop", "web") {
		if c.Action == "created" {
			notes = append(notes, c.Note)
		}
	}
	again := func(n string) bool { return strings.Contains(n, "a deletion was lost") }
	if len(notes) != 4 || again(notes[0]) || !again(notes[1]) || again(notes[2]) || again(notes[3]) {
		t.Errorf("the creates' notes: %q", notes)
	}
	// The trail lost a write: a gap says so, and the verdict is not a pass.
	if g := hasGap(r, coverage.GapLostWrite, coverage.SeverityWarning); g == nil || g.Count != 1 || r.Verdict != coverage.VerdictGaps {
		t.Errorf("lost-write gap %+v, verdict %s; gaps %s", g, r.Verdict, gapTypes(r))
	}
}
