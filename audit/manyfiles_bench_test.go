package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkManyFiles reads one log as one file and as 2,000 files of about 20 KB (an export
// tree, a shipper's split), from listing to the last input: what each file costs beyond its
// bytes (opening, looking at its start, its goroutines) is the difference. The whole run,
// report included, is measured by go run ./bench/run -files.
func BenchmarkManyFiles(b *testing.B) {
	const files, perFile = 2000, 44 // about 20 KB each
	one, many := b.TempDir(), b.TempDir()
	var all strings.Builder
	for i := 0; i < files; i++ {
		part := eventLines(i*perFile, (i+1)*perFile)
		all.WriteString(part)
		if err := os.WriteFile(filepath.Join(many, fmt.Sprintf("kube-audit-%05d.log", i+1)), []byte(part), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(one, "kube-audit.log"), []byte(all.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	// Files written a moment ago are taken for a folder being written, which the reader
	// lists again after a quiet pause: age them as a finished export is.
	old := liveT0
	for _, dir := range []string{one, many} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if err := os.Chtimes(filepath.Join(dir, e.Name()), old, old); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, bc := range []struct{ name, dir string }{{"one-file", one}, {fmt.Sprintf("%d-files", files), many}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(all.Len()))
			for i := 0; i < b.N; i++ {
				srcs, err := Resolve([]string{bc.dir}, nil)
				if err != nil {
					b.Fatal(err)
				}
				r := NewReader(context.Background(), srcs, Options{Scope: NewScope(Kind{Resource: "configmaps"}), WritesOnly: true})
				n := 0
				for {
					if _, err := r.Next(); err != nil {
						break
					}
					n++
				}
				r.Close()
				if n != files*perFile {
					b.Fatalf("%d events, want %d", n, files*perFile)
				}
			}
		})
	}
}
