package collectors

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestZZGenBig(t *testing.T) {
	p := os.Getenv("BIG_OUT")
	if p == "" {
		t.Skip()
	}
	f, _ := os.Create(p)
	defer f.Close()
	for i := range 10 {
		f.Write(logGenJSONLUncached(500_000, uint64(i)))
	}
}

func TestZZReadBig(t *testing.T) {
	p := os.Getenv("BIG_IN")
	if p == "" {
		t.Skip()
	}
	start, cpu := time.Now(), logCPUTime()
	a, err := ReadLogs(context.Background(), logBenchManifests(), []string{p}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("records %d in %v (%.0f rec/s wall, %.0f rec/cpu-s), heap sys %d MiB, obs %d",
		a.Records(), el, float64(a.Records())/el.Seconds(), float64(a.Records())/(logCPUTime()-cpu).Seconds(), ms.HeapSys>>20, len(a.Observations()))
}
