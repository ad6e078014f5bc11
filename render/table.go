package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditreport/auditreport/report"
)

// Table writes a terminal summary: what was read, and what could not be.
type Table struct {
	Color bool
}

var _ Renderer = (*Table)(nil)

// Render writes r as tables.
func (t *Table) Render(w io.Writer, r *report.Report) error {
	fmt.Fprintf(w, "%s\n", t.bold("Audit log report"))
	if r.Cluster != "" {
		fmt.Fprintf(w, "Cluster:   %s\n", r.Cluster)
	}
	fmt.Fprintf(w, "Period:    %s to %s\n", when(r.Period.Start, "first event"), when(r.Period.End, "last event"))
	fmt.Fprintf(w, "Generated: %s\n", r.GeneratedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "Scope:     %s\n\n", strings.Join(r.Scope, ", "))

	s := r.Summary
	fmt.Fprintf(w, "%d events read from %d inputs; %d writes on in-scope kinds (%d in the period, %d before it as baseline, %d after it).\n",
		s.Events, len(r.Inputs), s.ScopedWrites, s.InPeriod, s.Baseline, s.After)
	fmt.Fprintf(w, "Merging dropped %d exact repeats and %d earlier stages; %d events arrived out of order.\n\n", s.Duplicates, s.Superseded, s.OutOfOrder)

	tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	tbl.Header("Input", "Format", "Size", "Lines", "Events", "Unreadable", "First event", "Last event")
	for _, in := range r.Inputs {
		bad := fmt.Sprint(in.Malformed)
		if in.Malformed > 0 || in.Error != "" {
			bad = t.red(bad)
		}
		format := in.Format
		if in.Compressed {
			format += "+gzip"
		}
		if err := tbl.Append(in.Source, format, humanBytes(in.Bytes), fmt.Sprint(in.Lines), fmt.Sprint(in.Events), bad,
			when(in.FirstEvent, "-"), when(in.LastEvent, "-")); err != nil {
			return err
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	var problems []string
	for _, in := range r.Inputs {
		kinds := make([]string, 0, len(in.Problems))
		for k := range in.Problems {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			problems = append(problems, fmt.Sprintf("  %s: %d %s", in.Source, in.Problems[k], k))
		}
		for _, smp := range in.Samples {
			problems = append(problems, fmt.Sprintf("    line %d: %s: %s", smp.Line, smp.Kind, smp.Message))
		}
		if in.Error != "" {
			problems = append(problems, fmt.Sprintf("  %s: stopped reading: %s", in.Source, in.Error))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "\n%s\n%s\n", t.bold("Input problems"), strings.Join(problems, "\n"))
	}
	return nil
}

func (t *Table) bold(s string) string {
	if !t.Color {
		return s
	}
	return "\x1b[1m" + s + "\x1b[0m"
}

func (t *Table) red(s string) string {
	if !t.Color {
		return s
	}
	return "\x1b[31m" + s + "\x1b[0m"
}

func when(t *time.Time, zero string) string {
	if t == nil {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
