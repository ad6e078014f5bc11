package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one input: a file, or standard input.
type Source struct {
	// Name is how reports and errors name the source: the path as found, or "stdin".
	Name string
	// Size is the stored size in bytes, -1 when unknown (stdin).
	Size int64
	open func() (io.ReadCloser, error)
}

// FileSource returns the source for one file.
func FileSource(path string) Source {
	size := int64(-1)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	return Source{Name: path, Size: size, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// ReaderSource returns a source that reads r, named name.
func ReaderSource(name string, r io.Reader) Source {
	return Source{Name: name, Size: -1, open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// SourceError is a source that cannot be used at all: missing, unreadable, or not a file.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("source %s: %v", e.Source, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// Resolve expands --from values into sources: "-" is stdin, a pattern with *, ? or [ is a
// glob, a directory is walked for log files, anything else is a file. The result is sorted
// and free of repeats, so the same file given twice is read once.
func Resolve(specs []string, stdin io.Reader) ([]Source, error) {
	var out []Source
	seen := map[string]bool{}
	add := func(path string) {
		clean := filepath.Clean(path)
		if !seen[clean] {
			seen[clean] = true
			out = append(out, FileSource(path))
		}
	}
	usedStdin := false
	for _, spec := range specs {
		switch {
		case spec == "":
			continue
		case spec == "-":
			if usedStdin {
				return nil, &SourceError{Source: "stdin", Err: errors.New("given more than once")}
			}
			usedStdin = true
			out = append(out, ReaderSource("stdin", stdin))
		case strings.ContainsAny(spec, "*?["):
			matches, err := filepath.Glob(spec)
			if err != nil {
				return nil, &SourceError{Source: spec, Err: err}
			}
			if len(matches) == 0 {
				return nil, &SourceError{Source: spec, Err: errors.New("no file matches the pattern")}
			}
			for _, m := range matches {
				if err := addPath(m, add); err != nil {
					return nil, err
				}
			}
		default:
			if err := addPath(spec, add); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, &SourceError{Source: strings.Join(specs, ","), Err: errors.New("no audit log found")}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func addPath(path string, add func(string)) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &SourceError{Source: path, Err: unwrapPathError(err)}
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeNamedPipe == 0 {
			return &SourceError{Source: path, Err: errors.New("not a regular file")}
		}
		f, err := os.Open(path)
		if err != nil {
			return &SourceError{Source: path, Err: unwrapPathError(err)}
		}
		f.Close()
		add(path)
		return nil
	}
	found := 0
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &SourceError{Source: p, Err: unwrapPathError(err)}
		}
		name := d.Name()
		if p != path && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !IsLogName(name) {
			return nil
		}
		found++
		add(p)
		return nil
	})
	if err != nil {
		return err
	}
	if found == 0 {
		return &SourceError{Source: path, Err: errors.New("directory holds no audit log (*.log, *.json, *.jsonl, *.yaml, *.gz, or a name with \"audit\")")}
	}
	return nil
}

// logSuffixes are the names a directory walk takes as audit logs, besides any name that
// contains "audit" (kube-apiserver's rotated "audit-2026-11-01T12-00-00.000.log" included).
var logSuffixes = []string{".log", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".gz", ".txt"}

// IsLogName reports whether a directory walk reads a file of this name.
func IsLogName(name string) bool {
	lower := strings.ToLower(name)
	if strings.Contains(lower, "audit") {
		return true
	}
	for _, s := range logSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
