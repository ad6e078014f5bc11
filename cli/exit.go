package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/auditreport/auditreport/audit"
)

// Exit codes. They are part of the interface: scripts and CronJobs test them.
const (
	ExitOK    = 0 // the report was written
	ExitError = 1 // anything else went wrong (writing the output, an internal error)
	ExitUsage = 2 // the command line is wrong
	ExitInput = 3 // an input is missing, unreadable, or (with --strict) malformed
	// ExitCheckFailed is the default exit code of `policy check` when a file fails it.
	ExitCheckFailed = 4
)

// usageArgs makes cobra's argument checks usage errors (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}

// CheckError ends a run that did its work but found what the user asked to fail on: gaps
// at or above --fail-on with --exit-code, or a failing policy. Code is the exit code.
type CheckError struct {
	Code int
	Msg  string
}

func (e *CheckError) Error() string { return e.Msg }

// UsageError is a mistake on the command line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// FileError is a file given to a flag (--from, --snapshot, --policy, --template, --pdf-font,
// --sign-key, ...) that is missing, unreadable, or not what the flag takes. Every flag says so
// the same way, "--snapshot objs.json: no such file", and exits 3 like a missing input.
type FileError struct {
	Flag string
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Flag, e.Path, plainFileErr(e.Err))
}
func (e *FileError) Unwrap() error { return e.Err }

// plainFileErr says what is wrong with a file without the path and system call an
// *os.PathError repeats.
func plainFileErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EISDIR):
		return "a folder, not a file"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// readFlagFile reads a file a flag names, or says plainly why it cannot.
func readFlagFile(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Flag: flag, Path: path, Err: err}
	}
	return b, nil
}

// checkFlagFile opens a file a flag names and reads its first byte, so that a missing or
// unreadable one is found before minutes of reading logs.
func checkFlagFile(flag, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &FileError{Flag: flag, Path: path, Err: err}
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return &FileError{Flag: flag, Path: path, Err: err}
	}
	return nil
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var usage *UsageError
	var src *audit.SourceError
	var parse *audit.ParseError
	var check *CheckError
	var file *FileError
	switch {
	case errors.As(err, &check):
		return check.Code
	case errors.As(err, &file):
		return ExitInput
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &src), errors.As(err, &parse):
		return ExitInput
	}
	return ExitError
}
