package fnv1a

import (
	"hash/fnv"
	"testing"
)

// The hash is hash/fnv's 64-bit FNV-1a, byte for byte, for strings of every length.
func TestSameAsHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "pods/default/web-0", "\x00\xff", "café", string(make([]byte, 300))} {
		want := fnv.New64a()
		want.Write([]byte(s))
		if got := String(s); got != want.Sum64() {
			t.Errorf("String(%q) = %x, hash/fnv %x", s, got, want.Sum64())
		}
		h := AddByte(String(s), 0)
		want.Write([]byte{0})
		if h != want.Sum64() {
			t.Errorf("AddByte after %q = %x, hash/fnv %x", s, h, want.Sum64())
		}
	}
}
