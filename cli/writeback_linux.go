package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback has the kernel start writing n bytes of f at off to disk, without waiting
// for them. It is a hint: a file that cannot take it (a pipe, a device) is written as ever,
// and the sync that ends the output reports any failure to write.
func startWriteback(f *os.File, off, n int64) {
	c, err := f.SyscallConn()
	if err != nil {
		return
	}
	c.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}

// appending reports whether f was opened for appending (>>), or cannot tell: every write
// then goes to its end, whatever the offset given.
func appending(f *os.File) bool {
	c, err := f.SyscallConn()
	if err != nil {
		return true
	}
	flags, ferr := 0, error(nil)
	if err := c.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil {
		return true
	}
	return flags&unix.O_APPEND != 0
}
