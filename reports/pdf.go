package reports

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/xborder/xborder/internal/audit"
)

// The PDF's typeface is NanumGothic (regular and bold) from Debian's
// fonts-nanum package, under the SIL Open Font License (fonts/OFL.txt).
// fpdf embeds only the glyphs a report uses.
var (
	//go:embed fonts/NanumGothic.ttf
	fontRegular []byte
	//go:embed fonts/NanumGothicBold.ttf
	fontBold []byte
)

// PDF writes the regulator's report as an A4 document: the same sections as
// the html format, from the same View, in the same order, with a table of
// contents (also as PDF bookmarks), page numbers, the flow diagram and the
// daily volume charts drawn as vector paths, and an embedded subset of a
// Hangul TrueType font, so that Korean text renders on any reader.
//
// The same run always yields the same bytes: the document's dates are the
// run's finish time, resources are written in sorted order and nothing
// random is drawn. The file is sealed (integrity.go); its seal is the
// document's Keywords property.
func PDF(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	b, err := renderPDF(r, NewView(r))
	if err != nil {
		return fmt.Errorf("reports: render pdf: %w", err)
	}
	if err := sealReport(b, r.Run, r.SignKey); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("reports: write pdf: %w", err)
	}
	return nil
}

// Page geometry, in millimetres.
const (
	pageW   = 210.0
	pageH   = 297.0
	marginL = 15.0
	marginR = 15.0
	marginT = 20.0
	marginB = 18.0
	textW   = pageW - marginL - marginR
	bottomY = pageH - marginB
)

type rgb struct{ r, g, b int }

var (
	colInk      = rgb{27, 31, 36}
	colMuted    = rgb{89, 99, 110}
	colRule     = rgb{208, 215, 222}
	colBg       = rgb{246, 248, 250}
	colBar      = rgb{74, 111, 165}
	colCritical = rgb{164, 14, 38}
	colPass     = rgb{26, 127, 55}
	colCtrl     = rgb{221, 244, 255}
	colCtrlLine = rgb{9, 105, 218}
	colAlertBg  = rgb{255, 235, 233}
	colWhite    = rgb{255, 255, 255}
	sevColors   = map[string]rgb{
		"critical": colCritical,
		"high":     {207, 34, 46},
		"medium":   {154, 103, 0},
		"low":      {9, 105, 218},
	}
)

func sevColor(name string) rgb {
	if c, ok := sevColors[name]; ok {
		return c
	}
	return colMuted
}

// pdfDoc is one PDF being laid out.
type pdfDoc struct {
	p     *fpdf.Fpdf
	v     *View
	links map[string]int // section id → internal link
}

// pdfTime is the document date: the run's finish (or start) time, so that
// the same run always yields the same bytes.
func pdfTime(run *audit.Run) time.Time {
	for _, t := range []time.Time{run.Finished, run.Started} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
}

func renderPDF(r *Report, v *View) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	stamp := pdfTime(r.Run)
	p.SetCreationDate(stamp)
	p.SetModificationDate(stamp)
	p.SetCatalogSort(true)
	// Fonts before AliasNbPages: fpdf then keeps the digits in every
	// subset, which the page-number aliases are replaced with.
	p.AddUTF8FontFromBytes("nanum", "", fontRegular)
	p.AddUTF8FontFromBytes("nanum", "B", fontBold)
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	p.AliasNbPages("{nb}")
	p.SetMargins(marginL, marginT, marginR)
	p.SetAutoPageBreak(false, marginB)
	p.SetCellMargin(0)
	p.SetLang(v.Lang)
	p.SetTitle(v.L["title"], true)
	if v.Organization != "" {
		p.SetSubject(v.Organization, true)
	}
	p.SetCreator(v.Tool, true)
	p.SetProducer(v.Tool, true)
	p.SetKeywords(v.Integrity.Seal, false)

	d := &pdfDoc{p: p, v: v, links: map[string]int{}}
	for _, s := range v.Sections {
		d.links[s.ID] = p.AddLink()
		for _, sub := range s.Sub {
			d.links[sub.ID] = p.AddLink()
		}
	}
	p.SetHeaderFuncMode(d.header, false)
	p.SetFooterFunc(d.footer)

	p.AddPage()
	d.titleBlock()
	d.contents()
	p.AddPage()
	d.summary()
	d.inventory()
	d.diagrams()
	d.findings()
	d.charts()
	d.dataQuality()
	d.integrity()

	var b strings.Builder
	if err := p.Output(&b); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// --- primitives

func (d *pdfDoc) font(style string, size float64, c rgb) {
	d.p.SetFont("nanum", style, size)
	d.p.SetTextColor(c.r, c.g, c.b)
}

func (d *pdfDoc) fill(c rgb) { d.p.SetFillColor(c.r, c.g, c.b) }
func (d *pdfDoc) draw(c rgb) { d.p.SetDrawColor(c.r, c.g, c.b) }

// lineH is the line height of a font size in points, in millimetres.
func lineH(size float64) float64 { return size * 0.3528 * 1.4 }

// split wraps text to width w in the current font; it never returns no line.
func (d *pdfDoc) split(text string, w float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		if para == "" {
			out = append(out, "")
			continue
		}
		out = append(out, d.p.SplitText(para, w)...)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// need starts a new page unless h millimetres fit below the cursor.
func (d *pdfDoc) need(h float64) {
	if d.p.GetY()+h > bottomY {
		d.p.AddPage()
	}
}

// text writes wrapped text at the cursor across the text width (or from x
// with width w), breaking pages between lines.
func (d *pdfDoc) text(x, w float64, style string, size float64, c rgb, s string) {
	d.font(style, size, c)
	lh := lineH(size)
	for _, line := range d.split(s, w) {
		d.need(lh)
		d.p.SetX(x)
		d.p.CellFormat(w, lh, line, "", 2, "L", false, 0, "")
	}
}

func (d *pdfDoc) gap(h float64) {
	if d.p.GetY()+h <= bottomY {
		d.p.SetY(d.p.GetY() + h)
	}
}

// rule draws a horizontal line across the text width at the cursor.
func (d *pdfDoc) rule(c rgb, width float64) {
	d.draw(c)
	d.p.SetLineWidth(width)
	y := d.p.GetY()
	d.p.Line(marginL, y, marginL+textW, y)
}

func (d *pdfDoc) header() {
	p := d.p
	if p.PageNo() == 1 {
		return
	}
	d.font("", 7.5, colMuted)
	left := d.v.L["title"]
	if d.v.Organization != "" {
		left += " — " + d.v.Organization
	}
	right := d.v.L["asOfLabel"] + " " + d.v.AsOf + " · " + d.v.Integrity.RunID
	p.SetXY(marginL, 10)
	p.CellFormat(textW*0.6, 4, fitMM(p, left, textW*0.6), "", 0, "L", false, 0, "")
	p.CellFormat(textW*0.4, 4, fitMM(p, right, textW*0.4), "", 0, "R", false, 0, "")
	p.SetY(15)
	d.rule(colRule, 0.2)
	p.SetY(marginT)
}

func (d *pdfDoc) footer() {
	p := d.p
	d.font("", 7.5, colMuted)
	p.SetXY(marginL, pageH-12)
	left := d.v.Tool
	if h := d.v.Integrity.Hash; h != "" {
		left += " · " + d.v.L["hash"] + " " + h[:min(16, len(h))] + "…"
	}
	p.CellFormat(textW*0.7, 4, left, "", 0, "L", false, 0, "")
	p.CellFormat(textW*0.3, 4, fmt.Sprintf(d.v.L["page"], p.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
}

// fitMM shortens s with an ellipsis to fit w millimetres in the current font.
func fitMM(p *fpdf.Fpdf, s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && p.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// pageAlias is the placeholder of a section's page number in the table of
// contents, replaced when the document is written.
func pageAlias(id string) string { return "{p:" + id + "}" }

// heading starts a section: a link target, a bookmark, the page alias and
// the title with a rule under it.
func (d *pdfDoc) heading(s Section) {
	p := d.p
	d.need(28)
	if p.GetY() > marginT+1 {
		d.gap(4)
	}
	p.SetLink(d.links[s.ID], p.GetY(), p.PageNo())
	p.RegisterAlias(pageAlias(s.ID), strconv.Itoa(p.PageNo()))
	d.font("B", 14, colInk)
	p.Bookmark(s.Title, 0, -1)
	p.SetX(marginL)
	p.CellFormat(textW, 8, s.Title, "", 2, "L", false, 0, "")
	d.rule(colInk, 0.5)
	d.gap(3)
}

// subheading is a level-2 title (an article group, a table caption).
func (d *pdfDoc) subheading(title string, s *Section) {
	p := d.p
	d.need(24)
	d.gap(2)
	if s != nil {
		p.SetLink(d.links[s.ID], p.GetY(), p.PageNo())
		p.RegisterAlias(pageAlias(s.ID), strconv.Itoa(p.PageNo()))
		d.font("B", 11.5, colInk)
		p.Bookmark(s.Title, 1, -1)
	}
	d.text(marginL, textW, "B", 11.5, colInk, title)
	d.gap(1.5)
}

// kv writes label/value rows: the label in a muted column, the value wrapped.
func (d *pdfDoc) kv(rows []Row, labelW float64) {
	for _, r := range rows {
		d.font("", 8.5, colInk)
		lines := d.split(r.Value, textW-labelW-2)
		lh := lineH(8.5)
		d.need(min(float64(len(lines))*lh, 3*lh) + 1)
		y0 := d.p.GetY()
		d.font("B", 8, colMuted)
		d.p.SetXY(marginL+1, y0)
		d.p.CellFormat(labelW-2, lh, fitMM(d.p, r.Key, labelW-2), "", 0, "L", false, 0, "")
		d.font("", 8.5, colInk)
		for i, line := range lines {
			if i > 0 {
				d.need(lh)
			}
			d.p.SetX(marginL + labelW)
			d.p.CellFormat(textW-labelW, lh, line, "", 2, "L", false, 0, "")
		}
		d.gap(0.6)
		d.rule(colRule, 0.1)
		d.gap(0.6)
	}
}

// column is one column of a table.
type column struct {
	title string
	w     float64 // share of the text width
	right bool
}

// table writes a table with a shaded header row, repeated on every page
// the table spans, and wrapped cells.
func (d *pdfDoc) table(cols []column, rows [][]string, size float64) {
	p := d.p
	lh := lineH(size)
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = c.w * textW
	}
	head := func() {
		d.font("B", size, colInk)
		var lines [][]string
		h := 0.0
		for i, c := range cols {
			ls := d.split(c.title, widths[i]-2)
			lines = append(lines, ls)
			h = max(h, float64(len(ls))*lh)
		}
		d.need(h + 2 + lh)
		y := p.GetY()
		d.fill(colBg)
		p.Rect(marginL, y, textW, h+1.5, "F")
		x := marginL
		for i, c := range cols {
			for j, l := range lines[i] {
				p.SetXY(x+1, y+0.75+float64(j)*lh)
				p.CellFormat(widths[i]-2, lh, l, "", 0, alignOf(c.right), false, 0, "")
			}
			x += widths[i]
		}
		p.SetY(y + h + 1.5)
		d.rule(colRule, 0.3)
	}
	if len(rows) > 0 {
		// Keep the header with the first row.
		d.font("", size, colInk)
		first := 1
		for i, c := range rows[0] {
			if i < len(widths) {
				first = max(first, len(d.split(c, widths[i]-2)))
			}
		}
		d.need(float64(first)*lh + 3*lh + 4)
	}
	head()
	for _, row := range rows {
		d.font("", size, colInk)
		var lines [][]string
		h := 0.0
		for i := range cols {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			ls := d.split(cell, widths[i]-2)
			lines = append(lines, ls)
			h = max(h, float64(len(ls))*lh)
		}
		if p.GetY()+h+1.5 > bottomY {
			p.AddPage()
			head()
			d.font("", size, colInk)
		}
		y := p.GetY()
		x := marginL
		for i, c := range cols {
			for j, l := range lines[i] {
				p.SetXY(x+1, y+0.75+float64(j)*lh)
				p.CellFormat(widths[i]-2, lh, l, "", 0, alignOf(c.right), false, 0, "")
			}
			x += widths[i]
		}
		p.SetY(y + h + 1.5)
		d.rule(colRule, 0.1)
	}
	d.gap(3)
}

func alignOf(right bool) string {
	if right {
		return "R"
	}
	return "L"
}

// --- sections

func (d *pdfDoc) titleBlock() {
	p, v := d.p, d.v
	p.SetY(marginT + 6)
	d.text(marginL, textW, "B", 22, colInk, v.L["title"])
	if v.Organization != "" {
		d.gap(1)
		d.text(marginL, textW, "", 14, colInk, v.Organization)
	}
	d.gap(4)
	rows := []Row{
		{v.L["asOfLabel"], v.AsOf},
		{v.L["mode"], v.Mode},
		{v.L["tool"], v.Tool},
		{v.L["runID"], v.Integrity.RunID},
		{v.L["hash"], v.Integrity.Hash},
	}
	d.kv(rows, 38)
	d.gap(3)
	// The verdict, white on red or green.
	c := colPass
	if !v.Verdict.Pass {
		c = sevColor("high")
	}
	d.font("B", 11, colWhite)
	w := p.GetStringWidth(v.Verdict.Text) + 8
	d.fill(c)
	p.RoundedRect(marginL, p.GetY(), w, 8, 1.2, "1234", "F")
	p.SetXY(marginL+4, p.GetY())
	p.CellFormat(w-8, 8, v.Verdict.Text, "", 2, "L", false, 0, "")
	d.gap(6)
}

// contents writes the table of contents; page numbers are aliases that
// fpdf replaces once every section's page is known.
func (d *pdfDoc) contents() {
	p, v := d.p, d.v
	d.text(marginL, textW, "B", 14, colInk, v.L["toc"])
	d.rule(colInk, 0.5)
	d.gap(3)
	entry := func(s Section, num string, indent, size float64, style string) {
		lh := lineH(size) + 0.8
		d.need(lh)
		y := p.GetY()
		d.font(style, size, colInk)
		title := fitMM(p, num+s.Title, textW-indent-18)
		p.SetXY(marginL+indent, y)
		p.CellFormat(p.GetStringWidth(title), lh, title, "", 0, "L", false, d.links[s.ID], "")
		// A dotted leader to the page number.
		x0 := marginL + indent + p.GetStringWidth(title) + 2
		x1 := marginL + textW - 12
		if x1 > x0 {
			d.draw(colRule)
			p.SetLineWidth(0.2)
			p.SetDashPattern([]float64{0.4, 1}, 0)
			p.Line(x0, y+lh*0.7, x1, y+lh*0.7)
			p.SetDashPattern([]float64{}, 0)
		}
		p.SetXY(marginL+textW-10, y)
		d.font("", size, colInk)
		p.CellFormat(10, lh, pageAlias(s.ID), "", 2, "L", false, d.links[s.ID], "")
	}
	for i, s := range v.Sections {
		entry(s, strconv.Itoa(i+1)+". ", 0, 10.5, "B")
		for _, sub := range s.Sub {
			entry(sub, "", 6, 9, "")
		}
	}
}

func (d *pdfDoc) section(id string) Section {
	for _, s := range d.v.Sections {
		if s.ID == id {
			return s
		}
	}
	return Section{ID: id, Title: id}
}

func (d *pdfDoc) summary() {
	p, v := d.p, d.v
	d.heading(d.section("summary"))
	// Severity cards: count over label, a coloured bar on top.
	type card struct {
		n, label, note string
		c              rgb
	}
	var first, second []card
	for _, s := range v.Summary.Severities {
		first = append(first, card{strconv.Itoa(s.Count), s.Label, "", sevColor(s.Name)})
	}
	first = append(first,
		card{strconv.Itoa(v.Summary.Waived), v.L["waived"], "", colMuted},
		card{strconv.Itoa(v.Summary.Baselined), v.L["baselined"], "", colMuted})
	second = append(second,
		card{strconv.Itoa(v.Summary.Flows), v.L["flows"], fmt.Sprintf(v.L["flowsWithFindings"], v.Summary.FlowsWithFindings), colMuted},
		card{strconv.Itoa(len(v.Summary.Countries)), v.L["countries"], strings.Join(v.Summary.Countries, ", "), colMuted})
	if e := v.Summary.Exposure; e != nil {
		second = append(second, card{e.Ceiling, v.L["exposure"], e.Note + " · " + v.L["revenue"] + " " + e.Revenue, colCritical})
	} else {
		second = append(second, card{"—", v.L["exposure"], v.L["exposure.none"], colMuted})
	}
	row := func(cards []card, widths []float64) {
		const h = 22.0
		d.need(h + 3)
		y := p.GetY()
		x := marginL
		for i, c := range cards {
			w := widths[i]
			d.draw(colRule)
			p.SetLineWidth(0.2)
			p.Rect(x, y, w-2, h, "D")
			d.fill(c.c)
			p.Rect(x, y, w-2, 1.2, "F")
			d.font("B", 14, colInk)
			p.SetXY(x+2.5, y+2.5)
			p.CellFormat(w-7, 7, fitMM(p, c.n, w-7), "", 0, "L", false, 0, "")
			d.font("", 8, colMuted)
			p.SetXY(x+2.5, y+9.5)
			p.CellFormat(w-7, 4, fitMM(p, c.label, w-7), "", 0, "L", false, 0, "")
			if c.note != "" {
				d.font("", 7, colMuted)
				for j, l := range d.split(c.note, w-7) {
					if j == 2 {
						break
					}
					p.SetXY(x+2.5, y+13.5+float64(j)*3.3)
					p.CellFormat(w-7, 3.3, l, "", 0, "L", false, 0, "")
				}
			}
			x += w
		}
		p.SetY(y + h + 3)
	}
	six := textW / 6
	row(first, []float64{six, six, six, six, six, six})
	row(second, []float64{six, six, textW - 2*six})
	d.gap(1)
	verdict := colPass
	if !v.Verdict.Pass {
		verdict = sevColor("high")
	}
	d.text(marginL, textW, "B", 10, verdict, v.Verdict.Text)
	if len(v.NotEvaluated) > 0 {
		d.text(marginL, textW, "", 8.5, colMuted, v.L["notEvaluated"]+": "+strings.Join(v.NotEvaluated, ", "))
	}
}

func (d *pdfDoc) inventory() {
	p, v := d.p, d.v
	d.heading(d.section("inventory"))
	if v.NoManifests {
		d.fill(rgb{255, 248, 197})
		d.font("", 8.5, colInk)
		lines := d.split(v.L["noManifests"], textW-6)
		h := float64(len(lines))*lineH(8.5) + 3
		d.need(h)
		p.Rect(marginL, p.GetY(), textW, h, "F")
		d.gap(1.5)
		d.text(marginL+3, textW-6, "", 8.5, colInk, v.L["noManifests"])
		d.gap(3)
	}
	if len(v.Inventory) == 0 {
		d.text(marginL, textW, "", 9, colInk, v.L["noFlows"])
	}
	for _, f := range v.Inventory {
		var rows []Row
		add := func(k, val string) {
			if val != "" {
				rows = append(rows, Row{k, val})
			}
		}
		add(v.L["recipient"], f.Recipient)
		countries := strings.Join(f.Countries, ", ")
		if f.Observed {
			countries = strings.TrimPrefix(countries+" ("+v.L["observed"]+": "+strings.Join(f.ObservedCountries, ", ")+")", " ")
		}
		add(v.L["countries"], countries)
		add(v.L["type"]+" · "+v.L["schedule"], strings.Trim(f.Type+" · "+f.Schedule, " ·"))
		var items []string
		for _, g := range f.Items {
			if g.Label != "" {
				items = append(items, g.Label+": "+strings.Join(g.Items, ", "))
			} else {
				items = append(items, strings.Join(g.Items, ", "))
			}
		}
		add(v.L["items"], strings.Join(items, "\n"))
		add(v.L["legalBasis"], strings.Join(f.Bases, "\n"))
		if f.Observed {
			add(v.L["observedVolume"], v.L["records"]+" "+f.Records+" · "+v.L["subjectsPeak"]+" "+f.Subjects+" · "+v.L["days"]+" "+strconv.Itoa(f.Days))
		}
		loc := f.Location
		if !f.Declared {
			loc = v.L["notDeclared"]
		}
		add(v.L["location"], loc)
		d.need(8 + float64(min(len(rows), 4))*lineH(8.5))
		// The flow's name, and its active findings on the right.
		y := p.GetY()
		d.fill(colBg)
		p.Rect(marginL, y, textW, 6.5, "F")
		d.font("B", 10, colInk)
		p.SetXY(marginL+1.5, y+0.5)
		p.CellFormat(textW-40, 5.5, fitMM(p, f.Name, textW-40), "", 0, "L", false, 0, "")
		c := colMuted
		if f.Findings > 0 {
			c = sevColor("high")
		}
		d.font("B", 8.5, c)
		p.CellFormat(36.5, 5.5, v.L["findings"]+" "+strconv.Itoa(f.Findings), "", 0, "R", false, 0, "")
		p.SetY(y + 7.5)
		d.kv(rows, 38)
		d.gap(2)
	}
	if len(v.Unmatched) > 0 {
		d.subheading(v.L["unmatched"], nil)
		rows := make([][]string, 0, len(v.Unmatched))
		for _, u := range v.Unmatched {
			rows = append(rows, []string{u.Key, u.Country, strings.Join(u.Items, ", "), u.Records, u.Subjects, strconv.Itoa(u.Days)})
		}
		d.table([]column{{v.L["key"], 0.28, false}, {v.L["country"], 0.09, false}, {v.L["items"], 0.25, false},
			{v.L["records"], 0.13, true}, {v.L["subjectsPeak"], 0.15, true}, {v.L["days"], 0.10, true}}, rows, 8)
	}
}

// The charts and the diagram are drawn from the geometry in charts.go:
// a chart unit is ChartUnitMM millimetres.
func mm(u float64) float64 { return u * ChartUnitMM }

// unitPt is a chart-unit font size in points.
func unitPt(u float64) float64 { return mm(u) / 0.3528 }

func (d *pdfDoc) diagrams() {
	p, v := d.p, d.v
	if len(v.Diagrams) > 0 {
		// Keep the heading with the first diagram.
		d.need(mm(v.Diagrams[0].H) + 40)
	}
	d.heading(d.section("diagram"))
	d.text(marginL, textW, "", 8.5, colMuted, v.L["diagram.note"])
	d.gap(2)
	if len(v.Diagrams) == 0 {
		d.text(marginL, textW, "", 9, colInk, v.L["noFlows"])
	}
	for _, g := range v.Diagrams {
		h := mm(g.H)
		d.need(h + 8)
		if g.Part != "" {
			d.text(marginL, textW, "", 8, colMuted, fmt.Sprintf(v.L["diagram.part"], g.Part))
		}
		x0, y0 := marginL, p.GetY()
		for _, e := range g.Edges {
			c := colMuted
			if e.Kind != "declared" {
				c = colCritical
				p.SetDashPattern([]float64{1.25, 0.75}, 0)
			}
			d.draw(c)
			p.SetLineWidth(0.3)
			p.CurveBezierCubic(x0+mm(e.X1), y0+mm(e.Y1), x0+mm(e.C1X), y0+mm(e.C1Y), x0+mm(e.C2X), y0+mm(e.C2Y), x0+mm(e.X2), y0+mm(e.Y2), "D")
			p.SetDashPattern([]float64{}, 0)
		}
		for _, n := range g.Nodes {
			bg, line := colBg, colMuted
			switch {
			case n.Alert:
				bg, line = colAlertBg, colCritical
			case n.Kind == "controller":
				bg, line = colCtrl, colCtrlLine
			}
			d.fill(bg)
			d.draw(line)
			p.SetLineWidth(0.25)
			p.RoundedRect(x0+mm(n.X), y0+mm(n.Y), mm(n.W), mm(n.H), 1, "1234", "FD")
			for i, l := range n.Lines {
				size, c := unitPt(diagFont), colInk
				if i > 0 {
					size, c = unitPt(9.5), colMuted
				}
				d.font("", size, c)
				p.Text(x0+mm(n.X+6), y0+mm(n.Y+diagramLineY(i)), fitMM(p, l, mm(n.W-10)))
			}
		}
		p.SetY(y0 + h + 2)
	}
	d.legend([]legendKey{{"line", colMuted, v.L["legend.declared"]}, {"dash", colCritical, v.L["legend.observed"]}})
}

type legendKey struct {
	kind  string // line | dash | dot | box
	c     rgb
	label string
}

func (d *pdfDoc) legend(keys []legendKey) {
	p := d.p
	d.need(6)
	y := p.GetY() + 2
	x := marginL
	d.font("", 7.5, colMuted)
	for _, k := range keys {
		d.draw(k.c)
		d.fill(k.c)
		p.SetLineWidth(0.4)
		switch k.kind {
		case "box":
			p.Rect(x, y-1.2, 5, 2.4, "F")
		case "dash":
			p.SetDashPattern([]float64{1.25, 0.75}, 0)
			p.Line(x, y, x+5, y)
		case "dot":
			p.SetDashPattern([]float64{0.5, 0.5}, 0)
			p.Line(x, y, x+5, y)
		default:
			p.Line(x, y, x+5, y)
		}
		p.SetDashPattern([]float64{}, 0)
		p.SetXY(x+6.5, y-2)
		p.CellFormat(p.GetStringWidth(k.label), 4, k.label, "", 0, "L", false, 0, "")
		x += 6.5 + p.GetStringWidth(k.label) + 5
	}
	p.SetY(y + 4)
}

func (d *pdfDoc) findings() {
	v := d.v
	s := d.section("findings")
	d.heading(s)
	if len(v.Findings) == 0 {
		d.text(marginL, textW, "", 9, colInk, v.L["noFindings"])
		return
	}
	for i, a := range v.Articles {
		sub := s.Sub[i]
		d.subheading(a.Article+" ("+strconv.Itoa(a.Count)+")", &sub)
		for _, g := range a.Severities {
			for _, f := range g.Findings {
				d.finding(f)
			}
		}
	}
}

// blockRow is one measured row of a finding block, drawn at a given y.
type blockRow struct {
	h    float64
	draw func(y float64)
}

// finding draws one finding as a block with a severity bar on its left;
// a block that fits a page is never split.
func (d *pdfDoc) finding(f FindingView) {
	p, v := d.p, d.v
	const pad = 4.0
	x := marginL + pad
	w := textW - pad - 1
	var rows []blockRow
	lines := func(style string, size float64, s string, width float64) []string {
		d.font(style, size, colInk)
		return d.split(s, width)
	}
	// Badge and title.
	d.font("B", 7, colWhite)
	badgeW := p.GetStringWidth(strings.ToUpper(f.SeverityText)) + 3
	title := lines("B", 10, f.Title, w-badgeW-2)
	lh := lineH(10)
	rows = append(rows, blockRow{float64(len(title))*lh + 0.5, func(y float64) {
		d.fill(sevColor(f.Severity))
		p.RoundedRect(x, y+0.8, badgeW, 3.6, 0.6, "1234", "F")
		d.font("B", 7, colWhite)
		p.SetXY(x+1.5, y+0.8)
		p.CellFormat(badgeW-3, 3.6, strings.ToUpper(f.SeverityText), "", 0, "L", false, 0, "")
		d.font("B", 10, colInk)
		for i, l := range title {
			p.SetXY(x+badgeW+2, y+float64(i)*lh)
			p.CellFormat(w-badgeW-2, lh, l, "", 0, "L", false, 0, "")
		}
	}})
	meta := f.Rule
	if f.StateText != "" {
		meta += " · " + f.StateText
	}
	rows = append(rows, d.linesRow(x, w, "", 8, colMuted, meta))
	rows = append(rows, d.linesRow(x, w, "", 9, colInk, f.Message))
	var kv []Row
	for _, r := range []Row{{v.L["flow"], f.Flow}, {v.L["location"], f.Location}, {v.L["articles"], strings.Join(f.Articles, "; ")},
		{v.L["status"], f.Status}, {v.L["findingID"], f.ID}} {
		if r.Value != "" {
			kv = append(kv, r)
		}
	}
	rows = append(rows, d.kvRows(x, w, kv)...)
	if len(f.Evidence) > 0 {
		rows = append(rows, d.linesRow(x, w, "B", 8.5, colInk, v.L["evidence"]))
		rows = append(rows, d.kvRows(x, w, f.Evidence)...)
	}
	if f.Remediation != "" {
		text := v.L["remediation"] + ": " + f.Remediation
		ls := lines("", 9, text, w-4)
		rlh := lineH(9)
		rows = append(rows, blockRow{float64(len(ls))*rlh + 3, func(y float64) {
			d.fill(colBg)
			p.Rect(x, y+0.5, w, float64(len(ls))*rlh+2, "F")
			for i, l := range ls {
				style := ""
				if i == 0 {
					// The label in bold, the rest of the first line plain.
					label := v.L["remediation"] + ":"
					d.font("B", 9, colInk)
					p.SetXY(x+2, y+1.5)
					p.CellFormat(p.GetStringWidth(label), rlh, label, "", 0, "L", false, 0, "")
					d.font("", 9, colInk)
					rest := strings.TrimPrefix(l, label)
					p.CellFormat(w-4-p.GetStringWidth(label), rlh, rest, "", 0, "L", false, 0, "")
					continue
				}
				d.font(style, 9, colInk)
				p.SetXY(x+2, y+1.5+float64(i)*rlh)
				p.CellFormat(w-4, rlh, l, "", 0, "L", false, 0, "")
			}
		}})
	}
	total := 2.0
	for _, r := range rows {
		total += r.h
	}
	if total <= bottomY-marginT {
		d.need(total + 3)
	} else {
		d.need(rows[0].h + rows[1].h + 4)
	}
	// Draw, breaking pages between rows of a block taller than a page; the
	// severity bar is drawn per page segment.
	c := sevColor(f.Severity)
	dashed := f.State != "active"
	segTop := p.GetY()
	bar := func(top, bottom float64) {
		d.fill(c)
		if dashed {
			for y := top; y < bottom; y += 2.4 {
				p.Rect(marginL, y, 1.2, min(1.4, bottom-y), "F")
			}
			return
		}
		p.Rect(marginL, top, 1.2, bottom-top, "F")
	}
	y := segTop + 1
	for _, r := range rows {
		if y+r.h > bottomY {
			bar(segTop, y)
			p.AddPage()
			segTop = p.GetY()
			y = segTop
		}
		r.draw(y)
		y += r.h
	}
	bar(segTop, y+1)
	p.SetY(y + 5)
}

// linesRow is a block row of wrapped text.
func (d *pdfDoc) linesRow(x, w float64, style string, size float64, c rgb, s string) blockRow {
	d.font(style, size, c)
	ls := d.split(s, w)
	lh := lineH(size)
	return blockRow{float64(len(ls))*lh + 0.5, func(y float64) {
		d.font(style, size, c)
		for i, l := range ls {
			d.p.SetXY(x, y+float64(i)*lh)
			d.p.CellFormat(w, lh, l, "", 0, "L", false, 0, "")
		}
	}}
}

// kvRows are block rows of label/value pairs.
func (d *pdfDoc) kvRows(x, w float64, rows []Row) []blockRow {
	const labelW = 32.0
	lh := lineH(8.5)
	out := make([]blockRow, 0, len(rows))
	for _, r := range rows {
		d.font("", 8.5, colInk)
		ls := d.split(r.Value, w-labelW)
		out = append(out, blockRow{float64(len(ls))*lh + 1, func(y float64) {
			d.font("B", 8, colMuted)
			d.p.SetXY(x, y)
			d.p.CellFormat(labelW-2, lh, fitMM(d.p, r.Key, labelW-2), "", 0, "L", false, 0, "")
			d.font("", 8.5, colInk)
			for i, l := range ls {
				d.p.SetXY(x+labelW, y+float64(i)*lh)
				d.p.CellFormat(w-labelW, lh, l, "", 0, "L", false, 0, "")
			}
			d.draw(colRule)
			d.p.SetLineWidth(0.1)
			d.p.Line(x, y+float64(len(ls))*lh+0.5, x+w, y+float64(len(ls))*lh+0.5)
		}})
	}
	return out
}

func (d *pdfDoc) charts() {
	p, v := d.p, d.v
	d.heading(d.section("volumes"))
	if len(v.Charts) == 0 {
		d.text(marginL, textW, "", 9, colInk, v.L["charts.none"])
		return
	}
	d.text(marginL, textW, "", 8.5, colMuted, v.L["charts.note"])
	d.legend([]legendKey{{"box", colBar, v.L["legend.day"]}, {"box", colCritical, v.L["legend.bulk"]},
		{"dash", colInk, v.L["legend.base"]}, {"dot", colCritical, v.L["legend.threshold"]}})
	d.gap(2)
	for _, c := range v.Charts {
		d.font("", 8.5, colInk)
		caption := d.split(c.Flow+" — "+c.Caption, textW)
		h := float64(len(caption)+len(c.Notes))*lineH(8.5) + mm(c.H) + 4
		d.need(h)
		for i, l := range caption {
			style := ""
			if i == 0 {
				style = "B"
			}
			d.text(marginL, textW, style, 8.5, colInk, l)
		}
		for _, n := range c.Notes {
			d.text(marginL, textW, "", 8, colMuted, n)
		}
		d.chart(c, marginL, p.GetY()+1)
		p.SetY(p.GetY() + 1 + mm(c.H) + 3)
	}
}

func (d *pdfDoc) chart(c VolumeChart, x0, y0 float64) {
	p := d.p
	X := func(u float64) float64 { return x0 + mm(u) }
	Y := func(u float64) float64 { return y0 + mm(u) }
	plotR := c.Plot.X + c.Plot.W
	plotB := c.Plot.Y + c.Plot.H
	d.font("", unitPt(chartFont), colMuted)
	for _, t := range c.YTicks {
		d.draw(colRule)
		p.SetLineWidth(0.1)
		p.Line(X(c.Plot.X), Y(t.Pos), X(plotR), Y(t.Pos))
		w := p.GetStringWidth(t.Label)
		p.Text(X(c.Plot.X-4)-w, Y(t.Pos+3), t.Label)
	}
	for _, b := range c.Bars {
		col := colBar
		if b.Bulk {
			col = colCritical
		}
		d.fill(col)
		p.Rect(X(b.X), Y(b.Y), mm(b.W), mm(b.H), "F")
	}
	guide := func(g *Guide, col rgb, dash []float64) {
		if g == nil {
			return
		}
		d.draw(col)
		p.SetLineWidth(0.25)
		p.SetDashPattern(dash, 0)
		p.Line(X(c.Plot.X), Y(g.Y), X(plotR), Y(g.Y))
		p.SetDashPattern([]float64{}, 0)
	}
	guide(c.Bulk, colCritical, []float64{0.5, 0.5})
	guide(c.Base, colInk, []float64{1.25, 0.75})
	d.draw(colInk)
	p.SetLineWidth(0.2)
	p.Line(X(c.Plot.X), Y(plotB), X(plotR), Y(plotB))
	d.font("", unitPt(chartFont), colMuted)
	for _, t := range c.XTicks {
		w := p.GetStringWidth(t.Label)
		p.Text(X(t.Pos)-w/2, Y(plotB+14), t.Label)
	}
}

func (d *pdfDoc) dataQuality() {
	v := d.v
	d.heading(d.section("data-quality"))
	q := v.DataQuality
	if !q.Read {
		d.text(marginL, textW, "", 9, colInk, v.L["noLogs"])
		return
	}
	d.kv([]Row{{v.L["lines"], q.Lines}, {v.L["bad"], q.Bad}, {v.L["badRatio"], q.BadRatio}, {v.L["unmatchedLines"], q.Unmatched}}, 45)
	d.gap(2)
	rows := make([][]string, 0, len(q.Files))
	for _, f := range q.Files {
		var ex []string
		for _, e := range f.Examples {
			ex = append(ex, e.Key+" "+e.Value)
		}
		rows = append(rows, []string{f.Path, f.Lines, f.Records, f.Bad, strings.Join(ex, "\n")})
	}
	d.table([]column{{v.L["file"], 0.26, false}, {v.L["lines"], 0.1, true}, {v.L["records"], 0.14, true},
		{v.L["bad"], 0.1, true}, {v.L["examples"], 0.4, false}}, rows, 8)
}

func (d *pdfDoc) integrity() {
	v := d.v
	in := v.Integrity
	d.heading(d.section("integrity"))
	signed := v.L["unsigned"]
	if in.Signed {
		signed = v.L["signed"]
	}
	d.kv([]Row{
		{v.L["tool"], in.Tool},
		{v.L["runID"], in.RunID},
		{v.L["mode"], in.Mode},
		{v.L["asOfLabel"], in.AsOf},
		{v.L["started"], in.Started},
		{v.L["finished"], in.Finished},
		{v.L["records"], in.Records},
		{v.L["policyDigest"], in.PolicyDigest},
		{v.L["hash"], in.Hash + "\n" + v.L["canonicalHash"]},
		{v.L["prevHash"], in.PrevHash},
		{v.L["seal"], signed + " — " + v.L["seal.pdf"] + "\n" + v.L["seal.note"]},
	}, 38)
	d.gap(2)
	inputs := func(caption string, files []InputView) {
		if len(files) == 0 {
			return
		}
		d.subheading(caption, nil)
		rows := make([][]string, 0, len(files))
		for _, f := range files {
			rows = append(rows, []string{f.Path, f.Kind, f.SHA256, f.Size})
		}
		d.table([]column{{v.L["file"], 0.3, false}, {v.L["kind"], 0.1, false}, {"SHA-256", 0.46, false}, {v.L["size"], 0.14, true}}, rows, 7.5)
	}
	inputs(v.L["inputs"], in.Inputs)
	inputs(v.L["skipped"], in.Skipped)
	d.text(marginL, textW, "", 8, colMuted, v.L["fixed.note"])
}
