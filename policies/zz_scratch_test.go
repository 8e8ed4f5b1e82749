package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/xborder/xborder/internal/audit"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
)

func TestScratchCompileStages(t *testing.T) {
	for it := 0; it < 3; it++ {
		t0 := time.Now()
		p, err := loadPack(Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		caps := sandboxCapabilities()
		t2 := time.Now()
		mods := map[string]*ast.Module{}
		for _, m := range p.modules {
			mods[m.name] = m.module
		}
		m := metrics.New()
		c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false).WithMetrics(m)
		c.Compile(mods)
		t3 := time.Now()
		fmt.Println("load+parse", t1.Sub(t0), "caps", t2.Sub(t1), "compile", t3.Sub(t2))
		all := m.All()
		keys := []string{}
		for k := range all {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return toi(all[keys[i]]) > toi(all[keys[j]]) })
		for _, k := range keys[:25] {
			fmt.Println(k, time.Duration(all[k].(int64)))
		}
	}
}

func toi(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	}
	return 0
}

func TestScratchPerRule(t *testing.T) {
	ctx := context.Background()
	p, err := loadPack(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	caps := sandboxCapabilities()
	compiler, rules, err := compilePack(p, caps)
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.NewFromObjectWithOpts(p.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	in := checkInput(500)
	for k, v := range p.params {
		in.Params[k] = v
	}
	raw, _ := json.Marshal(in)
	input, _ := ast.ValueFromReader(bytes.NewReader(raw))
	type res struct {
		pkg string
		d   time.Duration
		n   int
	}
	var out []res
	var total time.Duration
	for pkg := range rules {
		pq, err := rego.New(rego.Compiler(compiler), rego.Store(store), rego.StoreReadAST(true), rego.Capabilities(caps),
			rego.Query("x := data.xborder.rules."+pkg+".deny")).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		best := time.Hour
		var n int
		for range 3 {
			t0 := time.Now()
			rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(t0))
			n = len(rs[0].Bindings["x"].([]any))
		}
		out = append(out, res{pkg, best, n})
		total += best
	}
	sort.Slice(out, func(i, j int) bool { return out[i].d > out[j].d })
	for _, r := range out {
		fmt.Printf("%-40s %8.2fms %d\n", r.pkg, float64(r.d.Microseconds())/1000, r.n)
	}
	fmt.Println("total", total)
}

// XB_EXTRA=file.rego XB_QUERIES="q1;q2" go test -run TestScratchQueries -v ./policies
func TestScratchQueries(t *testing.T) {
	extra := os.Getenv("XB_EXTRA")
	if extra == "" {
		t.Skip()
	}
	ctx := context.Background()
	p, err := loadPack(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(extra)
	m, err := ast.ParseModuleWithOpts(extra, string(b), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	p.modules = append(p.modules, moduleFile{name: extra, module: m})
	caps := sandboxCapabilities()
	compiler, _, err := compilePack(p, caps)
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.NewFromObjectWithOpts(p.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	in := checkInput(500)
	for k, v := range p.params {
		in.Params[k] = v
	}
	input, _ := astValue(in)
	for _, q := range strings.Split(os.Getenv("XB_QUERIES"), ";") {
		pq, err := rego.New(rego.Compiler(compiler), rego.Store(store), rego.StoreReadAST(true), rego.Capabilities(caps),
			rego.Query("x := "+q)).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		best := time.Hour
		var res string
		for range 15 {
			t0 := time.Now()
			rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(t0))
			res = fmt.Sprint(rs[0].Bindings["x"])
		}
		if len(res) > 60 {
			res = res[:60]
		}
		fmt.Printf("%-50s %8.2fms %s\n", q, float64(best.Microseconds())/1000, res)
	}
}

func TestScratchProfile(t *testing.T) {
	if os.Getenv("XB_PROFILE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	e := engine(t)
	in := checkInput(500)
	for k, v := range e.params {
		in.Params[k] = v
	}
	input, _ := astValue(in)
	byFile := map[string]int64{}
	byLine := map[string]int64{}
	var total int64
	for range 3 {
		p := profiler.New()
		if _, err := e.queries[audit.ModeCheck].Eval(ctx, rego.EvalParsedInput(input), rego.EvalQueryTracer(p)); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.ReportTopNResults(100000, []string{"total_time_ns"}) {
			byFile[s.Location.File] += s.ExprTimeNs
			byLine[fmt.Sprintf("%s:%d", s.Location.File, s.Location.Row)] += s.ExprTimeNs
			total += s.ExprTimeNs
		}
	}
	type kv struct {
		k string
		v int64
	}
	for _, m := range []map[string]int64{byFile, byLine} {
		var s []kv
		for k, v := range m {
			s = append(s, kv{k, v})
		}
		sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v })
		for i, x := range s {
			if i >= 40 {
				break
			}
			fmt.Printf("%5.1f%% %s\n", 100*float64(x.v)/float64(total), x.k)
		}
		fmt.Println()
	}
}

func TestScratchSkipStages(t *testing.T) {
	if os.Getenv("XB_SKIP") == "" {
		t.Skip()
	}
	p, err := loadPack(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	caps := sandboxCapabilities()
	mods := map[string]*ast.Module{}
	for _, m := range p.modules {
		mods[m.name] = m.module
	}
	skips := [][]ast.StageID{nil, {ast.StageCheckTypes}, {ast.StageCheckTypes, ast.StageCheckUnusedImports, ast.StageCheckKeywordOverrides, ast.StageCheckDuplicateImports, ast.StageCheckVoidCalls, ast.StageCheckRuleConflicts, ast.StageCheckUndefinedFuncs, ast.StageCheckSafetyRuleHeads, ast.StageCheckRecursion, ast.StageCheckUnsafeBuiltins, ast.StageCheckDeprecatedBuiltins, ast.StageBuildRequiredCapabilities}}
	for round := 0; round < 2; round++ {
		for _, sk := range skips {
			best := time.Hour
			for range 8 {
				t0 := time.Now()
				c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false).WithSkipStages(sk...)
				c.Compile(mods)
				if c.Failed() {
					t.Fatal(c.Errors)
				}
				best = min(best, time.Since(t0))
			}
			fmt.Println(len(sk), best)
		}
	}
	best := time.Hour
	for range 8 {
		t0 := time.Now()
		if _, err := loadPack(Options{}, false); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(t0))
	}
	fmt.Println("loadPack", best)
}
