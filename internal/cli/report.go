package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/policies"
	"github.com/xborder/xborder/reports"
)

type reportFlags struct {
	out        outputFlags
	db         string
	run        string
	sign       string
	manifests  []string
	policyDirs []string
	dataDirs   []string
}

func newReportCmd(e *env) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [--db FILE] [--run ID|latest] -f FORMAT [--lang ko|en] [-o FILE]",
		Short: "Render a stored run in any format, for the regulator or auditor",
		Long: `Report renders a run stored by 'xborder audit' or 'xborder check' without running
it again: the html and pdf formats are the regulator's report (summary with the
surcharge exposure ceiling, transfer inventory, flow diagram, findings by article
with evidence and remediation, daily volume charts, data quality and the
integrity envelope), in Korean (--lang ko) or English.

Every report states the run's hash, the SHA-256 of its canonical JSON; html and
pdf reports also carry a seal over their own bytes, signed with --sign KEY (an
ed25519 private key: PEM PKCS #8 as 'openssl genpkey -algorithm ed25519' writes
it, or the 32-byte seed raw, hex or base64). 'xborder verify' checks both.

The database does not keep the manifests a run judged; without them the
inventory lists the flows observed in the logs. --manifests DIR puts them back
when their digests are those the run recorded.

The exit code is 0 whatever the findings (the run's own exit code was given by
the command that made it); 2 for a usage error or a run that does not exist.`,
		Example: `  xborder report --db audit.db -f pdf --lang ko -o report.pdf
  xborder report --db audit.db --run 20240308T120000Z-a1b2c3 -f html -o report.html --sign key.pem
  xborder report --db audit.db -f csv -o findings.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd, e); err != nil {
				return err
			}
			return runReport(cmd, e, &f)
		},
	}
	f.out.register(cmd, "ko")
	// A rendering is not a gate: --fail-on only decides the verdict line.
	cmd.Flags().Lookup("fail-on").Usage = "severity the report's verdict line counts from: critical, high, medium, low, none (report exits 0 whatever the findings)"
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "xborder.db", "SQLite database `FILE` that keeps the history")
	fl.StringVar(&f.run, "run", "latest", "the run to render: an `ID`, a unique prefix of one, or latest")
	fl.StringVar(&f.sign, "sign", "", "sign the html or pdf report's seal with this ed25519 private key `FILE`")
	fl.StringSliceVar(&f.manifests, "manifests", nil, "the run's manifest `DIR` (repeatable), for the full transfer inventory")
	fl.StringSliceVar(&f.policyDirs, "policy", nil, "extra Rego policy `DIR` the run used, for its rules' titles (repeatable)")
	fl.StringSliceVar(&f.dataDirs, "data", nil, "extra reference data `DIR` the run used, e.g. a taxonomy (repeatable)")
	fl.String("config", "", "config `FILE` (default xborder.yaml when present)")
	return cmd
}

func runReport(cmd *cobra.Command, e *env, f *reportFlags) error {
	ctx := cmd.Context()
	rep, failOn, err := f.out.parsed()
	if err != nil {
		return err
	}
	key, err := signingKey(f.sign, f.out.format)
	if err != nil {
		return err
	}
	if (f.out.format == "pdf") && (f.out.output == "" || f.out.output == "-") && e.isTerminal(e.stdout) {
		return usageError("-f pdf: a PDF is not for a terminal; write it with -o FILE")
	}
	st, err := openExisting(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	run, err := st.Run(ctx, f.run)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return withCode(ExitError, err)
		}
		return err
	}
	if len(f.manifests) > 0 {
		m, err := collectors.LoadManifests(f.manifests...)
		if err != nil {
			return withCode(ExitError, err)
		}
		if err := sameManifests(run, m); err != nil {
			return withCode(ExitError, err)
		}
		run.Manifests = m
	}
	engine, err := policies.New(ctx, policies.Options{PolicyDirs: f.policyDirs, DataDirs: f.dataDirs})
	if err != nil {
		return withCode(ExitError, err)
	}
	r := &reports.Report{
		Run: run, Rules: engine.Rules(), Lang: f.out.lang, FailOn: failOn, DocsURL: docsURL,
		ItemCategories: engine.ItemCategories(), SignKey: key,
	}
	return f.out.write(e, rep, r)
}

// openExisting opens a database that must already exist: reading a run
// from a path with a typo must not create an empty database there.
func openExisting(ctx context.Context, path string) (*store.Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, withCode(ExitError, fmt.Errorf("--db: %w", err))
	}
	return store.Open(ctx, path)
}

// signingKey reads --sign; only the sealed formats can carry a signature.
func signingKey(path, format string) (ed25519.PrivateKey, error) {
	if path == "" {
		return nil, nil
	}
	if !slices.Contains(sealedFormats, format) {
		return nil, usageError("--sign: only %s reports carry a seal to sign, not %q", orList(sealedFormats), format)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--sign: %v", err)
	}
	key, err := reports.ParsePrivateKey(data)
	if err != nil {
		return nil, usageError("--sign: %s: %v", path, err)
	}
	return key, nil
}

// sealedFormats are the formats whose reports carry a seal.
var sealedFormats = []string{"html", "pdf"}

func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// sameManifests checks that m are the manifests run judged: the same set
// of file digests as the run's manifest inputs.
func sameManifests(run *audit.Run, m *audit.Manifests) error {
	var want, got []string
	for _, f := range run.Inputs {
		if f.Kind == "manifest" {
			want = append(want, f.SHA256)
		}
	}
	for _, f := range m.Files {
		got = append(got, f.SHA256)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		return fmt.Errorf("--manifests: these are not the manifests run %s judged (%d files now, %d then, or their contents differ)", run.ID, len(got), len(want))
	}
	return nil
}
