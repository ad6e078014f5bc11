// Command scenarios writes the named scenario logs in testdata/logs from the generator, in
// every layout auditreport reads. Run it from the repository root:
//
//	go run ./bench/scenarios
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"
	"sigs.k8s.io/yaml"

	"github.com/auditreport/auditreport/internal/gen"
)

const root = "testdata/logs"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		os.Exit(1)
	}
}

// lines generates a small log and returns its lines per node.
func lines(nodes int, size int64, seed uint64, start time.Time) ([][][]byte, error) {
	bufs := make([]*bytes.Buffer, nodes)
	ws := make([]io.Writer, nodes)
	for i := range bufs {
		bufs[i] = &bytes.Buffer{}
		ws[i] = bufs[i]
	}
	g := gen.New(gen.Config{Bytes: size, Nodes: nodes, Days: 1, Seed: seed, Start: start})
	if _, err := g.Run(ws); err != nil {
		return nil, err
	}
	out := make([][][]byte, nodes)
	for i, b := range bufs {
		out[i] = bytes.SplitAfter(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n"))
		for j := range out[i] {
			out[i][j] = bytes.TrimSuffix(out[i][j], []byte("\n"))
		}
	}
	return out, nil
}

func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func join(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }

func gz(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func run() error {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// ha-3-nodes: three API servers of one cluster over one day.
	ha, err := lines(3, 600<<10, 7, start)
	if err != nil {
		return err
	}
	for i, ls := range ha {
		if err := write(filepath.Join(root, "ha-3-nodes", fmt.Sprintf("kube-apiserver-%d-audit.log", i+1)), join(ls)); err != nil {
			return err
		}
	}
	// rotated: one node's log rotated with --audit-log-compress, and copytruncate repeating
	// the last lines of the rotated file at the start of the current one.
	rot, err := lines(1, 300<<10, 11, start)
	if err != nil {
		return err
	}
	cut := len(rot[0]) / 2
	if err := write(filepath.Join(root, "rotated", "kube-audit-2026-11-01T12-00-00.000.log.gz"), gz(join(rot[0][:cut]))); err != nil {
		return err
	}
	if err := write(filepath.Join(root, "rotated", "kube-audit.log"), join(rot[0][cut-5:])); err != nil {
		return err
	}
	// managed: the exports of managed clusters, made from the same kind of events.
	man, err := lines(1, 60<<10, 13, start)
	if err != nil {
		return err
	}
	ev := man[0]
	part := func(i int) [][]byte { n := len(ev) / 8; return ev[i*n : (i+1)*n] }
	if err := managed(part); err != nil {
		return err
	}
	if err := broken(ha[0]); err != nil {
		return err
	}
	return gaps(ha, start)
}

// event decodes a generated line; it keeps the API server's field order when written again.
func event(l []byte) *gen.Event {
	var e gen.Event
	if err := json.Unmarshal(l, &e); err != nil {
		panic(fmt.Sprintf("generated line does not decode: %v", err))
	}
	return &e
}

func encode(e *gen.Event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

// rewrite applies f to each node's events: f returns the lines to keep in place of one.
func rewrite(nodes [][][]byte, f func(node int, e *gen.Event, line []byte) [][]byte) [][][]byte {
	out := make([][][]byte, len(nodes))
	for i, ls := range nodes {
		for _, l := range ls {
			out[i] = append(out[i], f(i, event(l), l)...)
		}
	}
	return out
}

func writeNodes(dir string, nodes [][][]byte) error {
	for i, ls := range nodes {
		if err := write(filepath.Join(root, "gaps", dir, fmt.Sprintf("kube-apiserver-%d-audit.log", i+1)), join(ls)); err != nil {
			return err
		}
	}
	return nil
}

func resource(e *gen.Event) string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Resource
}

// gaps writes one scenario per gap type, each from the clean HA scenario with one defect.
func gaps(ha [][][]byte, start time.Time) error {
	keep := func(l []byte) [][]byte { return [][]byte{l} }
	// never-audited: the policy has no rule for NetworkPolicies on any node.
	if err := writeNodes("never-audited", rewrite(ha, func(_ int, e *gen.Event, l []byte) [][]byte {
		if resource(e) == "networkpolicies" {
			return nil
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// metadata-only: ServiceAccounts are audited at Metadata, without bodies.
	if err := writeNodes("metadata-only", rewrite(ha, func(_ int, e *gen.Event, l []byte) [][]byte {
		if resource(e) == "serviceaccounts" {
			e.Level, e.RequestObject, e.ResponseObject = "Metadata", nil, nil
			return [][]byte{encode(e)}
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// node-missing-kind: the third API server's policy lacks NetworkPolicies.
	if err := writeNodes("node-missing-kind", rewrite(ha, func(node int, e *gen.Event, l []byte) [][]byte {
		if node == 2 && resource(e) == "networkpolicies" {
			return nil
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// truncated: the API server dropped the bodies of large pod events.
	n := 0
	if err := writeNodes("truncated", rewrite(ha, func(_ int, e *gen.Event, l []byte) [][]byte {
		if resource(e) == "pods" && e.Verb == "create" && n < 4 {
			n++
			e.RequestObject, e.ResponseObject = nil, nil
			e.Annotations = map[string]string{"audit.k8s.io/truncated": "true"}
			return [][]byte{encode(e)}
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// unknown-baseline: logs that start ten hours in, so earlier objects have no known state
	// (run with --since 2026-11-01T10:00:00Z, the rotated-away part being gone).
	if err := writeNodes("unknown-baseline", rewrite(ha, func(_ int, e *gen.Event, l []byte) [][]byte {
		t, err := time.Parse(time.RFC3339Nano, e.RequestReceivedTimestamp)
		if err == nil && t.Before(start.Add(10*time.Hour)) {
			return nil
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// server-stops-early: the third API server's log ends at noon of the first day (a full
	// disk, rotated files the job never saw): a third of the writes missing for a day.
	if err := writeNodes("server-stops-early", rewrite(ha, func(node int, e *gen.Event, l []byte) [][]byte {
		t, err := time.Parse(time.RFC3339Nano, e.RequestReceivedTimestamp)
		if node == 2 && err == nil && !t.Before(start.Add(12*time.Hour)) {
			return nil
		}
		return keep(l)
	})); err != nil {
		return err
	}
	// time-hole: a busier cluster whose second API server logged nothing for three hours.
	busy, err := lines(3, 1200<<10, 19, start)
	if err != nil {
		return err
	}
	return writeNodes("time-hole", rewrite(busy, func(node int, e *gen.Event, l []byte) [][]byte {
		t, err := time.Parse(time.RFC3339Nano, e.RequestReceivedTimestamp)
		if node == 1 && err == nil && !t.Before(start.Add(9*time.Hour)) && t.Before(start.Add(12*time.Hour)) {
			return nil
		}
		return keep(l)
	}))
}

func managed(part func(int) [][]byte) error {
	dir := filepath.Join(root, "managed")
	// EKS: aws logs filter-log-events output, pretty-printed.
	var cw []map[string]any
	for i, l := range part(0) {
		cw = append(cw, map[string]any{"logStreamName": "kube-apiserver-audit-0a1b2c3d", "timestamp": 1793491200000 + i, "message": string(l), "ingestionTime": 1793491201000 + i, "eventId": fmt.Sprint(37000000 + i)})
	}
	b, _ := json.MarshalIndent(map[string]any{"events": cw, "searchedLogStreams": []any{map[string]any{"logStreamName": "kube-apiserver-audit-0a1b2c3d", "searchedCompletely": true}}}, "", "    ")
	if err := write(filepath.Join(dir, "eks-filter-log-events.json"), append(b, '\n')); err != nil {
		return err
	}
	// EKS: one CloudWatch log event per line.
	var out [][]byte
	for i, l := range part(1) {
		b, _ := json.Marshal(map[string]any{"timestamp": 1793491300000 + i, "message": string(l), "logStreamName": "kube-apiserver-audit-9f8e7d6c"})
		out = append(out, b)
	}
	if err := write(filepath.Join(dir, "eks-cloudwatch-lines.jsonl"), join(out)); err != nil {
		return err
	}
	// AKS: diagnostic records, log as a string, and one as an object.
	var recs []map[string]any
	for i, l := range part(2) {
		var log any = string(l)
		if i%5 == 0 {
			var m map[string]any
			json.Unmarshal(l, &m)
			log = m
		}
		recs = append(recs, map[string]any{"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
			"properties": map[string]any{"log": log, "stream": "stdout", "pod": "kube-apiserver-6df5497d6d-g2vd7"}, "time": "2026-11-01T00:00:00Z"})
	}
	b, _ = json.Marshal(map[string]any{"records": recs})
	if err := write(filepath.Join(dir, "aks-diagnostics.json"), append(b, '\n')); err != nil {
		return err
	}
	// AKS: Log Analytics rows with the event in log_s.
	out = nil
	for _, l := range part(3) {
		b, _ := json.Marshal(map[string]any{"TimeGenerated": "2026-11-01T00:00:00Z", "Category": "kube-audit", "log_s": string(l)})
		out = append(out, b)
	}
	if err := write(filepath.Join(dir, "aks-log-analytics.jsonl"), join(out)); err != nil {
		return err
	}
	// Webhook backend: EventList batches, one per line.
	ls := part(4)
	out = nil
	for i := 0; i < len(ls); i += 10 {
		var items []json.RawMessage
		for _, l := range ls[i:min(i+10, len(ls))] {
			items = append(items, l)
		}
		b, _ := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": items})
		out = append(out, b)
	}
	if err := write(filepath.Join(dir, "webhook-eventlist.jsonl"), join(out)); err != nil {
		return err
	}
	// OpenShift must-gather: lines prefixed by the node name.
	out = nil
	for i, l := range part(5) {
		out = append(out, append([]byte(fmt.Sprintf("master-%d ", i%3)), l...))
	}
	if err := write(filepath.Join(dir, "openshift-must-gather.log"), join(out)); err != nil {
		return err
	}
	// YAML stream.
	var y bytes.Buffer
	y.WriteString("# audit events exported as YAML\n")
	for _, l := range part(6) {
		b, err := yaml.JSONToYAML(l)
		if err != nil {
			return err
		}
		y.WriteString("---\n")
		y.Write(b)
	}
	if err := write(filepath.Join(dir, "events.yaml"), y.Bytes()); err != nil {
		return err
	}
	// Pretty-printed events, concatenated (jq . output).
	var p bytes.Buffer
	for _, l := range part(7) {
		var v any
		json.Unmarshal(l, &v)
		b, _ := json.MarshalIndent(v, "", "  ")
		p.Write(b)
		p.WriteByte('\n')
	}
	return write(filepath.Join(dir, "pretty-printed.json"), p.Bytes())
}

// broken: good events with every kind of bad input between them.
func broken(ls [][]byte) error {
	var out [][]byte
	good := ls[:40]
	bad := [][]byte{
		[]byte(`this is not JSON at all`),
		[]byte(`{"kind":0}`),
		[]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"bad-type","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","responseStatus":{"code":"200"}}`),
		[]byte(`{"timestamp":1793491200000,"message":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"RequestResponse\",\"auditID\":\"cut\"[Truncated...]"}`),
		[]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0c3f3a43-9d3e-4b7a-9a57-1f1d2b8e0001","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/big","verb":"update","user":{"username":"alice@example.com"},"objectRef":{"resource":"pods","namespace":"shop","name":"big","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestObject":"skipped-too-big-size-object","responseObject":"skipped-too-big-size-object","requestReceivedTimestamp":"2026-11-01T00:30:00.000000Z","stageTimestamp":"2026-11-01T00:30:00.010000Z"}`),
		[]byte(`[1,2,3]`),
	}
	for i, l := range good {
		out = append(out, l)
		if i%6 == 5 && i/6 < len(bad) {
			out = append(out, bad[i/6])
		}
	}
	// A last line cut off mid-write, without a newline.
	last := ls[41]
	data := append(join(out), last[:len(last)/2]...)
	if err := write(filepath.Join(root, "broken", "kube-audit.log"), data); err != nil {
		return err
	}
	// A gzip file whose data is damaged after the header.
	z := gz(join(ls[:100]))
	for i := len(z) / 2; i < len(z)/2+64 && i < len(z); i++ {
		z[i] ^= 0x5a
	}
	if err := write(filepath.Join(root, "corrupt-gzip", "kube-audit-2026-11-01T06-00-00.000.log.gz"), z); err != nil {
		return err
	}
	return nil
}
