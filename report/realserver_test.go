package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/history"
)

// The recording of a real control plane (kube-apiserver, kube-controller-manager and etcd
// v1.37 built from the Go module proxy, driven by client-go as several users): what it
// logged, what was asked of it and what it answered, and the objects it listed at several
// instants. make e2e makes it again; testdata/logs/real-apiserver/README.md says how.
const realDir = "../testdata/logs/real-apiserver"

// realRequest is one line of requests.jsonl, written by e2e/harness.
type realRequest struct {
	Seq         int       `json:"seq"`
	Step        string    `json:"step"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	User        string    `json:"user"`
	Impersonate string    `json:"impersonate"`
	Verb        string    `json:"verb"`
	Group       string    `json:"group"`
	Resource    string    `json:"resource"`
	Subresource string    `json:"subresource"`
	Namespace   string    `json:"namespace"`
	Name        string    `json:"name"`
	DryRun      bool      `json:"dryRun"`
	Code        int       `json:"code"`
	AuditID     string    `json:"auditID"`
}

func (r realRequest) String() string {
	return fmt.Sprintf("#%d %s: %s %s %s/%s/%s %s (code %d, auditID %s)", r.Seq, r.Step, r.User, r.Verb, r.Resource, r.Namespace, r.Name, r.Subresource, r.Code, r.AuditID)
}

func (r realRequest) write() bool {
	switch r.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// inScope reports whether the request writes one of the default kinds.
func (r realRequest) inScope() bool {
	for _, k := range DefaultKinds {
		if k.Group == r.Group && k.Resource == r.Resource {
			return true
		}
	}
	return false
}

type realSnapshot struct {
	Name   string    `json:"name"`
	Before time.Time `json:"before"`
	After  time.Time `json:"after"`
	File   string    `json:"file"`
}

func readRealRecording(t *testing.T) ([]realRequest, []realSnapshot) {
	t.Helper()
	f, err := os.Open(filepath.Join(realDir, "requests.jsonl"))
	if err != nil {
		t.Fatalf("the real API server's recording is missing (make e2e makes it): %v", err)
	}
	defer f.Close()
	var reqs []realRequest
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r realRequest
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	b, err := os.ReadFile(filepath.Join(realDir, "snapshots", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var snaps []realSnapshot
	if err := json.Unmarshal(b, &snaps); err != nil {
		t.Fatal(err)
	}
	return reqs, snaps
}

// realSources are the two audit backends' records of the same run.
func realSources(t *testing.T, backend string) []audit.Source {
	t.Helper()
	src, err := audit.Resolve([]string{filepath.Join(realDir, backend) + "/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Every write the harness made is in the report as the API server answered it: a change
// once, with its real user and verb, when it took effect; a failed attempt with its real
// code when refused; nothing when it was a dry run. And nothing else by those users.
func TestRealAPIServerHistories(t *testing.T) {
	reqs, _ := readRealRecording(t)
	for _, backend := range []string{"log", "webhook"} {
		t.Run(backend, func(t *testing.T) {
			rep, err := Build(context.Background(), realSources(t, backend), Options{Now: time.Now(), ShowSecrets: true})
			if err != nil {
				t.Fatal(err)
			}
			changes := map[string][]history.Change{}
			var all []history.Change
			for _, r := range rep.Resources {
				for _, c := range r.History {
					changes[c.AuditID] = append(changes[c.AuditID], c)
					all = append(all, c)
				}
			}
			failed := map[string]history.FailedAttempt{}
			for _, f := range rep.FailedAttempts {
				failed[f.AuditID] = f
			}
			ours := map[string]bool{}
			users := map[string]bool{}
			dry := 0
			for _, r := range reqs {
				if !r.write() || !r.inScope() {
					continue
				}
				ours[r.AuditID] = true
				users[r.User] = true
				cs := changes[r.AuditID]
				switch {
				case r.DryRun:
					dry++
					if len(cs) > 0 {
						t.Errorf("a dry run is reported as a change: %s -> %s", r, cs[0].Action)
					}
				case r.Code >= 300:
					f, ok := failed[r.AuditID]
					if !ok {
						t.Errorf("a refused write is not among the failed attempts: %s", r)
					} else if int(f.Code) != r.Code || f.User != r.User {
						t.Errorf("failed attempt %s: code %d user %s", r, f.Code, f.User)
					}
					if len(cs) > 0 {
						t.Errorf("a refused write is reported as a change: %s", r)
					}
				default:
					own := 0
					for _, c := range cs {
						if c.Action != history.ActionCollection && c.Action != history.ActionWithNamespace {
							own++
						}
					}
					if own != 1 {
						t.Errorf("a write that took effect appears %d time(s): %s", own, r)
						continue
					}
					c := cs[0]
					if c.User != r.User || c.Verb != r.Verb || c.Code != int32(r.Code) {
						t.Errorf("%s reported as %s %s code %d", r, c.User, c.Verb, c.Code)
					}
					if r.Impersonate != "" && c.ImpersonatedUser != r.Impersonate {
						t.Errorf("%s: impersonated user %q", r, c.ImpersonatedUser)
					}
					if r.Code == 201 && r.Subresource == "" && c.Action != history.ActionCreated {
						t.Errorf("%s: a write answered 201 Created is reported as %s", r, c.Action)
					}
				}
			}
			if rep.Summary.DryRuns != int64(dry) {
				t.Errorf("dry runs: report %d, harness %d", rep.Summary.DryRuns, dry)
			}
			for _, c := range all {
				if users[c.User] && !ours[c.AuditID] {
					t.Errorf("a change no request of the harness made: %s %s %s at %s", c.User, c.Verb, c.Action, c.Time)
				}
			}
		})
	}
}

// The log and webhook backends recorded the same requests: the histories are the same.
func TestRealAPIServerBackendsAgree(t *testing.T) {
	hist := func(backend string) []history.Resource {
		rep, err := Build(context.Background(), realSources(t, backend), Options{Now: time.Now(), ShowSecrets: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rep.Resources {
			for j := range rep.Resources[i].History {
				c := &rep.Resources[i].History[j]
				c.Source, c.Line = "", 0
			}
		}
		return rep.Resources
	}
	if d := cmp.Diff(hist("log"), hist("webhook"), cmpopts.IgnoreUnexported(history.Resource{})); d != "" {
		t.Errorf("the two backends give different histories (-log +webhook):\n%s", d)
	}
}

// The state the trail gives at each instant the harness listed the objects is what the
// API server listed, except what the trail cannot hold, and that is marked.
func TestRealAPIServerStateAt(t *testing.T) {
	_, snaps := readRealRecording(t)
	for _, backend := range []string{"log", "webhook"} {
		for _, sn := range snaps {
			t.Run(backend+"/"+sn.Name, func(t *testing.T) {
				st, err := StateAt(context.Background(), realSources(t, backend), Options{ShowSecrets: true}, sn.After)
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(realDir, "snapshots", sn.File))
				if err != nil {
					t.Fatal(err)
				}
				var list struct {
					Items []map[string]any `json:"items"`
				}
				if err := json.Unmarshal(b, &list); err != nil {
					t.Fatal(err)
				}
				real := map[string]map[string]any{}
				for _, it := range list.Items {
					real[stateKey(it)] = it
				}
				got := map[string]StateObject{}
				for _, o := range st.Objects {
					got[stateKey(o.Object)] = o
				}
				for _, k := range sortedKeysOf(real) {
					o, ok := got[k]
					if !ok {
						t.Errorf("%s existed, the state does not list it", k)
						continue
					}
					want := normalise(real[k], o.State)
					have := normalise(o.Object, o.State)
					if d := cmp.Diff(want, have); d != "" {
						t.Errorf("%s (state %s: %s) differs from the API server's (-real +state):\n%s", k, o.State, o.Reason, d)
					}
				}
				for _, k := range sortedKeysOf(got) {
					if _, ok := real[k]; !ok && got[k].State != StateUnknown {
						// An unknown object may be gone: a delete that may have been a dry
						// run leaves it listed as unknown, with the reason.
						t.Errorf("%s is in the state (%s) but did not exist", k, got[k].State)
					}
				}
			})
		}
	}
}

func stateKey(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v/%v", o["kind"], meta["namespace"], meta["name"])
}

// normalise drops what a state cannot hold (managedFields) and marks, and what its state
// says is not known: the status of a partial object, all but the name of an unknown one.
func normalise(o map[string]any, state string) any {
	b, _ := json.Marshal(o)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	meta, _ := c["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	delete(meta, "managedFields")
	if ann, ok := meta["annotations"].(map[string]any); ok {
		delete(ann, StateAnnotation)
		delete(ann, StateReasonAnnotation)
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
	switch state {
	case StatePartial:
		delete(c, "status")
		delete(meta, "resourceVersion")
	case StateUnknown:
		return map[string]any{"kind": c["kind"], "name": meta["name"], "namespace": meta["namespace"]}
	}
	return c
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// An instant after the trail's end gets a warning, as one before its first write does: the
// state is the one the trail ends with, and the objects may have changed since.
func TestStateAfterTheTrailEndsWarns(t *testing.T) {
	src, err := audit.Resolve([]string{filepath.Join("..", "testdata", "logs", "posture") + "/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		warn bool
	}{
		{time.Date(2026, 12, 1, 20, 6, 40, 0, time.UTC), true},
		{time.Date(2026, 11, 30, 16, 6, 30, 0, time.UTC), false},
	} {
		st, err := StateAt(context.Background(), src, Options{}, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		warned := len(st.Warnings) == 1 && strings.Contains(st.Warnings[0], "the trail ends at 2026-11-30T16:06:36") &&
			strings.Contains(st.Warnings[0], "may have changed since")
		if warned != tc.warn || len(st.Objects) == 0 {
			t.Errorf("at %s: %d objects, warnings %q, summary %q", tc.at, len(st.Objects), st.Warnings, st.Summary())
		}
	}
}
