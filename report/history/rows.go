package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/auditreport/auditreport/internal/spill"
)

// A long period's histories do not stay in memory: once the rows held pass a budget
// (Options.SpillAbove), every object's rows so far go to a spill store in the temporary
// folder (Options.TmpDir), and the renderers read them back in order (Resource.Changes).
// The rows are written in the binary form below; what is written is what is read back,
// field for field, so a report is the same whether its histories were spilled or not.

// DefaultSpillAbove is how many bytes of rows a run holds in memory before they go to disk.
const DefaultSpillAbove = 8 << 20

// Rows are the histories spilled to disk, and what gives their rows their IDs.
type Rows struct {
	store *spill.Store
	ids   *rowIDs
}

// Changes yields the object's changes in order, with their row IDs. A change yielded is
// the caller's to keep. An error reading spilled rows back stops the iteration; the
// report's Err says what it was.
func (r *Resource) Changes() iter.Seq2[int, *Change] {
	return func(yield func(int, *Change) bool) {
		if r.rows == nil {
			for j := range r.History {
				if !yield(j, &r.History[j]) {
					return
				}
			}
			return
		}
		j := 0
		err := r.rows.store.Each(r.list, func(rec []byte) bool {
			c, err := decodeChange(rec)
			if err != nil {
				r.rows.store.Fail(err)
				return false
			}
			c.ID = r.rows.ids.id(c.AuditID, r.index, j)
			ok := yield(j, &c)
			j++
			return ok
		})
		if err != nil {
			r.rows.store.Fail(err)
		}
	}
}

// Len is how many changes the object has.
func (r *Resource) Len() int {
	if r.rows == nil {
		return len(r.History)
	}
	return r.list.Len()
}

// Err is the first error met writing the rows or reading them back: a renderer that read
// them must not be trusted when it is set.
func (r *Rows) Err() error {
	if r == nil {
		return nil
	}
	return r.store.Err()
}

// Size is how much of the temporary folder the rows took.
func (r *Rows) Size() int64 {
	if r == nil {
		return 0
	}
	return r.store.Size()
}

// Close releases the temporary file of the rows, if any.
func (r *Rows) Close() error {
	if r == nil {
		return nil
	}
	return r.store.Close()
}

// The row format: every field of a Change but its ID, in order; strings and raw values as
// a length and bytes, numbers as varints, the time as seconds, nanoseconds and its zone's
// offset. The auditID comes first: the row IDs read it alone.

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// appendRaw writes a raw value; nil and empty differ (an empty value is never written by
// the differ, but the form keeps what it is given).
func appendRaw(b []byte, r json.RawMessage) []byte {
	if r == nil {
		return binary.AppendUvarint(b, 0)
	}
	return append(binary.AppendUvarint(b, uint64(len(r))+1), r...)
}

func encodeChange(b []byte, c *Change) []byte {
	b = appendString(b, c.AuditID)
	_, off := c.Time.Zone()
	b = binary.AppendVarint(b, c.Time.Unix())
	b = binary.AppendUvarint(b, uint64(c.Time.Nanosecond()))
	b = binary.AppendVarint(b, int64(off))
	for _, s := range [...]string{c.Action, c.Class, c.Verb, c.Subresource, c.User} {
		b = appendString(b, s)
	}
	b = appendStrings(b, c.Groups)
	b = appendString(b, c.ImpersonatedUser)
	b = appendStrings(b, c.SourceIPs)
	b = appendString(b, c.UserAgent)
	b = binary.AppendVarint(b, int64(c.Code))
	b = appendString(b, c.Level)
	b = appendString(b, c.Source)
	b = binary.AppendVarint(b, int64(c.Line))
	b = appendString(b, c.Baseline)
	if c.Diff == nil {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(c.Diff))+1)
	}
	for _, d := range c.Diff {
		b = appendString(b, d.Path)
		b = appendString(b, d.Op)
		b = appendRaw(b, d.Old)
		b = appendRaw(b, d.New)
	}
	return appendString(b, c.Note)
}

// rowSize is about how much memory a change holds, for the spill budget.
func rowSize(c *Change) int {
	n := 256 + len(c.AuditID) + len(c.User) + len(c.UserAgent) + len(c.Note) + len(c.Source)
	for _, d := range c.Diff {
		n += 80 + len(d.Path) + len(d.Old) + len(d.New)
	}
	return n
}

var errShortRow = errors.New("a spilled row is cut short")

// rowReader reads a row's fields in order; the first problem sticks.
type rowReader struct {
	b   []byte
	err error
}

func (r *rowReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errShortRow, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// varint reads a signed varint: the unsigned one binary.AppendVarint writes, zigzag-decoded.
func (r *rowReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *rowReader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.err, r.b = errShortRow, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *rowReader) string() string { return string(r.bytes(r.uvarint())) }

// count reads how many elements follow; more than the bytes left is a row cut short.
func (r *rowReader) count() uint64 {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err, r.b = errShortRow, nil
		return 0
	}
	return n
}

func (r *rowReader) strings() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.string()
	}
	return ss
}

func (r *rowReader) raw() json.RawMessage {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	return append(json.RawMessage{}, r.bytes(n-1)...)
}

func decodeChange(b []byte) (Change, error) {
	r := rowReader{b: b}
	var c Change
	c.AuditID = r.string()
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	c.Time = time.Unix(sec, int64(nsec))
	if off == 0 {
		c.Time = c.Time.UTC()
	} else {
		c.Time = c.Time.In(time.FixedZone("", int(off)))
	}
	c.Action, c.Class, c.Verb, c.Subresource, c.User = r.string(), r.string(), r.string(), r.string(), r.string()
	c.Groups = r.strings()
	c.ImpersonatedUser = r.string()
	c.SourceIPs = r.strings()
	c.UserAgent = r.string()
	c.Code = int32(r.varint())
	c.Level = r.string()
	c.Source = r.string()
	c.Line = int(r.varint())
	c.Baseline = r.string()
	if n := r.count(); n > 0 {
		c.Diff = make([]FieldChange, n-1)
		for i := range c.Diff {
			d := &c.Diff[i]
			d.Path, d.Op = r.string(), r.string()
			d.Old, d.New = r.raw(), r.raw()
		}
	}
	c.Note = r.string()
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("a spilled row is longer than its fields")
	}
	return c, r.err
}

// auditIDOf reads a row's auditID alone.
func auditIDOf(b []byte) (string, error) {
	r := rowReader{b: b}
	s := r.string()
	return s, r.err
}

// hold counts a row just appended to res's history and, when the tracker spills, keeps
// track of the memory the rows take.
func (t *Tracker) hold(res *Resource) {
	c := &res.History[len(res.History)-1]
	t.tally.row(res, c)
	if t.rows == nil {
		return
	}
	if len(res.History) == 1 {
		t.holding = append(t.holding, res)
	}
	t.held += rowSize(c)
}

// spill writes every row held in memory to the store, a block per object.
func (t *Tracker) spill() error {
	var block, rec []byte
	for _, res := range t.holding {
		block = block[:0]
		for j := range res.History {
			rec = encodeChange(rec[:0], &res.History[j])
			block = spill.AppendRecord(block, rec)
		}
		if res.list == nil {
			res.list, res.rows = &spill.List{}, t.rows
		}
		if err := t.rows.store.Append(res.list, block, len(res.History)); err != nil {
			return err
		}
		res.History = nil
	}
	clear(t.holding)
	t.holding, t.held = t.holding[:0], 0
	return nil
}
