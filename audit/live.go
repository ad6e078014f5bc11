package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/yaml"
)

// Reading a log folder while the API server writes and rotates it. Files are known by device
// and inode; the first bytes of each file's content (headSize) tell a copy of it (logrotate's
// copytruncate, lumberjack's gzip of a rotated file) from another file.

// headSize is how many bytes of content identify a file's content: enough to hold several
// events, each with its own auditID and time.
const headSize = 4 << 10

// peekSize is how many bytes of content a look at a file's start reads (see look).
const peekSize = 64 << 10

// errTruncated is a file that shrank, or whose first bytes changed, under the reader: it was
// truncated (copytruncate) and perhaps written again since.
type errTruncated struct{ at int64 }

func (e *errTruncated) Error() string {
	return fmt.Sprintf("truncated while being read, at byte %d", e.at)
}

// liveFile reads a file by offset and checks, after each read, that the file still starts
// with the bytes it started with and is not shorter than what was read: a file truncated
// and written again in the meantime would otherwise splice new bytes onto old ones.
type liveFile struct {
	f    *fdFile
	off  int64
	head []byte
	buf  []byte
	slab []byte // what head and buf share, from headPool
	// short says the last read returned less than it was asked for: it reached the end of
	// the file. The next one checks the file with a stat rather than a read that finds nothing.
	short bool
	// end is what that stat found when reading ended at the end of the file: what the file
	// was when read, with no further system call to know it.
	end fs.FileInfo
}

func newLiveFile(f *fdFile, off int64) *liveFile {
	// The head and the buffer to compare it with, in one piece from a pool: thousands of
	// small files would otherwise allocate both, the head in steps, for each.
	b := headPool.Get().([]byte)
	return &liveFile{f: f, off: off, head: b[:0:headSize], buf: b[headSize:], slab: b}
}

var headPool = sync.Pool{New: func() any { return make([]byte, 2*headSize) }}

// release gives the buffers back once reading is over (a copy found after a truncation
// included).
func (l *liveFile) release() {
	if l.slab != nil {
		headPool.Put(l.slab) //nolint:staticcheck // a slice header is small
	}
	l.head, l.buf, l.slab = nil, nil, nil
}

func (l *liveFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	short := l.short
	l.short = false
	if !short {
		n, err := l.f.pread(p, l.off)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			if len(l.head) < headSize && l.off <= int64(len(l.head)) {
				// Still reading the first bytes: take them as the file's head.
				end := min(int64(headSize), l.off+int64(n))
				l.head = append(l.head, p[int64(len(l.head))-l.off:end-l.off]...)
			} else if !l.sameHead() {
				return 0, &errTruncated{at: l.off}
			}
			l.off += int64(n)
			l.short = n < len(p)
			return n, nil
		}
	}
	// At the end of the file as a read found it.
	fi, err := l.f.stat()
	if err == nil && fi.Size() < l.off {
		return 0, &errTruncated{at: l.off}
	}
	if len(l.head) > 0 && !l.sameHead() {
		return 0, &errTruncated{at: l.off}
	}
	if short && err == nil && fi.Size() > l.off {
		// Written to since the short read, or a file system that reads short: read on,
		// until a read finds nothing.
		return l.Read(p)
	}
	if err == nil {
		l.end = fi
	}
	return 0, io.EOF
}

// sameHead reports whether the file still starts with the bytes it started with.
func (l *liveFile) sameHead() bool {
	if cap(l.buf) < len(l.head) {
		l.buf = make([]byte, len(l.head))
	}
	b := l.buf[:len(l.head)]
	n, _ := l.f.ReadAt(b, 0)
	return n == len(b) && bytes.Equal(b, l.head)
}

// fileRecord is what the reader remembers of a file it read, to recognise copies and
// growth of it later: a few dozen bytes, whatever the file's size.
type fileRecord struct {
	name     string
	path     string
	origin   string
	id       fileID
	head     headID // of the content
	read     int64  // stored bytes read
	complete int64  // where the last whole line ended, when before read (plain files)
	uncut    bool   // its last line, cut off, is read again whole from elsewhere: not counted cut
	retired  bool   // truncated and written again since: kept by retire
	// content is, for a compressed file, where in its content the last whole line read
	// ended: a gzip read while still being written is read on from there once it grew.
	content   int64
	cut       bool // the read ended in a line without its end (compressed files)
	sum       [sha256.Size]byte
	plain     bool
	lost      bool      // part of it was lost to a truncation
	mtime     time.Time // when read: as long as read and unchanged since, it is not looked at again
	gone      bool      // removed before it could be read
	reused    bool      // its inode was found given to another file, which was taken up
	continued bool      // truncated while read, and read on from its copy
	copied    bool      // a copy of it was found at a later listing
	state     *sourceState
}

// contentHead reads the first bytes of a file's content, through gzip when compressed, and
// says whether the file is compressed and whether the gzip stream ended early.
func contentHead(path string, n int) (head []byte, compressed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return readHead(f, n)
}

func readHead(f io.Reader, n int) (head []byte, compressed bool, err error) {
	return readHeadInto(f, make([]byte, n))
}

// readHeadInto is readHead into buf, which the head then shares.
func readHeadInto(f io.Reader, buf []byte) (head []byte, compressed bool, err error) {
	m, err := io.ReadFull(f, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if m < 2 || buf[0] != 0x1f || buf[1] != 0x8b {
		return buf[:m], false, err
	}
	if err != nil {
		return nil, true, err
	}
	// Compressed: buf holds the stored bytes read so far, the content goes in their place.
	stored := append([]byte(nil), buf[:m]...)
	zr, err := newGzip(io.MultiReader(bytes.NewReader(stored), f))
	if err != nil {
		return nil, true, err
	}
	m, err = io.ReadFull(zr, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:m], true, err
}

// prefixMatches reports whether the file at path starts with n bytes whose digest is sum,
// and returns it opened and placed after them when it does.
func prefixMatches(path string, n int64, sum [sha256.Size]byte, head []byte) (*os.File, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() < n {
		f.Close()
		return nil, false
	}
	if len(head) > 0 {
		b := make([]byte, min(int64(len(head)), n))
		if _, err := f.ReadAt(b, 0); err != nil || !bytes.Equal(b, head[:len(b)]) {
			f.Close()
			return nil, false
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil || !bytes.Equal(h.Sum(nil), sum[:]) {
		f.Close()
		return nil, false
	}
	if _, err := f.Seek(n, io.SeekStart); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// opened is a source's file, open and found to be the file listed.
type opened struct {
	// reg is a regular file, read through its descriptor; pipe is anything else (a FIFO
	// given by name), whose reads go through the runtime poller, which a deadline ends.
	reg  *fdFile
	pipe *os.File
	fi   fs.FileInfo // reg's, as opened
	// renamed is the name it was found under, when rotation renamed it before it was opened.
	renamed string
	// asListed says it is as the listing's look found it, by identity, size and modification
	// time: what the look found of its content holds.
	asListed bool
}

func (o *opened) close() {
	if o.reg != nil {
		o.reg.Close()
	}
	if o.pipe != nil {
		o.pipe.Close()
	}
}

// openFile opens a listed file and checks that it is still the file listed. A name that now
// holds another file (rotation renamed the listed one) is looked for again by identity in
// the folders the file was found in.
func openFile(ctx context.Context, src *Source) (opened, error) {
	var o opened
	var err error
	if src.seen != nil {
		// Listed as a regular file.
		o.reg, o.fi, err = openRegular(src.path)
	}
	if src.seen == nil || err == errNotRegular {
		o.reg, o.pipe, o.fi, err = openAny(ctx, src.path)
	}
	if err == nil && src.id == (fileID{}) {
		return o, nil
	}
	if err == nil {
		fi, serr := o.fi, error(nil)
		if o.pipe != nil {
			fi, serr = fstat(o.pipe)
		}
		if serr == nil && idOf(fi) == src.id {
			if o.asListed = src.seen.same(fi); o.asListed || o.reg == nil || sameHead(o.reg, fi, src.head) {
				return o, nil
			}
		}
		o.close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return opened{}, err
	}
	if src.origin == "" {
		return opened{}, errGone
	}
	// Rotation may rename it again while it is looked for: look a few times.
	for try := 0; try < 3; try++ {
		_, where := relist([]string{src.origin}, nil)
		p, ok := where[src.id]
		if !ok {
			return opened{}, errGone
		}
		f, fi, err := openRegular(p)
		if err != nil {
			continue
		}
		if idOf(fi) == src.id && sameHead(f, fi, src.head) {
			return opened{reg: f, fi: fi, renamed: p}, nil
		}
		f.Close()
	}
	return opened{}, errGone
}

// errNotRegular is a file listed as a regular one that is something else by the time it is
// opened.
var errNotRegular = errors.New("no longer a regular file")

// openRegular opens a file that was listed as a regular one. os.Open costs a stat first where
// a FIFO must be told apart (see openCancellable), and with NewFile four fcntl calls and an
// epoll_ctl to try the poller, which regular files never use: for thousands of small files
// those are a good part of the time. O_NONBLOCK keeps the open from waiting should the name
// hold a FIFO by now: anything but a regular file is closed and errNotRegular returned. It is
// left set (see fdFile.retry): a local file system does not heed it on a regular file.
func openRegular(path string) (*fdFile, fs.FileInfo, error) {
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	})
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := &fdFile{fd: fd, name: path, nonblock: true}
	fi, err := f.stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// openAny opens a file that the listing did not look at: a regular file as openRegular does,
// anything else (a FIFO given by name) as openCancellable does.
func openAny(ctx context.Context, path string) (reg *fdFile, pipe *os.File, fi fs.FileInfo, err error) {
	if sfi, err := os.Stat(path); err == nil && sfi.Mode().IsRegular() {
		if reg, fi, err = openRegular(path); err != errNotRegular {
			return reg, nil, fi, err
		}
	}
	pipe, err = openCancellable(ctx, path)
	return nil, pipe, nil, err
}

// fdFile is a regular file read through its descriptor alone: an *os.File costs an fcntl to
// be made (NewFile asks whether the descriptor blocks) and the runtime poller's locks on every
// read, which a regular file does not need.
type fdFile struct {
	fd   int
	name string
	// nonblock says O_NONBLOCK, which the open set, is still set.
	nonblock bool
}

// Close closes the descriptor; once closed, it does nothing.
func (f *fdFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// Read reads on from the descriptor's offset, as os.File.Read does.
func (f *fdFile) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := f.retry(func() (int, error) { return syscall.Read(f.fd, b) })
	switch {
	case err != nil:
		return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// ReadAt reads len(b) bytes at off, as os.File.ReadAt does.
func (f *fdFile) ReadAt(b []byte, off int64) (n int, err error) {
	for len(b) > 0 {
		m, err := f.pread(b, off)
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
		b = b[m:]
		off += int64(m)
	}
	return n, nil
}

// pread is one read at off: fewer bytes than b holds once the end of the file is reached.
func (f *fdFile) pread(b []byte, off int64) (int, error) {
	n, err := f.retry(func() (int, error) { return syscall.Pread(f.fd, b, off) })
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
	}
	return n, nil
}

// retry makes a read again while a signal interrupts it, as os does, and once more blocking
// when the file system heeds O_NONBLOCK on a regular file (a network or FUSE one may) and the
// read would wait: os.Open leaves a regular file blocking. Of the flags F_SETFL changes, the
// open set no other.
func (f *fdFile) retry(read func() (int, error)) (int, error) {
	for {
		n, err := read()
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN && f.nonblock:
			f.nonblock = false
			if _, ferr := unix.FcntlInt(uintptr(f.fd), unix.F_SETFL, 0); ferr != nil {
				return n, err
			}
		default:
			return n, err
		}
	}
}

// stat is fstat for the descriptor, with the file's birth time as stat has it.
func (f *fdFile) stat() (fs.FileInfo, error) {
	s := &statInfo{name: f.name}
	if !noStatx.Load() {
		err := statxFd(f.fd, &s.st)
		if err == nil {
			return s, nil
		}
		if err != unix.ENOSYS && err != unix.EPERM {
			return nil, &os.PathError{Op: "stat", Path: f.name, Err: err}
		}
		noStatx.Store(true)
	}
	var st syscall.Stat_t
	if _, err := ignoringEINTR(func() (int, error) { return 0, syscall.Fstat(f.fd, &st) }); err != nil {
		return nil, &os.PathError{Op: "stat", Path: f.name, Err: err}
	}
	s.st = statxOf(&st)
	return s, nil
}

// statxOf is what statx would find of a file that fstat found, but for its birth time: with
// no birth time, its identity is its device and inode (see fileID).
func statxOf(st *syscall.Stat_t) unix.Statx_t {
	return unix.Statx_t{
		Mask:      unix.STATX_BASIC_STATS,
		Mode:      uint16(st.Mode),
		Ino:       st.Ino,
		Size:      uint64(st.Size),
		Mtime:     unix.StatxTimestamp{Sec: st.Mtim.Sec, Nsec: uint32(st.Mtim.Nsec)},
		Dev_major: unix.Major(st.Dev),
		Dev_minor: unix.Minor(st.Dev),
	}
}

// ignoringEINTR makes a system call again for as long as a signal interrupts it, as os does.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// sameHead reports whether an open regular file's content (fi is what fstat found of it)
// starts as first seen (or nothing was seen).
func sameHead(f *fdFile, fi fs.FileInfo, h headID) bool {
	if h.n == 0 {
		return true
	}
	b, _, err := readHead(io.NewSectionReader(f, 0, fi.Size()), headSize)
	return err == nil && h.starts(b)
}

// errGone is a listed file that rotation removed (or renamed out of reach) before it was
// opened.
var errGone = errors.New("removed or renamed out of reach before it could be read")

// openCancellable opens a file. Opening a FIFO waits for a writer: when the run is stopped
// meanwhile, the wait is ended by opening the FIFO for writing for a moment.
func openCancellable(ctx context.Context, path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func newGzip(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }

// headID identifies a file's content by its first n bytes (n up to headSize), by a hash
// keyed anew in each run: heads are only compared within a run, where a 64-bit hash that
// no input can be made to collide with tells them apart as well as SHA-256 did, at a tenth
// of its cost for each of thousands of files.
type headID struct {
	sum uint64
	n   int
}

var headSeed = maphash.MakeSeed()

func headOf(b []byte) headID {
	if len(b) > headSize {
		b = b[:headSize]
	}
	return headID{sum: maphash.Bytes(headSeed, b), n: len(b)}
}

// starts reports whether content b begins with the head h identifies.
func (h headID) starts(b []byte) bool {
	return h.n > 0 && len(b) >= h.n && maphash.Bytes(headSeed, b[:h.n]) == h.sum
}

// ByteRange is a stretch of a file's content, in bytes from its start; To is -1 when the
// end is not known.
type ByteRange struct {
	From, To int64
	Why      string
}

// registry is what the reading goroutines and the Reader share about files: which are known,
// what was read of each, and how many are open.
type registry struct {
	mu      sync.Mutex
	known   map[fileID]bool
	records map[fileID]*fileRecord
	order   []fileID
	gone    []*fileRecord
	// rewritten are records of files found truncated and written again (see retire).
	rewritten []*fileRecord
	openNow   atomic.Int64
	maxOpen   atomic.Int64
	// reading counts the sources being read: each may hold a descriptor.
	reading atomic.Int64
	seen    eventSet

	// names are the sources' names by seq, and repeats what each source must count as
	// repeats because a source that comes first holds the same events (see eventSet).
	nmu     sync.RWMutex
	names   []string
	repeats map[int32]*Counts
}

// add gives a source its seq.
func (g *registry) add(name string) int32 {
	g.nmu.Lock()
	defer g.nmu.Unlock()
	g.names = append(g.names, name)
	return int32(len(g.names) - 1)
}

// first tells whether source a comes before source b: by name, then by seq.
func (g *registry) first(a, b int32) bool {
	g.nmu.RLock()
	defer g.nmu.RUnlock()
	if g.names[a] != g.names[b] {
		return g.names[a] < g.names[b]
	}
	return a < b
}

// name is the name of source seq.
func (g *registry) name(seq int32) string {
	g.nmu.RLock()
	defer g.nmu.RUnlock()
	return g.names[seq]
}

// repeated counts, through count, an event among the repeats of source seq.
func (g *registry) repeated(seq int32, count func(*Counts)) {
	g.nmu.Lock()
	defer g.nmu.Unlock()
	if g.repeats == nil {
		g.repeats = map[int32]*Counts{}
	}
	c := g.repeats[seq]
	if c == nil {
		c = &Counts{}
		g.repeats[seq] = c
	}
	count(c)
}

// fdBudget is how many files a Reader reads at once at most: half the process's limit on
// open descriptors (the rest is for outputs, snapshots, the runtime), 16 to 4096.
func fdBudget() int64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 256
	}
	return int64(min(max(lim.Cur/2, 16), 4096))
}

func newRegistry() *registry {
	return &registry{known: map[fileID]bool{}, records: map[fileID]*fileRecord{}}
}

func (g *registry) know(id fileID) {
	g.mu.Lock()
	g.known[id] = true
	g.mu.Unlock()
}

func (g *registry) knownSet() map[fileID]bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[fileID]bool, len(g.known))
	for id := range g.known {
		out[id] = true
	}
	return out
}

// record keeps what was read of a file, in place of what an earlier read of the same file
// left. A file removed before it could be read is kept apart: its inode may be given to a
// new file, which is another file.
func (g *registry) record(rec *fileRecord) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.known[rec.id] = true
	if rec.gone {
		g.gone = append(g.gone, rec)
		return
	}
	if _, ok := g.records[rec.id]; !ok {
		g.order = append(g.order, rec.id)
	}
	g.records[rec.id] = rec
}

// retire keeps, once, the record of a file read that was truncated and written again (a
// read of its new content takes its place): the end of its old content is in a copy, or
// lost. A read that ended in a truncation, or read on from the copy, leaves nothing.
func (g *registry) retire(rec *fileRecord) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if rec.retired || rec.continued || rec.lost {
		return
	}
	rec.retired = true
	g.rewritten = append(g.rewritten, rec)
}

// takeRetired returns the records retire kept since it was last called.
func (g *registry) takeRetired() []*fileRecord {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.rewritten
	g.rewritten = nil
	return out
}

// recordOf returns what the last read of a file left, nil when it was not read.
func (g *registry) recordOf(id fileID) *fileRecord {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.records[id]
}

// readSet returns the files read (not gone), by identity.
func (g *registry) readSet() map[fileID]bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[fileID]bool, len(g.records))
	for id := range g.records {
		out[id] = true
	}
	return out
}

// all returns the records of files read, then those of files gone.
func (g *registry) all() []*fileRecord {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*fileRecord, 0, len(g.order)+len(g.gone))
	for _, id := range g.order {
		out = append(out, g.records[id])
	}
	for _, rec := range g.gone {
		if rec.gone {
			out = append(out, rec)
		}
	}
	return out
}

func (g *registry) opened(d int64) {
	n := g.openNow.Add(d)
	for {
		m := g.maxOpen.Load()
		if n <= m || g.maxOpen.CompareAndSwap(m, n) {
			return
		}
	}
}

// findCopy looks, among the files of the run's folders and globs, for the copy a file was
// truncated into: a file other than it whose first n bytes are the n bytes read (digest
// sum). It returns the copy opened after them.
func (g *registry) findCopy(origins []string, self fileID, n int64, sum [sha256.Size]byte, head []byte) (*os.File, string, fileID) {
	// A listing can miss a file that rotation renamed while it ran (logrotate renames every
	// .N file at each rotation, and a busy writer rotates again soon): look a few times.
	for try := 0; try < 3; try++ {
		if f, p, id := g.findCopyOnce(origins, self, n, sum, head); f != nil {
			return f, p, id
		}
	}
	return nil, "", fileID{}
}

func (g *registry) findCopyOnce(origins []string, self fileID, n int64, sum [sha256.Size]byte, head []byte) (*os.File, string, fileID) {
	_, where := relist(origins, nil)
	paths := make([]string, 0, len(where))
	ids := map[string]fileID{}
	for id, p := range where {
		if id != self {
			paths = append(paths, p)
			ids[p] = id
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		if f, ok := prefixMatches(p, n, sum, head); ok {
			g.know(ids[p])
			return f, p, ids[p]
		}
	}
	return nil, "", fileID{}
}

// peek looks at the first bytes of a file: the time of its first event, what identifies its
// content, and whether it is no audit log at all (a tar archive, binary data, JSON that is no
// audit event), which is then skipped with the reason.
func peek(src *Source, buf []byte) (first time.Time, head headID, skip string) {
	head = src.head
	f, err := os.Open(src.path)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := fstat(f)
	if err != nil || !fi.Mode().IsRegular() || (src.id != fileID{} && idOf(fi) != src.id) {
		return // another file by now: it is looked for when its turn comes
	}
	content, _, err := readHeadInto(f, buf)
	if err != nil {
		return
	}
	if !head.starts(content) {
		head = headOf(content)
	}
	first, skip = look(content, len(content) < len(buf))
	return first, head, skip
}

// peeked is what a look at a file's first bytes found when it was listed (see look), and the
// file's size and modification time then: while they are unchanged, so is what it found.
type peeked struct {
	first time.Time
	skip  string
	size  int64
	mtime time.Time
}

// peekOpen looks at the first bytes of an open file, the one the listing found (id), through
// buf: what identifies its content, and what look finds in them.
func peekOpen(f *fdFile, fi fs.FileInfo, id fileID, buf []byte) (headID, *peeked) {
	if !fi.Mode().IsRegular() || idOf(fi) != id {
		return headID{}, nil
	}
	p := &peeked{size: fi.Size(), mtime: fi.ModTime()}
	first := buf[:min(len(buf), lookSize)]
	var r io.Reader = f
	if fi.Size() < int64(len(first)) {
		// All of it fits: no read to find the end.
		r = io.LimitReader(f, fi.Size())
	}
	content, compressed, err := readHeadInto(r, first)
	limit := len(first)
	if err == nil && len(content) == limit && limit < len(buf) && (compressed || !enough(content)) {
		content, _, err = readHeadInto(io.NewSectionReader(f, 0, fi.Size()), buf)
		limit = len(buf)
	}
	if err != nil {
		return headID{}, p // a damaged gzip: nothing to find, as peek finds nothing
	}
	p.first, p.skip = look(content, len(content) < limit)
	return headOf(content), p
}

// lookSize is how many bytes of a file a look reads first: its head (headSize) and the first
// line of most logs. It reads on, up to peekSize, only where that is not enough (see
// enough): a listing of thousands of files would otherwise copy up to 64 KB of each.
const lookSize = 8 << 10

// enough reports whether the first bytes of a file's plain content hold all that look needs
// of them: a first line (not blank, not a comment) that ends within them, in a layout other
// than YAML, whose first document may run on past them.
func enough(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}) // as look takes it
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		t := bytes.TrimSpace(b[:i])
		b = b[i+1:]
		if len(t) > 0 && t[0] != '#' {
			return detectHead(t) != FormatYAML
		}
	}
	return false
}

// unchanged reports whether the file at path is still the one looked at, as it was then.
func (p *peeked) unchanged(path string, id fileID) bool {
	fi, err := stat(path)
	return err == nil && idOf(fi) == id && p.same(fi)
}

// same reports whether a file (known to be the one looked at, by identity) is as it was
// then: the same size and modification time, so the same first bytes. A file truncated and
// written again (copytruncate) changes both; the reader's relisting trusts them likewise.
func (p *peeked) same(fi os.FileInfo) bool {
	return p != nil && fi.Mode().IsRegular() && fi.Size() == p.size && fi.ModTime().Equal(p.mtime)
}

// look reads the first bytes of a file's content: the time of its first event, or why it is
// no audit log at all (a tar archive, binary data, JSON that is no audit event). whole says
// content is all the file holds.
func look(content []byte, whole bool) (first time.Time, skip string) {
	if why := notALog(content); why != "" {
		return first, why
	}
	content = bytes.TrimPrefix(content, []byte{0xEF, 0xBB, 0xBF})
	switch detectHead(content) {
	case FormatYAML:
		return first, yamlNotALog(content, whole)
	case FormatLines:
	default:
		return
	}
	for len(content) > 0 {
		line := content
		i := bytes.IndexByte(content, '\n')
		if i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = nil
			if len(line) >= 64<<10 {
				return // a first line longer than the look: read it in turn
			}
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			if j := bytes.IndexByte(line, ' '); j > 0 && isNodeName(line[:j]) {
				line = bytes.TrimLeft(line[j:], " ")
			}
		}
		if len(line) == 0 || line[0] != '{' || !validJSON(line) {
			return
		}
		names := internerPool.Get().(interner)
		l, ok := scanLine(line, names)
		internerPool.Put(names)
		if ok {
			// kube-apiserver's own layout: its time without decoding it, as the reader
			// takes such a line when it counts it (a decode is most of a listed file's look).
			return l.time, ""
		}
		var c collect
		// Valid, so the fast decoder may take it, as it takes the same line when read.
		dispatchFast(line, 1, "", 0, &c, true)
		switch {
		case c.events > 0:
			first = c.first
		case c.notEvent && !c.other:
			skip = "not an audit log: its first value is JSON but no audit event (" + c.why + ")"
		}
		return
	}
	return
}

// notALog tells content that cannot be an audit log by its first bytes.
func notALog(b []byte) string {
	if len(b) > 262 && bytes.Equal(b[257:262], []byte("ustar")) {
		return "a tar archive, not an audit log"
	}
	n := min(len(b), 1024)
	ctl := 0
	for _, c := range b[:n] {
		switch {
		case c == 0:
			return "binary data, not an audit log"
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f':
			ctl++
		}
	}
	if n > 0 && ctl*20 > n {
		return "binary data, not an audit log"
	}
	return ""
}

// collect is a sink that keeps what a peek needs to know.
type collect struct {
	events   int
	first    time.Time
	notEvent bool
	other    bool
	why      string
}

func (c *collect) event(ev *Event, _ uint64) {
	c.events++
	if t := ev.Time(); !t.IsZero() && (c.first.IsZero() || t.Before(c.first)) {
		c.first = t
	}
}

func (c *collect) problem(_ int, kind string, err error) {
	if kind == ProblemNotEvent {
		c.notEvent = true
		if c.why == "" {
			c.why = err.Error()
		}
		return
	}
	c.other = true
}

// sameStart reports whether a compressed file holds the start of a plain one: lumberjack's
// copy in progress, or just finished. An empty copy (just begun) counts.
func sameStart(plain, gz string) bool {
	a, _, err := contentHead(plain, headSize)
	if err != nil {
		return false
	}
	b, compressed, _ := contentHead(gz, headSize)
	if !compressed {
		return len(b) < 2 // just created: not even the gzip magic yet
	}
	n := min(len(a), len(b))
	return bytes.Equal(a[:n], b[:n])
}

// What a copy holds of a file read.
const (
	copyOther   = iota // it does not start with what was read
	copyShorter        // it ends before what was read did
	copySame           // exactly what was read
	copyGrowing        // a gzip copy still being written: it may hold more once written
	copyLonger         // what was read, and more
)

// copyHolds compares the content of the file at path, through gzip when compressed, with the
// n bytes read of another file (digest sum).
func copyHolds(path string, n int64, sum [sha256.Size]byte) int {
	f, err := os.Open(path)
	if err != nil {
		return copyOther
	}
	defer f.Close()
	return copyHoldsIn(f, n, sum)
}

// copyHoldsIn is copyHolds for an open file, read from its start whatever its offset.
func copyHoldsIn(f io.ReaderAt, n int64, sum [sha256.Size]byte) int {
	br := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return copyGrowing // not even its header yet
		}
		r = zr
	}
	// lumberjack compresses a rotated file in the background: a gzip stream without its
	// end, whether it holds less, as much or more of what was read, is still being
	// written, and what the file held beyond the read may come only in it.
	h := sha256.New()
	got, err := io.CopyN(h, r, n)
	if got < n {
		if err == io.ErrUnexpectedEOF {
			return copyGrowing
		}
		return copyShorter
	}
	if !bytes.Equal(h.Sum(nil), sum[:]) {
		return copyOther
	}
	var one [1]byte
	switch m, err := io.ReadFull(r, one[:]); {
	case m == 1:
		return copyLonger
	case err == io.ErrUnexpectedEOF:
		return copyGrowing
	}
	return copySame
}

// yamlNotALog tells a YAML file that is no audit log (an audit policy, a manifest) by its first
// document: one that is JSON once converted but no audit event. whole says the content is the
// whole file; otherwise only a document that ends within it is judged.
func yamlNotALog(content []byte, whole bool) string {
	doc := content
	if i := bytes.Index(content, []byte("\n---")); i >= 0 {
		doc = content[:i]
	} else if !whole {
		return ""
	}
	j, err := yaml.YAMLToJSON(doc)
	if err != nil || len(bytes.TrimSpace(j)) == 0 || j[0] != '{' {
		return ""
	}
	var c collect
	dispatch(j, 1, "", 0, &c)
	if c.events == 0 && c.notEvent && !c.other {
		return "not an audit log: its first YAML document is no audit event (" + c.why + ")"
	}
	return ""
}
