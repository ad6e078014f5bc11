package binrec

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"
)

// What is written reads back field for field, and a record cut anywhere is an error, never
// a panic or a value made up.
func FuzzRecord(f *testing.F) {
	f.Add("alice", "x\x00y", []byte(`{"a":1}`), true, int64(1764547200), uint32(5), int32(3600), int64(-7), uint64(1<<40))
	f.Add("", "", []byte{}, false, int64(0), uint32(0), int32(0), int64(0), uint64(0))
	f.Fuzz(func(t *testing.T, s, s2 string, raw []byte, hasRaw bool, sec int64, nsec uint32, off int32, v int64, u uint64) {
		if !hasRaw {
			raw = nil
		}
		nsec %= 1e9
		off %= 24 * 3600
		at := time.Unix(sec, int64(nsec)).In(time.FixedZone("", int(off)))
		var rec []byte
		rec = AppendString(rec, s)
		rec = AppendStrings(rec, []string{s, s2})
		rec = AppendRaw(rec, raw)
		rec = AppendTime(rec, at)
		rec = binary.AppendVarint(rec, v)
		rec = binary.AppendUvarint(rec, u)
		for _, newReader := range []func([]byte) *Reader{NewReader, NewOwningReader} {
			read := func(b []byte) (string, []string, []byte, time.Time, int64, uint64, error) {
				r := newReader(b)
				a, l, x, w := r.Str(), r.Strings(), r.Raw(), r.Time()
				return a, l, x, w, r.Varint(), r.Uvarint(), r.Err()
			}
			gs, gl, graw, gat, gv, gu, err := read(rec)
			if err != nil {
				t.Fatal(err)
			}
			if gs != s || !slices.Equal(gl, []string{s, s2}) || (graw == nil) != (raw == nil) || string(graw) != string(raw) ||
				!gat.Equal(at) || gat.Format(time.RFC3339Nano) != at.Format(time.RFC3339Nano) || gv != v || gu != u {
				t.Fatalf("read back %q %q %q %v %d %d", gs, gl, graw, gat, gv, gu)
			}
			for n := range len(rec) {
				if _, _, _, _, _, _, err := read(rec[:n]); err == nil {
					t.Fatalf("a record cut to %d of %d bytes read without an error", n, len(rec))
				}
			}
			if _, _, _, _, _, _, err := read(append(rec, 0)); err == nil {
				t.Fatal("a record with a byte more read without an error")
			}
		}
	})
}

// A count larger than the bytes left cannot be a list: the record is damaged.
func TestCountPastTheEnd(t *testing.T) {
	r := NewReader(binary.AppendUvarint(nil, 5))
	if r.Strings() != nil || !errors.Is(r.Err(), ErrShort) {
		t.Errorf("five strings in no bytes: %v", r.Err())
	}
}

// What an owning reader reads is its own: the record's bytes written over afterwards, or a
// raw value appended to, change no other value read.
func TestOwningReaderOwns(t *testing.T) {
	var rec []byte
	rec = AppendString(rec, "alice")
	rec = AppendRaw(rec, []byte(`{"a":1}`))
	rec = AppendString(rec, "bob")
	r := NewOwningReader(rec)
	a, raw, b := r.Str(), r.Raw(), r.Str()
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	clear(rec)
	raw = append(raw, "XXXX"...)
	if a != "alice" || b != "bob" || string(raw[:7]) != `{"a":1}` {
		t.Errorf("read %q, %q, %q after the record was cleared and the raw value appended to", a, raw, b)
	}
}
