package policies

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/yamltext"
)

// Options configures an Engine. The zero value runs the embedded pack with
// its default parameters and no time limit.
type Options struct {
	// PolicyDirs hold extra user policies (--policy): *.rego files under the
	// same rule contract, compiled with the same restricted capabilities.
	// A path may also name a single .rego file.
	PolicyDirs []string
	// DataDirs hold extra JSON or YAML data (--data) merged over the embedded
	// reference data, e.g. a taxonomy extension; params.{json,yaml,yml}
	// files there override or add parameters.
	DataDirs []string
	// Params override the parameter defaults (--config). A key the defaults
	// do not know, or a value of another JSON type, is an error.
	Params map[string]any
	// ParamSources says where each of Params was written (a config file's
	// line and column), so that a bad one is reported there; a parameter
	// without a source is reported as "params".
	ParamSources map[string]audit.Source
	// Timeout bounds one Evaluate; 0 means no limit.
	Timeout time.Duration
	// Mode, when set, prepares the engine for inputs of that mode only: an
	// engine for audit.ModeCheck compiles only the rules that need no
	// observations, the rules a check runs. Empty prepares every mode.
	Mode audit.Mode
}

// Engine is the compiled rule pack with its prepared queries. It is safe for
// concurrent use.
type Engine struct {
	// plans are the prepared evaluations per mode: a check evaluates only
	// the rules that need no observations (custom.needs), an audit every
	// rule (see plan.go).
	plans   map[audit.Mode]*plan
	rules   []audit.Rule           // sorted by ID
	byPkg   map[string]*audit.Rule // last package segment → rule
	params  map[string]any
	cats    map[string][]string // item → categories: the taxonomy
	digest  string
	timeout time.Duration
}

// findingsQuery collects the deny sets of the rule packages named by the
// argument (a Rego set of package names) with the package name, so that a
// single evaluation yields every finding of those rules and nothing else of
// the rule packages is computed.
const findingsQuery = `findings := [[pkg, f] | some pkg in %s; f := data.xborder.rules[pkg].deny[_]]`

// queryModes are the modes with a plan of their own; any other mode (an
// Input without one) is evaluated with every rule, like an audit.
var queryModes = []audit.Mode{audit.ModeCheck, audit.ModeAudit}

// modePackages lists the rule packages a mode evaluates, sorted.
func modePackages(rules map[string]*audit.Rule, mode audit.Mode) []string {
	var pkgs []string
	for pkg, r := range rules {
		if mode == audit.ModeCheck && r.NeedsObservations() {
			continue
		}
		pkgs = append(pkgs, pkg)
	}
	slices.Sort(pkgs)
	return pkgs
}

// New loads, checks and compiles the embedded pack with the user's policies
// and data, and prepares the queries Evaluate runs (for opt.Mode, or for
// every mode). Problems in user files come back as audit.InputErrors,
// located at file:line:col; a problem in the embedded pack is a plain error
// (a bug in this build).
func New(ctx context.Context, opt Options) (*Engine, error) {
	return newEngine(ctx, opt, defaultParts(), true)
}

// newEngine is New with the number of parts a mode is split into (see
// plan.go); with trustEmbedded, an engine without user policies skips the
// compiler's mistake-finding checks (see trustedSkips).
func newEngine(ctx context.Context, opt Options, parts int, trustEmbedded bool) (*Engine, error) {
	p, err := loadPack(opt, false)
	if err != nil {
		return nil, err
	}
	modes := queryModes
	if opt.Mode != "" {
		if !slices.Contains(queryModes, opt.Mode) {
			return nil, fmt.Errorf("policies: unknown mode %q", opt.Mode)
		}
		modes = []audit.Mode{opt.Mode}
	}
	caps := sandboxCapabilities()
	store := inmem.NewFromObjectWithOpts(p.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	trusted := trustEmbedded && !slices.ContainsFunc(p.modules, func(m moduleFile) bool { return !m.builtin })
	rules, plans, err := compileModes(ctx, p, caps, store, modes, parts, trusted)
	if err != nil {
		return nil, err
	}
	return &Engine{
		plans:   plans,
		rules:   sortRules(rules),
		byPkg:   rules,
		params:  p.params,
		cats:    taxonomyCategories(p.data),
		digest:  p.digest(),
		timeout: opt.Timeout,
	}, nil
}

// modes lists the modes the engine was prepared for.
func (e *Engine) modes() string {
	var ms []string
	for _, m := range queryModes {
		if _, ok := e.plans[m]; ok {
			ms = append(ms, string(m))
		}
	}
	return strings.Join(ms, " and ")
}

// Rules returns the metadata of every loaded rule, sorted by ID: the source
// of `xborder rules`, SARIF rule descriptors and report legends.
func (e *Engine) Rules() []audit.Rule { return slices.Clone(e.rules) }

// Digest identifies the policies a run was judged by: the hex SHA-256 of a
// sha256sum-style listing ("<sha256 of file>  <name>\n", sorted by name) of
// every policy and data file loaded, plus the effective parameters as the
// pseudo-file "effective-params.json" (their JSON with sorted keys). Built-in
// files are named by their repository path (policies/rules/x.rego), user
// files "policy/<path in its directory>" and "data/<path in its directory>",
// so the digest does not depend on where the user's directories sit.
func (e *Engine) Digest() string { return e.digest }

// Params returns the effective parameters: the defaults, overlaid with the
// --data params files, overlaid with Options.Params. Numbers are json.Number.
func (e *Engine) Params() map[string]any { return maps.Clone(e.params) }

// KnownItem reports whether the item taxonomy (embedded plus --data) knows
// the item ID; the log aggregator files unknown IDs under unknownItems.
func (e *Engine) KnownItem(item string) bool {
	_, ok := e.cats[item]
	return ok
}

// Evaluate runs the rules of the input's mode once over the input (a check
// skips the rules that need observations, which cannot judge manifests
// alone) and returns the findings, metadata joined, located, fingerprinted
// and sorted. It fills in.Params with the effective parameters when empty,
// and adds the parameters it lacks otherwise. Two evaluations of the same
// input give identical findings.
func (e *Engine) Evaluate(ctx context.Context, in *audit.Input) ([]audit.Finding, error) {
	if in.Params == nil {
		in.Params = map[string]any{}
	}
	for k, v := range e.params {
		if _, ok := in.Params[k]; !ok {
			in.Params[k] = v
		}
	}
	input, err := astValue(in)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	evalCtx := ctx
	if e.timeout > 0 {
		var cancel context.CancelFunc
		evalCtx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	pl, ok := e.plans[in.Mode]
	if !ok && !slices.Contains(queryModes, in.Mode) {
		pl, ok = e.plans[audit.ModeAudit]
	}
	if !ok {
		return nil, fmt.Errorf("evaluate policies: the engine was prepared for %s inputs, not %q", e.modes(), in.Mode)
	}
	results, err := pl.eval(evalCtx, input)
	if err != nil {
		if ctx.Err() == nil && errors.Is(evalCtx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("policy evaluation exceeded its %s timeout: %w", e.timeout, err)
		}
		return nil, fmt.Errorf("evaluate policies: %w", err)
	}
	findings := make([]audit.Finding, 0, len(results))
	seen := make(map[string]string, len(results))
	for _, r := range results {
		pair, _ := r.([]any)
		if len(pair) != 2 {
			return nil, fmt.Errorf("evaluate policies: malformed result %v", r)
		}
		pkg, _ := pair[0].(string)
		rule := e.byPkg[pkg]
		if rule == nil {
			return nil, fmt.Errorf("evaluate policies: finding of unknown package xborder.rules.%s", pkg)
		}
		f, err := toFinding(in, rule, pair[1])
		if err != nil {
			return nil, fmt.Errorf("rule %s (%s:%d): %w", rule.ID, rule.Source.File, rule.Source.Line, err)
		}
		if prev, dup := seen[f.ID]; dup {
			return nil, fmt.Errorf("rule %s (%s:%d): two findings share the fingerprint of flow %q, file %q and key %q (%q and %q): give each a distinct key",
				rule.ID, rule.Source.File, rule.Source.Line, f.Flow, f.Location.File, f.Key, prev, f.Message)
		}
		seen[f.ID] = f.Message
		findings = append(findings, f)
	}
	audit.SortFindings(findings)
	return findings, nil
}

// toFinding reads one deny object and joins its rule's metadata.
func toFinding(in *audit.Input, rule *audit.Rule, v any) (audit.Finding, error) {
	obj, ok := validText(v).(map[string]any)
	if !ok {
		return audit.Finding{}, fmt.Errorf("deny produced %T, want an object", v)
	}
	var errs []string
	str := func(key string) string {
		x, ok := obj[key]
		if !ok {
			return ""
		}
		s, ok := x.(string)
		if !ok {
			errs = append(errs, fmt.Sprintf("%q is %T, want a string", key, x))
		}
		return s
	}
	for k := range obj {
		switch k {
		case "flow", "message", "evidence", "field", "key", "recipient", "location":
		default:
			errs = append(errs, fmt.Sprintf("unknown key %q (known: flow, message, evidence, field, key, recipient, location)", k))
		}
	}
	f := audit.Finding{
		Rule:          rule.ID,
		Severity:      rule.Severity,
		Title:         rule.Title,
		TitleKO:       rule.TitleKO,
		Articles:      rule.Articles,
		Remediation:   rule.Remediation,
		RemediationKO: rule.RemediationKO,
		Flow:          str("flow"),
		Message:       str("message"),
		Field:         str("field"),
		Key:           str("key"),
		Evidence:      map[string]any{},
	}
	recipient := str("recipient")
	if f.Message == "" {
		errs = append(errs, "a finding needs a message")
	}
	if ev, ok := obj["evidence"]; ok {
		if m, ok := ev.(map[string]any); ok {
			f.Evidence = m
		} else {
			errs = append(errs, fmt.Sprintf(`"evidence" is %T, want an object`, ev))
		}
	}
	var explicit *audit.Source
	if loc, ok := obj["location"]; ok {
		s, err := explicitLocation(loc)
		if err != nil {
			errs = append(errs, err.Error())
		}
		explicit = &s
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return audit.Finding{}, errors.New(strings.Join(errs, "; "))
	}
	f.Location = locate(in, f.Flow, recipient, f.Field, explicit)
	slot := f.Flow
	if slot == "" && recipient != "" {
		slot = "recipient/" + recipient
	}
	f.ID = audit.Fingerprint(f.Rule, slot, f.Location.File, f.Key)
	return f, nil
}

// validText replaces invalid UTF-8 in the strings of a deny object (a
// user's rule may build text from bytes, base64.decode) with U+FFFD, in
// place, so that every format shows the same text and a finding reads back
// from JSON (the check cache, the database) exactly as it was made.
func validText(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToValidUTF8(x, "\uFFFD")
	case []any:
		for i := range x {
			x[i] = validText(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = validText(e)
			if !utf8.ValidString(k) {
				delete(x, k)
				x[strings.ToValidUTF8(k, "\uFFFD")] = validText(e)
			}
		}
	}
	return v
}

func explicitLocation(v any) (audit.Source, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return audit.Source{}, fmt.Errorf(`"location" is %T, want {"file", "line"}`, v)
	}
	var s audit.Source
	s.File, _ = m["file"].(string)
	if s.File == "" {
		return s, errors.New(`"location" needs a "file"`)
	}
	if l, ok := m["line"]; ok {
		n, ok := l.(json.Number)
		line, err := n.Int64()
		if !ok || err != nil || line < 0 {
			return s, fmt.Errorf(`"location.line" is %v, want a line number`, l)
		}
		s.Line = int(line)
	}
	return s, nil
}

// locate resolves where a finding points: the flow's field, else the
// recipient's field, else the rule's explicit location, else the
// organization (its field when it wrote one).
func locate(in *audit.Input, flow, recipient, field string, explicit *audit.Source) audit.Source {
	if f, ok := in.Flows[flow]; ok && flow != "" {
		return f.Locate(field)
	}
	if r, ok := in.Recipients[recipient]; ok && recipient != "" {
		return r.Locate(field)
	}
	if explicit != nil {
		return *explicit
	}
	if in.Organization != nil {
		return in.Organization.Locate(field)
	}
	return audit.Source{}
}

// sandboxCapabilities are OPA's builtins minus those that reach the network
// or read a clock or randomness: policies are pure functions of input and data.
func sandboxCapabilities() *ast.Capabilities {
	banned := map[string]bool{
		"http.send":              true,
		"net.lookup_ip_addr":     true,
		"opa.runtime":            true,
		"time.now_ns":            true,
		"rand.intn":              true,
		"uuid.rfc4122":           true,
		"io.jwt.decode_verify":   true,
		"io.jwt.encode_sign":     true,
		"io.jwt.encode_sign_raw": true,
		"crypto.x509.parse_and_verify_certificates":              true,
		"crypto.x509.parse_and_verify_certificates_with_options": true,
	}
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		return banned[b.Name] || b.Nondeterministic
	})
	return caps
}

// file is one policy or data file as read.
type file struct {
	name    string // shown in errors and rule sources
	label   string // named in the digest
	content []byte
	builtin bool
}

// pack is everything loaded before compilation.
type pack struct {
	modules []moduleFile // built-in first, each group sorted by name
	data    map[string]any
	params  map[string]any
	files   []file
}

// loadPack reads the embedded pack and the user's directories. With tests,
// _test.rego files are loaded too.
func loadPack(opt Options, tests bool) (*pack, error) {
	p := &pack{data: map[string]any{}, params: map[string]any{}}
	var builtinErrs, userErrs audit.InputErrors

	err := fs.WalkDir(builtinFS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtinFS.ReadFile(name)
		if err != nil {
			return err
		}
		f := file{name: builtinPrefix + name, label: builtinPrefix + name, content: b, builtin: true}
		p.add(f, tests, &builtinErrs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded policies: %w", err)
	}
	if len(builtinErrs) > 0 {
		return nil, fmt.Errorf("embedded policies are broken (a bug in this build):\n%s", describe(builtinErrs))
	}

	for _, dir := range opt.PolicyDirs {
		walkUser(dir, "policy/", policyExts, &userErrs, func(f file) { p.add(f, tests, &userErrs) })
	}
	for _, dir := range opt.DataDirs {
		walkUser(dir, "data/", dataExts, &userErrs, func(f file) { p.add(f, tests, &userErrs) })
	}
	if err := userErrs.Err(); err != nil {
		return nil, err
	}
	// Parameters added by --data files join the known set; Options.Params
	// may only override known parameters with values of the same type.
	if err := overrideParams(p.params, opt.Params, opt.ParamSources); err != nil {
		return nil, err
	}
	return p, nil
}

// add files one file under the pack: a module, parameters or data.
func (p *pack) add(f file, tests bool, errs *audit.InputErrors) {
	base := path.Base(filepath.ToSlash(f.name))
	switch ext := path.Ext(base); {
	case ext == ".rego":
		if strings.HasSuffix(base, "_test.rego") && !tests {
			return
		}
		m, err := ast.ParseModuleWithOpts(f.name, string(f.content), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			var astErrs ast.Errors
			if errors.As(err, &astErrs) {
				*errs = append(*errs, astErrors(astErrs)...)
			} else {
				errs.Add(f.name, 0, 0, "", "%v", err)
			}
			return
		}
		p.modules = append(p.modules, moduleFile{name: f.name, module: m, builtin: f.builtin})
	case ext == ".json" || ext == ".yaml" || ext == ".yml":
		v, err := decodeData(f.name, f.content, ext != ".json")
		if err != nil {
			*errs = append(*errs, err)
			return
		}
		if strings.TrimSuffix(base, ext) == "params" {
			merge(p.params, v)
		} else {
			merge(p.data, v)
		}
	default:
		return
	}
	p.files = append(p.files, f)
}

// walkUser reads the files with the given extensions under root (or root
// itself when it is a file), in lexical order, skipping hidden entries.
func walkUser(root, labelPrefix string, exts []string, errs *audit.InputErrors, add func(file)) {
	err := filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !slices.Contains(exts, filepath.Ext(name)) {
			return nil
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, name)
		if err != nil || rel == "." {
			rel = filepath.Base(name)
		}
		add(file{name: name, label: labelPrefix + filepath.ToSlash(rel), content: b})
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			errs.Add(pe.Path, 0, 0, "", "%v", pe.Err)
			return
		}
		errs.Add(root, 0, 0, "", "%v", err)
	}
}

// SourcesDigest is the SHA-256 of the user's policy and data files exactly
// as New reads them (the same walk, the same filters: .rego under
// policyDirs, .json/.yaml/.yml under dataDirs, hidden entries skipped), by
// label and contents: a cache of results keys on it. It fails where New
// would report a problem with the directories.
func SourcesDigest(policyDirs, dataDirs []string) (string, error) {
	h := sha256.New()
	var errs audit.InputErrors
	add := func(f file) {
		for _, s := range []string{f.label, string(f.content)} {
			fmt.Fprintf(h, "%d:", len(s))
			h.Write([]byte(s))
		}
	}
	for _, dir := range policyDirs {
		fmt.Fprintf(h, "policy %d:%s;", len(dir), dir)
		walkUser(dir, "policy/", policyExts, &errs, add)
	}
	for _, dir := range dataDirs {
		fmt.Fprintf(h, "data %d:%s;", len(dir), dir)
		walkUser(dir, "data/", dataExts, &errs, add)
	}
	if err := errs.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// The extensions of the user's policy and data files.
var (
	policyExts = []string{".rego"}
	dataExts   = []string{".json", ".yaml", ".yml"}
)

// decodeData reads a JSON or YAML object with numbers as json.Number.
func decodeData(name string, b []byte, isYAML bool) (map[string]any, *audit.InputError) {
	if isYAML {
		var y any
		if err := yamltext.Unmarshal(b, &y); err != nil {
			return nil, &audit.InputError{File: name, Line: err.Line, Col: err.Col, Msg: err.Error()}
		}
		j, err := json.Marshal(y)
		if err != nil {
			return nil, &audit.InputError{File: name, Msg: fmt.Sprintf("not JSON-compatible data: %v", err)}
		}
		b = j
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	if err == nil && d.More() {
		err = errors.New("data after the top-level value")
	}
	if err != nil {
		ie := &audit.InputError{File: name, Msg: err.Error()}
		var se *json.SyntaxError
		if errors.As(err, &se) && !isYAML {
			ie.Line, ie.Col = lineCol(b, se.Offset)
		}
		return nil, ie
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &audit.InputError{File: name, Line: 1, Msg: fmt.Sprintf("want an object at the top level, have %T", v)}
	}
	return obj, nil
}

func lineCol(b []byte, off int64) (int, int) {
	off = min(off, int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// merge copies src into dst: objects key by key, everything else replaced.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				merge(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}

// overrideParams applies Options.Params: only known parameters, only with
// values of the same JSON type. Every problem is an input error at the
// parameter's source, all at once.
func overrideParams(params, over map[string]any, sources map[string]audit.Source) error {
	var errs audit.InputErrors
	fail := func(k, format string, args ...any) {
		src, ok := sources[k]
		if !ok {
			src.File = "params"
		}
		errs.Add(src.File, src.Line, src.Col, "params."+k, format, args...)
	}
	for _, k := range slices.Sorted(maps.Keys(over)) {
		cur, ok := params[k]
		if !ok {
			fail(k, "unknown policy parameter (known: %s)", strings.Join(slices.Sorted(maps.Keys(params)), ", "))
			continue
		}
		v, err := normalize(over[k])
		if err != nil {
			fail(k, "%v", err)
			continue
		}
		if kindOf(v) != kindOf(cur) {
			fail(k, "want a %s like the default %v, have %v", kindOf(cur), cur, over[k])
			continue
		}
		params[k] = v
	}
	return errs.Err()
}

// normalize turns a Go value into its JSON form with json.Number numbers.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	err = d.Decode(&out)
	return out, err
}

func kindOf(v any) string {
	switch v.(type) {
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// digest computes Engine.Digest.
func (p *pack) digest() string {
	params, _ := json.Marshal(p.params)
	entries := make([]string, 0, len(p.files)+1)
	line := func(label string, content []byte) string {
		sum := sha256.Sum256(content)
		return hex.EncodeToString(sum[:]) + "  " + label + "\n"
	}
	for _, f := range p.files {
		entries = append(entries, line(f.label, f.content))
	}
	entries = append(entries, line("effective-params.json", params))
	slices.SortFunc(entries, func(a, b string) int { return cmp.Compare(a[66:], b[66:]) })
	sum := sha256.Sum256([]byte(strings.Join(entries, "")))
	return hex.EncodeToString(sum[:])
}

// compilePack compiles the modules and reads the rule metadata, reporting
// every problem at once.
func compilePack(p *pack, caps *ast.Capabilities) (*ast.Compiler, map[string]*audit.Rule, error) {
	rules, errs := readRules(p.modules)
	mods := make(map[string]*ast.Module, len(p.modules))
	for _, m := range p.modules {
		mods[m.name] = m.module
	}
	c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false)
	if c.Compile(mods); c.Failed() {
		errs = append(errs, astErrors(c.Errors)...)
	}
	if err := p.split(errs); err != nil {
		return nil, nil, err
	}
	return c, rules, nil
}

// split separates the problems of user files, returned as input errors,
// from problems of the embedded pack, which are a bug in this build.
func (p *pack) split(errs audit.InputErrors) error {
	if len(errs) == 0 {
		return nil
	}
	user := map[string]bool{}
	for _, m := range p.modules {
		user[m.name] = !m.builtin
	}
	var bugs, mistakes audit.InputErrors
	for _, e := range errs {
		if user[e.File] {
			mistakes = append(mistakes, e)
		} else {
			bugs = append(bugs, e)
		}
	}
	if len(bugs) > 0 {
		return fmt.Errorf("embedded policies are broken (a bug in this build):\n%s", describe(bugs))
	}
	return mistakes.Err()
}

// TestResult is the outcome of one Rego unit test (a test_ rule).
type TestResult struct {
	Package  string       `json:"package"`
	Name     string       `json:"name"`
	Location audit.Source `json:"location"`
	Passed   bool         `json:"passed"`
	// Skipped marks a todo_test_ rule, which OPA reports without running.
	Skipped  bool          `json:"skipped,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// TestReport is the outcome of RunTests.
type TestReport struct {
	Results []TestResult `json:"results"` // sorted by file, line, name
	// Coverage is the percentage of policy lines the tests evaluated, per
	// file and overall; empty unless asked for.
	Coverage     float64            `json:"coverage,omitempty"`
	FileCoverage map[string]float64 `json:"fileCoverage,omitempty"`
	Failed       int                `json:"failed"`
	Passed       int                `json:"passed"`
	Skipped      int                `json:"skipped,omitempty"`
}

// RunTests runs the Rego unit tests (`_test.rego` files) of the embedded
// pack and of opt.PolicyDirs against the same data, parameters and
// capabilities as Evaluate: the engine behind `xborder policy test`.
func RunTests(ctx context.Context, opt Options, coverage bool) (*TestReport, error) {
	p, err := loadPack(opt, true)
	if err != nil {
		return nil, err
	}
	if _, errs := readRules(p.modules); len(errs) > 0 {
		return nil, p.split(errs)
	}
	caps := sandboxCapabilities()
	mods := make(map[string]*ast.Module, len(p.modules))
	for _, m := range p.modules {
		mods[m.name] = m.module
	}
	store := inmem.NewFromObjectWithOpts(p.data, inmem.OptRoundTripOnWrite(false))
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("open policy store: %w", err)
	}
	defer store.Abort(ctx, txn)
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(true)).
		SetStore(store).
		SetModules(mods).
		CapturePrintOutput(true).
		SetTimeout(time.Minute)
	var cov *cover.Cover
	if coverage {
		cov = cover.New()
		runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return nil, p.split(astErrors(astErrs))
		}
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	rep := &TestReport{}
	for r := range ch {
		tr := TestResult{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name, Passed: r.Pass(), Skipped: r.Skip, Duration: r.Duration}
		if r.Location != nil {
			tr.Location = audit.Source{File: r.Location.File, Line: r.Location.Row}
		}
		switch {
		case r.Error != nil:
			tr.Error = r.Error.Error()
		case r.Fail:
			tr.Error = "test failed"
			if r.FailedAt != nil {
				tr.Error = fmt.Sprintf("test failed at %s: %s", r.FailedAt.Location, r.FailedAt)
			}
		}
		if len(r.Output) > 0 && !tr.Passed {
			tr.Error += "\n" + strings.TrimSpace(string(r.Output))
		}
		switch {
		case tr.Skipped:
			rep.Skipped++
		case tr.Passed:
			rep.Passed++
		default:
			rep.Failed++
		}
		rep.Results = append(rep.Results, tr)
	}
	slices.SortFunc(rep.Results, func(a, b TestResult) int {
		return cmp.Or(cmp.Compare(a.Location.File, b.Location.File), cmp.Compare(a.Location.Line, b.Location.Line), cmp.Compare(a.Name, b.Name))
	})
	if cov != nil {
		policy := map[string]*ast.Module{}
		for name, m := range mods {
			if !strings.HasSuffix(name, "_test.rego") {
				policy[name] = m
			}
		}
		// The cover report also lists the test files (they have hits of
		// their own); coverage is of the policy files alone.
		report := cov.Report(policy)
		rep.FileCoverage = map[string]float64{}
		covered, total := 0, 0
		for name, fr := range report.Files {
			if _, ok := policy[name]; !ok {
				continue
			}
			rep.FileCoverage[name] = fr.Coverage
			covered += fr.CoveredLines
			total += fr.CoveredLines + fr.NotCoveredLines
		}
		if total > 0 {
			rep.Coverage = 100 * float64(covered) / float64(total)
		}
	}
	return rep, nil
}
