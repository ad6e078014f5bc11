package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseTimeFlag reads --since and --until: RFC 3339 ("2026-11-01T12:00:00Z"), a date
// ("2026-11-01", midnight UTC), or a duration back from now ("24h", "90m", "7d", "2w").
func parseTimeFlag(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
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
