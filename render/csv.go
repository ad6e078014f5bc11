package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
)

// CSV tables.
const (
	CSVChanges  = "changes"
	CSVFailed   = "failed-attempts"
	CSVCoverage = "coverage"
	CSVGaps     = "gaps"
)

// CSVTables lists the tables the csv format can write.
var CSVTables = []string{CSVChanges, CSVFailed, CSVCoverage, CSVGaps, CSVEndpoints, CSVNamespaces, CSVServices, CSVPostureSummary}

// CSV writes one table of the report as CSV: every change (one row each, subresource and
// no-op writes included and marked by class), the failed attempts, the coverage rows, or the
// gaps.
type CSV struct {
	Table string
}

var _ Renderer = (*CSV)(nil)

// Spreadsheets hold at most CSVMaxCell characters in a cell and CSVMaxRows rows in a sheet
// (Excel; LibreOffice and Google Sheets cut or refuse beyond). A longer cell is cut, with a
// marker saying how much and where the whole value is in the JSON report; a table with more
// rows is refused, since half a table read as the whole would mislead.
const (
	CSVMaxCell = 32767
	CSVMaxRows = 1048576
)

// csvMaxRows is CSVMaxRows, lowered by tests.
var csvMaxRows = CSVMaxRows

// Render writes the table.
func (c *CSV) Render(w io.Writer, r *report.Report) error {
	var rows int
	var fill func(r *report.Report, write csvWrite) error
	switch c.Table {
	case CSVChanges, "":
		fill = csvChanges
		for i := range r.Resources {
			rows += r.Resources[i].Len()
		}
	case CSVFailed:
		fill, rows = csvFailed, r.FailedCount()
	case CSVCoverage:
		fill = csvCoverage
		for _, c := range r.Coverage {
			rows += 1 + len(c.Sources)
		}
	case CSVGaps:
		fill, rows = csvGaps, len(r.Gaps)
	case CSVEndpoints:
		fill, rows = csvEndpoints, postureOf(r).Len()
	case CSVNamespaces:
		fill, rows = csvNamespaces, len(postureOf(r).Namespaces)
	case CSVServices:
		fill, rows = csvServices, len(postureOf(r).Services)
	case CSVPostureSummary:
		fill, rows = csvPostureSummary, 1
	default:
		return fmt.Errorf("unknown CSV table %q (want one of %s)", c.Table, strings.Join(CSVTables, ", "))
	}
	if rows+1 > csvMaxRows {
		return fmt.Errorf("csv: the %s table has %d rows and its header, more than the %d a spreadsheet holds: shorten the period (--since, --until) or use --format json, which has no limit", csvTableName(c.Table), rows, csvMaxRows)
	}
	cw := csv.NewWriter(w)
	write := func(at string, header []string, cells ...string) error {
		for i, s := range cells {
			if n := len(s); n > CSVMaxCell && utf8.RuneCountInString(s) > CSVMaxCell {
				n = utf8.RuneCountInString(s)
				field := ""
				if at != "" && i < len(header) {
					field = at + "." + header[i]
				}
				s = cutCell(s, n, field)
			}
			cells[i] = CSVSafe(s)
		}
		return cw.Write(cells)
	}
	err := fill(r, write)
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

// csvWrite writes one row; at is where the row is in the JSON report ("failedAttempts[3]"),
// and header names its cells there, for the marker of a cut cell.
type csvWrite func(at string, header []string, cells ...string) error

// cutCell cuts a value of n characters to fit a spreadsheet cell, ending it with a marker
// that says how much was cut and, when known, where the whole value is.
func cutCell(s string, n int, field string) string {
	where := "; the JSON report (--format json) has the whole value]"
	if field != "" {
		where = "; the whole value is " + field + " in the JSON report (--format json)]"
	}
	// Room for the longest marker, and for the quote CSVSafe may put first.
	keep := CSVMaxCell - 1 - utf8.RuneCountInString(fmt.Sprintf(" …[cut: %d of %d characters not shown", n, n)+where)
	return string([]rune(s)[:keep]) + fmt.Sprintf(" …[cut: %d of %d characters not shown", n-keep, n) + where
}

func csvTableName(t string) string {
	if t == "" {
		return CSVChanges
	}
	return t
}

// csvNoOp is the action and class of a no-op write in the changes table: the JSON has its
// action (modified) and class (configuration), and its note says no field changed.
const csvNoOp = "no-op"

func csvChanges(r *report.Report, write csvWrite) error {
	header := []string{"time", "kind", "group", "resource", "namespace", "name", "uid", "action", "class", "verb", "subresource",
		"user", "impersonatedUser", "groups", "sourceIPs", "userAgent", "code", "level", "baseline", "diff", "note",
		"auditID", "source", "line", "id"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	var diff []byte
	row := make([]string, 0, len(header)) // one for every row: the cells are copied as written
	for i := range r.Resources {
		res := &r.Resources[i]
		for j, c := range res.Changes() {
			// The diff in one buffer, a line a field: its values are most of the table.
			diff = diff[:0]
			for k, d := range c.Diff {
				if k > 0 {
					diff = append(diff, '\n')
				}
				diff = appendDiffLine(diff, d.Path, d.Op, d.Old, d.New)
			}
			code := ""
			if c.Code != 0 {
				code = strconv.Itoa(int(c.Code))
			}
			// A write that changed no field is no change: the summary counts it apart, and
			// so must a spreadsheet that counts the rows by class or action.
			action, class := c.Action, c.Class
			if c.NoOp() {
				action, class = csvNoOp, csvNoOp
			}
			at := "resources[" + strconv.Itoa(i) + "].history[" + strconv.Itoa(j) + "]"
			row = append(row[:0], c.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), res.Kind, res.Group, res.Resource, res.Namespace, res.Name, res.UID,
				action, class, c.Verb, c.Subresource, c.User, c.ImpersonatedUser, strings.Join(c.Groups, " "),
				strings.Join(c.SourceIPs, " "), c.UserAgent, code, c.Level, c.Baseline, string(diff), c.Note,
				c.AuditID, c.Source, lineText(c.Line), rowID(c.ID, c.AuditID))
			if err := write(at, header, row...); err != nil {
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
	return strconv.Itoa(n)
}

func csvFailed(r *report.Report, write csvWrite) error {
	header := []string{"time", "verb", "group", "resource", "subresource", "namespace", "name", "user", "impersonatedUser",
		"sourceIPs", "userAgent", "code", "reason", "message", "decision", "auditID", "source", "line", "id"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	for i, f := range r.Failed() {
		if err := write(fmt.Sprintf("failedAttempts[%d]", i), header, f.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), f.Verb, f.Group, f.Resource, f.Subresource, f.Namespace, f.Name,
			f.User, f.ImpersonatedUser, strings.Join(f.SourceIPs, " "), f.UserAgent, fmt.Sprint(f.Code), f.Reason, f.Message,
			f.Decision, f.AuditID, f.Source, lineText(f.Line), rowID(f.ID, f.AuditID)); err != nil {
			return err
		}
	}
	return nil
}

func csvCoverage(r *report.Report, write csvWrite) error {
	if err := write("", nil, "kind", "group", "resource", "source", "status", "events", "writes", "writesWithBodies", "bodiesDropped", "maxLevel",
		"create", "update", "patch", "delete", "deletecollection", "changes", "subresources"); err != nil {
		return err
	}
	line := func(c coverage.Coverage, source string, cc coverage.CoverageCounts, changes string) error {
		return write("", nil, c.Kind, c.Group, c.Resource, source, cc.Status, fmt.Sprint(cc.Events), fmt.Sprint(cc.Writes),
			fmt.Sprint(cc.WritesWithBodies), fmt.Sprint(cc.BodiesDropped), cc.MaxLevel, fmt.Sprint(cc.Verbs["create"]), fmt.Sprint(cc.Verbs["update"]),
			fmt.Sprint(cc.Verbs["patch"]), fmt.Sprint(cc.Verbs["delete"]), fmt.Sprint(cc.Verbs["deletecollection"]), changes, fmt.Sprint(cc.Subresources))
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

func csvGaps(r *report.Report, write csvWrite) error {
	header := []string{"severity", "type", "group", "resource", "source", "from", "to", "count", "message", "remediation", "rule"}
	if err := write("", nil, header...); err != nil {
		return err
	}
	for i, g := range r.Gaps {
		count := ""
		if g.Count != 0 {
			count = fmt.Sprint(g.Count)
		}
		if err := write(fmt.Sprintf("gaps[%d]", i), header, g.Severity, g.Type, g.Group, g.Resource, g.Source, when(g.From, ""), when(g.To, ""), count, g.Message, g.Remediation, g.Rule); err != nil {
			return err
		}
	}
	return nil
}
