package audit

import (
	"encoding/binary"
	"math/bits"
)

// validJSON reports whether b is one JSON value, exactly as encoding/json.Valid does, at a
// speed that suits every line of a log: the line scan (scanLine) and the fast decoder trust
// a line only after it, so that a line two writers spliced together, or one cut and glued,
// is never counted as an event when encoding/json would refuse it (FuzzFastPath checks the
// two agree).
func validJSON(b []byte) bool {
	valid, _ := walkJSON(b, nil)
	return valid
}

// container is what an open JSON container is to walkJSON.
type container uint8

const (
	inArray container = iota
	inObject
	// The objects whose keys walkJSON checks: a line's event, its objectRef and its user.
	inEvent
	inRef
	inUser
)

// walkJSON is validJSON, and with at, also whether the keys of the line's object and of
// its objectRef and user are those of the API server's layout (see layout), and where
// their values are: only then does a decode read what the scan reads there.
func walkJSON(b []byte, at *places) (valid, exact bool) {
	// stack holds the open containers; nesting is bounded as encoding/json bounds it.
	var stackBuf [64]container
	stack := stackBuf[:0]
	keys := keyCheck{at: at, exact: true, last: -1}
	i := skipSpace(b, 0)
	for {
		// A value at i.
		if i >= len(b) {
			return false, false
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= 10000 {
				return false, false
			}
			kind, closing := inArray, byte(']')
			if c == '{' {
				kind, closing = keys.open(stack), '}'
			}
			stack = append(stack, kind)
			i = nextToken(b, i+1)
			if i < len(b) && b[i] == closing {
				i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if i = keys.objectKey(b, i, kind); i < 0 {
					return false, false
				}
			}
			continue
		case c == '"':
			if i = endString(b, i); i < 0 {
				return false, false
			}
		case c == '-' || c >= '0' && c <= '9':
			if i = endNumber(b, i); i < 0 {
				return false, false
			}
		case c == 't':
			if !hasAt(b, i, "true") {
				return false, false
			}
			i += 4
		case c == 'f':
			if !hasAt(b, i, "false") {
				return false, false
			}
			i += 5
		case c == 'n':
			if !hasAt(b, i, "null") {
				return false, false
			}
			i += 4
		default:
			return false, false
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 1 && keys.last >= 0 && keys.at != nil {
				keys.at.end[keys.last] = int32(i) // a value of the event ends
			}
			i = nextToken(b, i)
			if len(stack) == 0 {
				return i == len(b), i == len(b) && keys.exact
			}
			if i >= len(b) {
				return false, false
			}
			kind := stack[len(stack)-1]
			switch b[i] {
			case ',':
				i = nextToken(b, i+1)
				if kind != inArray {
					if i = keys.objectKey(b, i, kind); i < 0 {
						return false, false
					}
				}
			case '}':
				if kind == inArray {
					return false, false
				}
				stack = stack[:len(stack)-1]
				i++
				continue
			case ']':
				if kind != inArray {
					return false, false
				}
				stack = stack[:len(stack)-1]
				i++
				continue
			default:
				return false, false
			}
			break
		}
	}
}

// objectKey reads `"key" :` at i, in an object of the kind given, and returns where the value
// starts, or -1.
func (k *keyCheck) objectKey(b []byte, i int, kind container) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	start := i
	if i = endString(b, i); i < 0 {
		return -1
	}
	id := -1
	if k.at != nil && kind >= inEvent {
		id = k.key(kind, b[start+1:i-1])
	}
	i = nextToken(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	i = nextToken(b, i+1)
	if id >= 0 {
		k.at.start[kind-inEvent][id] = int32(i)
	}
	return i
}

// nextToken is skipSpace inlined for the common case, compact JSON without a space.
func nextToken(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	return skipSpace(b, i)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainByte marks the bytes a JSON string holds as they are: not a quote, not a backslash,
// not a control character. Bytes past ASCII count: encoding/json.Valid takes any byte >= 0x80
// in a string (invalid UTF-8 is replaced when decoding, not refused).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// endString returns the index after the string that starts at i, or -1.
func endString(b []byte, i int) int {
	i++
	for {
		// Eight bytes at a time up to the first that is not plain; the last few byte by byte.
		stop := false
		for i+8 <= len(b) {
			if m := stringStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				stop = true
				break
			}
			i += 8
		}
		for !stop && i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// stringStops marks, in eight bytes of a string read as a little-endian word, the bytes that
// are not plain (see plainByte) by their high bit. Only the lowest mark is sure to be one
// (a mark borrows from the bytes above it), which is the one endString needs.
func stringStops(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x-ones*0x20)&^x) & highs
}

// endNumber returns the index after the number that starts at i, or -1.
func endNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i
}

func hasAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}
