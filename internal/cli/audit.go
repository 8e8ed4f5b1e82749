package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/policies"
	"github.com/xborder/xborder/reports"
)

type auditFlags struct {
	out         outputFlags
	manifests   []string
	logs        []string
	consents    []string
	partials    []string
	mapping     string
	logFormat   string
	db          string
	reportDir   string
	sign        string
	asOf        string
	maxBadRatio float64
	policyDirs  []string
	dataDirs    []string
	config      string
	timeout     time.Duration
}

func newAuditCmd(e *env) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit --manifests DIR --logs PATH...",
		Short: "Audit manifests and transfer logs, store the findings and report them",
		Long: `Audit reads the data-flow manifests and the outbound transfer logs, aggregates the
logs into per-flow-per-day observations, evaluates every rule once over the
aggregated facts, stores the run in the SQLite database and writes the report.

Malformed log lines are counted and reported as XB-DATA-QUALITY; when more than
--max-bad-ratio of the lines are bad the run stops with exit 2 and stores nothing.

History: a log file an earlier run ingested (same SHA-256) is skipped and said
so; each run stores the state of the flow-days it read, and the rules judge the
stored days of the trailing window (params.bulkWindowDays) together with the
run's own, so a daily run reading one day's file still sees the month. Findings
are new, recurring or resolved against the previous run (xborder findings).
Two audits on one database run one after the other.

--consents checks every record of a consent-based flow against the consent
ledger: without a grant covering its time, or after a withdrawal, it is
reported by PIPA-17-CONSENT-AT-TRANSFER with redacted examples.

On a terminal a progress bar shows on standard error; --log-format text|json
sets the structured log (run start and end, files read and skipped, counts).`,
		Example: `  xborder audit --manifests manifests/ --logs logs/2024-03-01.jsonl.gz --db audit.db --report out/
  xborder audit --config xborder.yaml --consents consents/ledger.jsonl.gz --log-format json
  xborder audit --manifests fixtures/kakaopay-alipay/manifests --logs fixtures/kakaopay-alipay/logs --as-of 2024-03-08 -f json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := applyConfig(cmd, e)
			if err != nil {
				return err
			}
			return runAudit(cmd, e, &f, cfg)
		},
	}
	f.out.register(cmd, "en")
	fl := cmd.Flags()
	fl.StringSliceVar(&f.manifests, "manifests", nil, "manifest `DIR` or file (repeatable)")
	fl.StringSliceVar(&f.logs, "logs", nil, "transfer log `PATH`, file or directory (repeatable); files an earlier run ingested are skipped")
	fl.StringSliceVar(&f.consents, "consents", nil, "consent ledger `PATH`, file or directory (repeatable): records of consent-based flows are checked against it")
	fl.StringSliceVar(&f.partials, "partials", nil, "partial result `PATH` written by xborder collect, file or directory of *.xbpart (repeatable): merged as if its logs were read here")
	fl.StringVar(&f.mapping, "log-mapping", "", "read the logs through this mapping `FILE` (a foreign JSON or CSV format, CEL per field)")
	fl.StringVar(&f.logFormat, "log-format", "text", "structured log on standard error: text or json")
	fl.StringVar(&f.db, "db", "xborder.db", "SQLite database `FILE` that keeps the history")
	fl.StringVar(&f.reportDir, "report", "", "also write report.html, report.pdf and report.json into `DIR` (in Korean unless --lang is given)")
	fl.StringVar(&f.sign, "sign", "", "sign the seal of report.html and report.pdf with this ed25519 private key `FILE` (see xborder report --help)")
	fl.StringVar(&f.asOf, "as-of", "", "evaluation date `YYYY-MM-DD` (default today in Korea)")
	fl.Float64Var(&f.maxBadRatio, "max-bad-ratio", 0.01, "abort (exit 2, nothing stored) when more than this share of log lines is malformed")
	withCheck(cmd, "log-format", checkLogFormat)
	withCheck(cmd, "as-of", checkDate)
	withCheck(cmd, "max-bad-ratio", checkRatio)
	fl.StringSliceVar(&f.policyDirs, "policy", nil, "extra Rego policy `DIR` (repeatable)")
	fl.StringSliceVar(&f.dataDirs, "data", nil, "extra reference data `DIR`, e.g. a taxonomy (repeatable)")
	fl.StringVar(&f.config, "config", "", "config `FILE` (default xborder.yaml when present)")
	fl.DurationVar(&f.timeout, "policy-timeout", 5*time.Minute, "stop a policy evaluation that runs longer than this, e.g. a hostile --policy (0: no limit)")
	return cmd
}

func runAudit(cmd *cobra.Command, e *env, f *auditFlags, cfg *config) (err error) {
	ctx := cmd.Context()
	var stored string // the run's ID once it is committed
	defer func() {
		if stored == "" {
			err = signalExit(ctx, err, "nothing was stored")
		} else {
			err = signalExit(ctx, err, "run "+stored+" was stored, but not every report was written")
		}
	}()
	rep, failOn, err := f.out.parsed()
	if err != nil {
		return err
	}
	if len(f.manifests) == 0 {
		return usageError("--manifests is required")
	}
	if err := ratioError(f.maxBadRatio); err != nil {
		return usageError("--max-bad-ratio: %v", err)
	}
	var key ed25519.PrivateKey
	if f.sign != "" {
		if f.reportDir == "" {
			return usageError("--sign: signs the reports of --report DIR; give --report")
		}
		if key, err = signingKey(f.sign, "html"); err != nil {
			return err
		}
	}
	asOf, err := asOfDate(f.asOf, e.now)
	if err != nil {
		return err
	}
	lg, err := newLogger(e.stderr, f.logFormat, e.now)
	if err != nil {
		return err
	}
	started := e.now().UTC()
	runID := newRunID(started)
	lg.InfoContext(ctx, "audit start", "run", runID, "asOf", asOf, "db", f.db, "manifests", f.manifests, "logs", f.logs, "consents", f.consents)

	m, err := collectors.LoadManifests(f.manifests...)
	if err != nil {
		return withCode(ExitError, err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	engine, err := policies.New(ctx, policies.Options{PolicyDirs: f.policyDirs, DataDirs: f.dataDirs, Params: cfg.Params, ParamSources: cfg.ParamSources, Timeout: f.timeout})
	if err != nil {
		return withCode(ExitError, err)
	}
	unlock, err := lockHistory(ctx, f.db, lg)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := store.Open(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	opt, extra, err := logInputs(ctx, m, f.mapping, nil)
	if err != nil {
		return err
	}
	opt.Known = engine.KnownItem
	ing, err := ingest(ctx, e, lg, st, m, f.logs, f.consents, opt)
	if err != nil {
		return err
	}
	ing.extra = extra
	if len(f.partials) > 0 {
		if err := auditPartials(ctx, st, m, ing, f.partials, opt); err != nil {
			return err
		}
	}
	quality := ing.quality()
	if r := quality.BadRatio(); r > f.maxBadRatio {
		return withCode(ExitError, fmt.Errorf("%d of %d log lines (%.2f%%) are malformed, above --max-bad-ratio %.2f%%; nothing was stored\n%s",
			quality.Bad, quality.Lines, 100*r, 100*f.maxBadRatio, badExamples(quality)))
	}

	w, err := trailingWindow(asOf, engine.Params())
	if err != nil {
		return err
	}
	hist, err := windowObservations(ctx, st, ing.agg, w, opt)
	if err != nil {
		return err
	}
	in := audit.NewInput(audit.ModeAudit, asOf, m)
	in.Observations = hist.observations
	in.ConsentExamples = hist.examples
	in.Unmatched = ing.agg.Unmatched()
	in.DataQuality = quality
	findings, err := engine.Evaluate(ctx, in)
	if err != nil {
		return err
	}
	run := &audit.Run{
		ID:           runID,
		Mode:         audit.ModeAudit,
		AsOf:         asOf,
		Started:      started,
		Tool:         audit.Tool{Name: "xborder", Version: version},
		Inputs:       append(append([]audit.InputFile{}, m.Files...), ing.files()...),
		PolicyDigest: engine.Digest(),
		Records:      ing.agg.Records(),
		SkippedFiles: ing.skipped,
		Findings:     findings,
		Manifests:    m,
		Observations: ing.agg.Observations(), // the days read; the window is rebuilt from the store
		Unmatched:    in.Unmatched,
		DataQuality:  quality,
	}
	run.Finished = e.now().UTC()
	if err := saveRun(ctx, st, run, ing.agg); err != nil {
		return err
	}
	stored = run.ID
	unlock()

	r := &reports.Report{Run: run, Rules: engine.Rules(), Lang: f.out.lang, FailOn: failOn, DocsURL: docsURL,
		ItemCategories: engine.ItemCategories()}
	if f.reportDir != "" {
		// The report directory is for the regulator: Korean unless --lang
		// (or the config) asks otherwise; the terminal summary stays in --lang.
		dir := *r
		if !cmd.Flags().Changed("lang") {
			dir.Lang = "ko"
		}
		if err := writeReportDir(f.reportDir, &dir, key); err != nil {
			return err
		}
	}
	if err := f.out.write(e, rep, r); err != nil {
		return err
	}
	code := ExitOK
	if audit.Failing(run.Findings, failOn) > 0 {
		code = ExitFindings
	}
	logRunEnd(ctx, lg, run, hist, started, e.now().UTC(), code)
	if code != ExitOK {
		return withCode(code, nil)
	}
	return nil
}

// reportFiles are the files --report DIR holds, by format.
var reportFiles = [][2]string{{"html", "report.html"}, {"pdf", "report.pdf"}, {"json", "report.json"}}

// writeReportDir writes the regulator's reports of a run into dir: html
// and pdf in the run's --lang, sealed (and signed with key when given),
// and the JSON envelope.
func writeReportDir(dir string, r *reports.Report, key ed25519.PrivateKey) error {
	for _, rf := range reportFiles {
		fr, err := reports.Lookup(rf[0])
		if err != nil {
			return err
		}
		rr := *r
		if rf[0] != "json" {
			rr.SignKey = key
		}
		if err := writeFileAtomic(filepath.Join(dir, rf[1]), func(w io.Writer) error { return fr.Report(w, &rr) }); err != nil {
			return err
		}
	}
	return nil
}

// docsURL is where each rule's documentation lives (rule sections are anchors).
const docsURL = "https://github.com/xborder/xborder/blob/main/docs/rules.md"

// newRunID returns a sortable, unique run id: the start time and 3 random bytes.
func newRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func badExamples(q audit.DataQuality) string {
	var s string
	for _, f := range q.Files {
		for _, ex := range f.Examples {
			s += fmt.Sprintf("%s:%d: %s\n", f.Path, ex.Line, ex.Reason)
		}
	}
	return s
}
