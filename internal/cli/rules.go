package cli

import (
	"github.com/spf13/cobra"

	"github.com/xborder/xborder/policies"
	"github.com/xborder/xborder/reports"
)

func newRulesCmd(e *env) *cobra.Command {
	var (
		format     string
		policyDirs []string
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue, from the rules' METADATA",
		Long: `Rules lists every rule of the embedded pack (and of --policy directories) with
its ID, severity, English and Korean titles, articles and remediation, read from
the rules' # METADATA blocks. docs/rules.md is this command's markdown output.`,
		Example: "  xborder rules\n  xborder rules --format json\n  xborder rules --format markdown > docs/rules.md",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			render, ok := reports.CatalogueFormats[format]
			if !ok {
				return usageError("--format: unknown format %q (want %s)", format, joinKeys(reports.CatalogueFormats))
			}
			engine, err := policies.New(cmd.Context(), policies.Options{PolicyDirs: policyDirs})
			if err != nil {
				return withCode(ExitError, err)
			}
			return render(e.stdout, engine.Rules())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: "+joinKeys(reports.CatalogueFormats))
	cmd.Flags().StringSliceVar(&policyDirs, "policy", nil, "extra Rego policy `DIR` (repeatable)")
	return cmd
}
