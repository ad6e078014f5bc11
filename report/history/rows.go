package history

import (
	"encoding/binary"
	"iter"
	"slices"
	"time"

	"github.com/auditreport/auditreport/internal/binrec"
	"github.com/auditreport/auditreport/internal/fnv1a"
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
	// failed are the failed attempts, when they were spilled.
	failed *spill.List
}

// FailedLen is how many failed attempts were spilled (Failed reads them).
func (r *Rows) FailedLen() int {
	if r == nil {
		return 0
	}
	return r.failed.Len()
}

// Failed yields the spilled failed attempts in order, with their row IDs. One yielded is
// the caller's to keep. An error reading them back stops the iteration; Err says what it
// was.
func (r *Rows) Failed() iter.Seq2[int, *FailedAttempt] {
	return func(yield func(int, *FailedAttempt) bool) {
		if r == nil || r.failed == nil {
			return
		}
		j := 0
		err := r.store.Each(r.failed, func(rec []byte) bool {
			f, err := decodeFailed(rec)
			if err != nil {
				r.store.Fail(err)
				return false
			}
			f.ID = r.ids.id(f.AuditID, -1, j)
			ok := yield(j, &f)
			j++
			return ok
		})
		if err != nil {
			r.store.Fail(err)
		}
	}
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
		eachRow(r, func(rec []byte, j int) (*Change, error) {
			c, err := decodeChange(rec)
			if err != nil {
				return nil, err
			}
			c.ID = r.rows.ids.id(c.AuditID, r.index, j)
			return &c, nil
		}, yield)
	}
}

// eachRow yields each of r's spilled rows, decoded, with its index. A row that does not
// decode, or a failure to read, stops it and stays in the store (the report's Err).
func eachRow[T any](r *Resource, decode func(rec []byte, j int) (T, error), yield func(int, T) bool) {
	j := 0
	err := r.rows.store.Each(r.list, func(rec []byte) bool {
		v, err := decode(rec, j)
		if err != nil {
			r.rows.store.Fail(err)
			return false
		}
		ok := yield(j, v)
		j++
		return ok
	})
	if err != nil {
		r.rows.store.Fail(err)
	}
}

// Head is what a change is ordered and counted by, read without the rest of it: the views
// of PDF, HTML and Markdown go through every change of a period to show a few, and decoding
// each whole (its diff above all) was most of their time.
type Head struct {
	Time    time.Time
	AuditID string
	Class   string
	NoOp    bool
}

// Heads yields the heads of the object's changes, in order, with each one's index as
// Changes gives it.
func (r *Resource) Heads() iter.Seq2[int, Head] {
	return func(yield func(int, Head) bool) {
		if r.rows == nil {
			for j := range r.History {
				c := &r.History[j]
				if !yield(j, Head{Time: c.Time, AuditID: c.AuditID, Class: c.Class, NoOp: c.NoOp()}) {
					return
				}
			}
			return
		}
		eachRow(r, func(rec []byte, _ int) (Head, error) { return decodeHead(rec) }, yield)
	}
}

// decodeHead reads what decodeChange reads, keeping the head alone: the rest is skipped
// without a copy.
func decodeHead(b []byte) (Head, error) {
	r := binrec.NewReader(b)
	skip := func() []byte { return r.Bytes(r.Uvarint()) }
	skipList := func() {
		for range r.Count() {
			skip()
		}
	}
	var h Head
	h.AuditID = r.Str()
	h.Time = r.Time()
	action, class := skip(), skip()
	skip()     // verb
	skip()     // subresource
	skip()     // user
	skipList() // groups
	skip()     // impersonated user
	skipList() // source IPs
	skip()     // user agent
	r.Varint() // code
	skip()     // level
	skip()     // source
	r.Varint() // line
	baseline := skip()
	diffs := 0
	if n := r.Count(); n > 0 {
		diffs = int(n - 1)
		for range diffs {
			skip() // path
			skip() // op
			// The old and the new value.
			for range 2 {
				if n := r.Uvarint(); n > 0 {
					r.Bytes(n - 1)
				}
			}
		}
	}
	note := skip()
	switch string(class) {
	case ClassConfiguration:
		h.Class = ClassConfiguration
	case ClassSubresource:
		h.Class = ClassSubresource
	default:
		h.Class = string(class)
	}
	// Only a modification with nothing changed needs the rest: read as strings then.
	if h.Class == ClassConfiguration && string(action) == ActionModified && diffs == 0 {
		h.NoOp = noOp(h.Class, string(action), string(baseline), diffs, string(note))
	}
	return h, r.Err()
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

// Peak is the most of the temporary folder the rows took at once: while they were rewritten
// in reading order, both files.
func (r *Rows) Peak() int64 {
	if r == nil {
		return 0
	}
	return r.store.Peak()
}

// Close releases the temporary file of the rows, if any.
func (r *Rows) Close() error {
	if r == nil {
		return nil
	}
	return r.store.Close()
}

// The row format: every field of a Change but its ID, in order, in internal/binrec's
// forms. The auditID comes first: the row IDs read it alone.

func encodeChange(b []byte, c *Change) []byte {
	b = binrec.AppendString(b, c.AuditID)
	b = binrec.AppendTime(b, c.Time)
	for _, s := range [...]string{c.Action, c.Class, c.Verb, c.Subresource, c.User} {
		b = binrec.AppendString(b, s)
	}
	b = binrec.AppendStrings(b, c.Groups)
	b = binrec.AppendString(b, c.ImpersonatedUser)
	b = binrec.AppendStrings(b, c.SourceIPs)
	b = binrec.AppendString(b, c.UserAgent)
	b = binary.AppendVarint(b, int64(c.Code))
	b = binrec.AppendString(b, c.Level)
	b = binrec.AppendString(b, c.Source)
	b = binary.AppendVarint(b, int64(c.Line))
	b = binrec.AppendString(b, c.Baseline)
	if c.Diff == nil {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(c.Diff))+1)
	}
	for _, d := range c.Diff {
		b = binrec.AppendString(b, d.Path)
		b = binrec.AppendString(b, d.Op)
		b = binrec.AppendRaw(b, d.Old)
		b = binrec.AppendRaw(b, d.New)
	}
	return binrec.AppendString(b, c.Note)
}

// rowSize is about how much memory a change holds, for the spill budget.
func rowSize(c *Change) int {
	n := 256 + len(c.AuditID) + len(c.User) + len(c.UserAgent) + len(c.Note) + len(c.Source)
	for _, d := range c.Diff {
		n += 80 + len(d.Path) + len(d.Old) + len(d.New)
	}
	return n
}

func decodeChange(b []byte) (Change, error) {
	r := binrec.NewOwningReader(b)
	var c Change
	c.AuditID = r.Str()
	c.Time = r.Time()
	c.Action, c.Class, c.Verb, c.Subresource, c.User = r.Str(), r.Str(), r.Str(), r.Str(), r.Str()
	c.Groups = r.Strings()
	c.ImpersonatedUser = r.Str()
	c.SourceIPs = r.Strings()
	c.UserAgent = r.Str()
	c.Code = int32(r.Varint())
	c.Level = r.Str()
	c.Source = r.Str()
	c.Line = int(r.Varint())
	c.Baseline = r.Str()
	if n := r.Count(); n > 0 {
		c.Diff = make([]FieldChange, n-1)
		for i := range c.Diff {
			d := &c.Diff[i]
			d.Path, d.Op = r.Str(), r.Str()
			d.Old, d.New = r.Raw(), r.Raw()
		}
	}
	c.Note = r.Str()
	return c, r.Err()
}

// auditIDOf reads a row's auditID alone.
func auditIDOf(b []byte) (string, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", binrec.ErrShort
	}
	return string(b[k : k+int(n)]), nil
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
	// In the report's order: each spill's blocks then lie in the order Finish's compaction
	// reads them, so that it reads each spill's stretch of the file front to back. (Each
	// resource has a list of its own: how two of one name are ordered moves only their blocks.)
	slices.SortFunc(t.holding, compareResources)
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
	if len(t.failed) > 0 {
		block = block[:0]
		for i := range t.failed {
			rec = encodeFailed(rec[:0], &t.failed[i])
			block = spill.AppendRecord(block, rec)
		}
		if err := t.rows.store.Append(&t.failedList, block, len(t.failed)); err != nil {
			return err
		}
		clear(t.failed)
		t.failed = t.failed[:0]
	}
	return t.spillGone()
}

// readFailedBack brings the spilled failed attempts back into memory, to be sorted there.
func (t *Tracker) readFailedBack() error {
	var back []FailedAttempt
	err := t.rows.store.Walk(&t.failedList, func(rec []byte) error {
		f, err := decodeFailed(rec)
		back = append(back, f)
		return err
	})
	if err != nil {
		return err
	}
	t.failed, t.failedList = append(back, t.failed...), spill.List{}
	return nil
}

// The failed attempt's form on disk: every field but its ID, the auditID first (the row IDs
// read it alone).

func encodeFailed(b []byte, f *FailedAttempt) []byte {
	b = binrec.AppendString(b, f.AuditID)
	b = binrec.AppendTime(b, f.Time)
	for _, s := range [...]string{f.Verb, f.Group, f.Resource, f.Subresource, f.Namespace, f.Name, f.User, f.ImpersonatedUser} {
		b = binrec.AppendString(b, s)
	}
	b = binrec.AppendStrings(b, f.SourceIPs)
	b = binrec.AppendString(b, f.UserAgent)
	b = binary.AppendVarint(b, int64(f.Code))
	for _, s := range [...]string{f.Reason, f.Message, f.Decision, f.Source} {
		b = binrec.AppendString(b, s)
	}
	return binary.AppendVarint(b, int64(f.Line))
}

func decodeFailed(b []byte) (FailedAttempt, error) {
	r := binrec.NewOwningReader(b)
	var f FailedAttempt
	f.AuditID = r.Str()
	f.Time = r.Time()
	f.Verb, f.Group, f.Resource, f.Subresource, f.Namespace, f.Name, f.User, f.ImpersonatedUser = r.Str(), r.Str(), r.Str(), r.Str(), r.Str(), r.Str(), r.Str(), r.Str()
	f.SourceIPs = r.Strings()
	f.UserAgent = r.Str()
	f.Code = int32(r.Varint())
	f.Reason, f.Message, f.Decision, f.Source = r.Str(), r.Str(), r.Str(), r.Str()
	f.Line = int(r.Varint())
	return f, r.Err()
}

// failedSize is about how much memory a failed attempt holds, for the spill budget.
func failedSize(f *FailedAttempt) int {
	return 320 + len(f.AuditID) + len(f.Name) + len(f.Reason) + len(f.Message)
}

// spillGone writes the heads of the gone objects' histories (their rows are on disk
// already) to headList and lets them go: a long period's pods come and go by the
// hundred thousand. What is left of each is its key's hash and its kind (goneKeys).
func (t *Tracker) spillGone() error {
	if len(t.gone) == 0 {
		return nil
	}
	if t.goneKeys == nil {
		t.goneKeys = map[uint64]string{}
	}
	var block []byte
	for k, res := range t.gone {
		block = spill.AppendRecord(block, encodeHead(nil, res))
		if res.kindSet {
			t.goneKeys[keyHash(k)] = t.shared(res.Kind)
		} else {
			t.goneKeys[keyHash(k)] = ""
		}
	}
	n := len(t.gone)
	clear(t.gone)
	return t.rows.store.Append(&t.headList, block, n)
}

// goneKind is what goneKeys keeps of an object's kind.
func (o *Object) goneKind() string {
	if o.kindSet {
		return o.kind
	}
	return ""
}

// keyHash is a key's 64-bit FNV-1a hash: two keys of one report share it with a chance of
// about one in 2^64 per pair.
func keyHash(k Key) uint64 {
	h := fnv1a.Offset
	for i, s := range [...]string{k.Group, k.Resource, k.Namespace, k.Name} {
		if i > 0 {
			h = fnv1a.AddByte(h, 0) // a separator: "a"+"bc" is not "ab"+"c"
		}
		h = fnv1a.AddString(h, s)
	}
	return h
}

// encodeHead writes what a resource is, but for its rows, which its list names.
func encodeHead(b []byte, r *Resource) []byte {
	b = spill.AppendList(b, r.list)
	for _, s := range [...]string{r.Kind, r.Group, r.Resource, r.Namespace, r.Name, r.UID} {
		b = binrec.AppendString(b, s)
	}
	flags := byte(0)
	if r.kindSet {
		flags |= 1
	}
	if r.Collection {
		flags |= 2
	}
	return append(b, flags)
}

// decodeHead reads a head encodeHead wrote; its list goes to l.
func (t *Tracker) decodeHead(b []byte, l *spill.List) (Resource, error) {
	var k int
	if *l, k = spill.ReadList(b); k == 0 {
		return Resource{}, binrec.ErrShort
	}
	r := binrec.NewReader(b[k:])
	res := Resource{Kind: t.shared(r.Str()), Group: t.shared(r.Str()), Resource: t.shared(r.Str()), Namespace: t.shared(r.Str()),
		Name: r.Str(), UID: r.Str(), rows: t.rows, list: l}
	flags := r.Byte()
	res.kindSet, res.Collection = flags&1 != 0, flags&2 != 0
	return res, r.Err()
}
