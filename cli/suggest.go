package cli

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError makes a flag parsing error a usage error, with the nearest flag the command
// has when the flag is unknown: "unknown flag: --fromm; did you mean --from?".
func flagError(c *cobra.Command, err error) error {
	if m := unknownFlag.FindStringSubmatch(err.Error()); m != nil {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		if s := nearest(strings.TrimLeft(m[1], "-"), names); s != "" {
			return &UsageError{Err: fmt.Errorf("%w; did you mean --%s?", err, s)}
		}
	}
	return &UsageError{Err: err}
}

var unknownFlag = regexp.MustCompile(`^unknown flag: (--\S+)`)

// subcommandArgs refuses arguments to a command that only has subcommands, suggesting the
// nearest one: "policy chek" says "did you mean check?".
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &UsageError{Err: fmt.Errorf("%s", msg)}
}

// nearest is the candidate closest to s by edit distance, if it is close enough to be a
// typing mistake (at most a third of its letters, and at least one), or one that s begins.
func nearest(s string, candidates []string) string {
	type scored struct {
		name string
		d    int
	}
	var best []scored
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d <= max(1, len(c)/3) || (len(s) >= 3 && strings.HasPrefix(c, s)) {
			best = append(best, scored{c, d})
		}
	}
	if len(best) == 0 {
		return ""
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].d < best[j].d })
	return best[0].name
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
