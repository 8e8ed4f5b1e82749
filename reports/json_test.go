package reports

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xborder/xborder/internal/audit"
)

// TestJSONEnvelope decodes the golden run's JSON back and checks the
// envelope's contract: version, keys, counts that add up, finding order.
func TestJSONEnvelope(t *testing.T) {
	out := render(t, "json", testReport("en"))
	if !bytes.HasPrefix(out, []byte("{\n  \"schemaVersion\": 1,\n")) {
		t.Errorf("envelope does not open with a two-space indented schemaVersion:\n%.80s", out)
	}

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"dataQuality", "findings", "notEvaluated", "run", "schemaVersion", "summary", "tool"}
	if diff := cmp.Diff(wantKeys, slices.Sorted(maps.Keys(raw))); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	var run map[string]json.RawMessage
	if err := json.Unmarshal(raw["run"], &run); err != nil {
		t.Fatal(err)
	}
	wantRun := []string{"asOf", "finished", "hash", "id", "inputs", "mode", "policyDigest", "prevHash", "records", "skippedFiles", "started"}
	if diff := cmp.Diff(wantRun, slices.Sorted(maps.Keys(run))); diff != "" {
		t.Errorf("run keys (-want +got):\n%s", diff)
	}
	var inputs []map[string]any
	if err := json.Unmarshal(run["inputs"], &inputs); err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if diff := cmp.Diff([]string{"kind", "path", "sha256"}, slices.Sorted(maps.Keys(in))); diff != "" {
			t.Errorf("input keys (-want +got):\n%s", diff)
		}
	}

	var env struct {
		SchemaVersion int        `json:"schemaVersion"`
		Tool          audit.Tool `json:"tool"`
		Run           struct {
			ID           string            `json:"id"`
			AsOf         string            `json:"asOf"`
			PolicyDigest string            `json:"policyDigest"`
			Inputs       []audit.InputFile `json:"inputs"`
		} `json:"run"`
		Summary struct {
			Critical, High, Medium, Low, Waived, Baselined, Total int
		} `json:"summary"`
		DataQuality  audit.DataQuality `json:"dataQuality"`
		NotEvaluated []string          `json:"notEvaluated"`
		Findings     []audit.Finding   `json:"findings"`
	}
	if err := json.Unmarshal(out, &env); err != nil {
		t.Fatal(err)
	}
	want := testRun()
	if env.SchemaVersion != 1 {
		t.Errorf("schemaVersion = %d, want 1", env.SchemaVersion)
	}
	if env.Tool != want.Tool || env.Run.ID != want.ID || env.Run.AsOf != want.AsOf || env.Run.PolicyDigest != want.PolicyDigest {
		t.Errorf("tool/run = %+v %+v, want %+v and the run's id, asOf, policyDigest", env.Tool, env.Run, want.Tool)
	}
	if len(env.Run.Inputs) != len(want.Inputs) || env.Run.Inputs[0].SHA256 != want.Inputs[0].SHA256 {
		t.Errorf("inputs = %+v, want the run's %d inputs with digests", env.Run.Inputs, len(want.Inputs))
	}
	s := env.Summary
	if s.Critical != 2 || s.High != 1 || s.Medium != 1 || s.Low != 0 || s.Waived != 1 || s.Baselined != 1 || s.Total != 6 {
		t.Errorf("summary = %+v, want critical 2, high 1, medium 1, low 0, waived 1, baselined 1, total 6", s)
	}
	if sum := s.Critical + s.High + s.Medium + s.Low + s.Waived + s.Baselined; sum != s.Total || s.Total != len(env.Findings) {
		t.Errorf("summary parts add to %d, total %d, findings %d: want all equal", sum, s.Total, len(env.Findings))
	}
	if !slices.IsSortedFunc(env.Findings, func(a, b audit.Finding) int { return int(b.Severity) - int(a.Severity) }) {
		t.Errorf("findings are not ordered most serious first")
	}
	if env.Findings[0].Rule != "PIPA-26-ENTRUSTMENT-MISCLASSIFIED" || env.Findings[0].Evidence["type"] != "entrustment" {
		t.Errorf("first finding = %+v, want PIPA-26-ENTRUSTMENT-MISCLASSIFIED with its evidence", env.Findings[0])
	}
	var waived *audit.Finding
	for i := range env.Findings {
		if env.Findings[i].Waived != nil {
			waived = &env.Findings[i]
		}
	}
	if waived == nil || waived.Waived.Owner != "privacy-office" || waived.Waived.Expires != "2024-04-30" {
		t.Errorf("waived finding = %+v, want the waiver's owner and expiry kept", waived)
	}
	if env.DataQuality.Bad != 3 || len(env.DataQuality.Files) != 2 || env.DataQuality.Files[0].Examples[0].Line != 17 {
		t.Errorf("dataQuality = %+v, want the run's accounting", env.DataQuality)
	}
	if diff := cmp.Diff([]string{"PIPA-17-CONSENT-AT-TRANSFER"}, env.NotEvaluated); diff != "" {
		t.Errorf("notEvaluated (-want +got):\n%s", diff)
	}
	// The envelope is the same in every language.
	if ko := render(t, "json", testReport("ko")); !bytes.Equal(ko, out) {
		t.Errorf("json differs between en and ko")
	}
}

// TestJSONEmptyRun checks an empty run still has every key, with [] not null.
func TestJSONEmptyRun(t *testing.T) {
	r := &Report{Run: &audit.Run{ID: "r1", Mode: audit.ModeCheck, AsOf: "2024-03-02", Tool: audit.Tool{Name: "xborder", Version: "dev"}}}
	out := string(render(t, "json", r))
	for _, want := range []string{
		`"findings": []`, `"notEvaluated": []`, `"inputs": []`, `"skippedFiles": []`, `"files": []`,
		`"total": 0`, `"prevHash": ""`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("empty run JSON lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("empty run JSON has a null:\n%s", out)
	}
}

// TestJSONNilEvidence checks a finding without evidence or articles gets
// {} and [] rather than null, and the run itself is not modified.
func TestJSONNilEvidence(t *testing.T) {
	run := &audit.Run{Findings: []audit.Finding{{ID: "a", Rule: "XB-X", Severity: audit.SeverityLow}}}
	out := string(render(t, "json", &Report{Run: run}))
	if !strings.Contains(out, `"evidence": {}`) || !strings.Contains(out, `"articles": []`) {
		t.Errorf("want empty evidence and articles, got:\n%s", out)
	}
	if run.Findings[0].Evidence != nil || run.Findings[0].Articles != nil {
		t.Errorf("rendering modified the run's finding: %+v", run.Findings[0])
	}
}
