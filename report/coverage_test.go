package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/coverage"
)

func gapTypes(r *Report) string {
	var out []string
	for _, g := range r.Gaps {
		out = append(out, g.Severity+" "+g.Type)
	}
	return strings.Join(out, ", ")
}

func hasGap(r *Report, typ, severity string) *coverage.Gap {
	for i, g := range r.Gaps {
		if g.Type == typ && g.Severity == severity {
			return &r.Gaps[i]
		}
	}
	return nil
}

func dirFiles(dir string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s/kube-apiserver-%d-audit.log", dir, i))
	}
	return out
}

// Each gap scenario produces its gap, and the clean scenario none at all.
func TestGapScenarios(t *testing.T) {
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	tests := []struct {
		name     string
		files    []string
		opts     Options
		gap      string
		severity string
		check    func(t *testing.T, r *Report, g *coverage.Gap)
	}{
		{name: "never-audited", files: dirFiles("logs/gaps/never-audited", 3), gap: coverage.GapNeverAudited, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if g.Resource != "networkpolicies" || !strings.Contains(g.Remediation, `group "networking.k8s.io", resources ["networkpolicies"]`) {
					t.Errorf("gap %+v", g)
				}
				if c := r.Coverage[4]; c.Kind != "NetworkPolicy" || c.Status != coverage.StatusNeverAudited {
					t.Errorf("coverage row %+v", c)
				}
			}},
		{name: "metadata-only", files: dirFiles("logs/gaps/metadata-only", 3), gap: coverage.GapMetadataOnly, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if g.Resource != "serviceaccounts" || g.Count == 0 {
					t.Errorf("gap %+v", g)
				}
				if c := r.Coverage[2]; c.Status != coverage.StatusMetadataOnly || c.Bodies || c.MaxLevel != "Metadata" || c.Verbs["create"] == 0 {
					t.Errorf("coverage row %+v", c)
				}
			}},
		{name: "node-missing-kind", files: dirFiles("logs/gaps/node-missing-kind", 3), gap: coverage.GapNodeMissingKind, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if g.Resource != "networkpolicies" || !strings.HasSuffix(g.Source, "kube-apiserver-3-audit.log") {
					t.Errorf("gap %+v", g)
				}
				if n := len(r.Gaps); hasGap(r, coverage.GapNodeMissingKind, coverage.SeverityError) != &r.Gaps[0] && n > 0 {
					t.Errorf("gaps are not most severe first: %s", gapTypes(r))
				}
			}},
		{name: "time-hole", files: dirFiles("logs/gaps/time-hole", 3), gap: coverage.GapTimeHole, severity: coverage.SeverityWarning,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if !strings.HasSuffix(g.Source, "kube-apiserver-2-audit.log") || g.From.Hour() != 8 && g.From.Hour() != 9 || g.To.Hour() != 12 {
					t.Errorf("gap %+v from %s to %s", g, g.From, g.To)
				}
				for _, h := range r.Gaps {
					if h.Type == coverage.GapTimeHole && h.Source != g.Source {
						t.Errorf("a hole on a server without one: %+v", h)
					}
				}
			}},
		{name: "truncated", files: dirFiles("logs/gaps/truncated", 3), gap: coverage.GapTruncated, severity: coverage.SeverityWarning},
		{name: "server-stops-early", files: dirFiles("logs/gaps/server-stops-early", 3), gap: coverage.GapPeriodNotCovered, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if !strings.HasSuffix(g.Source, "kube-apiserver-3-audit.log") || g.From.After(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) || g.Count == 0 || r.TrailGaps() != 1 {
					t.Errorf("gap %+v; gaps %s", g, gapTypes(r))
				}
			}},
		{name: "unknown-baseline", files: dirFiles("logs/gaps/unknown-baseline", 3), opts: Options{Period: Period{Start: at("2026-11-01T10:00:00Z"), End: at("2026-11-02T12:30:00Z")}},
			gap: coverage.GapUnknownBaseline, severity: coverage.SeverityInfo},
		{name: "a period still running whose logs stopped", files: dirFiles("logs/ha-3-nodes", 3), opts: Options{Period: Period{Start: at("2026-11-01T06:00:00Z")}},
			gap: coverage.GapPeriodNotCovered, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				// The logs end on 2 November, the run is on the 29th: the period runs to now.
				if !g.To.Equal(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)) || !strings.Contains(g.Message, "runs to now") {
					t.Errorf("gap %+v", g)
				}
				for _, e := range r.Posture.Endpoints {
					if e.IngressUnknownSeconds < (26 * 24 * time.Hour).Seconds() {
						t.Errorf("%s: %.0f s unknown: the posture after the logs' end is not unknown", e.Endpoint, e.IngressUnknownSeconds)
					}
				}
			}},
		{name: "period-not-covered", files: dirFiles("logs/ha-3-nodes", 3), opts: Options{Period: Period{Start: at("2026-10-31T00:00:00Z"), End: at("2026-11-03T00:00:00Z")}},
			gap: coverage.GapPeriodNotCovered, severity: coverage.SeverityError,
			check: func(t *testing.T, r *Report, g *coverage.Gap) {
				if n := strings.Count(gapTypes(r), coverage.GapPeriodNotCovered); n != 2 || !g.From.Equal(*at("2026-10-31T00:00:00Z")) {
					t.Errorf("want the start and the end uncovered: %s, first %+v", gapTypes(r), g)
				}
			}},
		{name: "unreadable lines", files: []string{"logs/broken/kube-audit.log"}, gap: coverage.GapUnreadable, severity: coverage.SeverityWarning},
		{name: "unreadable source", files: []string{"logs/corrupt-gzip/kube-audit-2026-11-01T06-00-00.000.log.gz"}, gap: coverage.GapUnreadable, severity: coverage.SeverityError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
			r := buildFiles(t, tc.opts, tc.files...)
			g := hasGap(r, tc.gap, tc.severity)
			if g == nil {
				t.Fatalf("no %s %s gap; gaps: %s", tc.severity, tc.gap, gapTypes(r))
			}
			if g.Message == "" || (tc.severity != coverage.SeverityInfo && g.Remediation == "") {
				t.Errorf("gap without message or remediation: %+v", g)
			}
			if want := map[bool]string{true: coverage.VerdictGaps, false: coverage.VerdictPass}[tc.severity != coverage.SeverityInfo]; r.Verdict != want {
				t.Errorf("verdict %s, want %s", r.Verdict, want)
			}
			if tc.check != nil {
				tc.check(t, r, g)
			}
			checkSums(t, r)
		})
	}

	t.Run("clean", func(t *testing.T) {
		r := buildFiles(t, Options{Now: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}, dirFiles("logs/ha-3-nodes", 3)...)
		if r.TrailGaps() != 0 || r.Verdict != coverage.VerdictPass || r.Score.Percent != 100 || r.Score.KindsOK != 5 {
			t.Errorf("clean scenario: verdict %s, score %+v, gaps %s", r.Verdict, r.Score, gapTypes(r))
		}
		for _, c := range r.Coverage {
			if c.Status != coverage.StatusOK || len(c.Sources) != 3 {
				t.Errorf("coverage %+v", c)
			}
		}
	})
}

// Rotated files of one API server are one source: the stretch between them is not a hole,
// and they are not compared with each other.
func TestRotatedFilesAreOneServer(t *testing.T) {
	r := buildFiles(t, Options{Now: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}, "logs/rotated/kube-audit-2026-11-01T12-00-00.000.log.gz", "logs/rotated/kube-audit.log")
	for _, c := range r.Coverage {
		if len(c.Sources) != 1 || !strings.HasSuffix(c.Sources[0].Source, "rotated/kube-audit.log") {
			t.Errorf("%s sources %+v", c.Kind, c.Sources)
		}
	}
}

func TestHoleRule(t *testing.T) {
	// A steady quiet source: an event every 20 minutes for a day has no hole.
	r := &Report{}
	var lines []ev
	for i := 0; i < 72; i++ {
		lines = append(lines, ev{minute: i * 20, verb: "get", res: "pods", ns: "shop", name: "web-1", level: "Metadata"})
	}
	r = build(t, Options{}, lines...)
	if g := hasGap(r, coverage.GapTimeHole, coverage.SeverityWarning); g != nil {
		t.Errorf("a steady quiet log has a hole: %+v", g)
	}
	// The same rhythm with two hours missing has none either: 120 minutes is 6 gaps.
	// A busy source (every minute) silent for an hour has one.
	lines = nil
	for i := 0; i < 600; i++ {
		if i >= 300 && i < 360 {
			continue
		}
		lines = append(lines, ev{minute: i, verb: "get", res: "pods", ns: "shop", name: "web-1", level: "Metadata"})
	}
	r = build(t, Options{}, lines...)
	g := hasGap(r, coverage.GapTimeHole, coverage.SeverityWarning)
	if g == nil || g.To.Sub(*g.From) != 61*time.Minute {
		t.Errorf("busy source silent for an hour: %+v", g)
	}
}

// An export that holds several API servers' events (EKS: one log stream per API server) is
// split by server for coverage, so a server whose policy lacks a kind is found inside it.
func TestCoveragePerServerInsideOneExport(t *testing.T) {
	type cwEvent struct {
		LogStreamName string `json:"logStreamName"`
		Timestamp     int64  `json:"timestamp"`
		Message       string `json:"message"`
	}
	var export struct {
		Events []cwEvent `json:"events"`
	}
	for i, f := range dirFiles("logs/gaps/node-missing-kind", 3) {
		b, err := os.ReadFile(filepath.Join("..", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			export.Events = append(export.Events, cwEvent{LogStreamName: fmt.Sprintf("kube-apiserver-audit-%d", i+1), Message: l})
		}
	}
	data, _ := json.Marshal(export)
	r, err := Build(context.Background(), []audit.Source{audit.ReaderSource("eks-export.json", bytes.NewReader(data))}, Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	g := hasGap(r, coverage.GapNodeMissingKind, coverage.SeverityError)
	if g == nil || g.Source != "kube-apiserver-audit-3" || g.Resource != "networkpolicies" {
		t.Fatalf("gaps: %s (%+v)", gapTypes(r), g)
	}
	if n := len(r.Coverage[0].Sources); n != 3 {
		t.Errorf("%d sources in the coverage of one export of three API servers", n)
	}
	// The export lists one server after the other, not in time order: the histories may be
	// out of order, and the report says so.
	if g := hasGap(r, coverage.GapOutOfOrder, coverage.SeverityWarning); g == nil || g.Count != r.Summary.OutOfOrder || g.Count == 0 {
		t.Errorf("no out-of-order gap for an export listed server by server: %+v", g)
	}
	// A reorder window as wide as the export puts it back in order: the same histories as
	// from the three logs.
	wide, err := Build(context.Background(), []audit.Source{audit.ReaderSource("eks-export.json", bytes.NewReader(data))}, Options{Now: t0, Window: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	files := buildFiles(t, Options{Now: t0}, dirFiles("logs/gaps/node-missing-kind", 3)...)
	if wide.Summary.OutOfOrder != 0 || hasGap(wide, coverage.GapOutOfOrder, coverage.SeverityWarning) != nil {
		t.Errorf("out of order with a wide window: %d", wide.Summary.OutOfOrder)
	}
	strip := func(r *Report) {
		for i := range r.Resources {
			for j := range r.Resources[i].History {
				r.Resources[i].History[j].Source, r.Resources[i].History[j].Line = "", 0
			}
		}
		for i := range r.FailedAttempts {
			r.FailedAttempts[i].Source, r.FailedAttempts[i].Line = "", 0
		}
	}
	strip(wide)
	strip(files)
	if histories(t, wide) != histories(t, files) {
		t.Error("the export, reordered, gives other histories than the three logs")
	}
}

// A live log read while being written ends in a cut line: a note, not a gap that fails the
// nightly verdict.
func TestLiveLogCutLastLine(t *testing.T) {
	var srcs []audit.Source
	for i, f := range dirFiles("logs/ha-3-nodes", 3) {
		b, err := os.ReadFile(filepath.Join("..", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			b = append(b, []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"cut-`)...)
		}
		srcs = append(srcs, audit.ReaderSource(f, bytes.NewReader(b)))
	}
	r, err := Build(context.Background(), srcs, Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	g := hasGap(r, coverage.GapUnreadable, coverage.SeverityInfo)
	if r.Verdict != coverage.VerdictPass || g == nil || !strings.Contains(g.Message, "last line") {
		t.Errorf("verdict %s, gaps %s", r.Verdict, gapTypes(r))
	}
}

// The recommended policy logs pods/status at Metadata on purpose: subresource writes without
// bodies do not make a kind partial.
func TestStatusChurnWithoutBodiesIsNotAGap(t *testing.T) {
	r := build(t, Options{},
		ev{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
		ev{minute: 1, verb: "patch", res: "pods/status", ns: "shop", name: "web-1", level: "Metadata", user: "system:node:node-1"},
		ev{minute: 2, verb: "patch", res: "pods", ns: "shop", name: "web-1", req: j(`{"metadata":{"labels":{"a":"b"}}}`), resp: pod("web-1", "shop", `,"labels":{"a":"b"}`, "", "")},
	)
	c := r.Coverage[0]
	if c.Kind != "Pod" || c.Status != coverage.StatusOK || c.Writes != 2 || c.Verbs["patch/status"] != 1 || c.Levels["patch/status"] != "Metadata" || c.MaxLevel != "RequestResponse" {
		t.Errorf("coverage %+v", c)
	}
}

// Lines that two inputs hold (copytruncate's copy and the file it emptied, two exports of one
// log) count once in every coverage count, as in summary.events: the rows equal those of the
// logs without the copy, and the per-server rows still add up to the row.
func TestCoverageCountsEachEventOnce(t *testing.T) {
	plain := haSources(t, nil)
	want, err := Build(context.Background(), plain, Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the last half of server 2's log, named as logrotate names it: the same
	// server, its lines in two inputs.
	b, err := os.ReadFile(filepath.Join("..", "testdata", "logs/ha-3-nodes/kube-apiserver-2-audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	copied := bytes.Join(lines[len(lines)/2:], nil)
	// And the whole of server 3's log exported twice under two names of one server.
	c, err := os.ReadFile(filepath.Join("..", "testdata", "logs/ha-3-nodes/kube-apiserver-3-audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []bool{false, true} {
		srcs := append(haSources(t, nil),
			audit.ReaderSource("logs/ha-3-nodes/kube-apiserver-2-audit.log.1", bytes.NewReader(copied)),
			audit.ReaderSource("logs/ha-3-nodes/kube-apiserver-3-audit.log.gz", bytes.NewReader(c)))
		if order {
			for i, j := 0, len(srcs)-1; i < j; i, j = i+1, j-1 {
				srcs[i], srcs[j] = srcs[j], srcs[i]
			}
		}
		got, err := Build(context.Background(), srcs, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary.Events != want.Summary.Events {
			t.Errorf("summary.events %d, want %d", got.Summary.Events, want.Summary.Events)
		}
		if len(got.Coverage) != len(want.Coverage) {
			t.Fatalf("%d coverage rows, want %d", len(got.Coverage), len(want.Coverage))
		}
		for i := range want.Coverage {
			w, g := want.Coverage[i], got.Coverage[i]
			if g.Events != w.Events || g.Writes != w.Writes || g.WritesWithBodies != w.WritesWithBodies || g.DryRuns != w.DryRuns || g.Refused != w.Refused || fmt.Sprint(g.Verbs) != fmt.Sprint(w.Verbs) {
				t.Errorf("reversed %v: %s counts %+v, want %+v (the copied lines counted twice?)", order, w.Kind, g.CoverageCounts, w.CoverageCounts)
			}
			if len(g.Sources) != len(w.Sources) {
				t.Errorf("%s: %d servers, want %d", w.Kind, len(g.Sources), len(w.Sources))
				continue
			}
			var events, writes int64
			for j, s := range g.Sources {
				events += s.Events
				writes += s.Writes
				if s.Events != w.Sources[j].Events || s.Writes != w.Sources[j].Writes {
					t.Errorf("%s on %s: %d events %d writes, want %d and %d", w.Kind, s.Source, s.Events, s.Writes, w.Sources[j].Events, w.Sources[j].Writes)
				}
			}
			if events != g.Events || writes != g.Writes {
				t.Errorf("%s: servers sum to %d events %d writes, the row says %d and %d", w.Kind, events, writes, g.Events, g.Writes)
			}
		}
		if got.Verdict != want.Verdict {
			t.Errorf("verdict %s, want %s; gaps %s", got.Verdict, want.Verdict, gapTypes(got))
		}
	}
}

// Numbered files in one folder (a shipper's or an export's split) are one API server when
// their events follow one another, and stay apart when they overlap in time: the names alone
// cannot tell kube-audit-00001.log from ip-10-0-1-123.log.
func TestNumberedFilesByTime(t *testing.T) {
	type file struct {
		name     string
		from, to int // minutes after t0, an event each minute
		lease    string
	}
	tests := []struct {
		name  string
		files []file
		// servers are the API servers seen; joined says whether the inputs are noted as
		// joined by the numbered-files rule; hole is the time hole expected, in minutes.
		servers []string
		joined  bool
		hole    [2]int
		// lost says the servers' logs stop or start apart: period-not-covered gaps.
		lost bool
	}{
		{name: "a numbered split of one server",
			files:   []file{{"export/kube-audit-00001.log", 0, 99, ""}, {"export/kube-audit-00002.log", 100, 199, ""}, {"export/kube-audit-00003.log", 200, 299, ""}},
			servers: []string{"export/kube-audit-00001..00003.log"}, joined: true},
		{name: "out of order across a file boundary, within the merge window",
			files:   []file{{"export/kube-audit-1.log", 0, 101, ""}, {"export/kube-audit-2.log", 99, 199, ""}},
			servers: []string{"export/kube-audit-1..2.log"}, joined: true},
		{name: "numbered files of two servers, interleaved in time",
			files: []file{{"export/kube-audit-00001.log", 0, 99, ""}, {"export/kube-audit-00002.log", 0, 149, ""},
				{"export/kube-audit-00003.log", 100, 199, ""}, {"export/kube-audit-00004.log", 150, 199, ""}},
			servers: []string{"export/kube-audit-00001..00003.log", "export/kube-audit-00002..00004.log"}, joined: true},
		{name: "node names that differ in one number, overlapping",
			files:   []file{{"logs/ip-10-0-1-123.log", 0, 299, ""}, {"logs/ip-10-0-1-124.log", 10, 299, ""}},
			servers: []string{"logs/ip-10-0-1-123.log", "logs/ip-10-0-1-124.log"}},
		{name: "names alike in two folders: two servers, one stopping as the other starts",
			files:   []file{{"a/kube-audit-1.log", 0, 99, ""}, {"b/kube-audit-2.log", 100, 199, ""}},
			servers: []string{"a/kube-audit-1.log", "b/kube-audit-2.log"}, lost: true},
		{name: "names alike, one stopping as the other starts, with their own identity leases",
			files:   []file{{"logs/kube-apiserver-1-audit.log", 0, 99, "apiserver-aaa"}, {"logs/kube-apiserver-2-audit.log", 100, 199, "apiserver-bbb"}},
			servers: []string{"logs/kube-apiserver-1-audit.log", "logs/kube-apiserver-2-audit.log"}, lost: true},
		{name: "a numbered split renewing one identity lease",
			files:   []file{{"export/kube-audit-1.log", 0, 99, "apiserver-aaa"}, {"export/kube-audit-2.log", 100, 199, "apiserver-aaa"}},
			servers: []string{"export/kube-audit-1..2.log"}, joined: true},
		{name: "a gap between consecutive numbered files is a hole of that server",
			files:   []file{{"export/kube-audit-00001.log", 0, 299, ""}, {"export/kube-audit-00002.log", 420, 719, ""}},
			servers: []string{"export/kube-audit-00001..00002.log"}, joined: true, hole: [2]int{299, 420}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srcs []audit.Source
			for _, f := range tc.files {
				var b strings.Builder
				for m := f.from; m <= f.to; m++ {
					b.WriteString(ev{minute: m, verb: "get", res: "pods", ns: "shop", name: "web-1", level: "Metadata"}.line() + "\n")
					if f.lease != "" {
						b.WriteString(ev{minute: m, verb: "update", user: "system:apiserver", res: "leases", group: "coordination.k8s.io", ns: "kube-system", name: f.lease, level: "Metadata"}.line() + "\n")
					}
				}
				srcs = append(srcs, audit.ReaderSource(f.name, strings.NewReader(b.String())))
			}
			r, err := Build(context.Background(), srcs, Options{Now: t0.Add(30 * 24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.APIServers.Seen, " "); got != strings.Join(tc.servers, " ") {
				t.Errorf("API servers %q, want %q", got, tc.servers)
			}
			for _, in := range r.Inputs {
				noted := strings.Contains(strings.Join(in.Notes, " "), "numbered files whose events follow one another")
				if noted != tc.joined {
					t.Errorf("%s: notes %q, want the numbered-files rule named: %v", in.Source, in.Notes, tc.joined)
				}
			}
			var holes []string
			for _, g := range r.Gaps {
				switch g.Type {
				case coverage.GapTimeHole:
					holes = append(holes, fmt.Sprintf("%s %d-%d", g.Source, int(g.From.Sub(t0).Minutes()), int(g.To.Sub(t0).Minutes())))
				case coverage.GapPeriodNotCovered:
					if !tc.lost {
						t.Errorf("gap %s: %s", g.Type, g.Message)
					}
				}
			}
			if tc.lost && hasGap(r, coverage.GapPeriodNotCovered, coverage.SeverityError) == nil {
				t.Errorf("no period-not-covered gap; gaps: %s", gapTypes(r))
			}
			want := ""
			if tc.hole != [2]int{} {
				want = fmt.Sprintf("%s %d-%d", tc.servers[0], tc.hole[0], tc.hole[1])
			}
			if got := strings.Join(holes, ", "); got != want {
				t.Errorf("time holes %q, want %q", got, want)
			}
		})
	}
}

// A write logged at RequestResponse whose bodies the API server dropped for their size
// (audit.k8s.io/truncated) or the log replaced (skipped-too-big-size-object) was audited as
// the policy asks: it is no metadata-only or partial write, and no advice to change the
// policy. It is counted once, under the truncated gap, and its row says the change cannot
// be diffed.
// Writes logged at RequestResponse that carry no body, and no mark that one was dropped, lost
// their bodies after the API server wrote them: the gap says so, and its fix is not a policy
// rule the policy already has.
func TestBodiesMissingAtRequestResponseAreNoPolicyGap(t *testing.T) {
	r := build(t, Options{}, ev{minute: 1, verb: "update", res: "pods", ns: "shop", name: "web-1"})
	g := hasGap(r, coverage.GapMetadataOnly, coverage.SeverityError)
	if g == nil || !strings.Contains(g.Message, "logged at level RequestResponse, which carries their bodies") || strings.Contains(g.Remediation, "add a rule") {
		t.Fatalf("gap %+v: want bodies removed after the API server, not a policy rule", g)
	}
}

func TestBodiesDroppedForSizeAreNotAPolicyGap(t *testing.T) {
	const marker = "skipped-too-big-size-object"
	truncated := map[string]string{"audit.k8s.io/truncated": "true"}
	create := ev{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")}
	tests := []struct {
		name   string
		events []ev
		// status, writes, with bodies and dropped are the Pod row's.
		status                 string
		writes, bodies, droppd int64
		// gap is the kind's own gap ("" for none) with its count; truncated is the count
		// of the truncated gap.
		gap       string
		gapCount  int64
		truncated int64
	}{
		{name: "both bodies replaced by the marker, the only write",
			events: []ev{{minute: 1, verb: "update", res: "pods", ns: "shop", name: "big", req: marker, resp: marker}},
			status: coverage.StatusBodiesDropped, writes: 1, droppd: 1, truncated: 1},
		{name: "bodies dropped by the API server, beside a write with bodies",
			events: []ev{create, {minute: 1, verb: "patch", res: "pods", ns: "shop", name: "web-1", annot: truncated}},
			status: coverage.StatusBodiesDropped, writes: 2, bodies: 1, droppd: 1, truncated: 1},
		// A write that kept one body counts with bodies, as writesWithBodies always has; the
		// event is still the truncated gap's.
		{name: "a response replaced, the request kept",
			events: []ev{create, {minute: 1, verb: "update", res: "pods", ns: "shop", name: "web-1", req: pod("web-1", "shop", `,"labels":{"a":"b"}`, "", ""), resp: marker}},
			status: coverage.StatusOK, writes: 2, bodies: 2, truncated: 1},
		{name: "one write at Metadata, one dropped for size: the policy's part alone is partial",
			events: []ev{
				{minute: 1, verb: "update", res: "pods", ns: "shop", name: "big", req: marker, resp: marker},
				{minute: 2, verb: "delete", res: "pods", ns: "shop", name: "web-2", level: "Metadata"},
			},
			status: coverage.StatusPartial, writes: 2, droppd: 1, gap: coverage.GapPartial, gapCount: 1, truncated: 1},
		{name: "writes at Metadata only: still metadata-only",
			events: []ev{{minute: 1, verb: "delete", res: "pods", ns: "shop", name: "web-2", level: "Metadata"}},
			status: coverage.StatusMetadataOnly, writes: 1, gap: coverage.GapMetadataOnly, gapCount: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build(t, Options{}, tc.events...)
			c := r.Coverage[0]
			if c.Kind != "Pod" || c.Status != tc.status || c.Writes != tc.writes || c.WritesWithBodies != tc.bodies || c.BodiesDropped != tc.droppd {
				t.Errorf("Pod row: status %s, %d writes, %d with bodies, %d dropped; want %s, %d, %d, %d",
					c.Status, c.Writes, c.WritesWithBodies, c.BodiesDropped, tc.status, tc.writes, tc.bodies, tc.droppd)
			}
			if s := c.Sources[0]; s.Status != c.Status || s.BodiesDropped != c.BodiesDropped {
				t.Errorf("the server's row %+v differs from the kind's", s.CoverageCounts)
			}
			var kindGaps []string
			for _, g := range r.Gaps {
				if g.Resource == "pods" && slices.Contains([]string{coverage.GapMetadataOnly, coverage.GapPartial, coverage.GapNeverAudited, coverage.GapNoWrites}, g.Type) {
					kindGaps = append(kindGaps, fmt.Sprintf("%s %d", g.Type, g.Count))
				}
				if tc.droppd > 0 && strings.Contains(g.Message, "level RequestResponse") {
					t.Errorf("a gap blames writes logged at RequestResponse: %s", g.Message)
				}
			}
			want := ""
			if tc.gap != "" {
				want = fmt.Sprintf("%s %d", tc.gap, tc.gapCount)
			}
			if got := strings.Join(kindGaps, ", "); got != want {
				t.Errorf("the Pod's gaps %q, want %q", got, want)
			}
			g := hasGap(r, coverage.GapTruncated, coverage.SeverityWarning)
			switch {
			case tc.truncated == 0 && g != nil:
				t.Errorf("a truncated gap without dropped bodies: %+v", g)
			case tc.truncated > 0 && (g == nil || g.Count != tc.truncated || !strings.Contains(g.Message, fmt.Sprintf("%d event(s)", tc.truncated))):
				t.Errorf("truncated gap %+v, want one counting %d event(s)", g, tc.truncated)
			}
			if r.Verdict != coverage.VerdictGaps {
				t.Errorf("verdict %s: bodies missing, the trail is incomplete", r.Verdict)
			}
		})
	}
}

// The sample log with bodies replaced (testdata/logs/broken, line 35): one write to pods,
// logged at RequestResponse, whose bodies AKS replaced, is the truncated warning's, once.
func TestBrokenLogDroppedBodyCountedOnce(t *testing.T) {
	r := buildFiles(t, Options{}, "logs/broken/kube-audit.log")
	if g := hasGap(r, coverage.GapMetadataOnly, coverage.SeverityError); g != nil {
		t.Errorf("the dropped body is called metadata-only: %+v", g)
	}
	for _, g := range r.Gaps {
		if g.Resource == "pods" && strings.Contains(g.Remediation, "add a rule") {
			t.Errorf("advice to change a policy that logged the write at RequestResponse: %+v", g)
		}
	}
	if c := r.Coverage[0]; c.Kind != "Pod" || c.Status != coverage.StatusBodiesDropped || c.BodiesDropped != 1 || c.WritesWithBodies != 0 {
		t.Errorf("Pod row %+v", c.CoverageCounts)
	}
	if g := hasGap(r, coverage.GapTruncated, coverage.SeverityWarning); g == nil || g.Count != 1 {
		t.Errorf("truncated gap %+v, want one for the one event", g)
	}
}

// Inputs that hold no event at all (an empty file, lines that are no audit event) prove
// nothing of any kind: that is one error gap saying so and naming the inputs, every row is
// unknown, and no gap blames the audit policy for kinds it could not be judged on.
func TestNoEventReadIsOneGap(t *testing.T) {
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	tests := []struct {
		name   string
		inputs map[string]string
		period Period
		// says is in the gap's message; unreadable is whether the input's unreadable
		// warning stands beside it.
		says       []string
		unreadable bool
	}{
		{name: "an empty file", inputs: map[string]string{"empty.log": ""},
			says: []string{"no event was read", "empty.log: empty"}},
		{name: "three lines of garbage", inputs: map[string]string{"garbage.log": "garbage\n{\"x\":1}\nnope\n"},
			says: []string{"no event was read", "garbage.log: 3 line(s), none an audit event"}, unreadable: true},
		{name: "an empty file and a period", inputs: map[string]string{"empty.log": ""},
			period: Period{Start: at("2026-11-01T00:00:00Z"), End: at("2026-11-02T00:00:00Z")},
			says:   []string{"no event was read", "empty.log: empty"}},
		{name: "two empty files", inputs: map[string]string{"a/kube-audit.log": "", "b/kube-audit.log": "\n\n"},
			says: []string{"no event was read", "a/kube-audit.log: empty", "b/kube-audit.log: 2 line(s), none an audit event"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srcs []audit.Source
			for _, name := range slices.Sorted(maps.Keys(tc.inputs)) {
				srcs = append(srcs, audit.ReaderSource(name, strings.NewReader(tc.inputs[name])))
			}
			r, err := Build(context.Background(), srcs, Options{Now: t0, Period: tc.period})
			if err != nil {
				t.Fatal(err)
			}
			want := "error period-not-covered"
			if tc.unreadable {
				want += ", warning unreadable"
			}
			if got := gapTypes(r); got != want {
				t.Errorf("gaps %q, want %q", got, want)
			}
			g := hasGap(r, coverage.GapPeriodNotCovered, coverage.SeverityError)
			if g == nil {
				t.Fatal("no period-not-covered gap")
			}
			for _, s := range tc.says {
				if !strings.Contains(g.Message, s) {
					t.Errorf("message %q does not say %q", g.Message, s)
				}
			}
			if g.Remediation == "" || strings.Contains(g.Remediation, "add a rule") {
				t.Errorf("remediation %q", g.Remediation)
			}
			for _, c := range r.Coverage {
				if c.Status != coverage.StatusUnknown {
					t.Errorf("%s: status %s, want %s", c.Kind, c.Status, coverage.StatusUnknown)
				}
			}
			if r.Verdict != coverage.VerdictGaps || !strings.HasPrefix(r.Score.Text, "unknown") {
				t.Errorf("verdict %s, score %q: the report proves nothing", r.Verdict, r.Score.Text)
			}
		})
	}
}

// Events in the period, none of a required kind: the logs reach the period, so the kinds are
// never audited in it, with or without a period given; not "no input has any event in the
// period".
func TestOnlyOtherKindsInThePeriod(t *testing.T) {
	var lines []ev
	for i := 0; i < 30; i++ {
		lines = append(lines, ev{minute: i, verb: "get", res: "configmaps", ns: "shop", name: "c", level: "Metadata"})
	}
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	for _, p := range []Period{{}, {Start: &from, End: &to}} {
		r := build(t, Options{Period: p}, lines...)
		want := "error never-audited, error never-audited, error never-audited, error never-audited, error never-audited, info no-required-kind"
		if got := gapTypes(r); got != want {
			t.Errorf("period %v: gaps %q, want %q", p.Start != nil, got, want)
		}
		if r.Posture != nil {
			t.Errorf("period %v: a posture of %d pods, though no NetworkPolicy was ever audited", p.Start != nil, r.Posture.Len())
		}
		for _, g := range r.Gaps {
			if strings.Contains(g.Message, "(none)") {
				t.Errorf("period %v: %s", p.Start != nil, g.Message)
			}
		}
		for _, c := range r.Coverage {
			if c.Status != coverage.StatusNeverAudited {
				t.Errorf("period %v: %s is %s", p.Start != nil, c.Kind, c.Status)
			}
		}
	}
}

// A kind whose only writes in the period are to subresources is not a kind without writes:
// a namespace finalized is judged by how that write was logged, and status churn, which the
// policy may log without bodies on purpose, is named in the gap rather than left unsaid.
func TestSubresourceWritesAreWrites(t *testing.T) {
	t.Run("real API server: the window with temp's finalize", func(t *testing.T) {
		from, to := time.Date(2026, 11, 30, 15, 50, 50, 0, time.UTC), time.Date(2026, 11, 30, 15, 51, 0, 0, time.UTC)
		r := buildDir(t, realDir+"/log", Options{Now: to.Add(time.Hour), Period: Period{Start: &from, End: &to}})
		for _, c := range r.Coverage {
			if c.Resource == "namespaces" && (c.Status != coverage.StatusOK || c.Writes != 1 || c.WritesWithBodies != 1 || !c.Subresources) {
				t.Errorf("namespaces %+v", c.CoverageCounts)
			}
		}
		if g := hasGap(r, coverage.GapNoWrites, coverage.SeverityInfo); g != nil {
			t.Errorf("gap %+v", g)
		}
	})
	t.Run("a finalize logged at Metadata", func(t *testing.T) {
		r := build(t, Options{},
			ev{minute: 0, verb: "create", res: "pods", ns: "shop", name: "web-1", resp: pod("web-1", "shop", "", "", "")},
			ev{minute: 1, verb: "update", res: "namespaces/finalize", name: "temp", level: "Metadata"},
		)
		g := hasGap(r, coverage.GapMetadataOnly, coverage.SeverityError)
		if g == nil || g.Resource != "namespaces" || !strings.Contains(g.Message, "subresource write(s) that change namespaces (update/finalize at Metadata; no write to the objects themselves in the period)") ||
			!strings.Contains(g.Remediation, `["namespaces", "namespaces/*"]`) {
			t.Fatalf("gaps %s: %+v", gapTypes(r), g)
		}
	})
	t.Run("only status churn", func(t *testing.T) {
		r := build(t, Options{},
			ev{minute: 0, verb: "create", res: "namespaces", name: "shop", resp: j(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}`)},
			ev{minute: 1, verb: "patch", res: "pods/status", ns: "shop", name: "web-1", level: "Metadata", user: "system:node:node-1"},
		)
		g := hasGap(r, coverage.GapNoWrites, coverage.SeverityInfo)
		if g == nil || g.Resource != "pods" || strings.Contains(g.Message, "no write in the period") || !strings.Contains(g.Message, "but 1 to their status (patch/status at Metadata)") {
			t.Fatalf("gaps %s: %+v", gapTypes(r), g)
		}
	})
}

// A coverage gap says what the trail shows: writes that all kept their bodies at level
// Request lack the response, not bodies; writes with no level logged are not metadata-only.
func TestCoverageMessagesSayWhatIsMissing(t *testing.T) {
	t.Run("real API server: every EndpointSlice write carried bodies, at level Request", func(t *testing.T) {
		r := buildDir(t, realDir+"/log", Options{Now: t0, Require: []audit.Kind{{Group: "discovery.k8s.io", Resource: "endpointslices"}}})
		var g *coverage.Gap
		for i := range r.Gaps {
			if r.Gaps[i].Resource == "endpointslices" && r.Gaps[i].Type != coverage.GapUnknownBaseline {
				g = &r.Gaps[i]
			}
		}
		if g == nil || g.Type != coverage.GapPartial || !strings.Contains(g.Message, "3 of 3 write(s) to endpointslices.discovery.k8s.io carried bodies, all at level Request at most, which leaves out the response") ||
			strings.Contains(g.Message, "cannot be diffed") {
			t.Errorf("gap %+v", g)
		}
	})
	t.Run("panther EKS: a write with no level logged", func(t *testing.T) {
		r := buildFiles(t, Options{}, "realdata/panther/panther-eks-audit-testlogs.jsonl")
		for _, g := range r.Gaps {
			if strings.Contains(g.Message, "(level )") || strings.Contains(g.Message, "highest level )") {
				t.Errorf("gap names an empty level: %+v", g)
			}
		}
		g := hasGap(r, coverage.GapNoBodies, coverage.SeverityError)
		if g == nil || g.Resource != "serviceaccounts" || !strings.Contains(g.Message, "with no level logged") || hasGap(r, coverage.GapMetadataOnly, coverage.SeverityError) != nil {
			t.Errorf("gaps %s: %+v", gapTypes(r), g)
		}
		for _, c := range r.Coverage {
			if c.Resource == "serviceaccounts" && c.Status != coverage.StatusNoBodies {
				t.Errorf("serviceaccounts %s", c.Status)
			}
		}
	})
}

// A log of one event has no rate: a server's missing stretch is not said to hold "about 0"
// events, but that how many cannot be told.
func TestNoRateNoMissingCount(t *testing.T) {
	r := buildDir(t, "../testdata/realdata/falco-k8s-audit/", Options{Now: time.Now()})
	n := 0
	for _, g := range r.Gaps {
		if g.Type != coverage.GapPeriodNotCovered || g.Source == "" {
			continue
		}
		n++
		if strings.Contains(g.Message, "about 0 event(s)") || !strings.Contains(g.Message, "too few to give a rate") {
			t.Errorf("%s: %s", g.Source, g.Message)
		}
	}
	if n == 0 {
		t.Fatalf("no per-server period-not-covered gap: %s", gapTypes(r))
	}
}

// A kind with no event in a quiet period, but writes before it in the same inputs, is
// audited: the gap says so and does not prescribe a policy rule.
func TestQuietPeriodIsNoPolicyGap(t *testing.T) {
	start, end := time.Date(2026, 11, 30, 16, 6, 23, 0, time.UTC), time.Date(2026, 11, 30, 16, 6, 30, 0, time.UTC)
	r := buildDir(t, "../testdata/logs/posture/", Options{Now: time.Now(), Period: Period{Start: &start, End: &end}})
	g := hasGap(r, coverage.GapQuietKind, coverage.SeverityWarning)
	if g == nil || g.Resource != "namespaces" && g.Resource != "serviceaccounts" || !strings.Contains(g.Message, "before the period") || strings.Contains(g.Remediation, "add a rule") {
		t.Errorf("gap %+v; gaps %s: want a warning that the kind is audited and the period quiet", g, gapTypes(r))
	}
	for _, c := range r.Coverage {
		if (c.Resource == "namespaces" || c.Resource == "serviceaccounts") && c.Status != coverage.StatusQuiet {
			t.Errorf("%s: status %s, want quiet, as its gap says", c.Resource, c.Status)
		}
	}
	if !strings.HasPrefix(r.Score.Text, "5 of 5 required kinds audited with bodies") || !strings.Contains(r.Score.Text, "3 of 3 kind-server pairs") {
		t.Errorf("score %q: a quiet kind is audited, and has no pair to count", r.Score.Text)
	}
	if e := hasGap(r, coverage.GapNeverAudited, coverage.SeverityError); e != nil {
		t.Errorf("an error gap prescribing a rule: %+v", e)
	}
}

// The quiet-period rule needs writes that show the policy logs bodies: writes before the
// period at Metadata level leave the kind an error, with the rule it lacks, and say so.
func TestQuietPeriodAfterMetadataWritesIsStillAGap(t *testing.T) {
	var lines []ev
	for i := 0; i < 3; i++ {
		lines = append(lines, ev{minute: i, verb: "create", res: "namespaces", name: fmt.Sprintf("ns-%d", i), level: "Metadata"})
	}
	for i := 30; i < 60; i++ {
		lines = append(lines, ev{minute: i, verb: "get", res: "configmaps", ns: "shop", name: "c", level: "Metadata"})
	}
	start, end := t0.Add(20*time.Minute), t0.Add(60*time.Minute)
	r := build(t, Options{Period: Period{Start: &start, End: &end}}, lines...)
	var g *coverage.Gap
	for i := range r.Gaps {
		if r.Gaps[i].Type == coverage.GapNeverAudited && r.Gaps[i].Resource == "namespaces" {
			g = &r.Gaps[i]
		}
	}
	if g == nil || g.Severity != coverage.SeverityError || !strings.Contains(g.Message, "3 write(s) of it, at level Metadata at most") || !strings.Contains(g.Remediation, "RequestResponse") {
		t.Errorf("gap %+v: want an error naming the earlier writes' level, with the rule", g)
	}
}
