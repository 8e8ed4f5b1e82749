package collectors

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

// consentTestManifests has one consent-based flow (pay), one that relies
// on a contract (nsf) and one consent-based flow the ledger will not name
// (gift).
func consentTestManifests() *audit.Manifests {
	return &audit.Manifests{Flows: []audit.DataFlow{
		{Object: audit.Object{Name: "gift"}, Integration: "gift", LegalBasis: audit.LegalBasis{Provision: "consent"}},
		{Object: audit.Object{Name: "nsf"}, Integration: "nsf", LegalBasis: audit.LegalBasis{Overseas: "contract"}},
		{Object: audit.Object{Name: "pay"}, Integration: "pay", LegalBasis: audit.LegalBasis{Overseas: "consent", Provision: "consent"}},
	}}
}

func writeTestFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// consentLedgerJSONL: u:1 granted then withdrawn, granted again later;
// u:2 granted; u:3 granted for nsf only; an undeclared flow (5 good lines,
// 4 entries kept); a blank line; 6 bad lines.
const consentLedgerJSONL = `{"subject":"u:000001","flow":"pay","granted":"2024-01-01T00:00:00+09:00","withdrawn":"2024-03-01T12:00:00+09:00","separate":true,"version":"2019-06"}
{"subject":"u:000001","flow":"pay","granted":"2024-03-05T00:00:00+09:00","withdrawn":null}
{"subject":"u:000002","flow":"pay","granted":"2024-02-01T00:00:00Z"}

{"subject":"u:000003","flow":"nsf","granted":"2024-01-01T00:00:00+09:00"}
{"subject":"u:000004","flow":"domestic-marketing","granted":"2024-01-01T00:00:00+09:00"}
{"subject":"u:000005","flow":"pay"}
{"subject":"u:000005","flow":"pay","granted":"yesterday"}
{"subject":"u:000005","flow":"pay","granted":"2024-03-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z"}
{"subject":5,"flow":"pay","granted":"2024-03-01T00:00:00Z"}
["u:000005"]
{"subject":"u:000005","flow":"pay","granted":"2024-03-01T00:00:00Z","separate":"yes"}
`

// consentLedgerCSV holds the same five good lines and six bad ones.
const consentLedgerCSV = "\ufeffversion,subject,flow,granted,withdrawn,separate,note\r\n" +
	`2019-06,u:000001,pay,2024-01-01T00:00:00+09:00,2024-03-01T12:00:00+09:00,true,x` + "\r\n" +
	`,u:000001,pay,2024-03-05T00:00:00+09:00,,,` + "\r\n" +
	`,u:000002,pay,2024-02-01T00:00:00Z,,,` + "\r\n" +
	`,u:000003,nsf,2024-01-01T00:00:00+09:00,,,` + "\r\n" +
	`,u:000004,domestic-marketing,2024-01-01T00:00:00+09:00,,,` + "\r\n" +
	`,u:000005,pay,,,,` + "\r\n" +
	`,u:000005,pay,yesterday,,,` + "\r\n" +
	`,u:000005,pay,2024-03-01T00:00:00Z,2024-02-01T00:00:00Z,,` + "\r\n" +
	`,,pay,2024-03-01T00:00:00Z,,,` + "\r\n" +
	`,"u:0"00005",pay,2024-03-01T00:00:00Z,,,` + "\r\n" +
	`,u:000005,pay,2024-03-01T00:00:00Z,,maybe,` + "\r\n"

// TestReadConsents reads the same ledger as JSONL, CSV and gzipped JSONL
// and checks the entries kept, the ignored ones and the bad-line
// accounting, examples included.
func TestReadConsents(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(consentLedgerJSONL))
	zw.Close()
	for _, tc := range []struct {
		name, file, content string
		bad                 []audit.BadLine
	}{
		{"jsonl", "ledger.jsonl", consentLedgerJSONL, []audit.BadLine{
			{Line: 7, Reason: "missing granted"},
			{Line: 8, Reason: "granted: not an RFC 3339 time"},
			{Line: 9, Reason: "withdrawn: before granted"},
			{Line: 10, Reason: "subject: not a string"},
			{Line: 11, Reason: "not a json object"},
		}},
		{"csv", "ledger.csv", consentLedgerCSV, []audit.BadLine{
			{Line: 7, Reason: "missing granted"},
			{Line: 8, Reason: "granted: not an RFC 3339 time"},
			{Line: 9, Reason: "withdrawn: before granted"},
			{Line: 10, Reason: "missing subject"},
			{Line: 11, Reason: `csv: extraneous or missing " in quoted-field`},
		}},
		{"gzip", "ledger.jsonl.gz", gz.String(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTestFile(t, filepath.Join(dir, tc.name, tc.file), tc.content)
			l, err := ReadConsents(context.Background(), consentTestManifests(), []string{filepath.Join(dir, tc.name)})
			if err != nil {
				t.Fatal(err)
			}
			if l.Entries() != 4 || l.Ignored() != 1 {
				t.Errorf("entries %d, ignored %d; want 4 and 1", l.Entries(), l.Ignored())
			}
			if diff := cmp.Diff([]string{"nsf", "pay"}, l.Flows()); diff != "" {
				t.Errorf("flows (-want +got):\n%s", diff)
			}
			q := l.Quality()
			if len(q) != 1 || q[0].Lines != 11 || q[0].Records != 5 || q[0].Bad != 6 {
				t.Fatalf("quality = %+v, want 11 lines, 5 good, 6 bad", q)
			}
			if tc.bad != nil {
				if diff := cmp.Diff(tc.bad, q[0].Examples); diff != "" {
					t.Errorf("bad-line examples (-want +got):\n%s", diff)
				}
			}
			sum, size := logFileDigest(t, path)
			want := []audit.InputFile{{Path: filepath.ToSlash(path), SHA256: sum, Kind: "consents", Size: size}}
			if diff := cmp.Diff(want, l.Files()); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			pay := l.flows["pay"].entries
			if len(pay) != 3 || pay[0].subject > pay[len(pay)-1].subject || pay[2].withdrawn != math.MaxInt64 {
				t.Errorf("pay entries not sorted, or the open grant lost: %+v", pay)
			}
		})
	}
}

// TestReadConsentsErrors: a CSV without a required column, an unreadable
// path and a corrupt gzip are located input errors, all at once.
func TestReadConsentsErrors(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.csv"), "subject,granted\nu:1,2024-01-01T00:00:00Z\n")
	writeTestFile(t, filepath.Join(dir, "b.jsonl.gz"), "this is not a gzip stream at all")
	_, err := ReadConsents(context.Background(), consentTestManifests(), []string{dir, filepath.Join(dir, "missing.jsonl")})
	var ies audit.InputErrors
	if !errors.As(err, &ies) {
		t.Fatalf("error %v, want audit.InputErrors", err)
	}
	if len(ies) != 1 || !strings.Contains(ies[0].Error(), "missing.jsonl") {
		t.Fatalf("errors = %v, want the missing file first (found before reading)", err)
	}
	_, err = ReadConsents(context.Background(), consentTestManifests(), []string{dir})
	if !errors.As(err, &ies) || len(ies) != 2 {
		t.Fatalf("error %v, want 2 input errors", err)
	}
	got := []string{ies[0].Error(), ies[1].Error()}
	want := []string{
		filepath.ToSlash(filepath.Join(dir, "a.csv")) + ":1: header: missing column flow (want subject, flow, granted, withdrawn, separate, version)",
		filepath.ToSlash(filepath.Join(dir, "b.jsonl.gz")) + ": gzip: invalid header",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestConsentLookup pins the time rules: a grant covers [granted,
// withdrawn); withdrawn at or before ts is a withdrawal; a later grant
// restores consent; a grant after ts does not count.
func TestConsentLookup(t *testing.T) {
	h1, h2 := aggHash([]byte("u:1")), aggHash([]byte("u:2"))
	cf := &consentFlow{entries: []consentEntry{
		{subject: h1, granted: 100, withdrawn: 200},
		{subject: h1, granted: 300, withdrawn: math.MaxInt64},
		{subject: h2, granted: 150, withdrawn: 150},
	}}
	if h2 < h1 {
		cf.entries[0], cf.entries[1], cf.entries[2] = cf.entries[2], cf.entries[0], cf.entries[1]
	}
	for _, tc := range []struct {
		name    string
		subject uint64
		ts      int64
		want    uint8
	}{
		{"before any grant", h1, 99, consentWithout},
		{"at the grant", h1, 100, 0},
		{"inside", h1, 199, 0},
		{"at the withdrawal", h1, 200, consentWithdrawn},
		{"between grants", h1, 250, consentWithdrawn},
		{"granted again", h1, 300, 0},
		{"withdrawn at once", h2, 150, consentWithdrawn},
		{"unknown subject", aggHash([]byte("u:3")), 150, consentWithout},
	} {
		if got := cf.lookup(tc.subject, tc.ts); got != tc.want {
			t.Errorf("%s: lookup = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRedactSubject(t *testing.T) {
	for in, want := range map[string]string{
		"u:4f9a01":   "u:4f…",
		"u:4f9a01ff": "u:4f…",
		"u:4f9":      "u:…",
		"u1":         "u…",
		"x":          "…",
		"":           "…",
		"가나다라":       "가…", // 12 bytes: at most 4 bytes, whole characters only
		"ab가나다":      "ab…",
	} {
		if got := RedactSubject(in); got != want {
			t.Errorf("RedactSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConsentJoin reads logs with the ledger and checks the counts per
// flow-day, the fallbacks (a flow the ledger does not name, a non-consent
// flow, a batch record without subject) and the redacted examples.
func TestConsentJoin(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := writeTestFile(t, filepath.Join(dir, "ledger.jsonl"), consentLedgerJSONL)
	logs := writeTestFile(t, filepath.Join(dir, "logs", "day.jsonl"), strings.Join([]string{
		// 2024-03-01: u:1 consented (before noon), u:1 withdrawn (after
		// noon), u:2 consented, u:9 never granted, a batch without subject.
		`{"ts":"2024-03-01T11:00:00+09:00","integration":"pay","subject":"u:000001","items":["amount"],"consent":"c:1"}`,
		`{"ts":"2024-03-01T12:00:00+09:00","integration":"pay","subject":"u:000001","items":["amount"],"consent":"c:1","records":2}`,
		`{"ts":"2024-03-01T13:00:00+09:00","integration":"pay","subject":"u:000002","items":["amount"]}`,
		`{"ts":"2024-03-01T14:00:00+09:00","integration":"pay","subject":"u:000009","items":["amount"],"consent":"c:9"}`,
		`{"ts":"2024-03-01T15:00:00+09:00","integration":"pay","subjects":10,"records":10,"items":["amount"]}`,
		// 2024-03-05: u:1 granted again.
		`{"ts":"2024-03-05T01:00:00+09:00","integration":"pay","subject":"u:000001","items":["amount"]}`,
		// Flows the ledger does not judge: their consent field counts.
		`{"ts":"2024-03-01T10:00:00+09:00","integration":"nsf","subject":"u:000009","items":["amount"]}`,
		`{"ts":"2024-03-01T10:00:00+09:00","integration":"gift","subject":"u:000009","items":["amount"]}`,
	}, "\n")+"\n")
	l, err := ReadConsents(context.Background(), consentTestManifests(), []string{ledgerPath})
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		a, err := ReadLogs(context.Background(), consentTestManifests(), []string{logs}, LogOptions{Consents: l, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		type counts struct {
			Flow, Day                string
			Without, Withdrawn, Recs int64
		}
		var got []counts
		for _, o := range a.Observations() {
			got = append(got, counts{o.Flow, o.Day, o.WithoutConsent, o.WithdrawnConsent, o.Records})
		}
		want := []counts{
			{"gift", "2024-03-01", 1, 0, 1},
			{"nsf", "2024-03-01", 1, 0, 1},
			{"pay", "2024-03-01", 11, 2, 15}, // u:9 (1) + the batch (10); u:1 after noon (2)
			{"pay", "2024-03-05", 0, 0, 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("workers %d: counts (-want +got):\n%s", workers, diff)
		}
		wantEx := map[string][]audit.ConsentExample{"pay": {
			{Kind: "withoutConsent", Time: "2024-03-01T14:00:00+09:00", Subject: "u:00…"},
			{Kind: "withdrawnConsent", Time: "2024-03-01T12:00:00+09:00", Subject: "u:00…"},
		}}
		if diff := cmp.Diff(wantEx, a.ConsentExamples()); diff != "" {
			t.Errorf("workers %d: examples (-want +got):\n%s", workers, diff)
		}
	}
}

// TestConsentExamplesFirstFive: of many records without consent, the five
// earliest are kept, whatever the order of reading, and they survive the
// binary encoding and a merge of flow-day states.
func TestConsentExamplesFirstFive(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := writeTestFile(t, filepath.Join(dir, "ledger.jsonl"), `{"subject":"u:x","flow":"pay","granted":"2024-01-01T00:00:00Z"}`+"\n")
	var lines []string
	for i := 59; i >= 0; i-- { // newest first
		lines = append(lines, `{"ts":"2024-03-01T10:`+pad2(i)+`:00+09:00","integration":"pay","subject":"k`+pad2(i)+`xxxx","items":["amount"]}`)
	}
	logs := writeTestFile(t, filepath.Join(dir, "day.jsonl"), strings.Join(lines, "\n"))
	l, err := ReadConsents(context.Background(), consentTestManifests(), []string{ledgerPath})
	if err != nil {
		t.Fatal(err)
	}
	defer logSetChunkSize(256)()
	a, err := ReadLogs(context.Background(), consentTestManifests(), []string{logs}, LogOptions{Consents: l, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	var want []audit.ConsentExample
	for i := range 5 {
		want = append(want, audit.ConsentExample{Kind: "withoutConsent", Time: "2024-03-01T10:0" + string(rune('0'+i)) + ":00+09:00", Subject: "k0" + string(rune('0'+i)) + "…"})
	}
	if diff := cmp.Diff(map[string][]audit.ConsentExample{"pay": want}, a.ConsentExamples()); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	states, err := a.FlowDayStates()
	if err != nil {
		t.Fatal(err)
	}
	b := NewAggregate(LogOptions{})
	for _, s := range states {
		if err := b.MergeBinary(s.State); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(a.Observations(), b.Observations()); diff != "" {
		t.Errorf("observations from states (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(a.ConsentExamples(), b.ConsentExamples()); diff != "" {
		t.Errorf("examples from states (-want +got):\n%s", diff)
	}
}

func pad2(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// TestFlowDayStatesMergeExactly: a day split over two files, read by two
// runs, merges into exactly the aggregate of reading both at once: the
// distinct subjects are not summed.
func TestFlowDayStatesMergeExactly(t *testing.T) {
	dir := t.TempDir()
	var a, b []string
	for i := range 300 {
		line := `{"ts":"2024-03-01T10:00:00+09:00","integration":"pay","subject":"u:` + pad2(i%100) + `","items":["amount"],"consent":"c"}`
		if i%2 == 0 {
			a = append(a, line)
		} else {
			b = append(b, line)
		}
	}
	fa := writeTestFile(t, filepath.Join(dir, "a.jsonl"), strings.Join(a, "\n"))
	fb := writeTestFile(t, filepath.Join(dir, "b.jsonl"), strings.Join(b, "\n"))
	read := func(paths ...string) *Aggregate {
		agg, err := ReadLogs(context.Background(), consentTestManifests(), paths, LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	merged := NewAggregate(LogOptions{})
	for _, part := range []*Aggregate{read(fa), read(fb)} {
		states, err := part.FlowDayStates()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if s.Flow != "pay" || s.Day != "2024-03-01" {
				t.Errorf("state of %s on %s, want pay on 2024-03-01", s.Flow, s.Day)
			}
			if err := merged.MergeBinary(s.State); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := merged.Observations()
	if len(got) != 1 || got[0].Subjects != 100 || got[0].Records != 300 || got[0].SubjectsEstimated {
		t.Errorf("merged = %+v, want 300 records of exactly 100 subjects", got)
	}
	if diff := cmp.Diff(read(fa, fb).Observations(), got); diff != "" {
		t.Errorf("merged states differ from reading both files (-want +got):\n%s", diff)
	}
	if err := merged.MergeBinary([]byte("XBAG\x02")); err == nil {
		t.Error("a truncated state merged without error")
	}
}

// FuzzConsentLedger feeds arbitrary ledger files, as JSONL and as CSV:
// reading never panics, every non-blank line is either an entry or a bad
// line, and bad-line reasons never quote the input.
func FuzzConsentLedger(f *testing.F) {
	f.Add([]byte(consentLedgerJSONL))
	f.Add([]byte(consentLedgerCSV))
	f.Add([]byte(`{"subject":"\ud800","flow":"pay","granted":"2024-02-29T23:59:59.999+09:00","withdrawn":""}`))
	f.Add([]byte("subject,flow,granted\n\"u\n1\",pay,2024-01-01T00:00:00Z\n"))
	f.Add([]byte{0xff, 0xfe, '\n', '{', '}'})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.jsonl", "f.csv"} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := ReadConsents(context.Background(), consentTestManifests(), []string{path})
			if err != nil {
				var ies audit.InputErrors
				if !errors.As(err, &ies) {
					t.Fatalf("%s: error %v is not an input error", name, err)
				}
				continue
			}
			q := l.Quality()[0]
			if q.Records+q.Bad != q.Lines || l.Entries()+l.Ignored() != q.Records {
				t.Fatalf("%s: lines %d = good %d + bad %d? entries %d + ignored %d = good?", name, q.Lines, q.Records, q.Bad, l.Entries(), l.Ignored())
			}
			for _, ex := range q.Examples {
				if len(ex.Reason) > 0 && len(data) > 8 && strings.Contains(ex.Reason, string(data)) {
					t.Fatalf("%s: reason %q quotes the input", name, ex.Reason)
				}
			}
		}
	})
}

// FuzzConsentScan checks the fast ledger-line reader against
// encoding/json: whatever consentScan accepts, consentDecode accepts too,
// with the same values.
func FuzzConsentScan(f *testing.F) {
	for _, line := range strings.Split(consentLedgerJSONL, "\n") {
		f.Add([]byte(line))
	}
	f.Add([]byte(`{"subject":"a","subject":"b","flow":"pay","granted":"2024-01-01T00:00:00Z","withdrawn":null,"separate":null,"version":null}`))
	f.Add([]byte(`{ "subject" : "é" , "flow":"p\u0061y", "granted":"x" }`))
	f.Add([]byte(`{"Subject":"a"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := consentScan(line)
		if !ok {
			return
		}
		slow, bad := consentDecode(line)
		if bad != "" {
			t.Fatalf("scan accepted %q, encoding/json rejects it: %s", line, bad)
		}
		if !bytes.Equal(fast.subject, slow.subject) || !bytes.Equal(fast.flow, slow.flow) || !bytes.Equal(fast.granted, slow.granted) ||
			!bytes.Equal(fast.withdrawn, slow.withdrawn) || fast.hasWithdrawn != slow.hasWithdrawn {
			t.Fatalf("%q: scan %+v, encoding/json %+v", line, fast, slow)
		}
	})
}

// TestConsentIndex: with the bucket index (large ledgers) a lookup gives
// what a binary search over the whole ledger gives, for subjects in the
// ledger and not, at the bucket edges too.
func TestConsentIndex(t *testing.T) {
	var entries []consentEntry
	for i := range 5000 {
		h := aggHash([]byte(fmt.Sprintf("u:%d", i)))
		entries = append(entries, consentEntry{subject: h, granted: int64(i % 7), withdrawn: int64(10 + i%5)})
		if i%3 == 0 {
			entries = append(entries, consentEntry{subject: h, granted: 20, withdrawn: math.MaxInt64})
		}
	}
	entries = append(entries, consentEntry{subject: 0, granted: 0, withdrawn: math.MaxInt64},
		consentEntry{subject: math.MaxUint64, granted: 0, withdrawn: math.MaxInt64})
	indexed := &consentFlow{entries: slices.Clone(entries)}
	indexed.sortAndIndex()
	if indexed.index == nil || len(indexed.index) != 1<<(bits.Len(uint(len(entries)))-2)+1 {
		t.Fatalf("index of %d entries: %d buckets", len(entries), len(indexed.index))
	}
	plain := &consentFlow{entries: slices.Clone(indexed.entries)}
	var probes []uint64
	for _, e := range entries {
		probes = append(probes, e.subject, e.subject+1, e.subject-1)
	}
	for i := range 1000 {
		probes = append(probes, aggHash([]byte(fmt.Sprintf("absent:%d", i))))
	}
	for _, subject := range probes {
		for _, ts := range []int64{-1, 0, 5, 12, 15, 20, 100} {
			if got, want := indexed.lookup(subject, ts), plain.lookup(subject, ts); got != want {
				t.Fatalf("lookup(%#x, %d) = %d with the index, %d without", subject, ts, got, want)
			}
		}
	}
}

// TestReadConsentsMerge: a ledger in two files, the JSONL one parsed by
// several workers, ends up as one sorted, indexed ledger that answers as
// the entries say.
func TestReadConsentsMerge(t *testing.T) {
	dir := t.TempDir()
	var jsonl, csv strings.Builder
	csv.WriteString("subject,flow,granted,withdrawn\n")
	for i := range 20000 {
		line := fmt.Sprintf("u:%05d,pay,2024-01-01T00:00:%02dZ,2024-02-01T00:00:00Z\n", i, i%60)
		if i%4 == 0 {
			csv.WriteString(line)
			continue
		}
		fmt.Fprintf(&jsonl, `{"subject":"u:%05d","flow":"pay","granted":"2024-01-01T00:00:%02dZ","withdrawn":"2024-02-01T00:00:00Z"}`+"\n", i, i%60)
	}
	writeTestFile(t, filepath.Join(dir, "a.jsonl"), jsonl.String())
	writeTestFile(t, filepath.Join(dir, "b.csv"), csv.String())
	l, err := ReadConsents(context.Background(), consentTestManifests(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	cf := l.flows["pay"]
	if l.Entries() != 20000 || !slices.IsSortedFunc(cf.entries, consentCompare) || cf.index == nil {
		t.Fatalf("%d entries, sorted %v, indexed %v", l.Entries(), slices.IsSortedFunc(cf.entries, consentCompare), cf.index != nil)
	}
	jan := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC).Unix()
	mar := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range 20000 {
		h := aggHash([]byte(fmt.Sprintf("u:%05d", i)))
		if cf.lookup(h, jan) != 0 || cf.lookup(h, mar) != consentWithdrawn {
			t.Fatalf("u:%05d: lookup in January %d, in March %d", i, cf.lookup(h, jan), cf.lookup(h, mar))
		}
	}
}

// TestReadConsentsLongLine: a line longer than the limit is a bad line,
// located, and the lines after it keep their numbers.
func TestReadConsentsLongLine(t *testing.T) {
	defer func(n int) { logMaxLine = n }(logMaxLine)
	logMaxLine = 200
	good := `{"subject":"u:1","flow":"pay","granted":"2024-01-01T00:00:00Z"}`
	long := `{"subject":"` + strings.Repeat("x", 70<<10) + `","flow":"pay","granted":"2024-01-01T00:00:00Z"}`
	path := writeTestFile(t, filepath.Join(t.TempDir(), "l.jsonl"), good+"\n"+long+"\n"+good+"\n\n"+`{"subject":"u:2"}`)
	l, err := ReadConsents(context.Background(), consentTestManifests(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	q := l.Quality()[0]
	want := []audit.BadLine{{Line: 2, Reason: "line too long"}, {Line: 5, Reason: "missing flow"}}
	if diff := cmp.Diff(want, q.Examples); diff != "" || q.Lines != 4 || q.Records != 2 || l.Entries() != 2 {
		t.Errorf("lines %d, good %d, entries %d; examples (-want +got):\n%s", q.Lines, q.Records, l.Entries(), diff)
	}
}
