package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// render runs one registered format.
func render(t *testing.T, format string, r *Report) []byte {
	t.Helper()
	rep, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.Report(&b, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file   string
		format string
		lang   string
		color  bool
	}{
		{"text.golden", "text", "en", false},
		{"text-color.golden", "text", "en", true},
		{"text-ko.golden", "text", "ko", false},
		{"json.golden", "json", "en", false},
		{"html-en.golden", "html", "en", false},
		{"html-ko.golden", "html", "ko", false},
		{"csv.golden", "csv", "en", false},
		{"csv-ko.golden", "csv", "ko", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := testReport(tt.lang)
			r.Color = tt.color
			got := render(t, tt.format, r)
			if bytes.Contains(got, []byte("%!")) {
				t.Errorf("output has a fmt error (%%!): a label's verbs do not match its arguments")
			}
			if !bytes.HasSuffix(got, []byte("\n")) {
				t.Errorf("output does not end with a newline")
			}
			golden(t, tt.file, got)
		})
	}
}

// TestDeterministic renders a run whose slices arrive in another order
// and checks every format writes the same bytes.
func TestDeterministic(t *testing.T) {
	for _, format := range Names() {
		t.Run(format, func(t *testing.T) {
			want := render(t, format, testReport("en"))
			r := testReport("en")
			reverse(r.Run.Findings)
			reverse(r.Run.Observations)
			reverse(r.Run.DataQuality.Files)
			reverse(r.Rules)
			got := render(t, format, r)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("output depends on input order (-sorted +reversed):\n%s", diff)
			}
		})
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func TestNoRun(t *testing.T) {
	for _, format := range Names() {
		for _, r := range []*Report{nil, {}} {
			var b bytes.Buffer
			err := Formats[format].Report(&b, r)
			if err == nil || !strings.Contains(err.Error(), "no run") {
				t.Errorf("%s: err = %v, want a no-run error", format, err)
			}
			if b.Len() != 0 {
				t.Errorf("%s: wrote %d bytes without a run", format, b.Len())
			}
		}
	}
}
