package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/yamltext"
)

// defaultConfig is read when --config is not given and the file exists.
const defaultConfig = "xborder.yaml"

// config is what a config file and the environment contribute beyond flags.
type config struct {
	// Params override the policy thresholds (DESIGN §6); ParamSources says
	// where each was written, for the engine to report a bad one there.
	Params       map[string]any
	ParamSources map[string]audit.Source
}

// applyConfig fills every flag the user did not set, first from the
// XBORDER_<FLAG> environment variable, then from the config file, so that
// flags > environment > config file. Keys of the config file are flag names
// (`fail-on: critical`), plus `params:` for thresholds; a key that is a flag
// of another command is ignored, so that one xborder.yaml serves audit,
// runs, findings, report and verify.
//
// A value is checked as it is set (withCheck), so that a bad one is
// reported where it was written: `xborder.yaml:3:10: fail-on: unknown
// severity "highh" ...` or `XBORDER_FAIL_ON: unknown severity ...`. Every
// problem of the file and the environment is reported at once, as
// audit.InputErrors (exit 2). Values given on the command line are left to
// the command, which reports a bad one as a usage error naming the flag.
func applyConfig(cmd *cobra.Command, e *env) (*config, error) {
	cfg := &config{}
	path, explicit := "", false
	if f := cmd.Flags().Lookup("config"); f != nil && f.Value.String() != "" {
		path, explicit = f.Value.String(), true
	} else if v := e.getenv("XBORDER_CONFIG"); v != "" {
		path, explicit = v, true
	} else {
		path = defaultConfig
	}
	var errs audit.InputErrors
	var fileValues map[string]*yaml.Node
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		fileValues = readConfigFile(cmd, path, data, cfg, &errs)
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// no config file: fine
	default:
		return nil, withCode(ExitError, fmt.Errorf("config: %w", err))
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		envName := "XBORDER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookupEnv(e, envName); ok {
			if err := setFlag(f, []string{v}); err != nil {
				errs.Add(envName, 0, 0, "", "%v", err)
			}
			return
		}
		n, ok := fileValues[f.Name]
		if !ok {
			return
		}
		vals, ok := scalarValues(n)
		if !ok {
			errs.Add(path, n.Line, n.Column, f.Name, "want a value or a list of values")
			return
		}
		if err := setFlag(f, vals); err != nil {
			errs.Add(path, n.Line, n.Column, f.Name, "%v", err)
		}
	})
	if err := errs.Err(); err != nil {
		return nil, withCode(ExitError, err)
	}
	return cfg, nil
}

// readConfigFile parses the config file, records its problems in errs and
// returns the values of cmd's flags by name; params go to cfg.
func readConfigFile(cmd *cobra.Command, path string, data []byte, cfg *config, errs *audit.InputErrors) map[string]*yaml.Node {
	var doc yaml.Node
	if err := yamltext.Unmarshal(data, &doc); err != nil {
		errs.Add(path, err.Line, err.Col, "", "%v", err)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil // empty, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		errs.Add(path, top.Line, top.Column, "", "want a mapping of flag names to values")
		return nil
	}
	values := map[string]*yaml.Node{}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			errs.Add(path, k.Line, k.Column, k.Value, "set twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if k.Value == "params" {
			if err := v.Decode(&cfg.Params); err != nil || v.Kind != yaml.MappingNode {
				errs.Add(path, v.Line, v.Column, "params", "want a mapping of threshold names to values")
				continue
			}
			cfg.ParamSources = map[string]audit.Source{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				pk := v.Content[j]
				cfg.ParamSources[pk.Value] = audit.Source{File: path, Line: pk.Line, Col: pk.Column}
			}
			continue
		}
		if cmd.Flags().Lookup(k.Value) == nil && k.Value != "config" && anyCommandFlag(cmd.Root(), k.Value) {
			continue // a setting of another command: one file serves them all
		}
		if cmd.Flags().Lookup(k.Value) == nil || k.Value == "config" {
			errs.Add(path, k.Line, k.Column, k.Value, "unknown setting for %q (want one of its flags: %s)", cmd.Name(), strings.Join(flagNames(cmd), ", "))
			continue
		}
		values[k.Value] = v
	}
	return values
}

// scalarValues returns the values of a config entry: one scalar, or a list
// of scalars.
func scalarValues(n *yaml.Node) ([]string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, true
	case yaml.SequenceNode:
		vals := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, false
			}
			vals = append(vals, c.Value)
		}
		return vals, true
	}
	return nil, false
}

// anyCommandFlag reports whether name is a flag of some command under root.
func anyCommandFlag(root *cobra.Command, name string) bool {
	if root.Flags().Lookup(name) != nil {
		return true
	}
	for _, c := range root.Commands() {
		if anyCommandFlag(c, name) {
			return true
		}
	}
	return false
}

func lookupEnv(e *env, name string) (string, bool) {
	v := e.getenv(name)
	return v, v != ""
}

// setFlag sets a flag of cmd from config values, slice flags taking every
// value, and checks each value (withCheck).
func setFlag(f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		if err := sv.Replace(vals); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	if len(vals) != 1 {
		return fmt.Errorf("takes one value, got %d", len(vals))
	}
	if err := f.Value.Set(vals[0]); err != nil {
		return setError(f, vals[0], err)
	}
	if c, ok := f.Value.(checker); ok {
		if err := c.check(vals[0]); err != nil {
			return err
		}
	}
	f.Changed = true
	return nil
}

// setError says what a typed flag wants instead of the parser's message
// (`strconv.ParseFloat: parsing "x": invalid syntax`).
func setError(f *pflag.Flag, v string, err error) error {
	switch f.Value.Type() {
	case "float64":
		return fmt.Errorf("%q is not a number", v)
	case "int":
		return fmt.Errorf("%q is not a whole number", v)
	case "bool":
		return fmt.Errorf("%q is not true or false", v)
	case "duration":
		return fmt.Errorf("%q is not a duration (want e.g. 90s, 5m or 1h)", v)
	}
	return err
}

// checker is a flag value that knows its valid values (withCheck).
type checker interface{ check(string) error }

// The checks of the flags that are validated when their command runs,
// shared by the command and by applyConfig (withCheck). Their messages
// carry no --flag prefix: the caller says where the value came from.

func checkLogFormat(v string) error {
	if _, ok := logFormats[v]; !ok {
		return fmt.Errorf("unknown format %q (want %s)", v, strings.ReplaceAll(joinKeys(logFormats), ", ", " or "))
	}
	return nil
}

func checkHistoryFormat(v string) error {
	if !historyFormats[v] {
		return fmt.Errorf("unknown format %q (want %s)", v, joinKeys(historyFormats))
	}
	return nil
}

func checkStatus(v string) error {
	switch v {
	case store.StatusOpen, audit.StatusNew, audit.StatusRecurring, audit.StatusResolved:
		return nil
	}
	return fmt.Errorf("unknown status %q (want open, new, recurring or resolved)", v)
}

// checkRatio accepts a share between 0 and 1 (the flag has parsed it).
func checkRatio(v string) error {
	if r, err := strconv.ParseFloat(v, 64); err == nil {
		return ratioError(r)
	}
	return nil
}

// ratioError says why a share is not between 0 and 1, or is nil.
func ratioError(r float64) error {
	if r < 0 || r > 1 {
		return fmt.Errorf("%v is not between 0 and 1", r)
	}
	return nil
}

func flagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "config" {
			names = append(names, f.Name)
		}
	})
	return names
}
