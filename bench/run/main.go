// Command run measures a whole auditreport run (reading, histories, coverage, the JSON report)
// on generated logs: throughput as ratios to cat and jq measured in the same run (machines
// here are noisy; ratios are what can be compared across runs), and peak memory; then every
// format at once against JSON alone, and the log gzipped against zcat and the plain log.
// With -growth, it also reads the same cluster over a period as many times longer, with as
// many times the changes, to show what memory follows. With -files, it reads the log split
// into that many rotated files and compares with the one file. Reading alone is measured by
// go test ./audit -bench.
//
//	go run ./bench/run -size 1GB -growth 8GB
//	go run ./bench/run -size 400MB -files 2000
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type result struct {
	name  string
	secs  float64
	rssKB int64
	// changes, objects and tmp are what auditreport's JSON log line says: the changes kept
	// (with subresource writes), the objects they touched, the most bytes of --tmp-dir used.
	changes, objects, tmp int64
}

func main() {
	size := flag.String("size", "1GB", "size of the generated log")
	growth := flag.String("growth", "", "a second, larger size: peak memory on both is compared")
	dir := flag.String("dir", "bench/data", "where generated logs are kept between runs")
	bin := flag.String("bin", "./auditreport", "the auditreport binary to measure")
	runs := flag.Int("runs", 3, "runs of each command; the median is reported (the longer period of -growth runs once)")
	nojq := flag.Bool("no-jq", false, "skip jq (slow: about 70 MB/s)")
	steady := flag.Int("steady", 0, "generate a cluster that keeps about this many live pods, service accounts and network policies each, instead of one that grows with the period")
	files := flag.Int("files", 0, "instead: compare the log split into this many rotated files with the same log as one file")
	flag.Parse()
	var err error
	if *files > 0 {
		err = runFiles(*size, *dir, *bin, *runs, *files)
	} else {
		err = run(*size, *growth, *dir, *bin, *runs, *steady, *nojq)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// logFile generates (once) a single-node log of the given size and returns its path. Days
// grow with the size, so that a larger log is a longer period of the same cluster, not a
// busier one: memory may depend on how many events arrive per minute (the merge window), and
// must not depend on how many bytes are read.
func logFile(dir, size string, days float64, scoped, steady int) (string, int64, error) {
	d := filepath.Join(dir, size)
	if scoped != 10 {
		d += fmt.Sprintf("-scoped%d", scoped)
	}
	if steady > 0 {
		d += fmt.Sprintf("-steady%d", steady)
	}
	path := filepath.Join(d, "kube-apiserver-1-audit.log")
	if fi, err := os.Stat(path); err == nil {
		return path, fi.Size(), nil
	}
	fmt.Fprintf(os.Stderr, "generating %s log in %s ...\n", size, d)
	cmd := exec.Command("go", "run", "./bench/gen", "-size", size, "-nodes", "1", "-days", fmt.Sprint(days), "-scoped", fmt.Sprint(scoped), "-steady", fmt.Sprint(steady), "-o", d)
	cmd.Stderr = nil
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", 0, fmt.Errorf("gen: %v\n%s", err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return path, fi.Size(), nil
}

// measure runs a command with stdout to /dev/null and returns the median wall time and the
// largest peak RSS over runs.
func measure(name string, runs int, args ...string) (result, error) {
	var times []float64
	var rss, changes, objects, tmp int64
	for i := 0; i < runs; i++ {
		cmd := exec.Command(args[0], args[1:]...)
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return result{}, err
		}
		cmd.Stdout = devnull
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		d := time.Since(start)
		devnull.Close()
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", name, err)
		}
		times = append(times, d.Seconds())
		var line struct{ Changes, SubresourceChanges, Objects, TmpBytes int64 }
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if json.Unmarshal([]byte(lines[len(lines)-1]), &line) == nil {
			changes, objects, tmp = line.Changes+line.SubresourceChanges, line.Objects, line.TmpBytes
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > rss {
			rss = ru.Maxrss
		}
	}
	sort.Float64s(times)
	return result{name: name, secs: times[len(times)/2], rssKB: rss, changes: changes, objects: objects, tmp: tmp}, nil
}

func run(size, growth, dir, bin string, runs, steady int, nojq bool) error {
	path, bytes, err := logFile(dir, size, 2, 10, steady)
	if err != nil {
		return err
	}
	mb := float64(bytes) / 1e6
	fmt.Printf("input: %s, %.0f MB, %d runs each (median time, largest peak RSS)\n\n", path, mb, runs)
	var res []result
	cat, err := measure("cat file > /dev/null", runs, "cat", path)
	if err != nil {
		return err
	}
	res = append(res, cat)
	var jq result
	if !nojq {
		if jq, err = measure(`jq -c 'select(.objectRef.resource=="pods")'`, 1, "jq", "-c", `select(.objectRef.resource=="pods")`, path); err != nil {
			return err
		}
		res = append(res, jq)
	}
	ar, err := measure("auditreport --format json", runs, bin, "--from", path, "--format", "json", "--log-format", "json")
	if err != nil {
		return err
	}
	res = append(res, ar)
	fmt.Printf("%-45s %9s %10s %12s\n", "command", "seconds", "MB/s", "peak RSS")
	for _, r := range res {
		fmt.Printf("%-45s %9.2f %10.0f %9.1f MiB\n", r.name, r.secs, mb/r.secs, float64(r.rssKB)/1024)
	}
	fmt.Println()
	fmt.Printf("auditreport (whole report): %.0f MB/s, %d changes to %d objects, peak RSS %.1f MiB (goal: at most 256 MiB for 1 GB), %.1f MiB of --tmp-dir at most\n",
		mb/ar.secs, ar.changes, ar.objects, float64(ar.rssKB)/1024, float64(ar.tmp)/(1<<20))
	fmt.Printf("auditreport / cat:          %.3f of cat's speed\n", cat.secs/ar.secs)
	if !nojq {
		fmt.Printf("auditreport / jq:           %.1fx jq's speed (jq only filters; auditreport also diffs every change)\n", jq.secs/ar.secs)
	}
	if err := formatsAndGzip(path, bin, runs); err != nil {
		return err
	}
	if growth == "" {
		return nil
	}
	// The same cluster over a period as many times longer as the log is larger: as many times
	// the changes. Memory may follow the objects the period touched, not the changes.
	ratio := float64(sizeBytes(growth)) / float64(sizeBytes(size))
	path2, bytes2, err := logFile(dir, growth, 2*ratio, 10, steady)
	if err != nil {
		return err
	}
	// Once: it is there for its peak memory, and takes minutes.
	ar2, err := measure("auditreport on "+growth, 1, bin, "--from", path2, "--format", "json", "--log-format", "json")
	if err != nil {
		return err
	}
	mb2 := float64(bytes2) / 1e6
	fmt.Printf("\nthe period %.0fx longer: %.0f MB, %d changes to %d objects -> %.1f MiB, %.1f MiB of --tmp-dir at most; %.0f MB, %d changes to %d objects -> %.1f MiB, %.1f MiB of --tmp-dir at most\n",
		ratio, mb, ar.changes, ar.objects, float64(ar.rssKB)/1024, float64(ar.tmp)/(1<<20),
		mb2, ar2.changes, ar2.objects, float64(ar2.rssKB)/1024, float64(ar2.tmp)/(1<<20))
	fmt.Printf("%+.1f%% memory for %+.0f%% changes and %+.0f%% objects (goal: within 15%%)\n",
		100*(float64(ar2.rssKB)/float64(ar.rssKB)-1), 100*(float64(ar2.changes)/float64(ar.changes)-1), 100*(float64(ar2.objects)/float64(ar.objects)-1))
	fmt.Printf("throughput on %s: %.0f MB/s\n", growth, mb2/ar2.secs)
	return nil
}

// formatsAndGzip compares, on the same log, every format written at once with JSON alone
// (goal: within 1.3x), and the log gzipped with zcat and with the plain log (goal: no
// slower than the slower of decompression and the plain log's report). As with many files,
// the commands run in turn, one run of each at a time, JSON alone among them, and each ratio
// is the median of each round's: a ratio of medians taken minutes apart measured the load
// of the machine as much as the report (every format at once was 1.35x JSON alone that way,
// 1.22x in turn).
func formatsAndGzip(path, bin string, runs int) error {
	out, err := os.MkdirTemp("", "bench-formats-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	gz, err := gzipped(path)
	if err != nil {
		return err
	}
	var jsons, alls, zcats, gzs []result
	var allRatio, gzRatio, zcatRatio []float64
	for i := 0; i < runs; i++ {
		ar, err := measure("auditreport --format json", 1, bin, "--from", path, "--format", "json", "--log-format", "json")
		if err != nil {
			return err
		}
		all, err := measure("auditreport --format pdf,html,markdown,csv,json", 1, bin, "--from", path, "--format", "pdf,html,markdown,csv,json",
			"-o", filepath.Join(out, "report"), "--log-format", "json")
		if err != nil {
			return err
		}
		zcat, err := measure("zcat file.gz > /dev/null", 1, "zcat", gz)
		if err != nil {
			return err
		}
		arz, err := measure("auditreport --format json on file.gz", 1, bin, "--from", gz, "--format", "json", "--log-format", "json")
		if err != nil {
			return err
		}
		jsons, alls, zcats, gzs = append(jsons, ar), append(alls, all), append(zcats, zcat), append(gzs, arz)
		allRatio, gzRatio, zcatRatio = append(allRatio, all.secs/ar.secs), append(gzRatio, arz.secs/ar.secs), append(zcatRatio, arz.secs/zcat.secs)
	}
	fmt.Println()
	fmt.Printf("%-45s %9s %12s   (%d runs each, in turn)\n", "command", "seconds", "peak RSS", runs)
	for _, r := range []result{summary(jsons), summary(alls), summary(zcats), summary(gzs)} {
		fmt.Printf("%-45s %9.2f %9.1f MiB\n", r.name, r.secs, float64(r.rssKB)/1024)
	}
	fmt.Printf("every format at once / JSON alone: %.2fx the time (median of the %d rounds; goal: at most 1.3x)\n", median(allRatio), runs)
	fmt.Printf("gzip input: %.2fx the plain log's time, %.2fx zcat's (medians of the %d rounds; goal: no slower than the slower of the two)\n",
		median(gzRatio), median(zcatRatio), runs)
	return nil
}

// median is the middle of xs, which it sorts.
func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// gzipped makes (once) a gzip copy of the log beside it, at compress/gzip's default level,
// which lumberjack's rotated backups use.
func gzipped(path string) (string, error) {
	gz := filepath.Join(filepath.Dir(path)+"-gz", filepath.Base(path)+".gz")
	if _, err := os.Stat(gz); err == nil {
		return gz, nil
	}
	fmt.Fprintf(os.Stderr, "compressing %s ...\n", path)
	if err := os.MkdirAll(filepath.Dir(gz), 0o755); err != nil {
		return "", err
	}
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	f, err := os.Create(gz + ".tmp")
	if err != nil {
		return "", err
	}
	defer f.Close()
	w := gzip.NewWriter(f)
	if _, err := io.Copy(w, in); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return gz, os.Rename(gz+".tmp", gz)
}

// sizeBytes reads the sizes the generator takes (500MB, 1GB).
func sizeBytes(s string) int64 {
	u := strings.ToUpper(s)
	for _, suf := range []struct {
		s string
		m int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if n, ok := strings.CutSuffix(u, suf.s); ok {
			f, _ := strconv.ParseFloat(n, 64)
			return int64(f * float64(suf.m))
		}
	}
	n, _ := strconv.ParseInt(u, 10, 64)
	return n
}
