package render

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditreport/auditreport/report/coverage"
)

// PolicyFormats are the formats of `auditreport policy check`.
var PolicyFormats = []Format{FormatTable, FormatJSON, FormatMarkdown}

// RenderPolicyCheck writes the result of a policy check: per file, a matrix of required kind
// and user by write verb, each cell the level the policy gives, failures marked.
func RenderPolicyCheck(w io.Writer, pc *coverage.PolicyCheck, f Format, color bool) error {
	switch f {
	case FormatJSON:
		return newJSONEncoder(w).encode(pc)
	case FormatTable, FormatMarkdown:
	default:
		return fmt.Errorf("unknown format %q for a policy check (want one of table, json, markdown)", f)
	}
	md := f == FormatMarkdown
	st := styler{color: color && !md}
	for i, file := range pc.Files {
		if i > 0 {
			fmt.Fprintln(w)
		}
		verdict := st.green("PASS")
		if !file.Pass {
			verdict = st.red("FAIL")
		}
		if md {
			fmt.Fprintf(w, "## %s: %s\n\n", file.Source, map[bool]string{true: "pass", false: "fail"}[file.Pass])
		} else {
			fmt.Fprintf(w, "%s  %s\n", verdict, st.bold(file.Source))
		}
		if file.Error != "" {
			fmt.Fprintf(w, "%s\n", file.Error)
			continue
		}
		if file.Note != "" {
			fmt.Fprintf(w, "Note: %s\n", file.Note)
		}
		if md {
			fmt.Fprintln(w)
		}
		opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
		if md {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		}
		tbl := tablewriter.NewTable(w, opts...)
		header := []any{"Kind", "User"}
		for _, v := range coverage.PolicyVerbs {
			header = append(header, v)
		}
		tbl.Header(header...)
		type rowKey struct{ kind, user string }
		var order []rowKey
		cells := map[rowKey]map[string]coverage.PolicyCell{}
		for _, c := range file.Cells {
			k := rowKey{c.Kind, c.User}
			if cells[k] == nil {
				cells[k] = map[string]coverage.PolicyCell{}
				order = append(order, k)
			}
			cells[k][c.Verb] = c
		}
		var reasons []string
		seen := map[string]bool{}
		for _, k := range order {
			row := []any{k.kind, k.user}
			for _, v := range coverage.PolicyVerbs {
				c := cells[k][v]
				// Omitting RequestReceived is usual and harmless; only a missing
				// ResponseComplete is worth a word in the cell.
				s := c.Level
				for _, st := range c.OmitStages {
					if st == "ResponseComplete" {
						s += ", no ResponseComplete"
					}
				}
				if !c.Pass {
					s = st.red(s + " ✗")
					if !seen[c.Reason] {
						seen[c.Reason] = true
						reasons = append(reasons, c.Reason)
					}
				}
				row = append(row, s)
			}
			if err := tbl.Append(row...); err != nil {
				return err
			}
		}
		if err := tbl.Render(); err != nil {
			return err
		}
		if len(reasons) > 0 {
			fmt.Fprintln(w)
			for _, r := range reasons {
				fmt.Fprintf(w, "- %s\n", r)
			}
		}
	}
	return nil
}

// styler colours text for a terminal, and leaves it alone elsewhere.
type styler struct{ color bool }

func (s styler) wrap(code, t string) string {
	if !s.color {
		return t
	}
	return "\x1b[" + code + "m" + t + "\x1b[0m"
}

func (s styler) bold(t string) string   { return s.wrap("1", t) }
func (s styler) red(t string) string    { return s.wrap("31", t) }
func (s styler) green(t string) string  { return s.wrap("32", t) }
func (s styler) yellow(t string) string { return s.wrap("33", t) }
