package cli

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchManifests writes n generated DataFlows (each with its recipient)
// with the fixtures generator into a temporary directory: the input of
// `make bench`'s pre-merge gate row.
func benchManifests(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "manifests")
	cmd := exec.Command("go", "run", "./fixtures/gen", "-q", "-manifests", dir, "-manifest-count", strconv.Itoa(n))
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("generate manifests: %v\n%s", err, out)
	}
	return dir
}

// BenchmarkCheck500 is one in-process `xborder check` over 500 generated
// manifests, everything a run does after the process started: compiling
// the policies, loading the manifests, evaluating and writing the report.
// The process start itself is `make bench`'s `xborder version` baseline.
func BenchmarkCheck500(b *testing.B) {
	dir := benchManifests(b, 500)
	args := []string{"check", dir, "--as-of", "2024-03-08", "--fail-on", "none", "-f", "json"}
	var stderr strings.Builder
	e := &env{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		now:        func() time.Time { return time.Date(2024, 3, 8, 12, 0, 0, 0, time.UTC) },
		getenv:     func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false },
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if code := run(context.Background(), args, e); code != ExitOK {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}

// reportCPU adds the process CPU time per op (user + system, every
// goroutine and the GC) to a benchmark: on a shared machine wall time
// measures the neighbours as much as the code, CPU time much less so.
func reportCPU(b *testing.B) func() {
	var start syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	return func() {
		var end syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &end)
		cpu := time.Duration(end.Utime.Nano() - start.Utime.Nano() + end.Stime.Nano() - start.Stime.Nano())
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
