// Command auditreport turns Kubernetes API server audit logs into compliance reports.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // --timezone works in a distroless image without zoneinfo

	"github.com/auditreport/auditreport/cli"
	"github.com/auditreport/auditreport/internal/gcpace"
)

// Set by the linker: -ldflags "-X main.version=v1.2.3 -X main.commit=... -X main.date=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	os.Exit(run())
}

func run() int {
	tuneGC()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	streams := cli.System()
	caught := stopOnSignal(cancel, streams)
	cmd := cli.NewRootCommand(streams, buildInfo())
	err := cmd.ExecuteContext(ctx)
	if sig := caught.Load(); sig != nil {
		cli.RemoveTemporaries()
		streams.Log(slog.LevelError, "stopped by "+signalName(*sig)+": no output written", "signal", signalName(*sig))
		return exitOnSignal(*sig)
	}
	if err != nil {
		cli.PrintError(streams, err)
		return cli.ExitCode(err)
	}
	return cli.ExitOK
}

// stopGrace is how long a run may take to stop on its own after SIGINT or SIGTERM before
// it is ended: it removes what it was writing, and no partial output is ever renamed into
// place, so ending it is safe.
const stopGrace = 800 * time.Millisecond

// stopOnSignal cancels the run on SIGINT or SIGTERM, and ends the process if the run has not
// stopped within stopGrace (or on a second signal): reading, rendering and writing all stop
// within a second, leaving no temporary file, with exit code 128 + the signal's number.
func stopOnSignal(cancel context.CancelFunc, streams *cli.IOStreams) *atomic.Pointer[syscall.Signal] {
	var caught atomic.Pointer[syscall.Signal]
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := (<-ch).(syscall.Signal)
		caught.Store(&sig)
		cancel()
		select {
		case <-time.After(stopGrace):
		case <-ch:
		}
		cli.RemoveTemporaries()
		streams.Log(slog.LevelError, "stopped by "+signalName(sig)+": no output written", "signal", signalName(sig))
		os.Exit(exitOnSignal(sig))
	}()
	return &caught
}

// exitOnSignal is the shell's convention: 130 for SIGINT, 143 for SIGTERM.
func exitOnSignal(sig syscall.Signal) int { return 128 + int(sig) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// gcFloor is the memory a run may take before the collector works harder than GOGC=300
// (internal/gcpace): on the 1 GB bench log, pacing from it took the report from 7.2-7.6 s
// and 224-239 MiB at GOGC=50 to 6.7-7.0 s and 213 MiB; GOGC=300 under it instead of 100
// took another 3-5% of the time (docs/performance.md).
const gcFloor = 192 << 20

// tuneGC paces the garbage collector (internal/gcpace) unless the user set GOGC or
// GOMEMLIMIT. In a container with a memory limit (cgroup v2 or v1) and no GOMEMLIMIT, the
// soft limit never goes above 90% of it, so that the collector works harder before the
// kernel kills.
func tuneGC() {
	ceiling := gcpace.ContainerLimit(os.DirFS("/sys/fs/cgroup")) / 10 * 9
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		// The user's limit, and GOGC if set, stand.
	case os.Getenv("GOGC") != "":
		if ceiling > 0 {
			debug.SetMemoryLimit(ceiling)
		}
	default:
		gcpace.Start(gcFloor, ceiling)
	}
}

// buildInfo fills what the linker did not stamp from the module's build information.
func buildInfo() cli.BuildInfo {
	info := cli.BuildInfo{Version: version, Commit: commit, Date: date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && info.Commit == "":
				info.Commit = s.Value
			case s.Key == "vcs.time" && info.Date == "":
				info.Date = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}
