package policies

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func waiverRules() []audit.Rule {
	return []audit.Rule{
		{ID: "PIPA-28-8-CONTRACT-DISCLOSURE", Severity: audit.SeverityHigh},
		{ID: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow},
		{ID: "XB-BULK-DAILY", Severity: audit.SeverityCritical},
	}
}

func waiverFindings() []audit.Finding {
	return []audit.Finding{
		{ID: "a1", Rule: "PIPA-28-8-CONTRACT-DISCLOSURE", Severity: audit.SeverityHigh, Flow: "aws-tokyo-storage",
			Evidence: map[string]any{"basis": "contract"}, Location: audit.Source{File: "m/aws.yaml", Line: 4}},
		{ID: "a2", Rule: "PIPA-28-8-CONTRACT-DISCLOSURE", Severity: audit.SeverityHigh, Flow: "gcp-seoul",
			Evidence: map[string]any{"basis": "consent"}, Location: audit.Source{File: "m/gcp.yaml", Line: 4}},
		{ID: "b1", Rule: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow, Flow: "aws-tokyo-storage",
			Evidence: map[string]any{"missing": []any{"owner"}}},
		{ID: "c1", Rule: "XB-BULK-DAILY", Severity: audit.SeverityCritical, Flow: "alipay-nsf",
			Evidence: map[string]any{"days": json.Number("3"), "share": json.Number("0.98")}},
	}
}

// waivedBy lists finding ID → "owner" of the waiver that covers it.
func waivedBy(fs []audit.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		if f.Waived != nil {
			out[f.ID] = f.Waived.Owner
		}
	}
	return out
}

func ruleFlows(ws []audit.Waiver) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Rule+" "+w.Flow+" @"+w.Owner)
	}
	return out
}

func TestWaiversApply(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		asOf    string
		waived  map[string]string
		used    []string
		expired []string
		unused  []string
	}{
		{
			name: "glob waives both flows of the rule",
			yaml: `
- rule: PIPA-28-8-CONTRACT-DISCLOSURE
  flow: "*"
  owner: privacy
  reason: policy revision pending
  expires: 2024-04-30
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"a1": "privacy", "a2": "privacy"},
			used:   []string{"PIPA-28-8-CONTRACT-DISCLOSURE * @privacy"},
		},
		{
			name: "the expiry day itself still applies",
			yaml: `
- {rule: XB-MANIFEST-HYGIENE, flow: aws-tokyo-storage, owner: infra, reason: r, expires: 2024-03-08}
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"b1": "infra"},
			used:   []string{"XB-MANIFEST-HYGIENE aws-tokyo-storage @infra"},
		},
		{
			name: "expired waiver does not apply, even where it matches",
			yaml: `
- {rule: XB-MANIFEST-HYGIENE, flow: aws-tokyo-storage, owner: infra, reason: r, expires: 2024-03-07}
`,
			asOf:    "2024-03-08",
			waived:  map[string]string{},
			expired: []string{"XB-MANIFEST-HYGIENE aws-tokyo-storage @infra"},
		},
		{
			name: "unused waiver is reported",
			yaml: `
- {rule: XB-BULK-DAILY, flow: toss-*, owner: pay, reason: r, expires: 2025-01-01}
`,
			asOf:   "2024-03-08",
			waived: map[string]string{},
			unused: []string{"XB-BULK-DAILY toss-* @pay"},
		},
		{
			name: "no flow means every flow of the rule",
			yaml: `
- {rule: XB-BULK-DAILY, owner: pay, reason: r, expires: 2025-01-01}
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"c1": "pay"},
			used:   []string{"XB-BULK-DAILY  @pay"},
		},
		{
			name: "CEL condition over evidence and severity",
			yaml: `
- rule: PIPA-28-8-CONTRACT-DISCLOSURE
  owner: privacy
  reason: contract flows only
  expires: 2025-01-01
  when: finding.evidence.basis == "contract" && finding.severity == "high"
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"a1": "privacy"},
			used:   []string{"PIPA-28-8-CONTRACT-DISCLOSURE  @privacy"},
		},
		{
			name: "CEL compares json.Number evidence as numbers; a missing key does not match",
			yaml: `
- rule: XB-BULK-DAILY
  owner: pay
  reason: below four days
  expires: 2025-01-01
  when: finding.evidence.days < 4 && finding.evidence.share < 0.99
- rule: PIPA-28-8-CONTRACT-DISCLOSURE
  owner: privacy
  reason: r
  expires: 2025-01-01
  when: finding.evidence.nope == 1
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"c1": "pay"},
			used:   []string{"XB-BULK-DAILY  @pay"},
			unused: []string{"PIPA-28-8-CONTRACT-DISCLOSURE  @privacy"},
		},
		{
			name: "first matching waiver wins",
			yaml: `
- {rule: PIPA-28-8-CONTRACT-DISCLOSURE, flow: aws-tokyo-storage, owner: first, reason: r, expires: 2025-01-01}
- {rule: PIPA-28-8-CONTRACT-DISCLOSURE, flow: "aws-*", owner: second, reason: r, expires: 2025-01-01}
`,
			asOf:   "2024-03-08",
			waived: map[string]string{"a1": "first"},
			used:   []string{"PIPA-28-8-CONTRACT-DISCLOSURE aws-tokyo-storage @first"},
			unused: []string{"PIPA-28-8-CONTRACT-DISCLOSURE aws-* @second"},
		},
		{
			name:   "empty file",
			yaml:   "# nothing waived\n",
			asOf:   "2024-03-08",
			waived: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := ParseWaivers("w.yaml", []byte(tt.yaml), waiverRules())
			if err != nil {
				t.Fatal(err)
			}
			fs := waiverFindings()
			used, expired, unused := ws.Apply(fs, tt.asOf)
			if diff := cmp.Diff(tt.waived, waivedBy(fs)); diff != "" {
				t.Errorf("waived (-want +got):\n%s", diff)
			}
			for _, c := range []struct {
				what      string
				want, got []string
			}{{"used", tt.used, ruleFlows(used)}, {"expired", tt.expired, ruleFlows(expired)}, {"unused", tt.unused, ruleFlows(unused)}} {
				if diff := cmp.Diff(c.want, c.got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", c.what, diff)
				}
			}
		})
	}
}

func TestWaiverKeepsSourceAndFields(t *testing.T) {
	ws, err := ParseWaivers("w.yaml", []byte("\n- rule: XB-BULK-DAILY\n  owner: pay\n  reason: accepted until the redesign\n  expires: 2025-01-01\n"), waiverRules())
	if err != nil {
		t.Fatal(err)
	}
	fs := waiverFindings()
	ws.Apply(fs, "2024-03-08")
	want := &audit.Waiver{Rule: "XB-BULK-DAILY", Owner: "pay", Reason: "accepted until the redesign", Expires: "2025-01-01",
		Source: audit.Source{File: "w.yaml", Line: 2, Col: 3}}
	if diff := cmp.Diff(want, fs[3].Waived); diff != "" {
		t.Errorf("waiver (-want +got):\n%s", diff)
	}
}

func TestWaiversMalformed(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "missing owner, reason and expiry, all at once",
			yaml: "- rule: XB-BULK-DAILY\n  flow: x\n",
			want: []string{
				"w.yaml:1:3: waivers[0].expires: missing: a waiver needs rule, owner, reason and expires",
				"w.yaml:1:3: waivers[0].owner: missing: a waiver needs rule, owner, reason and expires",
				"w.yaml:1:3: waivers[0].reason: missing: a waiver needs rule, owner, reason and expires",
			},
		},
		{
			name: "bad date, unknown rule, unknown field, bad glob, empty owner",
			yaml: `- rule: XB-BULK-DAYLY
  flow: "alipay-["
  owner: ""
  reason: r
  expires: 2024-02-30
  approver: me
`,
			want: []string{
				`w.yaml:1:9: waivers[0].rule: unknown rule "XB-BULK-DAYLY" (xborder rules lists them)`,
				`w.yaml:2:9: waivers[0].flow: bad glob "alipay-[": syntax error in pattern`,
				`w.yaml:3:10: waivers[0].owner: is empty`,
				`w.yaml:5:12: waivers[0].expires: "2024-02-30" is not a date (want YYYY-MM-DD)`,
				`w.yaml:6:3: waivers[0].approver: unknown field (want rule, flow, owner, reason, expires, when)`,
			},
		},
		{
			name: "CEL compile error at its column, in the second waiver",
			yaml: `- {rule: XB-BULK-DAILY, owner: a, reason: r, expires: 2025-01-01}
- rule: XB-BULK-DAILY
  owner: a
  reason: r
  expires: 2025-01-01
  when: finding.severty == "high"
`,
			want: []string{
				`w.yaml:6:16: waivers[1].when: CEL: undefined field 'severty'`,
			},
		},
		{
			name: "CEL quoted expression that is not a bool",
			yaml: `- {rule: XB-BULK-DAILY, owner: a, reason: r, expires: 2025-01-01, when: "finding.flow"}`,
			want: []string{
				`w.yaml:1:74: waivers[0].when: CEL: the condition is string, want bool`,
			},
		},
		{
			name: "not a list",
			yaml: "rule: XB-BULK-DAILY\n",
			want: []string{"w.yaml:1:1: want a list of waivers (- rule: …, owner: …, reason: …, expires: …)"},
		},
		{
			name: "an item that is not a mapping, a duplicate key, a nested value",
			yaml: "- XB-BULK-DAILY\n- rule: XB-BULK-DAILY\n  rule: XB-BULK-DAILY\n  owner: [a, b]\n  reason: r\n  expires: 2025-01-01\n",
			want: []string{
				"w.yaml:1:3: waivers[0]: want a mapping with rule, owner, reason and expires",
				"w.yaml:3:3: waivers[1].rule: given twice",
				"w.yaml:4:10: waivers[1].owner: want a text value",
			},
		},
		{
			name: "YAML syntax",
			yaml: "- rule: [\n",
			want: []string{"w.yaml:1: invalid YAML: did not find expected node content"},
		},
		{
			// The YAML library says "line 1": its parser counts lines from 0.
			name: "YAML syntax, unclosed list",
			yaml: "- rule: XB-BULK-DAILY\n  owner: [a,\n  reason: r\n",
			want: []string{"w.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWaivers("w.yaml", []byte(tt.yaml), waiverRules())
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(audit.InputErrors); !ok {
				t.Fatalf("error is %T, want audit.InputErrors", err)
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadWaiversMissingFile(t *testing.T) {
	_, err := LoadWaivers(filepath.Join(t.TempDir(), "none.yaml"), nil)
	if err == nil || !strings.HasSuffix(err.Error(), "none.yaml: waiver file does not exist") {
		t.Errorf("err = %v, want a located does-not-exist error", err)
	}
}

func TestLoadWaiversFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte("- {rule: XB-BULK-DAILY, owner: a, reason: r, expires: 2025-01-01}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := LoadWaivers(p, waiverRules())
	if err != nil {
		t.Fatal(err)
	}
	if got := ws.List(); len(got) != 1 || got[0].Source.File != p {
		t.Errorf("List() = %+v, want one waiver from %s", got, p)
	}
}

// FuzzParseWaivers checks the parser never panics and either returns
// waivers or located input errors.
func FuzzParseWaivers(f *testing.F) {
	for _, s := range []string{
		"- {rule: XB-BULK-DAILY, owner: a, reason: r, expires: 2025-01-01}\n",
		"- rule: XB-BULK-DAILY\n  when: finding.evidence.days > 3\n",
		"- when: |\n    finding.flow ==\n",
		"[", "{}", "- - -", "- rule: &a x\n  owner: *a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseWaivers("f.yaml", data, waiverRules())
		if err != nil {
			ies, ok := err.(audit.InputErrors)
			if !ok || len(ies) == 0 {
				t.Fatalf("error %T %v is not input errors", err, err)
			}
			return
		}
		fs := waiverFindings()
		ws.Apply(fs, "2024-03-08")
	})
}
