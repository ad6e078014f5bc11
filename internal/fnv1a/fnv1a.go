// Package fnv1a is the 64-bit FNV-1a hash of strings, as hash/fnv computes it, without the
// allocation and the interface call hash/fnv costs for each short key: the histories and the
// posture know the objects gone by it.
package fnv1a

// Offset is the hash of nothing.
const Offset uint64 = 14695981039346656037

const prime = 1099511628211

// AddString is h with the bytes of s hashed in.
func AddString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return h
}

// AddByte is h with one byte hashed in.
func AddByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * prime }

// String is the hash of s.
func String(s string) uint64 { return AddString(Offset, s) }
