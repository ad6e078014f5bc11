package audit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/auditreport/auditreport/internal/fastjson"
)

// wire is every shape a JSON value in an audit input can take: an audit event (v1 or v1beta1)
// or one of the envelopes around it. One decode tells them apart, so an event line is decoded
// once whatever the source.
type wire struct {
	Kind             json.RawMessage   `json:"kind"`
	APIVersion       string            `json:"apiVersion"`
	Level            string            `json:"level"`
	AuditID          string            `json:"auditID"`
	Stage            string            `json:"stage"`
	RequestURI       string            `json:"requestURI"`
	Verb             string            `json:"verb"`
	User             *UserInfo         `json:"user"`
	ImpersonatedUser *UserInfo         `json:"impersonatedUser"`
	SourceIPs        []string          `json:"sourceIPs"`
	UserAgent        string            `json:"userAgent"`
	ObjectRef        *ObjectRef        `json:"objectRef"`
	ResponseStatus   *Status           `json:"responseStatus"`
	RequestObject    json.RawMessage   `json:"requestObject"`
	ResponseObject   json.RawMessage   `json:"responseObject"`
	RequestReceived  string            `json:"requestReceivedTimestamp"`
	StageTimestamp   string            `json:"stageTimestamp"`
	Timestamp        json.RawMessage   `json:"timestamp"` // v1beta1 event, GKE LogEntry, CloudWatch (ms)
	Annotations      map[string]string `json:"annotations"`

	// Envelopes.
	Items         json.RawMessage `json:"items"`   // webhook EventList
	Events        json.RawMessage `json:"events"`  // aws logs filter-log-events
	Records       json.RawMessage `json:"records"` // AKS diagnostics
	Properties    *akstProperties `json:"properties"`
	Message       json.RawMessage `json:"message"`  // CloudWatch log event
	AtMessage     json.RawMessage `json:"@message"` // CloudWatch Logs Insights
	LogS          json.RawMessage `json:"log_s"`    // AKS Log Analytics
	PodS          string          `json:"pod_s"`    // AKS Log Analytics: the API server's pod
	LogStreamName string          `json:"logStreamName"`
	EventID       string          `json:"eventId"`      // CloudWatch log event
	ProtoPayload  json.RawMessage `json:"protoPayload"` // GKE Cloud Logging LogEntry
	Labels        map[string]string
	InsertID      string `json:"insertId"`
	Operation     *struct {
		ID string `json:"id"`
	} `json:"operation"`
}

type akstProperties struct {
	Log json.RawMessage `json:"log"`
	Pod string          `json:"pod"`
}

// Problem kinds: what can be wrong with a piece of input. Kinds marked "kept" leave the event
// in the stream with less content; the others lose the value they name.
const (
	ProblemNotJSON        = "not-json"             // a line that is not JSON
	ProblemTruncatedLine  = "truncated-line"       // the last line of a source, cut off mid-value
	ProblemNotEvent       = "not-an-event"         // JSON that is neither an event nor a known envelope
	ProblemWrongType      = "wrong-type"           // a known field with a value of the wrong JSON type
	ProblemCWTruncated    = "cloudwatch-truncated" // a CloudWatch message cut at its size limit
	ProblemTooLong        = "too-long"             // a line longer than Options.MaxLineBytes
	ProblemBodySkipped    = "body-skipped"         // kept: "skipped-too-big-size-object" in place of a body
	ProblemBodyTruncated  = "body-truncated"       // kept: audit.k8s.io/truncated, bodies dropped by the server
	ProblemBadTimestamp   = "bad-timestamp"        // kept: a timestamp that cannot be read
	ProblemUntimed        = "untimed"              // kept: an event with no timestamp at all
	ProblemCorruptSource  = "corrupt-source"       // the source stopped being readable (bad gzip, I/O error)
	ProblemUnparsableRest = "unreadable-rest"      // a multi-line JSON document broke; the rest of the source was not read
	ProblemInProgress     = "in-progress"          // a gzip file still being written: read as far as it was
	// ProblemConflictingRepeat is counted, not kept: an event with the request, stage and
	// times of one read before (its auditID, verb, URI, user) but other content. It counts
	// once, as the copy read first (by input name, then line); the sample says where both are.
	ProblemConflictingRepeat = "conflicting-repeat"
)

// Lost reports whether a problem kind means input was lost rather than kept with less content.
func Lost(kind string) bool {
	switch kind {
	case ProblemBodySkipped, ProblemBodyTruncated, ProblemBadTimestamp, ProblemUntimed, ProblemConflictingRepeat:
		return false
	}
	return true
}

// decodeError is a problem found while decoding one value.
type decodeError struct {
	kind string
	err  error
}

func (e *decodeError) Error() string { return e.err.Error() }

func problem(kind string, format string, args ...any) *decodeError {
	return &decodeError{kind: kind, err: fmt.Errorf(format, args...)}
}

// sink receives what a source yields: events, each with the fingerprint of the JSON it was
// read from (contentSum), which tells an exact repeat from another event of the same request
// and stage; and problems tied to a line.
type sink interface {
	event(ev *Event, sum uint64)
	problem(line int, kind string, err error)
}

// maxEnvelopeDepth bounds envelope nesting (a record in a list in a list ...), which only
// hostile input reaches.
const maxEnvelopeDepth = 8

// dispatch decodes one JSON value found at line of a source and hands its events to s. node is
// the API server named by an enclosing envelope, if any.
func dispatch(raw []byte, line int, node string, depth int, s sink) {
	dispatchFast(raw, line, node, depth, s, false)
}

// dispatchFast is dispatch that may use the fast decoder on the top-level value: only for
// lines written in the API server's own layout, see decodeWire.
func dispatchFast(raw []byte, line int, node string, depth int, s sink, fast bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	if depth > maxEnvelopeDepth {
		s.problem(line, ProblemNotEvent, errors.New("envelopes nested too deep"))
		return
	}
	switch raw[0] {
	case '[':
		dispatchArray(raw, line, node, depth, s)
		return
	case '{':
	default:
		if !stdjson.Valid(raw) {
			s.problem(line, ProblemNotJSON, errors.New("not JSON"))
			return
		}
		s.problem(line, ProblemNotEvent, fmt.Errorf("a JSON %s, not an object", jsonKind(raw[0])))
		return
	}
	var w wire
	if err := decodeWire(raw, &w, depth == 0 && fast); err != nil {
		if vals := splitConcatenated(raw); len(vals) > 1 {
			for _, v := range vals {
				dispatch(v, line, node, depth+1, s)
			}
			return
		}
		s.problem(line, classify(err), err)
		return
	}
	switch {
	case isArray(w.Items):
		dispatchArray(w.Items, line, node, depth, s)
	case isArray(w.Records):
		dispatchArray(w.Records, line, node, depth, s)
	case isArray(w.Events):
		dispatchLogEvents(w.Events, line, node, depth, s)
	case w.Properties != nil && len(w.Properties.Log) > 0:
		if w.Properties.Pod != "" {
			node = w.Properties.Pod
		}
		dispatchWrapped(w.Properties.Log, line, node, "", depth, s)
	case isString(w.Message) && !looksLikeEvent(&w):
		if w.LogStreamName != "" {
			node = w.LogStreamName
		}
		record := ""
		if w.EventID != "" {
			record = "eventId " + w.EventID
		}
		dispatchWrapped(w.Message, line, node, record, depth, s)
	case isString(w.AtMessage):
		dispatchWrapped(w.AtMessage, line, node, "", depth, s)
	case isString(w.LogS):
		// The pod column names the API server, as properties.pod does in the other exports:
		// without it, the rows of several servers would seem the work of one.
		if w.PodS != "" {
			node = w.PodS
		}
		dispatchWrapped(w.LogS, line, node, "", depth, s)
	case len(w.ProtoPayload) > 0:
		ev, err := fromLogEntry(&w, s, line)
		if err != nil {
			s.problem(line, err.kind, err)
			return
		}
		ev.Line, ev.Node = line, node
		s.event(ev, contentSum(raw, false))
	default:
		ev, err := fromWire(&w, s, line)
		if err != nil {
			s.problem(line, err.kind, err)
			return
		}
		ev.Line, ev.Node = line, node
		// A line in the API server's layout (fast) is compact already.
		s.event(ev, contentSum(raw, depth == 0 && fast))
	}
}

// decodeWire decodes one value. goccy/go-json is about twice as fast as encoding/json but is
// known to panic on some malformed input (and to carry state between calls after an error),
// so it is used only where fast is set - lines that already passed the API server layout
// check - with any panic recovered, and any error decided again by encoding/json, which
// alone decides what is accepted and how errors read.
func decodeWire(raw []byte, w *wire, fast bool) error {
	if fast {
		if fastjson.Unmarshal(raw, w) == nil {
			return nil
		}
		*w = wire{}
	}
	return stdjson.Unmarshal(raw, w)
}

// splitConcatenated splits a line of several JSON values written back to back ({...}{...}),
// as some tools print them. It returns nil unless every byte belongs to a whole value.
func splitConcatenated(raw []byte) [][]byte {
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	var out [][]byte
	for {
		var v stdjson.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			return out
		}
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
}

func dispatchArray(raw json.RawMessage, line int, node string, depth int, s sink) {
	var items []json.RawMessage
	if err := stdjson.Unmarshal(raw, &items); err != nil {
		s.problem(line, classify(err), err)
		return
	}
	for _, it := range items {
		dispatch(it, line, node, depth+1, s)
	}
}

// dispatchLogEvents reads the log events of an `aws logs filter-log-events` export, all on
// one line or a few: a message CloudWatch cut is said with its place in the list, which finds
// it where the line does not.
func dispatchLogEvents(raw json.RawMessage, line int, node string, depth int, s sink) {
	var items []json.RawMessage
	if err := stdjson.Unmarshal(raw, &items); err != nil {
		s.problem(line, classify(err), err)
		return
	}
	for i, it := range items {
		dispatch(it, line, node, depth+1, logEventSink{s, i})
	}
}

// logEventSink names the log event of an export in what CloudWatch cut.
type logEventSink struct {
	sink
	index int
}

func (s logEventSink) problem(line int, kind string, err error) {
	if kind == ProblemCWTruncated {
		err = fmt.Errorf("events[%d]: %w", s.index, err)
	}
	s.sink.problem(line, kind, err)
}

// cloudWatchTruncated is what CloudWatch appends to a message it cut at its size limit.
const cloudWatchTruncated = "[Truncated...]"

// dispatchWrapped handles an event carried inside another record, either as a JSON string
// (CloudWatch message, AKS log) or as an object. record names the record where it has an
// identity of its own (a CloudWatch eventId).
func dispatchWrapped(raw json.RawMessage, line int, node, record string, depth int, s sink) {
	if !isString(raw) {
		dispatch(raw, line, node, depth+1, s)
		return
	}
	var inner string
	if err := stdjson.Unmarshal(raw, &inner); err != nil {
		s.problem(line, ProblemNotJSON, err)
		return
	}
	inner = strings.TrimSpace(inner)
	if strings.HasSuffix(inner, cloudWatchTruncated) {
		prefix := strings.TrimSuffix(inner, cloudWatchTruncated)
		msg := fmt.Sprintf("message cut at %d bytes by CloudWatch", len(prefix))
		if record != "" {
			msg = record + ": " + msg
		}
		if what := cutEvent(prefix); what != "" {
			msg += "; what is left of it: " + what
		}
		s.problem(line, ProblemCWTruncated, errors.New(msg))
		return
	}
	if !strings.HasPrefix(inner, "{") {
		s.problem(line, ProblemNotEvent, errors.New("wrapped message is not a JSON object"))
		return
	}
	dispatch([]byte(inner), line, node, depth+1, s)
}

// cutEvent says what the intact start of a cut event shows of it, so that the event lost can
// be looked for elsewhere (the API server's own log, another export): its auditID, stage,
// verb, object and time, those of them that came before the cut. "" when none did.
func cutEvent(prefix string) string {
	var parts []string
	for _, f := range []struct{ key, label string }{
		{"auditID", "auditID"}, {"stage", "stage"}, {"verb", "verb"},
		{"requestURI", "requestURI"}, {"requestReceivedTimestamp", "received"},
	} {
		if v, ok := cutField(prefix, f.key); ok {
			parts = append(parts, f.label+" "+v)
		}
	}
	if i, ok := valueAt(prefix, "objectRef", '{'); ok {
		ref := prefix[i:]
		if j := strings.IndexByte(ref, '}'); j >= 0 {
			ref = ref[:j]
		}
		var obj []string
		for _, key := range []string{"resource", "namespace", "name", "subresource"} {
			if v, ok := cutField(ref, key); ok {
				obj = append(obj, key+"="+v)
			}
		}
		if len(obj) > 0 {
			parts = append(parts, "objectRef "+strings.Join(obj, ","))
		}
	}
	return strings.Join(parts, ", ")
}

// valueAt finds where the value of key starts in JSON text, written compact or with spaces
// ("key": "v"): the index of its first byte, which must be open ('"' or '{').
func valueAt(s, key string, open byte) (int, bool) {
	quoted := `"` + key + `"`
	for from := 0; ; {
		i := strings.Index(s[from:], quoted)
		if i < 0 {
			return 0, false
		}
		j := from + i + len(quoted)
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
			j++
		}
		if j < len(s) && s[j] == ':' {
			j++
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			if j < len(s) && s[j] == open {
				return j, true
			}
		}
		from = from + i + 1
	}
}

// cutField finds the string value of key in the start of a JSON object, whole, or false
// when it is not there or the cut went through it. Values in nested objects of another key
// may be found too: auditID, stage and verb only appear at the top of an event.
func cutField(s, key string) (string, bool) {
	i, ok := valueAt(s, key, '"')
	if !ok {
		return "", false
	}
	rest := s[i+1:]
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			var v string
			if stdjson.Unmarshal([]byte(`"`+rest[:j+1]), &v) != nil || v == "" {
				return "", false
			}
			return abbreviate([]byte(v), 200), true
		}
	}
	return "", false
}

// looksLikeEvent tells an audit event that happens to carry a "message" key from a log
// record that wraps one.
func looksLikeEvent(w *wire) bool {
	return w.Verb != "" || w.AuditID != "" || w.ObjectRef != nil
}

// fromWire turns a decoded value into an Event, or says why it is none.
func fromWire(w *wire, s sink, line int) (*Event, *decodeError) {
	if len(w.Kind) > 0 && !bytes.Equal(w.Kind, []byte(`"Event"`)) && !bytes.Equal(w.Kind, []byte("null")) {
		return nil, problem(ProblemNotEvent, "kind is %s, not \"Event\"", abbreviate(w.Kind, 40))
	}
	if w.Verb == "" && w.RequestURI == "" {
		return nil, problem(ProblemNotEvent, "no verb and no requestURI")
	}
	ev := &Event{
		Level:            w.Level,
		AuditID:          w.AuditID,
		Stage:            w.Stage,
		RequestURI:       w.RequestURI,
		Verb:             w.Verb,
		ImpersonatedUser: w.ImpersonatedUser,
		SourceIPs:        w.SourceIPs,
		UserAgent:        w.UserAgent,
		ObjectRef:        w.ObjectRef,
		ResponseStatus:   w.ResponseStatus,
		Annotations:      w.Annotations,
	}
	if w.User != nil {
		ev.User = *w.User
	}
	var err error
	if ev.RequestReceived, err = parseTime(w.RequestReceived); err != nil {
		s.problem(line, ProblemBadTimestamp, fmt.Errorf("requestReceivedTimestamp: %w", err))
	}
	if ev.StageTime, err = parseTime(w.StageTimestamp); err != nil {
		s.problem(line, ProblemBadTimestamp, fmt.Errorf("stageTimestamp: %w", err))
	}
	if ev.RequestReceived.IsZero() && ev.StageTime.IsZero() && len(w.Timestamp) > 0 {
		// audit.k8s.io/v1beta1 has one "timestamp" for both.
		t, err := parseTimeValue(w.Timestamp)
		if err != nil {
			s.problem(line, ProblemBadTimestamp, fmt.Errorf("timestamp: %w", err))
		}
		ev.RequestReceived, ev.StageTime = t, t
	}
	if ev.RequestReceived.IsZero() && ev.StageTime.IsZero() {
		s.problem(line, ProblemUntimed, errors.New("event has no timestamp"))
	}
	ev.keepBodies(w.RequestObject, w.ResponseObject, s, line)
	return ev, nil
}

// keepBodies keeps the event's request and response objects, and records where the log
// replaced them or the API server dropped them.
func (ev *Event) keepBodies(req, resp json.RawMessage, s sink, line int) {
	ev.RequestObject = body(req, ev, s, line)
	ev.ResponseObject = body(resp, ev, s, line)
	if ev.Annotations["audit.k8s.io/truncated"] == "true" {
		ev.BodiesDropped = true
		s.problem(line, ProblemBodyTruncated, errors.New("the API server dropped the bodies (audit.k8s.io/truncated)"))
	}
}

// body keeps a request or response object, or records that the log replaced it.
func body(raw json.RawMessage, ev *Event, s sink, line int) json.RawMessage {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if raw[0] == '"' {
		ev.BodiesDropped = true
		s.problem(line, ProblemBodySkipped, fmt.Errorf("body replaced by %s", abbreviate(raw, 40)))
		return nil
	}
	return raw
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// parseTime reads the timestamps audit logs really carry: RFC 3339 from the API server, and
// the space-separated, zone-less form some log shippers rewrite them to (read as UTC).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return countable(t.UTC())
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q", abbreviate([]byte(s), 40))
}

// parseTimeValue reads a timestamp that is a JSON string, or a number of milliseconds since
// the epoch as CloudWatch writes it.
func parseTimeValue(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := stdjson.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		return parseTime(s)
	}
	var ms int64
	if err := stdjson.Unmarshal(raw, &ms); err != nil {
		return time.Time{}, fmt.Errorf("cannot read time %s", abbreviate(raw, 40))
	}
	return countable(time.UnixMilli(ms).UTC())
}

// The times an event may have are those a Unix time in nanoseconds holds, 1677-09-21 to
// 2262-04-11: the merge, the gaps and the rates count in it. A time outside (a year misread
// by centuries) is a timestamp that cannot be read: the event is kept, without a time.
var earliest, latest = time.Unix(0, math.MinInt64).UTC(), time.Unix(0, math.MaxInt64).UTC()

// countable returns t, or an error when it is outside the times an event may have.
func countable(t time.Time) (time.Time, error) {
	if t.Before(earliest) || t.After(latest) {
		return time.Time{}, fmt.Errorf("time %s is outside %s to %s, the times counted in (Unix nanoseconds)",
			t.Format(time.RFC3339Nano), earliest.Format(time.DateOnly), latest.Format(time.DateOnly))
	}
	return t, nil
}

// classify names the problem behind a decoding error.
func classify(err error) string {
	var typeErr *json.UnmarshalTypeError
	var stdTypeErr *stdjson.UnmarshalTypeError
	if errors.As(err, &typeErr) || errors.As(err, &stdTypeErr) {
		return ProblemWrongType
	}
	return ProblemNotJSON
}

func isArray(raw json.RawMessage) bool  { return len(raw) > 0 && raw[0] == '[' }
func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

func jsonKind(c byte) string {
	switch c {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// abbreviate shortens a value for an error message.
func abbreviate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
