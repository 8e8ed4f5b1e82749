package collectors_test

// Hostile inputs: manifests, logs, ledgers and mappings written to hurt
// the reader (alias bombs, deep nesting, a 1 GiB line, invalid UTF-8, NUL
// bytes, huge numbers, impossible timestamps, symlink loops, unreadable
// files, thousands of files). Each case asserts a clear, located answer and
// a bounded heap; `go test -v -run Hostile ./collectors` prints the peak
// heap of every case.
//
// The tests use the public API only, so that they hold whatever the
// readers' internals become.

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"github.com/xborder/xborder/internal/testutil"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// hostileFigures collects every hostile case's peak heap, for the summary
// the last test prints.
var hostileFigures struct {
	sync.Mutex
	cases int
	worst string
	peak  uint64
}

// recordPeak logs a case's heap peak and fails it above limit.
func recordPeak(t *testing.T, peak, limit uint64) {
	t.Helper()
	t.Logf("peak heap %.1f MiB (limit %d MiB)", float64(peak)/mib, limit/mib)
	if peak > limit {
		t.Errorf("peak heap %.1f MiB, above the %d MiB bound", float64(peak)/mib, limit/mib)
	}
	hostileFigures.Lock()
	defer hostileFigures.Unlock()
	hostileFigures.cases++
	if peak >= hostileFigures.peak {
		hostileFigures.worst, hostileFigures.peak = t.Name(), peak
	}
}

// inputErrors asserts err is audit.InputErrors and returns it.
func inputErrors(t *testing.T, err error) audit.InputErrors {
	t.Helper()
	var ies audit.InputErrors
	if !errors.As(err, &ies) || len(ies) == 0 {
		t.Fatalf("error %T %v, want audit.InputErrors", err, err)
	}
	return ies
}

// writeFile writes data at dir/name, creating directories.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// validManifests is a valid manifest set (one Organization, two Recipients,
// three DataFlows), as one file.
func validManifests(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, f := range []string{"organization.yaml", "recipients.yaml", "flows/alipay.yaml", "flows/aws.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/manifests/valid", f))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.Bytes()
}

// logManifests is the manifest set the log cases match records against:
// integration alipay-plus is the flow alipay-overseas-payment.
func logManifests(t *testing.T) *audit.Manifests {
	t.Helper()
	m, err := collectors.LoadManifests("testdata/manifests/valid")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHostileManifests loads manifest trees built to hurt the loader. Each
// must fail with located input errors saying what is wrong (or, for BOM and
// CRLF, load with the right lines), within a bounded heap.
func TestHostileManifests(t *testing.T) {
	type want struct {
		msg  string // a substring of one error's message
		line int    // its line; -1: any line > 0; 0: a whole-file problem
	}
	bomb := func(levels, fan int) string {
		var b strings.Builder
		b.WriteString("apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: x}\nspec:\n  legalName: &l0 [lol]\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "  l%d: &l%d [", i, i)
			for j := range fan {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "*l%d", i-1)
			}
			b.WriteString("]\n")
		}
		return b.String()
	}
	nest := func(depth int, open, close string) string {
		return "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: x}\nspec: " +
			strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth) + "\n"
	}
	blockNest := func(depth int) string {
		var b strings.Builder
		b.WriteString("apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: x}\nspec:\n")
		for i := 1; i <= depth; i++ {
			b.WriteString(strings.Repeat(" ", i))
			b.WriteString("a:\n")
		}
		return b.String()
	}
	org := "apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: x}\nspec:\n  legalName: X\n  country: KR\n"
	manyDocs := strings.Repeat("---\napiVersion: xborder/v1\nkind: Nothing\n", 200_000)

	for _, tc := range []struct {
		name  string
		files map[string]string                     // written under the tree
		setup func(t *testing.T, dir string) string // optional: returns the path to load
		want  []want
		limit uint64
	}{
		{name: "alias bomb (billion laughs)", files: map[string]string{"a.yaml": bomb(9, 10)},
			want: []want{{"YAML aliases expand this document by more than", -1}}, limit: 64 * mib},
		{name: "alias bomb with merge keys", files: map[string]string{"a.yaml": "# xborder/v1\na: &a {x: 1}\n" +
			"b: &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a], y: [*a, *a, *a, *a, *a, *a, *a, *a]}\n" +
			"c: &c {<<: [*b, *b, *b, *b, *b, *b, *b, *b], y: [*b, *b, *b, *b, *b, *b, *b, *b]}\n" +
			"d: &d {<<: [*c, *c, *c, *c, *c, *c, *c, *c], y: [*c, *c, *c, *c, *c, *c, *c, *c]}\n" +
			"e: &e {<<: [*d, *d, *d, *d, *d, *d, *d, *d], y: [*d, *d, *d, *d, *d, *d, *d, *d]}\n" +
			"f: &f {<<: [*e, *e, *e, *e, *e, *e, *e, *e], y: [*e, *e, *e, *e, *e, *e, *e, *e]}\n" +
			"g: &g {<<: [*f, *f, *f, *f, *f, *f, *f, *f], y: [*f, *f, *f, *f, *f, *f, *f, *f]}\n"},
			want: []want{{"YAML aliases expand this document by more than", -1}}, limit: 64 * mib},
		{name: "deep flow nesting", files: map[string]string{"a.yaml": nest(200_000, "[", "]")},
			want: []want{{"invalid YAML: exceeded max depth", 4}}, limit: 256 * mib},
		{name: "deep flow mappings", files: map[string]string{"a.yaml": nest(100_000, "{a: ", "}")},
			want: []want{{"invalid YAML: exceeded max depth", 4}}, limit: 256 * mib},
		{name: "deep block nesting", files: map[string]string{"a.yaml": blockNest(3000)},
			want: []want{{"nested deeper than 64 levels", -1}}, limit: 128 * mib},
		{name: "file above the size limit", files: map[string]string{"a.yaml": org + "# " + strings.Repeat("x", collectors.MaxManifestBytes) + "\n"},
			want: []want{{"larger than the 8 MiB limit", 0}}, limit: 16 * mib},
		{name: "200,000 documents", files: map[string]string{"a.yaml": manyDocs},
			want: []want{{"too many errors (200)", -1}}, limit: 256 * mib},
		{name: "invalid UTF-8", files: map[string]string{"a.yaml": org + "  contact: \"caf\xe9\"\n"},
			want: []want{{"invalid UTF-8 byte 0xE9", 7}}, limit: 16 * mib},
		{name: "NUL byte", files: map[string]string{"a.yaml": org + "  contact: a\x00b\n"},
			want: []want{{"NUL byte is not allowed", 7}}, limit: 16 * mib},
		{name: "UTF-16", files: map[string]string{"a.yaml": "\xff\xfea\x00:\x00 \x00b\x00\n\x00"},
			want: []want{{"the file is UTF-16", 1}}, limit: 16 * mib},
		{name: "control character", files: map[string]string{"a.yaml": org + "  contact: \"a\x1b[31mb\"\n"},
			want: []want{{"control character U+001B", 7}}, limit: 16 * mib},
		{name: "huge numbers", files: map[string]string{"a.yaml": org +
			"  subjects: {total: 99999999999999999999999999, active: 1e400}\n  revenueKRW: -1\n  koreanUsersDaily: 0x7fffffffffffffffff\n"},
			want: []want{{`integer "99999999999999999999999999" is out of range`, 7}, {`expected a whole number, got string "1e400"`, 7},
				{"must not be negative, got -1", 8}, {`expected a whole number, got string "0x7fffffffffffffffff"`, 9}}, limit: 16 * mib},
		{name: "dates out of range", files: map[string]string{"a.yaml": org +
			"  privacyPolicy: {url: https://x.example, updated: 2024-02-30}\n---\n" +
			"apiVersion: xborder/v1\nkind: Recipient\nmetadata: {name: r}\nspec:\n  legalName: R\n  country: SG\n" +
			"  supervision: {lastTraining: 10000-01-01, lastInspection: 0000-00-00}\n" +
			"  certifications: [{scheme: s, validFrom: 2024-13-01, validUntil: \"2024-01-01T25:00:00Z\"}]\n"},
			want: []want{{`invalid date "2024-02-30"`, 7}, {`invalid date "10000-01-01"`, 15}, {`invalid date "0000-00-00"`, 15},
				{`invalid date "2024-13-01"`, 16}, {`invalid date "2024-01-01T25:00:00Z"`, 16}}, limit: 16 * mib},
		{name: "BOM and CRLF", files: map[string]string{"a.yaml": "\xef\xbb\xbf" + strings.ReplaceAll(org, "\n", "\r\n")},
			limit: 16 * mib},
		{name: "symlink loop to itself", setup: func(t *testing.T, dir string) string {
			writeFile(t, dir, "org.yaml", []byte(org))
			mustSymlink(t, "loop.yaml", filepath.Join(dir, "loop.yaml"))
			return dir
		}, want: []want{{"symlink loop", 0}}, limit: 16 * mib},
		{name: "directory symlink loop", setup: func(t *testing.T, dir string) string {
			writeFile(t, dir, "org.yaml", []byte(org))
			if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, "../..", filepath.Join(dir, "a", "b", "up"))
			return dir
		}, want: []want{{"symlink loop: the link points to", 0}}, limit: 16 * mib},
		{name: "two links to each other", setup: func(t *testing.T, dir string) string {
			writeFile(t, dir, "org.yaml", []byte(org))
			mustSymlink(t, "b.yaml", filepath.Join(dir, "a.yaml"))
			mustSymlink(t, "a.yaml", filepath.Join(dir, "b.yaml"))
			return dir
		}, want: []want{{"symlink loop", 0}}, limit: 16 * mib},
		{name: "unreadable file (read fails with EIO)", setup: func(t *testing.T, dir string) string {
			// Root reads any file whatever its mode, so chmod 000 proves
			// nothing here: /proc/self/mem is a regular file whose read
			// at offset 0 fails (EIO) for every user.
			writeFile(t, dir, "org.yaml", []byte(org))
			mustSymlink(t, "/proc/self/mem", filepath.Join(dir, "mem.yaml"))
			return dir
		}, want: []want{{"cannot read file: input/output error", 0}}, limit: 16 * mib},
		{name: "unreadable file (permission denied)", setup: func(t *testing.T, dir string) string {
			if os.Geteuid() == 0 {
				t.Skip("root reads files whatever their mode; internal/cli's TestHostileManifestTreeAsNobody covers this as an unprivileged process")
			}
			writeFile(t, dir, "org.yaml", []byte(org))
			p := writeFile(t, dir, "secret.yaml", []byte(org))
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			return dir
		}, want: []want{{"cannot read file: permission denied", 0}}, limit: 16 * mib},
		{name: "FIFO named as the manifest path", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "pipe.yaml")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}, want: []want{{"not a regular file or directory", 0}}, limit: 16 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				writeFile(t, dir, name, []byte(data))
			}
			path := dir
			if tc.setup != nil {
				path = tc.setup(t, dir)
			}
			var m *audit.Manifests
			var err error
			start := time.Now()
			peak := testutil.HeapPeak(func() { m, err = collectors.LoadManifests(path) })
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			recordPeak(t, peak, tc.limit)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("LoadManifests: %v", err)
				}
				if o := m.Organization; o.Source.Line != 2 || o.LegalName != "X" || o.Country != "KR" {
					t.Errorf("organization %+v, want X in KR declared at line 2 (BOM and CR stripped)", o)
				}
				return
			}
			ies := inputErrors(t, err)
			if len(ies) > 201 {
				t.Errorf("%d errors: one file must not flood the output", len(ies))
			}
			for _, e := range ies {
				if !strings.HasPrefix(e.File, filepath.ToSlash(dir)) {
					t.Errorf("error %q is not located in the tree", e)
				}
			}
			for _, w := range tc.want {
				found := false
				for _, e := range ies {
					if strings.Contains(e.Msg, w.msg) && (w.line == e.Line || w.line == -1 && e.Line > 0) {
						found = true
					}
				}
				if !found {
					t.Errorf("no error with %q at line %d among:\n%v", w.msg, w.line, err)
				}
			}
			t.Logf("%d error(s), the first: %v", len(ies), ies[:min(len(ies), 5)])
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// streamFIFO makes a named pipe at path and writes what gen produces into
// it from a goroutine, so that a reader sees a file of any size without it
// touching the disk. The returned function waits for the writer and
// returns its error (a reader that stops early makes it EPIPE).
func streamFIFO(t *testing.T, path string, gen func(w io.Writer) error) func() error {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		err = gen(f)
		done <- errors.Join(err, f.Close())
	}()
	return func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			return errors.New("the FIFO writer is stuck")
		}
	}
}

// repeatByte writes n copies of c in 1 MiB writes.
func repeatByte(w io.Writer, c byte, n int64) error {
	buf := bytes.Repeat([]byte{c}, mib)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

const goodLine = `{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","subject":"u:1","items":["order_id"]}`

// bomb returns a multi-member gzip stream that decompresses to size zero
// bytes (no newline): one compressed MiB of zeros repeated, so that a
// 1 GiB line costs a megabyte of disk.
func gzipBomb(t *testing.T, size int64) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, mib))
	zw.Close()
	return bytes.Repeat(member.Bytes(), int(size/mib))
}

// TestHostileLogs reads log files built to hurt the reader. A bad line is
// never fatal and never silent: it is counted with its line number and a
// reason that quotes nothing of the line. Every case runs within a bounded
// heap, whatever the size of its input.
func TestHostileLogs(t *testing.T) {
	m := logManifests(t)
	type bad = audit.BadLine
	type file struct {
		name string
		data string
	}
	ts := func(v string) string {
		return `{"ts":"` + v + `","integration":"alipay-plus","subject":"u:1","items":["order_id"]}`
	}
	count := func(field, v string) string {
		return `{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","subject":"u:1","items":["order_id"],"` + field + `":` + v + `}`
	}
	deep := `{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","items":["order_id"],"x":` +
		strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	var manyItems strings.Builder
	manyItems.WriteString(`{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","items":[`)
	for i := range 200_000 {
		if i > 0 {
			manyItems.WriteByte(',')
		}
		fmt.Fprintf(&manyItems, `"x%d"`, i)
	}
	manyItems.WriteString("]}")

	for _, tc := range []struct {
		name  string
		files []file
		fifo  func(w io.Writer) error // when set, the only file is a named pipe fed by it
		bomb  int64                   // when set, the only file is a gzip stream of this many zero bytes
		want  audit.FileQuality       // Path is ignored
		check func(t *testing.T, a *collectors.Aggregate)
		limit uint64
		// budget bounds the read: the cost of a line must grow linearly
		// with its length (0: only the general bound of 20 s).
		budget time.Duration
	}{
		{
			name:  "1 GiB line (JSONL through a named pipe)",
			files: []file{{name: "huge.jsonl"}},
			fifo: func(w io.Writer) error {
				if _, err := io.WriteString(w, `{"ts":"2024-03-01T09:00:00+09:00","items":["x"],"pad":"`); err != nil {
					return err
				}
				if err := repeatByte(w, 'a', gib); err != nil {
					return err
				}
				_, err := io.WriteString(w, "\"}\n"+goodLine+"\n")
				return err
			},
			want:  audit.FileQuality{Lines: 2, Records: 1, Bad: 1, Examples: []bad{{Line: 1, Reason: "line too long"}}},
			limit: 160 * mib,
		},
		{
			name:  "1 GiB quoted CSV field (through a named pipe)",
			files: []file{{name: "huge.csv"}},
			fifo: func(w io.Writer) error {
				if _, err := io.WriteString(w, "ts,integration,subject,items\n2024-03-01T00:00:00Z,alipay-plus,\"u:"); err != nil {
					return err
				}
				if err := repeatByte(w, 'b', gib); err != nil {
					return err
				}
				_, err := io.WriteString(w, "\",order_id\n2024-03-01T00:00:00Z,alipay-plus,u:2,order_id\n")
				return err
			},
			want:  audit.FileQuality{Lines: 2, Records: 1, Bad: 1, Examples: []bad{{Line: 2, Reason: "line too long"}}},
			limit: 160 * mib,
		},
		{
			name:  "gzip bomb: 1 GiB without a newline in 1 MiB",
			files: []file{{name: "bomb.jsonl.gz"}},
			bomb:  gib,
			want:  audit.FileQuality{Lines: 1, Bad: 1, Examples: []bad{{Line: 1, Reason: "line too long"}}},
			limit: 160 * mib,
		},
		{
			name: "invalid UTF-8",
			files: []file{{name: "utf8.jsonl", data: `{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","subject":"u:` + "\xff\xfe" +
				`","items":["order_id","` + "\xc3\x28" + `"]}` + "\n" +
				`{"ts":"2024-03-01T09:00:00+09:00",` + "\xff" + `"items":[]}` + "\n"}},
			want: audit.FileQuality{Lines: 2, Records: 1, Bad: 1, Examples: []bad{{Line: 2, Reason: "invalid json at byte 35"}}},
			check: func(t *testing.T, a *collectors.Aggregate) {
				obs := a.Observations()
				if len(obs) != 1 || obs[0].Subjects != 1 || !gocmp.Equal(obs[0].UnknownItems, []string{"(redacted: not an item ID)"}) {
					t.Errorf("observations %+v: want one subject and the invalid item ID redacted", obs)
				}
			},
			limit: 16 * mib,
		},
		{
			name: "NUL bytes",
			files: []file{{name: "nul.jsonl", data: goodLine + "\n" +
				"{\"ts\":\"2024-03-01T09:00:00+09:00\",\x00\"items\":[]}\n" +
				`{"ts":"2024-03-01T09:00:00+09:00","integration":"alipay-plus","items":["order_id"],"x":"a` + "\x00" + `b"}` + "\n" +
				strings.Repeat("\x00", 4096) + "\n"}},
			want: audit.FileQuality{Lines: 4, Records: 1, Bad: 3, Examples: []bad{
				{Line: 2, Reason: "invalid json at byte 35"}, {Line: 3, Reason: "invalid json at byte 90"}, {Line: 4, Reason: "invalid json at byte 1"}}},
			limit: 16 * mib,
		},
		{
			name: "byte order marks and CRLF",
			files: []file{
				{name: "bom-crlf.jsonl", data: "\xef\xbb\xbf" + goodLine + "\r\n" + goodLine + "\r\n\r\n"},
				{name: "bom-middle.jsonl", data: goodLine + "\n\xef\xbb\xbf" + goodLine + "\n"},
				{name: "bom-crlf.csv", data: "\xef\xbb\xbfts,integration,items\r\n2024-03-01T00:00:00Z,alipay-plus,order_id\r\n"},
			},
			want:  audit.FileQuality{Lines: 5, Records: 4, Bad: 1, Examples: []bad{{Line: 2, Reason: "invalid json at byte 1"}}},
			limit: 16 * mib,
		},
		{
			name: "huge numbers",
			files: []file{{name: "numbers.jsonl", data: strings.Join([]string{
				count("records", "9223372036854775807"),
				count("records", "9223372036854775807"),
				count("records", "99999999999999999999"),
				count("records", "1e30"),
				count("records", "-1"),
				count("bytes", "9223372036854775807"),
				count("subjects", "18446744073709551616"),
			}, "\n") + "\n"}},
			want: audit.FileQuality{Lines: 7, Records: 9223372036854775807, Bad: 4, Examples: []bad{
				{Line: 3, Reason: "records: out of range"}, {Line: 4, Reason: "records: not an integer"},
				{Line: 5, Reason: "records: negative"}, {Line: 7, Reason: "subjects: out of range"}}},
			check: func(t *testing.T, a *collectors.Aggregate) {
				obs := a.Observations()
				if len(obs) != 1 || obs[0].Records != 9223372036854775807 || obs[0].Bytes != 9223372036854775807 {
					t.Errorf("observations %+v: sums must saturate at MaxInt64, never wrap", obs)
				}
			},
			limit: 16 * mib,
		},
		{
			name: "timestamps out of range",
			files: []file{{name: "ts.jsonl", data: strings.Join([]string{
				ts("0000-01-01T00:00:00Z"),
				ts("9999-12-31T23:59:59+09:00"),
				ts("10000-01-01T00:00:00Z"),
				ts("2024-02-30T00:00:00Z"),
				ts("2024-03-01T24:00:00Z"),
				ts("2024-03-01T00:00:00+24:00"),
				ts("2024-03-01T00:00:00." + strings.Repeat("9", 4000) + "Z"),
				ts("-2024-03-01T00:00:00Z"),
				ts("2024-03-01"),
			}, "\n") + "\n"}},
			want: audit.FileQuality{Lines: 9, Records: 3, Bad: 6, Examples: []bad{
				{Line: 3, Reason: "ts: not RFC 3339"}, {Line: 4, Reason: "ts: not RFC 3339"},
				{Line: 5, Reason: "ts: not RFC 3339"}, {Line: 6, Reason: "ts: not RFC 3339"},
				{Line: 8, Reason: "ts: not RFC 3339"}}},
			check: func(t *testing.T, a *collectors.Aggregate) {
				var days []string
				for _, o := range a.Observations() {
					days = append(days, o.Day)
				}
				if diff := gocmp.Diff([]string{"0000-01-01", "2024-03-01", "9999-12-31"}, days); diff != "" {
					t.Errorf("days (-want +got):\n%s", diff)
				}
			},
			limit: 16 * mib,
		},
		{
			name:  "nesting 100,000 deep in an unknown field",
			files: []file{{name: "deep.jsonl", data: deep + "\n" + goodLine + "\n"}},
			// encoding/json's limit (10,000 levels) applies, and the line
			// is counted bad where it crosses it.
			want:  audit.FileQuality{Lines: 2, Records: 1, Bad: 1, Examples: []bad{{Line: 1, Reason: "invalid json at byte 10087"}}},
			limit: 64 * mib,
		},
		{
			name:  "200,000 distinct items in one record",
			files: []file{{name: "items.jsonl", data: manyItems.String() + "\n"}},
			want:  audit.FileQuality{Lines: 1, Records: 1},
			check: func(t *testing.T, a *collectors.Aggregate) {
				obs := a.Observations()
				if len(obs) != 1 || len(obs[0].UnknownItems) != 200_000 {
					t.Errorf("want one observation with 200,000 unknown items")
				}
			},
			limit:  256 * mib,
			budget: 2 * time.Second, // a 16 MiB line holds 1.6 million such items
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			var wait func() error
			for _, f := range tc.files {
				p := filepath.Join(dir, f.name)
				switch {
				case tc.fifo != nil:
					wait = streamFIFO(t, p, tc.fifo)
				case tc.bomb > 0:
					writeFile(t, dir, f.name, gzipBomb(t, tc.bomb))
				default:
					writeFile(t, dir, f.name, []byte(f.data))
				}
				paths = append(paths, p)
			}
			var a *collectors.Aggregate
			var err error
			start := time.Now()
			peak := testutil.HeapPeak(func() {
				a, err = collectors.ReadLogs(context.Background(), m, paths, collectors.LogOptions{Known: knownItem})
			})
			elapsed := time.Since(start)
			t.Logf("read in %s", elapsed.Round(time.Millisecond))
			if budget := cmp.Or(tc.budget, 20*time.Second); elapsed > budget {
				t.Errorf("reading took %s, more than %s", elapsed.Round(time.Millisecond), budget)
			}
			if wait != nil {
				if werr := wait(); werr != nil {
					t.Errorf("writer: %v", werr)
				}
			}
			recordPeak(t, peak, tc.limit)
			if err != nil {
				t.Fatalf("ReadLogs: %v", err)
			}
			var got audit.FileQuality
			for _, f := range a.Quality().Files {
				got.Lines += f.Lines
				got.Records += f.Records
				got.Bad += f.Bad
				got.Examples = append(got.Examples, f.Examples...)
			}
			if diff := gocmp.Diff(tc.want, got); diff != "" {
				t.Errorf("quality (-want +got):\n%s", diff)
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

// knownItem is a small taxonomy: the items the test manifests declare.
func knownItem(item string) bool {
	switch item {
	case "order_id", "amount", "currency", "account_id", "phone", "email", "balance", "payment_history":
		return true
	}
	return false
}

// TestHostileLogDirectory reads a directory of 5,000 tiny files (nested,
// with hidden files and other formats mixed in): every file is read once,
// every line accounted for, within a bounded heap and without running out
// of file descriptors.
func TestHostileLogDirectory(t *testing.T) {
	const n = 5000
	dir := t.TempDir()
	for i := range n {
		name := fmt.Sprintf("d%02d/%05d.jsonl", i%50, i)
		if i%2 == 1 {
			name = fmt.Sprintf("d%02d/%05d.csv", i%50, i)
		}
		data := goodLine + "\n"
		if strings.HasSuffix(name, ".csv") {
			data = "ts,integration,subject,items\n2024-03-01T00:00:00Z,alipay-plus,u:" + fmt.Sprint(i) + ",order_id\n"
		}
		writeFile(t, dir, name, []byte(data))
	}
	writeFile(t, dir, "d00/.hidden.jsonl", []byte("not read\n"))
	writeFile(t, dir, ".git/x.jsonl", []byte("not read\n"))
	writeFile(t, dir, "d01/README.md", []byte("not a log\n"))

	var a *collectors.Aggregate
	var err error
	start := time.Now()
	peak := testutil.HeapPeak(func() {
		a, err = collectors.ReadLogs(context.Background(), logManifests(t), []string{dir}, collectors.LogOptions{})
	})
	elapsed := time.Since(start)
	t.Logf("%d files read in %s", n, elapsed.Round(time.Millisecond))
	recordPeak(t, peak, 128*mib)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed > 20*time.Second {
		t.Errorf("reading %d tiny files took %s", n, elapsed)
	}
	q := a.Quality()
	if len(q.Files) != n || q.Lines != n || q.Bad != 0 || a.Records() != n {
		t.Errorf("read %d files, %d lines, %d bad, %d records; want %d files of one good record each", len(q.Files), q.Lines, q.Bad, a.Records(), n)
	}
	if files := a.Files(); len(files) != n || files[0].SHA256 == "" {
		t.Errorf("%d input files, want %d with digests", len(files), n)
	}
	obs := a.Observations()
	if len(obs) != 1 || obs[0].Subjects != n/2 { // u:1 and the odd CSV subjects
		t.Errorf("observations %+v, want one flow-day with %d subjects", obs, n/2)
	}
}

// TestHostileCSVHeaders covers CSV files whose header is the problem: an
// input error located at the header line, never a crash or a hang.
func TestHostileCSVHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		fifo bool // stream a 1 GiB header through a named pipe
		want string
	}{
		{name: "no ts column", data: "time,items\n2024-03-01T00:00:00Z,a\n", want: `:1: header: missing column "ts"`},
		{name: "header after blank lines and a BOM", data: "\xef\xbb\xbf\r\n\r\nts,itemz\n", want: `:3: header: missing column "items"`},
		{name: "unterminated quote", data: "ts,\"items\n", want: ":1: header: invalid csv at byte 4: unterminated quoted field"},
		{name: "NUL in the header", data: "ts,it\x00ems\n", want: `:1: header: missing column "items"`},
		{name: "1 GiB header line", fifo: true, want: ":1: header: header too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.csv")
			var wait func() error
			if tc.fifo {
				wait = streamFIFO(t, p, func(w io.Writer) error {
					if _, err := io.WriteString(w, "ts,items,"); err != nil {
						return err
					}
					return repeatByte(w, 'h', gib)
				})
			} else {
				writeFile(t, dir, "x.csv", []byte(tc.data))
			}
			var err error
			peak := testutil.HeapPeak(func() {
				_, err = collectors.ReadLogs(context.Background(), logManifests(t), []string{p}, collectors.LogOptions{})
			})
			if wait != nil {
				if werr := wait(); werr != nil && !errors.Is(werr, syscall.EPIPE) {
					t.Errorf("writer: %v", werr)
				}
			}
			recordPeak(t, peak, 160*mib)
			ies := inputErrors(t, err)
			if got := ies.Error(); got != filepath.ToSlash(p)+tc.want {
				t.Errorf("error %q, want %q", got, filepath.ToSlash(p)+tc.want)
			}
		})
	}
}

// checkLocated asserts that err is audit.InputErrors about file, each with
// a message and, unless whole is true for it (a problem of the file as a
// whole or of the set), a line within the input.
func checkLocated(t *testing.T, err error, file string, data []byte, whole func(e *audit.InputError) bool) {
	t.Helper()
	var ies audit.InputErrors
	if !errors.As(err, &ies) || len(ies) == 0 {
		t.Fatalf("error %T %v, want audit.InputErrors", err, err)
	}
	lines := bytes.Count(data, []byte{'\n'}) + 1
	if strings.HasSuffix(file, ".yaml") {
		lines = testutil.YAMLLines(data)
	}
	for _, e := range ies {
		switch {
		case e.File != file:
			t.Fatalf("error %q is about %q, want %q", e, e.File, file)
		case e.Msg == "", strings.Contains(e.Msg, "internal error"):
			t.Fatalf("error %q has no useful message", e)
		case e.Line < 0 || e.Col < 0 || e.Line > lines:
			t.Fatalf("error %q is located outside the input's %d lines", e, lines)
		case e.Line == 0 && !whole(e):
			t.Fatalf("error %q has no line", e)
		}
	}
}

// FuzzManifestLocated loads arbitrary bytes as a manifest file through the
// public loader: it never panics or hangs, and every error names the file
// and a line, except the problems of the set as a whole (no Organization)
// and of an empty file.
func FuzzManifestLocated(f *testing.F) {
	f.Add(validManifests(&testing.T{}))
	for _, s := range []string{
		"[", "a: b: c", "- x\ny: 1", "apiVersion: xborder/v1\nkind: Organization\n", "\xef\xbb\xbf{",
		"a: &a [*a]", "a: !!binary x", "---\n---\n", "kind: DataFlow\nmetadata: {name: A_B}\n", "kind: Recipient\nx: *a\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "m.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := collectors.LoadManifests(path)
		if err == nil {
			for _, fl := range m.Flows {
				if fl.Source.File != filepath.ToSlash(path) || fl.Source.Line < 1 {
					t.Fatalf("flow %q declared at %+v", fl.Name, fl.Source)
				}
			}
			return
		}
		checkLocated(t, err, filepath.ToSlash(path), data, func(e *audit.InputError) bool {
			return strings.HasPrefix(e.Msg, "no Organization found") || len(bytes.TrimSpace(data)) == 0
		})
	})
}

// fuzzMapping reads the fuzzed log files of FuzzLogFileLocated through a
// mapping, so that the CEL evaluation of foreign records is fuzzed too.
const fuzzMapping = `format: json
fields:
  ts: timestamp(record.time)
  integration: 'has(record.svc) ? record.svc : "x"'
  subject: 'has(record.user) ? string(record.user) : ""'
  records: 'has(record.n) ? int(record.n) : 1'
  items: 'has(record.fields) ? record.fields.split("|") : []'
`

// FuzzLogFileLocated reads arbitrary bytes as a JSONL file, a CSV file and
// a foreign JSON file through a mapping, with the public reader: it never
// panics; a problem with the file as a whole is an input error naming it
// (and the line, for a CSV header); every line is counted once, and every
// bad-line example has a line within the file and a reason that quotes
// nothing of the input.
func FuzzLogFileLocated(f *testing.F) {
	for _, s := range []string{
		goodLine + "\n" + goodLine,
		"ts,integration,items\n2024-03-01T00:00:00Z,alipay-plus,order_id\n\"x\n",
		"\xef\xbb\xbf" + goodLine + "\r\n\r\nnot json\n",
		`{"time":"2024-03-01T00:00:00Z","svc":"alipay-plus","user":7,"n":-3,"fields":"a|b"}` + "\n" +
			`{"time":"LEAKCANARY","fields":"a"}` + "\n",
		`{"ts":"2024-03-01T09:00:00+09:00","items":["a"],"records":99999999999999999999}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	mp, err := collectors.ParseMapping("mapping.yaml", []byte(fuzzMapping))
	if err != nil {
		f.Fatal(err)
	}
	m := &audit.Manifests{Flows: []audit.DataFlow{{Object: audit.Object{Name: "pay"}, Integration: "alipay-plus"}}}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		name, opt := "x.jsonl", collectors.LogOptions{Workers: 2}
		switch kind % 3 {
		case 1:
			name = "x.csv"
		case 2:
			opt.Mapping = mp
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := collectors.ReadLogs(context.Background(), m, []string{path}, opt)
		if err != nil {
			checkLocated(t, err, filepath.ToSlash(path), data, func(e *audit.InputError) bool { return false })
			return
		}
		checkBadLines(t, a.Quality().Files, data)
	})
}

// checkBadLines asserts the accounting of one fuzzed file: lines within
// the file, bad lines among them, examples sorted, located and quoting
// nothing of the input.
func checkBadLines(t *testing.T, files []audit.FileQuality, data []byte) {
	t.Helper()
	if len(files) != 1 {
		t.Fatalf("%d files accounted, want 1", len(files))
	}
	q := files[0]
	lines := int64(bytes.Count(data, []byte{'\n'}) + 1)
	if q.Lines > lines || q.Bad > q.Lines || int64(len(q.Examples)) > q.Bad || len(q.Examples) > audit.MaxBadExamples {
		t.Fatalf("accounting %+v of %d lines", q, lines)
	}
	for i, ex := range q.Examples {
		if ex.Line < 1 || ex.Line > lines || i > 0 && ex.Line <= q.Examples[i-1].Line {
			t.Fatalf("example %+v: line outside the file's %d lines or out of order", ex, lines)
		}
		if ex.Reason == "" || quotesInput(ex.Reason, data) {
			t.Fatalf("example %+v: the reason is empty or quotes the input", ex)
		}
	}
}

// quotesInput reports whether reason contains a run of 8 or more bytes of
// data that is not also in the reader's fixed vocabulary (field names,
// "invalid json at byte" …): a reason must describe a line, never repeat it.
func quotesInput(reason string, data []byte) bool {
	const n = 8
	for i := 0; i+n <= len(reason); i++ {
		w := reason[i : i+n]
		if bytes.Contains(data, []byte(w)) && !strings.Contains(reasonVocabulary, w) {
			return true
		}
	}
	return false
}

// reasonVocabulary is text bad-line reasons may share with an input by
// chance: field names and the reader's own words.
const reasonVocabulary = "integration subjects records protection consent country subject items bytes host tls ts " +
	"granted withdrawn separate version flow: an RFC 3339 time before granted not a boolean missing column header " +
	"invalid json at byte not a json object not an integer not a string not RFC 3339 out of range negative line too long " +
	"missing required field timestamp mapping record.time record.svc record.user record.n record.fields " +
	"invalid csv at byte unterminated quoted field bare quote in an unquoted field wrong number of fields"

// FuzzConsentLocated reads arbitrary bytes as a consent ledger (JSONL and
// CSV) through the public reader: errors name the file and, for a header,
// its line; every bad-line example is located and quotes nothing.
func FuzzConsentLocated(f *testing.F) {
	for _, s := range []string{
		`{"subject":"u:1","flow":"pay","granted":"2024-01-01T00:00:00Z","withdrawn":null,"separate":true,"version":"v"}`,
		"subject,flow,granted,withdrawn\nu:1,pay,2024-01-01T00:00:00Z,2023-01-01T00:00:00Z\n",
		`{"subject":"LEAKCANARY","flow":"pay","granted":"LEAKCANARY"}`,
		"subject,flow\n",
	} {
		f.Add([]byte(s), false)
	}
	m := &audit.Manifests{Flows: []audit.DataFlow{{Object: audit.Object{Name: "pay"}, Integration: "pay",
		LegalBasis: audit.LegalBasis{Overseas: "consent"}}}}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		name := "ledger.jsonl"
		if csv {
			name = "ledger.csv"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := collectors.ReadConsents(context.Background(), m, []string{path})
		if err != nil {
			checkLocated(t, err, filepath.ToSlash(path), data, func(e *audit.InputError) bool { return false })
			return
		}
		checkBadLines(t, l.Quality(), data)
	})
}

// FuzzMappingLocated parses arbitrary bytes as a log mapping: every error
// names the file and a line, except for a file without YAML content.
func FuzzMappingLocated(f *testing.F) {
	f.Add([]byte(fuzzMapping))
	for _, s := range []string{
		"format: csv\nfields:\n  ts: record.t\n  items: record.i.split(';')\n",
		"format: json\nfields:\n  ts: |\n    timestamp(\n      record.t)\n  items: '[record.a, record.b]'\n",
		"[", "format: [", "fields: &a {ts: *a}\n", "format: csv\nfields:\n  ts: '1 +'\n", "format: *csv\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := collectors.ParseMapping("mapping.yaml", data)
		if err != nil {
			checkLocated(t, err, "mapping.yaml", data, func(e *audit.InputError) bool {
				// A file with no YAML content (blank, comments) has no wrong line.
				return strings.HasPrefix(e.Msg, "empty mapping") || strings.HasPrefix(e.Msg, "mapping larger than")
			})
		}
	})
}

// TestHostileSummary runs after the hostile tests above (tests run in
// source order) and states their figures: how many inputs were tried and
// the peak heap of the worst. No hostile input may cost more than 256 MiB
// of heap, whatever its size on disk.
func TestHostileSummary(t *testing.T) {
	hostileFigures.Lock()
	defer hostileFigures.Unlock()
	if hostileFigures.cases == 0 {
		t.Skip("no hostile case ran (filtered out)")
	}
	t.Logf("%d hostile inputs; the worst, %s, peaked at %.1f MiB of heap",
		hostileFigures.cases, hostileFigures.worst, float64(hostileFigures.peak)/mib)
	if hostileFigures.peak > 256*mib {
		t.Errorf("the worst hostile input took %.1f MiB of heap", float64(hostileFigures.peak)/mib)
	}
}
