// Package cli wires auditreport's commands: flags, I/O streams, progress and exit codes.
package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams is all the I/O a command does. Data goes to Out; progress, warnings and the
// summary line go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdoutTTY bool
	StderrTTY bool
	// Width is the terminal's width in columns when stdout is one (0 otherwise): the table
	// fits in it.
	Width int
	// LogFormat is LogText or LogJSON (--log-format).
	LogFormat string
}

// System returns the process's streams.
func System() *IOStreams {
	s := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if s.StdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.Width = w
		} else if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
			s.Width = w
		}
	}
	return s
}

// Test returns streams backed by buffers, with no terminal.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// Log formats of the messages on ErrOut.
const (
	LogText = "text"
	LogJSON = "json"
)

// Log writes one message to ErrOut: "auditreport: msg" (warnings and errors say so), or,
// with --log-format json, one JSON object per line with time, level, msg and the attributes,
// for log collectors of scheduled runs.
func (s *IOStreams) Log(level slog.Level, msg string, attrs ...any) {
	if s.LogFormat == LogJSON {
		slog.New(slog.NewJSONHandler(s.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug})).Log(context.Background(), level, msg, attrs...)
		return
	}
	prefix := "auditreport: "
	switch {
	case level >= slog.LevelError:
		prefix += "error: "
	case level >= slog.LevelWarn:
		prefix += "warning: "
	}
	fmt.Fprintln(s.ErrOut, prefix+msg)
}

// PrintError reports the error that ends a run.
func PrintError(s *IOStreams, err error) {
	if s.LogFormat == LogJSON {
		s.Log(slog.LevelError, err.Error(), "exitCode", ExitCode(err))
		return
	}
	fmt.Fprintln(s.ErrOut, "auditreport:", err)
}
