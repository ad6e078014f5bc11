package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
)

// haSources reads the three logs of the HA sample, each passed through edit (nil keeps a
// log whole; an edit returning nil leaves the log out).
func haSources(t *testing.T, edit func(i int, b []byte) []byte) []audit.Source {
	t.Helper()
	var srcs []audit.Source
	for i, f := range dirFiles("logs/ha-3-nodes", 3) {
		b, err := os.ReadFile(filepath.Join("..", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			if b = edit(i+1, b); b == nil {
				continue
			}
		}
		srcs = append(srcs, audit.ReaderSource(f, bytes.NewReader(b)))
	}
	return srcs
}

// cutAt keeps the lines of a log received before t.
func cutAt(b []byte, t time.Time) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		i := bytes.Index(l, []byte(`"requestReceivedTimestamp":"`))
		if i < 0 {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, string(l[i+28:i+28+bytes.IndexByte(l[i+28:], '"')]))
		if err == nil && at.Before(t) {
			out = append(out, l...)
		}
	}
	return out
}

// Every API server is accounted for: one whose log is missing, or stops or starts far from
// the others, is an error gap that names it, and the verdict says the trail is incomplete.
func TestEveryAPIServerAccountedFor(t *testing.T) {
	noon := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	names := []string{"kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"}
	tests := []struct {
		name string
		edit func(i int, b []byte) []byte
		opts Options
		// gap is the error gap expected: its type, and what its source and message hold.
		gap, source, says string
	}{
		{name: "one log missing, servers named",
			edit: func(i int, b []byte) []byte { return map[bool][]byte{true: nil, false: b}[i == 2] },
			opts: Options{APIServers: names}, gap: coverage.GapPeriodNotCovered, source: "kube-apiserver-2", says: "no input holds the log of API server kube-apiserver-2"},
		{name: "one log a copy of another's, servers named",
			edit: func(i int, b []byte) []byte {
				if i != 3 {
					return b
				}
				two, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-2-audit.log")
				if err != nil {
					panic(err)
				}
				return two
			},
			opts: Options{APIServers: names}, gap: coverage.GapPeriodNotCovered, source: "kube-apiserver-3",
			says: "kube-apiserver-3-audit.log is named for it, but holds no event of the required kinds that another input does not hold too"},
		{name: "one log missing, servers counted",
			edit: func(i int, b []byte) []byte { return map[bool][]byte{true: nil, false: b}[i == 2] },
			opts: Options{APIServerCount: 3}, gap: coverage.GapPeriodNotCovered, says: "3 API server(s) expected, 2 found"},
		{name: "one log cut at noon, no period",
			edit: func(i int, b []byte) []byte { return map[bool][]byte{true: cutAt(b, noon), false: b}[i == 3] },
			gap:  coverage.GapPeriodNotCovered, source: "kube-apiserver-3-audit.log", says: "when the trail ends"},
		{name: "one log cut at noon, a period",
			edit: func(i int, b []byte) []byte { return map[bool][]byte{true: cutAt(b, noon), false: b}[i == 3] },
			opts: Options{Period: Period{Start: at("2026-11-01T00:00:00Z"), End: at("2026-11-02T12:00:00Z")}},
			gap:  coverage.GapPeriodNotCovered, source: "kube-apiserver-3-audit.log", says: "when the trail ends"},
		{name: "one log starting at noon",
			edit: func(i int, b []byte) []byte {
				if i != 1 {
					return b
				}
				var out []byte
				for _, l := range bytes.SplitAfter(b, []byte("\n")) {
					if len(cutAt(l, noon)) == 0 {
						out = append(out, l...)
					}
				}
				return out
			},
			gap: coverage.GapPeriodNotCovered, source: "kube-apiserver-1-audit.log", says: "when the trail starts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = t0.Add(30 * 24 * time.Hour)
			r, err := Build(context.Background(), haSources(t, tc.edit), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var g *coverage.Gap
			for i := range r.Gaps {
				if r.Gaps[i].Type == tc.gap && r.Gaps[i].Severity == coverage.SeverityError && strings.HasSuffix(r.Gaps[i].Source, tc.source) {
					g = &r.Gaps[i]
				}
			}
			if g == nil {
				t.Fatalf("no error %s gap on %q; gaps: %s", tc.gap, tc.source, gapTypes(r))
			}
			if !strings.Contains(g.Message, tc.says) || g.Rule == "" || g.Remediation == "" || g.Count == 0 {
				t.Errorf("gap %+v: want a message with %q, the rule that decided, a fix and an estimate", g, tc.says)
			}
			if r.Verdict != coverage.VerdictGaps {
				t.Errorf("verdict %s with an API server unaccounted for", r.Verdict)
			}
			// The score does not say every API server audited the kinds when one expected has
			// no log: its pairs count against it.
			if strings.HasPrefix(tc.name, "one log missing") && (strings.Contains(r.Score.Text, "every API server") ||
				!strings.Contains(r.Score.Text, "but 1 API server(s) expected not in them") || r.Score.Percent == 100) {
				t.Errorf("score %q (%d%%): want the missing server named and counted", r.Score.Text, r.Score.Percent)
			}
			for _, h := range r.Gaps {
				if h.Type == coverage.GapPeriodNotCovered && h.Source != "" && !strings.HasSuffix(h.Source, tc.source) {
					t.Errorf("a server that logged throughout is flagged: %+v", h)
				}
			}
		})
	}

	t.Run("all servers named and present", func(t *testing.T) {
		r, err := Build(context.Background(), haSources(t, nil), Options{Now: t0, APIServers: names, APIServerCount: 3})
		if err != nil {
			t.Fatal(err)
		}
		if r.TrailGaps() != 0 || r.Verdict != coverage.VerdictPass {
			t.Errorf("gaps: %s", gapTypes(r))
		}
	})
}

// Logs that end before the period starts give one period-not-covered error, not a verdict
// per kind drawn from no events, nor "records none of the required kinds".
func TestPeriodTheLogsDoNotReach(t *testing.T) {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	r, err := Build(context.Background(), haSources(t, nil), Options{Now: t0.Add(30 * 24 * time.Hour), Period: Period{Start: &start}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Gaps) != 1 || r.Gaps[0].Type != coverage.GapPeriodNotCovered || r.Gaps[0].Severity != coverage.SeverityError || r.Gaps[0].Source != "" {
		t.Fatalf("want one period-not-covered error; gaps: %s", gapTypes(r))
	}
	if g := r.Gaps[0]; !strings.Contains(g.Message, "no input has any event in the period") || !g.From.Equal(start) || !g.To.After(start) {
		t.Errorf("gap %+v from %s to %s", g, g.From, g.To)
	}
	if r.APIServers == nil || len(r.APIServers.Seen) != 3 {
		t.Errorf("API servers %+v: the three logs are there, only not in the period", r.APIServers)
	}
	for _, c := range r.Coverage {
		if c.Status != coverage.StatusUnknown {
			t.Errorf("%s: status %s of a kind with no event in the period", c.Kind, c.Status)
		}
	}
}

// Where the trail shows the set of API servers change (the default/kubernetes Endpoints,
// whose addresses the API servers keep to those that are up), a server that stops as its
// address goes has left, and nothing is missing; one that stops while the addresses stay has
// lost its log. The same addresses tell how many servers there are when no one said.
func TestAPIServerLeavingOrLost(t *testing.T) {
	endpoints := func(ips ...string) any {
		var addrs []string
		for _, ip := range ips {
			addrs = append(addrs, `{"ip":"`+ip+`"}`)
		}
		return j(`{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"kubernetes","namespace":"default"},"subsets":[{"addresses":[` +
			strings.Join(addrs, ",") + `],"ports":[{"name":"https","port":6443,"protocol":"TCP"}]}]}`)
	}
	update := func(minute int, ips ...string) ev {
		return ev{minute: minute, verb: "update", user: "system:apiserver", res: "endpoints", ns: "default", name: "kubernetes", req: endpoints(ips...), resp: endpoints(ips...)}
	}
	logs := func(servers int, stop int, extra ...ev) []audit.Source {
		return serverLogs(servers, func(i, m int) int {
			if i == servers-1 && m >= stop {
				return 0
			}
			return 1
		}, extra...)
	}
	tests := []struct {
		name     string
		srcs     []audit.Source
		severity string
		says     string
	}{
		{"stops as its address goes: it left", logs(3, 300, update(1, "10.0.0.1", "10.0.0.2", "10.0.0.3"), update(300, "10.0.0.1", "10.0.0.2")),
			coverage.SeverityInfo, "node-3/kube-audit.log left the cluster"},
		{"stops while the addresses stay: its log is lost", logs(3, 300, update(1, "10.0.0.1", "10.0.0.2", "10.0.0.3")),
			coverage.SeverityError, "nothing in the trail shows it leaving the cluster"},
		{"three addresses, two logs", logs(2, 600, update(1, "10.0.0.1", "10.0.0.2", "10.0.0.3")),
			coverage.SeverityError, "listed 3 API server address(es)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(context.Background(), tc.srcs, Options{Now: t0.Add(30 * 24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			g := hasGap(r, coverage.GapPeriodNotCovered, tc.severity)
			if g == nil || !strings.Contains(g.Message, tc.says) {
				t.Fatalf("want a %s period-not-covered gap saying %q; gaps: %s (%+v)", tc.severity, tc.says, gapTypes(r), r.Gaps)
			}
			if tc.severity == coverage.SeverityInfo && hasGap(r, coverage.GapPeriodNotCovered, coverage.SeverityError) != nil {
				t.Errorf("a server that left is also counted as lost: %s", gapTypes(r))
			}
		})
	}
}

// Where no membership change shows, the event rates tell a server that left or joined from a
// lost log: when one leaves, its load moves to the others, whose rate rises by about its
// share (a note); when its log is lost, the others go on as before and the cluster's total
// falls by its share (an error). A change near neither keeps the error and says the rule
// could not tell. The gap's rule names the rule that decided.
func TestAPIServerLeavingOrLostByRate(t *testing.T) {
	// logs: three servers, 4 events a minute each for 600 minutes; the third logs only
	// before minute 300 (leaving) or only from it (joining), and the others log
	// othersThen events a minute while it does not.
	logs := func(leaving bool, othersThen int) []audit.Source {
		return serverLogs(3, func(i, m int) int {
			absent := m >= 300 == leaving
			switch {
			case i == 2 && absent:
				return 0
			case i < 2 && absent:
				return othersThen
			}
			return 4
		})
	}
	tests := []struct {
		name     string
		srcs     []audit.Source
		severity string
		says     string
		rule     string
	}{
		{"leaves, its load moves to the others", logs(true, 6), coverage.SeverityInfo, "so its load moved to them and nothing is missing", "rate: its load moved"},
		{"stops, the others go on as before: its log is lost", logs(true, 4), coverage.SeverityError, "its events were lost, not moved", "rate: the others' event rate did not change"},
		{"stops, the others rise by half its share: cannot tell", logs(true, 5), coverage.SeverityError, "the event rates cannot tell", "rate: could not tell"},
		{"joins, taking its share from the others", logs(false, 6), coverage.SeverityInfo, "joined the cluster", "rate: its load moved"},
		{"starts late, the others as before: its older log is lost", logs(false, 4), coverage.SeverityError, "its events were lost, not moved", "rate: the others' event rate did not change"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, g := node3Gap(t, tc.srcs)
			if g.Severity != tc.severity || !strings.Contains(g.Message, tc.says) || !strings.Contains(g.Rule, tc.rule) {
				t.Errorf("gap %s: %s (rule: %s); want %s saying %q, rule %q", g.Severity, g.Message, g.Rule, tc.severity, tc.says, tc.rule)
			}
			if tc.severity == coverage.SeverityInfo && (g.Count != 0 || hasGap(r, coverage.GapPeriodNotCovered, coverage.SeverityError) != nil) {
				t.Errorf("a server that left counts %d events missing; gaps %s", g.Count, gapTypes(r))
			}
			for _, h := range r.Gaps {
				if h.Type == coverage.GapPeriodNotCovered && h.Source != "node-3/kube-audit.log" {
					t.Errorf("another gap: %+v", h)
				}
			}
		})
	}
}

// serverLogs writes the logs of servers API servers over 600 minutes, server i logging
// perMinute(i, m) reads in minute m; extra events go to the first.
func serverLogs(servers int, perMinute func(i, m int) int, extra ...ev) []audit.Source {
	bufs := make([]strings.Builder, servers)
	for m := 0; m < 600; m++ {
		for i := range bufs {
			for k := perMinute(i, m); k > 0; k-- {
				bufs[i].WriteString(ev{minute: m, verb: "get", res: "pods", ns: "shop", name: "web-1", level: "Metadata"}.line() + "\n")
			}
		}
	}
	for _, e := range extra {
		bufs[0].WriteString(e.line() + "\n")
	}
	var srcs []audit.Source
	for i := range bufs {
		srcs = append(srcs, audit.ReaderSource(fmt.Sprintf("node-%d/kube-audit.log", i+1), strings.NewReader(bufs[i].String())))
	}
	return srcs
}

// node3Gap builds the report of srcs and returns its period-not-covered gap on node-3.
func node3Gap(t *testing.T, srcs []audit.Source) (*Report, *coverage.Gap) {
	t.Helper()
	r, err := Build(context.Background(), srcs, Options{Now: t0.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Gaps {
		if r.Gaps[i].Type == coverage.GapPeriodNotCovered && r.Gaps[i].Source == "node-3/kube-audit.log" {
			return r, &r.Gaps[i]
		}
	}
	t.Fatalf("no period-not-covered gap on node-3; gaps: %s", gapTypes(r))
	return nil, nil
}

// A server named by --api-servers and missing is one gap, not two: the count the names give
// (the CLI sets both) adds a gap only for servers missing beyond those named.
func TestMissingNamedServerIsOneGap(t *testing.T) {
	names := []string{"kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"}
	srcs := haSources(t, func(i int, b []byte) []byte { return map[bool][]byte{true: nil, false: b}[i == 2] })
	r, err := Build(context.Background(), srcs, Options{Now: t0.Add(30 * 24 * time.Hour), APIServers: names, APIServerCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	var gaps []coverage.Gap
	for _, g := range r.Gaps {
		if g.Type == coverage.GapPeriodNotCovered {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) != 1 || gaps[0].Source != "kube-apiserver-2" || gaps[0].Severity != coverage.SeverityError {
		t.Errorf("want one error naming kube-apiserver-2; got %+v", gaps)
	}
}

// A hole in the middle of one server's log is judged by the others' rates as a server that
// stops is: its load moved to them (it was down: a note, nothing missing), or they went on as
// before (its events were lost: an error, counted at its own rate), or neither can be told (a
// warning, counted).
func TestHoleByRate(t *testing.T) {
	// Three servers, 4 events a minute each for 600 minutes; the third logs nothing from
	// minute 200 to 400, while the others log othersThen a minute.
	logs := func(othersThen int) []audit.Source {
		return serverLogs(3, func(i, m int) int {
			hole := m >= 200 && m < 400
			switch {
			case i == 2 && hole:
				return 0
			case i < 2 && hole:
				return othersThen
			}
			return 4
		})
	}
	for _, tc := range []struct {
		name     string
		srcs     []audit.Source
		severity string
		says     string
		counted  bool
	}{
		{"its load moved to the others", logs(6), coverage.SeverityInfo, "so its load moved to them and nothing is missing", false},
		{"the others as before: lost", logs(4), coverage.SeverityError, "its events were lost, not moved", true},
		{"half its share: cannot tell", logs(5), coverage.SeverityWarning, "the event rates cannot tell", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(context.Background(), tc.srcs, Options{Now: t0.Add(30 * 24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			g := hasGap(r, coverage.GapTimeHole, tc.severity)
			if g == nil || g.Source != "node-3/kube-audit.log" || !strings.Contains(g.Message, tc.says) || (g.Count > 0) != tc.counted {
				t.Fatalf("want a %s time-hole on node-3 saying %q, counted %v; gaps: %+v", tc.severity, tc.says, tc.counted, r.Gaps)
			}
			if tc.counted && (g.Count < 700 || g.Count > 900) {
				t.Errorf("%d events counted missing, want about 800 (4 a minute for 200 minutes)", g.Count)
			}
		})
	}
}
