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
	// Width is the terminal's width in columns: every line fits in it, cells wrapped and
	// long lines cut with "…" (0: no limit, for pipes and files).
	Width int
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

	st := styler{color: t.Color}
	verdict := st.green("PASS")
	if r.Verdict != report.VerdictPass {
		verdict = st.red("GAPS")
	}
	fmt.Fprintf(w, "Verdict:   %s  %s\n\n", verdict, r.Score.Text)

	s := r.Summary
	fmt.Fprintf(w, "%d events read from %d inputs; %d writes on in-scope kinds (%d in the period, %d before it as baseline, %d after it).\n",
		s.Events, len(r.Inputs), s.ScopedWrites, s.InPeriod, s.Baseline, s.After)
	fmt.Fprintf(w, "Merging dropped %d exact repeats and %d earlier stages; %d events arrived out of order.\n\n", s.Duplicates, s.Superseded, s.OutOfOrder)

	tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	tbl.Header("Input", "Format", "Size", "Lines", "Events", "Unreadable", "First event", "Last event")
	// Many inputs (a month of rotated files) would push everything else off the screen:
	// beyond maxTableInputs, only those with problems are listed, the rest summed up.
	var quiet, quietEvents, quietBytes int64
	for _, in := range r.Inputs {
		if len(r.Inputs) > maxTableInputs && in.Malformed == 0 && in.Error == "" && len(in.Problems) == 0 {
			quiet++
			quietEvents += in.Events
			quietBytes += in.Bytes
			continue
		}
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
	if quiet > 0 {
		label := fmt.Sprintf("%d inputs without problems (--format json lists them)", quiet)
		if quiet < int64(len(r.Inputs)) {
			label = "… " + fmt.Sprintf("%d more", quiet) + label[len(fmt.Sprint(quiet)):]
		}
		if err := tbl.Append(label, "", humanBytes(quietBytes), "", fmt.Sprint(quietEvents), "0", "", ""); err != nil {
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
	return t.coverage(w, r, st)
}

// coverage writes the coverage matrix, the gaps, and the changes per kind and actor.
func (t *Table) coverage(w io.Writer, r *report.Report, st styler) error {
	fmt.Fprintf(w, "\n%s\n", st.bold("Coverage"))
	tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	tbl.Header("Kind", "Status", "Events", "Writes", "With bodies", "Highest level", "Changes")
	for _, c := range r.Coverage {
		status := c.Status
		switch c.Status {
		case report.StatusOK:
			status = st.green(status)
		case report.StatusNoWrites, report.StatusPartial:
			status = st.yellow(status)
		default:
			status = st.red(status)
		}
		if err := tbl.Append(c.Kind, status, fmt.Sprint(c.Events), fmt.Sprint(c.Writes), fmt.Sprint(c.WritesWithBodies), c.MaxLevel, fmt.Sprint(c.Changes)); err != nil {
			return err
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	if len(r.Gaps) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Gaps (%d)", len(r.Gaps))))
		for _, g := range r.Gaps {
			sev := g.Severity
			switch g.Severity {
			case report.SeverityError:
				sev = st.red(sev)
			case report.SeverityWarning:
				sev = st.yellow(sev)
			}
			fmt.Fprintf(w, "  %-7s %s: %s\n", sev, g.Type, g.Message)
			if g.Remediation != "" {
				fmt.Fprintf(w, "          fix: %s\n", g.Remediation)
			}
		}
	}
	s := r.Summary
	fmt.Fprintf(w, "\n%s\n%d configuration changes to %d objects, %d subresource writes, %d failed attempts, %d dry runs.\n",
		st.bold("Changes in the period"), s.Changes, s.Objects, s.SubresourceChanges, s.FailedAttempts, s.DryRuns)
	if len(s.Kinds) > 0 {
		tbl = tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
		tbl.Header("Kind", "Objects", "Created", "Modified", "Deleted", "Subresource", "Failed")
		for _, k := range s.Kinds {
			if err := tbl.Append(k.Kind, fmt.Sprint(k.Objects), fmt.Sprint(k.Created), fmt.Sprint(k.Modified), fmt.Sprint(k.Deleted), fmt.Sprint(k.SubresourceChanges), fmt.Sprint(k.FailedAttempts)); err != nil {
				return err
			}
		}
		if err := tbl.Render(); err != nil {
			return err
		}
	}
	if len(s.Actors) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold("Top actors"))
		tbl = tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
		tbl.Header("User", "Changes", "Subresource", "Failed")
		for i, a := range s.Actors {
			if i == 10 {
				break
			}
			if err := tbl.Append(a.User, fmt.Sprint(a.Changes), fmt.Sprint(a.SubresourceChanges), fmt.Sprint(a.FailedAttempts)); err != nil {
				return err
			}
		}
		if err := tbl.Render(); err != nil {
			return err
		}
	}
	return nil
}

// maxTableInputs is how many inputs the terminal table lists one by one.
const maxTableInputs = 15

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
