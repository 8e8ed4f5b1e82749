package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// repoRoot is the repository root, for fixtures.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}()

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"xborder": func() {
			os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI contract scripts in testdata/script/*.txtar.
// $REPO is the repository root, for fixtures.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repoRoot)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// result is one in-process run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs xborder in-process with a fixed clock, no terminal and an
// empty environment.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv is runCLI with environ as the environment.
func runCLIEnv(t *testing.T, environ map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &env{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		now:        func() time.Time { return time.Date(2024, 3, 8, 12, 0, 0, 0, time.UTC) },
		getenv:     func(k string) string { return environ[k] },
		isTerminal: func(io.Writer) bool { return false },
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// fixture returns a path inside the repository's fixtures directory.
func fixture(parts ...string) string {
	return filepath.Join(append([]string{repoRoot, "fixtures"}, parts...)...)
}

// envelope is the part of the JSON report the tests read.
type envelope struct {
	SchemaVersion int `json:"schemaVersion"`
	Run           struct {
		ID     string `json:"id"`
		AsOf   string `json:"asOf"`
		Inputs []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		} `json:"inputs"`
		PolicyDigest string `json:"policyDigest"`
	} `json:"run"`
	Findings []struct {
		ID       string         `json:"id"`
		Rule     string         `json:"rule"`
		Severity string         `json:"severity"`
		Flow     string         `json:"flow"`
		Key      string         `json:"key"`
		Message  string         `json:"message"`
		Evidence map[string]any `json:"evidence"`
		Location struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
	} `json:"findings"`
}

func decodeEnvelope(t *testing.T, data []byte) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("decode envelope: %v\n%s", err, data)
	}
	return env
}
