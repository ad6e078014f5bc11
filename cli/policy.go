package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report/coverage"
)

func newPolicyCommand(streams *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check audit policies, or print one that covers what the reports need",
		Args:  subcommandArgs,
		// subcommandArgs suggests the nearest command.
		SuggestionsMinimumDistance: 2,
		RunE:                       func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPolicyCheckCommand(streams), newPolicyGenerateCommand(streams))
	return cmd
}

type policyCheckOptions struct {
	Format   string
	Require  []string
	ExitCode int
}

func newPolicyCheckCommand(streams *IOStreams) *cobra.Command {
	o := &policyCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Evaluate audit policy files with the API server's own evaluator",
		Long: `check loads each audit Policy file (audit.k8s.io/v1; v1beta1 is read as v1) the way
kube-apiserver does, and evaluates it with k8s.io/apiserver's policy evaluator for every
required kind (Pods, Namespaces, ServiceAccounts, Endpoints, NetworkPolicies, and any
--require'd), every write verb (create, update, patch, delete), and four representative
users: a person, a controller's service account, a node, and a member of system:masters.

A cell fails when its level is below RequestResponse, or when the ResponseComplete stage is
omitted: then changes cannot be reconstructed from the log.

Exit codes:
  0  every file passes
  2  the command line is wrong
  3  a file cannot be read
  4  a file fails the check, or is not an audit policy (--exit-code changes 4)`,
		Example: `  auditreport policy check /etc/kubernetes/audit-policy.yaml
  auditreport policy check --format markdown policy.yaml >> ticket.md
  auditreport policy check --require endpointslices.discovery.k8s.io policy.yaml`,
		Args:          usageArgs(cobra.MinimumNArgs(1)),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyCheck(o, streams, args)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", string(render.FormatTable), "output format: table, json or markdown")
	cmd.Flags().StringSliceVar(&o.Require, "require", nil, "more kinds to require, as resource.group (for example endpointslices.discovery.k8s.io)")
	cmd.Flags().IntVar(&o.ExitCode, "exit-code", ExitCheckFailed, "exit code when a file fails the check")
	return cmd
}

func runPolicyCheck(o *policyCheckOptions, streams *IOStreams, files []string) error {
	f := render.Format(strings.ToLower(o.Format))
	if f != render.FormatTable && f != render.FormatJSON && f != render.FormatMarkdown {
		return &UsageError{Err: fmt.Errorf("--format: unknown format %q (want one of table, json, markdown)", o.Format)}
	}
	kinds, err := parseKinds("--require", o.Require)
	if err != nil {
		return err
	}
	pc := coverage.CheckPolicies(files, coverage.RequirementsFor(kinds))
	for _, file := range pc.Files {
		if file.SHA256 == "" && file.Error != "" {
			return &FileError{Flag: "policy check", Path: file.Source, Err: errors.New(file.Error)}
		}
	}
	if err := render.RenderPolicyCheck(streams.Out, pc, f, streams.StdoutTTY); err != nil {
		return err
	}
	if !pc.Pass && o.ExitCode != 0 {
		failed := 0
		for _, file := range pc.Files {
			if !file.Pass {
				failed++
			}
		}
		return &CheckError{Code: o.ExitCode, Msg: fmt.Sprintf("%d of %d policy file(s) fail the check", failed, len(pc.Files))}
	}
	return nil
}

type policyGenerateOptions struct {
	EndpointSlices bool
	Calico         bool
	Output         string
}

func newPolicyGenerateCommand(streams *IOStreams) *cobra.Command {
	o := &policyGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Print an audit policy that passes the check",
		Long: `generate prints an audit policy for kube-apiserver --audit-policy-file: every write to the
kinds network policy depends on at RequestResponse, their reads at Metadata, secrets and
tokens never with bodies, the API servers' identity lease renewals at Metadata (a heartbeat
in each server's own log, so a log that stops early is found), and noise (health checks,
events, other leases) left out. It passes 'auditreport policy check'.`,
		Example: `  auditreport policy generate > /etc/kubernetes/audit-policy.yaml
  auditreport policy generate --endpointslices --calico -o audit-policy.yaml`,
		Args:          usageArgs(cobra.NoArgs),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := coverage.RecommendedPolicy(coverage.PolicyOptions{EndpointSlices: o.EndpointSlices, Calico: o.Calico})
			if o.Output != "" {
				if err := makeFolder(o.Output); err != nil {
					return err
				}
			}
			return writeOutput(o.Output, streams, func(w io.Writer) error { _, err := w.Write(b); return err })
		},
	}
	cmd.Flags().BoolVar(&o.EndpointSlices, "endpointslices", false, "also audit discovery.k8s.io EndpointSlices (Endpoints' successor)")
	cmd.Flags().BoolVar(&o.Calico, "calico", false, "also audit Calico's policy kinds (projectcalico.org and crd.projectcalico.org)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write the policy to this file instead of stdout")
	return cmd
}

// parseKinds reads resource.group values of a flag.
func parseKinds(flag string, values []string) ([]audit.Kind, error) {
	var out []audit.Kind
	for _, s := range values {
		k, err := audit.ParseKind(s)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("%s %w", flag, err)}
		}
		out = append(out, k)
	}
	return out, nil
}
