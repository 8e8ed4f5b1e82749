package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/yamltext"
)

// Waivers are the accepted risks of one waiver file (`--waivers`, default
// .xborder-waivers.yaml): each names a rule, a flow (a name or a path.Match
// glob; omitted: every flow), who accepted the risk, why and until when,
// and optionally a CEL condition over the finding. Conditions are compiled
// once, when the file is loaded; Apply evaluates them per finding.
//
// The file is a YAML list:
//
//   - rule: PIPA-28-8-CONTRACT-DISCLOSURE
//     flow: aws-*
//     owner: privacy-office
//     reason: the policy revision listing AWS Tokyo ships on 2024-04-01
//     expires: 2024-04-30
//     when: finding.evidence.basis == "contract"
//
// A waiver applies through its expiry date (inclusive). The condition sees
// `finding` with the fields rule, severity, flow, key, field, file, message,
// articles and evidence; a condition that fails at run time (a missing
// evidence key: guard with has()) does not match.
type Waivers struct {
	file string
	list []waiver
}

type waiver struct {
	audit.Waiver
	prg cel.Program // nil without a condition
}

// waiverFields are the keys a waiver may have, in the order errors list them.
var waiverFields = []string{"rule", "flow", "owner", "reason", "expires", "when"}

// LoadWaivers reads and checks a waiver file. rules is the loaded catalogue
// (Engine.Rules): a waiver for an unknown rule ID is an error, because it
// would silently never apply. Every problem comes back at once as
// audit.InputErrors located at file:line:col.
func LoadWaivers(file string, rules []audit.Rule) (*Waivers, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, audit.InputErrors{{File: file, Msg: "waiver file does not exist"}}
		}
		return nil, fmt.Errorf("waivers: %w", err)
	}
	return ParseWaivers(file, data, rules)
}

// ParseWaivers is LoadWaivers over file contents already read; file names
// the source in errors and in each waiver's Source.
func ParseWaivers(file string, data []byte, rules []audit.Rule) (*Waivers, error) {
	ws := &Waivers{file: file}
	var errs audit.InputErrors
	var doc yaml.Node
	if err := yamltext.Unmarshal(data, &doc); err != nil {
		return nil, audit.InputErrors{{File: file, Line: err.Line, Col: err.Col, Msg: err.Error()}}
	}
	if len(doc.Content) == 0 {
		return ws, nil // an empty file waives nothing
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return ws, nil
	}
	if top.Kind != yaml.SequenceNode {
		return nil, audit.InputErrors{{File: file, Line: top.Line, Col: top.Column, Msg: "want a list of waivers (- rule: …, owner: …, reason: …, expires: …)"}}
	}
	known := make(map[string]bool, len(rules))
	for _, r := range rules {
		known[r.ID] = true
	}
	for i, n := range top.Content {
		if w, ok := parseWaiver(file, i, n, known, &errs); ok {
			ws.list = append(ws.list, w)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return ws, nil
}

func parseWaiver(file string, i int, n *yaml.Node, known map[string]bool, errs *audit.InputErrors) (waiver, bool) {
	at := fmt.Sprintf("waivers[%d]", i)
	if n.Kind != yaml.MappingNode {
		errs.Add(file, n.Line, n.Column, at, "want a mapping with rule, owner, reason and expires")
		return waiver{}, false
	}
	w := waiver{Waiver: audit.Waiver{Source: audit.Source{File: file, Line: n.Line, Col: n.Column}}}
	nodes := map[string]*yaml.Node{}
	before := len(*errs)
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		field := at + "." + k.Value
		if !slices.Contains(waiverFields, k.Value) {
			errs.Add(file, k.Line, k.Column, field, "unknown field (want %s)", strings.Join(waiverFields, ", "))
			continue
		}
		if _, dup := nodes[k.Value]; dup {
			errs.Add(file, k.Line, k.Column, field, "given twice")
			continue
		}
		nodes[k.Value] = v
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			errs.Add(file, v.Line, v.Column, field, "want a text value")
			continue
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "rule":
			w.Rule = val
			if !known[val] {
				errs.Add(file, v.Line, v.Column, field, "unknown rule %q (xborder rules lists them)", val)
			}
		case "flow":
			w.Flow = val
			if _, err := path.Match(val, ""); err != nil {
				errs.Add(file, v.Line, v.Column, field, "bad glob %q: %v", val, err)
			}
		case "owner":
			w.Owner = val
		case "reason":
			w.Reason = val
		case "expires":
			w.Expires = val
			if _, err := audit.ParseDate(val); err != nil {
				errs.Add(file, v.Line, v.Column, field, "%q is not a date (want YYYY-MM-DD)", val)
			}
		case "when":
			w.When = val
			if val == "" {
				errs.Add(file, v.Line, v.Column, field, "is empty: give a CEL condition or leave the key out")
				continue
			}
			prg, issues := compileWhen(val)
			for _, is := range issues {
				line, col := exprPosition(v, is.line, is.col)
				errs.Add(file, line, col, field, "%s", is.msg)
			}
			w.prg = prg
		}
	}
	for _, req := range []string{"rule", "owner", "reason", "expires"} {
		if v, ok := nodes[req]; !ok {
			errs.Add(file, n.Line, n.Column, at+"."+req, "missing: a waiver needs rule, owner, reason and expires")
		} else if v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == "" && v.Tag != "!!null" {
			errs.Add(file, v.Line, v.Column, at+"."+req, "is empty")
		}
	}
	return w, len(*errs) == before
}

// exprPosition maps a 1-based line and 0-based column inside a `when`
// expression to the waiver file. Plain and quoted scalars start at the
// node; block scalars (| and >) start on the next line, at an indentation
// yaml does not report, so only their line is exact.
func exprPosition(v *yaml.Node, line, col int) (int, int) {
	switch v.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return v.Line + line, 0
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if line > 1 {
			return v.Line + line - 1, 0
		}
		return v.Line, v.Column + 1 + col
	}
	if line > 1 {
		return v.Line + line - 1, 0
	}
	return v.Line, v.Column + col
}

// celFinding is what a waiver condition sees as `finding`.
type celFinding struct {
	Rule     string         `cel:"rule"`
	Severity string         `cel:"severity"`
	Flow     string         `cel:"flow"`
	Key      string         `cel:"key"`
	Field    string         `cel:"field"`
	File     string         `cel:"file"`
	Message  string         `cel:"message"`
	Articles []string       `cel:"articles"`
	Evidence map[string]any `cel:"evidence"`
}

// waiverEnv is the CEL environment of waiver conditions, built once per
// process and only when a waiver has a condition.
var waiverEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[celFinding](), ext.ParseStructTags(true)),
		cel.Variable("finding", cel.ObjectType("policies.celFinding")),
		ext.Strings(),
	)
})

type celIssue struct {
	line, col int
	msg       string
}

// compileWhen compiles a waiver condition, which must be a bool.
func compileWhen(expr string) (cel.Program, []celIssue) {
	env, err := waiverEnv()
	if err != nil {
		// A programming error in this build, not a user problem.
		panic(fmt.Sprintf("policies: waiver CEL environment: %v", err))
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var out []celIssue
		for _, e := range iss.Errors() {
			loc := e.Location
			out = append(out, celIssue{line: loc.Line(), col: loc.Column(), msg: "CEL: " + e.Message})
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, []celIssue{{line: 1, col: 0, msg: fmt.Sprintf("CEL: the condition is %s, want bool", ast.OutputType())}}
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(waiverCostLimit), cel.MemoryLimit(waiverMemoryLimit))
	if err != nil {
		return nil, []celIssue{{line: 1, col: 0, msg: "CEL: " + err.Error()}}
	}
	return prg, nil
}

// A waiver file comes in a pull request like any manifest, so a condition
// must not be able to hang or exhaust `xborder check`. These bound one
// evaluation: a real condition costs tens of units; one that goes past a
// limit fails at run time and, like any failing condition, does not match.
const (
	waiverCostLimit   = 1_000_000 // CEL cost units (about a millisecond)
	waiverMemoryLimit = 1_000_000 // elements of the values a condition builds
)

// List returns the waivers in file order.
func (ws *Waivers) List() []audit.Waiver {
	if ws == nil {
		return nil
	}
	out := make([]audit.Waiver, len(ws.list))
	for i, w := range ws.list {
		out[i] = w.Waiver
	}
	return out
}

// Apply marks every finding a waiver covers (Finding.Waived, the first
// matching waiver in file order) and sorts the waivers into three lists:
// used (in force and matched at least one finding), expired (asOf is after
// its expiry: it no longer applies, whether or not it would match) and
// unused (in force but matched nothing, so probably stale). asOf is
// YYYY-MM-DD. A finding already waived keeps its waiver.
func (ws *Waivers) Apply(findings []audit.Finding, asOf string) (used, expired, unused []audit.Waiver) {
	if ws == nil {
		return nil, nil, nil
	}
	matched := make([]bool, len(ws.list))
	active := make([]bool, len(ws.list))
	anyWhen := false
	for i, w := range ws.list {
		active[i] = w.Expires >= asOf // YYYY-MM-DD compares as text
		anyWhen = anyWhen || (active[i] && w.prg != nil)
	}
	for fi := range findings {
		f := &findings[fi]
		if f.Waived != nil {
			continue
		}
		var act any
		if anyWhen {
			act = map[string]any{"finding": toCELFinding(f)}
		}
		for i := range ws.list {
			w := &ws.list[i]
			if !active[i] || !w.matches(f, act) {
				continue
			}
			matched[i] = true
			wv := w.Waiver
			f.Waived = &wv
			break
		}
	}
	for i, w := range ws.list {
		switch {
		case !active[i]:
			expired = append(expired, w.Waiver)
		case matched[i]:
			used = append(used, w.Waiver)
		default:
			unused = append(unused, w.Waiver)
		}
	}
	return used, expired, unused
}

func (w *waiver) matches(f *audit.Finding, act any) bool {
	if w.Rule != f.Rule {
		return false
	}
	if w.Flow != "" {
		if ok, _ := path.Match(w.Flow, f.Flow); !ok {
			return false
		}
	}
	if w.prg == nil {
		return true
	}
	out, _, err := w.prg.Eval(act)
	if err != nil {
		return false
	}
	b, ok := out.Value().(bool)
	return ok && b
}

func toCELFinding(f *audit.Finding) *celFinding {
	ev, _ := celValue(f.Evidence).(map[string]any)
	if ev == nil {
		ev = map[string]any{}
	}
	return &celFinding{
		Rule: f.Rule, Severity: f.Severity.String(), Flow: f.Flow, Key: f.Key,
		Field: f.Field, File: f.Location.File, Message: f.Message,
		Articles: slices.Clone(f.Articles), Evidence: ev,
	}
}

// celValue converts evidence (JSON-decoded, numbers as json.Number) into
// values CEL compares naturally: integers as int, other numbers as double.
func celValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case int:
		return int64(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = celValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = celValue(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}
