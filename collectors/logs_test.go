package collectors

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func logTestManifests() *audit.Manifests {
	return &audit.Manifests{Flows: []audit.DataFlow{
		{Object: audit.Object{Name: "toss-settle"}, Integration: "toss", Endpoints: []string{"API.Toss.example"}},
		{Object: audit.Object{Name: "alipay-nsf"}, Integration: "alipay-plus", Endpoints: []string{"api.alipay.example"}},
	}}
}

func logTestKnown(item string) bool { return item != "nsf_score" }

// logFileDigest is an independent digest of a test file.
func logFileDigest(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}

// TestReadLogs reads testdata/logs (JSONL with every kind of bad line, a
// CRLF CSV with a quoted multi-line cell, a gzipped JSONL with a byte order
// mark, an ignored README and hidden files) and checks every output.
func TestReadLogs(t *testing.T) {
	want := logWantTestdata(t)
	for _, tc := range []struct {
		name  string
		opt   LogOptions
		chunk int
	}{
		{"defaults", LogOptions{Known: logTestKnown}, 0},
		{"one worker", LogOptions{Known: logTestKnown, Workers: 1}, 0},
		{"tiny chunks", LogOptions{Known: logTestKnown, Workers: 3}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chunk > 0 {
				defer logSetChunkSize(tc.chunk)()
			}
			a, err := ReadLogs(context.Background(), logTestManifests(), []string{"testdata/logs"}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			logCheckAggregate(t, want, a)
		})
	}
}

// logSetChunkSize shrinks the chunk size so that every line boundary case
// (lines and quoted CSV records cut by chunks, lines longer than a chunk)
// happens on small files. It returns the restore function.
func logSetChunkSize(n int) func() {
	old := logChunkSize
	logChunkSize = n
	return func() { logChunkSize = old }
}

type logWant struct {
	obs       []audit.Observation
	unmatched []audit.Unmatched
	quality   audit.DataQuality
	files     []audit.InputFile
	records   int64
}

func logCheckAggregate(t *testing.T, want logWant, a *Aggregate) {
	t.Helper()
	if diff := cmp.Diff(want.obs, a.Observations()); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.unmatched, a.Unmatched()); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.quality, a.Quality()); diff != "" {
		t.Errorf("quality (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.files, a.Files()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if got := a.Records(); got != want.records {
		t.Errorf("records = %d, want %d", got, want.records)
	}
}

func logWantTestdata(t *testing.T) logWant {
	var files []audit.InputFile
	for _, p := range []string{"testdata/logs/2024-03-01.jsonl", "testdata/logs/sub/2024-03-02.jsonl.gz", "testdata/logs/sub/settle.csv"} {
		sum, size := logFileDigest(t, p)
		files = append(files, audit.InputFile{Path: p, SHA256: sum, Kind: "log", Size: size})
	}
	none := []string{}
	return logWant{
		obs: []audit.Observation{
			{
				Flow: "alipay-nsf", Day: "2024-03-01",
				Records:  1 + 40450000 + 1 + 1,
				Subjects: 2 + 40450000, // u:4f9a01 (twice), u:77, and the batch
				Items:    []string{"account_id", "balance", "email", "phone"}, UnknownItems: []string{"nsf_score"},
				Countries: []string{"CN", "SG"}, Hosts: []string{"api.alipay.example"},
				Protections: []string{"sha256"}, TLS: []string{"1.2", "sftp"},
				WithoutConsent: 40450000 + 1, Bytes: 812 + 10,
			},
			{
				Flow: "alipay-nsf", Day: "2024-03-02", Records: 1, Subjects: 1,
				Items: none, UnknownItems: none, Countries: none, Hosts: none, Protections: none,
				TLS: []string{"1.3"}, WithoutConsent: 1,
			},
			{
				Flow: "toss-settle", Day: "2024-03-01", Records: 3, Subjects: 2,
				Items: []string{"account_id", "amount", "order_id", "phone"}, UnknownItems: none,
				Countries: []string{"KR"}, Hosts: none, Protections: none, TLS: none, WithoutConsent: 1,
			},
			{
				Flow: "toss-settle", Day: "2024-03-02", Records: 1, Subjects: 2,
				Items: []string{"amount", "order_id"}, UnknownItems: none,
				Countries: []string{"JP", "KR"}, Hosts: []string{"api.toss.example"},
				Protections: []string{"token"}, TLS: []string{"1.3"}, Bytes: 100,
			},
		},
		unmatched: []audit.Unmatched{
			{
				Key: "cdn.unknown.example", Host: "cdn.unknown.example", Country: "US", Day: "2024-03-01",
				Records: 1, Items: []string{"ip_address"}, UnknownItems: none, Protections: none, TLS: none,
			},
			{
				Key: "shadow", Integration: "shadow", Country: "CN", Day: "2024-03-01", Records: 3, Subjects: 1,
				Items: []string{"rrn"}, UnknownItems: none, Protections: none, TLS: none,
			},
		},
		quality: audit.DataQuality{
			Files: []audit.FileQuality{
				{
					Path: "testdata/logs/2024-03-01.jsonl", Lines: 12, Records: 40450008, Bad: 5,
					Examples: []audit.BadLine{
						{Line: 9, Reason: "invalid json at byte 2"},
						{Line: 10, Reason: "missing ts"},
						{Line: 11, Reason: "ts: not RFC 3339"},
						{Line: 12, Reason: "records: negative"},
						{Line: 13, Reason: "records: not an integer"},
					},
				},
				{Path: "testdata/logs/sub/2024-03-02.jsonl.gz", Lines: 2, Records: 1},
				{
					Path: "testdata/logs/sub/settle.csv", Lines: 4, Records: 3, Bad: 2,
					Examples: []audit.BadLine{
						{Line: 5, Reason: "missing items"},
						{Line: 6, Reason: "row has 7 fields, header has 8"},
					},
				},
			},
			Lines: 18, Bad: 7, UnmatchedLines: 2,
		},
		files:   files,
		records: 40450008 + 1 + 3,
	}
}

// TestReadLogsNoPersonalData checks that nothing a reader keeps holds a
// subject key or a line's content.
func TestReadLogsNoPersonalData(t *testing.T) {
	a, err := ReadLogs(context.Background(), logTestManifests(), []string{"testdata/logs"}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"u:secret-key", "u:4f9a01", "u:77", "c-2019-06:88121", "not json"} {
		if bytes.Contains(bin, []byte(secret)) {
			t.Errorf("the encoded aggregate contains %q", secret)
		}
		for _, f := range a.Quality().Files {
			for _, ex := range f.Examples {
				if strings.Contains(ex.Reason, secret) {
					t.Errorf("example %+v contains %q", ex, secret)
				}
			}
		}
	}
}

func logWriteFile(t *testing.T, dir, name string, data []byte) string {
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

func logGzip(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func TestReadLogsInputErrors(t *testing.T) {
	dir := t.TempDir()
	good := logWriteFile(t, dir, "good.jsonl", []byte(`{"ts":"2024-03-01T00:00:00Z","items":[]}`+"\n"))
	txt := logWriteFile(t, dir, "notes.txt", []byte("x"))
	noTS := logWriteFile(t, dir, "d/no-ts.csv", []byte("time,items\n2024-03-01T00:00:00Z,a\n"))
	badHeader := logWriteFile(t, dir, "d/bad-header.csv", []byte("ts,\"items\n"))
	corrupt := logWriteFile(t, dir, "d/corrupt.jsonl.gz", logGzip([]byte(`{"ts":"2024-03-01T00:00:00Z","items":[]}`))[:20])
	notGzip := logWriteFile(t, dir, "d/plain.csv.gz", []byte("ts,items,host\n"))
	slash := filepath.ToSlash
	_, err := ReadLogs(context.Background(), nil,
		[]string{good, txt, filepath.Join(dir, "missing.jsonl"), filepath.Join(dir, "d")}, LogOptions{})
	var errs audit.InputErrors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not InputErrors", err)
	}
	want := []string{
		slash(filepath.Join(dir, "missing.jsonl")) + ": no such file or directory",
		slash(txt) + ": unsupported log format (want .jsonl, .ndjson or .csv, optionally .gz or .zst)",
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("discovery errors (-want +got):\n%s", diff)
	}

	_, err = ReadLogs(context.Background(), nil, []string{good, filepath.Join(dir, "d")}, LogOptions{})
	want = []string{
		slash(badHeader) + ":1: header: invalid csv at byte 4: unterminated quoted field",
		slash(corrupt) + ": gzip: unexpected EOF",
		slash(noTS) + `:1: header: missing column "ts"`,
		slash(notGzip) + ": gzip: invalid header",
	}
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("read errors (-want +got):\n%s", diff)
	}
}

// TestReadLogsLines covers line handling across files: CRLF, a byte order
// mark, no final newline, blank lines, empty files, .ndjson and an
// explicitly named .csv.gz, a line longer than the limit.
func TestReadLogsLines(t *testing.T) {
	defer logSetChunkSize(32)()
	oldMax := logMaxLine
	logMaxLine = 128
	defer func() { logMaxLine = oldMax }()

	rec := func(subject string) string {
		return `{"ts":"2024-03-01T00:00:00Z","integration":"toss","subject":"` + subject + `","items":["a"]}`
	}
	dir := t.TempDir()
	logWriteFile(t, dir, "crlf.jsonl", []byte("\xef\xbb\xbf"+rec("u:1")+"\r\n\r\n"+rec("u:2")+"\r\n"))
	logWriteFile(t, dir, "nonl.ndjson", []byte(rec("u:3")+"\n"+rec("u:4")))
	logWriteFile(t, dir, "empty.jsonl", nil)
	logWriteFile(t, dir, "empty.csv", nil)
	logWriteFile(t, dir, "long.jsonl", []byte(rec("u:5")+"\n"+`{"x":"`+strings.Repeat("y", 300)+`"}`+"\n"+rec("u:6")+"\n"))
	logWriteFile(t, dir, "long-last.jsonl", []byte(rec("u:7")+"\n"+strings.Repeat("z", 300)))
	csvgz := logWriteFile(t, t.TempDir(), "x.csv.gz",
		logGzip([]byte("\xef\xbb\xbf\n\nts,items,integration,subject\r\n2024-03-01T00:00:00Z,a,toss,u:8\r\n")))

	a, err := ReadLogs(context.Background(), logTestManifests(), []string{dir, csvgz}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obs := a.Observations()
	if len(obs) != 1 || obs[0].Records != 8 || obs[0].Subjects != 8 {
		t.Errorf("observations = %+v, want one flow-day of 8 records and 8 subjects", obs)
	}
	q := a.Quality()
	got := map[string]audit.FileQuality{}
	for _, f := range q.Files {
		f.Path = filepath.Base(f.Path)
		got[f.Path] = f
	}
	tooLong := []audit.BadLine{{Line: 2, Reason: "line too long"}}
	want := map[string]audit.FileQuality{
		"crlf.jsonl":      {Path: "crlf.jsonl", Lines: 2, Records: 2},
		"empty.csv":       {Path: "empty.csv"},
		"empty.jsonl":     {Path: "empty.jsonl"},
		"long-last.jsonl": {Path: "long-last.jsonl", Lines: 2, Records: 1, Bad: 1, Examples: tooLong},
		"long.jsonl":      {Path: "long.jsonl", Lines: 3, Records: 2, Bad: 1, Examples: tooLong},
		"nonl.ndjson":     {Path: "nonl.ndjson", Lines: 2, Records: 2},
		"x.csv.gz":        {Path: "x.csv.gz", Lines: 1, Records: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quality (-want +got):\n%s", diff)
	}
}

func TestReadLogsProgressAndCancel(t *testing.T) {
	var last int64
	calls := 0
	a, err := ReadLogs(context.Background(), nil, []string{"testdata/logs"}, LogOptions{
		Progress: func(n int64) { last, calls = n, calls+1 },
	})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range a.Files() {
		total += f.Size
	}
	if calls == 0 || last != total {
		t.Errorf("progress: %d calls, last %d, want at least one and last = %d bytes", calls, last, total)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadLogs(ctx, nil, []string{"testdata/logs"}, LogOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled read: error %v, want context.Canceled", err)
	}
}

func jsonUnmarshalNumber(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// logView is a parsed record in comparable form: what a parser test
// asserts. Subject is the hash of the expected key (see logSubject).
type logView struct {
	Reason      string // the bad-line reason, "" for a good record
	Flow        string // the flow the record matches, "" for none
	Day         string
	Integration string
	Host        string
	Country     string
	Protection  string
	TLS         string
	Items       []string
	Subject     uint64
	Subjects    int64
	Records     int64
	Consent     bool
	Bytes       int64
}

func logSubject(key string) uint64 { return aggHash([]byte(key)) }

func logTestMatcher() *logMatcher {
	return newLogMatcher(&audit.Manifests{Flows: []audit.DataFlow{
		{Object: audit.Object{Name: "alipay-nsf"}, Integration: "alipay-plus", Endpoints: []string{"api.alipay.example"}},
		{Object: audit.Object{Name: "toss-settle"}, Integration: "toss", Endpoints: []string{"API.Toss.example"}},
	}})
}

func logViewOf(m *logMatcher, r *logRecord, bad logBad) logView {
	if bad.code != logOK {
		if bad.code == logBlank {
			return logView{Reason: "(blank)"}
		}
		return logView{Reason: bad.reason()}
	}
	s := func(sym *logSym) string {
		if sym == nil {
			return ""
		}
		return sym.s
	}
	v := logView{
		Day: aggDayString(r.day), Integration: s(r.integration), Host: s(r.host), Country: s(r.country),
		Protection: s(r.protection), TLS: s(r.tls), Subjects: r.subjects, Records: r.records,
		Consent: r.consent, Bytes: r.bytes, Items: []string{},
	}
	if r.hasSubject {
		v.Subject = r.subject
	}
	items := r.items
	if r.itemSet != nil {
		items = r.itemSet.items
	}
	for _, it := range items {
		v.Items = append(v.Items, it.s)
	}
	key := r.integration
	if key == nil {
		key = r.host
	}
	if key != nil && key.flow >= 0 {
		v.Flow = m.flows[key.flow]
	}
	return v
}
