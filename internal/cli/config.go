package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
)

// defaultConfig is read when --config is not given and the file exists.
const defaultConfig = "xborder.yaml"

// config is what a config file and the environment contribute beyond flags.
type config struct {
	// Params override the policy thresholds (DESIGN §6).
	Params map[string]any
}

// applyConfig fills every flag the user did not set, first from the
// XBORDER_<FLAG> environment variable, then from the config file, so that
// flags > environment > config file. Keys of the config file are flag names
// (`fail-on: critical`), plus `params:` for thresholds; a key that is a flag
// of another command is ignored, so that one xborder.yaml serves audit,
// runs, findings, report and verify; an unknown key or a bad value is a
// located input error.
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
	fileValues := map[string]*yaml.Node{}
	var errs audit.InputErrors
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, audit.InputErrors{{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}
		}
		if len(doc.Content) > 0 {
			top := doc.Content[0]
			if top.Kind != yaml.MappingNode {
				return nil, audit.InputErrors{{File: path, Line: top.Line, Col: top.Column, Msg: "want a mapping of flag names to values"}}
			}
			for i := 0; i+1 < len(top.Content); i += 2 {
				k, v := top.Content[i], top.Content[i+1]
				if k.Value == "params" {
					if err := v.Decode(&cfg.Params); err != nil || v.Kind != yaml.MappingNode {
						errs.Add(path, v.Line, v.Column, "params", "want a mapping of threshold names to values")
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
				fileValues[k.Value] = v
			}
		}
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
		if n, ok := fileValues[f.Name]; ok {
			var vals []string
			switch n.Kind {
			case yaml.SequenceNode:
				for _, c := range n.Content {
					vals = append(vals, c.Value)
				}
			case yaml.ScalarNode:
				vals = []string{n.Value}
			default:
				errs.Add(path, n.Line, n.Column, f.Name, "want a value or a list of values")
				return
			}
			if err := setFlag(f, vals); err != nil {
				errs.Add(path, n.Line, n.Column, f.Name, "%v", err)
			}
		}
	})
	if err := errs.Err(); err != nil {
		return nil, withCode(ExitError, err)
	}
	return cfg, nil
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

// setFlag sets a flag from config values; slice flags take every value.
func setFlag(f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(vals)
	}
	if len(vals) != 1 {
		return fmt.Errorf("takes one value, got %d", len(vals))
	}
	if err := f.Value.Set(vals[0]); err != nil {
		return err
	}
	f.Changed = true
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
