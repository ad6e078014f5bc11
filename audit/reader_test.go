package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAll reads sources with opts and returns the delivered events and the inputs.
func readAll(t *testing.T, opts Options, sources ...Source) ([]*Event, []Input, Merged) {
	t.Helper()
	r := NewReader(context.Background(), sources, opts)
	defer r.Close()
	return drain(t, r), r.Inputs(), r.Merged()
}

// drain reads a Reader to its end.
func drain(t *testing.T, r *Reader) []*Event {
	t.Helper()
	var evs []*Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		evs = append(evs, ev)
	}
}

func files(t testing.TB, pattern string) []Source {
	t.Helper()
	matches, err := filepath.Glob(pattern)
	if err != nil || len(matches) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	var out []Source
	for _, m := range matches {
		out = append(out, FileSource(m))
	}
	return out
}

// TestRealData reads every capture other projects published and checks what a careful
// reader must make of each: how many events, and which problems on which lines.
func TestRealData(t *testing.T) {
	type want struct {
		format   string
		lines    int64
		events   int64
		problems map[string]int64
		nodes    []string
		skipped  bool
	}
	cases := map[string]want{
		// A pretty-printed AKS diagnostic record with a BOM; the event is a JSON string.
		"aks/sample_EventHubs_event.json": {format: FormatValues, lines: 16, events: 1, nodes: []string{"kube-apiserver-6df5497d6d-g2vd7"}},
		// One unwrapped event over 357 lines, with a BOM.
		"aks/sample_KubeAuditLog_event.json": {format: FormatValues, lines: 357, events: 1},
		// v1 events that still carry the v1beta1 "timestamp".
		"audit2rbac/audit2rbac-demo.log": {format: FormatLines, lines: 37, events: 37},
		// v1beta1: only "timestamp".
		"audit2rbac/audit2rbac-demo-v1beta1-2017.log": {format: FormatLines, lines: 37, events: 37},
		// Six events, no apiVersion.
		"falco-k8s-audit/create_configmap_sensitive_values.json": {format: FormatLines, lines: 6, events: 6},
		// The 11-byte non-event {"kind": 0}, without a final newline: JSON, but no audit
		// log, so the file is skipped with the reason rather than read.
		"falco-k8s-audit/fal_01_003.json": {skipped: true},
		// A trailing blank line is a line, not a problem.
		"falco-k8s-audit/create_secret.json": {format: FormatLines, lines: 2, events: 1},
		// YAML after a licence comment, with a shipper's extra key.
		"khi/oss-test-log.yaml":                 {format: FormatYAML, lines: 105, events: 1},
		"openshift/openshift-single-event.json": {format: FormatValues, lines: 39, events: 1},
		// 186 lines: line 26 has neither verb nor requestURI; 169 events have no time at all
		// (hand-written rule tests); the others use "2022-11-29 00:09:04.38" timestamps.
		// Lines 11 to 13 repeat line 10's request, stage and times with another source IP or
		// code, line 19 line 18's with other bodies: conflicting repeats.
		"panther/panther-eks-audit-testlogs.jsonl": {format: FormatLines, lines: 186, events: 185,
			problems: map[string]int64{ProblemNotEvent: 1, ProblemUntimed: 169, ProblemConflictingRepeat: 4}},
		// GKE LogEntries converted to events; 35 carry no timestamp.
		"panther/panther-gke-auditlog-testlogs.jsonl": {format: FormatLines, lines: 51, events: 51,
			problems: map[string]int64{ProblemUntimed: 35}},
	}
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			_, inputs, _ := readAll(t, Options{}, FileSource(filepath.Join("../testdata/realdata", name)))
			in := inputs[0]
			got := want{format: in.Format, lines: in.Lines, events: in.Events, problems: in.Problems, nodes: in.Nodes, skipped: in.Skipped != ""}
			if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if !w.skipped && (len(in.SHA256) != 64 || in.Bytes == 0) {
				t.Errorf("evidence missing: sha256 %q, %d bytes", in.SHA256, in.Bytes)
			}
		})
	}
	// Every other Falco capture is one event, whatever its trailing blank lines.
	for _, src := range files(t, "../testdata/realdata/falco-k8s-audit/*.json") {
		if _, ok := cases["falco-k8s-audit/"+filepath.Base(src.Name)]; ok {
			continue
		}
		_, inputs, _ := readAll(t, Options{}, src)
		if in := inputs[0]; in.Events != 1 || len(in.Problems) != 0 {
			t.Errorf("%s: %d events, problems %v; want 1 event and none", src.Name, in.Events, in.Problems)
		}
	}
}

func TestRealDataFields(t *testing.T) {
	evs, _, _ := readAll(t, Options{}, FileSource("../testdata/realdata/falco-k8s-audit/create_nginx_pod_privileged.json"))
	ev := evs[0]
	// A create with generateName: no objectRef.name, the name is in the response.
	if ev.Verb != "create" || ev.Resource() != "pods" || ev.ObjectRef.Name != "" || len(ev.RequestObject) == 0 {
		t.Errorf("got verb %q resource %q name %q, request body %d bytes", ev.Verb, ev.Resource(), ev.ObjectRef.Name, len(ev.RequestObject))
	}
	evs, _, _ = readAll(t, Options{}, FileSource("../testdata/realdata/audit2rbac/audit2rbac-demo-v1beta1-2017.log"))
	if got := evs[0].Time().Format("2006-01-02T15:04:05Z07:00"); got != "2017-09-11T19:55:05Z" {
		t.Errorf("v1beta1 timestamp: got %s", got)
	}
	if evs[0].ImpersonatedUser == nil || evs[0].ImpersonatedUser.Username != "bob" {
		t.Errorf("impersonated user lost: %+v", evs[0].ImpersonatedUser)
	}
	evs, _, _ = readAll(t, Options{}, FileSource("../testdata/realdata/panther/panther-gke-auditlog-testlogs.jsonl"))
	var found bool
	for _, ev := range evs {
		if ev.User.Username == "disallowed.user@example.com" && ev.Subresource() == "exec" {
			found = true
			if ev.Verb != "create" || ev.ObjectRef.Namespace != "example" || ev.SourceIPs[0] != "88.88.88.88" {
				t.Errorf("GKE entry converted wrongly: %+v %+v", ev, ev.ObjectRef)
			}
		}
	}
	if !found {
		t.Error("GKE exec entry not found")
	}
}

// TestScenarios reads every layout of testdata/logs/managed: each file holds five events.
func TestScenarios(t *testing.T) {
	nodes := map[string][]string{
		"aks-diagnostics.json":       {"kube-apiserver-6df5497d6d-g2vd7"},
		"eks-cloudwatch-lines.jsonl": {"kube-apiserver-audit-9f8e7d6c"},
		"eks-filter-log-events.json": {"kube-apiserver-audit-0a1b2c3d"},
		"openshift-must-gather.log":  {"master-0", "master-1", "master-2"},
	}
	for _, src := range files(t, "../testdata/logs/managed/*") {
		t.Run(filepath.Base(src.Name), func(t *testing.T) {
			_, inputs, _ := readAll(t, Options{}, src)
			in := inputs[0]
			if in.Events != 5 || len(in.Problems) != 0 {
				t.Errorf("%d events, problems %v; want 5 and none", in.Events, in.Problems)
			}
			if diff := cmp.Diff(nodes[filepath.Base(src.Name)], in.Nodes); diff != "" {
				t.Errorf("nodes (-want +got)\n%s", diff)
			}
		})
	}
}

// TestBrokenInput: every kind of bad line is counted at its line, and every good event around
// it is kept.
func TestBrokenInput(t *testing.T) {
	evs, inputs, _ := readAll(t, Options{}, FileSource("../testdata/logs/broken/kube-audit.log"))
	in := inputs[0]
	var got []string
	for _, s := range in.Samples {
		got = append(got, fmt.Sprintf("%d %s x%d", s.Line, s.Kind, s.Count))
	}
	// A line's problems of one kind are one sample, counted: both bodies of line 35 skipped,
	// the three numbers of line 42's array.
	want := []string{
		"7 not-json x1", "14 not-an-event x1", "21 wrong-type x1", "28 cloudwatch-truncated x1",
		"35 body-skipped x2", "42 not-an-event x3", "47 truncated-line x1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got)\n%s", diff)
	}
	// 40 good events plus the one whose bodies were skipped.
	if in.Events != 41 || in.Lines != 47 || in.Lost() != 8 {
		t.Errorf("events %d lines %d lost %d; want 41, 47, 8", in.Events, in.Lines, in.Lost())
	}
	var skipped *Event
	for _, ev := range evs {
		if ev.ObjectRef != nil && ev.ObjectRef.Name == "big" {
			skipped = ev
		}
	}
	if skipped == nil || !skipped.BodiesDropped || skipped.RequestObject != nil {
		t.Errorf("the event with skipped bodies must be kept and marked: %+v", skipped)
	}
	// Its two bodies are two problems, but one event, and one write whose bodies were
	// dropped: not one logged without them.
	pods := in.Kinds[Kind{Resource: "pods"}]
	if in.BodiesDropped != 1 || pods == nil || pods.Dropped["update"] != 1 || pods.Bodies["update"] != 0 {
		t.Errorf("events with bodies dropped %d, pods %+v; want 1, and the update counted dropped", in.BodiesDropped, pods)
	}
}

func TestStrict(t *testing.T) {
	r := NewReader(context.Background(), []Source{FileSource("../testdata/logs/broken/kube-audit.log")}, Options{Strict: true})
	defer r.Close()
	var err error
	for err == nil {
		_, err = r.Next()
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 7 || pe.Kind != ProblemNotJSON || !strings.Contains(err.Error(), "broken/kube-audit.log:7") {
		t.Fatalf("got %v, want a ParseError at line 7", err)
	}
}

func TestCorruptGzip(t *testing.T) {
	_, inputs, _ := readAll(t, Options{}, files(t, "../testdata/logs/corrupt-gzip/*")...)
	in := inputs[0]
	if in.Err == "" || in.Problems[ProblemCorruptSource] != 1 || !in.Compressed {
		t.Fatalf("a damaged gzip file must be reported: err %q problems %v", in.Err, in.Problems)
	}
	if in.Events == 0 {
		t.Error("the events before the damage must be kept")
	}
}

// TestRotatedCopytruncate: the last lines of the rotated file repeat at the start of the
// current one; each request must come out once.
func TestRotatedCopytruncate(t *testing.T) {
	evs, inputs, m := readAll(t, Options{}, files(t, "../testdata/logs/rotated/*")...)
	if inputs[0].Events+inputs[1].Events-5 != int64(len(evs))+m.Superseded {
		t.Errorf("delivered %d (+%d superseded) of %d+%d events with 5 repeated", len(evs), m.Superseded, inputs[0].Events, inputs[1].Events)
	}
	if m.Duplicates != 5 {
		t.Errorf("duplicates %d, want 5", m.Duplicates)
	}
	// Every event is counted once, not only the in-scope writes merged.
	if want := inputs[0].Events + inputs[1].Events - 5; m.Events != want {
		t.Errorf("events counted %d, want %d: the 5 repeated lines once", m.Events, want)
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if seen[ev.AuditID] {
			t.Errorf("auditID %s delivered twice", ev.AuditID)
		}
		seen[ev.AuditID] = true
		if i > 0 && ev.Time().Before(evs[i-1].Time()) {
			t.Fatalf("event %d out of time order", i)
		}
		if ev.Stage != StageResponseComplete {
			t.Errorf("stage %s delivered; the final stage must supersede it", ev.Stage)
		}
	}
}

// TestMergeOrder: an HA control plane's logs give the same stream whatever order they are
// given in.
func TestMergeOrder(t *testing.T) {
	srcs := files(t, "../testdata/logs/ha-3-nodes/*")
	sig := func(evs []*Event) []string {
		var s []string
		for _, ev := range evs {
			s = append(s, ev.AuditID+" "+ev.Source)
		}
		return s
	}
	a, _, _ := readAll(t, Options{}, srcs...)
	b, _, _ := readAll(t, Options{}, srcs[2], srcs[0], srcs[1])
	if len(a) < 400 {
		t.Fatalf("only %d events", len(a))
	}
	for i := 1; i < len(a); i++ {
		if a[i].Time().Before(a[i-1].Time()) {
			t.Fatalf("event %d out of order", i)
		}
	}
	if diff := cmp.Diff(sig(a), sig(b)); diff != "" {
		t.Errorf("the order of the sources changed the stream (-a +b)\n%s", diff)
	}
}

// TestLayouts: the same events written as API server lines, with keys sorted, pretty-printed,
// as an array, and as YAML, read the same.
func TestLayouts(t *testing.T) {
	raw, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))[:60]
	var sorted, pretty bytes.Buffer
	var arr []any
	for _, l := range lines {
		var v map[string]any
		if err := jsonUnmarshalStd(l, &v); err != nil {
			t.Fatal(err)
		}
		b, _ := jsonMarshalStd(v, "")
		sorted.Write(b)
		sorted.WriteByte('\n')
		b, _ = jsonMarshalStd(v, "  ")
		pretty.Write(b)
		pretty.WriteByte('\n')
		arr = append(arr, v)
	}
	array, _ := jsonMarshalStd(arr, " ")
	gz := gzipBytes(t, bytes.Join(lines, []byte("\n")))
	layouts := map[string][]byte{
		"api-server":   append(bytes.Join(lines, []byte("\n")), '\n'),
		"key-sorted":   sorted.Bytes(),
		"pretty":       pretty.Bytes(),
		"array":        array,
		"gzip":         gz,
		"bom+crlf":     append([]byte("\xEF\xBB\xBF"), bytes.ReplaceAll(sorted.Bytes(), []byte("\n"), []byte("\r\n"))...),
		"concatenated": bytes.ReplaceAll(sorted.Bytes(), []byte("}\n{"), []byte("}{")),
	}
	scope := NewScope(Kind{"", "pods"}, Kind{"", "namespaces"}, Kind{"", "serviceaccounts"}, Kind{"", "endpoints"}, Kind{"networking.k8s.io", "networkpolicies"})
	var base []string
	for _, name := range []string{"api-server", "key-sorted", "pretty", "array", "gzip", "bom+crlf", "concatenated"} {
		evs, inputs, _ := readAll(t, Options{Scope: scope, WritesOnly: true}, ReaderSource(name, bytes.NewReader(layouts[name])))
		var got []string
		for _, ev := range evs {
			got = append(got, fmt.Sprintf("%s %s %s/%s %d %d", ev.AuditID, ev.Verb, ev.Resource(), ev.ObjectRef.Name, len(ev.RequestObject), ev.Code()))
		}
		if inputs[0].Events != 60 || len(inputs[0].Problems) != 0 {
			t.Errorf("%s: %d events, problems %v; want 60 and none", name, inputs[0].Events, inputs[0].Problems)
		}
		if base == nil {
			base = got
			if len(base) == 0 {
				t.Fatal("no in-scope writes in the sample")
			}
			continue
		}
		if len(got) != len(base) {
			t.Errorf("%s: %d in-scope writes, want %d", name, len(got), len(base))
			continue
		}
		for i := range got {
			// Bodies are re-encoded by the other layouts; compare what they mean, not bytes.
			if strings.Fields(got[i])[0] != strings.Fields(base[i])[0] {
				t.Errorf("%s: event %d is %s, want %s", name, i, got[i], base[i])
			}
		}
	}
}

// TestHugeLine: an event of 16 MiB on one line, between two ordinary ones.
func TestHugeLine(t *testing.T) {
	raw, _ := os.ReadFile("../testdata/realdata/falco-k8s-audit/create_serviceaccount.json")
	small := bytes.TrimSpace(raw)
	big := bytes.Replace(small, []byte(`"name":"myacct"}`), []byte(`"name":"myacct","annotations":{"big":"`+strings.Repeat("x", 16<<20)+`"}}`), 1)
	big = bytes.Replace(big, []byte("db4a8c97"), []byte("ffffffff"), 1)
	input := bytes.Join([][]byte{small, big, bytes.Replace(small, []byte("db4a8c97"), []byte("eeeeeeee"), 1)}, []byte("\n"))
	evs, inputs, _ := readAll(t, Options{}, ReaderSource("huge", bytes.NewReader(input)))
	if len(evs) != 3 || len(inputs[0].Problems) != 0 {
		t.Fatalf("%d events, problems %v; want 3 and none", len(evs), inputs[0].Problems)
	}
	for _, ev := range evs {
		if strings.HasPrefix(ev.AuditID, "ffffffff") && len(ev.RequestObject) < 16<<20 {
			t.Errorf("the 16 MiB body was cut to %d bytes", len(ev.RequestObject))
		}
	}
	// Past the bound, the line is counted and skipped without being held.
	_, inputs, _ = readAll(t, Options{MaxLineBytes: 1 << 20}, ReaderSource("huge", bytes.NewReader(input)))
	if inputs[0].Events != 2 || inputs[0].Problems[ProblemTooLong] != 1 {
		t.Errorf("with a 1 MiB bound: %d events, problems %v", inputs[0].Events, inputs[0].Problems)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"audit.log", "kube-audit-2026-11-01T12-00-00.000.log.gz", "notes.md", ".hidden.log", "sub/audit.json"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte("{}\n"), 0o644)
	}
	srcs, err := Resolve([]string{dir, filepath.Join(dir, "audit.log")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range srcs {
		got = append(got, strings.TrimPrefix(s.Name, dir+"/"))
	}
	want := []string{"audit.log", "kube-audit-2026-11-01T12-00-00.000.log.gz", "sub/audit.json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	for _, bad := range [][]string{{filepath.Join(dir, "missing.log")}, {filepath.Join(dir, "*.nothing")}, {"-", "-"}} {
		_, err := Resolve(bad, strings.NewReader(""))
		var se *SourceError
		if !errors.As(err, &se) {
			t.Errorf("Resolve(%v): got %v, want a SourceError", bad, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-01T12:00:00.123456Z":   "2026-11-01T12:00:00.123456Z",
		"2026-11-01T14:00:00+02:00":     "2026-11-01T12:00:00Z",
		"2022-11-29 00:09:04.38":        "2022-11-29T00:09:04.38Z",
		"2024-11-13 18:34:10.595141000": "2024-11-13T18:34:10.595141Z",
		"":                              "0001-01-01T00:00:00Z",
	} {
		got, err := parseTime(in)
		if err != nil || got.Format("2006-01-02T15:04:05.999999999Z07:00") != want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseTime("yesterday"); err == nil {
		t.Error("parseTime accepted garbage")
	}
}

// TestTimesOutOfReach: a time the merge, the gaps and the rates cannot count in (outside
// 1677-09-21 to 2262-04-11, a year misread by centuries) is a bad timestamp: the line says so, and
// the event is kept without a time. Such a line hung the reader (TestRateCenturiesApart),
// and a year 18 stretched the report's period over two thousand years.
func TestTimesOutOfReach(t *testing.T) {
	line := func(ts string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete",` +
			`"requestURI":"/api/v1/namespaces/shop/pods/web","verb":"get","user":{"username":"alice"},` +
			`"objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"},` +
			`"requestReceivedTimestamp":"` + ts + `","stageTimestamp":"` + ts + `"}`
	}
	for _, c := range []struct{ name, line string }{
		{"the year 18", line("0018-10-26T09:51:35.3Z")},
		{"the year 9999", line("9999-01-01T00:00:00Z")},
		{"the year 1", line("0001-01-01T00:00:00Z")},
		{"a v1beta1 timestamp in milliseconds of the year 3000", strings.Replace(line(""), `"requestReceivedTimestamp"`, `"timestamp":32503680000000,"requestReceivedTimestamp"`, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, fast := range []bool{true, false} {
				var s eventSink
				var problems []string
				dispatchFast([]byte(c.line), 1, "", 0, problemSink{&s, &problems}, fast)
				if len(s.events) != 1 || !s.events[0].Time().IsZero() {
					t.Fatalf("fast %v: %d events, want 1 without a time", fast, len(s.events))
				}
				if !slices.ContainsFunc(problems, func(p string) bool {
					return strings.Contains(p, ProblemBadTimestamp+": ") && strings.Contains(p, "outside 1677-09-21 to 2262-04-11")
				}) {
					t.Errorf("fast %v: problems %q, want a bad timestamp outside 1677-09-21 to 2262-04-11", fast, problems)
				}
			}
		})
	}
	for _, ok := range []string{"1677-09-22T00:00:00Z", "2262-04-11T00:00:00Z", "1970-01-01T00:00:00Z"} {
		if _, err := parseTime(ok); err != nil {
			t.Errorf("parseTime(%q): %v", ok, err)
		}
	}
}

// problemSink keeps the events and the problems a decode finds.
type problemSink struct {
	*eventSink
	problems *[]string
}

func (s problemSink) problem(_ int, kind string, err error) {
	*s.problems = append(*s.problems, kind+": "+err.Error())
}

// TestScanAgreesWithDecode: for every line the scan accepts, it reads the same kind, verb,
// level and time as a full decode.
func TestScanAgreesWithDecode(t *testing.T) {
	var scanned int
	in := interner{}
	for _, src := range files(t, "../testdata/logs/ha-3-nodes/*") {
		raw, err := os.ReadFile(src.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			l, ok := scanLine(line, in)
			if !ok {
				continue
			}
			scanned++
			var w wire
			if err := jsonUnmarshalStd(line, &w); err != nil {
				t.Fatal(err)
			}
			ev, derr := fromWire(&w, nopSink{}, i+1)
			if derr != nil {
				t.Fatal(derr)
			}
			got := fmt.Sprintf("%s %s %s %s %s %s %q", l.kind, l.subresource, l.verb, l.level, l.time, l.stageTime, l.uri)
			want := fmt.Sprintf("%s %s %s %s %s %s %q", Kind{ev.Group(), ev.Resource()}, ev.Subresource(), ev.Verb, ev.Level, ev.Time(), ev.StageTime, ev.RequestURI)
			if got != want {
				t.Errorf("%s:%d: scan %q, decode %q", src.Name, i+1, got, want)
			}
		}
	}
	if scanned < 400 {
		t.Fatalf("only %d lines scanned", scanned)
	}
	// Not the API server's layout: never scanned.
	for _, line := range []string{
		`{"apiVersion":"audit.k8s.io/v1","kind":"Event","level":"Metadata","verb":"get"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","verb":"get","requestReceivedTimestamp":"2026-11-01T00:00:00Z"`,
	} {
		if _, ok := scanLine([]byte(line), in); ok {
			t.Errorf("scanned a line not in the API server layout: %s", line)
		}
	}
}

// TestScanOnlyTheLayout: a line that starts as the API server writes one, but has a key or a
// value the decoders read differently from the scan, is decoded whole. Each case edits one
// line written as the API server writes a get of a pod.
func TestScanOnlyTheLayout(t *testing.T) {
	const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/shop/pods/web","verb":"get","user":{"username":"alice","groups":["dev"]},` +
		`"sourceIPs":["10.0.0.1"],"userAgent":"kubectl","objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"},` +
		`"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-01T00:00:00.000001Z",` +
		`"stageTimestamp":"2026-11-01T00:00:00.000002Z","annotations":{"authorization.k8s.io/decision":"allow"}}`
	if _, ok := scanLine([]byte(line), interner{}); !ok {
		t.Fatal("the line as the API server writes it is not scanned")
	}
	for _, c := range []struct{ name, from, to string }{
		{"objectRef in other case", `"objectRef"`, `"ObjectRef"`},
		{"its resource in other case", `{"resource":"pods"`, `{"Resource":"pods"`},
		{"the user's name in other case", `"user":{"username":"alice"`, `"user":{"username":"alice","UserName":"bob"`},
		{"a key spelled with an escape", `"verb":"get"`, `"verb":"get","ver\u0062":"delete"`},
		{"a key past ASCII that folds to one", `"sourceIPs"`, `"\u017fourceIPs"`},
		{"the verb twice", `"verb":"get"`, `"verb":"get","verb":"delete"`},
		{"an objectRef twice", `"responseStatus"`, `"objectRef":{"resource":"secrets"},"responseStatus"`},
		{"a namespace twice", `"name":"web"`, `"name":"web","namespace":"kube-system"`},
		{"an envelope's key", `"annotations"`, `"items":[],"annotations"`},
		{"the v1beta1 timestamp", `"annotations"`, `"timestamp":"2026-11-02T00:00:00Z","annotations"`},
		{"a verb that is not UTF-8", `"verb":"get"`, "\"verb\":\"g\xe0t\""},
		{"a user name with an escape", `"username":"alice"`, `"username":"al\u0069ce"`},
		{"a resource with an escape", `{"resource":"pods"`, `{"resource":"po\u0064s"`},
		{"a verb of another type", `"verb":"get"`, `"verb":7`},
		{"a user that is no object", `"user":{"username":"alice","groups":["dev"]}`, `"user":"alice"`},
		{"an objectRef that is no object", `"objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"}`, `"objectRef":["pods"]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := strings.Replace(line, c.from, c.to, 1)
			if edited == line {
				t.Fatalf("%q is not in the line", c.from)
			}
			if !validJSON([]byte(edited)) {
				t.Fatalf("not JSON: %s", edited)
			}
			if _, ok := scanLine([]byte(edited), interner{}); ok {
				t.Errorf("scanned: %s", edited)
			}
		})
	}
	// Keys the layout does not name, and the decoders do not read, leave it in the layout.
	for _, extra := range []string{`"newField":1,`, `"user2":{},`} {
		edited := strings.Replace(line, `"annotations"`, extra+`"annotations"`, 1)
		if _, ok := scanLine([]byte(edited), interner{}); !ok {
			t.Errorf("not scanned: %s", edited)
		}
	}
	// The values are read where their keys are, in any order and whatever they hold.
	for _, c := range []struct {
		name  string
		edits []string // pairs of old and new, each old once in the line
		want  string
	}{
		{"as written", nil, "pods get alice"},
		{"a resource with a brace", []string{`{"resource":"pods"`, `{"resource":"po}ds"`}, "po}ds get alice"},
		{"the user's groups first", []string{`{"username":"alice","groups":["dev"]}`, `{"groups":["dev"],"username":"alice"}`}, "pods get alice"},
		{"the verb last", []string{`"verb":"get",`, ``, `"annotations"`, `"verb":"get","annotations"`}, "pods get alice"},
		{"a user without a name", []string{`"username":"alice",`, ``}, "pods get "},
		{"a null objectRef", []string{`{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"}`, `null`}, " get alice"},
	} {
		edited := strings.NewReplacer(c.edits...).Replace(line)
		l, ok := scanLine([]byte(edited), interner{})
		if got := fmt.Sprintf("%s %s %s", l.kind.Resource, l.verb, l.user); !ok || got != c.want {
			t.Errorf("%s: scanned %v, read %q; want %q", c.name, ok, got, c.want)
		}
	}
}

type nopSink struct{}

func (nopSink) event(*Event, uint64)       {}
func (nopSink) problem(int, string, error) {}

// TestGcloudArray: `gcloud logging read --format=json` prints the LogEntries as one
// pretty-printed JSON array.
func TestGcloudArray(t *testing.T) {
	raw, err := os.ReadFile("../testdata/realdata/panther/panther-gke-auditlog-testlogs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var entries []any
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var v any
		if err := jsonUnmarshalStd(l, &v); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, v)
	}
	arr, _ := jsonMarshalStd(entries, "  ")
	evs, inputs, _ := readAll(t, Options{}, ReaderSource("gcloud.json", bytes.NewReader(arr)))
	if inputs[0].Format != FormatValues || inputs[0].Events != 51 || inputs[0].Problems[ProblemUntimed] != 35 || len(evs) != 51 {
		t.Errorf("format %s, %d events (%d delivered), problems %v; want json, 51, untimed 35",
			inputs[0].Format, inputs[0].Events, len(evs), inputs[0].Problems)
	}
}

// eventSink keeps the events a decode finds.
type eventSink struct{ events []*Event }

func (s *eventSink) event(ev *Event, _ uint64)  { s.events = append(s.events, ev) }
func (s *eventSink) problem(int, string, error) {}

// TestBodiesOutliveTheLine: the reader reads the next line over the last, so an event's
// bodies must be copies, by either decoder: goccy/go-json for a line in the API server's
// layout, encoding/json for any other (here keys in another order, and a line inside an
// EventList).
func TestBodiesOutliveTheLine(t *testing.T) {
	const event = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/shop/pods","verb":"create","user":{"username":"alice"},` +
		`"objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},` +
		`"requestObject":{"kind":"Pod","metadata":{"name":"web"}},"responseObject":{"kind":"Pod","metadata":{"name":"web","uid":"u1"}},` +
		`"requestReceivedTimestamp":"2026-11-01T00:00:00.000001Z","stageTimestamp":"2026-11-01T00:00:00.000002Z"}`
	reordered := strings.Replace(event, `{"kind":"Event","apiVersion":"audit.k8s.io/v1",`, `{"apiVersion":"audit.k8s.io/v1","kind":"Event",`, 1)
	for _, c := range []struct {
		name, line string
		fast       bool
	}{
		{"goccy/go-json", event, true},
		{"encoding/json", reordered, false},
		{"in an EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + event + `]}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			line := []byte(c.line)
			var s eventSink
			dispatchFast(line, 1, "", 0, &s, c.fast)
			if len(s.events) != 1 {
				t.Fatalf("%d events, want 1", len(s.events))
			}
			for i := range line {
				line[i] = 'x'
			}
			ev := s.events[0]
			if string(ev.RequestObject) != `{"kind":"Pod","metadata":{"name":"web"}}` || string(ev.ResponseObject) != `{"kind":"Pod","metadata":{"name":"web","uid":"u1"}}` {
				t.Errorf("bodies after the line was read over: %s and %s", ev.RequestObject, ev.ResponseObject)
			}
		})
	}
}
