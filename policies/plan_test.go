package policies

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/xborder/xborder/internal/audit"
)

// TestEmbeddedPackChecks compiles the embedded pack with every compiler
// check, the ones New skips for it (trustedSkips): a type error, an unsafe
// variable or a conflict in the pack fails here, in the build, and never
// reaches a user.
func TestEmbeddedPackChecks(t *testing.T) {
	p, err := loadPack(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{}
	for _, m := range p.modules {
		mods[m.name] = m.module
	}
	c := newCompiler(sandboxCapabilities())
	if c.Compile(mods); c.Failed() {
		t.Fatalf("the embedded pack fails the compiler's checks:\n%v", c.Errors)
	}
	for _, stage := range trustedSkips {
		if !slices.Contains(ast.AllStages(), stage) {
			t.Errorf("OPA has no compiler stage %s any more", stage)
		}
	}
}

// withMode is a copy of in judged in another mode.
func withMode(in *audit.Input, mode audit.Mode) *audit.Input {
	out := *in
	out.Mode = mode
	out.Params = nil
	return &out
}

// The engine's ways of saving time (parts evaluated at once, compiler
// checks skipped for the embedded pack, a check evaluating only the rules
// that need no observations) change no finding: every engine gives the
// findings of one part compiled with every check, the engine New was
// before them.
func TestPlansAgree(t *testing.T) {
	ctx := context.Background()
	reference, err := newEngine(ctx, Options{}, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string]*Engine{}
	for _, parts := range []int{1, 2, 3, maxParts} {
		for _, trusted := range []bool{false, true} {
			e, err := newEngine(ctx, Options{}, parts, trusted)
			if err != nil {
				t.Fatal(err)
			}
			engines[fmt.Sprintf("%d parts, trusted %v", parts, trusted)] = e
		}
	}
	check, err := newEngine(ctx, Options{Mode: audit.ModeCheck}, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*audit.Input{
		"kakaopay audit": kakaoPay(0),
		"bench audit":    benchInput(),
		"check 500":      checkInput(500),
		"kakaopay check": withMode(kakaoPay(0), audit.ModeCheck),
		"no mode":        withMode(kakaoPay(0), ""),
	}
	for name, in := range inputs {
		want := evaluate(t, reference, withMode(in, in.Mode))
		if len(want) == 0 {
			t.Fatalf("%s: no findings to compare", name)
		}
		for ename, e := range engines {
			if diff := cmp.Diff(want, evaluate(t, e, withMode(in, in.Mode))); diff != "" {
				t.Errorf("%s, %s (-one part, every check +this engine):\n%s", name, ename, diff)
			}
		}
		if in.Mode == audit.ModeCheck {
			if diff := cmp.Diff(want, evaluate(t, check, withMode(in, in.Mode))); diff != "" {
				t.Errorf("%s, check engine (-one part, every check +check engine):\n%s", name, diff)
			}
		}
	}

	// A check runs exactly the rules that need no observations: its
	// findings are an audit's findings on the same input without those
	// rules.
	needs := map[string]bool{}
	for _, r := range reference.Rules() {
		needs[r.ID] = r.NeedsObservations()
	}
	for _, name := range []string{"kakaopay audit", "bench audit"} {
		audited := evaluate(t, reference, withMode(inputs[name], audit.ModeAudit))
		want := slices.DeleteFunc(slices.Clone(audited), func(f audit.Finding) bool { return needs[f.Rule] })
		if len(want) == len(audited) {
			t.Fatalf("%s: no finding of a rule that needs observations, the test proves nothing", name)
		}
		got := evaluate(t, check, withMode(inputs[name], audit.ModeCheck))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s as a check (-audit without the rules that need observations +check):\n%s", name, diff)
		}
	}
}

// An engine prepared for checks knows every rule (a check lists the rules
// it did not evaluate) but evaluates no audit.
func TestCheckEngine(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{Mode: audit.ModeCheck})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(engine(t).Rules(), e.Rules()); diff != "" {
		t.Errorf("rules (-every mode +check):\n%s", diff)
	}
	if e.Digest() != engine(t).Digest() {
		t.Error("the mode changes the policy digest")
	}
	_, err = e.Evaluate(ctx, kakaoPay(0))
	if err == nil || !strings.Contains(err.Error(), `prepared for check inputs, not "audit"`) {
		t.Errorf("audit input on a check engine: err = %v", err)
	}
	if _, err := New(ctx, Options{Mode: "daily"}); err == nil {
		t.Error("New accepted an unknown mode")
	}
}

// A user rule that reads another rule package's results cannot be
// evaluated apart from it: such a pack is one part, and its findings are
// what they would be in one part.
func TestCrossRuleReferenceKeepsOnePart(t *testing.T) {
	const watcher = `# METADATA
# title: Too many findings
# custom: {id: ACME-WATCH, severity: low, articles: [x], title_ko: x, remediation: x}
package xborder.rules.acme_watch

import data.xborder.rules.pipa_28_8_basis as basis

deny contains {"location": {"file": "policy"}, "message": sprintf("%d basis findings", [count(basis.deny)]), "evidence": {}} if {
	count(basis.deny) > 0
}
`
	dir := writeFiles(t, map[string]string{"watch.rego": watcher})
	ctx := context.Background()
	e, err := newEngine(ctx, Options{PolicyDirs: []string{dir}}, maxParts, true)
	if err != nil {
		t.Fatal(err)
	}
	for mode, pl := range e.plans {
		if len(pl.parts) != 1 {
			t.Errorf("%s: %d parts, want 1", mode, len(pl.parts))
		}
	}
	var got []string
	for _, f := range evaluate(t, e, kakaoPay(0)) {
		if f.Rule == "ACME-WATCH" {
			got = append(got, f.Message)
		}
	}
	if diff := cmp.Diff([]string{"1 basis findings"}, got); diff != "" {
		t.Errorf("watcher findings (-want +got):\n%s", diff)
	}
}

// TestPartition deals every package once, largest first to the lightest
// part, the same way whatever the map order.
func TestPartition(t *testing.T) {
	sizes := map[string]int{"a": 50, "b": 40, "c": 30, "d": 30, "e": 10, "f": 5}
	for range 20 {
		byName := map[string]*rulePackage{}
		for name, size := range sizes {
			byName[name] = &rulePackage{name: name, size: size}
		}
		var got [][]string
		for _, g := range partition(byName, 2) {
			var names []string
			for _, rp := range g {
				names = append(names, rp.name)
			}
			got = append(got, names)
		}
		// a(50) → 0; b(40) → 1; c(30) → 1 (40 < 50); d(30) → 0 (50 < 70);
		// e(10) → 1 (70 < 80); f(5) → 0 (80 = 80: the first part).
		want := [][]string{{"a", "d", "f"}, {"b", "c", "e"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("partition (-want +got):\n%s", diff)
		}
	}
}
