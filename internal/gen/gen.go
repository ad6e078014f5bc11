// Package gen writes realistic Kubernetes audit logs of any size: several control-plane nodes,
// several days, the mix of reads and writes a busy cluster produces, and coherent histories
// of the kinds network policy depends on. It is the benchmark input and a source of test
// scenarios; the lines have the exact layout of kube-apiserver's JSON log backend.
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// Config says what to generate.
type Config struct {
	// Bytes is the total size to write over all nodes (approximate, never less).
	Bytes int64
	// Nodes is the number of API servers; each writes its own log.
	Nodes int
	// Start and Days place the events in time.
	Start time.Time
	Days  float64
	// Seed makes the output reproducible.
	Seed uint64
	// ScopedPercent is the share of events that are writes on the five kinds, 1 to 100;
	// 0 means 10, a busy cluster's share. The rest are reads and other writes.
	ScopedPercent int
	// Steady, when above 0, keeps about that many live pods, service accounts and network
	// policies each, and makes no namespace past that many: a cluster that churns but does
	// not grow, so a longer period has more changes, not more live objects. 0: the cluster
	// grows with its period, as before.
	Steady int
}

// Event is an audit event in the field order kube-apiserver writes.
type Event struct {
	Kind                     string            `json:"kind"`
	APIVersion               string            `json:"apiVersion"`
	Level                    string            `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    string            `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     User              `json:"user"`
	ImpersonatedUser         *User             `json:"impersonatedUser,omitempty"`
	SourceIPs                []string          `json:"sourceIPs"`
	UserAgent                string            `json:"userAgent"`
	ObjectRef                *ObjectRef        `json:"objectRef,omitempty"`
	ResponseStatus           *Status           `json:"responseStatus,omitempty"`
	RequestObject            any               `json:"requestObject,omitempty"`
	ResponseObject           any               `json:"responseObject,omitempty"`
	RequestReceivedTimestamp string            `json:"requestReceivedTimestamp"`
	StageTimestamp           string            `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

// User is an audit user.
type User struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// ObjectRef is an audit objectRef in the API server's field order.
type ObjectRef struct {
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Subresource     string `json:"subresource,omitempty"`
}

// Status is an audit responseStatus.
type Status struct {
	Metadata struct{} `json:"metadata"`
	Status   string   `json:"status,omitempty"`
	Message  string   `json:"message,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Code     int      `json:"code"`
}

// TimeFormat is how the API server writes audit timestamps (metav1.MicroTime).
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Generator produces events in time order and hands each to the writer of its node.
type Generator struct {
	cfg Config
	rng *rand.Rand
	// nodes picks the API server of each request from its own stream: drawn from rng, the
	// node came out correlated with the kind drawn next (one server got 2 of 31 namespace
	// events).
	nodes   *rand.Rand
	rv      int64
	seq     uint64
	objects map[string]*object // by resource/namespace/name
	names   map[string][]string
	counts  Counts
}

// Counts says what was generated, for tests that check a reader against the generator.
type Counts struct {
	Events         int64
	Bytes          int64
	InScopeWrites  int64 // writes on pods, namespaces, serviceaccounts, networkpolicies, endpoints
	Changes        int64 // in-scope writes that succeeded and were not dry runs
	Denied         int64
	DryRuns        int64
	StatusWrites   int64
	ExtraStages    int64 // RequestReceived events before the final stage
	PerNode        []int64
	PerNodeEvents  []int64
	NamespacesMade int64
}

type object struct {
	resource, group, version, ns, name, uid string
	body                                    map[string]any
	deleting                                bool
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	if cfg.Nodes <= 0 {
		cfg.Nodes = 1
	}
	if cfg.Days <= 0 {
		cfg.Days = 1
	}
	if cfg.ScopedPercent <= 0 || cfg.ScopedPercent > 100 {
		cfg.ScopedPercent = 10
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	g := &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), nodes: rand.New(rand.NewChaCha8([32]byte{byte(cfg.Seed), byte(cfg.Seed >> 8), byte(cfg.Seed >> 16), byte(cfg.Seed >> 24), 'n', 'o', 'd', 'e'})),
		objects: map[string]*object{}, names: map[string][]string{}, rv: 100000}
	g.counts.PerNode = make([]int64, cfg.Nodes)
	g.counts.PerNodeEvents = make([]int64, cfg.Nodes)
	return g
}

// Run writes events until cfg.Bytes are written, one writer per node.
func (g *Generator) Run(out []io.Writer) (Counts, error) {
	if len(out) != g.cfg.Nodes {
		return g.counts, fmt.Errorf("want %d writers, got %d", g.cfg.Nodes, len(out))
	}
	ws := make([]*bufio.Writer, len(out))
	for i, w := range out {
		ws[i] = bufio.NewWriterSize(w, 1<<20)
	}
	// About 1.7 KB per event on average: spread the events evenly over the period.
	expected := max(g.cfg.Bytes/1700, 1)
	step := time.Duration(float64(g.cfg.Days*24*float64(time.Hour)) / float64(expected))
	t := g.cfg.Start
	for g.counts.Bytes < g.cfg.Bytes {
		t = t.Add(step/2 + time.Duration(g.rng.Int64N(int64(step)+1)))
		node := g.nodes.IntN(g.cfg.Nodes)
		for _, ev := range g.next(t) {
			line, err := json.Marshal(ev)
			if err != nil {
				return g.counts, err
			}
			line = append(line, '\n')
			if _, err := ws[node].Write(line); err != nil {
				return g.counts, err
			}
			g.counts.Events++
			g.counts.Bytes += int64(len(line))
			g.counts.PerNode[node] += int64(len(line))
			g.counts.PerNodeEvents[node]++
		}
	}
	for _, w := range ws {
		if err := w.Flush(); err != nil {
			return g.counts, err
		}
	}
	return g.counts, nil
}

var (
	namespaces  = []string{"default", "shop", "payments", "kube-system", "monitoring", "ingress", "data", "ci"}
	humans      = []string{"alice@example.com", "bob@example.com", "carol@example.com", "ops-bot"}
	readVerbs   = []string{"get", "get", "get", "list", "list", "watch"}
	readKinds   = []string{"pods", "configmaps", "nodes", "endpoints", "services", "leases", "secrets", "namespaces", "networkpolicies", "serviceaccounts", "deployments", "endpointslices"}
	otherWrites = []string{"leases", "leases", "leases", "configmaps", "events", "events"}
)

func (g *Generator) id() string {
	g.seq++
	a, b := g.rng.Uint64(), g.seq
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, uint16(b>>48)&0xfff, b&0xffffffffffff)
}

func (g *Generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func ts(t time.Time) string { return t.UTC().Format(TimeFormat) }

func (g *Generator) base(t time.Time, level, verb, uri string, u User, ref *ObjectRef) *Event {
	return &Event{Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: level, AuditID: g.id(), Stage: "ResponseComplete",
		RequestURI: uri, Verb: verb, User: u, SourceIPs: []string{fmt.Sprintf("10.0.%d.%d", g.rng.IntN(4), 2+g.rng.IntN(250))},
		UserAgent: "kubectl/v1.34.1 (linux/amd64) kubernetes/abc1234", ObjectRef: ref,
		ResponseStatus: &Status{Code: 200}, RequestReceivedTimestamp: ts(t),
		StageTimestamp: ts(t.Add(time.Duration(200+g.rng.IntN(20000)) * time.Microsecond)),
		Annotations:    map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"system:controller\""}}
}

func controller(name string) User {
	return User{Username: "system:serviceaccount:kube-system:" + name, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
}

func human(name string) User {
	return User{Username: name, Groups: []string{"developers", "system:authenticated"}}
}

// next produces the events of one moment: usually one, two for a write logged with its
// RequestReceived stage.
func (g *Generator) next(t time.Time) []*Event {
	other := 100 - g.cfg.ScopedPercent
	switch p := g.rng.IntN(100); {
	case p < other*7/9:
		return []*Event{g.read(t)}
	case p < other:
		return []*Event{g.otherWrite(t)}
	default:
		ev := g.scopedWrite(t)
		g.counts.InScopeWrites++
		if g.rng.IntN(20) == 0 {
			rr := *ev
			rr.Stage, rr.Level = "RequestReceived", "Request"
			rr.ResponseStatus, rr.ResponseObject = nil, nil
			rr.StageTimestamp = rr.RequestReceivedTimestamp
			g.counts.ExtraStages++
			g.counts.InScopeWrites++
			return []*Event{&rr, ev}
		}
		return []*Event{ev}
	}
}

func (g *Generator) read(t time.Time) *Event {
	res := g.pick(readKinds)
	ns := g.pick(namespaces)
	verb := g.pick(readVerbs)
	group, version := groupOf(res)
	ref := &ObjectRef{Resource: res, Namespace: ns, APIGroup: group, APIVersion: version}
	uri := uriOf(group, version, ns, res, "")
	if verb == "get" {
		ref.Name = fmt.Sprintf("%s-%d", strings.TrimSuffix(res, "s"), g.rng.IntN(50))
		uri += "/" + ref.Name
	}
	if verb == "watch" {
		uri += "?watch=true&resourceVersion=" + fmt.Sprint(g.rv)
	}
	u := controller(g.pick([]string{"endpointslice-controller", "replicaset-controller", "namespace-controller", "generic-garbage-collector"}))
	if g.rng.IntN(3) == 0 {
		u = User{Username: "system:node:node-" + fmt.Sprint(g.rng.IntN(6)), Groups: []string{"system:nodes", "system:authenticated"}}
	}
	return g.base(t, "Metadata", verb, uri, u, ref)
}

func (g *Generator) otherWrite(t time.Time) *Event {
	res := g.pick(otherWrites)
	ns := g.pick(namespaces)
	group, version := groupOf(res)
	verb := "update"
	if res == "events" {
		verb = "create"
	}
	name := fmt.Sprintf("%s-%d", strings.TrimSuffix(res, "s"), g.rng.IntN(30))
	ref := &ObjectRef{Resource: res, Namespace: ns, Name: name, APIGroup: group, APIVersion: version, ResourceVersion: fmt.Sprint(g.rv)}
	g.rv++
	ev := g.base(t, "Metadata", verb, uriOf(group, version, ns, res, name), controller("leader-election"), ref)
	if res == "configmaps" {
		ev.Level = "RequestResponse"
		body := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": ns}, "data": map[string]any{"config.yaml": g.padding(300 + g.rng.IntN(800))}}
		ev.RequestObject, ev.ResponseObject = body, body
	}
	return ev
}

func groupOf(res string) (group, version string) {
	switch res {
	case "leases":
		return "coordination.k8s.io", "v1"
	case "networkpolicies":
		return "networking.k8s.io", "v1"
	case "deployments":
		return "apps", "v1"
	case "endpointslices":
		return "discovery.k8s.io", "v1"
	case "events":
		return "", "v1"
	}
	return "", "v1"
}

func uriOf(group, version, ns, res, name string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("/api/" + version)
	} else {
		b.WriteString("/apis/" + group + "/" + version)
	}
	if ns != "" && res != "namespaces" {
		b.WriteString("/namespaces/" + ns)
	}
	b.WriteString("/" + res)
	if name != "" {
		b.WriteString("/" + name)
	}
	return b.String()
}

const letters = "abcdefghijklmnopqrstuvwxyz0123456789"

func (g *Generator) padding(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.rng.IntN(len(letters))]
	}
	return string(b)
}

func key(res, ns, name string) string { return res + "/" + ns + "/" + name }

// scopedWrite is a write on one of the five kinds: creates, patches, updates, graceful
// deletes, status churn, denied attempts and dry runs, on objects whose state carries over.
func (g *Generator) scopedWrite(t time.Time) *Event {
	switch p := g.rng.IntN(100); {
	case p < 30:
		return g.podStatus(t)
	case p < 45:
		if g.full("pods") {
			return g.deletePod(t)
		}
		return g.createPod(t)
	case p < 55:
		return g.deletePod(t)
	case p < 65:
		return g.endpoints(t)
	case p < 80:
		return g.netpol(t)
	case p < 85:
		if g.full("serviceaccounts") {
			return g.deleteServiceAccount(t)
		}
		return g.serviceAccount(t)
	case p < 90:
		if g.cfg.Steady > 0 && g.counts.NamespacesMade >= int64(g.cfg.Steady) {
			return g.netpol(t)
		}
		return g.namespace(t)
	default:
		return g.patchPod(t)
	}
}

func (g *Generator) nextRV() string {
	g.rv++
	return fmt.Sprint(g.rv)
}

func (g *Generator) store(o *object) {
	k := key(o.resource, o.ns, o.name)
	if _, ok := g.objects[k]; !ok {
		g.names[o.resource] = append(g.names[o.resource], k)
	}
	g.objects[k] = o
}

func (g *Generator) remove(o *object) {
	k := key(o.resource, o.ns, o.name)
	delete(g.objects, k)
	list := g.names[o.resource]
	for i, n := range list {
		if n == k {
			list[i] = list[len(list)-1]
			g.names[o.resource] = list[:len(list)-1]
			break
		}
	}
}

func (g *Generator) any(resource string) *object {
	list := g.names[resource]
	if len(list) == 0 {
		return nil
	}
	return g.objects[list[g.rng.IntN(len(list))]]
}

// copyMap deep-copies a decoded JSON object so each event holds its own state.
func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}

func (g *Generator) meta(o *object, t time.Time) map[string]any {
	m := o.body["metadata"].(map[string]any)
	m["resourceVersion"] = g.nextRV()
	m["managedFields"] = []any{map[string]any{"manager": "kubectl", "operation": "Update", "time": t.UTC().Format(time.RFC3339)}}
	return m
}

// finish fills the outcome of a write: a denied attempt, a dry run, or a success that
// carries the stored object.
func (g *Generator) finish(ev *Event, o *object, req any) *Event {
	ev.Level = "RequestResponse"
	ev.RequestObject = req
	switch p := g.rng.IntN(100); {
	case p < 3 && !strings.HasPrefix(ev.User.Username, "system:"):
		ev.ResponseStatus = &Status{Status: "Failure", Reason: "Forbidden", Code: 403,
			Message: fmt.Sprintf("%s %q is forbidden: User %q cannot %s resource %q", ev.ObjectRef.Resource, ev.ObjectRef.Name, ev.User.Username, ev.Verb, ev.ObjectRef.Resource)}
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
		g.counts.Denied++
		return ev
	case p < 5:
		ev.RequestURI += "?dryRun=All"
		ev.ResponseObject = copyMap(o.body)
		g.counts.DryRuns++
		return ev
	}
	ev.ResponseObject = copyMap(o.body)
	if ev.Verb == "create" {
		ev.ResponseStatus.Code = 201
	}
	g.counts.Changes++
	return ev
}

func (g *Generator) podBody(ns, name, uid string, t time.Time) map[string]any {
	containers := []any{}
	for i := 0; i < 1+g.rng.IntN(3); i++ {
		containers = append(containers, map[string]any{
			"name":  fmt.Sprintf("app-%d", i),
			"image": fmt.Sprintf("registry.example.com/shop/app:%d.%d.%d", 1+g.rng.IntN(3), g.rng.IntN(20), g.rng.IntN(9)),
			"ports": []any{map[string]any{"containerPort": 8080 + i, "protocol": "TCP"}},
			"env": []any{
				map[string]any{"name": "LOG_LEVEL", "value": "info"},
				map[string]any{"name": "DB_PASSWORD", "value": "s3cr3t-" + g.padding(8)},
			},
			"resources": map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
		})
	}
	return map[string]any{
		"kind": "Pod", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "namespace": ns, "uid": uid, "resourceVersion": g.nextRV(),
			"creationTimestamp": t.UTC().Format(time.RFC3339),
			"labels":            map[string]any{"app": strings.SplitN(name, "-", 2)[0], "tier": g.pick([]string{"web", "api", "db"})},
			"annotations":       map[string]any{"example.com/build-info": g.padding(200 + g.rng.IntN(3000))}},
		"spec":   map[string]any{"containers": containers, "serviceAccountName": "default", "nodeName": fmt.Sprintf("node-%d", g.rng.IntN(6))},
		"status": map[string]any{"phase": "Pending", "qosClass": "Burstable"},
	}
}

func (g *Generator) createPod(t time.Time) *Event {
	ns := g.pick(namespaces)
	app := g.pick([]string{"web", "api", "cart", "checkout", "search"})
	name := fmt.Sprintf("%s-%s", app, g.padding(5))
	o := &object{resource: "pods", version: "v1", ns: ns, name: name, uid: g.id()}
	o.body = g.podBody(ns, name, o.uid, t)
	user := controller("replicaset-controller")
	ref := &ObjectRef{Resource: "pods", Namespace: ns, Name: name, APIVersion: "v1"}
	uri := uriOf("", "v1", ns, "pods", "")
	if g.rng.IntN(2) == 0 {
		// generateName: the name is known only from the response.
		ref.Name = ""
		o.body["metadata"].(map[string]any)["generateName"] = app + "-"
	}
	if g.rng.IntN(5) == 0 {
		user = human(g.pick(humans))
	}
	ev := g.base(t, "RequestResponse", "create", uri, user, ref)
	req := copyMap(o.body)
	delete(req["metadata"].(map[string]any), "uid")
	ev = g.finish(ev, o, req)
	if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
		g.store(o)
	}
	return ev
}

func (g *Generator) patchPod(t time.Time) *Event {
	o := g.any("pods")
	if o == nil || o.deleting {
		return g.createPod(t)
	}
	ev := g.base(t, "RequestResponse", "patch", uriOf("", "v1", o.ns, "pods", o.name), human(g.pick(humans)),
		&ObjectRef{Resource: "pods", Namespace: o.ns, Name: o.name, APIVersion: "v1"})
	prev := o.body
	o.body = copyMap(prev)
	labels := g.meta(o, t)["labels"].(map[string]any)
	v := g.pick([]string{"web", "api", "db", "cache"})
	labels["tier"] = v
	req := map[string]any{"metadata": map[string]any{"labels": map[string]any{"tier": v}}}
	ev = g.finish(ev, o, req)
	if ev.ResponseStatus.Code >= 300 || strings.Contains(ev.RequestURI, "dryRun") {
		o.body = prev
		ev.ResponseObject = nil
		if strings.Contains(ev.RequestURI, "dryRun") {
			after := copyMap(prev)
			after["metadata"].(map[string]any)["labels"].(map[string]any)["tier"] = v
			ev.ResponseObject = after
		}
	}
	return ev
}

func (g *Generator) podStatus(t time.Time) *Event {
	o := g.any("pods")
	if o == nil {
		return g.createPod(t)
	}
	node := o.body["spec"].(map[string]any)["nodeName"].(string)
	ev := g.base(t, "RequestResponse", "patch", uriOf("", "v1", o.ns, "pods", o.name)+"/status",
		User{Username: "system:node:" + node, Groups: []string{"system:nodes", "system:authenticated"}},
		&ObjectRef{Resource: "pods", Namespace: o.ns, Name: o.name, APIVersion: "v1", Subresource: "status"})
	ev.UserAgent = "kubelet/v1.34.1 (linux/amd64) kubernetes/abc1234"
	status := map[string]any{"phase": "Running", "podIP": fmt.Sprintf("10.244.%d.%d", g.rng.IntN(6), 2+g.rng.IntN(250)),
		"conditions": []any{map[string]any{"type": "Ready", "status": g.pick([]string{"True", "False"}), "lastTransitionTime": t.UTC().Format(time.RFC3339)}}}
	o.body = copyMap(o.body)
	g.meta(o, t)
	o.body["status"] = status
	ev.Level = "RequestResponse"
	ev.RequestObject = map[string]any{"status": status}
	ev.ResponseObject = copyMap(o.body)
	g.counts.StatusWrites++
	g.counts.Changes++
	return ev
}

// deletePod is graceful deletion: the first delete sets deletionTimestamp and returns the
// object; the kubelet's second delete removes it.
func (g *Generator) deletePod(t time.Time) *Event {
	o := g.any("pods")
	if o == nil {
		return g.createPod(t)
	}
	ref := &ObjectRef{Resource: "pods", Namespace: o.ns, Name: o.name, APIVersion: "v1"}
	uri := uriOf("", "v1", o.ns, "pods", o.name)
	if !o.deleting {
		ev := g.base(t, "RequestResponse", "delete", uri, controller("replicaset-controller"), ref)
		prev := o.body
		o.body = copyMap(o.body)
		m := g.meta(o, t)
		m["deletionTimestamp"] = t.Add(30 * time.Second).UTC().Format(time.RFC3339)
		m["deletionGracePeriodSeconds"] = 30
		ev = g.finish(ev, o, map[string]any{"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
		if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
			o.deleting = true
		} else {
			// A refused or dry-run delete leaves the pod as it was.
			o.body = prev
		}
		return ev
	}
	node := o.body["spec"].(map[string]any)["nodeName"].(string)
	ev := g.base(t, "RequestResponse", "delete", uri, User{Username: "system:node:" + node, Groups: []string{"system:nodes", "system:authenticated"}}, ref)
	ev.Level = "RequestResponse"
	ev.RequestObject = map[string]any{"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": map[string]any{"uid": o.uid}}
	ev.ResponseObject = copyMap(o.body)
	g.remove(o)
	g.counts.Changes++
	return ev
}

func (g *Generator) endpoints(t time.Time) *Event {
	ns := g.pick(namespaces)
	name := g.pick([]string{"web", "api", "cart", "checkout", "search"})
	k := key("endpoints", ns, name)
	o := g.objects[k]
	var before map[string]any
	verb := "update"
	if o == nil {
		o = &object{resource: "endpoints", version: "v1", ns: ns, name: name, uid: g.id()}
		o.body = map[string]any{"kind": "Endpoints", "apiVersion": "v1",
			"metadata": map[string]any{"name": name, "namespace": ns, "uid": o.uid, "resourceVersion": g.nextRV()}}
		verb = "create"
	} else {
		before = o.body
		o.body = copyMap(o.body)
		g.meta(o, t)
	}
	addrs := []any{}
	for i := 0; i < 1+g.rng.IntN(12); i++ {
		addrs = append(addrs, map[string]any{"ip": fmt.Sprintf("10.244.%d.%d", g.rng.IntN(6), 2+g.rng.IntN(250)), "nodeName": fmt.Sprintf("node-%d", g.rng.IntN(6)),
			"targetRef": map[string]any{"kind": "Pod", "namespace": ns, "name": name + "-" + g.padding(5), "uid": g.id()}})
	}
	o.body["subsets"] = []any{map[string]any{"addresses": addrs, "ports": []any{map[string]any{"port": 8080, "protocol": "TCP", "name": "http"}}}}
	uri := uriOf("", "v1", ns, "endpoints", name)
	if verb == "create" {
		uri = uriOf("", "v1", ns, "endpoints", "")
	}
	ev := g.base(t, "RequestResponse", verb, uri, controller("endpoint-controller"),
		&ObjectRef{Resource: "endpoints", Namespace: ns, Name: name, APIVersion: "v1"})
	prev := g.objects[k]
	ev = g.finish(ev, o, copyMap(o.body))
	if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
		g.store(o)
	} else if prev != nil {
		// A refused or dry-run update leaves the stored object as it was.
		prev.body = before
	}
	return ev
}

func (g *Generator) netpolSpec() map[string]any {
	ports := []any{}
	for i := 0; i < 1+g.rng.IntN(3); i++ {
		ports = append(ports, map[string]any{"protocol": "TCP", "port": g.pick([]string{"80", "443", "5432", "6379", "8080"})})
	}
	return map[string]any{
		"podSelector": map[string]any{"matchLabels": map[string]any{"app": g.pick([]string{"web", "api", "db"})}},
		"policyTypes": []any{"Ingress"},
		"ingress": []any{map[string]any{
			"from":  []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": g.pick([]string{"shop", "payments", "data"})}}}},
			"ports": ports,
		}},
	}
}

func (g *Generator) netpol(t time.Time) *Event {
	o := g.any("networkpolicies")
	user := human(g.pick(humans))
	if o == nil || g.rng.IntN(4) == 0 && !g.full("networkpolicies") {
		ns := g.pick(namespaces)
		name := fmt.Sprintf("allow-%s-%s", g.pick([]string{"web", "api", "db", "metrics"}), g.padding(4))
		o = &object{resource: "networkpolicies", group: "networking.k8s.io", version: "v1", ns: ns, name: name, uid: g.id()}
		o.body = map[string]any{"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
			"metadata": map[string]any{"name": name, "namespace": ns, "uid": o.uid, "resourceVersion": g.nextRV(), "generation": 1,
				"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": g.padding(400)}},
			"spec": g.netpolSpec()}
		ev := g.base(t, "RequestResponse", "create", uriOf("networking.k8s.io", "v1", ns, "networkpolicies", ""), user,
			&ObjectRef{Resource: "networkpolicies", Namespace: ns, Name: name, APIGroup: "networking.k8s.io", APIVersion: "v1"})
		ev = g.finish(ev, o, copyMap(o.body))
		if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
			g.store(o)
		}
		return ev
	}
	ref := &ObjectRef{Resource: "networkpolicies", Namespace: o.ns, Name: o.name, APIGroup: "networking.k8s.io", APIVersion: "v1"}
	uri := uriOf("networking.k8s.io", "v1", o.ns, "networkpolicies", o.name)
	if g.rng.IntN(5) == 0 || g.full("networkpolicies") && g.rng.IntN(3) == 0 {
		ev := g.base(t, "RequestResponse", "delete", uri, user, ref)
		ev = g.finish(ev, o, map[string]any{"kind": "DeleteOptions", "apiVersion": "v1"})
		ev.ResponseObject = map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Success", "details": map[string]any{"name": o.name, "group": "networking.k8s.io", "kind": "networkpolicies", "uid": o.uid}}
		if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
			g.remove(o)
		}
		return ev
	}
	prev := o.body
	o.body = copyMap(prev)
	g.meta(o, t)
	spec := o.body["spec"].(map[string]any)
	ingress := spec["ingress"].([]any)[0].(map[string]any)
	ports := ingress["ports"].([]any)
	ports[0].(map[string]any)["port"] = g.pick([]string{"80", "443", "8443", "9090"})
	verb := g.pick([]string{"patch", "update"})
	ev := g.base(t, "RequestResponse", verb, uri, user, ref)
	var req any = copyMap(o.body)
	if verb == "patch" {
		req = map[string]any{"spec": map[string]any{"ingress": []any{map[string]any{"ports": ports}}}}
	}
	ev = g.finish(ev, o, req)
	if ev.ResponseStatus.Code >= 300 || strings.Contains(ev.RequestURI, "dryRun") {
		o.body = prev
	}
	return ev
}

func (g *Generator) serviceAccount(t time.Time) *Event {
	ns := g.pick(namespaces)
	name := g.pick([]string{"deployer", "reader", "metrics", "backup"}) + "-" + g.padding(3)
	o := &object{resource: "serviceaccounts", version: "v1", ns: ns, name: name, uid: g.id()}
	o.body = map[string]any{"kind": "ServiceAccount", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "namespace": ns, "uid": o.uid, "resourceVersion": g.nextRV()}}
	ev := g.base(t, "RequestResponse", "create", uriOf("", "v1", ns, "serviceaccounts", ""), human(g.pick(humans)),
		&ObjectRef{Resource: "serviceaccounts", Namespace: ns, Name: name, APIVersion: "v1"})
	ev = g.finish(ev, o, copyMap(o.body))
	if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
		g.store(o)
	}
	return ev
}

// full reports whether a steady cluster has as many live objects of resource as it keeps.
func (g *Generator) full(resource string) bool {
	return g.cfg.Steady > 0 && len(g.names[resource]) >= g.cfg.Steady
}

// deleteServiceAccount removes a service account, as a steady cluster does as often as it
// makes one.
func (g *Generator) deleteServiceAccount(t time.Time) *Event {
	o := g.any("serviceaccounts")
	ref := &ObjectRef{Resource: "serviceaccounts", Namespace: o.ns, Name: o.name, APIVersion: "v1"}
	ev := g.base(t, "RequestResponse", "delete", uriOf("", "v1", o.ns, "serviceaccounts", o.name), human(g.pick(humans)), ref)
	ev = g.finish(ev, o, map[string]any{"kind": "DeleteOptions", "apiVersion": "v1"})
	if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
		g.remove(o)
	}
	return ev
}

func (g *Generator) namespace(t time.Time) *Event {
	name := "team-" + g.padding(4)
	o := &object{resource: "namespaces", version: "v1", name: name, uid: g.id()}
	o.body = map[string]any{"kind": "Namespace", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "uid": o.uid, "resourceVersion": g.nextRV(), "labels": map[string]any{"team": g.pick([]string{"shop", "payments", "data"})}},
		"spec":     map[string]any{"finalizers": []any{"kubernetes"}}, "status": map[string]any{"phase": "Active"}}
	ev := g.base(t, "RequestResponse", "create", "/api/v1/namespaces", human(g.pick(humans)),
		&ObjectRef{Resource: "namespaces", Namespace: name, Name: name, APIVersion: "v1"})
	ev = g.finish(ev, o, copyMap(o.body))
	if ev.ResponseStatus.Code < 300 && !strings.Contains(ev.RequestURI, "dryRun") {
		g.counts.NamespacesMade++
	}
	return ev
}
