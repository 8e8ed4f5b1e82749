package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/reports"
)

func newDiffCmd(e *env) *cobra.Command {
	var f historyFlags
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare the findings of two stored runs",
		Long: `Diff compares two stored runs by finding fingerprint: the findings RUN_B reports
and RUN_A did not (new), and those RUN_A reported and RUN_B does not (resolved);
findings both report are counted as unchanged. A run is an id, a unique prefix of
one, or latest.

-f json prints the versioned JSON envelope of RUN_B (DESIGN §8) holding the new
findings (status "new") and the resolved ones (status "resolved", as RUN_A
reported them), with a "diff" object: from, to, new, resolved, unchanged.`,
		Example: `  xborder diff 20240301T 20240308T --db audit.db
  xborder diff 20240301T latest --db audit.db -f json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := applyConfig(cmd, e); err != nil {
				return err
			}
			return runDiff(cmd, e, &f, args[0], args[1])
		},
	}
	f.register(cmd)
	return cmd
}

// runDiffResult is the comparison of two runs.
type runDiffResult struct {
	From      string `json:"from"`
	To        string `json:"to"`
	New       int    `json:"new"`
	Resolved  int    `json:"resolved"`
	Unchanged int    `json:"unchanged"`
}

func runDiff(cmd *cobra.Command, e *env, f *historyFlags, idA, idB string) error {
	ctx := cmd.Context()
	if err := f.check(); err != nil {
		return err
	}
	st, err := openExisting(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.Run(ctx, idA)
	if err != nil {
		return notFoundIsUsage(err)
	}
	b, err := st.Run(ctx, idB)
	if err != nil {
		return notFoundIsUsage(err)
	}
	changes, d := diffFindings(a, b)
	if f.format == "json" {
		out := *b
		out.Findings = changes
		return writeDiffJSON(e.stdout, &out, d)
	}
	fmt.Fprintf(e.stdout, "%s (as of %s) → %s (as of %s): %d new, %d resolved, %d unchanged\n",
		a.ID, a.AsOf, b.ID, b.AsOf, d.New, d.Resolved, d.Unchanged)
	if len(changes) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	return writeFindingTable(e.stdout, changes, func(f audit.Finding) string {
		if f.Status == audit.StatusResolved {
			return "- resolved"
		}
		return "+ new"
	})
}

// diffFindings returns the findings of b not in a (status new) and of a
// not in b (status resolved), sorted as reports sort, and the counts.
func diffFindings(a, b *audit.Run) ([]audit.Finding, runDiffResult) {
	d := runDiffResult{From: a.ID, To: b.ID}
	inA := map[string]bool{}
	for _, f := range a.Findings {
		inA[f.ID] = true
	}
	inB := map[string]bool{}
	var out []audit.Finding
	for _, f := range b.Findings {
		inB[f.ID] = true
		if inA[f.ID] {
			d.Unchanged++
			continue
		}
		f.Status = audit.StatusNew
		out = append(out, f)
		d.New++
	}
	for _, f := range a.Findings {
		if !inB[f.ID] {
			f.Status = audit.StatusResolved
			out = append(out, f)
			d.Resolved++
		}
	}
	audit.SortFindings(out)
	return out, d
}

// envelopeOrder is the key order of the JSON envelope, with "diff" after
// "run"; keys the envelope gains later follow, sorted.
var envelopeOrder = []string{"schemaVersion", "tool", "run", "diff", "summary", "dataQuality", "notEvaluated", "findings"}

// writeDiffJSON writes run's JSON envelope with the diff object added.
func writeDiffJSON(w io.Writer, run *audit.Run, d runDiffResult) error {
	var buf bytes.Buffer
	if err := reports.JSON(&buf, &reports.Report{Run: run}); err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	doc["diff"] = raw
	keys := slices.Sorted(maps.Keys(doc))
	slices.SortStableFunc(keys, func(x, y string) int {
		ix, iy := slices.Index(envelopeOrder, x), slices.Index(envelopeOrder, y)
		if ix < 0 {
			ix = len(envelopeOrder)
		}
		if iy < 0 {
			iy = len(envelopeOrder)
		}
		return ix - iy
	})
	var out bytes.Buffer
	out.WriteString("{\n")
	for i, k := range keys {
		var v bytes.Buffer
		if err := json.Indent(&v, doc[k], "  ", "  "); err != nil {
			return err
		}
		kj, _ := json.Marshal(k)
		fmt.Fprintf(&out, "  %s: %s", kj, v.Bytes())
		if i < len(keys)-1 {
			out.WriteString(",")
		}
		out.WriteString("\n")
	}
	out.WriteString("}\n")
	_, err = w.Write(out.Bytes())
	return err
}
