package collectors

import (
	"encoding/json"
	"errors"
	"os"
	"strings"

	"context"
	"github.com/xborder/xborder/internal/audit"
	"path/filepath"
	"testing"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"github.com/google/go-cmp/cmp"
)

// TestMappingFixtures reads each mapping fixture's foreign log through its
// mapping and its hand-written v1 equivalent, and wants the same
// observations, unmatched traffic and record counts.
func TestMappingFixtures(t *testing.T) {
	m, err := LoadManifests("../fixtures/kakaopay-alipay/manifests")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, log string }{
		{"envoy", "access.log"},
		{"pg-settlement", "settlement.csv"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("..", "fixtures", "mappings", tc.dir)
			mp, err := LoadMapping(filepath.Join(dir, "mapping.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadLogs(context.Background(), m, []string{filepath.Join(dir, tc.log)}, LogOptions{Mapping: mp})
			if err != nil {
				t.Fatal(err)
			}
			want, err := ReadLogs(context.Background(), m, []string{filepath.Join(dir, "v1.jsonl")}, LogOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if q := got.Quality(); q.Bad != 0 || q.Lines != want.Quality().Lines {
				t.Errorf("mapped quality: %d lines, %d bad (%v); v1: %d lines", q.Lines, q.Bad, q.Files, want.Quality().Lines)
			}
			if len(want.Observations()) < 2 || len(want.Unmatched()) < 1 {
				t.Fatalf("fixture too small: %d observations, %d unmatched", len(want.Observations()), len(want.Unmatched()))
			}
			if diff := cmp.Diff(want.Observations(), got.Observations()); diff != "" {
				t.Errorf("observations (-v1 +mapped):\n%s", diff)
			}
			if diff := cmp.Diff(want.Unmatched(), got.Unmatched()); diff != "" {
				t.Errorf("unmatched (-v1 +mapped):\n%s", diff)
			}
			if got.Records() != want.Records() {
				t.Errorf("records: mapped %d, v1 %d", got.Records(), want.Records())
			}
		})
	}
}

// TestParseMappingErrors checks that every problem of a mapping file is
// reported at once, located in the file, with the field it concerns.
func TestParseMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "bad expression, located on its line and column",
			yaml: "format: json\nfields:\n  ts: timestamp(record.t)\n  items: record.items\n  country: record.geo +\n",
			want: []string{"m.yaml:5:24: fields.country: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
		},
		{
			name: "quoted expression: the column counts the quote",
			yaml: "format: json\nfields:\n  ts: 'timestamp(recrd.t)'\n  items: record.items\n",
			want: []string{"m.yaml:3:18: fields.ts: undeclared reference to 'recrd' (did you mean 'record'?)"},
		},
		{
			name: "block expression: the line inside the block",
			yaml: "format: json\nfields:\n  ts: timestamp(record.t)\n  items: |\n    record.items\n      .filter(x, x.size() > \"a\")\n",
			want: []string{"m.yaml:6:27: fields.items: found no matching overload for '_>_' applied to '(int, string)'"},
		},
		{
			name: "wrong result types, unknown fields, duplicates, missing required",
			yaml: "apiVersion: xborder/v2\nformat: xml\nfields:\n  ts: 1\n  records: record.n + \"x\"\n  bytes: '\"12\"'\n  contry: record.c\n  consent: 3\n  consent: true\nextra: 1\n",
			want: []string{
				"m.yaml:1:13: apiVersion: want xborder/v1",
				"m.yaml:2:9: format: want json or csv",
				"m.yaml:4:3: fields.items: required",
				"m.yaml:4:7: fields.ts: the expression gives int, want a timestamp or an RFC 3339 string (or null)",
				"m.yaml:5:12: fields.records: the expression gives string, want an integer (or null)",
				"m.yaml:6:10: fields.bytes: the expression gives string, want an integer (or null)",
				"m.yaml:7:3: fields.contry: unknown field (v1 fields: ts, items, integration, host, country, subject, subjects, records, consent, protection, tls, bytes)",
				"m.yaml:8:12: fields.consent: the expression gives int, want a string or a bool (or null)",
				"m.yaml:9:3: fields.consent: given twice",
				"m.yaml:10:1: extra: unknown field (want apiVersion, kind, format, fields)",
			},
		},
		{
			name: "no format, fields not a mapping",
			yaml: "fields: [ts]\n",
			want: []string{"m.yaml:1:1: format: required: json or csv", "m.yaml:1:9: fields: want a mapping from v1 field names to CEL expressions"},
		},
		{
			name: "not YAML",
			yaml: "format: json\nfields: {ts: [\n",
			want: []string{"m.yaml:2: invalid YAML: did not find expected node content"},
		},
		{
			// The YAML library says "line 2": its parser counts lines from 0.
			name: "unclosed list",
			yaml: "format: json\nfields:\n  ts: [x\n  items: y\n",
			want: []string{"m.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		},
		{
			name: "empty",
			yaml: "",
			want: []string{"m.yaml: empty mapping (want format and fields)"},
		},
		{
			// An empty document the library places on line 2 of a one-line file.
			name: "only a document marker",
			yaml: "---",
			want: []string{"m.yaml: empty mapping (want format and fields)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMapping("m.yaml", []byte(tc.yaml))
			var errs audit.InputErrors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v is not audit.InputErrors", err)
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMappingBadRecords checks that records a mapping cannot read are bad
// lines with a reason that names the field and quotes no value, and that
// null, absent optionals and empty strings are absent fields.
func TestMappingBadRecords(t *testing.T) {
	mp, err := ParseMapping("m.yaml", []byte(`format: json
fields:
  ts: timestamp(record.t)
  items: record.items
  integration: record.app
  subject: record[?"user"].orValue(null)
  records: record.?n.orValue(1)
  consent: record.?c.orValue(false)
  tls: 'record.?tls.orValue("")'
`))
	if err != nil {
		t.Fatal(err)
	}
	log := strings.Join([]string{
		`{"t":"2024-03-01T00:00:00Z","items":["a","b"],"app":"toss","user":"u:1","n":2,"c":true,"tls":"1.3"}`,
		`{"t":"2024-03-01T00:00:00Z","items":["a"],"app":"toss","user":null,"tls":""}`,
		`{"t":"2024-03-01T00:00:00Z","items":["a"],"app":"toss","n":2.5}`,
		`{"t":"secret-value","items":["a"],"app":"toss"}`,
		`{"t":"2024-03-01T00:00:00Z","items":["a",7],"app":"toss"}`,
		`{"t":"2024-03-01T00:00:00Z","items":["a"]}`,
		`{"t":"2024-03-01T00:00:00Z","items":["a"],"app":"toss","n":-1}`,
		`["not","an","object"]`,
		`{"t":`,
		``,
		`{"t":"2024-03-01T00:00:00Z","items":"a","app":"toss"}`,
	}, "\n")
	p := logWriteFile(t, t.TempDir(), "x.json", []byte(log))
	m := &audit.Manifests{Flows: []audit.DataFlow{{Object: audit.Object{Name: "toss-flow"}, Integration: "toss"}}}
	agg, err := ReadLogs(context.Background(), m, []string{p}, LogOptions{Mapping: mp})
	if err != nil {
		t.Fatal(err)
	}
	q := agg.Quality()
	var reasons []string
	for _, ex := range q.Files[0].Examples {
		reasons = append(reasons, ex.Reason)
	}
	want := []string{
		"fields.records: not an integer",
		"fields.ts: invalid RFC 3339 timestamp",
		"fields.items: an item is not a string",
		"fields.integration: no such key: app",
		"fields.records: negative",
	}
	if q.Lines != 10 || q.Bad != 9-1 {
		t.Errorf("lines %d, bad %d; want 10, 8", q.Lines, q.Bad)
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("first bad-line reasons (-want +got):\n%s", diff)
	}
	for _, r := range reasons {
		if strings.Contains(r, "secret") {
			t.Errorf("reason %q quotes a value", r)
		}
	}
	obs := agg.Observations()
	if len(obs) != 1 || obs[0].Records != 3 || obs[0].Subjects != 1 || obs[0].WithoutConsent != 1 ||
		!cmp.Equal(obs[0].TLS, []string{"1.3"}) || !cmp.Equal(obs[0].Items, []string{"a", "b"}) {
		t.Errorf("observations: %+v", obs)
	}
}

// FuzzParseMapping checks that no mapping file makes the loader panic, that
// every failure is a located audit.InputErrors, and that a loaded mapping
// has the required fields compiled.
func FuzzParseMapping(f *testing.F) {
	for _, dir := range []string{"envoy", "pg-settlement"} {
		data, err := os.ReadFile(filepath.Join("..", "fixtures", "mappings", dir, "mapping.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("format: csv\nfields:\n  ts: record.t\n  items: record.i.split(';')\n"))
	f.Add([]byte("format: json\nfields:\n  ts: |\n    timestamp(\n      record.t)\n  items: '[record.a, record.b]'\n"))
	f.Add([]byte("fields: &a {ts: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping("m.yaml", data)
		if err != nil {
			var errs audit.InputErrors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not audit.InputErrors", err)
			}
			for _, e := range errs {
				if e.File != "m.yaml" || e.Msg == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		if m.fields[logFieldTS] == nil || m.fields[logFieldItems] == nil || m.Input().SHA256 == "" {
			t.Fatalf("loaded mapping without ts or items: %+v", m)
		}
	})
}

// BenchmarkReadLogsMapped reads v1 records through a mapping that maps
// every field to itself: the cost of CEL per record, against
// BenchmarkReadLogsJSONL on the same data.
func BenchmarkReadLogsMapped(b *testing.B) {
	mp, err := ParseMapping("m.yaml", []byte(`format: json
fields:
  ts: record.ts
  items: record.items
  integration: record.?integration.orValue(null)
  host: record.?host.orValue(null)
  country: record.country
  subject: record.subject
  consent: record.?consent.orValue(null)
  tls: record.tls
  bytes: record.bytes
`))
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	benchReadLogs(b, "day.jsonl", logGenJSONL(n, 1), n, LogOptions{Mapping: mp})
}

// TestMappingCostLimit: a mapping expression that explodes per record (a
// nested comprehension over millions of elements) is stopped by the cost
// limit and counted as a bad line with a reason, instead of stalling the run.
func TestMappingCostLimit(t *testing.T) {
	mp, err := ParseMapping("m.yaml", []byte(`format: json
fields:
  ts: timestamp(record.t)
  items: record.items
  integration: 'record.app + string([1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, e))))).size() - 10)'
`))
	if err != nil {
		t.Fatal(err)
	}
	p := logWriteFile(t, t.TempDir(), "x.json", []byte(`{"t":"2024-03-01T00:00:00Z","items":["a"],"app":"toss"}`+"\n"))
	m := &audit.Manifests{Flows: []audit.DataFlow{{Object: audit.Object{Name: "toss-flow"}, Integration: "toss"}}}
	agg, err := ReadLogs(context.Background(), m, []string{p}, LogOptions{Mapping: mp})
	if err != nil {
		t.Fatal(err)
	}
	q := agg.Quality()
	if q.Lines != 1 || q.Bad != 1 || len(q.Files[0].Examples) != 1 ||
		!strings.Contains(q.Files[0].Examples[0].Reason, "fields.integration") {
		t.Fatalf("quality = %+v, want the one line bad, blamed on fields.integration", q)
	}
}

// TestMappingJSONDecode checks the mapping's JSON reader against what it
// replaces, encoding/json into map[string]any seen through the CEL
// adapter: the same record (escapes, invalid UTF-8, duplicate keys,
// nesting, numbers), and the same lines refused as not an object.
func TestMappingJSONDecode(t *testing.T) {
	for _, line := range []string{
		`{"a":"x","b":1.5,"c":[1,"y",null,true,false,{"d":[]}],"e":{},"f":null}`,
		` { "a" : "esc\"aped\u00e9\n" , "k\u0065y" : -0.5e3 , "a" : "last" } `,
		"{\"bad\":\"\xff\xfe\",\"ok\":\"\xed\xa0\x80\"}",
		`{"big":1e400}`,
		`{"deep":{"x":[[-1e999]]}}`,
		`{"n":123456789012345678901234567890}`,
		`null`,
		`[1,2]`,
		`"s"`,
		`{}`,
	} {
		var want map[string]any
		wantObj := json.Unmarshal([]byte(line), &want) == nil
		got := map[string]ref.Val{}
		i := mappingJSONSpace(line, 0)
		gotObj := line[i] == 'n' || line[i] == '{' && mappingJSONObject(line, i, got, nil)
		if gotObj != wantObj {
			t.Errorf("%q: object %v, encoding/json %v", line, gotObj, wantObj)
			continue
		}
		if !wantObj {
			continue
		}
		w := types.DefaultTypeAdapter.NativeToValue(want)
		if g := types.NewMap(types.DefaultTypeAdapter, got); g.Equal(w) != types.True || len(got) != len(want) {
			t.Errorf("%q: decoded %v, encoding/json %v", line, g, w)
		}
	}
}

// TestMappingKeys checks which top-level keys a mapping decodes: only
// those selected, unless an expression uses the record whole.
func TestMappingKeys(t *testing.T) {
	for _, tc := range []struct {
		fields string
		want   map[string]string // nil: every key
	}{
		{`{ts: 'timestamp(record.t)', items: 'record["i-x"].split(";")', host: 'record.?h.orValue(null)', tls: 'has(record.z) ? record[?"y"].orValue("") : ""'}`,
			map[string]string{"t": "t", "i-x": "i-x", "h": "h", "z": "z", "y": "y"}},
		{`{ts: record.t, items: '[string(record.size())]'}`, nil},
		{`{ts: record.t, items: 'record.map(k, k)'}`, nil},
	} {
		mp, err := ParseMapping("m.yaml", []byte("format: json\nfields: "+tc.fields+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, mp.keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tc.fields, diff)
		}
	}
}

// FuzzMappingJSONDecode holds the mapping's JSON reader to encoding/json:
// for any valid JSON text, it reads an object exactly when encoding/json
// does, with the same values.
func FuzzMappingJSONDecode(f *testing.F) {
	for _, s := range []string{
		`{"a":"x","b":1.5,"c":[1,"y",null,true,false,{"d":[]}],"e":{},"f":null}`,
		` { "a" : "esc\"aped\u00e9\n" , "k\u0065y" : -0.5e3 , "a" : "last" } `,
		"{\"bad\":\"\xff\xfe\",\"ok\":\"\xed\xa0\x80\"}", `{"big":1e400}`, `null`, `[1]`, `{"\ud800":"\udc00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		line := string(data)
		var want map[string]any
		wantObj := json.Unmarshal(data, &want) == nil
		got := map[string]ref.Val{}
		i := mappingJSONSpace(line, 0)
		gotObj := line[i] == 'n' || line[i] == '{' && mappingJSONObject(line, i, got, nil)
		if gotObj != wantObj {
			t.Fatalf("%q: object %v, encoding/json %v", line, gotObj, wantObj)
		}
		if !wantObj {
			return
		}
		w := types.DefaultTypeAdapter.NativeToValue(want)
		if g := types.NewMap(types.DefaultTypeAdapter, got); g.Equal(w) != types.True || len(got) != len(want) {
			t.Fatalf("%q: decoded %v, encoding/json %v", line, g, w)
		}
	})
}
