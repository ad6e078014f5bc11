package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/gen"
	"github.com/auditreport/auditreport/report/history"
)

// t0 is the start of every test scenario.
var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// ev builds an audit event line in the API server's layout. minute places it after t0.
type ev struct {
	minute   int
	verb     string
	user     string
	imp      string
	level    string // default RequestResponse
	res      string // resource, or resource/subresource
	group    string
	ns, name string
	uri      string // default derived; query appended from query
	query    string
	code     int // default 200 (201 for create)
	reason   string
	req      any
	resp     any
	stage    string
	annot    map[string]string
}

var idSeq int

func (e ev) line() string {
	idSeq++
	res, sub, _ := strings.Cut(e.res, "/")
	level := e.level
	if level == "" {
		level = "RequestResponse"
	}
	code := e.code
	if code == 0 {
		code = 200
		if e.verb == "create" {
			code = 201
		}
	}
	version := "v1"
	prefix := "/api/v1"
	if e.group != "" {
		prefix = "/apis/" + e.group + "/v1"
	}
	uri := e.uri
	if uri == "" {
		uri = prefix
		if e.ns != "" && !(res == "namespaces" && e.group == "") {
			uri += "/namespaces/" + e.ns
		}
		uri += "/" + res
		if e.name != "" {
			uri += "/" + e.name
		}
		if sub != "" {
			uri += "/" + sub
		}
	}
	if e.query != "" {
		uri += "?" + e.query
	}
	user := gen.User{Username: e.user, Groups: []string{"system:authenticated"}}
	if e.user == "" {
		user.Username = "alice@example.com"
	}
	stage := e.stage
	if stage == "" {
		stage = "ResponseComplete"
	}
	t := t0.Add(time.Duration(e.minute) * time.Minute)
	out := gen.Event{Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: level, AuditID: fmt.Sprintf("00000000-0000-4000-8000-%012d", idSeq),
		Stage: stage, RequestURI: uri, Verb: e.verb, User: user, SourceIPs: []string{"192.0.2.10"}, UserAgent: "kubectl/v1.34.1 (linux/amd64) kubernetes/abc1234",
		ObjectRef:                &gen.ObjectRef{Resource: res, Namespace: e.ns, Name: e.name, APIGroup: e.group, APIVersion: version, Subresource: sub},
		RequestReceivedTimestamp: t.Format(gen.TimeFormat), StageTimestamp: t.Add(5 * time.Millisecond).Format(gen.TimeFormat), Annotations: e.annot}
	if e.imp != "" {
		out.ImpersonatedUser = &gen.User{Username: e.imp}
	}
	if stage != "RequestReceived" {
		out.ResponseStatus = &gen.Status{Code: code, Reason: e.reason}
		if code >= 300 {
			out.ResponseStatus.Status = "Failure"
		}
	}
	if level == "Request" || level == "RequestResponse" {
		out.RequestObject = e.req
	}
	if level == "RequestResponse" {
		out.ResponseObject = e.resp
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// j decodes a JSON literal for a body.
func j(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(fmt.Sprintf("bad JSON in test: %v: %s", err, s))
	}
	return v
}

// build runs the report over the events as one source.
// buildDir builds the report of the logs in a folder (or files) of testdata.
func buildDir(t *testing.T, dir string, opts Options) *Report {
	t.Helper()
	src, err := audit.Resolve([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func build(t *testing.T, opts Options, events ...ev) *Report {
	t.Helper()
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.line())
		b.WriteByte('\n')
	}
	if opts.Now.IsZero() {
		opts.Now = t0.Add(48 * time.Hour)
	}
	r, err := Build(context.Background(), []audit.Source{audit.ReaderSource("node-1.log", strings.NewReader(b.String()))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// find returns the history of one object, failing the test when it has none.
func find(t *testing.T, r *Report, resource, ns, name string) []history.Change {
	t.Helper()
	for _, res := range r.Resources {
		if res.Resource == resource && res.Namespace == ns && res.Name == name && !res.Collection {
			return res.History
		}
	}
	t.Fatalf("no history for %s %s/%s; have %s", resource, ns, name, names(r))
	return nil
}

func names(r *Report) string {
	var out []string
	for _, res := range r.Resources {
		out = append(out, res.Resource+":"+res.Namespace+"/"+res.Name)
	}
	return strings.Join(out, ", ")
}

// diffText writes a diff as "path op old -> new" lines, the way a reader compares them.
func diffText(d []history.FieldChange) string {
	var out []string
	for _, f := range d {
		s := f.Path + " " + f.Op
		if f.Old != nil {
			s += " " + string(f.Old)
		}
		if f.New != nil {
			s += " -> " + string(f.New)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func actions(h []history.Change) string {
	var out []string
	for _, c := range h {
		out = append(out, c.Action)
	}
	return strings.Join(out, ",")
}

func since(minute int) Period {
	s := t0.Add(time.Duration(minute) * time.Minute)
	return Period{Start: &s}
}
