package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/auditreport/auditreport/report"
)

// CSV tables.
const (
	CSVChanges  = "changes"
	CSVFailed   = "failed-attempts"
	CSVCoverage = "coverage"
	CSVGaps     = "gaps"
)

// CSVTables lists the tables the csv format can write.
var CSVTables = []string{CSVChanges, CSVFailed, CSVCoverage, CSVGaps}

// CSV writes one table of the report as CSV: every change (one row each, subresource writes
// included and marked by class), the failed attempts, the coverage rows, or the gaps.
type CSV struct {
	Table string
}

var _ Renderer = (*CSV)(nil)

// Render writes the table.
func (c *CSV) Render(w io.Writer, r *report.Report) error {
	cw := csv.NewWriter(w)
	write := func(cells ...string) error {
		for i, s := range cells {
			cells[i] = CSVSafe(s)
		}
		return cw.Write(cells)
	}
	var err error
	switch c.Table {
	case CSVChanges, "":
		err = csvChanges(r, write)
	case CSVFailed:
		err = csvFailed(r, write)
	case CSVCoverage:
		err = csvCoverage(r, write)
	case CSVGaps:
		err = csvGaps(r, write)
	default:
		return fmt.Errorf("unknown CSV table %q (want one of %s)", c.Table, strings.Join(CSVTables, ", "))
	}
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// CSVSafe neutralises a cell a spreadsheet would run as a formula (one starting with =, +, -,
// @, a tab or a carriage return) by putting a single quote before it, as OWASP advises.
func CSVSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func csvChanges(r *report.Report, write func(...string) error) error {
	if err := write("time", "kind", "group", "resource", "namespace", "name", "uid", "action", "class", "verb", "subresource",
		"user", "impersonatedUser", "groups", "sourceIPs", "userAgent", "code", "level", "baseline", "diff", "note",
		"auditID", "source", "line"); err != nil {
		return err
	}
	for _, res := range r.Resources {
		for _, c := range res.History {
			var diff []string
			for _, d := range c.Diff {
				diff = append(diff, DiffLine{Path: d.Path, Op: d.Op, Old: string(d.Old), New: string(d.New)}.Text())
			}
			code := ""
			if c.Code != 0 {
				code = fmt.Sprint(c.Code)
			}
			if err := write(c.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), res.Kind, res.Group, res.Resource, res.Namespace, res.Name, res.UID,
				c.Action, c.Class, c.Verb, c.Subresource, c.User, c.ImpersonatedUser, strings.Join(c.Groups, " "),
				strings.Join(c.SourceIPs, " "), c.UserAgent, code, c.Level, c.Baseline, strings.Join(diff, "\n"), c.Note,
				c.AuditID, c.Source, lineText(c.Line)); err != nil {
				return err
			}
		}
	}
	return nil
}

func lineText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func csvFailed(r *report.Report, write func(...string) error) error {
	if err := write("time", "verb", "group", "resource", "subresource", "namespace", "name", "user", "impersonatedUser",
		"sourceIPs", "userAgent", "code", "reason", "message", "decision", "auditID", "source", "line"); err != nil {
		return err
	}
	for _, f := range r.FailedAttempts {
		if err := write(f.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), f.Verb, f.Group, f.Resource, f.Subresource, f.Namespace, f.Name,
			f.User, f.ImpersonatedUser, strings.Join(f.SourceIPs, " "), f.UserAgent, fmt.Sprint(f.Code), f.Reason, f.Message,
			f.Decision, f.AuditID, f.Source, lineText(f.Line)); err != nil {
			return err
		}
	}
	return nil
}

func csvCoverage(r *report.Report, write func(...string) error) error {
	if err := write("kind", "group", "resource", "source", "status", "events", "writes", "writesWithBodies", "maxLevel",
		"create", "update", "patch", "delete", "deletecollection", "changes"); err != nil {
		return err
	}
	line := func(c report.Coverage, source string, cc report.CoverageCounts, changes string) error {
		return write(c.Kind, c.Group, c.Resource, source, cc.Status, fmt.Sprint(cc.Events), fmt.Sprint(cc.Writes),
			fmt.Sprint(cc.WritesWithBodies), cc.MaxLevel, fmt.Sprint(cc.Verbs["create"]), fmt.Sprint(cc.Verbs["update"]),
			fmt.Sprint(cc.Verbs["patch"]), fmt.Sprint(cc.Verbs["delete"]), fmt.Sprint(cc.Verbs["deletecollection"]), changes)
	}
	for _, c := range r.Coverage {
		if err := line(c, "(all)", c.CoverageCounts, fmt.Sprint(c.Changes)); err != nil {
			return err
		}
		for _, s := range c.Sources {
			if err := line(c, s.Source, s.CoverageCounts, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

func csvGaps(r *report.Report, write func(...string) error) error {
	if err := write("severity", "type", "group", "resource", "source", "from", "to", "count", "message", "remediation"); err != nil {
		return err
	}
	for _, g := range r.Gaps {
		count := ""
		if g.Count != 0 {
			count = fmt.Sprint(g.Count)
		}
		if err := write(g.Severity, g.Type, g.Group, g.Resource, g.Source, when(g.From, ""), when(g.To, ""), count, g.Message, g.Remediation); err != nil {
			return err
		}
	}
	return nil
}
