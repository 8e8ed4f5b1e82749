package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/policies"
)

type policyTestFlags struct {
	verbose   bool
	coverage  bool
	threshold float64
	format    string
	dataDirs  []string
}

// policyTestFormats render the outcome of `xborder policy test`; their keys
// are the values --format accepts.
var policyTestFormats = map[string]func(io.Writer, *policyTestOutcome) error{
	"text": policyTestText,
	"json": policyTestJSON,
}

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with Rego policies: run their unit tests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError("policy: missing subcommand (want: %s)", strings.Join(subcommandNames(cmd), ", "))
		},
	}
	cmd.AddCommand(newPolicyTestCmd(e))
	return cmd
}

func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		names = append(names, c.Name())
	}
	return names
}

func newPolicyTestCmd(e *env) *cobra.Command {
	var f policyTestFlags
	cmd := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run the Rego unit tests of the embedded pack and of user policies",
		Long: `Test runs the Rego unit tests (the test_ rules of *_test.rego files) of the
embedded rule pack and of every DIR given (user policies for --policy, with
their tests), like 'opa test': same data, parameters and restricted
capabilities as an audit, so a test that passes here holds in production.

A DIR may also name a single .rego file. --data DIR adds reference data (e.g.
a taxonomy extension) exactly as it does for an audit.

Failing tests are always listed with their location and reason; -v lists
passing and skipped (todo_test_) tests too. The last line is "N passed,
M failed" (and ", K skipped"). --coverage prints
the share of policy lines (test files excluded) the tests evaluated, per file
and in total; --threshold PCT implies --coverage and fails the run when the
total is under PCT.

Exit codes: 0 every test passed (and coverage is at or above --threshold);
1 a test failed or coverage is under --threshold; 2 usage error, or a policy
that does not parse, compile or follow the rule contract (located, all at once).`,
		Example: `  xborder policy test
  xborder policy test -v ./policy
  xborder policy test --coverage --threshold 95
  xborder policy test --data ./data -f json ./policy`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyTest(cmd, e, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list every test, passing ones too")
	fl.BoolVar(&f.coverage, "coverage", false, "report the policy lines the tests evaluated, per file and in total")
	fl.Float64Var(&f.threshold, "threshold", 0, "exit 1 when total coverage is under `PCT` percent (implies --coverage)")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: "+joinKeys(policyTestFormats))
	fl.StringSliceVar(&f.dataDirs, "data", nil, "extra reference data `DIR`, e.g. a taxonomy (repeatable)")
	return cmd
}

// policyTestOutcome is what `policy test` reports: the engine's results
// without their durations, so that the output of two runs is identical.
type policyTestOutcome struct {
	Results      []policyTestResult `json:"results"`
	Passed       int                `json:"passed"`
	Failed       int                `json:"failed"`
	Skipped      int                `json:"skipped,omitempty"`
	Coverage     *float64           `json:"coverage,omitempty"`
	FileCoverage map[string]float64 `json:"fileCoverage,omitempty"`
	Threshold    *float64           `json:"threshold,omitempty"`
	verbose      bool
	// exact is the unrounded total the threshold is compared with, so that
	// 94.96% does not pass a 95% gate by being printed as 95.0%.
	exact float64
}

// policyTestResult is one test_ rule's outcome, located.
type policyTestResult struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Package string `json:"package"`
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// underThreshold reports whether a coverage threshold was set and missed.
func (o *policyTestOutcome) underThreshold() bool {
	return o.Threshold != nil && o.Coverage != nil && o.exact < *o.Threshold
}

func runPolicyTest(cmd *cobra.Command, e *env, f *policyTestFlags, dirs []string) error {
	render, ok := policyTestFormats[f.format]
	if !ok {
		return usageError("--format: unknown format %q (want %s)", f.format, joinKeys(policyTestFormats))
	}
	thresholdSet := cmd.Flags().Changed("threshold")
	if thresholdSet && (f.threshold < 0 || f.threshold > 100) {
		return usageError("--threshold: %v is not a percentage between 0 and 100", f.threshold)
	}
	coverage := f.coverage || thresholdSet
	rep, err := policies.RunTests(cmd.Context(), policies.Options{PolicyDirs: dirs, DataDirs: f.dataDirs}, coverage)
	if err != nil {
		return withCode(ExitError, err)
	}
	out := &policyTestOutcome{Results: []policyTestResult{}, Passed: rep.Passed, Failed: rep.Failed, Skipped: rep.Skipped, verbose: f.verbose}
	for _, r := range rep.Results {
		out.Results = append(out.Results, policyTestResult{
			File: r.Location.File, Line: r.Location.Line, Package: r.Package, Name: r.Name, Passed: r.Passed, Skipped: r.Skipped, Error: r.Error,
		})
	}
	if coverage {
		total := roundPct(rep.Coverage)
		out.Coverage = &total
		out.exact = rep.Coverage
		out.FileCoverage = make(map[string]float64, len(rep.FileCoverage))
		for name, c := range rep.FileCoverage {
			out.FileCoverage[name] = roundPct(c)
		}
	}
	if thresholdSet {
		out.Threshold = &f.threshold
	}
	if err := render(e.stdout, out); err != nil {
		return err
	}
	switch {
	case out.Failed > 0:
		return withCode(ExitFindings, nil)
	case out.underThreshold():
		return withCode(ExitFindings, fmt.Errorf("coverage %.2f%% is under --threshold %g%%", out.exact, *out.Threshold))
	}
	return nil
}

// roundPct rounds a percentage to one decimal, as it is printed.
func roundPct(p float64) float64 {
	return math.Round(p*10) / 10
}

func policyTestText(w io.Writer, o *policyTestOutcome) error {
	var b strings.Builder
	for _, r := range o.Results {
		failed := !r.Passed && !r.Skipped
		if !failed && !o.verbose {
			continue
		}
		status := "PASS"
		switch {
		case r.Skipped:
			status = "SKIP"
		case failed:
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s:%d: data.%s.%s\n", status, r.File, r.Line, r.Package, r.Name)
		if r.Error != "" {
			for _, l := range strings.Split(strings.TrimSpace(r.Error), "\n") {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	if o.Coverage != nil {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("coverage:\n")
		for _, name := range slices.Sorted(maps.Keys(o.FileCoverage)) {
			fmt.Fprintf(&b, "  %5.1f%%  %s\n", o.FileCoverage[name], name)
		}
		fmt.Fprintf(&b, "  %5.1f%%  total", *o.Coverage)
		if o.Threshold != nil {
			verdict := "ok"
			if o.underThreshold() {
				verdict = "UNDER"
			}
			fmt.Fprintf(&b, " (threshold %g%%: %s)", *o.Threshold, verdict)
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "%d passed, %d failed", o.Passed, o.Failed)
	if o.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", o.Skipped)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func policyTestJSON(w io.Writer, o *policyTestOutcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}
