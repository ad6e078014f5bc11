package render

import "fmt"

// posture draws the posture section: the summary sentence, the timeline of protected pods,
// the unprotected, exposed and unknown pods with since when and by which change, and the
// namespaces.
func (d *pdfDoc) posture() {
	pv := d.v.Protection
	if pv == nil {
		return
	}
	d.heading("Network-policy posture")
	d.para(pv.PostureText()+" A pod counts as protected only if a NetworkPolicy of the direction selected it for all of its life in the period; an exposure counts if it held at any moment.", colText)
	if len(pv.Timeline) > 0 {
		d.postureChart(pv)
	}
	if len(pv.NotEvaluated) > 0 {
		d.para(fmt.Sprintf("%d Calico or admin network polic(ies) are present and not evaluated: the verdicts they could change are unknown.", len(pv.NotEvaluated)), colWarning)
	}
	if len(pv.Rows) > 0 {
		d.subheading("Pods unprotected, exposed or unknown at some time")
		rows := make([][]string, 0, len(pv.Rows))
		colors := make([]rgb, 0, len(pv.Rows))
		for _, r := range pv.Rows {
			rows = append(rows, []string{r.ID, r.Pod, r.Ingress, r.Egress, r.Internet, r.OtherNS, r.Unprotected, r.Cause})
			c := colText
			if r.Ingress == "NOT protected" || r.Egress == "NOT protected" {
				c = colError
			}
			colors = append(colors, c)
		}
		d.table([]col{{"Change ID", 0.1, "L"}, {"Pod", 0.14, "L"}, {"Ingress", 0.095, "L"}, {"Egress", 0.095, "L"}, {"Internet", 0.085, "L"},
			{"Other ns", 0.085, "L"}, {"Unprotected", 0.12, "L"}, {"Last change against it", 0.28, "L"}}, rows, colors)
		if pv.More > 0 {
			d.para(fmt.Sprintf("%d more pod(s) are not shown here: see the JSON or the endpoints CSV.", pv.More), colMuted)
		}
	}
	if len(pv.Namespaces) > 0 {
		d.subheading("Namespaces (protected only if all their pods were)")
		rows := make([][]string, 0, len(pv.Namespaces))
		for _, n := range pv.Namespaces {
			rows = append(rows, []string{n.Namespace, triText(n.IngressProtected, "protected"), triText(n.EgressProtected, "protected"),
				fmt.Sprint(n.Endpoints), fmt.Sprint(n.IngressUnprotected), fmt.Sprint(n.EgressUnprotected)})
		}
		d.table([]col{{"Namespace", 0.3, "L"}, {"Ingress", 0.15, "L"}, {"Egress", 0.15, "L"}, {"Pods", 0.1, "R"},
			{"Without ingress policy", 0.15, "R"}, {"Without egress policy", 0.15, "R"}}, rows, nil)
	}
}

// postureChart draws the timeline as stacked bars: protected, unknown, unprotected.
func (d *pdfDoc) postureChart(pv *PostureView) {
	const h = 30.0
	d.keep(h+16, 0)
	most := 0
	for _, pt := range pv.Timeline {
		most = max(most, pt.Protected+pt.Unprotected+pt.Unknown)
	}
	if most == 0 {
		return
	}
	x0, y0 := pdfMargin+10, d.GetY()+2
	plotW := d.width - 12
	bw := plotW / float64(len(pv.Timeline))
	d.SetDrawColor(colMuted.r, colMuted.g, colMuted.b)
	d.Line(x0, y0+h, x0+plotW, y0+h)
	d.font("sans", "", 7, colMuted)
	d.SetXY(pdfMargin, y0-1)
	d.CellFormat(9, 3, fmt.Sprint(most), "", 0, "R", false, 0, "")
	for i, pt := range pv.Timeline {
		y := y0 + h
		for _, seg := range []struct {
			n int
			c rgb
		}{{pt.Protected, colOK}, {pt.Unknown, colWarning}, {pt.Unprotected, colError}} {
			sh := h * float64(seg.n) / float64(most)
			y -= sh
			if seg.n > 0 {
				d.SetFillColor(seg.c.r, seg.c.g, seg.c.b)
				d.Rect(x0+float64(i)*bw+0.1, y, max(bw-0.2, 0.2), sh, "F")
			}
		}
	}
	d.SetXY(x0, y0+h+0.5)
	d.CellFormat(plotW/2, 3.5, Time(pv.Timeline[0].At), "", 0, "L", false, 0, "")
	d.CellFormat(plotW/2, 3.5, Time(pv.Timeline[len(pv.Timeline)-1].At), "", 0, "R", false, 0, "")
	y := y0 + h + 5
	x := x0
	for _, l := range []struct {
		c    rgb
		name string
	}{{colOK, "protected both ways"}, {colWarning, "unknown"}, {colError, "unprotected in a direction"}} {
		d.SetFillColor(l.c.r, l.c.g, l.c.b)
		d.Rect(x, y, 3, 3, "F")
		d.SetXY(x+4, y-0.3)
		d.font("sans", "", 7.5, colText)
		d.CellFormat(44, 3.6, l.name, "", 0, "L", false, 0, "")
		x += 50
	}
	d.SetY(y + 7)
}
