package policies

import (
	"context"
	"fmt"
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
