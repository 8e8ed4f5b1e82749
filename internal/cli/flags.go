package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/reports"
)

// outputFlags are the flags every command that renders findings shares.
type outputFlags struct {
	format string
	output string
	failOn string
	lang   string
}

// register adds the flags; lang is the default language: "ko" for the
// commands whose readers are regulators (Korean first, English on request),
// "en" for the engineer's terminal. Format, fail-on and lang are checked
// as they are set (withCheck), so that applyConfig rejects a bad one from
// the environment or a config file where it was written.
func (o *outputFlags) register(cmd *cobra.Command, lang string) {
	fl := cmd.Flags()
	fl.StringVarP(&o.format, "format", "f", "", "output format: "+strings.Join(reports.Names(), ", ")+" (default text)")
	fl.StringVarP(&o.output, "output", "o", "", "write the output to `FILE` instead of standard output")
	fl.StringVar(&o.failOn, "fail-on", "high", "exit 1 when an unwaived finding is at or above `SEVERITY`: critical, high, medium, low, none")
	fl.StringVar(&o.lang, "lang", lang, "language of human-readable formats: en, ko")
	withCheck(cmd, "format", checkFormat)
	withCheck(cmd, "fail-on", checkFailOn)
	withCheck(cmd, "lang", checkLang)
}

// parsed validates the flags; every problem is a usage error (exit 2).
func (o *outputFlags) parsed() (reports.Reporter, audit.Severity, error) {
	name := o.format
	if name == "" {
		name = "text"
	}
	rep, err := reports.Lookup(name)
	if err != nil {
		return nil, 0, usageError("--format: %v", err)
	}
	sev, err := audit.ParseSeverity(o.failOn)
	if err != nil {
		return nil, 0, usageError("--fail-on: %v", err)
	}
	if err := checkLang(o.lang); err != nil {
		return nil, 0, usageError("--lang: %v", err)
	}
	return rep, sev, nil
}

// checked is a registered flag's value with the check of its valid values
// (withCheck). Set still takes whatever the flag's type parses, so that a
// bad value on the command line is reported by the command, as a usage
// error naming the flag, with the same check; applyConfig calls check on a
// value from the environment or a config file before it takes it, so that
// the error names where the value was written.
type checked struct {
	pflag.Value
	valid func(string) error
}

// check is what applyConfig asks before it takes a value.
func (c *checked) check(v string) error { return c.valid(v) }

// withCheck gives the flag name of cmd, registered as usual (its type, its
// default and its help unchanged), the check of its values.
func withCheck(cmd *cobra.Command, name string, valid func(string) error) {
	f := cmd.Flags().Lookup(name)
	f.Value = &checked{f.Value, valid}
}

// checkFormat accepts a report format; empty is text.
func checkFormat(v string) error {
	if v == "" {
		return nil
	}
	_, err := reports.Lookup(v)
	return err
}

func checkFailOn(v string) error {
	_, err := audit.ParseSeverity(v)
	return err
}

func checkLang(v string) error {
	if v != "en" && v != "ko" {
		return fmt.Errorf("unknown language %q (want en or ko)", v)
	}
	return nil
}

// write renders r to --output or standard output. A file is written
// atomically (temporary file, then rename) so that a killed run never leaves
// half a report.
func (o *outputFlags) write(e *env, rep reports.Reporter, r *reports.Report) error {
	if o.output == "" || o.output == "-" {
		r.Color = r.Color || (o.format == "" || o.format == "text") && e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
		return rep.Report(e.stdout, r)
	}
	return writeFileAtomic(o.output, func(w io.Writer) error { return rep.Report(w, r) })
}

// writeFileAtomic writes path through a temporary file in the same
// directory and renames it into place. Temporary files of earlier writers
// of the same path that were killed before their rename are removed once
// they are staleTemp old (a younger one may belong to a writer still at
// work).
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	prefix := "." + filepath.Base(path) + "."
	removeStaleTemps(dir, prefix, ".tmp")
	f, err := os.CreateTemp(dir, prefix+"*.tmp")
	if err != nil {
		return err
	}
	// Reports are handed on: readable like any file the user writes.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// staleTemp is the age after which a writer's temporary file is taken to
// be left by a killed process.
const staleTemp = 15 * time.Minute

// removeStaleTemps removes the regular files of dir named prefix, digits
// (os.CreateTemp's random part), suffix, that are older than staleTemp.
// Failures are ignored: the files are only litter.
func removeStaleTemps(dir, prefix, suffix string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		mid, ok := strings.CutPrefix(e.Name(), prefix)
		if mid, ok = strings.CutSuffix(mid, suffix); !ok || mid == "" || strings.Trim(mid, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// asOfDate returns --as-of, or today in Korea when it is empty.
func asOfDate(flag string, now func() time.Time) (string, error) {
	if flag == "" {
		return now().In(kst).Format(audit.DateLayout), nil
	}
	if err := checkDate(flag); err != nil {
		return "", usageError("--as-of: %v", err)
	}
	return flag, nil
}

// checkDate accepts a YYYY-MM-DD date, or empty for today.
func checkDate(v string) error {
	if v == "" {
		return nil
	}
	if _, err := audit.ParseDate(v); err != nil {
		return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", v)
	}
	return nil
}

// kst is Korea Standard Time, the calendar the audit days are counted in.
var kst = time.FixedZone("KST", 9*60*60)
