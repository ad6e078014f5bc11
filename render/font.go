package render

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"

	"github.com/auditreport/auditreport/report"
)

// No silent boxes: the PDF draws what DejaVu lacks (Chinese, Japanese, Korean names) in a
// second font, --pdf-font or else one installed on the machine that has those characters,
// and says which characters no font could draw, in which fields of the report.

// FontDirs are the folders searched for a font with the characters DejaVu lacks:
// $AUDITREPORT_FONT_DIRS (colon-separated) when set, else fontconfig's default folders.
func FontDirs() []string {
	if v, ok := os.LookupEnv("AUDITREPORT_FONT_DIRS"); ok {
		return filepath.SplitList(v)
	}
	var dirs []string
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "fonts"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "share", "fonts"), filepath.Join(home, ".fonts"))
	}
	return append(dirs, "/usr/local/share/fonts", "/usr/share/fonts")
}

// Uncovered returns the characters of the report's text that DejaVu Sans lacks, sorted.
func Uncovered(r *report.Report) []rune {
	has := covered()
	seen := map[rune]bool{}
	walkText(reflect.ValueOf(r), "", func(_, s string) {
		for _, c := range s {
			if !has(c) {
				seen[c] = true
			}
		}
	})
	out := make([]rune, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// fontCover tells which characters a TrueType font has.
func fontCover(f *sfnt.Font) func(rune) bool {
	var buf sfnt.Buffer
	return func(r rune) bool {
		g, err := f.GlyphIndex(&buf, r)
		return err == nil && g != 0
	}
}

// FindFont looks in dirs for the TrueType font (.ttf) with the most of need, and returns its
// path and bytes; "" when none has any. Font collections (.ttc) and CFF-outline fonts
// (Noto CJK's .otf) cannot be embedded and are passed over.
func FindFont(dirs []string, need []rune) (string, []byte) {
	if len(need) == 0 {
		return "", nil
	}
	best, bestN := "", 0
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".ttf") || bestN == len(need) {
				return nil
			}
			n := countCovered(path, need)
			// Droid Sans Fallback (Debian's fonts-droid-fallback) wins a tie: it is the one
			// the README names.
			if n > bestN || (n == bestN && n > 0 && strings.Contains(filepath.Base(path), "DroidSansFallback")) {
				best, bestN = path, n
			}
			return nil
		})
	}
	if best == "" {
		return "", nil
	}
	b, err := os.ReadFile(best)
	if err != nil || CheckFont(b) != nil {
		return "", nil
	}
	return best, b
}

// countCovered is how many of need the font at path has (0 when it is not a TrueType font).
func countCovered(path string, need []rune) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := f.ReadAt(magic, 0); err != nil || CheckFont(magic) != nil {
		return 0
	}
	font, err := sfnt.ParseReaderAt(f)
	if err != nil {
		return 0
	}
	has, n := fontCover(font), 0
	for _, r := range need {
		if has(r) {
			n++
		}
	}
	return n
}

// FieldCount is how many characters of one field of the report the PDF cannot draw. Field is
// its path in the JSON report, indexes left out: resources[].history[].user.
type FieldCount struct {
	Field string
	Chars int
}

// Undrawn counts, per field, the characters of the report that neither DejaVu nor font (nil:
// no second font) has: the PDF cannot draw them.
func Undrawn(r *report.Report, font []byte) []FieldCount {
	has := covered()
	var second func(rune) bool
	if font != nil {
		if f, err := sfnt.Parse(font); err == nil {
			second = fontCover(f)
		}
	}
	counts := map[string]int{}
	walkText(reflect.ValueOf(r), "", func(path, s string) {
		for _, c := range s {
			if !has(c) && (second == nil || !second(c)) {
				counts[path]++
			}
		}
	})
	out := make([]FieldCount, 0, len(counts))
	for f, n := range counts {
		out = append(out, FieldCount{f, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// UndrawnText says what Undrawn found, for stderr and the report's warnings.
func UndrawnText(fc []FieldCount) string {
	total := 0
	var fields []string
	for _, f := range fc {
		total += f.Chars
		fields = append(fields, fmt.Sprintf("%s (%d)", f.Field, f.Chars))
	}
	return fmt.Sprintf("the PDF cannot draw %d character(s), in %s: neither DejaVu Sans nor any installed font has them, and they print as empty boxes; give --pdf-font a TrueType font that does (for Chinese, Japanese and Korean: Debian's fonts-droid-fallback, /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf)",
		total, strings.Join(fields, ", "))
}

// walkText calls fn with every string in v that is not all ASCII, and its path in the JSON
// form of the report. Its callers look for characters DejaVu lacks, which are never ASCII;
// a report is hundreds of megabytes of mostly ASCII, so the walk neither spells out paths
// nor copies raw values but for the strings passed on.
func walkText(v reflect.Value, path string, fn func(path, s string)) {
	w := textWalk{fn: fn, path: []string{path}}
	w.walk(v)
}

// textWalk holds the path being walked as its parts, joined only for a string passed on.
type textWalk struct {
	fn   func(path, s string)
	path []string
}

func (w *textWalk) found(s string) {
	p := strings.Join(w.path, "")
	w.fn(strings.TrimPrefix(p, "."), s)
}

func (w *textWalk) under(part string, v reflect.Value) {
	w.path = append(w.path, part)
	w.walk(v)
	w.path = w.path[:len(w.path)-1]
}

func (w *textWalk) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.String:
		if s := v.String(); !isASCII(s) {
			w.found(s)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if b := v.Bytes(); !isASCII(b) {
				w.found(string(b)) // json.RawMessage: a value of a diff
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			w.under("[]", v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			w.walk(iter.Key())
			w.under("{}", iter.Value())
		}
	case reflect.Struct:
		for _, f := range textFieldsOf(v.Type()) {
			if f.inline {
				w.walk(v.Field(f.index))
				continue
			}
			w.under(f.key, v.Field(f.index))
		}
	}
}

// textField is a field walkText follows: its JSON name, or inline for an embedded struct
// without one.
type textField struct {
	index  int
	key    string // "." and the name
	inline bool
}

var textFields sync.Map // reflect.Type -> []textField

func textFieldsOf(t reflect.Type) []textField {
	if fs, ok := textFields.Load(t); ok {
		return fs.([]textField)
	}
	var fs []textField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "":
			fs = append(fs, textField{index: i, inline: true})
			continue
		case name == "":
			name = f.Name
		}
		fs = append(fs, textField{index: i, key: "." + name})
	}
	textFields.Store(t, fs)
	return fs
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
