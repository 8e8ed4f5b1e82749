package reports

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func TestNiceScale(t *testing.T) {
	tests := []struct {
		in        int64
		step, top int64
	}{
		{0, 1, 4}, {1, 1, 1}, {3, 1, 3}, {7, 2, 8}, {412, 100, 500}, {1000, 200, 1000},
		{40_450_000, 10_000_000, 50_000_000}, {25_000_000, 5_000_000, 25_000_000},
	}
	for _, tt := range tests {
		step, top := niceScale(tt.in)
		if step != tt.step || top != tt.top {
			t.Errorf("niceScale(%d) = %d, %d; want %d, %d", tt.in, step, top, tt.step, tt.top)
		}
	}
}

// TestVolumeChart checks the geometry both formats draw: a continuous
// calendar (the missing day is a gap, not a squeezed bar), bulk days at or
// above the threshold, the guides on scale and the bars inside the plot.
func TestVolumeChart(t *testing.T) {
	days := map[string]int64{"2024-03-01": 40_450_000, "2024-03-03": 900_000, "2024-03-04": 1_000_000}
	c := volumeChart("alipay-nsf", days, false, 25_000_000, 1_000_000, catalogs["en"])
	type bar struct {
		Day  string
		Bulk bool
	}
	var got []bar
	for _, b := range c.Bars {
		got = append(got, bar{b.Day, b.Bulk})
		if b.X < c.Plot.X || b.X+b.W > c.Plot.X+c.Plot.W+0.01 || b.Y < c.Plot.Y || b.Y+b.H > c.Plot.Y+c.Plot.H+0.01 {
			t.Errorf("bar %s %+v outside the plot %+v", b.Day, b.Box, c.Plot)
		}
	}
	want := []bar{{"2024-03-01", true}, {"2024-03-03", false}, {"2024-03-04", true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	if c.BulkDays != 2 {
		t.Errorf("BulkDays = %d, want 2", c.BulkDays)
	}
	// Four days in the calendar: the third day's bar starts 2 slots after the first.
	slot := c.Plot.W / 4
	if d := c.Bars[1].X - c.Bars[0].X; d < 2*slot-0.01 || d > 2*slot+0.01 {
		t.Errorf("gap between day 1 and day 3 = %.2f, want %.2f", d, 2*slot)
	}
	if c.Base == nil || c.Base.Value != 25_000_000 || c.Bulk == nil || c.Bulk.Value != 1_000_000 {
		t.Errorf("guides: base %+v, bulk %+v", c.Base, c.Bulk)
	}
	if c.Caption != "3 days observed (2024-03-01 to 2024-03-04), peak 40,450,000 subjects a day, 2 bulk days" {
		t.Errorf("caption %q", c.Caption)
	}
	if got := []string{c.XTicks[0].Label, c.XTicks[1].Label}; !cmp.Equal(got, []string{"2024-03-01", "03-02"}) {
		t.Errorf("x ticks %v", got)
	}
	// A small flow against a large base: the guides leave the scale, with a note.
	small := volumeChart("aws", map[string]int64{"2024-03-01": 412}, true, 25_000_000, 1_000_000, catalogs["en"])
	if small.Base != nil || small.Bulk != nil || len(small.Notes) != 2 || small.BulkDays != 0 {
		t.Errorf("small flow: base %v bulk %v notes %q", small.Base, small.Bulk, small.Notes)
	}
}

// TestBulkParams reads the thresholds in force from the rule's evidence
// and falls back to the defaults and to the evidence's subject base.
func TestBulkParams(t *testing.T) {
	run := testRun()
	base, share, abs := bulkParams(run)
	if base != 25_000_000 || share != 0.5 || abs != 1_000_000 {
		t.Errorf("defaults: %d %v %d", base, share, abs)
	}
	run.Manifests = nil
	for i := range run.Findings {
		if run.Findings[i].Rule == "XB-BULK-DAILY" {
			run.Findings[i].Evidence = map[string]any{"subjectBase": 40_450_000.0,
				"thresholds": map[string]any{"bulkShare": 0.25, "bulkAbsolute": 500_000.0}}
		}
	}
	base, share, abs = bulkParams(run)
	if base != 40_450_000 || share != 0.25 || abs != 500_000 {
		t.Errorf("from evidence: %d %v %d", base, share, abs)
	}
}

func TestFlowDiagram(t *testing.T) {
	r := testReport("en")
	v := NewView(r)
	if len(v.Diagrams) != 1 {
		t.Fatalf("%d diagrams, want 1", len(v.Diagrams))
	}
	d := v.Diagrams[0]
	kinds := map[string]int{}
	for _, n := range d.Nodes {
		kinds[n.Kind]++
		if n.X < 0 || n.X+n.W > d.W || n.Y < 0 || n.Y+n.H > d.H {
			t.Errorf("node %v outside the diagram", n.Lines)
		}
	}
	if diff := cmp.Diff(map[string]int{"controller": 1, "recipient": 2, "undeclared": 1, "country": 4}, kinds); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	edges := map[string]int{}
	for _, e := range d.Edges {
		edges[e.Kind]++
	}
	// controller→3 recipients; alipay→CN,SG; aws→JP; shadow→US.
	if diff := cmp.Diff(map[string]int{"declared": 5, "undeclared": 2}, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	// Many recipients are split into parts that each fit a page.
	run := testRun()
	for i := range 30 {
		run.Manifests.Flows = append(run.Manifests.Flows, audit.DataFlow{Object: audit.Object{Name: "f" + string(rune('a'+i))},
			Recipient: "r" + string(rune('a'+i)), Countries: []string{"US"}, Type: audit.TypeProvision})
	}
	big := NewView(&Report{Run: run})
	if len(big.Diagrams) != 3 || big.Diagrams[0].Part != "1/3" {
		t.Errorf("%d diagrams (first part %q), want 3", len(big.Diagrams), big.Diagrams[0].Part)
	}
	for _, d := range big.Diagrams {
		if mm(d.H) > bottomY-marginT-20 {
			t.Errorf("diagram part %s is %.0f mm tall: does not fit a page", d.Part, mm(d.H))
		}
	}
}

func TestSlugAndFit(t *testing.T) {
	for in, want := range map[string]string{"alipay-nsf": "alipay-nsf", `<script>"x"`: "script-x", "A B__C": "a-b-c", "결제": ""} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fit("Alipay Singapore E-Commerce Pte. Ltd.", 80, 11); got == "Alipay Singapore E-Commerce Pte. Ltd." || textWidth(got, 11) > 80 {
		t.Errorf("fit = %q (%.1f wide)", got, textWidth(got, 11))
	}
	if got := fit("SG", 80, 11); got != "SG" {
		t.Errorf("fit shortened %q", got)
	}
}
