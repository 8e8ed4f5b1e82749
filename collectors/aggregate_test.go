package collectors

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

// logDistinctFile writes n records of flow toss on 2024-03-01, each with a
// distinct subject, and returns its path.
func logDistinctFile(t *testing.T, n int) string {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"ts":"2024-03-01T09:00:00+09:00","integration":"toss","subject":"u:%d","items":["a"]}`+"\n", i)
	}
	return logWriteFile(t, t.TempDir(), "distinct.jsonl", b.Bytes())
}

func TestAggregateExactThenSketch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, bound  int
		estimated bool
		tolerance float64 // relative
	}{
		{"at the bound, exact", 4096, 0, false, 0},
		{"past the bound, estimated", 4097, 0, true, 0.02},
		{"100k subjects", 100_000, 0, true, 0.02},
		{"always estimate", 1000, -1, true, 0.02},
		{"small bound", 5000, 10, true, 0.02},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := logDistinctFile(t, tc.n)
			a, err := ReadLogs(context.Background(), logTestManifests(), []string{p}, LogOptions{ExactSubjects: tc.bound})
			if err != nil {
				t.Fatal(err)
			}
			obs := a.Observations()
			if len(obs) != 1 {
				t.Fatalf("observations = %+v", obs)
			}
			o := obs[0]
			if o.SubjectsEstimated != tc.estimated {
				t.Errorf("estimated = %v, want %v", o.SubjectsEstimated, tc.estimated)
			}
			if e := math.Abs(float64(o.Subjects)-float64(tc.n)) / float64(tc.n); e > tc.tolerance {
				t.Errorf("subjects = %d for %d distinct: error %.2f%% above %.2f%%", o.Subjects, tc.n, 100*e, 100*tc.tolerance)
			}
			if o.Records != int64(tc.n) {
				t.Errorf("records = %d, want %d", o.Records, tc.n)
			}
		})
	}
}

// logSplitFiles writes the generated records into parts files, line i
// going to part i%parts, and returns their paths.
func logSplitFiles(t *testing.T, data []byte, parts int) []string {
	dir := t.TempDir()
	bufs := make([]bytes.Buffer, parts)
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		bufs[i%parts].Write(line)
	}
	var paths []string
	for i := range bufs {
		name := fmt.Sprintf("part-%d.jsonl", i)
		if i == 1 {
			name += ".gz"
			paths = append(paths, logWriteFile(t, dir, name, logGzip(bufs[i].Bytes())))
			continue
		}
		paths = append(paths, logWriteFile(t, dir, name, bufs[i].Bytes()))
	}
	return paths
}

// TestAggregateMergeEqualsSinglePass reads three parts of a log separately
// (as three machines would), encodes each, decodes and merges them, and
// checks that the result is exactly the single read of all three: same
// bytes, same observations. The small bound makes some flow-days exact and
// others sketches, and some switch only when the parts are merged.
func TestAggregateMergeEqualsSinglePass(t *testing.T) {
	data := logGenJSONL(40_000, 3)
	paths := logSplitFiles(t, data, 3)
	m := logBenchManifests()
	opt := LogOptions{ExactSubjects: 1000}
	whole, err := ReadLogs(context.Background(), m, paths, opt)
	if err != nil {
		t.Fatal(err)
	}
	var sawExact, sawSketch bool
	for _, o := range append(whole.Observations(), logObsOfUnmatched(whole.Unmatched())...) {
		if o.SubjectsEstimated {
			sawSketch = true
		} else if o.Subjects > 0 {
			sawExact = true
		}
	}
	if !sawExact || !sawSketch {
		t.Fatalf("the test needs exact and estimated cells (exact %v, estimated %v)", sawExact, sawSketch)
	}

	// Some flow-day must be exact in every part and estimated in the whole.
	switched := map[string]bool{}
	for _, o := range whole.Observations() {
		if o.SubjectsEstimated {
			switched[o.Flow+" "+o.Day] = true
		}
	}
	for _, p := range paths {
		a, err := ReadLogs(context.Background(), m, []string{p}, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range a.Observations() {
			if o.SubjectsEstimated {
				delete(switched, o.Flow+" "+o.Day)
			}
		}
	}
	if len(switched) == 0 {
		t.Fatal("no flow-day switches to a sketch only when the parts are merged")
	}

	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}, {1, 2, 0}} {
		merged := NewAggregate(opt)
		for i, part := range order {
			a, err := ReadLogs(context.Background(), m, []string{paths[part]}, LogOptions{ExactSubjects: 1000, Workers: 1 + i})
			if err != nil {
				t.Fatal(err)
			}
			bin, err := a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var decoded Aggregate
			if err := decoded.UnmarshalBinary(bin); err != nil {
				t.Fatal(err)
			}
			merged.Merge(&decoded)
		}
		logAssertSame(t, whole, merged)
	}
}

func logObsOfUnmatched(us []audit.Unmatched) []audit.Observation {
	var out []audit.Observation
	for _, u := range us {
		out = append(out, audit.Observation{Subjects: u.Subjects, SubjectsEstimated: u.SubjectsEstimated})
	}
	return out
}

func logAssertSame(t *testing.T, want, got *Aggregate) {
	t.Helper()
	wb, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	gb, err := got.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Observations(), got.Observations()); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Unmatched(), got.Unmatched()); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Quality(), got.Quality()); diff != "" {
		t.Errorf("quality (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Files(), got.Files()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if !bytes.Equal(wb, gb) {
		t.Errorf("encodings differ (%d and %d bytes)", len(wb), len(gb))
	}
}

// TestAggregateBinaryRoundTrip checks that decoding gives back the same
// state, the taxonomy of the receiver applying, for exact and sketched
// subjects alike.
func TestAggregateBinaryRoundTrip(t *testing.T) {
	for _, bound := range []int{0, 1} {
		a, err := ReadLogs(context.Background(), logTestManifests(), []string{"testdata/logs"},
			LogOptions{Known: logTestKnown, ExactSubjects: bound})
		if err != nil {
			t.Fatal(err)
		}
		bin, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		b := NewAggregate(LogOptions{Known: logTestKnown})
		if err := b.UnmarshalBinary(bin); err != nil {
			t.Fatal(err)
		}
		logAssertSame(t, a, b)
		if a.Records() != b.Records() {
			t.Errorf("records %d, decoded %d", a.Records(), b.Records())
		}
	}
}

// TestAggregateEncodingSize checks that the encoding is compact: a sketch
// costs half a byte per register plus its rare large registers.
func TestAggregateEncodingSize(t *testing.T) {
	a, err := ReadLogs(context.Background(), logTestManifests(), []string{logDistinctFile(t, 50_000)}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bin); n > 1<<aggPrecision/2+400 {
		t.Errorf("one sketched flow-day encodes to %d bytes, want about %d", n, 1<<aggPrecision/2)
	}
}

func TestAggregateUnmarshalCorrupt(t *testing.T) {
	a, err := ReadLogs(context.Background(), logTestManifests(), []string{"testdata/logs"}, LogOptions{ExactSubjects: 1})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	before := NewAggregate(LogOptions{})
	for i := 0; i < len(bin); i += 1 + i/64 {
		b := NewAggregate(LogOptions{})
		if err := b.UnmarshalBinary(bin[:i]); err == nil {
			t.Fatalf("a truncation to %d of %d bytes decoded", i, len(bin))
		}
		logAssertUnchanged(t, before, b)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not an aggregate", []byte("PK\x03\x04"), "not an xborder aggregate"},
		{"future version", append([]byte("XBAG"), 3), "unsupported version 3"},
		{"trailing bytes", append(bytes.Clone(bin), 0), "trailing bytes"},
		{"huge count", append([]byte("XBAG\x01\x00\x00"), 0xff, 0xff, 0xff, 0xff, 0x0f), "count exceeds data"},
	} {
		var b Aggregate
		if err := b.UnmarshalBinary(tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func logAssertUnchanged(t *testing.T, want, got *Aggregate) {
	t.Helper()
	if len(got.flows)+len(got.unmatched)+len(got.files) != 0 || got.bound != want.bound {
		t.Fatalf("a failed decode changed the receiver")
	}
}

// TestAggregateMergeSelfAndNil checks the degenerate merges.
func TestAggregateMergeSelfAndNil(t *testing.T) {
	a, err := ReadLogs(context.Background(), logTestManifests(), []string{"testdata/logs"}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := a.Observations()
	a.Merge(nil)
	a.Merge(a)
	if diff := cmp.Diff(want, a.Observations()); diff != "" {
		t.Errorf("observations changed (-want +got):\n%s", diff)
	}
	// Merging into an empty aggregate copies: changing the copy leaves the
	// original alone.
	b := NewAggregate(LogOptions{})
	b.Merge(a)
	b.Merge(a)
	if diff := cmp.Diff(want, a.Observations()); diff != "" {
		t.Errorf("the merged-from aggregate changed (-want +got):\n%s", diff)
	}
	if got, want := b.Records(), 2*a.Records(); got != want {
		t.Errorf("records after merging twice = %d, want %d", got, want)
	}
}

// TestAggHashStable pins the subject hash: stored exact sets and sketches
// depend on it, so changing it needs a new encoding version.
func TestAggHashStable(t *testing.T) {
	for in, want := range map[string]uint64{
		"":         0xefd01f60ba992926,
		"u:1":      0x7684ebca9c120548,
		"u:4f9a01": 0xde376da4ea446909,
		"사용자:1":    0x522cdc4a8a60855c,
	} {
		if got := aggHash([]byte(in)); got != want {
			t.Errorf("aggHash(%q) = %#x, want %#x", in, got, want)
		}
	}
}

func TestAggregateEmpty(t *testing.T) {
	a, err := ReadLogs(context.Background(), nil, []string{filepath.Join(t.TempDir())}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := logWant{
		obs:       []audit.Observation{},
		unmatched: []audit.Unmatched{},
		quality:   audit.DataQuality{Files: []audit.FileQuality{}},
		files:     []audit.InputFile{},
	}
	logCheckAggregate(t, want, a)
}
