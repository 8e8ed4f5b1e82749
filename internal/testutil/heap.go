// Package testutil holds helpers shared by the tests of several packages.
// Only tests import it.
package testutil

import (
	"runtime"
	"time"
)

// HeapPeak runs fn and returns the largest heap (runtime.MemStats.HeapAlloc:
// live objects and those not yet collected) seen above the heap before it,
// sampled every millisecond and once at the end: the bounded-memory check of
// the hostile-input tests. Callers must not run in parallel with other tests.
func HeapPeak(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	peak := <-done
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc, base)
	return peak - base
}
