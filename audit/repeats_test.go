package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lessRepeats is what an input counts once its repeats are taken away: what coverage counts.
func lessRepeats(in Input) (int64, map[Kind]*KindStats) {
	if in.Repeats == nil {
		return in.Events, in.Kinds
	}
	return in.Events - in.Repeats.Events, Less(in.Kinds, in.Repeats.Kinds)
}

// sumKinds adds up the inputs' counts, less their repeats.
func sumKinds(inputs []Input) (int64, map[Kind]*KindStats) {
	var n int64
	all := map[Kind]*KindStats{}
	for _, in := range inputs {
		e, kinds := lessRepeats(in)
		n += e
		for k, ks := range kinds {
			MergeKindStats(kindStats(&all, k), ks)
		}
	}
	for _, ks := range all {
		for v, n := range ks.Writes {
			if n == 0 {
				delete(ks.Writes, v)
			}
		}
		for v, n := range ks.Bodies {
			if n == 0 {
				delete(ks.Bodies, v)
			}
		}
	}
	return n, all
}

// Lines that copytruncate (or two exports) put in two inputs count once in the coverage
// counts, as in summary.events: the input first by name counts them, the other among its
// repeats, whatever order the inputs are given or read in.
func TestRepeatsCountOnce(t *testing.T) {
	one, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-1-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(one, []byte("\n"))
	half := len(lines) / 2
	// a.log holds the first two thirds, a.log.1 the last two thirds: a third in both.
	first := bytes.Join(lines[:2*half*2/3+1], nil)
	second := bytes.Join(lines[half*2/3:], nil)
	scope := NewScope(Kind{Resource: "pods"}, Kind{Resource: "namespaces"}, Kind{Resource: "serviceaccounts"}, Kind{Resource: "endpoints"}, Kind{Group: "networking.k8s.io", Resource: "networkpolicies"})
	opts := Options{Scope: scope, WritesOnly: true}
	_, whole, m := readAll(t, opts, ReaderSource("whole.log", bytes.NewReader(one)))
	wantN, wantKinds := sumKinds(whole)
	if wantN != m.Events {
		t.Fatalf("one file: %d events counted, merge counted %d", wantN, m.Events)
	}
	for _, order := range [][2]string{{"a.log", "a.log.1"}, {"a.log.1", "a.log"}} {
		srcs := map[string][]byte{"a.log": first, "a.log.1": second}
		_, inputs, m := readAll(t, opts, ReaderSource(order[0], bytes.NewReader(srcs[order[0]])), ReaderSource(order[1], bytes.NewReader(srcs[order[1]])))
		n, kinds := sumKinds(inputs)
		if n != wantN || m.Events != wantN {
			t.Errorf("%v: %d events less repeats, %d by the merge; want %d", order, n, m.Events, wantN)
		}
		if d := cmp.Diff(wantKinds, kinds); d != "" {
			t.Errorf("%v: per-kind counts less repeats differ from one file's (-want +got):\n%s", order, d)
		}
		for _, in := range inputs {
			if in.Source == "a.log" && in.Repeats != nil {
				t.Errorf("%v: a.log comes first by name and repeats nothing, yet %+v", order, in.Repeats)
			}
			if in.Source == "a.log.1" && (in.Repeats == nil || in.Repeats.Events == 0 || len(in.Repeats.Kinds) == 0) {
				t.Errorf("%v: a.log.1 holds a third of a.log's lines but counts no repeat", order)
			}
		}
	}
	// The same line twice in one file counts once.
	_, inputs, _ := readAll(t, opts, ReaderSource("twice.log", bytes.NewReader(append(append([]byte{}, one...), one...))))
	if n, kinds := sumKinds(inputs); n != wantN || cmp.Diff(wantKinds, kinds) != "" {
		t.Errorf("a file holding its lines twice: %d events less repeats, want %d; kinds %s", n, wantN, cmp.Diff(wantKinds, kinds))
	}
}

// The set of event keys forgets what no source can read again, and only that: steps of
// claims by sources a (seq 0, first by name) and b (seq 1) at stage times, forgetting where
// a case says, and what each claim must count. A claim older than a key forgotten that is
// not found is counted as unchecked, never silently as new.
func TestEventSetForgetsWhatCannotComeAgain(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		op     string // "expect" (src waits its turn, first event at), "claim", "forget", "finish"
		src    int32
		at     time.Duration // after t0; for expect, -1 says the first event is not known
		key    uint64
		repeat bool  // claim: counted by another source, or an earlier line
		over   int32 // claim: the source that counted it so far and gives it up, else noOwner
	}
	claim := func(src int32, at time.Duration, key uint64) step {
		return step{op: "claim", src: src, at: at, key: key, over: noOwner}
	}
	repeat := func(s step) step { s.repeat = true; return s }
	overtakes := func(s step, o int32) step { s.over = o; return s }
	forget := step{op: "forget"}
	for _, tc := range []struct {
		name      string
		steps     []step
		kept      int // keys the set holds at the end
		unchecked int64
	}{
		{name: "a repeat in another source within the window",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: 0},
				claim(0, 0, 1), claim(0, 10*time.Minute, 2), claim(0, 20*time.Minute, 3), forget,
				repeat(claim(1, 0, 1))},
			kept: 3},
		{name: "a source waiting its turn holds the keys from a window before its first event",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: 30 * time.Minute},
				claim(0, 0, 1), claim(0, 26*time.Minute, 2), claim(0, 31*time.Minute, 3), claim(0, 60*time.Minute, 4), claim(0, 61*time.Minute, 5), forget,
				repeat(claim(1, 26*time.Minute, 2)), repeat(claim(1, 31*time.Minute, 3)), claim(1, 62*time.Minute, 6)},
			kept: 5},
		{name: "a source whose first event is not known holds every key",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: -1},
				claim(0, 0, 1), claim(0, 60*time.Minute, 2), claim(0, 61*time.Minute, 3), forget,
				repeat(claim(1, 0, 1))},
			kept: 3},
		{name: "keys a window behind every source go; one read again is unchecked",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: -1}, {op: "finish", src: 1},
				claim(0, 0, 1), claim(0, 30*time.Minute, 2), claim(0, 56*time.Minute, 3), claim(0, 60*time.Minute, 4), claim(0, 61*time.Minute, 5), forget,
				claim(0, 0, 1), repeat(claim(0, 56*time.Minute, 3))},
			kept: 4, unchecked: 1},
		{name: "the keys of the window before the latest time but one stay",
			steps: []step{{op: "expect", src: 0},
				claim(0, 0, 1), claim(0, 55*time.Minute, 2), claim(0, 60*time.Minute, 3), claim(0, 61*time.Minute, 4), forget,
				repeat(claim(0, 55*time.Minute, 2))},
			kept: 3},
		{name: "a line of a wrong clock does not carry the bound away",
			steps: []step{{op: "expect", src: 0},
				claim(0, 0, 1), claim(0, 100*time.Hour, 2), forget,
				repeat(claim(0, 0, 1)), claim(0, time.Minute, 3), claim(0, 101*time.Hour, 4), claim(0, 102*time.Hour, 5), forget,
				repeat(claim(0, 0, 1))},
			kept: 5},
		{name: "a source that goes back in time holds back forgetting while it is read",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: 0},
				claim(1, 60*time.Minute, 9), claim(1, 0, 8),
				claim(0, 0, 1), claim(0, 60*time.Minute, 2), claim(0, 61*time.Minute, 3), forget,
				repeat(claim(1, 0, 1))},
			kept: 5},
		{name: "the source first by name takes a key over from one that counted it",
			steps: []step{{op: "expect", src: 0, at: 10 * time.Minute}, {op: "expect", src: 1},
				claim(1, 10*time.Minute, 1), claim(1, 20*time.Minute, 2), claim(1, 30*time.Minute, 3), forget,
				overtakes(claim(0, 10*time.Minute, 1), 1), repeat(claim(1, 10*time.Minute, 1)), overtakes(claim(0, 20*time.Minute, 2), 1)},
			kept: 3},
		{name: "a finished source holds nothing back",
			steps: []step{{op: "expect", src: 0}, {op: "expect", src: 1, at: 0},
				claim(1, 0, 7), {op: "finish", src: 1},
				claim(0, 0, 1), claim(0, 60*time.Minute, 2), claim(0, 61*time.Minute, 3), forget},
			kept: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &eventSet{keep: 16}
			first := func(a, b int32) bool { return a < b }
			cursors := map[int32]*cursor{}
			for i, st := range tc.steps {
				switch st.op {
				case "expect":
					at := t0.Add(st.at)
					if st.at < 0 {
						at = time.Time{}
					}
					cursors[st.src] = s.expect(st.src, at)
				case "finish":
					s.finished(st.src)
				case "forget":
					s.forget()
				case "claim":
					rep, over, _ := s.claim(st.key, 0, t0.Add(st.at), true, st.src, cursors[st.src], first)
					if rep != st.repeat || over != st.over {
						t.Errorf("step %d: claim of key %d by %d at %s: repeat %v, overtaken %d; want %v, %d", i, st.key, st.src, st.at, rep, over, st.repeat, st.over)
					}
				}
			}
			kept := 0
			for i := range s.shards {
				kept += s.shards[i].n
			}
			if kept != tc.kept || s.unchecked.Load() != tc.unchecked {
				t.Errorf("%d keys kept, %d unchecked; want %d, %d", kept, s.unchecked.Load(), tc.kept, tc.unchecked)
			}
		})
	}
}

// Repeats count once while the set of event keys forgets: files whose events overlap (by
// more than the merge window, at the edges of rotated files, out of order within the
// window) count each event once, and the set stays the size of a few windows. A file that
// holds its lines twice, an hour apart, is what the set cannot check: the events it counts
// twice are the ones it says are unchecked. Each case is read through the scan (kinds out of
// scope) and through the decoder.
func TestRepeatsCountOnceWhileForgetting(t *testing.T) {
	lines := func(from, to int) string { return eventLines(from, to) }
	// shuffled holds from..to with each minute's lines in reverse: stage times go back by
	// up to 59 s, as concurrent requests do.
	shuffled := func(from, to int) string {
		var b strings.Builder
		for i := from; i < to; i += 60 {
			for j := min(i+60, to) - 1; j >= i; j-- {
				b.WriteString(eventLine(j))
			}
		}
		return b.String()
	}
	rotated := func() map[string]string {
		files := map[string]string{}
		for i := 0; i < 8; i++ {
			// Each file repeats the last 30 lines of the one before (copytruncate).
			files[fmt.Sprintf("kube-audit-%02d.log", i)] = lines(max(0, i*3000-30), (i+1)*3000)
		}
		return files
	}()
	for _, tc := range []struct {
		name      string
		files     map[string]string
		events    int64 // counted once over all inputs
		repeats   map[string]int64
		unchecked bool // the set cannot check all: events counted twice are unchecked ones
	}{
		{name: "two files overlapping by an hour, the earlier first by name",
			files:  map[string]string{"a.log": lines(0, 6000), "b.log": lines(2400, 9000)},
			events: 9000, repeats: map[string]int64{"b.log": 3600}},
		{name: "two files overlapping by an hour, the later first by name",
			files:  map[string]string{"b.log": lines(0, 6000), "a.log": lines(2400, 9000)},
			events: 9000, repeats: map[string]int64{"b.log": 3600}},
		{name: "an export that begins two hours into another",
			files:  map[string]string{"export-1.json": lines(0, 12000), "export-2.json": lines(7200, 14000)},
			events: 14000, repeats: map[string]int64{"export-2.json": 4800}},
		{name: "rotated files, each repeating the end of the one before",
			files: rotated, events: 24000, repeats: map[string]int64{"kube-audit-01.log": 30, "kube-audit-02.log": 30, "kube-audit-03.log": 30,
				"kube-audit-04.log": 30, "kube-audit-05.log": 30, "kube-audit-06.log": 30, "kube-audit-07.log": 30}},
		{name: "events out of order within the window, and a copy",
			files:  map[string]string{"a.log": shuffled(0, 6000), "b.log": shuffled(3000, 9000)},
			events: 9000, repeats: map[string]int64{"b.log": 3000}},
		{name: "a file holding its lines twice, an hour apart",
			files:  map[string]string{"twice.log": lines(0, 3600) + lines(0, 3600)},
			events: 3600, unchecked: true},
	} {
		for _, scope := range []string{"pods", "configmaps"} {
			t.Run(tc.name+"/"+scope, func(t *testing.T) {
				dir := t.TempDir()
				for name, content := range tc.files {
					write(t, filepath.Join(dir, name), content)
				}
				srcs, err := Resolve([]string{dir}, nil)
				if err != nil {
					t.Fatal(err)
				}
				r := NewReader(context.Background(), srcs, Options{Scope: NewScope(Kind{Resource: scope}), WritesOnly: true})
				defer r.Close()
				r.live.seen.keep = 16 // forget from a few hundred events on
				drain(t, r)
				inputs, m := r.Inputs(), r.Merged()
				n, _ := sumKinds(inputs)
				repeats := map[string]int64{}
				for _, in := range inputs {
					if in.Repeats != nil && in.Repeats.Events > 0 {
						repeats[filepath.Base(in.Source)] = in.Repeats.Events
					}
				}
				if n != m.Events {
					t.Errorf("inputs count %d events less repeats, the merge %d", n, m.Events)
				}
				if !tc.unchecked {
					if n != tc.events || m.Unchecked != 0 {
						t.Errorf("%d events counted, %d unchecked; want %d, none", n, m.Unchecked, tc.events)
					}
					if d := cmp.Diff(tc.repeats, repeats); d != "" {
						t.Errorf("repeats per input (-want +got)\n%s", d)
					}
					if s := r.live.seen.peak.Load(); s >= n {
						// Keeping every key takes at least 4/3 of a slot each.
						t.Errorf("the set held up to %d slots for %d events: it did not forget", s, n)
					}
					if s := r.live.seen.held.Load(); s != 0 {
						t.Errorf("the set holds %d slots once every source is read; want none", s)
					}
					return
				}
				if m.Unchecked == 0 || n-tc.events != m.Unchecked {
					t.Errorf("%d events counted, %d unchecked: want the %d counted more than %d among the unchecked", n, m.Unchecked, n-tc.events, tc.events)
				}
			})
		}
	}
}

// reconciled checks that the inputs' events are the events read, their exact repeats and
// their conflicting repeats, as the summary says.
func reconciled(t *testing.T, inputs []Input, m Merged) {
	t.Helper()
	var held int64
	for _, in := range inputs {
		held += in.Events
	}
	if held != m.Events+m.Duplicates+m.Conflicting {
		t.Errorf("the inputs hold %d events; read %d + exact repeats %d + conflicting %d = %d", held, m.Events, m.Duplicates, m.Conflicting, m.Events+m.Duplicates+m.Conflicting)
	}
}

// conflicts lists an input's conflicting-repeat samples as "line: message".
func conflicts(inputs []Input) []string {
	var out []string
	for _, in := range inputs {
		for _, s := range in.Samples {
			if s.Kind == ProblemConflictingRepeat {
				out = append(out, fmt.Sprintf("%s:%d: %s", in.Source, s.Line, s.Message))
			}
		}
	}
	return out
}

// Lines 10 to 13 of the Panther EKS data share auditID, stage, verb, URI, user and times,
// but differ in source IP and response code: no exact repeat of one another. They count as
// one event and three conflicting repeats, each sampled with its line, and the counts add up.
func TestConflictingRepeatsInOneInput(t *testing.T) {
	raw, err := os.ReadFile("../testdata/realdata/panther/panther-eks-audit-testlogs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(raw, []byte("\n"))
	four := bytes.Join(lines[9:13], nil)
	for _, opts := range []Options{{}, {Scope: NewScope(Kind{Group: "discovery.k8s.io", Resource: "endpointslices"})}} {
		_, inputs, m := readAll(t, opts, ReaderSource("t.jsonl", bytes.NewReader(four)))
		if inputs[0].Events != 4 || m.Events != 1 || m.Duplicates != 0 || m.Conflicting != 3 {
			t.Errorf("scope %v: inputs hold %d, read %d, exact repeats %d, conflicting %d; want 4, 1, 0, 3", opts.Scope, inputs[0].Events, m.Events, m.Duplicates, m.Conflicting)
		}
		reconciled(t, inputs, m)
		got := conflicts(inputs)
		if len(got) != 3 || !strings.HasPrefix(got[0], "t.jsonl:2: auditID e2626946-90e1-4d0c-829e-ad5a78572926") || !strings.HasPrefix(got[2], "t.jsonl:4: ") {
			t.Errorf("scope %v: samples %q; want lines 2, 3 and 4 with the auditID", opts.Scope, got)
		}
		if inputs[0].Lost() != 0 {
			t.Errorf("scope %v: %d values counted unreadable: a conflicting repeat is well formed", opts.Scope, inputs[0].Lost())
		}
	}
	// Well formed, so --strict reads it.
	if _, _, err := readAllErr(Options{Strict: true}, ReaderSource("t.jsonl", bytes.NewReader(four))); err != nil {
		t.Errorf("--strict: %v", err)
	}
}

// Two Falco captures of one request (same auditID, stage, times) with different request
// bodies: one is no exact repeat of the other. Each file alone is one event.
func TestConflictingRepeatsAcrossInputs(t *testing.T) {
	const dir = "../testdata/realdata/falco-k8s-audit/"
	a, b := "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json", "create_nginx_pod_privileged_2nd_container.json"
	for _, order := range [][2]string{{a, b}, {b, a}} {
		_, inputs, m := readAll(t, Options{}, FileSource(dir+order[0]), FileSource(dir+order[1]))
		if m.Events != 1 || m.Duplicates != 0 || m.Conflicting != 1 {
			t.Errorf("%v: read %d, exact repeats %d, conflicting %d; want 1, 0, 1", order, m.Events, m.Duplicates, m.Conflicting)
		}
		reconciled(t, inputs, m)
		if got := conflicts(inputs); len(got) != 1 {
			t.Errorf("%v: samples %q; want one", order, got)
		}
	}
	// The same capture given twice is an exact repeat.
	_, inputs, m := readAll(t, Options{}, FileSource(dir+a), ReaderSource("copy.json", bytes.NewReader(mustRead(t, dir+a))))
	if m.Events != 1 || m.Duplicates != 1 || m.Conflicting != 0 || len(conflicts(inputs)) != 0 {
		t.Errorf("one capture twice: read %d, exact repeats %d, conflicting %d; want 1, 1, 0", m.Events, m.Duplicates, m.Conflicting)
	}
}

// Duplicates counts every exact repeat, of every kind and verb, as summary.events counts
// every event: two copies of a log are its events read once and as many exact repeats,
// not only the in-scope writes the merge sees.
func TestDuplicatesCountEveryRepeat(t *testing.T) {
	raw := mustRead(t, "../testdata/logs/posture/kube-audit.log")
	scope := NewScope(Kind{Resource: "pods"}, Kind{Resource: "namespaces"}, Kind{Resource: "serviceaccounts"}, Kind{Resource: "endpoints"}, Kind{Group: "networking.k8s.io", Resource: "networkpolicies"})
	_, inputs, m := readAll(t, Options{Scope: scope, WritesOnly: true},
		ReaderSource("a.log", bytes.NewReader(raw)), ReaderSource("b.log", bytes.NewReader(raw)))
	if inputs[0].Events != inputs[1].Events || m.Events != inputs[0].Events || m.Duplicates != inputs[1].Events || m.Conflicting != 0 {
		t.Errorf("inputs hold %d and %d; read %d, exact repeats %d, conflicting %d; want %d, %d, 0",
			inputs[0].Events, inputs[1].Events, m.Events, m.Duplicates, m.Conflicting, inputs[0].Events, inputs[0].Events)
	}
	reconciled(t, inputs, m)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAllErr reads sources to their end and returns the first error.
func readAllErr(opts Options, sources ...Source) ([]*Event, []Input, error) {
	r := NewReader(context.Background(), sources, opts)
	defer r.Close()
	var evs []*Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return evs, r.Inputs(), nil
		}
		if err != nil {
			return evs, r.Inputs(), err
		}
		evs = append(evs, ev)
	}
}

// The merge drops only what the reader counted as a repeat, and earlier stages: delivering
// every kind, the events delivered and superseded are the events read. Events without a time
// cannot be told to repeat one another (Panther's hand-written abc-123 creates): each is read
// and each is delivered, none is dropped without a count.
func TestMergeDropsOnlyCountedRepeats(t *testing.T) {
	for _, pattern := range []string{"../testdata/realdata/panther/*.jsonl", "../testdata/realdata/falco-k8s-audit/*.json", "../testdata/logs/rotated/*"} {
		evs, inputs, m := readAll(t, Options{}, files(t, pattern)...)
		if int64(len(evs))+m.Superseded != m.Events {
			t.Errorf("%s: %d delivered and %d superseded, of %d events read", pattern, len(evs), m.Superseded, m.Events)
		}
		reconciled(t, inputs, m)
	}
}

// A repeat in another layout is still exact: the same event as a log line and pretty-printed
// in an export, or inside a CloudWatch message, has one content.
func TestRepeatAcrossLayoutsIsExact(t *testing.T) {
	line := bytes.TrimSpace(mustRead(t, "../testdata/realdata/falco-k8s-audit/create_nginx_pod_privileged.json"))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, line, "", "  "); err != nil {
		t.Fatal(err)
	}
	wrapped, err := jsonMarshalStd(map[string]any{"events": []map[string]any{{"eventId": "1", "message": string(line)}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, inputs, m := readAll(t, Options{},
		ReaderSource("a.log", bytes.NewReader(append(line, '\n'))),
		ReaderSource("b.json", bytes.NewReader(pretty.Bytes())),
		ReaderSource("c.json", bytes.NewReader(wrapped)))
	if m.Events != 1 || m.Duplicates != 2 || m.Conflicting != 0 {
		t.Errorf("read %d, exact repeats %d, conflicting %d; want 1, 2, 0 (samples %q)", m.Events, m.Duplicates, m.Conflicting, conflicts(inputs))
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{`{"a":"x y","b":1}`, "{\n  \"a\": \"x y\",\n  \"b\": 1\n}", true},
		{`{"a":"x\" y"}`, `{"a": "x\" y"}`, true},
		{`{"a":"x y"}`, `{"a":"x  y"}`, false},
		{`{"code":200}`, `{"code":403}`, false},
	} {
		if got := contentSum([]byte(c.a), false) == contentSum([]byte(c.b), false); got != c.same {
			t.Errorf("%s and %s: same content %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
