package render

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
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
	if t.Width <= 0 {
		return t.render(w, r)
	}
	var buf bytes.Buffer
	if err := t.render(&buf, r); err != nil {
		return err
	}
	_, err := io.WriteString(w, fitLines(buf.String(), t.Width))
	return err
}

func (t *Table) render(w io.Writer, r *report.Report) error {
	fmt.Fprintf(w, "%s\n", t.bold("Audit log report"))
	fmt.Fprintf(w, "%-13s %s\n", "Generated:", r.GeneratedAt.Format(time.RFC3339))
	for _, l := range Statement(r) {
		fmt.Fprintf(w, "%-13s %s\n", l.Label+":", l.Text)
	}
	fmt.Fprintln(w)

	st := styler{color: t.Color}
	verdict := st.green(strings.ToUpper(VerdictText(r.Verdict)))
	if r.Verdict != coverage.VerdictPass {
		verdict = st.red(strings.ToUpper(VerdictText(r.Verdict)))
	}
	fmt.Fprintf(w, "Verdict:   %s  %s\n\n", verdict, r.Score.Text)

	s := r.Summary
	fmt.Fprintf(w, "%s; %s on in-scope kinds (%d in the period, %d before it as baseline, %d after it).\n",
		ReadText(r), units.Counted(s.ScopedWrites, "write", "writes"), s.InPeriod, s.Baseline, s.After)
	fmt.Fprintf(w, "Merging kept each request's last stage (%s dropped); %s out of order.\n\n",
		units.Counted(s.Superseded, "earlier stage", "earlier stages"), units.Counted(s.OutOfOrder, "event arrived", "events arrived"))

	var rows [][]string
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
		rows = append(rows, []string{in.Source, format, units.Bytes(in.Bytes), fmt.Sprint(in.Lines), fmt.Sprint(in.Events), bad,
			when(in.FirstEvent, "-"), when(in.LastEvent, "-")})
	}
	if quiet > 0 {
		label := fmt.Sprintf("%d inputs without problems (--format json lists them)", quiet)
		if quiet < int64(len(r.Inputs)) {
			label = "… " + fmt.Sprintf("%d more", quiet) + label[len(fmt.Sprint(quiet)):]
		}
		rows = append(rows, []string{label, "", units.Bytes(quietBytes), "", fmt.Sprint(quietEvents), "0", "", ""})
	}
	if err := t.table(w, []string{"Input", "Format", "Size", "Lines", "Events", "Unreadable", "First event", "Last event"}, rows, nil); err != nil {
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
			times := ""
			if smp.Count > 1 {
				times = fmt.Sprintf(" (%d times)", smp.Count)
			}
			problems = append(problems, fmt.Sprintf("    line %d: %s: %s%s", smp.Line, smp.Kind, smp.Message, times))
		}
		if in.Error != "" {
			problems = append(problems, fmt.Sprintf("  %s: stopped reading: %s", in.Source, in.Error))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "\n%s\n%s\n", t.bold("Input problems"), strings.Join(problems, "\n"))
	}
	if err := t.coverage(w, r, st); err != nil {
		return err
	}
	return t.posture(w, newPostureView(r, 10))
}

// coverage writes the coverage matrix, the gaps, and the changes per kind and actor.
func (t *Table) coverage(w io.Writer, r *report.Report, st styler) error {
	fmt.Fprintf(w, "\n%s\n", st.bold("Coverage"))
	var rows [][]string
	for _, c := range r.Coverage {
		status := c.Status
		switch c.Status {
		case coverage.StatusOK:
			status = st.green(status)
		case coverage.StatusNoWrites, coverage.StatusPartial, coverage.StatusBodiesDropped:
			status = st.yellow(status)
		default:
			status = st.red(status)
		}
		rows = append(rows, []string{c.Kind, status, fmt.Sprint(c.Events), fmt.Sprint(c.Writes), fmt.Sprint(c.WritesWithBodies), c.MaxLevel, fmt.Sprint(c.Changes)})
	}
	if err := t.table(w, []string{"Kind", "Status", "Events", "Writes", "With bodies", "Highest level", "Changes"}, rows, nil); err != nil {
		return err
	}
	trail, findings := splitGaps(r.Gaps)
	if len(trail) == 0 {
		fmt.Fprintf(w, "\n%s\n", noGapsText(r))
	}
	gapList(w, st, fmt.Sprintf("Gaps in the trail (%d)", len(trail)), trail)
	gapList(w, st, fmt.Sprintf("Protection findings (%d): the pods' network-policy protection, not the trail", len(findings)), findings)
	s := r.Summary
	fmt.Fprintf(w, "\n%s\n%s\n", st.bold("Changes in the period"), ChangesText(s))
	if s.FailedAttempts == 0 {
		fmt.Fprintln(w, (&View{Report: r}).NoFailedText())
	}
	if len(s.Kinds) > 0 {
		var rows [][]string
		for _, k := range s.Kinds {
			rows = append(rows, []string{KindLabel(k.Kind, k.Group), fmt.Sprint(k.Objects), fmt.Sprint(k.Created), fmt.Sprint(k.Modified), fmt.Sprint(k.DeletionRequested), fmt.Sprint(k.Deleted), fmt.Sprint(k.NoOp), fmt.Sprint(k.SubresourceChanges), fmt.Sprint(k.FailedAttempts)})
		}
		if err := t.table(w, []string{"Kind", "Objects", "Created", "Modified", "Deletion requested", "Deleted", "No-op", "Subresource", "Failed"}, rows, nil); err != nil {
			return err
		}
	}
	if err := t.policyChanges(w, r, st); err != nil {
		return err
	}
	if len(s.Actors) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold("Top actors"))
		var rows [][]string
		for _, a := range s.Actors[:min(len(s.Actors), TopActors)] {
			rows = append(rows, []string{a.User, fmt.Sprint(a.Changes), fmt.Sprint(a.NoOp), fmt.Sprint(a.SubresourceChanges), fmt.Sprint(a.FailedAttempts)})
		}
		if err := t.table(w, []string{"User", "Changes", "No-op", "Subresource", "Failed"}, rows, nil); err != nil {
			return err
		}
		if more := ActorsMore(s); more != "" {
			fmt.Fprintln(w, more)
		}
	}
	return nil
}

// maxTablePolicyChanges is how many network policy changes the terminal table lists.
const maxTablePolicyChanges = 20

// policyChanges lists the changes to network policies: when, who, which policy, and one
// line of what changed. The other formats have every change with its whole diff.
func (t *Table) policyChanges(w io.Writer, r *report.Report, st styler) error {
	v := NewView(r, maxTablePolicyChanges)
	sec := v.PolicyChanges
	if sec.Total == 0 {
		fmt.Fprintf(w, "\n%s\n%s\n", st.bold("Network policy changes"), sec.Empty)
		return nil
	}
	fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Network policy changes (%d)", sec.Total)))
	var rows [][]string
	for _, c := range sec.Rows {
		policy := c.Object
		if c.Kind != "NetworkPolicy" {
			policy = c.Kind + " " + policy
		}
		what := c.Action
		switch {
		case len(c.Diff) > 0:
			what += ": " + c.Diff[0].Text()
			if more := len(c.Diff) - 1 + c.DiffMore; more > 0 {
				what += fmt.Sprintf(" (+%d more)", more)
			}
		case c.Note != "":
			what += ": " + c.Note
		}
		rows = append(rows, []string{c.Time, c.User, policy, strings.ReplaceAll(what, "\n", " ")})
	}
	if err := t.table(w, []string{"When (UTC)", "Who", "Policy", "What"}, rows, []bool{false, false, false, true}); err != nil {
		return err
	}
	if sec.More > 0 {
		fmt.Fprintf(w, "… %d more: --format pdf, html, json or csv lists every change with its whole diff.\n", sec.More)
	}
	return nil
}

// table writes a table whose cells fit t.Width: the widest columns are narrowed, their cells
// wrapped at spaces (a word longer than its column is broken), and a cell longer than
// maxCellWrap lines, or of a column that holds one line (oneLine), cut with "…".
func (t *Table) table(w io.Writer, header []string, rows [][]string, oneLine []bool) error {
	if t.Width > 0 {
		widths := fitColumns(header, rows, t.Width, oneLine)
		header = slices.Clone(header)
		for i := range header {
			header[i] = fitCell(header[i], widths[i], 2)
		}
		for _, row := range rows {
			for i := range row {
				lines := 0
				if i < len(oneLine) && oneLine[i] {
					lines = 1
				}
				row[i] = fitCell(row[i], widths[i], lines)
			}
		}
	}
	tbl := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithHeaderAutoWrap(tw.WrapNone), tablewriter.WithRowAutoWrap(tw.WrapNone))
	tbl.Header(header)
	for _, row := range rows {
		if err := tbl.Append(row); err != nil {
			return err
		}
	}
	return tbl.Render()
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

// gapList writes gaps under a title, one a line with its fix and rule; nothing when there are none.
func gapList(w io.Writer, st styler, title string, gaps []coverage.Gap) {
	if len(gaps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", st.bold(title))
	for _, g := range gaps {
		// Padded before it is coloured: the colour codes would count as width.
		sev := fmt.Sprintf("%-8s", g.Severity)
		switch g.Severity {
		case coverage.SeverityError:
			sev = st.red(sev)
		case coverage.SeverityWarning:
			sev = st.yellow(sev)
		}
		fmt.Fprintf(w, "  %s %s: %s\n", sev, g.Type, g.Message)
		if g.Remediation != "" {
			fmt.Fprintf(w, "           fix: %s\n", g.Remediation)
		}
		if g.Rule != "" {
			fmt.Fprintf(w, "           rule: %s\n", g.Rule)
		}
	}
}
