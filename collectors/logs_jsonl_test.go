package collectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func logParseJSONLine(m *logMatcher, p *logJSON, line string) logView {
	var r logRecord
	bad := p.parse([]byte(line), &r)
	return logViewOf(m, &r, bad)
}

func TestJSONLRecord(t *testing.T) {
	const ts = `"ts":"2024-03-01T02:00:00+09:00"`
	ok := func(v logView) logView {
		if v.Day == "" {
			v.Day = "2024-03-01"
		}
		if v.Items == nil {
			v.Items = []string{}
		}
		if v.Records == 0 {
			v.Records = 1
		}
		return v
	}
	bad := func(reason string) logView { return logView{Reason: reason} }
	tests := []struct {
		name, line string
		want       logView
	}{
		{"design example",
			`{"ts":"2024-03-01T02:00:00+09:00","integration":"alipay-plus","host":"api.alipay.example","country":"SG","subject":"u:4f9a01","items":["account_id","phone","email"],"consent":"c-2019-06:88121","records":1,"protection":"sha256","tls":"1.2","bytes":812}`,
			ok(logView{Flow: "alipay-nsf", Integration: "alipay-plus", Host: "api.alipay.example", Country: "SG",
				Subject: logSubject("u:4f9a01"), Items: []string{"account_id", "phone", "email"}, Consent: true,
				Protection: "sha256", TLS: "1.2", Bytes: 812})},
		{"batch record",
			`{"ts":"2024-03-01T03:10:00+09:00","integration":"alipay-nsf-sftp","country":"CN","records":40450000,"subjects":40450000,"items":["account_id","phone","email","balance"],"protection":"sha256","tls":"sftp"}`,
			ok(logView{Integration: "alipay-nsf-sftp", Country: "CN", Records: 40450000, Subjects: 40450000,
				Items: []string{"account_id", "phone", "email", "balance"}, Protection: "sha256", TLS: "sftp"})},
		{"any order and whitespace",
			" \t{ \"items\" : [ \"a\" ,\t\"b\" ] ,\r\n \"records\" : 2 , " + ts + " }  \r",
			ok(logView{Items: []string{"a", "b"}, Records: 2})},
		{"host match is case-insensitive",
			`{` + ts + `,"host":"API.TOSS.EXAMPLE","items":[]}`,
			ok(logView{Flow: "toss-settle", Host: "api.toss.example"})},
		{"integration wins over host",
			`{` + ts + `,"integration":"shadow","host":"api.toss.example","items":[]}`,
			ok(logView{Integration: "shadow", Host: "api.toss.example"})},
		{"empty integration falls back to host",
			`{` + ts + `,"integration":"","host":"api.toss.example","items":[]}`,
			ok(logView{Flow: "toss-settle", Host: "api.toss.example"})},
		{"country upper-cased",
			`{` + ts + `,"country":"sg","items":[]}`,
			ok(logView{Country: "SG"})},
		{"escapes",
			`{` + ts + `,"integration":"ali\u0070ay-plus","items":["a\"b","c\\d","\u00e9\t","x\/y"],"subject":"u\/1"}`,
			ok(logView{Flow: "alipay-nsf", Integration: "alipay-plus", Items: []string{`a"b`, `c\d`, "é\t", "x/y"}, Subject: logSubject("u/1")})},
		{"escaped key",
			`{"t\u0073":"2024-03-01T02:00:00+09:00","\u0069tems":["a"]}`,
			ok(logView{Items: []string{"a"}})},
		{"escaped timestamp",
			`{"ts":"2024-03-01T02:00:00\u002b09:00","items":[]}`,
			ok(logView{})},
		{"unicode",
			`{` + ts + `,"items":["주소","名前"],"subject":"사용자:1"}`,
			ok(logView{Items: []string{"주소", "名前"}, Subject: logSubject("사용자:1")})},
		{"surrogates",
			`{` + ts + `,"items":["\ud83d\ude00","\ud800","\ud800\u0041","\udc00x"]}`,
			ok(logView{Items: []string{"😀", "\uFFFD", "\uFFFDA", "\uFFFDx"}})},
		{"invalid utf-8 is replaced",
			"{" + ts + ",\"items\":[\"a\xffb\"],\"subject\":\"u\xfe\"}",
			ok(logView{Items: []string{"a\uFFFDb"}, Subject: logSubject("u\uFFFD")})},
		{"duplicate items in a list",
			`{` + ts + `,"items":["a","b","a"]}`,
			ok(logView{Items: []string{"a", "b"}})},
		{"empty items are dropped",
			`{` + ts + `,"items":["","a",""]}`,
			ok(logView{Items: []string{"a"}})},
		{"nulls are absent",
			`{` + ts + `,"integration":null,"host":null,"country":null,"subject":null,"subjects":null,"items":[],"consent":null,"records":null,"protection":null,"tls":null,"bytes":null}`,
			ok(logView{})},
		{"empty strings are absent",
			`{` + ts + `,"subject":"","consent":"","items":[]}`,
			ok(logView{})},
		{"unknown nested fields",
			`{"meta":{"a":[1,{"b":null,"c":[true,false]}],"d":"}"},` + ts + `,"arr":[[],{},""],"n":-1.5e+3,"e":0E-0,"items":["a"],"z":{}}`,
			ok(logView{Items: []string{"a"}})},
		{"tls as a number keeps its text",
			`{` + ts + `,"tls":1.0,"items":[]}`,
			ok(logView{TLS: "1.0"})},
		{"largest count", `{` + ts + `,"items":[],"bytes":9223372036854775807}`,
			ok(logView{Bytes: 9223372036854775807})},
		{"minus zero", `{` + ts + `,"items":[],"bytes":-0,"records":0}`, logView{Day: "2024-03-01", Items: []string{}}},
		{"duplicate key, last wins", `{` + ts + `,"records":-1,"items":[],"records":2}`, ok(logView{Records: 2})},
		{"duplicate key, last null wins", `{` + ts + `,"records":"x","items":[],"records":null}`, ok(logView{})},

		{"missing ts", `{"items":["a"]}`, bad("missing ts")},
		{"null ts", `{"ts":null,"items":["a"]}`, bad("missing ts")},
		{"missing items", `{` + ts + `}`, bad("missing items")},
		{"null items", `{` + ts + `,"items":null}`, bad("missing items")},
		{"empty object", `{}`, bad("missing ts")},
		{"ts not a string", `{"ts":1709226000,"items":[]}`, bad("ts: not a string")},
		{"ts without offset", `{"ts":"2024-03-01T02:00:00","items":[]}`, bad("ts: not RFC 3339")},
		{"ts date only", `{"ts":"2024-03-01","items":[]}`, bad("ts: not RFC 3339")},
		{"items not an array", `{` + ts + `,"items":"a;b"}`, bad("items: not an array of strings")},
		{"items with a number", `{` + ts + `,"items":["a",1]}`, bad("items: not an array of strings")},
		{"items nested", `{` + ts + `,"items":[["a"]]}`, bad("items: not an array of strings")},
		{"records fraction", `{` + ts + `,"items":[],"records":1.5}`, bad("records: not an integer")},
		{"records exponent", `{` + ts + `,"items":[],"records":1e3}`, bad("records: not an integer")},
		{"records string", `{` + ts + `,"items":[],"records":"1"}`, bad("records: not an integer")},
		{"records negative", `{` + ts + `,"items":[],"records":-1}`, bad("records: negative")},
		{"records huge", `{` + ts + `,"items":[],"records":99999999999999999999}`, bad("records: out of range")},
		{"bytes just too big", `{` + ts + `,"items":[],"bytes":9223372036854775808}`, bad("bytes: out of range")},
		{"subjects huge negative", `{` + ts + `,"items":[],"subjects":-99999999999999999999}`, bad("subjects: negative")},
		{"integration not a string", `{` + ts + `,"items":[],"integration":5}`, bad("integration: not a string")},
		{"consent not a string", `{` + ts + `,"items":[],"consent":true}`, bad("consent: not a string")},
		{"subject object", `{` + ts + `,"items":[],"subject":{"id":"u:1"}}`, bad("subject: not a string")},
		{"first field problem wins", `{"bytes":-1,"ts":5,"items":[]}`, bad("ts: not a string")},
		{"field problem before missing", `{"records":-1}`, bad("records: negative")},

		{"not json", `not json`, bad("invalid json at byte 2")},
		{"leading zero", `{` + ts + `,"items":[],"records":01}`, bad("invalid json at byte 57")},
		{"lone minus", `{` + ts + `,"items":[],"records":-}`, bad("invalid json at byte 57")},
		{"trailing comma", `{` + ts + `,"items":[],}`, bad("invalid json at byte 46")},
		{"trailing comma in array", `{` + ts + `,"items":["a",]}`, bad("invalid json at byte 48")},
		{"missing colon", `{"ts" "x"}`, bad("invalid json at byte 7")},
		{"unterminated string", `{"ts":"2024`, bad("invalid json at byte 12")},
		{"unterminated object", `{` + ts, bad("invalid json at byte 34")},
		{"raw tab in string", "{\"ts\":\"a\tb\"}", bad("invalid json at byte 9")},
		{"bad escape", `{"ts":"a\x"}`, bad("invalid json at byte 10")},
		{"bad unicode escape", `{"ts":"\u12G4"}`, bad("invalid json at byte 8")},
		{"garbage after object", `{` + ts + `,"items":[]} x`, bad("invalid json at byte 47")},
		{"two objects", `{` + ts + `,"items":[]}{}`, bad("invalid json at byte 46")},
		{"bad literal", `{` + ts + `,"items":[],"x":nul}`, bad("invalid json at byte 53")},
		{"bad nested", `{` + ts + `,"items":[],"x":[1,{"a"}]}`, bad("invalid json at byte 57")},
		{"byte order mark mid-file", "\xef\xbb\xbf{" + ts + `,"items":[]}`, bad("invalid json at byte 1")},
		{"array", `[1,2]`, bad("not a json object")},
		{"string", `"x"`, bad("not a json object")},
		{"blank", " \t\r", bad("(blank)")},
		{"empty", "", bad("(blank)")},
	}
	m := logTestMatcher()
	p := newLogJSON(newLogSyms(m))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second parse goes through the warm caches.
			for range 2 {
				if diff := cmp.Diff(tt.want, logParseJSONLine(m, p, tt.line)); diff != "" {
					t.Fatalf("parse(%q) mismatch (-want +got):\n%s", tt.line, diff)
				}
			}
		})
	}
}

// TestJSONLItemsCacheBound checks that a file whose every line has a new
// item list still parses correctly once the cache is full.
func TestJSONLItemsCacheBound(t *testing.T) {
	m := logTestMatcher()
	syms := newLogSyms(m)
	p := newLogJSON(syms)
	for i := range logItemSetLimit + 10 {
		line := `{"ts":"2024-03-01T00:00:00Z","items":["a","x` + itoa(i) + `"]}`
		got := logParseJSONLine(m, p, line)
		if want := []string{"a", "x" + itoa(i)}; !cmp.Equal(got.Items, want) {
			t.Fatalf("line %d: items = %q, want %q", i, got.Items, want)
		}
	}
	if n := len(syms.jsonSets); n != logItemSetLimit {
		t.Errorf("cache holds %d lists, want the bound %d", n, logItemSetLimit)
	}
}

func itoa(i int) string { return time.Duration(i).String() }

// TestParseDay compares the timestamp parser with time.Parse.
func TestParseDay(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	day := func(s string) string {
		d, ok := logParseDay([]byte(s))
		if !ok {
			return "bad"
		}
		return aggDayString(d)
	}
	for in, want := range map[string]string{
		"2024-03-01T02:00:00+09:00":      "2024-03-01",
		"2024-02-29T15:00:00Z":           "2024-03-01",
		"2024-02-29T14:59:59.999999999Z": "2024-02-29",
		"2024-03-01T00:00:00-05:00":      "2024-03-01",
		"2024-03-01T10:00:00-05:00":      "2024-03-02",
		"2024-03-01t00:00:00z":           "2024-03-01",
		"1969-12-31T15:00:00Z":           "1970-01-01",
		"1969-12-31T14:59:59Z":           "1969-12-31",
		"0000-01-01T00:00:00+23:59":      "-0001-12-31",
		"9999-12-31T23:59:59Z":           "10000-01-01",
		"2023-02-29T00:00:00Z":           "bad",
		"2024-04-31T00:00:00Z":           "bad",
		"2024-13-01T00:00:00Z":           "bad",
		"2024-03-01T24:00:00Z":           "bad",
		"2024-03-01T00:60:00Z":           "bad",
		"2024-03-01T00:00:60Z":           "bad",
		"2024-03-01 00:00:00Z":           "bad",
		"2024-03-01T00:00:00":            "bad",
		"2024-03-01T00:00:00+0900":       "bad",
		"2024-03-01T00:00:00+24:00":      "bad",
		"2024-03-01T00:00:00.Z":          "bad",
		"2024-03-01T00:00:00Z ":          "bad",
		"+024-03-01T00:00:00Z":           "bad",
	} {
		if got := day(in); got != want {
			t.Errorf("day(%q) = %s, want %s", in, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		sec := rng.Int64N(400*365*86400) - 200*365*86400
		off := (rng.IntN(191) - 95) * 15 * 60 // ±23:45
		tm := time.Unix(sec, int64(rng.IntN(1e9))).In(time.FixedZone("", off))
		s := tm.Format(time.RFC3339Nano)
		want := tm.In(kst).Format("2006-01-02")
		if got := day(s); got != want {
			t.Fatalf("day(%q) = %s, want %s", s, got, want)
		}
	}
}

// FuzzJSONLRecord checks the scanner against encoding/json: it never
// panics; it rejects exactly the lines encoding/json finds invalid; on
// valid lines it reads the same values, types, nulls, duplicates and
// escapes as a decode into a map, with the v1 rules applied on top.
func FuzzJSONLRecord(f *testing.F) {
	for _, s := range []string{
		`{"ts":"2024-03-01T02:00:00+09:00","integration":"alipay-plus","host":"api.alipay.example","country":"SG","subject":"u:4f9a01","items":["account_id","phone","email"],"consent":"c-2019-06:88121","records":1,"protection":"sha256","tls":"1.2","bytes":812}`,
		`{"ts":"2024-03-01T03:10:00+09:00","integration":"alipay-nsf-sftp","country":"CN","records":40450000,"subjects":40450000,"items":["account_id","phone","email","balance"],"protection":"sha256","tls":"sftp"}`,
		`{"t\u0073":"2024-03-01T02:00:00Z","items":["\ud83d\ude00","a\"b"],"x":{"y":[1,2.5e-3,null,true]},"records":null}`,
		`{"ts":"2024-03-01T02:00:00Z","items":["a",1],"records":-1,"records":2}`,
		`{"ts":5,"items":"a","subject":{},"tls":1.3,"bytes":99999999999999999999}`,
		`[1,2]`, `"x"`, ``, ` `, `{`, `{"a"}`, `{"ts":"a\x"}`,
	} {
		f.Add([]byte(s))
	}
	m := logTestMatcher()
	p := newLogJSON(newLogSyms(m))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r logRecord
		got := logViewOf(m, &r, p.parse(line, &r))
		want := logExpectJSON(m, line)
		if want.Reason == "invalid json" {
			if !strings.HasPrefix(got.Reason, "invalid json at byte ") {
				t.Fatalf("parse(%q) = %+v, want invalid json", line, got)
			}
			var pos int
			if _, err := fmt.Sscanf(got.Reason, "invalid json at byte %d", &pos); err != nil || pos < 1 || pos > len(line)+1 {
				t.Fatalf("parse(%q): reason %q points outside the line", line, got.Reason)
			}
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("parse(%q) mismatch (-encoding/json +scanner):\n%s", line, diff)
		}
	})
}

// logExpectJSON is the v1 reading of a line done with encoding/json.
func logExpectJSON(m *logMatcher, line []byte) logView {
	if len(bytes.Trim(line, " \t\r\n")) == 0 {
		return logView{Reason: "(blank)"}
	}
	if !json.Valid(line) {
		return logView{Reason: "invalid json"}
	}
	var v any
	if err := jsonUnmarshalNumber(line, &v); err != nil {
		return logView{Reason: "invalid json"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return logView{Reason: "not a json object"}
	}
	out := logView{Records: 1, Items: []string{}}
	str := func(name string) (string, string) {
		switch x := obj[name].(type) {
		case nil:
			return "", ""
		case string:
			return x, ""
		case json.Number:
			if name == "tls" {
				return string(x), ""
			}
		}
		return "", name + ": not a string"
	}
	count := func(name string) (int64, bool, string) {
		switch x := obj[name].(type) {
		case nil:
			return 0, false, ""
		case json.Number:
			if strings.ContainsAny(string(x), ".eE") {
				return 0, false, name + ": not an integer"
			}
			n, bad := logParseCount([]byte(x), logFieldOf([]byte(name)))
			if bad.code != logOK {
				return 0, false, bad.reason()
			}
			return n, true, ""
		}
		return 0, false, name + ": not an integer"
	}
	var problems []string
	note := func(p string) {
		if p != "" {
			problems = append(problems, p)
		}
	}
	// ts
	hasTS := false
	switch x := obj["ts"].(type) {
	case nil:
	case string:
		if d, ok := logParseDay([]byte(x)); ok {
			out.Day, hasTS = aggDayString(d), true
		} else {
			note("ts: not RFC 3339")
		}
	default:
		note("ts: not a string")
	}
	// items
	hasItems := false
	switch x := obj["items"].(type) {
	case nil:
	case []any:
		hasItems = true
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				note("items: not an array of strings")
				hasItems = false
				break
			}
			if s != "" && !slices.Contains(out.Items, s) {
				out.Items = append(out.Items, s)
			}
		}
	default:
		note("items: not an array of strings")
	}
	var p string
	out.Integration, p = str("integration")
	note(p)
	out.Host, p = str("host")
	note(p)
	out.Host = logLowerASCII(out.Host)
	out.Country, p = str("country")
	note(p)
	out.Country = logUpperASCII(out.Country)
	subject, p := str("subject")
	note(p)
	if subject != "" {
		out.Subject = logSubject(subject)
	}
	out.Subjects, _, p = count("subjects")
	note(p)
	if n, ok, p := count("records"); ok {
		out.Records = n
	} else {
		note(p)
	}
	consent, p := str("consent")
	note(p)
	out.Consent = consent != ""
	out.Protection, p = str("protection")
	note(p)
	out.TLS, p = str("tls")
	note(p)
	out.Bytes, _, p = count("bytes")
	note(p)
	switch {
	case len(problems) > 0:
		return logView{Reason: problems[0]}
	case !hasTS:
		return logView{Reason: "missing ts"}
	case !hasItems:
		return logView{Reason: "missing items"}
	}
	flow := int32(-1)
	if out.Integration != "" {
		if f, ok := m.byIntegration[out.Integration]; ok {
			flow = f
		}
	} else if f, ok := m.byHost[out.Host]; ok && out.Host != "" {
		flow = f
	}
	if flow >= 0 {
		out.Flow = m.flows[flow]
	}
	return out
}
