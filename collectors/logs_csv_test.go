package collectors

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCSVRecord(t *testing.T) {
	const header = "ts,integration,host,country,subject,subjects,items,consent,records,protection,tls,bytes,note"
	ok := func(v logView) logView {
		v.Day = "2024-03-01"
		if v.Items == nil {
			v.Items = []string{}
		}
		if v.Records == 0 {
			v.Records = 1
		}
		return v
	}
	bad := func(reason string) logView { return logView{Reason: reason} }
	const ts = "2024-03-01T02:00:00+09:00"
	tests := []struct {
		name, row string
		want      logView
	}{
		{"full row",
			ts + ",alipay-plus,api.alipay.example,SG,u:4f9a01,,account_id;phone;email,c-2019-06:88121,1,sha256,1.2,812,",
			ok(logView{Flow: "alipay-nsf", Integration: "alipay-plus", Host: "api.alipay.example", Country: "SG",
				Subject: logSubject("u:4f9a01"), Items: []string{"account_id", "phone", "email"}, Consent: true,
				Protection: "sha256", TLS: "1.2", Bytes: 812})},
		{"batch row",
			ts + ",alipay-nsf-sftp,,CN,,40450000,account_id;balance,,40450000,sha256,sftp,,",
			ok(logView{Integration: "alipay-nsf-sftp", Country: "CN", Subjects: 40450000, Records: 40450000,
				Items: []string{"account_id", "balance"}, Protection: "sha256", TLS: "sftp"})},
		{"empty cells are absent", ts + ",,,,,,a,,,,,,", ok(logView{Items: []string{"a"}})},
		{"spaces trimmed, empty items dropped",
			" " + ts + " , toss ,,kr, u:1 ,, a ; b ;; a ;,,\t2\t,,,,",
			ok(logView{Flow: "toss-settle", Integration: "toss", Country: "KR", Subject: logSubject("u:1"),
				Items: []string{"a", "b"}, Records: 2})},
		{"host match",
			ts + ",,Api.Toss.Example,,,,a,,,,,,",
			ok(logView{Flow: "toss-settle", Host: "api.toss.example", Items: []string{"a"}})},
		{"quoted fields",
			`"` + ts + `","ali""pay",,"",,,"a;""b"";c,d",x,,,,,"note, with comma"`,
			ok(logView{Integration: `ali"pay`, Items: []string{"a", `"b"`, "c,d"}, Consent: true})},
		{"quoted newline", ts + ",,,,,,a,,,,,,\"line 1\nline 2\"", ok(logView{Items: []string{"a"}})},
		{"unicode", ts + ",,,,사용자:1,,주소;名前,,,,,,", ok(logView{Items: []string{"주소", "名前"}, Subject: logSubject("사용자:1")})},
		{"invalid utf-8", ts + ",,,,,,a\xffb,,,,,,", ok(logView{Items: []string{"a\uFFFDb"}})},

		{"missing ts", ",,,,,,a,,,,,,", bad("missing ts")},
		{"missing items", ts + ",,,,,,,,,,,,", bad("missing items")},
		{"only separators in items", ts + ",,,,,, ; ;,,,,,,", logView{Day: "2024-03-01", Items: []string{}, Records: 1}},
		{"bad ts", "2024-03-01,,,,,,a,,,,,,", bad("ts: not RFC 3339")},
		{"records not an integer", ts + ",,,,,,a,,1.5,,,,", bad("records: not an integer")},
		{"records plus sign", ts + ",,,,,,a,,+1,,,,", bad("records: not an integer")},
		{"records negative", ts + ",,,,,,a,,-3,,,,", bad("records: negative")},
		{"bytes huge", ts + ",,,,,,a,,,,,99999999999999999999,", bad("bytes: out of range")},
		{"too few fields", ts + ",,,,,,a", bad("row has 7 fields, header has 13")},
		{"too many fields", ts + ",,,,,,a,,,,,,,", bad("row has 14 fields, header has 13")},
		{"bare quote", ts + `,ali"pay,,,,,a,,,,,,`, bad("invalid csv at byte 30: bare quote in unquoted field")},
		{"space before quote", ts + `, "x",,,,,a,,,,,,`, bad("invalid csv at byte 28: bare quote in unquoted field")},
		{"text after closing quote", ts + `,"ali"pay,,,,,a,,,,,,`, bad("invalid csv at byte 32: extraneous quote in quoted field")},
		{"unterminated quote", ts + `,"alipay,,,,,a,,,,,,`, bad("invalid csv at byte 27: unterminated quoted field")},
	}
	m := logTestMatcher()
	syms := newLogSyms(m)
	hp := newLogCSV(syms)
	fields, bad0 := hp.split([]byte(header))
	if bad0.code != logOK {
		t.Fatal(bad0.reason())
	}
	hdr, problems := logParseCSVHeader(fields)
	if problems != nil {
		t.Fatal(problems)
	}
	p := newLogCSV(syms)
	p.hdr = hdr
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 {
				var r logRecord
				got := logViewOf(m, &r, p.parse([]byte(tt.row), &r))
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("parse(%q) mismatch (-want +got):\n%s", tt.row, diff)
				}
			}
		})
	}
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		header   string
		cols     []int8
		problems []string
	}{
		{"ts,items", []int8{logFieldTS, logFieldItems}, nil},
		{" Items ,TS,Extra,bytes", []int8{logFieldItems, logFieldTS, -1, logFieldBytes}, nil},
		{"ts,host", []int8{logFieldTS, logFieldHost}, []string{`missing column "items"`}},
		{"subject", []int8{logFieldSubject}, []string{`missing column "ts"`, `missing column "items"`}},
		{"ts,items,TS", []int8{logFieldTS, logFieldItems, -1}, []string{`duplicate column "ts"`}},
	}
	for _, tt := range tests {
		h, problems := logParseCSVHeader(logSplitTest(tt.header))
		if diff := cmp.Diff(tt.cols, h.cols); diff != "" {
			t.Errorf("header %q columns (-want +got):\n%s", tt.header, diff)
		}
		if diff := cmp.Diff(tt.problems, problems); diff != "" {
			t.Errorf("header %q problems (-want +got):\n%s", tt.header, diff)
		}
	}
}

func logSplitTest(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Split(s, ",") {
		out = append(out, []byte(f))
	}
	return out
}

// TestCSVRecordEnd checks record boundaries: newlines inside quotes do not
// end a record.
func TestCSVRecordEnd(t *testing.T) {
	data := []byte("a,b\n\"x\ny\",z\n\"q\"\"\n\",w\nlast")
	var recs []string
	for i := 0; i < len(data); {
		end := logCSVRecordEnd(data, i)
		recs = append(recs, string(data[i:end]))
		i = end + 1
	}
	want := []string{"a,b", "\"x\ny\",z", "\"q\"\"\n\",w", "last"}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got := logCSVLastEnd(data); got != len(data)-5 {
		t.Errorf("last end = %d, want %d", got, len(data)-5)
	}
	if got := logCSVLastEnd([]byte("\"a\nb")); got != -1 {
		t.Errorf("last end in an open quote = %d, want -1", got)
	}
}

// FuzzCSVRecord checks the CSV reader against encoding/csv: it never
// panics, on one line it splits fields exactly as encoding/csv does (and
// fails where encoding/csv fails), and read as a whole chunk every record
// is accounted for.
func FuzzCSVRecord(f *testing.F) {
	for _, s := range []string{
		"2024-03-01T02:00:00+09:00,alipay-plus,api.alipay.example,SG,u:1,,account_id;phone,c,1,sha256,1.2,812,",
		`"2024-03-01T02:00:00Z","a""b",,,,,"x;""y"",z",,,,,,"n,1"`,
		"2024-03-01T02:00:00Z,,,,,,a,,-1,,,,",
		`a"b,c`, `"a"b,c`, `"abc`, `""""`, ",,", "",
		"x,\"y\nz\",w\n\"\"\"\n",
	} {
		f.Add([]byte(s))
	}
	const header = "ts,integration,host,country,subject,subjects,items,consent,records,protection,tls,bytes,note"
	m := logTestMatcher()
	syms := newLogSyms(m)
	hdr, _ := logParseCSVHeader(logSplitTest(header))
	f.Fuzz(func(t *testing.T, row []byte) {
		p := newLogCSV(syms)
		p.hdr = hdr
		// As one chunk: no panic, one line or bad line per record.
		acc := newLogAcc(m, 4, 1)
		var r logRecord
		acc.csvChunk(p, &r, &acc.files[0], logChunk{data: row, line: 1})
		st := acc.files[0]
		if st.lines < st.bad || st.bad < int64(len(st.examples)) || st.lines > int64(bytes.Count(row, []byte{'\n'}))+1 {
			t.Fatalf("accounting of %q: %+v", row, st)
		}
		if bytes.ContainsAny(row, "\r\n") || len(row) == 0 {
			return
		}
		// As one record, against encoding/csv.
		cr := csv.NewReader(bytes.NewReader(row))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		fields, bad := p.split(row)
		if (err != nil) != (bad.code != logOK) {
			t.Fatalf("split(%q): encoding/csv error %v, ours %q", row, err, bad.reason())
		}
		if err != nil {
			return
		}
		var got []string
		for _, f := range fields {
			got = append(got, string(f))
		}
		if len(recs) != 1 {
			t.Fatalf("encoding/csv read %d records from %q", len(recs), row)
		}
		if diff := cmp.Diff(recs[0], got); diff != "" {
			t.Fatalf("split(%q) (-encoding/csv +ours):\n%s", row, diff)
		}
	})
}
