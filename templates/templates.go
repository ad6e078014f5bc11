// Package templates holds the templates of the HTML and Markdown reports. They are compiled
// into the binary; `--template FILE` renders a user's own template over the same model.
package templates

import "embed"

// FS holds report.html.tmpl and report.md.tmpl.
//
//go:embed *.tmpl
var FS embed.FS
