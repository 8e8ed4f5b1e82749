package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

type collectFlags struct {
	manifests []string
	logs      []string
	partials  []string
	consents  []string
	mapping   string
	output    string
}

func newCollectCmd(e *env) *cobra.Command {
	var f collectFlags
	cmd := &cobra.Command{
		Use:   "collect --manifests DIR --logs PATH... -o PART",
		Short: "Read transfer logs into a mergeable partial result, for audits sharded across machines",
		Long: `Collect reads transfer logs the way audit does (matching records to the declared
flows, aggregating per flow and day with distinct-subject sketches, counting bad
lines, digesting every file) and writes the result to a partial file instead of
evaluating it. Any number of partials, each from a different shard of the logs
(a day, a file, a machine), merge in one ` + "`xborder audit --partials DIR`" + ` into exactly
the result of one run over all the logs.

A partial records the digest of the manifests it was matched against: every
shard must be collected with the audit's manifests. Given --partials, collect
merges them into one partial (a reduce step). Bad lines are counted, not judged:
the audit applies --max-bad-ratio to the merged counts.`,
		Example: `  xborder collect --manifests manifests/ --logs logs/2024-03-01/ -o parts/2024-03-01.xbpart
  xborder audit --manifests manifests/ --partials parts/ --db audit.db --report out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCollect(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.manifests, "manifests", nil, "manifest `DIR` or file (repeatable)")
	fl.StringSliceVar(&f.logs, "logs", nil, "transfer log `PATH`, file or directory (repeatable)")
	fl.StringSliceVar(&f.partials, "partials", nil, "partial `PATH` to merge in, file or directory of *.xbpart (repeatable)")
	fl.StringSliceVar(&f.consents, "consents", nil, "consent ledger `PATH`, file or directory (repeatable)")
	fl.StringVar(&f.mapping, "log-mapping", "", "read the logs through this mapping `FILE` (a foreign JSON or CSV format, CEL per field)")
	fl.StringVarP(&f.output, "output", "o", "", "write the partial to `FILE` (*"+collectors.PartialExt+")")
	return cmd
}

func runCollect(ctx context.Context, e *env, f *collectFlags) error {
	switch {
	case len(f.manifests) == 0:
		return usageError("--manifests is required")
	case f.output == "" || f.output == "-":
		return usageError("--output FILE is required (a partial is binary)")
	case len(f.logs) == 0 && len(f.partials) == 0:
		return usageError("nothing to collect: give --logs or --partials")
	}
	m, err := collectors.LoadManifests(f.manifests...)
	if err != nil {
		return withCode(ExitError, err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	opt, extra, err := logInputs(ctx, m, f.mapping, f.consents)
	if err != nil {
		return err
	}
	agg := collectors.NewAggregate(opt)
	if len(f.logs) > 0 {
		if agg, err = collectors.ReadLogs(ctx, m, f.logs, opt); err != nil {
			return withCode(ExitError, err)
		}
	}
	if len(f.partials) > 0 {
		parts, inputs, err := collectors.ReadPartials(f.partials, m, opt)
		if err != nil {
			return withCode(ExitError, err)
		}
		if err := mergeDisjoint(agg, parts); err != nil {
			return withCode(ExitError, err)
		}
		extra = addInputs(extra, inputs...)
	}
	part := &collectors.Partial{Tool: version, Manifests: collectors.ManifestDigest(m), Inputs: extra, Aggregate: agg}
	data, err := part.MarshalBinary()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(f.output, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	q := agg.Quality()
	fmt.Fprintf(e.stderr, "collected %d records, %d lines (%d bad) from %d files into %s\n",
		agg.Records(), q.Lines, q.Bad, len(agg.Files()), f.output)
	return nil
}

// logInputs loads what shapes how logs are read besides the manifests: the
// log mapping and the consent ledger. It returns the options to read with
// and these inputs, for the run's integrity envelope.
func logInputs(ctx context.Context, m *audit.Manifests, mapping string, consents []string) (collectors.LogOptions, []audit.InputFile, error) {
	var opt collectors.LogOptions
	var extra []audit.InputFile
	if mapping != "" {
		mp, err := collectors.LoadMapping(mapping)
		if err != nil {
			return opt, nil, withCode(ExitError, err)
		}
		opt.Mapping = mp
		extra = append(extra, mp.Input())
	}
	if len(consents) > 0 {
		ledger, err := collectors.ReadConsents(ctx, m, consents)
		if err != nil {
			return opt, nil, withCode(ExitError, err)
		}
		opt.Consents = ledger
		extra = append(extra, ledger.Files()...)
	}
	return opt, extra, nil
}

// mergeDisjoint merges parts into agg, refusing a log file both hold: its
// records would be counted twice.
func mergeDisjoint(agg, parts *collectors.Aggregate) error {
	var errs audit.InputErrors
	have := agg.Files()
	for _, f := range parts.Files() {
		if slices.Contains(have, f) {
			errs.Add(f.Path, 0, 0, "", "given both as a log and inside a partial: its records would count twice")
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	agg.Merge(parts)
	return nil
}

// addInputs appends the inputs list does not hold yet.
func addInputs(list []audit.InputFile, more ...audit.InputFile) []audit.InputFile {
	for _, in := range more {
		if !slices.Contains(list, in) {
			list = append(list, in)
		}
	}
	return list
}

// auditPartials merges the partials of an audit into what it read itself.
// A log file an earlier run of the database ingested is refused: the
// history would count it twice.
func auditPartials(ctx context.Context, st *store.Store, m *audit.Manifests, ing *ingestion, partials []string, opt collectors.LogOptions) error {
	parts, inputs, err := collectors.ReadPartials(partials, m, opt)
	if err != nil {
		return withCode(ExitError, err)
	}
	var errs audit.InputErrors
	for _, f := range parts.Files() {
		run, ok, err := st.IngestedFile(ctx, f.SHA256)
		if err != nil {
			return err
		}
		if ok {
			errs.Add(f.Path, 0, 0, "", "in a partial but already ingested by run %s: its records would count twice", run)
		}
	}
	if err := errs.Err(); err != nil {
		return withCode(ExitError, err)
	}
	if err := mergeDisjoint(ing.agg, parts); err != nil {
		return withCode(ExitError, err)
	}
	ing.extra = addInputs(ing.extra, inputs...)
	return nil
}
