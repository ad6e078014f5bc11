// Package binrec writes and reads the fields of a binary record, the form rows take in a
// spill store: strings and raw values as a length and their bytes, numbers as varints, a
// time as seconds, nanoseconds and its zone's offset. A Reader's first problem sticks, so
// a decoder reads every field and checks once, at the end.
package binrec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"
	"unsafe"
)

// AppendString writes a string.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// AppendStrings writes a list of strings; nil and empty read back alike, as nil.
func AppendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// AppendRaw writes bytes whose nil and empty differ (a JSON value, or none).
func AppendRaw(b, raw []byte) []byte {
	if raw == nil {
		return binary.AppendUvarint(b, 0)
	}
	return append(binary.AppendUvarint(b, uint64(len(raw))+1), raw...)
}

// AppendTime writes an instant and its zone's offset (not the zone's name: the reports
// write times as RFC 3339, which has none).
func AppendTime(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

// ErrShort is a record that ends before its fields do.
var ErrShort = errors.New("a spilled record is cut short")

// Reader reads a record's fields in the order they were written.
type Reader struct {
	b   []byte
	err error
	// owned is set when b is the reader's own copy, which nothing writes: its strings and
	// raw values are then parts of it, not copies each.
	owned bool
}

// NewReader reads the record b; its strings and raw values are copies, so b may be reused
// once they are read.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// NewOwningReader reads a copy of the record b, made once: its strings and raw values are
// parts of that copy, one allocation for a record where each field took one. Every value
// read keeps the whole copy alive, so it suits a record read whole into one value (a row
// of a history), not one a few fields are kept from.
func NewOwningReader(b []byte) *Reader { return &Reader{b: bytes.Clone(b), owned: true} }

// Err is the first problem met, or, once every field is read, bytes left over.
func (r *Reader) Err() error {
	if r.err == nil && len(r.b) != 0 {
		return errors.New("a spilled record is longer than its fields")
	}
	return r.err
}

func (r *Reader) short() {
	r.err, r.b = ErrShort, nil
}

// Uvarint reads an unsigned number.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.short()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed number.
func (r *Reader) Varint() int64 {
	u := r.Uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		r.short()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Bytes reads n bytes; they are the record's, not a copy.
func (r *Reader) Bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.short()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// Str reads a string.
func (r *Reader) Str() string {
	b := r.Bytes(r.Uvarint())
	if r.owned && len(b) > 0 {
		// The reader's copy is never written, and no raw value shares these bytes.
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// Count reads how many elements follow; more than the bytes left is a record cut short.
func (r *Reader) Count() uint64 {
	n := r.Uvarint()
	if n > uint64(len(r.b)) {
		r.short()
		return 0
	}
	return n
}

// Strings reads a list of strings, nil when empty.
func (r *Reader) Strings() []string {
	n := r.Count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.Str()
	}
	return ss
}

// Raw reads what AppendRaw wrote: a copy, or for an owning reader a part of its copy, its
// capacity its length so that an append cannot reach the next field.
func (r *Reader) Raw() []byte {
	n := r.Uvarint()
	if n == 0 {
		return nil
	}
	b := r.Bytes(n - 1)
	if r.owned && b != nil {
		return b
	}
	return append([]byte{}, b...)
}

// Time reads what AppendTime wrote: in UTC when the offset was zero, else in a zone of
// that offset.
func (r *Reader) Time() time.Time {
	sec, nsec, off := r.Varint(), r.Uvarint(), r.Varint()
	if nsec >= 1e9 || off <= -24*3600 || off >= 24*3600 {
		if r.err == nil {
			r.err = errors.New("a spilled record holds an impossible time")
		}
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}
