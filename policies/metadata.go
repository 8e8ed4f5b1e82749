package policies

import (
	"cmp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/xborder/xborder/internal/audit"
)

// rulesRoot is where every rule package lives: data.xborder.rules.<name>.
var rulesRoot = ast.MustParseRef("data.xborder.rules")

// knownNeeds is the evidence beyond manifests a rule may say it needs.
var knownNeeds = map[string]bool{"observations": true}

// moduleFile is one parsed module and whether it came with the binary.
type moduleFile struct {
	name    string // the file name used in errors and rule sources
	module  *ast.Module
	builtin bool
}

// readRules reads the rule metadata of the modules: one rule per package
// under data.xborder.rules, keyed by the package's last segment; the test
// modules (*_test.rego) beside the rules are no rules. Built-in
// modules come first in mods, so that a user rule reusing a built-in ID is
// the one reported. Every problem is returned, located at its METADATA block
// or package line.
func readRules(mods []moduleFile) (map[string]*audit.Rule, audit.InputErrors) {
	var errs audit.InputErrors
	type group struct {
		first moduleFile
		mods  []moduleFile
	}
	groups := map[string]*group{}
	var order []string
	for _, m := range mods {
		path := m.module.Package.Path
		if !path.HasPrefix(rulesRoot) || strings.HasSuffix(m.name, "_test.rego") {
			continue
		}
		loc := m.module.Package.Location
		if len(path) != len(rulesRoot)+1 {
			addAt(&errs, m.name, loc, "package", "rule packages are xborder.rules.<name>, not %s", strings.TrimPrefix(path.String(), "data."))
			continue
		}
		name, ok := path[len(path)-1].Value.(ast.String)
		if !ok {
			addAt(&errs, m.name, loc, "package", "rule package %s has no plain name", path)
			continue
		}
		g, ok := groups[string(name)]
		if !ok {
			g = &group{first: m}
			groups[string(name)] = g
			order = append(order, string(name))
		}
		g.mods = append(g.mods, m)
	}

	rules := map[string]*audit.Rule{}
	ids := map[string]audit.Source{}
	for _, name := range order {
		g := groups[name]
		var (
			ann    *ast.Annotations
			annMod moduleFile
			deny   bool
		)
		for _, m := range g.mods {
			for _, a := range m.module.Annotations {
				if a.Scope != "package" {
					continue
				}
				if ann != nil {
					first := sourceOf(annMod.name, ann.Location)
					addAt(&errs, m.name, a.Location, "METADATA", "a second package METADATA block for xborder.rules.%s; the first is at %s:%d", name, first.File, first.Line)
					continue
				}
				ann, annMod = a, m
			}
			for _, r := range m.module.Rules {
				if r.Head.Ref()[0].Value.Compare(ast.Var("deny")) == 0 {
					deny = true
				}
			}
		}
		if ann == nil {
			addAt(&errs, g.first.name, g.first.module.Package.Location, "METADATA", "package xborder.rules.%s has no METADATA block (title, description, custom.id, severity, articles, title_ko, remediation)", name)
			continue
		}
		if !deny {
			addAt(&errs, g.first.name, g.first.module.Package.Location, "deny", "package xborder.rules.%s defines no deny rule", name)
		}
		rule, ok := ruleFromAnnotations(&errs, annMod.name, ann)
		if !ok {
			continue
		}
		rule.Package = "xborder.rules." + name
		rule.Source = sourceOf(annMod.name, annMod.module.Package.Location)
		rule.Builtin = annMod.builtin
		if prev, dup := ids[rule.ID]; dup {
			addAt(&errs, annMod.name, ann.Location, "custom.id", "%s is already the ID of the rule at %s:%d", rule.ID, prev.File, prev.Line)
			continue
		}
		ids[rule.ID] = rule.Source
		rules[name] = rule
	}
	return rules, errs
}

// ruleFromAnnotations checks the METADATA fields of the rule contract.
func ruleFromAnnotations(errs *audit.InputErrors, file string, a *ast.Annotations) (*audit.Rule, bool) {
	n := len(*errs)
	bad := func(field, format string, args ...any) { addAt(errs, file, a.Location, field, format, args...) }
	text := func(field string, required bool) string {
		v, ok := a.Custom[field]
		if !ok || v == nil {
			if required {
				bad("custom."+field, "missing")
			}
			return ""
		}
		s, ok := v.(string)
		if !ok || (required && strings.TrimSpace(s) == "") {
			bad("custom."+field, "want a non-empty string, have %v", v)
		}
		return strings.TrimSpace(s)
	}
	list := func(field string, required bool) []string {
		v, ok := a.Custom[field]
		if !ok || v == nil {
			if required {
				bad("custom."+field, "missing")
			}
			return nil
		}
		items, ok := v.([]any)
		if !ok || (required && len(items) == 0) {
			bad("custom."+field, "want a non-empty list of strings, have %v", v)
			return nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok || s == "" {
				bad("custom."+field, "want a list of strings, have %v", v)
				return nil
			}
			out = append(out, s)
		}
		return out
	}

	r := &audit.Rule{
		Title:         strings.TrimSpace(a.Title),
		Description:   strings.TrimSpace(a.Description),
		ID:            text("id", true),
		TitleKO:       text("title_ko", true),
		Remediation:   text("remediation", true),
		RemediationKO: text("remediation_ko", false),
		Articles:      list("articles", true),
		Needs:         list("needs", false),
	}
	if r.Title == "" {
		bad("title", "missing")
	}
	if r.ID != "" && strings.Trim(r.ID, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		bad("custom.id", "%q: use upper-case letters, digits and dashes", r.ID)
	}
	if sev := text("severity", true); sev != "" {
		s, err := audit.ParseSeverity(sev)
		switch {
		case err != nil:
			bad("custom.severity", "%v", err)
		case s == audit.SeverityNone:
			bad("custom.severity", "a rule cannot have severity none")
		default:
			r.Severity = s
		}
	}
	for _, need := range r.Needs {
		if !knownNeeds[need] {
			bad("custom.needs", "unknown need %q (known: observations)", need)
		}
	}
	for k := range a.Custom {
		switch k {
		case "id", "severity", "articles", "title_ko", "remediation", "remediation_ko", "needs":
		default:
			bad("custom."+k, "unknown field (known: id, severity, articles, title_ko, remediation, remediation_ko, needs)")
		}
	}
	return r, len(*errs) == n
}

// sortRules orders rules by ID, the order of `xborder rules` and of reports.
func sortRules(rules map[string]*audit.Rule) []audit.Rule {
	out := make([]audit.Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b audit.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func sourceOf(file string, loc *ast.Location) audit.Source {
	if loc == nil {
		return audit.Source{File: file}
	}
	return audit.Source{File: file, Line: loc.Row, Col: loc.Col}
}

func addAt(errs *audit.InputErrors, file string, loc *ast.Location, field, format string, args ...any) {
	s := sourceOf(file, loc)
	errs.Add(s.File, s.Line, s.Col, field, format, args...)
}

// astErrors turns OPA parse and compile errors into located input errors.
func astErrors(errs ast.Errors) audit.InputErrors {
	out := make(audit.InputErrors, 0, len(errs))
	for _, e := range errs {
		ie := &audit.InputError{Msg: e.Message}
		if e.Location != nil {
			ie.File, ie.Line, ie.Col = e.Location.File, e.Location.Row, e.Location.Col
		}
		ie.Field = e.Code
		out = append(out, ie)
	}
	return out
}

// describe is a short form of an input error list for wrapping into a
// programmer-error message.
func describe(errs audit.InputErrors) string {
	errs.Sort()
	return errs.Error()
}
