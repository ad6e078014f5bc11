package render

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Fitting the terminal table to the terminal's width: columns narrowed, cells wrapped or cut
// with "…", and any line still too wide wrapped (text) or cut (a table's border).

// maxCellWrap is how many lines a wrapped cell may take before the rest is cut.
const maxCellWrap = 4

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// labelled finds a line's label and the spaces that align what follows it: "Verdict:   ".
var labelled = regexp.MustCompile(`^ *\S+ {2,}`)

// textWidth is the width of s on a terminal, colour codes left out.
func textWidth(s string) int { return runewidth.StringWidth(ansi.ReplaceAllString(s, "")) }

// fitColumns shares width among the columns of a table drawn with borders ("│ a │ b │"):
// a column that needs less than an even share keeps its width, the others share the rest.
// A flexible column (one cut to a line) counts as flexMin wide in the sharing and then takes
// what is left, so that the other columns are wrapped only when they must.
func fitColumns(header []string, rows [][]string, width int, flexible []bool) []int {
	const flexMin = 24
	n := len(header)
	natural := make([]int, n)
	for i, h := range header {
		natural[i] = textWidth(h)
	}
	for _, row := range rows {
		for i, c := range row {
			for _, l := range strings.Split(c, "\n") {
				natural[i] = max(natural[i], textWidth(l))
			}
		}
	}
	avail := width - (3*n + 1)
	total := 0
	for _, w := range natural {
		total += w
	}
	if total <= avail {
		return natural
	}
	need := slices.Clone(natural)
	for i := range need {
		if i < len(flexible) && flexible[i] {
			need[i] = min(need[i], flexMin)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return need[order[a]] < need[order[b]] })
	widths := make([]int, n)
	left := avail
	for k, i := range order {
		share := left / (n - k)
		widths[i] = max(min(need[i], share), 4)
		left -= widths[i]
	}
	for i := range widths {
		if left > 0 && i < len(flexible) && flexible[i] && natural[i] > widths[i] {
			add := min(left, natural[i]-widths[i])
			widths[i] += add
			left -= add
		}
	}
	return widths
}

// fitCell wraps s to lines of at most width columns, at most lines of them (0: maxCellWrap);
// what does not fit is cut, the last line ending in "…".
func fitCell(s string, width, lines int) string {
	if lines == 0 {
		lines = maxCellWrap
	}
	fits := true
	for _, l := range strings.Split(s, "\n") {
		fits = fits && textWidth(l) <= width
	}
	if fits && strings.Count(s, "\n") < lines {
		return s
	}
	s = ansi.ReplaceAllString(s, "")
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapWords(para, width)...)
	}
	if len(out) > lines {
		out = append(out[:lines-1], out[lines-1]+" "+strings.Join(out[lines:], " "))
		out[lines-1] = runewidth.Truncate(out[lines-1], width, "…")
	}
	return strings.Join(out, "\n")
}

// wrapWords breaks s at spaces into lines of at most width columns; a word longer than a
// line is broken where the line ends.
func wrapWords(s string, width int) []string {
	width = max(width, 1)
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for runewidth.StringWidth(word) > width {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			head := runewidth.Truncate(word, width, "")
			lines = append(lines, head)
			word = word[len(head):]
		}
		switch {
		case line == "":
			line = word
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// fitLines makes every line of text fit width: a table's line is cut with "…", text is
// wrapped at spaces under its own indentation.
func fitLines(text string, width int) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if textWidth(body) <= width {
			b.WriteString(line)
			continue
		}
		plain := ansi.ReplaceAllString(body, "")
		if strings.ContainsAny(plain[:min(len(plain), 4)], "│┌├└") {
			b.WriteString(runewidth.Truncate(plain, width, "…") + "\n")
			continue
		}
		// A label and its column ("Verdict:   ", "  error   ") stay, and the rest of the
		// line wraps under the column; other text wraps two columns in from its indent.
		head := plain[:len(plain)-len(strings.TrimLeft(plain, " "))]
		if m := labelled.FindString(plain); m != "" && len(m) <= width/3 {
			head = m
		}
		pad := strings.Repeat(" ", len(head))
		if head == strings.Repeat(" ", len(head)) {
			pad = strings.Repeat(" ", min(len(head)+2, width/2))
		}
		for i, l := range wrapWords(plain[len(head):], width-len(pad)) {
			if i == 0 {
				b.WriteString(head + l + "\n")
				continue
			}
			b.WriteString(pad + l + "\n")
		}
	}
	return b.String()
}
