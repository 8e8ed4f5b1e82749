package collectors

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
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
