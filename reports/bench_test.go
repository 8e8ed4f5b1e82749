package reports

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// benchReport is the test run with its findings repeated to n.
func benchReport(n int) *Report {
	r := testReport("en")
	base := r.Run.Findings
	r.Run.Findings = make([]audit.Finding, 0, n)
	for i := range n {
		f := base[i%len(base)]
		f.ID = fmt.Sprintf("%016x", i)
		f.Location.Line = i
		r.Run.Findings = append(r.Run.Findings, f)
	}
	return r
}

func BenchmarkFormats(b *testing.B) {
	for _, format := range Names() {
		b.Run(format, func(b *testing.B) {
			r := benchReport(1000)
			rep := Formats[format]
			b.ReportAllocs()
			for b.Loop() {
				if err := rep.Report(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// largeReport is a year of a busy organization: n findings spread over the
// test run's rules and flows flows, each observed on every day of 2024
// (366 days; a quarter of the flows above the bulk threshold), so that the
// inventory, the diagram (in parts) and flows charts are all full size.
func largeReport(findings, flows int) *Report {
	r := benchReport(findings)
	run := r.Run
	base := run.Manifests.Flows[0]
	run.Manifests.Flows = nil
	run.Manifests.Recipients = nil
	run.Observations = nil
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for f := range flows {
		name := fmt.Sprintf("flow-%02d", f)
		fl := base
		fl.Name, fl.Recipient = name, fmt.Sprintf("recipient-%02d", f)
		fl.Countries = []string{[]string{"CN", "SG", "JP", "US", "IE"}[f%5]}
		run.Manifests.Flows = append(run.Manifests.Flows, fl)
		run.Manifests.Recipients = append(run.Manifests.Recipients, audit.Recipient{
			Object: audit.Object{Name: fl.Recipient}, LegalName: fmt.Sprintf("Recipient %02d Pte. Ltd.", f), Country: fl.Countries[0]})
		for d := range 366 {
			subjects := int64(1000 + (f*7919+d*104729)%50_000)
			if f%4 == 0 {
				subjects = 40_450_000 - int64(d)
			}
			run.Observations = append(run.Observations, audit.Observation{
				Flow: name, Day: start.AddDate(0, 0, d).Format(audit.DateLayout), Records: subjects * 2, Subjects: subjects,
				Items: fl.Items, Countries: fl.Countries,
			})
		}
	}
	for i := range run.Findings {
		run.Findings[i].Flow = fmt.Sprintf("flow-%02d", i%flows)
	}
	return r
}

// BenchmarkRegulatorReport renders what `xborder audit --report` writes for
// the regulator, HTML and PDF, for 1,000 findings and 50 flows × 366 days
// of observations: the target is under 2 s for both together.
func BenchmarkRegulatorReport(b *testing.B) {
	r := largeReport(1000, 50)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		size = 0
		for _, format := range []string{"html", "pdf"} {
			var buf bytes.Buffer
			if err := Formats[format].Report(&buf, r); err != nil {
				b.Fatal(err)
			}
			size += buf.Len()
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB/report")
}
