package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/posture"
)

// BuildInfo is stamped into the binary at build time.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// reportOptions are the flags of the report command.
type reportOptions struct {
	outputOptions
	From     []string
	Since    string
	Until    string
	Period   string
	Timezone string
	Cluster  string
	Kinds    []string
	Strict   bool
	Quiet    bool
	MaxLine  int
	// Snapshots, DiffNoise and ShowSecrets shape the histories.
	Snapshots   []string
	DiffNoise   bool
	ShowSecrets bool
	// Coverage: kinds to require, policies to check, and when to fail.
	Require    []string
	Policies   []string
	ExitCode   int
	FailOn     string
	HoleMin    time.Duration
	HoleFactor float64
	Window     time.Duration
	TmpDir     string
	SpillAbove int
	Evidence   string
	SignKey    string
	APIServers string
	Info       BuildInfo
	Now        func() time.Time
	// Posture scopes the network-policy posture.
	Posture postureOptions
}

// AddFlags registers the report flags.
func (o *reportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&o.From, "from", "f", nil, "audit logs to read: files, globs, directories, or - for stdin (repeatable, comma-separated)")
	fs.StringVar(&o.Since, "since", "", "start of the report period: RFC 3339, a date, or a duration back from now (24h, 7d)")
	fs.StringVar(&o.Until, "until", "", "end of the report period (exclusive), in the same forms as --since")
	fs.StringVar(&o.Period, "period", "", "a calendar period in --timezone instead of --since/--until: "+strings.Join(periodPresets, ", "))
	fs.StringVar(&o.Timezone, "timezone", "UTC", "time zone of --period and of dates in --since/--until (IANA name, such as Europe/Berlin)")
	o.outputOptions.AddFlags(fs)
	fs.StringVar(&o.Cluster, "cluster", "", "cluster name to put in the report")
	fs.StringVar(&o.Evidence, "evidence", "", "write an evidence manifest here: inputs and outputs with SHA-256, tool version, command line, period (auditreport verify checks it)")
	fs.StringVar(&o.APIServers, "api-servers", "", "the API servers the cluster has: a count (3) or their names (node-1,node-2,node-3); one with no input, or silent for part of the period, is an error gap")
	fs.StringVar(&o.SignKey, "sign-key", "", "sign the evidence manifest with this ed25519 private key (PEM; auditreport keygen makes one)")
	fs.StringSliceVar(&o.Kinds, "kinds", nil, "extra kinds to cover, as resource.group (for example endpointslices.discovery.k8s.io)")
	fs.BoolVar(&o.Strict, "strict", false, "fail on the first malformed input line instead of counting it")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on stderr but errors")
	fs.StringArrayVar(&o.Snapshots, "snapshot", nil, "objects as they were before the first event: the output of 'kubectl get pods,namespaces,serviceaccounts,networkpolicies,endpoints -A -o json' (repeatable)")
	fs.BoolVar(&o.DiffNoise, "diff-noise", false, "keep managedFields, resourceVersion, generation, the last-applied annotation and status of non-status writes in diffs")
	fs.BoolVar(&o.ShowSecrets, "show-secrets", false, "do not redact container env values and the last-applied annotation (the report may then leak secrets)")
	fs.StringSliceVar(&o.Require, "require", nil, "more kinds the audit trail must cover, as resource.group (for example endpointslices.discovery.k8s.io)")
	fs.StringArrayVar(&o.Policies, "policy", nil, "audit policy file to check and cross-check with the logs (repeatable)")
	fs.IntVar(&o.ExitCode, "exit-code", 0, "exit with this code when the report has a gap in the trail or a protection finding at or above --fail-on (0: never)")
	fs.StringVar(&o.FailOn, "fail-on", coverage.SeverityError, "lowest gap severity that --exit-code fails on: error, warning or info")
	fs.DurationVar(&o.HoleMin, "hole-min", coverage.DefaultHoleRule.Min, "shortest stretch without events that can be a time hole")
	fs.Float64Var(&o.HoleFactor, "hole-factor", coverage.DefaultHoleRule.Factor, "a time hole is longer than this many times the source's median gap between events")
	fs.StringVar(&o.TmpDir, "tmp-dir", "", "folder for the histories of a long period while the report is made (default $TMPDIR or /tmp); its file has no name there, so nothing is left behind")
	// How many bytes of histories stay in memory before they go to --tmp-dir: the tests
	// lower it to spill small logs; users have no reason to.
	fs.IntVar(&o.SpillAbove, "spill-above", 0, "bytes of history rows, and of the posture's pods gone, held in memory before they go to --tmp-dir")
	fs.MarkHidden("spill-above")
	fs.DurationVar(&o.Window, "reorder-window", audit.DefaultWindow, "how far behind the others an event may arrive and still be put in time order (exports not sorted by time need more; memory grows with it)")
	fs.IntVar(&o.MaxLine, "max-line-bytes", audit.DefaultMaxLineBytes, "longest input line to read; longer lines are counted as too-long and skipped")
	o.Posture.AddFlags(fs)
}

// NewRootCommand returns the auditreport command tree.
func NewRootCommand(streams *IOStreams, info BuildInfo) *cobra.Command {
	return newRootCommand(streams, info, time.Now)
}

// newRootCommand takes the clock, so that tests can fix it.
func newRootCommand(streams *IOStreams, info BuildInfo, now func() time.Time) *cobra.Command {
	opts := &reportOptions{Now: now, Info: info}
	cmd := &cobra.Command{
		Use:   "auditreport [--from] PATH... [flags]",
		Short: "Turn Kubernetes API server audit logs into compliance reports",
		Long: `auditreport reads Kubernetes API server audit logs - JSON lines from each control-plane
node, rotated and gzipped files, webhook EventList batches, and the exports of EKS, AKS,
GKE and OpenShift - and reports who changed the objects network policy depends on, and
whether the audit trail itself is complete.

Coverage: the report says, per required kind and API server, whether the logs show its
writes with bodies, and lists every gap in the trail (never-audited, metadata-only, no-bodies, partial,
no-writes-seen, quiet-kind, lost-write, node-missing-kind, no-required-kind, time-hole, period-not-covered,
out-of-order, truncated, unreadable, conflicting-repeat, unknown-baseline, policy-insufficient,
policy-not-deployed), most severe first, with a verdict: pass, or gaps.

Posture: which pods NetworkPolicies protected over the period, which were exposed to the
internet or to other namespaces, since when and by whose change (Calico's inventory and
network-access columns); pods unprotected at some time raise an unprotected-workloads warning,
verdicts the trail cannot give a posture-unknown finding (protection findings, listed apart from
the gaps in the trail; --fail-on counts them too). --namespace, --namespace-selector,
--selector, --service-account, --service-account-selector or --global-report scope it.

Exit codes:
  0  the report was written (and, with --exit-code, has no gap or protection finding at or above --fail-on)
  1  an error other than the ones below (for example, writing the output)
  2  the command line is wrong
  3  an input, or a file given to a flag, is missing, unreadable or unusable; or, with
     --strict, an input is malformed
  N  the value of --exit-code: the report was written and has a gap or protection finding at or above --fail-on
  130, 143  stopped by SIGINT or SIGTERM: no output was written (all of a run's outputs, or none)

Run on a schedule: --period yesterday (or last-week, last-month) in --timezone gives
consecutive, non-overlapping periods; -o can name files after the report
('reports/{{.Cluster}}-{{.Period.Start}}'); --evidence writes a manifest of every input and
output with its SHA-256 (signed with --sign-key) that 'auditreport verify' checks later;
--log-format json makes stderr one JSON object per line. deploy/ has CronJob manifests.`,
		Example: `  # A report on the last day of logs, on the terminal
  auditreport /var/log/kube-audit/ --since 24h

  # The same as a PDF (at a terminal without -o: a file named after the report)
  auditreport /var/log/kube-audit/ --since 24h -o report.pdf

  # JSON for a pipeline, from rotated and compressed logs of three API servers
  auditreport --from 'logs/*/kube-audit*.log*' --format json -o report.json

  # Logs on stdin, failing on any malformed line
  zcat audit.log.gz | auditreport --from - --strict

  # A nightly job that fails (exit 5) when the trail is incomplete
  auditreport --from /var/log/kube-audit/ --since 24h --exit-code 5 -o report.json --format json`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Suggestions for mistyped commands: positionalInputs, flagError and subcommandArgs give them.
		SuggestionsMinimumDistance: 2,
		Args:                       cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := positionalInputs(cmd, args); err != nil {
				return err
			}
			opts.From = append(opts.From, args...)
			return runReport(cmd.Context(), opts, streams, os.Args, cmd.Flags().Changed)
		},
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	opts.AddFlags(cmd.Flags())
	cmd.PersistentFlags().StringVar(&streams.LogFormat, "log-format", LogText, "format of the messages on stderr: text, or json (one object per line, for log collectors)")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		streams.LogFormat = strings.ToLower(streams.LogFormat)
		if streams.LogFormat != LogText && streams.LogFormat != LogJSON {
			f := streams.LogFormat
			streams.LogFormat = LogText
			return &UsageError{Err: fmt.Errorf("--log-format %q: want text or json", f)}
		}
		return nil
	}
	cmd.SetFlagErrorFunc(flagError)
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := make([]string, len(render.Formats))
		for i, f := range render.Formats {
			out[i] = string(f)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.AddCommand(newVersionCommand(streams, info), newPolicyCommand(streams), newRenderCommand(streams),
		newVerifyCommand(streams), newKeygenCommand(streams), newStateCommand(streams, now))
	return cmd
}

// positionalInputs lets the inputs be given without --from (auditreport kube-audit.log, or
// an unquoted glob the shell expanded), and tells a mistyped command from a missing file:
// only the first argument stands where a command would.
func positionalInputs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if err := commandTypo(cmd, args[0]); err != nil {
		return err
	}
	return notACommand(cmd, args[0])
}

// resolveInputs finds the sources the inputs name; a missing or unusable one is a --from
// file error, as for every flag that takes a file.
func resolveInputs(from []string, streams *IOStreams) ([]audit.Source, error) {
	sources, err := audit.Resolve(from, streams.In)
	if err != nil {
		var se *audit.SourceError
		if errors.As(err, &se) {
			return nil, &FileError{Flag: "--from", Path: se.Source, Err: se.Err}
		}
		return nil, err
	}
	return sources, nil
}

// runReport builds the report and writes it.
func runReport(ctx context.Context, o *reportOptions, streams *IOStreams, argv []string, changed func(flag string) bool) error {
	st, err := o.check(streams, changed)
	if err != nil {
		return err
	}

	sources, err := resolveInputs(o.From, streams)
	if err != nil {
		return err
	}
	total := audit.TotalSize(sources)
	prog := &audit.Progress{}
	stopProgress := func() {}
	if streams.StderrTTY && !o.Quiet {
		stopProgress = startProgress(streams.ErrOut, prog, total).Stop
	}
	start := time.Now()
	rep, err := report.Build(ctx, sources, report.Options{Period: st.period, Cluster: o.Cluster, Kinds: st.kinds, Strict: o.Strict, MaxLineBytes: o.MaxLine, Window: o.Window, Now: st.now, Progress: prog,
		Snapshots: o.Snapshots, Noise: o.DiffNoise, ShowSecrets: o.ShowSecrets, Require: st.require, Policies: o.Policies, Posture: st.posture,
		Evidence: st.evidence, APIServers: st.apiServers, APIServerCount: st.apiServerCount, TmpDir: o.TmpDir, SpillAbove: o.SpillAbove,
		Holes: coverage.HoleRule{Min: o.HoleMin, Factor: o.HoleFactor}, Tool: report.Tool{Name: "auditreport", Version: o.Info.Version, Commit: o.Info.Commit, Command: argv}})
	// The progress line is cleared before anything else is written to the terminal.
	stopProgress()
	if err != nil {
		return snapshotError(err, o.Snapshots)
	}
	defer rep.Close()
	pdfFonts(st.targets, rep, streams, o.Quiet, true)
	// Every output and the manifest are written to temporaries, and renamed into place
	// together only when all were written.
	set := &outputSet{}
	defer set.abort()
	written, err := writeReport(ctx, set, st.targets, rep, reportName(o.Cluster, o.From), streams)
	if err != nil {
		return err
	}
	if o.Evidence != "" {
		for _, t := range st.targets {
			if t.path == "" && !o.Quiet {
				streams.Log(slog.LevelWarn, fmt.Sprintf("the %s output went to stdout: the evidence manifest does not record it (give -o FILE to record it)", t.format))
			}
		}
		if err := writeManifest(set, o.Evidence, rep, st.targets, o.SignKey, streams); err != nil {
			return err
		}
		written = append(written, o.Evidence)
		if o.SignKey != "" {
			written = append(written, o.Evidence+".sig")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A history that could not be read back from the temporary folder makes every output
	// that holds it incomplete: none is kept.
	if err := rep.Err(); err != nil {
		return err
	}
	if err := set.commit(); err != nil {
		return err
	}
	sayAutoNames(st.targets, streams, o.Quiet)
	if !o.Quiet {
		for _, in := range rep.Inputs {
			if in.Error != "" {
				streams.Log(slog.LevelWarn, fmt.Sprintf("%s: stopped reading: %s", in.Source, in.Error), "source", in.Source)
			}
			if in.Skipped != "" {
				streams.Log(slog.LevelWarn, fmt.Sprintf("%s: skipped: %s", in.Source, in.Skipped), "source", in.Source)
			}
		}
		logSummary(streams, rep, time.Since(start), written)
	}
	return o.failOnGaps(rep)
}

// snapshotError says that a --snapshot file is not what the flag takes the way every flag
// that takes a file does.
func snapshotError(err error, snapshots []string) error {
	var se *audit.SourceError
	if errors.As(err, &se) && slices.Contains(snapshots, se.Source) {
		return &FileError{Flag: "--snapshot", Path: se.Source, Err: errors.New(strings.TrimPrefix(se.Err.Error(), "snapshot: "))}
	}
	return err
}

// settings is what the report's flags say, checked before any log is read.
type settings struct {
	now     time.Time
	period  report.Period
	kinds   []audit.Kind
	require []audit.Kind
	targets []target
	posture posture.Scope
	// evidence names the manifest and signing key for the scope statement.
	evidence *report.EvidenceRef
	// apiServers and apiServerCount are what --api-servers says.
	apiServers     []string
	apiServerCount int
}

// check reads and checks the flags, and plans the outputs: every mistake the command line can
// hold is found before minutes of reading.
func (o *reportOptions) check(streams *IOStreams, changed func(flag string) bool) (*settings, error) {
	if len(o.From) == 0 {
		return nil, &UsageError{Err: errors.New("no input: give audit log files, directories or globs (or --from -, for stdin): auditreport testdata/logs/ha-3-nodes/")}
	}
	st := &settings{}
	var err error
	if st.now, err = generationTime(o.Now()); err != nil {
		return nil, &UsageError{Err: err}
	}
	if st.period, err = o.period(); err != nil {
		return nil, err
	}
	if p := st.period; p.Start != nil && p.End != nil && !p.Start.Before(*p.End) {
		return nil, &UsageError{Err: fmt.Errorf("--since (%s) must be before --until (%s)", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))}
	}
	extra, err := parseKinds("--kinds", o.Kinds)
	if err != nil {
		return nil, err
	}
	st.kinds = append(append([]audit.Kind(nil), report.DefaultKinds...), extra...)
	if st.require, err = parseKinds("--require", o.Require); err != nil {
		return nil, err
	}
	if st.posture, err = o.Posture.scope(); err != nil {
		return nil, err
	}
	o.FailOn = strings.ToLower(o.FailOn)
	switch {
	case coverage.SeverityRank(o.FailOn) == 0:
		return nil, &UsageError{Err: fmt.Errorf("--fail-on %q: want error, warning or info", o.FailOn)}
	case o.ExitCode < 0 || o.ExitCode > 125:
		return nil, &UsageError{Err: fmt.Errorf("--exit-code %d: want 0 to 125", o.ExitCode)}
	case o.Window <= 0:
		return nil, &UsageError{Err: errors.New("--reorder-window must be positive")}
	case o.HoleMin <= 0 || o.HoleFactor <= 0:
		return nil, &UsageError{Err: errors.New("--hole-min and --hole-factor must be positive")}
	}
	if o.TmpDir != "" {
		if fi, err := os.Stat(o.TmpDir); err != nil {
			return nil, &FileError{Flag: "--tmp-dir", Path: o.TmpDir, Err: err}
		} else if !fi.IsDir() {
			return nil, &FileError{Flag: "--tmp-dir", Path: o.TmpDir, Err: errors.New("not a folder")}
		}
	}
	for _, p := range o.Snapshots {
		if err := checkFlagFile("--snapshot", p); err != nil {
			return nil, err
		}
	}
	for _, p := range o.Policies {
		b, err := readFlagFile("--policy", p)
		if err != nil {
			return nil, err
		}
		if _, err := audit.LoadPolicy(b); err != nil {
			return nil, &FileError{Flag: "--policy", Path: p, Err: fmt.Errorf("not an audit policy: %w", err)}
		}
	}
	loc, _ := time.LoadLocation(o.Timezone)
	name := reportName(o.Cluster, o.From)
	if o.Output, err = expandOutput(o.Output, name, st.period, st.now, loc); err != nil {
		return nil, err
	}
	if st.targets, err = o.plan(streams, changed); err != nil {
		return nil, err
	}
	if o.Evidence, err = expandOutput(o.Evidence, name, st.period, st.now, loc); err != nil {
		return nil, err
	}
	if o.Evidence != "" {
		if err := makeFolder(o.Evidence); err != nil {
			return nil, err
		}
	}
	if o.Evidence != "" {
		st.evidence = &report.EvidenceRef{Manifest: o.Evidence}
	}
	if o.SignKey != "" {
		if o.Evidence == "" {
			return nil, &UsageError{Err: errors.New("--sign-key signs the evidence manifest: give --evidence FILE too")}
		}
		key, err := readPrivateKey(o.SignKey)
		if err != nil {
			return nil, err
		}
		if st.evidence.KeyID, err = keyID(key.Public().(ed25519.PublicKey)); err != nil {
			return nil, err
		}
	}
	if st.apiServers, st.apiServerCount, err = parseAPIServers(o.APIServers); err != nil {
		return nil, err
	}
	return st, nil
}

// parseAPIServers reads --api-servers: how many API servers the cluster has, or their names
// (nodes, or parts of their log paths), comma-separated.
func parseAPIServers(v string) ([]string, int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 || n > 1000 {
			return nil, 0, &UsageError{Err: fmt.Errorf("--api-servers %d: want a count from 1 to 1000, or names", n)}
		}
		return nil, n, nil
	}
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, len(names), nil
}

// failOnGaps ends a run that wrote its report with --exit-code when a gap is at or above
// --fail-on.
func (o *reportOptions) failOnGaps(rep *report.Report) error {
	if o.ExitCode == 0 {
		return nil
	}
	var gaps, findings int
	for _, g := range rep.Gaps {
		switch {
		case coverage.SeverityRank(g.Severity) < coverage.SeverityRank(o.FailOn):
		case report.IsPostureGap(g.Type):
			findings++
		default:
			gaps++
		}
	}
	var what []string
	if gaps > 0 {
		what = append(what, fmt.Sprintf("the audit trail has %s", units.Counted(gaps, "gap", "gaps")))
	}
	if findings > 0 {
		what = append(what, fmt.Sprintf("the posture has %s about the pods' protection", units.Counted(findings, "finding", "findings")))
	}
	if len(what) == 0 {
		return nil
	}
	return &CheckError{Code: o.ExitCode, Msg: fmt.Sprintf("%s at or above %s; see the report", strings.Join(what, " and "), o.FailOn)}
}

// period reads --period, --since, --until and --timezone.
func (o *reportOptions) period() (report.Period, error) {
	var p report.Period
	if strings.EqualFold(o.Timezone, "UTC") {
		o.Timezone = "UTC" // the one zone name people type in any case; IANA names are exact
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return p, &UsageError{Err: fmt.Errorf("--timezone %q: %w", o.Timezone, err)}
	}
	if o.Period != "" {
		o.Period = strings.ToLower(o.Period)
		if o.Since != "" || o.Until != "" {
			return p, &UsageError{Err: errors.New("--period and --since/--until exclude each other")}
		}
		start, end, err := periodPreset(o.Period, o.Now(), loc)
		if err != nil {
			return p, &UsageError{Err: err}
		}
		s, e := start.UTC(), end.UTC()
		return report.Period{Start: &s, End: &e, TimeZone: o.Timezone}, nil
	}
	if o.Since != "" {
		t, err := parseTimeFlag(o.Since, o.Now(), loc)
		if err != nil {
			return p, &UsageError{Err: fmt.Errorf("--since %w", err)}
		}
		p.Start = &t
	}
	if o.Until != "" {
		t, err := parseTimeFlag(o.Until, o.Now(), loc)
		if err != nil {
			return p, &UsageError{Err: fmt.Errorf("--until %w", err)}
		}
		p.End = &t
	}
	if p.Start != nil || p.End != nil {
		p.TimeZone = o.Timezone
	}
	return p, nil
}

// logSummary writes the one line a run leaves on stderr, with its numbers as attributes in
// the JSON log format.
func logSummary(streams *IOStreams, r *report.Report, took time.Duration, written []string) {
	var bytes int64
	for _, in := range r.Inputs {
		bytes += in.Bytes
	}
	line := summaryLine(r, took, strings.Join(written, ", "))
	if streams.LogFormat == LogJSON {
		line = "report written"
	}
	streams.Log(slog.LevelInfo, strings.TrimPrefix(line, "auditreport: "), "events", r.Summary.Events, "inputs", len(r.Inputs), "bytes", bytes,
		"seconds", took.Seconds(), "changes", r.Summary.Changes, "objects", r.Summary.Objects, "subresourceChanges", r.Summary.SubresourceChanges,
		"failedAttempts", r.Summary.FailedAttempts, "unreadable", r.Summary.Malformed, "verdict", r.Verdict, "gaps", r.TrailGaps(), "findings", len(r.Gaps)-r.TrailGaps(),
		"digest", r.Digest, "outputs", written, "tmpBytes", r.SpilledBytes())
}

// summaryLine is the one line a run leaves on stderr.
func summaryLine(r *report.Report, took time.Duration, output string) string {
	var bytes int64
	for _, in := range r.Inputs {
		bytes += in.Bytes
	}
	sum := &r.Summary
	s := fmt.Sprintf("auditreport: read %s from %s (%s) in %s; %s written to in the period: %s, %s, %s; %s; verdict %s (%s in the trail)",
		units.Counted(sum.Events, "event", "events"), units.Counted(len(r.Inputs), "input", "inputs"), units.Bytes(bytes), took.Round(time.Millisecond),
		units.Counted(sum.Objects, "object", "objects"), units.Counted(sum.Changes, "change", "changes"), units.Counted(sum.NoOp, "no-op write", "no-op writes"),
		units.Counted(sum.SubresourceChanges, "subresource write", "subresource writes"), units.Counted(sum.FailedAttempts, "failed attempt", "failed attempts"),
		r.Verdict, units.Counted(r.TrailGaps(), "gap", "gaps"))
	if p := r.Posture; p != nil && p.Summary.EndpointsNumInScope > 0 {
		s += fmt.Sprintf("; posture: %d of %d pods ingress-protected and %d egress-protected throughout", p.Summary.EndpointsNumIngressProtected,
			p.Summary.EndpointsNumInScope, p.Summary.EndpointsNumEgressProtected)
	}
	if n := len(r.Gaps) - r.TrailGaps(); n > 0 {
		s += "; " + units.Counted(n, "protection finding", "protection findings")
	}
	if r.Summary.Malformed > 0 {
		s += fmt.Sprintf("; %d unreadable values (see the report's inputs)", r.Summary.Malformed)
	}
	if n := r.SpilledBytes(); n > 0 {
		s += fmt.Sprintf("; the temporary folder held up to %s", units.Bytes(n))
	}
	if output != "" {
		s += "; wrote " + output
	}
	return s
}

// generationTime is now, or SOURCE_DATE_EPOCH when set, so that the same input gives the
// same report.
func generationTime(now time.Time) (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return now.UTC().Truncate(time.Second), nil
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}
