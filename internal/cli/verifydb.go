package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// runVerifyDB checks the whole database (`xborder verify --db FILE`): every
// run's hashes, the chain, orphaned rows and SQLite's quick_check. Each
// problem is printed on its own line naming the run and, for a finding,
// its fingerprint; any problem exits 1.
func runVerifyDB(cmd *cobra.Command, e *env, db string) error {
	ctx := cmd.Context()
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.Runs(ctx)
	if err != nil {
		return err
	}
	problems, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	findings := 0
	for _, r := range runs {
		findings += r.Findings
	}
	fmt.Fprintf(e.stdout, "%s: %d run(s), %d finding(s)\n", db, len(runs), findings)
	if len(problems) == 0 {
		if len(runs) > 0 {
			fmt.Fprintf(e.stdout, "  ok    chain      %d run(s) from %s to %s, every hash recomputed\n", len(runs), runs[len(runs)-1].ID, runs[0].ID)
		}
		fmt.Fprintln(e.stdout, "verified")
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(e.stdout, "  FAIL  %s\n", p)
	}
	fmt.Fprintf(e.stdout, "NOT VERIFIED: %d problem(s)\n", len(problems))
	return withCode(ExitFindings, nil)
}
