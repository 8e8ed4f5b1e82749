package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// requireTool returns the path of an external program a test drives
// (poppler's pdftotext and pdffonts, qpdf, chromium: `make tools` installs
// them). Where it is missing the test is skipped on a workstation but fails
// in CI (CI=true), so that a missing tool never passes silently.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (run `make tools`): %v", name, err)
	}
	t.Skipf("%s is not installed (run `make tools`)", name)
	return ""
}

// runTool runs an external program with a time limit and returns its
// standard output; a non-zero exit fails the test with its output.
func runTool(t *testing.T, timeout time.Duration, name string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, name), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, out.Bytes(), errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

// writeTemp writes b to a file named name in a fresh temporary directory.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
