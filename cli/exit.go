package cli

import (
	"errors"

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

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var usage *UsageError
	var src *audit.SourceError
	var parse *audit.ParseError
	var check *CheckError
	switch {
	case errors.As(err, &check):
		return check.Code
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &src), errors.As(err, &parse):
		return ExitInput
	}
	return ExitError
}
