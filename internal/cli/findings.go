package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/reports"
)

type findingsFlags struct {
	historyFlags
	status, rule, flow, run string
}

func newFindingsCmd(e *env) *cobra.Command {
	var f findingsFlags
	cmd := &cobra.Command{
		Use:   "findings [--status new|open|resolved] [--rule R] [--flow F] [--run ID]",
		Short: "List the findings of a stored run, by lifecycle status",
		Long: `Findings lists the findings of one run (the latest by default) with their
lifecycle: new (first seen in that run), recurring (reported by the previous run
too; its first-seen run is kept), or resolved (reported by the previous run, no
longer by this one). Findings are identified across runs by their fingerprint
(rule, flow, file and key evidence), never by line numbers.

  --status open      every finding the run reports, new or recurring (default)
  --status new       only those first seen in the run
  --status recurring only those the previous run reported too
  --status resolved  the previous run's findings this run no longer reports

-f json prints the versioned JSON envelope of the run (DESIGN §8) holding the
selected findings, each with its status and firstSeen.`,
		Example: `  xborder findings --db audit.db --status new
  xborder findings --db audit.db --status resolved --run 20240308T
  xborder findings --db audit.db --rule XB-BULK-DAILY --flow alipay-nsf -f json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd, e); err != nil {
				return err
			}
			return runFindings(cmd, e, &f)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.status, "status", store.StatusOpen, "`STATUS`: open, new, recurring or resolved")
	withCheck(cmd, "status", checkStatus)
	fl.StringVar(&f.rule, "rule", "", "only findings of this rule `ID`")
	fl.StringVar(&f.flow, "flow", "", "only findings about this flow `NAME`")
	fl.StringVar(&f.run, "run", "latest", "the run: an `ID`, a unique prefix of one, or latest")
	return cmd
}

func runFindings(cmd *cobra.Command, e *env, f *findingsFlags) error {
	ctx := cmd.Context()
	if err := f.check(); err != nil {
		return err
	}
	if err := checkStatus(f.status); err != nil {
		return usageError("--status: %v", err)
	}
	st, err := openExisting(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	run, err := st.Run(ctx, f.run)
	if err != nil {
		return notFoundIsUsage(err)
	}
	fs, err := st.Findings(ctx, store.FindingQuery{Run: run.ID, Status: f.status, Rule: f.rule, Flow: f.flow})
	if err != nil {
		return err
	}
	run.Findings = fs
	if f.format == "json" {
		return reports.JSON(e.stdout, &reports.Report{Run: run})
	}
	return writeFindingsText(e.stdout, run, f.status)
}

// notFoundIsUsage makes an unknown run a usage error (exit 2).
func notFoundIsUsage(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return withCode(ExitError, err)
	}
	return err
}

func writeFindingsText(w io.Writer, run *audit.Run, status string) error {
	fmt.Fprintf(w, "run %s (as of %s): %d %s finding(s)\n", run.ID, run.AsOf, len(run.Findings), status)
	if len(run.Findings) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return writeFindingTable(w, run.Findings, func(f audit.Finding) string { return f.Status })
}

// writeFindingTable prints one aligned line per finding, its message
// indented under it.
func writeFindingTable(w io.Writer, fs []audit.Finding, mark func(audit.Finding) string) error {
	var rows bytes.Buffer
	tw := tabwriter.NewWriter(&rows, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSEVERITY\tRULE\tFLOW\tFIRST SEEN\tID")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark(f), f.Severity, f.Rule, orDash(f.Flow), orDash(f.FirstSeen), f.ID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for i, f := range fs {
		b.WriteString(strings.TrimRight(lines[i+1], " ") + "\n")
		b.WriteString("    " + strings.ReplaceAll(f.Message, "\n", " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
