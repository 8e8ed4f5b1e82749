package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/audit"
)

// Chart geometry is computed once, here, in abstract chart units, and drawn
// twice: as inline SVG by the HTML template (one unit = one SVG user unit)
// and as PDF vector paths by pdf.go (one unit = ChartUnitMM millimetres).
// Neither format decides where a bar or an edge goes, so the two cannot
// disagree.

// ChartUnitMM is the size of one chart unit on a PDF page: a chart
// ChartWidth units wide fills the 180 mm text width of an A4 page.
const ChartUnitMM = 0.25

// ChartWidth is the width of every chart and diagram, in chart units.
const ChartWidth = 720

// Default bulk thresholds (DESIGN §6), used when the run carries no
// XB-BULK-DAILY finding whose evidence states the thresholds in force.
const (
	defaultBulkShare    = 0.5
	defaultBulkAbsolute = 1_000_000
)

// Box is a rectangle in chart units; Y grows downwards as in SVG.
type Box struct{ X, Y, W, H float64 }

// Tick is one labelled axis position.
type Tick struct {
	Pos   float64
	Label string
}

// Guide is a horizontal reference line across a chart's plot area.
type Guide struct {
	Y     float64
	Value int64
	Label string
}

// Bar is one day of a volume chart.
type Bar struct {
	Box
	Day      string
	Subjects int64
	Bulk     bool
}

// VolumeChart is one flow's distinct subjects per day over the days the run
// observed it (a continuous calendar from the first to the last day), with
// the subject-base line and the bulk threshold, bulk days in the alert
// colour.
type VolumeChart struct {
	Flow    string
	ID      string // anchor: "chart-" + a slug of the flow name
	W, H    float64
	Plot    Box
	Bars    []Bar
	YTicks  []Tick
	XTicks  []Tick
	Base    *Guide // the subject base; nil when unknown or far above the bars
	Bulk    *Guide // the bulk threshold; nil when off scale
	Notes   []string
	Caption string
	// BarsPath and BulkPath are the bars as SVG path data (one path per
	// colour keeps a 365-day chart small).
	BarsPath string
	BulkPath string
	BulkDays int
}

// DiagramNode is one box of the flow diagram.
type DiagramNode struct {
	Box
	Kind  string   // controller | recipient | country | undeclared
	Lines []string // label lines, already shortened to fit
	Alert bool
}

// DiagramEdge is one connection of the flow diagram: a cubic Bézier curve
// from (X1,Y1) to (X2,Y2) with control points C1 and C2.
type DiagramEdge struct {
	X1, Y1, C1X, C1Y, C2X, C2Y, X2, Y2 float64
	// Kind is "declared", "observed" (seen in the logs, not declared) or
	// "undeclared" (traffic matching no declared flow).
	Kind string
	Path string // SVG path data
}

// FlowDiagram is a controller → recipient → country diagram. Large
// inventories are split into several diagrams of at most diagramRows
// recipients each, so that every one fits a printed page.
type FlowDiagram struct {
	W, H  float64
	Nodes []DiagramNode
	Edges []DiagramEdge
	Part  string // "1/3" when split, "" otherwise
}

// diagramRows is the most recipients one diagram shows.
const diagramRows = 14

// Diagram geometry.
const (
	diagRowH     = 46.0
	diagNodeH    = 36.0
	diagTop      = 12.0
	diagCtrlX    = 4.0
	diagCtrlW    = 170.0
	diagRecipX   = 250.0
	diagRecipW   = 250.0
	diagCountryX = 590.0
	diagCountryW = 126.0
	diagFont     = 11.0 // label font size in chart units
)

// Volume chart geometry.
const (
	chartH      = 190.0
	chartLeft   = 74.0
	chartRight  = 10.0
	chartTop    = 14.0
	chartBottom = 26.0
	chartFont   = 9.0
	maxBarW     = 36.0
)

// newVolumeCharts builds a chart per flow with observations, in flow order.
func newVolumeCharts(r *Report, l map[string]string) []VolumeChart {
	run := r.Run
	if len(run.Observations) == 0 {
		return nil
	}
	byFlow := map[string]map[string]int64{}
	estimated := map[string]bool{}
	for _, o := range run.Observations {
		days := byFlow[o.Flow]
		if days == nil {
			days = map[string]int64{}
			byFlow[o.Flow] = days
		}
		days[o.Day] += o.Subjects
		if o.SubjectsEstimated {
			estimated[o.Flow] = true
		}
	}
	base, share, absolute := bulkParams(run)
	threshold := absolute
	if base > 0 {
		threshold = min(threshold, int64(math.Ceil(share*float64(base))))
	}
	flows := slices.Sorted(maps.Keys(byFlow))
	charts := make([]VolumeChart, 0, len(flows))
	for _, flow := range flows {
		charts = append(charts, volumeChart(flow, byFlow[flow], estimated[flow], base, threshold, l))
	}
	return charts
}

// bulkParams returns the subject base (active users, else total, as the
// XB-BULK-DAILY rule measures it) and the bulk thresholds: those stated in
// an XB-BULK-DAILY finding's evidence when the run has one, else the
// defaults. Without manifests the base comes from that evidence too.
func bulkParams(run *audit.Run) (base int64, share float64, absolute int64) {
	share, absolute = defaultBulkShare, defaultBulkAbsolute
	if m := run.Manifests; m != nil && m.Organization != nil {
		base = cmp.Or(m.Organization.Subjects.Active, m.Organization.Subjects.Total)
	}
	for _, f := range sortedFindings(run.Findings) {
		if f.Rule != "XB-BULK-DAILY" {
			continue
		}
		if th, ok := f.Evidence["thresholds"].(map[string]any); ok {
			if v, ok := number(th["bulkShare"]); ok && v > 0 {
				share = v
			}
			if v, ok := number(th["bulkAbsolute"]); ok && v > 0 {
				absolute = int64(v)
			}
		}
		if v, ok := number(f.Evidence["subjectBase"]); ok && base == 0 {
			base = int64(v)
		}
		break
	}
	return base, share, absolute
}

// number reads a JSON number decoded as float64, json.Number or an int.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func volumeChart(flow string, days map[string]int64, estimated bool, base, threshold int64, l map[string]string) VolumeChart {
	c := VolumeChart{Flow: flow, ID: "chart-" + slug(flow), W: ChartWidth, H: chartH}
	c.Plot = Box{X: chartLeft, Y: chartTop, W: ChartWidth - chartLeft - chartRight, H: chartH - chartTop - chartBottom}
	keys := slices.Sorted(maps.Keys(days))
	first, errFirst := audit.ParseDate(keys[0])
	last, errLast := audit.ParseDate(keys[len(keys)-1])
	// A continuous calendar, so that a missing day shows as a gap; days that
	// are not dates (never from the collectors) are placed one after another.
	var span []string
	if errFirst == nil && errLast == nil && last.Sub(first) < 3660*24*time.Hour {
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			span = append(span, d.Format(audit.DateLayout))
		}
	} else {
		span = keys
	}

	var peak int64
	for _, v := range days {
		peak = max(peak, v)
	}
	top := peak
	// Guides join the scale only when they are within 10× of the peak;
	// otherwise they would flatten the bars, and a note says where they are.
	onScale := func(v int64) bool { return v > 0 && (peak == 0 || v <= 10*peak) }
	if onScale(base) {
		top = max(top, base)
	}
	if onScale(threshold) {
		top = max(top, threshold)
	}
	step, top := niceScale(top)
	y := func(v int64) float64 { return c.Plot.Y + c.Plot.H - float64(v)/float64(top)*c.Plot.H }
	for v := int64(0); v <= top; v += step {
		c.YTicks = append(c.YTicks, Tick{Pos: y(v), Label: formatInt(v)})
	}

	n := float64(len(span))
	slot := c.Plot.W / n
	// Bars take 80% of their day's slot, at most maxBarW units.
	gap := 0.0
	if slot >= 4 {
		gap = max(slot*0.2, slot-maxBarW)
	}
	var bars, bulk strings.Builder
	for i, day := range span {
		v, ok := days[day]
		if !ok || v <= 0 {
			continue
		}
		b := Bar{Box: Box{X: c.Plot.X + float64(i)*slot + gap/2, W: slot - gap, Y: y(v)}, Day: day, Subjects: v}
		b.H = c.Plot.Y + c.Plot.H - b.Y
		b.Bulk = threshold > 0 && v >= threshold
		path := &bars
		if b.Bulk {
			path = &bulk
			c.BulkDays++
		}
		fmt.Fprintf(path, "M%s %sh%sv%sh-%sz", fnum(b.X), fnum(b.Y), fnum(b.W), fnum(b.H), fnum(b.W))
		c.Bars = append(c.Bars, b)
	}
	c.BarsPath, c.BulkPath = bars.String(), bulk.String()

	// At most 7 date labels, evenly spaced, always the first day.
	every := max(1, int(math.Ceil(n/7)))
	for i := 0; i < len(span); i += every {
		label := span[i]
		if len(label) == len("2006-01-02") && i > 0 {
			label = label[5:] // MM-DD after the first, which carries the year
		}
		c.XTicks = append(c.XTicks, Tick{Pos: c.Plot.X + (float64(i)+0.5)*slot, Label: label})
	}

	// The guides are named in the notes under the caption (the legend
	// gives their line styles), so no label sits on top of the bars.
	var guides []string
	if base > 0 {
		label := fmt.Sprintf(l["chart.base"], formatInt(base))
		if onScale(base) {
			c.Base = &Guide{Y: y(base), Value: base, Label: label}
			guides = append(guides, label)
		} else {
			c.Notes = append(c.Notes, fmt.Sprintf(l["chart.offscale"], label))
		}
	}
	if threshold > 0 {
		label := fmt.Sprintf(l["chart.threshold"], formatInt(threshold))
		if onScale(threshold) {
			c.Bulk = &Guide{Y: y(threshold), Value: threshold, Label: label}
			guides = append(guides, label)
		} else {
			c.Notes = append(c.Notes, fmt.Sprintf(l["chart.offscale"], label))
		}
	}
	if len(guides) > 0 {
		c.Notes = append([]string{strings.Join(guides, " · ")}, c.Notes...)
	}
	peakText := formatInt(peak)
	if estimated {
		peakText = "~" + peakText
	}
	c.Caption = fmt.Sprintf(l["chart.caption"], len(keys), span[0], span[len(span)-1], peakText, c.BulkDays)
	return c
}

// niceScale returns a round tick step (1, 2 or 5 × 10^k, at least 1) that
// divides the axis into at most five parts above zero, and the axis top, a multiple
// of the step at or above v.
func niceScale(v int64) (step, top int64) {
	if v <= 0 {
		return 1, 4
	}
	raw := float64(v) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = int64(mag)
	for _, f := range []float64{1, 2, 5, 10} {
		if f*mag >= raw {
			step = int64(f * mag)
			break
		}
	}
	step = max(step, 1)
	top = (v + step - 1) / step * step
	return step, top
}

// fnum writes a coordinate with at most two decimals, trailing zeros cut.
func fnum(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// slug makes an anchor from a name: lower-case letters and digits, other
// runs of characters as one '-'; a hostile name yields a harmless anchor.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// textWidth estimates the width of s at font size size, in the same unit:
// wide (CJK, Hangul) characters take a full em, others about half.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case isWide(r):
			w += 1.0
		case r == 'i' || r == 'l' || r == '.' || r == ',' || r == ':' || r == ' ' || r == '\'':
			w += 0.3
		case unicode.IsUpper(r) || r == 'm' || r == 'w':
			w += 0.68
		default:
			w += 0.56
		}
	}
	return w * size
}

func isWide(r rune) bool {
	return unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Han, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || (r >= 0xFF00 && r <= 0xFFEF)
}

// fit shortens s with an ellipsis so that it fits width at font size size.
func fit(s string, width, size float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && textWidth(string(rs)+"…", size) > width {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// diagramRow is one recipient of the flow diagram and where it sends to.
type diagramRow struct {
	label     []string
	alert     bool
	kind      string            // recipient | undeclared
	countries map[string]string // country → edge kind
}

// newFlowDiagrams lays out controller → recipient → country, split into
// parts of at most diagramRows recipients.
func newFlowDiagrams(r *Report, l map[string]string, inv []FlowView) []FlowDiagram {
	run := r.Run
	controller := l["controller"]
	if m := run.Manifests; m != nil && m.Organization != nil {
		controller = cmp.Or(m.Organization.LegalName, m.Organization.Name)
	}
	// Group the inventory's flows by recipient (flows without one, when the
	// manifests are missing, stand for themselves).
	type recip struct {
		name      string
		flows     []string
		alert     bool
		countries map[string]string
	}
	byRecip := map[string]*recip{}
	var order []string
	for _, f := range inv {
		key := cmp.Or(f.Recipient, f.Name)
		rc := byRecip[key]
		if rc == nil {
			rc = &recip{name: key, countries: map[string]string{}}
			byRecip[key] = rc
			order = append(order, key)
		}
		rc.flows = append(rc.flows, f.Name+" ("+cmp.Or(f.Type, l["observed"])+")")
		for _, c := range f.Countries {
			rc.countries[c] = "declared"
		}
		for _, c := range f.ObservedCountries {
			if _, ok := rc.countries[c]; !ok {
				rc.countries[c] = "observed"
				rc.alert = true
			}
		}
		if !f.Declared {
			rc.alert = true
		}
	}
	slices.Sort(order)
	rows := make([]diagramRow, 0, len(order)+len(run.Unmatched))
	for _, k := range order {
		rc := byRecip[k]
		rows = append(rows, diagramRow{label: []string{rc.name, strings.Join(rc.flows, ", ")}, alert: rc.alert, kind: "recipient", countries: rc.countries})
	}
	unmatched := map[string]map[string]string{}
	for _, u := range run.Unmatched {
		if unmatched[u.Key] == nil {
			unmatched[u.Key] = map[string]string{}
		}
		if u.Country != "" {
			unmatched[u.Key][u.Country] = "undeclared"
		}
	}
	for _, k := range slices.Sorted(maps.Keys(unmatched)) {
		rows = append(rows, diagramRow{label: []string{fmt.Sprintf(l["diagram.undeclared"], k), l["diagram.shadow"]}, alert: true, kind: "undeclared", countries: unmatched[k]})
	}
	if len(rows) == 0 {
		return nil
	}
	parts := (len(rows) + diagramRows - 1) / diagramRows
	diagrams := make([]FlowDiagram, 0, parts)
	for p := range parts {
		chunk := rows[p*diagramRows : min(len(rows), (p+1)*diagramRows)]
		d := flowDiagram(controller, chunk, l)
		if parts > 1 {
			d.Part = fmt.Sprintf("%d/%d", p+1, parts)
		}
		diagrams = append(diagrams, d)
	}
	return diagrams
}

func flowDiagram(controller string, rows []diagramRow, l map[string]string) FlowDiagram {
	countries := map[string]bool{}
	for _, r := range rows {
		for c := range r.countries {
			countries[c] = true
		}
	}
	cs := slices.Sorted(maps.Keys(countries))
	n := max(len(rows), len(cs), 1)
	d := FlowDiagram{W: ChartWidth, H: diagTop*2 + float64(n)*diagRowH - (diagRowH - diagNodeH)}
	label := func(s string, w float64) string { return fit(s, w-12, diagFont) }
	// Rows and countries are centred vertically in the diagram.
	rowY := func(i, count int) float64 {
		offset := (float64(n) - float64(count)) * diagRowH / 2
		return diagTop + offset + float64(i)*diagRowH
	}
	ctrl := DiagramNode{Box: Box{X: diagCtrlX, Y: (d.H - diagNodeH) / 2, W: diagCtrlW, H: diagNodeH}, Kind: "controller",
		Lines: []string{label(controller, diagCtrlW), label(l["controller"], diagCtrlW)}}
	d.Nodes = append(d.Nodes, ctrl)
	countryY := map[string]float64{}
	for i, c := range cs {
		y := rowY(i, len(cs))
		countryY[c] = y + diagNodeH/2
		alert := true
		for _, r := range rows {
			if r.countries[c] == "declared" {
				alert = false
			}
		}
		d.Nodes = append(d.Nodes, DiagramNode{Box: Box{X: diagCountryX, Y: y, W: diagCountryW, H: diagNodeH}, Kind: "country",
			Lines: []string{c, label(countryName(l, c), diagCountryW)}, Alert: alert})
	}
	for i, r := range rows {
		y := rowY(i, len(rows))
		d.Nodes = append(d.Nodes, DiagramNode{Box: Box{X: diagRecipX, Y: y, W: diagRecipW, H: diagNodeH}, Kind: r.kind,
			Lines: []string{label(r.label[0], diagRecipW), label(r.label[1], diagRecipW)}, Alert: r.alert})
		kind := "declared"
		if r.kind == "undeclared" {
			kind = "undeclared"
		}
		d.Edges = append(d.Edges, edge(ctrl.X+ctrl.W, ctrl.Y+ctrl.H/2, diagRecipX, y+diagNodeH/2, kind))
		for _, c := range slices.Sorted(maps.Keys(r.countries)) {
			d.Edges = append(d.Edges, edge(diagRecipX+diagRecipW, y+diagNodeH/2, diagCountryX, countryY[c], r.countries[c]))
		}
	}
	return d
}

// edge is a horizontal S-curve between two points.
func edge(x1, y1, x2, y2 float64, kind string) DiagramEdge {
	mid := (x1 + x2) / 2
	e := DiagramEdge{X1: x1, Y1: y1, C1X: mid, C1Y: y1, C2X: mid, C2Y: y2, X2: x2, Y2: y2, Kind: kind}
	e.Path = "M" + fnum(x1) + " " + fnum(y1) + "C" + fnum(mid) + " " + fnum(y1) + " " + fnum(mid) + " " + fnum(y2) + " " + fnum(x2) + " " + fnum(y2)
	return e
}

// countryName is the localised name of a country code, the code itself
// when the catalogue has none.
func countryName(l map[string]string, code string) string {
	if n, ok := l["country."+code]; ok {
		return n
	}
	return code
}

// diagramLineY is the baseline of a node's i-th label line, from its top.
func diagramLineY(i int) float64 { return 15 + float64(i)*14 }
