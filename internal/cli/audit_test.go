package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

// expectedFile is a fixture's expected.json.
type expectedFile struct {
	AsOf     string `json:"asOf"`
	Findings []struct {
		Rule     string `json:"rule"`
		Flow     string `json:"flow"`
		Key      string `json:"key"`
		Severity string `json:"severity"`
	} `json:"findings"`
}

func readExpected(t *testing.T, path string) expectedFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedFile
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return exp
}

// TestAuditFixtures audits every scenario with an expected.json under
// fixtures/ and compares the findings, as (rule, flow, key, severity), with
// that list — no more, no fewer — and the exit code with the one DESIGN §8
// prescribes for it (1 when a finding is at or above high, the default
// --fail-on). A compliant-* scenario must expect nothing at or above high.
func TestAuditFixtures(t *testing.T) {
	paths, err := filepath.Glob(fixture("*", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(filepath.Dir(p)))
	}
	for _, must := range []string{"kakaopay-alipay", "compliant", "aliexpress-marketplace", "temu-processors"} {
		if !slices.Contains(names, must) {
			t.Errorf("fixtures/%s/expected.json was not found (found %v)", must, names)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			exp := readExpected(t, fixture(name, "expected.json"))
			code := ExitOK
			for _, f := range exp.Findings {
				sev, err := audit.ParseSeverity(f.Severity)
				if err != nil || sev == audit.SeverityNone {
					t.Fatalf("expected.json: %s: severity %q: %v", f.Rule, f.Severity, err)
				}
				if sev >= audit.SeverityHigh {
					code = ExitFindings
				}
			}
			if strings.HasPrefix(name, "compliant") && code != ExitOK {
				t.Errorf("%s is a compliant scenario but expects findings at or above high", name)
			}
			db := filepath.Join(t.TempDir(), "x.db")
			args := []string{"audit", "--manifests", fixture(name, "manifests"), "--as-of", exp.AsOf, "--db", db, "-f", "json"}
			// Scenarios whose facts are all declarations have no logs; a
			// consents/ directory is the scenario's consent ledger.
			for _, in := range []string{"logs", "consents"} {
				if _, err := os.Stat(fixture(name, in)); err == nil {
					args = append(args, "--"+in, fixture(name, in))
				}
			}
			res := runCLI(t, args...)
			if res.code != code {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", res.code, code, res.stderr)
			}
			env := decodeEnvelope(t, []byte(res.stdout))
			type key struct{ Rule, Flow, Key, Severity string }
			var got, want []key
			for _, f := range env.Findings {
				flow := f.Flow
				got = append(got, key{f.Rule, flow, f.Key, f.Severity})
			}
			for _, f := range exp.Findings {
				want = append(want, key{f.Rule, f.Flow, f.Key, f.Severity})
			}
			less := func(a, b key) int {
				return strings.Compare(a.Rule+"\x00"+a.Flow+"\x00"+a.Key, b.Rule+"\x00"+b.Flow+"\x00"+b.Key)
			}
			slices.SortFunc(got, less)
			slices.SortFunc(want, less)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings differ from %s/expected.json (-want +got):\n%s", name, diff)
			}
			if env.SchemaVersion != 1 || env.Run.AsOf != exp.AsOf || len(env.Run.PolicyDigest) != 64 {
				t.Errorf("envelope header: schemaVersion %d, asOf %q, policyDigest %q", env.SchemaVersion, env.Run.AsOf, env.Run.PolicyDigest)
			}
			for _, in := range env.Run.Inputs {
				if len(in.SHA256) != 64 {
					t.Errorf("input %s has no SHA-256 digest: %q", in.Path, in.SHA256)
				}
			}
			// The run is stored, with the same findings.
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			run, err := st.Run(context.Background(), "latest")
			if err != nil {
				t.Fatal(err)
			}
			if run.ID != env.Run.ID || len(run.Findings) != len(env.Findings) {
				t.Errorf("stored run %s with %d findings, reported run %s with %d", run.ID, len(run.Findings), env.Run.ID, len(env.Findings))
			}
		})
	}
}

// TestAuditKakaopayEvidence checks that the headline findings carry
// evidence a human can check, with the figures the fixture implies.
func TestAuditKakaopayEvidence(t *testing.T) {
	res := runCLI(t, "audit", "--manifests", fixture("kakaopay-alipay", "manifests"), "--logs", fixture("kakaopay-alipay", "logs"),
		"--as-of", "2024-03-08", "--db", filepath.Join(t.TempDir(), "x.db"), "-f", "json")
	env := decodeEnvelope(t, []byte(res.stdout))
	byRule := map[string]map[string]any{}
	for _, f := range env.Findings {
		if f.Flow == "alipay-nsf" || f.Flow == "" {
			byRule[f.Rule] = f.Evidence
		}
	}
	bulk := byRule["XB-BULK-DAILY"]
	if bulk == nil {
		t.Fatal("no XB-BULK-DAILY finding on alipay-nsf")
	}
	// The days, subjects per day and share of the subject base: one
	// full-base batch (40,450 subjects, 162% of the 25,000 active) a day.
	if n, _ := bulk["dayCount"].(float64); n != 8 {
		t.Errorf("XB-BULK-DAILY dayCount = %v, want 8", bulk["dayCount"])
	}
	days, _ := bulk["days"].([]any)
	if len(days) != 8 {
		t.Fatalf("XB-BULK-DAILY days = %v, want 8 entries", bulk["days"])
	}
	first, _ := days[0].(map[string]any)
	if first["day"] != "2024-03-01" || first["subjects"] != float64(40450) || first["share"] != 1.618 {
		t.Errorf("XB-BULK-DAILY first day = %v, want 2024-03-01 with 40450 subjects, share 1.618", first)
	}
	if bulk["subjectBase"] != float64(25000) {
		t.Errorf("XB-BULK-DAILY subjectBase = %v, want 25000", bulk["subjectBase"])
	}
	dq := byRule["XB-DATA-QUALITY"]
	if dq == nil || dq["badLines"] != float64(2) || dq["unmatchedLines"] != float64(9) {
		t.Errorf("XB-DATA-QUALITY evidence = %v, want badLines 2 and unmatchedLines 9", dq)
	}
}

// TestAuditBrokenManifests: every error at once, sorted, located, exit 2.
func TestAuditBrokenManifests(t *testing.T) {
	t.Chdir(repoRoot)
	res := runCLI(t, "audit", "--manifests", "fixtures/broken/manifests", "--logs", "fixtures/kakaopay-alipay/logs",
		"--db", filepath.Join(t.TempDir(), "x.db"))
	if res.code != ExitError {
		t.Fatalf("exit code %d, want 2\n%s", res.code, res.stderr)
	}
	want, err := os.ReadFile("fixtures/broken/expected-errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	var located []string
	for _, l := range lines {
		if strings.HasPrefix(l, "fixtures/") {
			located = append(located, l)
		}
	}
	wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
	if len(located) != len(wantLines) {
		t.Fatalf("%d located errors, want %d:\n%s", len(located), len(wantLines), res.stderr)
	}
	for i, w := range wantLines {
		// expected-errors.txt holds "file:line: field"; the output is "file:line:col: field: message".
		file, field, _ := strings.Cut(w, " ")
		if !strings.HasPrefix(located[i], strings.TrimSuffix(file, ":")+":") || !strings.Contains(located[i], ": "+field+": ") {
			t.Errorf("error %d = %q, want %s… %s", i, located[i], file, field)
		}
	}
	if !slices.IsSorted(located) && !sortedByLocation(located) {
		t.Errorf("errors are not sorted:\n%s", strings.Join(located, "\n"))
	}
}

func sortedByLocation(lines []string) bool {
	return slices.IsSortedFunc(lines, func(a, b string) int {
		fa, la := splitLoc(a)
		fb, lb := splitLoc(b)
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		return la - lb
	})
}

func splitLoc(s string) (string, int) {
	parts := strings.SplitN(s, ":", 3)
	n := 0
	for _, c := range parts[1] {
		n = n*10 + int(c-'0')
	}
	return parts[0], n
}

// TestAuditBadLinesAbort: 5% bad lines is above the default 1%: exit 2, and
// the database holds no new run.
func TestAuditBadLinesAbort(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	// A first, good run so that "no new run" is observable.
	if res := runCLI(t, "audit", "--manifests", fixture("compliant", "manifests"), "--logs", fixture("compliant", "logs"),
		"--as-of", "2024-03-08", "--db", db); res.code != ExitOK {
		t.Fatalf("good run: exit %d\n%s", res.code, res.stderr)
	}
	res := runCLI(t, "audit", "--manifests", fixture("broken", "badlines", "manifests"), "--logs", fixture("broken", "badlines", "logs"),
		"--as-of", "2024-03-08", "--db", db)
	if res.code != ExitError {
		t.Fatalf("exit code %d, want 2\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"10 of 200", "5.00%", "nothing was stored", ".jsonl:"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Errorf("database holds %d runs after the aborted run, want 1", len(runs))
	}
	// A higher threshold lets the same input through.
	if res := runCLI(t, "audit", "--manifests", fixture("broken", "badlines", "manifests"), "--logs", fixture("broken", "badlines", "logs"),
		"--as-of", "2024-03-08", "--db", db, "--max-bad-ratio", "0.06", "--fail-on", "none"); res.code != ExitOK {
		t.Errorf("with --max-bad-ratio 0.06: exit %d, want 0\n%s", res.code, res.stderr)
	}
}

// TestAuditUsageErrors: bad flags are exit 2 with a message naming the flag.
func TestAuditUsageErrors(t *testing.T) {
	m := fixture("compliant", "manifests")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit"}, "--manifests is required"},
		{[]string{"audit", "--manifests", m, "--fail-on", "severe"}, "--fail-on"},
		{[]string{"audit", "--manifests", m, "--as-of", "2024-13-01"}, "--as-of"},
		{[]string{"audit", "--manifests", m, "-f", "xml"}, "--format"},
		{[]string{"audit", "--manifests", m, "--max-bad-ratio", "2"}, "--max-bad-ratio"},
		{[]string{"audit", "--nope"}, "unknown flag"},
		{[]string{"nope"}, "unknown command"},
	} {
		res := runCLI(t, tc.args...)
		if res.code != ExitError || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}
