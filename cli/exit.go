package cli

import (
	"errors"

	"github.com/auditreport/auditreport/audit"
)

// Exit codes. They are part of the interface: scripts and CronJobs test them.
const (
	ExitOK    = 0 // the report was written
	ExitError = 1 // anything else went wrong (writing the output, an internal error)
	ExitUsage = 2 // the command line is wrong
	ExitInput = 3 // an input is missing, unreadable, or (with --strict) malformed
)

// UsageError is a mistake on the command line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var usage *UsageError
	var src *audit.SourceError
	var parse *audit.ParseError
	switch {
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &src), errors.As(err, &parse):
		return ExitInput
	}
	return ExitError
}
