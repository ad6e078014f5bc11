package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayers enforces the direction data flows in: audit knows nothing of the project,
// report (its rooms report/history and report/posture included) knows audit, render knows
// report and templates but never audit events.
func TestLayers(t *testing.T) {
	const mod = "github.com/auditreport/auditreport/"
	forbidden := map[string][]string{
		"audit":  {"report", "render", "cli", "templates"},
		"report": {"render", "cli", "templates"},
		"render": {"audit", "cli"},
	}
	for dir, bad := range forbidden {
		var files []string
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case strings.HasSuffix(path, ".go"):
				files = append(files, path)
			}
			return nil
		})
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range bad {
					if path == mod+b || strings.HasPrefix(path, mod+b+"/") {
						t.Errorf("%s imports %s: %s must not depend on %s", f, path, dir, b)
					}
				}
			}
		}
	}
}
