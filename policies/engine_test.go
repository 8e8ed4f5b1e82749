package policies

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var (
	defaultOnce   sync.Once
	defaultEngine *Engine
	defaultErr    error
)

// engine returns the engine of the embedded pack, compiled once per test binary.
func engine(t testing.TB) *Engine {
	t.Helper()
	defaultOnce.Do(func() { defaultEngine, defaultErr = New(context.Background(), Options{}) })
	if defaultErr != nil {
		t.Fatalf("New: %v", defaultErr)
	}
	return defaultEngine
}

func evaluate(t testing.TB, e *Engine, in *audit.Input) []audit.Finding {
	t.Helper()
	fs, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return fs
}

func only(fs []audit.Finding, rules map[string]bool) []audit.Finding {
	return slices.DeleteFunc(slices.Clone(fs), func(f audit.Finding) bool { return !rules[f.Rule] })
}

func find(t *testing.T, fs []audit.Finding, rule, flow string) audit.Finding {
	t.Helper()
	for _, f := range fs {
		if f.Rule == rule && f.Flow == flow {
			return f
		}
	}
	t.Fatalf("no %s finding on flow %q", rule, flow)
	return audit.Finding{}
}

// writeFiles creates files (path → content) under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The golden file pins every finding of this package's nine rules on the
// Kakao Pay scenario: messages, evidence, locations, fingerprints.
func TestEvaluateKakaoPayGolden(t *testing.T) {
	fs := only(evaluate(t, engine(t), kakaoPay(0)), ownRules)
	got, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "kakaopay.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("findings differ from %s (-want +got):\n%s", golden, diff)
	}
}

func TestEvaluateKakaoPayFires(t *testing.T) {
	fs := only(evaluate(t, engine(t), kakaoPay(0)), ownRules)
	type hit struct{ Rule, Flow, Key string }
	var got []hit
	for _, f := range fs {
		got = append(got, hit{f.Rule, f.Flow, f.Key})
	}
	want := []hit{
		{"PIPA-26-ENTRUSTMENT-MISCLASSIFIED", "alipay-nsf", ""},
		{"PIPA-28-8-BASIS", "aws-backup", ""},
		{"XB-BULK-DAILY", "alipay-nsf", ""},
		{"XB-SHADOW-FLOW", "", "collect.tracker.example|US"},
		{"PIPA-28-8-CONTRACT-BASIS-MISUSE", "alipay-nsf", ""},
		{"PIPA-29-WEAK-PSEUDONYMIZATION", "alipay-nsf", ""},
		{"PIPA-3-16-MINIMIZATION", "alipay-nsf", ""},
		{"PIPA-3-16-MINIMIZATION", "alipay-overseas-payment", ""},
		{"XB-ITEMS-UNDECLARED", "alipay-overseas-payment", ""},
		{"XB-DATA-QUALITY", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (rule, flow, key) in output order (-want +got):\n%s", diff)
	}
}

// The metadata of the METADATA block is joined to every finding.
func TestEvaluateJoinsMetadata(t *testing.T) {
	e := engine(t)
	fs := evaluate(t, e, kakaoPay(0))
	rules := map[string]audit.Rule{}
	for _, r := range e.Rules() {
		rules[r.ID] = r
	}
	for _, f := range fs {
		r, ok := rules[f.Rule]
		if !ok {
			t.Fatalf("finding of unknown rule %s", f.Rule)
		}
		got := audit.Rule{ID: f.Rule, Title: f.Title, TitleKO: f.TitleKO, Severity: f.Severity, Articles: f.Articles, Remediation: f.Remediation, RemediationKO: f.RemediationKO}
		want := audit.Rule{ID: r.ID, Title: r.Title, TitleKO: r.TitleKO, Severity: r.Severity, Articles: r.Articles, Remediation: r.Remediation, RemediationKO: r.RemediationKO}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s on %q: metadata (-rule +finding):\n%s", f.Rule, f.Flow, diff)
		}
	}
	bulk := find(t, fs, "XB-BULK-DAILY", "alipay-nsf")
	if bulk.Severity != audit.SeverityCritical || bulk.Title != "Bulk or full-base daily export abroad" || bulk.TitleKO != "대량·전체 이용자 일일 국외 전송" {
		t.Errorf("XB-BULK-DAILY metadata = %v %q %q", bulk.Severity, bulk.Title, bulk.TitleKO)
	}
}

// Findings point at the exact field they are about, else at the closest
// written parent, the recipient, the log line or the organization.
func TestEvaluateLocations(t *testing.T) {
	fs := evaluate(t, engine(t), kakaoPay(0))
	tests := []struct {
		rule, flow, key string
		want            audit.Source
	}{
		{"PIPA-28-8-CONTRACT-BASIS-MISUSE", "alipay-nsf", "", src(0, 61, 15)},
		{"PIPA-26-ENTRUSTMENT-MISCLASSIFIED", "alipay-nsf", "", src(0, 55, 9)},
		{"PIPA-29-WEAK-PSEUDONYMIZATION", "alipay-nsf", "", src(0, 66, 19)},
		{"PIPA-3-16-MINIMIZATION", "alipay-overseas-payment", "", src(0, 75, 11)}, // spec.items[0]: account_id
		{"XB-ITEMS-UNDECLARED", "alipay-overseas-payment", "", src(0, 75, 10)},
		{"PIPA-28-8-BASIS", "aws-backup", "", src(0, 97, 3)},               // spec.legalBasis.overseas not written: its parent
		{"XB-BULK-DAILY", "alipay-nsf", "", src(0, 50, 1)},                 // no field: the flow
		{"XB-SHADOW-FLOW", "", "collect.tracker.example|US", src(0, 1, 1)}, // no flow: the organization
		{"XB-DATA-QUALITY", "", "", audit.Source{File: "logs/2024-05-21.jsonl", Line: 311}},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.flow, func(t *testing.T) {
			for _, f := range fs {
				if f.Rule == tt.rule && f.Flow == tt.flow && f.Key == tt.key {
					if diff := cmp.Diff(tt.want, f.Location); diff != "" {
						t.Errorf("location (-want +got):\n%s", diff)
					}
					return
				}
			}
			t.Fatalf("no finding")
		})
	}
}

// Moving every manifest line changes locations but no fingerprint.
func TestFingerprintsSurviveLineShifts(t *testing.T) {
	e := engine(t)
	before := evaluate(t, e, kakaoPay(0))
	after := evaluate(t, e, kakaoPay(7))
	if len(before) != len(after) {
		t.Fatalf("%d findings before, %d after the shift", len(before), len(after))
	}
	moved := 0
	for i := range before {
		if before[i].ID != after[i].ID {
			t.Errorf("%s on %q: ID %s became %s when lines moved", before[i].Rule, before[i].Flow, before[i].ID, after[i].ID)
		}
		if before[i].Location.File == manifestFile && after[i].Location.Line != before[i].Location.Line+7 {
			t.Errorf("%s on %q: line %d became %d, want +7", before[i].Rule, before[i].Flow, before[i].Location.Line, after[i].Location.Line)
		} else if before[i].Location.File == manifestFile {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no finding points into the manifest; the test proves nothing")
	}
	ids := map[string]bool{}
	for _, f := range before {
		if ids[f.ID] {
			t.Errorf("duplicate ID %s", f.ID)
		}
		ids[f.ID] = true
		if want := audit.Fingerprint(f.Rule, f.Flow, f.Location.File, f.Key); f.Flow != "" && f.ID != want {
			t.Errorf("%s on %q: ID %s, want audit.Fingerprint = %s", f.Rule, f.Flow, f.ID, want)
		}
	}
}

// Two evaluations, by two engines, of equal inputs give byte-identical JSON.
func TestEvaluateIsDeterministic(t *testing.T) {
	other, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(evaluate(t, engine(t), kakaoPay(0)))
	b, _ := json.Marshal(evaluate(t, other, kakaoPay(0)))
	c, _ := json.Marshal(evaluate(t, other, kakaoPay(0)))
	if string(a) != string(b) || string(b) != string(c) {
		t.Errorf("evaluations differ:\n%s\n%s\n%s", a, b, c)
	}
	if engine(t).Digest() != other.Digest() {
		t.Errorf("digests differ: %s %s", engine(t).Digest(), other.Digest())
	}
}

// Evidence numbers are json.Number, exact, whatever their size.
func TestEvidenceNumbersAreJSONNumbers(t *testing.T) {
	f := find(t, evaluate(t, engine(t), kakaoPay(0)), "XB-BULK-DAILY", "alipay-nsf")
	if n, ok := f.Evidence["peakSubjects"].(json.Number); !ok || n.String() != "40450000" {
		t.Errorf("peakSubjects = %#v, want json.Number 40450000", f.Evidence["peakSubjects"])
	}
	days := f.Evidence["days"].([]any)
	if s, ok := days[0].(map[string]any)["share"].(json.Number); !ok || s.String() != "1.618" {
		t.Errorf("share = %#v, want json.Number 1.618", days[0].(map[string]any)["share"])
	}
	if n := len(days); n != 30 {
		t.Errorf("%d bulk days in the 30-day window ending 2024-05-21, want 30", n)
	}
}

func TestEvaluateFillsParams(t *testing.T) {
	e := engine(t)
	in := kakaoPay(0)
	in.Params = nil
	evaluate(t, e, in)
	if diff := cmp.Diff(e.Params(), in.Params); diff != "" {
		t.Errorf("in.Params (-engine +input):\n%s", diff)
	}
	// A partial map keeps its values and gains the missing ones: with a
	// 40-day bulk requirement the daily export is no longer "bulk".
	in = kakaoPay(0)
	in.Params = map[string]any{"bulkDays": 40}
	fs := evaluate(t, e, in)
	if in.Params["bulkShare"] == nil || in.Params["bulkDays"] != 40 {
		t.Errorf("in.Params = %v", in.Params)
	}
	for _, f := range fs {
		if f.Rule == "XB-BULK-DAILY" {
			t.Errorf("XB-BULK-DAILY fired with bulkDays 40 over a 30-day window")
		}
	}
}

func TestParamsOverrides(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{Params: map[string]any{"bulkDays": 31, "bulkShare": 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	p := e.Params()
	if p["bulkDays"] != json.Number("31") || p["bulkShare"] != json.Number("0.9") || p["bulkAbsolute"] != json.Number("1000000") {
		t.Errorf("Params = %v", p)
	}
	if e.Digest() == engine(t).Digest() {
		t.Error("the digest ignores the effective parameters")
	}
	for _, f := range evaluate(t, e, kakaoPay(0)) {
		if f.Rule == "XB-BULK-DAILY" {
			t.Errorf("XB-BULK-DAILY fired on 30 bulk days with bulkDays 31")
		}
	}

	// Bad overrides are input errors at their source, all at once; one
	// without a source is reported as "params".
	_, err = New(ctx, Options{
		Params:       map[string]any{"bulkdays": 3, "bulkShare": "half", "bulkAbsolute": true},
		ParamSources: map[string]audit.Source{"bulkdays": {File: "xborder.yaml", Line: 3, Col: 3}, "bulkShare": {File: "xborder.yaml", Line: 4, Col: 3}},
	})
	var ies audit.InputErrors
	if !errors.As(err, &ies) {
		t.Fatalf("New with bad parameters: %v, want input errors", err)
	}
	var got []string
	for _, ie := range ies {
		got = append(got, ie.Error())
	}
	known := "breachSubjects, bulkAbsolute, bulkDays, bulkShare, bulkWindowDays, domesticAgentDailyUsers, domesticAgentRevenueKRW, onwardRecipients, outOfScopeShare, reviewAgeDays, supervisionAgeDays, surchargeShare"
	want := []string{
		"params: params.bulkAbsolute: want a number like the default 1000000, have true",
		"xborder.yaml:3:3: params.bulkdays: unknown policy parameter (known: " + known + ")",
		"xborder.yaml:4:3: params.bulkShare: want a number like the default 0.5, have half",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// --data extends the taxonomy and the parameters; YAML and JSON alike.
func TestDataDirs(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"taxonomy.yaml": "xborder:\n  reference:\n    items:\n      kakao_uuid: [identifier]\n",
		"params.yaml":   "bulkDays: 5\nmyThreshold: 7\n",
	})
	e, err := New(context.Background(), Options{DataDirs: []string{dir}, Params: map[string]any{"myThreshold": 9}})
	if err != nil {
		t.Fatal(err)
	}
	if !e.KnownItem("kakao_uuid") || !e.KnownItem("account_id") || e.KnownItem("nonexistent") {
		t.Errorf("KnownItem: kakao_uuid %v, account_id %v, nonexistent %v", e.KnownItem("kakao_uuid"), e.KnownItem("account_id"), e.KnownItem("nonexistent"))
	}
	if p := e.Params(); p["bulkDays"] != json.Number("5") || p["myThreshold"] != json.Number("9") {
		t.Errorf("Params = %v", p)
	}
	// kakao_uuid is now an identifier: minimisation reports it as one.
	in := kakaoPay(0)
	f := find(t, evaluate(t, e, in), "PIPA-3-16-MINIMIZATION", "alipay-overseas-payment")
	if diff := cmp.Diff([]any{"account_id", "kakao_uuid"}, f.Evidence["identifiers"]); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
	if e.Digest() == engine(t).Digest() {
		t.Error("the digest ignores --data files")
	}

	bad := writeFiles(t, map[string]string{"broken.json": "{\n  \"xborder\": [1,\n}"})
	_, err = New(context.Background(), Options{DataDirs: []string{bad}})
	var ies audit.InputErrors
	if !errors.As(err, &ies) || len(ies) != 1 || ies[0].File != filepath.Join(bad, "broken.json") || ies[0].Line != 3 {
		t.Errorf("broken JSON: %v, want one located input error at line 3", err)
	}

	// Broken YAML data reads like every other YAML file's problems: the
	// true line (the library says "line 2" for the unclosed list), the
	// column of a refused byte, duplicate keys.
	bad = writeFiles(t, map[string]string{
		"list.yaml": "xborder:\n  reference:\n    items: [a,\n  other: 1\n",
		"dup.yaml":  "a: 1\nb: 2\na: 3\n",
		"ctl.yaml":  "a: 1\nb: \"\x1b[0m\"\n",
	})
	_, err = New(context.Background(), Options{DataDirs: []string{bad}})
	want := []string{
		filepath.Join(bad, "ctl.yaml") + ":2:5: invalid YAML: control character U+001B is not allowed",
		filepath.Join(bad, "dup.yaml") + `:3: invalid YAML: mapping key "a" already defined at line 1`,
		filepath.Join(bad, "list.yaml") + ":3: invalid YAML: did not find expected ',' or ']'",
	}
	if err == nil {
		t.Fatal("broken YAML data: no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("broken YAML data (-want +got):\n%s", diff)
	}
}

func TestRulesMetadata(t *testing.T) {
	rules := engine(t).Rules()
	if !slices.IsSortedFunc(rules, func(a, b audit.Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Rules() is not sorted by ID")
	}
	byID := map[string]audit.Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	for id := range ownRules {
		r, ok := byID[id]
		if !ok {
			t.Errorf("rule %s is missing", id)
			continue
		}
		snake := strings.ToLower(strings.ReplaceAll(id, "-", "_"))
		want := audit.Source{File: "policies/rules/" + snake + ".rego", Line: r.Source.Line, Col: 1}
		if r.Package != "xborder.rules."+snake || r.Source != want || !r.Builtin || r.Source.Line < 10 {
			t.Errorf("%s: package %q source %+v builtin %v", id, r.Package, r.Source, r.Builtin)
		}
	}
	needs := map[string]bool{"XB-BULK-DAILY": true, "XB-SHADOW-FLOW": true, "XB-ITEMS-UNDECLARED": true, "XB-DATA-QUALITY": true}
	for id := range ownRules {
		if got := byID[id].NeedsObservations(); got != needs[id] {
			t.Errorf("%s: NeedsObservations = %v, want %v", id, got, needs[id])
		}
	}
	if r := byID["PIPA-28-8-BASIS"]; r.Severity != audit.SeverityCritical || !slices.Equal(r.Articles, []string{"PIPA 28-8(1)", "PIPA 28-9"}) || r.TitleKO != "국외이전 적법근거 부재" {
		t.Errorf("PIPA-28-8-BASIS = %+v", r)
	}
}

const userRule = `# METADATA
# title: Flows must name an owner
# description: House rule.
# custom:
#   id: ACME-OWNER
#   severity: low
#   articles: ["ACME 1"]
#   title_ko: 담당자 미지정
#   remediation: Set metadata.owner.
package xborder.rules.acme_owner

deny contains {"flow": name, "message": sprintf("%s has no owner", [name]), "evidence": {"owner": ""}} if {
	some name, f in input.flows
	not f.owner
}

deny contains {"recipient": name, "field": "spec.ownPurposes", "message": sprintf("%s has own purposes", [name]), "evidence": {}} if {
	some name, r in input.recipients
	count(object.get(r, "ownPurposes", [])) > 0
}

deny contains {"location": {"file": "logs/x.jsonl", "line": 3}, "key": "x", "message": "explicit", "evidence": {}} if {
	input.mode == "audit"
}
`

// A user policy under the same contract joins the pack; its recipient and
// explicit-location findings resolve as documented.
func TestUserPolicy(t *testing.T) {
	dir := writeFiles(t, map[string]string{"acme/owner.rego": userRule, "acme/owner_test.rego": "package x\n\ntest_x if false\n", ".hidden/bad.rego": "not rego"})
	e, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	var rule audit.Rule
	for _, r := range e.Rules() {
		if r.ID == "ACME-OWNER" {
			rule = r
		}
	}
	if rule.Builtin || rule.Source.File != filepath.Join(dir, "acme", "owner.rego") || rule.Severity != audit.SeverityLow {
		t.Errorf("user rule = %+v", rule)
	}
	fs := evaluate(t, e, kakaoPay(0))
	var got []string
	for _, f := range fs {
		if f.Rule == "ACME-OWNER" {
			got = append(got, f.Flow+" "+f.Location.File+":"+strconv.Itoa(f.Location.Line)+" "+f.Message)
		}
	}
	want := []string{
		" logs/x.jsonl:3 explicit",
		" manifests/kakaopay.yaml:26 alipay has own purposes",
		"alipay-nsf manifests/kakaopay.yaml:50 alipay-nsf has no owner",
		"alipay-overseas-payment manifests/kakaopay.yaml:70 alipay-overseas-payment has no owner",
		"aws-backup manifests/kakaopay.yaml:90 aws-backup has no owner",
		"kr-pg manifests/kakaopay.yaml:110 kr-pg has no owner",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user findings (-want +got):\n%s", diff)
	}
	if e.Digest() == engine(t).Digest() {
		t.Error("the digest ignores user policies")
	}
}

// User-policy problems are located input errors, all reported at once.
func TestUserPolicyErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		sub   string   // the policy path inside the directory, if not the directory
		want  []string // error lines, with the directory as "DIR"
	}{
		{
			name: "network call",
			files: map[string]string{"exfil.rego": `# METADATA
# title: Exfil
# custom: {id: ACME-EXFIL, severity: high, articles: [x], title_ko: x, remediation: x}
package xborder.rules.exfil

deny contains {"message": "x"} if {
	http.send({"method": "GET", "url": "https://evil.example"}).status_code == 200
}
`},
			want: []string{"DIR/exfil.rego:7:2: rego_type_error: undefined function http.send"},
		},
		{
			name: "clock and randomness",
			files: map[string]string{"clock.rego": `# METADATA
# title: Clock
# custom: {id: ACME-CLOCK, severity: high, articles: [x], title_ko: x, remediation: x}
package xborder.rules.clock

deny contains {"message": "x"} if time.now_ns() > 0

deny contains {"message": "y"} if rand.intn("x", 10) > 0
`},
			want: []string{
				"DIR/clock.rego:6:35: rego_type_error: undefined function time.now_ns",
				"DIR/clock.rego:8:35: rego_type_error: undefined function rand.intn",
			},
		},
		{
			name: "duplicate and incomplete metadata",
			files: map[string]string{
				"a.rego": `# METADATA
# title: Mine
# custom: {id: XB-BULK-DAILY, severity: high, articles: [x], title_ko: x, remediation: x}
package xborder.rules.mine

deny contains {"message": "x"} if false
`,
				"b.rego": `# METADATA
# title: Half
# custom: {id: acme half, severity: urgent, articles: [], title_ko: x, extra: 1}
package xborder.rules.half

deny contains {"message": "x"} if false
`,
				"c.rego": "package xborder.rules.bare\n\nallow := true\n",
				"d.rego": "package xborder.rules.deep.nested\n\ndeny contains {\"message\": \"x\"} if false\n",
			},
			want: []string{
				"DIR/a.rego:1:1: custom.id: XB-BULK-DAILY is already the ID of the rule at policies/rules/xb_bulk_daily.rego:LINE",
				`DIR/b.rego:1:1: custom.articles: want a non-empty list of strings, have []`,
				`DIR/b.rego:1:1: custom.extra: unknown field (known: id, severity, articles, title_ko, remediation, remediation_ko, needs)`,
				`DIR/b.rego:1:1: custom.id: "acme half": use upper-case letters, digits and dashes`,
				`DIR/b.rego:1:1: custom.remediation: missing`,
				`DIR/b.rego:1:1: custom.severity: unknown severity "urgent" (want critical, high, medium, low or none)`,
				"DIR/c.rego:1:1: METADATA: package xborder.rules.bare has no METADATA block (title, description, custom.id, severity, articles, title_ko, remediation)",
				"DIR/d.rego:1:1: package: rule packages are xborder.rules.<name>, not xborder.rules.deep.nested",
			},
		},
		{
			name:  "parse error",
			files: map[string]string{"p.rego": "package xborder.rules.p\n\ndeny contains x if {\n"},
			want:  []string{"DIR/p.rego:4: rego_parse_error: unexpected eof token"},
		},
		{
			name: "missing directory",
			sub:  "missing",
			want: []string{"DIR/missing: no such file or directory"},
		},
	}
	var bulkLine int
	for _, r := range engine(t).Rules() {
		if r.ID == "XB-BULK-DAILY" {
			bulkLine = r.Source.Line
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := New(context.Background(), Options{PolicyDirs: []string{filepath.Join(dir, tt.sub)}})
			var ies audit.InputErrors
			if !errors.As(err, &ies) {
				t.Fatalf("New: %v (%T), want audit.InputErrors", err, err)
			}
			var got []string
			for _, line := range strings.Split(err.Error(), "\n") {
				line = strings.ReplaceAll(line, dir, "DIR")
				got = append(got, strings.ReplaceAll(line, "xb_bulk_daily.rego:"+strconv.Itoa(bulkLine), "xb_bulk_daily.rego:LINE"))
			}
			for i := range got { // keep the first line of multi-line OPA messages
				got[i] = strings.SplitN(got[i], "\n", 2)[0]
			}
			got = slices.DeleteFunc(got, func(s string) bool { return !strings.HasPrefix(s, "DIR/") })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// A finding that breaks the contract is an evaluation error naming the rule.
func TestUserFindingShapeErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`deny contains {"flow": "x", "evidence": {}} if true`, "a finding needs a message"},
		{`deny contains {"message": "m", "evidence": [1]} if true`, `"evidence" is []interface {}, want an object`},
		{`deny contains {"message": "m", "severity": "low"} if true`, `unknown key "severity"`},
		{`deny contains {"message": "m", "location": {"line": 2}} if true`, `"location" needs a "file"`},
		{`deny contains {"message": m} if some m in ["a", "b"]`, "two findings share the fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"r.rego": "# METADATA\n# title: R\n# custom: {id: ACME-R, severity: low, articles: [x], title_ko: x, remediation: x}\npackage xborder.rules.r\n\n" + tt.body + "\n"})
			e, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Evaluate(context.Background(), kakaoPay(0))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "rule ACME-R ("+filepath.Join(dir, "r.rego")+":4)") {
				t.Errorf("Evaluate error = %v, want one naming ACME-R and %q", err, tt.want)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	dir := writeFiles(t, map[string]string{"slow.rego": `# METADATA
# title: Slow
# custom: {id: ACME-SLOW, severity: low, articles: [x], title_ko: x, remediation: x}
package xborder.rules.slow

deny contains {"message": "never"} if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j < 0
}
`})
	e, err := New(context.Background(), Options{PolicyDirs: []string{dir}, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = e.Evaluate(context.Background(), kakaoPay(0))
	if err == nil || !strings.Contains(err.Error(), "policy evaluation exceeded its 100ms timeout") {
		t.Fatalf("Evaluate error = %v, want the timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Evaluate returned after %s, long after its 100ms timeout", d)
	}
	// The caller's own cancellation is honoured too, and said differently.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Evaluate(ctx, kakaoPay(0))
	if err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("Evaluate on a cancelled context = %v", err)
	}
}

// A user's rule that builds text from bytes that are not UTF-8 yields
// findings with U+FFFD in their place, in the message, the evidence and its
// keys: every format shows the same text, and JSON reads it back unchanged.
func TestInvalidUTF8FromRule(t *testing.T) {
	dir := writeFiles(t, map[string]string{"bytes/bytes.rego": `# METADATA
# title: Bytes
# description: A rule that decodes bytes.
# custom:
#   id: ACME-BYTES
#   severity: low
#   articles: ["ACME 2"]
#   title_ko: 바이트
#   remediation: None.
package xborder.rules.acme_bytes

deny contains {"flow": name, "message": concat("", [name, " ", base64.decode("/w==")]), "evidence": {"raw": [base64.decode("gICA")], base64.decode("/w=="): 1}} if {
	some name, _ in input.flows
	name == "kr-pg"
}
`})
	e, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	var got *audit.Finding
	fs := evaluate(t, e, kakaoPay(0))
	for i := range fs {
		if fs[i].Rule == "ACME-BYTES" {
			got = &fs[i]
		}
	}
	if got == nil {
		t.Fatal("ACME-BYTES did not fire")
	}
	if got.Message != "kr-pg \uFFFD" {
		t.Errorf("message %q, want the invalid byte as U+FFFD", got.Message)
	}
	want := map[string]any{"raw": []any{"\uFFFD"}, "\uFFFD": json.Number("1")} // a run of bad bytes: one U+FFFD
	if diff := cmp.Diff(want, got.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
}
