package policies

import (
	"context"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Every _test.rego of the pack passes, run through OPA's tester against the
// engine's own data and sandbox.
func TestRegoUnitTests(t *testing.T) {
	rep, err := RunTests(context.Background(), Options{}, true)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	for _, r := range rep.Results {
		if !r.Passed {
			t.Errorf("%s:%d: %s.%s: %s", r.Location.File, r.Location.Line, r.Package, r.Name, r.Error)
		}
	}
	if rep.Passed == 0 || rep.Failed != len(rep.Results)-rep.Passed {
		t.Errorf("passed %d, failed %d of %d tests", rep.Passed, rep.Failed, len(rep.Results))
	}
	// Every rule of this package is exercised by its own tests.
	for id := range ownRules {
		file := "policies/rules/" + strings.ToLower(strings.ReplaceAll(id, "-", "_")) + ".rego"
		if c, ok := rep.FileCoverage[file]; !ok || c < 80 {
			t.Errorf("%s: coverage %.1f%%, want at least 80%%", file, c)
		}
	}
	t.Logf("%d Rego tests, %.1f%% coverage", len(rep.Results), rep.Coverage)
}

// A failing user test is reported as failing, with its location.
func TestRunTestsReportsFailures(t *testing.T) {
	dir := writeFiles(t, map[string]string{"acme_test.rego": "package acme_test\n\ntest_ok if true\n\ntest_broken if {\n\t1 == 2\n}\n"})
	rep, err := RunTests(context.Background(), Options{PolicyDirs: []string{dir}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		if r.Package == "acme_test" {
			got = append(got, r.Name+" "+map[bool]string{true: "pass", false: "fail"}[r.Passed])
		}
	}
	if diff := cmp.Diff([]string{"test_ok pass", "test_broken fail"}, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if rep.Failed < 1 {
		t.Errorf("Failed = %d", rep.Failed)
	}
}

// Every embedded .rego is as `opa fmt` would write it.
func TestRegoFormatted(t *testing.T) {
	n := 0
	err := fs.WalkDir(builtinFS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".rego" {
			return err
		}
		n++
		src, err := builtinFS.ReadFile(name)
		if err != nil {
			return err
		}
		got, err := format.Source(name, src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return nil
		}
		if diff := cmp.Diff(string(got), string(src)); diff != "" {
			t.Errorf("%s is not opa fmt clean (-formatted +file):\n%s", name, diff)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}

var ruleIDPattern = regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)+$`)

// Every embedded rule follows the file contract: rules/<snake_id>.rego with
// package xborder.rules.<snake_id>, the ID spelled the same way, and a
// rules/<snake_id>_test.rego in package xborder.rules.<snake_id>_test.
func TestRuleFileContract(t *testing.T) {
	rules := map[string]string{} // package name → ID
	for _, r := range engine(t).Rules() {
		rules[strings.TrimPrefix(r.Package, "xborder.rules.")] = r.ID
	}
	entries, err := fs.ReadDir(builtinFS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
	}
	for name := range files {
		if !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		snake := strings.TrimSuffix(name, ".rego")
		id, ok := rules[snake]
		if !ok {
			t.Errorf("rules/%s defines no rule package xborder.rules.%s", name, snake)
			continue
		}
		if !ruleIDPattern.MatchString(id) || strings.ToLower(strings.ReplaceAll(id, "-", "_")) != snake {
			t.Errorf("rules/%s: ID %s does not match its file name", name, id)
		}
		test := snake + "_test.rego"
		if !files[test] {
			t.Errorf("rules/%s has no rules/%s", name, test)
			continue
		}
		src, _ := builtinFS.ReadFile("rules/" + test)
		m, err := ast.ParseModuleWithOpts(test, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("rules/%s: %v", test, err)
		} else if got := strings.TrimPrefix(m.Package.Path.String(), "data."); got != "xborder.rules."+snake+"_test" {
			t.Errorf("rules/%s: package %s, want xborder.rules.%s_test", test, got, snake)
		}
	}
	for snake := range rules {
		if !files[snake+".rego"] {
			t.Errorf("package xborder.rules.%s is not in rules/%s.rego", snake, snake)
		}
	}
}

// The message helpers this package added to the library format numbers the
// way the findings' messages promise.
func TestLibFormatting(t *testing.T) {
	p, err := loadPack(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := compilePack(p, sandboxCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ expr, want string }{
		{"lib.thousands(0)", "0"},
		{"lib.thousands(999)", "999"},
		{"lib.thousands(1000)", "1,000"},
		{"lib.thousands(40450000)", "40,450,000"},
		{"lib.thousands(-1234567)", "-1,234,567"},
		{"lib.thousands(12345.9)", "12,345"},
		{"lib.percent(1.618)", "162%"},
		{"lib.percent(0.05)", "5%"},
		{`lib.join({"b", "a"})`, "a, b"},
	}
	for _, tt := range tests {
		rs, err := rego.New(rego.Compiler(c), rego.Query("x := "+strings.Replace(tt.expr, "lib.", "data.xborder.lib.", 1))).Eval(context.Background())
		if err != nil || len(rs) != 1 {
			t.Errorf("%s: %v %v", tt.expr, rs, err)
			continue
		}
		if got := rs[0].Bindings["x"]; got != tt.want {
			t.Errorf("%s = %v, want %q", tt.expr, got, tt.want)
		}
	}
}
