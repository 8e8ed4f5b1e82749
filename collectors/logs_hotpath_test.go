package collectors

import (
	"bytes"
	"fmt"
	"testing"
)

// TestLogTimeCache checks that the hour cache gives exactly what a full
// parse gives, whatever came before: same hour and zone, another zone,
// fractions or none, invalid minutes, seconds and fractions.
func TestLogTimeCache(t *testing.T) {
	seq := []string{
		"2024-03-01T10:00:00+09:00", "2024-03-01T10:59:59+09:00", "2024-03-01T10:59:59.5+09:00",
		"2024-03-01T10:60:00+09:00", "2024-03-01T10:00:60+09:00", "2024-03-01T10:00:00.+09:00",
		"2024-03-01T10:00:00Z", "2024-03-01T10:00:00z", "2024-03-01T10:1a:00Z", "2024-03-01T10:00:00+09:30",
		"2024-03-01T10:00:00+09:30x", "2024-03-01T10:00:00.123456789-00:00", "2024-03-01T10:00:00.1234+09:0",
		"2024-03-01t10:05:00+09:00", "2024-03-01T10:05:00+09:00", "2024-02-30T10:05:00+09:00",
		"2024-02-30T10:06:00+09:00", "2024-03-01T10:05:00", "2024-03-01T10:05:00+09:00",
		"2024-03-01T10:05-00+09:00", "2024-03-01T10:05:00 +09:00", "2024-03-01T11:05:00+09:00",
	}
	for _, warm := range seq {
		for _, s := range seq {
			var c logTimeCache
			c.parse([]byte(warm))
			got, gotOK := c.parse([]byte(s))
			want, wantOK := logParseTime([]byte(s))
			if got != want || gotOK != wantOK {
				t.Errorf("after %s: %s = %d, %v; want %d, %v", warm, s, got, gotOK, want, wantOK)
			}
		}
	}
	// A day of seconds in order, as a log has them.
	var c logTimeCache
	for s := 0; s < 86400; s += 7 {
		ts := fmt.Sprintf("2024-03-01T%02d:%02d:%02d.%03d+09:00", s/3600, s/60%60, s%60, s%1000)
		got, ok := c.parse([]byte(ts))
		want, _ := logParseTime([]byte(ts))
		if !ok || got != want {
			t.Fatalf("%s = %d, %v; want %d", ts, got, ok, want)
		}
	}
}

// TestParseDoesNotAllocate checks the hot path's promise: once a worker's
// tables are warm, parsing and aggregating JSON Lines and CSV records
// allocates nothing per record.
func TestParseDoesNotAllocate(t *testing.T) {
	data := logGenJSONL(20_000, 9)
	csv := logJSONLToCSV(t, data)
	hdrEnd := bytes.IndexByte(csv, '\n') + 1
	match := newLogMatcher(logBenchManifests())
	hdr, problems := logParseCSVHeader(bytes.Split(csv[:hdrEnd-1], []byte{','}))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	for _, tc := range []struct {
		name string
		run  func(a *logAcc, r *logRecord)
	}{
		{"jsonl", func() func(a *logAcc, r *logRecord) {
			p := newLogJSON(newLogSyms(match))
			return func(a *logAcc, r *logRecord) { a.jsonChunk(p, r, &a.files[0], logChunk{data: data, line: 1}) }
		}()},
		{"csv", func() func(a *logAcc, r *logRecord) {
			p := newLogCSV(newLogSyms(match))
			p.hdr = hdr
			return func(a *logAcc, r *logRecord) { a.csvChunk(p, r, &a.files[0], logChunk{data: csv[hdrEnd:], line: 2}) }
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc := newLogAcc(match, DefaultExactSubjects, 1)
			var r logRecord
			tc.run(acc, &r) // warm: symbols, item lists, cells, subject sets
			allocs := testing.AllocsPerRun(3, func() { tc.run(acc, &r) })
			if allocs > 0 {
				t.Errorf("%.0f allocations for 20,000 records read again, want 0", allocs)
			}
		})
	}
}
