package spill

import (
	"os"

	"golang.org/x/sys/unix"
)

// openUnnamed makes a file in dir that has no name (O_TMPFILE): nothing is ever left in the
// folder, not even by a kill between making a named file and removing it.
func openUnnamed(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
}
