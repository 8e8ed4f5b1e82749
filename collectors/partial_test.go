package collectors

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/xborder/xborder/internal/audit"
)

// TestPartialsMergeExactly cuts one day of logs into three files at
// arbitrary lines (so that flow-days, exact subject sets and sketches are
// split across parts), reads each into a partial, round-trips it through
// its encoding, and merges: observations, unmatched traffic, quality and
// files equal those of reading the three files at once.
func TestPartialsMergeExactly(t *testing.T) {
	data := logGenJSONL(60_000, 3)
	lines := bytes.SplitAfter(data, []byte{'\n'})
	dir := t.TempDir()
	cuts := []int{0, 7_001, 31_337, len(lines)}
	var paths []string
	for i := range 3 {
		chunk := bytes.Join(lines[cuts[i]:cuts[i+1]], nil)
		if i == 1 {
			chunk = append(chunk, "not json\n"...)
		}
		paths = append(paths, logWriteFile(t, dir, []string{"a.jsonl", "b.jsonl", "c.jsonl.zst"}[i], logMaybeZstd(t, "c.jsonl.zst", chunk, i == 2)))
	}
	m := logBenchManifests()
	m.Files = []audit.InputFile{{Path: "flows.yaml", SHA256: strings.Repeat("ab", 32)}}
	ctx := context.Background()
	// A small exact-subject bound, so that some flow-days are sketches.
	opt := LogOptions{ExactSubjects: 1000}
	want, err := ReadLogs(ctx, m, paths, opt)
	if err != nil {
		t.Fatal(err)
	}
	partDir := t.TempDir()
	for i, p := range paths {
		agg, err := ReadLogs(ctx, m, []string{p}, LogOptions{ExactSubjects: 1000, Workers: 1 + i%2})
		if err != nil {
			t.Fatal(err)
		}
		part := &Partial{Tool: "test", Manifests: ManifestDigest(m), Aggregate: agg,
			Inputs: []audit.InputFile{{Path: "map.yaml", SHA256: "cd", Kind: "mapping"}}}
		b, err := part.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		logWriteFile(t, partDir, []string{"z", "y", "x"}[i]+PartialExt, b)
	}
	got, inputs, err := ReadPartials([]string{partDir}, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]audit.InputFile{{Path: "map.yaml", SHA256: "cd", Kind: "mapping"}}, inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	est := false
	for _, o := range want.Observations() {
		est = est || o.SubjectsEstimated
	}
	if !est || want.Quality().Bad != 1 {
		t.Fatalf("the test needs a sketch and a bad line: estimated %v, bad %d", est, want.Quality().Bad)
	}
	if diff := cmp.Diff(want.Observations(), got.Observations()); diff != "" {
		t.Errorf("observations (-one read +merged partials):\n%s", diff)
	}
	if diff := cmp.Diff(want.Unmatched(), got.Unmatched()); diff != "" {
		t.Errorf("unmatched (-one read +merged partials):\n%s", diff)
	}
	if diff := cmp.Diff(want.Quality(), got.Quality()); diff != "" {
		t.Errorf("quality (-one read +merged partials):\n%s", diff)
	}
	if diff := cmp.Diff(want.Files(), got.Files()); diff != "" {
		t.Errorf("files (-one read +merged partials):\n%s", diff)
	}
	wb, _ := want.MarshalBinary()
	gb, _ := got.MarshalBinary()
	if !bytes.Equal(wb, gb) {
		t.Errorf("the merged aggregate encodes differently from one read")
	}
}

func logMaybeZstd(t *testing.T, _ string, data []byte, compress bool) []byte {
	t.Helper()
	if !compress {
		return data
	}
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// TestReadPartialsErrors checks what merging refuses, every problem at once.
func TestReadPartialsErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := logWriteFile(t, dir, "a.jsonl", []byte(`{"ts":"2024-03-01T00:00:00Z","items":["a"],"integration":"toss"}`+"\n"))
	m := logBenchManifests()
	m.Files = []audit.InputFile{{Path: "flows.yaml", SHA256: "11"}}
	other := logBenchManifests()
	other.Files = []audit.InputFile{{Path: "flows.yaml", SHA256: "22"}}
	write := func(name string, mf *audit.Manifests, opt LogOptions, mangle func([]byte) []byte) string {
		agg, err := ReadLogs(ctx, mf, []string{log}, opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := (&Partial{Manifests: ManifestDigest(mf), Aggregate: agg}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if mangle != nil {
			b = mangle(b)
		}
		return logWriteFile(t, dir, name, b)
	}
	good := write("good.xbpart", m, LogOptions{}, nil)
	dup := write("dup.xbpart", m, LogOptions{}, nil)
	foreign := write("foreign.xbpart", other, LogOptions{}, nil)
	bound := write("bound.xbpart", m, LogOptions{ExactSubjects: 10}, nil)
	flipped := write("flipped.xbpart", m, LogOptions{}, func(b []byte) []byte { b[20] ^= 1; return b })
	future := write("future.xbpart", m, LogOptions{}, func(b []byte) []byte { b[len(partialMagic)] = 9; return b })
	slash := filepath.ToSlash
	_, _, err := ReadPartials([]string{good, dup, foreign, bound, flipped, future, filepath.Join(dir, "none.xbpart")}, m, LogOptions{})
	var errs audit.InputErrors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not audit.InputErrors", err)
	}
	want := []string{
		slash(bound) + ": collected with an exact-subject bound of 10, this run uses 4096",
		slash(flipped) + ": partial: checksum mismatch (truncated or corrupt)",
		slash(foreign) + ": collected against other manifests (digest " + ManifestDigest(other)[:12] + "…, these manifests " + ManifestDigest(m)[:12] + "…): collect every part with the audit's manifests",
		slash(future) + ": partial: unsupported version 9 (this xborder reads version 1)",
		slash(good) + ": 1 of its logs were also read by " + slash(dup) + " (first: " + slash(log) + "): each log file must be in one partial only",
		slash(filepath.Join(dir, "none.xbpart")) + ": no such file or directory",
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if _, _, err := ReadPartials([]string{t.TempDir()}, m, LogOptions{}); err == nil || !strings.Contains(err.Error(), "no partial (*.xbpart) found") {
		t.Errorf("empty directory: %v", err)
	}
}

// TestManifestDigest checks that the digest ignores paths and order but
// not content.
func TestManifestDigest(t *testing.T) {
	a := &audit.Manifests{Files: []audit.InputFile{{Path: "x/a.yaml", SHA256: "01"}, {Path: "x/b.yaml", SHA256: "02"}}}
	b := &audit.Manifests{Files: []audit.InputFile{{Path: "/ci/b.yaml", SHA256: "02"}, {Path: "/ci/a.yaml", SHA256: "01"}}}
	c := &audit.Manifests{Files: []audit.InputFile{{Path: "x/a.yaml", SHA256: "01"}, {Path: "x/b.yaml", SHA256: "03"}}}
	if ManifestDigest(a) != ManifestDigest(b) || ManifestDigest(a) == ManifestDigest(c) || len(ManifestDigest(nil)) != 64 {
		t.Errorf("digests: a %s, b %s, c %s", ManifestDigest(a), ManifestDigest(b), ManifestDigest(c))
	}
}

// TestReadLogsZstd reads the same records plain and zstd-compressed, and
// reports a truncated zstd stream as an input error of its file.
func TestReadLogsZstd(t *testing.T) {
	data := logGenJSONL(5_000, 5)
	dir := t.TempDir()
	plain := logWriteFile(t, dir, "p/day.jsonl", data)
	zst := logWriteFile(t, dir, "z/day.jsonl.zst", logMaybeZstd(t, "", data, true))
	m := logBenchManifests()
	a, err := ReadLogs(context.Background(), m, []string{plain}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadLogs(context.Background(), m, []string{zst}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.Observations(), b.Observations()); diff != "" || a.Records() != 5_000 {
		t.Errorf("records %d; observations (-plain +zstd):\n%s", a.Records(), diff)
	}
	full := logMaybeZstd(t, "", data, true)
	cut := logWriteFile(t, dir, "cut.ndjson.zst", full[:len(full)/2])
	_, err = ReadLogs(context.Background(), m, []string{cut}, LogOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), filepath.ToSlash(cut)+": zstd: ") {
		t.Errorf("truncated zstd: %v", err)
	}
}
