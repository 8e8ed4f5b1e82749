package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/xborder/xborder/internal/audit"
)

// prReport is the shared test run as `xborder check` hands it to the pull
// request formats: run from a subdirectory of the repository, with a
// baseline, field columns, and one expired and one unused waiver.
func prReport(lang string) *Report {
	r := testReport(lang)
	r.Root = "services/pay"
	r.BaselineUsed = true
	for i := range r.Run.Findings {
		f := &r.Run.Findings[i]
		if f.Location.Line > 0 {
			f.Location.Col = 5
		}
	}
	r.ExpiredWaivers = []audit.Waiver{{
		Rule: "XB-BULK-DAILY", Flow: "alipay-*", Owner: "payments-platform", Reason: "migration to per-transaction transfers",
		Expires: "2024-02-29", Source: audit.Source{File: "xborder-waivers.yaml", Line: 9, Col: 3},
	}}
	r.UnusedWaivers = []audit.Waiver{{
		Rule: "PIPA-29-WEAK-PSEUDONYMIZATION", Flow: "toss-*", Owner: "security", Reason: "HMAC rollout",
		Expires: "2024-12-31", Source: audit.Source{File: "xborder-waivers.yaml", Line: 15, Col: 3},
	}}
	return r
}

// prHostileName is a flow name and message fragment that tries every escape:
// HTML, quotes, Markdown code and table syntax, a line break that would
// start a new workflow command, and a right-to-left override.
const prHostileName = "<script>alert(\"x\")</script> 'q' `tick` |pipe| a,b:c 100%\n::error::injected \u202Eevil\u202C"

// prHostileReport is a report whose only flow, messages, evidence and waiver
// carry prHostileName.
func prHostileReport() *Report {
	r := testReport("en")
	r.Root = "svc"
	run := r.Run
	run.NotEvaluated = nil
	run.Findings = []audit.Finding{
		{
			ID: "0123456789abcdef", Rule: "XB-BULK-DAILY", Severity: audit.SeverityCritical, Title: "Bulk daily transfer",
			Flow: prHostileName, Message: "flow " + prHostileName + " sends everyone",
			Evidence: map[string]any{"note": prHostileName},
			Location: audit.Source{File: "manifests/we|ird, na:me.yaml", Line: 7, Col: 3},
		},
		{
			ID: "fedcba9876543210", Rule: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow, Title: "Manifest hygiene",
			Flow: prHostileName, Message: "no owner: " + prHostileName,
			Location: audit.Source{File: "manifests/a.yaml", Line: 2},
			Waived: &audit.Waiver{Rule: "XB-MANIFEST-HYGIENE", Owner: "@octocat", Reason: prHostileName, Expires: "2024-12-31",
				Source: audit.Source{File: ".xborder-waivers.yaml", Line: 1}},
		},
	}
	return r
}

var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("sarif-schema-2.1.0.json")
})

// validateSARIF checks out against the OASIS SARIF 2.1.0 schema, formats
// (uri-reference, date-time) included.
func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	sch, err := sarifSchema()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("sarif is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("sarif does not validate against the 2.1.0 schema:\n%v", err)
	}
}

// sarifDoc is the part of a SARIF log the tests read.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct{ Text string }
					HelpURI          string         `json:"helpUri"`
					Properties       map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind          string `json:"kind"`
				Status        string `json:"status"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
			BaselineState string `json:"baselineState"`
		} `json:"results"`
		Invocations []struct {
			ToolConfigurationNotifications []struct {
				Level   string `json:"level"`
				Message struct{ Text string }
			} `json:"toolConfigurationNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, out []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestSARIFGolden(t *testing.T) {
	for _, tt := range []struct {
		file string
		r    *Report
	}{
		{"sarif.golden", testReport("en")},
		{"sarif-pr.golden", prReport("en")},
	} {
		t.Run(tt.file, func(t *testing.T) {
			out := render(t, "sarif", tt.r)
			validateSARIF(t, out)
			golden(t, tt.file, out)
		})
	}
}

func TestSARIFContent(t *testing.T) {
	r := prReport("en")
	out := render(t, "sarif", r)
	validateSARIF(t, out)
	d := decodeSARIF(t, out)
	run := d.Runs[0]

	// Rules: the catalogue, sorted, with GitHub's properties.
	var ids []string
	for _, rule := range run.Tool.Driver.Rules {
		ids = append(ids, rule.ID)
		if want := testDocsURL + "#" + strings.ToLower(rule.ID); rule.HelpURI != want {
			t.Errorf("%s helpUri = %q, want %q", rule.ID, rule.HelpURI, want)
		}
	}
	wantIDs := []string{"PIPA-26-ENTRUSTMENT-MISCLASSIFIED", "PIPA-28-8-CONTRACT-DISCLOSURE", "PIPA-29-WEAK-PSEUDONYMIZATION",
		"XB-BULK-DAILY", "XB-DATA-QUALITY", "XB-MANIFEST-HYGIENE"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Fatalf("rule ids (-want +got):\n%s", diff)
	}
	bulk := run.Tool.Driver.Rules[3]
	if got := bulk.Properties["security-severity"]; got != "9.5" {
		t.Errorf("XB-BULK-DAILY security-severity = %v, want \"9.5\"", got)
	}
	if diff := cmp.Diff([]any{"security", "privacy", "compliance", "PIPA 28-8(1)", "PIPA 3"}, bulk.Properties["tags"]); diff != "" {
		t.Errorf("XB-BULK-DAILY tags (-want +got):\n%s", diff)
	}
	if bulk.Name != "BulkDailyTransferOfTheSubjectBase" {
		t.Errorf("rule name = %q", bulk.Name)
	}

	type result struct {
		Rule, Level, URI string
		Line, Col        int
		Fingerprint      string
		Baseline         string
		Suppression      string
	}
	var got []result
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: ruleIndex %d points at %s", res.RuleID, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID)
		}
		g := result{Rule: res.RuleID, Level: res.Level, Fingerprint: res.PartialFingerprints[FingerprintKey], Baseline: res.BaselineState}
		if len(res.Locations) > 0 {
			pl := res.Locations[0].PhysicalLocation
			g.URI, g.Line, g.Col = pl.ArtifactLocation.URI, pl.Region.StartLine, pl.Region.StartColumn
		}
		for _, s := range res.Suppressions {
			g.Suppression = s.Kind + "/" + s.Status + ": " + s.Justification
		}
		got = append(got, g)
	}
	want := []result{
		{"PIPA-26-ENTRUSTMENT-MISCLASSIFIED", "error", "services/pay/manifests/alipay.yaml", 21, 5, "9f8e7d6c5b4a3921", "new", ""},
		{"XB-BULK-DAILY", "error", "services/pay/manifests/alipay.yaml", 21, 5, "1a2b3c4d5e6f7081", "new", ""},
		{"PIPA-28-8-CONTRACT-DISCLOSURE", "error", "services/pay/manifests/aws.yaml", 14, 5, "3c4d5e6f708192a3", "new",
			"external/accepted: privacy-office: policy revision with the AWS Tokyo entry ships on 2024-04-01 (expires 2024-04-30)"},
		{"PIPA-29-WEAK-PSEUDONYMIZATION", "error", "services/pay/manifests/alipay.yaml", 40, 5, "2b3c4d5e6f708192", "new", ""},
		{"XB-DATA-QUALITY", "warning", "services/pay/logs/2024-03-01.jsonl", 0, 0, "5e6f708192a3b4c5", "new", ""},
		{"XB-MANIFEST-HYGIENE", "note", "services/pay/manifests/aws.yaml", 3, 5, "4c1d2e3f5a6b7c8d", "unchanged", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}

	notes := run.Invocations[0].ToolConfigurationNotifications
	if len(notes) != 2 || notes[0].Level != "warning" || !strings.Contains(notes[0].Message.Text, "expired on 2024-02-29") ||
		notes[1].Level != "note" || !strings.Contains(notes[1].Message.Text, "matched no finding") {
		t.Errorf("waiver notifications = %+v", notes)
	}
}

// TestSARIFFingerprintsSurviveLineShifts edits around every finding (its
// line and column move) and checks code scanning would see the same alerts.
func TestSARIFFingerprintsSurviveLineShifts(t *testing.T) {
	fingerprints := func(r *Report) map[string]string {
		out := map[string]string{}
		for _, res := range decodeSARIF(t, render(t, "sarif", r)).Runs[0].Results {
			out[res.RuleID+" "+res.Message.Text] = res.PartialFingerprints[FingerprintKey]
		}
		return out
	}
	before := fingerprints(prReport("en"))
	shifted := prReport("en")
	for i := range shifted.Run.Findings {
		shifted.Run.Findings[i].Location.Line += 12
		shifted.Run.Findings[i].Location.Col += 2
	}
	if diff := cmp.Diff(before, fingerprints(shifted)); diff != "" {
		t.Errorf("fingerprints changed with the lines (-before +after):\n%s", diff)
	}
}

func TestSARIFEscaping(t *testing.T) {
	out := render(t, "sarif", prHostileReport())
	validateSARIF(t, out)
	d := decodeSARIF(t, out)
	res := d.Runs[0].Results
	if want := "flow " + strings.ReplaceAll(prHostileName, "\n", " ") + " sends everyone"; res[0].Message.Text != want {
		t.Errorf("message = %q, want %q (exact text, line break folded)", res[0].Message.Text, want)
	}
	if got, want := res[0].Locations[0].PhysicalLocation.ArtifactLocation.URI, "svc/manifests/we%7Cird,%20na:me.yaml"; got != want {
		t.Errorf("uri = %q, want %q", got, want)
	}
	if !strings.Contains(res[1].Suppressions[0].Justification, "@octocat: <script>") {
		t.Errorf("justification = %q", res[1].Suppressions[0].Justification)
	}
}

func TestRepoPath(t *testing.T) {
	tests := []struct{ root, file, want string }{
		{"", "manifests/a.yaml", "manifests/a.yaml"},
		{"services/pay", "manifests/a.yaml", "services/pay/manifests/a.yaml"},
		{"services/pay", "../shared/a.yaml", "services/shared/a.yaml"},
		{"services/pay", "./a.yaml", "services/pay/a.yaml"},
		{"services/pay", "/abs/a.yaml", "/abs/a.yaml"},
		{"services/pay", "", ""},
	}
	for _, tt := range tests {
		if got := repoPath(&Report{Root: tt.root}, tt.file); got != tt.want {
			t.Errorf("repoPath(%q, %q) = %q, want %q", tt.root, tt.file, got, tt.want)
		}
	}
}
