package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Source is one input: a file, or standard input.
type Source struct {
	// Name is how reports and errors name the source: the path as found, or "stdin".
	Name string
	// Size is the stored size in bytes, -1 when unknown (stdin).
	Size int64
	// Skipped says why a path a folder walk found is not read: a FIFO, a device, a dangling
	// or looping symlink. Such a source yields an Input with Skipped set and nothing else.
	Skipped string
	// id is the file as listed (device and inode), zero when unknown: a rename between
	// listing and opening is found by it, and a file reached by two names is read once.
	id fileID
	// origin is the folder walk or glob the file was found by, listed again when a file is
	// missing at open time and at the end of the run, to find files that rotation renamed
	// or created meanwhile.
	origin string
	path   string
	open   func() (io.ReadCloser, error)
	// resume is how many bytes of content were read already under another name or before
	// the file grew: reading starts after them.
	resume int64
	notes  []string
	// head identifies the content as first seen: an inode freed and given to a new file
	// between listing and opening is not the file listed.
	head headID
	// seen is what the listing's look at the first bytes found; nil when it did not look.
	seen *peeked
}

// fileID names a file by device, inode and birth time, which a rename does not change. The
// birth time tells a new file from the one it took its inode from: ext4 gives a freed inode
// to the next file at once, so a log rotated, compressed and removed has its device and inode
// taken by the next log created, often under the same name. It is zero where the file system
// keeps none (or statx is refused): the device and inode alone, and what identifies the
// content (headID), must then tell files apart.
type fileID struct {
	dev, ino uint64
	born     int64 // nanoseconds since 1970, 0 when not known
}

func idOf(fi fs.FileInfo) fileID {
	switch st := fi.Sys().(type) {
	case *unix.Statx_t:
		id := fileID{dev: unix.Mkdev(st.Dev_major, st.Dev_minor), ino: st.Ino}
		if st.Mask&unix.STATX_BTIME != 0 {
			id.born = st.Btime.Sec*1e9 + int64(st.Btime.Nsec)
		}
		return id
	case *syscall.Stat_t:
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}

// noStatx is set once statx is found missing (an old kernel) or refused (an old seccomp
// profile): from then on files are known by device and inode only.
var noStatx atomic.Bool

const statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME

// stat is os.Stat, following symlinks, with the file's birth time where the file system
// keeps one (see fileID). Every identity the package compares comes from stat, fstat or
// openRegular, so that all of them have a birth time or none has.
func stat(path string) (fs.FileInfo, error) {
	if !noStatx.Load() {
		s := &statInfo{name: path}
		err := unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_SYNC_AS_STAT, statxMask, &s.st)
		if err == nil {
			return s, nil
		}
		if err != unix.ENOSYS && err != unix.EPERM {
			return nil, &os.PathError{Op: "stat", Path: path, Err: err}
		}
		noStatx.Store(true)
	}
	return os.Stat(path)
}

// fstat is stat for an open file.
func fstat(f *os.File) (fs.FileInfo, error) {
	if !noStatx.Load() {
		s := &statInfo{name: f.Name()}
		// Through the raw descriptor: Fd would make a FIFO's reads blocking, out of reach
		// of the deadline that cancels them.
		rc, err := f.SyscallConn()
		if err != nil {
			return nil, &os.PathError{Op: "stat", Path: f.Name(), Err: err}
		}
		if cerr := rc.Control(func(fd uintptr) { err = statxFd(int(fd), &s.st) }); cerr != nil {
			err = cerr
		}
		if err == nil {
			return s, nil
		}
		if err != unix.ENOSYS && err != unix.EPERM {
			return nil, &os.PathError{Op: "stat", Path: f.Name(), Err: err}
		}
		noStatx.Store(true)
	}
	return f.Stat()
}

func statxFd(fd int, st *unix.Statx_t) error {
	return unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_STATX_SYNC_AS_STAT, statxMask, st)
}

// statInfo is what statx found of a file.
type statInfo struct {
	name string
	st   unix.Statx_t
}

func (s *statInfo) Name() string       { return filepath.Base(s.name) }
func (s *statInfo) Size() int64        { return int64(s.st.Size) }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtime.Sec, int64(s.st.Mtime.Nsec)) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

// Mode is the file's mode as os.Stat gives it.
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch uint32(s.st.Mode) & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if s.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// TotalSize is the stored size of all the sources, 0 when one's is not known (stdin).
func TotalSize(sources []Source) int64 {
	var total int64
	for _, src := range sources {
		if src.Size < 0 {
			return 0
		}
		total += src.Size
	}
	return total
}

// FileSource returns the source for one file.
func FileSource(path string) Source {
	size := int64(-1)
	var id fileID
	if fi, err := stat(path); err == nil {
		size = fi.Size()
		id = idOf(fi)
	}
	return Source{Name: path, Size: size, id: id, path: path, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// ReaderSource returns a source that reads r, named name.
func ReaderSource(name string, r io.Reader) Source {
	return Source{Name: name, Size: -1, open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// SourceError is a source that cannot be used at all: missing, unreadable, or not a file.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("source %s: %v", e.Source, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// Resolve expands --from values into sources: "-" is stdin, a pattern with *, ? or [ is a
// glob, a directory is walked for log files (symlinks to files and folders are followed),
// anything else is a file. The result is sorted and free of repeats: a file reached by two
// names (a symlink, a path given twice) is read once. What a walk found and cannot read (a
// FIFO, a device, a dangling or looping symlink) comes back as a source with Skipped set.
func Resolve(specs []string, stdin io.Reader) ([]Source, error) {
	l := lister{look: make([]byte, peekSize)}
	usedStdin := false
	for _, spec := range specs {
		switch {
		case spec == "":
			continue
		case spec == "-":
			if usedStdin {
				return nil, &SourceError{Source: "stdin", Err: errors.New("given more than once")}
			}
			usedStdin = true
			l.out = append(l.out, ReaderSource("stdin", stdin))
		case strings.ContainsAny(spec, "*?["):
			matches, err := filepath.Glob(spec)
			if err != nil {
				return nil, &SourceError{Source: spec, Err: err}
			}
			if len(matches) == 0 {
				return nil, &SourceError{Source: spec, Err: errors.New("no file matches the pattern")}
			}
			for _, m := range matches {
				if err := l.addPath(m, spec); err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						continue // rotated away since the glob matched it: the end's listing finds it
					}
					return nil, err
				}
			}
		default:
			if err := l.addPath(spec, ""); err != nil {
				return nil, err
			}
		}
	}
	if len(l.out) == 0 {
		return nil, &SourceError{Source: strings.Join(specs, ","), Err: errors.New("no audit log found")}
	}
	sortSources(l.out)
	return l.out, nil
}

func sortSources(s []Source) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Name < s[j].Name })
}

// lister collects sources, each file once.
type lister struct {
	out    []Source
	byID   map[fileID]bool
	byPath map[string]bool
	// at is where in out each file is, by identity, to note the other names it was given.
	at map[fileID]int
	// look, when set, is the buffer through which each file's first bytes are looked at once,
	// as it is listed, for all the reader needs of them before reading it: what identifies its
	// content, its first event's time, whether it is a log at all (see Reader.take).
	look []byte
}

// looked is what a look at a listed file's first bytes found (see peekOpen).
type looked struct {
	head headID
	seen *peeked
}

// add adds a file found by name or by a listing (fi is what a stat found of it). lk, when not
// nil, is what a look at it found already, fi its stat then.
func (l *lister) add(path string, fi fs.FileInfo, origin string, lk *looked) {
	if l.byID == nil {
		l.byID, l.byPath = map[fileID]bool{}, map[string]bool{}
	}
	if l.at == nil {
		l.at = map[fileID]int{}
	}
	clean := filepath.Clean(path)
	id := idOf(fi)
	if l.byPath[clean] || (id != fileID{} && l.byID[id]) {
		if i, ok := l.at[id]; ok && id != (fileID{}) {
			// Given again (the same path twice, a folder and a file in it, a symlink and its
			// target): read once, and the input says so.
			note := "named again as " + path + ": read once (the same file, by device and inode)"
			if path == l.out[i].Name {
				note = "named more than once: read once"
			}
			if !slices.Contains(l.out[i].notes, note) {
				l.out[i].notes = append(l.out[i].notes, note)
			}
		}
		return
	}
	l.byPath[clean] = true
	l.byID[id] = true
	l.at[id] = len(l.out)
	src := Source{Name: path, Size: fi.Size(), id: id, origin: origin, path: path,
		open: func() (io.ReadCloser, error) { return os.Open(path) }}
	switch {
	case lk != nil:
		src.head, src.seen = lk.head, lk.seen
	case fi.Mode().IsRegular() && l.look != nil:
		if f, ofi, err := openRegular(path); err == nil {
			src.head, src.seen = peekOpen(f, ofi, id, l.look)
			f.Close()
		}
	case fi.Mode().IsRegular():
		// What identifies the content, taken now: rotation may move the file before it is read.
		if _, h, err := lookListed(path, id); err == nil {
			src.head = headOf(h)
		}
	}
	l.out = append(l.out, src)
}

func (l *lister) skip(path, reason string) {
	if l.byPath == nil {
		l.byID, l.byPath = map[fileID]bool{}, map[string]bool{}
	}
	clean := filepath.Clean(path)
	if l.byPath[clean] {
		return
	}
	l.byPath[clean] = true
	l.out = append(l.out, Source{Name: path, Size: 0, Skipped: reason})
}

// addPath adds a file given by name (read whatever its name, a FIFO too) or walks a folder.
// A symlink to a folder is a folder: "--from linkdir" and "--from linkdir/" read the same.
func (l *lister) addPath(path, origin string) error {
	fi, err := stat(path)
	if err != nil {
		return &SourceError{Source: path, Err: UnwrapPath(err)}
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeNamedPipe == 0 {
			return &SourceError{Source: path, Err: errors.New("not a regular file")}
		}
		f, err := os.Open(path)
		if err != nil {
			return &SourceError{Source: path, Err: UnwrapPath(err)}
		}
		f.Close()
		l.add(path, fi, origin, nil)
		return nil
	}
	if origin == "" {
		origin = path
	}
	before := len(l.out)
	found := 0
	var opened func(string) func()
	if l.look != nil {
		// Opened first: the descriptor's stat stands for the listing's, and the look reads
		// through it, one stat by name fewer for each file.
		opened = func(p string) func() {
			f, fi, err := openRegular(p)
			if err != nil {
				return nil // gone, or no longer a regular file: stat-ed as any other
			}
			defer f.Close()
			buf := lookPool.Get().([]byte)
			defer lookPool.Put(buf) //nolint:staticcheck // a slice header is small
			head, seen := peekOpen(f, fi, idOf(fi), buf)
			return func() {
				found++
				l.add(p, fi, origin, &looked{head: head, seen: seen})
			}
		}
	}
	if err := walk(path, fi, func(p string, fi fs.FileInfo) {
		found++
		l.add(p, fi, origin, nil)
	}, opened, l.skip); err != nil {
		return err
	}
	if found == 0 && len(l.out) == before {
		return &SourceError{Source: path, Err: errors.New("directory holds no audit log (*.log, *.json, *.jsonl, *.yaml, *.gz, or a name with \"audit\")")}
	}
	return nil
}

// walk visits the log files under root, following symlinks to files and folders. A folder
// that is its own ancestor (a symlink loop) is skipped, as are hidden names, FIFOs, devices
// and sockets with a log's name, and dangling symlinks; skip is told each, with why.
// opened, when not nil, is given first each log file that its folder lists as a regular
// file, without a stat (see openAll); what it returns is run in the folder's order, in place
// of visit, and when it returns nil, the file is stat-ed and visited as any other.
func walk(root string, rootInfo fs.FileInfo, visit func(string, fs.FileInfo), opened func(string) func(), skip func(path, reason string)) error {
	ancestors := map[fileID]bool{}
	var dir func(path string, id fileID) error
	dir = func(path string, id fileID) error {
		ancestors[id] = true
		defer delete(ancestors, id)
		entries, err := os.ReadDir(path)
		if err != nil {
			if path != root && errors.Is(err, fs.ErrNotExist) {
				return nil // removed since its parent was listed
			}
			return &SourceError{Source: path, Err: UnwrapPath(err)}
		}
		var ready []func()
		if opened != nil {
			ready = openAll(path, entries, opened)
		}
		for i, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(path, name)
			if ready != nil && ready[i] != nil {
				ready[i]()
				continue
			}
			link := e.Type()&fs.ModeSymlink != 0
			fi, err := stat(p)
			if err != nil {
				if link {
					reason := "dangling symlink"
					if errors.Is(err, syscall.ELOOP) {
						reason = "symlink loop"
					}
					if target, err := os.Readlink(p); err == nil {
						reason += " to " + target
					}
					skip(p, reason)
					continue
				}
				if errors.Is(err, fs.ErrNotExist) {
					continue // removed since the listing
				}
				return &SourceError{Source: p, Err: UnwrapPath(err)}
			}
			switch mode := fi.Mode(); {
			case fi.IsDir():
				sub := idOf(fi)
				if sub != (fileID{}) && ancestors[sub] {
					skip(p, "symlink loop: a folder that contains it")
					continue
				}
				if err := dir(p, sub); err != nil {
					return err
				}
			case !IsLogName(name):
			case mode.IsRegular():
				visit(p, fi)
			case mode&fs.ModeNamedPipe != 0:
				skip(p, "a FIFO (give it by name to read it)")
			case mode&fs.ModeSocket != 0:
				skip(p, "a socket")
			case mode&fs.ModeDevice != 0:
				skip(p, "a device")
			default:
				skip(p, "not a regular file")
			}
		}
		return nil
	}
	return dir(root, idOf(rootInfo))
}

// lookPool keeps the buffers through which listed files are looked at, one for each of the
// goroutines of openAll.
var lookPool = sync.Pool{New: func() any { return make([]byte, peekSize) }}

// openAll runs opened on the log files that a folder's entries say are regular files, and
// returns what it returned, by entry. Opening and looking at a file is mostly system calls
// that wait on the kernel, not on each other: a folder of thousands of files is looked at on
// as many goroutines as there are processors (four at most).
func openAll(dir string, entries []fs.DirEntry, opened func(string) func()) []func() {
	var todo []int
	for i, e := range entries {
		if name := e.Name(); !strings.HasPrefix(name, ".") && e.Type().IsRegular() && IsLogName(name) {
			todo = append(todo, i)
		}
	}
	ready := make([]func(), len(entries))
	inParallel(len(todo), func(k int) {
		i := todo[k]
		ready[i] = opened(filepath.Join(dir, entries[i].Name()))
	})
	return ready
}

// inParallel runs do for 0 to n-1 on as many goroutines as there are processors (four at
// most; one for fewer than 64): for the system calls of thousands of files, which wait on
// the kernel, not on each other.
func inParallel(n int, do func(i int)) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			do(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(runtime.GOMAXPROCS(0), 4, n/64+1); w++ {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// relist lists the origins of sources again and returns the files among them not yet known
// by identity: files that rotation created or renamed since the first listing. renamed maps
// a known identity to its current path when that changed.
func relist(origins []string, known map[fileID]bool) (fresh []Source, where map[fileID]string) {
	fresh, where, _ = relistInfo(origins, known)
	return fresh, where
}

// relistInfo is relist that also returns what the listing found of each file where it found
// it: a file read and untouched since needs no look of its own.
func relistInfo(origins []string, known map[fileID]bool) (fresh []Source, where map[fileID]string, info map[fileID]fs.FileInfo) {
	where, info = map[fileID]string{}, map[fileID]fs.FileInfo{}
	l := lister{byID: map[fileID]bool{}, byPath: map[string]bool{}}
	for _, origin := range origins {
		visit := func(p string, fi fs.FileInfo) {
			id := idOf(fi)
			if _, ok := where[id]; !ok {
				where[id] = p
				info[id] = fi
			}
			if !known[id] {
				l.add(p, fi, origin, nil)
			}
		}
		if strings.ContainsAny(origin, "*?[") {
			matches, _ := filepath.Glob(origin)
			for _, m := range matches {
				if fi, err := stat(m); err == nil && fi.Mode().IsRegular() {
					visit(m, fi)
				}
			}
			continue
		}
		fi, err := stat(origin)
		if err != nil || !fi.IsDir() {
			continue
		}
		// The stats of a folder's regular log files on several goroutines (see openAll),
		// visited in the folder's order; walk stats any other file itself.
		stated := func(p string) func() {
			fi, err := stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
			return func() { visit(p, fi) }
		}
		_ = walk(origin, fi, visit, stated, func(string, string) {})
	}
	sortSources(l.out)
	return l.out, where, info
}

// logSuffixes are the names a directory walk takes as audit logs, besides any name that
// contains "audit" (kube-apiserver's rotated "audit-2026-11-01T12-00-00.000.log" included).
var logSuffixes = []string{".log", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".gz", ".txt"}

// IsLogName reports whether a directory walk reads a file of this name.
func IsLogName(name string) bool {
	lower := strings.ToLower(name)
	if strings.Contains(lower, "audit") {
		return true
	}
	for _, s := range logSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// UnwrapPath drops the path an *fs.PathError repeats, for an error whose file is named
// beside it (a SourceError).
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
