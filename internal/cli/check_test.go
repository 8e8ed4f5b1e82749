package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkRepo lays out a repository with the Kakao Pay manifests under
// svc/manifests, a waiver file (one waiver in force, one expired, one that
// matches nothing) and a baseline holding two of the findings, and makes
// svc the working directory: CI formats must then name files from the
// repository root (svc/manifests/…), the others from the working directory.
func checkRepo(t *testing.T) {
	t.Helper()
	root := t.TempDir()
	for _, dir := range []string{".git", "svc/manifests"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := fixture("kakaopay-alipay", "manifests")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "svc", "manifests", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"svc/.xborder-waivers.yaml": `- rule: PIPA-26-ENTRUSTMENT-MISCLASSIFIED
  flow: alipay-nsf
  owner: payments-platform
  reason: the Alipay contract is being reclassified as a provision
  expires: 2024-06-30
- rule: CIA-32-CREDIT-CONSENT
  flow: alipay-*
  owner: credit-office
  reason: consent flow shipped
  expires: 2024-02-29
- rule: XB-MANIFEST-HYGIENE
  owner: platform
  reason: owners are being assigned
  expires: 2024-12-31
`,
		// PIPA-3-16-MINIMIZATION on both flows.
		"svc/baseline.json": `{"version": 1, "tool": "xborder", "findings": [
  {"id": "3e611fd14ce22007", "rule": "PIPA-3-16-MINIMIZATION", "flow": "alipay-nsf"},
  {"id": "eb1efe1161728e3a", "rule": "PIPA-3-16-MINIMIZATION", "flow": "alipay-overseas-payment"}
]}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(root, "svc"))
}

// normalize replaces what legitimately changes between runs and builds
// (the run id's random part, digests of policies and inputs) so that the
// golden files hold only what the format decides.
func normalize(b []byte) []byte {
	for _, r := range []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`20240308T120000Z-[0-9a-f]{6}`), "20240308T120000Z-RUNID"},
		{regexp.MustCompile(`[0-9a-f]{64}`), "SHA256"},
		{regexp.MustCompile("policy digest ` [0-9a-f]{12} `"), "policy digest ` SHA256 `"},
	} {
		b = r.re.ReplaceAll(b, []byte(r.with))
	}
	return b
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(repoRoot, "internal", "cli", "testdata", "check", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestCheck -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

var checkArgs = []string{"check", "manifests", "--as-of", "2024-03-08", "--baseline", "baseline.json"}

// TestCheckGolden renders one fixture run with waivers and a baseline in
// every format `check` offers engineers.
func TestCheckGolden(t *testing.T) {
	checkRepo(t)
	for _, format := range []string{"text", "json", "sarif", "junit", "github", "markdown"} {
		t.Run(format, func(t *testing.T) {
			res := runCLI(t, append(checkArgs, "-f", format)...)
			if res.code != ExitFindings {
				t.Fatalf("exit %d, want %d\n%s", res.code, ExitFindings, res.stderr)
			}
			wantStderr := ".xborder-waivers.yaml:6:3: waiver for CIA-32-CREDIT-CONSENT on flow alipay-* (owner credit-office) expired on 2024-02-29 and no longer applies\n" +
				"warning: .xborder-waivers.yaml:11:3: waiver for XB-MANIFEST-HYGIENE (owner platform) matched no finding\n"
			if res.stderr != "warning: "+wantStderr {
				t.Errorf("stderr = %q, want the expired and unused waivers", res.stderr)
			}
			goldenFile(t, "kakaopay."+format, normalize([]byte(res.stdout)))
		})
	}
}

// checkEnvelope is the JSON envelope's findings, for cross-checking formats.
type checkEnvelope struct {
	Summary struct {
		Critical, High, Medium, Low, Waived, Baselined, Total int
	} `json:"summary"`
	NotEvaluated []string `json:"notEvaluated"`
	Findings     []struct {
		ID       string `json:"id"`
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Location struct {
			File      string `json:"file"`
			Line, Col int
		} `json:"location"`
		Waived    *struct{ Owner string } `json:"waived"`
		Baselined bool                    `json:"baselined"`
	} `json:"findings"`
}

func TestCheckFormatsAgree(t *testing.T) {
	checkRepo(t)
	var env checkEnvelope
	if err := json.Unmarshal([]byte(runCLI(t, append(checkArgs, "-f", "json")...).stdout), &env); err != nil {
		t.Fatal(err)
	}
	s := env.Summary
	if got, want := [7]int{s.Critical, s.High, s.Medium, s.Low, s.Waived, s.Baselined, s.Total}, [7]int{1, 11, 4, 0, 1, 2, 19}; got != want {
		t.Errorf("summary critical, high, medium, low, waived, baselined, total = %v, want %v", got, want)
	}
	if len(env.NotEvaluated) == 0 || !strings.Contains(strings.Join(env.NotEvaluated, ","), "XB-BULK-DAILY") {
		t.Errorf("notEvaluated = %v, want the rules that need logs", env.NotEvaluated)
	}

	// Every finding is one GitHub annotation at its file (from the
	// repository root), line and column, at the level its state gives.
	var want, got []string
	for _, f := range env.Findings {
		level := "error"
		switch {
		case f.Waived != nil || f.Baselined:
			level = "notice"
		case f.Severity == "medium" || f.Severity == "low":
			level = "warning"
		}
		want = append(want, fmt.Sprintf("%s file=svc/%s,line=%d,col=%d,title=%s", level, f.Location.File, f.Location.Line, f.Location.Col, f.Rule))
	}
	annotation := regexp.MustCompile(`^::(\w+) (file=[^,]*,line=\d+,col=\d+,title=[^:]*)::`)
	for _, line := range strings.Split(strings.TrimSpace(runCLI(t, append(checkArgs, "-f", "github")...).stdout), "\n") {
		m := annotation.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not an annotation: %q", line)
		}
		if !strings.HasPrefix(m[2], "file=svc/.xborder-waivers.yaml") {
			got = append(got, m[1]+" "+m[2])
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("github annotations (-from json +github):\n%s", diff)
	}

	// SARIF: valid against the 2.1.0 schema, one result per finding with
	// the same fingerprint.
	sarifOut := []byte(runCLI(t, append(checkArgs, "-f", "sarif")...).stdout)
	validateSARIF(t, sarifOut)
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID              string            `json:"ruleId"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				BaselineState       string            `json:"baselineState"`
				Suppressions        []any             `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarifOut, &sarif); err != nil {
		t.Fatal(err)
	}
	results := sarif.Runs[0].Results
	if len(results) != len(env.Findings) {
		t.Fatalf("%d SARIF results, %d findings", len(results), len(env.Findings))
	}
	for i, f := range env.Findings {
		r := results[i]
		state := map[bool]string{true: "unchanged", false: "new"}[f.Baselined]
		if r.RuleID != f.Rule || r.PartialFingerprints["xborder/v1"] != f.ID || r.BaselineState != state || (len(r.Suppressions) > 0) != (f.Waived != nil) {
			t.Errorf("result %d = %+v, finding %+v", i, r, f)
		}
	}

	// JUnit parses; failures are the active findings at or above high,
	// skipped the waived, baselined and not evaluated ones.
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	if err := xml.Unmarshal([]byte(runCLI(t, append(checkArgs, "-f", "junit")...).stdout), &junit); err != nil {
		t.Fatalf("junit: %v", err)
	}
	if junit.Failures != 12 || junit.Skipped != 3+len(env.NotEvaluated) {
		t.Errorf("junit failures=%d skipped=%d, want 12 and %d", junit.Failures, junit.Skipped, 3+len(env.NotEvaluated))
	}
}

func TestCheckExitCodes(t *testing.T) {
	checkRepo(t)
	if err := os.WriteFile("bad-waivers.yaml", []byte("- rule: XB-BULK-DAILY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--fail-on", "high"}, ExitFindings, ""},
		{[]string{"--fail-on", "critical"}, ExitFindings, ""}, // CIA-32: its waiver expired
		{[]string{"--fail-on", "critical", "--as-of", "2024-02-29"}, ExitOK, ""},
		{[]string{"--fail-on", "none"}, ExitOK, ""},
		{[]string{"--fail-on", "urgent"}, ExitError, `--fail-on: unknown severity "urgent"`},
		{[]string{"-f", "pdf-ish"}, ExitError, `--format: unknown format "pdf-ish"`},
		{[]string{"--lang", "fr"}, ExitError, `--lang: unknown language "fr"`},
		{[]string{"--waivers", "bad-waivers.yaml"}, ExitError, "bad-waivers.yaml:1:3: waivers[0].expires: missing"},
		{[]string{"--baseline", "nope.json"}, ExitError, "nope.json: baseline file does not exist"},
		{[]string{"--no-such-flag"}, ExitError, "unknown flag: --no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"check", "manifests", "--as-of", "2024-03-08"}, tt.args...)
			res := runCLI(t, args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", res.code, tt.code, res.stderr)
			}
			if tt.stderr != "" && !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", res.stderr, tt.stderr)
			}
		})
	}
}

// TestCheckInputErrorsTogether: a bad waiver file and a bad baseline are
// reported in one go, sorted, before anything is evaluated.
func TestCheckInputErrorsTogether(t *testing.T) {
	checkRepo(t)
	if err := os.WriteFile("w.yaml", []byte("- {rule: NOPE, owner: a, reason: r, expires: 2024-01-01}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("b.json", []byte("{\"version\": 7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "check", "manifests", "--waivers", "w.yaml", "--baseline", "b.json", "-f", "json")
	want := "b.json:1:1: baseline version 7, this build reads version 1\n" +
		"w.yaml:1:10: waivers[0].rule: unknown rule \"NOPE\" (xborder rules lists them)\n" +
		"xborder: 2 input error(s)\n"
	if res.code != ExitError || res.stderr != want || res.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and:\n%s", res.code, res.stdout, res.stderr, want)
	}
}

// TestCheckWriteBaselineThenPass writes a baseline and checks that the next
// run passes with it, and that the file is stable across runs.
func TestCheckWriteBaselineThenPass(t *testing.T) {
	checkRepo(t)
	first := runCLI(t, "check", "manifests", "--as-of", "2024-03-08", "--write-baseline", "out/base.json", "-f", "json")
	if first.code != ExitOK {
		t.Fatalf("writing a baseline: exit %d\n%s", first.code, first.stderr)
	}
	a, err := os.ReadFile("out/base.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(a, []byte(`"id":`)); n != 18 {
		t.Errorf("baseline holds %d findings, want 18 (19 less the waived one)", n)
	}
	if res := runCLI(t, "check", "manifests", "--as-of", "2024-03-08", "--baseline", "out/base.json"); res.code != ExitOK {
		t.Errorf("with the baseline: exit %d, want 0\n%s", res.code, res.stdout)
	}
	runCLI(t, "check", "manifests", "--as-of", "2024-03-08", "--write-baseline", "out/base.json")
	b, _ := os.ReadFile("out/base.json")
	if !bytes.Equal(a, b) {
		t.Errorf("the baseline file changed between two runs over the same manifests")
	}
}

// validateSARIF checks a SARIF log against the OASIS 2.1.0 schema (the copy
// the reports tests use).
func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "reports", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("sarif is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("sarif does not validate against the 2.1.0 schema:\n%v", err)
	}
}
