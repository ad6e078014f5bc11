package history

import "strings"

// diffText is a diff a line a field: path, op, old -> new.
func diffText(d []FieldChange) string {
	var out []string
	for _, f := range d {
		s := f.Path + " " + f.Op
		if f.Old != nil {
			s += " " + string(f.Old)
		}
		if f.New != nil {
			s += " -> " + string(f.New)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}
