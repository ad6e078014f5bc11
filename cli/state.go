package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report"
)

// stateOptions are the flags of the state command.
type stateOptions struct {
	From        []string
	At          string
	Timezone    string
	Format      string
	Output      string
	Kinds       []string
	Snapshots   []string
	ShowSecrets bool
	Strict      bool
	Quiet       bool
	MaxLine     int
	Window      time.Duration
	Now         func() time.Time
}

// AddFlags registers the state flags.
func (o *stateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&o.From, "from", "f", nil, "audit logs to read: files, globs, directories, or - for stdin (repeatable, comma-separated)")
	fs.StringVar(&o.At, "at", "", "the instant: RFC 3339, a date (midnight in --timezone), or a duration back from now (2h)")
	fs.StringVar(&o.Timezone, "timezone", "UTC", "time zone of a date given to --at (IANA name)")
	fs.StringVar(&o.Format, "format", "json", "json or yaml: a kubectl List either way")
	fs.StringVarP(&o.Output, "output", "o", "", "write to this file (atomically) instead of stdout")
	fs.StringSliceVar(&o.Kinds, "kinds", nil, "extra kinds to reconstruct, as resource.group (for example endpointslices.discovery.k8s.io)")
	fs.StringArrayVar(&o.Snapshots, "snapshot", nil, "objects as they were before the first event (kubectl get ... -A -o json; repeatable)")
	fs.BoolVar(&o.ShowSecrets, "show-secrets", false, "do not redact container env values and the last-applied annotation")
	fs.BoolVar(&o.Strict, "strict", false, "fail on the first malformed input line instead of counting it")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on stderr but errors")
	fs.IntVar(&o.MaxLine, "max-line-bytes", audit.DefaultMaxLineBytes, "longest input line to read")
	fs.DurationVar(&o.Window, "reorder-window", audit.DefaultWindow, "how far behind the others an event may arrive and still be put in time order")
}

func newStateCommand(streams *IOStreams, now func() time.Time) *cobra.Command {
	o := &stateOptions{Now: now}
	cmd := &cobra.Command{
		Use:   "state --at TIME [--from] PATH...",
		Short: "The objects network policy depends on, as the audit trail says they were at one instant",
		Long: `state replays the audit trail up to an instant and prints the Pods, Namespaces,
ServiceAccounts, Endpoints and NetworkPolicies (and --kinds) that existed then, as a kubectl
List: "which network policies applied at 02:13 yesterday?"

Only what the trail shows is listed. An object the trail shows only in part carries the
annotation auditreport.io/state: partial, one whose content it does not show (written at
Metadata level, or deleted by a request that may have been a dry run) auditreport.io/state:
unknown, each with auditreport.io/state-reason saying why. Objects never written in the logs
are not listed: give --snapshot (kubectl get ... -o json, taken before the logs begin) to
start from them. managedFields are left out; container env values are redacted unless
--show-secrets.`,
		Example: `  auditreport state --at 2026-11-29T02:13:00Z --from /var/log/kube-audit/
  auditreport state --at 2h testdata/logs/real-apiserver/log/ --format yaml
  auditreport state --at 2026-11-29T02:13:00+01:00 -f audit.log | jq '.items[] | select(.kind=="NetworkPolicy") | .metadata.name'`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.From = append(o.From, args...)
			return runState(cmd.Context(), o, streams)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runState(ctx context.Context, o *stateOptions, streams *IOStreams) error {
	if o.At == "" {
		return &UsageError{Err: errors.New("--at is required: the instant to reconstruct (RFC 3339, a date, or a duration back from now)")}
	}
	if len(o.From) == 0 {
		return &UsageError{Err: errors.New("no input: give audit log files, directories or globs (or --from -)")}
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--timezone %q: %w", o.Timezone, err)}
	}
	at, err := parseTimeFlag(o.At, o.Now(), loc)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--at %w", err)}
	}
	format := strings.ToLower(o.Format)
	if format != "json" && format != "yaml" {
		return &UsageError{Err: fmt.Errorf("--format %q: want json or yaml", o.Format)}
	}
	extra, err := parseKinds("--kinds", o.Kinds)
	if err != nil {
		return err
	}
	sources, err := resolveInputs(o.From, streams)
	if err != nil {
		return err
	}
	st, err := report.StateAt(ctx, sources, report.Options{Kinds: append(append([]audit.Kind(nil), report.DefaultKinds...), extra...),
		Snapshots: o.Snapshots, ShowSecrets: o.ShowSecrets, Strict: o.Strict, MaxLineBytes: o.MaxLine, Window: o.Window}, at)
	if err != nil {
		return err
	}
	err = writeOutput(o.Output, streams, func(w io.Writer) error {
		b, err := json.MarshalIndent(st.List(), "", "  ")
		if err != nil {
			return err
		}
		if format == "yaml" {
			if b, err = yaml.JSONToYAML(b); err != nil {
				return err
			}
		} else {
			b = append(b, '\n')
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if !o.Quiet {
		streams.Log(slog.LevelInfo, st.Summary())
	}
	// What the state cannot show is said even with -q: it qualifies every object listed.
	if st.Events == 0 {
		streams.Log(slog.LevelWarn, "no in-scope write at or before "+at.Format(time.RFC3339)+": the logs begin later, or hold none of these kinds")
	}
	for _, w := range st.Warnings {
		streams.Log(slog.LevelWarn, w)
	}
	return nil
}
