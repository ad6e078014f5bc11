package harness

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is one request the scenario made and the answer it got: the ground truth the
// report's histories are compared with.
type Request struct {
	Seq         int       `json:"seq"`
	Step        string    `json:"step"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	User        string    `json:"user"`
	Impersonate string    `json:"impersonate,omitempty"`
	Method      string    `json:"method"`
	URI         string    `json:"uri"`
	Verb        string    `json:"verb"`
	Group       string    `json:"group"`
	Resource    string    `json:"resource"`
	Subresource string    `json:"subresource,omitempty"`
	Namespace   string    `json:"namespace,omitempty"`
	// Name is the object's name: from the path, or from the answer for a create.
	Name string `json:"name,omitempty"`
	// DryRun is set when the request asked for a dry run, in the query or in its body.
	DryRun bool `json:"dryRun,omitempty"`
	Code   int  `json:"code"`
	// UID and ResourceVersion are the stored object's, from a successful answer.
	UID             string `json:"uid,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	ContentType     string `json:"contentType,omitempty"`
	// AuditID is the Audit-Id the API server answered with: the auditID of the events it
	// logged for this request.
	AuditID string `json:"auditID"`
}

// Write reports whether the request asked to change something.
func (r Request) Write() bool {
	switch r.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// Recorder keeps every request made through the transports it wraps.
type Recorder struct {
	mu   sync.Mutex
	step string
	reqs []Request
}

// Step names the scenario step the following requests belong to.
func (r *Recorder) Step(name string) {
	r.mu.Lock()
	r.step = name
	r.mu.Unlock()
}

// Requests returns what was recorded.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Wrap returns a transport that records the requests of one user.
func (r *Recorder) Wrap(user string) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		return &recording{rt: rt, rec: r, user: user}
	}
}

type recording struct {
	rt   http.RoundTripper
	rec  *Recorder
	user string
}

func (t *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		// Read the body to see a dryRun in DeleteOptions, and give the request a copy.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	start := time.Now()
	resp, err := t.rt.RoundTrip(req)
	end := time.Now()
	if err != nil {
		return resp, err
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if rerr != nil {
		return resp, rerr
	}
	rq := parsePath(req.Method, req.URL)
	rq.Start, rq.End, rq.User, rq.Code = start.UTC(), end.UTC(), t.user, resp.StatusCode
	rq.URI, rq.Method = req.URL.RequestURI(), req.Method
	rq.Impersonate = req.Header.Get("Impersonate-User")
	rq.ContentType = req.Header.Get("Content-Type")
	rq.AuditID = resp.Header.Get("Audit-Id")
	if _, ok := req.URL.Query()["dryRun"]; ok {
		rq.DryRun = true
	}
	if len(body) > 0 && bytes.Contains(body, []byte(`"dryRun"`)) {
		var opts struct {
			DryRun []string `json:"dryRun"`
		}
		if json.Unmarshal(body, &opts) == nil && len(opts.DryRun) > 0 {
			rq.DryRun = true
		}
	}
	if resp.StatusCode < 300 {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name, UID, ResourceVersion string
			} `json:"metadata"`
		}
		if json.Unmarshal(respBody, &m) == nil && m.Kind != "Status" && !strings.HasSuffix(m.Kind, "List") {
			if rq.Name == "" && rq.Subresource == "" {
				rq.Name = m.Metadata.Name
			}
			rq.UID, rq.ResourceVersion = m.Metadata.UID, m.Metadata.ResourceVersion
		}
	}
	t.rec.mu.Lock()
	rq.Step = t.rec.step
	rq.Seq = len(t.rec.reqs) + 1
	t.rec.reqs = append(t.rec.reqs, rq)
	t.rec.mu.Unlock()
	return resp, nil
}

// parsePath reads the group, resource, namespace, name and subresource of an API path,
// and the verb the API server gives the request.
func parsePath(method string, u *url.URL) Request {
	var r Request
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		r.Group = parts[1]
		parts = parts[3:]
	default:
		r.Verb = strings.ToLower(method)
		return r
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) != 2 {
		r.Namespace = parts[1]
		parts = parts[2:]
	}
	if len(parts) > 0 {
		r.Resource = parts[0]
	}
	if len(parts) > 1 {
		r.Name = parts[1]
	}
	if len(parts) > 2 {
		r.Subresource = parts[2]
	}
	if r.Resource == "namespaces" && r.Group == "" {
		r.Namespace = ""
	}
	switch method {
	case http.MethodPost:
		r.Verb = "create"
	case http.MethodPut:
		r.Verb = "update"
	case http.MethodPatch:
		r.Verb = "patch"
	case http.MethodDelete:
		r.Verb = "delete"
		if r.Name == "" {
			r.Verb = "deletecollection"
		}
	case http.MethodGet:
		r.Verb = "get"
		if r.Name == "" {
			r.Verb = "list"
		}
		if u.Query().Get("watch") == "true" {
			r.Verb = "watch"
		}
	}
	return r
}
