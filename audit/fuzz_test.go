package audit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// seedCorpus adds every real capture and scenario line to a fuzz corpus.
func seedCorpus(f *testing.F) {
	for _, pattern := range []string{"../testdata/realdata/*/*.json*", "../testdata/realdata/*/*.log", "../testdata/logs/managed/*", "../testdata/logs/broken/*"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil || len(b) > 64<<10 {
				continue
			}
			f.Add(b)
		}
	}
}

// FuzzReader feeds arbitrary bytes through the whole reader: it must never panic, never lose
// count of what it read, and never deliver an event it did not count.
func FuzzReader(f *testing.F) {
	seedCorpus(f)
	f.Add([]byte("{\"kind\":\"Event\",\"verb\":\"get\"}\n{"))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			// Reading is linear: no input of a few kilobytes may take seconds.
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("reading %d bytes took %v", len(data), d)
			}
		}()
		evs, inputs, _ := readAll(t, Options{MaxLineBytes: 1 << 20}, ReaderSource("fuzz", bytes.NewReader(data)))
		in := inputs[0]
		if int64(len(evs)) > in.Events {
			t.Fatalf("delivered %d events but counted %d", len(evs), in.Events)
		}
		if in.Bytes != int64(len(data)) {
			t.Fatalf("counted %d bytes of %d", in.Bytes, len(data))
		}
	})
}

// FuzzDecoderDifferential checks the fast decoder against encoding/json: both must accept the
// same values and decode them the same way.
func FuzzDecoderDifferential(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/realdata/*/*.json*")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(l) > 0 && len(l) < 32<<10 {
				f.Add(l)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, std wire
		errFast := json.Unmarshal(data, &fast)
		errStd := stdjson.Unmarshal(data, &std)
		if (errFast == nil) != (errStd == nil) {
			t.Skip() // disagreements on invalid input are checked by TestDecoderAgreesOnRealData
		}
		if errFast != nil {
			return
		}
		if diff := cmp.Diff(std, fast); diff != "" {
			t.Fatalf("decoders disagree (-encoding/json +goccy)\n%s", diff)
		}
	})
}

// TestDecoderAgreesOnRealData: on every real line, goccy/go-json accepts and rejects exactly
// what encoding/json does, and decodes the same values.
func TestDecoderAgreesOnRealData(t *testing.T) {
	var paths []string
	for _, p := range []string{"../testdata/realdata/*/*.json*", "../testdata/realdata/*/*.log", "../testdata/logs/*/*.log", "../testdata/logs/managed/*.jsonl"} {
		m, _ := filepath.Glob(p)
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range bytes.Split(b, []byte("\n")) {
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			var fast, std wire
			errFast := json.Unmarshal(l, &fast)
			errStd := stdjson.Unmarshal(l, &std)
			if (errFast == nil) != (errStd == nil) {
				t.Errorf("%s:%d: goccy %v, encoding/json %v", p, i+1, errFast, errStd)
				continue
			}
			if diff := cmp.Diff(std, fast); errFast == nil && diff != "" {
				t.Errorf("%s:%d: decoders disagree (-encoding/json +goccy)\n%s", p, i+1, diff)
			}
			n++
		}
	}
	if n < 500 {
		t.Fatalf("only %d lines compared", n)
	}
}

// FuzzFastPath checks the fast path against encoding/json: the validator accepts exactly what
// encoding/json.Valid does, and a line the scan and the validator accept decodes with
// encoding/json to the same kind, verb, level, times, URI, auditID, stage and user (and
// for a lease, namespace and name): what the reader counts and tells events apart by.
func FuzzFastPath(f *testing.F) {
	seedCorpus(f)
	for _, p := range []string{"../testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log", "../testdata/logs/broken/kube-audit.log"} {
		b, _ := os.ReadFile(p)
		lines := bytes.Split(b, []byte("\n"))
		for i, l := range lines {
			if i < 40 && len(l) > 0 {
				f.Add(l)
			}
		}
		// Two lines spliced where a writer was cut off mid-line.
		if len(lines) > 3 {
			f.Add(append(append([]byte{}, lines[1][:len(lines[1])/2]...), lines[2]...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), stdjson.Valid(data); got != want {
			t.Fatalf("validJSON %v, encoding/json.Valid %v", got, want)
		}
		if valid, _ := walkJSON(data, &places{}); valid != validJSON(data) {
			t.Fatalf("walkJSON valid %v, validJSON %v", valid, validJSON(data))
		}
		l, ok := scanLine(data, interner{})
		if !ok {
			return
		}
		// Before the decode's verdict: eventAt must not read a line encoding/json refuses.
		agreeAt(t, data)
		var w wire
		if err := stdjson.Unmarshal(data, &w); err != nil {
			return // valid JSON of the wrong types: decoded whole, not scanned (see line)
		}
		ev, derr := fromWire(&w, nopSink{}, 1)
		if derr != nil {
			t.Fatalf("the scan takes a line encoding/json finds no event in: %v", derr)
		}
		got := fmt.Sprintf("%s %s %s %s %s %s %q %q %q %q", l.kind, l.subresource, l.verb, l.level, l.time, l.stageTime, l.uri, l.auditID, l.stage, l.user)
		want := fmt.Sprintf("%s %s %s %s %s %s %q %q %q %q", Kind{ev.Group(), ev.Resource()}, ev.Subresource(), ev.Verb, ev.Level, ev.Time(), ev.StageTime, ev.RequestURI, ev.AuditID, ev.Stage, ev.User.Username)
		if l.kind.Resource == "leases" {
			got += fmt.Sprintf(" %q %q", l.ns, l.name)
			want += fmt.Sprintf(" %q %q", ev.ObjectRef.Namespace, ev.ObjectRef.Name)
		}
		if got != want {
			t.Fatalf("scan %q, decode %q", got, want)
		}
	})
}

// FuzzUnescapeASCII: the scan's reading of an escaped request URI is encoding/json's.
func FuzzUnescapeASCII(f *testing.F) {
	for _, s := range []string{
		`/api/v1/pods?labelSelector=app%3Dweb\u0026limit=500`, `/a\u003cb\u003e`, `\"\\\/\b\f\n\r\t`,
		`\u00e9`, `\ud83d\ude00`, `\u12`, `\x`, `caf\u00E9`, "é", "\u0000", `a\`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		got, ok := unescapeASCII(s)
		if !ok {
			return
		}
		var want string
		if err := stdjson.Unmarshal([]byte(`"`+string(s)+`"`), &want); err != nil {
			t.Fatalf("%q: unescaped to %q, but encoding/json refuses it: %v", s, got, err)
		}
		if string(got) != want {
			t.Fatalf("%q: unescaped to %q, encoding/json %q", s, got, want)
		}
	})
}

// FuzzParseStamp: the scan reads a timestamp as time.Parse does, the same instant or the
// same refusal.
func FuzzParseStamp(f *testing.F) {
	for _, s := range []string{
		"2026-11-01T00:00:14.352012Z", "2026-11-01T00:00:14Z", "2026-11-01T00:00:14.123456789Z",
		"2026-11-01T00:00:14.1234567891Z", "2024-02-29T23:59:59.9Z", "2026-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T00:60:00Z", "2026-11-01T00:00:60Z",
		"2026-11-01T00:00:14.Z", "2026-11-01T00:00:14+02:00", "2026-11-01 00:00:14Z", "0000-01-01T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-1a-01T00:00:00Z", "+026-11-01T00:00:00Z",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gerr := parseStamp(b)
		want, werr := time.Parse(time.RFC3339Nano, string(b))
		if werr == nil && (want.Before(earliest) || want.After(latest)) {
			werr = errors.New("out of reach")
		}
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("%q: parseStamp error %v, time.Parse error %v", b, gerr, werr)
		}
		if gerr == nil && got != want.UTC() {
			t.Fatalf("%q: parseStamp %v, time.Parse %v", b, got, want.UTC())
		}
	})
}
