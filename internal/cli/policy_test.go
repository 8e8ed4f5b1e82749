package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The text report: failures always, passes and skips with -v, coverage rows
// sorted by file, and a threshold judged on the unrounded total (94.96% is
// printed as 95.0% but misses a 95% gate).
func TestPolicyTestText(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	results := []policyTestResult{
		{File: "p/a_test.rego", Line: 3, Package: "a_test", Name: "test_ok", Passed: true},
		{File: "p/a_test.rego", Line: 5, Package: "a_test", Name: "test_bad", Error: "test failed\nprint output"},
		{File: "p/a_test.rego", Line: 9, Package: "a_test", Name: "todo_test_later", Skipped: true},
	}
	for _, tc := range []struct {
		name  string
		out   policyTestOutcome
		want  string
		under bool
	}{
		{
			name: "failures only",
			out:  policyTestOutcome{Results: results, Passed: 1, Failed: 1, Skipped: 1},
			want: "FAIL p/a_test.rego:5: data.a_test.test_bad\n    test failed\n    print output\n1 passed, 1 failed, 1 skipped\n",
		},
		{
			name: "verbose",
			out:  policyTestOutcome{Results: results, Passed: 1, Failed: 1, Skipped: 1, verbose: true},
			want: "PASS p/a_test.rego:3: data.a_test.test_ok\n" +
				"FAIL p/a_test.rego:5: data.a_test.test_bad\n    test failed\n    print output\n" +
				"SKIP p/a_test.rego:9: data.a_test.todo_test_later\n" +
				"1 passed, 1 failed, 1 skipped\n",
		},
		{
			name: "coverage under a threshold it rounds to",
			out: policyTestOutcome{
				Results: results[:1], Passed: 1,
				Coverage: pct(95), exact: 94.96, Threshold: pct(95),
				FileCoverage: map[string]float64{"p/b.rego": 100, "p/a.rego": 90.1},
			},
			want:  "coverage:\n   90.1%  p/a.rego\n  100.0%  p/b.rego\n   95.0%  total (threshold 95%: UNDER)\n\n1 passed, 0 failed\n",
			under: true,
		},
		{
			name: "coverage at the threshold",
			out: policyTestOutcome{
				Passed: 0, Coverage: pct(95), exact: 95, Threshold: pct(95),
				FileCoverage: map[string]float64{"p/a.rego": 95},
			},
			want: "coverage:\n   95.0%  p/a.rego\n   95.0%  total (threshold 95%: ok)\n\n0 passed, 0 failed\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := policyTestText(&b, &tc.out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if got := tc.out.underThreshold(); got != tc.under {
				t.Errorf("underThreshold() = %v, want %v", got, tc.under)
			}
		})
	}
}
