package reports

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func TestFormatInt(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"}, {100000, "100,000"},
		{40450000, "40,450,000"}, {-1234567, "-1,234,567"}, {-999, "-999"},
		{9223372036854775807, "9,223,372,036,854,775,807"},
	}
	for _, tt := range tests {
		if got := formatInt(tt.in); got != tt.want {
			t.Errorf("formatInt(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEvidenceValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{"</style>", "</style>"}, // escaping is the format's job
		{true, "true"},
		{float64(40450000), "40,450,000"},
		{0.5, "0.5"},
		{1.0, "1"},
		{3, "3"},
		{int64(1234), "1,234"},
		{json.Number("2004"), "2,004"},
		{json.Number("0.25"), "0.25"},
		{[]any{"CN", "SG"}, `["CN","SG"]`},
		{map[string]any{"z": 1.0, "a": []any{"<b>"}}, `{"a":["<b>"],"z":1}`},
		{[]any{}, "[]"},
	}
	for _, tt := range tests {
		if got := evidenceValue(tt.in); got != tt.want {
			t.Errorf("evidenceValue(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		in   audit.Source
		want string
	}{
		{audit.Source{}, ""},
		{audit.Source{File: "logs/a.jsonl"}, "logs/a.jsonl"},
		{audit.Source{File: "m.yaml", Line: 12, Col: 3}, "m.yaml:12"},
	}
	for _, tt := range tests {
		if got := location(tt.in); got != tt.want {
			t.Errorf("location(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		failOn audit.Severity
		lang   string
		want   Verdict
	}{
		{audit.SeverityHigh, "en", Verdict{Failing: 3, FailOn: "high", Text: "FAIL: 3 findings at or above high"}},
		{audit.SeverityCritical, "en", Verdict{Failing: 2, FailOn: "critical", Text: "FAIL: 2 findings at or above critical"}},
		// The waived high and the baselined low never fail a run.
		{audit.SeverityLow, "en", Verdict{Failing: 4, FailOn: "low", Text: "FAIL: 4 findings at or above low"}},
		{audit.SeverityNone, "en", Verdict{Pass: true, Text: "PASS: --fail-on none"}},
		{audit.SeverityHigh, "ko", Verdict{Failing: 3, FailOn: "높음", Text: "실패: 높음 이상 발견사항 3건"}},
	}
	for _, tt := range tests {
		r := testReport(tt.lang)
		r.FailOn = tt.failOn
		if diff := cmp.Diff(tt.want, NewView(r).Verdict); diff != "" {
			t.Errorf("fail-on %s, %s (-want +got):\n%s", tt.failOn, tt.lang, diff)
		}
	}

	one := &Report{Run: &audit.Run{Findings: []audit.Finding{{Rule: "X", Severity: audit.SeverityCritical}}}, FailOn: audit.SeverityHigh}
	if got := NewView(one).Verdict.Text; got != "FAIL: 1 finding at or above high" {
		t.Errorf("one finding: %q", got)
	}
	pass := &Report{Run: &audit.Run{Findings: []audit.Finding{{Rule: "X", Severity: audit.SeverityMedium}}}, FailOn: audit.SeverityHigh}
	if got := NewView(pass).Verdict; !got.Pass || got.Text != "PASS: no findings at or above high" {
		t.Errorf("below threshold: %+v", got)
	}
}

func TestViewSummary(t *testing.T) {
	want := Summary{
		Severities: []SeverityCount{
			{Name: "critical", Label: "critical", Count: 2},
			{Name: "high", Label: "high", Count: 1},
			{Name: "medium", Label: "medium", Count: 1},
			{Name: "low", Label: "low", Count: 0},
		},
		Active: 4, Waived: 1, Baselined: 1, Total: 6,
		Flows: 2, FlowsWithFindings: 1,
		Countries: []string{"CN", "JP", "SG", "US"},
		Exposure: &Exposure{
			CeilingKRW: 22_500_000_000,
			Revenue:    "KRW 750,000,000,000",
			Ceiling:    "KRW 22,500,000,000",
			Note:       "up to 3% of total revenue, PIPA Art. 64-2",
		},
	}
	if diff := cmp.Diff(want, NewView(testReport("en")).Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	ko := NewView(testReport("ko")).Summary.Exposure
	if ko.Ceiling != "22,500,000,000원" || ko.Note != "전체 매출액의 3% 이하, 개인정보 보호법 제64조의2" {
		t.Errorf("ko exposure = %+v", ko)
	}

	r := testReport("en")
	r.Run.Manifests.Organization.RevenueKRW = 0
	if e := NewView(r).Summary.Exposure; e != nil {
		t.Errorf("exposure without declared revenue = %+v, want nil", e)
	}
}

func TestViewInventory(t *testing.T) {
	want := []FlowView{
		{
			Name: "alipay-nsf", Recipient: "Alipay Singapore E-Commerce Pte. Ltd.", Countries: []string{"CN", "SG"},
			Type:       "entrustment",
			Items:      []ItemGroup{{Items: []string{"account_id", "phone", "email", "balance", "payment_history"}}},
			LegalBasis: "overseas: contract, provision: none, credit: none, transactions: none",
			Bases:      []string{"overseas: contract", "provision: none", "credit: none", "transactions: none"},
			Schedule:   "daily", Location: "manifests/alipay.yaml:12", Declared: true,
			Observed: true, ObservedCountries: []string{"CN", "SG"},
			Records: "80,900,600", Subjects: "40,450,000", Days: 2, Findings: 3,
		},
		{
			Name: "aws-tokyo-storage", Recipient: "Amazon Web Services Japan G.K.", Countries: []string{"JP"},
			Type:       "storage",
			Items:      []ItemGroup{{Items: []string{"customer_id", "order_id", "amount"}}},
			LegalBasis: "overseas: contract", Bases: []string{"overseas: contract"}, Schedule: "realtime", Location: "manifests/aws.yaml:5", Declared: true,
			Observed: true, ObservedCountries: []string{"JP"},
			Records: "1,192", Subjects: "~412", Days: 2, Findings: 0,
		},
	}
	v := NewView(testReport("en"))
	if diff := cmp.Diff(want, v.Inventory); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	wantUnmatched := []UnmatchedView{{Key: "api.analytics.example", Country: "US", Records: "12", Subjects: "12", Days: 1, Items: []string{"device_id", "ip_address"}}}
	if diff := cmp.Diff(wantUnmatched, v.Unmatched); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
	if got := NewView(testReport("ko")).Inventory[0].Type; got != "위탁" {
		t.Errorf("ko type = %q, want 위탁", got)
	}
}

// TestViewWithoutManifests renders a run re-read without its manifests:
// the inventory comes from the observations.
func TestViewWithoutManifests(t *testing.T) {
	r := testReport("en")
	r.Run.Manifests = nil
	v := NewView(r)
	if v.Organization != "" || v.Summary.Exposure != nil {
		t.Errorf("organization %q, exposure %+v: want none without manifests", v.Organization, v.Summary.Exposure)
	}
	var names []string
	for _, f := range v.Inventory {
		names = append(names, f.Name)
		if f.Declared || !f.Observed {
			t.Errorf("%s: declared %v observed %v, want an observed-only row", f.Name, f.Declared, f.Observed)
		}
	}
	if diff := cmp.Diff([]string{"alipay-nsf", "aws-tokyo-storage"}, names); diff != "" {
		t.Errorf("inventory names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ItemGroup{{Items: []string{"account_id", "balance", "email", "phone"}}}, v.Inventory[0].Items); diff != "" {
		t.Errorf("observed items (-want +got):\n%s", diff)
	}
}

func TestGroupItems(t *testing.T) {
	taxonomy := map[string][]string{
		"account_id": {"identifier"}, "phone": {"contact"}, "email": {"contact"},
		"balance": {"credit_info", "efta_txn"}, "x": {"user_cat"},
	}
	got := groupItems([]string{"account_id", "phone", "balance", "email", "nsf_score", "x"}, taxonomy, catalogs["ko"])
	want := []ItemGroup{
		{Category: "identifier", Label: "식별자", Items: []string{"account_id"}},
		{Category: "contact", Label: "연락처", Items: []string{"phone", "email"}},
		{Category: "credit_info", Label: "개인신용정보", Items: []string{"balance"}},
		{Category: "", Items: []string{"nsf_score"}},
		{Category: "user_cat", Label: "user_cat", Items: []string{"x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groupItems (-want +got):\n%s", diff)
	}
	if got := groupItems(nil, taxonomy, catalogs["en"]); got != nil {
		t.Errorf("no items: %v", got)
	}
}

func TestViewArticles(t *testing.T) {
	type group struct {
		Article string
		Rules   [][]string // per severity group
	}
	var got []group
	for _, a := range NewView(testReport("en")).Articles {
		g := group{Article: a.Article}
		for _, s := range a.Severities {
			var rules []string
			for _, f := range s.Findings {
				rules = append(rules, s.Name+":"+f.Rule)
			}
			g.Rules = append(g.Rules, rules)
		}
		got = append(got, g)
	}
	want := []group{
		{"PIPA 26", [][]string{{"critical:PIPA-26-ENTRUSTMENT-MISCLASSIFIED"}}},
		{"PIPA 28-8(1)", [][]string{{"critical:XB-BULK-DAILY"}}},
		{"PIPA 28-8(1)3", [][]string{{"high:PIPA-28-8-CONTRACT-DISCLOSURE"}}},
		{"PIPA 29", [][]string{{"high:PIPA-29-WEAK-PSEUDONYMIZATION"}}},
		{"Other", [][]string{{"medium:XB-DATA-QUALITY"}, {"low:XB-MANIFEST-HYGIENE"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("articles (-want +got):\n%s", diff)
	}
}

func TestFindingView(t *testing.T) {
	rules := []audit.Rule{
		{ID: "R-BUILTIN", Builtin: true, Title: "T", TitleKO: "제목", Remediation: "Fix", RemediationKO: "수정", Articles: []string{"PIPA 30"}},
		{ID: "R-USER", Builtin: false, Title: "User rule"},
	}
	tests := []struct {
		name    string
		lang    string
		docs    string
		finding audit.Finding
		want    FindingView
	}{
		{
			name: "catalogue fills title, remediation and articles", lang: "ko", docs: "https://d/rules.md",
			finding: audit.Finding{ID: "1", Rule: "R-BUILTIN", Severity: audit.SeverityHigh, Message: "m",
				Evidence: map[string]any{"b": 2.0, "a": "x"}, Location: audit.Source{File: "f.yaml", Line: 3}, Status: "new"},
			want: FindingView{ID: "1", Rule: "R-BUILTIN", Severity: "high", SeverityRank: audit.SeverityHigh, SeverityText: "높음",
				Title: "제목", Articles: []string{"PIPA 30"}, Message: "m", Evidence: []Row{{"a", "x"}, {"b", "2"}},
				Location: "f.yaml:3", Remediation: "수정", HelpURL: "https://d/rules.md#r-builtin", State: "active", Status: "신규"},
		},
		{
			name: "finding text wins over the catalogue", lang: "en", docs: "https://d/rules.md",
			finding: audit.Finding{ID: "2", Rule: "R-BUILTIN", Severity: audit.SeverityLow, Title: "Own", Remediation: "Own fix",
				Articles: []string{"PIPA 3"}, Baselined: true},
			want: FindingView{ID: "2", Rule: "R-BUILTIN", Severity: "low", SeverityRank: audit.SeverityLow, SeverityText: "low",
				Title: "Own", Articles: []string{"PIPA 3"}, Evidence: []Row{}, Remediation: "Own fix",
				HelpURL: "https://d/rules.md#r-builtin", State: "baselined", StateText: "baselined: present in the accepted baseline"},
		},
		{
			name: "user rules get no docs link; Korean falls back to English", lang: "ko", docs: "https://d/rules.md",
			finding: audit.Finding{ID: "3", Rule: "R-USER", Severity: audit.SeverityMedium,
				Waived: &audit.Waiver{Owner: "o", Reason: "r", Expires: "2025-01-01"}},
			want: FindingView{ID: "3", Rule: "R-USER", Severity: "medium", SeverityRank: audit.SeverityMedium, SeverityText: "중간",
				Title: "User rule", Evidence: []Row{}, State: "waived", StateText: "예외 승인: o, 2025-01-01까지 — r"},
		},
		{
			name: "no docs URL, no link", lang: "en",
			finding: audit.Finding{ID: "4", Rule: "R-UNKNOWN", Severity: audit.SeverityCritical, Title: "U"},
			want: FindingView{ID: "4", Rule: "R-UNKNOWN", Severity: "critical", SeverityRank: audit.SeverityCritical,
				SeverityText: "critical", Title: "U", Evidence: []Row{}, State: "active"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Run: &audit.Run{Findings: []audit.Finding{tt.finding}}, Rules: rules, Lang: tt.lang, DocsURL: tt.docs}
			if diff := cmp.Diff([]FindingView{tt.want}, NewView(r).Findings); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestViewDataQualityAndIntegrity(t *testing.T) {
	v := NewView(testReport("en"))
	wantDQ := DataQualityView{
		Read: true, Lines: "2,004", Bad: "3", BadRatio: "0.15%", Unmatched: "12",
		Files: []FileQualityView{
			{Path: "logs/2024-03-01.jsonl", Lines: "1,204", Records: "40,451,212", Bad: "3", Examples: []Row{
				{"logs/2024-03-01.jsonl:17", "invalid JSON: unexpected end of input"},
				{"logs/2024-03-01.jsonl:230", "missing ts"},
				{"logs/2024-03-01.jsonl:999", "missing items"},
			}},
			{Path: "logs/2024-03-02.jsonl", Lines: "800", Records: "40,450,592", Bad: "0"},
		},
	}
	if diff := cmp.Diff(wantDQ, v.DataQuality); diff != "" {
		t.Errorf("data quality (-want +got):\n%s", diff)
	}
	in := v.Integrity
	if in.Tool != "xborder 0.1.0" || in.Started != "2024-03-02 01:00:00 UTC" || in.Records != "80,901,804" ||
		len(in.Inputs) != 5 || in.Inputs[3].Size != "1,048,576" || len(in.Skipped) != 1 || in.Hash != digest("run") {
		t.Errorf("integrity = %+v", in)
	}
}
