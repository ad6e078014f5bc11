//go:build !linux

package spill

import (
	"errors"
	"os"
)

// openUnnamed is Linux's: elsewhere the file is made with a name and removed at once.
func openUnnamed(string) (*os.File, error) { return nil, errors.ErrUnsupported }
