// Command xborder audits cross-border transfers of personal data against
// Korea's PIPA, the Credit Information Act and the Electronic Financial
// Transactions Act. The program is internal/cli; this file only runs it.
package main

import (
	"context"
	"os"

	"github.com/xborder/xborder/internal/cli"
)

func main() {
	ctx, stop := cli.SignalContext(context.Background())
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
