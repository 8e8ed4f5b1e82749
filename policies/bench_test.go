package policies

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// benchInput is a realistic audit: the organization of the Kakao Pay
// scenario with 50 flows to 10 recipients in several countries, each logged
// every day for 30 days (1,500 observations), plus some shadow traffic.
func benchInput() *audit.Input {
	in := kakaoPay(0)
	in.Flows = map[string]audit.DataFlow{}
	in.Observations = nil
	countries := []string{"SG", "CN", "JP", "US", "DE", "KR"}
	purposes := [][]string{{"settlement"}, {"payment_processing"}, {"fraud_prevention"}, {"delivery"}, {"storage"}, {"analytics"}}
	items := [][]string{
		{"order_id", "amount", "currency"},
		{"account_id", "order_id", "amount", "card_number"},
		{"account_id", "phone", "email", "balance", "payment_history"},
		{"name", "phone", "address", "order_id"},
		{"account_id", "balance"},
		{"device_id", "ip_address", "location"},
	}
	for r := range 10 {
		name := fmt.Sprintf("recipient-%02d", r)
		in.Recipients[name] = audit.Recipient{Object: audit.Object{Name: name, Source: src(0, 200+r, 1)}, LegalName: name, Country: countries[r%len(countries)]}
	}
	first := time.Date(2024, 4, 22, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		name := fmt.Sprintf("flow-%02d", i)
		k := i % len(items)
		in.Flows[name] = audit.DataFlow{
			Object:     audit.Object{Name: name, Source: src(0, 300+10*i, 1)},
			Recipient:  fmt.Sprintf("recipient-%02d", i%10),
			Countries:  []string{countries[i%len(countries)]},
			Type:       []string{audit.TypeEntrustment, audit.TypeProvision, audit.TypeStorage}[i%3],
			Purposes:   purposes[k],
			Items:      items[k],
			LegalBasis: audit.LegalBasis{Overseas: []string{"", "consent", "contract"}[i%3]},
			Safeguards: audit.Safeguards{Identifiers: &audit.Identifiers{Method: []string{"sha256", "hmac-sha256"}[i%2], Keyed: i%2 == 1}},
		}
		for d := range 30 {
			subjects := int64(1000 * (i + 1))
			if i%10 == 0 {
				subjects = 30000000
			}
			in.Observations = append(in.Observations, audit.Observation{
				Flow: name, Day: first.AddDate(0, 0, d).Format(audit.DateLayout), Records: subjects * 2, Subjects: subjects,
				Items: append(items[k], "customer_id"), UnknownItems: []string{}, Countries: []string{countries[i%len(countries)]},
				Hosts: []string{name + ".example"}, Protections: []string{"sha256"}, TLS: []string{"1.2"},
			})
		}
	}
	return in
}

// BenchmarkEvaluate is the cost of one run's evaluation (DESIGN §3: Rego
// once per run over aggregated facts).
func BenchmarkEvaluate(b *testing.B) {
	e := engine(b)
	in := benchInput()
	ctx := context.Background()
	fs := evaluate(b, e, in)
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluatePerRecord is the naive design the engine avoids: the same
// prepared query evaluated once per single-record input. One op is one
// evaluation; multiply by the records of a day for the cost of that design.
func BenchmarkEvaluatePerRecord(b *testing.B) {
	e := engine(b)
	all := benchInput()
	inputs := make([]*audit.Input, 0, 64)
	for _, o := range all.Observations[:64] {
		in := *all
		flow := all.Flows[o.Flow]
		in.Flows = map[string]audit.DataFlow{o.Flow: flow}
		in.Recipients = map[string]audit.Recipient{flow.Recipient: all.Recipients[flow.Recipient]}
		o.Records, o.Subjects = 1, 1
		in.Observations = []audit.Observation{o}
		in.Unmatched = nil
		in.Params = nil
		inputs = append(inputs, &in)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := e.Evaluate(ctx, inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// checkInput builds what `xborder check` hands the engine for the generator's
// n extra DataFlows (fixtures/gen -manifest-count n): the organization, n
// flows each with its own recipient, cycling through the generator's five
// shapes and eleven countries, every tenth flow left out of the privacy
// policy. No observations: a check judges manifests alone.
func checkInput(n int) *audit.Input {
	type shape struct {
		typ, basis, provision string
		purposes, items       []string
	}
	shapes := []shape{
		{"provision", "consent", "consent", []string{"settlement"}, []string{"order_id", "amount", "currency", "transaction_time", "payment_method", "merchant_id"}},
		{"entrustment", "contract", "none", []string{"payment_processing"}, []string{"card_number", "order_id", "amount", "currency", "transaction_time", "merchant_id"}},
		{"storage", "contract", "none", []string{"storage"}, []string{"account_id", "email", "order_id", "amount", "transaction_time"}},
		{"provision", "consent", "consent", []string{"delivery"}, []string{"name", "phone", "address", "order_id"}},
		{"entrustment", "contract", "none", []string{"customer_support"}, []string{"name", "phone", "email", "order_id"}},
	}
	countries := []string{"SG", "JP", "US", "DE", "FR", "GB", "VN", "TH", "AU", "CA", "KR"}
	clauses := []string{"safety", "grievance", "protection", "purpose_limit", "reentrust_limit", "supervision", "liability"}
	notice := []string{"items", "country", "datetime_method", "recipient", "purpose", "retention", "purpose_retention", "refusal"}
	policy := &audit.PrivacyPolicy{URL: "https://examplepay.example/privacy", Updated: "2024-02-20"}
	m := &audit.Manifests{Organization: &audit.Organization{
		Object:   audit.Object{Name: "examplepay", Source: audit.Source{File: "organization.yaml", Line: 3, Col: 1}},
		Country:  "KR",
		Subjects: audit.Subjects{Total: 1_000_000, Active: 600_000}, RevenueKRW: 480_000_000_000,
		LegalName: "ExamplePay Corp.", PrivacyPolicy: policy,
	}}
	for i := 1; i <= n; i++ {
		s, country := shapes[i%len(shapes)], countries[i%len(countries)]
		file := fmt.Sprintf("generated-%03d.yaml", (i-1)/100)
		line := 1 + 33*((i-1)%100)
		flow, recipient := fmt.Sprintf("gen-%04d", i), fmt.Sprintf("gen-r-%04d", i)
		if i%10 != 0 && country != "KR" {
			policy.Discloses = append(policy.Discloses, flow)
		}
		if i%10 != 0 && s.typ != "provision" {
			policy.Trustees = append(policy.Trustees, recipient)
		}
		m.Recipients = append(m.Recipients, audit.Recipient{
			Object:    audit.Object{Name: recipient, Source: audit.Source{File: file, Line: line, Col: 1}},
			LegalName: "Generated Recipient Ltd.", Country: country, Contact: "privacy@" + recipient + ".example",
			Supervision: &audit.Supervision{LastTraining: "2024-01-10", LastInspection: "2023-12-01"},
		})
		f := audit.DataFlow{
			Object: audit.Object{Name: flow, Source: audit.Source{File: file, Line: line + 9, Col: 1}},
			Owner:  fmt.Sprintf("team-%02d", i%17), Reviewed: "2024-01-15",
			Recipient: recipient, Integration: fmt.Sprintf("gen-int-%04d", i), Endpoints: []string{"api." + flow + ".example"},
			Countries: []string{country}, Type: s.typ, Purposes: s.purposes, Items: s.items,
			Subjects: "transacting_only", Schedule: "realtime",
			LegalBasis: audit.LegalBasis{Provision: s.provision},
			Contract:   &audit.Contract{Signed: "2023-05-01", Clauses: clauses},
			Retention:  "P3Y", RetentionDays: 1095, RecipientRetention: "P3Y", RecipientRetentionDays: 1095,
			Safeguards: audit.Safeguards{Transport: "tls1.3", Identifiers: &audit.Identifiers{Method: "hmac-sha256", Keyed: true, KeyHolder: "controller"}},
		}
		if country != "KR" {
			f.LegalBasis.Overseas = s.basis
		}
		if s.basis == "consent" {
			f.Consent = &audit.Consent{Separate: true, SeparateProvision: true, Notice: notice, PurposeText: strings.Join(s.purposes, ", "), Version: "2024-01"}
		}
		m.Flows = append(m.Flows, f)
	}
	return audit.NewInput(audit.ModeCheck, "2024-03-08", m)
}

// BenchmarkNew is the fixed cost of every process that judges anything:
// loading, parsing and compiling the embedded pack and preparing its
// queries, for every mode (audit) and for a check alone.
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []audit.Mode{"", audit.ModeCheck} {
		b.Run(cmp.Or(string(mode), "all"), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := New(ctx, Options{Mode: mode}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluate500Flows is the evaluation of `xborder check` over the
// 500 generated manifests of `make bench`: every static rule over 500 flows
// and 500 recipients.
func BenchmarkEvaluate500Flows(b *testing.B) {
	e := engine(b)
	ctx := context.Background()
	fs := evaluate(b, e, checkInput(500))
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, checkInput(500)); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the process CPU time per op (user + system, every
// goroutine and the GC) to a benchmark: on a shared machine wall time
// measures the neighbours as much as the code, CPU time much less so.
func reportCPU(b *testing.B) func() {
	var start syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	return func() {
		var end syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &end)
		cpu := time.Duration(end.Utime.Nano() - start.Utime.Nano() + end.Stime.Nano() - start.Stime.Nano())
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
