// Command xborder audits cross-border transfers of personal data against
// Korea's PIPA, the Credit Information Act and the Electronic Financial
// Transactions Act. The program is internal/cli; this file only runs it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/xborder/xborder/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
