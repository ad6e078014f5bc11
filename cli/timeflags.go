package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseTimeFlag reads --since and --until: RFC 3339 ("2026-11-01T12:00:00Z"), a date
// ("2026-11-01", midnight in loc), or a duration back from now ("24h", "90m", "7d", "2w").
func parseTimeFlag(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t.UTC(), nil
	}
	if d, err := parseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration back from now cannot be negative", s)
		}
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-01T12:00:00Z), a date (2026-11-01) or a duration back from now (24h, 7d)", s)
}

// parseDuration accepts Go durations plus days (d) and weeks (w).
func parseDuration(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	return time.ParseDuration(s)
}

// Period presets: calendar periods in the --timezone, so that consecutive scheduled runs
// cover consecutive periods exactly.
var periodPresets = []string{"yesterday", "today-so-far", "last-week", "last-month"}

// periodPreset returns the [start, end) of a preset at now, in loc. Weeks start on Monday
// (ISO 8601).
func periodPreset(name string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	switch name {
	case "yesterday":
		return today.AddDate(0, 0, -1), today, nil
	case "today-so-far":
		return today, now, nil
	case "last-week":
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		return monday.AddDate(0, 0, -7), monday, nil
	case "last-month":
		first := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
		return first.AddDate(0, -1, 0), first, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("--period %q: want one of %s", name, strings.Join(periodPresets, ", "))
}
