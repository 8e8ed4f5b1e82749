package cli

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestWriteFileAtomicRemovesStaleTemps: the temporary files a killed
// writer of the same report left are removed once they are old enough to
// be litter; a young one (a writer still at work), another report's and
// the user's own files stay.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name → aged
		".report.html.123456.tmp":  true,  // a killed writer's: removed
		".report.html.999.tmp":     false, // a writer at work: kept
		".report.pdf.123456.tmp":   true,  // another report's: kept
		".report.html.notes.tmp":   true,  // not os.CreateTemp's: kept
		"report.html.123456.tmp":   true,  // not hidden: kept
		".report.html.123456.tmp~": true,
	}
	for name, aged := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if aged {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, "report.html"), func(w io.Writer) error {
		_, err := io.WriteString(w, "<html>")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{".report.html.999.tmp", ".report.html.123456.tmp~", ".report.html.notes.tmp", ".report.pdf.123456.tmp", "report.html", "report.html.123456.tmp"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files after writing report.html:\n got %v\nwant %v", got, want)
	}
}
