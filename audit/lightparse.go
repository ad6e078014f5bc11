package audit

import "time"

// The scan reads two values of almost every line whose general readers cost more than the
// rest of the scan: the request URI, whose "&" Go's JSON encoder writes as \u0026 (a list or
// watch with a query), and two timestamps. Each is read here in the form the API server
// writes it; any other form goes to the general reader, so the result is always the same.

// unescapeASCII returns the content of a JSON string (without its quotes) with its escapes
// resolved, as encoding/json would; false for anything but printable ASCII, the one-letter
// escapes and \u escapes of ASCII, which are then left to encoding/json.
func unescapeASCII(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			if c < 0x20 || c >= 0x80 || c == '"' {
				return nil, false
			}
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+6 > len(s) {
				return nil, false
			}
			r := 0
			for _, h := range s[i+2 : i+6] {
				r <<= 4
				switch {
				case h >= '0' && h <= '9':
					r |= int(h - '0')
				case h >= 'a' && h <= 'f':
					r |= int(h-'a') + 10
				case h >= 'A' && h <= 'F':
					r |= int(h-'A') + 10
				default:
					return nil, false
				}
			}
			if r >= 0x80 {
				return nil, false
			}
			out = append(out, byte(r))
			i += 4
		default:
			return nil, false
		}
		i++
	}
	return out, true
}

// parseStamp reads a timestamp as the API server writes it, in UTC with up to nine digits
// of a second ("2026-11-01T00:00:14.352012Z"), as time.Parse(time.RFC3339Nano, ...) reads
// it; any other form (an offset, a date out of range) is left to time.Parse. A time
// outside those an event may have (countable) is an error, as for parseTime.
func parseStamp(b []byte) (time.Time, error) {
	if t, ok := stampUTC(b); ok {
		return countable(t)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, err
	}
	return countable(t.UTC())
}

// stampUTC is parseStamp's reading of the API server's form alone.
func stampUTC(b []byte) (time.Time, bool) {
	// 2006-01-02T15:04:05Z at least.
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn is the number of days of a month of the proleptic Gregorian calendar.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
