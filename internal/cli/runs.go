package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/store"
)

// historyFormats are the formats of runs, findings and diff: a table for
// people, JSON for scripts.
var historyFormats = map[string]bool{"text": true, "json": true}

// historyFlags are the flags the history commands share.
type historyFlags struct {
	db     string
	format string
}

func (h *historyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&h.db, "db", "xborder.db", "SQLite database `FILE` that keeps the history")
	cmd.Flags().StringVarP(&h.format, "format", "f", "text", "output format: "+joinKeys(historyFormats))
	cmd.Flags().String("config", "", "config `FILE` (default xborder.yaml when present)")
	withCheck(cmd, "format", checkHistoryFormat)
}

func (h *historyFlags) check() error {
	if err := checkHistoryFormat(h.format); err != nil {
		return usageError("--format: %v", err)
	}
	return nil
}

func newRunsCmd(e *env) *cobra.Command {
	var f historyFlags
	cmd := &cobra.Command{
		Use:   "runs [--db FILE] [-f text|json]",
		Short: "List the runs stored in the database, newest first",
		Long: `Runs lists every run the database holds, newest first: its id, evaluation date,
start time, records read, files read and skipped (already ingested by an earlier
run), active findings by severity, the findings first seen in it (new) and those
of the previous run it no longer reports (resolved).

-f json prints a JSON array, one object per run, with id, mode, asOf, started,
finished, records, inputs, skippedFiles, counts {critical, high, medium, low},
waived, baselined, findings, new, resolved, hash and prevHash.`,
		Example: `  xborder runs --db audit.db
  xborder runs --db audit.db -f json | jq '.[0].counts'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd, e); err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			st, err := openExisting(cmd.Context(), f.db)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs(cmd.Context())
			if err != nil {
				return err
			}
			if f.format == "json" {
				return writeJSON(e.stdout, runs)
			}
			return writeRunsText(e.stdout, runs)
		},
	}
	f.register(cmd)
	return cmd
}

// writeJSON writes v as indented JSON, never null for an empty list.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func writeRunsText(w io.Writer, runs []store.RunSummary) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs yet")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "RUN\tMODE\tAS OF\tSTARTED\tRECORDS\tFILES\tSKIPPED\tCRIT\tHIGH\tMED\tLOW\tNEW\tRESOLVED\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.ID, r.Mode, r.AsOf,
			r.Started.UTC().Format(time.DateTime+"Z"), thousands(r.Records), r.Inputs, r.SkippedFiles,
			r.Counts.Critical, r.Counts.High, r.Counts.Medium, r.Counts.Low, r.New, r.Resolved)
	}
	return tw.Flush()
}
