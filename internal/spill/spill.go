// Package spill keeps lists of records in a temporary file, so that what a run collects
// over a long period does not stay in memory: a report's histories and the posture's pods.
//
// Records are appended to a list a block at a time; each block is S2-compressed and names
// the block before it, so a list costs a few words of memory whatever it holds. The file has
// no name (Linux's O_TMPFILE), or is removed as soon as it is made where the file system
// cannot make one without (it stays readable through the open descriptor), so nothing is
// left behind whether the run ends, fails or is killed.
package spill

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/klauspost/compress/s2"

	"github.com/auditreport/auditreport/internal/units"
)

// Store is a temporary file of lists of records. Appending is for one goroutine; once
// Seal is called, lists may be read from several at once.
type Store struct {
	dir  string
	f    *os.File
	path string // the file's name while it could not be removed; "" once removed
	buf  []byte // blocks not yet written
	off  int64  // the file's length, with buf
	zbuf []byte
	// from is the length of the file being compacted, on disk beside this one until the
	// compaction ends; peak is the most the two took at once.
	from, peak int64

	mu  sync.Mutex
	err error // the first failure: every later call returns it

	// ahead holds stretches of a compacted file read at once, for readers going through it
	// in order; nil until the store is compacted.
	ahead *readAhead
}

// List is a list of records in a Store: where its last block is, what the block holds,
// where the one before it is, and how many records the list holds.
type List struct {
	last, prev   int64 // prev is -1 when the last block is the first
	lastN, lastZ uint32
	n            int
}

// Len is how many records the list holds.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// header is a block's: the previous block's offset (-1: none), its record count and its
// compressed length.
const headerSize = 16

// flushAt is how much of written blocks is kept before it goes to the file.
const flushAt = 1 << 20

// New makes a store whose file will be in dir ("" for the system's temporary folder). The
// file is made on the first append.
func New(dir string) *Store {
	if dir == "" {
		dir = os.TempDir()
	}
	return &Store{dir: dir}
}

// Size is how many bytes the store's file holds (or will once written).
func (s *Store) Size() int64 { return s.off }

// Peak is the most bytes the store's files held at once: during a compaction, the file
// compacted and the one it is rewritten to are both on disk.
func (s *Store) Peak() int64 { return max(s.peak, s.off) }

// Append adds count records to l as one block; recs holds them as AppendRecord wrote them.
func (s *Store) Append(l *List, recs []byte, count int) error {
	if err := s.Err(); err != nil {
		return err
	}
	if s.f == nil {
		if err := s.create(); err != nil {
			return err
		}
	}
	s.zbuf = s2.Encode(s.zbuf[:cap(s.zbuf)], recs)
	return s.appendBlock(l, s.zbuf, count)
}

// appendBlock adds a block of count records, z compressed as Append compresses them, to l.
func (s *Store) appendBlock(l *List, z []byte, count int) error {
	if len(z) > 1<<31-1 || count > 1<<31-1 {
		return s.Fail(errors.New("spill: a block of more than 2 GiB"))
	}
	var h [headerSize]byte
	prev := int64(-1)
	if l.n > 0 {
		prev = l.last
	}
	binary.LittleEndian.PutUint64(h[0:], uint64(prev))
	binary.LittleEndian.PutUint32(h[8:], uint32(count))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(z)))
	l.last, l.prev, l.lastN, l.lastZ, l.n = s.off, prev, uint32(count), uint32(len(z)), l.n+count
	if s.buf == nil {
		// Room for what is kept before a write, at once: grown by append, from nothing to a
		// mebibyte, it took a dozen allocations, each of fresh memory once large.
		s.buf = make([]byte, 0, flushAt+flushAt/4)
	}
	s.buf = append(append(s.buf, h[:]...), z...)
	s.off += int64(headerSize + len(z))
	s.peak = max(s.peak, s.from+s.off)
	if len(s.buf) >= flushAt {
		return s.flush()
	}
	return nil
}

func (s *Store) create() error {
	if f, err := openUnnamed(s.dir); err == nil {
		s.f = f
		return nil
	}
	// Not every file system makes files without a name: make one with a name and remove it
	// at once.
	f, err := os.CreateTemp(s.dir, "auditreport-spill-*")
	if err != nil {
		return s.Fail(&Error{Dir: s.dir, Op: "making a temporary file", Err: err})
	}
	s.f = f
	if os.Remove(f.Name()) != nil {
		s.path = f.Name() // removed on Close instead
	}
	return nil
}

func (s *Store) flush() error {
	if err := s.Err(); len(s.buf) == 0 || err != nil {
		return err
	}
	written := s.off - int64(len(s.buf))
	if _, err := s.f.WriteAt(s.buf, written); err != nil {
		return s.Fail(&Error{Dir: s.dir, Op: "writing", Err: err, Written: written, Size: s.off})
	}
	s.buf = s.buf[:0]
	return nil
}

// Seal writes what is buffered; the lists can then be read.
func (s *Store) Seal() error {
	if s.f == nil {
		return s.Err()
	}
	err := s.flush()
	s.buf, s.zbuf = nil, nil
	return err
}

// Compact writes the lists again, each as one block, in the order given (the order they
// will be read in), so that reading a list takes one read and reading them all in turn
// reads the file from start to end. Lists not given are lost. It seals the store.
func (s *Store) Compact(lists []*List) error {
	return s.compact(len(lists), func(i int) []*List { return lists[i : i+1] })
}

// CompactJoined is Compact for lists that are read as one: group i is lists[ends[i-1]:ends[i]]
// (from 0 for the first); each group's records, in the order of its lists, become one list,
// its first; the others are emptied. One slice for all groups, where a report has a group
// for each object, saves a slice header and an allocation for each.
func (s *Store) CompactJoined(lists []*List, ends []int) error {
	return s.compact(len(ends), func(i int) []*List {
		if i == 0 {
			return lists[:ends[0]]
		}
		return lists[ends[i-1]:ends[i]]
	})
}

func (s *Store) compact(n int, group func(i int) []*List) error {
	if s.f == nil {
		return s.Err()
	}
	if err := s.flush(); err != nil {
		return err
	}
	old, oldPath, oldOff := s.f, s.path, s.off
	s.f, s.path, s.off, s.ahead = nil, "", 0, nil
	if err := s.create(); err != nil {
		s.f, s.path, s.off = old, oldPath, oldOff
		return err
	}
	from := &Store{dir: s.dir, f: old, path: oldPath, ahead: newReadAhead(sourceWindows, sourceWindowSize)}
	s.from = oldOff
	defer func() {
		from.Close() // the old file, whether the rewrite ends or fails
		s.from = 0
	}()
	var raw, z []byte
	for i := range n {
		lists := group(i)
		// Most objects' histories went to disk in one spill: their block is written as it
		// is, not decompressed and compressed again.
		sole := soleBlock(lists)
		if sole != nil {
			if cap(z) < int(sole.lastZ) {
				z = make([]byte, sole.lastZ)
			}
			z = z[:sole.lastZ]
			if err := from.readAt(z, sole.last+headerSize); err != nil {
				return s.Fail(from.readErr(err))
			}
		}
		var first *List
		count := 0
		raw = raw[:0]
		for _, l := range lists {
			if l == nil {
				continue
			}
			if sole == nil {
				if err := from.Each(l, func(rec []byte) bool { raw = AppendRecord(raw, rec); return true }); err != nil {
					return s.Fail(err)
				}
			}
			count += l.n
			*l = List{}
			if first == nil {
				first = l
			}
		}
		var err error
		switch {
		case count == 0:
		case sole != nil:
			err = s.appendBlock(first, z, count)
		default:
			err = s.Append(first, raw, count)
		}
		if err != nil {
			return err
		}
	}
	if err := s.Seal(); err != nil {
		return err
	}
	s.ahead = newReadAhead(windowCount, windowSize)
	return nil
}

// soleBlock returns the one list of lists that holds records, when its records are in one
// block; nil otherwise.
func soleBlock(lists []*List) *List {
	var sole *List
	for _, l := range lists {
		if l == nil || l.n == 0 {
			continue
		}
		if sole != nil || l.prev >= 0 || int(l.lastN) != l.n {
			return nil
		}
		sole = l
	}
	return sole
}

// AppendList appends where l is in the store to b, for a list named in a record of
// another list; ReadList reads it back.
func AppendList(b []byte, l *List) []byte {
	b = binary.AppendVarint(b, l.last)
	b = binary.AppendVarint(b, l.prev)
	b = binary.AppendUvarint(b, uint64(l.lastN))
	b = binary.AppendUvarint(b, uint64(l.lastZ))
	return binary.AppendUvarint(b, uint64(l.n))
}

// ReadList reads a list AppendList wrote at the start of b, and how many bytes it took (0
// when b does not hold one).
func ReadList(b []byte) (List, int) {
	var l List
	var v [5]uint64
	at := 0
	for i := range v {
		var k int
		if i < 2 {
			var x int64
			x, k = binary.Varint(b[at:])
			v[i] = uint64(x)
		} else {
			v[i], k = binary.Uvarint(b[at:])
		}
		if k <= 0 {
			return List{}, 0
		}
		at += k
	}
	if v[2] > 1<<32-1 || v[3] > 1<<32-1 || v[4] > 1<<62 {
		return List{}, 0
	}
	l.last, l.prev, l.lastN, l.lastZ, l.n = int64(v[0]), int64(v[1]), uint32(v[2]), uint32(v[3]), int(v[4])
	return l, at
}

// Err is the first error the store met.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Fail records err as the store's failure, unless it has one, and returns the failure.
func (s *Store) Fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	return s.err
}

// Each calls fn with every record of l in the order appended, until fn returns false. The
// record's bytes are valid only during the call.
func (s *Store) Each(l *List, fn func(rec []byte) bool) error {
	if l == nil || l.n == 0 {
		return nil
	}
	if err := s.Err(); err != nil {
		return err
	}
	// The list knows its last block; the blocks name their predecessors: walk back to the
	// first, then read forward.
	type block struct {
		off  int64
		n, z uint32
	}
	var stack [4]block
	blocks := append(stack[:0], block{l.last, l.lastN, l.lastZ})
	var h [headerSize]byte
	for off := l.prev; off >= 0; {
		if err := s.readAt(h[:], off); err != nil {
			return s.readErr(err)
		}
		blocks = append(blocks, block{off, binary.LittleEndian.Uint32(h[8:]), binary.LittleEndian.Uint32(h[12:])})
		off = int64(binary.LittleEndian.Uint64(h[0:]))
	}
	bufs := bufPool.Get().(*buffers)
	defer bufPool.Put(bufs)
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		if cap(bufs.z) < int(b.z) {
			bufs.z = make([]byte, b.z)
		}
		z := bufs.z[:b.z]
		if err := s.readAt(z, b.off+headerSize); err != nil {
			return s.readErr(err)
		}
		raw, err := s2.Decode(bufs.raw[:cap(bufs.raw)], z)
		if err != nil {
			return s.readErr(err)
		}
		bufs.raw = raw
		for k := uint32(0); k < b.n; k++ {
			size, w := binary.Uvarint(raw)
			if w <= 0 || uint64(len(raw)-w) < size {
				return s.readErr(errors.New("a record runs past its block"))
			}
			if !fn(raw[w : w+int(size)]) {
				return nil
			}
			raw = raw[w+int(size):]
		}
	}
	return nil
}

// Walk calls fn with every record of l in order, until fn returns an error. The first
// error, reading or fn's, becomes the store's failure and is returned. The record's bytes
// are valid only during the call.
func (s *Store) Walk(l *List, fn func(rec []byte) error) error {
	var bad error
	err := s.Each(l, func(rec []byte) bool {
		bad = fn(rec)
		return bad == nil
	})
	if err = cmp.Or(err, bad); err != nil {
		return s.Fail(err)
	}
	return nil
}

// readAt reads len(p) bytes at off. Once the store is compacted, it reads through the
// windows of readAhead.
func (s *Store) readAt(p []byte, off int64) error {
	if s.ahead != nil && len(p) <= s.ahead.size/4 {
		return s.ahead.readAt(s.f, p, off)
	}
	_, err := s.f.ReadAt(p, off)
	return err
}

// readAhead serves reads of a store from windows of its file, each read with one call, the
// least recently used one read again on a miss. The renderers read a compacted store's
// histories in the order compaction wrote them, so each list is the next bytes of a window
// a reader already has, where it was one system call for each object (half a second of a
// gigabyte's report); several renderers read at once, each through the file in order, so
// there are a few windows. A compaction reads the file it rewrites the same way, from as
// many places as the histories spilled times, each written in the report's order.
type readAhead struct {
	mu   sync.Mutex
	wins []window
	size int
	tick uint64
}

func newReadAhead(count, size int) *readAhead {
	return &readAhead{wins: make([]window, count), size: size}
}

type window struct {
	off  int64
	b    []byte
	used uint64
}

const (
	windowSize  = 256 << 10
	windowCount = 8 // more than the formats a run renders at once
	// A compaction's source: a window for each of up to 256 spills, 4 MiB in all.
	sourceWindows    = 256
	sourceWindowSize = 16 << 10
)

func (a *readAhead) readAt(f *os.File, p []byte, off int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tick++
	lru := &a.wins[0]
	for i := range a.wins {
		w := &a.wins[i]
		if off >= w.off && off+int64(len(p)) <= w.off+int64(len(w.b)) {
			copy(p, w.b[off-w.off:])
			w.used = a.tick
			return nil
		}
		if w.used < lru.used {
			lru = w
		}
	}
	if lru.b == nil {
		lru.b = make([]byte, a.size)
	}
	n, err := f.ReadAt(lru.b[:a.size], off)
	lru.off, lru.b, lru.used = off, lru.b[:n], a.tick
	if n < len(p) {
		return cmp.Or(err, io.ErrUnexpectedEOF)
	}
	copy(p, lru.b)
	return nil
}

type buffers struct{ z, raw []byte }

var bufPool = sync.Pool{New: func() any { return new(buffers) }}

func (s *Store) readErr(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &Error{Dir: s.dir, Op: "reading back", Err: err}
}

// Close releases the file (and removes it where it could not be removed when made).
func (s *Store) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if s.path != "" {
		if rerr := os.Remove(s.path); err == nil {
			err = rerr
		}
	}
	s.f, s.ahead = nil, nil
	return err
}

// AppendRecord adds one record, length first, to a block being built.
func AppendRecord(block, rec []byte) []byte {
	return append(binary.AppendUvarint(block, uint64(len(rec))), rec...)
}

// Error is a failure of the store, naming its folder.
type Error struct {
	Dir     string
	Op      string
	Err     error
	Written int64 // bytes written before a write failed
	Size    int64 // bytes the file was to hold then
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("temporary folder %s: %s the rows kept on disk (histories, posture): %v", e.Dir, e.Op, e.Err)
	if e.Op == "writing" {
		msg += fmt.Sprintf(" (%s written)", units.Bytes(e.Written))
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// NoSpace reports whether err is a full disk (or quota).
func NoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}
