package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/audit"
)

// BenchmarkSaveRun saves a daily audit of a large integration estate: 200
// findings and 300 flow-day observations, with and without 16 KB
// distinct-subject sketches, on a database file that holds the previous
// runs. Sketches dominate: they are 4.8 MB of each run.
func BenchmarkSaveRun(b *testing.B) {
	for _, size := range []int{0, 16 << 10} {
		b.Run(fmt.Sprintf("sketch=%dB", size), func(b *testing.B) { benchmarkSaveRun(b, size) })
	}
}

func benchmarkSaveRun(b *testing.B, sketchSize int) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sketch := make([]byte, sketchSize)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := newRun(i)
		for j := range 200 {
			r.Findings = append(r.Findings, finding("XB-ITEMS-UNDECLARED", fmt.Sprintf("flow-%d", j%300), fmt.Sprint((i+j)%250), audit.SeverityHigh))
		}
		var sketches []ObservationSketch
		for j := range 300 {
			o := audit.Observation{Flow: fmt.Sprintf("flow-%d", j), Day: r.AsOf, Records: 1000, Subjects: 900,
				Items: []string{"account_id", "phone"}, Countries: []string{"SG"}, TLS: []string{"1.2"}}
			r.Observations = append(r.Observations, o)
			if sketchSize > 0 {
				sketches = append(sketches, ObservationSketch{Flow: o.Flow, Day: o.Day, Sketch: sketch})
			}
		}
		if err := s.SaveRunWithSketches(ctx, r, sketches); err != nil {
			b.Fatal(err)
		}
	}
}
