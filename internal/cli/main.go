// Package cli is the xborder command line: one cobra command per file, the
// flags, the configuration precedence (flags > XBORDER_* environment >
// config file) and the exit codes. It is the only package that knows about
// flags, and nothing in it calls os.Exit or touches os.Stdout: Main returns
// the exit code and writes to the writers it is given.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
)

// Exit codes (DESIGN §8).
const (
	ExitOK       = 0 // no unwaived finding at or above --fail-on
	ExitFindings = 1 // such findings
	ExitError    = 2 // usage or input error
)

// version is stamped at build time: -ldflags "-X github.com/xborder/xborder/internal/cli.version=v1.2.3".
var version = "dev"

// Version returns the build's version string.
func Version() string { return version }

// env is what a command may use of the outside world; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	getenv         func(string) string
	isTerminal     func(w io.Writer) bool
}

// Main runs xborder with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{
		stdin: stdin, stdout: stdout, stderr: stderr,
		now: time.Now, getenv: os.Getenv, isTerminal: isTerminal,
	})
}

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err as ending the program with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageError marks err as a usage problem (exit 2).
func usageError(format string, args ...any) error {
	return withCode(ExitError, fmt.Errorf(format, args...))
}

func run(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var xe *exitError
	if !errors.As(err, &xe) || xe.code != ExitInterrupted && xe.code != ExitTerminated {
		// A failure while a signal was stopping the command is the stop.
		err = signalExit(ctx, err, "the command did not finish")
	}
	if errors.As(err, &xe) {
		if xe.err != nil {
			printError(e.stderr, xe.err)
		}
		return xe.code
	}
	// Anything cobra itself rejects (unknown flag or command) is usage.
	printError(e.stderr, err)
	return ExitError
}

// printError writes err for a human: input errors one per line as
// file:line:col: field: message, anything else prefixed with "xborder: ".
func printError(w io.Writer, err error) {
	var ies audit.InputErrors
	if errors.As(err, &ies) {
		for _, ie := range ies {
			fmt.Fprintln(w, ie.Error())
		}
		fmt.Fprintf(w, "xborder: %d input error(s)\n", len(ies))
		return
	}
	fmt.Fprintf(w, "xborder: %v\n", err)
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "xborder",
		Short: "Audit cross-border transfers of personal data against Korea's PIPA",
		Long: `xborder audits cross-border transfers of personal data against Korea's Personal
Information Protection Act (PIPA), the Credit Information Act and the Electronic
Financial Transactions Act.

It reads what a company declares about each outbound integration (data-flow
manifests in YAML) and what its integrations actually sent (transfer logs),
evaluates both with OPA/Rego policies, stores findings with history in SQLite
and renders them for engineers, compliance officers and regulators.

Exit codes: 0 no unwaived finding at or above --fail-on; 1 such findings;
2 usage or input error; 130 or 143 stopped by SIGINT or SIGTERM (an audit
stopped that way stores nothing; a second signal ends it at once).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetVersionTemplate("xborder {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(ExitError, err) })
	root.CompletionOptions.HiddenDefaultCmd = true
	for _, c := range []*cobra.Command{
		newAuditCmd(e),
		newCollectCmd(e),
		newCheckCmd(e),
		newReportCmd(e),
		newVerifyCmd(e),
		newRunsCmd(e),
		newFindingsCmd(e),
		newDiffCmd(e),
		newRulesCmd(e),
		newPolicyCmd(e),
		newCacheCmd(e),
		newVersionCmd(e),
	} {
		root.AddCommand(c)
	}
	return root
}
