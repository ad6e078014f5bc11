package render

import (
	"bytes"
	"sync"
	"testing"
)

// The documents of one run share one view of a report (building it reads every row of the
// histories, which may be on disk), and what they write is what each writes on its own.
func TestViewsBuildOncePerReport(t *testing.T) {
	r, other := loadReport(t, "ha-3-nodes"), loadReport(t, "with-gaps")
	views := &Views{}
	var wg sync.WaitGroup
	got := make([]*View, 8)
	for i := range got {
		wg.Go(func() { got[i] = views.View(r, 5) })
	}
	wg.Wait()
	for _, v := range got[1:] {
		if v != got[0] {
			t.Fatal("the same report and row limit gave two views")
		}
	}
	if views.View(r, 6) == got[0] || views.View(other, 5) == got[0] {
		t.Error("another row limit or another report was given the first view")
	}
	for _, tc := range []struct {
		name          string
		shared, alone Renderer
	}{
		{"markdown", &Markdown{MaxRows: 5, Views: views}, &Markdown{MaxRows: 5}},
		{"html", &HTML{MaxRows: 5, Views: views}, &HTML{MaxRows: 5}},
		{"pdf", &PDF{MaxRows: 5, Views: views}, &PDF{MaxRows: 5}},
	} {
		var a, b bytes.Buffer
		if err := tc.shared.Render(&a, other); err != nil {
			t.Fatal(err)
		}
		if err := tc.alone.Render(&b, other); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: a shared view writes another document than the renderer's own", tc.name)
		}
	}
}
