package policies

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

func TestBaselineRoundTrip(t *testing.T) {
	fs := waiverFindings()
	fs[1].Waived = &audit.Waiver{Owner: "privacy"} // waived findings stay out
	fs = append(fs, fs[0])                         // a duplicate is written once
	var b bytes.Buffer
	if err := WriteBaseline(&b, fs); err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "tool": "xborder",
  "findings": [
    {"id":"a1","rule":"PIPA-28-8-CONTRACT-DISCLOSURE","flow":"aws-tokyo-storage","file":"m/aws.yaml"},
    {"id":"b1","rule":"XB-MANIFEST-HYGIENE","flow":"aws-tokyo-storage"},
    {"id":"c1","rule":"XB-BULK-DAILY","flow":"alipay-nsf"}
  ]
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Fatalf("baseline file (-want +got):\n%s", diff)
	}
	bl, err := ParseBaseline("b.json", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if bl.Len() != 3 {
		t.Errorf("Len() = %d, want 3", bl.Len())
	}

	// The next run: a1 moved down two lines (same fingerprint), a2 is
	// no longer waived and is new.
	next := waiverFindings()
	next[0].Location.Line += 2
	if n := bl.Apply(next); n != 3 {
		t.Errorf("Apply marked %d, want 3", n)
	}
	var got []string
	for _, f := range next {
		if f.Baselined {
			got = append(got, f.ID)
		}
	}
	if diff := cmp.Diff([]string{"a1", "b1", "c1"}, got); diff != "" {
		t.Errorf("baselined (-want +got):\n%s", diff)
	}
	if n := audit.Failing(next, audit.SeverityHigh); n != 1 {
		t.Errorf("Failing = %d, want 1 (only the new a2)", n)
	}
}

func TestBaselineEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBaseline(&b, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "{\n  \"version\": 1,\n  \"tool\": \"xborder\",\n  \"findings\": []\n}\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bl, err := ParseBaseline("b.json", b.Bytes())
	if err != nil || bl.Len() != 0 {
		t.Errorf("ParseBaseline = %v, %v; want an empty baseline", bl, err)
	}
}

func TestBaselineMalformed(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"syntax", "{\n  \"version\": 1,\n  \"findings\": [,]\n}", "b.json:3:16: not a baseline: invalid character ',' looking for beginning of value"},
		{"unknown field", `{"version": 1, "findings": [], "ids": []}`, `b.json:1:32: not a baseline: unknown field "ids"`},
		{"wrong type", `{"version": "1"}`, "b.json:1:15: not a baseline: version is string, want int"},
		{"version", `{"version": 2, "findings": []}`, "b.json:1:1: baseline version 2, this build reads version 1"},
		{"missing id", `{"version": 1, "findings": [{"rule": "X"}]}`, "b.json: findings[0].id: missing"},
		{"empty", ``, "b.json:1:1: not a baseline: empty file"},
		{"trailing", `{"version": 1, "findings": []} []`, "b.json:1:32: not a baseline: data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBaseline("b.json", []byte(tt.data))
			if _, ok := err.(audit.InputErrors); !ok {
				t.Fatalf("err = %T %v, want audit.InputErrors", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestReadBaselineMissing(t *testing.T) {
	_, err := ReadBaseline(t.TempDir() + "/none.json")
	if err == nil || !strings.Contains(err.Error(), "baseline file does not exist") {
		t.Errorf("err = %v", err)
	}
}

// FuzzParseBaseline checks the reader never panics and fails only with
// located input errors.
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"version": 1, "tool": "xborder", "findings": [{"id": "a", "rule": "R"}]}`))
	f.Add([]byte(`{"version": 1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline("f.json", data)
		if err != nil {
			if _, ok := err.(audit.InputErrors); !ok {
				t.Fatalf("error %T %v is not input errors", err, err)
			}
			return
		}
		b.Apply(waiverFindings())
	})
}
