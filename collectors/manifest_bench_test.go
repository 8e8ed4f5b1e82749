package collectors

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchManifestDir writes the generator's manifest set with n extra
// DataFlows (fixtures/gen -manifest-count n) into a temporary directory.
func benchManifestDir(b *testing.B, n int) string {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(b.TempDir(), "manifests")
	cmd := exec.Command("go", "run", "./fixtures/gen", "-q", "-manifests", dir, "-manifest-count", strconv.Itoa(n))
	cmd.Dir = filepath.Join(filepath.Dir(file), "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("generate manifests: %v\n%s", err, out)
	}
	return dir
}

// BenchmarkLoadManifests500 is the manifest side of `make bench`'s
// pre-merge gate: walking, reading, decoding and validating 500 generated
// DataFlows with their recipients (8 files, 0.55 MB of YAML).
func BenchmarkLoadManifests500(b *testing.B) {
	dir := benchManifestDir(b, 500)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		m, err := LoadManifests(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Flows) < 500 {
			b.Fatalf("%d flows, want at least 500", len(m.Flows))
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
