package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/policies"
	"github.com/xborder/xborder/reports"
)

// defaultWaivers is read when --waivers is not given and the file exists.
const defaultWaivers = ".xborder-waivers.yaml"

type checkFlags struct {
	out           outputFlags
	asOf          string
	policyDirs    []string
	dataDirs      []string
	waivers       string
	baseline      string
	writeBaseline string
	changedOnly   string
	timeout       time.Duration
	cacheDir      string
	noCache       bool
}

func newCheckCmd(e *env) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Check manifests before merge: the static rules, no logs, no database",
		Long: `Check loads the data-flow manifests under each PATH (default: the current
directory) and evaluates every rule that needs no transfer logs; the rules that
need logs are listed as not evaluated. It stores nothing in a database.

A result is cached (--cache-dir, default xborder in the user cache directory,
~/.cache/xborder on Linux) under a key of
everything it was computed from: this binary, the policies, data and
parameters, --as-of and every manifest byte. An unchanged check is then
answered in a few milliseconds and prints exactly what it would compute;
waivers, the baseline and --changed-only are applied afresh every time.
--no-cache bypasses it; ` + "`xborder cache clean`" + ` empties it.

Findings point at the manifest field (file:line:col). Formats for CI: sarif
(code scanning), github (workflow annotations), junit (test reports), markdown
(a pull-request comment or $GITHUB_STEP_SUMMARY), json, text.

Waivers (--waivers, default .xborder-waivers.yaml when present) accept a known
risk with an owner, a reason and an expiry date:

  - rule: PIPA-28-8-CONTRACT-DISCLOSURE
    flow: aws-*                 # a flow name or a glob; omitted: every flow
    owner: privacy-office
    reason: the policy revision listing AWS Tokyo ships on 2024-04-01
    expires: 2024-04-30
    when: finding.evidence.basis == "contract"   # optional, CEL

An expired waiver no longer applies; expired and unused waivers are reported.
A baseline (--write-baseline FILE, then --baseline FILE) accepts the findings
of today, so that only new findings fail the check.

Exit codes: 0 no unwaived, unbaselined finding at or above --fail-on; 1 such
findings; 2 usage or input error (bad manifest, waiver, baseline or flag).`,
		Example: `  xborder check
  xborder check manifests/ -f sarif -o xborder.sarif
  xborder check --baseline .xborder-baseline.json --changed-only origin/main -f github
  xborder check --write-baseline .xborder-baseline.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := applyConfig(cmd, e)
			if err != nil {
				return err
			}
			return runCheck(cmd, e, &f, cfg, args)
		},
	}
	f.out.register(cmd, "en")
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "evaluation date `YYYY-MM-DD` (default today in Korea); also decides waiver expiry")
	fl.StringSliceVar(&f.policyDirs, "policy", nil, "extra Rego policy `DIR` (repeatable)")
	fl.StringSliceVar(&f.dataDirs, "data", nil, "extra reference data `DIR`, e.g. a taxonomy (repeatable)")
	fl.String("config", "", "config `FILE` (default xborder.yaml when present)")
	fl.StringVar(&f.waivers, "waivers", "", "waiver `FILE` (default "+defaultWaivers+" when present)")
	fl.StringVar(&f.baseline, "baseline", "", "baseline `FILE`: its findings are reported but do not fail the check")
	fl.StringVar(&f.writeBaseline, "write-baseline", "", "write every unwaived finding to baseline `FILE` (they then count as baselined)")
	fl.StringVar(&f.changedOnly, "changed-only", "", "report only findings in manifests changed since git `REF` (committed, staged, unstaged or untracked)")
	fl.DurationVar(&f.timeout, "policy-timeout", time.Minute, "stop a policy evaluation that runs longer than this, e.g. a hostile --policy (0: no limit)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "keep check results in `DIR` (default xborder in the user cache directory, e.g. ~/.cache/xborder)")
	fl.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the check cache")
	withCheck(cmd, "as-of", checkDate)
	return cmd
}

// checkGCPercent is the collector's pace during a check: a check is a
// short process that allocates about 100 MB over 500 manifests and keeps a
// fraction of it, and collecting at Go's default pace (GOGC=100, about ten
// collections) cost a third of its CPU time. At 400 the heap may grow to
// five times what is live (about 80 MB instead of 65 MB of RSS for 500
// manifests) and the collector runs two or three times.
const checkGCPercent = 400

func runCheck(cmd *cobra.Command, e *env, f *checkFlags, cfg *config, args []string) error {
	ctx := cmd.Context()
	if e.getenv("GOGC") == "" { // the user's setting wins
		defer debug.SetGCPercent(debug.SetGCPercent(checkGCPercent))
	}
	rep, failOn, err := f.out.parsed()
	if err != nil {
		return err
	}
	asOf, err := asOfDate(f.asOf, e.now)
	if err != nil {
		return err
	}
	if f.writeBaseline != "" && f.changedOnly != "" {
		return usageError("--write-baseline and --changed-only do not go together: a baseline holds every finding")
	}
	paths := args
	if len(paths) == 0 {
		paths = []string{"."}
	}
	started := e.now().UTC()

	// Where we are in the repository: code hosts resolve paths from its root.
	root := repoPrefix()
	var changes *gitChanges
	if f.changedOnly != "" {
		if changes, err = gitChanged(ctx, f.changedOnly, paths[0]); err != nil {
			return withCode(ExitError, err)
		}
	}

	cc := checkCache(e, f)
	var key string
	if cc != nil {
		key, _ = checkCacheKey(f, cfg, paths, asOf) // no key: no caching
	}
	res := cachedCheck(cc, key)
	if res == nil {
		if res, err = computeCheck(ctx, f, cfg, paths, asOf); err != nil {
			return err
		}
		res = storeCheck(e, f, cfg, paths, asOf, cc, key, res)
	}
	m, rules, findings := res.manifests, res.rules, res.findings
	for _, w := range m.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}

	// Waiver and baseline problems are reported together.
	waivers, werr := loadWaivers(f.waivers, rules)
	var baseline *policies.Baseline
	var berr error
	if f.baseline != "" {
		baseline, berr = policies.ReadBaseline(f.baseline)
	}
	if err := joinInputErrors(werr, berr); err != nil {
		return withCode(ExitError, err)
	}

	// Waivers judge every finding, so that "unused" means unused, not
	// "outside the changed files".
	_, expired, unused := waivers.Apply(findings, asOf)
	for _, w := range expired {
		fmt.Fprintf(e.stderr, "warning: %s: waiver for %s%s (owner %s) expired on %s and no longer applies\n",
			sourceText(w.Source), w.Rule, flowSuffix(w.Flow), w.Owner, w.Expires)
	}
	for _, w := range unused {
		fmt.Fprintf(e.stderr, "warning: %s: waiver for %s%s (owner %s) matched no finding\n",
			sourceText(w.Source), w.Rule, flowSuffix(w.Flow), w.Owner)
	}
	if changes != nil {
		findings = changes.only(findings, m)
	}
	baseline.Apply(findings)
	if f.writeBaseline != "" {
		if err := writeFileAtomic(f.writeBaseline, func(w io.Writer) error { return policies.WriteBaseline(w, findings) }); err != nil {
			return err
		}
		written := 0
		for i := range findings {
			if findings[i].Waived == nil {
				findings[i].Baselined = true
				written++
			}
		}
		fmt.Fprintf(e.stderr, "wrote %d finding(s) to baseline %s\n", written, f.writeBaseline)
	}

	run := &audit.Run{
		ID:           newRunID(started),
		Mode:         audit.ModeCheck,
		AsOf:         asOf,
		Started:      started,
		Tool:         audit.Tool{Name: "xborder", Version: version},
		Inputs:       m.Files,
		PolicyDigest: res.policyDigest,
		Findings:     findings,
		Manifests:    m,
		NotEvaluated: res.notEvaluated,
		DataQuality:  audit.DataQuality{Files: []audit.FileQuality{}},
	}
	run.Finished = e.now().UTC()
	r := &reports.Report{
		Run: run, Rules: rules, Lang: f.out.lang, FailOn: failOn, DocsURL: docsURL,
		Root: root, BaselineUsed: baseline != nil || f.writeBaseline != "",
		ExpiredWaivers: expired, UnusedWaivers: unused,
	}
	if err := f.out.write(e, rep, r); err != nil {
		return err
	}
	if audit.Failing(findings, failOn) > 0 {
		return withCode(ExitFindings, nil)
	}
	return nil
}

// computeCheck loads the manifests and evaluates the rules that need no
// logs: what the check cache keeps.
func computeCheck(ctx context.Context, f *checkFlags, cfg *config, paths []string, asOf string) (*checkResult, error) {
	// Compiling the policies and reading the manifests take about as long
	// as each other and share nothing: do both at once.
	type compiled struct {
		engine *policies.Engine
		err    error
	}
	engineDone := make(chan compiled, 1)
	go func() {
		engine, err := policies.New(ctx, policies.Options{PolicyDirs: f.policyDirs, DataDirs: f.dataDirs, Params: cfg.Params, ParamSources: cfg.ParamSources, Mode: audit.ModeCheck, Timeout: f.timeout})
		engineDone <- compiled{engine, err}
	}()
	m, merr := collectors.LoadManifests(paths...)
	c := <-engineDone
	if err := joinInputErrors(merr, c.err); err != nil {
		return nil, withCode(ExitError, err)
	}
	engine := c.engine
	rules := engine.Rules()
	all, err := engine.Evaluate(ctx, audit.NewInput(audit.ModeCheck, asOf, m))
	if err != nil {
		return nil, err
	}
	var notEvaluated []string
	skip := map[string]bool{}
	for _, r := range rules {
		if r.NeedsObservations() {
			notEvaluated = append(notEvaluated, r.ID)
			skip[r.ID] = true
		}
	}
	return &checkResult{
		manifests:    m,
		rules:        rules,
		policyDigest: engine.Digest(),
		findings:     slices.DeleteFunc(all, func(f audit.Finding) bool { return skip[f.Rule] }),
		notEvaluated: notEvaluated,
	}, nil
}

// loadWaivers reads --waivers, or .xborder-waivers.yaml when it exists and
// the flag is not given. No file means no waivers (a nil *Waivers applies
// none).
func loadWaivers(flag string, rules []audit.Rule) (*policies.Waivers, error) {
	file := flag
	if file == "" {
		if _, err := os.Stat(defaultWaivers); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		file = defaultWaivers
	}
	return policies.LoadWaivers(file, rules)
}

// joinInputErrors merges the input errors of errs into one sorted
// audit.InputErrors, so that all of them are shown at once; any other error
// wins, as it is not the user's to fix in a file.
func joinInputErrors(errs ...error) error {
	var all audit.InputErrors
	for _, err := range errs {
		var ies audit.InputErrors
		switch {
		case err == nil:
		case errors.As(err, &ies):
			all = append(all, ies...)
		default:
			return err
		}
	}
	return all.Err()
}

// sourceText writes a location as file:line:col, the shape of input errors.
func sourceText(s audit.Source) string {
	return strings.TrimSuffix((&audit.InputError{File: s.File, Line: s.Line, Col: s.Col}).Error(), ": ")
}

func flowSuffix(flow string) string {
	if flow == "" {
		return ""
	}
	return " on flow " + flow
}

// repoPrefix is the working directory's path inside its git work tree
// ("" at the top or outside one), found by looking for .git upwards: the
// check stays fast without a git process when --changed-only is not used.
func repoPrefix() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return ""
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// gitChanges are the files of a git work tree that differ from a ref.
type gitChanges struct {
	top     string          // the work tree's root, symbolic links resolved
	changed map[string]bool // paths from top, slash-separated
}

// gitChanged asks git which files differ from ref in the work tree that
// holds the manifests at path (committed since ref, staged, unstaged) plus
// the untracked ones. It asks the manifests' repository, not the working
// directory's: a check run from elsewhere judges the right files.
func gitChanged(ctx context.Context, ref, path string) (*gitChanges, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--changed-only: %q is not a git ref", ref)
	}
	dir := path
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		dir = filepath.Dir(path)
	}
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			return nil, fmt.Errorf("--changed-only %s: git %s: %s", ref, args[0], msg)
		}
		return out, nil
	}
	out, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top, err := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("--changed-only: %w", err)
	}
	c := &gitChanges{top: top, changed: map[string]bool{}}
	dir = top // both lists from the root: every change, every untracked file
	for _, args := range [][]string{
		{"diff", "--name-only", "--no-relative", "--no-renames", "-z", ref, "--"},
		{"ls-files", "--others", "--exclude-standard", "--full-name", "-z"},
	} {
		out, err := git(args...)
		if err != nil {
			return nil, err
		}
		for _, name := range strings.Split(string(out), "\x00") {
			if name != "" {
				c.changed[name] = true
			}
		}
	}
	return c, nil
}

// has reports whether a file, as a finding or a manifest names it
// (relative to the working directory or absolute), changed.
func (c *gitChanges) has(file string) bool {
	if file == "" {
		return false
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rel, err := filepath.Rel(c.top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	return c.changed[filepath.ToSlash(rel)]
}

// only keeps the findings about a changed manifest: the file the finding
// points at, the flow's own manifest, or its recipient's.
func (c *gitChanges) only(fs []audit.Finding, m *audit.Manifests) []audit.Finding {
	memo := map[string]bool{}
	isChanged := func(file string) bool {
		v, ok := memo[file]
		if !ok {
			v = c.has(file)
			memo[file] = v
		}
		return v
	}
	return slices.DeleteFunc(fs, func(f audit.Finding) bool {
		if isChanged(f.Location.File) {
			return false
		}
		if fl, ok := m.Flow(f.Flow); ok {
			if isChanged(fl.Source.File) {
				return false
			}
			if rc, ok := m.Recipient(fl.Recipient); ok && isChanged(rc.Source.File) {
				return false
			}
		}
		return true
	})
}
