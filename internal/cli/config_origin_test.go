package cli

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// inConfigDir makes a temporary directory the working directory and writes
// config (when not empty) to its xborder.yaml, the default config file.
func inConfigDir(t *testing.T, config string) {
	t.Helper()
	t.Chdir(t.TempDir())
	if config != "" {
		if err := os.WriteFile(defaultConfig, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	wantSeverities = `(want critical, high, medium, low or none)`
	wantFormats    = `(want csv, github, html, json, junit, markdown, pdf, sarif or text)`
)

// TestConfigBadValueNamesItsOrigin: a bad value for a flag the command
// validates late is reported where it was written, the config file's line
// and column or the environment variable, every problem at once and sorted,
// exit 2; a bad value on the command line keeps its usage error.
func TestConfigBadValueNamesItsOrigin(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		config string
		want   string
	}{{
		name: "audit file",
		args: []string{"audit"},
		config: "as-of: 2024-13-01\nfail-on: highh\nformat: sarf\nlang: jp\nlog-format: xml\n" +
			"max-bad-ratio: 2\npolicy-timeout: soon\nmanifests: [a, b]\n",
		want: `xborder.yaml:1:8: as-of: "2024-13-01" is not a date (want YYYY-MM-DD)
xborder.yaml:2:10: fail-on: unknown severity "highh" ` + wantSeverities + `
xborder.yaml:3:9: format: unknown format "sarf" ` + wantFormats + `
xborder.yaml:4:7: lang: unknown language "jp" (want en or ko)
xborder.yaml:5:13: log-format: unknown format "xml" (want json or text)
xborder.yaml:6:16: max-bad-ratio: 2 is not between 0 and 1
xborder.yaml:7:17: policy-timeout: "soon" is not a duration (want e.g. 90s, 5m or 1h)
xborder: 7 input error(s)
`,
	}, {
		name: "audit environment",
		args: []string{"audit"},
		env: map[string]string{"XBORDER_FAIL_ON": "highh", "XBORDER_MAX_BAD_RATIO": "many",
			"XBORDER_AS_OF": "08/03/2024", "XBORDER_LOG_FORMAT": "xml"},
		want: `XBORDER_AS_OF: "08/03/2024" is not a date (want YYYY-MM-DD)
XBORDER_FAIL_ON: unknown severity "highh" ` + wantSeverities + `
XBORDER_LOG_FORMAT: unknown format "xml" (want json or text)
XBORDER_MAX_BAD_RATIO: "many" is not a number
xborder: 4 input error(s)
`,
	}, {
		name:   "check: environment and file together",
		args:   []string{"check"},
		env:    map[string]string{"XBORDER_FORMAT": "sarf"},
		config: "# gate\nfail-on: highh\nlang: jp\nfail-on: low\n",
		want: `XBORDER_FORMAT: unknown format "sarf" ` + wantFormats + `
xborder.yaml:2:10: fail-on: unknown severity "highh" ` + wantSeverities + `
xborder.yaml:3:7: lang: unknown language "jp" (want en or ko)
xborder.yaml:4:1: fail-on: set twice (first on line 2)
xborder: 4 input error(s)
`,
	}, {
		name:   "the environment wins over the file, whose value is then not used",
		args:   []string{"report"},
		env:    map[string]string{"XBORDER_FAIL_ON": "HIGHH"},
		config: "fail-on: low\nlang: fr\n",
		want: `XBORDER_FAIL_ON: unknown severity "HIGHH" ` + wantSeverities + `
xborder.yaml:2:7: lang: unknown language "fr" (want en or ko)
xborder: 2 input error(s)
`,
	}, {
		name:   "findings",
		args:   []string{"findings"},
		config: "status: bogus\nformat: xml\n",
		want: `xborder.yaml:1:9: status: unknown status "bogus" (want open, new, recurring or resolved)
xborder.yaml:2:9: format: unknown format "xml" (want json, text)
xborder: 2 input error(s)
`,
	}, {
		name:   "runs ignores a setting of findings but checks its own",
		args:   []string{"runs"},
		env:    map[string]string{"XBORDER_DB": "a.db"},
		config: "status: bogus\nformat: [json, text]\nfail-onn: high\ndb: {}\n",
		want: `xborder.yaml:2:9: format: takes one value, got 2
xborder.yaml:3:1: fail-onn: unknown setting for "runs" (want one of its flags: db, format)
xborder: 2 input error(s)
`,
	}, {
		name:   "diff",
		args:   []string{"diff", "a", "b"},
		env:    map[string]string{"XBORDER_FORMAT": "yaml"},
		config: "format: {text: true}\n",
		want: `XBORDER_FORMAT: unknown format "yaml" (want json, text)
xborder: 1 input error(s)
`,
	}, {
		name:   "a bad list item",
		args:   []string{"diff", "a", "b"},
		config: "format: [{text: true}]\n",
		want: `xborder.yaml:1:9: format: want a value or a list of values
xborder: 1 input error(s)
`,
	}, {
		name:   "--config names the file",
		args:   []string{"runs", "--config", "other.yaml"},
		config: "format: json\n", // xborder.yaml: not read
		want:   "xborder: config: open other.yaml: no such file or directory\n",
	}, {
		name:   "command line: the usage error naming the flag",
		args:   []string{"runs", "--format", "xml"},
		config: "format: json\n",
		want:   "xborder: --format: unknown format \"xml\" (want json, text)\n",
	}, {
		name: "command line beats a bad environment",
		args: []string{"audit", "--fail-on", "urgent"},
		env:  map[string]string{"XBORDER_FAIL_ON": "highh"},
		want: `xborder: --fail-on: unknown severity "urgent" ` + wantSeverities + "\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inConfigDir(t, tc.config)
			res := runCLIEnv(t, tc.env, tc.args...)
			if res.code != ExitError {
				t.Errorf("exit %d, want %d", res.code, ExitError)
			}
			if diff := cmp.Diff(tc.want, res.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigYAMLSyntaxError: a config file YAML cannot read is reported
// with its line (the YAML library gives no column), the parser's 0-based
// lines corrected, and bytes YAML refuses with their line and column.
func TestConfigYAMLSyntaxError(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"scanner error", "db: x.db\nformat: json\nfail-on: high: low\n",
			"xborder.yaml:3: invalid YAML: mapping values are not allowed in this context"},
		{"scanner error, first line", "@format: json\n",
			"xborder.yaml:1: invalid YAML: found character that cannot start any token"},
		{"unclosed quote", "db: x.db\nformat: \"json\n",
			"xborder.yaml:2: invalid YAML: found unexpected end of stream"},
		// The library says "line 2" for these: its parser counts from 0.
		{"unclosed list", "db: x.db\nformat: json\nmanifests: [a, b\n",
			"xborder.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		{"bad indentation", "manifests:\n  - a\n db: x.db\n",
			"xborder.yaml:3: invalid YAML: did not find expected key"},
		{"list after mapping", "db: x.db\nformat: json\n- a\n",
			"xborder.yaml:3: invalid YAML: did not find expected key"},
		{"unknown anchor: at its alias", "db: x.db\nformat: *fmt\n",
			"xborder.yaml:2:9: invalid YAML: unknown anchor 'fmt' referenced"},
		{"control character", "db: x.db\nformat: js\x01on\n",
			"xborder.yaml:2:11: invalid YAML: control character U+0001 is not allowed"},
		{"invalid UTF-8 after a BOM", "\xEF\xBB\xBFdb: \xff.db\n",
			"xborder.yaml:1:5: invalid YAML: invalid UTF-8 byte 0xFF (the file must be UTF-8)"},
		{"UTF-16", "\xff\xfed\x00b\x00",
			"xborder.yaml:1:1: invalid YAML: the file is UTF-16; save it as UTF-8"},
		{"not a mapping", "# settings\n- db\n",
			"xborder.yaml:2:1: want a mapping of flag names to values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inConfigDir(t, tc.config)
			// The environment's problems come with the file's.
			res := runCLIEnv(t, map[string]string{"XBORDER_FORMAT": "xml"}, "runs")
			// InputErrors sort by file: XBORDER_* before xborder.yaml.
			want := `XBORDER_FORMAT: unknown format "xml" (want json, text)` + "\n" +
				tc.want + "\n" + "xborder: 2 input error(s)\n"
			if res.code != ExitError {
				t.Errorf("exit %d, want %d", res.code, ExitError)
			}
			if diff := cmp.Diff(want, res.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigAppliesValues: good values are taken with the precedence flags
// > environment > file, checked values as the commands accept them
// (severities in any case), lists into slice flags, each marked as set.
func TestConfigAppliesValues(t *testing.T) {
	inConfigDir(t, "fail-on: CRITICAL\nlang: ko\nformat: sarif\nas-of: 2024-02-29\n"+
		"log-format: json\nmax-bad-ratio: 0.5\nmanifests: [a, b]\npolicy-timeout: 90s\n"+
		"status: resolved\nparams: {bulkWindowDays: 7}\n")
	environ := map[string]string{"XBORDER_LANG": "en", "XBORDER_LOG_FORMAT": "text"}
	e := &env{getenv: func(k string) string { return environ[k] }}
	root := newRootCmd(e)
	cmd, _, err := root.Find([]string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags([]string{"--format", "json"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := applyConfig(cmd, e)
	if err != nil {
		t.Fatalf("applyConfig: %v", err)
	}
	got := map[string]string{}
	for _, name := range []string{"format", "lang", "fail-on", "as-of", "log-format", "max-bad-ratio", "manifests", "policy-timeout", "db"} {
		f := cmd.Flags().Lookup(name)
		got[name] = f.Value.String()
		if !f.Changed {
			got[name] += " (unset)"
		}
	}
	want := map[string]string{
		"format":         "json", // flag
		"lang":           "en",   // environment
		"fail-on":        "CRITICAL",
		"as-of":          "2024-02-29",
		"log-format":     "text",
		"max-bad-ratio":  "0.5",
		"manifests":      "[a,b]",
		"policy-timeout": "1m30s",
		"db":             "xborder.db (unset)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"bulkWindowDays": 7}, cfg.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
}

// TestCheckedFlags: the flags validated when their command runs are the
// flags checked as they are set from the environment or a config file
// (withCheck), and each accepts its own default.
func TestCheckedFlags(t *testing.T) {
	root := newRootCmd(&env{getenv: func(string) string { return "" }})
	var got []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			ch, ok := f.Value.(checker)
			if !ok {
				return
			}
			got = append(got, c.Name()+" "+f.Name)
			if err := ch.check(f.DefValue); err != nil {
				t.Errorf("%s --%s: the default %q fails its check: %v", c.Name(), f.Name, f.DefValue, err)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	slices.Sort(got)
	want := []string{
		"audit as-of", "audit fail-on", "audit format", "audit lang", "audit log-format", "audit max-bad-ratio",
		"check as-of", "check fail-on", "check format", "check lang",
		"diff format",
		"findings format", "findings status",
		"report fail-on", "report format", "report lang",
		"runs format",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checked flags (-want +got):\n%s", diff)
	}
}

// TestConfigParamsLocated: a bad threshold under params: is reported at its
// line and column in the config file, with the manifests' problems, all at
// once, by audit and check alike.
func TestConfigParamsLocated(t *testing.T) {
	inConfigDir(t, "fail-on: critical\nparams:\n  bulkWindowDays: soon\n  nosuch: 3\n")
	for _, args := range [][]string{
		{"check", fixture("compliant", "manifests"), "--no-cache"},
		{"audit", "--manifests", fixture("compliant", "manifests"), "--db", "x.db", "--logs", fixture("compliant", "logs")},
	} {
		res := runCLI(t, args...)
		if res.code != ExitError {
			t.Fatalf("%s: exit %d, want %d\n%s", args[0], res.code, ExitError, res.stderr)
		}
		for _, want := range []string{
			"xborder.yaml:3:3: params.bulkWindowDays: want a number like the default 30, have soon\n",
			"xborder.yaml:4:3: params.nosuch: unknown policy parameter (known: ",
		} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, res.stderr)
			}
		}
	}
}
