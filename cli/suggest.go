package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError makes a flag parsing error a usage error, with the nearest flag the command
// has when the flag is unknown: "unknown flag: --fromm; did you mean --from?".
func flagError(c *cobra.Command, err error) error {
	// The root's arguments are inputs, so a mistyped command is parsed with the root's flags,
	// and the command's own (stat --at 1h) are unknown: the command is the mistake to name.
	// Only the arguments before the failing flag are known here.
	if args := c.Flags().Args(); !c.HasParent() && len(args) > 0 {
		if terr := commandTypo(c, args[0]); terr != nil {
			return terr
		}
	}
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

// commandTypo is the error for a first argument that names no file but is near a command,
// or begins one: "stat" is not a file or folder; did you mean the command "state"? It is nil
// for an existing path, stdin, a glob, or a word near no command.
func commandTypo(root *cobra.Command, arg string) error {
	if arg == "" || !missingPath(arg) {
		return nil
	}
	s := root.SuggestionsFor(arg)
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	s = slices.Compact(s)
	for i := range s {
		s[i] = strconv.Quote(s[i])
	}
	return &UsageError{Err: fmt.Errorf("%q is not a file or folder; did you mean the command %s?", arg, strings.Join(s, " or "))}
}

// notACommand is the missing input error for a first argument that looks like a word rather
// than a path (no folder separator, no dot): it was probably meant as a command, so the
// error lists them. It stays a missing input (exit 3), as the run took it. nil for anything
// else, which resolveInputs reports.
func notACommand(root *cobra.Command, arg string) error {
	if arg == "" || strings.ContainsAny(arg, "./"+string(filepath.Separator)) || !missingPath(arg) {
		return nil
	}
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return fmt.Errorf("%w, nor is it a command (the commands: %s)", &FileError{Flag: "--from", Path: arg, Err: fs.ErrNotExist}, strings.Join(names, ", "))
}

// missingPath reports whether arg, an input, names nothing: not stdin (-), not a glob, and
// no file or folder.
func missingPath(arg string) bool {
	if arg == "-" || strings.ContainsAny(arg, "*?[") {
		return false
	}
	_, err := os.Stat(arg)
	return errors.Is(err, fs.ErrNotExist)
}

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
