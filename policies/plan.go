package policies

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/xborder/xborder/internal/audit"
)

// How a mode is evaluated. Rule packages never refer to each other (only to
// the library), so the deny sets of disjoint groups of packages can be
// computed by separate compilers and evaluations and simply put together.
// The engine splits the packages a mode needs into up to maxParts parts of
// about the same size, one per available core, compiles each part (with the
// library and the user's helper modules) and evaluates the parts at once.
// Each part is compiled and prepared once per process; a library fact used
// by rules of two parts is computed by both, which costs less than the core
// left idle. A user pack whose rules refer to one another, or any module
// that defines rules under data.xborder.rules from outside a rule package,
// is compiled as one part, as is everything when a part does not compile
// (the one full compilation then reports the errors exactly as written).

// maxParts bounds the parts of a mode: each adds a compilation of the
// library and its own evaluation of the library facts its rules use.
const maxParts = 4

// defaultParts is one part per core, up to maxParts.
func defaultParts() int { return min(runtime.GOMAXPROCS(0), maxParts) }

// plan is the prepared evaluation of one mode.
type plan struct {
	parts []rego.PreparedEvalQuery
}

// eval runs every part over the input, at once when there are several,
// and returns the [package, finding] pairs of all parts in part order.
func (pl *plan) eval(ctx context.Context, input ast.Value) ([]any, error) {
	results := make([][]any, len(pl.parts))
	errs := make([]error, len(pl.parts))
	run := func(i int) {
		rs, err := pl.parts[i].Eval(ctx, rego.EvalParsedInput(input), rego.EvalSortSets(true))
		switch {
		case err != nil:
			errs[i] = err
		case len(rs) != 1:
			errs[i] = fmt.Errorf("%d results, want 1", len(rs))
		default:
			results[i], _ = rs[0].Bindings["findings"].([]any)
		}
	}
	if len(pl.parts) == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for i := range pl.parts {
			wg.Go(func() { run(i) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(results...), nil
}

// rulePackage is one rule package: its modules and a size that stands for
// the cost of compiling and evaluating it.
type rulePackage struct {
	name string
	mods []moduleFile
	size int
}

// compileModes compiles the pack for the given modes and prepares their
// plans. Problems are reported like compilePack reports them. With
// trusted, the compilers skip the checks that only find mistakes
// (trustedSkips): for the embedded pack alone, which TestEmbeddedPackChecks
// compiles with every check.
func compileModes(ctx context.Context, p *pack, caps *ast.Capabilities, store storage.Store, modes []audit.Mode, parts int, trusted bool) (map[string]*audit.Rule, map[audit.Mode]*plan, error) {
	rules, errs := readRules(p.modules)
	if len(errs) > 0 {
		_, _, err := compilePack(p, caps)
		return nil, nil, err
	}
	// The packages the widest mode needs, grouped with their modules;
	// every other module (the library, the user's helpers) goes to every part.
	need := map[string]bool{}
	for _, mode := range modes {
		for _, pkg := range modePackages(rules, mode) {
			need[pkg] = true
		}
	}
	byName := map[string]*rulePackage{}
	var shared []moduleFile
	split := true
	for _, m := range p.modules {
		pkg, isRule := rulePackageOf(m)
		if !isRule {
			if rulesRoot.HasPrefix(m.module.Package.Path) {
				split = false // may define rules inside data.xborder.rules
			}
			shared = append(shared, m)
			continue
		}
		if refersToOtherRules(m.module, pkg) {
			split = false
		}
		if !need[pkg] {
			continue
		}
		rp := byName[pkg]
		if rp == nil {
			rp = &rulePackage{name: pkg}
			byName[pkg] = rp
		}
		rp.mods = append(rp.mods, m)
		rp.size += moduleSize(m.module)
	}
	n := min(parts, len(byName))
	if !split || n < 1 {
		n = 1
	}
	groups := partition(byName, n)

	compilers := make([]*ast.Compiler, len(groups))
	failed := make([]bool, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() {
			mods := make(map[string]*ast.Module, len(shared)+len(g))
			for _, m := range shared {
				mods[m.name] = m.module
			}
			for _, rp := range g {
				for _, m := range rp.mods {
					mods[m.name] = m.module
				}
			}
			c := newCompiler(caps)
			if trusted {
				c = c.WithSkipStages(trustedSkips...)
			}
			c.Compile(mods)
			compilers[i], failed[i] = c, c.Failed()
		})
	}
	wg.Wait()
	if slices.Contains(failed, true) {
		// One compilation of everything names every problem once.
		_, _, err := compilePack(p, caps)
		if err == nil {
			err = fmt.Errorf("policies compile as a whole but not in parts (a bug in this build)")
		}
		return nil, nil, err
	}

	plans := map[audit.Mode]*plan{}
	for _, mode := range modes {
		inMode := map[string]bool{}
		for _, pkg := range modePackages(rules, mode) {
			inMode[pkg] = true
		}
		pl := &plan{}
		for i, g := range groups {
			var names []*ast.Term
			for _, rp := range g {
				if inMode[rp.name] {
					names = append(names, ast.StringTerm(rp.name))
				}
			}
			if len(names) == 0 && len(groups) > 1 {
				continue
			}
			pq, err := rego.New(
				rego.Compiler(compilers[i]),
				rego.Store(store),
				rego.StoreReadAST(true),
				rego.Capabilities(caps),
				rego.SetRegoVersion(ast.RegoV1),
				rego.Query(fmt.Sprintf(findingsQuery, ast.NewSet(names...))),
			).PrepareForEval(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("prepare policy query: %w", err)
			}
			pl.parts = append(pl.parts, pq)
		}
		plans[mode] = pl
	}
	return rules, plans, nil
}

// trustedSkips are the compiler stages that only look for mistakes (a
// type error, an unsafe variable, a conflict, recursion, an unknown or
// deprecated function, unused imports) and change nothing the evaluation
// uses: skipping them saves about a third of compiling the embedded pack,
// which is checked once by its tests and not again by every process. The
// type environment they would fill is used by OPA only for `with` on
// functions, which the pack does not use.
var trustedSkips = []ast.StageID{
	ast.StageCheckUnusedImports,
	ast.StageCheckKeywordOverrides,
	ast.StageCheckDuplicateImports,
	ast.StageCheckVoidCalls,
	ast.StageCheckRuleConflicts,
	ast.StageCheckUndefinedFuncs,
	ast.StageCheckSafetyRuleHeads,
	ast.StageCheckRecursion,
	ast.StageCheckTypes,
	ast.StageCheckUnsafeBuiltins,
	ast.StageCheckDeprecatedBuiltins,
	ast.StageBuildRequiredCapabilities,
}

// newCompiler is the compiler of every part: the sandbox capabilities, no
// print statements.
func newCompiler(caps *ast.Capabilities) *ast.Compiler {
	return ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false)
}

// rulePackageOf names the rule package of a rule module (the last segment
// of xborder.rules.<name>); test modules are not rule modules.
func rulePackageOf(m moduleFile) (string, bool) {
	path := m.module.Package.Path
	if len(path) != len(rulesRoot)+1 || !path.HasPrefix(rulesRoot) {
		return "", false
	}
	name, ok := path[len(path)-1].Value.(ast.String)
	return string(name), ok
}

// refersToOtherRules reports whether a rule module refers to data under
// data.xborder.rules other than its own package (or to all of it).
func refersToOtherRules(m *ast.Module, own string) bool {
	found := false
	check := func(ref ast.Ref) {
		if !ref.HasPrefix(rulesRoot) {
			return
		}
		if len(ref) == len(rulesRoot) {
			found = true
			return
		}
		if s, ok := ref[len(rulesRoot)].Value.(ast.String); !ok || string(s) != own {
			found = true
		}
	}
	for _, imp := range m.Imports {
		if ref, ok := imp.Path.Value.(ast.Ref); ok {
			check(ref)
		}
	}
	ast.WalkRefs(m, func(ref ast.Ref) bool {
		check(ref)
		return false
	})
	return found
}

// moduleSize counts the expressions of a module's rules: a stand-in for
// the cost of compiling and evaluating it.
func moduleSize(m *ast.Module) int {
	n := 0
	ast.WalkExprs(m, func(*ast.Expr) bool {
		n++
		return false
	})
	return n
}

// partition deals the packages into n groups of about equal size: largest
// first, each to the smallest group so far (ties by name and index, so the
// split does not depend on map order). Each group is sorted by name.
func partition(byName map[string]*rulePackage, n int) [][]*rulePackage {
	all := make([]*rulePackage, 0, len(byName))
	for _, rp := range byName {
		all = append(all, rp)
	}
	slices.SortFunc(all, func(a, b *rulePackage) int { return cmp.Or(cmp.Compare(b.size, a.size), cmp.Compare(a.name, b.name)) })
	groups := make([][]*rulePackage, n)
	sizes := make([]int, n)
	for _, rp := range all {
		i := 0
		for j := range sizes {
			if sizes[j] < sizes[i] {
				i = j
			}
		}
		groups[i] = append(groups[i], rp)
		sizes[i] += rp.size
	}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b *rulePackage) int { return cmp.Compare(a.name, b.name) })
	}
	return groups
}
