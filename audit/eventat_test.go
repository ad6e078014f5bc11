package audit

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAt reads a line as the reader reads a line the scan takes: its event from where the
// values are (nil when eventAt leaves it to the decode), and the problems found.
func readAt(line []byte) (ev *Event, problems []string, scanned bool) {
	var at places
	l, ok := scanAt(line, interner{}, &at)
	if !ok {
		return nil, nil, false
	}
	ev = eventAt(line, &at, &l, interner{}, problemSink{&eventSink{}, &problems}, 7)
	return ev, problems, true
}

// decodeStd reads a line as encoding/json and fromWire do, which alone decide what a line
// holds; nil when they find no event in it.
func decodeStd(line []byte) (ev *Event, problems []string) {
	var w wire
	if jsonUnmarshalStd(line, &w) != nil {
		return nil, nil
	}
	ev, derr := fromWire(&w, problemSink{&eventSink{}, &problems}, 7)
	if derr != nil {
		return nil, nil
	}
	ev.Line = 7
	return ev, problems
}

// agreeAt fails when eventAt reads a line otherwise than encoding/json does, or reads one
// encoding/json refuses; it returns whether eventAt read it.
func agreeAt(t testing.TB, line []byte) bool {
	t.Helper()
	got, gotProblems, scanned := readAt(line)
	if !scanned || got == nil {
		return false
	}
	want, wantProblems := decodeStd(line)
	if want == nil {
		t.Fatalf("eventAt reads an event from a line encoding/json reads none from: %.300s", line)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("eventAt and encoding/json differ (-decode +eventAt):\n%s\nline: %.500s", d, line)
	}
	if d := cmp.Diff(wantProblems, gotProblems); d != "" {
		t.Fatalf("problems differ (-decode +eventAt):\n%s", d)
	}
	return true
}

// TestEventAtAgreesWithDecode: every line of the sample logs that the scan takes reads the
// same from where its values are as decoded whole, and each shape eventAt leaves to the
// decode is left.
func TestEventAtAgreesWithDecode(t *testing.T) {
	var read int
	for _, pattern := range []string{"../testdata/logs/*/*.log", "../testdata/logs/*/*/*.log"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range bytes.Split(raw, []byte("\n")) {
				if agreeAt(t, bytes.TrimSpace(line)) {
					read++
				}
			}
		}
	}
	if read < 1000 {
		t.Fatalf("eventAt read only %d lines of the sample logs", read)
	}

	const base = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/shop/pods?fieldManager=kubectl\u0026dryRun=All","verb":"create",` +
		`"user":{"username":"alice","uid":"u-1","groups":["dev","system:authenticated"],"extra":{"k":["v"]}},` +
		`"sourceIPs":["10.0.0.1","::1"],"userAgent":"kubectl/v1.34","objectRef":{"resource":"pods","namespace":"shop","name":"web","uid":"p-1","apiVersion":"v1","resourceVersion":"12"},` +
		`"responseStatus":{"metadata":{},"status":"Failure","message":"pods \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","kind":"pods"},"code":409},` +
		`"requestObject":{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}}},` +
		`"responseObject":{"kind":"Status","code":409},` +
		`"requestReceivedTimestamp":"2026-11-01T00:00:00.000001Z","stageTimestamp":"2026-11-01T00:00:00.000002Z",` +
		`"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"admin\""}}`
	for _, c := range []struct {
		name     string
		old, new string // an edit of base
		read     bool   // eventAt reads it (or leaves it to the decode)
	}{
		{"as the API server writes it", "", "", true},
		{"spaces between the values", `,"sourceIPs":["10.0.0.1","::1"],`, ` , "sourceIPs" : [ "10.0.0.1" , "::1" ] , `, true},
		{"bodies with spaces kept as they are", `"requestObject":{"kind":"Pod",`, `"requestObject": { "kind" : "Pod" ,`, true},
		{"no bodies", `"requestObject":{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}}},"responseObject":{"kind":"Status","code":409},`, ``, true},
		{"null bodies", `"responseObject":{"kind":"Status","code":409}`, `"responseObject":null`, true},
		{"a body the log replaced", `"responseObject":{"kind":"Status","code":409}`, `"responseObject":"skipped-too-big-size-object"`, true},
		{"a body of a number", `"responseObject":{"kind":"Status","code":409}`, `"responseObject":5`, true},
		{"bodies the API server dropped", `"allow",`, `"allow","audit.k8s.io/truncated":"true",`, true},
		{"empty lists and annotations", `["10.0.0.1","::1"]`, `[]`, true},
		{"empty annotations", `"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"admin\""}`, `"annotations":{}`, true},
		{"null annotations", `"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"admin\""}`, `"annotations":null`, true},
		{"an annotation given twice", `"allow",`, `"deny","authorization.k8s.io/decision":"allow",`, true},
		{"an escaped annotation key", `"authorization.k8s.io/decision"`, `"authorization.k8s.io\/decision"`, true},
		{"text past ASCII", `"kubectl/v1.34"`, `"kubectl/v1.34 \u00e9t\u00e9 ✓"`, true},
		{"invalid UTF-8", `"kubectl/v1.34"`, "\"kubectl\xff\xfe\"", true},
		{"null user", `"user":{"username":"alice","uid":"u-1","groups":["dev","system:authenticated"],"extra":{"k":["v"]}}`, `"user":null`, true},
		{"null groups", `"groups":["dev","system:authenticated"]`, `"groups":null`, true},
		{"null object reference", `"objectRef":{"resource":"pods","namespace":"shop","name":"web","uid":"p-1","apiVersion":"v1","resourceVersion":"12"}`, `"objectRef":null`, true},
		{"a status of code alone", `{"metadata":{},"status":"Failure","message":"pods \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","kind":"pods"},"code":409}`, `{"code":201}`, true},
		{"an empty status", `{"metadata":{},"status":"Failure","message":"pods \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","kind":"pods"},"code":409}`, `{}`, true},
		{"a status with a key of its own", `"code":409}`, `"retryAfterSeconds":[1,{"a":"}"}],"code":409}`, true},
		{"a negative code", `"code":409}`, `"code":-2147483648}`, true},
		{"a status key given twice", `"code":409}`, `"code":409,"reason":"Conflict"}`, true},

		{"an impersonated user", `"sourceIPs"`, `"impersonatedUser":{"username":"bob"},"sourceIPs"`, false},
		{"a status key in other case", `"code":409}`, `"Code":409}`, false},
		{"a status key escaped", `"code":409}`, `"c\u006fde":409}`, false},
		{"a code with a fraction", `"code":409}`, `"code":409.0}`, false},
		{"a code with an exponent", `"code":409}`, `"code":4e2}`, false},
		{"a code past int32", `"code":409}`, `"code":2147483648}`, false},
		{"a null code", `"code":409}`, `"code":null}`, false},
		{"a code of text", `"code":409}`, `"code":"409"}`, false},
		{"a null reason", `"reason":"AlreadyExists"`, `"reason":null`, false},
		{"a null annotation", `"allow",`, `null,`, false},
		{"an annotation of a number", `"allow",`, `1,`, false},
		{"a null group", `["dev",`, `[null,`, false},
		{"a group of a number", `["dev",`, `[1,`, false},
		{"source IPs of text", `["10.0.0.1","::1"]`, `"10.0.0.1"`, false},
		{"a user agent of a number", `"kubectl/v1.34"`, `34`, false},
		{"a name of a number", `"name":"web","uid"`, `"name":1,"uid"`, false},
		{"a status of text", `"responseStatus":{`, `"responseStatus":"x","x":{`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			line := base
			if c.old != "" {
				if !strings.Contains(line, c.old) {
					t.Fatalf("the edit's %q is not in the line", c.old)
				}
				line = strings.Replace(line, c.old, c.new, 1)
			}
			if _, _, scanned := readAt([]byte(line)); !scanned {
				t.Fatalf("the scan does not take the line: %s", line)
			}
			if got := agreeAt(t, []byte(line)); got != c.read {
				t.Fatalf("eventAt read it: %v, want %v", got, c.read)
			}
		})
	}
}

// TestEventAtOwnsItsBodies: the reader reads the next line over the last, so the bodies an
// event keeps must not be the line's bytes, nor run one into the other.
func TestEventAtOwnsItsBodies(t *testing.T) {
	line := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/shop/pods","verb":"create","user":{"username":"alice"},` +
		`"objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1"},` +
		`"requestObject":{"a":1},"responseObject":{"b":2},` +
		`"requestReceivedTimestamp":"2026-11-01T00:00:00Z","stageTimestamp":"2026-11-01T00:00:00Z"}`)
	ev, _, _ := readAt(line)
	if ev == nil {
		t.Fatal("eventAt did not read the line")
	}
	for i := range line {
		line[i] = 'x'
	}
	ev.RequestObject = append(ev.RequestObject, '!')
	if string(ev.RequestObject) != `{"a":1}!` || string(ev.ResponseObject) != `{"b":2}` {
		t.Fatalf("bodies %q and %q, want {\"a\":1}! and {\"b\":2}", ev.RequestObject, ev.ResponseObject)
	}
}

// TestEventAtOnGeneratedLines: lines of the API server's layout whose other values are of
// every type, null or missing, with spacing between any two tokens, keys in any order,
// escapes, surrogates and broken UTF-8, and status keys that fold onto a field. eventAt
// reads each as encoding/json does, or leaves it to the decode.
func TestEventAtOnGeneratedLines(t *testing.T) {
	r := rand.New(rand.NewPCG(26, 12))
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	sp := func() string {
		if r.IntN(4) > 0 {
			return ""
		}
		return pick(" ", "\t", "\n  ", "\r\n")
	}
	text := func() string {
		var b strings.Builder
		b.WriteByte('"')
		for range r.IntN(5) {
			b.WriteString(pick("a", "web", "x y", `\"`, `\\`, `\/`, `\n`, `\u0000`, `\u00e9`, `\u0041`, `\ud83d\ude00`,
				`\ud800`, `\udc00x`, "é", "ſ", "✓", "\xff", "\xed\xa0\x80", "\xe2\x82", "abcdefghijk", "}", "],"))
		}
		b.WriteByte('"')
		return b.String()
	}
	number := func() string {
		return pick("0", "-0", "1", "409", "-2147483648", "2147483647", "2147483648", "-2147483649", "1.5", "1e2", "409.0", "99999999999999999999")
	}
	join := func(open, close string, parts []string) string {
		for i := range parts {
			parts[i] = sp() + parts[i] + sp()
		}
		return open + sp() + strings.Join(parts, ",") + close
	}
	var value func(depth int) string
	value = func(depth int) string {
		kinds := 7
		if depth > 2 {
			kinds = 5
		}
		switch r.IntN(kinds) {
		case 0:
			return "null"
		case 1:
			return pick("true", "false")
		case 2:
			return number()
		case 3, 4:
			return text()
		case 5:
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, value(depth+1))
			}
			return join("[", "]", parts)
		}
		var parts []string
		for range r.IntN(4) {
			parts = append(parts, text()+sp()+":"+sp()+value(depth+1))
		}
		return join("{", "}", parts)
	}
	// field is usually of the type given, sometimes null or anything.
	field := func(typed func() string) string {
		switch r.IntN(12) {
		case 0:
			return "null"
		case 1:
			return value(1)
		}
		return typed()
	}
	kv := func(k, v string) string { return `"` + k + `"` + sp() + ":" + sp() + v }
	object := func(pairs []string) string {
		r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		return join("{", "}", pairs)
	}
	some := func(keys []string, val func(k string) string) string {
		var pairs []string
		for range r.IntN(5) {
			k := pick(keys...)
			pairs = append(pairs, kv(k, val(k)))
		}
		return object(pairs)
	}
	texts := func() string {
		var parts []string
		for range r.IntN(4) {
			parts = append(parts, field(text))
		}
		return join("[", "]", parts)
	}
	status := func() string {
		return some([]string{"code", "code", "status", "reason", "message", "metadata", "details", "Code", "ſtatus", `c\u006fde`, "cöde", "codes", ""},
			func(k string) string {
				if strings.Contains(k, "ode") && r.IntN(3) > 0 {
					return number()
				}
				return field(text)
			})
	}
	annotations := func() string {
		return some([]string{"audit.k8s.io/truncated", `audit.k8s.io\/truncated`, "authorization.k8s.io/decision", "a"},
			func(string) string {
				return field(func() string { return pick(`"true"`, `"false"`, `"allow"`, text()) })
			})
	}
	var read, scanned int
	for range 20000 {
		pairs := []string{
			kv("auditID", `"a-`+strconv.Itoa(r.IntN(100))+`"`), kv("stage", `"ResponseComplete"`),
			kv("requestURI", pick(`"/api/v1/namespaces/shop/pods"`, `"/api/v1/pods?watch=1\u0026limit=5"`)),
			kv("verb", pick(`"create"`, `"patch"`, `"delete"`)),
			kv("user", object([]string{kv("username", `"alice"`), kv("uid", field(text)), kv("groups", field(texts)), kv("extra", value(1))})),
			kv("objectRef", object([]string{kv("resource", `"pods"`), kv("namespace", field(text)), kv("name", field(text)),
				kv("uid", field(text)), kv("apiVersion", field(text)), kv("resourceVersion", field(text))})),
			kv("requestReceivedTimestamp", `"2026-11-01T00:00:00.5Z"`), kv("stageTimestamp", `"2026-11-01T00:00:01Z"`),
		}
		for _, opt := range []string{
			kv("sourceIPs", field(texts)), kv("userAgent", field(text)), kv("responseStatus", field(status)),
			kv("annotations", field(annotations)), kv("requestObject", value(0)), kv("responseObject", value(0)),
			kv("impersonatedUser", pick("null", `{"username":"bob"}`)),
		} {
			if r.IntN(5) > 0 {
				pairs = append(pairs, opt)
			}
		}
		r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		line := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse",` + strings.Join(pairs, ",") + sp() + "}")
		if _, _, ok := readAt(line); ok {
			scanned++
		}
		if agreeAt(t, line) {
			read++
		}
	}
	// Most lines are taken by the scan, and eventAt reads many of them: the test reaches it.
	if scanned < 19000 || read < 2000 {
		t.Fatalf("of 20,000 lines the scan took %d and eventAt read %d", scanned, read)
	}
	t.Logf("of 20,000 lines the scan took %d and eventAt read %d", scanned, read)
}
