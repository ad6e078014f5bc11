package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// realEvent returns the audit event of a real AKS capture in testdata/realdata (see its
// NOTICE.md) as one line of JSON: the event of the Event Hubs record, or the unwrapped one.
func realEvent(t *testing.T, eventHubs bool) string {
	t.Helper()
	name := "../testdata/realdata/aks/sample_KubeAuditLog_event.json"
	if eventHubs {
		name = "../testdata/realdata/aks/sample_EventHubs_event.json"
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
	if eventHubs {
		var rec struct {
			Properties struct {
				Log string `json:"log"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		return rec.Properties.Log
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Rows queried from AKS Log Analytics (AzureDiagnostics) carry the event in log_s and the
// API server's pod in pod_s: two servers' rows are two servers, as properties.pod makes them
// in the Event Hubs and storage exports, so that --api-servers 2 finds both.
func TestLogAnalyticsPod(t *testing.T) {
	row := func(event, pod string) string {
		b, err := json.Marshal(map[string]string{"log_s": event, "pod_s": pod, "Category": "kube-audit"})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const a, b = "kube-apiserver-6df5497d6d-aaaaa", "kube-apiserver-6df5497d6d-bbbbb"
	rows := row(realEvent(t, true), a) + "\n" + row(realEvent(t, false), b) + "\n"
	evs, inputs, _ := readAll(t, Options{}, ReaderSource("aks-log-analytics.json", strings.NewReader(rows)))
	in := inputs[0]
	if d := cmp.Diff([]string{a, b}, in.Nodes); d != "" {
		t.Errorf("API servers named (-want +got):\n%s", d)
	}
	if len(in.PerNode) != 2 || in.PerNode[a] == nil || in.PerNode[a].Events != 1 || in.PerNode[b] == nil || in.PerNode[b].Events != 1 {
		t.Errorf("per API server counts: %v; want one event each of %s and %s", in.PerNode, a, b)
	}
	for _, ev := range evs {
		if ev.Node != a && ev.Node != b {
			t.Errorf("event %s of line %d: node %q, want the row's pod_s", ev.AuditID, ev.Line, ev.Node)
		}
	}
}

// A GKE LogEntry has no HTTP code: a failure shows in its status (a google.rpc code), a
// refusal also in authorizationInfo (granted: false) where the entry has no status at all,
// and a success in neither. Lines of the real Panther rule tests (testdata/realdata).
func TestGKEOutcome(t *testing.T) {
	evs, _, _ := readAll(t, Options{}, FileSource("../testdata/realdata/panther/panther-gke-auditlog-testlogs.jsonl"))
	byLine := map[int]*Event{}
	for _, ev := range evs {
		byLine[ev.Line] = ev
	}
	cases := []struct {
		line int
		what string
		want int32
	}{
		{18, "services.create, authorizationInfo granted:false, no status: refused", 403},
		{42, "secrets.get, status code 7 and granted:false: refused", 403},
		{17, "services.create, status code 10 (ABORTED, already exists)", 409},
		{16, "services.create, empty status, granted: succeeded, no code logged", 0},
		{24, "cronjobs.create, no status, granted: succeeded, no code logged", 0},
	}
	for _, tc := range cases {
		ev := byLine[tc.line]
		if ev == nil {
			t.Errorf("line %d (%s): no event", tc.line, tc.what)
			continue
		}
		if got := ev.Code(); got != tc.want {
			t.Errorf("line %d (%s): code %d, want %d", tc.line, tc.what, got, tc.want)
		}
	}
	if st := byLine[18].ResponseStatus; st == nil || !strings.Contains(st.Message, "io.k8s.core.v1.services.create") {
		t.Errorf("line 18: status %+v, want the permission not granted in its message", st)
	}
}

// realLine returns line n of a file of testdata/realdata.
func realLine(t *testing.T, name string, n int) string {
	t.Helper()
	raw, err := os.ReadFile("../testdata/realdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	if n > len(lines) {
		t.Fatalf("%s has %d lines, not %d", name, len(lines), n)
	}
	return lines[n-1]
}

// An `aws logs filter-log-events` export is one JSON document: every event in it is on line
// 1 or so. A message CloudWatch cut loses its event, and the sample must say which one, from
// what the intact start of the message still shows: its place in the export, its eventId and
// the auditID and object of the event.
func TestCloudWatchCutNamesTheEvent(t *testing.T) {
	const eks = "panther/panther-eks-audit-testlogs.jsonl"
	whole := realLine(t, eks, 16)
	cut := realLine(t, eks, 17)
	at := strings.Index(cut, `"p_any_ip_addresses"`) // past auditID and objectRef, before the verb
	if at < 0 {
		t.Fatal("line 17 of the EKS data is not as expected")
	}
	type logEvent struct {
		EventID       string `json:"eventId"`
		Ingestion     int64  `json:"ingestionTime"`
		LogStreamName string `json:"logStreamName"`
		Message       string `json:"message"`
		Timestamp     int64  `json:"timestamp"`
	}
	export := map[string]any{"events": []logEvent{
		{"37000000000000000000000000000000000000000000000000000000", 1793491201000, "kube-apiserver-audit-0a1b2c3d", whole, 1793491200000},
		{"37000000000000000000000000000000000000000000000000000001", 1793491201000, "kube-apiserver-audit-0a1b2c3d", cut[:at] + "[Truncated...]", 1793491200000},
	}}
	pretty, err := json.MarshalIndent(export, "", "    ") // as the aws CLI prints it
	if err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(export)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"pretty": pretty, "one line": compact} {
		_, inputs, _ := readAll(t, Options{}, ReaderSource("eks-audit.json", bytes.NewReader(doc)))
		in := inputs[0]
		if in.Events != 1 || in.Problems[ProblemCWTruncated] != 1 || len(in.Samples) != 1 {
			t.Fatalf("%s: %d events, problems %v, samples %+v; want 1 event and 1 message cut", name, in.Events, in.Problems, in.Samples)
		}
		msg := in.Samples[0].Message
		for _, want := range []string{
			"events[1]",
			"eventId 37000000000000000000000000000000000000000000000000000001",
			"auditID e5ca89e7-8686-4b7c-b666-f8b863b6f21c",
			"objectRef resource=serviceaccounts,namespace=kube-system,name=kube-proxy,subresource=token",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: sample %q does not say %q", name, msg, want)
			}
		}
		if strings.Contains(msg, "verb") {
			t.Errorf("%s: sample %q names a verb the cut took away", name, msg)
		}
	}
}

// What is left of a cut event is read only where it is whole: a value the cut went through
// is left out, not shown cut.
func TestCutEvent(t *testing.T) {
	cases := []struct{ prefix, want string }{
		{`{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"patch","objectRef":{"resource":"pods","namespace":"shop","name":"web"},"user":{`,
			"auditID a1, stage ResponseComplete, verb patch, objectRef resource=pods,namespace=shop,name=web"},
		{`{"kind":"Event","auditID":"a1","stage":"Resp`, "auditID a1"},
		{`{"kind":"Event","auditID":"a\"1","objectRef":{"resource":"pods","name":"we`, `auditID a"1, objectRef resource=pods`},
		{`{"kind":"Event","level":"Req`, ""},
		// Written with spaces, as some exports are.
		{`{"kind": "Event", "auditID": "a2", "verb" : "delete", "objectRef": { "resource": "networkpolicies", "name": "np" }, "user": {`,
			"auditID a2, verb delete, objectRef resource=networkpolicies,name=np"},
		{`{"kind": "Event", "auditID" "a3", "verb": "get"}`, "verb get"}, // no colon: not a value
	}
	for _, tc := range cases {
		if got := cutEvent(tc.prefix); got != tc.want {
			t.Errorf("cutEvent(%s) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}
