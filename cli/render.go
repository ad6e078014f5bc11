package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/auditreport/auditreport/report"
)

func newRenderCommand(streams *IOStreams) *cobra.Command {
	o := &outputOptions{}
	cmd := &cobra.Command{
		Use:   "render REPORT.json",
		Short: "Render a saved JSON report in other formats, without the logs",
		Long: `render reads a report written with --format json and writes it again in any format: the
same model gives the same PDF, HTML, Markdown, CSV or table as the run that made it.`,
		Example: `  auditreport render report.json --format pdf -o report.pdf
  auditreport render report.json --format pdf,html,csv -o out/report
  auditreport render report.json --template my-summary.txt.tmpl`,
		Args:          usageArgs(cobra.ExactArgs(1)),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			targets, err := o.plan(streams, cmd.Flags().Changed)
			if err != nil {
				return err
			}
			rep, err := readReport(args[0], streams)
			if err != nil {
				return err
			}
			pdfFonts(targets, rep, streams, false, false)
			name := reportName(rep.Cluster, args)
			if err := nameOutputs(targets, rep, name); err != nil {
				return err
			}
			set := &outputSet{}
			defer set.abort()
			if _, err = write(cmd.Context(), set, targets, rep, streams); err != nil {
				return err
			}
			if err := set.commit(); err != nil {
				return err
			}
			sayAutoNames(targets, streams, false)
			return nil
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// readReport reads a JSON report (- for stdin) and checks that it is one this version reads.
func readReport(path string, streams *IOStreams) (*report.Report, error) {
	var data []byte
	var err error
	if path == "-" {
		var b bytes.Buffer
		_, err = b.ReadFrom(streams.In)
		data = b.Bytes()
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &FileError{Flag: "render", Path: path, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r report.Report
	if err := dec.Decode(&r); err != nil {
		// A newer minor revision may add fields: read it leniently, but it must still be
		// this tool's report.
		if err2 := json.Unmarshal(data, &r); err2 != nil {
			return nil, &FileError{Flag: "render", Path: path, Err: fmt.Errorf("not a JSON report: %w", err2)}
		}
	}
	if r.Kind != report.Kind || !strings.HasPrefix(r.APIVersion, "auditreport/") {
		return nil, &FileError{Flag: "render", Path: path, Err: fmt.Errorf("not an auditreport JSON report (apiVersion %q, kind %q)", r.APIVersion, r.Kind)}
	}
	if !slices.Contains(report.ReadableVersions, r.APIVersion) {
		return nil, &FileError{Flag: "render", Path: path, Err: fmt.Errorf("report version %s: this auditreport reads %s", r.APIVersion, strings.Join(report.ReadableVersions, " and "))}
	}
	return &r, nil
}
