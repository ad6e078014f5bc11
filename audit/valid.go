package audit

import (
	"encoding/binary"
	"math/bits"
)

// validJSON reports whether b is one JSON value, exactly as encoding/json.Valid does, at a
// speed that suits every line of a log: the line scan (scanLight) and the fast decoder trust
// a line only after it, so that a line two writers spliced together, or one cut and glued,
// is never counted as an event when encoding/json would refuse it (FuzzFastPath checks the
// two agree).
func validJSON(b []byte) bool {
	// stack holds, per open container, whether it is an object; nesting is bounded as
	// encoding/json bounds it.
	var stackBuf [64]bool
	stack := stackBuf[:0]
	i := skipSpace(b, 0)
	for {
		// A value at i.
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= 10000 {
				return false
			}
			stack = append(stack, c == '{')
			closing := byte(']')
			if c == '{' {
				closing = '}'
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == closing {
				i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if i = objectKey(b, i); i < 0 {
					return false
				}
			}
			continue
		case c == '"':
			if i = endString(b, i); i < 0 {
				return false
			}
		case c == '-' || c >= '0' && c <= '9':
			if i = endNumber(b, i); i < 0 {
				return false
			}
		case c == 't':
			if !hasAt(b, i, "true") {
				return false
			}
			i += 4
		case c == 'f':
			if !hasAt(b, i, "false") {
				return false
			}
			i += 5
		case c == 'n':
			if !hasAt(b, i, "null") {
				return false
			}
			i += 4
		default:
			return false
		}
		// After a value: close containers, or go on to the next element.
		for {
			i = skipSpace(b, i)
			if len(stack) == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			obj := stack[len(stack)-1]
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
				if obj {
					if i = objectKey(b, i); i < 0 {
						return false
					}
				}
			case '}':
				if !obj {
					return false
				}
				stack = stack[:len(stack)-1]
				i++
				continue
			case ']':
				if obj {
					return false
				}
				stack = stack[:len(stack)-1]
				i++
				continue
			default:
				return false
			}
			break
		}
	}
}

// objectKey reads `"key" :` at i and returns where the value starts, or -1.
func objectKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = endString(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
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
		// Eight bytes at a time up to the first that is not plain, then byte by byte.
		for i+8 <= len(b) {
			if m := stringStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && plainByte[b[i]] {
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
