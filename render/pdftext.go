package render

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// Text in the PDF goes through the methods below, which shadow fpdf's own. Without a
// fallback font they are fpdf's. With one (--pdf-font), each string is cut into runs of
// characters DejaVu has and characters it lacks (Chinese, Japanese, Korean), and each run is
// measured and drawn in the font that has it: names in any script print, and the report's
// Latin text keeps its font.

// covered tells whether DejaVu Sans has a glyph for r.
var covered = sync.OnceValue(func() func(rune) bool {
	f, err := sfnt.Parse(fontRegular)
	if err != nil {
		return func(rune) bool { return true }
	}
	var buf sfnt.Buffer
	var mu sync.Mutex
	cache := map[rune]bool{}
	return func(r rune) bool {
		if r < 0x250 || unicode.IsSpace(r) {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		if v, ok := cache[r]; ok {
			return v
		}
		g, err := f.GlyphIndex(&buf, r)
		v := err == nil && g != 0
		cache[r] = v
		return v
	}
})

// textRun is a stretch of text drawn in one font.
type textRun struct {
	text     string
	fallback bool
}

func (d *pdfDoc) runs(s string) []textRun {
	var out []textRun
	has := covered()
	start, cur := 0, true
	for i, r := range s {
		c := has(r)
		if i == 0 {
			cur = c
			continue
		}
		if c != cur {
			out = append(out, textRun{s[start:i], !cur})
			start, cur = i, c
		}
	}
	if start < len(s) {
		out = append(out, textRun{s[start:], !cur})
	}
	return out
}

// useFont switches between the current font and the fallback font, at the same size.
func (d *pdfDoc) useFont(fallback bool) {
	if fallback {
		d.Fpdf.SetFont("fallback", "", d.size)
	} else {
		d.Fpdf.SetFont(d.family, d.style, d.size)
	}
}

// textWidth measures s in the fonts its runs are drawn in.
func (d *pdfDoc) textWidth(s string) float64 {
	if d.fallback == nil {
		return d.GetStringWidth(s)
	}
	var w float64
	for _, r := range d.runs(s) {
		d.useFont(r.fallback)
		w += d.GetStringWidth(r.text)
	}
	d.useFont(false)
	return w
}

// CellFormat draws one line of text in a cell, like fpdf's, after what is pending.
func (d *pdfDoc) CellFormat(w, h float64, s, border string, ln int, align string, fill bool, link int, linkStr string) {
	d.keep(0, 0)
	if d.fallback == nil || !needsFallback(s) {
		d.Fpdf.CellFormat(w, h, s, border, ln, align, fill, link, linkStr)
		return
	}
	x, y := d.GetXY()
	d.Fpdf.CellFormat(w, h, "", border, 0, "", fill, link, linkStr)
	m := d.GetCellMargin()
	tw := d.textWidth(s)
	tx := x + m
	switch align {
	case "C":
		tx = x + (w-tw)/2
	case "R":
		tx = x + w - m - tw
	}
	_, unit := d.GetFontSize()
	base := y + h/2 + 0.3*unit
	for _, r := range d.runs(s) {
		d.useFont(r.fallback)
		d.Text(tx, base, r.text)
		tx += d.GetStringWidth(r.text)
	}
	d.useFont(false)
	switch ln {
	case 0:
		d.SetXY(x+w, y)
	case 1:
		d.SetXY(pdfMargin, y+h)
	default:
		d.SetXY(x, y+h)
	}
}

// needsFallback reports whether s has a character DejaVu lacks.
func needsFallback(s string) bool {
	has := covered()
	for _, r := range s {
		if !has(r) {
			return true
		}
	}
	return false
}

// SplitText wraps s to lines that fit in w, like fpdf's: at spaces, or inside a word that is
// longer than a line.
func (d *pdfDoc) SplitText(s string, w float64) []string {
	if d.fallback == nil || !needsFallback(s) {
		return d.Fpdf.SplitText(s, w)
	}
	max := w - 2*d.GetCellMargin()
	var lines []string
	var line []rune
	lastSpace := -1
	for _, r := range s {
		if r == '\n' {
			lines = append(lines, string(line))
			line, lastSpace = line[:0], -1
			continue
		}
		line = append(line, r)
		if unicode.IsSpace(r) || r >= 0x2E80 { // CJK text breaks between any two characters
			lastSpace = len(line) - 1
		}
		if d.textWidth(string(line)) <= max || len(line) == 1 {
			continue
		}
		cut := len(line) - 1
		if lastSpace >= 0 && lastSpace < len(line)-1 {
			cut = lastSpace + 1
		}
		lines = append(lines, strings.TrimRight(string(line[:cut]), " "))
		line = append([]rune(nil), line[cut:]...)
		lastSpace = -1
		for i, c := range line {
			if unicode.IsSpace(c) || c >= 0x2E80 {
				lastSpace = i
			}
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return lines
}

// MultiCell draws wrapped text, like fpdf's, breaking the page where needed, after what is
// pending.
func (d *pdfDoc) MultiCell(w, h float64, s, border, align string, fill bool) {
	d.keep(0, 0)
	if d.fallback == nil || !needsFallback(s) {
		d.Fpdf.MultiCell(w, h, s, border, align, fill)
		return
	}
	if w == 0 {
		pw, _ := d.GetPageSize()
		w = pw - pdfMargin - d.GetX()
	}
	_, pageH := d.GetPageSize()
	_, _, _, bottom := d.GetMargins()
	x := d.GetX()
	for _, l := range d.SplitText(s, w) {
		if d.GetY()+h > pageH-bottom {
			d.AddPage()
		}
		d.SetX(x)
		d.CellFormat(w, h, l, border, 2, align, fill, 0, "")
	}
	d.SetX(pdfMargin)
}
