package render

import (
	"fmt"
	"io"
)

// posture writes the posture's counts and its worst rows to the terminal.
func (t *Table) posture(w io.Writer, pv *PostureView) error {
	if pv == nil {
		return nil
	}
	fmt.Fprintf(w, "\n%s\n%s\n", t.bold("Network-policy posture"), pv.PostureText())
	if len(pv.Rows) == 0 {
		return nil
	}
	rows := make([][]string, 0, 10)
	for i, r := range pv.Rows {
		if i == 10 {
			break
		}
		rows = append(rows, []string{r.Pod, r.Ingress, r.Egress, r.Internet, r.OtherNS, r.Unprotected, r.Cause})
	}
	if err := t.table(w, []string{"Pod", "Ingress", "Egress", "From/to internet", "Other namespaces", "Unprotected for", "Last change against it"}, rows, nil); err != nil {
		return err
	}
	if n := len(pv.Rows) - len(rows) + pv.More; n > 0 {
		fmt.Fprintf(w, "… %d more pod(s): --format csv --csv-table endpoints, or --format json, lists them all\n", n)
	}
	return nil
}
