package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// filesGoal is how much more time and memory reading a log as many rotated files may take
// than reading the same bytes as one file.
const filesGoal = 1.5

// runFiles measures a whole run on a log split into n rotated files against the same log as
// one file: opening files lazily in time order must keep both time and peak memory within
// filesGoal of the single file.
func runFiles(size, dir, bin string, runs, n int) error {
	path, bytes, err := logFile(dir, size, 2, 10, 0)
	if err != nil {
		return err
	}
	split := filepath.Join(filepath.Dir(path), fmt.Sprintf("files-%d", n))
	if err := splitLog(path, split, bytes, n); err != nil {
		return err
	}
	mb := float64(bytes) / 1e6
	fmt.Printf("input: %s, %.0f MB, as one file and as %d rotated files in %s; %d runs each, in turn (median time, largest peak RSS)\n\n", path, mb, n, split, runs)
	// The two commands run in turn, one run of each at a time, and the time ratio is the
	// median of each pair's: on a machine shared with other work, the load changes within
	// seconds, and all runs of one command and then all of the other measured that change.
	oneName, manyName := "auditreport, one file", fmt.Sprintf("auditreport, %d files", n)
	var ones, manys []result
	var ratios []float64
	for i := 0; i < runs; i++ {
		one, err := measure(oneName, 1, bin, "--from", path, "--format", "json", "--log-format", "json")
		if err != nil {
			return err
		}
		many, err := measure(manyName, 1, bin, "--from", split, "--format", "json", "--log-format", "json")
		if err != nil {
			return err
		}
		ones, manys, ratios = append(ones, one), append(manys, many), append(ratios, many.secs/one.secs)
	}
	one, many := summary(ones), summary(manys)
	fmt.Printf("%-45s %9s %10s %12s\n", "command", "seconds", "MB/s", "peak RSS")
	for _, r := range []result{one, many} {
		fmt.Printf("%-45s %9.2f %10.0f %9.1f MiB\n", r.name, r.secs, mb/r.secs, float64(r.rssKB)/1024)
	}
	t, m := median(ratios), float64(many.rssKB)/float64(one.rssKB)
	verdict := "within"
	if t > filesGoal || m > filesGoal {
		verdict = "OVER"
	}
	fmt.Printf("\n%d files / one file: %.2fx the time (median of the %d pairs), %.2fx the peak memory (%s the goal of %.1fx)\n", n, t, runs, m, verdict, filesGoal)
	if one.changes != many.changes {
		return fmt.Errorf("%d changes from one file, %d from %d files: the same log must give the same report", one.changes, many.changes, n)
	}
	// The numbered files are one API server's log, by their times (docs/coverage.md): taken
	// for thousands of servers, they would give thousands of false gaps.
	a, err := reportVerdict(bin, path)
	if err != nil {
		return err
	}
	b, err := reportVerdict(bin, split)
	if err != nil {
		return err
	}
	if a != b {
		return fmt.Errorf("one file: %s; %d files: %s: the same log must give the same report", a, n, b)
	}
	return nil
}

// summary is runs of one command as measure gives them: the median time, the largest peak RSS.
func summary(runs []result) result {
	out := runs[0]
	times := make([]float64, 0, len(runs))
	for _, r := range runs {
		times = append(times, r.secs)
		out.rssKB = max(out.rssKB, r.rssKB)
	}
	sort.Float64s(times)
	out.secs = times[len(times)/2]
	return out
}

// reportVerdict runs the binary once more and returns the verdict and the number of gaps its log
// line gives.
func reportVerdict(bin, from string) (string, error) {
	// The report to standard output, thrown away: -o writes a temporary beside the path and
	// renames it over it, which would put a regular file in place of /dev/null.
	cmd := exec.Command(bin, "--from", from, "--format", "json", "--log-format", "json")
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	var line struct {
		Verdict string
		Gaps    int
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &line); err != nil {
		return "", fmt.Errorf("%s: the log line: %w", from, err)
	}
	return fmt.Sprintf("verdict %s, %d gap(s)", line.Verdict, line.Gaps), nil
}

// splitLog writes the lines of path into n files of about equal size, numbered as a log
// shipper or an export splits a log (kube-audit-00001.log, ...), once.
func splitLog(path, dir string, bytes int64, n int) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) == n {
		return nil
	}
	fmt.Fprintf(os.Stderr, "splitting %s into %d files in %s ...\n", path, n, dir)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	per := bytes / int64(n)
	var out *os.File
	var w *bufio.Writer
	var written int64
	closeOut := func() error {
		if out == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return out.Close()
	}
	for i := 0; sc.Scan(); {
		if out == nil || (written >= per*int64(i) && i < n) {
			if err := closeOut(); err != nil {
				return err
			}
			i++
			if out, err = os.Create(filepath.Join(dir, fmt.Sprintf("kube-audit-%05d.log", i))); err != nil {
				return err
			}
			w = bufio.NewWriter(out)
		}
		w.Write(sc.Bytes())
		w.WriteByte('\n')
		written += int64(len(sc.Bytes())) + 1
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return closeOut()
}
