package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/cache"
)

// newCacheCmd shows and empties the check cache (checkcache.go).
func newCacheCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Show or empty the cache of check results",
		Long: `xborder check keeps each result under a key of everything it was computed
from: this binary, the policies, data and parameters, the evaluation date and
every manifest byte. A check whose inputs did not change (a second format in
the same CI job, a re-run, an edit of the waivers or the baseline) is answered
from the cache and prints exactly what it would have computed. Entries unused
for a week are removed; --no-cache on check bypasses the cache.

The directory is --cache-dir (XBORDER_CACHE_DIR, or cache-dir in
xborder.yaml), by default xborder in the user cache directory
($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS,
%LocalAppData% on Windows). It is private to the user and marked with a
CACHEDIR.TAG; a directory that holds other files and no such tag, or that
others may write into, is not used.`,
		Args: cobra.NoArgs,
	}
	dirFlag := func(c *cobra.Command, dir *string) {
		c.Flags().StringVar(dir, "cache-dir", "", "the cache `DIR` (default xborder in the user cache directory, e.g. ~/.cache/xborder)")
		c.Flags().String("config", "", "config `FILE` (default xborder.yaml when present)")
	}
	resolve := func(c *cobra.Command, dir *string) (string, error) {
		if _, err := applyConfig(c, e); err != nil {
			return "", err
		}
		if *dir != "" {
			return *dir, nil
		}
		if d := defaultCacheDir(e.getenv); d != "" {
			return d, nil
		}
		return "", usageError("no cache directory: set --cache-dir, XBORDER_CACHE_DIR or HOME")
	}

	var showDir string
	show := &cobra.Command{
		Use:   "dir",
		Short: "Print the cache directory",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			dir, err := resolve(c, &showDir)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, dir)
			return nil
		},
	}
	dirFlag(show, &showDir)

	var cleanDir string
	clean := &cobra.Command{
		Use:   "clean",
		Short: "Remove every cached result",
		Long: `Clean removes every cached check result: the entries the cache wrote,
nothing else. A directory that is not a cache (other files, no CACHEDIR.TAG)
is refused.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			dir, err := resolve(c, &cleanDir)
			if err != nil {
				return err
			}
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(e.stdout, "removed 0 cached result(s) from %s\n", dir)
				return nil
			}
			cc, err := cache.Open(dir)
			if err != nil {
				return err
			}
			n, err := cc.Clean()
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "removed %d cached result(s) from %s\n", n, dir)
			return nil
		},
	}
	dirFlag(clean, &cleanDir)
	cmd.AddCommand(show, clean)
	return cmd
}
