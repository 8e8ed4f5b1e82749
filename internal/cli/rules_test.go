package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// catalogue is the rule catalogue of DESIGN §7 with its severities. The IDs
// are binding: reports, waivers and baselines refer to them, so a rule may
// not be renamed, dropped or added to the embedded pack without changing
// this table with the design.
var catalogue = map[string]string{
	"PIPA-28-8-BASIS":                   "critical",
	"PIPA-28-8-SEPARATE-CONSENT":        "high",
	"PIPA-28-8-NOTICE-ITEMS":            "high",
	"PIPA-28-8-CONTRACT-BASIS-MISUSE":   "high",
	"PIPA-28-8-CONTRACT-DISCLOSURE":     "high",
	"PIPA-28-8-ALT-BASIS-VALIDITY":      "high",
	"PIPA-28-8-4-SAFEGUARDS":            "high",
	"XB-SHADOW-FLOW":                    "critical",
	"XB-COUNTRY-MISMATCH":               "high",
	"XB-ITEMS-UNDECLARED":               "high",
	"PIPA-3-16-MINIMIZATION":            "high",
	"XB-BULK-DAILY":                     "critical",
	"XB-SCOPE-NONUSERS":                 "high",
	"PIPA-17-CONSENT-AT-TRANSFER":       "critical",
	"PIPA-17-NOTICE-ITEMS":              "high",
	"PIPA-17-PURPOSE-MISMATCH":          "high",
	"PIPA-22-BUNDLED-MANDATORY":         "medium",
	"PIPA-26-ENTRUSTMENT-MISCLASSIFIED": "critical",
	"PIPA-26-ENTRUSTMENT-CONTROLS":      "medium",
	"PIPA-28-11-ONWARD":                 "high",
	"PIPA-29-WEAK-PSEUDONYMIZATION":     "high",
	"PIPA-29-TRANSPORT-ENCRYPTION":      "high",
	"PIPA-28-2-PSEUDONYM-LINKAGE":       "high",
	"PIPA-21-RETENTION":                 "medium",
	"PIPA-30-POLICY-DISCLOSURE":         "high",
	"PIPA-23-SENSITIVE":                 "critical",
	"PIPA-24-UNIQUE-ID-RRN":             "critical",
	"PIPA-31-2-DOMESTIC-AGENT":          "medium",
	"PIPA-34-BREACH-CLOCK":              "high",
	"CIA-32-CREDIT-CONSENT":             "critical",
	"EFTA-26-TXN-CONFIDENTIALITY":       "high",
	"XB-MANIFEST-HYGIENE":               "low",
	"XB-DATA-QUALITY":                   "medium",
}

// `xborder rules --format json` lists exactly the 33 catalogue IDs, each with
// the catalogue's severity, English and Korean titles, articles and
// remediation in both languages, sorted by ID.
func TestRulesJSONIsTheCatalogue(t *testing.T) {
	if len(catalogue) != 33 {
		t.Fatalf("the catalogue table holds %d rules, DESIGN §7 has 33", len(catalogue))
	}
	res := runCLI(t, "rules", "--format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit code %d\n%s", res.code, res.stderr)
	}
	var rules []struct {
		ID            string   `json:"id"`
		Severity      string   `json:"severity"`
		Title         string   `json:"title"`
		TitleKO       string   `json:"title_ko"`
		Description   string   `json:"description"`
		Articles      []string `json:"articles"`
		Remediation   string   `json:"remediation"`
		RemediationKO string   `json:"remediation_ko"`
		Builtin       bool     `json:"builtin"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rules); err != nil {
		t.Fatalf("decode: %v\n%s", err, res.stdout)
	}
	got := map[string]string{}
	var ids []string
	for _, r := range rules {
		got[r.ID] = r.Severity
		ids = append(ids, r.ID)
		if !r.Builtin {
			t.Errorf("%s: not marked builtin", r.ID)
		}
		for field, v := range map[string]string{"title": r.Title, "description": r.Description, "remediation": r.Remediation} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: empty %s", r.ID, field)
			}
		}
		for field, v := range map[string]string{"title_ko": r.TitleKO, "remediation_ko": r.RemediationKO} {
			if !hasHangul(v) {
				t.Errorf("%s: %s %q is not Korean", r.ID, field, v)
			}
		}
		if hasHangul(r.Title) || hasHangul(r.Remediation) {
			t.Errorf("%s: the English title or remediation is in Korean", r.ID)
		}
		if len(r.Articles) == 0 || slices.Contains(r.Articles, "") {
			t.Errorf("%s: articles %q", r.ID, r.Articles)
		}
	}
	if diff := cmp.Diff(catalogue, got); diff != "" {
		t.Errorf("rule IDs and severities differ from DESIGN §7 (-catalogue +rules):\n%s", diff)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("rules are not sorted by ID: %v", ids)
	}
}

func hasHangul(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) >= 0
}

// docs/rules.md is `xborder rules --format markdown`, byte for byte: the
// documentation cannot drift from the rules' METADATA. `make docs` rewrites it.
func TestDocsRulesMarkdownIsCurrent(t *testing.T) {
	res := runCLI(t, "rules", "--format", "markdown")
	if res.code != ExitOK {
		t.Fatalf("exit code %d\n%s", res.code, res.stderr)
	}
	committed, err := os.ReadFile(filepath.Join(repoRoot, "docs", "rules.md"))
	if err != nil {
		t.Fatalf("%v (generate it with `make docs`)", err)
	}
	if diff := cmp.Diff(strings.Split(string(committed), "\n"), strings.Split(res.stdout, "\n")); diff != "" {
		t.Errorf("docs/rules.md is stale: run `make docs` (-committed +generated):\n%s", diff)
	}
	for id := range catalogue {
		if !strings.Contains(res.stdout, "\n## "+id+"\n") {
			t.Errorf("docs/rules.md has no section for %s", id)
		}
	}
}
