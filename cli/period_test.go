package cli

import (
	"testing"
	"time"
)

func TestPeriodPresets(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		preset     string
		now        string
		loc        *time.Location
		start, end string
	}{
		{"yesterday", "2026-11-29T10:00:00Z", time.UTC, "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z"},
		{"yesterday", "2026-11-01T00:00:00Z", time.UTC, "2026-10-31T00:00:00Z", "2026-11-01T00:00:00Z"},
		// Berlin: 2026-10-25 has 25 hours (summer time ends).
		{"yesterday", "2026-10-26T00:30:00+01:00", berlin, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"},
		{"today-so-far", "2026-11-29T10:00:00Z", time.UTC, "2026-11-29T00:00:00Z", "2026-11-29T10:00:00Z"},
		{"last-week", "2026-11-29T10:00:00Z", time.UTC, "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"}, // a Sunday
		{"last-week", "2026-11-30T10:00:00Z", time.UTC, "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"}, // a Monday
		{"last-month", "2026-11-29T10:00:00Z", time.UTC, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"},
		{"last-month", "2026-01-15T10:00:00Z", berlin, "2025-12-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00"},
	}
	for _, tc := range tests {
		start, end, err := periodPreset(tc.preset, at(tc.now), tc.loc)
		if err != nil || !start.Equal(at(tc.start)) || !end.Equal(at(tc.end)) {
			t.Errorf("%s at %s in %s: %s to %s, %v; want %s to %s", tc.preset, tc.now, tc.loc, start, end, err, tc.start, tc.end)
		}
	}
	if _, _, err := periodPreset("fortnight", time.Now(), time.UTC); err == nil {
		t.Error("an unknown preset is accepted")
	}
}

// Two nightly runs with --period yesterday, one day apart by the clock, cover adjacent days
// with no overlap and no hole, and name their files after them.
func TestConsecutiveNightlyRuns(t *testing.T) {
	dir := t.TempDir()
	var periods [][2]time.Time
	for _, clock := range []string{"2026-11-02T00:30:00Z", "2026-11-03T00:31:00Z"} {
		now, _ := time.Parse(time.RFC3339, clock)
		streams, _, _, errOut := Test()
		cmd := newRootCommand(streams, BuildInfo{Version: "test"}, func() time.Time { return now })
		cmd.SetArgs([]string{"--from", "../testdata/logs/ha-3-nodes", "--period", "yesterday", "--cluster", "prod",
			"--format", "json", "-o", dir + "/{{.Cluster}}-{{.Period.Start}}"})
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%s: %v %s", clock, err, errOut)
		}
		name := dir + "/prod-" + now.AddDate(0, 0, -1).Format("2006-01-02")
		r, err := readReport(name, streams)
		if err != nil {
			t.Fatalf("%s: %v", clock, err)
		}
		periods = append(periods, [2]time.Time{*r.Period.Start, *r.Period.End})
	}
	if !periods[0][1].Equal(periods[1][0]) {
		t.Errorf("the runs leave a hole or overlap: %v then %v", periods[0], periods[1])
	}
	if periods[0][1].Sub(periods[0][0]) != 24*time.Hour {
		t.Errorf("yesterday is not a day: %v", periods[0])
	}
}

func TestPeriodFlagConflicts(t *testing.T) {
	for _, args := range [][]string{
		{"--period", "yesterday", "--since", "24h"},
		{"--period", "fortnight"},
		{"--timezone", "Mars/Olympus"},
		{"-o", "{{.Nope}}"},
	} {
		_, errOut, code := run(t, "", append([]string{"--from", "../testdata/logs/ha-3-nodes"}, args...)...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}
